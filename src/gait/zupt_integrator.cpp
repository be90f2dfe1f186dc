#include "zupt_integrator.hpp"

#include <Eigen/Geometry>
#include <algorithm>
#include <cmath>
#include <iterator>

#include "sample.hpp"

namespace gk {

std::optional<ZuptStride> integrate_stride(const GyroRows& rows, int64_t t0_us, int64_t t1_us) {
  if (rows.empty() || t1_us <= t0_us) return std::nullopt;
  const auto by_time = [](const GyroRow& r, int64_t t) { return r.t_us < t; };
  const auto first = std::lower_bound(rows.begin(), rows.end(), t0_us, by_time);
  const auto last = std::lower_bound(rows.begin(), rows.end(), t1_us, by_time);
  if (first == rows.end() || last == rows.end() || first->t_us != t0_us || last->t_us != t1_us) {
    return std::nullopt;
  }
  const size_t i0 = static_cast<size_t>(first - rows.begin());
  const size_t i1 = static_cast<size_t>(last - rows.begin());

  // Level start: the specific force at rest points up. Average a few
  // samples around mid-stance to soften noise.
  Eigen::Vector3d f = Eigen::Vector3d::Zero();
  const size_t lo = i0 >= 2 ? i0 - 2 : 0;
  const size_t hi = std::min(i0 + 2, rows.size() - 1);
  for (size_t i = lo; i <= hi; ++i) f += rows[i].a;
  if (f.norm() < 1e-6) return std::nullopt;
  Eigen::Quaterniond q = Eigen::Quaterniond::FromTwoVectors(f, Eigen::Vector3d::UnitZ());

  const Eigen::Vector3d g_up(0.0, 0.0, kGravity_mps2);
  Eigen::Vector3d v = Eigen::Vector3d::Zero();
  Eigen::Vector3d p = Eigen::Vector3d::Zero();
  // Sequential iterators: random access into a deque costs a block lookup per
  // index, and this loop is the detector's hottest.
  auto prev = rows.begin() + static_cast<std::ptrdiff_t>(i0);
  const auto stop = rows.begin() + static_cast<std::ptrdiff_t>(i1) + 1;
  Eigen::Vector3d a_prev = q * prev->a - g_up;
  for (auto cur = std::next(prev); cur != stop; prev = cur, ++cur) {
    const double dt = static_cast<double>(cur->t_us - prev->t_us) * 1e-6;
    // Rotation over the interval from the mean rate (second-order accurate).
    const Eigen::Vector3d half = 0.25 * dt * (cur->w + prev->w);
    // Rotation by the exponential map, cos and sin by their series (exact to
    // ~1e-9 at the 0.1 rad per sample of a fast swing at 100 Hz): avoids
    // trigonometry on the hot path.
    // Reciprocals as constants: strict IEEE keeps a division by 6.0 a division, and four of
    // them per sample were a third of this loop.
    constexpr double k2 = 1.0 / 2.0, k6 = 1.0 / 6.0, k24 = 1.0 / 24.0, k120 = 1.0 / 120.0;
    const double h2 = half.squaredNorm();
    const double s = 1.0 - h2 * k6 + h2 * h2 * k120;
    q = q * Eigen::Quaterniond(1.0 - h2 * k2 + h2 * h2 * k24, s * half.x(), s * half.y(),
                               s * half.z());
    // Both factors are unit to ~1e-9, so one Newton step for 1/sqrt renormalises to rounding
    // (error 3/8 e^2) without a square root or a division.
    q.coeffs() *= 1.5 - 0.5 * q.coeffs().squaredNorm();
    // Quaternion-vector product directly (Eigen's two-cross-product form), cheaper than
    // building the rotation matrix for one vector.
    const Eigen::Vector3d a = q * cur->a - g_up;
    const Eigen::Vector3d v_next = v + 0.5 * (a + a_prev) * dt;
    p += 0.5 * (v + v_next) * dt;
    v = v_next;
    a_prev = a;
  }
  // Zero velocity at the end too: the residual is integration drift, taken
  // as growing linearly over the stride, so its displacement is v_end*T/2.
  const double T = static_cast<double>(t1_us - t0_us) * 1e-6;
  p -= 0.5 * v * T;
  ZuptStride out;
  out.length_m = std::hypot(p.x(), p.y());
  out.speed_mps = out.length_m / T;
  out.vertical_m = p.z();
  return out;
}

}  // namespace gk
