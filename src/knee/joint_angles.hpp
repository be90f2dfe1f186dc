// Knee angles in the joint coordinate system of Grood & Suntay 1983 (J.
// Biomech. Eng. 105:136): flexion about the thigh's medio-lateral axis,
// ab/adduction about the floating axis perpendicular to it and to the
// shank's long axis, rotation about the shank's long axis.
//
// With segment frames x forward, y left, z up along the long axis (docs/
// ARCHITECTURE.md#conventions), that system is the intrinsic Y-X'-Z''
// sequence of the thigh-to-shank rotation R = Ry(flexion) Rx(a) Rz(rotation):
// R(1,2) = -sin a, R(0,2) / R(2,2) = tan flexion, R(1,0) / R(1,1) = tan rotation.
#pragma once

#include <Eigen/Core>

#include "gaitkeeper.pb.h"

namespace gk {

namespace pb = gaitkeeper::pb;

struct JointAngles {
  double flexion_deg = 0.0;   ///< + = knee bent (shank behind the thigh's line)
  double valgus_deg = 0.0;    ///< + = knee toward the midline, for either side
  double rotation_deg = 0.0;  ///< + = shank internally rotated, for either side

  bool operator==(const JointAngles&) const = default;
};

/// Angles from the world orientations of the thigh and shank segment frames
/// (columns: segment axes in world). side decides the sign of valgus and
/// rotation so that both legs read the same way; SIDE_UNKNOWN reads as left.
JointAngles knee_joint_angles(const Eigen::Matrix3d& thigh_in_world,
                              const Eigen::Matrix3d& shank_in_world, pb::Side side);
/// The same from the shank segment frame expressed in the thigh segment frame
/// (thigh_in_world^T * shank_in_world).
JointAngles knee_joint_angles(const Eigen::Matrix3d& shank_in_thigh, pb::Side side);

}  // namespace gk
