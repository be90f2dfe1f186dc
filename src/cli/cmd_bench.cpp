// `gaitkeeper bench`: engine throughput and memory on a simulated two-foot run (issue:
// performance). Simulation is never timed: samples are generated and interleaved by time first,
// then pushed through GaitEngine on this one thread exactly as analyze_gait does. The last line
// of output is one JSON object, so scripts can take the figures without parsing prose.
#include <fmt/format.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <ctime>
#include <fstream>
#include <memory>
#include <nlohmann/json.hpp>
#include <queue>
#include <string>
#include <thread>
#include <tuple>
#include <vector>

#include "commands.hpp"
#include "finite_range.hpp"
#include "gait_engine.hpp"
#include "orientation_filter.hpp"
#include "simulator.hpp"

namespace gk::cli {
namespace {

struct BenchOptions {
  double seconds = 60.0;
  double rate_hz = 1000.0;
  double memory_hours = 4.0;
  int repeats = 5;
  uint64_t seed = 11;
};

/// One sample with the engine's sensor index, in the order a live link delivers them.
struct Tagged {
  size_t sensor = 0;
  ImuSample sample;
};

sim::SimSettings run_settings(double seconds, double rate_hz, uint64_t seed) {
  sim::SimSettings s;
  s.seed = seed;
  s.athlete = "bench_runner";
  s.runner.schedule = {{sim::Activity::kRun, seconds, 3.2, 170.0}};
  s.sensors = sim::feet_sensors(rate_hz);
  return s;
}

/// The k-way merge of analyze_gait (by time, ties in sensor order), done once up front so the
/// timed loop measures the engine and not the priority queue. t_offset_us shifts every sample
/// (to chain simulated blocks into one long session).
std::vector<Tagged> interleave(const Session& session, int64_t t_offset_us) {
  using Head = std::tuple<int64_t, size_t, size_t>;  // t_us, sensor, index
  std::priority_queue<Head, std::vector<Head>, std::greater<>> heads;
  size_t total = 0;
  for (size_t i = 0; i < session.sensors.size(); ++i) {
    const auto& samples = session.sensors[i].samples;
    total += samples.size();
    if (!samples.empty()) heads.emplace(samples.front().t_us, i, 0);
  }
  std::vector<Tagged> out;
  out.reserve(total);
  while (!heads.empty()) {
    const auto [t, sensor, index] = heads.top();
    heads.pop();
    const auto& samples = session.sensors[sensor].samples;
    out.push_back({sensor, samples[index]});
    out.back().sample.t_us += t_offset_us;
    if (index + 1 < samples.size()) heads.emplace(samples[index + 1].t_us, sensor, index + 1);
  }
  return out;
}

/// Pushes every sample and collects steps as analyze_gait does; returns the steps found.
size_t feed(GaitEngine& engine, const std::vector<Tagged>& samples) {
  size_t steps = 0;
  for (const Tagged& t : samples) {
    engine.push(t.sensor, t.sample);
    steps += engine.take().size();
  }
  return steps;
}

using Clock = std::chrono::steady_clock;

double seconds_since(Clock::time_point start) {
  return std::chrono::duration<double>(Clock::now() - start).count();
}

/// CPU time of this thread. Rates are per CPU second, i.e. per core actually used: on a shared
/// machine wall time also counts the time other processes held the core.
double thread_cpu_s() {
  timespec ts{};
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return static_cast<double>(ts.tv_sec) + static_cast<double>(ts.tv_nsec) * 1e-9;
}

/// Median of the per-repeat rates: robust to one repeat losing the core to another process.
double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  const size_t n = v.size();
  return n % 2 ? v[n / 2] : 0.5 * (v[n / 2 - 1] + v[n / 2]);
}

struct Rate {
  double median_per_s = 0.0;  ///< per CPU second
  double best_per_s = 0.0;    ///< per CPU second
  double wall_median_per_s = 0.0;
};

/// Runs body (which processes `items` items) `repeats` times, after one untimed warm-up.
template <class Body>
Rate measure(int repeats, size_t items, Body&& body) {
  body();
  std::vector<double> cpu_rates;
  std::vector<double> wall_rates;
  const auto count = static_cast<double>(items);
  for (int r = 0; r < repeats; ++r) {
    const Clock::time_point start = Clock::now();
    const double cpu_start_s = thread_cpu_s();
    body();
    cpu_rates.push_back(count / (thread_cpu_s() - cpu_start_s));
    wall_rates.push_back(count / seconds_since(start));
  }
  return {median(cpu_rates), *std::max_element(cpu_rates.begin(), cpu_rates.end()),
          median(wall_rates)};
}

/// Kernel's figure for this process, in MB; VmHWM is the peak resident set so far.
double proc_status_mb(const std::string& key) {
  std::ifstream in("/proc/self/status");
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind(key + ":", 0) == 0) return std::stod(line.substr(key.size() + 1)) / 1024.0;
  }
  return 0.0;  // not Linux: reported as 0, never a failure
}

