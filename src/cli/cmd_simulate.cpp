// `gaitkeeper simulate`: a synthetic runner (src/sim) recorded by simulated
// IMUs, written as a .gkr recording or a CSV session folder together with its
// ground truth (every contact, knee angles at 100 Hz), so detectors and
// metrics can be scored against exact answers.
#include <fmt/format.h>

#include <filesystem>
#include <map>
#include <memory>
#include <stdexcept>
#include <string>

#include "commands.hpp"
#include "finite_range.hpp"
#include "input_error.hpp"
#include "placement.hpp"
#include "session.hpp"
#include "simulator.hpp"
#include "utc_time.hpp"

namespace gk::cli {
namespace {

struct SimulateOptions {
  std::filesystem::path out;
  std::string activity = "run";
  double duration_s = 60.0;
  double speed_mps = 3.0;
  double cadence_spm = 170.0;
  double duty_factor = 0.35;
  std::string foot_strike = "heel";
  double valgus_left_deg = 4.0;
  double valgus_right_deg = 4.0;
  double knee_flexion_ic_deg = 15.0;
  double knee_terminal_extension_deg = 8.0;
  double knee_terminal_swing_share = 0.08;
  double impact_rise_ms = 3.0;
  double shock_peak_ms = 0.0;
  double asymmetry_pct = 0.0;
  double cadence_drift_spm = 0.0;
  double valgus_drift_deg = 0.0;
  double pelvic_drop_deg = 4.0;
  double rate_hz = 200.0;
  std::string sensors = "shoe+sleeve";
  bool accel_only = false;
  bool averaged_samples = false;
  uint32_t accel_range_g = 0;   ///< 0 = each sensor's default (16 g; 8 g on the pelvis)
  uint32_t gyro_range_dps = 0;  ///< 0 = each sensor's default (2000 deg/s)
  double noise_scale = 1.0;
  double mounting_max_deg = 30.0;
  double drop_pct = 0.0;
  double jitter_us = 0.0;
  double stand_s = 0.0;
  double warmup_walk_s = 0.0;
  uint64_t seed = 1;
  std::string athlete = "sim_runner";
  std::string start;
};

/// Sensors from a comma-separated list of set names or placement names.
std::vector<sim::SensorSettings> sensor_set(const std::string& list, double rate_hz,
                                            bool accel_only) {
  std::vector<sim::SensorSettings> out;
  auto append = [&out](std::vector<sim::SensorSettings> more) {
    for (auto& s : more) out.push_back(s);
  };
  std::size_t start = 0;
  while (start <= list.size()) {
    const std::size_t comma = std::min(list.find(',', start), list.size());
    const std::string name = list.substr(start, comma - start);
    start = comma + 1;
    if (name.empty()) continue;
    if (name == "shoe+sleeve") {
      append(sim::shoe_and_sleeve_sensors(rate_hz));
    } else if (name == "sleeve") {
      append(sim::shank_sensors(rate_hz));
      append(sim::thigh_sensors(rate_hz));
    } else if (name == "feet") {
      append(sim::feet_sensors(rate_hz));
    } else if (name == "shank") {
      append(sim::shank_sensors(rate_hz));
    } else if (name == "thigh") {
      append(sim::thigh_sensors(rate_hz));
    } else if (name == "pelvis") {
      append(sim::pelvis_sensors(rate_hz));
    } else if (const auto p = parse_placement(name)) {
      sim::SensorSettings s;
      s.placement = *p;
      s.rate_hz = rate_hz;
      if (*p == pb::PELVIS) s.accel_range_g = 8;
      out.push_back(s);
    } else {
      throw InputError("--sensors", 0,
                       fmt::format("unknown sensor set '{}' (shoe+sleeve, feet, shank, thigh, "
                                   "pelvis or a placement such as left_foot)",
                                   name));
    }
  }
  if (out.empty()) throw InputError("--sensors", 0, "no sensors selected");
  for (std::size_t i = 0; i < out.size(); ++i) {
    for (std::size_t j = 0; j < i; ++j) {
      if (out[i].placement == out[j].placement) {
        throw InputError("--sensors", 0,
                         fmt::format("{} selected twice", placement_name(out[i].placement)));
      }
    }
    if (accel_only) out[i].gyro_range_dps = 0;
  }
  return out;
}

sim::SimSettings settings_from(const SimulateOptions& o) {
  sim::SimSettings s;
  s.seed = o.seed;
  s.athlete = o.athlete;
  sim::RunnerSettings& r = s.runner;
  r.schedule.clear();
  if (o.stand_s > 0.0) r.schedule.push_back({sim::Activity::kStand, o.stand_s, 0.0, 0.0});
  // Preferred walking at ~1.4 m/s and ~110 steps/min (Perry & Burnfield 2010).
  if (o.warmup_walk_s > 0.0) {
    r.schedule.push_back({sim::Activity::kWalk, o.warmup_walk_s, 1.4, 110.0});
  }
  const auto activity = o.activity == "walk" ? sim::Activity::kWalk : sim::Activity::kRun;
  r.schedule.push_back({activity, o.duration_s, o.speed_mps, o.cadence_spm});
  r.duty_factor = o.duty_factor;
  r.foot_strike = o.foot_strike == "fore"  ? sim::FootStrikePattern::kFore
                  : o.foot_strike == "mid" ? sim::FootStrikePattern::kMid
                                           : sim::FootStrikePattern::kHeel;
  r.peak_valgus_left_deg = o.valgus_left_deg;
  r.peak_valgus_right_deg = o.valgus_right_deg;
  r.knee_flexion_ic_deg = o.knee_flexion_ic_deg;
  r.knee_terminal_extension_deg = o.knee_terminal_extension_deg;
  r.knee_terminal_swing_share = o.knee_terminal_swing_share;
  r.impact_rise_ms = o.impact_rise_ms;
  r.shock_peak_ms = o.shock_peak_ms;
  r.asymmetry_pct = o.asymmetry_pct;
  r.cadence_drift_spm = o.cadence_drift_spm;
  r.valgus_drift_deg = o.valgus_drift_deg;
  r.pelvic_drop_deg = o.pelvic_drop_deg;
  s.sensors = sensor_set(o.sensors, o.rate_hz, o.accel_only);
  for (sim::SensorSettings& sensor : s.sensors) {
    sensor.errors = sim::scale_noise(sim::SensorErrorSettings{}, o.noise_scale);
    sensor.errors.mounting_rotation_max_deg = o.mounting_max_deg;
    sensor.errors.packet_drop_pct = o.drop_pct;
    sensor.errors.timestamp_jitter_us = o.jitter_us;
    sensor.averaged = o.averaged_samples;
    if (o.accel_range_g > 0) sensor.accel_range_g = o.accel_range_g;
    if (o.gyro_range_dps > 0 && sensor.gyro_range_dps > 0) sensor.gyro_range_dps = o.gyro_range_dps;
  }
  return s;
}

void run_simulate(const SimulateOptions& o) {
  const sim::SimSettings settings = settings_from(o);
  sim::SimResult result;
  try {
    result = sim::simulate(settings);
  } catch (const std::invalid_argument& e) {
    std::string what = e.what();
    const std::string prefix = "simulator: ";
    if (what.starts_with(prefix)) what = what.substr(prefix.size());
    throw InputError("simulate", 0, what);
  }
  if (!o.start.empty()) {
    const std::optional<int64_t> start_us = parse_utc_us(o.start);
    if (!start_us) {
      throw InputError(
          "--start", 0,
          fmt::format("`{}` is not a UTC date: use YYYY-MM-DD or YYYY-MM-DDTHH:MM", o.start));
    }
    result.session.header.set_start_time_utc_us(*start_us);
  }
  const bool recording = o.out.extension() == ".gkr";
  if (o.out.has_parent_path()) std::filesystem::create_directories(o.out.parent_path());
  std::filesystem::path truth_dir;
  if (recording) {
    write_recording(o.out, result.session);
    truth_dir = truth_dir_for(o.out);
  } else {
    write_csv_session(o.out, result.session);
    truth_dir = truth_dir_for(o.out);
  }
  write_truth(truth_dir, result.truth);

  std::size_t samples = 0;
  std::string names;
  for (const SensorStream& s : result.session.sensors) {
    samples += s.samples.size();
    names += fmt::format("{}{}{}", names.empty() ? "" : ", ", placement_name(s.info.placement()),
                         s.info.gyro_range_dps() > 0 ? "" : " (accel only)");
  }
  std::map<pb::Side, int> contacts;
  for (const TruthEvent& e : *result.truth.events) ++contacts[e.side];
  double duration_s = 0.0;
  for (const sim::Stretch& st : settings.runner.schedule) duration_s += st.duration_s;
  fmt::print("wrote {} ({}, session '{}', seed {})\n", o.out.string(),
             recording ? "recording" : "CSV session", result.session.header.session_id(), o.seed);
  fmt::print("  {} sensors at {:g} Hz: {}\n", result.session.sensors.size(), o.rate_hz, names);
  fmt::print("  {} samples over {:.1f} s\n", samples, duration_s);
  fmt::print("wrote truth to {} ({} contacts: {} left, {} right; {} knee samples at 100 Hz)\n",
             truth_dir.string(), result.truth.events->size(), contacts[pb::LEFT],
             contacts[pb::RIGHT], result.truth.knee->size());
}

}  // namespace

void add_simulate_command(CLI::App& app) {
  auto opt = std::make_shared<SimulateOptions>();
  CLI::App* cmd = app.add_subcommand(
      "simulate",
      "Simulate a runner wearing IMUs and write the recording with its ground truth.\n"
      "A body model moves feet, shanks, thighs and pelvis from the gait parameters below;\n"
      "each sensor's gyroscope and accelerometer (gravity included) are derived from that\n"
      "one motion, then sensor errors are added (noise, bias and drift, scale error, a random\n"
      "mounting rotation, saturation, timestamp jitter, dropped packets). Output: OUT.gkr\n"
      "(truth in OUT.truth/) or, for any other OUT, a CSV session folder (truth in OUT/truth/).\n"
      "Truth: every initial contact and toe-off per side (exact, on the sample clock, which\n"
      "starts at 0) and knee flexion/valgus at 100 Hz. Same options + seed = same bytes.");
  cmd->add_option("--out,-o", opt->out, "Output: PATH.gkr recording, else a CSV session folder")
      ->required();
  cmd->add_option("--activity", opt->activity, "Main stretch: run or walk")
      ->capture_default_str()
      ->check(CLI::IsMember({"run", "walk"}));
  cmd->add_option("--duration-s", opt->duration_s,
                  "Length of the main stretch (after --stand-s and --warmup-walk-s)")
      ->capture_default_str()
      ->check(finite_range(1.0, 6.0 * 3600.0));
  cmd->add_option("--speed-mps", opt->speed_mps, "Speed of the main stretch")
      ->capture_default_str()
      ->check(finite_range(0.3, 12.0));
  cmd->add_option("--cadence-spm", opt->cadence_spm, "Steps per minute (both feet) at the start")
      ->capture_default_str()
      ->check(finite_range(60.0, 260.0));
  cmd->add_option("--duty-factor", opt->duty_factor, "Stance share of a running stride")
      ->capture_default_str()
      ->check(finite_range(0.2, 0.55));
  cmd->add_option("--foot-strike", opt->foot_strike, "Running foot strike: heel, mid or fore")
      ->capture_default_str()
      ->check(CLI::IsMember({"heel", "mid", "fore"}));
  cmd->add_option("--valgus-left-deg", opt->valgus_left_deg,
                  "Peak stance knee valgus, left (+ = knee toward the midline)")
      ->capture_default_str()
      ->check(finite_range(-25.0, 25.0));
  cmd->add_option("--valgus-right-deg", opt->valgus_right_deg, "Peak stance knee valgus, right")
      ->capture_default_str()
      ->check(finite_range(-25.0, 25.0));
  cmd->add_option("--knee-flexion-ic-deg", opt->knee_flexion_ic_deg,
                  "Knee flexion at initial contact while running")
      ->capture_default_str()
      ->check(finite_range(0.0, 40.0));
  cmd->add_option("--knee-terminal-extension-deg", opt->knee_terminal_extension_deg,
                  "How much straighter than at contact the running knee gets late in the swing\n"
                  "before flexing into the contact (0 = straightest at contact)")
      ->capture_default_str()
      ->check(finite_range(0.0, 20.0));
  cmd->add_option("--knee-terminal-swing-share", opt->knee_terminal_swing_share,
                  "When the knee is straightest: share of the swing before contact")
      ->capture_default_str()
      ->check(finite_range(0.03, 0.3));
  cmd->add_option("--impact-rise-ms", opt->impact_rise_ms,
                  "Onset time constant of the impact shock after each contact (its\n"
                  "ringing bounds the effect: the shank's shock peaks 1.1-2.0 ms after\n"
                  "contact over 2-12 ms)")
      ->capture_default_str()
      ->check(finite_range(0.5, 20.0));
  cmd->add_option("--shock-peak-ms", opt->shock_peak_ms,
                  "0: shank and thigh shocks are spikes like the foot's; otherwise a pulse\n"
                  "peaking this long after each contact (2-20 ms)")
      ->capture_default_str()
      ->check(finite_range(0.0, 20.0));
  cmd->add_option("--asymmetry-pct", opt->asymmetry_pct,
                  "Left contact time longer than right by this %")
      ->capture_default_str()
      ->check(finite_range(-30.0, 30.0));
  cmd->add_option("--cadence-drift-spm", opt->cadence_drift_spm,
                  "Cadence change from start to end of running (fatigue: negative)")
      ->capture_default_str()
      ->check(finite_range(-60.0, 60.0));
  cmd->add_option("--valgus-drift-deg", opt->valgus_drift_deg,
                  "Peak valgus change from start to end of running, both sides")
      ->capture_default_str()
      ->check(finite_range(-15.0, 15.0));
  cmd->add_option("--pelvic-drop-deg", opt->pelvic_drop_deg, "Contralateral pelvic drop in stance")
      ->capture_default_str()
      ->check(finite_range(0.0, 15.0));
  cmd->add_option("--rate-hz", opt->rate_hz, "Sample rate of every sensor")
      ->capture_default_str()
      ->check(finite_range(sim::kMinRate_hz, sim::kMaxRate_hz));
  cmd->add_option("--sensors", opt->sensors,
                  "Comma-separated: shoe+sleeve (feet, shanks, thighs), feet, shank, thigh,\n"
                  "pelvis, or placements (left_foot, right_shank, pelvis, ...)")
      ->capture_default_str();
  cmd->add_flag("--accel-only", opt->accel_only, "Sensors without gyroscope");
  cmd->add_flag("--averaged-samples", opt->averaged_samples,
                "Each sample the mean motion over its sample period (an oversampling\n"
                "converter's decimation), not the motion at its instant");
  cmd->add_option("--accel-range-g", opt->accel_range_g,
                  "Accelerometer full scale of every sensor (default 16 g, 8 g on the pelvis);\n"
                  "readings beyond it clip, as a real sensor's do")
      ->check(CLI::IsMember({2, 4, 8, 16, 32}));
  cmd->add_option("--gyro-range-dps", opt->gyro_range_dps,
                  "Gyroscope full scale of every sensor with a gyroscope (default 2000 deg/s)")
      ->check(CLI::IsMember({250, 500, 1000, 2000, 4000}));
  cmd->add_option("--noise-scale", opt->noise_scale,
                  "Multiplies noise, bias, bias drift and scale error (0 = ideal readings,\n"
                  "still quantised to int16 counts and clipped at full scale)")
      ->capture_default_str()
      ->check(finite_range(0.0, 20.0));
  cmd->add_option("--mounting-max-deg", opt->mounting_max_deg,
                  "Largest random rotation of a sensor on its segment (0 = aligned)")
      ->capture_default_str()
      ->check(finite_range(0.0, 180.0));
  cmd->add_option("--drop-pct", opt->drop_pct, "Share of 20-sample packets lost")
      ->capture_default_str()
      ->check(finite_range(0.0, 50.0));
  cmd->add_option("--jitter-us", opt->jitter_us, "Sigma of per-sample timestamp jitter")
      ->capture_default_str()
      ->check(finite_range(0.0, 5000.0));
  cmd->add_option("--stand-s", opt->stand_s, "Standing still first (sensors at rest)")
      ->capture_default_str()
      ->check(finite_range(0.0, 3600.0));
  cmd->add_option("--warmup-walk-s", opt->warmup_walk_s,
                  "Walking (1.4 m/s, 110 steps/min) before the main stretch")
      ->capture_default_str()
      ->check(finite_range(0.0, 3600.0));
  cmd->add_option("--seed", opt->seed, "Random seed (sensor errors)")
      ->check(finite_range(0.0, 18446744073709551615.0))
      ->capture_default_str();
  cmd->add_option("--start", opt->start,
                  "Session start in UTC (YYYY-MM-DD or YYYY-MM-DDTHH:MM); default 2024-01-01");
  cmd->add_option("--athlete", opt->athlete, "Athlete name in the session header")
      ->capture_default_str();
  cmd->footer(
      "Examples:\n"
      "  gaitkeeper simulate --out run.gkr\n"
      "  gaitkeeper simulate --out tired/ --duration-s 1200 --cadence-drift-spm -8 \\\n"
      "      --valgus-drift-deg 3 --foot-strike heel --warmup-walk-s 120\n"
      "  gaitkeeper simulate --out clean.gkr --sensors feet --rate-hz 1000 --noise-scale 0 \\\n"
      "      --mounting-max-deg 0");
  cmd->callback([opt] { run_simulate(*opt); });
}

}  // namespace gk::cli
