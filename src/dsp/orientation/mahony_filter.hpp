// Mahony explicit complementary filter with proportional-integral feedback, 6-axis.
//   R. Mahony, T. Hamel, J.-M. Pflimlin, "Nonlinear complementary filters on the special
//   orthogonal group", IEEE Trans. Automatic Control 53(5), 2008, Sec. V (explicit complementary
//   filter with bias correction, quaternion form).
#pragma once

#include "imu_filter_base.hpp"

namespace gk {

/// Gains: OrientationSettings::mahony_kp_rps, mahony_ki_rps2. The integral term is the paper's
/// bias estimator while moving; at rest the low-pass gyro mean of ImuFilterBase takes over.
class MahonyFilter final : public ImuFilterBase {
 public:
  explicit MahonyFilter(const OrientationSettings& settings = {});

 private:
  void step(const Eigen::Vector3d& gyr_rps, const Eigen::Vector3d* up_meas, double dt_s) override;
  void step_averaged(const Eigen::Vector3d& gyr_rps, const Eigen::Vector3d* up_meas, double dt_s);
  void reset_method() override {
    error_world_lp_.setZero();
    feedback_rps_.setZero();
    attitude_lp_valid_ = false;
    slow_dt_s_ = 0.0;
  }

  /// Period of the slow part of step_averaged (attitude average, integral term): 50 Hz, far
  /// above the seconds those low-passes span, and below any rate a limb sensor runs at.
  static constexpr double kSlowPeriod_s = 0.02;

  /// Low-pass of the tilt error in the world frame and of the attitude matrix
  /// (mahony_error_average_us).
  Eigen::Vector3d error_world_lp_ = Eigen::Vector3d::Zero();
  /// k_P times that error in the sensor frame of the last sample: the next sample's feedback.
  Eigen::Vector3d feedback_rps_ = Eigen::Vector3d::Zero();
  Eigen::Matrix3d attitude_lp_ = Eigen::Matrix3d::Identity();
  bool attitude_lp_valid_ = false;
  double slow_dt_s_ = 0.0;    ///< time since the slow part last ran
  double alpha_dt_s_ = -1.0;  ///< dt of the cached error low-pass weight (-1: none yet)
  double alpha_ = 0.0;
};

}  // namespace gk
