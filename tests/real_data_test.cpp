// The gait engine on real recordings with reference events (../shared/
// datasets, not part of the repository; skipped when absent): per data set,
// step F1 (matched / true / detected summed over sessions) and cadence MAE
// (per-session MAE weighted by its 10-step windows) against the issue's
// targets: F1 >= 0.98, cadence MAE <= 1 steps/min.
#include <gtest/gtest.h>

#include <Eigen/Geometry>
#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <functional>
#include <map>
#include <optional>
#include <random>
#include <string>
#include <vector>

#include "event_evaluation.hpp"
#include "session.hpp"
#include "session_analysis.hpp"
#include "stream_by_time.hpp"

namespace gk {
namespace {

namespace fs = std::filesystem;

fs::path datasets() { return fs::path(GK_SOURCE_DIR) / ".." / "shared" / "datasets"; }

struct Totals {
  size_t sessions = 0;
  size_t steps_true = 0;
  size_t steps_detected = 0;
  size_t matched = 0;
  double ic_err_sum = 0.0;  ///< ms x matched
  double contact_err_sum = 0.0;
  size_t contact_n = 0;
  double cadence_err_sum = 0.0;  ///< spm x windows
  size_t cadence_windows = 0;
  std::string worst_session;
  double worst_f1 = 2.0;

