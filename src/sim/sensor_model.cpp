#include "sensor_model.hpp"

#include <algorithm>
#include <cmath>
#include <numbers>

namespace gk::sim {
namespace {

enum Stream : uint64_t { kDraw = 0, kNoise = 1, kJitter = 2, kDrops = 3, kStreams = 4 };

uint64_t stream_seed(uint64_t seed, std::size_t index, Stream s) {
  return mix_seed(seed, static_cast<uint64_t>(index) * kStreams + s);
}

Eigen::Vector3d normal3(NormalRng& rng) {
  const double x = rng.normal();
  const double y = rng.normal();
  const double z = rng.normal();
  return {x, y, z};
}

}  // namespace

SensorErrorSettings scale_noise(const SensorErrorSettings& errors, double factor) {
  SensorErrorSettings e = errors;
  e.accel_noise_mps2 *= factor;
  e.gyro_noise_rps *= factor;
  e.accel_bias_mps2 *= factor;
  e.gyro_bias_rps *= factor;
  e.gyro_bias_drift_rps_per_sqrt_s *= factor;
  e.scale_error *= factor;
  return e;
}

SensorErrorSettings ideal_errors() {
  SensorErrorSettings e = scale_noise(SensorErrorSettings{}, 0.0);
  e.mounting_rotation_max_deg = 0.0;
  e.timestamp_jitter_us = 0.0;
  e.packet_drop_pct = 0.0;
  return e;
}

SensorModel::SensorModel(const SensorSettings& settings, uint64_t seed, std::size_t index)
    : settings_(settings),
      noise_(stream_seed(seed, index, kNoise)),
      jitter_(stream_seed(seed, index, kJitter)),
      drops_(stream_seed(seed, index, kDrops)) {
  // Every quantity is always drawn, in a fixed order, so changing one
  // magnitude rescales the same underlying draw instead of reshuffling.
  NormalRng rng(stream_seed(seed, index, kDraw));
  const SensorErrorSettings& e = settings_.errors;
  Eigen::Vector3d axis = normal3(rng);
  axis = axis.norm() > 1e-12 ? axis.normalized() : Eigen::Vector3d::UnitX();
  const double angle_rad = e.mounting_rotation_max_deg * rng.uniform() * std::numbers::pi / 180.0;
  draw_.mounting = Eigen::Quaterniond(Eigen::AngleAxisd(angle_rad, axis));
  draw_.accel_bias_mps2 = e.accel_bias_mps2 * normal3(rng);
  draw_.gyro_bias_rps = e.gyro_bias_rps * normal3(rng);
  draw_.accel_scale = Eigen::Vector3d::Ones() + e.scale_error * normal3(rng);
  draw_.gyro_scale = Eigen::Vector3d::Ones() + e.scale_error * normal3(rng);
  gyro_bias_rps_ = draw_.gyro_bias_rps;
}

ImuSample SensorModel::measure(const ImuReading& ideal, double dt_s) {
  const SensorErrorSettings& e = settings_.errors;
  const Eigen::Quaterniond to_sensor = draw_.mounting.conjugate();
  ImuSample s;
  s.acc_mps2 = (to_sensor * ideal.acc_mps2).cwiseProduct(draw_.accel_scale) + draw_.accel_bias_mps2;
  if (e.accel_noise_mps2 > 0.0) s.acc_mps2 += e.accel_noise_mps2 * normal3(noise_);
  s.has_gyro = settings_.gyro_range_dps > 0;
  if (!s.has_gyro) return s;
  if (e.gyro_bias_drift_rps_per_sqrt_s > 0.0) {
    gyro_bias_rps_ += e.gyro_bias_drift_rps_per_sqrt_s * std::sqrt(dt_s) * normal3(noise_);
  }
  s.gyr_rps = (to_sensor * ideal.gyr_rps).cwiseProduct(draw_.gyro_scale) + gyro_bias_rps_;
  if (e.gyro_noise_rps > 0.0) s.gyr_rps += e.gyro_noise_rps * normal3(noise_);
  return s;
}

int64_t SensorModel::timestamp_us(int64_t nominal_us, int64_t period_us) {
  const double sigma = settings_.errors.timestamp_jitter_us;
  if (sigma <= 0.0) return nominal_us;
  const double limit = std::max(0.0, 0.5 * static_cast<double>(period_us) - 1.0);
  return nominal_us + std::llround(std::clamp(sigma * jitter_.normal(), -limit, limit));
}

bool SensorModel::drop_packet() {
  const double p = settings_.errors.packet_drop_pct / 100.0;
  if (p <= 0.0) return false;
  return drops_.uniform() < p;
}

}  // namespace gk::sim
