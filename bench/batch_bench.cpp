// Batch analysis with storage (issue: session store and batch analysis):
// simulated one-hour sessions (200 Hz, shoes + knee sleeve: six sensors)
// are generated once, untimed, as .gkr files; the timed part is exactly what
// `gaitkeeper analyze FOLDER` does: stream each file through the gait engine
// and the assessor on a pool of workers and save every session into a fresh
// SQLite store. Reports sessions per minute and how many times faster than
// real time each core runs.
//
//   build/release/bench/batch_bench                      # 20 sessions x 1 h
//   GK_BATCH_SESSIONS=4 GK_BATCH_HOURS=0.25 build/release/bench/batch_bench
#include <benchmark/benchmark.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <string>
#include <thread>
#include <vector>

#include "session.hpp"
#include "session_job.hpp"
#include "simulator.hpp"

namespace gk {
namespace {

namespace fs = std::filesystem;

double env_or(const char* name, double fallback) {
  const char* v = std::getenv(name);
  return v && *v ? std::atof(v) : fallback;
}

struct Corpus {
  fs::path dir;
  std::vector<fs::path> files;
  double hours_each = 1.0;
};

const Corpus& corpus() {
  static const Corpus c = [] {
    Corpus out;
    const int sessions = static_cast<int>(env_or("GK_BATCH_SESSIONS", 20));
    out.hours_each = env_or("GK_BATCH_HOURS", 1.0);
    out.dir = fs::temp_directory_path() / ("gk_batch_bench_" + std::to_string(::getpid()));
    fs::create_directories(out.dir);
    out.files.resize(static_cast<size_t>(sessions));
    std::vector<std::thread> pool;
    const unsigned hw = std::max(1u, std::thread::hardware_concurrency());
    for (unsigned w = 0; w < hw; ++w) {
      pool.emplace_back([&, w] {
        for (size_t i = w; i < out.files.size(); i += hw) {
          sim::SimSettings s;
          s.seed = 1000 + static_cast<uint64_t>(i);
          s.athlete = "bench_runner";
          // Different runners: speed and cadence vary across the corpus.
          const double speed = 2.6 + 0.15 * static_cast<double>(i % 10);
          const double cadence = 160.0 + 2.0 * static_cast<double>(i % 10);
          s.runner.schedule = {
              {sim::Activity::kStand, 5.0, 0.0, 0.0},
              {sim::Activity::kRun, out.hours_each * 3600.0 - 5.0, speed, cadence}};
          s.sensors = sim::shoe_and_sleeve_sensors(200.0);
          const sim::SimResult r = sim::simulate(s);
          out.files[i] = out.dir / ("session" + std::to_string(i) + ".gkr");
          write_recording(out.files[i], r.session);
        }
      });
    }
    for (std::thread& t : pool) t.join();
    return out;
  }();
  return c;
}

void BM_BatchAnalyzeAndStore(benchmark::State& state) {
  const Corpus& c = corpus();
  const unsigned workers = static_cast<unsigned>(state.range(0));
  size_t stored = 0;
  int round = 0;
  double elapsed_s = 0.0;
  for (auto _ : state) {
    state.PauseTiming();
    const fs::path db = c.dir / ("store" + std::to_string(round++) + ".db");
    state.ResumeTiming();
    const auto t0 = std::chrono::steady_clock::now();
    cli::BatchSettings settings;
    settings.db = db;
    settings.jobs = workers;
    const std::vector<cli::BatchOutcome> out = cli::run_batch(c.files, settings);
    for (const cli::BatchOutcome& o : out) {
      if (!o.error.empty()) state.SkipWithError(o.error.c_str());
      stored += o.store_id > 0;
    }
    elapsed_s += std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  }
  const double sessions =
      static_cast<double>(c.files.size()) * static_cast<double>(state.iterations());
  const double recorded_s = sessions * c.hours_each * 3600.0;
  state.counters["sessions"] = static_cast<double>(c.files.size());
  state.counters["stored"] = static_cast<double>(stored) / static_cast<double>(state.iterations());
  state.counters["sessions_per_min"] = sessions * 60.0 / elapsed_s;
  // Times faster than real time per worker (each worker holds one core).
  state.counters["x_realtime_per_core"] = recorded_s / elapsed_s / workers;
}

BENCHMARK(BM_BatchAnalyzeAndStore)
    ->Arg(1)
    ->Arg(static_cast<int64_t>(std::max(1u, std::thread::hardware_concurrency())))
    ->Iterations(1)
    ->Unit(benchmark::kSecond)
    ->UseRealTime();

}  // namespace
}  // namespace gk

BENCHMARK_MAIN();
