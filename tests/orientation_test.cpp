// Orientation stage: one typed suite run against every filter, on analytic motion oracles.
#include <gtest/gtest.h>

#include <Eigen/Core>
#include <Eigen/Geometry>
#include <array>
#include <cmath>
#include <cstdint>
#include <functional>
#include <limits>
#include <memory>
#include <numbers>
#include <random>
#include <vector>

#include "madgwick_filter.hpp"
#include "mahony_filter.hpp"
#include "orientation_filter.hpp"

namespace gk {
namespace {

using Eigen::AngleAxisd;
using Eigen::Quaterniond;
using Eigen::Vector3d;

constexpr double kDeg = std::numbers::pi / 180.0;

// Deterministic noise: mt19937_64 output is fully specified, the std distributions are not.
class Rng {
 public:
  explicit Rng(uint64_t seed) : gen_(seed) {}
  double uniform() { return static_cast<double>(gen_() >> 11) * 0x1.0p-53; }  // [0, 1)
  double uniform(double lo, double hi) { return lo + (hi - lo) * uniform(); }
  double normal() {  // Box-Muller
    const double u1 = 1.0 - uniform();
    const double u2 = uniform();
    return std::sqrt(-2.0 * std::log(u1)) * std::cos(2.0 * std::numbers::pi * u2);
  }
  Vector3d normal3(double sigma) { return sigma * Vector3d(normal(), normal(), normal()); }

 private:
  std::mt19937_64 gen_;
};

// Truth at time t: orientation q_ws and body-frame angular velocity.
struct Truth {
  Quaterniond q;
  Vector3d w_rps;
};
using Motion = std::function<Truth(double t_s)>;

Quaterniond from_roll_pitch(double roll_deg, double pitch_deg) {
  return Quaterniond(AngleAxisd(pitch_deg * kDeg, Vector3d::UnitY()) *
                     AngleAxisd(roll_deg * kDeg, Vector3d::UnitX()));
}

// What a perfect accelerometer reads for a rotation without linear acceleration: R^T g.
Vector3d accel_of(const Quaterniond& q_ws) {
  return kGravity_mps2 * (q_ws.conjugate() * Vector3d::UnitZ());
}

ImuSample make_sample(int64_t t_us, const Vector3d& acc, const Vector3d& gyr) {
  ImuSample s;
  s.t_us = t_us;
  s.acc_mps2 = acc;
  s.gyr_rps = gyr;
  return s;
}

double tilt_error_deg(const Quaterniond& est, const Quaterniond& truth) {
  const Vector3d a = up_in_sensor(est), b = up_in_sensor(truth);
  return std::atan2(a.cross(b).norm(), a.dot(b)) / kDeg;
}

double roll_deg(const Quaterniond& q) {
  const Vector3d up = up_in_sensor(q);
  return std::atan2(up.y(), up.z()) / kDeg;
}
double pitch_deg(const Quaterniond& q) {
  const Vector3d up = up_in_sensor(q);
  return std::atan2(-up.x(), std::hypot(up.y(), up.z())) / kDeg;
}
double wrap_deg(double a) { return std::remainder(a, 360.0); }

bool finite_unit(const Quaterniond& q) {
  return q.coeffs().allFinite() && std::abs(q.norm() - 1.0) < 1e-9;
}

// q(t) = exp(v(t)) with v a sum of sinusoids per axis (rotation vector). The body rate comes
// from the analytic derivative of the quaternion components: w = 2 vec(q* (x) q-dot).
class SmoothMotion {
 public:
  explicit SmoothMotion(uint64_t seed) {
    Rng rng(seed);
    for (auto& axis : terms_) {
      for (auto& term : axis) {
        term = {rng.uniform(0.2, 0.5), 2.0 * std::numbers::pi * rng.uniform(0.2, 1.5),
                rng.uniform(0.0, 2.0 * std::numbers::pi)};
      }
    }
  }