double load_average_1min() {
  std::ifstream in("/proc/loadavg");
  double load = 0.0;
  in >> load;
  return load;
}

void run_bench(const BenchOptions& opt) {
  nlohmann::ordered_json out;

  // --- Throughput: one simulated run, timed over and over ---------------------------------------
  const sim::SimResult sim = sim::simulate(run_settings(opt.seconds, opt.rate_hz, opt.seed));
  const pb::SessionHeader& header = sim.session.header;
  const std::vector<Tagged> samples = interleave(sim.session, 0);
  const size_t n = samples.size();
  const size_t n_sensors = sim.session.sensors.size();
  fmt::print(
      "gaitkeeper bench: {:.0f} s simulated run, {} feet sensors at {:.0f} Hz, {} samples, "
      "{} timed repeats on one thread\n",
      opt.seconds, n_sensors, opt.rate_hz, n, opt.repeats);

  size_t steps_found = 0;
  const Rate engine = measure(opt.repeats, n, [&] {
    GaitEngine e(header);
    steps_found = feed(e, samples);
    e.finish();
    steps_found += e.take().size();
  });

  // Stage split. Detectors alone = the same engine without its orientation filters (detectors,
  // merger and metrics); AHRS alone = one bare filter per sensor over the same samples.
  EngineSettings no_orientation;
  no_orientation.run_orientation = false;
  const Rate detectors = measure(opt.repeats, n, [&] {
    GaitEngine e(header, no_orientation);
    feed(e, samples);
    e.finish();
  });
  auto ahrs_rate = [&](OrientationMethod method) {
    return measure(opt.repeats, n, [&] {
      std::vector<std::unique_ptr<OrientationFilter>> filters;
      for (size_t i = 0; i < n_sensors; ++i) {
        filters.push_back(make_orientation_filter(method, OrientationSettings{}));
      }
      for (const Tagged& t : samples) filters[t.sensor]->update(t.sample);
      // Keeps the filter work observable, so it cannot be optimised away.
      if (!filters[0]->orientation().coeffs().allFinite()) fmt::print("(non-finite)\n");
    });
  };
  const OrientationMethod engine_method = EngineSettings{}.orientation_method;
  const Rate ahrs = ahrs_rate(engine_method);
  const Rate madgwick = ahrs_rate(OrientationMethod::kMadgwick);
  const Rate mahony = ahrs_rate(OrientationMethod::kMahony);

  const double sensor_rate_hz = 1000.0;
  const double realtime = engine.median_per_s / sensor_rate_hz;
  fmt::print(
      "  engine (orientation through metrics): {:>6.2f} M samples/s per CPU second (best "
      "{:.2f}; {:.2f} by wall clock), {} steps\n",
      engine.median_per_s * 1e-6, engine.best_per_s * 1e-6, engine.wall_median_per_s * 1e-6,
      steps_found);
  fmt::print(
      "    = {:.0f}x real time for one 1 kHz sensor stream ({:.0f}x for this {}-sensor "
      "session)\n",
      realtime, engine.median_per_s / (opt.rate_hz * static_cast<double>(n_sensors)), n_sensors);
  fmt::print("  detectors + merger alone:             {:>6.2f} M samples/s\n",
             detectors.median_per_s * 1e-6);
  fmt::print("  AHRS alone ({}, the engine's):   {:>6.2f} M samples/s\n", to_string(engine_method),
             ahrs.median_per_s * 1e-6);
  fmt::print("  AHRS alone madgwick / mahony:         {:>6.2f} / {:.2f} M samples/s\n",
             madgwick.median_per_s * 1e-6, mahony.median_per_s * 1e-6);

  out["engine_samples_per_s"] = engine.median_per_s;
  out["engine_best_samples_per_s"] = engine.best_per_s;
  out["engine_wall_samples_per_s"] = engine.wall_median_per_s;
  out["realtime_factor_1khz"] = realtime;
  out["ahrs_samples_per_s"] = ahrs.median_per_s;
  out["ahrs_method"] = std::string(to_string(engine_method));
  out["madgwick_samples_per_s"] = madgwick.median_per_s;
  out["mahony_samples_per_s"] = mahony.median_per_s;
  out["detectors_samples_per_s"] = detectors.median_per_s;
  out["bench_samples"] = n;
  out["bench_steps"] = steps_found;
  out["sensors"] = n_sensors;
  out["rate_hz"] = opt.rate_hz;
  out["repeats"] = opt.repeats;

  // --- Memory: a long session streamed through one engine, never held whole ------------------
  // The simulator produces whole sessions, so the long run is chained from 60 s blocks (each its
  // own seed, timestamps shifted to follow on): at most one block is in memory at a time, and
  // whatever grows with session length inside the engine shows up in the peak RSS.
  if (opt.memory_hours > 0.0) {
    const double block_s = 60.0;
    const auto blocks = static_cast<int64_t>(std::ceil(opt.memory_hours * 3600.0 / block_s));
    const auto block_us = static_cast<int64_t>(block_s * 1e6);
    const double rss_before_mb = proc_status_mb("VmRSS");
    GaitEngine engine_long(header);
    size_t long_steps = 0;
    size_t long_contacts = 0;
    size_t long_samples = 0;
    double engine_s = 0.0;
    std::vector<double> rss_per_hour_mb;
    const Clock::time_point start = Clock::now();
    for (int64_t b = 0; b < blocks; ++b) {
      const sim::SimResult block = sim::simulate(
          run_settings(block_s, opt.rate_hz, opt.seed + 1 + static_cast<uint64_t>(b)));
      long_contacts += block.truth.events ? block.truth.events->size() : 0;
      const std::vector<Tagged> chunk = interleave(block.session, b * block_us);
      long_samples += chunk.size();
      const double t0_s = thread_cpu_s();
      long_steps += feed(engine_long, chunk);
      engine_s += thread_cpu_s() - t0_s;
      if ((b + 1) % 60 == 0) rss_per_hour_mb.push_back(proc_status_mb("VmRSS"));
    }
    engine_long.finish();
    long_steps += engine_long.take().size();
    const double wall_s = seconds_since(start);
    const double peak_mb = proc_status_mb("VmHWM");
    const double hours = static_cast<double>(blocks) * block_s / 3600.0;
    fmt::print(
        "  memory: {:.1f} h x {} feet x {:.0f} Hz = {} samples streamed in {:.0f} s "
        "({:.1f} CPU s in the engine, the rest simulating)\n",
        hours, n_sensors, opt.rate_hz, long_samples, wall_s, engine_s);
    fmt::print("    peak RSS {:.1f} MB (RSS {:.1f} MB before the long run; per hour:", peak_mb,
               rss_before_mb);
    for (double mb : rss_per_hour_mb) fmt::print(" {:.1f}", mb);
    fmt::print(" MB), {} steps found, {} simulated contacts\n", long_steps, long_contacts);
    out["peak_rss_mb"] = peak_mb;
    out["rss_before_long_run_mb"] = rss_before_mb;
    out["rss_per_hour_mb"] = rss_per_hour_mb;
    out["hours_simulated"] = hours;
    out["long_run_samples"] = long_samples;
    out["long_run_steps"] = long_steps;
    out["long_run_truth_contacts"] = long_contacts;
    out["long_run_engine_samples_per_s"] = static_cast<double>(long_samples) / engine_s;
  } else {
    out["peak_rss_mb"] = proc_status_mb("VmHWM");
    out["hours_simulated"] = 0.0;
  }
  out["load_average_1min"] = load_average_1min();
  out["hardware_threads"] = std::thread::hardware_concurrency();
  fmt::print("{}\n", out.dump());
}

}  // namespace

