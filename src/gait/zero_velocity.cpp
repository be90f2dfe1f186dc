#include "zero_velocity.hpp"

#include <Eigen/Core>
#include <algorithm>
#include <cassert>
#include <cmath>
#include <limits>

#include "sample.hpp"

namespace gk {

namespace {

/// Running sums over a window of rows: what eq. 11 needs, in O(1) per row.
struct WindowSums {
  Eigen::Vector3d a = Eigen::Vector3d::Zero();  ///< sum of a_k
  double a2 = 0.0;                              ///< sum of |a_k|^2
  double w2 = 0.0;                              ///< sum of |w_k|^2
  size_t n = 0;

  void add(const GyroRow& r) {
    a += r.a;
    a2 += r.a.squaredNorm();
    w2 += r.w.squaredNorm();
    ++n;
  }
  void remove(const GyroRow& r) {
    a -= r.a;
    a2 -= r.a.squaredNorm();
    w2 -= r.w.squaredNorm();
    --n;
  }
};

}  // namespace

size_t zero_velocity_row(const GyroRows& rows, size_t lo, size_t hi,
                         const ZeroVelocitySettings& settings) {
  assert(lo <= hi && hi < rows.size());
  if (hi < lo + 2) return lo;
  const double wa = 1.0 / (settings.sigma_accel_mps2 * settings.sigma_accel_mps2);
  const double ww = 1.0 / (settings.sigma_gyro_rps * settings.sigma_gyro_rps);
  const int64_t half_us = static_cast<int64_t>(0.5 * settings.window_s * 1e6);
  size_t best = lo;
  double best_stat = std::numeric_limits<double>::infinity();
  // The window [a, b] around row i: rows within half_us of it.
  WindowSums sums;
  size_t a = lo, b = lo;
  sums.add(rows[lo]);
  for (size_t i = lo; i <= hi; ++i) {
    while (a < i && rows[i].t_us - rows[a].t_us > half_us) sums.remove(rows[a++]);
    while (b < hi && rows[b + 1].t_us - rows[i].t_us <= half_us) sums.add(rows[++b]);
    // At least one neighbour on each side where the range has one (slow
    // sensors, whose sample period exceeds half the window).
    WindowSums s = sums;
    if (a == i && i > lo) s.add(rows[i - 1]);
    if (b == i && i < hi) s.add(rows[i + 1]);
    const double m = s.a.norm();
    if (m < 1e-9) continue;
    // Eq. 11 with gravity along the window's mean specific force, g_k = G m / |m|:
    // sum |a_k - g|^2 = sum |a_k|^2 - 2 G |m| + n G^2.
    const double n = static_cast<double>(s.n);
    const double off_gravity =
        std::max(0.0, s.a2 - 2.0 * kGravity_mps2 * m + n * kGravity_mps2 * kGravity_mps2);
    const double stat = (wa * off_gravity + ww * s.w2) / n;
    if (stat < best_stat) {
      best_stat = stat;
      best = i;
    }
  }
  return best;
}

}  // namespace gk
