// Internal to the simulator: body geometry and the per-segment motion
// functions that RunnerModel assembles (foot_motion.cpp, leg_motion.cpp,
// pelvis_motion.cpp).
#pragma once

#include <Eigen/Geometry>
#include <numbers>

#include "gait_timeline.hpp"
#include "runner_model.hpp"
#include "runner_settings.hpp"
#include "trunk_bounce.hpp"

namespace gk::sim {

// Segment geometry of a 1.75 m adult (Winter 2009, Biomechanics and Motor
// Control of Human Movement, table 4.1: thigh 0.245 H, shank 0.246 H).
inline constexpr double kThighLength_m = 0.43;
inline constexpr double kHipHalfWidth_m = 0.09;
inline constexpr double kHeelToBall_m = 0.17;
inline constexpr double kStepHalfWidth_m = 0.05;
inline constexpr double kToeOut_deg = 7.0;

/// Sensor sites in their segment frames (left side; y mirrors for right):
/// shoe pod on the laces, knee-sleeve pods just above and below the knee,
/// pelvis clip over the sacrum.
inline Eigen::Vector3d foot_sensor_site() { return {0.11, 0.0, 0.07}; }
inline Eigen::Vector3d thigh_sensor_site(double side_sign) {
  return {0.06, 0.04 * side_sign, -0.31};
}
inline Eigen::Vector3d shank_sensor_site(double side_sign) {
  return {0.05, 0.03 * side_sign, -0.11};
}
inline Eigen::Vector3d pelvis_sensor_site() { return {-0.12, 0.0, 0.08}; }

/// +1 for the left side (index 0), -1 for the right: mirrors y.
inline double side_sign(int side) { return side == 0 ? 1.0 : -1.0; }

inline double deg_to_rad(double deg) { return deg * std::numbers::pi / 180.0; }

/// Elementary rotations by an angle in degrees (right-handed about +axis).
inline Eigen::Quaterniond rot_x(double deg) {
  return Eigen::Quaterniond(Eigen::AngleAxisd(deg_to_rad(deg), Eigen::Vector3d::UnitX()));
}
inline Eigen::Quaterniond rot_y(double deg) {
  return Eigen::Quaterniond(Eigen::AngleAxisd(deg_to_rad(deg), Eigen::Vector3d::UnitY()));
}
inline Eigen::Quaterniond rot_z(double deg) {
  return Eigen::Quaterniond(Eigen::AngleAxisd(deg_to_rad(deg), Eigen::Vector3d::UnitZ()));
}

inline double lerp(double a, double b, double w) { return a + (b - a) * w; }

struct PelvisPose {
  Eigen::Quaterniond orientation = Eigen::Quaterniond::Identity();
  Eigen::Vector3d center_m = Eigen::Vector3d::Zero();  ///< midpoint between the hip joints
  double yaw_deg = 0.0;
};
/// The running style's vertical motion comes from `bounce`, driven by the feet's contacts.
PelvisPose pelvis_pose(const GaitState& state, const RunnerSettings& settings,
                       const TrunkBounce& bounce);

/// Sagittal and frontal angles of one leg (all + = as named).
struct LegAngles {
  double thigh_flexion_deg = 0.0;    ///< thigh from vertical, knee ahead of hip
  double thigh_adduction_deg = 0.0;  ///< knee toward the midline
  double knee_flexion_deg = 0.0;
  double knee_valgus_deg = 0.0;  ///< + = knee toward the midline
};
LegAngles leg_angles(const GaitState& state, int side, const RunnerSettings& settings);

/// Foot segment pose with its sensor site; the foot rolls over its heel or
/// ball without slipping and rests flat in mid-stance.
Pose foot_pose(const GaitState& state, int side, const RunnerSettings& settings,
               const GaitTimeline& timeline);
/// Stance share at which the foot becomes flat, and at which the heel lifts.
double foot_flat_start(FootStrikePattern strike, double run);
double foot_heel_off(double run);

}  // namespace gk::sim
