#include "zero_velocity.hpp"

#include <Eigen/Core>
#include <algorithm>
#include <cassert>
#include <cmath>
#include <limits>
#include <vector>

#include "sample.hpp"

namespace gk {

namespace {

/// Prefix sums over the contact's rows, so that any window's sums of a_k,
/// |a_k|^2 and |w_k|^2 (all eq. 11 needs) cost two lookups.
struct Prefix {
  Eigen::Vector3d a;
  double a2;
  double w2;
};

}  // namespace

size_t zero_velocity_row(const GyroRows& rows, size_t lo, size_t hi,
                         const ZeroVelocitySettings& settings) {
  assert(lo <= hi && hi < rows.size());
  if (hi < lo + 2) return lo;
  const double wa = 1.0 / (settings.sigma_accel_mps2 * settings.sigma_accel_mps2);
  const double ww = 1.0 / (settings.sigma_gyro_rps * settings.sigma_gyro_rps);
  const int64_t half_us = static_cast<int64_t>(0.5 * settings.window_s * 1e6);
  constexpr double kG2 = kGravity_mps2 * kGravity_mps2;

  // Reused per thread: this runs once per stride on the engine's hot path,
  // and batch analysis runs sessions on several threads.
  thread_local std::vector<Prefix> prefix;
  const size_t n_rows = hi - lo + 1;
  prefix.resize(n_rows + 1);
  prefix[0] = {Eigen::Vector3d::Zero(), 0.0, 0.0};
  {
    size_t k = 0;
    for_each_row(rows, lo, hi, [&](const GyroRow& row) {
      prefix[k + 1] = {prefix[k].a + row.a, prefix[k].a2 + row.a.squaredNorm(),
                       prefix[k].w2 + row.w.squaredNorm()};
      ++k;
      return true;
    });
  }

  // The window [a, b] (offsets from lo) around row i: rows within half_us
  // of it, and at least one neighbour on each side where the range has one
  // (slow sensors, whose sample period exceeds half the window). a and b
  // only move forward, so rows are visited in time order.
  const auto statistic = [&](size_t i, size_t& a, size_t& b) {
    const int64_t t_i = rows[lo + i].t_us;
    while (a < i && t_i - rows[lo + a].t_us > half_us) ++a;
    b = std::max(b, i);
    while (b + 1 < n_rows && rows[lo + b + 1].t_us - t_i <= half_us) ++b;
    const size_t w0 = (a == i && i > 0) ? i - 1 : a;
    const size_t w1 = (b == i && i + 1 < n_rows) ? i + 1 : b;
    const Eigen::Vector3d sum_a = prefix[w1 + 1].a - prefix[w0].a;
    const double m = sum_a.norm();
    if (m < 1e-9) return std::numeric_limits<double>::infinity();
    // Eq. 11 with gravity along the window's mean specific force, g = G m / |m|:
    // sum |a_k - g|^2 = sum |a_k|^2 - 2 G |m| + n G^2.
    const double n = static_cast<double>(w1 - w0 + 1);
    const double off_gravity =
        std::max(0.0, prefix[w1 + 1].a2 - prefix[w0].a2 - 2.0 * kGravity_mps2 * m + n * kG2);
    return (wa * off_gravity + ww * (prefix[w1 + 1].w2 - prefix[w0].w2)) / n;
  };

  // The statistic is a window average, so it changes little from one row to
  // the next at high rates: a coarse pass over every step-th row (a sixth
  // of the window), then every row around its best. At 100-200 Hz the step
  // is one row.
  const double period_us =
      static_cast<double>(rows[hi].t_us - rows[lo].t_us) / static_cast<double>(n_rows - 1);
  const size_t step =
      std::max<size_t>(1, static_cast<size_t>(settings.window_s * 1e6 / 6.0 / period_us));
  size_t best_i = 0;
  double best_stat = std::numeric_limits<double>::infinity();
  size_t a = 0, b = 0;
  for (size_t i = 0; i < n_rows; i += step) {
    if (const double st = statistic(i, a, b); st < best_stat) {
      best_stat = st;
      best_i = i;
    }
  }
  if (step > 1) {
    const size_t from = best_i >= step ? best_i - step + 1 : 0;
    const size_t to = std::min(n_rows - 1, best_i + step - 1);
    a = from;
    b = from;
    for (size_t i = from; i <= to; ++i) {
      if (const double st = statistic(i, a, b); st < best_stat) {
        best_stat = st;
        best_i = i;
      }
    }
  }
  return lo + best_i;
}

}  // namespace gk
