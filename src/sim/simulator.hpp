// Synthetic runner with ground truth (docs/ARCHITECTURE.md, simulator): a
// body model (runner_model.hpp) moving feet, shanks, thighs and pelvis, IMUs
// whose gyroscope and accelerometer are derived from that one motion, sensor
// errors (sensor_model.hpp), and the truth a detector is scored against.
#pragma once

#include <Eigen/Geometry>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "gaitkeeper.pb.h"
#include "runner_model.hpp"
#include "runner_settings.hpp"
#include "sensor_model.hpp"
#include "sensor_settings.hpp"
#include "session.hpp"

namespace gk::sim {

struct SimSettings {
  uint64_t seed = 1;
  RunnerSettings runner;
  std::vector<SensorSettings> sensors;
  std::string athlete = "sim_runner";
};

/// Sensor set presets (default errors, gyro +-2000 deg/s, accel +-16 g).
std::vector<SensorSettings> shoe_and_sleeve_sensors(double rate_hz);  ///< feet + thighs + shanks
std::vector<SensorSettings> feet_sensors(double rate_hz, bool accel_only = false);
std::vector<SensorSettings> shank_sensors(double rate_hz, bool accel_only = false);
std::vector<SensorSettings> thigh_sensors(double rate_hz, bool accel_only = false);
/// One sacral clip, +-8 g.
std::vector<SensorSettings> pelvis_sensors(double rate_hz, bool accel_only = false);

/// The demo runner (`gaitkeeper demo`, `gaitkeeper live --simulate`): stands
/// still first, as on a treadmill before it starts (the knee sleeve's
/// calibration pose), then runs with shoe and knee-sleeve sensors. A runner
/// worth a look: the left knee collapses inward (12 deg peak valgus) and
/// lands nearly straight (6 deg flexion at contact).
SimSettings demo_runner(double stand_s, double run_s, double speed_mps, double cadence_spm,
                        double rate_hz, uint64_t seed);

struct SimResult {
  Session session;
  Truth truth;  ///< events for both sides, knee angles at 100 Hz
};

/// Sample rates the simulator accepts.
inline constexpr double kMinRate_hz = 100.0;
inline constexpr double kMaxRate_hz = 1000.0;
/// Rate of the knee-angle truth.
inline constexpr double kKneeTruthRate_hz = 100.0;

/// Deterministic for a given settings + seed (byte-identical output). Samples
/// are taken at t = i / rate from t = 0 (the sensor clock of the truth),
/// then quantised and clipped exactly as a .gkr round trip would. Throws
/// std::invalid_argument for settings out of range.
SimResult simulate(const SimSettings& settings);

/// The per-sensor random errors simulate() applies for these settings.
std::vector<SensorErrorDraw> draw_sensor_errors(const SimSettings& settings);

}  // namespace gk::sim
