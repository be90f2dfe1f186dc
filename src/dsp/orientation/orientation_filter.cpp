#include "orientation_filter.hpp"

#include <algorithm>
#include <cmath>
#include <stdexcept>

#include "madgwick_filter.hpp"
#include "mahony_filter.hpp"

namespace gk {

std::string_view to_string(OrientationMethod method) {
  switch (method) {
    case OrientationMethod::kMadgwick:
      return "madgwick";
    case OrientationMethod::kMahony:
      return "mahony";
  }
  return "unknown";
}

Eigen::Vector3d OrientationFilter::gravity_in_sensor_mps2() const {
  return gk::gravity_in_sensor_mps2(orientation());
}

Eigen::Vector3d up_in_sensor(const Eigen::Quaterniond& q_ws) {
  return q_ws.conjugate() * Eigen::Vector3d::UnitZ();
}

Eigen::Vector3d gravity_in_sensor_mps2(const Eigen::Quaterniond& q_ws) {
  return kGravity_mps2 * up_in_sensor(q_ws);
}

Eigen::Quaterniond tilt_from_accel(const Eigen::Vector3d& acc_mps2) {
  // At rest a = g * R^T z; with R = Ry(pitch) Rx(roll) that is g * (-sp, sr cp, cr cp).
  const double roll = std::atan2(acc_mps2.y(), acc_mps2.z());
  const double pitch = std::atan2(-acc_mps2.x(), std::hypot(acc_mps2.y(), acc_mps2.z()));
  return Eigen::Quaterniond(Eigen::AngleAxisd(pitch, Eigen::Vector3d::UnitY()) *
                            Eigen::AngleAxisd(roll, Eigen::Vector3d::UnitX()));
}

Eigen::Quaterniond correct_tilt_towards(const Eigen::Quaterniond& q_ws,
                                        const Eigen::Vector3d& acc_mps2, double alpha) {
  const double n = acc_mps2.norm();
  if (!(n > 0.0) || !std::isfinite(n)) return q_ws;
  // Measured up in world coordinates; the rotation taking it onto +z has a horizontal axis, so
  // it changes tilt only.
  const Eigen::Vector3d up_world = q_ws * (acc_mps2 / n);
  const Eigen::Quaterniond full =
      Eigen::Quaterniond::FromTwoVectors(up_world, Eigen::Vector3d::UnitZ());
  const Eigen::Quaterniond part =
      Eigen::Quaterniond::Identity().slerp(std::clamp(alpha, 0.0, 1.0), full);
  return (part * q_ws).normalized();
}

std::unique_ptr<OrientationFilter> make_orientation_filter(OrientationMethod method,
                                                           const OrientationSettings& settings) {
  switch (method) {
    case OrientationMethod::kMadgwick:
      return std::make_unique<MadgwickFilter>(settings);
    case OrientationMethod::kMahony:
      return std::make_unique<MahonyFilter>(settings);
  }
  throw std::invalid_argument("orientation: unknown method");
}

}  // namespace gk
