// Per-sensor sample streams: the unit every stage after the link consumes.
#pragma once

#include <Eigen/Core>
#include <cstdint>
#include <vector>

#include "gaitkeeper.pb.h"

namespace gk {

namespace pb = gaitkeeper::pb;

constexpr double kGravity_mps2 = 9.80665;

/// One IMU sample in SI units, in the sensor's own frame.
/// Accelerometer = specific force (gravity included: +1 g along "up" at rest).
struct ImuSample {
  int64_t t_us = 0;
  Eigen::Vector3d acc_mps2 = Eigen::Vector3d::Zero();
  Eigen::Vector3d gyr_rps = Eigen::Vector3d::Zero();  ///< zero when !has_gyro
  bool has_gyro = true;
  bool saturated = false;  ///< some axis at its full-scale limit

  bool operator==(const ImuSample&) const = default;
};

/// All samples of one sensor, in time order, with what is known about it.
struct SensorStream {
  pb::SensorInfo info;
  std::vector<ImuSample> samples;
};

}  // namespace gk
