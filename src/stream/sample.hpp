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

/// Whether a sample's readings are all numbers (a sensor CSV may hold "nan" or "inf").
inline bool readings_finite(const ImuSample& s) {
  return s.acc_mps2.allFinite() && (!s.has_gyro || s.gyr_rps.allFinite());
}

/// All samples of one sensor, in the order received, with what is known about it. That is time
/// order, except where a sensor CSV's clock stepped back or repeated a time (read as it is; the
/// analysis skips those samples).
struct SensorStream {
  pb::SensorInfo info;
  std::vector<ImuSample> samples;
};

}  // namespace gk
