#include "knee_evaluation.hpp"

#include <algorithm>
#include <array>
#include <cmath>

namespace gk {
namespace {

struct Series {
  std::vector<double> t_s;
  std::vector<double> valgus;
  std::vector<double> flexion;
  std::vector<double> confidence;
};

size_t side_index(pb::Side s) { return s == pb::RIGHT ? 1 : 0; }

/// Value of a sorted series at t by linear interpolation, if samples lie
/// within max_gap on both sides.
bool interpolate(const Series& s, double t, double max_gap_s, double& valgus, double& flexion,
                 double& confidence) {
  const auto it = std::lower_bound(s.t_s.begin(), s.t_s.end(), t);
  if (it == s.t_s.end()) return false;
  const auto i = static_cast<size_t>(it - s.t_s.begin());
  if (s.t_s[i] == t) {
    valgus = s.valgus[i];
    flexion = s.flexion[i];
    confidence = s.confidence[i];
    return true;
  }
  if (i == 0) return false;
  const double t0 = s.t_s[i - 1];
  const double t1 = s.t_s[i];
  if (t - t0 > max_gap_s || t1 - t > max_gap_s) return false;
  const double w = (t - t0) / (t1 - t0);
  valgus = (1.0 - w) * s.valgus[i - 1] + w * s.valgus[i];
  flexion = (1.0 - w) * s.flexion[i - 1] + w * s.flexion[i];
  confidence = (1.0 - w) * s.confidence[i - 1] + w * s.confidence[i];
  return true;
}

}  // namespace

KneeEvaluation evaluate_knee(const std::vector<KneeAngleSample>& estimate,
                             const std::vector<StepResult>& steps,
                             const std::vector<TruthKnee>& truth,
                             const KneeEvaluationSettings& settings) {
  std::array<Series, 2> est;
  {
    std::vector<KneeAngleSample> sorted = estimate;
    std::stable_sort(
        sorted.begin(), sorted.end(),
        [](const KneeAngleSample& a, const KneeAngleSample& b) { return a.t_us < b.t_us; });
    for (const KneeAngleSample& k : sorted) {
      Series& s = est[side_index(k.side)];
      s.t_s.push_back(static_cast<double>(k.t_us) * 1e-6);
      s.valgus.push_back(k.angles.valgus_deg);
      s.flexion.push_back(k.angles.flexion_deg);
      s.confidence.push_back(k.confidence);
    }
  }
  std::array<Series, 2> ref;
  for (const TruthKnee& k : truth) {
    Series& s = ref[side_index(k.side)];
    s.t_s.push_back(k.t_s);
    s.valgus.push_back(k.valgus_deg);
    s.flexion.push_back(k.flexion_deg);
    s.confidence.push_back(1.0);
  }
  for (Series& s : ref) {
    // Reference files are written in time order per side; make sure.
    std::vector<size_t> order(s.t_s.size());
    for (size_t i = 0; i < order.size(); ++i) order[i] = i;
    std::stable_sort(order.begin(), order.end(),
                     [&](size_t a, size_t b) { return s.t_s[a] < s.t_s[b]; });
    Series sorted;
    for (size_t i : order) {
      sorted.t_s.push_back(s.t_s[i]);
      sorted.valgus.push_back(s.valgus[i]);
      sorted.flexion.push_back(s.flexion[i]);
      sorted.confidence.push_back(1.0);
    }
    s = sorted;
  }

  KneeEvaluation e;
  e.samples_true = truth.size();
  const double gap_s = settings.max_gap_ms * 1e-3;
  double sv2 = 0.0, sf2 = 0.0, sv = 0.0, sf = 0.0, sc = 0.0;
  struct Err {
    double t_s;
    double valgus;
  };
  std::vector<Err> errors;
  for (size_t side = 0; side < 2; ++side) {
    const Series& r = ref[side];
    for (size_t i = 0; i < r.t_s.size(); ++i) {
      double v = 0.0, f = 0.0, c = 0.0;
      if (!interpolate(est[side], r.t_s[i], gap_s, v, f, c)) continue;
      const double ev = v - r.valgus[i];
      const double ef = f - r.flexion[i];
      sv2 += ev * ev;
      sf2 += ef * ef;
      sv += ev;
      sf += ef;
      sc += c;
      errors.push_back({r.t_s[i], ev});
      ++e.samples_compared;
    }
  }
  if (e.samples_compared > 0) {
    const auto n = static_cast<double>(e.samples_compared);
    e.valgus_rmse_deg = std::sqrt(sv2 / n);
    e.flexion_rmse_deg = std::sqrt(sf2 / n);
    e.valgus_bias_deg = sv / n;
    e.flexion_bias_deg = sf / n;
    e.mean_confidence = sc / n;
    double t0 = errors.front().t_s, t1 = errors.front().t_s;
    for (const Err& x : errors) {
      t0 = std::min(t0, x.t_s);
      t1 = std::max(t1, x.t_s);
    }
    const double span = (t1 - t0) * settings.drift_share;
    double first = 0.0, last = 0.0;
    size_t nf = 0, nl = 0;
    for (const Err& x : errors) {
      if (x.t_s <= t0 + span) {
        first += x.valgus;
        ++nf;
      }
      if (x.t_s >= t1 - span) {
        last += x.valgus;
        ++nl;
      }
    }
    if (nf > 0 && nl > 0 && span > 0.0) {
      e.valgus_drift_deg = last / static_cast<double>(nl) - first / static_cast<double>(nf);
    }
  }

  double abs_sum = 0.0;
  double abs_max = 0.0;
  for (const StepResult& s : steps) {
    if (!s.peak_valgus_deg) continue;
    const Series& r = ref[side_index(s.event.side)];
    const double ic = static_cast<double>(s.event.ic_us) * 1e-6;
    const double end = s.event.to_us && *s.event.to_us > s.event.ic_us
                           ? static_cast<double>(*s.event.to_us) * 1e-6
                           : ic + settings.default_stance_ms * 1e-3;
    const auto lo = std::lower_bound(r.t_s.begin(), r.t_s.end(), ic);
    const auto hi = std::upper_bound(r.t_s.begin(), r.t_s.end(), end);
    if (lo >= hi) continue;
    double peak = -1e9;
    for (auto it = lo; it != hi; ++it) {
      peak = std::max(peak, r.valgus[static_cast<size_t>(it - r.t_s.begin())]);
    }
    const double err = std::abs(*s.peak_valgus_deg - peak);
    abs_sum += err;
    abs_max = std::max(abs_max, err);
    ++e.steps_compared;
  }
  if (e.steps_compared > 0) {
    e.peak_valgus_mae_deg = abs_sum / static_cast<double>(e.steps_compared);
    e.peak_valgus_max_error_deg = abs_max;
  }
  return e;
}

}  // namespace gk
