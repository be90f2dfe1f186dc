// Knee angles over time from the two sleeve sensors' orientations, drift-free
// without a magnetometer.
//
// Each sensor's 6-axis attitude filter holds its tilt against gravity but has
// its own, drifting heading. The knee's kinematic constraint ties the two
// headings together: the flexion axis seen from the thigh and seen from the
// shank is one physical axis, so its horizontal direction must agree in both
// estimates. The heading offset that makes them agree is tracked with a
// weighted circular mean (weight = how horizontal the axis is, since a
// vertical axis says nothing about heading), in the manner of Laidig, Schauer
// & Seel 2017 (Proc. IEEE ICRA/ Curr. Dir. Biomed. Eng. 3:653, "Exploiting
// kinematic constraints to compensate magnetic disturbances when calculating
// joint angles of approximate hinge joints").
#pragma once

#include <Eigen/Core>
#include <Eigen/Geometry>
#include <cstdint>

#include "joint_angles.hpp"
#include "knee_calibration.hpp"

namespace gk {

struct KneeTrackerSettings {
  /// Time constant of the heading-offset mean; heading drift of a 6-axis
  /// filter is a fraction of a degree per second, far slower.
  double heading_time_constant_s = 2.0;
  /// Time constant of the running hinge residual behind the live confidence.
  double residual_time_constant_s = 3.0;
  /// Samples with both angular speeds below this do not update the residual.
  double min_rate_rps = 0.5;
  /// Frontal-plane error (deg) at which confidence reads 0.5.
  double half_confidence_error_deg = 2.0;
};

struct KneeAngleSample {
  int64_t t_us = 0;
  pb::Side side = pb::SIDE_UNKNOWN;
  JointAngles angles;
  double confidence = 0.0;  ///< 0..1, for the frontal-plane angle

  bool operator==(const KneeAngleSample&) const = default;
};

class KneeTracker {
 public:
  KneeTracker(pb::Side side, const KneeCalibration& calibration,
              const KneeTrackerSettings& settings = {});

  /// One synchronous pair (thigh already moved onto the shank's clock):
  /// observe() then angles().
  KneeAngleSample update(int64_t t_us, const Eigen::Quaterniond& thigh_q_ws,
                         const Eigen::Quaterniond& shank_q_ws, const Eigen::Vector3d& thigh_rps,
                         const Eigen::Vector3d& shank_rps);
  /// Feeds one pair into the heading mean and the running residual. Every
  /// pair must be observed; the angles are needed only at the output rate,
  /// and they are most of the cost (three atan2/asin, two rotation matrices).
  void observe(int64_t t_us, const Eigen::Quaterniond& thigh_q_ws,
               const Eigen::Quaterniond& shank_q_ws, const Eigen::Vector3d& thigh_rps,
               const Eigen::Vector3d& shank_rps);
  /// Knee angles of the pair last observed, at t_us, with the current
  /// heading offset and confidence.
  KneeAngleSample angles(int64_t t_us, const Eigen::Quaterniond& thigh_q_ws,
                         const Eigen::Quaterniond& shank_q_ws) const;
  void reset();
  /// New calibration (after a slip); the heading mean restarts.
  void recalibrate(const KneeCalibration& calibration);

  /// Running hinge residual relative to the knee's angular speed.
  double live_relative_residual() const;
  /// Heading offset applied to the shank (deg).
  double heading_offset_deg() const;
  const KneeCalibration& calibration() const { return calibration_; }

 private:
  pb::Side side_;
  KneeCalibration calibration_;
  KneeTrackerSettings settings_;
  int64_t last_t_us_ = INT64_MIN;
  Eigen::Vector2d heading_sum_ = Eigen::Vector2d::Zero();  ///< weighted (cos, sin)
  bool heading_started_ = false;
  double residual_e2_ = 0.0;
  double residual_w2_ = 0.0;
  double weights_dt_s_ = -1.0;  ///< dt the two weights below were computed for
  double alpha_heading_ = 0.0;
  double beta_residual_ = 0.0;
};

}  // namespace gk
