// Orientation stage: sensor attitude from a 6-axis IMU (gyro + accelerometer).
//
// Every filter here estimates q_ws, the rotation taking sensor-frame vectors into a world frame
// whose z axis points up (Hamilton convention, Eigen storage, w-first in every printed form).
// Without a magnetometer heading is unobservable: yaw starts at 0 and drifts with gyro error,
// roll and pitch (tilt) are held by the accelerometer.
#pragma once

#include <Eigen/Core>
#include <Eigen/Geometry>
#include <cstdint>
#include <memory>
#include <string_view>

#include "sample.hpp"

namespace gk {

/// Configuration shared by every orientation filter. Defaults suit a running IMU at 100-1000 Hz.
struct OrientationSettings {
  // --- Time base -------------------------------------------------------------------------------
  /// Largest sample interval that is integrated. A longer gap (dropped packets, link loss) is
  /// not integrated across: tilt is re-initialised from the accelerometer instead.
  int64_t max_dt_us = 100'000;
  /// How tilt is found again after a gap (an interval over max_dt_us, counting any time
  /// mark_gap() added, or a clock restart). 0: snapped to the first sample's accelerometer, which
  /// is right for a sensor at rest and off by its linear acceleration otherwise (tens of degrees on
  /// a running limb). > 0: for this long the attitude follows the gyro alone, then its tilt is
  /// corrected by the world-frame mean of the specific force over that stretch, weighted by the
  /// Hann taper and each sample's interval (a mean over time, not samples). Over a stretch the mean
  /// linear acceleration is the velocity change divided by its length, and the taper makes a limb's
  /// periodic velocity nearly vanish from it, so the mean is gravity to a degree or so (a bridged
  /// hole inside the stretch restarts it once; later ones are taken in); the heading error of the
  /// gyro-only stretch is the same at every sample, so the correction found for the whole stretch
  /// holds at its end. While it lasts, flags().reanchoring is set: the attitude is not anchored to
  /// gravity and nothing that needs tilt should use it. A first sample that is clearly moving (0.5
  /// rad/s, or 0.2 g off 1 g: wide of a sensor's bias and scale error) starts the same stretch:
  /// data that begin in motion have no better tilt reference than data after a gap.
  int64_t gap_reanchor_us = 0;
  /// With gap_reanchor_us: an interval that is integrated across but longer than this (lost
  /// packets; a limb sensor samples at 50 Hz or more) has its tilt re-checked the same way, with
  /// the attitude in use meanwhile (flags().holes_rechecked counts every such hole, including
  /// one that restarted a stretch being averaged). Shorter holes cost a swinging limb
  /// well under a degree, less than the average's own error. 0: never.
  int64_t recheck_hole_us = 50'000;

  // --- Accelerometer correction ------------------------------------------------------------------
  /// The accelerometer corrects tilt only when | |a| - g | is below this. Running impacts reach
  /// many g and flight phases read near 0 g; correcting tilt towards either ruins it.
  double accel_rejection_mps2 = 2.0;
  /// Feed the correction a / g instead of a / |a|. Normalising makes the correction a nonlinear
  /// function of the linear acceleration, so during running (several g, every stride) tilt
  /// settles off true by degrees. Unnormalised, the Mahony error a/g x up_hat is linear in a, and
  /// over whole strides the world-frame mean of the specific force is exactly g (the segment's
  /// mean acceleration on a treadmill or at steady speed is zero): the tilt converges to the
  /// truth with a ripple of about |a_lin| / (g 2 pi f_stride tau). For a small gain (tau of tens
  /// of seconds) and a rejection limit wide enough to pass every stride sample. Used by the knee
  /// stage, where a degree of tilt is a degree of valgus.
  bool unnormalised_accel = false;
  /// Madgwick gain beta (Madgwick 2010, filter gain section: beta = sqrt(3/4) * gyro error). It is
  /// the magnitude of the corrective quaternion rate, so it is in rad/s and independent of the
  /// sample rate (the step is beta * dt).
  double madgwick_beta_rps = 0.05;
  /// Mahony proportional gain k_P (Mahony et al. 2008, Sec. V): rad/s of corrective rotation
  /// per unit of tilt error (sin of the error angle); 1 / kp is the tilt time constant.
  double mahony_kp_rps = 1.0;
  /// Mahony integral gain k_I (Mahony et al. 2008, Sec. V): rad/s^2 of bias drift per unit of
  /// tilt error. 0 disables the integral (bias then comes only from the at-rest estimate).
  double mahony_ki_rps2 = 0.01;
  /// Mahony feedback (both terms) fed with the tilt error averaged in the world frame over this
  /// time constant; 0 = the paper's per-sample error. On a limb in cyclic motion the per-sample
  /// error carries the stride's linear acceleration, and the rotation and attitude ripple share
  /// its phase: their correlation holds tilt off true by degrees and walks the integral's bias
  /// estimate over tens of minutes. Averaged over strides in the world frame (where the mean
  /// linear acceleration is zero) the error is zero at the true attitude. A few strides long,
  /// well below the tilt time constant 1 / kp.
  int64_t mahony_error_average_us = 0;
  /// Samples without gyro (has_gyro = false): tilt follows the accelerometer through a first
  /// order low-pass with this time constant.
  int64_t accel_only_time_constant_us = 250'000;

