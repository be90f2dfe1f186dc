#include "simulator.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <map>
#include <stdexcept>

#include "packetizer.hpp"
#include "placement.hpp"

namespace gk::sim {
namespace {

/// 2024-01-01T00:00:00Z: a fixed start so output does not depend on the clock.
constexpr int64_t kStartTimeUtc_us = 1'704'067'200'000'000;
constexpr uint32_t kSamplesPerPacket = 20;
/// Averaged sensors: sub-instants at most this far apart (4 kHz, finer than the shortest
/// simulated transient, the trunk's 3 ms landing spike).
constexpr double kAverageStep_s = 0.00025;

void validate(const SimSettings& settings) {
  if (settings.sensors.empty()) throw std::invalid_argument("simulator: no sensors");
  for (const SensorSettings& s : settings.sensors) {
    const std::string name(placement_name(s.placement));
    if (segment_of(s.placement) == Segment::kUnknown) {
      throw std::invalid_argument("simulator: sensor placement must be a body segment");
    }
    if (!(s.rate_hz >= kMinRate_hz && s.rate_hz <= kMaxRate_hz)) {
      throw std::invalid_argument(fmt::format("simulator: {} rate {} Hz outside {}..{} Hz", name,
                                              s.rate_hz, kMinRate_hz, kMaxRate_hz));
    }
    if (s.accel_range_g == 0) {
      throw std::invalid_argument("simulator: " + name + " needs an accelerometer range");
    }
    const SensorErrorSettings& e = s.errors;
    const bool ok = e.accel_noise_mps2 >= 0 && e.gyro_noise_rps >= 0 && e.accel_bias_mps2 >= 0 &&
                    e.gyro_bias_rps >= 0 && e.gyro_bias_drift_rps_per_sqrt_s >= 0 &&
                    e.scale_error >= 0 && e.scale_error < 0.5 && e.mounting_rotation_max_deg >= 0 &&
                    e.mounting_rotation_max_deg <= 180 && e.timestamp_jitter_us >= 0 &&
                    e.packet_drop_pct >= 0 && e.packet_drop_pct < 100;
    if (!ok) throw std::invalid_argument("simulator: " + name + " error settings out of range");
  }
}

std::string describe(const SimSettings& s) {
  const RunnerSettings& r = s.runner;
  std::string stretches;
  for (const Stretch& st : r.schedule) {
    const char* what = st.activity == Activity::kRun    ? "run"
                       : st.activity == Activity::kWalk ? "walk"
                                                        : "stand";
    if (!stretches.empty()) stretches += ", ";
    stretches += st.activity == Activity::kStand
                     ? fmt::format("{} {:g} s", what, st.duration_s)
                     : fmt::format("{} {:g} s at {:g} m/s {:g} spm", what, st.duration_s,
                                   st.speed_mps, st.cadence_spm);
  }
  const char* strike = r.foot_strike == FootStrikePattern::kHeel  ? "heel"
                       : r.foot_strike == FootStrikePattern::kMid ? "mid"
                                                                  : "fore";
  return fmt::format(
      "simulated (seed {}): {}; duty {:g}, {} strike, valgus L {:g} R {:g} deg, knee IC {:g} deg, "
      "asymmetry {:g} %, cadence drift {:g} spm, valgus drift {:g} deg, knee {:g} deg straighter "
      "at {:g} of the swing before contact, impact rise {:g} ms, shock peak {:g} ms",
      s.seed, stretches, r.duty_factor, strike, r.peak_valgus_left_deg, r.peak_valgus_right_deg,
      r.knee_flexion_ic_deg, r.asymmetry_pct, r.cadence_drift_spm, r.valgus_drift_deg,
      r.knee_terminal_extension_deg, r.knee_terminal_swing_share, r.impact_rise_ms,
      r.shock_peak_ms);
}

pb::SessionHeader make_header(const SimSettings& s) {
  pb::SessionHeader h;
  h.set_session_id(fmt::format("sim-{:016x}", mix_seed(s.seed, 0x5E55)));
  h.set_athlete(s.athlete);
  h.set_start_time_utc_us(kStartTimeUtc_us);
  const bool runs = std::any_of(s.runner.schedule.begin(), s.runner.schedule.end(),
                                [](const Stretch& st) { return st.activity == Activity::kRun; });
  h.set_activity(runs ? pb::RUNNING : pb::WALKING);
  h.set_notes(describe(s));
  for (std::size_t i = 0; i < s.sensors.size(); ++i) {
    const SensorSettings& ss = s.sensors[i];
    pb::SensorInfo* info = h.add_sensors();
    info->set_device_id(static_cast<uint32_t>(i + 1));
    info->set_placement(ss.placement);
    info->set_accel_range_g(ss.accel_range_g);
    info->set_gyro_range_dps(ss.gyro_range_dps);
    info->set_nominal_rate_hz(ss.rate_hz);
  }
  return h;
}

}  // namespace

std::vector<SensorErrorDraw> draw_sensor_errors(const SimSettings& settings) {
  std::vector<SensorErrorDraw> out;
  for (std::size_t i = 0; i < settings.sensors.size(); ++i) {
    out.push_back(SensorModel(settings.sensors[i], settings.seed, i).draw());
  }
  return out;
}

SimResult simulate(const SimSettings& settings) {
  validate(settings);
  const RunnerModel model(settings.runner);
  const double duration_s = model.duration_s();

  SimResult result;
  Session& session = result.session;
  session.header = make_header(settings);
  const std::size_t n_sensors = settings.sensors.size();
  std::vector<SensorModel> sensors;
  std::vector<Packetizer> packetizers;
  for (std::size_t i = 0; i < n_sensors; ++i) {
    const SensorSettings& ss = settings.sensors[i];
    sensors.emplace_back(ss, settings.seed, i);
    PacketizerSettings ps;
    ps.device_id = static_cast<uint32_t>(i + 1);
    ps.placement = ss.placement;
    ps.accel_range_g = ss.accel_range_g;
    ps.gyro_range_dps = ss.gyro_range_dps;
    ps.sample_period_us = static_cast<uint32_t>(std::lround(1e6 / ss.rate_hz));
    ps.samples_per_packet = kSamplesPerPacket;
    packetizers.emplace_back(ps);
    SensorStream stream;
    stream.info = session.header.sensors(static_cast<int>(i));
    session.sensors.push_back(std::move(stream));
  }
  auto emit = [&](std::size_t i) {
    const pb::SensorPacket packet = packetizers[i].take();
    if (!sensors[i].drop_packet()) unpack(packet, session.sensors[i].samples);
  };

  // Sensors sharing a rate share the body motion evaluated at each instant.
  std::map<double, std::vector<std::size_t>> by_rate;
  for (std::size_t i = 0; i < n_sensors; ++i) by_rate[settings.sensors[i].rate_hz].push_back(i);
  for (const auto& [rate_hz, members] : by_rate) {
    const auto count = static_cast<int64_t>(std::ceil(duration_s * rate_hz - 1e-9));
    const auto period_us = static_cast<int64_t>(std::lround(1e6 / rate_hz));
    for (std::size_t i : members) {
      session.sensors[i].samples.reserve(static_cast<std::size_t>(count));
    }
    // Averaged sensors (SensorSettings::averaged): the motion at sub-instants at most
    // kAverageStep_s apart across the sample period.
    const bool any_averaged = std::any_of(members.begin(), members.end(), [&](std::size_t i) {
      return settings.sensors[i].averaged;
    });
    const int sub_steps =
        any_averaged ? std::max(1, static_cast<int>(std::ceil(1.0 / (rate_hz * kAverageStep_s))))
                     : 0;
    std::vector<ImuReading> averaged(members.size());
    for (int64_t k = 0; k < count; ++k) {
      const int64_t nominal_us = std::llround(static_cast<double>(k) * 1e6 / rate_hz);
      const double t_s = static_cast<double>(nominal_us) * 1e-6;
      const auto body = model.body_kinematics(t_s);
      if (sub_steps > 0) {
        std::fill(averaged.begin(), averaged.end(), ImuReading{});
        for (int j = 0; j < sub_steps; ++j) {
          const double offset = ((j + 0.5) / sub_steps - 0.5) / rate_hz;
          const auto sub = model.body_kinematics(t_s + offset);
          for (std::size_t m = 0; m < members.size(); ++m) {
            const ImuReading r = RunnerModel::ideal_imu(
                sub[static_cast<std::size_t>(settings.sensors[members[m]].placement)]);
            averaged[m].acc_mps2 += r.acc_mps2 / sub_steps;
            averaged[m].gyr_rps += r.gyr_rps / sub_steps;
          }
        }
      }
      for (std::size_t m = 0; m < members.size(); ++m) {
        const std::size_t i = members[m];
        const auto& kin = body[static_cast<std::size_t>(settings.sensors[i].placement)];
        const ImuReading ideal =
            settings.sensors[i].averaged ? averaged[m] : RunnerModel::ideal_imu(kin);
        ImuSample sample = sensors[i].measure(ideal, 1.0 / rate_hz);
        sample.t_us = sensors[i].timestamp_us(nominal_us, period_us);
        if (packetizers[i].push(sample)) emit(i);
      }
    }
    for (std::size_t i : members) {
      if (packetizers[i].pending()) emit(i);
    }
  }

  // Only events before the last sample (t = (count - 1) / rate) are in the
  // data; the slowest-ending sensor bounds what every sensor saw.
  double last_sample_s = duration_s;
  for (const auto& [rate_hz, members] : by_rate) {
    const auto count = static_cast<int64_t>(std::ceil(duration_s * rate_hz - 1e-9));
    last_sample_s = std::min(
        last_sample_s,
        static_cast<double>(std::llround(static_cast<double>(count - 1) * 1e6 / rate_hz)) * 1e-6);
  }
  result.truth.events = model.events(last_sample_s);
  std::vector<TruthKnee> knee;
  const auto knee_count = static_cast<int64_t>(std::ceil(duration_s * kKneeTruthRate_hz - 1e-9));
  knee.reserve(static_cast<std::size_t>(2 * knee_count));
  for (int64_t k = 0; k < knee_count; ++k) {
    const double t_s = static_cast<double>(k) / kKneeTruthRate_hz;
    knee.push_back(model.knee(pb::LEFT, t_s));
    knee.push_back(model.knee(pb::RIGHT, t_s));
  }
  result.truth.knee = std::move(knee);
  return result;
}

}  // namespace gk::sim
