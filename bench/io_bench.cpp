// Loading recorded sessions (issue: batch analysis of recorded sessions): a
// 10-minute, 500 Hz single-sensor session as a CSV folder (300 000 rows of
// accelerometer and gyroscope in SI units) and as a .gkr recording, each
// written once, untimed; the timed part is read_csv_session() and
// read_recording(), what `gaitkeeper analyze` and `import` do first.
//
//   build/release/bench/io_bench
#include <benchmark/benchmark.h>
#include <fmt/format.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <random>
#include <string>

#include "session.hpp"

namespace gk {
namespace {

namespace fs = std::filesystem;

constexpr int kRows = 300'000;  // 500 Hz for 10 minutes

struct Files {
  fs::path dir;
  fs::path csv_dir;
  fs::path gkr;
  Files() : dir(fs::temp_directory_path() / fmt::format("gk_io_bench_{}", ::getpid())) {
    fs::remove_all(dir);
    csv_dir = dir / "csv";
    gkr = dir / "session.gkr";
    fs::create_directories(csv_dir);
    std::ofstream(csv_dir / "session.json")
        << R"({"sensors": [{"file": "a.csv", "placement": "pelvis"}]})";
    std::mt19937_64 rng(3);
    std::normal_distribution<double> n(0.0, 5.0);
    fmt::memory_buffer b;
    fmt::format_to(std::back_inserter(b),
                   "t[s],ax[m/s^2],ay[m/s^2],az[m/s^2],gx[rad/s],gy[rad/s],gz[rad/s]\n");
    for (int i = 0; i < kRows; ++i) {
      fmt::format_to(std::back_inserter(b), "{:.6f},{:.6g},{:.6g},{:.6g},{:.6g},{:.6g},{:.6g}\n",
                     i * 0.002, n(rng), n(rng), n(rng), n(rng) / 5, n(rng) / 5, n(rng) / 5);
    }
    std::ofstream(csv_dir / "a.csv", std::ios::binary) << fmt::to_string(b);
    Warnings w;
    write_recording(gkr, read_csv_session(csv_dir, w));
  }
  ~Files() {
    std::error_code ec;
    fs::remove_all(dir, ec);
  }
};

const Files& files() {
  static const Files f;
  return f;
}

void BM_ReadCsvSession10min500Hz(benchmark::State& state) {
  const fs::path& dir = files().csv_dir;
  for (auto _ : state) {
    Warnings w;
    const Session s = read_csv_session(dir, w);
    benchmark::DoNotOptimize(s.sensors.data());
  }
  state.SetItemsProcessed(state.iterations() * kRows);
  state.counters["rows"] = kRows;
}
BENCHMARK(BM_ReadCsvSession10min500Hz)->Unit(benchmark::kMillisecond);

void BM_ReadRecording10min500Hz(benchmark::State& state) {
  const fs::path& gkr = files().gkr;
  for (auto _ : state) {
    Warnings w;
    const Session s = read_recording(gkr, w);
    benchmark::DoNotOptimize(s.sensors.data());
  }
  state.SetItemsProcessed(state.iterations() * kRows);
}
BENCHMARK(BM_ReadRecording10min500Hz)->Unit(benchmark::kMillisecond);

}  // namespace
}  // namespace gk

BENCHMARK_MAIN();
