// Madgwick gradient-descent orientation filter, IMU (gyro + accelerometer) variant.
//   S. O. H. Madgwick, "An efficient orientation filter for inertial and inertial/magnetic
//   sensor arrays", internal report, University of Bristol, 2010;
//   S. O. H. Madgwick, A. J. L. Harrison, R. Vaidyanathan, "Estimation of IMU and MARG
//   orientation using a gradient descent algorithm", IEEE ICORR 2011.
#pragma once

#include "imu_filter_base.hpp"

namespace gk {

/// Gain: OrientationSettings::madgwick_beta_rps. Gyro bias comes from the at-rest estimate only
/// (the 2011 paper's bias drift term needs the magnetometer to observe yaw bias).
class MadgwickFilter final : public ImuFilterBase {
 public:
  explicit MadgwickFilter(const OrientationSettings& settings = {});

 private:
  void step(const Eigen::Vector3d& gyr_rps, const Eigen::Vector3d* up_meas, double dt_s) override;
};

}  // namespace gk
