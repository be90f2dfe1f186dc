// Form assessment (src/assess): each flag fires on a simulated runner with
// that fault and stays quiet on clean runners; false flags per hour of clean
// running across speeds and sensor sets; the step-rate recommendation;
// debounce; streaming = batch; the TOML profile; training-load rules; CLI.
#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <queue>
#include <regex>
#include <sstream>
#include <tuple>

#include "assess_profile.hpp"
#include "cadence_coach.hpp"
#include "flag_debounce.hpp"
#include "form_assessor.hpp"
#include "gait_engine.hpp"
#include "input_error.hpp"
#include "session_analysis.hpp"
#include "simulator.hpp"
#include "temp_dir.hpp"
#include "training_load.hpp"

namespace gk {
namespace {

namespace fs = std::filesystem;
using sim::Activity;

constexpr double kRate_hz = 100.0;

std::vector<sim::SensorSettings> join(std::vector<sim::SensorSettings> a,
                                      const std::vector<sim::SensorSettings>& b) {
  a.insert(a.end(), b.begin(), b.end());
  return a;
}
std::vector<sim::SensorSettings> all_sensors() {
  return join(sim::shoe_and_sleeve_sensors(kRate_hz), sim::pelvis_sensors(kRate_hz));
}
std::vector<sim::SensorSettings> sleeve_only(double rate_hz = kRate_hz) {
  return join(sim::shank_sensors(rate_hz), sim::thigh_sensors(rate_hz));
}
std::vector<sim::SensorSettings> feet_and_pelvis() {
  return join(sim::feet_sensors(kRate_hz), sim::pelvis_sensors(kRate_hz));
}

/// A 5 s stand (the knee sleeve calibrates from it), then running.
sim::SimSettings run(double speed_mps, double cadence_spm, double run_s,
                     std::vector<sim::SensorSettings> sensors, uint64_t seed) {
  sim::SimSettings s;
  s.seed = seed;
  s.runner.schedule = {{Activity::kStand, 5.0, 0.0, 0.0},
                       {Activity::kRun, run_s, speed_mps, cadence_spm}};
  s.sensors = std::move(sensors);
  return s;
}

Assessment assess_sim(const sim::SimSettings& s, const AssessProfile& profile = {}) {
  return assess_gait(analyze_gait(sim::simulate(s).session).steps, profile);
}

size_t count(const Assessment& a, pb::FlagKind kind, pb::Side side = pb::SIDE_UNKNOWN) {
  return static_cast<size_t>(std::count_if(a.flags.begin(), a.flags.end(), [&](const auto& f) {
    return f.kind() == kind && (side == pb::SIDE_UNKNOWN || f.side() == side);
  }));
}

std::string describe(const Assessment& a) {
  std::ostringstream o;
  for (const pb::FormFlag& f : a.flags) {
    o << pb::FlagKind_Name(f.kind()) << "/" << pb::Side_Name(f.side()) << " "
      << f.evidence(0).name() << "=" << f.evidence(0).value() << "; ";
  }
  return o.str();
}

// ---- Clean runners: quiet -------------------------------------------------------------------

/// Flags about running form. These clean runners start straight into
/// running, which the warm-up check rightly notes (tested on its own below);
/// that is not a false form flag.
size_t form_flags(const Assessment& a) {
  size_t n = 0;
  for (const pb::FormFlag& f : a.flags) n += f.kind() != pb::NO_WARM_UP;
  return n;
}

TEST(Assess, CleanRunsAcrossSpeedsAndSensorSetsRaiseAtMostOneFalseFlagPerHour) {
  struct Case {
    double speed_mps, cadence_spm;
    std::vector<sim::SensorSettings> sensors;
    const char* label;
  };
  const std::vector<Case> cases = {{2.6, 162.0, all_sensors(), "all sensors"},
                                   {3.2, 168.0, feet_and_pelvis(), "feet + pelvis"},
                                   {3.8, 172.0, sleeve_only(500.0), "knee sleeves at 500 Hz"},
                                   {4.4, 178.0, sim::feet_sensors(kRate_hz), "feet"}};
  size_t flags = 0;
  double hours = 0.0;
  uint64_t seed = 101;
  for (const Case& c : cases) {
    const Assessment a = assess_sim(run(c.speed_mps, c.cadence_spm, 900.0, c.sensors, seed++));
    std::printf("[assess] clean %s at %.1f m/s, %.0f spm: %.0f s running, %zu flags %s\n", c.label,
                c.speed_mps, c.cadence_spm, a.running_s, a.flags.size(), describe(a).c_str());
    EXPECT_GT(a.running_s, 850.0) << c.label;
    flags += form_flags(a);
    hours += a.running_s / 3600.0;
  }
  // Pace changes with a walk in between: 5 min each at 3.0, 4.0 and 2.8 m/s.
  sim::SimSettings mixed = run(3.0, 166.0, 300.0, all_sensors(), seed++);
  mixed.runner.schedule.insert(mixed.runner.schedule.begin() + 1,
                               {Activity::kWalk, 60.0, 1.4, 110.0});
  mixed.runner.schedule.push_back({Activity::kRun, 300.0, 4.0, 174.0});
  mixed.runner.schedule.push_back({Activity::kRun, 300.0, 2.8, 162.0});
  const Assessment m = assess_sim(mixed);
  std::printf(
      "[assess] clean all sensors, walk then 3.0 / 4.0 / 2.8 m/s: %.0f s running, %zu flags %s\n",
      m.running_s, m.flags.size(), describe(m).c_str());
  EXPECT_GT(m.running_s, 850.0);
  EXPECT_LT(m.running_s, 910.0) << "the walk is not running";
  flags += form_flags(m);
  hours += m.running_s / 3600.0;
  std::printf("[assess] false flags: %zu in %.2f h of clean running = %.2f per hour\n", flags,
              hours, static_cast<double>(flags) / hours);
  EXPECT_LE(static_cast<double>(flags) / hours, 1.0);
}

// ---- Each fault fires -----------------------------------------------------------------------

TEST(Assess, StraightKneeAtHeelStrikeFlagsOverstridingOnBothSides) {
  sim::SimSettings s = run(3.4, 170.0, 240.0, all_sensors(), 11);
  s.runner.knee_flexion_ic_deg = 4.0;
  const Assessment a = assess_sim(s);
  EXPECT_EQ(count(a, pb::OVERSTRIDING, pb::LEFT), 1u) << describe(a);
  EXPECT_EQ(count(a, pb::OVERSTRIDING, pb::RIGHT), 1u) << describe(a);
  for (const pb::FormFlag& f : a.flags) {
    if (f.kind() != pb::OVERSTRIDING) continue;
    EXPECT_LT(f.evidence(0).value(), 10.0);
    EXPECT_DOUBLE_EQ(f.threshold(), 10.0);
    EXPECT_FALSE(f.reference().empty());
    EXPECT_FALSE(f.advice().empty());
  }
}

TEST(Assess, DynamicValgusOnOneSideFlagsThatSideWithItsConfidence) {
  sim::SimSettings s = run(3.4, 170.0, 240.0, sleeve_only(), 12);
  s.runner.peak_valgus_left_deg = 13.0;
  const Assessment a = assess_sim(s);
  ASSERT_EQ(count(a, pb::KNEE_VALGUS, pb::LEFT), 1u) << describe(a);
  EXPECT_EQ(count(a, pb::KNEE_VALGUS, pb::RIGHT), 0u) << describe(a);
  EXPECT_EQ(count(a, pb::ASYMMETRY), 1u) << "left-right valgus difference: " << describe(a);
  for (const pb::FormFlag& f : a.flags) {
    if (f.kind() != pb::KNEE_VALGUS) continue;
    EXPECT_GT(f.evidence(0).value(), 10.0);
    const auto conf = std::find_if(f.evidence().begin(), f.evidence().end(), [](const auto& e) {
      return e.name().find("confidence") != std::string::npos;
    });
    ASSERT_NE(conf, f.evidence().end()) << "valgus is always shown with its confidence";
    EXPECT_GE(conf->value(), 0.5);
  }
}

TEST(Assess, ValgusAboveTheAthletesOwnBaselineFlagsBelowThePopulationThreshold) {
  sim::SimSettings s = run(3.4, 170.0, 240.0, sleeve_only(), 13);
  s.runner.peak_valgus_left_deg = 8.0;
  s.runner.peak_valgus_right_deg = 8.0;
  EXPECT_EQ(count(assess_sim(s), pb::KNEE_VALGUS), 0u) << "8 deg is under the population 10";
  AssessProfile p;
  p.athlete.peak_valgus_deg = 3.0;  // this runner usually shows ~3 deg
  const Assessment a = assess_sim(s, p);
  EXPECT_EQ(count(a, pb::KNEE_VALGUS, pb::LEFT), 1u) << describe(a);
  EXPECT_EQ(count(a, pb::KNEE_VALGUS, pb::RIGHT), 1u) << describe(a);
}

TEST(Assess, ValgusOfLowConfidenceIsNotFlagged) {
  // Steps with a large valgus but a confidence under the threshold (a
  // sleeve whose calibration is doubtful): no valgus flag.
  FormAssessor fa;
  for (int i = 0; i < 2000; ++i) {
    StepResult s;
    s.event.side = i % 2 ? pb::RIGHT : pb::LEFT;
    s.event.ic_us = 10'000'000 + int64_t{i} * 350'000;
    s.event.activity = GaitActivity::kRunning;
    s.cadence_spm = 171.4;
    s.peak_valgus_deg = 16.0;
    s.valgus_confidence = 0.3;
    fa.push(s);
  }
  fa.finish();
  for (const pb::FormFlag& f : fa.flags()) EXPECT_NE(f.kind(), pb::KNEE_VALGUS);
  for (const pb::FormFlag& f : fa.flags()) EXPECT_NE(f.kind(), pb::ASYMMETRY);
}

TEST(Assess, PelvicDropAndHipAdductionAreFlaggedWithAPelvisSensor) {
  sim::SimSettings s = run(3.4, 170.0, 240.0, all_sensors(), 14);
  s.runner.pelvic_drop_deg = 10.0;  // the simulated hip then adducts ~4 deg more than at 4 deg
  const Assessment a = assess_sim(s);
  EXPECT_EQ(count(a, pb::PELVIC_DROP, pb::LEFT), 1u) << describe(a);
  EXPECT_EQ(count(a, pb::PELVIC_DROP, pb::RIGHT), 1u) << describe(a);
  EXPECT_EQ(count(a, pb::HIP_ADDUCTION, pb::LEFT), 1u) << describe(a);
  EXPECT_EQ(count(a, pb::HIP_ADDUCTION, pb::RIGHT), 1u) << describe(a);
}

TEST(Assess, HardLandingsAtSpeedFlagHighTibialShock) {
  // Shank sensors at 1000 Hz: the impact transient lasts a few ms, 100 Hz
  // under-samples it. Heel striking at 5.5 m/s: the simulator's shank peak
  // is ~11 g (it scales with speed from ~6 g at 3 m/s, after Milner 2006).
  sim::SimSettings fast = run(5.5, 188.0, 180.0, sim::shank_sensors(1000.0), 15);
  const Assessment a = assess_sim(fast);
  EXPECT_GE(count(a, pb::HIGH_TIBIAL_SHOCK), 1u) << describe(a);
  sim::SimSettings easy = run(3.0, 168.0, 180.0, sim::shank_sensors(1000.0), 15);
  const Assessment b = assess_sim(easy);
  EXPECT_EQ(count(b, pb::HIGH_TIBIAL_SHOCK), 0u) << describe(b);
}

TEST(Assess, LongerContactOnOneSideFlagsAsymmetry) {
  sim::SimSettings s = run(3.4, 170.0, 240.0, sim::feet_sensors(kRate_hz), 16);
  s.runner.asymmetry_pct = 20.0;
  const Assessment a = assess_sim(s);
  EXPECT_EQ(count(a, pb::ASYMMETRY), 1u) << describe(a);
}

TEST(Assess, LowCadenceForTheSpeedIsAHintWithoutABaseline) {
  const Assessment a = assess_sim(run(3.4, 145.0, 240.0, sim::feet_sensors(kRate_hz), 17));
  ASSERT_EQ(count(a, pb::LOW_CADENCE), 1u) << describe(a);
  const auto low = std::find_if(a.flags.begin(), a.flags.end(),
                                [](const auto& f) { return f.kind() == pb::LOW_CADENCE; });
  ASSERT_NE(low, a.flags.end());
  EXPECT_EQ(low->severity(), pb::INFO) << describe(a);
}

TEST(Assess, FatigueDriftFlagsFallingCadenceAndRisingContactAndValgus) {
  sim::SimSettings s = run(3.4, 172.0, 600.0, all_sensors(), 18);
  s.runner.cadence_drift_spm = -16.0;
  s.runner.valgus_drift_deg = 6.0;
  const Assessment a = assess_sim(s);
  ASSERT_EQ(count(a, pb::FATIGUE_DRIFT), 1u) << describe(a);
  EXPECT_EQ(count(a, pb::KNEE_VALGUS, pb::LEFT), 1u) << describe(a);
  EXPECT_EQ(count(a, pb::KNEE_VALGUS, pb::RIGHT), 1u) << describe(a);
  const pb::FormFlag& f = *std::find_if(
      a.flags.begin(), a.flags.end(), [](const auto& x) { return x.kind() == pb::FATIGUE_DRIFT; });
  EXPECT_EQ(f.severity(), pb::CAUTION) << "cadence fell and contact time rose";
}

TEST(Assess, LargeFootStrikeAngleFlagsOverstridingAndLowCadenceMakesItAWarning) {
  // The simulator's heel strike lands at ~8 deg; a steep landing is fed as
  // steps directly.
  for (const double cadence : {172.0, 140.0}) {
    FormAssessor fa;
    for (int i = 0; i < 1000; ++i) {
      StepResult s;
      s.event.side = i % 2 ? pb::RIGHT : pb::LEFT;
      s.event.ic_us = int64_t{i} * static_cast<int64_t>(60e6 / cadence);
      s.event.activity = GaitActivity::kRunning;
      s.event.speed_mps = 3.4;
      s.cadence_spm = cadence;
      s.foot_strike = pb::HEEL;
      s.event.foot_strike_angle_deg = i > 400 ? 26.0 : 8.0;
      fa.push(s);
    }
    fa.finish();
    size_t n = 0;
    for (const pb::FormFlag& f : fa.flags()) {
      if (f.kind() != pb::OVERSTRIDING) continue;
      ++n;
      EXPECT_NEAR(f.evidence(0).value(), 26.0, 1e-9);
      EXPECT_EQ(f.severity(), cadence < 150.0 ? pb::WARNING : pb::CAUTION);
      // Raised after the minimum duration; the onset is when the 20-step median
      // of the side crossed (10 steps of that side after the change).
      EXPECT_NEAR(static_cast<double>(f.t_start_us()) * 1e-6, 421 * 60.0 / cadence, 1.0);
    }
    EXPECT_EQ(n, 2u);
  }
}

// ---- Recommendation -------------------------------------------------------------------------

TEST(Recommendation, PreferredCadenceOf160GivesTarget168ThenUpTo176) {
  const sim::SimSettings s = run(3.0, 160.0, 360.0, sim::feet_sensors(kRate_hz), 21);
  const std::vector<StepResult> steps = analyze_gait(sim::simulate(s).session).steps;
  AssessProfile p;
  const Assessment first = assess_gait(steps, p);
  ASSERT_TRUE(first.recommendation);
  ASSERT_TRUE(first.preferred_cadence_spm);
  EXPECT_NEAR(*first.preferred_cadence_spm, 160.0, 1.0) << "measured in the first minutes";
  EXPECT_EQ(first.recommendation->target_cadence_spm(), 168.0);
  EXPECT_EQ(first.recommendation->metronome_bpm(), 168.0);
  EXPECT_EQ(first.recommendation->plan_session(), 1u);
  EXPECT_EQ(first.recommendation->plan_sessions_total(), 8u);
  p.plan.session = 5;  // second half of the plan: +10 %
  const Assessment later = assess_gait(steps, p);
  ASSERT_TRUE(later.recommendation);
  EXPECT_EQ(later.recommendation->target_cadence_spm(), 176.0);
  EXPECT_EQ(later.recommendation->metronome_bpm(), 176.0);
}

TEST(Recommendation, CuesSoundOnlyWhileTheRunnerStaysOutsideTheBand) {
  AssessProfile p;
  p.athlete.preferred_cadence_spm = 160.0;
  // Still at the old 160: outside the 168 band, cues on, and the low-cadence flag.
  const Assessment old_habit =
      assess_sim(run(3.0, 160.0, 240.0, sim::feet_sensors(kRate_hz), 22), p);
  ASSERT_TRUE(old_habit.recommendation);
  EXPECT_EQ(old_habit.recommendation->target_cadence_spm(), 168.0);
  EXPECT_TRUE(old_habit.recommendation->cue_now());
  EXPECT_EQ(count(old_habit, pb::LOW_CADENCE), 1u) << describe(old_habit);
  // Following the metronome at 168: no cues, no flag.
  const Assessment on_target =
      assess_sim(run(3.0, 168.0, 240.0, sim::feet_sensors(kRate_hz), 22), p);
  ASSERT_TRUE(on_target.recommendation);
  EXPECT_FALSE(on_target.recommendation->cue_now());
  EXPECT_EQ(count(on_target, pb::LOW_CADENCE), 0u) << describe(on_target);
  for (const Assessment* a : {&old_habit, &on_target}) {
    const auto& ch = a->recommendation_changes;
    for (size_t i = 1; i < ch.size(); ++i) {
      EXPECT_GE(ch[i].t_us() - ch[i - 1].t_us(), 5'000'000) << "changes at most every 5 s";
    }
  }
}

TEST(Recommendation, FadedFeedbackPlan) {
  RetrainingPlan plan;
  std::vector<double> fractions;
  for (unsigned s = 1; s <= 8; ++s) {
    plan.session = s;
    fractions.push_back(plan_feedback_fraction(plan));
    EXPECT_EQ(plan_step_pct(plan), s <= 4 ? 5.0 : 10.0);
  }
  EXPECT_EQ(fractions, (std::vector<double>{1.0, 1.0, 1.0, 1.0, 0.75, 0.5, 0.25, 0.0}));
}

TEST(Recommendation, TargetFollowsSpeedAndFadedCuesSoundOnlyInTheFeedbackPartOfEachMinute) {
  AthleteBaseline athlete;
  athlete.preferred_cadence_spm = 160.0;
  athlete.preferred_speed_mps = 3.0;
  RetrainingPlan plan;
  plan.session = 6;  // feedback fraction 0.5: cues only in the first 30 s of each minute
  CadenceCoach coach(athlete, plan, FormThresholds{});
  std::vector<std::pair<double, bool>> cues;  // running time, cue_now
  int64_t t = 0;
  for (int i = 0; i < 1200; ++i) {  // 4 min at 160 spm and 3.5 m/s: below the band all along
    t += 375'000;
    const double running_s = static_cast<double>(t) * 1e-6;
    coach.push(t, running_s, 160.0, 3.5);
    if (coach.current()) cues.emplace_back(running_s, coach.current()->cue_now());
  }
  ASSERT_TRUE(coach.current());
  // 3.5 m/s is 0.5 m/s above the preferred speed: preferred 163, +10 % -> 179.
  EXPECT_NEAR(coach.current()->preferred_cadence_spm(), 163.0, 1e-9);
  EXPECT_EQ(coach.current()->target_cadence_spm(), 179.0);
  size_t on_late = 0, on_early = 0;
  for (const auto& [rs, on] : cues) {
    const double in_minute = std::fmod(rs, 60.0);
    if (rs < 60.0) continue;
    if (on && in_minute >= 36.0) ++on_late;  // the 5 s change limit may hold a cue a little longer
    if (on && in_minute < 30.0) ++on_early;
  }
  EXPECT_EQ(on_late, 0u);
  EXPECT_GT(on_early, 100u);
}

// ---- Debounce -------------------------------------------------------------------------------

TEST(Debounce, ShortExcursionsAndHoveringInsideTheHysteresisDoNotFlap) {
  FlagDebouncer d(20.0);
  int changes = 0;
  int64_t t = 0;
  auto step = [&](double v) {
    if (d.update(t, v, 10.0, 8.5) != FlagDebouncer::Change::kNone) ++changes;
    t += 350'000;
  };
  for (int i = 0; i < 40; ++i) step(i % 20 < 10 ? 12.0 : 5.0);  // 3.5 s excursions
  EXPECT_EQ(changes, 0);
  for (int i = 0; i < 60; ++i) step(12.0);  // 21 s above
  EXPECT_EQ(changes, 1);
  EXPECT_TRUE(d.active());
  for (int i = 0; i < 200; ++i) step(i % 2 ? 9.0 : 11.0);  // hovering around the threshold
  EXPECT_EQ(changes, 1);
  for (int i = 0; i < 60; ++i) step(5.0);
  EXPECT_EQ(changes, 2);
  EXPECT_FALSE(d.active());
}

// ---- Streaming = batch ----------------------------------------------------------------------

TEST(Assess, StepsPushedLiveGiveTheSameFlagsAsBatch) {
  sim::SimSettings s = run(3.4, 170.0, 420.0, all_sensors(), 31);
  s.runner.pelvic_drop_deg = 9.0;
  s.runner.cadence_drift_spm = -16.0;
  const Session session = sim::simulate(s).session;
  const Assessment batch = assess_gait(analyze_gait(session).steps);
  ASSERT_GE(batch.flags.size(), 3u);

  // Live: the assessor gets each step as soon as the engine releases it and
  // is polled for its live view.
  pb::SessionHeader header = session.header;
  header.clear_sensors();
  for (const SensorStream& x : session.sensors) *header.add_sensors() = x.info;
  GaitEngine engine(header);
  FormAssessor live;
  // Packets of 20 samples per sensor, ordered by their first sample's time
  // (how a link hands them over), not sample by sample.
  constexpr size_t kPacket = 20;
  using Head = std::tuple<int64_t, size_t, size_t>;  // t_us of the packet, sensor, first index
  std::priority_queue<Head, std::vector<Head>, std::greater<>> heads;
  for (size_t i = 0; i < session.sensors.size(); ++i) {
    heads.emplace(session.sensors[i].samples[0].t_us, i, 0);
  }
  size_t max_active = 0;
  while (!heads.empty()) {
    const auto [t, sensor, first] = heads.top();
    heads.pop();
    const auto& samples = session.sensors[sensor].samples;
    const size_t end = std::min(first + kPacket, samples.size());
    for (size_t k = first; k < end; ++k) engine.push(sensor, samples[k]);
    if (end < samples.size()) heads.emplace(samples[end].t_us, sensor, end);
    for (const StepResult& r : engine.take()) {
      live.push(r);
      max_active = std::max(max_active, live.active_flags().size());
    }
  }
  engine.finish();
  for (const StepResult& r : engine.take()) live.push(r);
  live.finish();
  EXPECT_GE(max_active, 2u) << "pelvic drop on both sides is active during the run";
  ASSERT_EQ(live.flags().size(), batch.flags.size());
  for (size_t i = 0; i < batch.flags.size(); ++i) {
    EXPECT_EQ(live.flags()[i].SerializeAsString(), batch.flags[i].SerializeAsString()) << i;
  }
  ASSERT_EQ(live.recommendation_changes().size(), batch.recommendation_changes.size());
  for (size_t i = 0; i < batch.recommendation_changes.size(); ++i) {
    EXPECT_EQ(live.recommendation_changes()[i].SerializeAsString(),
              batch.recommendation_changes[i].SerializeAsString());
  }
  // reset() starts over: the same steps give the same flags again.
  live.reset();
  for (const StepResult& r : analyze_gait(session).steps) live.push(r);
  live.finish();
  EXPECT_EQ(live.flags().size(), batch.flags.size());
}

// ---- Profile --------------------------------------------------------------------------------

class ProfileFile : public ::testing::Test {
 protected:
  fs::path write(const std::string& text) {
    const fs::path p =
        fs::temp_directory_path() /
        ("gk_assess_profile_" + std::to_string(::getpid()) + "_" + std::to_string(n_++) + ".toml");
    std::ofstream(p) << text;
    files_.push_back(p);
    return p;
  }
  void TearDown() override {
    for (const fs::path& p : files_) fs::remove(p);
  }
  /// The line an InputError names, 0 if none, -1 if no error.
  long error_line(const std::string& text, std::string* message = nullptr) {
    const fs::path p = write(text);
    try {
      load_profile(p);
    } catch (const InputError& e) {
      EXPECT_EQ(e.file(), p);
      if (message) *message = e.what();
      return static_cast<long>(e.line());
    }
    return -1;
  }
  std::vector<fs::path> files_;
  int n_ = 0;
};

TEST_F(ProfileFile, ReadsBaselinePlanAndThresholds) {
  const AssessProfile p = load_profile(
      write("# runner A\n[athlete]\npreferred_cadence_spm = 160\npreferred_speed_mps = 3.1\n"
            "peak_valgus_deg = 4.5\n[plan]\nsession = 6\n[thresholds]\npeak_valgus_max_deg = 9\n"
            "min_duration_s = 15.5\nwindow_steps = 16\n"));
  EXPECT_EQ(p.athlete.preferred_cadence_spm, 160.0);
  EXPECT_EQ(p.athlete.preferred_speed_mps, 3.1);
  EXPECT_EQ(p.athlete.peak_valgus_deg, 4.5);
  EXPECT_EQ(p.plan.session, 6u);
  EXPECT_EQ(p.plan.sessions_total, 8u) << "default kept";
  EXPECT_EQ(p.thresholds.peak_valgus_max_deg, 9.0);
  EXPECT_EQ(p.thresholds.min_duration_s, 15.5);
  EXPECT_EQ(p.thresholds.window_steps, 16u);
  EXPECT_EQ(p.thresholds.pelvic_drop_max_deg, FormThresholds{}.pelvic_drop_max_deg);
}

TEST_F(ProfileFile, ErrorsNameFileAndLine) {
  std::string msg;
  EXPECT_EQ(error_line("[athlete]\n\npreferred_cadenc_spm = 160\n", &msg), 3);
  EXPECT_NE(msg.find("unknown key athlete.preferred_cadenc_spm"), std::string::npos) << msg;
  EXPECT_EQ(error_line("[thresholds]\nshock_max_g = \"high\"\n", &msg), 2);
  EXPECT_NE(msg.find("must be a number"), std::string::npos) << msg;
  EXPECT_EQ(error_line("[thresholds]\npelvic_drop_max_deg = -2\n"), 2);
  EXPECT_EQ(error_line("[plan]\nsession = 2.5\n"), 2);
  // A cadence in strides per minute, a speed in km/h: out of the range a runner's can be.
  EXPECT_EQ(error_line("[athlete]\n\npreferred_cadence_spm = 85\n", &msg), 3);
  EXPECT_NE(msg.find("preferred_cadence_spm must be 120 to 240"), std::string::npos) << msg;
  EXPECT_EQ(error_line("[athlete]\npreferred_speed_mps = 12\n"), 2);
  EXPECT_EQ(error_line("[athlete]\npreferred_cadence_spm = 160\n[athlete\n"), 3);  // bad TOML
  EXPECT_EQ(error_line("\n[coach]\nx = 1\n"), 2);
  EXPECT_EQ(error_line("[plan]\nsession = 9\n"), 0) << "beyond the 8-session plan";
  EXPECT_EQ(error_line("[plan]\nsession = 3\n"), -1);
}

// ---- Training load --------------------------------------------------------------------------

TEST(TrainingLoad, ARunMoreThanTenPercentLongerThanTheLongestOfThePrevious30Days) {
  constexpr int64_t day = 86400;
  const int64_t now = 1'780'000'000;
  const std::vector<RunRecord> history = {
      {now - 40 * day, 7200.0},  // older than 30 days: does not count
      {now - 20 * day, 3000.0},  // the longest of the window: 50 min
      {now - 3 * day, 2400.0}};
  EXPECT_FALSE(check_single_run_spike(history, {now, 3300.0}));  // exactly +10 %
  const auto f = check_single_run_spike(history, {now, 3400.0});
  ASSERT_TRUE(f);
  EXPECT_EQ(f->kind(), pb::TRAINING_LOAD);
  EXPECT_NEAR(f->evidence(1).value(), 50.0, 1e-9);
  EXPECT_NEAR(f->evidence(2).value(), 13.33, 0.01);
  EXPECT_NE(f->reference().find("Frandsen 2025"), std::string::npos);
  EXPECT_FALSE(check_single_run_spike({}, {now, 3400.0})) << "no history, nothing to compare";
  EXPECT_FALSE(check_single_run_spike({{now - 40 * day, 600.0}}, {now, 3400.0}));
}

TEST(TrainingLoad, WeeklyRunningTimeIncrease) {
  constexpr int64_t day = 86400;
  const int64_t now = 1'780'000'000;
  // Previous week 3 x 40 min = 120 min; this week 2 x 40 min before today.
  std::vector<RunRecord> h = {{now - 12 * day, 2400.0},
                              {now - 10 * day, 2400.0},
                              {now - 8 * day, 2400.0},
                              {now - 5 * day, 2400.0},
                              {now - 2 * day, 2400.0}};
  EXPECT_FALSE(check_weekly_volume_change(h, {now, 2400.0})) << "120 vs 120 min";
  const auto f = check_weekly_volume_change(h, {now, 5400.0});  // 170 vs 120 min: +42 %
  ASSERT_TRUE(f);
  EXPECT_NEAR(f->evidence(2).value(), 41.67, 0.01);
  EXPECT_FALSE(check_weekly_volume_change({}, {now, 5400.0}));
}

// ---- CLI ------------------------------------------------------------------------------------

struct CliRun {
  int rc = -1;
  std::string out, err;
};

std::string slurp(const fs::path& p) {
  std::ifstream in(p);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

CliRun cli(const fs::path& dir, const std::string& args) {
  const fs::path out = dir / "out.txt", err = dir / "err.txt";
  const std::string cmd =
      std::string(GK_EXE) + " " + args + " > " + out.string() + " 2> " + err.string();
  const int status = std::system(cmd.c_str());
  return {WIFEXITED(status) ? WEXITSTATUS(status) : -1, slurp(out), slurp(err)};
}

TEST(AssessCli, PrintsFlagsRecommendationAndTheNotADiagnosisSentence) {
  const test::TempDir scratch("gk_assess_cli");  // removed on every way out, a failure included
  const fs::path dir = scratch.path();
  const fs::path rec = dir / "run.gkr";
  ASSERT_EQ(cli(dir, "simulate --out " + rec.string() +
                         " --stand-s 5 --duration-s 240 --rate-hz 100 --seed 3 --speed-mps 3.4 "
                         "--cadence-spm 170 --sensors shoe+sleeve,pelvis --pelvic-drop-deg 9")
                .rc,
            0);
  const CliRun r = cli(dir, "assess " + rec.string() + " --json " + (dir / "a.json").string());
  EXPECT_EQ(r.rc, 0) << r.err;
  EXPECT_NE(r.out.find("left pelvic drop"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("Bramah 2018"), std::string::npos) << r.out;
  // Preferred ~170 measured in the run: target +5 % and the same BPM.
  std::smatch m;
  ASSERT_TRUE(
      std::regex_search(r.out, m, std::regex("target (\\d+) steps/min .* metronome (\\d+) BPM")))
      << r.out;
  const int target = std::stoi(m[1].str());
  EXPECT_EQ(std::stoi(m[2].str()), target);
  EXPECT_GE(target, 177);
  EXPECT_LE(target, 179);
  EXPECT_NE(r.out.find("not a medical diagnosis"), std::string::npos) << r.out;
  const std::string json = slurp(dir / "a.json");
  EXPECT_NE(json.find("\"PELVIC_DROP\""), std::string::npos) << json;
  EXPECT_NE(json.find("\"metronomeBpm\": " + std::to_string(target)), std::string::npos) << json;

  std::ofstream(dir / "bad.toml") << "[thresholds]\npelvic_drop_max_deg = 7\nshock = 3\n";
  const CliRun bad =
      cli(dir, "assess " + rec.string() + " --profile " + (dir / "bad.toml").string());
  EXPECT_EQ(bad.rc, 2);
  EXPECT_NE(bad.err.find("bad.toml:3: unknown key thresholds.shock"), std::string::npos) << bad.err;
}

// ---- Warm-up (issue: coaching features) ------------------------------------------------------

TEST(WarmUp, StraightIntoRunningIsFlaggedAndFiveMinutesOfWalkingIsNot) {
  // Straight into running after a few seconds of standing.
  sim::SimSettings cold = run(3.2, 168.0, 180.0, sim::feet_sensors(kRate_hz), 401);
  const Assessment c = assess_sim(cold);
  ASSERT_TRUE(c.warm_up_s.has_value());
  EXPECT_LT(*c.warm_up_s, 10.0);
  size_t flagged = 0;
  for (const pb::FormFlag& f : c.flags) {
    if (f.kind() != pb::NO_WARM_UP) continue;
    ++flagged;
    EXPECT_FALSE(f.advice().empty());
    EXPECT_NEAR(f.evidence(0).value(), *c.warm_up_s / 60.0, 1e-9);
  }
  EXPECT_EQ(flagged, 1u);

  // Five minutes of brisk walking first.
  sim::SimSettings warm = run(3.2, 168.0, 180.0, sim::feet_sensors(kRate_hz), 402);
  warm.runner.schedule.insert(warm.runner.schedule.begin() + 1,
                              {Activity::kWalk, 300.0, 1.5, 112.0});
  const Assessment w = assess_sim(warm);
  ASSERT_TRUE(w.warm_up_s.has_value());
  std::printf("[assess] warm-up measured: %.1f s without a walk, %.1f s after a 300 s walk\n",
              *c.warm_up_s, *w.warm_up_s);
  EXPECT_NEAR(*w.warm_up_s, 300.0, 10.0);
  for (const pb::FormFlag& f : w.flags) EXPECT_NE(f.kind(), pb::NO_WARM_UP);

  // Two minutes of walking is not enough.
  sim::SimSettings brief = run(3.2, 168.0, 180.0, sim::feet_sensors(kRate_hz), 403);
  brief.runner.schedule.insert(brief.runner.schedule.begin() + 1,
                               {Activity::kWalk, 120.0, 1.5, 112.0});
  const Assessment b = assess_sim(brief);
  ASSERT_TRUE(b.warm_up_s.has_value());
  EXPECT_NEAR(*b.warm_up_s, 120.0, 10.0);
  EXPECT_EQ(std::count_if(b.flags.begin(), b.flags.end(),
                          [](const pb::FormFlag& f) { return f.kind() == pb::NO_WARM_UP; }),
            1);
}

TEST(WarmUp, AnEasyJogBeforeTheMainPaceCountsWhenSpeedIsKnown) {
  // No walk: 5 min jogging at 2.0 m/s, then 11 min at 3.6 m/s (foot sensors
  // give each stride's speed).
  sim::SimSettings jog = run(3.6, 172.0, 660.0, sim::feet_sensors(kRate_hz), 404);
  jog.runner.schedule.insert(jog.runner.schedule.begin() + 1, {Activity::kRun, 300.0, 2.0, 150.0});
  const Assessment j = assess_sim(jog);
  ASSERT_TRUE(j.warm_up_s.has_value());
  // One minute of jogging is not a warm-up.
  sim::SimSettings brief = run(3.6, 172.0, 660.0, sim::feet_sensors(kRate_hz), 405);
  brief.runner.schedule.insert(brief.runner.schedule.begin() + 1,
                               {Activity::kRun, 60.0, 2.0, 150.0});
  const Assessment b = assess_sim(brief);
  ASSERT_TRUE(b.warm_up_s.has_value());
  std::printf("[assess] warm-up measured: %.1f s after a 300 s jog, %.1f s after a 60 s jog\n",
              *j.warm_up_s, *b.warm_up_s);
  EXPECT_NEAR(*j.warm_up_s, 300.0, 20.0);
  for (const pb::FormFlag& f : j.flags) EXPECT_NE(f.kind(), pb::NO_WARM_UP);
  EXPECT_NEAR(*b.warm_up_s, 60.0, 20.0);
  EXPECT_EQ(std::count_if(b.flags.begin(), b.flags.end(),
                          [](const pb::FormFlag& f) { return f.kind() == pb::NO_WARM_UP; }),
            1);
}

}  // namespace
}  // namespace gk