  Truth operator()(double t) const {
    Vector3d v = offset_, vd = Vector3d::Zero();
    for (int i = 0; i < 3; ++i) {
      for (const Term& k : terms_[static_cast<size_t>(i)]) {
        v(i) += k.amp * std::sin(k.omega * t + k.phase);
        vd(i) += k.amp * k.omega * std::cos(k.omega * t + k.phase);
      }
    }
    const double th = v.norm();
    Quaterniond q, qd;
    if (th < 1e-8) {
      q = Quaterniond(1.0, 0.5 * v.x(), 0.5 * v.y(), 0.5 * v.z());
      qd = Quaterniond(-0.25 * v.dot(vd), 0.5 * vd.x(), 0.5 * vd.y(), 0.5 * vd.z());
    } else {
      const Vector3d u = v / th;
      const double thd = u.dot(vd);
      const Vector3d ud = (vd - u * thd) / th;
      const double c = std::cos(0.5 * th), s = std::sin(0.5 * th);
      q.w() = c;
      q.vec() = s * u;
      qd.w() = -0.5 * s * thd;
      qd.vec() = 0.5 * c * thd * u + s * ud;
    }
    const Quaterniond w = q.conjugate() * qd;
    return {q, 2.0 * w.vec()};
  }

 private:
  struct Term {
    double amp, omega, phase;
  };
  std::array<std::array<Term, 3>, 3> terms_{};
  Vector3d offset_{0.3, -0.2, 0.4};
};

struct RunOptions {
  double rate_hz = 200.0;
  double duration_s = 10.0;
  double gyro_noise_rps = 0.0;
  double accel_noise_mps2 = 0.0;
  /// Irregular sampling: each interval is the period times 1 + uniform(-j, +j), so the
  /// timestamps wander off the grid (a BLE link's uneven packets), ending exactly at duration_s.
  double jitter_fraction = 0.0;
  Vector3d gyro_bias_rps = Vector3d::Zero();
  uint64_t seed = 1;
};

// Feeds the motion to the filter and returns the worst tilt error seen (deg).
double run(OrientationFilter& filter, const Motion& motion, const RunOptions& o) {
  Rng rng(o.seed);
  const double period_us = 1e6 / o.rate_hz;
  const auto end_us = static_cast<int64_t>(std::llround(o.duration_s * 1e6));
  std::vector<int64_t> times{0};
  while (true) {
    const double step = period_us * (1.0 + o.jitter_fraction * rng.uniform(-1.0, 1.0));
    const int64_t next = times.back() + std::llround(step);
    if (next >= end_us) break;
    times.push_back(next);
  }
  times.push_back(end_us);
  double worst = 0.0;
  for (const int64_t t : times) {
    const Truth truth = motion(static_cast<double>(t) * 1e-6);
    filter.update(make_sample(t, accel_of(truth.q) + rng.normal3(o.accel_noise_mps2),
                              truth.w_rps + o.gyro_bias_rps + rng.normal3(o.gyro_noise_rps)));
    worst = std::max(worst, tilt_error_deg(filter.orientation(), truth.q));
  }
  return worst;
}

Motion static_pose(const Quaterniond& q) {
  return [q](double) { return Truth{q, Vector3d::Zero()}; };
}

// --- Typed suite -------------------------------------------------------------------------------

template <OrientationMethod M, typename F>
struct Method {
  static constexpr OrientationMethod kMethod = M;
  using Filter = F;
};

template <typename T>
class OrientationFilterTest : public ::testing::Test {
 protected:
  // Through the factory and the interface, as the pipeline uses it.
  static std::unique_ptr<OrientationFilter> make(const OrientationSettings& s = {}) {
    auto f = make_orientation_filter(T::kMethod, s);
    EXPECT_NE(dynamic_cast<typename T::Filter*>(f.get()), nullptr);
    return f;
  }
};

using Methods = ::testing::Types<Method<OrientationMethod::kMadgwick, MadgwickFilter>,
                                 Method<OrientationMethod::kMahony, MahonyFilter>>;
TYPED_TEST_SUITE(OrientationFilterTest, Methods);

// (a) Constant body rate about a fixed axis: q(t) = q0 (x) exp(w t / 2), exact.
TYPED_TEST(OrientationFilterTest, FixedAxisRotationMatchesAnalyticAtAllRates) {
  const Quaterniond q0 = from_roll_pitch(-20.0, 15.0);  // yaw 0, as the filter initialises
  const Vector3d w = 1.5 * Vector3d(1.0, 2.0, 3.0).normalized();
  const Motion motion = [&](double t) {
    return Truth{q0 * Quaterniond(AngleAxisd(w.norm() * t, w.normalized())), w};
  };
  for (const double rate_hz : {100.0, 200.0, 1000.0}) {
    SCOPED_TRACE(rate_hz);
    auto f = this->make();
    RunOptions o;
    o.rate_hz = rate_hz;
    o.gyro_noise_rps = 0.002;
    o.accel_noise_mps2 = 0.02;
    run(*f, motion, o);
    const double err_deg = f->orientation().angularDistance(motion(10.0).q) / kDeg;
    EXPECT_LT(err_deg, 1.0);
    EXPECT_FALSE(f->flags().at_rest);
    EXPECT_LT(f->gyro_bias_rps().norm(), 0.01);
  }
}

// (b) Random smooth motion, exact gyro and gravity-only accel.
TYPED_TEST(OrientationFilterTest, SmoothRandomMotionKeepsTilt) {
  for (const uint64_t seed : {11u, 12u, 13u}) {
    SCOPED_TRACE(seed);
    const SmoothMotion motion(seed);
    auto f = this->make();
    RunOptions o;
    o.seed = seed;
    o.gyro_noise_rps = 0.003;
    o.accel_noise_mps2 = 0.03;
    EXPECT_LT(run(*f, std::cref(motion), o), 2.0);
  }
}

// (c) Initialisation from gravity.
TYPED_TEST(OrientationFilterTest, InitialisesRollPitchFromGravity) {
  const double tilts[][2] = {{0, 0},    {30, 0},  {0, -45},   {-60, 20},
                             {170, 10}, {15, 75}, {-120, -30}};
  for (const auto& tilt : tilts) {
    SCOPED_TRACE(testing::Message() << "roll " << tilt[0] << " pitch " << tilt[1]);
    const Quaterniond q = from_roll_pitch(tilt[0], tilt[1]);
    auto f = this->make();
    EXPECT_FALSE(f->initialised());
    f->update(make_sample(0, accel_of(q), Vector3d::Zero()));
    ASSERT_TRUE(f->initialised());
    // The first sample alone sets the tilt, with yaw 0.
    EXPECT_LT(f->orientation().angularDistance(q) / kDeg, 1e-6);
    RunOptions o;
    o.rate_hz = 100.0;
    o.duration_s = 1.0;
    o.gyro_noise_rps = 0.002;
    o.accel_noise_mps2 = 0.02;
    run(*f, static_pose(q), o);
    EXPECT_NEAR(wrap_deg(roll_deg(f->orientation()) - tilt[0]), 0.0, 0.5);
    EXPECT_NEAR(pitch_deg(f->orientation()), tilt[1], 0.5);
    EXPECT_NEAR(f->gravity_in_sensor_mps2().dot(accel_of(q)), kGravity_mps2 * kGravity_mps2, 0.01);
  }
}

// (d) Gyro bias on a static sensor is learned at rest and tilt stays put.
TYPED_TEST(OrientationFilterTest, EstimatesGyroBiasAtRest) {
  const Quaterniond q = from_roll_pitch(20.0, -10.0);
  const Vector3d bias(0.02, -0.02, 0.02);
  auto f = this->make();
  RunOptions o;
  o.rate_hz = 200.0;
  o.duration_s = 5.0;
  o.gyro_noise_rps = 0.003;
  o.accel_noise_mps2 = 0.02;
  o.gyro_bias_rps = bias;
  const double worst_tilt_deg = run(*f, static_pose(q), o);
  EXPECT_TRUE(f->flags().at_rest);
  EXPECT_LT((f->gyro_bias_rps() - bias).cwiseAbs().maxCoeff(), 0.002)
      << f->gyro_bias_rps().transpose();
  EXPECT_LT(worst_tilt_deg, 1.0);
  EXPECT_LT(tilt_error_deg(f->orientation(), q), 0.25);
}

// (e) Degenerate input is skipped and counted, never NaN out.
TYPED_TEST(OrientationFilterTest, DegenerateInputIsSkippedAndFlagged) {
  constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();
  constexpr double kInf = std::numeric_limits<double>::infinity();
  const Quaterniond q1 = from_roll_pitch(10.0, 5.0), q2 = from_roll_pitch(-25.0, 30.0);
  auto f = this->make();
  auto feed = [&](const ImuSample& s) {
    f->update(s);
    ASSERT_TRUE(finite_unit(f->orientation()));
    ASSERT_TRUE(f->gyro_bias_rps().allFinite());
  };

  // Nothing usable yet: stays uninitialised at identity.
  feed(make_sample(0, Vector3d(kNaN, 0, 9.8), Vector3d::Zero()));
  feed(make_sample(1'000, Vector3d::Zero(), Vector3d::Zero()));
  EXPECT_FALSE(f->initialised());

  int64_t t = 10'000;
  for (int k = 0; k < 50; ++k, t += 10'000) feed(make_sample(t, accel_of(q1), Vector3d::Zero()));
  ASSERT_TRUE(f->initialised());
  const OrientationFlags before = f->flags();
  EXPECT_EQ(before.nonfinite_skipped, 1u);
  EXPECT_EQ(before.accel_rejected, 1u);

  feed(make_sample(t, Vector3d(kNaN, 0, 9.8), Vector3d::Zero()));  // NaN accel
  feed(make_sample(t, accel_of(q1), Vector3d(0, kInf, 0)));        // inf gyro
  feed(make_sample(t, accel_of(q1), Vector3d(-kInf, kNaN, 0)));    // both
  feed(make_sample(t, Vector3d::Zero(), Vector3d::Zero()));        // 0 g: no correction
  feed(make_sample(t, accel_of(q1), Vector3d::Zero()));            // duplicate timestamp
  feed(make_sample(t - 5'000, accel_of(q1), Vector3d::Zero()));    // backwards
  feed(make_sample(std::numeric_limits<int64_t>::min(), accel_of(q1), Vector3d::Zero()));
  ImuSample clipped = make_sample(t + 10'000, accel_of(q1), Vector3d::Zero());
  clipped.saturated = true;
  feed(clipped);  // saturated
  t += 20'000;
  feed(make_sample(t, accel_of(q1), Vector3d::Zero()));
  OrientationFlags now = f->flags();
  EXPECT_EQ(now.nonfinite_skipped, before.nonfinite_skipped + 3);
  EXPECT_EQ(now.bad_dt_skipped, 3u);  // duplicate, backwards, INT64_MIN (no overflow)
  EXPECT_EQ(now.gaps, 0u);            // two backwards glitches are not a clock restart
  EXPECT_EQ(now.accel_rejected, before.accel_rejected + 2);
  EXPECT_LT(tilt_error_deg(f->orientation(), q1), 0.5);

  // Huge gap while the sensor was turned over: re-initialise tilt, do not integrate across it.
  const Quaterniond heading = f->orientation();
  t += 5'000'000;
  feed(make_sample(t, accel_of(q2), Vector3d(3.0, -2.0, 1.0)));
  now = f->flags();
  EXPECT_EQ(now.gaps, 1u);
  EXPECT_LT(tilt_error_deg(f->orientation(), q2), 1e-6);
  // No rotation about world z was applied: the re-initialisation's axis is horizontal, so the
  // gyro rate of the gap sample was not integrated either.
  const Quaterniond applied = f->orientation() * heading.conjugate();
  EXPECT_LT(std::abs(applied.z()), 1e-9);

  // Three backwards timestamps in a row: the sender's clock restarted; adopt it as a gap.
  feed(make_sample(1'000, accel_of(q1), Vector3d::Zero()));
  feed(make_sample(2'000, accel_of(q1), Vector3d::Zero()));
  feed(make_sample(3'000, accel_of(q1), Vector3d::Zero()));
  now = f->flags();
  EXPECT_EQ(now.bad_dt_skipped, 6u);
  EXPECT_EQ(now.gaps, 2u);
  feed(make_sample(13'000, accel_of(q1), Vector3d::Zero()));
  EXPECT_LT(tilt_error_deg(f->orientation(), q1), 1e-6);  // tilt re-anchored on the new timeline

  // reset() is the just-constructed state.
  f->reset();
  EXPECT_FALSE(f->initialised());
  EXPECT_EQ(f->flags(), OrientationFlags{});
  EXPECT_TRUE(f->orientation().isApprox(Quaterniond::Identity()));
}

// (f) Heel-strike-like impacts: 8 g half-sine spikes of 10 ms at 3 Hz.
TYPED_TEST(OrientationFilterTest, ImpactsDoNotTilt) {
  const Quaterniond q = from_roll_pitch(10.0, 5.0);
  const Vector3d spike_world = Vector3d(0.3, 0.2, 1.0).normalized();
  auto f = this->make();
  Rng rng(7);
  double worst_deg = 0.0;
  for (int64_t t = 0; t <= 5'000'000; t += 1'000) {  // 1 kHz
    const int64_t phase_us = t % 333'333;
    Vector3d acc = accel_of(q);
    if (phase_us < 10'000) {
      const double shape = std::sin(std::numbers::pi * static_cast<double>(phase_us) / 1e4);
      acc += 8.0 * kGravity_mps2 * shape * (q.conjugate() * spike_world);
    }
    f->update(make_sample(t, acc + rng.normal3(0.02), rng.normal3(0.002)));
    worst_deg = std::max(worst_deg, tilt_error_deg(f->orientation(), q));
  }
  EXPECT_LT(worst_deg, 1.0);
  EXPECT_GT(f->flags().accel_rejected, 100u);
}

// (g) dt comes from the timestamps: jittered sampling gives the regular result.
TYPED_TEST(OrientationFilterTest, JitteredTimestampsMatchRegular) {
  const SmoothMotion motion(21);
  RunOptions o;
  o.rate_hz = 200.0;
  o.seed = 5;
  auto regular = this->make();
  run(*regular, std::cref(motion), o);
  o.jitter_fraction = 0.4;
  auto jittered = this->make();
  EXPECT_LT(run(*jittered, std::cref(motion), o), 2.0);
  // Full orientation, yaw included: a filter that assumed a fixed dt would spin off here.
  EXPECT_LT(jittered->orientation().angularDistance(regular->orientation()) / kDeg, 0.5);
  // Against truth too, once the filter's yaw-0 start is taken out (a rotation about world z).
  const Quaterniond yaw0 = tilt_from_accel(accel_of(motion(0.0).q)) * motion(0.0).q.conjugate();
  EXPECT_LT(jittered->orientation().angularDistance(yaw0 * motion(10.0).q) / kDeg, 1.0);
}

// The correction gain is a physical rate: the same tilt error decays alike at 100 and 1000 Hz.
TYPED_TEST(OrientationFilterTest, CorrectionIsSampleRateIndependent) {
  const Quaterniond start = from_roll_pitch(0.0, 0.0), target = from_roll_pitch(8.0, -6.0);
  std::vector<double> residual_deg;
  for (const double rate_hz : {100.0, 1000.0}) {
    auto f = this->make();
    f->update(make_sample(0, accel_of(start), Vector3d::Zero()));
    const auto period_us = static_cast<int64_t>(1e6 / rate_hz);
    for (int64_t t = period_us; t <= 1'000'000; t += period_us) {
      f->update(make_sample(t, accel_of(target), Vector3d::Zero()));
    }
    residual_deg.push_back(tilt_error_deg(f->orientation(), target));
  }
  EXPECT_LT(residual_deg[0], 9.0);                     // it did converge some...
  EXPECT_NEAR(residual_deg[0], residual_deg[1], 0.2);  // ...at the same pace
}

// Samples without gyro: tilt follows the accelerometer through a low-pass, flagged.
TYPED_TEST(OrientationFilterTest, AccelOnlySamplesTrackTilt) {
  const Quaterniond start = from_roll_pitch(0.0, 0.0), target = from_roll_pitch(-30.0, 20.0);
  auto f = this->make();
  for (int64_t t = 0; t <= 2'000'000; t += 10'000) {
    ImuSample s = make_sample(t, accel_of(t < 500'000 ? start : target), Vector3d::Zero());
    s.has_gyro = false;
    f->update(s);
    ASSERT_TRUE(finite_unit(f->orientation()));
  }
  EXPECT_LT(tilt_error_deg(f->orientation(), target), 0.5);
  EXPECT_EQ(f->flags().accel_only_updates, 200u);
  EXPECT_FALSE(f->flags().at_rest);
}

// A limb swinging like a pendulum from a fixed pivot (a thigh or shank in the sagittal plane):
// theta(t) = A sin(2 pi f (t - start)) about world y, sensor L below the pivot and mounted at
// `mount`.
// The specific force carries the swing's linear acceleration (tangential and centripetal, up to
// 1.5 g here), which is what makes a single accelerometer sample a poor tilt reference.
struct SwingingLimb {
  double amplitude_rad = 40.0 * kDeg;
  double freq_hz = 1.4;
  double length_m = 0.4;
  Quaterniond mount = from_roll_pitch(25.0, -60.0);

  struct State {
    Quaterniond q;
    Vector3d w_rps;
    Vector3d acc_world_mps2;
  };
  /// Hanging still before this (the filters initialise from a still sensor).
  double start_s = 1.0;

  State at(double t_s) const {
    if (t_s < start_s) return {mount, Vector3d::Zero(), Vector3d::Zero()};
    const double t = t_s - start_s;
    const double w = 2.0 * std::numbers::pi * freq_hz;
    const double th = amplitude_rad * std::sin(w * t);
    const double thd = amplitude_rad * w * std::cos(w * t);
    const double thdd = -amplitude_rad * w * w * std::sin(w * t);
    const Quaterniond q = Quaterniond(AngleAxisd(th, Vector3d::UnitY())) * mount;
    // p = L (sin th, 0, -cos th): p'' = L th'' (cos th, 0, sin th) + L th'^2 (-sin th, 0, cos th).
    const Vector3d acc_world = length_m * thdd * Vector3d(std::cos(th), 0.0, std::sin(th)) +
                               length_m * thd * thd * Vector3d(-std::sin(th), 0.0, std::cos(th));
    return {q, mount.conjugate() * Vector3d(0.0, thd, 0.0), acc_world};
  }
  ImuSample sample(int64_t t_us) const {
    const State st = at(static_cast<double>(t_us) * 1e-6);
    return make_sample(
        t_us, st.q.conjugate() * (st.acc_world_mps2 + kGravity_mps2 * Vector3d::UnitZ()), st.w_rps);
  }
};

// After a gap on a moving limb, tilt found from the averaged specific force (gap_reanchor_us) is
// within a degree or two of the truth, where a snap to the first sample's accelerometer is tens
// of degrees off; while it is being found the filter says so, and mark_gap(0.3 s) (samples dropped
// upstream; here none are missing) takes the same path at the same sample.
TYPED_TEST(OrientationFilterTest, GapOnAMovingLimbReanchorsFromTheAveragedForce) {
  const SwingingLimb limb;
  constexpr int64_t kPeriod_us = 5'000;  // 200 Hz
  constexpr int64_t kGapFrom_us = 10'000'000, kGapTo_us = 10'300'000;
  for (const bool marked : {false, true}) {
    SCOPED_TRACE(marked ? "mark_gap(0.3 s)" : "lost samples");
    OrientationSettings snap_settings;
    OrientationSettings avg_settings;
    avg_settings.gap_reanchor_us = 2'000'000;
    auto snap = this->make(snap_settings);
    auto avg = this->make(avg_settings);
    double snap_worst = 0.0, avg_at_end = -1.0;
    bool saw_reanchoring = false;
    for (int64_t t = 0; t <= 14'000'000; t += kPeriod_us) {
      const bool in_gap = t >= kGapFrom_us && t < kGapTo_us;
      if (in_gap && !marked) continue;
      if (marked && t == kGapTo_us) {
        snap->mark_gap(kGapTo_us - kGapFrom_us);
        avg->mark_gap(kGapTo_us - kGapFrom_us);
      }
      const ImuSample s = limb.sample(t);
      const Quaterniond truth = limb.at(static_cast<double>(t) * 1e-6).q;
      const bool was_reanchoring = avg->flags().reanchoring;
      snap->update(s);
      avg->update(s);
      ASSERT_TRUE(finite_unit(avg->orientation()));
      const int64_t after_gap_us = t - kGapTo_us;
      if (after_gap_us >= 0 && after_gap_us < 100'000) {
        snap_worst = std::max(snap_worst, tilt_error_deg(snap->orientation(), truth));
      }
      saw_reanchoring |= avg->flags().reanchoring;
      if (was_reanchoring && !avg->flags().reanchoring) {
        avg_at_end = tilt_error_deg(avg->orientation(), truth);
        EXPECT_NEAR(static_cast<double>(after_gap_us), 2e6, 1e4);
      }
    }
    EXPECT_TRUE(saw_reanchoring);
    EXPECT_EQ(avg->flags().gaps, 1u);
    EXPECT_EQ(snap->flags().gaps, 1u);
    std::printf("[reanchor] %s: tilt error after the gap, snapped %.1f deg, averaged %.2f deg\n",
                marked ? "mark_gap(0.3 s)" : "lost samples", snap_worst, avg_at_end);
    if (!marked) {
      EXPECT_GT(snap_worst, 10.0);  // the problem is real on this motion
    }
    ASSERT_GE(avg_at_end, 0.0) << "re-anchoring never ended";
    EXPECT_LT(avg_at_end, 2.0);
  }
}

// Data that start in motion: the first sample's accelerometer carries the swing, so with
// gap_reanchor_us the first stretch finds tilt as after a gap; a start at rest is unchanged.
TYPED_TEST(OrientationFilterTest, AStartInMotionFindsTiltFromTheMotion) {
  SwingingLimb limb;
  limb.start_s = -0.13;  // mid-swing at t = 0
  double error[2] = {0.0, 0.0};
  for (const bool average : {false, true}) {
    OrientationSettings settings;
    settings.gap_reanchor_us = average ? 2'000'000 : 0;
    settings.accel_rejection_mps2 = 1e3;  // initialise on the first sample, as the knee does
    auto f = this->make(settings);
    f->update(limb.sample(0));
    ASSERT_TRUE(f->initialised());
    EXPECT_EQ(f->flags().reanchoring, average);
    // Up to the sample that ends the 2 s (the feedback after it is this test's concern no more).
    for (int64_t t = 5'000; t <= 2'000'000; t += 5'000) f->update(limb.sample(t));
    EXPECT_FALSE(f->flags().reanchoring);
    error[average] = tilt_error_deg(f->orientation(), limb.at(2.0).q);
  }
  std::printf("[start] in motion: tilt error at 2 s %.2f deg, averaged %.2f deg\n", error[0],
              error[1]);
  EXPECT_GT(error[0], 5.0);
  EXPECT_LT(error[1], 1.5);
  // At rest the first sample is gravity: nothing to find.
  OrientationSettings settings;
  settings.gap_reanchor_us = 2'000'000;
  auto still = this->make(settings);
  still->update(SwingingLimb{}.sample(0));
  EXPECT_FALSE(still->flags().reanchoring);
}

// A hole that is integrated across (lost packets, under max_dt_us) leaves a swinging limb's
// attitude off by the motion the interpolated rate missed; with gap_reanchor_us the tilt is
// re-checked over the next stretch, the attitude staying in use. Holes shorter than
// recheck_hole_us are left as they are.
TYPED_TEST(OrientationFilterTest, BridgedHoleOnAMovingLimbIsRechecked) {
  SwingingLimb limb;
  limb.amplitude_rad = 50.0 * kDeg;
  limb.freq_hz = 2.0;
  constexpr int64_t kPeriod_us = 5'000;
  constexpr int64_t kHoleFrom_us = 10'030'000;
  for (const int64_t hole_us : {int64_t{90'000}, int64_t{30'000}}) {
    double error[2] = {0.0, 0.0};
    uint64_t rechecked[2] = {0, 0};
    for (const bool recheck : {false, true}) {
      OrientationSettings settings;
      settings.gap_reanchor_us = recheck ? 2'000'000 : 0;
      auto f = this->make(settings);
      int64_t rechecking_us = 0;
      for (int64_t t = 0; t <= kHoleFrom_us + hole_us + 2'100'000; t += kPeriod_us) {
        if (t >= kHoleFrom_us && t < kHoleFrom_us + hole_us) continue;
        f->update(limb.sample(t));
        ASSERT_FALSE(f->flags().reanchoring);  // the attitude stays in use
        // ... and says so while its tilt is being re-checked: from the hole's end, for 2 s.
        if (f->flags().rechecking) rechecking_us += kPeriod_us;
      }
      const bool checked = recheck && hole_us >= OrientationSettings{}.recheck_hole_us;
      EXPECT_EQ(rechecking_us, checked ? 2'000'000 : 0) << hole_us;
      const Quaterniond truth =
          limb.at(static_cast<double>(kHoleFrom_us + hole_us + 2'100'000) * 1e-6).q;
      error[recheck] = tilt_error_deg(f->orientation(), truth);
      rechecked[recheck] = f->flags().holes_rechecked;
      EXPECT_EQ(f->flags().gaps, 0u);
    }
    std::printf("[hole] %.0f ms: tilt error 2.1 s after it %.2f deg, re-checked %.2f deg\n",
                static_cast<double>(hole_us) * 1e-3, error[0], error[1]);
    EXPECT_EQ(rechecked[0], 0u);
    if (hole_us >= OrientationSettings{}.recheck_hole_us) {
      EXPECT_EQ(rechecked[1], 1u);
      EXPECT_GT(error[0], 2.0);  // the hole's error is real here
      EXPECT_LT(error[1], 1.5);
    } else {
      EXPECT_EQ(rechecked[1], 0u);
      EXPECT_DOUBLE_EQ(error[1], error[0]);
    }
  }
}

// --- The oracle itself -------------------------------------------------------------------------

// The analytic body rate of SmoothMotion agrees with a central difference of its orientation.
TEST(OrientationOracle, SmoothMotionRateMatchesFiniteDifference) {
  const SmoothMotion motion(11);
  constexpr double h = 1e-5;
  for (double t = 0.0; t < 10.0; t += 0.37) {
    const Quaterniond dq = motion(t - h).q.conjugate() * motion(t + h).q;
    const Eigen::AngleAxisd aa(dq);
    const Vector3d w_fd = aa.angle() * aa.axis() / (2.0 * h);
    EXPECT_LT((w_fd - motion(t).w_rps).norm(), 1e-5) << "t=" << t;
  }
}

TEST(OrientationSettingsTest, RejectsNonsense) {
  OrientationSettings s;
  s.max_dt_us = 0;
  EXPECT_THROW(make_orientation_filter(OrientationMethod::kMadgwick, s), std::invalid_argument);
  s = {};
  s.madgwick_beta_rps = std::numeric_limits<double>::quiet_NaN();
  EXPECT_THROW(make_orientation_filter(OrientationMethod::kMahony, s), std::invalid_argument);
  EXPECT_EQ(to_string(OrientationMethod::kMahony), "mahony");
}

}  // namespace
}  // namespace gk
