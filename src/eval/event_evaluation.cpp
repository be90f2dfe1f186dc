#include "event_evaluation.hpp"

#include <algorithm>
#include <cmath>
#include <tuple>

#include "placement.hpp"

namespace gk {
namespace {

bool compatible(pb::Side truth, pb::Side detected) {
  return truth == pb::SIDE_UNKNOWN || detected == pb::SIDE_UNKNOWN || truth == detected;
}

std::optional<double> mean(const std::vector<double>& v) {
  if (v.empty()) return std::nullopt;
  double s = 0.0;
  for (double x : v) s += x;
  return s / static_cast<double>(v.size());
}

}  // namespace

std::optional<pb::Side> sensed_side(const Session& session, const std::vector<StepResult>& steps) {
  std::optional<pb::Side> side;
  for (const SensorStream& s : session.sensors) {
    const pb::Side here = side_of(s.info.placement());
    if (here == pb::SIDE_UNKNOWN || (side && *side != here)) return std::nullopt;
    side = here;
  }
  const bool all_of_side =
      side && std::all_of(steps.begin(), steps.end(),
                          [&](const StepResult& r) { return r.event.side == *side; });
  return all_of_side ? side : std::nullopt;
}

EventEvaluation evaluate_events(const std::vector<StepResult>& steps,
                                const std::vector<TruthEvent>& truth_in,
                                const std::vector<UnlabelledContact>& unlabelled,
                                const EvaluationSettings& settings) {
  std::vector<TruthEvent> truth = truth_in;
  size_t other_side = 0;
  const bool sided_truth = std::none_of(
      truth.begin(), truth.end(), [](const TruthEvent& t) { return t.side == pb::SIDE_UNKNOWN; });
  if (settings.sensors_side && sided_truth) {
    const auto sensed = std::remove_if(truth.begin(), truth.end(), [&](const TruthEvent& t) {
      return t.side != *settings.sensors_side;
    });
    other_side = static_cast<size_t>(truth.end() - sensed);
    truth.erase(sensed, truth.end());
  }
  size_t after_data = 0;
  if (settings.data_end_s) {
    after_data =
        std::erase_if(truth, [&](const TruthEvent& t) { return t.ic_s > *settings.data_end_s; });
  }
  std::sort(truth.begin(), truth.end(),
            [](const TruthEvent& a, const TruthEvent& b) { return a.ic_s < b.ic_s; });
  bool has_left = false, has_right = false, has_unknown = false;
  for (const TruthEvent& t : truth) {
    has_left |= t.side == pb::LEFT;
    has_right |= t.side == pb::RIGHT;
    has_unknown |= t.side == pb::SIDE_UNKNOWN;
  }
  // Reference for one side only (or sensors on one side only, filtered
  // above): compare that side only.
  std::optional<pb::Side> only;
  if (!has_unknown && has_left != has_right) only = has_left ? pb::LEFT : pb::RIGHT;
  std::vector<const StepResult*> det;
  for (const StepResult& s : steps) {
    if (!only || s.event.side == *only || s.event.side == pb::SIDE_UNKNOWN) det.push_back(&s);
  }

  EventEvaluation e;
  e.side_compared = only;
  e.truth_other_side_skipped = other_side;
  e.truth_after_data_skipped = after_data;
  e.steps_true = truth.size();
  e.steps_detected = det.size();

  // One-to-one matching, closest pairs first.
  const double window_s = settings.match_window_ms * 1e-3;
  std::vector<std::tuple<double, size_t, size_t>> pairs;
  size_t start = 0;
  for (size_t ti = 0; ti < truth.size(); ++ti) {
    while (start < det.size() &&
           static_cast<double>(det[start]->event.ic_us) * 1e-6 < truth[ti].ic_s - window_s) {
      ++start;
    }
    for (size_t di = start; di < det.size(); ++di) {
      const double d = static_cast<double>(det[di]->event.ic_us) * 1e-6 - truth[ti].ic_s;
      if (d > window_s) break;
      if (compatible(truth[ti].side, det[di]->event.side)) pairs.emplace_back(std::abs(d), ti, di);
    }
  }
  std::sort(pairs.begin(), pairs.end());
  std::vector<bool> t_used(truth.size(), false), d_used(det.size(), false);
  std::vector<double> ic_err, to_err, contact_err;
  for (const auto& [err, ti, di] : pairs) {
    if (t_used[ti] || d_used[di]) continue;
    t_used[ti] = d_used[di] = true;
    ++e.matched;
    ic_err.push_back(err * 1e3);
    const StepResult& s = *det[di];
    if (truth[ti].to_s && s.event.to_us) {
      const double to_s = static_cast<double>(*s.event.to_us) * 1e-6;
      to_err.push_back(std::abs(to_s - *truth[ti].to_s) * 1e3);
      const double c_true = *truth[ti].to_s - truth[ti].ic_s;
      const double c_det = static_cast<double>(*s.event.to_us - s.event.ic_us) * 1e-6;
      contact_err.push_back(std::abs(c_det - c_true) * 1e3);
    }
  }
  // A contact the reference left out: the first unmatched detection of that
  // foot in its span is the detector being right, not a false step.
  for (const UnlabelledContact& u : unlabelled) {
    for (size_t di = 0; di < det.size(); ++di) {
      const double t = static_cast<double>(det[di]->event.ic_us) * 1e-6;
      if (d_used[di] || !compatible(u.side, det[di]->event.side) ||
          t < u.still_from_s - settings.unlabelled_lead_s || t > u.still_to_s) {
        continue;
      }
      d_used[di] = true;
      ++e.detections_unlabelled;
      break;
    }
  }
  e.steps_detected -= e.detections_unlabelled;
  e.precision = e.steps_detected
                    ? static_cast<double>(e.matched) / static_cast<double>(e.steps_detected)
                    : 0.0;
  e.recall =
      e.steps_true ? static_cast<double>(e.matched) / static_cast<double>(e.steps_true) : 0.0;
  e.f1 =
      e.precision + e.recall > 0.0 ? 2.0 * e.precision * e.recall / (e.precision + e.recall) : 0.0;
  e.ic_mae_ms = mean(ic_err);
  e.to_mae_ms = mean(to_err);
  e.contact_mae_ms = mean(contact_err);

  // Cadence over runs of N consecutive reference steps.
  const double per_interval = only ? 120.0 : 60.0;
  const size_t n = settings.cadence_window_steps;
  const double pause_s = settings.pause_s * (only ? 2.0 : 1.0);
  std::vector<double> cad_err;
  for (size_t i = 0; n >= 2 && i + n <= truth.size(); ++i) {
    bool paused = false;
    for (size_t k = i + 1; k < i + n; ++k) paused |= truth[k].ic_s - truth[k - 1].ic_s > pause_s;
    if (paused) continue;
    const double t0 = truth[i].ic_s;
    const double t1 = truth[i + n - 1].ic_s;
    const bool short_one = std::any_of(unlabelled.begin(), unlabelled.end(), [&](const auto& u) {
      return u.still_from_s - settings.unlabelled_lead_s < t1 && u.still_to_s > t0;
    });
    if (short_one) {
      ++e.cadence_windows_unlabelled;
      continue;
    }
    const double c_true = per_interval * static_cast<double>(n - 1) / (t1 - t0);
    double first = 0.0, last = 0.0;
    size_t m = 0;
    for (const StepResult* s : det) {
      const double t = static_cast<double>(s->event.ic_us) * 1e-6;
      if (t < t0 - window_s || t > t1 + window_s) continue;
      if (m == 0) first = t;
      last = t;
      ++m;
    }
    const double c_det =
        m >= 2 && last > first ? per_interval * static_cast<double>(m - 1) / (last - first) : 0.0;
    cad_err.push_back(std::abs(c_det - c_true));
  }
  e.cadence_mae_spm = mean(cad_err);
  e.cadence_windows = cad_err.size();
  return e;
}

}  // namespace gk
