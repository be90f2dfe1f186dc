// Sensor sets matching the products the analyser targets: a shoe pod per
// foot, a knee sleeve with thigh and shank pods, a pelvis clip.
#include "simulator.hpp"

namespace gk::sim {
namespace {

SensorSettings sensor(pb::Placement placement, double rate_hz, bool accel_only) {
  SensorSettings s;
  s.placement = placement;
  s.rate_hz = rate_hz;
  s.gyro_range_dps = accel_only ? 0 : 2000;
  return s;
}

}  // namespace

std::vector<SensorSettings> feet_sensors(double rate_hz, bool accel_only) {
  return {sensor(pb::LEFT_FOOT, rate_hz, accel_only), sensor(pb::RIGHT_FOOT, rate_hz, accel_only)};
}

std::vector<SensorSettings> shank_sensors(double rate_hz, bool accel_only) {
  return {sensor(pb::LEFT_SHANK, rate_hz, accel_only),
          sensor(pb::RIGHT_SHANK, rate_hz, accel_only)};
}

std::vector<SensorSettings> thigh_sensors(double rate_hz, bool accel_only) {
  return {sensor(pb::LEFT_THIGH, rate_hz, accel_only),
          sensor(pb::RIGHT_THIGH, rate_hz, accel_only)};
}

std::vector<SensorSettings> pelvis_sensors(double rate_hz, bool accel_only) {
  SensorSettings s = sensor(pb::PELVIS, rate_hz, accel_only);
  s.accel_range_g = 8;
  return {s};
}

std::vector<SensorSettings> shoe_and_sleeve_sensors(double rate_hz) {
  std::vector<SensorSettings> out = feet_sensors(rate_hz);
  for (const auto& s : shank_sensors(rate_hz)) out.push_back(s);
  for (const auto& s : thigh_sensors(rate_hz)) out.push_back(s);
  return out;
}

SimSettings demo_runner(double stand_s, double run_s, double speed_mps, double cadence_spm,
                        double rate_hz, uint64_t seed) {
  SimSettings settings;
  settings.seed = seed;
  settings.athlete = "demo_runner";
  settings.runner.schedule = {{Activity::kStand, stand_s, 0.0, 0.0},
                              {Activity::kRun, run_s, speed_mps, cadence_spm}};
  settings.runner.peak_valgus_left_deg = 12.0;
  settings.runner.peak_valgus_right_deg = 4.0;
  settings.runner.knee_flexion_ic_deg = 6.0;
  settings.sensors = shoe_and_sleeve_sensors(rate_hz);
  return settings;
}

}  // namespace gk::sim
