// Throughput of OrientationFilter::update() for each method, through the factory (virtual call
// included, as the pipeline calls it). Items = samples.
#include <benchmark/benchmark.h>

#include <Eigen/Core>
#include <cmath>
#include <cstdint>
#include <numbers>
#include <random>
#include <vector>

#include "knee_sleeve.hpp"
#include "orientation_filter.hpp"

namespace {

constexpr int64_t kPeriod_us = 1'000;  // 1 kHz
constexpr size_t kBuffer = 4096;       // power of two

// A running-like signal: swinging gyro, gravity plus a 3 Hz train of 8 g impacts (so the
// rejection path is taken too), white noise. Or a still sensor (rest detection and bias path).
std::vector<gk::ImuSample> make_samples(bool moving) {
  std::mt19937_64 rng(42);
  std::normal_distribution<double> noise(0.0, 1.0);
  std::vector<gk::ImuSample> out(kBuffer);
  for (size_t k = 0; k < kBuffer; ++k) {
    const double t = static_cast<double>(k) * 1e-3;
    const double w = 2.0 * std::numbers::pi * 1.5 * t;
    gk::ImuSample& s = out[k];
    s.acc_mps2 = Eigen::Vector3d(0.0, 0.0, gk::kGravity_mps2);
    if (moving) {
      s.gyr_rps = Eigen::Vector3d(3.0 * std::sin(w), 1.0 * std::cos(w), 0.5 * std::sin(2.0 * w));
      s.acc_mps2 += Eigen::Vector3d(2.0 * std::sin(w), 1.0 * std::cos(w), 0.0);
      if (k % 333 < 10) s.acc_mps2.z() += 8.0 * gk::kGravity_mps2;
    }
    s.gyr_rps += 0.003 * Eigen::Vector3d(noise(rng), noise(rng), noise(rng));
    s.acc_mps2 += 0.03 * Eigen::Vector3d(noise(rng), noise(rng), noise(rng));
  }
  return out;
}

void BM_OrientationUpdate(benchmark::State& state, gk::OrientationMethod method, bool moving,
                          const gk::OrientationSettings& settings = {}) {
  const std::vector<gk::ImuSample> samples = make_samples(moving);
  auto filter = gk::make_orientation_filter(method, settings);
  int64_t t_us = 0;
  size_t i = 0;
  for (auto _ : state) {
    gk::ImuSample s = samples[i];
    s.t_us = t_us;  // the buffer repeats, time keeps going forward
    t_us += kPeriod_us;
    i = (i + 1) & (kBuffer - 1);
    filter->update(s);
    benchmark::ClobberMemory();
  }
  benchmark::DoNotOptimize(filter->orientation());
  state.SetItemsProcessed(state.iterations());
}

BENCHMARK_CAPTURE(BM_OrientationUpdate, madgwick_running, gk::OrientationMethod::kMadgwick, true);
BENCHMARK_CAPTURE(BM_OrientationUpdate, madgwick_still, gk::OrientationMethod::kMadgwick, false);
BENCHMARK_CAPTURE(BM_OrientationUpdate, mahony_running, gk::OrientationMethod::kMahony, true);
BENCHMARK_CAPTURE(BM_OrientationUpdate, mahony_still, gk::OrientationMethod::kMahony, false);
// The knee sleeve's setting: the tilt error averaged over strides before it is fed back.
BENCHMARK_CAPTURE(BM_OrientationUpdate, mahony_knee_running, gk::OrientationMethod::kMahony, true,
                  gk::KneeSleeveSettings::knee_orientation_settings());

}  // namespace

BENCHMARK_MAIN();
