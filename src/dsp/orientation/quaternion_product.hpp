#pragma once

#include <Eigen/Geometry>

namespace gk {

/// Hamilton product a (x) b, written out on the four coefficients.
///
/// Why not Eigen's `a * b`: its SSE kernel for double loads each factor as two 16-byte packets.
/// In a per-sample recursion q <- q (x) dq the increment dq has just been assembled from four
/// scalars (cos and the scaled rotation vector of an exponential map); a 16-byte load that spans
/// two fresh 8-byte stores cannot be forwarded from the store buffer and waits for them to retire
/// (perf put ~11 % of the stride integrator's time on one such reload, on the recursion's
/// critical path). On scalars in registers there is no such load. The result is the same product,
/// rounded per term in a different order (differences at 1e-16).
inline Eigen::Quaterniond hamilton_product(const Eigen::Quaterniond& a,
                                           const Eigen::Quaterniond& b) {
  const double aw = a.w(), ax = a.x(), ay = a.y(), az = a.z();
  const double bw = b.w(), bx = b.x(), by = b.y(), bz = b.z();
  return Eigen::Quaterniond(
      aw * bw - ax * bx - ay * by - az * bz, aw * bx + ax * bw + ay * bz - az * by,
      aw * by - ax * bz + ay * bw + az * bx, aw * bz + ax * by - ay * bx + az * bw);
}

/// Squared norm of a quaternion on scalars, for the same reason as hamilton_product.
inline double squared_norm(const Eigen::Quaterniond& q) {
  return q.w() * q.w() + q.x() * q.x() + q.y() * q.y() + q.z() * q.z();
}

}  // namespace gk
