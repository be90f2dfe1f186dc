// Throughput of the whole gait engine and of its stages on a simulated two-foot 1 kHz run.
// Items = samples (both feet together). The run is simulated and interleaved by time once, outside
// the timed loop, so only the engine is measured; each iteration is one full pass (fresh engine,
// every sample pushed in time order, steps taken as analyze_gait takes them, finish()).
#include <benchmark/benchmark.h>

#include <cstddef>
#include <cstdint>
#include <memory>
#include <queue>
#include <tuple>
#include <vector>

#include "gait_engine.hpp"
#include "orientation_filter.hpp"
#include "simulator.hpp"

namespace {

struct Tagged {
  size_t sensor = 0;
  gk::ImuSample sample;
};

struct Run {
  gk::pb::SessionHeader header;
  std::vector<Tagged> samples;
};

// Both feet at 1 kHz through one stretch (30 s: 60k samples), interleaved by time; the sensors at
// the simulator's default full scales (which a foot does not reach), or at the ranges given.
Run simulate_feet(const gk::sim::Stretch& stretch, uint32_t gyro_range_dps = 0,
                  uint32_t accel_range_g = 0) {
  gk::sim::SimSettings s;
  s.seed = 11;
  s.runner.schedule = {stretch};
  s.sensors = gk::sim::feet_sensors(1000.0);
  for (gk::sim::SensorSettings& sensor : s.sensors) {
    if (gyro_range_dps > 0) sensor.gyro_range_dps = gyro_range_dps;
    if (accel_range_g > 0) sensor.accel_range_g = accel_range_g;
  }
  const gk::sim::SimResult sim = gk::sim::simulate(s);
  Run r;
  r.header = sim.session.header;
  // Time order across sensors, ties in sensor order (as analyze_gait merges them).
  using Head = std::tuple<int64_t, size_t, size_t>;
  std::priority_queue<Head, std::vector<Head>, std::greater<>> heads;
  for (size_t i = 0; i < sim.session.sensors.size(); ++i) {
    if (!sim.session.sensors[i].samples.empty()) {
      heads.emplace(sim.session.sensors[i].samples.front().t_us, i, 0);
    }
  }
  while (!heads.empty()) {
    const auto [t, sensor, index] = heads.top();
    heads.pop();
    const auto& samples = sim.session.sensors[sensor].samples;
    r.samples.push_back({sensor, samples[index]});
    if (index + 1 < samples.size()) heads.emplace(samples[index + 1].t_us, sensor, index + 1);
  }
  return r;
}

// 30 s of running: about 85 steps per side.
const Run& simulated_run() {
  static const Run run = simulate_feet({gk::sim::Activity::kRun, 30.0, 3.2, 170.0});
  return run;
}

// The same run read by sensors left at +/-500 deg/s and +/-8 g: each foot's swing and push-off
// clip twice a stride, so every sample passes the declip stage (gait/declip.hpp).
const Run& simulated_clipped_run() {
  static const Run run = simulate_feet({gk::sim::Activity::kRun, 30.0, 3.2, 170.0}, 500, 8);
  return run;
}

// 30 s of standing still: no steps, but the detectors keep looking for the
// pitch axis over a window of seconds at every sample.
const Run& simulated_stand() {
  static const Run run = simulate_feet({gk::sim::Activity::kStand, 30.0, 0.0, 0.0});
  return run;
}

void run_engine(benchmark::State& state, const gk::EngineSettings& settings,
                const Run& run = simulated_run()) {
  size_t steps = 0;
  for (auto _ : state) {
    gk::GaitEngine engine(run.header, settings);
    for (const Tagged& t : run.samples) {
      engine.push(t.sensor, t.sample);
      steps += engine.take().size();
    }
    engine.finish();
    steps += engine.take().size();
  }
  benchmark::DoNotOptimize(steps);
  state.SetItemsProcessed(state.iterations() * static_cast<int64_t>(run.samples.size()));
  state.counters["steps_per_pass"] =
      static_cast<double>(steps) / static_cast<double>(state.iterations());
}

// Orientation (the engine's default filter) + detectors + merger + metrics.
void BM_Engine(benchmark::State& state) { run_engine(state, gk::EngineSettings{}); }
BENCHMARK(BM_Engine)->Unit(benchmark::kMillisecond);

// Detectors, merger and metrics without the orientation filters.
void BM_EngineDetectorsOnly(benchmark::State& state) {
  gk::EngineSettings settings;
  settings.run_orientation = false;
  run_engine(state, settings);
}
BENCHMARK(BM_EngineDetectorsOnly)->Unit(benchmark::kMillisecond);

// The whole engine on feet whose readings clip: the declip stage's cost on top of BM_Engine.
void BM_EngineClipping(benchmark::State& state) {
  run_engine(state, gk::EngineSettings{}, simulated_clipped_run());
}
BENCHMARK(BM_EngineClipping)->Unit(benchmark::kMillisecond);

// The whole engine while the runner stands (before a run, at a traffic light).
void BM_EngineStanding(benchmark::State& state) {
  run_engine(state, gk::EngineSettings{}, simulated_stand());
}
BENCHMARK(BM_EngineStanding)->Unit(benchmark::kMillisecond);

// One bare filter per foot over the same samples, through the virtual interface as the engine
// calls it.
void BM_Ahrs(benchmark::State& state, gk::OrientationMethod method) {
  const Run& run = simulated_run();
  for (auto _ : state) {
    std::unique_ptr<gk::OrientationFilter> filters[2] = {
        gk::make_orientation_filter(method, gk::OrientationSettings{}),
        gk::make_orientation_filter(method, gk::OrientationSettings{})};
    for (const Tagged& t : run.samples) filters[t.sensor]->update(t.sample);
    benchmark::DoNotOptimize(filters[0]->orientation());
    benchmark::DoNotOptimize(filters[1]->orientation());
  }
  state.SetItemsProcessed(state.iterations() * static_cast<int64_t>(run.samples.size()));
}
BENCHMARK_CAPTURE(BM_Ahrs, madgwick, gk::OrientationMethod::kMadgwick)
    ->Unit(benchmark::kMillisecond);
BENCHMARK_CAPTURE(BM_Ahrs, mahony, gk::OrientationMethod::kMahony)->Unit(benchmark::kMillisecond);

}  // namespace

BENCHMARK_MAIN();
