#include "joint_angles.hpp"

#include <algorithm>
#include <cmath>
#include <numbers>

namespace gk {

JointAngles knee_joint_angles(const Eigen::Matrix3d& thigh_in_world,
                              const Eigen::Matrix3d& shank_in_world, pb::Side side) {
  return knee_joint_angles(thigh_in_world.transpose() * shank_in_world, side);
}

JointAngles knee_joint_angles(const Eigen::Matrix3d& r, pb::Side side) {
  constexpr double kDeg = 180.0 / std::numbers::pi;
  // Left leg: a positive rotation about +x (forward) swings the distal shank
  // to the left, lateral, so the knee sits medial of the hip-ankle line:
  // valgus. A positive rotation about +z turns the shank's front to the left,
  // lateral: external rotation. The right leg is the mirror image.
  const double mirror = side == pb::RIGHT ? -1.0 : 1.0;
  JointAngles a;
  a.flexion_deg = std::atan2(r(0, 2), r(2, 2)) * kDeg;
  a.valgus_deg = mirror * std::asin(std::clamp(-r(1, 2), -1.0, 1.0)) * kDeg;
  a.rotation_deg = -mirror * std::atan2(r(1, 0), r(1, 1)) * kDeg;
  return a;
}

}  // namespace gk
