// The simulated IMUs: where they sit, how fast they sample and how they err.
#pragma once

#include <cstdint>

#include "gaitkeeper.pb.h"

namespace gk::sim {

namespace pb = gaitkeeper::pb;

/// Error magnitudes; typical of consumer MEMS IMUs (e.g. Bosch BMI270
/// datasheet: gyro noise ~0.008 deg/s/sqrt(Hz), zero-rate offset +-0.5 deg/s,
/// sensitivity tolerance +-1-2 %).
struct SensorErrorSettings {
  double accel_noise_mps2 = 0.05;  ///< white noise sigma per sample
  double gyro_noise_rps = 0.005;
  double accel_bias_mps2 = 0.1;  ///< initial bias sigma per axis
  double gyro_bias_rps = 0.01;
  double gyro_bias_drift_rps_per_sqrt_s = 0.0002;  ///< random-walk
  double scale_error = 0.01;                       ///< sigma of per-axis scale factor error
  double mounting_rotation_max_deg = 30.0;         ///< random rotation of sensor on segment
  double timestamp_jitter_us = 0.0;                ///< sigma of per-sample timestamp jitter
  double packet_drop_pct = 0.0;                    ///< packets of 20 samples dropped at random
};

/// Noise, bias, drift and scale error multiplied by `factor` (0 = ideal);
/// mounting, jitter and drops unchanged.
SensorErrorSettings scale_noise(const SensorErrorSettings& errors, double factor);

/// No errors at all: ideal readings (still quantised to the int16 counts of
/// the packet format, and clipped at full scale).
SensorErrorSettings ideal_errors();

struct SensorSettings {
  pb::Placement placement = pb::LEFT_FOOT;
  double rate_hz = 200.0;
  uint32_t accel_range_g = 16;
  uint32_t gyro_range_dps = 2000;  ///< 0 = accelerometer-only
  /// Each sample the mean of the motion over its sample period, centred on its time, as an
  /// oversampling converter's decimation averages it (without that filter's delay); false: the
  /// motion at the sample's instant. A transient shorter than the period (a 3 ms landing spike
  /// at 200 Hz) is then seen, smeared, at every sampling phase instead of caught or missed.
  bool averaged = false;
  SensorErrorSettings errors;
};

}  // namespace gk::sim
