// Contract of the streaming gait core (src/gait): one typed suite over every
// step detector (same interface, drop-in), batch and streaming giving the
// same steps, the bounded emission delay, and degenerate input (NaN, gaps,
// clock jumps, saturation, rate changes, a sensor that never moves) marked
// with a warning that names the sensor and the time.
#include <gtest/gtest.h>
#include <unistd.h>

#include <Eigen/Geometry>
#include <algorithm>
#include <cctype>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <functional>
#include <iterator>
#include <limits>
#include <map>
#include <memory>
#include <numbers>
#include <optional>
#include <random>
#include <regex>
#include <string>
#include <type_traits>
#include <utility>
#include <vector>

#include "declip.hpp"
#include "event_evaluation.hpp"
#include "foot_rest_step_detector.hpp"
#include "foot_step_detector.hpp"
#include "gait_engine.hpp"
#include "gait_timeline.hpp"
#include "impact_placement.hpp"
#include "impact_step_detector.hpp"
#include "lost_landing_finder.hpp"
#include "packetizer.hpp"
#include "placement.hpp"
#include "recording.hpp"
#include "sample_period.hpp"
#include "session.hpp"
#include "session_analysis.hpp"
#include "shank_step_detector.hpp"
#include "simulator.hpp"
#include "stream_by_time.hpp"
#include "stride_autocorrelation.hpp"
#include "stride_features.hpp"
#include "stride_rhythm.hpp"
#include "stride_template.hpp"
#include "tibial_impact_step_detector.hpp"
#include "turn_step_finder.hpp"
#include "zero_velocity.hpp"
#include "zupt_integrator.hpp"

namespace gk {
namespace {

using sim::Activity;
using test::engine_header;
using test::stream_by_time;
using test::Streamed;

constexpr double kRate_hz = 200.0;
constexpr double kCadence_spm = 170.0;
constexpr double kStride_s = 120.0 / kCadence_spm;

sim::SensorSettings sensor_at(pb::Placement p, double rate_hz, bool accel_only = false) {
  std::vector<sim::SensorSettings> all;
  switch (segment_of(p)) {
    case Segment::kFoot:
      all = sim::feet_sensors(rate_hz, accel_only);
      break;
    case Segment::kShank:
      all = sim::shank_sensors(rate_hz, accel_only);
      break;
    case Segment::kPelvis:
      all = sim::pelvis_sensors(rate_hz, /*accel_only=*/true);
      break;
    default:
      all = sim::thigh_sensors(rate_hz);
      break;
  }
  for (const sim::SensorSettings& s : all) {
    if (s.placement == p) return s;
  }
  ADD_FAILURE() << "no preset sensor at " << placement_name(p);
  return {};
}

sim::SimResult simulate_run(uint64_t seed, std::vector<sim::Stretch> schedule,
                            std::vector<sim::SensorSettings> sensors) {
  sim::SimSettings s;
  s.seed = seed;
  s.runner.schedule = std::move(schedule);
  s.sensors = std::move(sensors);
  return sim::simulate(s);
}

std::vector<sim::Stretch> steady_run(double duration_s) {
  return {{Activity::kRun, duration_s, 3.2, kCadence_spm}};
}

std::vector<TruthEvent> truth_of_side(const std::vector<TruthEvent>& all, pb::Side side) {
  if (side == pb::SIDE_UNKNOWN) return all;
  std::vector<TruthEvent> out;
  for (const TruthEvent& e : all) {
    if (e.side == side) out.push_back(e);
  }
  return out;
}

std::vector<StepResult> as_results(const std::vector<DetectedStep>& steps) {
  std::vector<StepResult> out;
  for (const DetectedStep& d : steps) {
    StepResult r;
    r.event = d;
    out.push_back(r);
  }
  return out;
}

double ic_s(const DetectedStep& d) { return static_cast<double>(d.ic_us) * 1e-6; }

/// Detections without a same-side truth contact within 60 ms, and truth
/// contacts without a detection, as "t=..." lists for failure messages.
std::string unmatched(const std::vector<DetectedStep>& steps,
                      const std::vector<TruthEvent>& truth) {
  auto near = [](double a, double b) { return std::abs(a - b) <= 0.06; };
  auto same = [](pb::Side a, pb::Side b) {
    return a == pb::SIDE_UNKNOWN || b == pb::SIDE_UNKNOWN || a == b;
  };
  std::string extra, missed;
  for (const DetectedStep& d : steps) {
    bool hit = false;
    for (const TruthEvent& e : truth) hit |= near(e.ic_s, ic_s(d)) && same(e.side, d.side);
    if (!hit) extra += " " + std::to_string(ic_s(d));
  }
  for (const TruthEvent& e : truth) {
    bool hit = false;
    for (const DetectedStep& d : steps) hit |= near(e.ic_s, ic_s(d)) && same(e.side, d.side);
    if (!hit) missed += " " + std::to_string(e.ic_s);
  }
  return "extra detections at [" + extra + " ] s, missed truth at [" + missed + " ] s";
}

bool finite_opt(const std::optional<double>& v) { return !v || std::isfinite(*v); }

/// Every number in the step is finite and its times lie inside the data.
void expect_sane(const DetectedStep& d, int64_t t_first_us, int64_t t_last_us) {
  EXPECT_GE(d.ic_us, t_first_us);
  EXPECT_LE(d.ic_us, t_last_us);
  if (d.to_us) {
    EXPECT_GT(*d.to_us, d.ic_us);
    EXPECT_LE(*d.to_us, t_last_us);
  }
  EXPECT_TRUE(std::isfinite(d.quality));
  EXPECT_GE(d.quality, 0.0);
  EXPECT_LE(d.quality, 1.0);
  EXPECT_TRUE(finite_opt(d.stride_time_ms));
  EXPECT_TRUE(finite_opt(d.stride_m));
  EXPECT_TRUE(finite_opt(d.speed_mps));
  EXPECT_TRUE(finite_opt(d.foot_strike_angle_deg));
  EXPECT_TRUE(finite_opt(d.shock_g));
}

void expect_sane(const StepResult& r, int64_t t_first_us, int64_t t_last_us) {
  expect_sane(r.event, t_first_us, t_last_us);
  for (const auto& v : {r.step_time_ms, r.contact_ms, r.flight_ms, r.swing_ms, r.cadence_spm,
                        r.stride_m, r.shock_g}) {
    EXPECT_TRUE(finite_opt(v));
  }
}

// ---------------------------------------------------------------------------
// One typed suite for every step detector.

template <typename T>
struct DetectorSetup;

template <>
struct DetectorSetup<FootStepDetector> {
  static constexpr pb::Placement kPlacement = pb::LEFT_FOOT;
  static constexpr bool kAccelOnly = false;
  static std::unique_ptr<StepDetector> make(double rate_hz) {
    FootDetectorSettings s;
    s.segmenter.placement = kPlacement;
    s.segmenter.nominal_rate_hz = rate_hz;
    return std::make_unique<FootStepDetector>(s);
  }
};

template <>
struct DetectorSetup<ShankStepDetector> {
  static constexpr pb::Placement kPlacement = pb::LEFT_SHANK;
  static constexpr bool kAccelOnly = false;
  static std::unique_ptr<StepDetector> make(double rate_hz) {
    ShankDetectorSettings s;
    s.segmenter.placement = kPlacement;
    s.segmenter.nominal_rate_hz = rate_hz;
    return std::make_unique<ShankStepDetector>(s);
  }
};

template <>
struct DetectorSetup<FootRestStepDetector> {
  static constexpr pb::Placement kPlacement = pb::RIGHT_FOOT;  // accelerometer-only shoe
  static constexpr bool kAccelOnly = true;
  static std::unique_ptr<StepDetector> make(double rate_hz) {
    FootRestDetectorSettings s;
    s.placement = kPlacement;
    s.nominal_rate_hz = rate_hz;
    return std::make_unique<FootRestStepDetector>(s);
  }
};

template <>
struct DetectorSetup<ImpactStepDetector> {
  static constexpr pb::Placement kPlacement = pb::PELVIS;  // accelerometer-only clip
  static constexpr bool kAccelOnly = true;
  static std::unique_ptr<StepDetector> make(double rate_hz) {
    ImpactDetectorSettings s;
    s.placement = kPlacement;
    s.nominal_rate_hz = rate_hz;
    return std::make_unique<ImpactStepDetector>(s);
  }
};

template <>
struct DetectorSetup<TibialImpactStepDetector> {
  static constexpr pb::Placement kPlacement = pb::RIGHT_SHANK;  // accelerometer-only shank
  static constexpr bool kAccelOnly = true;
  static std::unique_ptr<StepDetector> make(double rate_hz) {
    TibialImpactDetectorSettings s;
    s.placement = kPlacement;
    s.nominal_rate_hz = rate_hz;
    return std::make_unique<TibialImpactStepDetector>(s);
  }
};

struct Fed {
  std::vector<DetectedStep> steps;  ///< concatenated take() results
  std::vector<int64_t> emit_t_us;   ///< sample time at which each step came out
  std::vector<size_t> batch_of;     ///< which take() call returned it
  /// Steps that came out with an IC before a horizon the detector had
  /// already promised (horizon_us(): no earlier IC from now on).
  std::vector<std::string> broken_promises;
};

Fed feed(StepDetector& detector, const std::vector<ImuSample>& samples) {
  Fed out;
  size_t batch = 0;
  int64_t promised_us = INT64_MIN;
  auto check = [&](const DetectedStep& d) {
    if (d.ic_us < promised_us && out.broken_promises.size() < 5) {
      out.broken_promises.push_back("IC " + std::to_string(d.ic_us) + " us after horizon " +
                                    std::to_string(promised_us) + " us");
    }
  };
  for (const ImuSample& s : samples) {
    detector.push(s);
    for (const DetectedStep& d : detector.take()) {
      check(d);
      out.steps.push_back(d);
      out.emit_t_us.push_back(s.t_us);
      out.batch_of.push_back(batch);
    }
    promised_us = std::max(promised_us, detector.horizon_us());
    ++batch;
  }
  detector.finish();
  for (const DetectedStep& d : detector.take()) {
    check(d);
    out.steps.push_back(d);
    out.emit_t_us.push_back(samples.empty() ? 0 : samples.back().t_us);
    out.batch_of.push_back(batch);
  }
  return out;
}

template <typename T>
class StepDetectorTest : public ::testing::Test {
 protected:
  static constexpr pb::Placement kPlacement = DetectorSetup<T>::kPlacement;
  static pb::Side side() { return side_of(kPlacement); }
  static std::unique_ptr<StepDetector> make() { return DetectorSetup<T>::make(kRate_hz); }

