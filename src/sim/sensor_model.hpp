// Turns ideal segment-frame IMU readings into what a real sensor reports:
// mounting rotation on the segment, per-axis scale error, bias with a
// random-walk gyro drift, white noise, timestamp jitter and dropped packets
// (error model after IEEE Std 952-1997 and Woodman 2007, Cambridge
// UCAM-CL-TR-696). Quantisation and clipping at full scale happen later, in
// the packetizer, as on a device.
#pragma once

#include <Eigen/Core>
#include <Eigen/Geometry>
#include <cstdint>

#include "normal_rng.hpp"
#include "runner_model.hpp"
#include "sample.hpp"
#include "sensor_settings.hpp"

namespace gk::sim {

/// The random, fixed-per-sensor part of the errors.
struct SensorErrorDraw {
  Eigen::Quaterniond mounting = Eigen::Quaterniond::Identity();  ///< sensor frame -> segment frame
  Eigen::Vector3d accel_bias_mps2 = Eigen::Vector3d::Zero();
  Eigen::Vector3d gyro_bias_rps = Eigen::Vector3d::Zero();  ///< at t = 0
  Eigen::Vector3d accel_scale = Eigen::Vector3d::Ones();    ///< factors, 1 = exact
  Eigen::Vector3d gyro_scale = Eigen::Vector3d::Ones();
};

class SensorModel {
 public:
  /// `index` = position in SimSettings::sensors: each sensor draws from its
  /// own streams, so adding a sensor leaves the others unchanged.
  SensorModel(const SensorSettings& settings, uint64_t seed, std::size_t index);

  const SensorErrorDraw& draw() const { return draw_; }
  /// One reading in the sensor frame, SI units, t_us left 0.
  ImuSample measure(const ImuReading& ideal, double dt_s);
  /// Reported timestamp of a sample taken at nominal_us (jitter kept within
  /// +-period/2 so order is preserved).
  int64_t timestamp_us(int64_t nominal_us, int64_t period_us);
  /// Whether the next packet is lost.
  bool drop_packet();

 private:
  SensorSettings settings_;
  SensorErrorDraw draw_;
  Eigen::Vector3d gyro_bias_rps_;
  NormalRng noise_;
  NormalRng jitter_;
  NormalRng drops_;
};

}  // namespace gk::sim