  // --- Gyro bias at rest
  // --------------------------------------------------------------------------
  /// Estimate the gyro bias while the sensor is at rest.
  bool estimate_gyro_bias = true;
  /// Rest: |gyro| below this for every sample of the window...
  double rest_gyro_rps = 0.1;
  /// ...and | |a| - g | below this, with a within this distance of the window's first sample
  /// (so a slow rotation that tips gravity is not mistaken for rest)...
  double rest_accel_mps2 = 0.5;
  /// ...for at least this long.
  int64_t rest_time_us = 500'000;
  /// Time constant of the low-pass mean of the gyro at rest, which is the bias estimate.
  int64_t bias_time_constant_us = 1'000'000;
  /// The bias estimate is clamped to this norm (anti-windup for the Mahony integral).
  double max_gyro_bias_rps = 0.2;
};

/// What the filter had to skip or distrust so far (counts since construction or reset()).
struct OrientationFlags {
  uint64_t nonfinite_skipped = 0;  ///< samples with NaN/inf in acc or gyr, ignored
  uint64_t bad_dt_skipped = 0;     ///< duplicate or backwards timestamps, ignored
  uint64_t gaps = 0;               ///< dt > max_dt_us (or a timeline restart): tilt re-init
  uint64_t holes_rechecked =
      0;                        ///< bridged holes after which tilt was re-checked (gap_reanchor_us)
  uint64_t accel_rejected = 0;  ///< no accel correction: impact, free fall, 0 g, saturated
  uint64_t accel_only_updates = 0;  ///< samples without gyro, tilt from accelerometer only
  bool at_rest = false;             ///< currently at rest (gyro bias being estimated)
  bool reanchoring = false;         ///< after a gap, tilt not yet found again (gap_reanchor_us)
  /// After a bridged hole, tilt being re-checked (recheck_hole_us): the attitude is in use, but
  /// off by whatever rotation the hole's interpolated rate missed until the check ends.
  bool rechecking = false;

  bool operator==(const OrientationFlags&) const = default;
};

enum class OrientationMethod {
  kMadgwick,  ///< gradient-descent filter, Madgwick 2010/2011, IMU variant
  kMahony,    ///< explicit complementary filter with PI feedback, Mahony et al. 2008
};

std::string_view to_string(OrientationMethod method);

/// Sensor attitude filter. One object per sensor; feed samples in time order.
class OrientationFilter {
 public:
  virtual ~OrientationFilter() = default;

  /// Consume one sample. dt comes from the previous sample's timestamp. Degenerate samples
  /// (non-finite values, dt <= 0) are skipped and counted in flags(); they never throw.
  virtual void update(const ImuSample& sample) = 0;
  /// Back to the just-constructed state (settings kept).
  virtual void reset() = 0;
  /// The next sample follows hidden_us of motion this filter never saw (samples dropped
  /// upstream, e.g. behind a clock that stepped back): the interval before it counts as that
  /// much longer, so it is a gap, a hole to re-check or an interval like any other by its length.
  virtual void mark_gap(int64_t hidden_us) = 0;

  /// q_ws: sensor-to-world rotation, world z up. Identity until initialised().
  virtual Eigen::Quaterniond orientation() const = 0;
  /// Current gyro bias estimate, sensor frame, subtracted from every gyro sample.
  virtual Eigen::Vector3d gyro_bias_rps() const = 0;
  /// True once a usable accelerometer sample has set the initial tilt.
  virtual bool initialised() const = 0;
  virtual OrientationFlags flags() const = 0;

  /// What the accelerometer reads at rest in the current orientation (sensor frame, +g up;
  /// the ImuSample convention). acc_mps2 minus this is the linear acceleration.
  Eigen::Vector3d gravity_in_sensor_mps2() const;
};

/// World up (+z) expressed in the sensor frame for orientation q_ws.
Eigen::Vector3d up_in_sensor(const Eigen::Quaterniond& q_ws);

/// Specific force at rest in the sensor frame for orientation q_ws: kGravity_mps2 * up.
Eigen::Vector3d gravity_in_sensor_mps2(const Eigen::Quaterniond& q_ws);

/// Orientation with roll and pitch from a (non-zero) accelerometer reading and yaw 0:
/// q = Rz(0) Ry(pitch) Rx(roll), roll = atan2(ay, az), pitch = atan2(-ax, hypot(ay, az)).
Eigen::Quaterniond tilt_from_accel(const Eigen::Vector3d& acc_mps2);

/// The smallest world-frame rotation that makes q_ws's up agree with the accelerometer, applied
/// with weight alpha in [0, 1] (1 = full snap). Heading about world z is left alone.
Eigen::Quaterniond correct_tilt_towards(const Eigen::Quaterniond& q_ws,
                                        const Eigen::Vector3d& acc_mps2, double alpha);

/// Throws std::invalid_argument for settings that make no sense (configuration, not data).
std::unique_ptr<OrientationFilter> make_orientation_filter(OrientationMethod method,
                                                           const OrientationSettings& settings);

}  // namespace gk
