// Realism and contract of the synthetic runner (src/sim): its gyroscope and
// accelerometer agree with its own pose truth, the truth events are exact,
// and the sensor error model does what its settings say.
#include <gtest/gtest.h>
#include <unistd.h>

#include <Eigen/Geometry>
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <map>
#include <numbers>

#include "impact.hpp"
#include "placement.hpp"
#include "simulator.hpp"

namespace gk::sim {
namespace {

constexpr double kRadToDeg = 180.0 / std::numbers::pi;

RunnerSettings running(double duration_s, double cadence_spm = 170.0) {
  RunnerSettings r;
  r.schedule = {{Activity::kRun, duration_s, 3.2, cadence_spm}};
  return r;
}

RunnerSettings stand_walk_run() {
  RunnerSettings r;
  r.schedule = {{Activity::kStand, 3.0, 0.0, 0.0},
                {Activity::kWalk, 6.0, 1.4, 112.0},
                {Activity::kRun, 11.0, 3.0, 172.0}};
  return r;
}

double angle_deg(const Eigen::Quaterniond& a, const Eigen::Quaterniond& b) {
  return a.angularDistance(b) * kRadToDeg;
}

/// Integrates body rates sampled at `rate_hz` (trapezoid plus the classic
/// two-sample coning correction) and returns the largest orientation error
/// against the model over the run.
double gyro_integration_error_deg(const RunnerModel& model, pb::Placement p, double rate_hz) {
  const double dt = 1.0 / rate_hz;
  const auto n = static_cast<int>(std::floor(model.duration_s() * rate_hz)) - 1;
  Eigen::Quaterniond q = model.pose(p, 0.0).orientation;
  Eigen::Vector3d w_prev = model.ideal_imu(p, 0.0).gyr_rps;
  double worst = 0.0;
  for (int k = 1; k <= n; ++k) {
    const double t = k * dt;
    const Eigen::Vector3d w = model.ideal_imu(p, t).gyr_rps;
    const Eigen::Vector3d rot = 0.5 * (w_prev + w) * dt + w_prev.cross(w) * dt * dt / 12.0;
    const double angle = rot.norm();
    if (angle > 0.0) q = q * Eigen::Quaterniond(Eigen::AngleAxisd(angle, rot / angle));
    q.normalize();
    w_prev = w;
    worst = std::max(worst, angle_deg(q, model.pose(p, t).orientation));
  }
  return worst;
}

TEST(SimRealism, IntegratedGyroReproducesOrientationAt1kHz) {
  const RunnerModel model(stand_walk_run());
  for (pb::Placement p : {pb::LEFT_FOOT, pb::RIGHT_SHANK, pb::LEFT_THIGH, pb::PELVIS}) {
    EXPECT_LT(gyro_integration_error_deg(model, p, 1000.0), 0.05) << placement_name(p);
  }
}

TEST(SimRealism, IntegratedGyroReproducesOrientationAt100Hz) {
  const RunnerModel model(stand_walk_run());
  for (pb::Placement p : {pb::LEFT_FOOT, pb::RIGHT_SHANK, pb::PELVIS}) {
    EXPECT_LT(gyro_integration_error_deg(model, p, 100.0), 1.5) << placement_name(p);
  }
}

TEST(SimRealism, SensorAtRestReadsOneG) {
  const RunnerModel model(stand_walk_run());
  for (int pi = pb::LEFT_FOOT; pi <= pb::PELVIS; ++pi) {
    const auto p = static_cast<pb::Placement>(pi);
    // Standing until the walk blends in at 2 s; the first step's swing may
    // start up to about a step earlier.
    for (double t = 0.0; t < 1.0; t += 0.01) {
      const ImuReading r = model.ideal_imu(p, t);
      EXPECT_NEAR(r.acc_mps2.norm(), kGravity_mps2, 1e-6) << placement_name(p) << " t=" << t;
      EXPECT_LT(r.gyr_rps.norm(), 1e-9);
    }
  }
  // The recorded stream too (quantised; noise off, mounting on).
  SimSettings s;
  s.runner = stand_walk_run();
  s.sensors = shoe_and_sleeve_sensors(200.0);
  for (auto& sensor : s.sensors) {
    sensor.errors = ideal_errors();
    sensor.errors.mounting_rotation_max_deg = 30.0;
  }
  const SimResult result = simulate(s);
  for (const SensorStream& stream : result.session.sensors) {
    for (const ImuSample& sample : stream.samples) {
      if (sample.t_us > 1'000'000) break;
      EXPECT_NEAR(sample.acc_mps2.norm(), kGravity_mps2, 0.005 * kGravity_mps2);
    }
  }
}

TEST(SimRealism, FootIsStillInMidStance) {
  const RunnerModel model(stand_walk_run());
  int flat_samples = 0;
  for (pb::Side side : {pb::LEFT, pb::RIGHT}) {
    const pb::Placement foot = side == pb::LEFT ? pb::LEFT_FOOT : pb::RIGHT_FOOT;
    for (double t = 3.5; t < model.duration_s(); t += 0.001) {
      // The kinematics difference over +-1e-4 s: all of it must be flat.
      if (!model.foot_flat(side, t - 2e-4) || !model.foot_flat(side, t + 2e-4)) continue;
      ++flat_samples;
      const SegmentKinematics k = model.kinematics(foot, t);
      ASSERT_LT(k.velocity_mps.norm(), 1e-9) << "t=" << t;
      ASSERT_LT(k.angular_velocity_rps.norm(), 1e-9) << "t=" << t;
      ASSERT_NEAR(k.pose.position_m.z(), 0.07, 1e-9);  // sensor site height, sole on the ground
      const ImuReading r = RunnerModel::ideal_imu(k);
      ASSERT_NEAR(r.acc_mps2.norm(), kGravity_mps2, 1e-6);
      ASSERT_TRUE(model.stance_fraction(side, t).has_value());
    }
  }
  EXPECT_GT(flat_samples, 2000);
}

TEST(SimRealism, FootHasRealisticSwingAndContact) {
  for (auto strike :
       {FootStrikePattern::kHeel, FootStrikePattern::kMid, FootStrikePattern::kFore}) {
    RunnerSettings r = running(12.0);
    r.foot_strike = strike;
    const RunnerModel model(r);
    double peak_swing_dps = 0.0;
    double peak_stance_accel_g = 0.0;
    for (double t = 4.0; t < 8.0; t += 0.0005) {
      const ImuReading imu = model.ideal_imu(pb::LEFT_FOOT, t);
      if (model.stance_fraction(pb::LEFT, t)) {
        peak_stance_accel_g = std::max(peak_stance_accel_g, imu.acc_mps2.norm() / kGravity_mps2);
      } else {
        peak_swing_dps = std::max(peak_swing_dps, std::abs(imu.gyr_rps.y()) * kRadToDeg);
      }
    }
    EXPECT_GT(peak_swing_dps, 550.0);
    EXPECT_LT(peak_swing_dps, 1100.0);
    EXPECT_GT(peak_stance_accel_g, 4.0);  // impact transient
    EXPECT_LT(peak_stance_accel_g, 16.0);
    // Foot pitch at initial contact: toes up for heel strike, down for fore.
    for (const TruthEvent& e : model.events()) {
      if (e.side != pb::LEFT || e.ic_s < 3.0) continue;
      const Eigen::Vector3d toes =
          model.pose(pb::LEFT_FOOT, e.ic_s).orientation * Eigen::Vector3d::UnitX();
      const double pitch_up_deg = std::asin(toes.z()) * kRadToDeg;
      const double expected_deg = strike == FootStrikePattern::kHeel  ? 16.0
                                  : strike == FootStrikePattern::kMid ? 3.0
                                                                      : -8.0;
      EXPECT_NEAR(pitch_up_deg, expected_deg, 1.5);
    }
  }
}

TEST(SimRealism, AccelerometerDoubleIntegratesToPosition) {
  const RunnerModel model(stand_walk_run());
  const double dt = 0.001;
  for (pb::Placement p : {pb::LEFT_FOOT, pb::RIGHT_SHANK, pb::LEFT_THIGH, pb::PELVIS}) {
    for (double t0 : {5.0, 12.3, 17.85}) {
      const SegmentKinematics k0 = model.kinematics(p, t0);
      Eigen::Vector3d pos = k0.pose.position_m;
      Eigen::Vector3d vel = k0.velocity_mps;
      auto world_accel = [&](double t) {
        const SegmentKinematics k = model.kinematics(p, t);
        const ImuReading r = RunnerModel::ideal_imu(k);
        return Eigen::Vector3d(k.pose.orientation * r.acc_mps2 -
                               Eigen::Vector3d(0.0, 0.0, kGravity_mps2));
      };
      Eigen::Vector3d a_prev = world_accel(t0);
      for (int i = 1; i <= 500; ++i) {
        const Eigen::Vector3d a = world_accel(t0 + i * dt);
        const Eigen::Vector3d v_next = vel + 0.5 * (a_prev + a) * dt;
        pos += vel * dt + (a_prev / 3.0 + a / 6.0) * dt * dt;
        vel = v_next;
        a_prev = a;
      }
      const Eigen::Vector3d truth = model.pose(p, t0 + 0.5).position_m;
      EXPECT_LT((pos - truth).norm(), 0.003) << placement_name(p) << " from t=" << t0;
    }
  }
}

// Keyframes and bounds that move while a start or a walk-to-run change reshapes the stride must
// bend every segment's path smoothly. A corner (a hard max or cap, the slope limiter's branches)
// is a step in velocity or angular velocity: sampled within 0.1 ms of it, the accelerometer read
// a one-sample spike of 5-40 g (a shoe 104 ms before its first landing, the trunk and both legs
// 20 ms into the walk-to-run change), and at 833 Hz the shoe took that spike for the landing.
TEST(SimRealism, StartsAndTransitionsBendEverySegmentSmoothly) {
  struct Case {
    std::vector<Stretch> schedule;
    FootStrikePattern strike;
    double from_s, to_s;
  };
  const std::vector<Case> cases{
      {{{Activity::kStand, 3.0, 0.0, 0.0}, {Activity::kRun, 4.0, 4.7, 183.0}},
       FootStrikePattern::kFore,
       2.9,
       4.6},
      {{{Activity::kStand, 3.0, 0.0, 0.0}, {Activity::kRun, 4.0, 4.0, 170.0}},
       FootStrikePattern::kHeel,
       2.9,
       4.6},
      {{{Activity::kStand, 2.0, 0.0, 0.0},
        {Activity::kWalk, 4.0, 1.4, 110.0},
        {Activity::kRun, 4.0, 3.5, 175.0}},
       FootStrikePattern::kFore,
       5.8,
       7.2},
  };
  // Step 20 us: a corner shows as a sample off the mean of its neighbours by half its step. The
  // smooth motion (landings included) stays under 0.6 m/s^2 and 0.005 rad/s there.
  constexpr double kStep_s = 2e-5;
  for (const Case& c : cases) {
    RunnerSettings r;
    r.schedule = c.schedule;
    r.foot_strike = c.strike;
    const RunnerModel model(r);
    std::array<double, 8> worst_acc{}, worst_gyr{};
    auto prev2 = model.body_kinematics(c.from_s);
    auto prev = model.body_kinematics(c.from_s + kStep_s);
    for (double t = c.from_s + 2 * kStep_s; t < c.to_s; t += kStep_s) {
      const auto now = model.body_kinematics(t);
      for (std::size_t p = 1; p < now.size(); ++p) {
        const double acc = (prev[p].acceleration_mps2 -
                            0.5 * (prev2[p].acceleration_mps2 + now[p].acceleration_mps2))
                               .norm();
        const double gyr = (prev[p].angular_velocity_rps -
                            0.5 * (prev2[p].angular_velocity_rps + now[p].angular_velocity_rps))
                               .norm();
        worst_acc[p] = std::max(worst_acc[p], acc);
        worst_gyr[p] = std::max(worst_gyr[p], gyr);
      }
      prev2 = prev;
      prev = now;
    }
    for (std::size_t p = 1; p < worst_acc.size(); ++p) {
      const std::string what = std::string(placement_name(static_cast<pb::Placement>(p))) +
                               " from " + std::to_string(c.from_s) + " s";
      EXPECT_LT(worst_acc[p], 5.0) << what;
      EXPECT_LT(worst_gyr[p], 0.05) << what;
    }
  }
}

// A swing's path is planned from its toe-off to its contact and does not move while the foot is in
// the air. Built from the shape of each moment, it moved with every change of shape in a walk into
// a forefoot run: the contact's pitch passes through flat there, its slope (bound by its secant to
// flat) went to zero within 3 ms, and the whole path bent with it, 50 ms before the contact: a
// pulse of 118 m/s^2 in the acceleration's change from one millisecond to the next, which a
// 200 Hz shoe took for its landing. A steady swing changes by under 7 m/s^2 there.
TEST(SimRealism, SwingPathHoldsThroughAWalkIntoAForefootRun) {
  RunnerSettings r;
  r.schedule = {{Activity::kWalk, 8.0, 1.4, 110.0}, {Activity::kRun, 12.0, 3.10, 164.3}};
  r.duty_factor = 0.40;
  r.foot_strike = FootStrikePattern::kFore;
  const RunnerModel model(r);
  for (const pb::Side side : {pb::LEFT, pb::RIGHT}) {
    const pb::Placement p = side == pb::LEFT ? pb::LEFT_FOOT : pb::RIGHT_FOOT;
    const std::vector<Contact>& contacts = model.timeline().contacts(side);
    double worst = 0.0, worst_t = 0.0;
    // Every swing from the walk's last seconds to the run's first: 1 ms steps, away from the
    // contacts (30 ms either side), where the landing's own transient lies.
    for (std::size_t k = 0; k + 1 < contacts.size(); ++k) {
      const double from_s = contacts[k].to_s + 0.03;
      const double to_s = contacts[k + 1].ic_s - 0.03;
      if (to_s < 5.0 || from_s > 12.0) continue;
      Eigen::Vector3d a2 = model.body_kinematics(from_s)[p].acceleration_mps2;
      Eigen::Vector3d a1 = model.body_kinematics(from_s + 1e-3)[p].acceleration_mps2;
      for (double t = from_s + 2e-3; t < to_s; t += 1e-3) {
        const Eigen::Vector3d a = model.body_kinematics(t)[p].acceleration_mps2;
        const double change = (a - 2.0 * a1 + a2).norm();
        if (change > worst) {
          worst = change;
          worst_t = t - 1e-3;
        }
        a2 = a1;
        a1 = a;
      }
    }
    EXPECT_LT(worst, 15.0) << placement_name(p) << " at " << worst_t << " s";
  }
}

TEST(SimTruth, EventsMatchCadenceAndDutyFactor) {
  RunnerSettings r = running(20.0, 170.0);
  r.duty_factor = 0.36;
  r.asymmetry_pct = 6.0;
  const RunnerModel model(r);
  const std::vector<TruthEvent> events = model.events();
  const double expected = 20.0 * 170.0 / 60.0;
  EXPECT_LE(std::abs(static_cast<double>(events.size()) - expected), 1.0);
  const double stride_s = 120.0 / 170.0;
  std::map<pb::Side, double> contact_sum;
  std::map<pb::Side, int> contact_n;
  for (std::size_t i = 0; i < events.size(); ++i) {
    const TruthEvent& e = events[i];
    if (i > 0) {
      EXPECT_NE(e.side, events[i - 1].side);  // sides alternate
      EXPECT_NEAR(e.ic_s - events[i - 1].ic_s, stride_s / 2.0, 1e-6);
    }
    if (i + 2 < events.size()) {
      ASSERT_TRUE(e.to_s.has_value());
      EXPECT_GT(*e.to_s, e.ic_s);
      EXPECT_LT(*e.to_s, events[i + 2].ic_s);  // toe-off before this foot's next contact
      contact_sum[e.side] += *e.to_s - e.ic_s;
      ++contact_n[e.side];
    }
  }
  const double left = contact_sum[pb::LEFT] / contact_n[pb::LEFT];
  const double right = contact_sum[pb::RIGHT] / contact_n[pb::RIGHT];
  EXPECT_NEAR(0.5 * (left + right), 0.36 * stride_s, 1e-6);
  EXPECT_NEAR(left / right, 1.06, 1e-6);
  // At each truth IC/TO the model's own stance state flips.
  for (const TruthEvent& e : events) {
    EXPECT_FALSE(model.stance_fraction(e.side, e.ic_s - 1e-6).has_value());
    EXPECT_TRUE(model.stance_fraction(e.side, e.ic_s + 1e-6).has_value());
    if (e.to_s) {
      EXPECT_TRUE(model.stance_fraction(e.side, *e.to_s - 1e-6).has_value());
      EXPECT_FALSE(model.stance_fraction(e.side, *e.to_s + 1e-6).has_value());
    }
  }
}

TEST(SimTruth, NoEventsWhileStandingAndWalkingHasNoFlight) {
  const RunnerModel model(stand_walk_run());
  const std::vector<TruthEvent> events = model.events();
  ASSERT_FALSE(events.empty());
  EXPECT_GE(events.front().ic_s, 2.0);
  // While walking, both feet are on the ground at each contact (double support).
  for (const TruthEvent& e : events) {
    if (e.ic_s < 4.0 || e.ic_s > 7.5) continue;
    const pb::Side other = e.side == pb::LEFT ? pb::RIGHT : pb::LEFT;
    EXPECT_TRUE(model.stance_fraction(other, e.ic_s + 1e-3).has_value());
  }
}

// A start from standing is whole steps, and so is a stop: the swing before
// each side's first and last counted contact turns the foot at least half as
// fast as a steady swing (the one-second ramp this replaced counted contacts
// after swings of 0 % and 17 %), and before the first push-off every segment
// is still.
TEST(SimTruth, AStartFromStandingIsMadeOfWholeSteps) {
  for (const Activity activity : {Activity::kRun, Activity::kWalk}) {
    RunnerSettings r;
    const bool run = activity == Activity::kRun;
    r.schedule = {{Activity::kStand, 3.0, 0.0, 0.0},
                  {activity, 12.0, run ? 3.2 : 1.4, run ? 170.0 : 110.0},
                  {Activity::kStand, 3.0, 0.0, 0.0}};
    const RunnerModel model(r);
    const std::vector<TruthEvent> truth = model.events();
    ASSERT_FALSE(truth.empty());
    const double first_ic_s = truth.front().ic_s;
    for (const pb::Side side : {pb::LEFT, pb::RIGHT}) {
      const pb::Placement foot = side == pb::LEFT ? pb::LEFT_FOOT : pb::RIGHT_FOOT;
      const std::vector<Contact>& contacts = model.timeline().contacts(side);
      // Fastest toe-up rate of the foot in the swing into contact j.
      const auto swing_peak_rps = [&](size_t j) {
        double peak = 0.0;
        for (double t = contacts[j - 1].to_s; t < contacts[j].ic_s; t += 1e-3) {
          peak = std::max(peak, std::abs(model.ideal_imu(foot, t).gyr_rps.y()));
        }
        return peak;
      };
      size_t first = 0, last = 0;
      for (size_t j = 1; j < contacts.size(); ++j) {
        if (!contacts[j].stepped || contacts[j].ic_s < 0.0) continue;
        if (first == 0) first = j;
        last = j;
      }
      ASSERT_GT(first, 0u);
      ASSERT_GT(last, first + 8);
      const double steady_rps = swing_peak_rps(first + 6);
      EXPECT_GT(steady_rps, 5.0);
      EXPECT_GT(swing_peak_rps(first), 0.5 * steady_rps) << "first step, side " << side;
      EXPECT_GT(swing_peak_rps(last), 0.5 * steady_rps) << "last step, side " << side;
      std::printf("[sim] %s start, side %d: first / last swing peak %.2f / %.2f of steady\n",
                  run ? "run" : "walk", static_cast<int>(side), swing_peak_rps(first) / steady_rps,
                  swing_peak_rps(last) / steady_rps);
      // The contact before the first step is a standing foot's: not counted.
      EXPECT_FALSE(contacts[first - 1].stepped);
      // Still until the push-off, which begins at most a stride before the
      // first landing.
      const double stride_s = contacts[first + 1].ic_s - contacts[first].ic_s;
      for (double t = 0.0; t < first_ic_s - stride_s; t += 1e-2) {
        for (const pb::Placement p :
             {foot, side == pb::LEFT ? pb::LEFT_SHANK : pb::RIGHT_SHANK, pb::PELVIS}) {
          EXPECT_LT(model.ideal_imu(p, t).gyr_rps.norm(), 1e-9) << placement_name(p) << " t=" << t;
        }
      }
    }
  }
}

// A start from standing gains speed over its first steps and a stop loses it over its last: the
// body's forward acceleration stays within 4 m/s^2 (kStartAcceleration_mps2). It reached 3 g when
// the speed followed the legs' amplitude (full 0.3 s after the first swings), and a pelvis sensor
// read that push as a landing before the first step.
TEST(SimTruth, StartsAndStopsAccelerateWithinBounds) {
  RunnerSettings r;
  r.schedule = {{Activity::kStand, 3.0, 0.0, 0.0},
                {Activity::kRun, 12.0, 6.0, 180.0},
                {Activity::kStand, 3.0, 0.0, 0.0}};
  const GaitTimeline timeline(r);
  constexpr double kStep_s = 1e-3;
  double largest_mps2 = 0.0;
  double previous = timeline.state(0.0).speed_mps;
  for (double t = kStep_s; t < 18.0; t += kStep_s) {
    const GaitState g = timeline.state(t);
    largest_mps2 = std::max(largest_mps2, std::abs(g.speed_mps - previous) / kStep_s);
    previous = g.speed_mps;
    // No travel while the legs are still: speed only once the first swings begin (motion 0.5).
    if (g.motion < 0.5) {
      EXPECT_EQ(g.speed_mps, 0.0) << "t=" << t;
    }
  }
  std::printf("[sim] start and stop at 6 m/s: largest forward acceleration %.2f m/s^2\n",
              largest_mps2);
  EXPECT_LE(largest_mps2, 4.0 + 0.05);
  EXPECT_GT(largest_mps2, 3.5);  // the bound is reached, not undershot by a slow ramp
  EXPECT_NEAR(timeline.state(9.0).speed_mps, 6.0, 1e-9);
}

TEST(SimTruth, CadenceAndValgusDrift) {
  RunnerSettings r = running(60.0, 170.0);
  r.cadence_drift_spm = -10.0;
  r.valgus_drift_deg = 3.0;
  r.peak_valgus_left_deg = 5.0;
  const RunnerModel model(r);
  const auto events = model.events();
  const double early = 120.0 / (events[3].ic_s - events[1].ic_s);
  const double late = 120.0 / (events[events.size() - 2].ic_s - events[events.size() - 4].ic_s);
  EXPECT_NEAR(early, 170.0, 0.5);
  EXPECT_NEAR(late, 160.0, 0.5);
  auto peak_valgus = [&](double from_s) {
    double peak = 0.0;
    for (double t = from_s; t < from_s + 1.5; t += 0.002) {
      peak = std::max(peak, model.knee(pb::LEFT, t).valgus_deg);
    }
    return peak;
  };
  EXPECT_NEAR(peak_valgus(0.5), 5.0, 0.15);
  EXPECT_NEAR(peak_valgus(58.0), 8.0, 0.15);
}

/// The largest specific force along a segment's long axis within span_s after ic_s, and how long
/// after ic_s it comes (0.1 ms steps).
std::pair<double, double> axial_peak(const RunnerModel& model, pb::Placement placement, double ic_s,
                                     double span_s) {
  double peak = -1e9;
  double peak_s = 0.0;
  for (double t = ic_s; t < ic_s + span_s; t += 1e-4) {
    const double along = RunnerModel::ideal_imu(model.kinematics(placement, t)).acc_mps2.z();
    if (along > peak) {
      peak = along;
      peak_s = t - ic_s;
    }
  }
  return {peak, peak_s};
}

// How the leg moves into the contact is the runner's own: how much straighter than at contact
// the knee gets late in the swing, when, and how fast the shock rises after the contact.
TEST(SimTruth, KneeIntoContactAndShockRiseAreAsSet) {
  for (const double extension_deg : {0.0, 4.0, 8.0}) {
    RunnerSettings r = running(6.0);
    r.knee_terminal_extension_deg = extension_deg;
    r.knee_terminal_swing_share = 0.12;
    const RunnerModel model(r);
    const double swing_s = 120.0 / 170.0 * (1.0 - r.duty_factor);
    const TruthEvent ev = model.events()[6];
    double least_deg = 1e9;
    double least_t = 0.0;
    for (double t = ev.ic_s - 0.4 * swing_s; t <= ev.ic_s; t += 1e-4) {
      const double k = model.knee(ev.side, t).flexion_deg;
      if (k < least_deg) least_deg = k;
      if (k == least_deg) least_t = t;
    }
    EXPECT_NEAR(least_deg, r.knee_flexion_ic_deg - extension_deg, 1e-3) << extension_deg;
    // (With none, the knee holds its contact angle over the last 12 % of the swing.)
    if (extension_deg > 0.0) {
      EXPECT_NEAR(least_t, ev.ic_s - 0.12 * swing_s, 2e-3) << extension_deg;
    }
  }
  // The shank's shock along the tibia peaks later the slower its onset, at the same height (the
  // peak in g is set by the strike and the speed). Not by much: 1.1, 1.7 and 2.0 ms after the
  // contact for 2, 6 and 12 ms, as the transient's ringing turns within a quarter period.
  double previous_peak_s = 0.0;
  double first_peak_mps2 = 0.0;
  for (const double rise_ms : {2.0, 6.0, 12.0}) {
    RunnerSettings r = running(6.0);
    r.impact_rise_ms = rise_ms;
    const RunnerModel model(r);
    const TruthEvent ev = model.events()[6];
    const pb::Placement shank = ev.side == pb::LEFT ? pb::LEFT_SHANK : pb::RIGHT_SHANK;
    const auto [peak, peak_s] = axial_peak(model, shank, ev.ic_s, 0.03);
    EXPECT_GT(peak_s, previous_peak_s + 2e-4) << rise_ms;
    if (first_peak_mps2 == 0.0) first_peak_mps2 = peak;
    EXPECT_NEAR(peak, first_peak_mps2, 0.05 * first_peak_mps2) << rise_ms;
    previous_peak_s = peak_s;
  }
}

// A shock of realistic length: along the tibia it peaks when set after the contact, and the
// sensor is back in place once the pulse is over (the foot keeps its spike).
TEST(SimTruth, ShockPulsePeaksWhenSet) {
  for (const double peak_ms : {8.0, 16.0}) {
    RunnerSettings r = running(6.0);
    r.shock_peak_ms = peak_ms;
    const RunnerModel model(r);
    RunnerSettings spike_settings = r;
    spike_settings.shock_peak_ms = 0.0;
    const RunnerModel spike(spike_settings);
    const TruthEvent ev = model.events()[6];
    const pb::Placement shank = ev.side == pb::LEFT ? pb::LEFT_SHANK : pb::RIGHT_SHANK;
    const pb::Placement foot = ev.side == pb::LEFT ? pb::LEFT_FOOT : pb::RIGHT_FOOT;
    // The pulse's peak (several g) stands well above the leg's own axial acceleration.
    const double peak_s = axial_peak(model, shank, ev.ic_s, 0.05).second;
    EXPECT_NEAR(peak_s, peak_ms * 1e-3, 2e-3) << peak_ms;
    // Back in place after the pulse; the foot is untouched by it.
    const double after_s = ev.ic_s + shock_pulse_window_s(peak_ms * 1e-3) + 0.01;
    EXPECT_NEAR(
        (model.pose(shank, after_s).position_m - spike.pose(shank, after_s).position_m).norm(), 0.0,
        1e-12)
        << peak_ms;
    EXPECT_NEAR(
        (model.pose(foot, ev.ic_s + 0.01).position_m - spike.pose(foot, ev.ic_s + 0.01).position_m)
            .norm(),
        0.0, 1e-12)
        << peak_ms;
  }
}

// The longest pulse is over before the leg's next contact even at the fastest cadence the
// simulator makes, so no pulse is cut short there (a jump in position); longer ones are refused.
TEST(SimTruth, ShockPulseEndsBeforeTheNextContact) {
  RunnerSettings r = running(4.0, 260.0);
  r.shock_peak_ms = 20.0;
  const RunnerModel model(r);
  const std::vector<TruthEvent> events = model.events();
  for (size_t i = 2; i + 2 < events.size(); ++i) {
    const pb::Placement shank = events[i].side == pb::LEFT ? pb::LEFT_SHANK : pb::RIGHT_SHANK;
    const double t = events[i].ic_s;
    EXPECT_LT(
        (model.pose(shank, t + 1e-6).position_m - model.pose(shank, t - 1e-6).position_m).norm(),
        1e-4)
        << t;
  }
  r.shock_peak_ms = 25.0;
  EXPECT_THROW(RunnerModel{r}, std::invalid_argument);
}

TEST(SimTruth, KneeAnglesAreTheRelativeThighShankRotation) {
  RunnerSettings r = running(10.0);
  r.peak_valgus_left_deg = 6.0;
  r.peak_valgus_right_deg = 2.0;
  r.knee_flexion_ic_deg = 18.0;
  const RunnerModel model(r);
  for (pb::Side side : {pb::LEFT, pb::RIGHT}) {
    const bool left = side == pb::LEFT;
    const double sign = left ? 1.0 : -1.0;
    for (double t = 2.0; t < 4.0; t += 0.013) {
      const Eigen::Quaterniond thigh =
          model.pose(left ? pb::LEFT_THIGH : pb::RIGHT_THIGH, t).orientation;
      const Eigen::Quaterniond shank =
          model.pose(left ? pb::LEFT_SHANK : pb::RIGHT_SHANK, t).orientation;
      const Eigen::Matrix3d rel = (thigh.conjugate() * shank).toRotationMatrix();
      // R = Ry(flexion) Rx(valgus'): rel(2,1) = sin(valgus') cos(flexion)...
      const double valgus = std::asin(-rel(1, 2)) * kRadToDeg * sign;
      const double flexion = std::atan2(rel(0, 2), rel(2, 2)) * kRadToDeg;
      const TruthKnee truth = model.knee(side, t);
      EXPECT_NEAR(flexion, truth.flexion_deg, 1e-9);
      EXPECT_NEAR(valgus, truth.valgus_deg, 1e-9);
    }
    for (const TruthEvent& e : model.events()) {
      if (e.side != side) continue;
      EXPECT_NEAR(model.knee(side, e.ic_s).flexion_deg, 18.0, 1e-6);
    }
  }
  // Valgus moves the shank's distal end laterally relative to the thigh
  // (+y on the left, -y on the right): the knee toward the midline.
  const TruthEvent ev = model.events()[4];
  const double t_mid = ev.ic_s + 0.1;
  const pb::Placement shank = ev.side == pb::LEFT ? pb::LEFT_SHANK : pb::RIGHT_SHANK;
  const pb::Placement thigh = ev.side == pb::LEFT ? pb::LEFT_THIGH : pb::RIGHT_THIGH;
  const Eigen::Vector3d down_shank = model.pose(thigh, t_mid).orientation.conjugate() *
                                     model.pose(shank, t_mid).orientation *
                                     Eigen::Vector3d(0, 0, -1);
  EXPECT_GT(down_shank.y() * (ev.side == pb::LEFT ? 1.0 : -1.0), 0.0);
}

SimSettings small_session(uint64_t seed) {
  SimSettings s;
  s.seed = seed;
  s.runner = running(6.0);
  s.sensors = shoe_and_sleeve_sensors(200.0);
  for (auto& sensor : s.sensors) {
    sensor.errors.timestamp_jitter_us = 100.0;
    sensor.errors.packet_drop_pct = 5.0;
  }
  return s;
}

TEST(SimSession, DeterministicForASeed) {
  const SimResult a = simulate(small_session(7));
  const SimResult b = simulate(small_session(7));
  const SimResult c = simulate(small_session(8));
  ASSERT_EQ(a.session.sensors.size(), 6u);
  for (std::size_t i = 0; i < a.session.sensors.size(); ++i) {
    EXPECT_EQ(a.session.sensors[i].samples, b.session.sensors[i].samples);
    EXPECT_NE(a.session.sensors[i].samples, c.session.sensors[i].samples);
  }
  EXPECT_EQ(a.session.header.SerializeAsString(), b.session.header.SerializeAsString());
  ASSERT_TRUE(a.truth.events && b.truth.events);
  ASSERT_EQ(a.truth.events->size(), b.truth.events->size());
  for (std::size_t i = 0; i < a.truth.events->size(); ++i) {
    EXPECT_EQ((*a.truth.events)[i].ic_s, (*b.truth.events)[i].ic_s);
  }
}

TEST(SimSession, SampleCountsRatesAndTruthRate) {
  for (double rate : {100.0, 208.0, 1000.0}) {
    SimSettings s;
    s.runner = running(5.0);
    s.sensors = feet_sensors(rate);
    const SimResult r = simulate(s);
    for (const SensorStream& stream : r.session.sensors) {
      EXPECT_EQ(stream.samples.size(), static_cast<std::size_t>(std::ceil(5.0 * rate)));
      EXPECT_EQ(stream.samples.front().t_us, 0);
      EXPECT_EQ(stream.info.nominal_rate_hz(), rate);
    }
    ASSERT_TRUE(r.truth.knee.has_value());
    EXPECT_EQ(r.truth.knee->size(), 2u * 500u);
  }
  SimSettings bad;
  bad.runner = running(5.0);
  bad.sensors = feet_sensors(50.0);
  EXPECT_THROW(simulate(bad), std::invalid_argument);
}

TEST(SimSensors, MountingRotationIsApplied) {
  SimSettings s;
  s.seed = 3;
  s.runner.schedule = {{Activity::kStand, 2.0, 0.0, 0.0}};
  s.sensors = shoe_and_sleeve_sensors(100.0);
  for (auto& sensor : s.sensors) {
    sensor.errors = ideal_errors();
    sensor.errors.mounting_rotation_max_deg = 25.0;
  }
  const SimResult r = simulate(s);
  const std::vector<SensorErrorDraw> draws = draw_sensor_errors(s);
  const RunnerModel model(s.runner);
  double largest_deg = 0.0;
  for (std::size_t i = 0; i < s.sensors.size(); ++i) {
    const double mount_deg =
        draws[i].mounting.angularDistance(Eigen::Quaterniond::Identity()) * kRadToDeg;
    EXPECT_GT(mount_deg, 0.0);
    EXPECT_LE(mount_deg, 25.0 + 1e-9);
    largest_deg = std::max(largest_deg, mount_deg);
    const Eigen::Vector3d segment_g = model.ideal_imu(s.sensors[i].placement, 0.5).acc_mps2;
    const Eigen::Vector3d sensor_g = r.session.sensors[i].samples[50].acc_mps2;
    // The sensor reads the segment-frame gravity rotated by the mounting.
    EXPECT_LT((sensor_g - draws[i].mounting.conjugate() * segment_g).norm(), 0.01);
    const double between_deg =
        std::acos(std::clamp(sensor_g.normalized().dot(segment_g.normalized()), -1.0, 1.0)) *
        kRadToDeg;
    EXPECT_LE(between_deg, mount_deg + 0.1);
  }
  EXPECT_GT(largest_deg, 5.0);
  // Without mounting rotation the frames coincide.
  for (auto& sensor : s.sensors) sensor.errors.mounting_rotation_max_deg = 0.0;
  const SimResult aligned = simulate(s);
  for (std::size_t i = 0; i < s.sensors.size(); ++i) {
    const Eigen::Vector3d segment_g = model.ideal_imu(s.sensors[i].placement, 0.5).acc_mps2;
    EXPECT_LT((aligned.session.sensors[i].samples[50].acc_mps2 - segment_g).norm(), 0.01);
  }
}

// An averaged sensor's sample against an independent mean of the model's motion over its sample
// period (1000 points, where the simulator takes 40 at 100 Hz), on the pelvis, whose landing
// spike lasts about 3 ms: at 100 Hz a point sample catches or misses it, the mean always holds a
// share of it.
TEST(SimSensors, AveragedSamplesAreTheMeanMotionOverTheirPeriod) {
  SimSettings s;
  s.runner = running(4.0);
  s.sensors = pelvis_sensors(100.0);
  s.sensors[0].errors = ideal_errors();
  s.sensors[0].errors.mounting_rotation_max_deg = 0.0;
  s.sensors[0].averaged = true;
  const SimResult r = simulate(s);
  const RunnerModel model(s.runner);
  const std::vector<ImuSample>& samples = r.session.sensors[0].samples;
  ASSERT_GT(samples.size(), 300u);
  double largest_point_gap = 0.0;
  for (std::size_t k = 0; k < samples.size(); ++k) {
    const double t_s = static_cast<double>(samples[k].t_us) * 1e-6;
    Eigen::Vector3d mean = Eigen::Vector3d::Zero();
    constexpr int kPoints = 1000;
    for (int j = 0; j < kPoints; ++j) {
      const double offset = ((j + 0.5) / kPoints - 0.5) * 0.01;
      mean += model.ideal_imu(pb::PELVIS, t_s + offset).acc_mps2 / kPoints;
    }
    // Int16 counts of the +-8 g range (0.0024 m/s^2) and the 40-point mean's own error.
    EXPECT_LT((samples[k].acc_mps2 - mean).norm(), 0.02 + 0.01 * mean.norm()) << "t " << t_s;
    largest_point_gap =
        std::max(largest_point_gap, (model.ideal_imu(pb::PELVIS, t_s).acc_mps2 - mean).norm());
  }
  // The point samples differ from the means by several m/s^2 where a landing spike falls.
  EXPECT_GT(largest_point_gap, 5.0);
}

TEST(SimSensors, SaturationClipsAtFullScale) {
  SimSettings s;
  s.runner = running(5.0);
  s.sensors = feet_sensors(500.0);
  s.sensors[0].accel_range_g = 4;
  s.sensors[0].gyro_range_dps = 250;
  const SimResult r = simulate(s);
  int saturated = 0;
  for (const ImuSample& sample : r.session.sensors[0].samples) {
    EXPECT_LE(sample.acc_mps2.cwiseAbs().maxCoeff(), 4.0 * kGravity_mps2 + 1e-9);
    EXPECT_LE(sample.gyr_rps.cwiseAbs().maxCoeff(), 250.0 / kRadToDeg + 1e-9);
    saturated += sample.saturated ? 1 : 0;
  }
  EXPECT_GT(saturated, 50);
  int wide = 0;
  for (const ImuSample& sample : r.session.sensors[1].samples) wide += sample.saturated ? 1 : 0;
  EXPECT_LT(wide, saturated);
}

TEST(SimSensors, DroppedPacketsLeaveWholePacketGaps) {
  SimSettings s;
  s.seed = 11;
  s.runner = running(20.0);
  s.sensors = feet_sensors(200.0);
  s.sensors[0].errors.packet_drop_pct = 10.0;
  const SimResult r = simulate(s);
  const auto& kept = r.session.sensors[0].samples;
  const std::size_t total = 4000;
  EXPECT_LT(kept.size(), total);
  EXPECT_GT(kept.size(), total * 8 / 10);
  EXPECT_EQ(kept.size() % 20, 0u);
  std::map<int64_t, int> per_packet;
  for (const ImuSample& sample : kept) ++per_packet[sample.t_us / 5000 / 20];
  for (const auto& [packet, n] : per_packet) EXPECT_EQ(n, 20) << "packet " << packet;
  EXPECT_EQ(r.session.sensors[1].samples.size(), total);
}

TEST(SimSensors, JitterKeepsOrderAndNoiseScalesWithSettings) {
  SimSettings s;
  s.runner = running(4.0);
  s.sensors = feet_sensors(1000.0);
  s.sensors[0].errors.timestamp_jitter_us = 200.0;
  const SimResult r = simulate(s);
  const auto& jittered = r.session.sensors[0].samples;
  int off_grid = 0;
  for (std::size_t i = 1; i < jittered.size(); ++i) {
    EXPECT_GT(jittered[i].t_us, jittered[i - 1].t_us);
    off_grid += jittered[i].t_us % 1000 != 0 ? 1 : 0;
  }
  EXPECT_GT(off_grid, 3000);
  for (const ImuSample& sample : r.session.sensors[1].samples) EXPECT_EQ(sample.t_us % 1000, 0);

  // Noise: residual against the ideal reading matches the set sigma.
  SimSettings q;
  q.runner.schedule = {{Activity::kStand, 10.0, 0.0, 0.0}};
  q.sensors = feet_sensors(500.0);
  q.sensors[0].errors = ideal_errors();
  q.sensors[0].errors.accel_noise_mps2 = 0.2;
  q.sensors[0].errors.gyro_noise_rps = 0.02;
  const SimResult noisy = simulate(q);
  const RunnerModel model(q.runner);
  const Eigen::Vector3d g = model.ideal_imu(pb::LEFT_FOOT, 1.0).acc_mps2;
  double acc_var = 0.0, gyr_var = 0.0;
  const auto& samples = noisy.session.sensors[0].samples;
  const auto n = static_cast<double>(samples.size());
  for (const ImuSample& sample : samples) {
    acc_var += (sample.acc_mps2 - g).squaredNorm() / 3.0;
    gyr_var += sample.gyr_rps.squaredNorm() / 3.0;
  }
  EXPECT_NEAR(std::sqrt(acc_var / n), 0.2, 0.01);
  EXPECT_NEAR(std::sqrt(gyr_var / n), 0.02, 0.001);
}

TEST(SimCli, RecordingRoundTripsToTheSameSamplesAndTruth) {
  const std::filesystem::path dir =
      std::filesystem::temp_directory_path() / ("gk_sim_test_" + std::to_string(::getpid()));
  std::filesystem::remove_all(dir);
  const std::filesystem::path out = dir / "run.gkr";
  const std::string cmd = std::string(GK_EXE) + " simulate --out " + out.string() +
                          " --duration-s 5 --rate-hz 200 --seed 9 --drop-pct 5 --jitter-us 50 "
                          "--asymmetry-pct 4 --foot-strike mid > /dev/null";
  ASSERT_EQ(std::system(cmd.c_str()), 0);
  Warnings warnings;
  const Session loaded = read_recording(out, warnings);
  const Truth truth = read_truth(truth_dir_for(out));
  EXPECT_TRUE(warnings.empty());

  // The same run through the API: the CLI defaults plus the options above.
  SimSettings s;
  s.seed = 9;
  s.runner.schedule = {{Activity::kRun, 5.0, 3.0, 170.0}};
  s.runner.asymmetry_pct = 4.0;
  s.runner.foot_strike = FootStrikePattern::kMid;
  s.sensors = shoe_and_sleeve_sensors(200.0);
  for (auto& sensor : s.sensors) {
    sensor.errors.packet_drop_pct = 5.0;
    sensor.errors.timestamp_jitter_us = 50.0;
  }
  const SimResult direct = simulate(s);
  ASSERT_EQ(loaded.sensors.size(), direct.session.sensors.size());
  for (std::size_t i = 0; i < loaded.sensors.size(); ++i) {
    EXPECT_EQ(loaded.sensors[i].samples, direct.session.sensors[i].samples) << i;
  }
  ASSERT_TRUE(truth.events && truth.knee);
  ASSERT_EQ(truth.events->size(), direct.truth.events->size());
  for (std::size_t i = 0; i < truth.events->size(); ++i) {
    EXPECT_EQ((*truth.events)[i].side, (*direct.truth.events)[i].side);
    EXPECT_NEAR((*truth.events)[i].ic_s, (*direct.truth.events)[i].ic_s, 1e-9);
    ASSERT_EQ((*truth.events)[i].to_s.has_value(), (*direct.truth.events)[i].to_s.has_value());
    if ((*truth.events)[i].to_s) {
      EXPECT_NEAR(*(*truth.events)[i].to_s, *(*direct.truth.events)[i].to_s, 1e-9);
    }
  }
  // The truth files are written with the shortest text that reads back to the same double.
  ASSERT_EQ(truth.knee->size(), direct.truth.knee->size());
  ASSERT_GT(truth.knee->size(), 100u);
  for (std::size_t i = 0; i < truth.knee->size(); ++i) {
    const TruthKnee& a = (*truth.knee)[i];
    const TruthKnee& b = (*direct.truth.knee)[i];
    EXPECT_EQ(a.side, b.side) << i;
    EXPECT_NEAR(a.t_s, b.t_s, 1e-9) << i;
    EXPECT_NEAR(a.valgus_deg, b.valgus_deg, 1e-9) << i;
    EXPECT_NEAR(a.flexion_deg, b.flexion_deg, 1e-9) << i;
  }
  std::filesystem::remove_all(dir);
}

// Toe-off is at the toes-down pitch-rate extreme (Falbriard et al. 2018,
// Front. Physiol. 9:610), not ~45 ms before it.
// A knee that re-flexes just before the contact (RunnerSettings::knee_terminal_extension_deg) may
// not turn the shank faster than the swing itself does: drawn into the last 20 ms of the swing, a
// re-flex of 7-10 degrees turned it at 600-1200 rad/s^2 and read as a 10 g jolt on the shank
// just before the contact, larger than the impact.
TEST(SimRealism, KneeReflexDoesNotOutturnTheSwing) {
  for (const double cadence_spm : {150.0, 200.0}) {
    for (const double share : {0.05, 0.08, 0.18}) {
      RunnerSettings r = running(8.0, cadence_spm);
      r.duty_factor = 0.3;
      r.knee_flexion_ic_deg = 20.0;
      r.knee_terminal_extension_deg = 10.0;
      r.knee_terminal_swing_share = share;
      const RunnerModel model(r);
      const auto events = model.events();
      const auto largest_turn = [&](double from_s, double to_s) {
        constexpr double kStep_s = 2e-4;
        double worst = 0.0;
        Eigen::Vector3d prev = model.ideal_imu(pb::LEFT_SHANK, from_s).gyr_rps;
        for (double t = from_s + kStep_s; t < to_s; t += kStep_s) {
          const Eigen::Vector3d w = model.ideal_imu(pb::LEFT_SHANK, t).gyr_rps;
          worst = std::max(worst, (w - prev).norm() / kStep_s);
          prev = w;
        }
        return worst;
      };
      int checked = 0;
      for (std::size_t i = 0; i + 2 < events.size(); ++i) {
        const TruthEvent& e = events[i];
        if (e.side != pb::LEFT || e.ic_s < 2.0 || !e.to_s) continue;
        const double next_ic_s = events[i + 2].ic_s;
        // The last 60 ms of the swing, up to 1 ms before the contact (the impact's own shake).
        const double late = largest_turn(next_ic_s - 0.060, next_ic_s - 0.001);
        const double swing = largest_turn(*e.to_s + 0.02, next_ic_s - 0.060);
        EXPECT_LT(late, 1.3 * swing)
            << cadence_spm << " steps/min, share " << share << ", IC " << next_ic_s;
        ++checked;
      }
      EXPECT_GT(checked, 5);
    }
  }
}

TEST(SimRealism, FootPitchRateMinimumIsAtToeOff) {
  for (auto strike :
       {FootStrikePattern::kHeel, FootStrikePattern::kMid, FootStrikePattern::kFore}) {
    RunnerSettings r = running(10.0);
    r.foot_strike = strike;
    const RunnerModel model(r);
    const auto events = model.events();
    int checked = 0;
    for (std::size_t i = 0; i + 2 < events.size(); ++i) {
      const TruthEvent& e = events[i];
      if (e.ic_s < 2.0 || !e.to_s) continue;
      const pb::Placement foot = e.side == pb::LEFT ? pb::LEFT_FOOT : pb::RIGHT_FOOT;
      const double from = e.ic_s + 0.5 * (*e.to_s - e.ic_s);
      double best_t = from, best = 1e9;
      for (double t = from; t < events[i + 2].ic_s; t += 0.001) {
        // Pitch rate, + = toes up (the segment y gyro reads toes-down as +).
        const double pitch_rate = -model.ideal_imu(foot, t).gyr_rps.y();
        if (pitch_rate < best) {
          best = pitch_rate;
          best_t = t;
        }
      }
      EXPECT_NEAR(best_t, *e.to_s, 0.005) << "IC " << e.ic_s;
      ++checked;
    }
    EXPECT_GT(checked, 10);
  }
}

// A walking foot turns toes-up until shortly before its heel contact and the heel rocker turns it
// back from there: on real feet with motion capture (gaitmap-walking, both feet) the pitch rate
// stays above 10 % of its swing peak until 5-10 ms before the contact and reverses 0-5 ms after
// it. The simulated terminal swing stopped turning 126 ms before the contact (reversal 110 ms
// before), and the heel rocker's onset, the walking IC, came 41 ms early on every simulated
// walk (thirty-sixth session). Now above 10 % until 36 ms before, reversal 15 ms before.
TEST(SimRealism, WalkingFootTurnsToesUpUntilItsContact) {
  RunnerSettings r;
  r.schedule = {{Activity::kWalk, 12.0, 1.4, 110.0}};
  const RunnerModel model(r);
  int checked = 0;
  for (const TruthEvent& e : model.events()) {
    if (e.side != pb::LEFT || e.ic_s < 3.0 || e.ic_s > 11.0) continue;
    // Pitch rate, + = toes up (the segment y gyro reads toes-down as +).
    const auto pitch_rate = [&](double t) {
      return -model.ideal_imu(pb::LEFT_FOOT, t).gyr_rps.y();
    };
    double peak = 0.0;
    for (double t = e.ic_s - 0.4; t < e.ic_s; t += 0.001) peak = std::max(peak, pitch_rate(t));
    double last_above_s = -1.0;
    for (double t = e.ic_s - 0.4; t < e.ic_s + 0.05; t += 0.001) {
      if (pitch_rate(t) > 0.1 * peak) last_above_s = t;
    }
    EXPECT_GT(last_above_s, e.ic_s - 0.05) << "IC " << e.ic_s;
    EXPECT_LT(last_above_s, e.ic_s) << "IC " << e.ic_s;
    ++checked;
  }
  EXPECT_GT(checked, 5);
}

// Standing after or before a run: the pelvis is at rest (1 g) whenever both
// legs stand (gait amplitude 0), and it bounces while running.
TEST(SimRealism, PelvisIsStillWhileStanding) {
  SimSettings s;
  s.seed = 103;
  s.sensors = pelvis_sensors(200.0, true);
  s.runner.schedule = {{Activity::kRun, 12.0, 3.2, 170.0},
                       {Activity::kStand, 8.0, 0.0, 0.0},
                       {Activity::kRun, 12.0, 3.2, 170.0}};
  const RunnerModel model(s.runner);
  const SimResult result = simulate(s);
  double standing_worst_g = 0.0, running_peak_g = 0.0;
  int standing = 0;
  for (const ImuSample& sample : result.session.sensors[0].samples) {
    const double t = static_cast<double>(sample.t_us) * 1e-6;
    const double g = sample.acc_mps2.norm() / kGravity_mps2;
    const GaitState st = model.timeline().state(t);
    if (st.gait == 0.0) {
      ++standing;
      standing_worst_g = std::max(standing_worst_g, std::abs(g - 1.0));
      EXPECT_NEAR(model.ideal_imu(pb::PELVIS, t).acc_mps2.norm(), kGravity_mps2, 1e-6) << t;
    } else if (st.motion == 1.0) {
      running_peak_g = std::max(running_peak_g, g);
    }
  }
  EXPECT_GT(standing, 1000);
  EXPECT_LT(standing_worst_g, 0.05);
  EXPECT_GT(running_peak_g, 2.0);
}

// The trunk's vertical force is that of its feet: none while both are in the air, and a load from
// each landing on. The walk-to-run step used to blend the walk's pendulum into the trunk after its
// feet had begun to fly: it read 0.92 g through that first flight, and its loading began 70-85 ms
// after the contact, which a trunk sensor then timed 80 ms late (thirty-sixth session's sweeps).
TEST(SimRealism, TrunkForceFollowsItsFeet) {
  for (const double duty : {0.25, 0.33, 0.42}) {
    RunnerSettings r;
    r.duty_factor = duty;
    r.schedule = {{Activity::kStand, 2.0, 0.0, 0.0},
                  {Activity::kWalk, 4.0, 1.4, 110.0},
                  {Activity::kRun, 6.0, 3.5, 175.0},
                  {Activity::kWalk, 3.0, 1.4, 110.0}};
    const RunnerModel model(r);
    const auto vertical_g = [&](double t) {
      constexpr double h = 1e-4;
      const auto z = [&](double at) { return model.pelvis_center_m(at).z(); };
      return ((z(t + h) - 2.0 * z(t) + z(t - h)) / (h * h) + kGravity_mps2) / kGravity_mps2;
    };
    double worst_flight_g = 0.0, lowest_g = 1.0;
    int flight = 0;
    for (double t = 0.0; t < model.duration_s(); t += 5e-4) {
      if (model.timeline().state(t).gait < 1.0) continue;
      lowest_g = std::min(lowest_g, vertical_g(t));
      if (model.stance_fraction(pb::LEFT, t) || model.stance_fraction(pb::RIGHT, t)) continue;
      ++flight;
      worst_flight_g = std::max(worst_flight_g, std::abs(vertical_g(t)));
    }
    const std::string what = "duty factor " + std::to_string(duty);
    // A ground force pushes and never pulls, through the walk and the change as well.
    EXPECT_GT(lowest_g, -0.01) << what;
    EXPECT_GT(flight, 100) << what;
    EXPECT_LT(worst_flight_g, 0.01) << what;
    // Every landing of the run, the walk-to-run step's included, loads the trunk within 30 ms.
    int landings = 0;
    for (const TruthEvent& e : model.events()) {
      if (e.ic_s < 5.0 || e.ic_s > 12.0) continue;
      ++landings;
      EXPECT_GT(vertical_g(e.ic_s + 0.03), 0.2) << what << ", contact at " << e.ic_s << " s";
    }
    EXPECT_GT(landings, 15) << what;
  }
}

// Samples are at t = i / rate, i < N: no truth contact starts after the last.
TEST(SimTruth, NoEventsAfterTheLastSample) {
  for (double cadence : {170.0, 180.0}) {
    SimSettings s;
    s.runner = running(30.0, cadence);
    s.sensors = feet_sensors(100.0);
    const SimResult r = simulate(s);
    ASSERT_TRUE(r.truth.events);
    const double last_s = 29.99;
    for (const TruthEvent& e : *r.truth.events) {
      EXPECT_LT(e.ic_s, last_s);
      if (e.to_s) {
        EXPECT_LT(*e.to_s, last_s);
      }
    }
  }
}

}  // namespace
}  // namespace gk::sim
