// The knee stage (src/knee): the joint-angle decomposition and the hinge-axis
// fit against constructed oracles, accuracy of the knee sleeve on simulated
// runs with the simulator's truth (mounting, noise, bias, rates, speeds, an
// hour of running), the bad input the issue names (a sleeve that slips, the
// two sensors on different clocks, a missing thigh), live = batch, and the
// CLI exports.
#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <Eigen/Geometry>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <random>
#include <sstream>
#include <string>
#include <vector>

#include "cli_runner.hpp"
#include "hinge_axis.hpp"
#include "joint_angles.hpp"
#include "knee_evaluation.hpp"
#include "placement.hpp"
#include "runner_model.hpp"
#include "session_analysis.hpp"
#include "simulator.hpp"

namespace gk {
namespace {

namespace fs = std::filesystem;
using sim::Activity;

constexpr double kPi = 3.14159265358979323846;
double rad(double deg) { return deg * kPi / 180.0; }

Eigen::Matrix3d rot(const Eigen::Vector3d& axis, double deg) {
  return Eigen::AngleAxisd(rad(deg), axis.normalized()).toRotationMatrix();
}

// ---- Joint coordinate system --------------------------------------------------------------

TEST(KneeJointAngles, RecoverConstructedAnglesOnBothSides) {
  std::mt19937 rng(5);
  std::uniform_real_distribution<double> u(-1.0, 1.0);
  for (int i = 0; i < 200; ++i) {
    const Eigen::Matrix3d thigh = rot({u(rng), u(rng), u(rng)}, 180.0 * u(rng));
    const double flexion = 60.0 + 60.0 * u(rng);
    const double valgus = 15.0 * u(rng);
    const double internal = 20.0 * u(rng);
    for (const pb::Side side : {pb::LEFT, pb::RIGHT}) {
      const double s = side == pb::LEFT ? 1.0 : -1.0;
      // Left: valgus = +x, internal rotation = -z; the right leg mirrors both.
      const Eigen::Matrix3d shank = thigh * rot(Eigen::Vector3d::UnitY(), flexion) *
                                    rot(Eigen::Vector3d::UnitX(), s * valgus) *
                                    rot(Eigen::Vector3d::UnitZ(), -s * internal);
      const JointAngles a = knee_joint_angles(thigh, shank, side);
      EXPECT_NEAR(a.flexion_deg, flexion, 1e-9);
      EXPECT_NEAR(a.valgus_deg, valgus, 1e-9);
      EXPECT_NEAR(a.rotation_deg, internal, 1e-9);
    }
  }
}

// ---- Hinge axis -------------------------------------------------------------------------

/// Angular velocities of a pure hinge seen by two arbitrarily mounted sensors:
/// the thigh turns mostly about its flexion axis (y) with some ab/adduction
/// and axial rotation, the shank adds flexion about the same axis.
struct HingeData {
  std::vector<GyroPair> pairs;
  Eigen::Vector3d thigh_axis;  ///< y in the thigh sensor's frame
  Eigen::Vector3d shank_axis;
};

HingeData hinge_data(uint32_t seed) {
  std::mt19937 rng(seed);
  std::uniform_real_distribution<double> u(-1.0, 1.0);
  const Eigen::Matrix3d m1 = rot({u(rng), u(rng), u(rng)}, 40.0 * u(rng));  // sensor -> segment
  const Eigen::Matrix3d m2 = rot({u(rng), u(rng), u(rng)}, 40.0 * u(rng));
  HingeData d;
  d.thigh_axis = m1.transpose() * Eigen::Vector3d::UnitY();
  d.shank_axis = m2.transpose() * Eigen::Vector3d::UnitY();
  const double f = 2.8;  // stride frequency, Hz
  for (int i = 0; i < 4000; ++i) {
    const double t = i * 0.005;
    const double w = 2.0 * kPi * f * t;
    const Eigen::Vector3d thigh(0.8 * std::sin(w + 0.3), 6.0 * std::cos(w),
                                0.6 * std::sin(2.0 * w + 1.0));
    const double flexion = 0.5 * rad(90.0) * (1.0 - std::cos(w));
    const double flexion_rate = 0.5 * rad(90.0) * 2.0 * kPi * f * std::sin(w);
    // Shank = thigh * Ry(flexion): body rate R^T w_thigh + flexion_rate y.
    const Eigen::Matrix3d r = rot(Eigen::Vector3d::UnitY(), flexion * 180.0 / kPi);
    const Eigen::Vector3d shank = r.transpose() * thigh + flexion_rate * Eigen::Vector3d::UnitY();
    d.pairs.push_back({m1.transpose() * thigh, m2.transpose() * shank});
  }
  return d;
}

double angle_deg(const Eigen::Vector3d& a, const Eigen::Vector3d& b) {
  return std::acos(std::clamp(std::abs(a.normalized().dot(b.normalized())), 0.0, 1.0)) * 180.0 /
         kPi;
}

TEST(HingeAxis, ConstraintFitFindsTheAxesOfAPureHingeWhateverTheMounting) {
  for (uint32_t seed = 1; seed <= 5; ++seed) {
    const HingeData d = hinge_data(seed);
    HingeAxisSettings s;
    s.refine_with_constraint = true;
    const HingeAxes a = estimate_hinge_axes(d.pairs, s);
    ASSERT_TRUE(a.converged);
    EXPECT_LT(angle_deg(a.thigh_axis, d.thigh_axis), 0.05) << "seed " << seed;
    EXPECT_LT(angle_deg(a.shank_axis, d.shank_axis), 0.05) << "seed " << seed;
    EXPECT_LT(a.relative_residual, 1e-3);
    // Both point the same way (either both along +y or both along -y).
    EXPECT_GT(a.thigh_axis.dot(d.thigh_axis) * a.shank_axis.dot(d.shank_axis), 0.0);
  }
}

TEST(HingeAxis, PrincipalAxesAreCloseAndTheResidualSeesAWrongAxis) {
  const HingeData d = hinge_data(9);
  const HingeAxes a = estimate_hinge_axes(d.pairs);
  ASSERT_TRUE(a.converged);
  // The thigh's ab/adduction and rotation lean its principal axis a little.
  EXPECT_LT(angle_deg(a.thigh_axis, d.thigh_axis), 6.0);
  EXPECT_LT(angle_deg(a.shank_axis, d.shank_axis), 6.0);
  const Eigen::Vector3d wrong = rot(Eigen::Vector3d::UnitX(), 25.0) * d.shank_axis;
  EXPECT_GT(hinge_residual(d.pairs, d.thigh_axis, wrong).relative,
            5.0 * hinge_residual(d.pairs, d.thigh_axis, d.shank_axis).relative + 0.01);
}

TEST(HingeAxis, TooLittleMotionIsNotAnAxis) {
  std::vector<GyroPair> still(500,
                              GyroPair{Eigen::Vector3d(0.01, 0.0, 0.0), Eigen::Vector3d::Zero()});
  EXPECT_FALSE(estimate_hinge_axes(still).converged);
}

// ---- Simulated knee sleeves ---------------------------------------------------------------

struct SleeveCase {
  double speed_mps;
  double cadence_spm;
  double rate_hz;
  double mounting_deg;
  uint64_t seed;
};

sim::SimSettings sleeve_run(const SleeveCase& c, double run_s, double stand_s = 5.0) {
  sim::SimSettings s;
  s.seed = c.seed;
  s.runner.schedule.clear();
  if (stand_s > 0.0) s.runner.schedule.push_back({Activity::kStand, stand_s, 0.0, 0.0});
  s.runner.schedule.push_back({Activity::kRun, run_s, c.speed_mps, c.cadence_spm});
  s.runner.peak_valgus_left_deg = 7.0;
  s.runner.peak_valgus_right_deg = 3.0;
  s.sensors = sim::shank_sensors(c.rate_hz);
  for (const sim::SensorSettings& t : sim::thigh_sensors(c.rate_hz)) s.sensors.push_back(t);
  for (sim::SensorSettings& sensor : s.sensors)
    sensor.errors.mounting_rotation_max_deg = c.mounting_deg;
  return s;
}

/// Reference samples of one side in [t0, t1) against the estimate: RMSE and mean error.
struct WindowError {
  double valgus_rmse = 0.0;
  double valgus_mean = 0.0;
  double confidence = 0.0;
  size_t n = 0;
};

WindowError window_error(const std::vector<KneeAngleSample>& est,
                         const std::vector<TruthKnee>& truth, pb::Side side, double t0, double t1) {
  std::map<int64_t, const KneeAngleSample*> by_cs;  // centiseconds
  for (const KneeAngleSample& k : est) {
    if (k.side == side)
      by_cs[static_cast<int64_t>(std::llround(static_cast<double>(k.t_us) * 1e-4))] = &k;
  }
  WindowError w;
  double s2 = 0.0;
  for (const TruthKnee& k : truth) {
    if (k.side != side || k.t_s < t0 || k.t_s >= t1) continue;
    const auto it = by_cs.find(static_cast<int64_t>(std::llround(k.t_s * 100.0)));
    if (it == by_cs.end()) continue;
    const double e = it->second->angles.valgus_deg - k.valgus_deg;
    s2 += e * e;
    w.valgus_mean += e;
    w.confidence += it->second->confidence;
    ++w.n;
  }
  if (w.n > 0) {
    w.valgus_rmse = std::sqrt(s2 / static_cast<double>(w.n));
    w.valgus_mean /= static_cast<double>(w.n);
    w.confidence /= static_cast<double>(w.n);
  }
  return w;
}

bool has_finding(const std::vector<std::string>& warnings, const std::string& text) {
  for (const std::string& w : warnings) {
    if (w.find(text) != std::string::npos) return true;
  }
  return false;
}

TEST(KneeSleeveAccuracy, SimulatedRunsMeetTheTargets) {
  // Issue targets: valgus RMSE <= 1.5 deg, peak stance valgus error <= 1.5
  // deg, flexion RMSE <= 2 deg, with mounting rotations up to 30 deg and the
  // simulator's default noise and bias, across speeds and rates.
  const std::vector<SleeveCase> cases = {
      {3.2, 170.0, 200.0, 30.0, 1}, {3.2, 170.0, 200.0, 30.0, 2}, {2.5, 155.0, 100.0, 30.0, 3},
      {4.0, 178.0, 500.0, 30.0, 4}, {5.0, 185.0, 200.0, 30.0, 5}, {6.0, 195.0, 1000.0, 30.0, 6},
      {3.0, 165.0, 200.0, 0.0, 7},  {3.5, 180.0, 200.0, 15.0, 8},
  };
  for (const SleeveCase& c : cases) {
    const sim::SimResult r = sim::simulate(sleeve_run(c, 60.0));
    const GaitAnalysis a = analyze_gait(r.session);
    const KneeEvaluation e = evaluate_knee(a.knee, a.steps, *r.truth.knee);
    ASSERT_TRUE(e.valgus_rmse_deg && e.flexion_rmse_deg && e.peak_valgus_mae_deg);
    std::printf(
        "[knee] %.1f m/s %.0f spm %4.0f Hz mount %2.0f seed %llu: valgus RMSE %.2f, flexion RMSE "
        "%.2f, peak valgus MAE %.2f (max %.2f) over %zu steps, confidence %.2f\n",
        c.speed_mps, c.cadence_spm, c.rate_hz, c.mounting_deg,
        static_cast<unsigned long long>(c.seed), *e.valgus_rmse_deg, *e.flexion_rmse_deg,
        *e.peak_valgus_mae_deg, *e.peak_valgus_max_error_deg, e.steps_compared,
        e.mean_confidence.value_or(0.0));
    EXPECT_EQ(e.samples_compared, e.samples_true) << "angles for the whole session";
    EXPECT_LE(*e.valgus_rmse_deg, 1.5);
    EXPECT_LE(*e.peak_valgus_mae_deg, 1.5);
    EXPECT_LE(*e.flexion_rmse_deg, 2.0);
    EXPECT_GT(e.steps_compared, 80u);
    EXPECT_GT(e.mean_confidence.value_or(0.0), 0.5);
  }
}

TEST(KneeSleeveAccuracy, NoDriftOverAnHour) {
  const SleeveCase c{3.2, 170.0, 100.0, 30.0, 11};
  const sim::SimResult r = sim::simulate(sleeve_run(c, 3600.0));
  const GaitAnalysis a = analyze_gait(r.session);
  for (const pb::Side side : {pb::LEFT, pb::RIGHT}) {
    const WindowError first = window_error(a.knee, *r.truth.knee, side, 5.0, 305.0);
    const WindowError last = window_error(a.knee, *r.truth.knee, side, 3305.0, 3605.0);
    std::printf(
        "[knee hour] %s: first 5 min valgus RMSE %.2f (mean %.2f), last 5 min %.2f (mean %.2f)\n",
        side == pb::LEFT ? "left" : "right", first.valgus_rmse, first.valgus_mean, last.valgus_rmse,
        last.valgus_mean);
    ASSERT_GT(first.n, 25000u);
    ASSERT_GT(last.n, 25000u);
    EXPECT_LE(last.valgus_rmse, 1.5);
    EXPECT_LE(std::abs(last.valgus_mean - first.valgus_mean), 1.0);
  }
}

TEST(KneeSleeve, StreamedPacketByPacketGivesTheSameAnglesAndSteps) {
  const sim::SimResult r = sim::simulate(sleeve_run({3.4, 174.0, 200.0, 30.0, 21}, 30.0, 3.0));
  const GaitAnalysis batch = analyze_gait(r.session);
  // Live: packets of 20 samples, the thighs' packets arriving three packets
  // late, so the two halves of each sleeve interleave differently from batch.
  struct Chunk {
    int64_t arrival_us;
    size_t sensor;
    size_t first;
  };
  std::vector<Chunk> chunks;
  for (size_t i = 0; i < r.session.sensors.size(); ++i) {
    const auto& samples = r.session.sensors[i].samples;
    const bool thigh = segment_of(r.session.sensors[i].info.placement()) == Segment::kThigh;
    for (size_t k = 0; k < samples.size(); k += 20) {
      const size_t last = std::min(samples.size(), k + 20) - 1;
      chunks.push_back({samples[last].t_us + (thigh ? 300'000 : 0), i, k});
    }
  }
  std::stable_sort(chunks.begin(), chunks.end(),
                   [](const Chunk& a, const Chunk& b) { return a.arrival_us < b.arrival_us; });
  GaitEngine engine(r.session.header);
  std::vector<StepResult> steps;
  std::vector<KneeAngleSample> knee;
  for (const Chunk& c : chunks) {
    const auto& samples = r.session.sensors[c.sensor].samples;
    for (size_t k = c.first; k < std::min(samples.size(), c.first + 20); ++k) {
      engine.push(c.sensor, samples[k]);
      for (StepResult& s : engine.take()) steps.push_back(s);
    }
    for (KneeAngleSample& k : engine.take_knee()) knee.push_back(k);
  }
  engine.finish();
  for (StepResult& s : engine.take()) steps.push_back(s);
  for (KneeAngleSample& k : engine.take_knee()) knee.push_back(k);

  size_t with_knee = 0;
  for (const StepResult& s : batch.steps) with_knee += s.peak_valgus_deg.has_value() ? 1 : 0;
  EXPECT_GT(with_knee, 20u);
  EXPECT_TRUE(steps == batch.steps);
  auto by_side_time = [](std::vector<KneeAngleSample> v) {
    std::stable_sort(v.begin(), v.end(), [](const KneeAngleSample& a, const KneeAngleSample& b) {
      return std::pair(a.side, a.t_us) < std::pair(b.side, b.t_us);
    });
    return v;
  };
  EXPECT_TRUE(by_side_time(knee) == by_side_time(batch.knee));
}

/// The left shank sensor turns about the leg's long axis by angle_deg at t_s.
void slip_left_shank(sim::SimResult& r, const sim::SimSettings& settings, double t_s,
                     double angle_deg) {
  const std::vector<sim::SensorErrorDraw> draws = sim::draw_sensor_errors(settings);
  for (size_t i = 0; i < r.session.sensors.size(); ++i) {
    if (r.session.sensors[i].info.placement() != pb::LEFT_SHANK) continue;
    const Eigen::Vector3d long_axis = draws[i].mounting.conjugate() * Eigen::Vector3d::UnitZ();
    const Eigen::Matrix3d q = rot(long_axis, -angle_deg);
    for (ImuSample& s : r.session.sensors[i].samples) {
      if (static_cast<double>(s.t_us) * 1e-6 < t_s) continue;
      s.acc_mps2 = q * s.acc_mps2;
      s.gyr_rps = q * s.gyr_rps;
    }
  }
}

TEST(KneeSleeve, SlippedSleeveIsDetectedFlaggedAndRecalibrated) {
  const sim::SimSettings settings = sleeve_run({3.2, 170.0, 200.0, 20.0, 31}, 120.0);
  sim::SimResult r = sim::simulate(settings);
  slip_left_shank(r, settings, 60.0, 25.0);
  const GaitAnalysis a = analyze_gait(r.session);
  for (const std::string& w : a.warnings) std::printf("[knee slip] %s\n", w.c_str());
  EXPECT_TRUE(has_finding(a.warnings, "left knee: the calibration stopped fitting"));
  EXPECT_FALSE(has_finding(a.warnings, "right knee: the calibration stopped fitting"));
  const WindowError before = window_error(a.knee, *r.truth.knee, pb::LEFT, 40.0, 60.0);
  const WindowError slipped = window_error(a.knee, *r.truth.knee, pb::LEFT, 62.0, 70.0);
  const WindowError after = window_error(a.knee, *r.truth.knee, pb::LEFT, 105.0, 125.0);
  std::printf(
      "[knee slip] valgus RMSE before %.2f (conf %.2f), just after %.2f (conf %.2f), "
      "recalibrated %.2f (conf %.2f)\n",
      before.valgus_rmse, before.confidence, slipped.valgus_rmse, slipped.confidence,
      after.valgus_rmse, after.confidence);
  // Never a silent wrong angle: while the slip is unresolved its angles say so.
  EXPECT_LT(slipped.confidence, 0.6 * before.confidence);
  EXPECT_LE(after.valgus_rmse, 2.0);
  EXPECT_GT(after.confidence, 0.5);
}

TEST(KneeSleeve, SensorsOnDifferentClocksAreDetectedAndAligned) {
  const sim::SimSettings settings = sleeve_run({3.2, 170.0, 200.0, 30.0, 41}, 60.0);
  sim::SimResult r = sim::simulate(settings);
  for (SensorStream& s : r.session.sensors) {
    if (segment_of(s.info.placement()) != Segment::kThigh) continue;
    for (ImuSample& x : s.samples) x.t_us += 80'000;  // thigh clock 80 ms ahead
  }
  const GaitAnalysis a = analyze_gait(r.session);
  for (const std::string& w : a.warnings) std::printf("[knee clocks] %s\n", w.c_str());
  // Found within the constraint's resolution over 10 s of running (~10 ms).
  for (const char* side : {"left", "right"}) {
    const std::string key = std::string(side) + " knee: thigh and shank clocks differ by ";
    double lag_ms = 0.0;
    for (const std::string& w : a.warnings) {
      if (w.find(key) != std::string::npos) lag_ms = std::stod(w.substr(w.find(key) + key.size()));
    }
    EXPECT_NEAR(lag_ms, 80.0, 15.0) << side;
  }
  const KneeEvaluation e = evaluate_knee(a.knee, a.steps, *r.truth.knee);
  ASSERT_TRUE(e.valgus_rmse_deg.has_value());
  std::printf("[knee clocks] valgus RMSE %.2f, flexion RMSE %.2f, confidence %.2f\n",
              *e.valgus_rmse_deg, e.flexion_rmse_deg.value_or(0.0),
              e.mean_confidence.value_or(0.0));
  EXPECT_LE(*e.valgus_rmse_deg, 1.5);
  EXPECT_LE(*e.flexion_rmse_deg, 2.5);
}

TEST(KneeSleeve, LargeValgusWithoutAClockOffsetIsNotTakenForOne) {
  // 12 deg of stance valgus makes the hinge residual shallow; its minimum
  // over lag must not be reported as a clock offset (the demo's runner).
  sim::SimSettings s = sleeve_run({3.0, 164.0, 200.0, 30.0, 7}, 90.0);
  s.runner.peak_valgus_left_deg = 12.0;
  s.runner.knee_flexion_ic_deg = 6.0;
  const sim::SimResult r = sim::simulate(s);
  const GaitAnalysis a = analyze_gait(r.session);
  EXPECT_FALSE(has_finding(a.warnings, "clocks differ"));
  const KneeEvaluation e = evaluate_knee(a.knee, a.steps, *r.truth.knee);
  std::printf("[knee 12 deg] valgus RMSE %.2f, flexion RMSE %.2f, peak valgus MAE %.2f\n",
              e.valgus_rmse_deg.value_or(-1.0), e.flexion_rmse_deg.value_or(-1.0),
              e.peak_valgus_mae_deg.value_or(-1.0));
  EXPECT_LE(e.valgus_rmse_deg.value_or(1e9), 1.5);
  EXPECT_LE(e.peak_valgus_mae_deg.value_or(1e9), 1.5);
  EXPECT_LE(e.flexion_rmse_deg.value_or(1e9), 2.0);
}

TEST(KneeSleeve, MissingThighMeansNoValgusClaimed) {
  sim::SimResult r = sim::simulate(sleeve_run({3.2, 170.0, 200.0, 30.0, 51}, 30.0));
  // Drop the left thigh from the session and its header.
  Session s;
  s.header = r.session.header;
  s.header.clear_sensors();
  for (const SensorStream& x : r.session.sensors) {
    if (x.info.placement() == pb::LEFT_THIGH) continue;
    *s.header.add_sensors() = x.info;
    s.sensors.push_back(x);
  }
  const GaitAnalysis a = analyze_gait(s);
  EXPECT_TRUE(has_finding(a.warnings, "left knee: a shank sensor but no thigh sensor"));
  size_t left = 0, right = 0;
  for (const KneeAngleSample& k : a.knee) (k.side == pb::LEFT ? left : right)++;
  EXPECT_EQ(left, 0u);
  EXPECT_GT(right, 2000u);
  size_t left_steps = 0;
  for (const StepResult& st : a.steps) {
    if (st.event.side == pb::LEFT) {
      ++left_steps;
      EXPECT_FALSE(st.peak_valgus_deg.has_value());
    }
  }
  EXPECT_GT(left_steps, 20u) << "the left foot's steps are still found, without valgus";
}

TEST(KneeSleeve, AThighStreamThatStopsIsFlaggedAndStepsStillFlow) {
  sim::SimResult r = sim::simulate(sleeve_run({3.2, 170.0, 200.0, 30.0, 55}, 60.0));
  for (SensorStream& s : r.session.sensors) {
    if (s.info.placement() != pb::LEFT_THIGH) continue;
    std::erase_if(s.samples, [](const ImuSample& x) { return x.t_us > 40'000'000; });
  }
  const GaitAnalysis a = analyze_gait(r.session);
  EXPECT_TRUE(has_finding(a.warnings, "left knee: thigh stream stopped at 40.0 s"));
  int64_t last_left_knee = 0;
  for (const KneeAngleSample& k : a.knee) {
    if (k.side == pb::LEFT) last_left_knee = std::max(last_left_knee, k.t_us);
  }
  EXPECT_LE(last_left_knee, 40'000'000);
  // Steps are not held back by the silent thigh: they keep coming to the end.
  size_t late_left = 0;
  for (const StepResult& st : a.steps) {
    if (st.event.side == pb::LEFT && st.event.ic_us > 50'000'000) {
      ++late_left;
      EXPECT_FALSE(st.peak_valgus_deg.has_value());
    }
  }
  EXPECT_GT(late_left, 20u);
}

TEST(KneeSleeve, WithoutAStandingPoseItSaysSoAndLowersConfidence) {
  const sim::SimResult r = sim::simulate(sleeve_run({3.2, 170.0, 200.0, 30.0, 61}, 40.0, 0.0));
  const GaitAnalysis a = analyze_gait(r.session);
  EXPECT_TRUE(has_finding(a.warnings, "without a standing pose"));
  // The sensors start in motion: tilt comes from the first 2 s of it, and that stretch says so.
  EXPECT_TRUE(has_finding(a.warnings, "from the motion the data started with"));
  const KneeEvaluation e = evaluate_knee(a.knee, a.steps, *r.truth.knee);
  ASSERT_TRUE(e.mean_confidence.has_value());
  std::printf("[knee no stand] valgus RMSE %.2f, flexion RMSE %.2f, confidence %.2f\n",
              e.valgus_rmse_deg.value_or(0.0), e.flexion_rmse_deg.value_or(0.0),
              *e.mean_confidence);
  EXPECT_LT(*e.mean_confidence, 0.4);
}

// Without a standing pose the flexion zero comes from an extreme percentile of the flexion the
// calibration's data show (KneeSleeve::settle_sign). After lost packets a segment's tilt is
// re-checked for 2 s and is meanwhile off by what the hole missed: that stretch moved the
// percentile, and with it every angle for the rest of the session. Such samples are left out of
// it now. Lost left-shank packets (one, or two 0.3 s apart) at several times before the
// calibration; the left knee's flexion bias from 15 s on, against the run without them.
TEST(KneeSleeve, LostPacketsWhileItCalibratesLeaveItsFlexionZeroAlone) {
  const sim::SimResult r = sim::simulate(sleeve_run({3.2, 170.0, 200.0, 30.0, 61}, 40.0, 0.0));
  std::vector<TruthKnee> left_truth;
  for (const TruthKnee& k : *r.truth.knee) {
    if (k.side == pb::LEFT && k.t_s >= 15.0) left_truth.push_back(k);
  }
  const auto left_flexion_bias = [&](const Session& session) {
    const GaitAnalysis a = analyze_gait(session);
    std::vector<KneeAngleSample> left;
    for (const KneeAngleSample& k : a.knee) {
      if (k.side == pb::LEFT) left.push_back(k);
    }
    const KneeEvaluation e = evaluate_knee(left, a.steps, left_truth);
    EXPECT_GT(e.samples_compared, 2000u);
    return e.flexion_bias_deg.value_or(1e9);
  };
  const double clean = left_flexion_bias(r.session);
  double largest = 0.0;
  for (const double at_s : {3.0, 5.0, 6.2, 7.0, 8.0, 9.0, 10.0, 11.0}) {
    for (const double second_s : {0.0, 0.3}) {
      Session holed = r.session;
      for (SensorStream& stream : holed.sensors) {
        if (stream.info.placement() != pb::LEFT_SHANK) continue;
        std::erase_if(stream.samples, [&](const ImuSample& x) {
          const double t = static_cast<double>(x.t_us) * 1e-6;
          return (t >= at_s && t < at_s + 0.1) ||
                 (second_s > 0.0 && t >= at_s + second_s && t < at_s + second_s + 0.1);
        });
      }
      largest = std::max(largest, std::abs(left_flexion_bias(holed) - clean));
    }
  }
  // With the re-checked samples in the percentile: 23.5 deg (two holes at 9.0 and 9.3 s).
  std::printf(
      "[knee holes while calibrating] left flexion bias %.2f deg without holes; lost packets "
      "move it by %.2f deg at most\n",
      clean, largest);
  EXPECT_LT(largest, 8.0);
}

TEST(TibialInclination, ShankOnlyMatchesTheSimulatedTibiaAndClaimsNoValgus) {
  sim::SimSettings s = sleeve_run({3.2, 170.0, 200.0, 30.0, 71}, 60.0);
  s.sensors = sim::shank_sensors(200.0);
  for (sim::SensorSettings& x : s.sensors) x.errors.mounting_rotation_max_deg = 30.0;
  const sim::SimResult r = sim::simulate(s);
  const GaitAnalysis a = analyze_gait(r.session);
  EXPECT_TRUE(a.knee.empty()) << "no knee angles without thigh sensors";
  EXPECT_TRUE(has_finding(a.warnings, "left knee: a shank sensor but no thigh sensor"));
  EXPECT_TRUE(has_finding(a.warnings, "inclination is reported instead"));
  // Oracle: the same frontal-plane lean computed from the simulator's true
  // shank pose at each step's initial contact.
  const sim::RunnerModel model(s.runner);
  double sum2 = 0.0;
  size_t n = 0;
  for (const StepResult& st : a.steps) {
    EXPECT_FALSE(st.peak_valgus_deg.has_value());
    if (!st.tibial_inclination_ic_deg) continue;
    const pb::Placement p = st.event.side == pb::LEFT ? pb::LEFT_SHANK : pb::RIGHT_SHANK;
    const Eigen::Matrix3d w =
        model.pose(p, static_cast<double>(st.event.ic_us) * 1e-6).orientation.toRotationMatrix();
    Eigen::Vector3d lateral = w.col(1);
    lateral.z() = 0.0;
    const double mirror = st.event.side == pb::RIGHT ? -1.0 : 1.0;
    const double truth = -mirror * std::asin(w.col(2).dot(lateral.normalized())) * 180.0 / kPi;
    const double e = *st.tibial_inclination_ic_deg - truth;
    sum2 += e * e;
    ++n;
  }
  ASSERT_GT(n, 80u);
  const double rmse = std::sqrt(sum2 / static_cast<double>(n));
  std::printf("[tibia] inclination at IC: RMSE %.2f deg over %zu steps\n", rmse, n);
  EXPECT_LE(rmse, 1.5);
}

TEST(PelvicDrop, MatchesTheSimulatedDropPerStepOnBothSides) {
  for (const double drop : {0.0, 3.0, 6.0}) {
    sim::SimSettings s = sleeve_run({3.4, 172.0, 200.0, 30.0, 81}, 60.0);
    s.runner.pelvic_drop_deg = drop;
    s.sensors = sim::feet_sensors(200.0);
    for (const sim::SensorSettings& p : sim::pelvis_sensors(200.0)) s.sensors.push_back(p);
    for (sim::SensorSettings& x : s.sensors) x.errors.mounting_rotation_max_deg = 30.0;
    const sim::SimResult r = sim::simulate(s);
    const GaitAnalysis a = analyze_gait(r.session);
    EXPECT_TRUE(has_finding(a.warnings, "pelvis: frame calibrated"));
    double sum[2] = {0.0, 0.0};
    size_t n[2] = {0, 0};
    for (const StepResult& st : a.steps) {
      if (!st.pelvic_drop_deg) continue;
      const size_t k = st.event.side == pb::LEFT ? 0 : 1;
      sum[k] += *st.pelvic_drop_deg;
      ++n[k];
      EXPECT_NEAR(*st.pelvic_drop_deg, drop, 1.0) << "step at " << st.event.ic_us;
    }
    std::printf(
        "[pelvis] simulated drop %.1f deg: mean left-stance %.2f (%zu steps), "
        "right-stance %.2f (%zu steps)\n",
        drop, sum[0] / static_cast<double>(n[0]), n[0], sum[1] / static_cast<double>(n[1]), n[1]);
    ASSERT_GT(n[0], 60u);
    ASSERT_GT(n[1], 60u);
    EXPECT_NEAR(sum[0] / static_cast<double>(n[0]), drop, 0.5);
    EXPECT_NEAR(sum[1] / static_cast<double>(n[1]), drop, 0.5);
  }
}

TEST(HipAdduction, PeakStanceAdductionMatchesTheSimulatedHip) {
  sim::SimSettings s = sleeve_run({3.4, 172.0, 200.0, 30.0, 83}, 60.0);
  s.sensors = sim::feet_sensors(200.0);
  for (const sim::SensorSettings& p : sim::thigh_sensors(200.0)) s.sensors.push_back(p);
  for (const sim::SensorSettings& p : sim::pelvis_sensors(200.0)) s.sensors.push_back(p);
  for (sim::SensorSettings& x : s.sensors) x.errors.mounting_rotation_max_deg = 30.0;
  const sim::SimResult r = sim::simulate(s);
  const GaitAnalysis a = analyze_gait(r.session);
  // Oracle: the same Cardan decomposition of the simulator's true pelvis and
  // thigh poses, peak over the same stance window.
  const sim::RunnerModel model(s.runner);
  double sum2 = 0.0, est_sum = 0.0, true_sum = 0.0;
  size_t n = 0;
  for (const StepResult& st : a.steps) {
    if (!st.peak_hip_adduction_deg) continue;
    const pb::Placement thigh = st.event.side == pb::LEFT ? pb::LEFT_THIGH : pb::RIGHT_THIGH;
    const double mirror = st.event.side == pb::RIGHT ? -1.0 : 1.0;
    const double ic = static_cast<double>(st.event.ic_us) * 1e-6;
    // Without a toe-off (the last contact of the data) the engine takes a
    // default stance, and so does the oracle.
    const double end = st.event.to_us ? static_cast<double>(*st.event.to_us) * 1e-6
                                      : ic + KneeStageSettings{}.default_stance_ms * 1e-3;
    double peak = -1e9;
    for (double t = ic; t <= end; t += 0.005) {
      const Eigen::Matrix3d p = model.pose(pb::PELVIS, t).orientation.toRotationMatrix();
      const Eigen::Matrix3d th = model.pose(thigh, t).orientation.toRotationMatrix();
      const Eigen::Matrix3d rel = p.transpose() * th;
      peak = std::max(peak, -mirror * std::asin(-rel(1, 2)) * 180.0 / kPi);
    }
    const double e = *st.peak_hip_adduction_deg - peak;
    sum2 += e * e;
    est_sum += *st.peak_hip_adduction_deg;
    true_sum += peak;
    ++n;
  }
  ASSERT_GT(n, 80u);
  const double rmse = std::sqrt(sum2 / static_cast<double>(n));
  std::printf(
      "[hip] peak stance hip adduction: mean %.2f deg (true %.2f), RMSE %.2f over %zu steps\n",
      est_sum / static_cast<double>(n), true_sum / static_cast<double>(n), rmse, n);
  EXPECT_LE(rmse, 2.0);
}

TEST(PelvicDrop, APelvisAloneCannotTellSidesAndSaysSo) {
  sim::SimSettings s = sleeve_run({3.4, 172.0, 200.0, 30.0, 82}, 30.0);
  s.sensors = sim::pelvis_sensors(200.0);
  const GaitAnalysis a = analyze_gait(sim::simulate(s).session);
  EXPECT_TRUE(has_finding(a.warnings, "pelvis: no pelvic drop"));
  EXPECT_GT(a.steps.size(), 60u) << "the pelvis' steps are found, without a drop";
  for (const StepResult& st : a.steps) EXPECT_FALSE(st.pelvic_drop_deg.has_value());
}

// ---- CLI ----------------------------------------------------------------------------------

using test::CliRun;
using test::slurp;

CliRun run_cli(const std::string& args, const fs::path& dir) {
  return test::run_program(GK_EXE, args, dir / "stdout.txt", dir / "stderr.txt");
}

fs::path scratch_dir() {
  const fs::path dir = fs::temp_directory_path() / ("gk_knee_test_" + std::to_string(::getpid()));
  fs::create_directories(dir);
  return dir;
}

TEST(KneeCli, AnalyzeWritesTheKneeCsvAndEvaluateScoresIt) {
  const fs::path dir = scratch_dir();
  const fs::path session = fs::path(GK_SOURCE_DIR) / "datasets" / "sim_run_sleeve_200hz.gkr";
  const fs::path csv = dir / "knee.csv";
  const CliRun a = run_cli("analyze " + session.string() + " --knee-csv " + csv.string(), dir);
  ASSERT_EQ(a.rc, 0) << a.err;
  std::istringstream lines(slurp(csv));
  std::string line;
  ASSERT_TRUE(std::getline(lines, line));
  EXPECT_EQ(line, "t,side,valgus_deg,flexion_deg,confidence");
  size_t rows = 0;
  std::map<char, size_t> sides;
  while (std::getline(lines, line)) {
    ++rows;
    EXPECT_EQ(std::count(line.begin(), line.end(), ','), 4) << line;
    const size_t c1 = line.find(',');
    sides[line[c1 + 1]]++;
    const double confidence = std::stod(line.substr(line.rfind(',') + 1));
    EXPECT_GE(confidence, 0.0);
    EXPECT_LE(confidence, 1.0);
  }
  EXPECT_GT(sides['L'], 1000u);
  EXPECT_GT(sides['R'], 1000u);
  EXPECT_EQ(rows, sides['L'] + sides['R']);

  const CliRun e = run_cli("evaluate " + session.string(), dir);
  ASSERT_EQ(e.rc, 0) << e.err;
  const nlohmann::json j = nlohmann::json::parse(e.out);
  ASSERT_TRUE(j.contains("knee")) << e.out;
  std::printf("[knee cli] %s\n", j["knee"].dump().c_str());
  EXPECT_LE(j["knee"]["valgus_rmse_deg"].get<double>(), 1.5);
  EXPECT_LE(j["knee"]["flexion_rmse_deg"].get<double>(), 2.0);
  EXPECT_LE(j["knee"]["peak_valgus_mae_deg"].get<double>(), 1.5);
  EXPECT_GT(j["knee"]["steps_compared"].get<int>(), 10);
  fs::remove_all(dir);
}

TEST(KneeCli, KneeCsvForTwoSessionsIsRefused) {
  const fs::path dir = scratch_dir();
  const fs::path session = fs::path(GK_SOURCE_DIR) / "datasets" / "sim_run_sleeve_200hz.gkr";
  const CliRun a = run_cli("analyze " + session.string() + " " + session.string() + " --knee-csv " +
                               (dir / "k.csv").string(),
                           dir);
  EXPECT_EQ(a.rc, 2);
  EXPECT_NE(a.err.find("--knee-csv needs exactly one session"), std::string::npos) << a.err;
  EXPECT_FALSE(fs::exists(dir / "k.csv"));
  fs::remove_all(dir);
}

}  // namespace
}  // namespace gk