void add_bench_command(CLI::App& app) {
  auto opt = std::make_shared<BenchOptions>();
  CLI::App* cmd = app.add_subcommand(
      "bench",
      "Measure the gait engine on one core: samples per CPU second through orientation,\n"
      "detectors and metrics for a simulated two-foot run (simulation not timed), the stages on\n"
      "their own, and peak memory while streaming a long session. realtime_factor_1khz is how\n"
      "many times faster than real time one 1 kHz sensor stream is processed (samples/s / 1000).\n"
      "Ends with one JSON line.");
  cmd->add_option("--seconds", opt->seconds, "Length of the timed simulated run")
      ->check(finite_range(5.0, 3600.0))
      ->capture_default_str();
  cmd->add_option("--rate-hz", opt->rate_hz, "Sensor sample rate")
      ->check(finite_range(sim::kMinRate_hz, sim::kMaxRate_hz))
      ->capture_default_str();
  cmd->add_option("--memory-hours", opt->memory_hours,
                  "Length of the streamed session for the memory check (0 = skip)")
      ->check(finite_range(0.0, 48.0))
      ->capture_default_str();
  cmd->add_option("--repeats", opt->repeats, "Timed repeats (the median is reported)")
      ->check(finite_range(1, 100))
      ->capture_default_str();
  cmd->add_option("--seed", opt->seed, "Random seed of the simulation")->capture_default_str();
  cmd->callback([opt] { run_bench(*opt); });
}

}  // namespace gk::cli
