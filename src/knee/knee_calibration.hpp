// Sensor-to-segment calibration of a knee sleeve (one IMU on the thigh, one
// on the shank of the same leg) that needs no careful strapping:
//  - the flexion axis in each sensor frame from the two gyroscopes while the
//    leg moves (hinge_axis.hpp, Seel et al. 2014);
//  - each segment's long axis from gravity in a static standing moment
//    (thighs and shanks vertical in quiet standing: the anatomical neutral
//    pose that defines 0 deg flexion and 0 deg valgus, as in the static
//    trial of optical gait analysis); without one, from the mean specific
//    force over the movement, flagged because the flexion zero is then only
//    approximate;
//  - the time offset between the two sensors' clocks, as the lag that best
//    satisfies the hinge constraint.
#pragma once

#include <Eigen/Core>
#include <Eigen/Geometry>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "gaitkeeper.pb.h"
#include "hinge_axis.hpp"
#include "orientation_filter.hpp"

namespace gk {

/// One orientation-filtered sample of a sleeve sensor.
struct TimedImu {
  int64_t t_us = 0;
  Eigen::Quaterniond q_ws = Eigen::Quaterniond::Identity();  ///< sensor -> world (z up)
  Eigen::Vector3d gyr_rps = Eigen::Vector3d::Zero();         ///< bias-corrected
  Eigen::Vector3d acc_mps2 = Eigen::Vector3d::Zero();
  /// False while the filter re-finds tilt after a gap (OrientationFlags::reanchoring): the
  /// gyro still holds, the attitude does not.
  bool anchored = true;
  /// True while the filter re-checks tilt after a bridged hole (OrientationFlags::rechecking):
  /// the attitude is in use but may be off by what the hole missed.
  bool rechecking = false;
};

/// Runs the filter on one sample and returns it as a TimedImu (bias-corrected
/// gyro, filtered attitude), or nullopt when the filter refused it (NaN, time
/// not advancing), is not initialised yet, or the sample has no gyro: such
/// samples never reach a joint angle.
std::optional<TimedImu> filter_sample(OrientationFilter& filter, const ImuSample& sample);

/// Keeps the latest max_s of a calibration buffer; trims in batches (when the
/// buffer has grown a quarter past max_s) so the cost per sample stays flat.
void keep_latest(std::vector<TimedImu>& buffer, double max_s);

struct KneeCalibrationSettings {
  HingeAxisSettings hinge;
  /// A static pose: gyro below rest_gyro_rps and the specific force within
  /// rest_accel_mps2 of where it started, for at least rest_min_s.
  double rest_min_s = 1.0;
  double rest_gyro_rps = 0.2;
  double rest_accel_mps2 = 0.6;
  /// Clock offsets between thigh and shank searched up to this, in this step.
  int64_t max_lag_us = 250'000;
  int64_t lag_step_us = 2'000;
  /// Offsets smaller than this are within the resolution of the constraint
  /// over a few seconds of running and are neither applied nor reported.
  int64_t min_applied_lag_us = 20'000;
  /// ...nor unless the residual there is below this share of the residual at
  /// zero lag. Measured on simulated running: a real 80 ms offset gives
  /// 0.81-0.82; a knee with 12 deg of valgus and no offset gave a spurious
  /// minimum at 0.94 (the knee's own ab/adduction dominates the residual).
  double lag_min_improvement = 0.88;
  /// A flexion axis further than this from horizontal in the static pose
  /// means the fit or the pose is wrong (a standing knee's axis is level).
  double max_axis_tilt_deg = 20.0;
};

struct KneeCalibration {
  bool valid = false;
  std::string problem;  ///< why not valid, in plain words
  /// Segment axes (columns x forward, y left, z up) in the sensor frames.
  Eigen::Matrix3d thigh_segment = Eigen::Matrix3d::Identity();
  Eigen::Matrix3d shank_segment = Eigen::Matrix3d::Identity();
  HingeAxes axes;
  bool static_pose = false;    ///< long axes from standing (else from motion)
  double axis_tilt_deg = 0.0;  ///< flexion axis from horizontal at standing
  /// Thigh clock minus shank clock: the thigh sample stamped t + lag belongs
  /// with the shank sample stamped t.
  int64_t thigh_lag_us = 0;
  /// Expected error of the frontal-plane angle from this calibration alone.
  double frontal_error_deg = 0.0;
};

/// Mean "up" (normalised specific force) over the latest static stretch of
/// at least rest_min_s, or nullopt when the sensor never stood still.
std::optional<Eigen::Vector3d> static_up(const std::vector<TimedImu>& samples,
                                         const KneeCalibrationSettings& settings);

/// Gyro pairs with the thigh sampled (linear interpolation) at each shank
/// time + lag; shank samples without thigh data around them are left out.
/// Every stride-th shank sample is used.
std::vector<GyroPair> pair_gyros(const std::vector<TimedImu>& thigh,
                                 const std::vector<TimedImu>& shank, int64_t thigh_lag_us,
                                 size_t stride = 1);

/// Full calibration from the buffered streams of one leg. The flexion axis
/// sign (which way is lateral) is settled by the caller, which can look at
/// the resulting angles (KneeTracker); here y points either way.
/// previous: after the sleeve slipped, the earlier calibration, whose long
/// axes stand in when the new data hold no static pose (a sleeve slips by
/// turning about the leg, which leaves the long axis where it was) and whose
/// axis directions settle the new axes' signs.
KneeCalibration calibrate_knee(const std::vector<TimedImu>& thigh,
                               const std::vector<TimedImu>& shank,
                               const KneeCalibrationSettings& settings = {},
                               const KneeCalibration* previous = nullptr);

/// Segment frame (columns x, y, z in sensor coordinates). up_exact: z = up
/// and y = the flexion axis made perpendicular to it; otherwise y = the axis
/// and z = up made perpendicular to it.
Eigen::Matrix3d segment_frame(const Eigen::Vector3d& flexion_axis, const Eigen::Vector3d& up,
                              bool up_exact);

}  // namespace gk