  double precision() const {
    return steps_detected ? static_cast<double>(matched) / static_cast<double>(steps_detected)
                          : 0.0;
  }
  double recall() const {
    return steps_true ? static_cast<double>(matched) / static_cast<double>(steps_true) : 0.0;
  }
  double f1() const {
    const double p = precision(), r = recall();
    return p + r > 0.0 ? 2.0 * p * r / (p + r) : 0.0;
  }
  std::optional<double> cadence_mae() const {
    if (cadence_windows == 0) return std::nullopt;
    return cadence_err_sum / static_cast<double>(cadence_windows);
  }
};

/// What a test does to a recording before the engine sees it.
using Transform = std::function<Session(Session)>;

Totals evaluate_all(const std::string& name, const std::vector<fs::path>& sessions,
                    const Transform& transform = {}) {
  Totals t;
  for (const fs::path& dir : sessions) {
    Warnings warnings;
    Session session = load_session(dir, warnings);
    if (transform) session = transform(std::move(session));
    const Truth truth = read_truth(truth_dir_for(dir));
    if (!truth.events) {
      ADD_FAILURE() << dir << " has no truth/events.csv";
      continue;
    }
    const GaitAnalysis a = analyze_gait(session);
    const EventEvaluation e =
        evaluate_events(a.steps, *truth.events, read_unlabelled_contacts(dir));
    ++t.sessions;
    t.steps_true += e.steps_true;
    t.steps_detected += e.steps_detected;
    t.matched += e.matched;
    if (e.ic_mae_ms) t.ic_err_sum += *e.ic_mae_ms * static_cast<double>(e.matched);
    if (e.contact_mae_ms) {
      // Contact errors exist for the matched pairs with a TO on both sides;
      // weight by matched (an approximation when some TOs are missing).
      t.contact_err_sum += *e.contact_mae_ms * static_cast<double>(e.matched);
      t.contact_n += e.matched;
    }
    if (e.cadence_mae_spm) {
      t.cadence_err_sum += *e.cadence_mae_spm * static_cast<double>(e.cadence_windows);
      t.cadence_windows += e.cadence_windows;
    }
    if (e.f1 < t.worst_f1) {
      t.worst_f1 = e.f1;
      t.worst_session = dir.filename().string();
    }
  }
  const auto opt = [](std::optional<double> v) {
    char buf[32];
    if (!v) return std::string("-");
    std::snprintf(buf, sizeof buf, "%.2f", *v);
    return std::string(buf);
  };
  std::printf(
      "[real] %-16s | sessions %3zu | true %5zu | detected %5zu | matched %5zu | P %.4f | R "
      "%.4f | F1 %.4f | IC MAE %s ms | contact MAE %s ms | cadence MAE %s spm (%zu windows) | "
      "worst %s F1 %.3f\n",
      name.c_str(), t.sessions, t.steps_true, t.steps_detected, t.matched, t.precision(),
      t.recall(), t.f1(),
      opt(t.matched ? std::optional<double>(t.ic_err_sum / static_cast<double>(t.matched))
                    : std::nullopt)
          .c_str(),
      opt(t.contact_n ? std::optional<double>(t.contact_err_sum / static_cast<double>(t.contact_n))
                      : std::nullopt)
          .c_str(),
      opt(t.cadence_mae()).c_str(), t.cadence_windows, t.worst_session.c_str(), t.worst_f1);
  return t;
}

std::vector<fs::path> sessions_under(const fs::path& dir, const std::string& prefix = "") {
  std::vector<fs::path> out;
  if (!fs::is_directory(dir)) return out;
  for (const fs::directory_entry& e : fs::directory_iterator(dir)) {
    if (!e.is_directory() || !fs::exists(e.path() / "session.json")) continue;
    if (!prefix.empty() && e.path().filename().string().rfind(prefix, 0) != 0) continue;
    out.push_back(e.path());
  }
  std::sort(out.begin(), out.end());
  return out;
}

// The targets are step F1 >= 0.98 and cadence error <= 1 step/min on
// every real data set. Where a set does not reach them yet, the bound below is
// the measured figure (a regression guard, so the test still fails if the
// engine gets worse) and docs/ACCURACY.md says why; the issue stays open for it.
struct Bounds {
  double f1_min = 0.98;
  double cadence_mae_max_spm = 1.0;
  /// The issue sets no real-data target for contact time; where a bound is
  /// given it is a regression guard on the measured figure.
  std::optional<double> contact_mae_max_ms;
};

void check_dataset(const std::string& name, const std::vector<fs::path>& sessions,
                   size_t expected_sessions, Bounds bounds = {}, const Transform& transform = {}) {
  if (!fs::is_directory(datasets())) GTEST_SKIP() << datasets() << " not present";
  ASSERT_EQ(sessions.size(), expected_sessions) << name;
  const Totals t = evaluate_all(name, sessions, transform);
  EXPECT_GE(t.f1(), bounds.f1_min) << name << ": matched " << t.matched << " of " << t.steps_true
                                   << " true, " << t.steps_detected << " detected";
  ASSERT_TRUE(t.cadence_mae().has_value()) << name;
  EXPECT_LE(*t.cadence_mae(), bounds.cadence_mae_max_spm) << name;
  if (bounds.contact_mae_max_ms) {
    ASSERT_GT(t.contact_n, 0u) << name;
    EXPECT_LE(t.contact_err_sum / static_cast<double>(t.contact_n), *bounds.contact_mae_max_ms)
        << name;
  }
}

TEST(RealData, GaitmapWalking) {
  // The turn holds a contact the reference does not label; session.json
  // declares it (truth_unlabelled_contacts_s), so the detection there is not
  // scored and the windows around it are skipped (evaluate_events).
  check_dataset("gaitmap-walking", {datasets() / "gaitmap-walking" / "s5047_normal_20"}, 1);
}

TEST(RealData, SacrumRunning) {
  check_dataset("sacrum-running", sessions_under(datasets() / "sacrum-running", "trial"), 31);
}

// sacrum-running trial21 begins 11 ms before a loading rise that is no landing (the force-plate
// reference's first contact is 0.21 s in, from a flight): the end of a contact the recording cut
// into. It was counted as a step; a bout's first rise followed by another within a shortest step
// is now dropped as such a fragment, and the trial scores F1 1 (0.970 before).
TEST(RealData, SacrumTrialThatBeginsInAContact) {
  if (!fs::is_directory(datasets())) GTEST_SKIP() << datasets() << " not present";
  const fs::path dir = datasets() / "sacrum-running" / "trial21";
  Warnings warnings;
  const Session session = load_session(dir, warnings);
  const Truth truth = read_truth(truth_dir_for(dir));
  ASSERT_TRUE(truth.events.has_value());
  const GaitAnalysis a = analyze_gait(session);
  ASSERT_FALSE(a.steps.empty());
  EXPECT_NEAR(static_cast<double>(a.steps.front().event.ic_us) * 1e-6, truth.events->front().ic_s,
              0.02);
  const EventEvaluation e = evaluate_events(a.steps, *truth.events);
  EXPECT_EQ(e.f1, 1.0);
  EXPECT_TRUE(std::any_of(a.warnings.begin(), a.warnings.end(), [](const std::string& w) {
    return w.find("dropped as the fragment of a contact") != std::string::npos;
  }));
}

TEST(RealData, IpolWalking) {
  // Targets not met (measured F1 0.936, cadence error 1.68 steps/min): U-turn
  // pivots, the reference's last contacts clipped to the walking bout's end
  // and the shuffling steps after it are missed or timed differently from
  // the reference. docs/ACCURACY.md has the breakdown. Contact time 34.8 ms
  // (114 ms while a stop's contact could take a toe-off from stance noise).
  check_dataset("ipol-walking", sessions_under(datasets() / "ipol-walking"), 110,
                {.f1_min = 0.93, .cadence_mae_max_spm = 2.0, .contact_mae_max_ms = 40.0});
}

// Shoe sensors without a gyroscope: the walking sets with their gyroscope
// channels removed, so every foot is analysed from its accelerometer alone
// (FootRestStepDetector: an impact, then the foot at rest). Steps and
// cadence only. Not the targets, which are for the full sensor: the
// bounds sit just under the measured figures as regression guards (gaitmap-walking
// 57 of 59 matched, cadence error 0.28 steps/min; ipol-walking F1 0.854, 5.94
// steps/min, 2026-12-06; it read F1 0.832 and 10.5 steps/min before short holes were
// bridged, 2026-12-03, which these bounds would now fail); docs/ACCURACY.md says where
// the misses are. The rest thresholds
// were chosen with these recordings (a prototype on ipol-walking and
// gaitmap-walking), so for those values this is not an independent test;
// the simulated runs (gait_accuracy_test) are.
Session without_gyroscope(Session s) {
  for (SensorStream& stream : s.sensors) {
    stream.info.set_gyro_range_dps(0);
    for (ImuSample& smp : stream.samples) {
      smp.has_gyro = false;
      smp.gyr_rps.setZero();
    }
  }
  return s;
}

TEST(RealData, GaitmapWalkingShoesWithoutGyroscope) {
  check_dataset("gaitmap acc-only", {datasets() / "gaitmap-walking" / "s5047_normal_20"}, 1,
                {.f1_min = 0.95, .cadence_mae_max_spm = 0.5, .contact_mae_max_ms = {}},
                without_gyroscope);
}

TEST(RealData, IpolWalkingShoesWithoutGyroscope) {
  check_dataset("ipol acc-only", sessions_under(datasets() / "ipol-walking"), 110,
                {.f1_min = 0.845, .cadence_mae_max_spm = 6.5, .contact_mae_max_ms = {}},
                without_gyroscope);
}

// Mounting-agnostic on real recordings: every foot sensor of both walking
// sets turned to a random orientation (seeded) gives the same steps. The
// engine finds the pitch axis, its sign and the horizontal from the data;
// nothing may depend on how the sensor happened to be strapped on.
TEST(RealData, WalkingStepsDoNotDependOnTheMounting) {
  if (!fs::is_directory(datasets())) GTEST_SKIP() << datasets() << " not present";
  std::vector<fs::path> sessions = sessions_under(datasets() / "ipol-walking");
  sessions.push_back(datasets() / "gaitmap-walking" / "s5047_normal_20");
  std::mt19937 rng(20261201);
  std::normal_distribution<double> normal;
  size_t steps = 0, same = 0, matched[2] = {0, 0}, detected[2] = {0, 0}, truth_n = 0;
  for (const fs::path& dir : sessions) {
    Warnings warnings;
    const Session as_recorded = load_session(dir, warnings);
    Session turned = as_recorded;
    for (SensorStream& s : turned.sensors) {
      const Eigen::Quaterniond q =
          Eigen::Quaterniond(normal(rng), normal(rng), normal(rng), normal(rng)).normalized();
      for (ImuSample& smp : s.samples) {
        smp.acc_mps2 = q * smp.acc_mps2;
        smp.gyr_rps = q * smp.gyr_rps;
      }
    }
    const GaitAnalysis a = analyze_gait(as_recorded);
    const GaitAnalysis b = analyze_gait(turned);
    steps += a.steps.size();
    for (const StepResult& x : a.steps) {
      same += std::any_of(b.steps.begin(), b.steps.end(), [&](const StepResult& y) {
        return y.event.side == x.event.side && std::abs(y.event.ic_us - x.event.ic_us) <= 5'000;
      });
    }
    const Truth truth = read_truth(truth_dir_for(dir));
    const std::vector<UnlabelledContact> unlabelled = read_unlabelled_contacts(dir);
    const EventEvaluation ea = evaluate_events(a.steps, *truth.events, unlabelled);
    const EventEvaluation eb = evaluate_events(b.steps, *truth.events, unlabelled);
    truth_n += ea.steps_true;
    matched[0] += ea.matched;
    matched[1] += eb.matched;
    detected[0] += ea.steps_detected;
    detected[1] += eb.steps_detected;
  }
  const auto f1 = [&](int k) {
    return 2.0 * static_cast<double>(matched[k]) / static_cast<double>(detected[k] + truth_n);
  };
  const double agree = static_cast<double>(same) / static_cast<double>(steps);
  std::printf(
      "[real] walking, sensors turned at random: %.2f %% of %zu steps within 5 ms of the "
      "as-recorded ones; F1 %.4f as recorded, %.4f turned\n",
      100.0 * agree, steps, f1(0), f1(1));
  EXPECT_GE(agree, 0.99);
  EXPECT_NEAR(f1(1), f1(0), 0.003);
}

// Other sample rates on real recordings: every sensor of the two sets
// recorded faster than 100 Hz, low-pass filtered and decimated the way a
// slower sensor would deliver it (a boxcar over the decimation factor, the
// samples' mean time as its time), must give about the same scores as at
// its own rate, down to about 50 Hz (below the 100 Hz, to show the
// margin). Nothing may be tuned to the rate a data set happens to have.
Session decimated(const Session& in, int factor) {
  Session out = in;
  for (SensorStream& s : out.sensors) {
    std::vector<ImuSample> kept;
    const std::vector<ImuSample>& all = s.samples;
    for (size_t i = 0; i + static_cast<size_t>(factor) <= all.size();
         i += static_cast<size_t>(factor)) {
      ImuSample m = all[i];
      m.acc_mps2.setZero();
      m.gyr_rps.setZero();
      int64_t t_sum = 0;
      for (int k = 0; k < factor; ++k) {
        const ImuSample& x = all[i + static_cast<size_t>(k)];
        m.acc_mps2 += x.acc_mps2;
        m.gyr_rps += x.gyr_rps;
        t_sum += x.t_us - all[i].t_us;
      }
      m.acc_mps2 /= factor;
      m.gyr_rps /= factor;
      m.t_us = all[i].t_us + t_sum / factor;
      kept.push_back(m);
    }
    s.samples = std::move(kept);
    s.info.set_nominal_rate_hz(s.info.nominal_rate_hz() / factor);
  }
  return out;
}

TEST(RealData, ScoresHoldAtLowerSampleRates) {
  if (!fs::is_directory(datasets())) GTEST_SKIP() << datasets() << " not present";
  struct Set {
    std::string name;
    std::vector<fs::path> sessions;
    std::vector<int> factors;
  };
  const std::vector<Set> sets = {
      {"gaitmap-walking", {datasets() / "gaitmap-walking" / "s5047_normal_20"}, {1, 2, 4}},
      {"sacrum-running", sessions_under(datasets() / "sacrum-running", "trial"), {1, 2, 5, 10}},
  };
  for (const Set& set : sets) {
    double native_f1 = 0.0, native_cadence = 0.0;
    for (int factor : set.factors) {
      size_t truth_n = 0, detected = 0, matched = 0, windows = 0;
      double cadence_sum = 0.0, ic_sum = 0.0, rate_hz = 0.0;
      for (const fs::path& dir : set.sessions) {
        Warnings warnings;
        const Session session = decimated(load_session(dir, warnings), factor);
        rate_hz = session.sensors.at(0).info.nominal_rate_hz();
        const EventEvaluation e =
            evaluate_events(analyze_gait(session).steps, *read_truth(truth_dir_for(dir)).events,
                            read_unlabelled_contacts(dir));
        truth_n += e.steps_true;
        detected += e.steps_detected;
        matched += e.matched;
        if (e.ic_mae_ms) ic_sum += *e.ic_mae_ms * static_cast<double>(e.matched);
        if (e.cadence_mae_spm) {
          cadence_sum += *e.cadence_mae_spm * static_cast<double>(e.cadence_windows);
          windows += e.cadence_windows;
        }
      }
      const double f1 =
          2.0 * static_cast<double>(matched) / static_cast<double>(truth_n + detected);
      const double cadence = cadence_sum / static_cast<double>(windows);
      std::printf(
          "[real] %s at %.1f Hz: %zu / %zu / %zu, F1 %.4f, IC error %.1f ms, cadence error %.2f "
          "spm\n",
          set.name.c_str(), rate_hz, truth_n, detected, matched, f1,
          ic_sum / static_cast<double>(matched), cadence);
      if (factor == 1) {
        native_f1 = f1;
        native_cadence = cadence;
        continue;
      }
      EXPECT_GE(f1, native_f1 - 0.01) << set.name << " at " << rate_hz << " Hz";
      EXPECT_LE(cadence, native_cadence + 0.2) << set.name << " at " << rate_hz << " Hz";
    }
  }
}

// The U-turns of ipol-walking are where turning steps (TurnStepFinder) are
// added to the segmenter's; those are released later than ordinary steps,
// so streaming must still give exactly the batch result, in IC order.
TEST(RealData, IpolStreamsLikeBatch) {
  if (!fs::is_directory(datasets())) GTEST_SKIP() << datasets() << " not present";
  size_t with_turn_steps = 0;
  // Decision delay: how long after its IC each step left the engine, in
  // seconds and in strides of its own foot (IC to the next IC of that foot).
  std::vector<double> delay_s;
  std::vector<double> delay_strides;
  std::vector<double>
      settled_strides;  ///< after each foot's first three steps (axis and sign found)
  for (const fs::path& dir : sessions_under(datasets() / "ipol-walking")) {
    SCOPED_TRACE(dir.string());
    Warnings warnings;
    const Session session = load_session(dir, warnings);
    const GaitAnalysis batch = analyze_gait(session);
    GaitEngine engine(test::engine_header(session));
    const test::Streamed live = test::stream_by_time(engine, session);
    ASSERT_EQ(batch.steps.size(), live.steps.size());
    EXPECT_TRUE(batch.steps == live.steps);
    for (size_t i = 1; i < live.steps.size(); ++i) {
      EXPECT_LE(live.steps[i - 1].event.ic_us, live.steps[i].event.ic_us) << i;
    }
    std::map<pb::Side, size_t> seen;
    for (size_t i = 0; i < live.steps.size(); ++i) {
      const DetectedStep& e = live.steps[i].event;
      const size_t nth = seen[e.side]++;
      if (live.emit_t_us[i] == INT64_MAX) continue;  // left at finish()
      const auto next =
          std::find_if(live.steps.begin() + static_cast<std::ptrdiff_t>(i) + 1, live.steps.end(),
                       [&](const StepResult& r) { return r.event.side == e.side; });
      if (next == live.steps.end()) continue;
      const double d = static_cast<double>(live.emit_t_us[i] - e.ic_us) * 1e-6;
      delay_s.push_back(d);
      delay_strides.push_back(d / (static_cast<double>(next->event.ic_us - e.ic_us) * 1e-6));
      if (nth >= 3) settled_strides.push_back(delay_strides.back());
    }
    with_turn_steps +=
        std::any_of(live.warnings.begin(), live.warnings.end(), [](const std::string& w) {
          return w.find("without a forward swing") != std::string::npos;
        });
  }
  std::printf("[real] ipol-walking: %zu of 110 sessions with turning steps\n", with_turn_steps);
  ASSERT_GT(delay_s.size(), 1000u);
  const auto quantile = [](std::vector<double> v, double q) {
    const auto k = static_cast<std::ptrdiff_t>(q * static_cast<double>(v.size() - 1));
    std::nth_element(v.begin(), v.begin() + k, v.end());
    return v[static_cast<size_t>(k)];
  };
  const auto over_one = [](const std::vector<double>& strides) {
    return static_cast<size_t>(
        std::count_if(strides.begin(), strides.end(), [](double d) { return d > 1.0; }));
  };
  std::printf(
      "[real] ipol-walking streamed, delay IC -> step out over %zu steps: median %.2f s (%.2f of "
      "its stride), p90 %.2f s (%.2f), max %.2f s (%.2f); %zu steps later than one stride\n",
      delay_s.size(), quantile(delay_s, 0.5), quantile(delay_strides, 0.5), quantile(delay_s, 0.9),
      quantile(delay_strides, 0.9), quantile(delay_s, 1.0), quantile(delay_strides, 1.0),
      over_one(delay_strides));
  std::printf(
      "[real] ipol-walking streamed, after each foot's first three steps: %zu steps, p90 %.2f "
      "strides, largest %.2f, %zu later than one stride\n",
      settled_strides.size(), quantile(settled_strides, 0.9), quantile(settled_strides, 1.0),
      over_one(settled_strides));
  // "At most one stride after the IC" does not hold for every step here
  // (the start of a walk, some turns; docs/ACCURACY.md). Guard what does: no
  // step waits for the walker to move on after a stop (10.2 s before the
  // standing fix); the longest waits, 2.53 s, are a walk's first steps,
  // which cannot leave before the foot's pitch axis and sign are found
  // (5.65 s while the sign waited for two stance votes).
  EXPECT_LT(quantile(delay_s, 1.0), 3.5);
  // A foot still standing while the other takes the first steps no longer
  // holds them back until its own axis is found (GyroStrideSegmenter::
  // undecided_horizon_us()): 122 steps later than one stride, 172 before.
  EXPECT_LE(over_one(delay_strides), 130u);
  // Nine steps in ten, first steps included, within a stride (0.93 strides;
  // 1.05 with the two-vote sign).
  EXPECT_LE(quantile(delay_strides, 0.9), 1.0);
  // Once a foot's axis and sign are known, nine steps in ten leave within a
  // stride of their contact (0.91 strides on 2026-12-01; 1.21 before the
  // horizon kept up with the clock after a stop or turn).
  EXPECT_LE(quantile(settled_strides, 0.9), 1.0);
  EXPECT_GT(with_turn_steps, 10u);
}

}  // namespace
}  // namespace gk