  /// The matching sensor of a 30 s run at 170 steps/min (cached per type).
  static const sim::SimResult& run() {
    static const sim::SimResult result = simulate_run(
        101, steady_run(30.0), {sensor_at(kPlacement, kRate_hz, DetectorSetup<T>::kAccelOnly)});
    return result;
  }
  static const std::vector<ImuSample>& samples() { return run().session.sensors.at(0).samples; }
  static std::vector<TruthEvent> truth() { return truth_of_side(*run().truth.events, side()); }
};

class DetectorNames {
 public:
  template <typename T>
  static std::string GetName(int) {
    if constexpr (std::is_same_v<T, FootStepDetector>) return "Foot";
    if constexpr (std::is_same_v<T, ShankStepDetector>) return "Shank";
    if constexpr (std::is_same_v<T, FootRestStepDetector>) return "FootRest";
    if constexpr (std::is_same_v<T, TibialImpactStepDetector>) return "TibialImpact";
    return "Impact";
  }
};

using Detectors = ::testing::Types<FootStepDetector, ShankStepDetector, FootRestStepDetector,
                                   TibialImpactStepDetector, ImpactStepDetector>;
TYPED_TEST_SUITE(StepDetectorTest, Detectors, DetectorNames);

TYPED_TEST(StepDetectorTest, FindsEveryContactOfItsSide) {
  auto detector = TestFixture::make();
  const Fed fed = feed(*detector, TestFixture::samples());
  const std::vector<TruthEvent> truth = TestFixture::truth();
  ASSERT_GT(truth.size(), 30u);
  const EventEvaluation e = evaluate_events(as_results(fed.steps), truth);
  std::printf("[detector %s] true %zu detected %zu matched %zu F1 %.4f IC MAE %.2f ms\n",
              std::string(placement_name(TestFixture::kPlacement)).c_str(), e.steps_true,
              e.steps_detected, e.matched, e.f1, e.ic_mae_ms.value_or(-1.0));
  EXPECT_GE(e.f1, 0.99) << unmatched(fed.steps, truth);
  for (const DetectedStep& d : fed.steps) {
    EXPECT_EQ(d.source, TestFixture::kPlacement);
    EXPECT_EQ(d.side, TestFixture::side());
    expect_sane(d, TestFixture::samples().front().t_us, TestFixture::samples().back().t_us);
  }
  EXPECT_EQ(detector->flags().samples, TestFixture::samples().size());
  EXPECT_EQ(detector->flags().non_finite, 0u);
  EXPECT_EQ(detector->flags().time_backwards, 0u);
  EXPECT_EQ(detector->flags().gaps, 0u);
}

TYPED_TEST(StepDetectorTest, StandingStillGivesNoSteps) {
  const auto sensor =
      sensor_at(TestFixture::kPlacement, kRate_hz, DetectorSetup<TypeParam>::kAccelOnly);
  {
    const sim::SimResult still = simulate_run(102, {{Activity::kStand, 12.0, 0.0, 0.0}}, {sensor});
    auto detector = TestFixture::make();
    const Fed fed = feed(*detector, still.session.sensors[0].samples);
    EXPECT_TRUE(fed.steps.empty()) << "first at " << ic_s(fed.steps.front()) << " s";
  }
  // Run, stand 8 s, run: nothing while the runner stands, from the last
  // contact before the stand (its leg stops through that stance) to the
  // first movement of the start after it (the push-off of the first step,
  // up to a stride before the first contact).
  const std::vector<sim::Stretch> schedule = {{Activity::kRun, 12.0, 3.2, kCadence_spm},
                                              {Activity::kStand, 8.0, 0.0, 0.0},
                                              {Activity::kRun, 12.0, 3.2, kCadence_spm}};
  const sim::SimResult r = simulate_run(103, schedule, {sensor});
  const std::vector<TruthEvent>& all = *r.truth.events;
  double quiet_from = 0.0, quiet_to = 0.0;
  for (size_t i = 1; i < all.size(); ++i) {
    if (all[i].ic_s - all[i - 1].ic_s > quiet_to - quiet_from) {
      quiet_from = all[i - 1].ic_s;
      quiet_to = all[i].ic_s;
    }
  }
  sim::RunnerSettings runner;
  runner.schedule = schedule;
  const sim::GaitTimeline timeline(runner);
  const auto moving = [&](double t_s) {
    const sim::GaitState st = timeline.state(t_s);
    return st.gait > 0.0 || st.sides[0].gait > 0.0 || st.sides[1].gait > 0.0;
  };
  while (quiet_to > quiet_from && moving(quiet_to)) quiet_to -= 0.001;
  ASSERT_GT(quiet_to - quiet_from, 4.0) << "the simulated stand has no quiet stretch";
  ASSERT_FALSE(moving(0.5 * (quiet_from + quiet_to)));
  auto detector = TestFixture::make();
  const Fed fed = feed(*detector, r.session.sensors[0].samples);
  for (const DetectedStep& d : fed.steps) {
    EXPECT_FALSE(ic_s(d) > quiet_from + 0.06 && ic_s(d) < quiet_to - 0.06)
        << "step at " << ic_s(d) << " s while standing (" << quiet_from << ".." << quiet_to << ")";
  }
  const EventEvaluation e =
      evaluate_events(as_results(fed.steps), truth_of_side(all, TestFixture::side()));
  std::printf("[detector %s] run-stand-run F1 %.4f (%zu/%zu/%zu)\n",
              std::string(placement_name(TestFixture::kPlacement)).c_str(), e.f1, e.matched,
              e.steps_true, e.steps_detected);
  // A trunk sensor sees the last contact before a stop with a faded loading
  // peak and may time it more than the 60 ms match window early (measured:
  // one such contact here, precision 0.985); leg sensors must stay at 0.99.
  const double min_precision = TestFixture::kPlacement == pb::PELVIS ? 0.98 : 0.99;
  EXPECT_GE(e.precision, min_precision)
      << unmatched(fed.steps, truth_of_side(all, TestFixture::side()));
}

TYPED_TEST(StepDetectorTest, HorizonMovesOnWhileStanding) {
  // A runner who stops and stands: the detector must not hold back the
  // other sensors' steps (the merger waits for every horizon) for as long as
  // the stand lasts, nor keep the whole stand in memory.
  constexpr double kRun_s = 12.0;
  constexpr double kStand_s = 60.0;
  const sim::SimResult r = simulate_run(
      105,
      {{Activity::kRun, kRun_s, 3.2, kCadence_spm},
       {Activity::kStand, kStand_s, 0.0, 0.0},
       {Activity::kRun, kRun_s, 3.2, kCadence_spm}},
      {sensor_at(TestFixture::kPlacement, kRate_hz, DetectorSetup<TypeParam>::kAccelOnly)});
  const std::vector<ImuSample>& samples = r.session.sensors.at(0).samples;
  auto detector = TestFixture::make();
  // Well inside the stand (the blend into it takes about 2 s).
  const double check_from_s = kRun_s + 10.0;
  const double check_to_s = kRun_s + kStand_s - 1.0;
  double worst_lag_s = 0.0;
  size_t most_buffered = 0;
  for (const ImuSample& s : samples) {
    detector->push(s);
    (void)detector->take();
    const double t_s = static_cast<double>(s.t_us) * 1e-6;
    if (t_s < check_from_s || t_s > check_to_s) continue;
    worst_lag_s =
        std::max(worst_lag_s, static_cast<double>(s.t_us - detector->horizon_us()) * 1e-6);
    most_buffered = std::max(most_buffered, detector->buffered_samples());
  }
  std::printf("[detector %s] standing: horizon at most %.2f s behind, %zu samples buffered\n",
              std::string(placement_name(TestFixture::kPlacement)).c_str(), worst_lag_s,
              most_buffered);
  // Once the stop's last contact is out, no contact can come before the
  // next swing, so the horizon keeps up with the clock (within the impact
  // detector's toe-off wait); before 2026-12-01 a gyro detector trailed it
  // by one longest stride and its context, 3.75 s.
  EXPECT_LT(worst_lag_s, 0.5);
  EXPECT_LT(static_cast<double>(most_buffered), 5.0 * kRate_hz);
  // And the steps around the stand still come out in order, none before a
  // horizon already promised.
  const Fed fed = feed(*TestFixture::make(), samples);
  for (const std::string& broken : fed.broken_promises) ADD_FAILURE() << broken;
  EXPECT_GT(fed.steps.size(), 20u);
}

TYPED_TEST(StepDetectorTest, HorizonKeepsUpBeforeTheFirstStep) {
  // A runner standing before setting off, or a foot standing while the other takes the first
  // steps: the detector has no pitch axis yet and must still say that no contact can come from
  // the stand, or every other sensor's first steps wait for its axis (the merger waits for every
  // horizon). Before 2026-12-05 a gyro detector without an axis promised only its oldest
  // buffered row, up to 6-10 s behind the clock.
  constexpr double kStand_s = 8.0;
  const sim::SimResult r = simulate_run(
      106, {{Activity::kStand, kStand_s, 0.0, 0.0}, {Activity::kRun, 12.0, 3.2, kCadence_spm}},
      {sensor_at(TestFixture::kPlacement, kRate_hz, DetectorSetup<TypeParam>::kAccelOnly)});
  const std::vector<ImuSample>& samples = r.session.sensors.at(0).samples;
  auto detector = TestFixture::make();
  double worst_lag_s = 0.0;
  for (const ImuSample& s : samples) {
    detector->push(s);
    (void)detector->take();
    const double t_s = static_cast<double>(s.t_us) * 1e-6;
    // From a longest stride into the data (a contact before the first mid-swing is looked for
    // where the data begin within one) to the blend into the run.
    if (t_s < 3.0 || t_s > kStand_s - 2.0) continue;
    worst_lag_s =
        std::max(worst_lag_s, static_cast<double>(s.t_us - detector->horizon_us()) * 1e-6);
  }
  std::printf("[detector %s] standing at the start: horizon at most %.2f s behind\n",
              std::string(placement_name(TestFixture::kPlacement)).c_str(), worst_lag_s);
  EXPECT_LT(worst_lag_s, 0.5);
  const Fed fed = feed(*TestFixture::make(), samples);
  for (const std::string& broken : fed.broken_promises) ADD_FAILURE() << broken;
  EXPECT_GT(fed.steps.size(), 10u);
}

TYPED_TEST(StepDetectorTest, SkipsAndCountsNonFiniteAndBackwardsSamples) {
  const std::vector<ImuSample>& clean = TestFixture::samples();
  std::vector<ImuSample> bad;
  const double nan = std::numeric_limits<double>::quiet_NaN();
  const double inf = std::numeric_limits<double>::infinity();
  uint64_t non_finite = 0, backwards = 0;
  const bool gyro = clean.front().has_gyro;
  for (size_t i = 0; i < clean.size(); ++i) {
    const double t = static_cast<double>(clean[i].t_us) * 1e-6;
    ImuSample s = clean[i];
    // NaN then infinities in the accelerometer, NaN in the gyroscope.
    if (t >= 8.0 && t < 8.025) {
      s.acc_mps2.x() = nan;
      ++non_finite;
    }
    if (t >= 11.0 && t < 11.015) {
      s.acc_mps2.z() = i % 2 ? inf : -inf;
      ++non_finite;
    }
    if (gyro && t >= 17.0 && t < 17.01) {
      s.gyr_rps.y() = nan;
      ++non_finite;
    }
    // A repeated time, a sample from the past, then a short stretch that
    // went back 50 ms (all skipped).
    if (t >= 14.0 && t < 14.004) {
      bad.push_back(s);
      s = clean[i - 1];
      ++backwards;
    }
    if (t >= 20.0 && t < 20.004) {
      ImuSample old = clean[i - 7];
      bad.push_back(s);
      s = old;
      ++backwards;
    }
    if (t >= 23.0 && t < 23.05) {
      bad.push_back(s);
      s = clean[i - 10];
      ++backwards;
    }
    bad.push_back(s);
  }
  ASSERT_GT(non_finite, 0u);
  ASSERT_GT(backwards, 0u);
  auto detector = TestFixture::make();
  const Fed fed = feed(*detector, bad);
  const DetectorFlags& f = detector->flags();
  EXPECT_EQ(f.samples, bad.size());
  EXPECT_EQ(f.non_finite, non_finite);
  EXPECT_EQ(f.time_backwards, backwards);
  EXPECT_EQ(f.gaps, 0u);
  EXPECT_NEAR(static_cast<double>(f.first_bad_t_us) * 1e-6, 8.0, 0.01);
  for (const DetectedStep& d : fed.steps) expect_sane(d, clean.front().t_us, clean.back().t_us);
  const EventEvaluation e = evaluate_events(as_results(fed.steps), TestFixture::truth());
  EXPECT_GE(e.f1, 0.97) << unmatched(fed.steps, TestFixture::truth()) << "; matched " << e.matched
                        << " of " << e.steps_true << ", detected " << e.steps_detected;
}

TYPED_TEST(StepDetectorTest, GapIsCountedAndNeverBridged) {
  const std::vector<ImuSample>& clean = TestFixture::samples();
  std::vector<ImuSample> cut;
  for (const ImuSample& s : clean) {
    if (s.t_us >= 15'000'000 && s.t_us < 15'500'000) continue;
    cut.push_back(s);
  }
  int64_t gap_from = 0, gap_to = 0;
  for (size_t i = 1; i < cut.size(); ++i) {
    if (cut[i].t_us - cut[i - 1].t_us > gap_to - gap_from) {
      gap_from = cut[i - 1].t_us;
      gap_to = cut[i].t_us;
    }
  }
  auto detector = TestFixture::make();
  const Fed fed = feed(*detector, cut);
  EXPECT_EQ(detector->flags().gaps, 1u);
  EXPECT_EQ(detector->flags().first_gap_t_us, gap_from);
  bool first_after = true;
  for (const DetectedStep& d : fed.steps) {
    EXPECT_FALSE(d.ic_us > gap_from && d.ic_us < gap_to)
        << "step invented at " << ic_s(d) << " s inside the gap";
    if (d.to_us) {
      EXPECT_FALSE(d.ic_us <= gap_from && *d.to_us >= gap_to)
          << "contact at " << ic_s(d) << " s bridged across the gap";
    }
    if (d.ic_us >= gap_to && first_after) {
      EXPECT_TRUE(d.after_gap) << "first step after the gap (" << ic_s(d) << " s) not marked";
      first_after = false;
    } else {
      EXPECT_FALSE(d.after_gap) << ic_s(d) << " s";
    }
  }
  EXPECT_FALSE(first_after) << "nothing found after the gap";
  // Contacts more than a stride away from the gap are all still found.
  std::vector<TruthEvent> away;
  for (const TruthEvent& e : TestFixture::truth()) {
    if (e.ic_s < static_cast<double>(gap_from) * 1e-6 - kStride_s ||
        e.ic_s > static_cast<double>(gap_to) * 1e-6 + kStride_s) {
      away.push_back(e);
    }
  }
  const EventEvaluation e = evaluate_events(as_results(fed.steps), away);
  EXPECT_GE(e.recall, 0.98) << e.matched << " of " << e.steps_true << "; "
                            << unmatched(fed.steps, away);
}

TYPED_TEST(StepDetectorTest, ResetGivesTheSameOutputAgain) {
  auto detector = TestFixture::make();
  const Fed first = feed(*detector, TestFixture::samples());
  const DetectorFlags flags = detector->flags();
  detector->reset();
  EXPECT_EQ(detector->flags(), DetectorFlags{});
  EXPECT_TRUE(detector->take().empty());
  const Fed second = feed(*detector, TestFixture::samples());
  ASSERT_FALSE(first.steps.empty());
  EXPECT_EQ(first.steps, second.steps);
  EXPECT_EQ(first.emit_t_us, second.emit_t_us);
  EXPECT_EQ(flags, detector->flags());
  // And a fresh detector agrees.
  auto fresh = TestFixture::make();
  EXPECT_EQ(feed(*fresh, TestFixture::samples()).steps, first.steps);
  // Reset in the middle of a stream also forgets everything.
  auto mid = TestFixture::make();
  const std::vector<ImuSample>& all = TestFixture::samples();
  for (size_t i = 0; i < all.size() / 2; ++i) mid->push(all[i]);
  mid->reset();
  EXPECT_EQ(feed(*mid, all).steps, first.steps);
}

TYPED_TEST(StepDetectorTest, TakeReturnsStepsInIcOrderWithBoundedDelay) {
  auto detector = TestFixture::make();
  const Fed fed = feed(*detector, TestFixture::samples());
  ASSERT_GT(fed.steps.size(), 10u);
  // At most one stride after the IC (the issue's bound), with the margin check_delays() allows
  // below: two sample periods and 40 ms of decision slack. The first 3 s hold the axis search
  // (gyro detectors) and the first impacts' level; steps released by finish() have no delay.
  const double bound_s = kStride_s + 2.0 / kRate_hz + 0.04;
  const size_t at_finish = TestFixture::samples().size();
  double worst_strides = 0.0;
  size_t checked = 0;
  for (size_t i = 0; i < fed.steps.size(); ++i) {
    EXPECT_GE(fed.emit_t_us[i], fed.steps[i].ic_us);
    if (i > 0) {
      EXPECT_LT(fed.steps[i - 1].ic_us, fed.steps[i].ic_us)
          << "out of order at " << ic_s(fed.steps[i]) << " s (take() #" << fed.batch_of[i] << ")";
    }
    if (ic_s(fed.steps[i]) <= 3.0 || fed.batch_of[i] == at_finish) continue;
    const double delay_s = static_cast<double>(fed.emit_t_us[i] - fed.steps[i].ic_us) * 1e-6;
    worst_strides = std::max(worst_strides, delay_s / kStride_s);
    ++checked;
    EXPECT_LE(delay_s, bound_s) << "step at " << ic_s(fed.steps[i]) << " s emitted " << delay_s
                                << " s later";
  }
  EXPECT_GT(checked, 10u);
  for (const std::string& broken : fed.broken_promises) ADD_FAILURE() << broken;
  std::printf("[detector %s] largest emission delay %.2f strides after IC (%zu steps)\n",
              std::string(placement_name(TestFixture::kPlacement)).c_str(), worst_strides, checked);
}

// ---------------------------------------------------------------------------
// Batch and streaming: the same core, the same steps.

sim::SimResult mixed_session() {
  sim::SimSettings s;
  s.seed = 202;
  s.runner.schedule = {{Activity::kRun, 20.0, 3.4, 174.0}};
  s.sensors = sim::shoe_and_sleeve_sensors(kRate_hz);
  for (const sim::SensorSettings& p : sim::pelvis_sensors(kRate_hz)) s.sensors.push_back(p);
  for (sim::SensorSettings& sensor : s.sensors) {
    sensor.errors.packet_drop_pct = 2.0;
    sensor.errors.timestamp_jitter_us = 50.0;
  }
  return sim::simulate(s);
}

std::filesystem::path temp_dir(const std::string& name) {
  const std::filesystem::path dir = std::filesystem::temp_directory_path() /
                                    ("gk_gait_test_" + name + "_" + std::to_string(::getpid()));
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir);
  return dir;
}

// ---------------------------------------------------------------------------
// The impact that times a contact (stride_features.cpp).

// 200 Hz rows at rest but for the jumps given (index -> acceleration step).
GyroRows rows_with_jumps(const std::map<size_t, double>& jumps, size_t n = 60) {
  GyroRows rows(n);
  Eigen::Vector3d a(0.0, 0.0, kGravity_mps2);
  for (size_t i = 0; i < n; ++i) {
    if (const auto it = jumps.find(i); it != jumps.end()) a.x() += it->second;
    GyroRow r;
    r.t_us = static_cast<int64_t>(i) * 5'000;
    r.a = a;
    rows.push_back(r);
  }
  return rows;
}

StrideSpan whole(const GyroRows& rows) {
  StrideSpan span;
  span.rows = &rows;
  span.end = rows.size() - 1;
  span.t_begin_us = rows.front().t_us;
  span.t_end_us = rows.back().t_us;
  return span;
}

TEST(ImpactStepDetectorTiming, TheSmoothingDoesNotDelayTheContact) {
  // A trunk's vertical force while running: free fall in flight, then a
  // linear loading rise to 2.5 g over 100 ms and back to 0 over the next
  // 100 ms, a step every 330 ms. The detector smooths over 10 ms before picking peaks; stamped at
  // its newest sample, that average put every time read off it half the window late (4.5, 4 and
  // 2.5 ms at 1000, 500 and 200 Hz). The unloading passes half body weight 180 ms after the
  // contact. The IC is the onset of the first sharp rise of the unsmoothed force: for a linear
  // rise, where its rise over 10 ms first passes a quarter of its top, 2.5 ms after the contact
  // (taken between two samples: 3 ms at 500 Hz). The 10 % crossing the IC was before 2026-12-03
  // came 10 ms after it.
  for (const double rate_hz : {200.0, 500.0, 1000.0}) {
    ImpactDetectorSettings settings;
    settings.placement = pb::PELVIS;
    settings.nominal_rate_hz = rate_hz;
    ImpactStepDetector detector(settings);
    constexpr int64_t kStep_us = 330'000;
    const auto period_us = static_cast<int64_t>(std::llround(1e6 / rate_hz));
    for (int64_t t_us = 0; t_us < 20 * kStep_us; t_us += period_us) {
      const double phase_s = static_cast<double>(t_us % kStep_us) * 1e-6;
      const double force_g = phase_s < 0.1   ? 25.0 * phase_s
                             : phase_s < 0.2 ? 25.0 * (0.2 - phase_s)
                                             : 0.0;
      ImuSample sample;
      sample.t_us = t_us;
      sample.has_gyro = false;
      sample.acc_mps2 = Eigen::Vector3d(0.0, 0.0, force_g * kGravity_mps2);
      detector.push(sample);
    }
    detector.finish();
    const std::vector<DetectedStep> steps = detector.take();
    ASSERT_GE(steps.size(), 17u) << rate_hz << " Hz";
    // Every contact says which onset it took: here the first sharp rise, 7 ms before the 10 %
    // crossing.
    EXPECT_EQ(detector.flags().ic_at_first_rise, steps.size()) << rate_hz << " Hz";
    EXPECT_EQ(detector.flags().ic_at_rise_crossing, 0u) << rate_hz << " Hz";
    for (const DetectedStep& step : steps) {
      if (step.ic_us < kStep_us) continue;  // the first contact rose before the data had a floor
      const int64_t contact_us = (step.ic_us + kStep_us / 2) / kStep_us * kStep_us;
      EXPECT_NEAR(static_cast<double>(step.ic_us - contact_us), 2'500.0, 600.0)
          << rate_hz << " Hz, contact at " << contact_us << " us";
      ASSERT_TRUE(step.to_us.has_value()) << rate_hz << " Hz, contact at " << contact_us;
      EXPECT_NEAR(static_cast<double>(*step.to_us - contact_us), 180'000.0, 500.0)
          << rate_hz << " Hz, contact at " << contact_us << " us";
    }
  }
}

TEST(ImpactTime, TheFirstTransientTimesTheContactNotALaterLargerOne) {
  // A landing at row 20 (jump 40), then the heel coming down 30 ms later,
  // sampled at its steepest (jump 60).
  const GyroRows rows = rows_with_jumps({{20, 40.0}, {21, -30.0}, {26, 60.0}, {27, -70.0}});
  const StrideSpan span = whole(rows);
  const ImpactSearch first{.first_fraction = 0.5};
  const ImpactSearch largest{.first_fraction = 0.0};
  const int64_t around_us = rows[22].t_us;
  ASSERT_TRUE(impact_time_us(span, around_us, first).has_value());
  EXPECT_DOUBLE_EQ(*impact_time_us(span, around_us, first), 97'500.0);     // between rows 19 and 20
  EXPECT_DOUBLE_EQ(*impact_time_us(span, around_us, largest), 127'500.0);  // the heel's
  // A jump under half the largest is no landing of its own.
  const GyroRows weak = rows_with_jumps({{20, 20.0}, {21, -15.0}, {26, 60.0}, {27, -70.0}});
  EXPECT_DOUBLE_EQ(*impact_time_us(whole(weak), around_us, first), 127'500.0);
}

TEST(ImpactTime, AJumpAcrossLostSamplesIsNoTransient) {
  // Rows 10-14 lost, the acceleration changed while they were: it differs
  // across the hole by more than half the landing's largest jump, but that
  // is no transient.
  GyroRows rows = rows_with_jumps({{12, 50.0}, {24, 60.0}, {25, -90.0}});
  rows.erase(rows.begin() + 10, rows.begin() + 15);
  const ImpactSearch first{.first_fraction = 0.5};
  EXPECT_DOUBLE_EQ(*impact_time_us(whole(rows), rows[12].t_us, first), 117'500.0);  // rows 23-24
}

TEST(ImpactTime, AlongAnAxisOnlyThatComponentCounts) {
  // A shank braking across its long axis (x, jump 50) 20 ms before the
  // impact along it (z, jump 30).
  GyroRows rows = rows_with_jumps({{16, 50.0}, {17, -50.0}});
  for (size_t i = 20; i < rows.size(); ++i) rows[i].a.z() += i == 20 ? 30.0 : 5.0;
  const Eigen::Vector3d tibia = Eigen::Vector3d::UnitZ();
  const int64_t around_us = rows[22].t_us;
  EXPECT_DOUBLE_EQ(*impact_time_us(whole(rows), around_us, ImpactSearch{}), 77'500.0);
  EXPECT_DOUBLE_EQ(*impact_time_us(whole(rows), around_us, ImpactSearch{}, &tibia), 97'500.0);
}

TEST(ImpactTime, TheSearchWindowCanBeShorterAfterTheFeature) {
  const GyroRows rows = rows_with_jumps({{20, 40.0}, {21, -30.0}, {34, 60.0}, {35, -70.0}});
  const int64_t around_us = rows[24].t_us;  // the jump at row 34 is 50 ms after it
  EXPECT_DOUBLE_EQ(*impact_time_us(whole(rows), around_us, ImpactSearch{}), 167'500.0);
  EXPECT_DOUBLE_EQ(*impact_time_us(whole(rows), around_us, ImpactSearch{.after_s = 0.04}),
                   97'500.0);
}

// A 200 Hz contact: the landing shakes the foot (30 Hz ringing, 3 m/s^2
// along x, rows 0-19) while it has already stopped turning; from row 20 on
// it still turns a little (0.3 rad/s about y, the roll-over) but the
// specific force is gravity alone.
// Contacts of a steady run against ImpactPlacement: the impact is the midpoint of the two
// samples around the true contact (its sampling phase drifting from stride to stride), the
// feature trails the contact by a fixed lag plus noise of the given size.
struct PlacementErrors {
  double impact_rms_us = 0.0;
  double placed_rms_us = 0.0;
  double placed_max_from_impact_us = 0.0;
};

// With stride_noise_us, each stride's time varies by that much (a runner's stride-to-stride
// variability), which both estimates share.
PlacementErrors place_run(double period_us, double feature_noise_us, uint64_t seed,
                          double stride_noise_us = 0.0) {
  std::mt19937_64 rng(seed);
  std::normal_distribution<double> noise(0.0, feature_noise_us);
  std::normal_distribution<double> stride_noise(0.0, stride_noise_us);
  ImpactPlacement placement;
  const double stride_us = 317'123.7;  // not a multiple of the period: the phase drifts
  const double lag_us = 8'400.0;
  double sq_impact = 0.0, sq_placed = 0.0, max_from_impact = 0.0;
  const int n = 200;
  double contact_us = 1e6;
  for (int i = 0; i < n; ++i) {
    contact_us += stride_us + (stride_noise_us > 0.0 ? stride_noise(rng) : 0.0);
    const double after_us = std::ceil(contact_us / period_us) * period_us;
    const double impact_us = after_us - 0.5 * period_us;
    const double feature_us = contact_us + lag_us + noise(rng);
    const double placed_us = placement.place_us(feature_us, impact_us, period_us);
    placement.note(feature_us, impact_us);
    sq_impact += (impact_us - contact_us) * (impact_us - contact_us);
    sq_placed += (placed_us - contact_us) * (placed_us - contact_us);
    max_from_impact = std::max(max_from_impact, std::abs(placed_us - impact_us));
  }
  return {std::sqrt(sq_impact / n), std::sqrt(sq_placed / n), max_from_impact};
}

// The rhythm's prediction against the series it was drawn from (a 620 ms stride from 1.0 s).
TEST(StrideRhythm, PredictsASteadySeries) {
  std::vector<int64_t> t;
  for (int i = 0; i < 7; ++i) t.push_back(1'000'000 + i * 620'000);
  EXPECT_EQ(predict_next_us(t), 1'000'000 + 7 * 620'000);
}

// One event taken 80 ms late (a mid-stance rise) must not move the prediction: the last
// event plus the median stride would put it 80 ms late, and a detector choosing by it would
// then keep choosing the late rise.
TEST(StrideRhythm, OneMistimedEventDoesNotMoveIt) {
  for (size_t wrong = 0; wrong < 7; ++wrong) {
    std::vector<int64_t> t;
    for (size_t i = 0; i < 7; ++i) {
      t.push_back(1'000'000 + static_cast<int64_t>(i) * 620'000 + (i == wrong ? 80'000 : 0));
    }
    EXPECT_NEAR(static_cast<double>(predict_next_us(t)), 1'000'000 + 7 * 620'000, 1.0)
        << "mistimed event " << wrong;
  }
}

// Events on a 100 Hz sample grid (a 611.6 ms stride, rounded to 10 ms): the prediction stays
// within a sample period of the true next event at every phase of the grid.
TEST(StrideRhythm, SampleGridTimesStayWithinAPeriod) {
  const double stride_us = 611'600.0;
  for (int phase = 0; phase < 10; ++phase) {
    std::vector<int64_t> t;
    const double t0 = 1'000'000.0 + phase * 1'000.0;
    for (int i = 0; i < 7; ++i) {
      t.push_back(static_cast<int64_t>(std::ceil((t0 + i * stride_us) / 10'000.0) * 10'000.0));
    }
    EXPECT_NEAR(static_cast<double>(predict_next_us(t)), t0 + 7 * stride_us, 10'000.0)
        << "phase " << phase;
  }
}

// A 500 Hz shank's reports every 700 ms from 1.0 s, with a 40 ms hole (a lost 20-sample packet)
// where `lost` was due and that report missing, and the samples from 0 to `end_s`. Returns what
// the finder passes on, and its horizon just before the report after the hole comes.
struct LostLandingRun {
  std::vector<DetectedStep> out;
  int64_t held_horizon_us = 0;
};
LostLandingRun run_lost_landing(int lost, int64_t hole_from_us, int64_t hole_us, double jitter_us,
                                LostLandingFinder& finder) {
  constexpr int64_t kPeriod_us = 2'000;
  constexpr int64_t kStride_us = 700'000;
  std::mt19937 rng(7);
  std::normal_distribution<double> noise(0.0, jitter_us);
  std::vector<DetectedStep> steps;
  for (int i = 0; i < 12; ++i) {
    if (i == lost) continue;
    DetectedStep step;
    step.source = pb::LEFT_SHANK;
    step.side = pb::LEFT;
    step.quality = 0.5;
    step.activity = GaitActivity::kRunning;
    step.ic_us = 1'000'000 + i * kStride_us + static_cast<int64_t>(noise(rng));
    step.stride_time_ms = 700.0;
    steps.push_back(step);
  }
  LostLandingRun run;
  size_t next = 0;
  // Each report leaves 150 ms after its IC, as a detector's confirmation holds it.
  finder.set_period(kPeriod_us);
  for (int64_t t = 0; t <= 10'000'000; t += kPeriod_us) {
    if (t > hole_from_us && t < hole_from_us + hole_us) continue;
    finder.push_sample(t);
    if (next < steps.size() && t >= steps[next].ic_us + 150'000) {
      if (steps[next].ic_us > hole_from_us && run.held_horizon_us == 0) {
        run.held_horizon_us = finder.horizon_us(t - 150'000);
      }
      finder.push_step(steps[next++], run.out);
    }
  }
  return run;
}

// A landing the hole swallowed is reported between its neighbours, at their middle, flagged
// and lowered; its neighbour's stride is split with it. The horizon waits for it meanwhile.
TEST(LostLandingFinder, ALandingLostInAHoleIsFoundBetweenItsNeighbours) {
  LostLandingFinder finder;
  // The landing due at 1.0 + 7 x 0.7 = 5.9 s, the packet lost from 5.88 s.
  const LostLandingRun run = run_lost_landing(7, 5'880'000, 40'000, 5'000.0, finder);
  ASSERT_EQ(run.out.size(), 12u);
  ASSERT_EQ(finder.found(), 1u);
  const DetectedStep& lost = run.out[7];
  EXPECT_TRUE(lost.ic_in_hole);
  EXPECT_LT(lost.quality, 0.5);
  EXPECT_FALSE(lost.to_us);
  EXPECT_EQ(lost.side, pb::LEFT);
  EXPECT_EQ(lost.ic_us, (run.out[6].ic_us + run.out[8].ic_us) / 2);
  EXPECT_NEAR(static_cast<double>(lost.ic_us), 5'900'000.0, 15'000.0);
  ASSERT_TRUE(run.out[8].stride_time_ms);
  EXPECT_NEAR(*run.out[8].stride_time_ms, 700.0, 20.0);
  for (size_t i = 1; i < run.out.size(); ++i) EXPECT_LT(run.out[i - 1].ic_us, run.out[i].ic_us);
  // Before the next report came, the horizon stood at or before where the lost one was placed.
  EXPECT_LE(run.held_horizon_us, lost.ic_us);
  EXPECT_GT(run.held_horizon_us, run.out[6].ic_us);
  // A hole over the swing before the landing (a foot's cycle runs from its mid-swing) lost it
  // as surely: 0.3 s before it was due.
  LostLandingFinder swing;
  const LostLandingRun over_swing = run_lost_landing(7, 5'580'000, 40'000, 5'000.0, swing);
  EXPECT_EQ(swing.found(), 1u);
  EXPECT_EQ(over_swing.out.size(), 12u);
}

// Nothing is reported where the evidence is not there: no hole where the landing was due (a
// detector's miss is not the finder's to mend), a hole far from it, a gap the detectors start
// over after, or a rhythm that is not steady.
TEST(LostLandingFinder, NothingWithoutAHoleAtTheLandingOrASteadyRhythm) {
  {
    LostLandingFinder finder;
    const LostLandingRun run = run_lost_landing(7, 20'000'000, 40'000, 5'000.0, finder);
    EXPECT_EQ(finder.found(), 0u);
    EXPECT_EQ(run.out.size(), 11u);
  }
  {
    LostLandingFinder finder;  // the hole 0.3 s after the landing was due
    const LostLandingRun run = run_lost_landing(7, 6'200'000, 40'000, 5'000.0, finder);
    EXPECT_EQ(finder.found(), 0u);
    EXPECT_EQ(run.out.size(), 11u);
  }
  {
    LostLandingFinder finder;  // a 0.5 s gap: not bridged
    const LostLandingRun run = run_lost_landing(7, 5'800'000, 500'000, 5'000.0, finder);
    EXPECT_EQ(finder.found(), 0u);
    EXPECT_EQ(run.out.size(), 11u);
  }
  {
    LostLandingFinder finder;  // strides varying by 15 % (sd 105 ms)
    const LostLandingRun run = run_lost_landing(7, 5'880'000, 40'000, 105'000.0, finder);
    EXPECT_EQ(finder.found(), 0u);
    EXPECT_EQ(run.out.size(), 11u);
  }
}

TEST(ImpactPlacement, TheFeaturePlacesACoarselySampledImpact) {
  // 100 Hz: the impact alone is off by up to 5 ms (2.9 ms rms); a feature with 0.5 ms of
  // jitter places the contact to about 1 ms rms (the lag learnt over nine strides still
  // carries some of the impacts' error). Also with strides varying by 2 % (6.3 ms), which
  // both estimates share.
  for (const double stride_noise_us : {0.0, 6'300.0}) {
    const PlacementErrors e = place_run(10'000.0, 500.0, 7, stride_noise_us);
    std::printf("[placement] 100 Hz, stride sd %.1f ms: impact rms %.2f ms, placed rms %.2f ms\n",
                stride_noise_us * 1e-3, e.impact_rms_us * 1e-3, e.placed_rms_us * 1e-3);
    EXPECT_GT(e.impact_rms_us, 2'500.0);
    EXPECT_LT(e.placed_rms_us, 1'500.0);
    EXPECT_LE(e.placed_max_from_impact_us, 10'000.0);
  }
}

TEST(ImpactPlacement, AMissedSpikeIsPlacedByTheFeature) {
  // 100 Hz and an impact spike of 4 ms: a sample lands in the spike only when the contact is
  // less than 4 ms before it; otherwise the largest jump is the ringing after it, one sample
  // late, or (when the spike is missed by nearly a whole period) the swing's braking, one
  // sample early. The impact is then off by up to 15 ms; the feature trails the contact by a
  // steady 33.9 ms with 0.1 ms of jitter. Stride times vary by 2 % as a runner's do.
  std::mt19937_64 rng(11);
  std::normal_distribution<double> jitter(0.0, 100.0);
  std::normal_distribution<double> stride_noise(0.0, 6'300.0);
  ImpactPlacement placement;
  const double period_us = 10'000.0;
  double contact_us = 1e6;
  double sq_impact = 0.0, sq_placed = 0.0, sq_interval = 0.0, previous_error = 0.0;
  const int n = 200;
  for (int i = 0; i < n; ++i) {
    contact_us += 316'400.0 + stride_noise(rng);
    const double after_us = std::ceil(contact_us / period_us) * period_us;
    const double lead_us = after_us - contact_us;
    double impact_us = after_us - 0.5 * period_us;      // the spike caught
    if (lead_us > 4'000.0) impact_us += period_us;      // the ringing after it
    if (lead_us > 8'500.0) impact_us -= 2 * period_us;  // the braking before it
    const double feature_us = contact_us + 33'900.0 + jitter(rng);
    const double placed_us = placement.place_us(feature_us, impact_us, period_us);
    placement.note(feature_us, impact_us);
    const double error = placed_us - contact_us;
    sq_impact += (impact_us - contact_us) * (impact_us - contact_us);
    sq_placed += error * error;
    if (i > 0) sq_interval += (error - previous_error) * (error - previous_error);
    previous_error = error;
  }
  const double impact_rms = std::sqrt(sq_impact / n);
  const double placed_rms = std::sqrt(sq_placed / n);
  const double interval_rms = std::sqrt(sq_interval / (n - 1));
  std::printf(
      "[placement] 100 Hz, missed spikes: impact rms %.2f ms, placed rms %.2f ms, "
      "stride interval error rms %.2f ms\n",
      impact_rms * 1e-3, placed_rms * 1e-3, interval_rms * 1e-3);
  EXPECT_GT(impact_rms, 7'000.0);
  // The lag is learnt from the impacts over nine strides, so their mean error (3 ms here) and
  // its spread stay as an offset (4.6 ms rms); what a cadence is made of, the interval between
  // contacts, is steady (2.6 ms rms). On the impact alone, or with the lags' spread counted
  // as the feature's (before 2026-12-03), both stay near the impact's 8 and 11 ms.
  EXPECT_LT(placed_rms, 0.7 * impact_rms);
  EXPECT_LT(interval_rms, 4'000.0);
}

// Two legs whose strides are a whole number of sample periods (100 Hz, 160 steps/min: 75
// samples), each sampled at one phase: the left impact is always 12.5 ms late (a missed spike,
// the loading rise taken), the right 12.5 ms early (the swing's braking taken). The feature
// trails the contact by the same 33.9 ms on both legs. Alone, each leg's placement keeps its
// error, and every left-to-right step reads 25 ms long; paired, the legs' lags are pooled and
// the step times come out right. Strides that drift in phase are left to each leg.
struct TwoLegRun {
  double worst_step_error_us = 0.0;
  double worst_contact_error_us = 0.0;
};

// impact_error_us(leg, stride): how far the sampled impact lies from the contact; without it
// the impact is the midpoint of the two samples around the contact.
TwoLegRun place_two_legs(bool paired, double stride_us,
                         const std::function<double(int, int)>& impact_error_us = nullptr) {
  ImpactPlacement left, right;
  if (paired) {
    left.pair_with(&right);
    right.pair_with(&left);
  }
  const double period_us = 10'000.0;
  TwoLegRun out;
  double previous_error_us = 0.0;
  for (int i = 0; i < 60; ++i) {
    for (int leg = 0; leg < 2; ++leg) {
      const double contact_us = 1e6 + 3'000.0 + i * stride_us + leg * 0.5 * stride_us;
      const double after_us = std::ceil(contact_us / period_us) * period_us;
      const double impact_us =
          impact_error_us ? contact_us + impact_error_us(leg, i) : after_us - 0.5 * period_us;
      const double feature_us = contact_us + 33'900.0;
      ImpactPlacement& p = leg == 0 ? left : right;
      const double placed_us = p.place_us(feature_us, impact_us, period_us);
      p.note(feature_us, impact_us);
      const double error_us = placed_us - contact_us;
      if (i >= 20) {
        out.worst_contact_error_us = std::max(out.worst_contact_error_us, std::abs(error_us));
        out.worst_step_error_us =
            std::max(out.worst_step_error_us, std::abs(error_us - previous_error_us));
      }
      previous_error_us = error_us;
    }
  }
  return out;
}

TEST(ImpactPlacement, TwoLegsLockedToTheSampleRateShareTheirLag) {
  // Locked: the left leg's impact 12.5 ms late on every stride, the right's 12.5 ms early.
  const auto locked = [](int leg, int) { return leg == 0 ? 12'500.0 : -12'500.0; };
  const TwoLegRun alone = place_two_legs(false, 750'000.0, locked);
  const TwoLegRun paired = place_two_legs(true, 750'000.0, locked);
  std::printf("[placement] locked legs: worst step error alone %.1f ms, paired %.1f ms\n",
              alone.worst_step_error_us * 1e-3, paired.worst_step_error_us * 1e-3);
  EXPECT_GT(alone.worst_step_error_us, 20'000.0);
  EXPECT_LT(paired.worst_step_error_us, 500.0);
  EXPECT_LT(paired.worst_contact_error_us, 500.0);
  // Three phases in turn (100 Hz, 180 steps/min: strides of 66.7 samples), each leg's impact
  // off by its own pattern: the lags spread, but repeat every three strides.
  const auto cycling = [](int leg, int stride) {
    static constexpr double kLeft[3] = {12'500.0, 0.0, -5'000.0};
    static constexpr double kRight[3] = {-12'500.0, -8'000.0, 3'000.0};
    return leg == 0 ? kLeft[stride % 3] : kRight[stride % 3];
  };
  const TwoLegRun cycle_alone = place_two_legs(false, 750'000.0, cycling);
  const TwoLegRun cycle_paired = place_two_legs(true, 750'000.0, cycling);
  std::printf(
      "[placement] legs cycling over three phases: worst step error alone %.1f ms, "
      "paired %.1f ms\n",
      cycle_alone.worst_step_error_us * 1e-3, cycle_paired.worst_step_error_us * 1e-3);
  EXPECT_GT(cycle_alone.worst_step_error_us, 5'000.0);
  EXPECT_LT(cycle_paired.worst_step_error_us, 500.0);
  // Drifting phases: the lags scatter over the sampling, and pairing changes nothing.
  const TwoLegRun drift_alone = place_two_legs(false, 751'234.5);
  const TwoLegRun drift_paired = place_two_legs(true, 751'234.5);
  EXPECT_EQ(drift_alone.worst_step_error_us, drift_paired.worst_step_error_us);
  EXPECT_EQ(drift_alone.worst_contact_error_us, drift_paired.worst_contact_error_us);
}

TEST(ImpactPlacement, ASharpImpactOutweighsAJitteryFeature) {
  // 1 kHz: the impact is good to 0.29 ms rms; a feature with 2 ms of jitter must not spoil it,
  // with steady strides or strides varying by 2 % (which, over nine strides, made the split of
  // the two precisions read the impact's error as 1 ms before the split was checked against
  // the intervals' own spreads).
  for (const double stride_noise_us : {0.0, 6'300.0}) {
    const PlacementErrors e = place_run(1'000.0, 2'000.0, 8, stride_noise_us);
    std::printf("[placement] 1 kHz, stride sd %.1f ms: impact rms %.3f ms, placed rms %.3f ms\n",
                stride_noise_us * 1e-3, e.impact_rms_us * 1e-3, e.placed_rms_us * 1e-3);
    EXPECT_LE(e.placed_rms_us, 1.1 * e.impact_rms_us);
    EXPECT_LE(e.placed_max_from_impact_us, 1'000.0);
  }
}

// A leg's stride as an accelerometer-only shank reads it (in g, sensor frame), t_s after the
// contact: the late swing's deceleration swinging both ways, a 3 ms shock, the stance loading
// rising after it. `walking` gives another shape: a slow heel loading and no shock.
Eigen::Vector3d stride_shape(double t_s, bool walking) {
  const auto bump = [](double t, double at, double width) {
    return std::exp(-0.5 * (t - at) * (t - at) / (width * width));
  };
  if (walking) {
    return {0.3 * bump(t_s, -0.03, 0.04), 1.0 + 0.4 * bump(t_s, 0.06, 0.03),
            0.2 * std::sin(8.0 * t_s)};
  }
  const double swing = t_s < 0.0 ? std::sin(2.0 * std::numbers::pi * t_s / 0.045) : 0.0;
  const double loading = t_s > 0.0 ? 1.8 * (1.0 - std::exp(-t_s / 0.012)) : 0.0;
  return {-3.0 * swing * bump(t_s, -0.03, 0.02), 0.5 * bump(t_s, 0.05, 0.03),
          loading + 4.0 * bump(t_s, 0.0015, 0.001) + 1.5 * swing * bump(t_s, -0.02, 0.015)};
}

// Strides of one shape sampled at 100 Hz, their contacts drifting through the sampling phase,
// each with the error of a rough landing that a sampled shock gives (the sample after the
// contact, or, where the shock is missed, the loading rise 12 ms later). Aligned to the template
// of the strides before, the contacts' spacing is recovered to a fraction of the sample period,
// and a stride of another shape is told by its residual.
TEST(StrideTemplate, AlignsStridesBetweenTheirSamples) {
  std::mt19937_64 rng(5);
  std::normal_distribution<double> noise_g(0.0, 0.03);
  std::normal_distribution<double> stride_noise_us(0.0, 3'000.0);
  StrideTemplate tpl;
  const double period_us = 10'000.0;
  const double before_us = StrideTemplateSettings{}.before_s * 1e6;
  const double after_us = StrideTemplateSettings{}.after_s * 1e6;
  const auto sampled = [&](double contact_us, bool walking) {
    std::vector<StrideTemplate::Sample> out;
    for (double t = std::ceil((contact_us - before_us) / period_us) * period_us;
         t <= contact_us + after_us; t += period_us) {
      const Eigen::Vector3d a = stride_shape((t - contact_us) * 1e-6, walking) +
                                Eigen::Vector3d(noise_g(rng), noise_g(rng), noise_g(rng));
      out.push_back({t, a});
    }
    return out;
  };
  double contact_us = 1e6;
  std::vector<double> offsets_us, rough_offsets_us;
  double worst_residual = 0.0;
  for (int i = 0; i < 60; ++i) {
    contact_us += 663'300.0 + stride_noise_us(rng);
    const double after_contact_us = std::ceil(contact_us / period_us) * period_us;
    const double rough_us =
        after_contact_us - contact_us > 3'000.0 ? after_contact_us + 12'000.0 : after_contact_us;
    const auto samples = sampled(contact_us, false);
    const auto a = tpl.align(samples, rough_us, StrideTemplateSettings{}.search_s * 1e6);
    const double origin_us = a ? a->origin_us : rough_us;
    if (i >= 10) {
      ASSERT_TRUE(a.has_value());
      offsets_us.push_back(a->origin_us - contact_us);
      rough_offsets_us.push_back(rough_us - contact_us);
      worst_residual = std::max(worst_residual, a->residual_share);
    }
    tpl.add(samples, origin_us, period_us);
  }
  // What a cadence is made of: the change of the error from one stride to the next.
  const auto interval_rms = [](const std::vector<double>& e) {
    double sq = 0.0;
    for (size_t k = 1; k < e.size(); ++k) sq += (e[k] - e[k - 1]) * (e[k] - e[k - 1]);
    return std::sqrt(sq / static_cast<double>(e.size() - 1));
  };
  const double aligned = interval_rms(offsets_us);
  const double rough = interval_rms(rough_offsets_us);
  const double drift_us = *std::max_element(offsets_us.begin(), offsets_us.end()) -
                          *std::min_element(offsets_us.begin(), offsets_us.end());
  std::printf(
      "[stride template] 100 Hz: stride interval error rms %.2f ms aligned, %.2f ms rough; "
      "origin range %.2f ms; worst residual share %.3f\n",
      aligned * 1e-3, rough * 1e-3, drift_us * 1e-3, worst_residual);
  EXPECT_GT(rough, 5'000.0);
  EXPECT_LT(aligned, 1'500.0);
  EXPECT_LT(drift_us, 3'000.0);
  EXPECT_LT(worst_residual, 0.5 * StrideTemplateSettings{}.max_residual_share);

  contact_us += 663'300.0;
  const auto walk = tpl.align(sampled(contact_us, true), contact_us, 25'000.0);
  ASSERT_TRUE(walk.has_value());
  EXPECT_GT(walk->residual_share, StrideTemplateSettings{}.max_residual_share);
}

TEST(StrideTemplate, NothingToAlignToBeforeTheFirstStride) {
  StrideTemplate tpl;
  std::vector<StrideTemplate::Sample> samples;
  for (int i = 0; i < 16; ++i)
    samples.push_back({i * 10'000.0, stride_shape(i * 0.01 - 0.06, false)});
  EXPECT_FALSE(tpl.align(samples, 60'000.0, 25'000.0).has_value());
  tpl.add(samples, 60'000.0, 10'000.0);
  EXPECT_EQ(tpl.strides(), 1u);
  EXPECT_TRUE(tpl.align(samples, 60'000.0, 25'000.0).has_value());
  // Too few samples (a hole): not aligned.
  samples.resize(4);
  EXPECT_FALSE(tpl.align(samples, 60'000.0, 25'000.0).has_value());
  tpl.reset();
  EXPECT_EQ(tpl.strides(), 0u);
}

// A leg's acceleration magnitude, in g, at phase u (0-1) of a stride: a swing of two harmonics
// and a landing spike.
double leg_magnitude_g(double u) {
  const double two_pi = 2.0 * std::numbers::pi;
  return 1.0 + 0.6 * std::sin(two_pi * u) + 0.4 * std::sin(2.0 * two_pi * u + 1.0) +
         (u < 0.02 ? 1.5 : 0.0);
}

TEST(StrideAutocorrelation, FindsTheStrideOfAWalkThatBeganAfterStanding) {
  std::mt19937_64 rng(11);
  std::normal_distribution<double> noise_g(0.0, 0.05);
  StrideAutocorrelation ac;
  const double stride_s = 1.1;
  const double rate_hz = 104.0;
  const double stand_s = 4.0;
  std::optional<double> early, settled;
  for (int i = 0; i < static_cast<int>(12.0 * rate_hz); ++i) {
    const double t_s = i / rate_hz;
    // A lost packet in the walk: 0.3 s without samples.
    if (t_s > 8.0 && t_s < 8.3) continue;
    const double walk_s = t_s - stand_s;
    const double g = walk_s < 0.0
                         ? 1.0 + 0.2 * noise_g(rng)
                         : leg_magnitude_g(std::fmod(walk_s, stride_s) / stride_s) + noise_g(rng);
    ac.push(static_cast<int64_t>(t_s * 1e6), g);
    if (walk_s < 0.0) {
      EXPECT_FALSE(ac.period_us().has_value()) << t_s;
    }
    if (std::abs(walk_s - 2.6) < 0.5 / rate_hz) early = ac.period_us();
  }
  settled = ac.period_us();
  // Two and a half strides after the standing: the stride, not a multiple of it.
  ASSERT_TRUE(early.has_value());
  EXPECT_NEAR(*early * 1e-6, stride_s, 0.02 * stride_s);
  ASSERT_TRUE(settled.has_value());
  EXPECT_NEAR(*settled * 1e-6, stride_s, 0.01 * stride_s);
  ac.reset();
  EXPECT_FALSE(ac.period_us().has_value());
}

// A jump in time past the whole window (a sensor asleep for an hour) starts afresh: the stride
// before it says nothing about the motion after it.
TEST(StrideAutocorrelation, ATimeJumpStartsAfresh) {
  StrideAutocorrelation ac;
  const auto walk = [&](double from_s, double to_s) {
    for (double t_s = from_s; t_s < to_s; t_s += 0.01) {
      ac.push(static_cast<int64_t>(t_s * 1e6), leg_magnitude_g(std::fmod(t_s, 1.0)));
    }
  };
  walk(0.0, 8.0);
  ASSERT_TRUE(ac.period_us().has_value());
  EXPECT_NEAR(*ac.period_us() * 1e-6, 1.0, 0.01);
  walk(3600.0, 3601.0);
  EXPECT_FALSE(ac.period_us().has_value());
  walk(3601.0, 3608.0);
  ASSERT_TRUE(ac.period_us().has_value());
  EXPECT_NEAR(*ac.period_us() * 1e-6, 1.0, 0.01);
}

TEST(StrideAutocorrelation, NoPeriodInNoise) {
  std::mt19937_64 rng(12);
  std::normal_distribution<double> noise_g(1.0, 0.3);
  StrideAutocorrelation ac;
  for (int i = 0; i < 1000; ++i) ac.push(i * 10'000, noise_g(rng));
  EXPECT_FALSE(ac.period_us().has_value());
}

GyroRows ringing_contact() {
  GyroRows rows(40);
  for (size_t i = 0; i < 40; ++i) {
    GyroRow r;
    r.t_us = static_cast<int64_t>(i) * 5'000;
    r.a = Eigen::Vector3d(0.0, 0.0, kGravity_mps2);
    if (i < 20)
      r.a.x() += 3.0 * std::cos(2.0 * std::numbers::pi * 30.0 * 0.005 * static_cast<double>(i));
    r.w = i < 20 ? Eigen::Vector3d::Zero() : Eigen::Vector3d(0.0, 0.3, 0.0);
    rows.push_back(r);
  }
  return rows;
}

TEST(ZeroVelocity, TheFootAtRestIsNotTheOneThatStoppedTurning) {
  const GyroRows rows = ringing_contact();
  // The stillest gyroscope sample lies in the ringing; the foot is at rest
  // only once the acceleration settles too.
  EXPECT_GE(zero_velocity_row(rows, 0, 39), 20u);
  // Without the ringing the whole contact is at rest as far as the
  // acceleration tells, and the turning decides.
  GyroRows quiet = rows;
  for (GyroRow& r : quiet) r.a = Eigen::Vector3d(0.0, 0.0, kGravity_mps2);
  EXPECT_LT(zero_velocity_row(quiet, 0, 39), 19u);
}

TEST(ZeroVelocity, StaysInsideTheRangeItIsGiven) {
  const GyroRows rows = ringing_contact();
  const size_t k = zero_velocity_row(rows, 3, 12);
  EXPECT_GE(k, 3u);
  EXPECT_LE(k, 12u);
  EXPECT_EQ(zero_velocity_row(rows, 7, 8), 7u);  // too short to tell
  EXPECT_EQ(zero_velocity_row(rows, 7, 7), 7u);
}

TEST(BatchVsStreaming, SampleBySampleGivesTheSameSteps) {
  const sim::SimResult r = mixed_session();
  const GaitAnalysis batch = analyze_gait(r.session);
  ASSERT_GT(batch.steps.size(), 40u);
  GaitEngine engine(engine_header(r.session));
  const Streamed live = stream_by_time(engine, r.session);
  EXPECT_EQ(batch.steps.size(), live.steps.size());
  EXPECT_TRUE(batch.steps == live.steps);
  EXPECT_EQ(batch.warnings, live.warnings);
  EXPECT_EQ(batch.minutes, engine.minutes());
  for (size_t i = 1; i < live.steps.size(); ++i) {
    EXPECT_LT(live.steps[i - 1].event.ic_us, live.steps[i].event.ic_us) << i;
  }
  // Replay: the same engine after reset(), and batch again.
  engine.reset();
  const Streamed again = stream_by_time(engine, r.session);
  EXPECT_TRUE(again.steps == live.steps);
  EXPECT_EQ(again.emit_t_us, live.emit_t_us);
  EXPECT_TRUE(analyze_gait(r.session).steps == batch.steps);
  const EventEvaluation e = evaluate_events(batch.steps, *r.truth.events);
  EXPECT_GE(e.f1, 0.99) << e.matched << "/" << e.steps_true << "/" << e.steps_detected;
}

TEST(BatchVsStreaming, AccelerometerOnlyShoesGiveTheSameSteps) {
  sim::SimSettings s;
  s.seed = 203;
  s.runner.schedule = {{Activity::kStand, 3.0, 0.0, 0.0}, {Activity::kRun, 20.0, 3.4, 174.0}};
  s.sensors = sim::feet_sensors(kRate_hz, /*accel_only=*/true);
  for (sim::SensorSettings& sensor : s.sensors) sensor.errors.timestamp_jitter_us = 50.0;
  const sim::SimResult r = sim::simulate(s);
  const GaitAnalysis batch = analyze_gait(r.session);
  ASSERT_GT(batch.steps.size(), 50u);
  GaitEngine engine(engine_header(r.session));
  const Streamed live = stream_by_time(engine, r.session);
  EXPECT_TRUE(batch.steps == live.steps);
  EXPECT_EQ(batch.warnings, live.warnings);
  for (size_t i = 1; i < live.steps.size(); ++i) {
    EXPECT_LT(live.steps[i - 1].event.ic_us, live.steps[i].event.ic_us) << i;
  }
  engine.reset();
  EXPECT_TRUE(stream_by_time(engine, r.session).steps == live.steps);
}

/// Analyses a simulated session in batch, checks that analyze says `warning`, streams it sample
/// by sample and checks the stream gives the batch's steps and warnings; the stream.
Streamed streams_like_batch(const sim::SimResult& r, const std::string& warning) {
  const GaitAnalysis batch = analyze_gait(r.session);
  EXPECT_TRUE(std::any_of(batch.warnings.begin(), batch.warnings.end(), [&](const std::string& w) {
    return w.find(warning) != std::string::npos;
  })) << warning;
  GaitEngine engine(engine_header(r.session));
  Streamed live = stream_by_time(engine, r.session);
  EXPECT_TRUE(batch.steps == live.steps);
  EXPECT_EQ(batch.warnings, live.warnings);
  return live;
}

// A shoe whose still foot reads 0.91 g with three times the default noise finds its first rest
// level from a still moment outside the band around 1 g, and only then the landing before that
// moment: its horizon and the rows it keeps must wait for it (FootRestStepDetector::
// earliest_rest_from_us), so the stream gives the batch's steps.
TEST(BatchVsStreaming, AccelerometerOnlyShoeFarFromOneGGivesTheSameSteps) {
  sim::SimSettings s;
  s.seed = 351224;
  s.runner.schedule = {{Activity::kRun, 20.0, 3.49, 164.7}};
  s.runner.duty_factor = 0.25;
  s.sensors = sim::feet_sensors(416.0, /*accel_only=*/true);
  for (sim::SensorSettings& sensor : s.sensors) {
    sensor.errors = sim::scale_noise(sim::SensorErrorSettings{}, 3.0);
    sensor.errors.mounting_rotation_max_deg = 90.0;
  }
  const sim::SimResult r = sim::simulate(s);
  const Streamed live = streams_like_batch(r, "still stretches outside the 1 g band");
  const EventEvaluation e = evaluate_events(live.steps, *r.truth.events);
  EXPECT_GE(e.f1, 0.995) << e.matched << "/" << e.steps_true << "/" << e.steps_detected;
}

// Accelerometer-only shanks at 100 Hz, where some landings are taken at a rival of the
// stride's largest jump (TibialImpactStepDetector::choose_impact): the rival can lie 120 ms
// before the largest, and the horizon must hold a step back until it is ruled out.
// A running shank at 100 Hz whose landings are partly taken at a rival jump, and a walking one
// whose heel strikes are partly weak jumps taken where the rhythm expects them: both decisions
// wait for later samples, and the stream must still give the batch's steps within a stride.
TEST(BatchVsStreaming, AccelerometerOnlyShanksGiveTheSameSteps) {
  struct Case {
    Activity activity;
    double speed_mps, cadence_spm;
    uint64_t seed;
    const char* warning;
  };
  const Case cases[] = {
      {Activity::kRun, 2.82, 189.5, 331980, "smaller jump than their stride's largest"},
      {Activity::kWalk, 0.9, 95.0, 42, "jump stayed under the impact level"}};
  for (const Case& c : cases) {
    sim::SimSettings s;
    s.seed = c.seed;
    s.runner.schedule = {{c.activity, 30.0, c.speed_mps, c.cadence_spm}};
    s.runner.foot_strike = sim::FootStrikePattern::kMid;
    s.runner.duty_factor = 0.31;
    s.sensors = sim::shank_sensors(100.0, /*accel_only=*/true);
    for (sim::SensorSettings& sensor : s.sensors) sensor.errors.mounting_rotation_max_deg = 30.0;
    const sim::SimResult r = sim::simulate(s);
    SCOPED_TRACE(c.cadence_spm);
    const Streamed live = streams_like_batch(r, c.warning);
    ASSERT_GT(live.steps.size(), static_cast<size_t>(0.4 * c.cadence_spm));
    const double stride_s = 120.0 / c.cadence_spm;
    for (size_t i = 0; i < live.steps.size(); ++i) {
      if (i > 0) {
        EXPECT_LT(live.steps[i - 1].event.ic_us, live.steps[i].event.ic_us) << i;
      }
      if (live.emit_t_us[i] == INT64_MAX) continue;  // released at finish()
      const double ic_s = static_cast<double>(live.steps[i].event.ic_us) * 1e-6;
      if (ic_s < 2.0) continue;  // the axis needs its first second
      EXPECT_LE(static_cast<double>(live.emit_t_us[i] - live.steps[i].event.ic_us) * 1e-6, stride_s)
          << "step at " << ic_s << " s, " << c.cadence_spm << " steps/min";
    }
  }
}

// An accelerometer-only shank's walk from standing whose second heel strike is found by looking
// back once the walk's stride is known (Accuracy.AccelerometerOnlyShanksFindTheirWalkingStride,
// the 119 Hz run): while it waits for the stride, the shank's horizon holds at the
// earliest such landing, so the stream gives the batch's steps, and in order. Each leaves within a
// stride of its IC: the stride comes 2.1 s into the walk, the second landing was at 1.7 s.
TEST(BatchVsStreaming, AccelerometerOnlyShankLooksBackForAWalksSecondLanding) {
  sim::SimSettings s;
  s.seed = 628379;
  s.runner.schedule = {{Activity::kStand, 10.0, 0.0, 0.0},
                       {Activity::kWalk, 8.0, 1.4, 110.0},
                       {Activity::kRun, 60.0, 5.66, 173.6}};
  s.runner.foot_strike = sim::FootStrikePattern::kHeel;
  s.runner.duty_factor = 0.35;
  s.runner.cadence_drift_spm = 10.0;
  s.sensors = sim::shank_sensors(119.0, /*accel_only=*/true);
  for (sim::SensorSettings& sensor : s.sensors) {
    sensor.errors.mounting_rotation_max_deg = 180.0;
    sensor.errors.timestamp_jitter_us = 200.0;
  }
  const sim::SimResult r = sim::simulate(s);
  const Streamed live = streams_like_batch(r, "found by looking back");
  ASSERT_GT(live.steps.size(), 150u);
  const double walk_stride_s = 120.0 / 110.0;
  for (size_t i = 0; i < live.steps.size(); ++i) {
    if (i > 0) {
      EXPECT_LT(live.steps[i - 1].event.ic_us, live.steps[i].event.ic_us) << i;
    }
    const double ic_s = static_cast<double>(live.steps[i].event.ic_us) * 1e-6;
    if (ic_s > 17.5 || live.emit_t_us[i] == INT64_MAX) continue;  // the walk only
    EXPECT_LE(static_cast<double>(live.emit_t_us[i] - live.steps[i].event.ic_us) * 1e-6,
              walk_stride_s)
        << "walking step at " << ic_s << " s";
  }
}

// An accelerometer-only shoe whose second landing is weak and comes before the foot's period is
// known (Accuracy.AccelerometerOnlyShoeWeakLandingAfterADoubleStride): the landing is held until
// the period says, and the shoe's horizon waits at its IC meanwhile. Two such shoes, so that the
// other foot's steps come between: the stream gives the batch's steps, in order.
TEST(BatchVsStreaming, AccelerometerOnlyShoeHoldsAnEarlyWeakLanding) {
  sim::SimSettings s;
  s.seed = 345999;
  s.runner.schedule = {{Activity::kRun, 20.0, 3.59, 154.1}};
  s.runner.foot_strike = sim::FootStrikePattern::kHeel;
  s.runner.duty_factor = 0.36;
  s.sensors = sim::feet_sensors(128.0, /*accel_only=*/true);
  for (sim::SensorSettings& sensor : s.sensors) {
    sensor.errors = sim::scale_noise(sim::SensorErrorSettings{}, 2.0);
    sensor.errors.mounting_rotation_max_deg = 30.0;
  }
  const sim::SimResult r = sim::simulate(s);
  const Streamed live = streams_like_batch(r, "held until the foot's stride was known");
  ASSERT_GT(live.steps.size(), 40u);
  for (size_t i = 1; i < live.steps.size(); ++i) {
    EXPECT_LT(live.steps[i - 1].event.ic_us, live.steps[i].event.ic_us) << i;
  }
}

// The detector-level promise behind those two streams: while a landing may still be reported
// (a shank looking back over the rows since a bout's first impact, a shoe holding an early weak
// landing), the detector's horizon (no IC before it from now on) stays at or before it. In the
// streams above the other leg's next step came late enough not to need it; here every IC is
// checked against every horizon given before it came out.
TEST(BatchVsStreaming, HorizonWaitsForALandingStillHeld) {
  sim::SimSettings shank;
  shank.seed = 628379;
  shank.runner.schedule = {{Activity::kStand, 10.0, 0.0, 0.0},
                           {Activity::kWalk, 8.0, 1.4, 110.0},
                           {Activity::kRun, 20.0, 5.66, 173.6}};
  shank.runner.foot_strike = sim::FootStrikePattern::kHeel;
  shank.runner.duty_factor = 0.35;
  shank.sensors = sim::shank_sensors(119.0, /*accel_only=*/true);
  for (sim::SensorSettings& sensor : shank.sensors) sensor.errors.mounting_rotation_max_deg = 180.0;
  uint64_t looked_back = 0;
  for (const SensorStream& stream : sim::simulate(shank).session.sensors) {
    TibialImpactDetectorSettings ts;
    ts.placement = stream.info.placement();
    ts.nominal_rate_hz = 119.0;
    TibialImpactStepDetector detector(ts);
    const Fed fed = feed(detector, stream.samples);
    EXPECT_TRUE(fed.broken_promises.empty()) << fed.broken_promises.front();
    looked_back += detector.flags().weak_jumps_looked_back;
  }
  EXPECT_GE(looked_back, 1u);

  sim::SimSettings shoe;
  shoe.seed = 345999;
  shoe.runner.schedule = {{Activity::kRun, 20.0, 3.59, 154.1}};
  shoe.runner.foot_strike = sim::FootStrikePattern::kHeel;
  shoe.runner.duty_factor = 0.36;
  shoe.sensors = sim::feet_sensors(128.0, /*accel_only=*/true);
  for (sim::SensorSettings& sensor : shoe.sensors) {
    sensor.errors = sim::scale_noise(sim::SensorErrorSettings{}, 2.0);
    sensor.errors.mounting_rotation_max_deg = 30.0;
  }
  looked_back = 0;
  for (const SensorStream& stream : sim::simulate(shoe).session.sensors) {
    FootRestDetectorSettings fs;
    fs.placement = stream.info.placement();
    fs.nominal_rate_hz = 128.0;
    FootRestStepDetector detector(fs);
    const Fed fed = feed(detector, stream.samples);
    EXPECT_TRUE(fed.broken_promises.empty()) << fed.broken_promises.front();
    looked_back += detector.flags().weak_landings_looked_back;
  }
  EXPECT_GE(looked_back, 1u);
}

// A pelvis clip: the walk's step into the run, loaded under the peak level, is taken when the
// next peak confirms the rhythm's room for it, and a push-off from standing is dropped when
// the next contact rises from a flight, and a walk's weak first step from standing is taken
// one step before the bout's first peak when its second comes. Each decision waits for a later
// contact; the stream must still give the batch's steps, each within a stride of its IC but
// that first step.
TEST(BatchVsStreaming, PelvisWeakStepsAndPushOffsGiveTheSameSteps) {
  struct Case {
    uint64_t seed;
    double rate_hz, stand_s, walk_s, speed_mps, cadence_spm;
    const char* warning;
  };
  const Case cases[] = {
      {866295, 833.0, 3.0, 8.0, 3.07, 152.8, "walking contacts (no flight before them)"},
      {734086, 200.0, 3.0, 8.0, 4.60, 188.7, "taken where the step rhythm leaves room for one"},
      {641871, 208.0, 10.0, 0.0, 4.92, 153.5, "taken as the push-off into a run"}};
  for (const Case& c : cases) {
    sim::SimSettings s;
    s.seed = c.seed;
    s.runner.schedule = {{Activity::kStand, c.stand_s, 0.0, 0.0}};
    if (c.walk_s > 0.0) s.runner.schedule.push_back({Activity::kWalk, c.walk_s, 1.4, 110.0});
    s.runner.schedule.push_back({Activity::kRun, 20.0, c.speed_mps, c.cadence_spm});
    s.sensors = sim::pelvis_sensors(c.rate_hz);
    for (sim::SensorSettings& sensor : s.sensors) sensor.errors.mounting_rotation_max_deg = 90.0;
    const sim::SimResult r = sim::simulate(s);
    SCOPED_TRACE(c.seed);
    const Streamed live = streams_like_batch(r, c.warning);
    const double stride_s = 120.0 / (c.walk_s > 0.0 ? 110.0 : c.cadence_spm);
    for (size_t i = 0; i < live.steps.size(); ++i) {
      if (i > 0) {
        EXPECT_LT(live.steps[i - 1].event.ic_us, live.steps[i].event.ic_us) << i;
      }
      if (live.emit_t_us[i] == INT64_MAX) continue;  // released at finish()
      // A weak first step from standing is decided at the bout's second peak, a little over a
      // stride after its IC (ImpactDetectorSettings::weak_peak_min_g).
      const double bound_s = i == 0 ? 1.15 * stride_s : stride_s;
      EXPECT_LE(static_cast<double>(live.emit_t_us[i] - live.steps[i].event.ic_us) * 1e-6, bound_s)
          << "step at " << static_cast<double>(live.steps[i].event.ic_us) * 1e-6 << " s";
    }
  }
}

// A trunk walking with loading peaks of 1.2 g only (under the peak level), its force a clean
// oscillation between 0.8 and 1.2 g at 110 steps/min, 200 Hz. The rhythm starts from weak peaks
// alone, keeps every promise of its horizon, and a hole while it is starting (longer than a
// bridged dropout) drops what was gathered before the hole instead of reaching for rows it no
// longer has.
TEST(ImpactStepDetector, WalkOfWeakPeaksStartsItsRhythmAndSurvivesAHole) {
  ImpactDetectorSettings settings;
  settings.placement = pb::PELVIS;
  settings.nominal_rate_hz = 200.0;
  const double step_s = 60.0 / 110.0;
  auto walk = [&](double from_s, double to_s) {
    std::vector<ImuSample> out;
    for (double t = from_s; t < to_s; t += 0.005) {
      ImuSample s;
      s.t_us = std::llround(t * 1e6);
      const double v_g = 1.0 + 0.2 * std::cos(2.0 * std::numbers::pi * t / step_s);
      s.acc_mps2 = Eigen::Vector3d(0.0, 0.0, v_g * kGravity_mps2);
      out.push_back(s);
    }
    return out;
  };
  {
    ImpactStepDetector detector(settings);
    const Fed fed = feed(detector, walk(0.0, 20.0));
    EXPECT_TRUE(fed.broken_promises.empty()) << fed.broken_promises.front();
    // Peaks every step from 0 s; the first, at the data's start, has no rise before it.
    EXPECT_GE(fed.steps.size(), 34u);
    EXPECT_LE(fed.steps.size(), 37u);
  }
  {
    ImpactStepDetector detector(settings);
    // Three peaks (0, 0.55 and 1.09 s) gathered, then a 0.7 s hole: short enough that a step
    // across it lies within a longest step.
    std::vector<ImuSample> samples = walk(0.0, 1.5);
    const std::vector<ImuSample> after = walk(2.2, 20.0);
    samples.insert(samples.end(), after.begin(), after.end());
    const Fed fed = feed(detector, samples);
    EXPECT_TRUE(fed.broken_promises.empty()) << fed.broken_promises.front();
    EXPECT_GE(fed.steps.size(), 30u);
    for (const DetectedStep& d : fed.steps) EXPECT_GT(d.ic_us, 2'200'000);
  }
}

// A pelvis clip without gyroscope on a walker whose every loading peak stays under the peak
// level (1.20-1.24 g): the rhythm starts from four weak peaks in a row and carries on from weak
// peaks alone. The stream must give the batch's steps; the first four are decided at the fourth
// (about three steps after the first one's IC), the rest within a stride.
TEST(BatchVsStreaming, PelvisWalkOfWeakPeaksGivesTheSameSteps) {
  sim::SimSettings s;
  s.seed = 886686;
  s.runner.schedule = {{Activity::kWalk, 8.0, 1.4, 110.0}, {Activity::kRun, 20.0, 2.66, 163.8}};
  s.runner.duty_factor = 0.39;
  s.sensors = sim::pelvis_sensors(400.0, /*accel_only=*/true);
  for (sim::SensorSettings& sensor : s.sensors) {
    sensor.errors = sim::scale_noise(sim::SensorErrorSettings{}, 3.0);
  }
  const sim::SimResult r = sim::simulate(s);
  const Streamed live = streams_like_batch(r, "taken where the step rhythm leaves room for one");
  const double stride_s = 120.0 / 110.0;
  for (size_t i = 0; i < live.steps.size(); ++i) {
    const double ic_s = static_cast<double>(live.steps[i].event.ic_us) * 1e-6;
    if (live.emit_t_us[i] == INT64_MAX) continue;  // released at finish()
    const double bound_s = i < 4 ? 2.0 * stride_s : stride_s;
    EXPECT_LE(static_cast<double>(live.emit_t_us[i] - live.steps[i].event.ic_us) * 1e-6, bound_s)
        << "step at " << ic_s << " s";
  }
  // 14 walking contacts before 7.5 s, the first at 0.27 s with its rise before the data: matched
  // one to one, at least 12 of them found, and every step before 7.44 s (whose match cannot lie
  // past 7.5 s) a true one.
  const std::vector<TruthEvent>& all = *r.truth.events;
  std::vector<TruthEvent> walking;
  std::copy_if(all.begin(), all.end(), std::back_inserter(walking),
               [](const TruthEvent& t) { return t.ic_s < 7.5; });
  std::vector<StepResult> early;
  std::copy_if(
      live.steps.begin(), live.steps.end(), std::back_inserter(early),
      [](const StepResult& step) { return static_cast<double>(step.event.ic_us) * 1e-6 < 7.44; });
  const EventEvaluation found = evaluate_events(live.steps, walking);
  EXPECT_GE(found.matched, 12u) << found.matched << " of " << found.steps_true;
  EXPECT_GE(evaluate_events(early, all).precision, 0.99);
}

TEST(BatchVsStreaming, RecordingReadPacketByPacketGivesTheSameSteps) {
  const sim::SimResult r = mixed_session();
  const GaitAnalysis batch = analyze_gait(r.session);
  const std::filesystem::path dir = temp_dir("gkr");
  const std::filesystem::path file = dir / "run.gkr";
  write_recording(file, r.session);

  for (int pass = 0; pass < 2; ++pass) {
    RecordingReader reader(file);
    std::map<uint32_t, size_t> index_of;
    for (int i = 0; i < reader.header().sensors_size(); ++i) {
      index_of[reader.header().sensors(i).device_id()] = static_cast<size_t>(i);
    }
    ASSERT_EQ(index_of.size(), r.session.sensors.size());
    GaitEngine engine(reader.header());
    std::vector<StepResult> live;
    size_t packets = 0;
    std::vector<ImuSample> unpacked;
    while (std::optional<pb::SensorPacket> packet = reader.next()) {
      ++packets;
      unpacked.clear();
      unpack(*packet, unpacked);
      const size_t sensor = index_of.at(packet->device_id());
      for (const ImuSample& s : unpacked) {
        engine.push(sensor, s);
        for (StepResult& step : engine.take()) live.push_back(std::move(step));
      }
    }
    EXPECT_TRUE(reader.warning().empty()) << reader.warning();
    engine.finish();
    for (StepResult& step : engine.take()) live.push_back(std::move(step));
    EXPECT_GT(packets, 100u);
    EXPECT_EQ(batch.steps.size(), live.size()) << "pass " << pass;
    EXPECT_TRUE(batch.steps == live) << "pass " << pass;
    if (batch.steps.size() == live.size()) {
      for (size_t i = 0; i < live.size(); ++i) {
        if (!(batch.steps[i] == live[i])) {
          ADD_FAILURE() << "first difference at step " << i << ": batch IC "
                        << batch.steps[i].event.ic_us << " us, streamed " << live[i].event.ic_us
                        << " us";
          break;
        }
      }
    }
  }
  // The whole-file reader and the streaming reader agree as well.
  Warnings warnings;
  EXPECT_TRUE(analyze_gait(read_recording(file, warnings)).steps == batch.steps);
  std::filesystem::remove_all(dir);
}

// A journal from a radio link holds a packet after the one that followed it. `analyze` streams
// the recording and holds a few dozen packets back so that such a packet goes back into its
// place, as the whole-file reader (`report`, `export`, `evaluate`) puts it: the two give the
// same steps and knee values, and those of the recording in order. Before, the streamed reader
// fed it late and the engine skipped it as a hole.
TEST(BatchEqualsStreaming, LatePacketsInARecordingReadAsInOrder) {
  const sim::SimResult r = simulate_run(
      406, {{Activity::kStand, 5.0, 0.0, 0.0}, {Activity::kRun, 30.0, 3.2, kCadence_spm}},
      sim::shoe_and_sleeve_sensors(kRate_hz));
  const std::filesystem::path dir = temp_dir("late_packets");
  write_recording(dir / "in_order.gkr", r.session);
  std::vector<pb::SensorPacket> packets;
  pb::SessionHeader header;
  {
    RecordingReader reader(dir / "in_order.gkr");
    header = reader.header();
    while (std::optional<pb::SensorPacket> p = reader.next()) packets.push_back(*p);
  }
  // Every 20th packet arrives after the next one of its device.
  size_t moved = 0;
  for (size_t i = 20; i < packets.size(); i += 20) {
    size_t j = i + 1;
    while (j < packets.size() && packets[j].device_id() != packets[i].device_id()) ++j;
    if (j >= packets.size()) break;
    std::rotate(packets.begin() + static_cast<std::ptrdiff_t>(i),
                packets.begin() + static_cast<std::ptrdiff_t>(i) + 1,
                packets.begin() + static_cast<std::ptrdiff_t>(j) + 1);
    ++moved;
  }
  {
    RecordingWriter writer(dir / "late.gkr", header);
    for (const pb::SensorPacket& p : packets) writer.write(p);
    writer.close();
  }
  pb::SessionHeader h;
  const GaitAnalysis in_order = analyze_recording(dir / "in_order.gkr", h, {}, true);
  const GaitAnalysis streamed = analyze_recording(dir / "late.gkr", h, {}, true);
  Warnings w;
  const GaitAnalysis whole = analyze_gait(read_recording(dir / "late.gkr", w));
  EXPECT_GT(moved, 50u);
  EXPECT_TRUE(streamed.steps == whole.steps);
  EXPECT_TRUE(streamed.steps == in_order.steps);
  // The same knee series; the two sides' samples may leave in another interleaving.
  const auto by_side = [](std::vector<KneeAngleSample> k) {
    std::stable_sort(k.begin(), k.end(), [](const KneeAngleSample& a, const KneeAngleSample& b) {
      return a.side < b.side;
    });
    return k;
  };
  EXPECT_GT(in_order.knee.size(), 1000u);
  EXPECT_TRUE(by_side(streamed.knee) == by_side(in_order.knee));
  std::filesystem::remove_all(dir);
}

/// The delays (emit time - IC) of a streamed session's settled steps: IC after 5 s, emitted
/// before finish(). Each is checked against "at most one stride after the IC" plus a small
/// margin (two sample periods and 40 ms of decision slack).
struct DelaySummary {
  size_t checked = 0;
  double worst_strides = 0.0;
  double worst_at_s = 0.0;
  double bound_s = 0.0;
};
/// Every step with its IC from from_s on: left within one stride (and the time of two samples and
/// a contact decision's confirmation) of its IC.
DelaySummary check_delays(const Streamed& live, double stride_s, const std::string& label,
                          double from_s = 5.0) {
  DelaySummary d;
  d.bound_s = stride_s + 2.0 / kRate_hz + 0.04;
  for (size_t i = 0; i < live.steps.size(); ++i) {
    const double ic = static_cast<double>(live.steps[i].event.ic_us) * 1e-6;
    if (ic < from_s || live.emit_t_us[i] == INT64_MAX) continue;
    const double delay_s =
        static_cast<double>(live.emit_t_us[i] - live.steps[i].event.ic_us) * 1e-6;
    ++d.checked;
    if (delay_s / stride_s > d.worst_strides) {
      d.worst_strides = delay_s / stride_s;
      d.worst_at_s = ic;
    }
    EXPECT_LE(delay_s, d.bound_s) << label << ": step at " << ic << " s emitted " << delay_s
                                  << " s later (" << delay_s / stride_s << " strides)";
  }
  return d;
}

TEST(BoundedDelay, StepsLeaveWithinOneStrideOfTheirContact) {
  sim::SimSettings s;
  s.seed = 303;
  s.runner.schedule = steady_run(30.0);
  s.sensors = sim::feet_sensors(kRate_hz);
  for (const sim::SensorSettings& p : sim::shank_sensors(kRate_hz)) s.sensors.push_back(p);
  const sim::SimResult r = sim::simulate(s);
  GaitEngine engine(engine_header(r.session));
  const Streamed live = stream_by_time(engine, r.session);
  ASSERT_GT(live.steps.size(), 60u);
  const DelaySummary d = check_delays(live, kStride_s, "feet and shanks");
  EXPECT_GT(d.checked, 50u);
  std::printf(
      "[delay] largest emit - IC over %zu steps: %.3f s = %.2f strides (step at %.2f s); "
      "bound 1 stride + margin = %.3f s\n",
      d.checked, d.worst_strides * kStride_s, d.worst_strides, d.worst_at_s, d.bound_s);
}

// The path between two rests against its closed form: a sensor strapped on at a slant moves 1.2 m
// forward in 0.6 s (a velocity of L/T (1 - cos 2 pi t/T), zero at both ends) while it pitches up
// to 40 degrees and back; the displacement comes out in the sensor's own frame at the first rest.
TEST(RestToRestPath, AClosedFormStrideInASlantedSensor) {
  constexpr double kPathRate_hz = 1000.0, kMove_s = 0.6, kRest_s = 0.2, kLength_m = 1.2;
  constexpr double kPitch_rad = 40.0 * std::numbers::pi / 180.0;
  const Eigen::Matrix3d mount =
      (Eigen::AngleAxisd(0.7, Eigen::Vector3d(0.3, -0.5, 0.8).normalized()) *
       Eigen::AngleAxisd(2.2, Eigen::Vector3d::UnitX()))
          .toRotationMatrix();  // sensor to world at rest
  GyroRows rows(4096);
  const int n = static_cast<int>((2.0 * kRest_s + kMove_s) * kPathRate_hz);
  for (int i = 0; i <= n; ++i) {
    const double t = static_cast<double>(i) / kPathRate_hz;
    const double tau = std::clamp((t - kRest_s) / kMove_s, 0.0, 1.0);
    const bool moving = tau > 0.0 && tau < 1.0;
    const double c = std::cos(2.0 * std::numbers::pi * tau);
    const double sn = std::sin(2.0 * std::numbers::pi * tau);
    // Pitch theta = A (1 - cos 2 pi tau) / 2 about world y; forward acceleration from the velocity.
    const double theta = 0.5 * kPitch_rad * (1.0 - c);
    const double theta_rate = moving ? kPitch_rad * std::numbers::pi / kMove_s * sn : 0.0;
    const double accel =
        moving ? kLength_m / (kMove_s * kMove_s) * 2.0 * std::numbers::pi * sn : 0.0;
    const Eigen::Matrix3d to_world = Eigen::AngleAxisd(theta, Eigen::Vector3d::UnitY()) * mount;
    GyroRow row;
    row.t_us = static_cast<int64_t>(std::llround(t * 1e6));
    row.a = to_world.transpose() * Eigen::Vector3d(accel, 0.0, kGravity_mps2);
    row.w = mount.transpose() * Eigen::Vector3d(0.0, theta_rate, 0.0);
    rows.push_back(row);
  }
  const size_t i0 = static_cast<size_t>(kRest_s * kPathRate_hz) - 20;
  const size_t i1 = static_cast<size_t>((kRest_s + kMove_s) * kPathRate_hz) + 20;
  const std::optional<RestToRestPath> path = rest_to_rest_path(rows, i0, i1);
  ASSERT_TRUE(path.has_value());
  const Eigen::Vector3d expected = mount.transpose() * Eigen::Vector3d(kLength_m, 0.0, 0.0);
  EXPECT_LT((path->displacement_m - expected).norm(), 0.01)
      << path->displacement_m.transpose() << " against " << expected.transpose();
  EXPECT_LT(path->end_speed_mps, 0.01);
  // Across a hole longer than the integration bridges there is no path.
  GyroRows holed = rows;
  holed.erase(holed.begin() + 400, holed.begin() + 550);
  EXPECT_FALSE(rest_to_rest_path(holed, i0, i1 - 150).has_value());
}

/// A leg's first steps, streamed: a 20 s run at 170 steps/min (seed 305) after a stand of stand_s
/// (none: from the first sample of the run), on two sensors of one kind. Checks every step whose
/// IC lies after each leg's first contact, or after the stand where with_first, against one
/// stride (check_delays), and prints each leg's first contact and the largest delay.
void check_first_steps(const std::vector<sim::SensorSettings>& sensors, const std::string& what,
                       double stand_s, bool with_first) {
  sim::SimSettings s;
  s.seed = 305;
  s.runner.schedule = steady_run(20.0);
  if (stand_s > 0.0) {
    s.runner.schedule.insert(s.runner.schedule.begin(), {Activity::kStand, stand_s, 0.0, 0.0});
  }
  s.sensors = sensors;
  const sim::SimResult r = sim::simulate(s);
  GaitEngine engine(engine_header(r.session));
  const Streamed live = stream_by_time(engine, r.session);
  const std::string label = what + (stand_s > 0.0 ? ", after a stand" : ", from the first sample");
  std::map<pb::Side, double> first_ic_s;
  for (size_t i = 0; i < live.steps.size(); ++i) {
    const double ic = static_cast<double>(live.steps[i].event.ic_us) * 1e-6;
    if (first_ic_s.emplace(live.steps[i].event.side, ic).second) {
      std::printf(
          "[delay] %s: first contact of a leg at %.2f s left %.2f strides later\n", label.c_str(),
          ic,
          static_cast<double>(live.emit_t_us[i] - live.steps[i].event.ic_us) * 1e-6 / kStride_s);
    }
  }
  ASSERT_EQ(first_ic_s.size(), 2u) << label;
  const double from_s =
      with_first ? stand_s
                 : std::max(first_ic_s.begin()->second, first_ic_s.rbegin()->second) + 1e-3;
  EXPECT_LT(from_s, stand_s + 1.2) << label;
  const DelaySummary d = check_delays(live, kStride_s, label, from_s);
  EXPECT_GT(d.checked, 50u) << label;
  std::printf(
      "[delay] %s: from %.2f s, largest emit - IC %.2f strides (step at %.2f s) over %zu steps\n",
      label.c_str(), from_s, d.worst_strides, d.worst_at_s, d.checked);
}

// A foot's first steps: its pitch axis and the axis' sign are decided on its first stride between
// two rests whose path confirms them (GyroSegmenterSettings::axis_from_first_stride), so every step
// from each foot's second contact on leaves within one stride, whether the run starts from standing
// or the data starts in the middle of a run. With the axis from two seconds of data (1.2 s of
// motion) alone, the steps until about 2 s after the motion began left up to 2.6 strides after
// their contact (from the first sample: the third and fourth contacts 1.58 and 1.08 strides). A
// foot's first contact still waits: in data that starts mid-run it comes before the foot's first
// rest, and from standing the first stride is too short for its path to tell a direction (the
// simulated runner gains speed over the first steps).
TEST(BoundedDelay, AFootsFirstStepsLeaveWithinOneStride) {
  for (const double stand_s : {0.0, 3.0}) {
    check_first_steps(sim::feet_sensors(kRate_hz), "feet", stand_s, /*with_first=*/false);
  }
}

// A shank's first steps: its pitch axis and the axis' sign are decided on about one stride of
// motion (shank_segmenter_defaults(): 1 s of data holding 0.6 s of motion; 1.2 s where the swing
// and stance lobes are of a size and no impact tells them apart), so after a stand every step
// leaves within one stride, and from the first sample of a run every step from each shank's
// second contact (the first comes before a stride of data). On 2 s of data with 1.2 s of motion,
// as a foot without its first-stride path, the first four steps from the first sample left 2.58,
// 2.09, 1.58 and 1.07 strides after their contact, and after a 3 s stand, where this run's first
// lobes are of a size, the first five 3.15 to 1.15 strides.
TEST(BoundedDelay, AShanksFirstStepsLeaveWithinOneStride) {
  check_first_steps(sim::shank_sensors(kRate_hz), "shanks", 0.0, /*with_first=*/false);
  check_first_steps(sim::shank_sensors(kRate_hz), "shanks", 3.0, /*with_first=*/true);
}

// Accelerometer-only shanks decide a landing after half a shortest stride (0.21 s) without a
// larger jump, a doubtful one after a whole shortest stride: within one stride at a usual
// cadence and at one near the 285 steps/min limit (waiting the whole shortest stride for every
// landing took 1.30 strides at 260 steps/min).
TEST(BoundedDelay, AccelerometerOnlyShanksLeaveWithinOneStride) {
  for (const double cadence_spm : {170.0, 260.0}) {
    sim::SimSettings s;
    s.seed = 304;
    s.runner.schedule = {{sim::Activity::kRun, 30.0, 4.0, cadence_spm}};
    s.runner.duty_factor = 0.3;
    s.sensors = sim::shank_sensors(kRate_hz, /*accel_only=*/true);
    const sim::SimResult r = sim::simulate(s);
    GaitEngine engine(engine_header(r.session));
    const Streamed live = stream_by_time(engine, r.session);
    const DelaySummary d =
        check_delays(live, 120.0 / cadence_spm, std::to_string(cadence_spm) + " steps/min");
    EXPECT_GT(d.checked, static_cast<size_t>(cadence_spm / 4.0));
    std::printf(
        "[delay] accelerometer-only shanks, %.0f steps/min: largest emit - IC %.2f strides over "
        "%zu steps\n",
        cadence_spm, d.worst_strides, d.checked);
  }
}

TEST(BoundedDelay, AStopDoesNotHoldBackTheStepsBeforeIt) {
  // Run, stand a minute, run: with feet, knee sleeves and a pelvis clip all
  // streaming, the steps before the stop leave while the runner stands (the
  // merger waits for every sensor's horizon, so one detector that waits for
  // the next stride would hold them all until the run resumes).
  sim::SimSettings s;
  s.seed = 304;
  s.runner.schedule = {{Activity::kRun, 15.0, 3.2, kCadence_spm},
                       {Activity::kStand, 60.0, 0.0, 0.0},
                       {Activity::kRun, 15.0, 3.2, kCadence_spm}};
  s.sensors = sim::shoe_and_sleeve_sensors(kRate_hz);
  for (const sim::SensorSettings& p : sim::pelvis_sensors(kRate_hz)) s.sensors.push_back(p);
  const sim::SimResult r = sim::simulate(s);
  GaitEngine engine(engine_header(r.session));
  const Streamed live = stream_by_time(engine, r.session);
  const std::vector<TruthEvent>& truth = *r.truth.events;
  double stop_s = 0.0;  // the last true contact before the stand
  for (const TruthEvent& e : truth) {
    if (e.ic_s < 45.0) stop_s = std::max(stop_s, e.ic_s);
  }
  ASSERT_GT(stop_s, 14.0);
  size_t before_stop = 0;
  double latest_s = 0.0;
  for (size_t i = 0; i < live.steps.size(); ++i) {
    const double ic = static_cast<double>(live.steps[i].event.ic_us) * 1e-6;
    if (ic > stop_s + 0.1) continue;
    ++before_stop;
    const double emit_s = live.emit_t_us[i] == INT64_MAX
                              ? std::numeric_limits<double>::infinity()
                              : static_cast<double>(live.emit_t_us[i]) * 1e-6;
    latest_s = std::max(latest_s, emit_s);
  }
  std::printf(
      "[delay] run-stand-run: the last of %zu steps before the stop (%.2f s) left at %.2f s\n",
      before_stop, stop_s, latest_s);
  EXPECT_GT(before_stop, 30u);
  // The stop's last contact is decided when its foot's next mid-swing is
  // overdue (kOverdueStrides typical strides after the previous one, about
  // a stride after the contact); the stand lasts 60 s.
  EXPECT_LT(latest_s, stop_s + 1.5);
}

// ---------------------------------------------------------------------------
// Degenerate input: no crash, marked, a warning naming the sensor and time.

const sim::SimResult& feet_run() {
  static const sim::SimResult r = simulate_run(404, steady_run(30.0), sim::feet_sensors(kRate_hz));
  return r;
}

std::string lower(std::string s) {
  for (char& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

/// A warning that names `sensor`, says one of `what` and, when `t_s` is set,
/// gives a time within `tol_s` of it.
bool has_warning(const std::vector<std::string>& warnings, std::string_view sensor,
                 const std::vector<std::string>& what, std::optional<double> t_s,
                 double tol_s = 0.5) {
  static const std::regex number(R"((\d+(?:\.\d+)?)\s*s\b)");
  for (const std::string& w : warnings) {
    const std::string l = lower(w);
    if (l.find(sensor) == std::string::npos) continue;
    bool said = false;
    for (const std::string& k : what) said |= l.find(k) != std::string::npos;
    if (!said) continue;
    if (!t_s) return true;
    for (auto it = std::sregex_iterator(l.begin(), l.end(), number); it != std::sregex_iterator();
         ++it) {
      if (std::abs(std::stod((*it)[1].str()) - *t_s) <= tol_s) return true;
    }
  }
  return false;
}

std::string joined(const std::vector<std::string>& warnings) {
  std::string out;
  for (const std::string& w : warnings) out += "\n  " + w;
  return out.empty() ? "\n  (no warnings)" : out;
}

/// Steps away from [from_s, to_s] (one stride either side) are all found,
/// and nothing extra is reported there.
void expect_found_outside(const std::vector<StepResult>& steps,
                          const std::vector<TruthEvent>& truth, double from_s, double to_s) {
  const double lo = from_s - kStride_s;
  const double hi = to_s + kStride_s;
  std::vector<TruthEvent> truth_out;
  for (const TruthEvent& e : truth) {
    if (e.ic_s < lo || e.ic_s > hi) truth_out.push_back(e);
  }
  std::vector<StepResult> steps_out;
  for (const StepResult& s : steps) {
    const double t = ic_s(s.event);
    if (t < lo || t > hi) steps_out.push_back(s);
  }
  const EventEvaluation recall = evaluate_events(steps, truth_out);
  const EventEvaluation precision = evaluate_events(steps_out, truth);
  EXPECT_GE(recall.recall, 0.98) << recall.matched << " of " << recall.steps_true
                                 << " contacts outside " << lo << ".." << hi << " s found";
  EXPECT_GE(precision.precision, 0.98)
      << precision.matched << " of " << precision.steps_detected << " steps outside match";
}

void expect_all_sane(const std::vector<StepResult>& steps, const Session& session) {
  int64_t first = INT64_MAX, last = INT64_MIN;
  for (const SensorStream& s : session.sensors) {
    for (const ImuSample& x : s.samples) {
      first = std::min(first, x.t_us);
      last = std::max(last, x.t_us);
    }
  }
  for (const StepResult& s : steps) expect_sane(s, first, last);
}

/// Applies `edit` to the samples of one sensor at [from_s, to_s).
template <typename Edit>
Session edited(const Session& in, size_t sensor, double from_s, double to_s, Edit edit) {
  Session out = in;
  std::vector<ImuSample> kept;
  for (const ImuSample& s : in.sensors[sensor].samples) {
    const double t = static_cast<double>(s.t_us) * 1e-6;
    if (t >= from_s && t < to_s) {
      ImuSample x = s;
      if (edit(x)) kept.push_back(x);
    } else {
      kept.push_back(s);
    }
  }
  out.sensors[sensor].samples = std::move(kept);
  return out;
}

TEST(BadInput, NanAndInfiniteSamples) {
  const sim::SimResult& r = feet_run();
  const double nan = std::numeric_limits<double>::quiet_NaN();
  Session s = edited(r.session, 0, 10.0, 10.5, [&](ImuSample& x) {
    x.acc_mps2.x() = nan;
    x.gyr_rps.z() = std::numeric_limits<double>::infinity();
    return true;
  });
  const GaitAnalysis a = analyze_gait(s);
  EXPECT_TRUE(has_warning(a.warnings, "left_foot", {"nan", "infinite", "non-finite"}, 10.0))
      << joined(a.warnings);
  EXPECT_FALSE(has_warning(a.warnings, "right_foot", {"nan", "infinite"}, std::nullopt));
  expect_all_sane(a.steps, s);
  expect_found_outside(a.steps, *r.truth.events, 10.0, 10.5);
}

// Thigh sensors alone give no steps; the analysis says why instead of an unexplained empty
// result.
TEST(BadInput, ThighsAloneSayWhyThereAreNoSteps) {
  const sim::SimResult r = simulate_run(104, steady_run(10.0), sim::thigh_sensors(200.0));
  const GaitAnalysis a = analyze_gait(r.session);
  EXPECT_TRUE(a.steps.empty());
  EXPECT_TRUE(std::any_of(a.warnings.begin(), a.warnings.end(), [](const std::string& w) {
    return w.find("no foot, shank or pelvis sensor") != std::string::npos;
  })) << joined(a.warnings);
  // A session that has such a sensor does not get the warning.
  const std::vector<std::string> feet = analyze_gait(feet_run().session).warnings;
  EXPECT_FALSE(std::any_of(feet.begin(), feet.end(), [](const std::string& w) {
    return w.find("no foot, shank or pelvis sensor") != std::string::npos;
  })) << joined(feet);
}

TEST(BadInput, SaturatedRun) {
  const sim::SimResult& r = feet_run();
  // 12..14 s: the sensor clips at +-4 g and +-250 deg/s (e.g. a wrong range).
  const double acc_max = 4.0 * kGravity_mps2;
  const double gyr_max = 250.0 * 3.14159265358979 / 180.0;
  Session s = edited(r.session, 0, 12.0, 14.0, [&](ImuSample& x) {
    const Eigen::Vector3d a = x.acc_mps2.cwiseMax(-acc_max).cwiseMin(acc_max);
    const Eigen::Vector3d g = x.gyr_rps.cwiseMax(-gyr_max).cwiseMin(gyr_max);
    x.saturated = a != x.acc_mps2 || g != x.gyr_rps;
    x.acc_mps2 = a;
    x.gyr_rps = g;
    return true;
  });
  const GaitAnalysis a = analyze_gait(s);
  EXPECT_TRUE(has_warning(a.warnings, "left_foot", {"saturat", "full-scale", "clip"}, 12.0, 1.0))
      << joined(a.warnings);
  expect_all_sane(a.steps, s);
  expect_found_outside(a.steps, *r.truth.events, 12.0, 14.0);
}

// ---------------------------------------------------------------------------
// Readings clipped at full scale (declip.hpp).

/// Samples at 1 kHz over 0.5 s: swing-like rate peaks of 12 rad/s on x (a 3 Hz sine), a steady
/// 2 rad/s on y, and force peaks of 10 g on z.
std::vector<ImuSample> sine_samples() {
  std::vector<ImuSample> out;
  for (int i = 0; i < 500; ++i) {
    ImuSample x;
    x.t_us = i * 1000;
    const double t = i * 1e-3;
    const double wave = std::sin(2.0 * std::numbers::pi * 3.0 * t);
    x.gyr_rps = Eigen::Vector3d(12.0 * wave, 2.0, 0.0);
    x.acc_mps2 = Eigen::Vector3d(0.0, 0.0, 10.0 * kGravity_mps2 * wave);
    out.push_back(x);
  }
  return out;
}

/// The samples clipped at `limits`, marked as a sensor marks them.
std::vector<ImuSample> clipped(std::vector<ImuSample> samples, const FullScale& limits) {
  for (ImuSample& x : samples) {
    const Eigen::Vector3d g = x.gyr_rps.cwiseMax(-limits.gyro_rps).cwiseMin(limits.gyro_rps);
    const Eigen::Vector3d a = x.acc_mps2.cwiseMax(-limits.accel_mps2).cwiseMin(limits.accel_mps2);
    x.saturated = g != x.gyr_rps || a != x.acc_mps2;
    x.gyr_rps = g;
    x.acc_mps2 = a;
  }
  return samples;
}

std::vector<ImuSample> declipped(SampleDeclipper& d, const std::vector<ImuSample>& in) {
  std::vector<ImuSample> out;
  for (const ImuSample& x : in) d.push(x, out);
  d.flush(out);
  return out;
}

TEST(Declip, RebuildsAClippedPeakAxisByAxis) {
  const std::vector<ImuSample> truth = sine_samples();
  const FullScale limits{.gyro_rps = 10.0, .accel_mps2 = 8.0 * kGravity_mps2};
  // Clipped, each of the three peaks reads 2 rad/s low for 62 ms, or 2 g low for 68 ms.
  SampleDeclipper d(limits);
  const std::vector<ImuSample> rebuilt = declipped(d, clipped(truth, limits));
  ASSERT_EQ(rebuilt.size(), truth.size());
  EXPECT_EQ(d.counts().rebuilt, 6u);  // three stretches of gyro x and three of accel z
  EXPECT_EQ(d.counts().as_read, 0u);
  double worst_w = 0.0, worst_a = 0.0, missing = 0.0, left = 0.0;
  for (size_t i = 0; i < truth.size(); ++i) {
    EXPECT_EQ(rebuilt[i].t_us, truth[i].t_us);
    worst_w = std::max(worst_w, std::abs(rebuilt[i].gyr_rps.x() - truth[i].gyr_rps.x()));
    worst_a = std::max(worst_a, std::abs(rebuilt[i].acc_mps2.z() - truth[i].acc_mps2.z()));
    EXPECT_EQ(rebuilt[i].gyr_rps.y(), truth[i].gyr_rps.y());  // never at its limit: untouched
    missing += std::max(0.0, std::abs(truth[i].gyr_rps.x()) - limits.gyro_rps) * 1e-3;
    left += std::abs(truth[i].gyr_rps.x() - rebuilt[i].gyr_rps.x()) * 1e-3;
  }
  std::printf(
      "[declip] sine peaks: rate within %.3f rad/s, force within %.3f g; rotation "
      "missing %.4f rad clipped, %.4f rad rebuilt\n",
      worst_w, worst_a / kGravity_mps2, missing, left);
  EXPECT_LT(worst_w, 0.1);
  EXPECT_LT(worst_a, 0.1 * kGravity_mps2);
  EXPECT_LT(left, 0.05 * missing);
}

TEST(Declip, AStretchTooLongOrWithoutNeighboursIsReadAsClipped) {
  std::vector<ImuSample> in = sine_samples();
  const FullScale limits{.gyro_rps = 20.0};  // the sine stays under it
  // At the limit from the first sample: nothing before it to fit.
  for (size_t i = 0; i < 3; ++i) {
    in[i].gyr_rps.y() = -limits.gyro_rps;
    in[i].saturated = true;
  }
  // 0.2 s at the limit (a sensor stuck there): no swing's peak.
  for (size_t i = 100; i < 300; ++i) {
    in[i].gyr_rps.x() = limits.gyro_rps;
    in[i].saturated = true;
  }
  SampleDeclipper d(limits);
  const std::vector<ImuSample> out = declipped(d, in);
  EXPECT_EQ(d.counts().rebuilt, 0u);
  EXPECT_EQ(d.counts().as_read, 2u);  // the first; the stuck one, longer than any swing's peak
  EXPECT_EQ(d.counts().first_as_read_t_us, 0);
  EXPECT_TRUE(out == in);
}

/// Feet read at +/-500 deg/s and +/-8 g, as many IMUs are set by default, running at 5 m/s.
sim::SimResult narrow_range_run() {
  std::vector<sim::SensorSettings> feet = sim::feet_sensors(kRate_hz);
  for (sim::SensorSettings& f : feet) {
    f.gyro_range_dps = 500;
    f.accel_range_g = 8;
  }
  return simulate_run(515, {{Activity::kRun, 30.0, 5.0, 184.0}}, feet);
}

TEST(Declip, FeetReadAtNarrowRangesKeepTheirToeOffsAndStrides) {
  const sim::SimResult r = narrow_range_run();
  const GaitAnalysis a = analyze_gait(r.session);
  // The same readings with their clipping unmarked are read as they are.
  Session unmarked = r.session;
  size_t clipped = 0;
  for (SensorStream& s : unmarked.sensors) {
    for (ImuSample& x : s.samples) {
      clipped += x.saturated;
      x.saturated = false;
    }
  }
  const GaitAnalysis as_read = analyze_gait(unmarked);
  const double stride_true_m = 5.0 * 120.0 / 184.0;
  const auto stride_median = [&](const GaitAnalysis& g) {
    std::vector<double> rel;
    for (const StepResult& step : g.steps) {
      if (step.stride_m) rel.push_back(*step.stride_m / stride_true_m - 1.0);
    }
    EXPECT_GT(rel.size(), 80u);
    std::nth_element(rel.begin(), rel.begin() + static_cast<std::ptrdiff_t>(rel.size() / 2),
                     rel.end());
    return rel[rel.size() / 2];
  };
  const EventEvaluation e = evaluate_events(a.steps, *r.truth.events);
  const EventEvaluation e0 = evaluate_events(as_read.steps, *r.truth.events);
  ASSERT_TRUE(e.to_mae_ms && e0.to_mae_ms && e.contact_mae_ms && e0.contact_mae_ms);
  const double stride = stride_median(a), stride0 = stride_median(as_read);
  std::printf(
      "[declip] feet at 500 deg/s and 8 g, 5 m/s, %zu samples clipped: TO error %.1f ms "
      "(as read %.1f), contact %.1f ms (%.1f), stride %+.1f %% (%+.1f %%), F1 %.3f "
      "(%.3f)\n",
      clipped, *e.to_mae_ms, *e0.to_mae_ms, *e.contact_mae_ms, *e0.contact_mae_ms, 100.0 * stride,
      100.0 * stride0, e.f1, e0.f1);
  EXPECT_GE(e.f1, 0.995);
  // The toe-off, timed at the push-off's rebuilt peak, stays within the issue's contact-time
  // target (7.3 ms; 3.5 ms as read here, where the flat top's first sample fell near the true
  // peak; 39 ms as read on a foot at 6 m/s, 1 kHz, docs/ACCURACY.md).
  EXPECT_LE(*e.contact_mae_ms, 10.0);
  // The stride keeps what lay beyond the limits (+1.1 %; -3.9 % as read).
  EXPECT_LE(std::abs(stride), 0.02);
  EXPECT_LT(std::abs(stride), std::abs(stride0) - 0.02);
  EXPECT_TRUE(has_warning(a.warnings, "left_foot", {"rebuilt"}, std::nullopt))
      << joined(a.warnings);
  // Rows wait for their rebuild in the stream as they do in the batch.
  GaitEngine engine(engine_header(r.session));
  const Streamed live = stream_by_time(engine, r.session);
  EXPECT_TRUE(live.steps == a.steps);
}

TEST(BadInput, SampleRateChangesMidSession) {
  const sim::SimResult& r = feet_run();
  // From 20 s on the left foot delivers 100 Hz instead of 200 Hz.
  bool keep = false;
  Session s = edited(r.session, 0, 20.0, 1e9, [&](ImuSample&) {
    keep = !keep;
    return keep;
  });
  const GaitAnalysis a = analyze_gait(s);
  EXPECT_TRUE(has_warning(a.warnings, "left_foot", {"rate"}, 20.0)) << joined(a.warnings);
  expect_all_sane(a.steps, s);
  // A 100 Hz foot sensor is still a fine step detector: nothing is lost.
  const EventEvaluation e = evaluate_events(a.steps, *r.truth.events);
  EXPECT_GE(e.f1, 0.98) << e.matched << "/" << e.steps_true << "/" << e.steps_detected;
}

// A new period is settled only by a run of intervals that agree with each other; a gap, a burst
// of lost packets or jitter around the period is not a rate change.
TEST(SamplePeriod, SettlesOnlyOnARunOfAgreeingIntervals) {
  SamplePeriod p({.nominal_period_us = 5'000});
  int64_t t = 0;
  const auto feed = [&](int64_t dt_us, int n) {
    size_t settled = 0;
    for (int i = 0; i < n; ++i) settled += p.push(t += dt_us) ? 1 : 0;
    return settled;
  };
  EXPECT_EQ(feed(5'000, 100), 0u);
  EXPECT_EQ(p.period_us(), 5'000);
  // A gap, then the old period again.
  EXPECT_EQ(feed(400'000, 1) + feed(5'000, 50), 0u);
  // Jitter: every interval 20 % off, alternating sides.
  for (int i = 0; i < 50; ++i) EXPECT_FALSE(p.push(t += i % 2 ? 6'000 : 4'000));
  // Off the period but not agreeing with each other (lost packets here and there).
  for (int i = 0; i < 50; ++i) EXPECT_FALSE(p.push(t += i % 2 ? 15'000 : 10'000));
  EXPECT_EQ(p.period_us(), 5'000);
  EXPECT_EQ(p.changes(), 0u);
  // Down to 100 Hz: settled on the 20th interval, dated at the last sample before the change.
  const int64_t before_us = t;
  EXPECT_EQ(feed(10'000, 19), 0u);
  EXPECT_TRUE(p.push(t += 10'000));
  EXPECT_EQ(p.period_us(), 10'000);
  EXPECT_EQ(p.previous_period_us(), 5'000);
  EXPECT_EQ(p.change_start_us(), before_us);
  EXPECT_EQ(p.changes(), 1u);
  // Timestamps that do not advance are ignored.
  EXPECT_FALSE(p.push(t));
  EXPECT_FALSE(p.push(t - 3'000));
  EXPECT_EQ(feed(1'000, 30), 1u);
  EXPECT_EQ(p.period_us(), 1'000);
  p.reset();
  EXPECT_EQ(p.period_us(), 5'000);
  EXPECT_EQ(p.changes(), 0u);
}

TEST(SamplePeriod, UnknownNominalIsTakenFromTheFirstInterval) {
  SamplePeriod p;
  EXPECT_EQ(p.period_us(), 0);
  EXPECT_FALSE(p.push(1'000'000));
  EXPECT_TRUE(p.push(1'004'000));
  EXPECT_EQ(p.period_us(), 4'000);
  EXPECT_EQ(p.previous_period_us(), 0);
  // A pause longer than any sample period never becomes one.
  SamplePeriod q;
  EXPECT_FALSE(q.push(0));
  EXPECT_FALSE(q.push(5'000'000));
  EXPECT_EQ(q.period_us(), 0);
  EXPECT_EQ(period_from_rate_us(200.0), 5'000);
  EXPECT_EQ(period_from_rate_us(0.0), 0);
  EXPECT_EQ(period_from_rate_us(std::numeric_limits<double>::quiet_NaN()), 0);
  EXPECT_EQ(period_from_rate_us(1e300), 0);
}

/// Keeps every `keep_every`-th sample of every sensor in [from_s, to_s): the device's output
/// rate divided there.
Session decimated(const Session& in, double from_s, double to_s, int keep_every) {
  Session out = in;
  for (size_t k = 0; k < in.sensors.size(); ++k) {
    int n = 0;
    out = edited(out, k, from_s, to_s, [&](ImuSample&) { return n++ % keep_every == 0; });
  }
  return out;
}

// Accelerometer-only detectors measure a jump over, or average, a number of samples. Sized once
// from the nominal rate, a 1 kHz -> 200 Hz change made the tibial detector's 10 ms lag span 50 ms
// and fail its own check on every sample: every step after the change was lost (F1 0.67,
// cadence error 83 steps/min), and the change itself went unreported because an interval five
// times the period read as a gap. Both directions, each accelerometer-only detector.
TEST(BadInput, AccelerometerOnlySensorsFollowARateChange) {
  const std::vector<std::pair<std::string, std::vector<sim::SensorSettings>>> setups = {
      {"shanks", sim::shank_sensors(1000.0, /*accel_only=*/true)},
      {"shoes", sim::feet_sensors(1000.0, /*accel_only=*/true)},
      {"pelvis", sim::pelvis_sensors(1000.0, /*accel_only=*/true)},
  };
  for (const auto& [name, sensors] : setups) {
    const sim::SimResult r = simulate_run(405, steady_run(30.0), sensors);
    // Down from 1 kHz to 200 Hz at 15 s, and up from 200 Hz to 1 kHz at 15 s.
    for (const bool down : {true, false}) {
      SCOPED_TRACE(name + (down ? ": 1000 -> 200 Hz" : ": 200 -> 1000 Hz"));
      const Session s =
          down ? decimated(r.session, 15.0, 1e9, 5) : decimated(r.session, 0.0, 15.0, 5);
      const GaitAnalysis a = analyze_gait(s);
      for (const SensorStream& stream : s.sensors) {
        const std::string sensor(placement_name(stream.info.placement()));
        EXPECT_TRUE(has_warning(a.warnings, sensor, {"rate changed"}, 15.0)) << joined(a.warnings);
      }
      expect_all_sane(a.steps, s);
      const EventEvaluation e = evaluate_events(a.steps, *r.truth.events);
      EXPECT_GE(e.f1, 0.99) << e.matched << "/" << e.steps_true << "/" << e.steps_detected;
      ASSERT_TRUE(e.cadence_mae_spm && e.ic_mae_ms);
      std::printf(
          "[rate] %s %s: %zu / %zu / %zu, F1 %.4f, cadence error %.3f spm, IC error %.2f ms\n",
          name.c_str(), down ? "1000 -> 200 Hz" : "200 -> 1000 Hz", e.steps_true, e.steps_detected,
          e.matched, e.f1, *e.cadence_mae_spm, *e.ic_mae_ms);
      EXPECT_LE(*e.cadence_mae_spm, 0.5);
      EXPECT_LE(*e.ic_mae_ms, 5.0);
    }
  }
}

/// Every sensor's clock jumps by `jump_s` at `at_s`; the truth moves with it.
std::pair<Session, std::vector<TruthEvent>> clock_jump(const sim::SimResult& r, double at_s,
                                                       double jump_s) {
  Session s = r.session;
  const auto jump_us = static_cast<int64_t>(std::llround(jump_s * 1e6));
  for (SensorStream& stream : s.sensors) {
    for (ImuSample& x : stream.samples) {
      if (static_cast<double>(x.t_us) * 1e-6 >= at_s) x.t_us += jump_us;
    }
  }
  std::vector<TruthEvent> truth = *r.truth.events;
  for (TruthEvent& e : truth) {
    if (e.ic_s >= at_s) e.ic_s += jump_s;
    if (e.to_s && *e.to_s >= at_s) *e.to_s += jump_s;
  }
  return {s, truth};
}

TEST(BadInput, TimestampsJumpForward) {
  const auto [s, truth] = clock_jump(feet_run(), 15.0, 0.5);
  const GaitAnalysis a = analyze_gait(s);
  for (const char* sensor : {"left_foot", "right_foot"}) {
    EXPECT_TRUE(has_warning(a.warnings, sensor, {"gap", "jump"}, 15.0)) << joined(a.warnings);
  }
  for (const StepResult& step : a.steps) {
    EXPECT_FALSE(ic_s(step.event) > 15.0 && ic_s(step.event) < 15.5)
        << "step invented at " << ic_s(step.event) << " s in the jump";
  }
  expect_all_sane(a.steps, s);
  expect_found_outside(a.steps, truth, 15.0, 15.5);
}

TEST(BadInput, TimestampsGoBackwards) {
  // The clock steps back 0.3 s at 15 s: the next 0.3 s of samples read as
  // "before the previous one" and are skipped; later data continues.
  const auto [s, truth] = clock_jump(feet_run(), 15.0, -0.3);
  const GaitAnalysis a = analyze_gait(s);
  for (const char* sensor : {"left_foot", "right_foot"}) {
    EXPECT_TRUE(has_warning(a.warnings, sensor, {"backward", "not after", "earlier"}, 15.0))
        << joined(a.warnings);
  }
  expect_all_sane(a.steps, s);
  for (size_t i = 1; i < a.steps.size(); ++i) {
    EXPECT_LT(a.steps[i - 1].event.ic_us, a.steps[i].event.ic_us) << i;
  }
  // Truth on the recorded clock: contacts in the skipped 0.3 s are gone.
  expect_found_outside(a.steps, truth, 14.7, 15.0);
}

TEST(BadInput, LostPacketsLeaveAMarkedGap) {
  const sim::SimResult& r = feet_run();
  Session s = edited(r.session, 0, 18.0, 18.5, [](ImuSample&) { return false; });
  const GaitAnalysis a = analyze_gait(s);
  EXPECT_TRUE(has_warning(a.warnings, "left_foot", {"gap"}, 18.0)) << joined(a.warnings);
  for (const StepResult& step : a.steps) {
    if (step.event.side != pb::LEFT) continue;
    EXPECT_FALSE(ic_s(step.event) > 18.0 && ic_s(step.event) < 18.5)
        << "left step invented at " << ic_s(step.event) << " s in the gap";
  }
  expect_found_outside(a.steps, *r.truth.events, 18.0, 18.5);
}

// A few lost samples (a dropped radio packet, tens of ms) are bridged rather than cutting the
// stride they fall in: counted and reported, and no contact is lost or invented. Six 60 ms holes
// in the left foot, one every 3.3 s, at varying phases of the stride.
TEST(BadInput, ShortDropoutsAreBridgedAndReported) {
  const sim::SimResult& r = feet_run();
  Session s = r.session;
  for (const double from_s : {6.0, 9.3, 12.6, 15.9, 19.2, 22.5}) {
    s = edited(s, 0, from_s, from_s + 0.06, [](ImuSample&) { return false; });
  }
  const GaitAnalysis a = analyze_gait(s);
  EXPECT_TRUE(has_warning(a.warnings, "left_foot", {"bridged"}, std::nullopt))
      << joined(a.warnings);
  EXPECT_FALSE(has_warning(a.warnings, "left_foot", {"gaps in the data"}, std::nullopt))
      << joined(a.warnings);
  expect_all_sane(a.steps, s);
  const EventEvaluation e = evaluate_events(a.steps, *r.truth.events);
  EXPECT_EQ(e.steps_detected, e.steps_true);
  EXPECT_GE(e.f1, 0.995) << e.matched << " of " << e.steps_true << ", detected "
                         << e.steps_detected;
}

TEST(BadInput, SensorThatNeverMoves) {
  const sim::SimResult& r = feet_run();
  const sim::SimResult still =
      simulate_run(405, {{Activity::kStand, 30.0, 0.0, 0.0}}, sim::feet_sensors(kRate_hz));
  Session s = r.session;
  s.sensors[1].samples = still.session.sensors[1].samples;  // right foot on a shelf
  const GaitAnalysis a = analyze_gait(s);
  EXPECT_TRUE(
      has_warning(a.warnings, "right_foot", {"never moved", "no motion", "not move"}, std::nullopt))
      << joined(a.warnings);
  expect_all_sane(a.steps, s);
  for (const StepResult& step : a.steps) EXPECT_NE(step.event.side, pb::RIGHT);
  const EventEvaluation e = evaluate_events(a.steps, truth_of_side(*r.truth.events, pb::LEFT));
  EXPECT_GE(e.f1, 0.98) << e.matched << "/" << e.steps_true << "/" << e.steps_detected;
}

// The issue's bad input on every kind of step detector, not the gyro feet alone: gyro shanks,
// accelerometer-only shanks, shoes and a pelvis. Each case on the first sensor (or every
// sensor's clock): no crash, every step sane, a warning that names the sensor and the time, and
// every contact a stride away from the affected stretch found.
TEST(BadInput, EveryDetectorKind) {
  const std::vector<std::pair<std::string, std::vector<sim::SensorSettings>>> setups = {
      {"gyro shanks", sim::shank_sensors(kRate_hz)},
      {"accelerometer-only shanks", sim::shank_sensors(kRate_hz, /*accel_only=*/true)},
      {"accelerometer-only shoes", sim::feet_sensors(kRate_hz, /*accel_only=*/true)},
      {"accelerometer-only pelvis", sim::pelvis_sensors(kRate_hz, /*accel_only=*/true)},
      // Every stage at once: the knee (thigh and shank), the hip and the pelvic drop too.
      {"shoe, sleeve and pelvis",
       [] {
         std::vector<sim::SensorSettings> all = sim::shoe_and_sleeve_sensors(kRate_hz);
         for (const sim::SensorSettings& p : sim::pelvis_sensors(kRate_hz)) all.push_back(p);
         return all;
       }()},
  };
  const double nan = std::numeric_limits<double>::quiet_NaN();
  for (const auto& [name, sensors] : setups) {
    SCOPED_TRACE(name);
    const sim::SimResult r = simulate_run(406, steady_run(30.0), sensors);
    const std::string first(placement_name(r.session.sensors[0].info.placement()));
    const auto check = [&](const std::string& what, const Session& s,
                           const std::vector<TruthEvent>& truth, double from_s, double to_s,
                           const std::vector<std::string>& words) {
      SCOPED_TRACE(what);
      const GaitAnalysis a = analyze_gait(s);
      EXPECT_TRUE(has_warning(a.warnings, first, words, from_s)) << joined(a.warnings);
      expect_all_sane(a.steps, s);
      for (size_t i = 1; i < a.steps.size(); ++i) {
        EXPECT_LT(a.steps[i - 1].event.ic_us, a.steps[i].event.ic_us) << i;
      }
      expect_found_outside(a.steps, truth, from_s, to_s);
    };
    check("NaN",
          edited(r.session, 0, 10.0, 10.5,
                 [&](ImuSample& x) {
                   x.acc_mps2.y() = nan;
                   return true;
                 }),
          *r.truth.events, 10.0, 10.5, {"nan", "infinite"});
    // Clipped at 80 % of what the sensor reads there: the trunk's peaks reach about 2 g, a
    // shank's and a shoe's several times more.
    double acc_max = 0.0;
    for (const ImuSample& x : r.session.sensors[0].samples) {
      const double t = static_cast<double>(x.t_us) * 1e-6;
      if (t >= 12.0 && t < 14.0)
        acc_max = std::max(acc_max, 0.8 * x.acc_mps2.cwiseAbs().maxCoeff());
    }
    check("saturated",
          edited(r.session, 0, 12.0, 14.0,
                 [&](ImuSample& x) {
                   const Eigen::Vector3d a = x.acc_mps2.cwiseMax(-acc_max).cwiseMin(acc_max);
                   x.saturated = a != x.acc_mps2;
                   x.acc_mps2 = a;
                   return true;
                 }),
          *r.truth.events, 12.0, 14.0, {"saturat", "clip"});
    const auto [ahead, ahead_truth] = clock_jump(r, 15.0, 0.5);
    check("clock forward", ahead, ahead_truth, 15.0, 15.5, {"gap", "jump"});
    const auto [back, back_truth] = clock_jump(r, 15.0, -0.3);
    check("clock backward", back, back_truth, 14.7, 15.0, {"backward", "not after"});
    check("lost packets", edited(r.session, 0, 18.0, 18.5, [](ImuSample&) { return false; }),
          *r.truth.events, 18.0, 18.5, {"gap"});
    // The first sensor on a shelf the whole session: no step from it, and the user is told.
    const sim::SimResult still = simulate_run(407, {{Activity::kStand, 30.0, 0.0, 0.0}}, sensors);
    Session shelf = r.session;
    shelf.sensors[0].samples = still.session.sensors[0].samples;
    const GaitAnalysis a = analyze_gait(shelf);
    EXPECT_TRUE(has_warning(a.warnings, first, {"never moved"}, std::nullopt))
        << joined(a.warnings);
    expect_all_sane(a.steps, shelf);
    if (shelf.sensors.size() == 1) {
      EXPECT_TRUE(a.steps.empty()) << a.steps.size() << " steps from a sensor on a shelf";
    } else if (shelf.sensors.size() > 2) {
      // The left shank and the pelvis still see the left leg's contacts.
      const EventEvaluation e = evaluate_events(a.steps, *r.truth.events);
      EXPECT_GE(e.f1, 0.98) << e.matched << "/" << e.steps_true << "/" << e.steps_detected;
    } else {
      const pb::Side other = side_of(shelf.sensors[1].info.placement());
      for (const StepResult& step : a.steps) EXPECT_EQ(step.event.side, other);
      const EventEvaluation e = evaluate_events(a.steps, truth_of_side(*r.truth.events, other));
      EXPECT_GE(e.f1, 0.98) << e.matched << "/" << e.steps_true << "/" << e.steps_detected;
    }
  }
}

// A gap or a clock step on the joint-angle sensors (knee sleeves, thigh, pelvis): their attitude
// filters have a small gain, so a tilt lost in the gap used to stay wrong for the rest of the
// session (knee flexion at IC off by 20-190 degrees, pelvic drop by up to 130, still tens of
// degrees 20 s later). Now the stretch while tilt is found again has no angles and says so, and
// after it every step's knee, hip and pelvis values agree with the clean run's.
/// Shoes, sleeves and a pelvis at 200 Hz: a stand first, so that the clean run's filters have
/// settled before trouble at 20 s, then 40 s of running.
sim::SimResult joint_run() {
  std::vector<sim::SensorSettings> sensors = sim::shoe_and_sleeve_sensors(kRate_hz);
  for (const sim::SensorSettings& p : sim::pelvis_sensors(kRate_hz)) sensors.push_back(p);
  return simulate_run(
      406, {{Activity::kStand, 5.0, 0.0, 0.0}, {Activity::kRun, 40.0, 3.2, kCadence_spm}}, sensors);
}

/// The largest per-step differences of joint angles from a clean analysis after trouble.
struct JointDifference {
  double flexion = 0.0, valgus = 0.0, drop = 0.0, hip = 0.0;
  size_t compared = 0;  ///< steps with a knee value, from 4 s after the trouble
};

/// Compares an analysis with trouble (its first sample after the trouble at `resume_s`, its clock
/// `shift_s` ahead of the true one from there) with the clean one, and checks that each joint
/// stage said it gave no angles while it found its tilt again, and gave none then.
JointDifference joint_difference(const GaitAnalysis& a, const GaitAnalysis& clean, double resume_s,
                                 double shift_s) {
  for (const char* stage : {"left knee", "right knee", "pelvis", "left thigh", "right thigh"}) {
    EXPECT_TRUE(std::any_of(a.warnings.begin(), a.warnings.end(),
                            [&](const std::string& w) {
                              return w.find(stage) != std::string::npos &&
                                     w.find("no angles from") != std::string::npos;
                            }))
        << stage << ": " << joined(a.warnings);
  }
  JointDifference d;
  for (const StepResult& x : a.steps) {
    const double t = ic_s(x.event);
    if (t < resume_s) continue;
    // The 2 s while tilt is found again: no joint angle at all; the knee's heading mean then
    // restarts and averages for its 2 s time constant before the knee gives angles again.
    const bool knee_back = t >= resume_s + 4.0;
    if (!knee_back) {
      EXPECT_FALSE(x.knee_flexion_ic_deg.has_value()) << "knee angle at " << t << " s";
    }
    if (t < resume_s + 2.0) {
      EXPECT_FALSE(x.pelvic_drop_deg.has_value()) << "pelvic drop at " << t << " s";
      continue;
    }
    const double true_t = t - shift_s;
    for (const StepResult& y : clean.steps) {
      if (y.event.side != x.event.side || std::abs(ic_s(y.event) - true_t) > 0.01) continue;
      const auto diff = [](const std::optional<double>& p, const std::optional<double>& q) {
        return p && q ? std::abs(*p - *q) : 0.0;
      };
      // The hip's thigh frame calibrates after 10 s of motion, which the trouble can delay
      // past a step; the knee and the pelvis calibrated before it.
      EXPECT_EQ(x.pelvic_drop_deg.has_value(), y.pelvic_drop_deg.has_value()) << t;
      if (knee_back) {
        EXPECT_EQ(x.knee_flexion_ic_deg.has_value(), y.knee_flexion_ic_deg.has_value()) << t;
        d.flexion = std::max(d.flexion, diff(x.knee_flexion_ic_deg, y.knee_flexion_ic_deg));
        d.valgus = std::max(d.valgus, diff(x.peak_valgus_deg, y.peak_valgus_deg));
        ++d.compared;
      }
      d.drop = std::max(d.drop, diff(x.pelvic_drop_deg, y.pelvic_drop_deg));
      d.hip = std::max(d.hip, diff(x.peak_hip_adduction_deg, y.peak_hip_adduction_deg));
    }
  }
  std::printf(
      "%zu steps from 4 s after it, largest difference from the clean run: knee flexion at IC "
      "%.2f deg, peak valgus %.2f, pelvic drop %.2f, hip adduction %.2f\n",
      d.compared, d.flexion, d.valgus, d.drop, d.hip);
  EXPECT_GE(d.compared, 50u);
  EXPECT_LT(d.flexion, 3.0);
  EXPECT_LT(d.valgus, 1.5);
  EXPECT_LT(d.drop, 1.0);
  EXPECT_LT(d.hip, 1.0);
  return d;
}

TEST(BadInput, JointAnglesRecoverAfterAGapOrAClockStep) {
  const sim::SimResult r = joint_run();
  const GaitAnalysis clean = analyze_gait(r.session);
  Session lost = r.session;
  for (size_t i = 0; i < lost.sensors.size(); ++i) {
    lost = edited(lost, i, 20.0, 20.3, [](ImuSample&) { return false; });
  }
  struct Case {
    std::string name;
    Session session;
    double resume_s;  ///< recorded time of the first sample after the trouble
    double shift_s;   ///< recorded minus true time after it
  };
  const std::vector<Case> cases = {
      {"lost packets", lost, 20.3, 0.0},
      {"clock back", clock_jump(r, 20.0, -0.3).first, 20.0, -0.3},
      {"clock ahead", clock_jump(r, 20.0, 0.5).first, 20.5, 0.5},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.name);
    std::printf("[joint gap] %s: ", c.name.c_str());
    joint_difference(analyze_gait(c.session), clean, c.resume_s, c.shift_s);
  }
}

// A clock that stepped back, made into a recording, reaches the engine as it would from the CSV:
// the recording keeps the samples behind the clock (signed time offsets, packets in their
// device's order by sequence number), so the engine counts the motion they hid. Before, the
// recording left them out and the joint angles after the step were as wrong as with no gap
// handling at all (53 deg of knee flexion at IC 10 s later). The same recording streamed packet
// by packet and read whole gives the very same analysis.
TEST(BadInput, AClockStepBackCarriesIntoARecording) {
  const sim::SimResult r = joint_run();
  const std::filesystem::path dir = temp_dir("clock_back_gkr");
  write_recording(dir / "clean.gkr", r.session);
  write_recording(dir / "back.gkr", clock_jump(r, 20.0, -0.3).first);
  Warnings w;
  const GaitAnalysis clean = analyze_gait(read_recording(dir / "clean.gkr", w));
  const GaitAnalysis whole = analyze_gait(read_recording(dir / "back.gkr", w));
  EXPECT_TRUE(w.empty()) << joined(w);
  pb::SessionHeader header;
  const GaitAnalysis streamed = analyze_recording(dir / "back.gkr", header, {}, false);
  EXPECT_TRUE(has_warning(streamed.warnings, "left_thigh", {"not after"}, 20.0))
      << joined(streamed.warnings);
  std::printf("[joint gap] clock back, through a .gkr: ");
  joint_difference(streamed, clean, 20.0, -0.3);
  ASSERT_EQ(whole.steps.size(), streamed.steps.size());
  for (size_t i = 0; i < whole.steps.size(); ++i) {
    EXPECT_EQ(whole.steps[i].event.ic_us, streamed.steps[i].event.ic_us) << i;
    EXPECT_EQ(whole.steps[i].knee_flexion_ic_deg, streamed.steps[i].knee_flexion_ic_deg) << i;
    EXPECT_EQ(whole.steps[i].pelvic_drop_deg, streamed.steps[i].pelvic_drop_deg) << i;
  }
  std::filesystem::remove_all(dir);
}

// Lost packets shorter than a gap are integrated across; on a joint-angle sensor the rate
// interpolated over the hole misses some of the limb's swing, and a small-gain filter carries
// that for most of a minute, hole after hole. Holes of 50 ms or more have their tilt re-checked
// (OrientationSettings::recheck_hole_us). Holes every 3.3 s on every sensor of a shoe, sleeve and
// pelvis run; per-step differences from the clean run.
TEST(BadInput, JointAnglesThroughRepeatedShortHoles) {
  const sim::SimResult r = joint_run();
  const GaitAnalysis clean = analyze_gait(r.session);
  for (const double hole_s : {0.03, 0.06, 0.095}) {
    Session s = r.session;
    for (size_t i = 0; i < s.sensors.size(); ++i) {
      for (double from = 15.0 + 0.37 * static_cast<double>(i); from < 44.0; from += 3.3) {
        s = edited(s, i, from, from + hole_s, [](ImuSample&) { return false; });
      }
    }
    const GaitAnalysis a = analyze_gait(s);
    double flexion_max = 0.0, flexion_sum = 0.0, valgus = 0.0, drop = 0.0, hip = 0.0;
    size_t n = 0;
    for (const StepResult& x : a.steps) {
      for (const StepResult& y : clean.steps) {
        if (y.event.side != x.event.side || std::abs(ic_s(y.event) - ic_s(x.event)) > 0.01) {
          continue;
        }
        const auto diff = [](const std::optional<double>& p, const std::optional<double>& q) {
          return p && q ? std::abs(*p - *q) : 0.0;
        };
        valgus = std::max(valgus, diff(x.peak_valgus_deg, y.peak_valgus_deg));
        drop = std::max(drop, diff(x.pelvic_drop_deg, y.pelvic_drop_deg));
        hip = std::max(hip, diff(x.peak_hip_adduction_deg, y.peak_hip_adduction_deg));
        // A stance with a hole of over 50 ms in the thigh's data at its IC has no knee value
        // (KneeSleeveSettings::max_pair_gap_us), as before.
        if (!x.knee_flexion_ic_deg || !y.knee_flexion_ic_deg) continue;
        flexion_max = std::max(flexion_max, diff(x.knee_flexion_ic_deg, y.knee_flexion_ic_deg));
        flexion_sum += diff(x.knee_flexion_ic_deg, y.knee_flexion_ic_deg);
        ++n;
      }
    }
    const double flexion_mean = flexion_sum / static_cast<double>(std::max<size_t>(n, 1));
    std::printf(
        "[holes] %.0f ms every 3.3 s: %zu steps, knee flexion at IC off by %.2f deg on average "
        "(largest %.2f), peak valgus %.2f, pelvic drop %.2f, hip adduction %.2f at most\n",
        hole_s * 1e3, n, flexion_mean, flexion_max, valgus, drop, hip);
    // Without the re-check: 1.44, 4.38 and 6.01 deg on average (largest 3.9, 10.1 and 13.1).
    EXPECT_GT(n, 40u);
    EXPECT_LT(flexion_mean, 3.0);
    EXPECT_LT(valgus, 2.5);
    EXPECT_LT(drop, 2.5);
  }
}

// A time repeated once (a logger writing one row twice) hides no motion: it is skipped and
// counted, and costs no joint angle (the first version of the gap handling took it for a gap and
// left the knee 4 s without angles).
TEST(BadInput, ARepeatedTimeCostsNoJointAngles) {
  std::vector<sim::SensorSettings> sensors = sim::shoe_and_sleeve_sensors(kRate_hz);
  const sim::SimResult r = simulate_run(
      406, {{Activity::kStand, 5.0, 0.0, 0.0}, {Activity::kRun, 30.0, 3.2, kCadence_spm}}, sensors);
  const GaitAnalysis clean = analyze_gait(r.session);
  Session s = r.session;
  for (SensorStream& stream : s.sensors) {
    std::vector<ImuSample> out;
    for (const ImuSample& x : stream.samples) {
      out.push_back(x);
      if (x.t_us == 20'000'000) out.push_back(x);
    }
    stream.samples = std::move(out);
  }
  const GaitAnalysis a = analyze_gait(s);
  EXPECT_TRUE(has_warning(a.warnings, "left_thigh", {"not after"}, 20.0)) << joined(a.warnings);
  for (const std::string& w : a.warnings) EXPECT_EQ(w.find("no angles"), std::string::npos) << w;
  ASSERT_EQ(a.steps.size(), clean.steps.size());
  for (size_t i = 0; i < a.steps.size(); ++i) {
    EXPECT_EQ(a.steps[i].knee_flexion_ic_deg.has_value(),
              clean.steps[i].knee_flexion_ic_deg.has_value());
    if (a.steps[i].knee_flexion_ic_deg && clean.steps[i].knee_flexion_ic_deg) {
      EXPECT_NEAR(*a.steps[i].knee_flexion_ic_deg, *clean.steps[i].knee_flexion_ic_deg, 0.5);
    }
  }
}

// Over a radio link a packet can arrive after the next one (the link layer delivers it late
// rather than drop it). Its samples are behind the latest time but inside the hole the stages
// already bridged: they hide no motion and must not add any, so the session reads as if the
// packet had been lost. Every sensor's 20-sample packet at 10, 13.3, 16.6 ... s arrives after the
// one that follows it.
TEST(BadInput, LatePacketsAddNoJointMotion) {
  std::vector<sim::SensorSettings> sensors = sim::shoe_and_sleeve_sensors(kRate_hz);
  const sim::SimResult r = simulate_run(
      406, {{Activity::kStand, 5.0, 0.0, 0.0}, {Activity::kRun, 30.0, 3.2, kCadence_spm}}, sensors);
  constexpr int64_t kPacket_us = 100'000;  // 20 samples at 200 Hz
  const auto reordered = [&](bool deliver_late) {
    Session s = r.session;
    for (SensorStream& stream : s.sensors) {
      std::vector<ImuSample> late, out;
      for (const ImuSample& x : stream.samples) {
        const int64_t t = x.t_us - 10'000'000;
        if (t >= 0 && t % 3'300'000 < kPacket_us) {
          late.push_back(x);
          continue;
        }
        out.push_back(x);
        if (!late.empty() && t % 3'300'000 == 2 * kPacket_us - 5'000) {
          if (deliver_late) out.insert(out.end(), late.begin(), late.end());
          late.clear();
        }
      }
      stream.samples = std::move(out);
    }
    return analyze_gait(s);
  };
  const GaitAnalysis late = reordered(true);
  const GaitAnalysis lost = reordered(false);
  EXPECT_TRUE(has_warning(late.warnings, "left_thigh", {"not after"}, 10.0))
      << joined(late.warnings);
  ASSERT_EQ(late.steps.size(), lost.steps.size());
  size_t with_knee = 0;
  for (size_t i = 0; i < late.steps.size(); ++i) {
    EXPECT_EQ(late.steps[i].event.ic_us, lost.steps[i].event.ic_us) << i;
    EXPECT_EQ(late.steps[i].knee_flexion_ic_deg, lost.steps[i].knee_flexion_ic_deg) << i;
    EXPECT_EQ(late.steps[i].peak_valgus_deg, lost.steps[i].peak_valgus_deg) << i;
    with_knee += late.steps[i].knee_flexion_ic_deg.has_value();
  }
  EXPECT_GT(with_knee, 40u);
}

/// A foot detector's settings for the first sensor of a simulated session.
// Of one foot's steps from `from_us` on: how many lie within 30 ms of a true contact of that
// foot, and how many true contacts from one second after from_us to one second before the end
// have no step within 30 ms (a foot whose sign was reversed at from_us times its contacts right
// from there on).
struct StepsAfter {
  size_t steps = 0;
  size_t on_contacts = 0;
  size_t contacts_missed = 0;
};
StepsAfter steps_after(const std::vector<DetectedStep>& steps, const sim::SimResult& r,
                       int64_t from_us) {
  constexpr int64_t kTol_us = 30'000;
  const pb::Side side = side_of(r.session.sensors[0].info.placement());
  std::vector<int64_t> truth;
  for (const TruthEvent& e : *r.truth.events) {
    if (e.side == side) truth.push_back(static_cast<int64_t>(std::llround(e.ic_s * 1e6)));
  }
  const auto near = [&](int64_t t_us, const auto& ts) {
    return std::any_of(ts.begin(), ts.end(),
                       [&](int64_t u) { return std::llabs(u - t_us) <= kTol_us; });
  };
  std::vector<int64_t> found;
  StepsAfter out;
  for (const DetectedStep& st : steps) {
    if (st.ic_us < from_us) continue;
    ++out.steps;
    found.push_back(st.ic_us);
    if (near(st.ic_us, truth)) ++out.on_contacts;
  }
  const int64_t end_us = r.session.sensors[0].samples.back().t_us;
  for (int64_t t : truth) {
    if (t >= from_us + 1'000'000 && t <= end_us - 1'000'000 && !near(t, found)) {
      ++out.contacts_missed;
    }
  }
  return out;
}

FootDetectorSettings first_foot_settings(const sim::SimResult& r) {
  FootDetectorSettings fs;
  fs.segmenter.placement = r.session.sensors[0].info.placement();
  fs.segmenter.nominal_rate_hz = kRate_hz;
  return fs;
}

// The first-stride decision (GyroSegmenterSettings::axis_from_first_stride) rests on the stride's
// path, in a right-handed sensor frame; the stances after it check it. A sensor whose axes are
// mirrored (one axis negated: a left-handed frame) turns the path's test around; the stances say
// so, and three of them in a row reverse the sign, after which the contacts are found.
TEST(FootPitchSign, AFirstStrideDecisionIsCheckedByTheStancesAfterIt) {
  sim::SimSettings s;
  s.seed = 809;
  s.runner.schedule = {{Activity::kStand, 3.0, 0.0, 0.0}, {Activity::kWalk, 30.0, 1.4, 110.0}};
  s.sensors = sim::feet_sensors(kRate_hz);
  const sim::SimResult r = sim::simulate(s);
  struct Run {
    DetectorFlags flags;
    std::vector<DetectedStep> steps;
  };
  const auto run = [&](bool mirrored) {
    FootStepDetector d(first_foot_settings(r));
    Run out;
    const auto take = [&] {
      for (const DetectedStep& st : d.take()) out.steps.push_back(st);
    };
    for (ImuSample smp : r.session.sensors[0].samples) {
      if (mirrored) {
        smp.acc_mps2.y() = -smp.acc_mps2.y();
        smp.gyr_rps.y() = -smp.gyr_rps.y();
      }
      d.push(smp);
      take();
    }
    d.finish();
    take();
    out.flags = d.flags();
    std::printf(
        "[sign] %s: first-stride decision at %.2f s, %llu agree / %llu contradict, reversed at "
        "%.2f s (%llu / %llu after it), %zu steps\n",
        mirrored ? "mirrored" : "as simulated",
        static_cast<double>(out.flags.first_stride_axis_t_us) * 1e-6,
        static_cast<unsigned long long>(out.flags.first_stride_confirmed),
        static_cast<unsigned long long>(out.flags.first_stride_contradicted),
        static_cast<double>(out.flags.sign_reversed_t_us) * 1e-6,
        static_cast<unsigned long long>(out.flags.reversed_sign_confirmed),
        static_cast<unsigned long long>(out.flags.reversed_sign_contradicted), out.steps.size());
    return out;
  };
  const Run right = run(false);
  ASSERT_GE(right.flags.first_stride_axis_t_us, 0);
  EXPECT_LT(right.flags.first_stride_axis_t_us, 6'000'000);
  EXPECT_GE(right.flags.first_stride_confirmed, 3u);
  EXPECT_EQ(right.flags.first_stride_contradicted, 0u);
  EXPECT_EQ(right.flags.sign_reversed_t_us, -1);
  const Run mirrored = run(true);
  ASSERT_GE(mirrored.flags.first_stride_axis_t_us, 0);
  EXPECT_GE(mirrored.flags.first_stride_contradicted, 3u);
  EXPECT_EQ(mirrored.flags.first_stride_confirmed, 0u);
  // Reversed after those three stances, and borne out by the stances after it.
  ASSERT_GE(mirrored.flags.sign_reversed_t_us, mirrored.flags.first_stride_axis_t_us);
  EXPECT_LT(mirrored.flags.sign_reversed_t_us, mirrored.flags.first_stride_axis_t_us + 5'000'000);
  EXPECT_GE(mirrored.flags.reversed_sign_confirmed, 3u);
  EXPECT_EQ(mirrored.flags.reversed_sign_contradicted, 0u);
  // From the reversal on, the steps are the contacts (before it, they were timed at mid-swing).
  const StepsAfter after = steps_after(mirrored.steps, r, mirrored.flags.sign_reversed_t_us);
  EXPECT_GE(after.steps, 20u);
  EXPECT_EQ(after.on_contacts, after.steps);
  EXPECT_EQ(after.contacts_missed, 0u);
  // The engine's warning names the foot and the mirrored frame as the likely cause.
  Session mirrored_session = r.session;
  for (ImuSample& smp : mirrored_session.sensors[0].samples) {
    smp.acc_mps2.y() = -smp.acc_mps2.y();
    smp.gyr_rps.y() = -smp.gyr_rps.y();
  }
  const std::string foot(placement_name(r.session.sensors[0].info.placement()));
  const std::vector<std::string> warnings =
      analyze_gait(mirrored_session, EngineSettings{}).warnings;
  EXPECT_TRUE(has_warning(warnings, foot, {"first stride's path", "reversed at"}, std::nullopt));
  EXPECT_TRUE(has_warning(warnings, foot, {"mirrored"}, std::nullopt));
  // The reversal rereads rows the engine had already ruled on: streamed sample by sample, both
  // feet, the steps still leave in order and are the batch's.
  const GaitAnalysis batch = analyze_gait(mirrored_session);
  GaitEngine engine(engine_header(mirrored_session));
  const Streamed live = stream_by_time(engine, mirrored_session);
  EXPECT_TRUE(batch.steps == live.steps);
  for (size_t i = 1; i < live.steps.size(); ++i) {
    EXPECT_LE(live.steps[i - 1].event.ic_us, live.steps[i].event.ic_us) << i;
  }
  EXPECT_FALSE(has_warning(analyze_gait(r.session, EngineSettings{}).warnings, foot,
                           {"first stride's path"}, std::nullopt));
}

// A foot's pitch sign decided on thin evidence (here forced: the detector
// asks for more stance votes than the warm-up can give, and lets no single
// vote decide with the swing-lobe durations) is checked against
// every later stance, and the warning says whether they bear it out. To get
// a wrong decision the rates of the first seconds are negated (as from a
// sensor on the other foot's mounting): the stances after that contradict it.
TEST(FootPitchSign, AThinDecisionIsCheckedByTheStancesAfterIt) {
  sim::SimSettings s;
  s.seed = 808;
  s.runner.schedule = {{Activity::kWalk, 40.0, 1.4, 110.0}};
  s.sensors = sim::feet_sensors(kRate_hz);
  const sim::SimResult r = sim::simulate(s);
  const auto run = [&](bool negate_start) {
    FootDetectorSettings fs = first_foot_settings(r);
    fs.segmenter.sign_min_votes = 1000;  // never enough: the fallback decides
    fs.segmenter.sign_one_vote_with_lobes = false;
    fs.segmenter.axis_from_first_stride = false;  // the stillness rule alone
    FootStepDetector d(fs);
    const double negate_to_s = fs.segmenter.sign_wait_max_s * 2.0 + 1.0;
    std::vector<DetectedStep> steps;
    const auto take = [&] {
      for (const DetectedStep& st : d.take()) steps.push_back(st);
    };
    for (ImuSample smp : r.session.sensors[0].samples) {
      if (negate_start && static_cast<double>(smp.t_us) * 1e-6 < negate_to_s) {
        smp.gyr_rps = -smp.gyr_rps;
      }
      d.push(smp);
      take();
    }
    d.finish();
    take();
    return std::make_pair(d.flags(), steps);
  };
  const auto [right, right_steps] = run(false);
  const auto [wrong, wrong_steps] = run(true);
  std::printf(
      "[sign] thin decision at %.1f s: %llu agree / %llu contradict; negated start: %llu / %llu, "
      "reversed at %.1f s, %llu / %llu after it\n",
      static_cast<double>(right.thin_sign_t_us) * 1e-6,
      static_cast<unsigned long long>(right.thin_sign_confirmed),
      static_cast<unsigned long long>(right.thin_sign_contradicted),
      static_cast<unsigned long long>(wrong.thin_sign_confirmed),
      static_cast<unsigned long long>(wrong.thin_sign_contradicted),
      static_cast<double>(wrong.sign_reversed_t_us) * 1e-6,
      static_cast<unsigned long long>(wrong.reversed_sign_confirmed),
      static_cast<unsigned long long>(wrong.reversed_sign_contradicted));
  ASSERT_GE(right.thin_sign_t_us, 0);
  EXPECT_GT(right.thin_sign_confirmed, 10u);
  EXPECT_LE(right.thin_sign_contradicted, 1u);
  EXPECT_EQ(right.sign_reversed_t_us, -1);
  ASSERT_GE(wrong.thin_sign_t_us, 0);
  // The stances still inside the negated stretch agree with the wrong sign; the first three after
  // it contradict it in a row and reverse it, and every stance after that agrees.
  EXPECT_GE(wrong.thin_sign_confirmed, 1u);
  EXPECT_EQ(wrong.thin_sign_contradicted, 3u);
  const double negated_to_s = first_foot_settings(r).segmenter.sign_wait_max_s * 2.0 + 1.0;
  ASSERT_GE(wrong.sign_reversed_t_us, static_cast<int64_t>(negated_to_s * 1e6));
  EXPECT_LT(wrong.sign_reversed_t_us, static_cast<int64_t>((negated_to_s + 5.0) * 1e6));
  EXPECT_GT(wrong.reversed_sign_confirmed, 10u);
  EXPECT_EQ(wrong.reversed_sign_contradicted, 0u);
  const StepsAfter after = steps_after(wrong_steps, r, wrong.sign_reversed_t_us);
  EXPECT_GE(after.steps, 20u);
  EXPECT_EQ(after.on_contacts, after.steps);
  EXPECT_EQ(after.contacts_missed, 0u);
  // And the engine's warning says so, naming the foot.
  EngineSettings forced;
  forced.foot.segmenter.sign_min_votes = 1000;
  forced.foot.segmenter.sign_one_vote_with_lobes = false;
  forced.foot.segmenter.axis_from_first_stride = false;
  Session negated = r.session;
  for (ImuSample& smp : negated.sensors[0].samples) {
    if (smp.t_us < static_cast<int64_t>((forced.foot.segmenter.sign_wait_max_s * 2.0 + 1.0) * 1e6))
      smp.gyr_rps = -smp.gyr_rps;
  }
  const std::string foot(placement_name(r.session.sensors[0].info.placement()));
  EXPECT_TRUE(has_warning(analyze_gait(negated, forced).warnings, foot,
                          {"contradicted", "reversed at"}, std::nullopt));
  EXPECT_TRUE(
      has_warning(analyze_gait(r.session, forced).warnings, foot, {"agree with it"}, std::nullopt));
  // Without the forced fallback this walk decides on two clear stances.
  FootDetectorSettings plain;
  plain.segmenter.placement = r.session.sensors[0].info.placement();
  plain.segmenter.nominal_rate_hz = kRate_hz;
  FootStepDetector d(plain);
  for (const ImuSample& smp : r.session.sensors[0].samples) d.push(smp);
  d.finish();
  EXPECT_EQ(d.flags().thin_sign_t_us, -1);
}

// A half sine of the given peak over [from, to) of the stride phase.
double lobe(double phase, double from, double to, double peak) {
  return phase >= from && phase < to ? peak * std::sin(M_PI * (phase - from) / (to - from)) : 0.0;
}

// Synthetic walking foot, pitch rate (toes down positive) over one stride
// from its IC: heel rocker, still mid-stance (phase 0.08-0.40), push-off,
// then the swing.
double walking_foot_pitch_rps(double phase) {
  return lobe(phase, 0.0, 0.08, 2.0) + lobe(phase, 0.40, 0.62, 8.0) + lobe(phase, 0.62, 0.98, -5.0);
}

// The detector for that foot: left, sampled at 100 Hz.
FootDetectorSettings walking_foot_settings() {
  FootDetectorSettings fs;
  fs.segmenter.placement = pb::LEFT_FOOT;
  fs.segmenter.nominal_rate_hz = 100.0;
  return fs;
}

// A foot that toes out sweeps about the vertical during every swing, so the
// principal axis of its rates leans out of the horizontal plane; mid-stance
// (foot flat, still) says where horizontal is. Synthetic walking at 100 Hz,
// 1.1 s strides, sensor strapped on tilted and turned: heel rocker, still
// mid-stance, push-off, then a swing whose yaw rate is 0.6 x its pitch rate.
TEST(FootPitchAxis, StaysHorizontalAtMidStance) {
  const Eigen::Matrix3d mount = (Eigen::AngleAxisd(0.5, Eigen::Vector3d::UnitX()) *
                                 Eigen::AngleAxisd(-0.7, Eigen::Vector3d::UnitZ()) *
                                 Eigen::AngleAxisd(0.3, Eigen::Vector3d::UnitY()))
                                    .toRotationMatrix();  // sensor-to-foot
  const Eigen::Vector3d up_sensor = mount.transpose() * Eigen::Vector3d::UnitZ();
  const auto angle_from_horizontal_deg = [&](bool prior, size_t* steps) {
    FootDetectorSettings fs = walking_foot_settings();
    fs.segmenter.axis_horizontal_at_rest = prior;
    FootStepDetector d(fs);
    const double stride_s = 1.1;
    for (int i = 0; i < 3000; ++i) {
      const double t = i * 0.01;
      const double phase = t / stride_s - std::floor(t / stride_s);
      // Foot frame x forward, y left, z up: toes down is positive about y.
      const double pitch = walking_foot_pitch_rps(phase);
      const double yaw = 0.6 * lobe(phase, 0.62, 0.98, 5.0);
      const bool still = phase >= 0.08 && phase < 0.40;
      const Eigen::Vector3d acc_foot =
          still ? Eigen::Vector3d(0.0, 0.0, kGravity_mps2)
                : Eigen::Vector3d(5.0, 0.0, kGravity_mps2 + 4.0);  // never reads 1 g
      ImuSample smp;
      smp.t_us = static_cast<int64_t>(i) * 10'000;
      smp.gyr_rps = mount.transpose() * Eigen::Vector3d(0.0, pitch, yaw);
      smp.acc_mps2 = mount.transpose() * acc_foot;
      d.push(smp);
    }
    d.finish();
    *steps = d.take().size();
    const std::optional<Eigen::Vector3d> axis = d.pitch_axis();
    EXPECT_TRUE(axis.has_value());
    return axis ? std::asin(std::abs(axis->dot(up_sensor))) * 180.0 / M_PI : 90.0;
  };
  size_t with_steps = 0, without_steps = 0;
  const double with_deg = angle_from_horizontal_deg(true, &with_steps);
  const double without_deg = angle_from_horizontal_deg(false, &without_steps);
  std::printf(
      "[gait] pitch axis out of the horizontal: %.2f deg with the prior, %.2f without "
      "(%zu / %zu steps of ~27)\n",
      with_deg, without_deg, with_steps, without_steps);
  EXPECT_LT(with_deg, 1.0);
  EXPECT_GT(without_deg, 5.0);  // the case is one where the prior matters
  EXPECT_GE(with_steps, 25u);
}

// The axis is found on the first couple of strides, which may not be
// typical (gait initiation, a first turn). Synthetic walking as above, the
// first two strides swinging about an axis turned 25 deg from the
// medio-lateral one, then straight strides: after five of those the settled
// axis (principal axis of all motion since) must be nearer the true one
// than the slow per-stride follow alone gets it.
TEST(FootPitchAxis, SettlesOnTheStridesAfterAnUntypicalStart) {
  const Eigen::Vector3d true_axis = Eigen::Vector3d::UnitY();
  const Eigen::Vector3d start_axis =
      Eigen::AngleAxisd(25.0 * M_PI / 180.0, Eigen::Vector3d::UnitZ()) * true_axis;
  const auto error_deg = [&](double settle_moving_s) {
    FootDetectorSettings fs = walking_foot_settings();
    fs.segmenter.axis_settle_moving_s = settle_moving_s;
    FootStepDetector d(fs);
    const double stride_s = 1.1;
    // 1 s standing, 2 untypical strides, 5 straight ones (stopped at the
    // mid-swing of the last, so the follow has run on all five).
    for (int i = 0; i < 100 + static_cast<int>(6.7 * stride_s * 100.0); ++i) {
      const double t = i * 0.01 - 1.0;
      const double phase = t < 0.0 ? 0.0 : t / stride_s - std::floor(t / stride_s);
      const double pitch = t < 0.0 ? 0.0 : walking_foot_pitch_rps(phase);
      const bool still = t < 0.0 || (phase >= 0.08 && phase < 0.40);
      ImuSample smp;
      smp.t_us = static_cast<int64_t>(i) * 10'000;
      smp.gyr_rps = pitch * (t < 2.0 * stride_s ? start_axis : true_axis);
      smp.acc_mps2 = still ? Eigen::Vector3d(0.0, 0.0, kGravity_mps2)
                           : Eigen::Vector3d(5.0, 0.0, kGravity_mps2 + 4.0);
      d.push(smp);
    }
    const std::optional<Eigen::Vector3d> axis = d.pitch_axis();
    EXPECT_TRUE(axis.has_value());
    return axis ? std::acos(std::min(1.0, std::abs(axis->dot(true_axis)))) * 180.0 / M_PI : 90.0;
  };
  const double settled_deg = error_deg(GyroSegmenterSettings{}.axis_settle_moving_s);
  const double follow_deg = error_deg(0.0);
  std::printf(
      "[gait] pitch axis after an untypical start: %.1f deg settled, %.1f deg follow only\n",
      settled_deg, follow_deg);
  EXPECT_GT(follow_deg, 10.0);               // the case is one where settling matters
  EXPECT_LT(settled_deg, follow_deg - 3.0);  // 11.9 vs 16.5 deg on 2026-12-01
}

// Single steps 3 s apart (no two mid-swings within a stride, so no typical
// stride is ever known), then a long stand: the foot detector's buffer and
// horizon must still keep up (synthetic 100 Hz foot, the stride shape of
// the test above played once every 3 s).
TEST(StepDetectorIdle, SingleStepsThenAStandStayBounded) {
  FootDetectorSettings fs = walking_foot_settings();
  FootStepDetector d(fs);
  const double stride_s = 1.1, every_s = 3.0, steps_s = 30.0, stand_s = 60.0;
  int64_t t_us = 0;
  double worst_lag_s = 0.0;
  size_t most_buffered = 0;
  for (int i = 0; i < static_cast<int>((steps_s + stand_s) * 100.0); ++i) {
    const double t = i * 0.01;
    const double in_step = t < steps_s ? std::fmod(t, every_s) : every_s;
    const double phase = in_step / stride_s;
    const double pitch = phase < 1.0 ? walking_foot_pitch_rps(phase) : 0.0;
    const bool still = phase >= 1.0 || (phase >= 0.08 && phase < 0.40);
    ImuSample smp;
    t_us = static_cast<int64_t>(i) * 10'000;
    smp.t_us = t_us;
    smp.gyr_rps = Eigen::Vector3d(0.0, pitch, 0.0);
    smp.acc_mps2 = still ? Eigen::Vector3d(0.0, 0.0, kGravity_mps2)
                         : Eigen::Vector3d(5.0, 0.0, kGravity_mps2 + 4.0);
    d.push(smp);
    (void)d.take();
    if (t > steps_s + 10.0) {
      worst_lag_s = std::max(worst_lag_s, static_cast<double>(t_us - d.horizon_us()) * 1e-6);
      most_buffered = std::max(most_buffered, d.buffered_samples());
    }
  }
  std::printf("[gait] single steps, then standing: horizon at most %.2f s behind, %zu buffered\n",
              worst_lag_s, most_buffered);
  ASSERT_TRUE(d.pitch_axis().has_value()) << "the steps must have shown the axis";
  EXPECT_LT(worst_lag_s, 0.5);
  EXPECT_LT(most_buffered, 500u);
}

// A step taken while turning: the foot rests, turns 90 degrees about the
// vertical in 0.5 s while it rises `lift_m` and moves `forward_m`, lands
// (an impact) and rests again. The sensor is strapped on tilted. With no
// lift it is a pivot on the ground, which is no step.
std::vector<ImuSample> turning_step(double lift_m, double forward_m, double rate_hz) {
  const Eigen::Matrix3d mount = (Eigen::AngleAxisd(0.4, Eigen::Vector3d::UnitX()) *
                                 Eigen::AngleAxisd(1.1, Eigen::Vector3d::UnitZ()) *
                                 Eigen::AngleAxisd(-0.3, Eigen::Vector3d::UnitY()))
                                    .toRotationMatrix();
  const double move_s = 0.5, rest_s = 1.0, turn_rad = M_PI / 2.0;
  const double k = 2.0 * M_PI / move_s;
  std::vector<ImuSample> out;
  const int n = static_cast<int>((2.0 * rest_s + move_s) * rate_hz);
  for (int i = 0; i <= n; ++i) {
    const double t = i / rate_hz;
    const double tau = std::clamp((t - rest_s) / move_s, 0.0, 1.0);
    const bool moving = tau > 0.0 && tau < 1.0;
    // s(tau) = tau - sin(2 pi tau) / 2 pi: heading and forward travel.
    const double heading = turn_rad * (tau - std::sin(2.0 * M_PI * tau) / (2.0 * M_PI));
    const double rate = moving ? turn_rad * (1.0 - std::cos(2.0 * M_PI * tau)) / move_s : 0.0;
    Eigen::Vector3d acc_world(0.0, 0.0, kGravity_mps2);
    if (moving) {
      acc_world.x() += forward_m * k * std::sin(2.0 * M_PI * tau) / move_s;
      acc_world.z() += 0.5 * lift_m * k * k * std::cos(2.0 * M_PI * tau);
    }
    const Eigen::Matrix3d q = Eigen::AngleAxisd(heading, Eigen::Vector3d::UnitZ()) * mount;
    ImuSample smp;
    smp.t_us = static_cast<int64_t>(std::llround(t * 1e6));
    smp.gyr_rps = q.transpose() * Eigen::Vector3d(0.0, 0.0, rate);
    smp.acc_mps2 = q.transpose() * acc_world;
    // The landing: one sample of impact as the foot meets the ground.
    if (std::abs(t - (rest_s + move_s - 0.02)) < 0.5 / rate_hz) {
      smp.acc_mps2 += q.transpose() * Eigen::Vector3d(0.0, 0.0, 15.0);
    }
    out.push_back(smp);
  }
  return out;
}

TEST(TurnStepFinder, ALiftedTurnIsAStepAPivotIsNot) {
  for (double rate_hz : {100.0, 200.0, 1000.0}) {
    SCOPED_TRACE(rate_hz);
    const auto run = [&](double lift_m, double forward_m) {
      TurnStepFinder finder;
      GyroRows rows(4096);  // the window a detector would hold
      for (const ImuSample& smp : turning_step(lift_m, forward_m, rate_hz)) {
        rows.push_back({smp.t_us, smp.gyr_rps, smp.acc_mps2, 0.0});
        finder.push(smp, rows);
      }
      return finder.take();
    };
    const std::vector<TurnStepProposal> step = run(0.04, 0.15);
    ASSERT_EQ(step.size(), 1u);
    std::printf(
        "[gait] turning step at %.0f Hz: clearance %.3f m (true 0.04), IC %.3f s "
        "(impact 1.480)\n",
        rate_hz, step[0].clearance_m, static_cast<double>(step[0].ic_us) * 1e-6);
    EXPECT_NEAR(step[0].clearance_m, 0.04, 0.012);
    EXPECT_NEAR(static_cast<double>(step[0].ic_us) * 1e-6, 1.48, 0.011);
    EXPECT_GT(step[0].rest_us, step[0].ic_us);
    EXPECT_LT(step[0].lift_us, step[0].ic_us);
    EXPECT_TRUE(run(0.0, 0.0).empty()) << "a pivot on the ground is not a step";
  }
}

// Through the foot detector: a turning step with no mid-swing is reported
// (flagged, lower quality, no toe-off); one the segmenter found is not
// reported twice (the whole simulated suite, where every step has a swing,
// is unchanged with the finder on).
TEST(TurnStepFinder, FootDetectorReportsTheTurnStepOnce) {
  FootDetectorSettings fs;
  fs.segmenter.placement = pb::RIGHT_FOOT;
  fs.segmenter.nominal_rate_hz = 200.0;
  FootStepDetector d(fs);
  for (const ImuSample& smp : turning_step(0.04, 0.15, 200.0)) d.push(smp);
  d.finish();
  const std::vector<DetectedStep> steps = d.take();
  ASSERT_EQ(steps.size(), 1u);
  EXPECT_EQ(steps[0].side, pb::RIGHT);
  EXPECT_NEAR(static_cast<double>(steps[0].ic_us) * 1e-6, 1.48, 0.011);
  EXPECT_DOUBLE_EQ(steps[0].quality, 0.5);
  EXPECT_FALSE(steps[0].to_us.has_value());
  EXPECT_EQ(d.flags().turn_steps, 1u);

  fs.find_turn_steps = false;
  FootStepDetector off(fs);
  for (const ImuSample& smp : turning_step(0.04, 0.15, 200.0)) off.push(smp);
  off.finish();
  EXPECT_TRUE(off.take().empty());
}

// A step whose landing may have fallen in a lost-packet hole waits for the
// sensors that could report the same contact, not for the other foot: in
// walking the other foot's next mid-swing can be a whole stride away.
// One foot's stream recorded under both feet's placements (a user who copied one shoe's file for
// the other): every left contact has a right one at the same instant. The two are not merged (the
// sides conflict), so the rolling window can hold two steps with no time between them; its
// cadence, step-time variability and minute windows must stay finite (a cadence of inf reached
// the steps CSV).
TEST(StepMergerTest, TwoSidesAtTheSameInstantGiveNoInfiniteCadence) {
  const sim::SimResult r = simulate_run(77, steady_run(20.0), sim::feet_sensors(kRate_hz));
  Session s = r.session;
  ASSERT_EQ(s.sensors.size(), 2u);
  s.sensors[1].samples = s.sensors[0].samples;
  const GaitAnalysis a = analyze_gait(s);
  ASSERT_GT(a.steps.size(), 20u);
  for (const StepResult& step : a.steps) {
    if (step.cadence_spm) {
      EXPECT_TRUE(std::isfinite(*step.cadence_spm)) << ic_s(step.event);
    }
    if (step.window_step_time_cv_pct) {
      EXPECT_TRUE(std::isfinite(*step.window_step_time_cv_pct)) << ic_s(step.event);
    }
  }
  for (const CadenceWindow& w : a.minutes) {
    EXPECT_TRUE(std::isfinite(w.cadence_spm));
    EXPECT_TRUE(std::isfinite(w.step_time_cv_pct));
  }
}

TEST(StepMergerTest, AStepTimedAtAHoleWaitsOnlyForItsOwnLeg) {
  const auto step_at = [](pb::Placement where, pb::Side side, int64_t ic_us, bool in_hole) {
    DetectedStep s;
    s.source = where;
    s.side = side;
    s.ic_us = ic_us;
    s.ic_in_hole = in_hole;
    return s;
  };
  // Sensors: 0 left foot, 1 right foot, 2 left shank (if present). Returns
  // when the flagged left contact at 1.1 s leaves the merger.
  const auto released_at = [&](bool with_left_shank) {
    StepMerger merger(MergerSettings{}, with_left_shank ? 3 : 2);
    merger.add(0, step_at(pb::LEFT_FOOT, pb::LEFT, 0, false));
    merger.add(1, step_at(pb::RIGHT_FOOT, pb::RIGHT, 550'000, false));
    merger.add(0, step_at(pb::LEFT_FOOT, pb::LEFT, 1'100'000, true));
    if (with_left_shank) merger.add(2, step_at(pb::LEFT_SHANK, pb::LEFT, 10'000, false));
    // The right foot's horizon stays at 1.2 s, past the flagged IC but not
    // past IC + a quarter stride (its cycle from a mid-swing there is open);
    // the left sensors' horizons keep up with the clock, the shank's up to
    // 1.25 s only.
    std::optional<int64_t> out_at;
    for (int64_t t = 1'200'000; t <= 3'000'000 && !out_at; t += 10'000) {
      merger.advance(0, t, t);
      merger.advance(1, t, 1'200'000);
      if (with_left_shank) merger.advance(2, t, std::min<int64_t>(t, 1'250'000));
      for (const StepResult& r : merger.take()) {
        if (r.event.ic_us == 1'100'000) out_at = t;
      }
    }
    return out_at;
  };
  // Released once its own leg has spoken for a quarter stride after it
  // (it waited for the right foot's next mid-swing before).
  const std::optional<int64_t> feet_only = released_at(false);
  ASSERT_TRUE(feet_only.has_value());
  EXPECT_LE(*feet_only, 1'100'000 + 300'000 + 10'000);
  // A left shank that has not spoken for the moments after the contact
  // could still report it better: the step waits for it.
  EXPECT_FALSE(released_at(true).has_value());
}

}  // namespace
}  // namespace gk
