// Accuracy of the gait engine on simulated runs against exact truth: the
// figures docs/ACCURACY.md publishes. Each case prints one line prefixed
// "[accuracy]" with what it measured.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <iterator>
#include <optional>
#include <ostream>
#include <string>
#include <vector>

#include "event_evaluation.hpp"
#include "placement.hpp"
#include "session_analysis.hpp"
#include "simulator.hpp"

namespace gk {
namespace {

using sim::Activity;
using sim::FootStrikePattern;

const char* strike_name(FootStrikePattern p) {
  switch (p) {
    case FootStrikePattern::kHeel:
      return "heel";
    case FootStrikePattern::kMid:
      return "mid";
    case FootStrikePattern::kFore:
      return "fore";
  }
  return "?";
}

std::string fmt_ms(const std::optional<double>& v) {
  char buf[32];
  if (!v) return "-";
  std::snprintf(buf, sizeof buf, "%.2f", *v);
  return buf;
}

void print_eval(const std::string& label, const EventEvaluation& e) {
  std::printf(
      "[accuracy] %-44s true %4zu det %4zu F1 %.4f  IC MAE %6s ms  TO MAE %6s ms  contact MAE "
      "%6s ms  cadence MAE %6s spm (%zu windows)\n",
      label.c_str(), e.steps_true, e.steps_detected, e.f1, fmt_ms(e.ic_mae_ms).c_str(),
      fmt_ms(e.to_mae_ms).c_str(), fmt_ms(e.contact_mae_ms).c_str(),
      fmt_ms(e.cadence_mae_spm).c_str(), e.cadence_windows);
}

std::vector<TruthEvent> truth_of_side(const std::vector<TruthEvent>& all, pb::Side side) {
  std::vector<TruthEvent> out;
  for (const TruthEvent& e : all) {
    if (e.side == side) out.push_back(e);
  }
  return out;
}

/// Detections without a compatible truth contact within 60 ms, and truth
/// contacts without a detection, for failure messages.
std::string unmatched(const std::vector<StepResult>& steps, const std::vector<TruthEvent>& truth) {
  auto hit = [](const TruthEvent& e, const StepResult& s) {
    const bool side =
        e.side == pb::SIDE_UNKNOWN || s.event.side == pb::SIDE_UNKNOWN || e.side == s.event.side;
    return side && std::abs(e.ic_s - static_cast<double>(s.event.ic_us) * 1e-6) <= 0.06;
  };
  std::string extra, missed;
  for (const StepResult& s : steps) {
    bool any = false;
    for (const TruthEvent& e : truth) any |= hit(e, s);
    if (!any) extra += " " + std::to_string(static_cast<double>(s.event.ic_us) * 1e-6);
  }
  for (const TruthEvent& e : truth) {
    bool any = false;
    for (const StepResult& s : steps) any |= hit(e, s);
    if (!any) missed += " " + std::to_string(e.ic_s);
  }
  return "extra detections at [" + extra + " ] s, missed truth at [" + missed + " ] s";
}

/// The truth contacts inside the recorded data. The simulator's truth can
/// hold a contact at t = duration, after the last sample, which no sensor
/// can see (reported to the lead); it is left out and counted.
std::vector<TruthEvent> observable(const sim::SimResult& r) {
  int64_t last_us = INT64_MIN;
  for (const SensorStream& s : r.session.sensors) {
    if (!s.samples.empty()) last_us = std::max(last_us, s.samples.back().t_us);
  }
  std::vector<TruthEvent> out;
  for (const TruthEvent& e : *r.truth.events) {
    if (e.ic_s <= static_cast<double>(last_us) * 1e-6) out.push_back(e);
  }
  if (out.size() != r.truth.events->size()) {
    std::printf("[accuracy] (%zu truth contact(s) after the last sample left out)\n",
                r.truth.events->size() - out.size());
  }
  return out;
}

/// The analysis of a one-sensor session whose samples after end_s are cut off.
GaitAnalysis analyze_cut(const sim::SimResult& full, double end_s) {
  sim::SimResult cut = full;
  auto& samples = cut.session.sensors.at(0).samples;
  const auto end_us = static_cast<int64_t>(end_s * 1e6) + 1;
  samples.erase(std::find_if(samples.begin(), samples.end(),
                             [&](const ImuSample& x) { return x.t_us > end_us; }),
                samples.end());
  return analyze_gait(cut.session);
}

/// Whether the contact starting at ic_s can have ended inside the data.
bool contact_inside(double ic_s, double duration_s, double max_contact_s) {
  return ic_s + max_contact_s < duration_s;
}

// ---------------------------------------------------------------------------
// Two shoe sensors over a grid of speeds, cadences, strikes and rates.

struct RunCase {
  double speed_mps;
  double cadence_spm;
  FootStrikePattern strike;
  double rate_hz;
  double duration_s;
  uint64_t seed;
  double duty_factor = 0.35;
};

std::string case_name(const RunCase& c) {
  char buf[96];
  std::snprintf(buf, sizeof buf, "%.1f m/s %3.0f spm %-4s %4.0f Hz %2.0f s", c.speed_mps,
                c.cadence_spm, strike_name(c.strike), c.rate_hz, c.duration_s);
  return buf;
}

class FeetAccuracy : public ::testing::TestWithParam<RunCase> {};

TEST_P(FeetAccuracy, MeetsTheIssueTargets) {
  const RunCase& c = GetParam();
  sim::SimSettings s;
  s.seed = c.seed;
  s.runner.schedule = {{Activity::kRun, c.duration_s, c.speed_mps, c.cadence_spm}};
  s.runner.foot_strike = c.strike;
  s.runner.duty_factor = c.duty_factor;
  s.sensors = sim::feet_sensors(c.rate_hz);  // default noise, bias, mounting up to 30 deg
  const sim::SimResult r = sim::simulate(s);
  const GaitAnalysis a = analyze_gait(r.session);
  const EventEvaluation e = evaluate_events(a.steps, observable(r));
  print_eval(case_name(c), e);

  EXPECT_GE(e.f1, 0.995) << unmatched(a.steps, observable(r));
  ASSERT_TRUE(e.cadence_mae_spm.has_value());
  EXPECT_LE(*e.cadence_mae_spm, 0.5);
  ASSERT_TRUE(e.ic_mae_ms.has_value());
  if (c.rate_hz >= 200.0) {
    EXPECT_LE(*e.ic_mae_ms, 5.0);
  }
  ASSERT_TRUE(e.contact_mae_ms.has_value()) << "no contact times reported";
  EXPECT_LE(*e.contact_mae_ms, 10.0);
  // Running is told by the flight phase; a contact still going on when the
  // data ends cannot be classified.
  for (const StepResult& step : a.steps) {
    const double ic = static_cast<double>(step.event.ic_us) * 1e-6;
    if (!contact_inside(ic, c.duration_s, 0.4)) continue;
    EXPECT_EQ(step.event.activity, GaitActivity::kRunning) << "step at " << ic << " s";
  }

  // Foot strike: the class of (nearly) every step is the simulated one, and
  // the angle at IC is the simulated foot's (heel 16, midfoot 3, forefoot -8
  // deg toes up; src/sim/foot_motion.cpp).
  const double angle_true_deg = c.strike == FootStrikePattern::kHeel  ? 16.0
                                : c.strike == FootStrikePattern::kMid ? 3.0
                                                                      : -8.0;
  const pb::FootStrike class_true = c.strike == FootStrikePattern::kHeel  ? pb::HEEL
                                    : c.strike == FootStrikePattern::kMid ? pb::MIDFOOT
                                                                          : pb::FOREFOOT;
  std::vector<double> angles;
  size_t right_class = 0;
  for (const StepResult& step : a.steps) {
    if (!step.event.foot_strike_angle_deg) continue;
    angles.push_back(*step.event.foot_strike_angle_deg);
    right_class += step.event.foot_strike == class_true;
  }
  ASSERT_GE(angles.size() + 4, a.steps.size());
  std::sort(angles.begin(), angles.end());
  const double angle_median = angles[angles.size() / 2];
  std::printf(
      "[accuracy] %s: foot strike %s on %zu of %zu steps, angle median %.1f deg (%.1f-%.1f; "
      "simulated %.0f)\n",
      case_name(c).c_str(), strike_name(c.strike), right_class, angles.size(), angle_median,
      angles.front(), angles.back(), angle_true_deg);
  EXPECT_GE(static_cast<double>(right_class), 0.95 * static_cast<double>(angles.size()));
  EXPECT_NEAR(angle_median, angle_true_deg, 2.0);

  // Stride length by zero-velocity-updated integration, against the run's
  // own: speed x stride time. Every stride but each foot's first has one.
  const double stride_true_m = c.speed_mps * 120.0 / c.cadence_spm;
  std::vector<double> rel;
  for (const StepResult& step : a.steps) {
    if (step.stride_m) rel.push_back(*step.stride_m / stride_true_m - 1.0);
  }
  ASSERT_GE(rel.size() + 4, a.steps.size());
  double sq = 0.0, largest = 0.0;
  for (double x : rel) {
    sq += x * x;
    largest = std::max(largest, std::abs(x));
  }
  const double rms = std::sqrt(sq / static_cast<double>(rel.size()));
  std::sort(rel.begin(), rel.end());
  const double mid = rel[rel.size() / 2];
  std::printf(
      "[accuracy] %s: stride length on %zu of %zu steps: median %+.2f %%, rms %.2f %%, largest "
      "%.1f %%\n",
      case_name(c).c_str(), rel.size(), a.steps.size(), 100.0 * mid, 100.0 * rms, 100.0 * largest);
  // At 100 Hz the swing's fast rotation and the landing's transient are
  // coarsely sampled for the strapdown integration (2.5 m/s 150 spm: -2 %).
  EXPECT_LE(std::abs(mid), c.rate_hz >= 200.0 ? 0.01 : 0.03);
  EXPECT_LE(rms, c.rate_hz >= 200.0 ? 0.015 : 0.025);
}

void PrintTo(const RunCase& c, std::ostream* os) { *os << case_name(c); }

INSTANTIATE_TEST_SUITE_P(
    Grid, FeetAccuracy,
    ::testing::Values(RunCase{2.5, 150.0, FootStrikePattern::kHeel, 100.0, 40.0, 11},
                      RunCase{3.0, 160.0, FootStrikePattern::kHeel, 200.0, 40.0, 12},
                      RunCase{3.5, 170.0, FootStrikePattern::kMid, 200.0, 40.0, 13},
                      RunCase{4.0, 175.0, FootStrikePattern::kFore, 500.0, 30.0, 14},
                      RunCase{4.5, 180.0, FootStrikePattern::kMid, 100.0, 40.0, 15},
                      RunCase{5.0, 185.0, FootStrikePattern::kFore, 200.0, 40.0, 16},
                      RunCase{6.0, 200.0, FootStrikePattern::kFore, 500.0, 30.0, 17},
                      RunCase{2.5, 165.0, FootStrikePattern::kMid, 500.0, 30.0, 18},
                      RunCase{3.2, 170.0, FootStrikePattern::kHeel, 1000.0, 15.0, 19},
                      RunCase{5.5, 195.0, FootStrikePattern::kHeel, 200.0, 40.0, 20},
                      RunCase{3.0, 155.0, FootStrikePattern::kFore, 100.0, 40.0, 21},
                      RunCase{4.0, 190.0, FootStrikePattern::kHeel, 500.0, 30.0, 22},
                      // Found by a random sweep (2026-12-02): the landing's impact and
                      // the heel's after it alternated as the larger jump at 200 Hz
                      // (IC error 8.0 and 5.9 ms, cadence error 1.11 and 0.19 spm).
                      RunCase{3.78, 195.0, FootStrikePattern::kFore, 200.0, 60.0, 359066, 0.33},
                      RunCase{4.41, 192.0, FootStrikePattern::kFore, 200.0, 60.0, 70954, 0.33},
                      // And at 100 Hz (2026-12-02, fourteenth session): which pair of samples
                      // caught the impact drifted with the sampling phase, so the IC came 0-5 ms
                      // early or 14 ms late (IC error 4.1 ms, cadence error 0.55 spm before the
                      // gyro feature helped place it, ImpactPlacement).
                      RunCase{2.60, 195.4, FootStrikePattern::kMid, 100.0, 60.0, 551220, 0.29}),
    [](const ::testing::TestParamInfo<RunCase>& param) {
      const RunCase& c = param.param;
      return std::to_string(static_cast<int>(c.speed_mps * 10)) + "dmps_" +
             std::to_string(static_cast<int>(c.cadence_spm)) + "spm_" + strike_name(c.strike) +
             "_" + std::to_string(static_cast<int>(c.rate_hz)) + "Hz";
    });

// ---------------------------------------------------------------------------

sim::SimResult simulate(uint64_t seed, std::vector<sim::Stretch> schedule,
                        std::vector<sim::SensorSettings> sensors) {
  sim::SimSettings s;
  s.seed = seed;
  s.runner.schedule = std::move(schedule);
  s.sensors = std::move(sensors);
  return sim::simulate(s);
}

double median(std::vector<double> v) {
  if (v.empty()) return std::nan("");
  std::sort(v.begin(), v.end());
  return v[v.size() / 2];
}

TEST(Accuracy, OneFootOnly) {
  std::vector<sim::SensorSettings> left;
  for (const sim::SensorSettings& x : sim::feet_sensors(200.0)) {
    if (x.placement == pb::LEFT_FOOT) left.push_back(x);
  }
  ASSERT_EQ(left.size(), 1u);
  const sim::SimResult r = simulate(31, {{Activity::kRun, 40.0, 3.4, 172.0}}, left);
  const GaitAnalysis a = analyze_gait(r.session);
  EXPECT_TRUE(a.one_foot_only);
  const EventEvaluation e = evaluate_events(a.steps, truth_of_side(observable(r), pb::LEFT));
  print_eval("left foot only, 3.4 m/s 172 spm 200 Hz", e);
  EXPECT_GE(e.f1, 0.995);
  ASSERT_TRUE(e.cadence_mae_spm);
  EXPECT_LE(*e.cadence_mae_spm, 0.5);
  // The rolling cadence is twice the stride rate, not the stride rate.
  std::vector<double> cadence;
  for (const StepResult& s : a.steps) {
    EXPECT_EQ(s.event.side, pb::LEFT);
    if (s.cadence_spm) cadence.push_back(*s.cadence_spm);
  }
  ASSERT_GT(cadence.size(), 20u);
  std::printf("[accuracy] one foot: median rolling cadence %.2f spm (true 172)\n", median(cadence));
  EXPECT_NEAR(median(cadence), 172.0, 0.5);
  for (double c : cadence) EXPECT_NEAR(c, 172.0, 2.0);
}

TEST(Accuracy, WalkingIsRecognised) {
  const sim::SimResult r =
      simulate(32, {{Activity::kWalk, 30.0, 1.4, 112.0}}, sim::feet_sensors(200.0));
  const GaitAnalysis a = analyze_gait(r.session);
  const EventEvaluation e = evaluate_events(a.steps, observable(r));
  print_eval("walking 1.4 m/s 112 spm 200 Hz (feet)", e);
  ASSERT_FALSE(a.steps.empty());
  size_t walking = 0;
  for (const StepResult& s : a.steps) {
    const double ic = static_cast<double>(s.event.ic_us) * 1e-6;
    walking += s.event.activity == GaitActivity::kWalking ? 1 : 0;
    if (!contact_inside(ic, 30.0, 0.8)) continue;  // contact runs past the data
    EXPECT_EQ(s.event.activity, GaitActivity::kWalking) << "step at " << ic << " s";
  }
  std::printf("[accuracy] walking: %zu of %zu steps marked walking\n", walking, a.steps.size());
  // Not an issue target for simulated walking; the real-walking target (0.98) as a sanity floor.
  EXPECT_GE(e.f1, 0.98) << unmatched(a.steps, observable(r));
}

// A pelvis clip on a walker, and on a runner who walks first (found by `tools/step-sweep
// --transitions`, 2026-12-04). The trunk rule was written for running: a walker has no flight,
// and the 10 % crossing of the slow rise from the vault's mid-stance low lay 150-160 ms before
// every contact (F1 0 on these walks). Walking contacts are now the steepest rise between the
// body-weight crossing and the peak.
TEST(Accuracy, PelvisWhileWalking) {
  for (double rate_hz : {100.0, 200.0, 1000.0}) {
    const sim::SimResult r =
        simulate(34, {{Activity::kWalk, 40.0, 1.3, 110.0}}, sim::pelvis_sensors(rate_hz, true));
    const GaitAnalysis a = analyze_gait(r.session);
    const EventEvaluation e = evaluate_events(a.steps, observable(r));
    print_eval("walking 1.3 m/s 110 spm, pelvis accel-only " +
                   std::to_string(static_cast<int>(rate_hz)) + " Hz",
               e);
    EXPECT_GE(e.f1, 0.995) << rate_hz << " Hz\n" << unmatched(a.steps, observable(r));
    EXPECT_LE(e.cadence_mae_spm.value_or(1e9), 0.5) << rate_hz << " Hz";
    // The walking rule is observable: analyze says how many contacts it timed, and how.
    const bool said = std::any_of(a.warnings.begin(), a.warnings.end(), [](const std::string& w) {
      return w.find("walking contacts (no flight before them)") != std::string::npos;
    });
    EXPECT_TRUE(said) << rate_hz << " Hz";
  }
  const sim::SimResult r =
      simulate(35, {{Activity::kWalk, 8.0, 1.4, 110.0}, {Activity::kRun, 30.0, 3.0, 170.0}},
               sim::pelvis_sensors(250.0));
  const GaitAnalysis a = analyze_gait(r.session);
  // Matched one to one (evaluate_events): the walking contacts before 7 s against every step
  // (recall), and the steps before 6.94 s, whose match cannot lie past 7 s, against every
  // contact (precision: no false walking step).
  const std::vector<TruthEvent> all = observable(r);
  std::vector<TruthEvent> walking;
  std::copy_if(all.begin(), all.end(), std::back_inserter(walking),
               [](const TruthEvent& t) { return t.ic_s < 7.0; });
  std::vector<StepResult> early;
  std::copy_if(a.steps.begin(), a.steps.end(), std::back_inserter(early), [](const StepResult& s) {
    return static_cast<double>(s.event.ic_us) * 1e-6 < 6.94;
  });
  const EventEvaluation found = evaluate_events(a.steps, walking);
  const EventEvaluation kept = evaluate_events(early, all);
  std::printf(
      "[accuracy] pelvis, walk then run: %zu of %zu walking contacts matched, %zu of %zu "
      "early steps true\n",
      found.matched, found.steps_true, kept.matched, kept.steps_detected);
  ASSERT_GE(walking.size(), 10u);
  EXPECT_GE(found.recall, 0.99) << unmatched(a.steps, walking);
  EXPECT_GE(kept.precision, 0.99);
}

// Accelerometer-only shanks while walking. Two faults, both found by `tools/step-sweep
// --transitions --accel-only` (every walk-first shank run missed, F1 0.90-0.95):
// - The simulator's walking thigh turned from extension to flexion 43 ms after toe-off, which
//   shook the shank by 2-3 g within 20 ms, more than its heel strike; the detector took every
//   toe-off for the landing (F1 0.02 on three of these walks, 0.51 on the slow one). The thigh
//   now follows the walking hip curve (src/sim/leg_motion.cpp).
// - At 100 Hz the walking heel strike, a 4 ms spike of 1.5 g, is sampled at 0.28-0.35 g in
//   about a third of the strides, under the 0.6 g impact level: those strides had no landing
//   (F1 0.82 and 0.78 on the two 100 Hz walks here). Such a jump is now taken where the stride
//   rhythm expects it, and only where no jump reaches the level (weak_min_g).
TEST(Accuracy, AccelerometerOnlyShanksWhileWalking) {
  struct Case {
    double rate_hz, speed_mps, cadence_spm;
    uint64_t seed;
  };
  const Case cases[] = {{100.0, 1.3, 110.0, 41},
                        {100.0, 0.9, 95.0, 42},
                        {200.0, 1.3, 110.0, 43},
                        {1000.0, 1.6, 118.0, 44}};
  for (const Case& c : cases) {
    sim::SimSettings s;
    s.seed = c.seed;
    s.runner.schedule = {{Activity::kWalk, 60.0, c.speed_mps, c.cadence_spm}};
    s.sensors = sim::shank_sensors(c.rate_hz, /*accel_only=*/true);
    for (sim::SensorSettings& sensor : s.sensors) {
      sensor.errors = sim::scale_noise(sim::SensorErrorSettings{}, 2.0);
      sensor.errors.mounting_rotation_max_deg = 180.0;
    }
    const sim::SimResult r = sim::simulate(s);
    const GaitAnalysis a = analyze_gait(r.session);
    const EventEvaluation e = evaluate_events(a.steps, observable(r));
    char label[96];
    std::snprintf(label, sizeof label, "walking %.1f m/s %.0f spm, shanks accel-only %.0f Hz",
                  c.speed_mps, c.cadence_spm, c.rate_hz);
    print_eval(label, e);
    EXPECT_GE(e.f1, 0.98) << label << unmatched(a.steps, observable(r));
    EXPECT_LE(e.cadence_mae_spm.value_or(1e9), 1.0) << label;
  }
}

TEST(Accuracy, CadenceFollowsASpeedChange) {
  const sim::SimResult r =
      simulate(33, {{Activity::kRun, 20.0, 3.0, 160.0}, {Activity::kRun, 20.0, 4.5, 182.0}},
               sim::feet_sensors(200.0));
  const GaitAnalysis a = analyze_gait(r.session);
  const std::vector<TruthEvent> truth = observable(r);
  const EventEvaluation e = evaluate_events(a.steps, truth);
  print_eval("3.0 m/s 160 spm -> 4.5 m/s 182 spm 200 Hz", e);
  EXPECT_GE(e.f1, 0.995);
  ASSERT_TRUE(e.cadence_mae_spm);
  EXPECT_LE(*e.cadence_mae_spm, 0.5);
  // Each step's rolling cadence against the truth cadence over the same 10
  // contacts (the truth contacts the step and its 9 predecessors match).
  double worst = 0.0, sum = 0.0;
  size_t n = 0;
  std::vector<double> early, late;
  for (const StepResult& s : a.steps) {
    if (!s.cadence_spm) continue;
    const double t = static_cast<double>(s.event.ic_us) * 1e-6;
    size_t k = 0;
    for (size_t i = 0; i < truth.size(); ++i) {
      if (std::abs(truth[i].ic_s - t) < std::abs(truth[k].ic_s - t)) k = i;
    }
    if (std::abs(truth[k].ic_s - t) > 0.06 || k < 9) continue;
    const double c_true = 60.0 * 9.0 / (truth[k].ic_s - truth[k - 9].ic_s);
    const double err = std::abs(*s.cadence_spm - c_true);
    worst = std::max(worst, err);
    sum += err;
    ++n;
    if (t > 10.0 && t < 18.0) early.push_back(*s.cadence_spm);
    if (t > 30.0 && t < 39.0) late.push_back(*s.cadence_spm);
  }
  ASSERT_GT(n, 80u);
  std::printf(
      "[accuracy] speed change: rolling cadence error mean %.3f max %.3f spm over %zu steps; "
      "plateaus %.2f / %.2f spm (true 160 / 182)\n",
      sum / static_cast<double>(n), worst, n, median(early), median(late));
  EXPECT_LE(sum / static_cast<double>(n), 0.5);
  EXPECT_LE(worst, 2.0);
  EXPECT_NEAR(median(early), 160.0, 1.0);
  EXPECT_NEAR(median(late), 182.0, 1.0);
}

// Tibial shock (peak axial acceleration after IC, in g) is read for what it
// changes with: the landing's severity. The simulated shank impact is 6, 4.5
// and 3 g for heel, midfoot and forefoot strikes at 3 m/s and grows in
// proportion to speed (src/sim/impact.cpp); at 1 kHz the peak is sampled.
TEST(Accuracy, TibialShockTracksTheLanding) {
  const auto says_shock_reads_low = [](const GaitAnalysis& a) {
    return std::any_of(a.warnings.begin(), a.warnings.end(), [](const std::string& w) {
      return w.find("tibial shock") != std::string::npos;
    });
  };
  const auto shock = [&](double speed, FootStrikePattern strike, double rate_hz = 1000.0) {
    sim::SimSettings s;
    s.seed = 35;
    s.runner.schedule = {{Activity::kRun, 30.0, speed, 170.0}};
    s.runner.foot_strike = strike;
    s.sensors = sim::shank_sensors(rate_hz);
    const GaitAnalysis a = analyze_gait(sim::simulate(s).session);
    // Under 1 kHz the peak is caught at a varying phase, and the output says so.
    EXPECT_EQ(says_shock_reads_low(a), rate_hz < 1000.0) << rate_hz << " Hz";
    std::vector<double> g;
    for (const StepResult& step : a.steps) {
      if (step.shock_g) g.push_back(*step.shock_g);
    }
    EXPECT_GE(g.size() + 4, a.steps.size());
    return median(g);
  };
  const double heel3 = shock(3.0, FootStrikePattern::kHeel);
  const double mid3 = shock(3.0, FootStrikePattern::kMid);
  const double fore3 = shock(3.0, FootStrikePattern::kFore);
  const double heel5 = shock(5.0, FootStrikePattern::kHeel);
  const double heel3_200hz = shock(3.0, FootStrikePattern::kHeel, 200.0);
  std::printf(
      "[accuracy] tibial shock at 1 kHz, median g: 3 m/s heel %.2f mid %.2f fore %.2f "
      "(simulated impact 6 / 4.5 / 3), 5 m/s heel %.2f (10); 3 m/s heel at 200 Hz %.2f\n",
      heel3, mid3, fore3, heel5, heel3_200hz);
  EXPECT_GT(heel3, mid3 + 0.5);
  EXPECT_GT(mid3, fore3 + 0.5);
  EXPECT_NEAR(heel5 / heel3, 5.0 / 3.0, 0.2);
  EXPECT_NEAR(heel3, 6.0, 1.5);
}

// Left/right contact-time balance per window: the simulated left contact is
// longer than the right by asymmetry_pct (mean unchanged), so the left share
// is (1 + a) / (2 + a): 51.92 % for 8 %, 50 % without.
TEST(Accuracy, ContactBalanceShowsTheLongerSide) {
  for (const double asym_pct : {0.0, 8.0, -15.0}) {
    sim::SimSettings s;
    s.seed = 36;
    s.runner.schedule = {{Activity::kRun, 60.0, 3.4, 172.0}};
    s.runner.asymmetry_pct = asym_pct;
    s.sensors = sim::feet_sensors(200.0);
    const GaitAnalysis a = analyze_gait(sim::simulate(s).session);
    std::vector<double> balance;
    for (const StepResult& step : a.steps) {
      if (step.window_contact_balance_left_pct) {
        balance.push_back(*step.window_contact_balance_left_pct);
      }
    }
    ASSERT_GT(balance.size(), 150u) << asym_pct << " %";
    const double x = asym_pct / 100.0;
    const double truth_pct = 100.0 * (1.0 + x) / (2.0 + x);
    std::sort(balance.begin(), balance.end());
    const double mid = balance[balance.size() / 2];
    std::printf(
        "[accuracy] contact balance, left %+.0f %%: median left share %.2f %% (%.2f-%.2f over %zu "
        "10-step windows; true %.2f %%)\n",
        asym_pct, mid, balance.front(), balance.back(), balance.size(), truth_pct);
    EXPECT_NEAR(mid, truth_pct, 0.2) << asym_pct << " %";
    EXPECT_NEAR(balance.front(), truth_pct, 0.5) << asym_pct << " %";
    EXPECT_NEAR(balance.back(), truth_pct, 0.5) << asym_pct << " %";
  }
}

TEST(Accuracy, TreadmillSpeedGivesStrideLengthFromShanks) {
  const double speed = 3.5;
  sim::SimResult r =
      simulate(34, {{Activity::kRun, 30.0, speed, 168.0}}, sim::shank_sensors(200.0));
  r.session.header.set_treadmill_speed_mps(speed);
  const GaitAnalysis a = analyze_gait(r.session);
  const EventEvaluation e = evaluate_events(a.steps, observable(r));
  print_eval("shanks, treadmill 3.5 m/s 168 spm 200 Hz", e);
  EXPECT_GE(e.f1, 0.99) << unmatched(a.steps, observable(r));
  const double stride_true_m = speed * 120.0 / 168.0;
  std::vector<double> strides;
  for (size_t i = 0; i < a.steps.size(); ++i) {
    const StepResult& s = a.steps[i];
    if (!s.stride_m) continue;
    strides.push_back(*s.stride_m);
    // The stride time this step closes: the detector's own when it gives
    // one, else back to this foot's previous IC.
    std::optional<double> stride_s;
    if (s.event.stride_time_ms) {
      stride_s = *s.event.stride_time_ms * 1e-3;
    } else {
      for (size_t j = i; j-- > 0;) {
        if (a.steps[j].event.side == s.event.side) {
          stride_s = static_cast<double>(s.event.ic_us - a.steps[j].event.ic_us) * 1e-6;
          break;
        }
      }
    }
    const double ic = static_cast<double>(s.event.ic_us) * 1e-6;
    if (stride_s) {
      EXPECT_NEAR(*s.stride_m, speed * *stride_s, 1e-6)
          << "step at " << ic << " s: stride_m is not speed x stride time (" << *stride_s << " s)";
    }
    EXPECT_NEAR(*s.stride_m, stride_true_m, 0.05) << "step at " << ic << " s";
  }
  EXPECT_GE(static_cast<double>(strides.size()), 0.95 * static_cast<double>(a.steps.size()));
  std::printf("[accuracy] treadmill: %zu of %zu steps with stride, median %.3f m (true %.3f)\n",
              strides.size(), a.steps.size(), median(strides), stride_true_m);
  EXPECT_NEAR(median(strides), stride_true_m, 0.01 * stride_true_m);
}

// Feet and knee sleeves together: the shank's IC of a contact can lead or
// trail the foot's by more than the 80 ms duplicate window (seen at 150-165 ms
// here), and each such report used to count as a step of its own (cadence read
// 240-280 steps/min). The foot's report supersedes the shank's on the same leg.
TEST(Accuracy, FeetWithKneeSleevesCountEachContactOnce) {
  struct Case {
    double speed_mps, cadence_spm, knee_ic_deg;
    uint64_t seed;
  };
  for (const Case& c : {Case{4.5, 185.0, 15.0, 5}, Case{3.0, 160.0, 5.0, 2},
                        Case{3.4, 145.0, 15.0, 1}, Case{3.0, 165.0, 8.0, 3}}) {
    sim::SimSettings s;
    s.seed = c.seed;
    s.runner.schedule = {{sim::Activity::kStand, 5.0, 0.0, 0.0},
                         {sim::Activity::kRun, 60.0, c.speed_mps, c.cadence_spm}};
    s.runner.knee_flexion_ic_deg = c.knee_ic_deg;
    s.sensors = sim::shoe_and_sleeve_sensors(200.0);
    const sim::SimResult r = sim::simulate(s);
    const GaitAnalysis a = analyze_gait(r.session);
    const EventEvaluation e = evaluate_events(a.steps, *r.truth.events);
    std::printf(
        "[feet+sleeves] %.1f m/s %.0f spm knee IC %.0f deg seed %llu: %zu / %zu steps, "
        "F1 %.4f, cadence error %.2f steps/min\n",
        c.speed_mps, c.cadence_spm, c.knee_ic_deg, static_cast<unsigned long long>(c.seed),
        e.steps_true, e.steps_detected, e.f1, e.cadence_mae_spm.value_or(-1.0));
    EXPECT_GE(e.f1, 0.99);
    EXPECT_LE(e.cadence_mae_spm.value_or(1e9), 0.5);
  }
}

TEST(Accuracy, PelvisAccelerometerOnly) {
  // The contact time is flagged unreliable but must still be this contact's:
  // ended where the flight begins, not at a dip inside stance or at the next
  // landing (which gave 190-210 ms errors when the force unloaded before the
  // impact peak was confirmed).
  struct Case {
    double rate_hz, speed_mps, cadence_spm;
  };
  uint64_t seed = 34;
  for (const Case c : {Case{200.0, 3.3, 172.0}, Case{100.0, 3.5, 172.0}, Case{500.0, 4.5, 184.0}}) {
    std::vector<sim::SensorSettings> sensors = sim::pelvis_sensors(c.rate_hz, /*accel_only=*/true);
    ASSERT_EQ(sensors.size(), 1u);
    ASSERT_EQ(sensors[0].gyro_range_dps, 0u);
    const sim::SimResult r =
        simulate(++seed, {{Activity::kRun, 40.0, c.speed_mps, c.cadence_spm}}, sensors);
    const GaitAnalysis a = analyze_gait(r.session);
    const EventEvaluation e = evaluate_events(a.steps, observable(r));
    char label[80];
    std::snprintf(label, sizeof label, "pelvis accel-only %.1f m/s %.0f spm %.0f Hz", c.speed_mps,
                  c.cadence_spm, c.rate_hz);
    print_eval(label, e);
    EXPECT_GE(e.f1, 0.98) << label;
    ASSERT_TRUE(e.cadence_mae_spm) << label;
    EXPECT_LE(*e.cadence_mae_spm, 1.0) << label;
    ASSERT_TRUE(e.contact_mae_ms) << label;
    EXPECT_LE(*e.contact_mae_ms, 40.0) << label;
    const auto with_to = std::count_if(a.steps.begin(), a.steps.end(), [](const StepResult& s) {
      return s.event.to_us.has_value();
    });
    EXPECT_GE(static_cast<size_t>(with_to) + 2, a.steps.size()) << label;
    for (const StepResult& s : a.steps) EXPECT_FALSE(s.event.contact_time_reliable) << label;
  }
}

// One 60 s run of the random sweep (tools/step-sweep) with the CLI's sensor errors: default
// noise, mounting rotations up to mounting_max_deg. Checks the issue's F1 and cadence targets, and
// at 200 Hz and above its IC target.
struct SweepRun {
  double speed_mps, cadence_spm;
  FootStrikePattern strike;
  double mounting_max_deg;
  uint64_t seed;
  double duty_factor;
};

/// Simulates a sweep's run with the CLI's sensor errors and expects the issue's targets; returns
/// the analysis and its evaluation for checks of a test's own.
std::pair<GaitAnalysis, EventEvaluation> expect_sweep_run_meets_targets(
    const char* sensor_name, const SweepRun& c, std::vector<sim::SensorSettings> sensors) {
  sim::SimSettings s;
  s.seed = c.seed;
  s.runner.schedule = {{Activity::kRun, 60.0, c.speed_mps, c.cadence_spm}};
  s.runner.foot_strike = c.strike;
  s.runner.duty_factor = c.duty_factor;
  for (sim::SensorSettings& sensor : sensors) {
    sensor.errors.mounting_rotation_max_deg = c.mounting_max_deg;
  }
  s.sensors = std::move(sensors);
  const sim::SimResult r = sim::simulate(s);
  const GaitAnalysis a = analyze_gait(r.session);
  const EventEvaluation e = evaluate_events(a.steps, observable(r));
  const double rate_hz = s.sensors.front().rate_hz;
  char name[96];
  std::snprintf(name, sizeof name, "%s %.2f m/s %.0f spm %.0f Hz seed %llu", sensor_name,
                c.speed_mps, c.cadence_spm, rate_hz, static_cast<unsigned long long>(c.seed));
  print_eval(name, e);
  EXPECT_GE(e.f1, 0.995) << name << unmatched(a.steps, observable(r));
  EXPECT_LE(e.cadence_mae_spm.value_or(1e9), 0.5) << name;
  if (rate_hz >= 200.0) {
    EXPECT_LE(e.ic_mae_ms.value_or(1e9), 5.0) << name;
  }
  return {a, e};
}

// A pelvis clip at 100 Hz, runs found by the random sweep (tools/step-sweep, 2026-12-02) with
// the CLI's sensor errors. The simulated trunk shows an impact spike of a few milliseconds and a
// rebound below free fall after it, caught or missed as the sampling phase drifts; the onset of
// the rise followed them, 7 ms early or 11 ms late (cadence error 0.61 and 0.72 spm). The
// crossing of body weight in the middle of the rise is steady, and ImpactPlacement leans on it.
TEST(Accuracy, PelvisAt100HzKeepsTheCadence) {
  for (const SweepRun& c : {SweepRun{4.40, 199.8, FootStrikePattern::kMid, 90.0, 558239, 0.34},
                            SweepRun{3.69, 199.7, FootStrikePattern::kHeel, 30.0, 58240, 0.25},
                            SweepRun{4.81, 182.1, FootStrikePattern::kHeel, 90.0, 590521, 0.39}}) {
    expect_sweep_run_meets_targets("pelvis", c, sim::pelvis_sensors(100.0));
  }
}

// A pelvis clip at 102.4 Hz (hold-out sweep `tools/step-sweep --seed 5252 --rates any`, run
// --seed 785062, forty-seventh session). Unsmoothed at that rate, the landing's spike was caught
// whole in one sample on some strides (1.88 g between 0.04 g of flight and -0.39 g of rebound),
// about as high as the loading peak 0.15 s later (1.99 g). Taken for that peak, it was confirmed
// before the loading rise passed it and the contact was timed from the spike's own body-weight
// crossing, 36 ms early (cadence error 0.53 steps/min, IC error 10.7 ms). A candidate between two
// samples under 1 g is now no loading peak, and the warning counts those passed over.
TEST(Accuracy, PelvisLandingSpikeInOneSampleIsNoLoadingPeak) {
  const auto [a, e] = expect_sweep_run_meets_targets(
      "pelvis", {4.97, 152.4, FootStrikePattern::kHeel, 90.0, 785062, 0.38},
      sim::pelvis_sensors(102.4));
  // Not an issue target under 200 Hz; the early contacts had made it 10.7 ms.
  EXPECT_LE(e.ic_mae_ms.value_or(1e9), 5.0);
  EXPECT_TRUE(std::any_of(a.warnings.begin(), a.warnings.end(), [](const std::string& w) {
    return w.find("single samples of the trunk's force") != std::string::npos;
  })) << "the spikes passed over are counted in a warning";
}

// A pelvis clip at 200 Hz and above, runs of the random sweep (2026-12-02). The simulated trunk's
// landing is a spike of about 3 ms with a rebound below free fall after it; the onset of the rise
// measured from that rebound came 10-14 ms after the contact at every rate. The IC is now the
// landing's first sharp rise, and where the samples miss the spike ImpactPlacement takes the lag
// from the strides that caught it (a missed spike is seen late, never early). Before: IC error
// 10.2-13.7 ms on these runs; with the first rise but the plain mean lag, 5.5-6.0 ms on the
// three 200 Hz runs.
TEST(Accuracy, PelvisMeetsTheIcTargetAt200HzAndAbove) {
  struct RateRun {
    double rate_hz;
    SweepRun run;
  };
  for (const RateRun& c :
       {RateRun{200.0, {5.29, 179.8, FootStrikePattern::kFore, 180.0, 834432, 0.26}},
        RateRun{200.0, {2.94, 156.2, FootStrikePattern::kMid, 180.0, 534496, 0.30}},
        RateRun{200.0, {2.91, 167.2, FootStrikePattern::kMid, 180.0, 625022, 0.29}},
        RateRun{500.0, {2.58, 185.2, FootStrikePattern::kHeel, 30.0, 36263, 0.31}},
        RateRun{1000.0, {3.15, 176.2, FootStrikePattern::kHeel, 30.0, 463927, 0.39}}}) {
    expect_sweep_run_meets_targets("pelvis", c.run, sim::pelvis_sensors(c.rate_hz));
  }
}

// Shoes without a gyroscope held to the issue's targets, on runs where the landing was timed
// 5-10 ms off before 2026-12-03 (nineteenth session). The landing was the onset of the largest
// change of specific force over 10 ms: a mid or forefoot landing's heel drop 10-20 ms after the
// first transient can be the larger, and the foot's deceleration just before landing changes
// the force by a quarter of the impact's over 10 ms, so the onset walked back into the swing.
// It is now timed on sample-to-sample jumps, at the first that reaches half the largest.
TEST(Accuracy, ShoeAccelerometerOnlyMeetsTheTargets) {
  struct RateRun {
    double rate_hz;
    SweepRun run;
  };
  for (const RateRun& c : {RateRun{200.0, {4.5, 177.7, FootStrikePattern::kMid, 30.0, 9, 0.35}},
                           RateRun{200.0, {4.5, 163.3, FootStrikePattern::kFore, 30.0, 9, 0.35}},
                           RateRun{500.0, {4.5, 177.7, FootStrikePattern::kFore, 30.0, 9, 0.35}},
                           RateRun{1000.0, {3.0, 177.7, FootStrikePattern::kMid, 30.0, 9, 0.35}},
                           RateRun{100.0, {4.5, 177.7, FootStrikePattern::kFore, 30.0, 9, 0.35}}}) {
    expect_sweep_run_meets_targets("shoes accel-only", c.run,
                                   sim::feet_sensors(c.rate_hz, /*accel_only=*/true));
  }
}

// A fast runner's shoes without gyroscopes at the low rates of real IMUs (100, 104 and 128 Hz):
// contacts of 160 ms (duty factor 0.26 at 4.1 m/s) leave the foot flat for about 45 ms, four
// or five samples. Found by the random sweep over real IMU rates (tools/step-sweep --rates any
// --accel-only, seed 404): measured from the first still sample to the last, those rests fell
// short of the rest length, and most steps were lost (F1 0.78, 0 and 0.32; see
// FootRestDetectorSettings::rest_min_s).
TEST(Accuracy, ShoeAccelerometerOnlyFastRunnerAtLowRates) {
  for (const double rate_hz : {100.0, 104.0, 128.0}) {
    expect_sweep_run_meets_targets(
        "shoes accel-only", SweepRun{4.14, 185.6, FootStrikePattern::kHeel, 90.0, 449820, 0.26},
        sim::feet_sensors(rate_hz, /*accel_only=*/true));
  }
}

// Shanks at 200 Hz where a step is a whole number of samples (150 and 200 steps/min): the
// simulator's strides are exactly periodic, so every stride is sampled at the same phase. The
// simulated shock lasts about 4 ms; where the samples only graze it, the loading rise 10-15 ms
// later is the largest jump, and taking the largest put every contact 12.4 ms late on both runs
// (before 2026-12-03, nineteenth session). The contact is now the first rise along the tibia
// within 20 ms before the largest that reaches 0.3 of it.
TEST(Accuracy, ShankAtCadencesLockedToTheSampleRate) {
  for (const SweepRun& c : {SweepRun{3.0, 200.0, FootStrikePattern::kHeel, 30.0, 7, 0.35},
                            SweepRun{3.0, 150.0, FootStrikePattern::kFore, 30.0, 7, 0.35}}) {
    expect_sweep_run_meets_targets("shanks", c, sim::shank_sensors(200.0));
  }
}

// A shoe pod without a gyroscope (FootRestStepDetector): steps from the
// landing impact and the rest that follows, at every rate and foot strike
// the issue names, and in walking. Steps and cadence only: the side is the
// shoe's, and no toe-off or contact time is claimed.
TEST(Accuracy, ShoeAccelerometerOnly) {
  struct Case {
    Activity activity;
    double rate_hz, speed_mps, cadence_spm;
    sim::FootStrikePattern strike;
  };
  const Case cases[] = {
      {Activity::kRun, 100.0, 2.6, 160.0, sim::FootStrikePattern::kHeel},
      {Activity::kRun, 200.0, 3.3, 172.0, sim::FootStrikePattern::kMid},
      {Activity::kRun, 1000.0, 4.5, 180.0, sim::FootStrikePattern::kFore},
      {Activity::kRun, 500.0, 5.5, 190.0, sim::FootStrikePattern::kHeel},
      {Activity::kWalk, 200.0, 1.4, 110.0, sim::FootStrikePattern::kHeel},
  };
  uint64_t seed = 60;
  for (const Case& c : cases) {
    sim::SimSettings s;
    s.seed = ++seed;
    s.runner.foot_strike = c.strike;
    s.runner.schedule = {{Activity::kStand, 3.0, 0.0, 0.0},
                         {c.activity, 40.0, c.speed_mps, c.cadence_spm}};
    s.sensors = sim::feet_sensors(c.rate_hz, /*accel_only=*/true);
    const sim::SimResult r = sim::simulate(s);
    const GaitAnalysis a = analyze_gait(r.session);
    const EventEvaluation e = evaluate_events(a.steps, observable(r));
    char label[96];
    std::snprintf(label, sizeof label, "shoes accel-only %s %.0f Hz %.1f m/s %.0f spm",
                  c.activity == Activity::kRun ? "run" : "walk", c.rate_hz, c.speed_mps,
                  c.cadence_spm);
    print_eval(label, e);
    EXPECT_GE(e.f1, 0.98) << label;
    ASSERT_TRUE(e.cadence_mae_spm) << label;
    EXPECT_LE(*e.cadence_mae_spm, 1.0) << label;
    EXPECT_EQ(std::count_if(a.warnings.begin(), a.warnings.end(),
                            [](const std::string& w) {
                              return w.find("accelerometer only") != std::string::npos;
                            }),
              2)
        << label;
    for (const StepResult& step : a.steps) {
      EXPECT_NE(step.event.side, pb::SIDE_UNKNOWN) << label;
      EXPECT_FALSE(step.event.to_us) << label;
      EXPECT_FALSE(step.event.contact_time_reliable) << label;
    }
  }
}

/// A 60 s run at one speed and cadence; every sensor's noise, bias and scale error times
/// noise_scale, and its mounting up to mounting_max_deg off.
sim::SimSettings steady_run(uint64_t seed, double speed_mps, double cadence_spm, double duty_factor,
                            FootStrikePattern strike, std::vector<sim::SensorSettings> sensors,
                            double noise_scale, double mounting_max_deg) {
  sim::SimSettings s;
  s.seed = seed;
  s.runner.schedule = {{Activity::kRun, 60.0, speed_mps, cadence_spm}};
  s.runner.duty_factor = duty_factor;
  s.runner.foot_strike = strike;
  s.sensors = std::move(sensors);
  for (sim::SensorSettings& sensor : s.sensors) {
    sensor.errors = sim::scale_noise(sim::SensorErrorSettings{}, noise_scale);
    sensor.errors.mounting_rotation_max_deg = mounting_max_deg;
  }
  return s;
}

/// A simulated run analysed and scored against its observable truth, its scores printed.
struct ScoredRun {
  GaitAnalysis analysis;
  std::vector<TruthEvent> truth;
  EventEvaluation eval;
};

ScoredRun score_run(const std::string& label, const sim::SimSettings& s) {
  const sim::SimResult r = sim::simulate(s);
  ScoredRun out{analyze_gait(r.session), observable(r), {}};
  out.eval = evaluate_events(out.analysis.steps, out.truth);
  print_eval(label, out.eval);
  return out;
}

/// The issue's simulated targets at 200 Hz and above on a scored run; the contact time only
/// where a foot sensor measures it.
void expect_issue_targets(const ScoredRun& run, bool foot_contact) {
  const EventEvaluation& e = run.eval;
  EXPECT_GE(e.f1, 0.995) << unmatched(run.analysis.steps, run.truth);
  EXPECT_LE(e.cadence_mae_spm.value_or(1e9), 0.5);
  EXPECT_LE(e.ic_mae_ms.value_or(1e9), 5.0);
  if (foot_contact) {
    EXPECT_LE(e.contact_mae_ms.value_or(1e9), 10.0);
  }
}

/// How a sweep run's runner moves into the contact (`tools/step-sweep --runner-variety`).
void set_leg_into_contact(sim::RunnerSettings& r, double knee_ic_deg, double extension_deg,
                          double swing_share, double rise_ms) {
  r.knee_flexion_ic_deg = knee_ic_deg;
  r.knee_terminal_extension_deg = extension_deg;
  r.knee_terminal_swing_share = swing_share;
  r.impact_rise_ms = rise_ms;
}

// Two gyro foot runs of a random sweep (`tools/step-sweep --seed 707`), each with the sweep's
// own sensor errors.
// - 1 kHz, forefoot, 157 ms contacts, twice the default noise, foot and leg sensors: the right
//   foot's swing ended with its pitch rate passing through zero just before the contact, as
//   still as mid-stance for one sample, and the forefoot's heel coming down after it voted for
//   the wrong sign on every stance. Every right contact came out 0.3 s late (F1 0.510, cadence
//   error 18.6 steps/min). A stillness that votes is now held for 10 ms on either side.
// - 100 Hz, forefoot, three times the default noise: where a landing spike fell between two
//   samples and the next rise fell beyond the impact search, the contact was timed at the gyro
//   feature, which comes about 50 ms before a forefoot contact: three contacts 62-64 ms early
//   (F1 0.981). It is the feature less the recent strides' lag now.
TEST(Accuracy, ForefootFeetWithTwoToThreeTimesTheNoise) {
  struct Case {
    const char* sensors;
    double rate_hz, speed_mps, cadence_spm, duty_factor, noise_scale, mounting_max_deg;
    uint64_t seed;
  };
  const Case cases[] = {
      {"shoe+sleeve", 1000.0, 2.68, 171.7, 0.27, 2.0, 90.0, 125814},
      {"feet", 100.0, 5.32, 155.2, 0.39, 3.0, 90.0, 296313},
  };
  for (const Case& c : cases) {
    const sim::SimResult r = sim::simulate(
        steady_run(c.seed, c.speed_mps, c.cadence_spm, c.duty_factor, FootStrikePattern::kFore,
                   std::string(c.sensors) == "feet" ? sim::feet_sensors(c.rate_hz)
                                                    : sim::shoe_and_sleeve_sensors(c.rate_hz),
                   c.noise_scale, c.mounting_max_deg));
    const GaitAnalysis a = analyze_gait(r.session);
    const EventEvaluation e = evaluate_events(a.steps, observable(r));
    char label[96];
    std::snprintf(label, sizeof label, "%s %.0f Hz fore, noise x%.0f", c.sensors, c.rate_hz,
                  c.noise_scale);
    print_eval(label, e);
    EXPECT_GE(e.f1, 0.995) << label << unmatched(a.steps, observable(r));
    EXPECT_LE(e.cadence_mae_spm.value_or(1e9), 0.5) << label;
  }
}

// Two faults of accelerometer-only shoes from the sweep of 2026-12-04 (seed 1010,
// docs/ACCURACY.md):
// - 250 Hz, three times the default noise, bias and scale error: the left shoe read 1.07-1.08 g
//   while still, and its noise took samples over the rest test's 1.1 g often enough to lose 5 of
//   91 rests (F1 0.986, cadence error 4.5 steps/min). Rests are judged against what the shoe
//   reads at rest now, and the offset is said.
// - 104 Hz: a landing whose impact was half its usual size lost to a larger change in the swing
//   before it, which put the step under the stride gate, and it was dropped (one step on each
//   foot, cadence error 2.33 steps/min). The impact is not looked for within a shortest stride
//   of the last landing now. (Its cadence error is 0.53 steps/min: at 104 Hz the swing's
//   deceleration is as steep as a landing that fell between samples; not held here.)
// - 416 Hz, three times the noise (hold-out sweep of 2026-12-05, seed 8383): the left shoe
//   read 0.88-0.94 g while still, under the band around the first rest level (1 g), so it never
//   found a first rest to learn its level from: no left step at all (F1 0.669, cadence error
//   82 steps/min). Its first level is now taken from a still moment outside the band.
TEST(Accuracy, AccelerometerOnlyShoesOffOneGAndWeakLandings) {
  struct Case {
    double rate_hz, speed_mps, cadence_spm, duty_factor, noise_scale, mounting_max_deg;
    FootStrikePattern strike;
    uint64_t seed;
    double cadence_max_spm;
  };
  const Case cases[] = {
      {250.0, 5.74, 181.7, 0.40, 3.0, 90.0, FootStrikePattern::kMid, 778544, 0.5},
      {104.0, 4.57, 188.3, 0.39, 1.0, 180.0, FootStrikePattern::kMid, 574019, 1.0},
      {416.0, 3.49, 164.7, 0.25, 3.0, 90.0, FootStrikePattern::kHeel, 351224, 0.5},
  };
  for (const Case& c : cases) {
    const sim::SimResult r = sim::simulate(steady_run(
        c.seed, c.speed_mps, c.cadence_spm, c.duty_factor, c.strike,
        sim::feet_sensors(c.rate_hz, /*accel_only=*/true), c.noise_scale, c.mounting_max_deg));
    const GaitAnalysis a = analyze_gait(r.session);
    const EventEvaluation e = evaluate_events(a.steps, observable(r));
    char label[96];
    std::snprintf(label, sizeof label, "shoes accel-only %.0f Hz, noise x%.0f", c.rate_hz,
                  c.noise_scale);
    print_eval(label, e);
    EXPECT_GE(e.f1, 0.995) << label << unmatched(a.steps, observable(r));
    EXPECT_LE(e.cadence_mae_spm.value_or(1e9), c.cadence_max_spm) << label;
    if (c.noise_scale > 1.0) {
      EXPECT_TRUE(std::any_of(a.warnings.begin(), a.warnings.end(), [](const std::string& w) {
        return w.find("a still foot reads") != std::string::npos;
      })) << label;
    }
  }
}

// Accelerometer-only shoes with three times the noise that stand and then run (transitions
// sweeps 2424 and 2626, thirty-sixth session): a running foot's rest is barely longer than
// FootRestDetectorSettings::rest_min_s, and one sample whose change over the lag read 0.106-0.116
// g (the others 0.01-0.09 g) split it into two pieces too short for a rest, so the step was lost:
// one contact in 60 s on each run, cadence error 0.96-2.0 steps/min. A still run is now held
// with looser limits once it has begun (rest_hold_factor).
TEST(Accuracy, AccelerometerOnlyShoeRestThroughANoisySample) {
  struct Case {
    double rate_hz, speed_mps, cadence_spm, duty_factor, stand_s, cadence_drift_spm;
    FootStrikePattern strike;
    uint64_t seed;
    bool both_feet;
  };
  const Case cases[] = {
      {833.0, 5.01, 195.9, 0.27, 10.0, 0.0, FootStrikePattern::kFore, 432816, true},
      {250.0, 2.65, 192.0, 0.26, 3.0, 0.0, FootStrikePattern::kHeel, 179529, true},
      {256.0, 5.61, 183.8, 0.31, 3.0, 10.0, FootStrikePattern::kHeel, 721920, false},
      {102.4, 5.05, 174.9, 0.26, 10.0, 0.0, FootStrikePattern::kFore, 159443, false},
  };
  for (const Case& c : cases) {
    std::vector<sim::SensorSettings> sensors = sim::feet_sensors(c.rate_hz, /*accel_only=*/true);
    if (!c.both_feet) sensors.resize(1);
    sim::SimSettings s =
        steady_run(c.seed, c.speed_mps, c.cadence_spm, c.duty_factor, c.strike, sensors, 3.0, 90.0);
    s.runner.schedule = {{Activity::kStand, c.stand_s, 0.0, 0.0},
                         {Activity::kRun, 60.0, c.speed_mps, c.cadence_spm}};
    s.runner.cadence_drift_spm = c.cadence_drift_spm;
    const sim::SimResult r = sim::simulate(s);
    const GaitAnalysis a = analyze_gait(r.session);
    const std::vector<TruthEvent> truth =
        c.both_feet ? observable(r) : truth_of_side(observable(r), pb::LEFT);
    const EventEvaluation e = evaluate_events(a.steps, truth);
    char label[96];
    std::snprintf(label, sizeof label, "%s accel-only %.1f Hz, noise x3, from standing",
                  c.both_feet ? "shoes" : "left shoe", c.rate_hz);
    print_eval(label, e);
    EXPECT_EQ(e.matched, e.steps_true) << label << unmatched(a.steps, truth);
    EXPECT_LE(e.cadence_mae_spm.value_or(1e9), 0.5) << label;
  }
}

// An accelerometer-only shoe whose landing spike the samples miss. At 100 Hz on short contacts
// (195.7 steps/min, duty factor 0.25) the phase comes round every three strides, and in
// stretches one stride in three showed a jump of 2.4 g against 23 g: its rest was not counted
// (F1 0.886, cadence error 38.9 steps/min). The rest where the rhythm expects a landing counts
// now. And a landing in the last 40 ms of the data, where no rest can follow, was lost on any
// single-shoe run (F1 0.994 at 1000 Hz); it is claimed on its impact now. Both are said.
TEST(Accuracy, AccelerometerOnlyShoeLandingBetweenSamples) {
  struct Case {
    double rate_hz, speed_mps, cadence_spm, duty_factor, mounting_max_deg;
    sim::FootStrikePattern strike;
    uint64_t seed;
    bool weak_impacts;  ///< some landings' impacts fall between samples
  };
  const Case cases[] = {
      {100.0, 4.12, 195.7, 0.25, 90.0, sim::FootStrikePattern::kMid, 488151, true},
      {1000.0, 3.80, 167.6, 0.36, 180.0, sim::FootStrikePattern::kFore, 91349, false},
  };
  for (const Case& c : cases) {
    sim::SimSettings s;
    s.seed = c.seed;
    s.runner.schedule = {{Activity::kRun, 60.0, c.speed_mps, c.cadence_spm}};
    s.runner.duty_factor = c.duty_factor;
    s.runner.foot_strike = c.strike;
    s.sensors = {sim::feet_sensors(c.rate_hz, /*accel_only=*/true).at(0)};
    s.sensors[0].errors.mounting_rotation_max_deg = c.mounting_max_deg;
    const sim::SimResult r = sim::simulate(s);
    const GaitAnalysis a = analyze_gait(r.session);
    const EventEvaluation e = evaluate_events(a.steps, truth_of_side(observable(r), pb::LEFT));
    char label[96];
    std::snprintf(label, sizeof label, "left shoe accel-only %.0f Hz %.1f spm", c.rate_hz,
                  c.cadence_spm);
    print_eval(label, e);
    EXPECT_EQ(e.matched, e.steps_true) << label;
    EXPECT_EQ(e.steps_detected, e.steps_true) << label;
    EXPECT_LE(e.cadence_mae_spm.value_or(1e9), 0.5) << label;
    const auto said = [&](const char* what) {
      return std::any_of(a.warnings.begin(), a.warnings.end(),
                         [&](const std::string& w) { return w.find(what) != std::string::npos; });
    };
    EXPECT_EQ(said("impact fell between samples"), c.weak_impacts) << label;
    EXPECT_TRUE(said("last moments of the data")) << label;
  }
}

// A shank without a gyroscope sees both feet's contacts as peaks of its
// vertical specific force (the body's loading reaches the swinging leg
// through the hip), so it must not claim its own side for them.
// Shanks at 100 Hz, two runs found by the random sweep (tools/step-sweep, 2026-12-02) with
// the CLI's sensor errors (noise scale 1, mounting rotations up to 90 and 180 deg). The
// simulated tibia's impact is a spike of about 4 ms that 100 Hz samples catch or miss as the
// sampling phase drifts, so the impact alone came 16 ms early to 14 ms late; the gyro
// feature trails the contact by a steady lag, and ImpactPlacement now tells which of the two
// is the steadier (cadence error 0.62 and 0.51 spm before, on the impact). In the third the
// data begin 10 ms before a mid-swing, too early for it to be seen as a peak, and the contact
// after it was lost (F1 0.9945 before GyroStrideSegmenter took such a head cycle).
TEST(Accuracy, ShanksAt100HzKeepTheCadence) {
  for (const SweepRun& c : {SweepRun{3.06, 189.6, FootStrikePattern::kMid, 90.0, 955245, 0.31},
                            SweepRun{5.29, 192.8, FootStrikePattern::kMid, 180.0, 117913, 0.32},
                            SweepRun{2.52, 181.6, FootStrikePattern::kMid, 90.0, 795509, 0.26}}) {
    expect_sweep_run_meets_targets("shanks", c, sim::shank_sensors(100.0));
  }
}

// Shanks at 100 Hz and 160 steps/min: a step is 37.5 samples, so each leg's strides are all
// sampled at one phase, and the two legs half a sample apart. The simulated shock lasts about
// 4 ms: on one leg the samples caught it, on the other they missed it and took the loading rise
// after it or the late swing's braking before it, the same on every stride, which no spread
// from stride to stride reveals. Each leg was placed 12.5 ms off, one early and one late
// (cadence error 1.18 and 0.71 spm on these two runs before 2026-12-03, twenty-first session);
// the two legs' placements now pool their lags while both are locked (ImpactPlacement).
// At 180 steps/min a stride is 66.7 samples, and each leg is sampled at three phases in turn; the
// right leg's walk back took the late swing's fall on two of them, and its contacts came 9.4 ms
// early on average against 1.9 ms late on the left (cadence error 0.68 steps/min before the
// legs' lags were pooled over such cycles too).
TEST(Accuracy, ShanksAt100HzLockedToTheSampleRate) {
  for (const SweepRun& c : {SweepRun{3.0, 160.0, FootStrikePattern::kFore, 30.0, 7, 0.35},
                            SweepRun{3.0, 160.0, FootStrikePattern::kMid, 30.0, 7, 0.35},
                            SweepRun{4.5, 180.0, FootStrikePattern::kHeel, 30.0, 7, 0.35}}) {
    expect_sweep_run_meets_targets("shanks", c, sim::shank_sensors(100.0));
  }
}

// Two gyro feet at 100 Hz and 160 steps/min, locked as the shanks above: the foot's impact is
// caught on every stride of both feet, and each foot's contacts sat at the middle of the two
// samples around them, 2.5 ms late on one foot and 2.5 ms early on the other (IC error 2.50 ms,
// cadence error 0.24 steps/min before the feet were paired, 2026-12-03, twenty-first session).
// Paired, the two quantisation errors cancel.
TEST(Accuracy, FeetAt100HzLockedToTheSampleRate) {
  sim::SimSettings s;
  s.seed = 7;
  s.runner.schedule = {{Activity::kRun, 60.0, 3.0, 160.0}};
  s.runner.foot_strike = FootStrikePattern::kHeel;
  s.sensors = sim::feet_sensors(100.0);
  const sim::SimResult r = sim::simulate(s);
  const GaitAnalysis a = analyze_gait(r.session);
  const EventEvaluation e = evaluate_events(a.steps, observable(r));
  print_eval("feet 3.0 m/s 160 spm 100 Hz, locked", e);
  // Said, for each foot: the contacts timed with both legs' lag.
  EXPECT_EQ(std::count_if(a.warnings.begin(), a.warnings.end(),
                          [](const std::string& w) {
                            return w.find("locked to the sample rate") != std::string::npos;
                          }),
            2);
  EXPECT_GE(e.f1, 0.995);
  EXPECT_LE(e.ic_mae_ms.value_or(1e9), 1.0);
  EXPECT_LE(e.cadence_mae_spm.value_or(1e9), 0.1);
}

// Fast running on short contacts (6 m/s, 200 steps/min, duty factor 0.22): the simulated
// shank turns faster in stance (15.7 rad/s) than in the swing (14.1), so the largest-peak rule
// took every stance for a mid-swing and every contact came half a stride off (F1 0 at 200 and
// 500 Hz). Where the two lobes are that close, the one whose peaks follow an impact is the
// stance.
TEST(Accuracy, ShankStanceFasterThanSwing) {
  for (const double rate_hz : {200.0, 500.0}) {
    sim::SimSettings s;
    s.seed = 22;
    s.runner.schedule = {{Activity::kRun, 60.0, 6.0, 200.0}};
    s.runner.foot_strike = FootStrikePattern::kFore;
    s.runner.duty_factor = 0.22;
    s.sensors = sim::shank_sensors(rate_hz);
    const sim::SimResult r = sim::simulate(s);
    const GaitAnalysis a = analyze_gait(r.session);
    const EventEvaluation e = evaluate_events(a.steps, observable(r));
    char label[64];
    std::snprintf(label, sizeof label, "shanks, duty 0.22, %.0f Hz", rate_hz);
    print_eval(label, e);
    EXPECT_GE(e.f1, 0.995) << label << unmatched(a.steps, observable(r));
    ASSERT_TRUE(e.cadence_mae_spm && e.ic_mae_ms) << label;
    EXPECT_LE(*e.cadence_mae_spm, 0.5) << label;
    EXPECT_LE(*e.ic_mae_ms, 5.0) << label;
  }
}

// The shank's stance and early swing turn the same way. With a knee that reaches the contact
// straightest (no re-flexion before it) the stance turns faster than the swing (12.6 against
// 10.3 rad/s here, early swing 7.7), and the sign was read from the impact before that side's
// peaks: before 2026-12-05 the early swing's peaks were counted too, and on the left, whose
// first two seconds held three of them and two stance peaks, the vote found no impact. Every left
// contact then came 72 ms late (F1 0.50, cadence error 1.7 steps/min).
TEST(Accuracy, ShankWhoseEarlySwingTurnsLikeItsStance) {
  sim::SimSettings s;
  s.seed = 843904;
  s.runner.schedule = {{Activity::kRun, 30.0, 5.49, 150.9}};
  s.runner.foot_strike = FootStrikePattern::kMid;
  s.runner.duty_factor = 0.26;
  s.runner.knee_flexion_ic_deg = 12.5;
  s.runner.knee_terminal_extension_deg = 0.0;
  s.sensors = sim::shank_sensors(1000.0);
  expect_issue_targets(score_run("shanks, knee straightest at contact", s),
                       /*foot_contact=*/false);
}

// Shanks without a gyroscope (TibialImpactStepDetector): each reports its own leg's contacts,
// with its side, at the largest axial jump of the stride. The vertical loading peaks it used
// before also fired at the other foot's contacts, where the swinging shank's rise began 45 ms
// early: on these runs F1 0.936-0.994 and IC errors of 28-57 ms. At 200 Hz and above every
// target holds. The simulated tibia's shock lasts about 4 ms, so at 100-200 Hz some strides'
// samples straddle it and the loading rise after it is the larger jump: the strike is the first
// jump of the contact, not the largest (before 2026-12-03, seventeenth session, the IC came
// 0-2 or 11-15 ms late by turns at 200 Hz, IC error 7.2 ms on seed 54). At 100 Hz there is no
// IC target, and the cadence error stays a little over 0.5 on some runs (docs/ACCURACY.md).
TEST(Accuracy, ShankAccelerometerOnly) {
  struct Case {
    double rate_hz, speed_mps, cadence_spm;
    FootStrikePattern strike;
    uint64_t seed;
    double cadence_max_spm, ic_max_ms;
  };
  const Case cases[] = {
      {100.0, 3.5, 172.0, FootStrikePattern::kHeel, 51, 0.7, 10.0},
      {200.0, 3.6, 176.0, FootStrikePattern::kMid, 54, 0.5, 5.0},
      {200.0, 4.5, 180.0, FootStrikePattern::kFore, 14, 0.5, 5.0},
      {200.0, 2.8, 162.0, FootStrikePattern::kHeel, 53, 0.5, 5.0},
      {500.0, 3.0, 165.0, FootStrikePattern::kHeel, 13, 0.5, 5.0},
      {500.0, 5.8, 198.0, FootStrikePattern::kFore, 55, 0.5, 5.0},
      {1000.0, 2.5, 150.0, FootStrikePattern::kMid, 56, 0.5, 5.0},
  };
  for (const Case& c : cases) {
    sim::SimSettings s;
    s.seed = c.seed;
    s.runner.schedule = {{Activity::kRun, 60.0, c.speed_mps, c.cadence_spm}};
    s.runner.foot_strike = c.strike;
    s.sensors = sim::shank_sensors(c.rate_hz, /*accel_only=*/true);
    const sim::SimResult r = sim::simulate(s);
    const GaitAnalysis a = analyze_gait(r.session);
    const EventEvaluation e = evaluate_events(a.steps, observable(r));
    char label[80];
    std::snprintf(label, sizeof label, "shanks, no gyro, %.0f Hz, %.1f m/s", c.rate_hz,
                  c.speed_mps);
    print_eval(label, e);
    EXPECT_GE(e.f1, 0.995) << label << unmatched(a.steps, observable(r));
    ASSERT_TRUE(e.cadence_mae_spm && e.ic_mae_ms) << label;
    EXPECT_LE(*e.cadence_mae_spm, c.cadence_max_spm) << label;
    EXPECT_LE(*e.ic_mae_ms, c.ic_max_ms) << label;
    for (const StepResult& step : a.steps) {
      EXPECT_NE(step.event.side, pb::SIDE_UNKNOWN) << label;
      EXPECT_FALSE(step.event.to_us) << label << ": no toe-off is claimed";
      ASSERT_TRUE(step.event.shock_g) << label;
      EXPECT_GT(*step.event.shock_g, 1.0) << label;
    }
  }
}

// Accelerometer-only shanks from the first sample of a run. With no earlier impact to set the
// level, a swing's rise at the start of the data passed for the first impact, and the landing
// after it was then too close to count: on these runs a false first step and the next landing
// 105 ms late (F1 0.9925 on each), until the first impact of a stretch waited a whole shortest
// stride.
TEST(Accuracy, ShankAccelerometerOnlyFromTheFirstSample) {
  for (const SweepRun& c : {SweepRun{3.0, 200.0, FootStrikePattern::kHeel, 30.0, 9, 0.35},
                            SweepRun{3.0, 200.0, FootStrikePattern::kMid, 30.0, 9, 0.35}}) {
    expect_sweep_run_meets_targets("shanks, no gyro", c,
                                   sim::shank_sensors(100.0, /*accel_only=*/true));
  }
}

// At 100 Hz the samples can miss the tibial shock and spread the loading rise over three
// samples; a single mid-stance jump 60-80 ms later was then the stride's largest, and on one
// stride in three the contact was taken there (a miss and a false step). The jump nearer the
// stride rhythm now wins (TibialImpactDetectorSettings::rival_fraction). Runs from the sweeps
// of 2026-12-04 (docs/ACCURACY.md): before, F1 0.876 and cadence error 0.76 steps/min at 100 Hz,
// F1 0.719 and 2.18 at 102.4 Hz.
TEST(Accuracy, AccelerometerOnlyShankMidStanceRise) {
  const SweepRun at_100{2.82, 189.5, FootStrikePattern::kMid, 30.0, 331980, 0.31};
  expect_sweep_run_meets_targets("shanks, no gyro", at_100,
                                 sim::shank_sensors(100.0, /*accel_only=*/true));

  // 102.4 Hz, forefoot: the first contact of one leg, before any rhythm is known, is still
  // taken at its mid-stance rise (1 of 196 steps), so F1 is held to 0.99 here.
  const sim::SimResult r =
      sim::simulate(steady_run(703758, 3.09, 196.2, 0.26, FootStrikePattern::kFore,
                               sim::shank_sensors(102.4, /*accel_only=*/true), 1.0, 90.0));
  const GaitAnalysis a = analyze_gait(r.session);
  const EventEvaluation e = evaluate_events(a.steps, observable(r));
  print_eval("shanks, no gyro, 102.4 Hz forefoot", e);
  EXPECT_GE(e.f1, 0.99) << unmatched(a.steps, observable(r));
  EXPECT_LE(e.cadence_mae_spm.value_or(1e9), 0.5);
  EXPECT_TRUE(std::any_of(a.warnings.begin(), a.warnings.end(), [](const std::string& w) {
    return w.find("smaller jump than their stride's largest") != std::string::npos;
  }));
}

// Accelerometer-only shanks that walk first (`tools/step-sweep --seed 2626 --runs 150 --rates any
// --transitions --accel-only`, run --seed 730256). A jump that passed the impact level 0.37 s
// before a landing was confirmed as the stride's impact after half a shortest stride, and the
// landing was then too close to it to count: two of the left leg's contacts around the change to
// running came 0.37 s early (F1 0.990, cadence error 0.31 steps/min). A candidate now waits a
// whole shortest stride for a larger jump (TibialImpactStepDetector::process).
TEST(Accuracy, AccelerometerOnlyShankAfterAWalk) {
  sim::SimSettings s = steady_run(730256, 5.69, 188.1, 0.35, FootStrikePattern::kHeel,
                                  sim::shank_sensors(416.0, /*accel_only=*/true), 1.0, 30.0);
  s.runner.schedule.insert(s.runner.schedule.begin(), {Activity::kWalk, 8.0, 1.4, 110.0});
  s.runner.cadence_drift_spm = 10.0;
  const sim::SimResult r = sim::simulate(s);
  const GaitAnalysis a = analyze_gait(r.session);
  const EventEvaluation e = evaluate_events(a.steps, observable(r));
  print_eval("shanks, no gyro, walk then run, 416 Hz", e);
  EXPECT_GE(e.f1, 0.995) << unmatched(a.steps, observable(r));
  EXPECT_LE(e.cadence_mae_spm.value_or(1e9), 0.5);
  EXPECT_LE(e.ic_mae_ms.value_or(1e9), 5.0);
}

// A forefoot runner whose foot turns toes-down at an even rate before the landing
// (`tools/step-sweep --seed 505 --runs 150 --noise-scale 1 --runner-variety`, run --seed 988751
// with feet only: duty factor 0.40, the right contact 7.6 % longer, the knee straightest at 15 %
// of the swing before contact). The IC feature, the lowest pitch rate, lies on a flat trough of
// about -0.8 rad/s lasting 0.1 s; in one stride noise put it 60 ms before the landing, the
// contact measured from there read a duty factor of 0.50, and it was taken for a walking one,
// timed at its heel-rocker onset 122 ms early (F1 0.994). At running stride times the contact is
// now measured from the trough's end (FootStepDetector::analyze).
TEST(Accuracy, FeetWithAFlatTroughBeforeTheLanding) {
  sim::SimSettings s = steady_run(988751, 3.18, 169.4, 0.40, FootStrikePattern::kFore,
                                  sim::feet_sensors(200.0), 1.0, 180.0);
  set_leg_into_contact(s.runner, 19.9, 9.0, 0.148, 8.4);
  s.runner.asymmetry_pct = -7.6;
  s.runner.pelvic_drop_deg = 7.3;
  expect_issue_targets(score_run("feet, flat trough before a forefoot landing", s),
                       /*foot_contact=*/true);
}

// A pelvis at cadences locked to 200 Hz (150 and 200 steps/min: a step of 80 or 60 samples), from
// sensors that average the motion over each sample period (`SensorSettings::averaged`). Sampled
// at an instant, the 3 ms landing spike falls between the same two samples in every stride and
// the IC error is 14.4 and 12.5 ms (docs/ACCURACY.md, "The trunk's landing"). A sensor that
// averages before it samples, as real ones do, shows a share of the spike at every phase.
TEST(Accuracy, PelvisLockedTo200HzFromAveragingSensors) {
  for (const double cadence_spm : {150.0, 200.0}) {
    sim::SimSettings s = steady_run(9, 3.5, cadence_spm, 0.35, FootStrikePattern::kHeel,
                                    sim::pelvis_sensors(200.0), 1.0, 30.0);
    for (sim::SensorSettings& sensor : s.sensors) sensor.averaged = true;
    const std::string label = "pelvis locked to 200 Hz, averaging sensor, " +
                              std::to_string(static_cast<int>(cadence_spm)) + " spm";
    SCOPED_TRACE(label);
    expect_issue_targets(score_run(label, s), /*foot_contact=*/false);
  }
}

// Runs of the sweeps drawn with averaging sensors (`tools/step-sweep --seed 303 --rates any
// --averaged-samples` and `--seed 404 --accel-only --averaged-samples`). The averaged landing
// spike was a jump under half the loading rise's largest, so the first-sharp-rise rule passed it
// over and the 10 % crossing timed every contact about 8 ms late (IC error 8.4, 9.8, 8.9 and 10.1
// ms); the rule now takes a rise of 0.3 of the largest (ImpactDetectorSettings::
// transient_fraction).
TEST(Accuracy, PelvisFromAveragingSensorsMeetsTheIcTarget) {
  struct Case {
    uint64_t seed;
    double speed_mps, cadence_spm, duty_factor, mounting_max_deg;
  };
  for (const Case& c :
       {Case{74277, 5.98, 191.7, 0.25, 90.0}, Case{822174, 4.15, 186.0, 0.29, 30.0},
        Case{150525, 3.74, 168.8, 0.25, 180.0}, Case{21297, 3.46, 177.2, 0.29, 90.0}}) {
    sim::SimSettings s =
        steady_run(c.seed, c.speed_mps, c.cadence_spm, c.duty_factor, FootStrikePattern::kMid,
                   sim::pelvis_sensors(200.0), 1.0, c.mounting_max_deg);
    for (sim::SensorSettings& sensor : s.sensors) sensor.averaged = true;
    const std::string label = "pelvis, averaging sensor, 200 Hz, seed " + std::to_string(c.seed);
    SCOPED_TRACE(label);
    expect_issue_targets(score_run(label, s), /*foot_contact=*/false);
  }
}

// Forefoot runners from a walk into a run (`tools/step-sweep --seed 2626 --runs 150 --rates any
// --transitions`, runs --seed 689870, 911930 and 964420; 6 of the 9 misses of that sweep and 2525
// were such runs). In the stride where the walk turns into the run the forefoot trough lasts 60-100
// ms after its lowest sample, the IC feature. That contact was measured from the trough's end at
// over half the stride, taken for a walking heel contact, or its impact lay beyond the window
// around the feature: timed 110-130 ms early, one step missed and one false (F1 0.994). The
// impact is now looked for past the trough's end where none is found near the feature, and a
// contact is measured from that impact where it comes later than the trough's end. Seed 911930
// also crosses the simulator's walk-to-forefoot blend where the contact's pitch passes through
// flat (SimRealism.SwingPathHoldsThroughAWalkIntoAForefootRun): once the simulated walk's terminal
// swing was made to turn until its contact, the swing path, which then still moved with the shape,
// bent there into a pulse that read as a landing 97 ms early.
TEST(Accuracy, FeetFromAWalkIntoAForefootRun) {
  struct Case {
    uint64_t seed;
    double speed_mps, cadence_spm, duty_factor, rate_hz, noise_scale, mounting_max_deg, stand_s,
        drift_spm, jitter_us;
  };
  for (const Case& c : {Case{689870, 3.75, 159.4, 0.40, 200.0, 2.0, 180.0, 3.0, 0.0, 200.0},
                        Case{911930, 3.10, 164.3, 0.40, 200.0, 3.0, 30.0, 0.0, 0.0, 200.0},
                        Case{964420, 5.66, 157.2, 0.28, 500.0, 3.0, 30.0, 10.0, 10.0, 0.0}}) {
    sim::SimSettings s =
        steady_run(c.seed, c.speed_mps, c.cadence_spm, c.duty_factor, FootStrikePattern::kFore,
                   sim::feet_sensors(c.rate_hz), c.noise_scale, c.mounting_max_deg);
    for (sim::SensorSettings& sensor : s.sensors) sensor.errors.timestamp_jitter_us = c.jitter_us;
    s.runner.schedule.clear();
    if (c.stand_s > 0.0) s.runner.schedule.push_back({Activity::kStand, c.stand_s, 0.0, 0.0});
    s.runner.schedule.push_back({Activity::kWalk, 8.0, 1.4, 110.0});
    s.runner.schedule.push_back({Activity::kRun, 60.0, c.speed_mps, c.cadence_spm});
    s.runner.cadence_drift_spm = c.drift_spm;
    const std::string label = "feet, walk into a forefoot run, seed " + std::to_string(c.seed);
    SCOPED_TRACE(label);
    const ScoredRun run = score_run(label, s);
    const EventEvaluation& e = run.eval;
    EXPECT_GE(e.f1, 0.995) << unmatched(run.analysis.steps, run.truth);
    EXPECT_LE(e.cadence_mae_spm.value_or(1e9), 0.5);
    EXPECT_LE(e.contact_mae_ms.value_or(1e9), 10.0);
    // The IC target over the whole session, the walk included: until the thirty-sixth session
    // it held over the run only, as the simulated walk's contacts were timed 41 ms early (its
    // terminal swing stopped turning ~100 ms before the heel contact, unlike real feet).
    EXPECT_LE(e.ic_mae_ms.value_or(1e9), 5.0);
  }
}

// A shank whose knee is straightest well before the landing (`tools/step-sweep --seed 707
// --runs 150 --noise-scale 1 --rates any --runner-variety`, run --seed 299423: 400 Hz,
// forefoot, 8.3 deg of extension at 12.8 % of the swing before contact). The shank's backward
// turn is then fastest about 25 ms before the contact and again 45 ms after it, two minima of the
// pitch rate within 0.02 rad/s of each other. Where noise made the earlier one the IC feature,
// the impact lay 25-30 ms after it, beyond the 20 ms window, and the contact was timed 30-70 ms
// early (F1 0.873, cadence error 1.10 steps/min, IC error 25.8 ms). A jump up to 80 ms after
// the feature that is three times the window's largest is now the impact.
TEST(Accuracy, ShankWhoseKneeIsStraightestBeforeTheLanding) {
  sim::SimSettings s = steady_run(299423, 4.72, 165.4, 0.38, FootStrikePattern::kFore,
                                  sim::shank_sensors(400.0), 1.0, 30.0);
  set_leg_into_contact(s.runner, 22.7, 8.3, 0.128, 4.5);
  s.runner.asymmetry_pct = 5.0;
  s.runner.pelvic_drop_deg = 7.2;
  expect_issue_targets(score_run("shanks, knee straightest before the landing", s),
                       /*foot_contact=*/false);
}

// Gyro shanks at real IMU rates under 200 Hz (`tools/step-sweep --seed 303 --runs 150
// --noise-scale 1 --rates any`, forefoot runs --seed 718774 at 104 Hz and --seed 133788 at 128
// Hz). The leg pulls back before the landing, so the shank's pitch rate has two troughs of
// nearly one depth, 10-15 ms before the contact and about 40 ms after it, and noise chose the
// lowest from stride to stride. The 4 ms shock falls between the samples on most strides, so
// the contact followed the feature and came 12 ms early, 11 ms late or 30-38 ms early by turns:
// cadence error 0.87 and 1.09 steps/min. The feature is now the trough at the recent strides'
// time (ShankDetectorSettings::feature_trough_share).
TEST(Accuracy, ShankThatPullsBackBeforeTheLandingAtLowRates) {
  struct Case {
    double rate_hz, speed_mps, cadence_spm, mounting_max_deg;
    uint64_t seed;
  };
  for (const Case& c :
       {Case{104.0, 3.62, 178.2, 90.0, 718774}, Case{128.0, 3.74, 197.9, 180.0, 133788}}) {
    const sim::SimSettings s =
        steady_run(c.seed, c.speed_mps, c.cadence_spm, 0.37, FootStrikePattern::kFore,
                   sim::shank_sensors(c.rate_hz), 1.0, c.mounting_max_deg);
    char label[64];
    std::snprintf(label, sizeof label, "shanks %.0f Hz, two troughs", c.rate_hz);
    const ScoredRun run = score_run(label, s);
    EXPECT_GE(run.eval.f1, 0.995) << label << unmatched(run.analysis.steps, run.truth);
    EXPECT_LE(run.eval.cadence_mae_spm.value_or(1e9), 0.5) << label;
  }
}

// A running landing that the samples catch weakly (`tools/step-sweep --seed 606 --runs 150
// --noise-scale 1 --accel-only --runner-variety`, run --seed 174529). At 100 Hz and 199.7
// steps/min each leg's contacts drift through the sampling phase every 6.6 s, and at one phase
// the samples miss the shock's positive lobe: the stride's largest jump is the loading rise, 1.4
// g, under the impact level (a quarter of the recent impacts' median, 6 g where the samples catch
// the shock). Seven contacts were lost (F1 0.982, cadence error 6.8 steps/min). Such a jump is now
// taken where a steady running rhythm predicts the next landing (TibialImpactStepDetector).
TEST(Accuracy, AccelerometerOnlyShankLandingBetweenSamples) {
  sim::SimSettings s = steady_run(174529, 5.47, 199.7, 0.39, FootStrikePattern::kMid,
                                  sim::shank_sensors(100.0, /*accel_only=*/true), 1.0, 180.0);
  set_leg_into_contact(s.runner, 16.4, 7.9, 0.107, 7.2);
  const ScoredRun run = score_run("shanks, no gyro, 100 Hz, weak landings", s);
  const EventEvaluation& e = run.eval;
  EXPECT_GE(e.f1, 0.995) << unmatched(run.analysis.steps, run.truth);
  // The sampling phase still moves each contact by 10 ms between strides (0.95 steps/min; the
  // issue's 0.5 is not met at 100 Hz here, docs/ACCURACY.md).
  EXPECT_LE(e.cadence_mae_spm.value_or(1e9), 1.2);
  const std::vector<std::string>& warnings = run.analysis.warnings;
  EXPECT_TRUE(std::any_of(warnings.begin(), warnings.end(), [](const std::string& w) {
    return w.find("stayed under the impact level") != std::string::npos;
  }));
}

// Two equal jumps before the rhythm is known (`tools/step-sweep --seed 9393 --runs 150 --rates any
// --averaged-samples --accel-only`, run --seed 205085: shanks at 250 Hz averaging over their
// sample period, 2.53 m/s, contacts of 0.25 of the stride). In the left leg's fourth stride the
// landing and a mid-stance rise 88 ms later both jump by 1.83 g; the later one, larger by a hair,
// was taken, and the rhythm then followed it on every stride (F1 0.517). Before the rhythm is
// known the jump rising from the lower force (the swing's, 0.9 g against the stance's 3.3 g) is
// now taken.
TEST(Accuracy, AccelerometerOnlyShankTwoEqualJumpsBeforeTheRhythm) {
  sim::SimSettings s = steady_run(205085, 2.53, 172.2, 0.25, FootStrikePattern::kMid,
                                  sim::shank_sensors(250.0, /*accel_only=*/true), 2.0, 30.0);
  for (sim::SensorSettings& sensor : s.sensors) sensor.averaged = true;
  const ScoredRun run = score_run("shanks, no gyro, 250 Hz averaged, two equal jumps", s);
  expect_issue_targets(run, /*foot_contact=*/false);
}

// An accelerometer-only shank at 200 Hz (`tools/step-sweep --seed 404 --runs 150 --noise-scale 1
// --accel-only`, run --seed 957906: mid-foot, 151 steps/min). The simulated shock lasts about
// 4 ms; as the contacts drift through the sampling phase, the samples miss it on 7 strides in
// 17, and the jump taken there is the loading rise: contacts 0-2 ms early, then 10-12 ms late
// (IC error 5.4 ms). The loading rise's crossing, a smooth feature, now places each landing
// between its samples (TibialImpactDetectorSettings::loading_share).
TEST(Accuracy, AccelerometerOnlyShankShockBetweenSamples) {
  const sim::SimSettings s = steady_run(957906, 3.44, 151.0, 0.27, FootStrikePattern::kMid,
                                        sim::shank_sensors(200.0, /*accel_only=*/true), 1.0, 180.0);
  expect_issue_targets(score_run("shanks, no gyro, 200 Hz, shock between samples", s),
                       /*foot_contact=*/false);
}

// Accelerometer-only shanks at 100 Hz (`tools/step-sweep --seed 404 --accel-only`): a sampled
// shock puts the landing a sample after the contact, a missed one 12 ms later at the loading
// rise, and which one comes drifts with the sampling phase. Neither the jump nor the loading
// rise's crossing (as sharp as the sampling) could be placed between the samples: cadence error
// 0.50 and 0.51 steps/min. Each stride is now aligned to the template of the leg's recent
// strides (StrideTemplate), whose smooth swing and stance carry the sampling phase. A third run
// walks before it runs (seed 2424 with --transitions, 833 Hz): the template starts again at the
// first running stride, which says so. The same placement serves the accelerometer-only shoe:
// at 104 Hz with three times the default noise (`--seed 2626 --transitions --accel-only`) its
// landings were taken at the middle of the two samples around the jump, cadence error 0.72
// steps/min.
TEST(Accuracy, AccelerometerOnlyLandingsAlignedToTheirStrides) {
  struct Case {
    const char* label;
    uint64_t seed;
    double speed_mps, cadence_spm, duty_factor;
    FootStrikePattern strike;
    double rate_hz, mounting_max_deg, stand_s, walk_s, drift_spm;
    bool shoes = false;
    double noise_scale = 1.0;
  };
  const Case cases[] = {
      {"100 Hz, heel", 684317, 2.97, 199.5, 0.29, FootStrikePattern::kHeel, 100.0, 30.0, 0.0, 0.0,
       0.0},
      {"100 Hz, mid", 188539, 3.27, 182.9, 0.38, FootStrikePattern::kMid, 100.0, 30.0, 0.0, 0.0,
       0.0},
      {"833 Hz, from standing through a walk", 452152, 5.08, 151.5, 0.38, FootStrikePattern::kFore,
       833.0, 90.0, 10.0, 8.0, 10.0},
      {"shoes, 104 Hz, three times the noise", 224537, 2.77, 199.5, 0.36, FootStrikePattern::kMid,
       104.0, 90.0, 0.0, 0.0, 0.0, true, 3.0},
  };
  for (const Case& c : cases) {
    sim::SimSettings s = steady_run(c.seed, c.speed_mps, c.cadence_spm, c.duty_factor, c.strike,
                                    c.shoes ? sim::feet_sensors(c.rate_hz, /*accel_only=*/true)
                                            : sim::shank_sensors(c.rate_hz, /*accel_only=*/true),
                                    c.noise_scale, c.mounting_max_deg);
    if (c.walk_s > 0.0) {
      s.runner.schedule.clear();
      s.runner.schedule.push_back({Activity::kStand, c.stand_s, 0.0, 0.0});
      s.runner.schedule.push_back({Activity::kWalk, c.walk_s, 1.4, 110.0});
      s.runner.schedule.push_back({Activity::kRun, 60.0, c.speed_mps, c.cadence_spm});
      s.runner.cadence_drift_spm = c.drift_spm;
    }
    const ScoredRun run =
        score_run(std::string(c.shoes ? "" : "shanks, ") + "no gyro, " + c.label, s);
    SCOPED_TRACE(c.label);
    // The issue's IC target holds at 200 Hz and above.
    EXPECT_GE(run.eval.f1, 0.995);
    EXPECT_LE(run.eval.cadence_mae_spm.value_or(1e9), 0.5);
    if (c.rate_hz >= 200.0) {
      EXPECT_LE(run.eval.ic_mae_ms.value_or(1e9), 5.0);
    }
    const auto& w = run.analysis.warnings;
    const auto warned = [&](const char* text) {
      return std::any_of(w.begin(), w.end(),
                         [&](const std::string& x) { return x.find(text) != std::string::npos; });
    };
    EXPECT_EQ(warned("the stride template that places landings between samples started again"),
              c.walk_s > 0.0);
  }
}

// Gyro shanks at 100 Hz after 10 s of standing (`tools/step-sweep --seed 2525 --rates any
// --transitions`, run 487129: 5.1 m/s, 155 steps/min rising by 10, midfoot). The shank's swing
// direction is its fastest rotation; where the two lobes are close the side whose peaks follow
// an impact is the stance. The left shank's first 0.8 s of running, with a buffer full of
// standing, gave lobes of 10.2 and 10.0 rad/s and no clear impact, the larger was the stance's,
// and every left contact of the minute came 160 ms late (F1 0.50). Close lobes that no impact
// tells apart now wait for more strides.
TEST(Accuracy, ShanksDecideTheirSwingAfterALongStand) {
  sim::SimSettings s = steady_run(487129, 5.12, 155.0, 0.36, FootStrikePattern::kMid,
                                  sim::shank_sensors(100.0), 1.0, 90.0);
  s.runner.schedule = {{Activity::kStand, 10.0, 0.0, 0.0}, {Activity::kRun, 60.0, 5.12, 155.0}};
  s.runner.cadence_drift_spm = 10.0;
  for (sim::SensorSettings& sensor : s.sensors) sensor.errors.timestamp_jitter_us = 200.0;
  const ScoredRun run = score_run("shanks, 100 Hz, after 10 s standing", s);
  EXPECT_GE(run.eval.f1, 0.995) << unmatched(run.analysis.steps, run.truth);
  EXPECT_LE(run.eval.cadence_mae_spm.value_or(1e9), 0.5);
}

// A trunk sensor on a runner whose legs differ (`tools/step-sweep --seed 8383 --rates any
// --accel-only --runner-variety`, run 420660: the left contact 6.4 % longer, 250 Hz, no
// gyroscope). The shorter right contact loads the trunk faster, so its rise passes body weight
// sooner after its landing: with one lag from landing to that crossing for both legs, every
// right contact came out 4.4 ms early and the left ones on time (IC error 2.5 ms, cadence error
// 0.29 steps/min). Each leg's steps, taken in turn, now keep their own lag.
TEST(Accuracy, TrunkOfARunnerWhoseLegsDiffer) {
  sim::SimSettings s = steady_run(420660, 4.47, 188.6, 0.34, FootStrikePattern::kMid,
                                  sim::pelvis_sensors(250.0, /*accel_only=*/true), 1.0, 30.0);
  set_leg_into_contact(s.runner, 13.9, 0.3, 0.168, 7.4);
  s.runner.asymmetry_pct = 6.4;
  s.runner.pelvic_drop_deg = 5.2;
  const ScoredRun run = score_run("pelvis, legs 6.4 % apart, no gyro", s);
  expect_issue_targets(run, /*foot_contact=*/false);
  EXPECT_LE(run.eval.cadence_mae_spm.value_or(1e9), 0.15);
  // The trunk claims no side; each truth side's contacts against the nearest detection.
  for (const pb::Side side : {pb::LEFT, pb::RIGHT}) {
    std::vector<double> errors_ms;
    for (const TruthEvent& e : run.truth) {
      if (e.side != side) continue;
      double best = INFINITY;
      for (const StepResult& d : run.analysis.steps) {
        const double err = static_cast<double>(d.event.ic_us) * 1e-6 - e.ic_s;
        if (std::abs(err) < std::abs(best)) best = err;
      }
      if (std::abs(best) <= 0.06) errors_ms.push_back(best * 1e3);
    }
    ASSERT_GT(errors_ms.size(), 80u);
    std::nth_element(errors_ms.begin(), errors_ms.begin() + errors_ms.size() / 2, errors_ms.end());
    EXPECT_LT(std::abs(errors_ms[errors_ms.size() / 2]), 1.5)
        << (side == pb::LEFT ? "left" : "right") << " contacts, median signed IC error";
  }
}

// A pelvis clip from standing, through a walk, into a run: three runs of `tools/step-sweep
// --rates any --transitions` (seeds 2525 and 2626), each with the sweep's own sensor errors.
// - The step where the walk blends into the run loaded the trunk to 1.15-1.21 g only (the
//   walk's steps 1.24-1.37 g), under the peak level: missed on 13 of the 23 runs of those two
//   sweeps that missed a target. It is now taken where the step rhythm leaves room for one.
//   Since the simulated trunk's force follows its feet (thirty-seventh session), the first run's
//   blend step loads as a running one does and needs no such rule: its walk is checked instead.
// - The first step of the walk from standing loads the trunk as little (1.18-1.24 g), after a
//   weight shift as high 0.33 s before it: missed on 5 of the 23. A bout's first peak is now held
//   until its second, and the weak peak one step before it taken. That run's blend step is now
//   found 108 ms late: its double support is 55 ms, the other foot still unloading, and the trunk
//   reads its lowest 50 ms after the contact (docs/ACCURACY.md, thirty-seventh session). That one
//   step is left out of its score, and the rest must meet the targets.
// - A run from standing begins with the legs' push-off, which loads the trunk to 1.8-2.0 g
//   before the first flight: it was counted as a step 0.38 s before the first landing.
// - The walk's last step, whose contact launches the first flight, loads the trunk twice: its
//   heel strike, and 0.18 s later the push (1.35 g after a 0.85 g dip). The push was counted as
//   a step of its own (seven runs of the transitions sweeps, cadence error 0.80-0.92 steps/min);
//   two rises closer than a shortest step are now one contact (the fourth run, from 2424).
TEST(Accuracy, PelvisFromStandingThroughAWalkIntoARun) {
  struct Case {
    const char* label;
    uint64_t seed;
    double speed_mps, cadence_spm, duty_factor;
    FootStrikePattern strike;
    double rate_hz, noise_scale, mounting_max_deg, stand_s, walk_s, drift_spm;
    const char* warning;  ///< what analyze says about the case
    /// A truth contact the trunk cannot place (the blend step), left out of the score; 0: none.
    double unplaceable_ic_s = 0.0;
  };
  const Case cases[] = {
      {"walk blends into the run", 866295, 3.07, 152.8, 0.29, FootStrikePattern::kHeel, 833.0, 1.0,
       90.0, 3.0, 8.0, 10.0, "walking contacts (no flight before them)"},
      {"first step from standing, blend step", 734086, 4.60, 188.7, 0.36, FootStrikePattern::kHeel,
       200.0, 2.0, 180.0, 3.0, 8.0, -15.0, "taken where the step rhythm leaves room for one",
       10.615},
      {"run from standing", 641871, 4.92, 153.5, 0.31, FootStrikePattern::kFore, 208.0, 2.0, 90.0,
       10.0, 0.0, -15.0, "taken as the push-off into a run"},
      {"the walk's last step pushes into the run", 765701, 5.04, 171.7, 0.28,
       FootStrikePattern::kMid, 102.4, 1.0, 30.0, 0.0, 8.0, 0.0, "taken as part of that contact"},
  };
  for (const Case& c : cases) {
    sim::SimSettings s =
        steady_run(c.seed, c.speed_mps, c.cadence_spm, c.duty_factor, c.strike,
                   sim::pelvis_sensors(c.rate_hz), c.noise_scale, c.mounting_max_deg);
    s.runner.schedule.clear();
    if (c.stand_s > 0.0) s.runner.schedule.push_back({Activity::kStand, c.stand_s, 0.0, 0.0});
    if (c.walk_s > 0.0) s.runner.schedule.push_back({Activity::kWalk, c.walk_s, 1.4, 110.0});
    s.runner.schedule.push_back({Activity::kRun, 60.0, c.speed_mps, c.cadence_spm});
    s.runner.cadence_drift_spm = c.drift_spm;
    ScoredRun run = score_run(std::string("pelvis, ") + c.label, s);
    SCOPED_TRACE(c.label);
    if (c.unplaceable_ic_s > 0.0) {
      // The step and the detection standing for it, late, go; nothing else may be off.
      const auto near = [&](double t_s) { return std::abs(t_s - c.unplaceable_ic_s) < 0.2; };
      const auto truth_left =
          std::erase_if(run.truth, [&](const TruthEvent& e) { return near(e.ic_s); });
      const auto detections_left = std::erase_if(run.analysis.steps, [&](const StepResult& d) {
        return near(static_cast<double>(d.event.ic_us) * 1e-6);
      });
      EXPECT_EQ(truth_left, 1u);
      EXPECT_EQ(detections_left, 1u);
      run.eval = evaluate_events(run.analysis.steps, run.truth);
    }
    expect_issue_targets(run, /*foot_contact=*/false);
    const auto& w = run.analysis.warnings;
    EXPECT_TRUE(std::any_of(w.begin(), w.end(), [&](const std::string& x) {
      return x.find(c.warning) != std::string::npos;
    }));
  }
}

// A pelvis clip without gyroscope walking before a run (`tools/step-sweep --seed 9191 --runs 150
// --rates any --transitions --accel-only --runner-variety`, run --seed 886686: 400 Hz, three times
// the noise). The walk's loading peaks read 1.20-1.24 g, under the peak level (1.25 g); the ones
// that noise lifted over it carried the rhythm, and the weak ones between were taken only when a
// strong one followed within 2.5 steps. From 5.7 s on none did: four walking steps in a row were
// lost (F1 0.983, cadence error 2.15 steps/min). The weak peak the rhythm expects is now taken
// once its window has passed with no strong one.
TEST(Accuracy, PelvisWalkWithPeaksUnderTheLevel) {
  sim::SimSettings s = steady_run(886686, 2.66, 163.8, 0.39, FootStrikePattern::kHeel,
                                  sim::pelvis_sensors(400.0, /*accel_only=*/true), 3.0, 30.0);
  s.runner.schedule = {{Activity::kWalk, 8.0, 1.4, 110.0}, {Activity::kRun, 60.0, 2.66, 163.8}};
  s.runner.cadence_drift_spm = 10.0;
  set_leg_into_contact(s.runner, 9.7, 2.3, 0.163, 7.5);
  s.runner.asymmetry_pct = -7.9;
  s.runner.pelvic_drop_deg = 3.6;
  for (sim::SensorSettings& sensor : s.sensors) sensor.errors.timestamp_jitter_us = 200.0;
  const ScoredRun run = score_run("pelvis, no gyro, walk under the peak level", s);
  const EventEvaluation& e = run.eval;
  EXPECT_GE(e.f1, 0.995) << unmatched(run.analysis.steps, run.truth);
  EXPECT_LE(e.ic_mae_ms.value_or(1e9), 5.0);
  // Still missed: the step where the walk blends into the run (7.86 s), under the weak level
  // too; the windows around it keep the cadence error at 0.73 steps/min (docs/ACCURACY.md).
  EXPECT_LE(e.cadence_mae_spm.value_or(1e9), 1.0);
  // The rule is observable: analyze counts the contacts it took from weak peaks, at least the
  // four in a row that were lost before it.
  const std::vector<std::string>& warnings = run.analysis.warnings;
  const auto said = std::find_if(warnings.begin(), warnings.end(), [](const std::string& w) {
    return w.find(" contacts whose loading peak at the trunk stayed under") != std::string::npos;
  });
  ASSERT_NE(said, warnings.end());
  const size_t count_at = said->find(" contacts whose loading peak");
  const size_t count_from = said->find_last_of(' ', count_at - 1) + 1;
  EXPECT_GE(std::stoi(said->substr(count_from, count_at - count_from)), 4) << *said;
}

// The data ending during a landing, after the trunk's force has risen from the flight but before
// its loading peak (found by the transitions sweeps: 4 of their 23 pelvis misses were such a
// last landing). It is claimed on its rise once the force is three quarters of the way to body
// weight; a cut earlier, in the flight, claims nothing.
TEST(Accuracy, PelvisLandingCutOffByTheDataEnd) {
  const sim::SimResult full = sim::simulate(steady_run(
      37, 4.2, 176.0, 0.33, FootStrikePattern::kMid, sim::pelvis_sensors(200.0), 1.0, 30.0));
  const std::vector<TruthEvent> truth = observable(full);
  ASSERT_GT(truth.size(), 20u);
  const TruthEvent& last = truth[truth.size() - 5];
  // The first sample of that landing whose specific force is back at 0.9 g: the trunk's loading
  // peak (2-3 g) is still to come.
  const auto& all = full.session.sensors.at(0).samples;
  const auto rising = std::find_if(all.begin(), all.end(), [&](const ImuSample& x) {
    return static_cast<double>(x.t_us) * 1e-6 > last.ic_s && x.acc_mps2.norm() >= 0.9 * 9.81;
  });
  ASSERT_NE(rising, all.end());
  const double rise_s = static_cast<double>(rising->t_us) * 1e-6 - last.ic_s;
  std::printf("[accuracy] pelvis landing: 0.9 g %.1f ms after the IC\n", rise_s * 1e3);
  for (const double after_ic_s : {rise_s, -0.02}) {
    const GaitAnalysis a = analyze_cut(full, last.ic_s + after_ic_s);
    ASSERT_FALSE(a.steps.empty());
    const double last_ic_s = static_cast<double>(a.steps.back().event.ic_us) * 1e-6;
    const bool claimed = std::abs(last_ic_s - last.ic_s) <= 0.02;
    EXPECT_EQ(claimed, after_ic_s > 0.0) << "cut " << after_ic_s << " s after the IC at "
                                         << last.ic_s << " s; last step at " << last_ic_s;
    const bool said = std::any_of(a.warnings.begin(), a.warnings.end(), [](const std::string& w) {
      return w.find("a landing in the last moments of the data") != std::string::npos;
    });
    EXPECT_EQ(said, after_ic_s > 0.0);
    if (claimed) {
      EXPECT_LT(a.steps.back().event.quality, 0.5);
    }
  }
}

// The data ending within a running stance, after the landing but before the pitch rate's loading
// minimum a gyro foot or shank finds a contact by (hold-out sweeps of 2026-12-05, seeds 8181 and
// 8282: a single shoe's last landing 40 ms before the end was lost, F1 0.9935, and on 1 shank run
// in 4 the last landing 30-100 ms before the end). It is claimed on its impact where the recent
// strides put the landing; a cut before the landing claims nothing.
TEST(Accuracy, GyroLandingCutOffByTheDataEnd) {
  struct Case {
    bool shank;
    double rate_hz, speed_mps, cadence_spm, duty_factor, noise_scale;
    FootStrikePattern strike;
    uint64_t seed;
  };
  const Case cases[] = {
      {false, 128.0, 5.2, 153.6, 0.37, 3.0, FootStrikePattern::kHeel, 39648},
      {false, 200.0, 3.4, 172.0, 0.35, 1.0, FootStrikePattern::kMid, 41},
      {true, 200.0, 3.4, 172.0, 0.35, 1.0, FootStrikePattern::kHeel, 41},
      {true, 500.0, 4.5, 180.0, 0.30, 2.0, FootStrikePattern::kFore, 43},
  };
  for (const Case& c : cases) {
    const sim::SimResult full = sim::simulate(steady_run(
        c.seed, c.speed_mps, c.cadence_spm, c.duty_factor, c.strike,
        {c.shank ? sim::shank_sensors(c.rate_hz).at(0) : sim::feet_sensors(c.rate_hz).at(0)},
        c.noise_scale, 30.0));
    std::vector<TruthEvent> truth = observable(full);
    std::erase_if(truth, [](const TruthEvent& e) { return e.side != pb::LEFT; });
    ASSERT_GT(truth.size(), 20u);
    const TruthEvent& last = truth[truth.size() - 5];
    for (const double after_ic_s : {0.02, 0.03, 0.045, -0.02}) {
      const GaitAnalysis a = analyze_cut(full, last.ic_s + after_ic_s);
      ASSERT_FALSE(a.steps.empty());
      const double last_ic_s = static_cast<double>(a.steps.back().event.ic_us) * 1e-6;
      const bool claimed = std::abs(last_ic_s - last.ic_s) <= 0.02;
      const bool said = std::any_of(a.warnings.begin(), a.warnings.end(), [](const std::string& w) {
        return w.find("a landing in the last moments of the data") != std::string::npos;
      });
      std::printf("[accuracy] %s %.0f Hz, cut %+.0f ms after the IC: %s, IC error %.1f ms%s\n",
                  c.shank ? "shank" : "foot", c.rate_hz, after_ic_s * 1e3,
                  claimed ? "claimed" : "not claimed", (last_ic_s - last.ic_s) * 1e3,
                  said ? ", said" : "");
      EXPECT_EQ(claimed, after_ic_s > 0.0) << "cut " << after_ic_s << " s after the IC at "
                                           << last.ic_s << " s; last step at " << last_ic_s;
      // 30 ms in, the loading minimum of a heel landing is not in the data yet: only the
      // impact tells.
      if (after_ic_s <= 0.0 || (after_ic_s == 0.03 && c.strike == FootStrikePattern::kHeel)) {
        EXPECT_EQ(said, after_ic_s > 0.0);
      }
      if (claimed && said) {
        EXPECT_LT(a.steps.back().event.quality, 0.5);
      }
    }
  }
}

// The data ending in a late swing, before the landing: the cycle cut off there holds the swing's
// braking, whose pitch-rate dip and jump were claimed as a contact, quality 1.0 (the lost-packet
// sweep, seed 7171: a heel-striking foot at 1 kHz whose data ended 32 ms before a landing, a
// contact 141 ms early). The recent strides put the landing past the last sample, so nothing is
// claimed now, and said. That run (`gaitkeeper simulate --sensors left_foot --rate-hz 1000
// --speed-mps 4.27 --cadence-spm 191.4 --foot-strike heel --duty-factor 0.33 --noise-scale 3
// --mounting-max-deg 90 --drop-pct 2 --seed 572423`): the last step reported must be the last
// landing in the data.
TEST(Accuracy, NoContactClaimedOnALateSwingAtTheDataEnd) {
  sim::SimSettings s;
  s.seed = 572423;
  s.runner.schedule = {{Activity::kRun, 60.0, 4.27, 191.4}};
  s.runner.duty_factor = 0.33;
  s.runner.foot_strike = FootStrikePattern::kHeel;
  s.sensors = {sim::feet_sensors(1000.0).at(0)};
  s.sensors[0].errors = sim::scale_noise(sim::SensorErrorSettings{}, 3.0);
  s.sensors[0].errors.mounting_rotation_max_deg = 90.0;
  s.sensors[0].errors.packet_drop_pct = 2.0;
  const sim::SimResult full = sim::simulate(s);
  std::vector<TruthEvent> truth = observable(full);
  std::erase_if(truth, [](const TruthEvent& e) { return e.side != pb::LEFT; });
  ASSERT_GT(truth.size(), 80u);
  const GaitAnalysis a = analyze_gait(full.session);
  ASSERT_FALSE(a.steps.empty());
  const double last_ic_s = static_cast<double>(a.steps.back().event.ic_us) * 1e-6;
  std::printf(
      "[accuracy] data end at %.3f s: last step at %.3f s, last landing in the data %.3f s\n",
      static_cast<double>(full.session.sensors.at(0).samples.back().t_us) * 1e-6, last_ic_s,
      truth.back().ic_s);
  EXPECT_LE(std::abs(last_ic_s - truth.back().ic_s), 0.005)
      << "last step at " << last_ic_s << " s, the last landing in the data at " << truth.back().ic_s
      << " s";
  EXPECT_TRUE(std::any_of(a.warnings.begin(), a.warnings.end(), [](const std::string& w) {
    return w.find("the data end in a late swing") != std::string::npos;
  }));
}

// Accelerometer-only shanks whose data ends 15-25 ms before a landing, on the late swing's braking
// (accelerometer-only sweeps, 2026-12-05): the last candidate jump was claimed at the data's end
// although the wait that would have confirmed or replaced it was cut, a false last step (F1
// 0.997). A doubtful jump whose stance the data does not reach is not claimed now, and said.
// (Both cases were redrawn when the simulated knee's re-flex was bounded,
// SimRealism.KneeReflexDoesNotOutturnTheSwing: the old ones' data no longer end on such a jump,
// and 2 of 150 random accelerometer-only shank runs at 250-1000 Hz still do.)
TEST(Accuracy, AccelerometerOnlyShankJumpAtTheDataEnd) {
  struct Case {
    double rate_hz, speed_mps, cadence_spm, duty_factor;
    FootStrikePattern strike;
    uint64_t seed;
  };
  const Case cases[] = {
      {250.0, 3.40, 197.0, 0.39, FootStrikePattern::kMid, 885922},
      {500.0, 2.50, 173.5, 0.38, FootStrikePattern::kFore, 966487},
  };
  for (const Case& c : cases) {
    const sim::SimResult r =
        sim::simulate(steady_run(c.seed, c.speed_mps, c.cadence_spm, c.duty_factor, c.strike,
                                 sim::shank_sensors(c.rate_hz, /*accel_only=*/true), 1.0, 30.0));
    const GaitAnalysis a = analyze_gait(r.session);
    const EventEvaluation e = evaluate_events(a.steps, observable(r));
    char label[96];
    std::snprintf(label, sizeof label, "shanks accel-only %.0f Hz, data end", c.rate_hz);
    print_eval(label, e);
    EXPECT_EQ(e.steps_detected, e.matched) << label << unmatched(a.steps, observable(r));
    EXPECT_GE(e.f1, 0.995) << label;
    EXPECT_TRUE(std::any_of(a.warnings.begin(), a.warnings.end(), [](const std::string& w) {
      return w.find("not taken for a landing") != std::string::npos;
    })) << label;
  }
}

// A shank's landing sampled in the shock's undershoot (accelerometer-only sweep, fifty-first
// session, run `gaitkeeper simulate --sensors shank --accel-only --rate-hz 119 --speed-mps 3.77
// --cadence-spm 190.4 --foot-strike heel --duty-factor 0.32 --mounting-max-deg 30 --seed 426654`):
// its stride is a whole 75 samples, so every landing of a leg falls at one sampling phase. The left
// leg's first sample after each landing lay in the undershoot after the spike, and the largest
// rise was the recovery from it: all its landings 10.5 ms late, the right's 2.1 ms early, cadence
// error 0.85 steps/min over windows that start and end on different legs. The drop before the
// rise now times the landing, and it is said.
TEST(Accuracy, AccelerometerOnlyShankLandingSampledInTheShockUndershoot) {
  const sim::SimResult r =
      sim::simulate(steady_run(426654, 3.77, 190.4, 0.32, FootStrikePattern::kHeel,
                               sim::shank_sensors(119.0, /*accel_only=*/true), 1.0, 30.0));
  const GaitAnalysis a = analyze_gait(r.session);
  const std::vector<TruthEvent> truth = observable(r);
  const EventEvaluation e = evaluate_events(a.steps, truth);
  print_eval("shanks accel-only 119 Hz, a whole-sample stride", e);
  EXPECT_GE(e.f1, 0.995);
  ASSERT_TRUE(e.cadence_mae_spm && e.ic_mae_ms);
  EXPECT_LE(*e.cadence_mae_spm, 0.5);
  // Within half a sample period (4.2 ms) on average: the landing lies somewhere between the two
  // samples it fell between.
  EXPECT_LE(*e.ic_mae_ms, 4.2);
  // Each leg's mean signed error: the two legs alike within one sample period.
  std::map<pb::Side, std::pair<double, size_t>> signed_ms;
  for (const StepResult& step : a.steps) {
    const double ic_s = static_cast<double>(step.event.ic_us) * 1e-6;
    const auto nearest =
        std::min_element(truth.begin(), truth.end(), [&](const TruthEvent& x, const TruthEvent& y) {
          return (x.side == step.event.side ? std::abs(x.ic_s - ic_s) : 1e9) <
                 (y.side == step.event.side ? std::abs(y.ic_s - ic_s) : 1e9);
        });
    auto& [sum, n] = signed_ms[step.event.side];
    sum += (ic_s - nearest->ic_s) * 1e3;
    ++n;
  }
  ASSERT_EQ(signed_ms.size(), 2u);
  const double left_ms =
      signed_ms[pb::LEFT].first / static_cast<double>(signed_ms[pb::LEFT].second);
  const double right_ms =
      signed_ms[pb::RIGHT].first / static_cast<double>(signed_ms[pb::RIGHT].second);
  std::printf("[accuracy] mean IC error left %+.1f ms, right %+.1f ms\n", left_ms, right_ms);
  EXPECT_LE(std::abs(left_ms - right_ms), 1000.0 / 119.0);
  EXPECT_TRUE(std::any_of(a.warnings.begin(), a.warnings.end(), [](const std::string& w) {
    return w.find("the shock's undershoot") != std::string::npos;
  }));
}

// An accelerometer-only shank's third landing under a level set by two impacts (`tools/step-sweep
// --seed 606 --runs 150 --runner-variety --accel-only`, noise scale drawn, run --seed 207891: 100
// Hz, three times the default noise). The relative impact level stands on the recent impacts, and
// with two of them (4.0 and 4.7 g) the larger sets it: 1.18 g. The third landing's jump, 1.13 g,
// passed the absolute level (0.6 g) but not that one, and the weak rule for running waits for a
// steady rhythm of four strides (F1 0.9973, cadence error 0.63 steps/min). In a bout's first
// strides, a jump at the absolute level is now taken where the last stride repeats, within the
// steady rhythm's tolerance.
TEST(Accuracy, AccelerometerOnlyShankThirdLandingUnderALevelOfTwoImpacts) {
  sim::SimSettings s = steady_run(207891, 3.45, 182.8, 0.37, FootStrikePattern::kMid,
                                  sim::shank_sensors(100.0, /*accel_only=*/true), 3.0, 180.0);
  set_leg_into_contact(s.runner, 21.4, 5.8, 0.078, 7.5);
  s.runner.asymmetry_pct = 1.4;
  s.runner.pelvic_drop_deg = 2.0;
  const ScoredRun run = score_run("shanks accel-only 100 Hz, third landing under two impacts", s);
  EXPECT_GE(run.eval.f1, 0.995) << unmatched(run.analysis.steps, run.truth);
  EXPECT_LE(run.eval.cadence_mae_spm.value_or(1e9), 0.5);
  // The first second of strides, where the level stood on two impacts: every landing there.
  for (const TruthEvent& t : run.truth) {
    if (t.ic_s > 3.0) continue;
    EXPECT_TRUE(std::any_of(run.analysis.steps.begin(), run.analysis.steps.end(),
                            [&](const StepResult& d) {
                              return d.event.side == t.side &&
                                     std::abs(static_cast<double>(d.event.ic_us) * 1e-6 - t.ic_s) <=
                                         0.06;
                            }))
        << "landing at " << t.ic_s << " s";
  }
}

// An accelerometer-only shoe whose every other landing's spike falls between samples (hold-out
// sweep, fifty-first session, run `gaitkeeper simulate --sensors left_foot --accel-only --rate-hz
// 128 --speed-mps 3.59 --cadence-spm 154.1 --foot-strike heel --duty-factor 0.36 --noise-scale 2
// --mounting-max-deg 30 --seed 345999`): impacts of 3-5 g against 9-10 g, the weak ones under the
// relative level. Its second landing came before any rhythm was known and was lost; the stride
// time across it then spanned two strides, and that "disagreed" with the foot's period from the
// autocorrelation, so the fourth landing, also weak, was lost too (F1 0.987, cadence error 1.31
// steps/min). A time spanning whole strides agrees with the period now (fifty-first session), and
// the second landing is held until the period is known, 1.9 s into the data, and taken then
// (fifty-third session; F1 0.9935 -> 1.000).
TEST(Accuracy, AccelerometerOnlyShoeWeakLandingAfterADoubleStride) {
  std::vector<sim::SensorSettings> sensors = {sim::feet_sensors(128.0, /*accel_only=*/true).at(0)};
  const sim::SimResult r = sim::simulate(
      steady_run(345999, 3.59, 154.1, 0.36, FootStrikePattern::kHeel, sensors, 2.0, 30.0));
  std::vector<TruthEvent> truth = observable(r);
  std::erase_if(truth, [](const TruthEvent& e) { return e.side != pb::LEFT; });
  const GaitAnalysis a = analyze_gait(r.session);
  const EventEvaluation e = evaluate_events(a.steps, truth);
  print_eval("left shoe accel-only 128 Hz, weak landings on alternate strides", e);
  // Every landing is found, the second one too.
  for (size_t i = 0; i < truth.size(); ++i) {
    EXPECT_TRUE(std::any_of(a.steps.begin(), a.steps.end(),
                            [&](const StepResult& step) {
                              return std::abs(static_cast<double>(step.event.ic_us) * 1e-6 -
                                              truth[i].ic_s) <= 0.03;
                            }))
        << "landing " << i << " at " << truth[i].ic_s << " s";
  }
  EXPECT_EQ(e.steps_detected, e.matched);
  EXPECT_EQ(e.steps_true, e.matched);
  EXPECT_TRUE(std::any_of(a.warnings.begin(), a.warnings.end(), [](const std::string& w) {
    return w.find("held until the foot's stride was known") != std::string::npos;
  }));
}

// The other side of that rule (hold-out sweep `tools/step-sweep --seed 5353 --rates any
// --accel-only`, run --seed 150404, forty-seventh session): a 104 Hz shank whose data end 114 ms
// after its last landing, with a larger mid-stance rise 87 ms after it. The rise was the candidate,
// doubtful for the rhythm and with no stance in the data after it, so it was not claimed, and
// the landing went with it. The rhythm's choice between the two (choose_impact) is made now, and
// a landing whose stance is in the data is taken.
TEST(Accuracy, AccelerometerOnlyShankLandingBeforeARiseAtTheDataEnd) {
  const sim::SimResult r =
      sim::simulate(steady_run(150404, 4.70, 193.9, 0.27, FootStrikePattern::kMid,
                               sim::shank_sensors(104.0, /*accel_only=*/true), 1.0, 90.0));
  const GaitAnalysis a = analyze_gait(r.session);
  const EventEvaluation e = evaluate_events(a.steps, observable(r));
  print_eval("shanks accel-only 104 Hz, a landing before a rise at the data end", e);
  int64_t last_left_us = INT64_MIN;
  for (const TruthEvent& t : observable(r)) {
    if (t.side == pb::LEFT)
      last_left_us = std::max<int64_t>(last_left_us, std::llround(t.ic_s * 1e6));
  }
  ASSERT_GT(last_left_us, 59'800'000);
  EXPECT_TRUE(std::any_of(a.steps.begin(), a.steps.end(),
                          [&](const StepResult& s) {
                            return s.event.side == pb::LEFT &&
                                   std::abs(s.event.ic_us - last_left_us) <= 30'000;
                          }))
      << "the last left landing, " << (60'000'000 - last_left_us) / 1000 << " ms before the end";
  EXPECT_EQ(e.steps_detected, e.steps_true) << unmatched(a.steps, observable(r));
}

// Data that begins anywhere in a stride, a stance included: an accelerometer-only shank whose
// data began at its toe-off took the drop of the loaded stance's first samples as a landing (a
// false first step at the first sample, accelerometer-only sweep 404, run 703758), and data that
// began after a landing took the stance's mid-stance rise for one. A landing rises from the swing
// before it, so no jump within 100 ms of the data's start is one (it holds the stance's later
// jumps off as a landing would). Checked here: no step before the first contact the data hold.
// The later steps' misses are printed, not asserted: before its rhythm is known, a stretch's
// first landings at 100-200 Hz may still be taken at a larger mid-stance rise.
TEST(Accuracy, AccelerometerOnlyShankDataStartingInAStance) {
  for (const double rate_hz : {100.0, 200.0}) {
    sim::SimSettings s =
        steady_run(703758, 3.09, 196.2, 0.26, FootStrikePattern::kFore,
                   {sim::shank_sensors(rate_hz, /*accel_only=*/true).at(0)}, 1.0, 90.0);
    s.runner.schedule = {{Activity::kRun, 12.0, 3.09, 196.2}};
    const sim::SimResult full = sim::simulate(s);
    const pb::Side side = pb::LEFT;
    int head_false = 0, later_false = 0, starts = 0;
    // Every 10 ms over one stride from 4 s on: the data start sweeps through the stance.
    for (double start_s = 4.0; start_s < 4.62; start_s += 0.01, ++starts) {
      sim::SimResult cut = full;
      auto& samples = cut.session.sensors.at(0).samples;
      const auto start_us = static_cast<int64_t>(start_s * 1e6);
      samples.erase(samples.begin(),
                    std::find_if(samples.begin(), samples.end(),
                                 [&](const ImuSample& x) { return x.t_us >= start_us; }));
      const GaitAnalysis a = analyze_gait(cut.session);
      ASSERT_FALSE(a.steps.empty());
      double first_contact_s = 1e9;
      for (const TruthEvent& e : *full.truth.events) {
        if (e.side == side && e.ic_s >= start_s)
          first_contact_s = std::min(first_contact_s, e.ic_s);
      }
      for (const StepResult& step : a.steps) {
        ASSERT_EQ(step.event.side, side);
        const double ic_s = static_cast<double>(step.event.ic_us) * 1e-6;
        const bool matched = std::any_of(
            full.truth.events->begin(), full.truth.events->end(),
            [&](const TruthEvent& e) { return e.side == side && std::abs(e.ic_s - ic_s) <= 0.06; });
        if (matched) continue;
        if (ic_s < first_contact_s + 0.06) {
          ++head_false;
          ADD_FAILURE() << rate_hz << " Hz, data from " << start_s << " s: a step at " << ic_s
                        << " s, before the first contact in the data (" << first_contact_s << " s)";
        } else {
          ++later_false;
        }
      }
    }
    std::printf(
        "[accuracy] accelerometer-only shank %.0f Hz, data starting at %d points over a "
        "stride: %d false steps before the first contact, %d later\n",
        rate_hz, starts, head_false, later_false);
  }
}

// An accelerometer-only shank at 1 kHz that stands, walks and then runs (transitions sweep 9191,
// run 78708). The rhythm's line through the last seven impacts ran late across the change of pace
// (walking strides of 1.09 s, running ones of 0.67 s): 3.5 s into the run it put a landing 56 ms
// after where it was, at the mid-stance rise, and every later stride of that leg followed (IC 49
// ms late, IC error 22 ms, cadence error 2.6 steps/min). The rhythm now chooses only while its
// strides are steady (TibialImpactDetectorSettings::rival_rhythm_tolerance).
TEST(Accuracy, AccelerometerOnlyShankWalkIntoARunKeepsItsLandings) {
  sim::SimSettings s = steady_run(78708, 3.74, 180.5, 0.25, FootStrikePattern::kHeel,
                                  sim::shank_sensors(1000.0, /*accel_only=*/true), 1.0, 30.0);
  s.runner.schedule = {{Activity::kStand, 3.0, 0.0, 0.0},
                       {Activity::kWalk, 8.0, 1.4, 110.0},
                       {Activity::kRun, 60.0, 3.74, 180.5}};
  set_leg_into_contact(s.runner, 12.8, 3.1, 0.065, 8.3);
  s.runner.shock_peak_ms = 8.0;
  s.runner.asymmetry_pct = -7.6;
  s.runner.pelvic_drop_deg = 3.0;
  for (sim::SensorSettings& sensor : s.sensors) sensor.errors.timestamp_jitter_us = 200.0;
  const ScoredRun run = score_run("shanks, no gyro, 1 kHz, stand, walk, run", s);
  const EventEvaluation& e = run.eval;
  EXPECT_GE(e.f1, 0.995) << unmatched(run.analysis.steps, run.truth);
  EXPECT_LE(e.ic_mae_ms.value_or(1e9), 5.0);
  EXPECT_LE(e.cadence_mae_spm.value_or(1e9), 0.5);
}

// Accelerometer-only shanks at 102-104 Hz walking before a run (`tools/step-sweep --seed 2424
// --runs 150 --rates any --transitions --accel-only`, runs 165117 and 228414). A walker's heel
// strike samples at 0.3-0.8 g there, and the first of a walk that clear the impact level can be
// two strides apart: the rhythm took that gap for one stride, and the weak landings it expected
// fell between the real ones (landings from each leg's third on missed: two on 165117, cadence
// error 1.54 steps/min; one on 228414, 0.64). The stride now comes from the autocorrelation of the
// leg's acceleration where the impacts cannot say it (StrideAutocorrelation).
// That period needs a stride and a second of walking, and a leg's second landing can come before
// it: two runs of `tools/step-sweep --seed 2626 --runs 150 --rates any --transitions --accel-only
// --noise-scale 1` (628379 at 119 Hz, 922030 at 104 Hz, a 10 s stand first) lost it on both legs,
// their heel strikes jumping by 0.4-0.6 g: the period came 2.1 s into the walk, the second
// landing's window closed at 1.95 s (F1 0.9942-0.9948, cadence error 0.43-0.46 steps/min). The
// rows since a bout's first impact are now held until the stride is known, and the weak rule is
// run over them then (fifty-third session). Every walking landing of all four runs is found now.
TEST(Accuracy, AccelerometerOnlyShanksFindTheirWalkingStride) {
  struct Case {
    uint64_t seed;
    double speed_mps, cadence_spm, duty_factor;
    FootStrikePattern strike;
    double rate_hz, noise_scale, mounting_max_deg, stand_s, drift_spm, jitter_us;
  };
  const Case cases[] = {
      {165117, 4.58, 197.4, 0.29, FootStrikePattern::kMid, 104.0, 2.0, 90.0, 10.0, -15.0, 0.0},
      {228414, 3.55, 171.0, 0.27, FootStrikePattern::kHeel, 102.4, 1.0, 30.0, 0.0, -15.0, 0.0},
      {628379, 5.66, 173.6, 0.35, FootStrikePattern::kHeel, 119.0, 1.0, 180.0, 10.0, 10.0, 200.0},
      {922030, 4.64, 159.4, 0.40, FootStrikePattern::kFore, 104.0, 1.0, 90.0, 10.0, 0.0, 0.0},
  };
  for (const Case& c : cases) {
    sim::SimSettings s = steady_run(c.seed, c.speed_mps, c.cadence_spm, c.duty_factor, c.strike,
                                    sim::shank_sensors(c.rate_hz, /*accel_only=*/true),
                                    c.noise_scale, c.mounting_max_deg);
    s.runner.schedule.clear();
    if (c.stand_s > 0.0) s.runner.schedule.push_back({Activity::kStand, c.stand_s, 0.0, 0.0});
    s.runner.schedule.push_back({Activity::kWalk, 8.0, 1.4, 110.0});
    s.runner.schedule.push_back({Activity::kRun, 60.0, c.speed_mps, c.cadence_spm});
    s.runner.cadence_drift_spm = c.drift_spm;
    for (sim::SensorSettings& sensor : s.sensors) sensor.errors.timestamp_jitter_us = c.jitter_us;
    const ScoredRun run =
        score_run("shanks, no gyro, walking stride, seed " + std::to_string(c.seed), s);
    SCOPED_TRACE(c.seed);
    const double walk_end_s = c.stand_s + 8.0;
    for (const TruthEvent& e : run.truth) {
      if (e.ic_s >= walk_end_s) continue;
      const bool found = std::any_of(
          run.analysis.steps.begin(), run.analysis.steps.end(), [&](const StepResult& d) {
            return d.event.side == e.side &&
                   std::abs(static_cast<double>(d.event.ic_us) * 1e-6 - e.ic_s) <= 0.06;
          });
      EXPECT_TRUE(found) << (e.side == pb::LEFT ? "left" : "right") << " walking landing at "
                         << e.ic_s << " s";
    }
    EXPECT_GE(run.eval.f1, 0.995);
    EXPECT_LE(run.eval.cadence_mae_spm.value_or(1e9), 0.5);
    const auto& w = run.analysis.warnings;
    EXPECT_TRUE(std::any_of(w.begin(), w.end(), [](const std::string& x) {
      return x.find("found by looking back") != std::string::npos;
    }));
  }
}

// Accelerometer-only shoes at 100 Hz with three times the noise and short contacts (`tools/
// step-sweep --seed 8383 --runs 150 --rates any --accel-only --runner-variety`, run 921107: 4.8
// m/s, 175.5 steps/min, duty factor 0.25). The left shoe's third landing (1.88 s) fell between
// samples, its jump under the impact level; a weak landing is taken where the rhythm expects one,
// but the rhythm needed three strides, and that one lost step put ten windows a step off (cadence
// error 1.0 steps/min). Before three strides the stride is now the autocorrelation's of the
// shoe's acceleration, where the strides seen agree with it.
TEST(Accuracy, AccelerometerOnlyShoesKeepARunsFirstStrides) {
  sim::SimSettings s = steady_run(921107, 4.76, 175.5, 0.25, FootStrikePattern::kMid,
                                  sim::feet_sensors(100.0, /*accel_only=*/true), 3.0, 30.0);
  set_leg_into_contact(s.runner, 13.3, 4.5, 0.074, 6.5);
  s.runner.asymmetry_pct = -1.3;
  s.runner.pelvic_drop_deg = 3.5;
  const ScoredRun run = score_run("shoes, no gyro, 100 Hz, three times the noise", s);
  EXPECT_GE(run.eval.f1, 0.995) << unmatched(run.analysis.steps, run.truth);
  EXPECT_LE(run.eval.cadence_mae_spm.value_or(1e9), 0.5);
}

// One shank alone gives every other step, with its side; cadence is twice its stride rate.
TEST(Accuracy, OneShankAccelerometerOnlyKeepsTheCadence) {
  sim::SimSettings s;
  s.seed = 61;
  s.runner.schedule = {{Activity::kRun, 60.0, 3.5, 172.0}};
  s.sensors = {sim::shank_sensors(500.0, /*accel_only=*/true).at(0)};
  const sim::SimResult r = sim::simulate(s);
  const GaitAnalysis a = analyze_gait(r.session);
  const pb::Side side = a.steps.empty() ? pb::SIDE_UNKNOWN : a.steps.front().event.side;
  ASSERT_NE(side, pb::SIDE_UNKNOWN);
  const EventEvaluation e = evaluate_events(a.steps, truth_of_side(observable(r), side));
  print_eval("one shank, no gyro, 500 Hz", e);
  EXPECT_GE(e.f1, 0.995) << unmatched(a.steps, truth_of_side(observable(r), side));
  ASSERT_TRUE(e.cadence_mae_spm);
  EXPECT_LE(*e.cadence_mae_spm, 0.5);
  for (const StepResult& step : a.steps) EXPECT_EQ(step.event.side, side);
}

// Lost packets (a Bluetooth link drops whole packets: 20 samples are a
// 0.1 s hole at 200 Hz, 0.2 s at 100 Hz). Holes up to 0.25 s are bridged,
// never filled: a step whose landing may lie in one is marked and yields
// to any other sensor's report of the same contact. Cutting the stretch at
// each such hole instead lost the stride around it (200 Hz, 2 %: F1 0.954,
// cadence error 11.5 steps/min; 10 %: 0.687, 68.9).
TEST(Accuracy, LostPacketsFeetOnly) {
  struct Case {
    double rate_hz, drop_pct, f1_min, cadence_max_spm;
  };
  // Bounds a little under the measured figures (docs/ACCURACY.md, "Lost
  // packets"): F1 0.994 / 0.968 / 0.994, cadence error 0.22 / 1.45 / 0.64;
  // since the landings lost in holes are found (2026-12-07) 1.000 / 0.991 /
  // 1.000 and 0.05 / 1.21 / 0.09.
  const Case cases[] = {{200.0, 2.0, 0.99, 0.5}, {200.0, 10.0, 0.96, 2.0}, {100.0, 2.0, 0.99, 1.0}};
  for (const Case& c : cases) {
    sim::SimSettings s;
    s.seed = 9;
    s.runner.schedule = {{Activity::kRun, 60.0, 3.0, 170.0}};
    s.sensors = sim::feet_sensors(c.rate_hz);
    for (sim::SensorSettings& sensor : s.sensors) sensor.errors.packet_drop_pct = c.drop_pct;
    const sim::SimResult r = sim::simulate(s);
    const GaitAnalysis a = analyze_gait(r.session);
    const EventEvaluation e = evaluate_events(a.steps, observable(r));
    char label[64];
    std::snprintf(label, sizeof label, "feet %.0f Hz, %.0f %% packets lost", c.rate_hz, c.drop_pct);
    print_eval(label, e);
    EXPECT_GE(e.f1, c.f1_min) << label;
    ASSERT_TRUE(e.cadence_mae_spm) << label;
    EXPECT_LE(*e.cadence_mae_spm, c.cadence_max_spm) << label;
    size_t in_hole = 0;
    for (const StepResult& step : a.steps) {
      if (!step.event.ic_in_hole) continue;
      ++in_hole;
      EXPECT_LT(step.event.quality, 1.0) << label;
    }
    EXPECT_GT(in_hole, 0u) << label;
    if (c.rate_hz == 100.0) {
      // 0.2 s holes swallow whole landings, which are then timed from the
      // strides before, and the analysis says so.
      EXPECT_TRUE(std::any_of(a.warnings.begin(), a.warnings.end(), [](const std::string& w) {
        return w.find("landings fell in such a hole") != std::string::npos;
      })) << label;
    }
  }
}

// The same holes on an accelerometer-only sensor (ImpactStepDetector): a pelvis clip. Every
// hole used to end the stretch there, losing the contacts on both sides of it (F1 0.967,
// 0.941 and 0.808; cadence error 10.3, 16.5 and 48.7 steps/min). Bridged, a landing whose onset
// fell in the hole is timed from the rhythm of the steps before, and marked.
/// One 60 s run at 3.5 m/s and 170 steps/min on `sensors`, with `drop_pct` of their packets
/// lost; checks F1, cadence error and that some step is flagged as timed in a hole.
void expect_lost_packets_run(const char* name, std::vector<sim::SensorSettings> sensors,
                             double drop_pct, uint64_t seed, double f1_min,
                             double cadence_max_spm) {
  sim::SimSettings s;
  s.seed = seed;
  s.runner.schedule = {{Activity::kRun, 60.0, 3.5, 170.0}};
  s.sensors = std::move(sensors);
  for (sim::SensorSettings& sensor : s.sensors) sensor.errors.packet_drop_pct = drop_pct;
  const sim::SimResult r = sim::simulate(s);
  const GaitAnalysis a = analyze_gait(r.session);
  const EventEvaluation e = evaluate_events(a.steps, observable(r));
  char label[80];
  std::snprintf(label, sizeof label, "%s %.0f Hz, %.0f %% packets lost", name,
                r.session.sensors.at(0).info.nominal_rate_hz(), drop_pct);
  print_eval(label, e);
  EXPECT_GE(e.f1, f1_min) << label << unmatched(a.steps, observable(r));
  ASSERT_TRUE(e.cadence_mae_spm) << label;
  EXPECT_LE(*e.cadence_mae_spm, cadence_max_spm) << label;
  size_t in_hole = 0;
  for (const StepResult& step : a.steps) {
    if (!step.event.ic_in_hole) continue;
    ++in_hole;
    EXPECT_LE(step.event.quality, 0.4 + 1e-9) << label << ": lowered where the IC was in a hole";
  }
  EXPECT_GT(in_hole, 0u) << label;
}

// A lost packet that ends shortly before a landing. The late swing's braking changes the
// acceleration across the hole by more than the landing's own first jump does, and was taken for
// the impact: the contact was put inside the hole, 0.1-0.15 s early (a miss and a false step in
// the lost-packet sweep, seed 7171). The strides' rhythm puts the landing after the hole, so the
// impact is now looked for beside it. Every seventh left landing after 10 s gets such a hole (a
// 20-sample packet at 200 Hz, ending 0.1 s before it), on a forefoot runner whose landing jump
// is the smallest; each of those landings must be timed within the issue's 5 ms (measured
// 2026-12-07: all 9 within 2.7 ms; without the rhythm check 3 of them were 84-86 ms early).
TEST(Accuracy, ALandingJustAfterAHoleIsTimedByItsOwnImpact) {
  sim::SimSettings s;
  s.seed = 991104;
  s.runner.schedule = {{Activity::kRun, 60.0, 2.55, 165.9}};
  s.runner.foot_strike = sim::FootStrikePattern::kFore;
  s.sensors = sim::feet_sensors(200.0);
  sim::SimResult r = sim::simulate(s);
  std::vector<double> cut_ic_s;
  size_t left = 0;
  for (const TruthEvent& e : *r.truth.events) {
    if (e.side != pb::LEFT || e.ic_s < 10.0 || e.ic_s > 55.0 || left++ % 7 != 0) continue;
    cut_ic_s.push_back(e.ic_s);
  }
  ASSERT_GE(cut_ic_s.size(), 5u);
  for (SensorStream& sensor : r.session.sensors) {
    if (sensor.info.placement() != pb::LEFT_FOOT) continue;
    std::erase_if(sensor.samples, [&](const ImuSample& x) {
      const double t_s = static_cast<double>(x.t_us) * 1e-6;
      return std::any_of(cut_ic_s.begin(), cut_ic_s.end(),
                         [&](double ic_s) { return t_s >= ic_s - 0.2 && t_s < ic_s - 0.1; });
    });
  }
  const GaitAnalysis a = analyze_gait(r.session);
  for (const double ic_s : cut_ic_s) {
    double best_ms = 1e9;
    for (const StepResult& step : a.steps) {
      if (step.event.side != pb::LEFT) continue;
      const double err_ms = std::abs(static_cast<double>(step.event.ic_us) * 1e-3 - ic_s * 1e3);
      best_ms = std::min(best_ms, err_ms);
    }
    std::printf("[accuracy] landing at %.3f s, 0.1 s after a hole: IC error %.2f ms\n", ic_s,
                best_ms);
    EXPECT_LE(best_ms, 5.0) << "the left landing at " << ic_s << " s";
  }
}

TEST(Accuracy, LostPacketsPelvisOnly) {
  expect_lost_packets_run("pelvis", sim::pelvis_sensors(200.0), 3.0, 24, 0.995, 0.5);
  expect_lost_packets_run("pelvis", sim::pelvis_sensors(100.0), 5.0, 31, 0.995, 0.5);
  expect_lost_packets_run("pelvis", sim::pelvis_sensors(500.0), 5.0, 32, 0.995, 0.5);
}

// And on shoes without a gyroscope (FootRestStepDetector). Cutting the stretch at each hole lost
// the step on each side of it (F1 0.938 and 0.741, cadence error 16.5 and 60.3 steps/min). Bridged,
// a rest cut short by a hole still counts, and a landing whose impact fell in one is timed from the
// stride rhythm when the rest after it is seen. A rest that falls wholly in a hole leaves nothing
// to count, so some steps were still lost, until such a landing was found between the landings
// either side of its hole (LostLandingFinder). Each run's bounds sit a little outside its own
// measured figures (2026-12-06: 200 Hz F1 0.994, cadence error 1.94 steps/min; 500 Hz F1 1.000,
// 0.08; 2026-12-07: 200 Hz 1.000, 0.07).
TEST(Accuracy, LostPacketsShoeAccelerometerOnly) {
  expect_lost_packets_run("shoes, no gyro,", sim::feet_sensors(200.0, /*accel_only=*/true), 3.0, 42,
                          0.995, 0.5);
  expect_lost_packets_run("shoes, no gyro,", sim::feet_sensors(500.0, /*accel_only=*/true), 5.0, 44,
                          0.995, 0.5);
}

// And on shanks without a gyroscope (TibialImpactStepDetector), whose landing is one sharp jump:
// a hole over it left nothing to find, and one stride's report then spanned two. The landing the
// hole swallowed is now found between the landings either side (LostLandingFinder). Measured
// 2026-12-07, before -> now: 500 Hz F1 0.991 -> 1.000, cadence error 2.85 -> 0.04 steps/min;
// 100 Hz F1 0.979 -> 0.997, 6.73 -> 1.08. What was left was one landing in a 0.41 s hole on the
// left shank (two packets lost in a row), then a gap the detectors started over after; bridged
// since the forty-ninth session (kDropoutBridgeMax_s): F1 1.000, cadence error 0.14.
TEST(Accuracy, LostPacketsShankAccelerometerOnly) {
  expect_lost_packets_run("shanks, no gyro,", sim::shank_sensors(500.0, /*accel_only=*/true), 3.0,
                          51, 0.995, 0.5);
  expect_lost_packets_run("shanks, no gyro,", sim::shank_sensors(100.0, /*accel_only=*/true), 3.0,
                          52, 0.995, 0.5);
}

// Gyro shanks (ShankStepDetector) and the full set of shoes, shanks and thighs losing packets. A
// shank's landing in a hole was timed at a swing feature before it or a jump after it (61-203 ms
// off); it is now placed from the time since the mid-swing, or from the recent landings' rhythm
// where the hole hides the mid-swing too. With shoes, the merger took the shank's whole report
// wherever the foot's IC was in doubt, and with it the shank's toe-off (contacts 90-110 ms long):
// the foot's toe-off is now kept where it is sound. Measured 2026-12-07, before -> now: shanks
// F1 0.985 -> 0.997, cadence error 1.11 -> 1.01 steps/min (what was left was one landing in a
// 0.41 s hole, two packets lost in a row: bridged since the forty-ninth session, F1 1.000, cadence
// error 0.08); shoes and sleeve contact-time error 17.1 -> 1.2 ms.
TEST(Accuracy, LostPacketsShanksAndShoeAndSleeve) {
  expect_lost_packets_run("shanks", sim::shank_sensors(100.0), 3.0, 61, 0.995, 0.5);
  sim::SimSettings s;
  s.seed = 62;
  s.runner.schedule = {{Activity::kRun, 60.0, 5.0, 185.0}};
  s.runner.foot_strike = sim::FootStrikePattern::kFore;
  s.sensors = sim::shoe_and_sleeve_sensors(500.0);
  for (sim::SensorSettings& sensor : s.sensors) sensor.errors.packet_drop_pct = 3.0;
  const sim::SimResult r = sim::simulate(s);
  const GaitAnalysis a = analyze_gait(r.session);
  const EventEvaluation e = evaluate_events(a.steps, observable(r));
  print_eval("shoes and sleeve 500 Hz, 3 % packets lost", e);
  EXPECT_GE(e.f1, 0.995);
  ASSERT_TRUE(e.contact_mae_ms);
  EXPECT_LE(*e.contact_mae_ms, 10.0);
}

}  // namespace
}  // namespace gk
