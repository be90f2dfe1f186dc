// The synthetic runner's body: world pose of feet, shanks, thighs and pelvis
// over time, and the ideal IMU readings that follow from that one motion.
//
// World frame: x forward (direction of travel), y left, z up; the runner
// travels overground at the schedule's speed (IMU-equivalent to a treadmill
// at constant speed). Segment frames: x forward, y left, z up (proximal along
// the long axis) when standing upright with the foot flat.
#pragma once

#include <Eigen/Core>
#include <Eigen/Geometry>
#include <array>
#include <optional>
#include <vector>

#include "gait_timeline.hpp"
#include "placement.hpp"
#include "runner_settings.hpp"
#include "session.hpp"
#include "trunk_bounce.hpp"

namespace gk::sim {

/// Pose of one segment: orientation (segment frame -> world) and the world
/// position of the point where its sensor sits.
struct Pose {
  Eigen::Quaterniond orientation = Eigen::Quaterniond::Identity();
  Eigen::Vector3d position_m = Eigen::Vector3d::Zero();
};

/// Poses of all placements, indexed by pb::Placement.
struct BodyPose {
  std::array<Pose, 8> segments;
  const Pose& operator[](pb::Placement p) const { return segments[static_cast<std::size_t>(p)]; }
  Pose& operator[](pb::Placement p) { return segments[static_cast<std::size_t>(p)]; }
};

struct SegmentKinematics {
  Pose pose;
  Eigen::Vector3d velocity_mps = Eigen::Vector3d::Zero();          ///< world
  Eigen::Vector3d acceleration_mps2 = Eigen::Vector3d::Zero();     ///< world, gravity excluded
  Eigen::Vector3d angular_velocity_rps = Eigen::Vector3d::Zero();  ///< segment frame
};

/// What an ideal IMU aligned with the segment frame reads.
struct ImuReading {
  Eigen::Vector3d acc_mps2 = Eigen::Vector3d::Zero();  ///< specific force, +1 g up at rest
  Eigen::Vector3d gyr_rps = Eigen::Vector3d::Zero();   ///< body angular velocity
};

class RunnerModel {
 public:
  /// Throws std::invalid_argument for settings out of range.
  explicit RunnerModel(const RunnerSettings& settings);

  double duration_s() const { return timeline_.duration_s(); }
  const GaitTimeline& timeline() const { return timeline_; }
  const RunnerSettings& settings() const { return settings_; }

  BodyPose body_pose(double t_s) const;
  Pose pose(pb::Placement placement, double t_s) const;
  /// Derivatives by central differences (step 1e-4 s) of the C2 pose functions.
  SegmentKinematics kinematics(pb::Placement placement, double t_s) const;
  /// All placements at once (three body poses shared by every segment).
  std::array<SegmentKinematics, 8> body_kinematics(double t_s) const;
  ImuReading ideal_imu(pb::Placement placement, double t_s) const;
  static ImuReading ideal_imu(const SegmentKinematics& k);

  /// Knee angles exactly as constructed: shank = thigh * Ry(flexion) * Rx(+-valgus).
  TruthKnee knee(pb::Side side, double t_s) const;
  /// Every contact with its initial contact in [0, end_s) that a step led to
  /// (Contact::stepped), by IC time; to_s empty when toe-off is not before
  /// end_s. simulate() passes the time of the last sample: an event after the
  /// data cannot be scored. Without it, end_s = duration.
  std::vector<TruthEvent> events() const { return events(duration_s()); }
  std::vector<TruthEvent> events(double end_s) const;
  /// Share of the current stance elapsed, or nullopt in swing.
  std::optional<double> stance_fraction(pb::Side side, double t_s) const;
  /// True while the foot rests flat and motionless (mid-stance).
  bool foot_flat(pb::Side side, double t_s) const;
  /// World position of the pelvis' centre (midway between the hip joints), the trunk's centre
  /// of mass proxy, without the sensor's lever arm or the landing's shock.
  Eigen::Vector3d pelvis_center_m(double t_s) const;

 private:
  struct Impact {
    double ic_s = 0.0;
    double window_s = 0.0;
    /// The shank's, thigh's and pelvis' pulse (RunnerSettings::shock_peak_ms); 0: none.
    double pulse_window_s = 0.0;
    std::array<double, 4> amplitude_m{};  ///< foot, shank, thigh, pelvis
  };
  const Impact& impact(int side, int64_t stride) const;
  void add_impacts(const GaitState& state, BodyPose& body) const;

  RunnerSettings settings_;
  GaitTimeline timeline_;
  TrunkBounce trunk_;
  std::array<std::vector<Impact>, 2> impacts_;
};

}  // namespace gk::sim
