#include "runner_model.hpp"

#include <algorithm>
#include <cmath>
#include <map>

#include "body_model.hpp"
#include "impact.hpp"
#include "sample.hpp"

namespace gk::sim {
namespace {

/// Finite-difference step for velocity, acceleration and angular velocity.
/// The pose functions are C2 with content below ~100 Hz, so the truncation
/// error (h^2/12 of the fourth derivative) is ~1e-3 m/s^2 and round-off on
/// positions of kilometres stays below that too.
constexpr double kDiffStep_s = 1e-4;

constexpr std::array<Segment, 4> kImpactSegments{Segment::kFoot, Segment::kShank, Segment::kThigh,
                                                 Segment::kPelvis};

/// Which segments take the shock as a pulse (RunnerSettings::shock_peak_ms): the leg above the
/// foot. The foot keeps its spike (a shoe is struck hard and directly); the trunk too, as a pulse
/// long enough for a tibia (window 16 times its peak time) would fill most of a step there.
bool has_pulse(Segment segment) { return segment == Segment::kShank || segment == Segment::kThigh; }

pb::Placement placement_of(Segment segment, int side) {
  switch (segment) {
    case Segment::kFoot:
      return side == 0 ? pb::LEFT_FOOT : pb::RIGHT_FOOT;
    case Segment::kShank:
      return side == 0 ? pb::LEFT_SHANK : pb::RIGHT_SHANK;
    case Segment::kThigh:
      return side == 0 ? pb::LEFT_THIGH : pb::RIGHT_THIGH;
    default:
      return pb::PELVIS;
  }
}

SegmentKinematics differentiate(const Pose& a, const Pose& b, const Pose& c, double h) {
  SegmentKinematics k;
  k.pose = b;
  k.velocity_mps = (c.position_m - a.position_m) / (2.0 * h);
  k.acceleration_mps2 = (c.position_m - 2.0 * b.position_m + a.position_m) / (h * h);
  Eigen::Vector4d qa = a.orientation.coeffs();
  Eigen::Vector4d qc = c.orientation.coeffs();
  const Eigen::Vector4d qb = b.orientation.coeffs();
  if (qa.dot(qb) < 0.0) qa = -qa;
  if (qc.dot(qb) < 0.0) qc = -qc;
  Eigen::Quaterniond q_dot;
  q_dot.coeffs() = (qc - qa) / (2.0 * h);
  // q_dot = q (x) (0, w/2) for the body-frame angular velocity w.
  k.angular_velocity_rps = 2.0 * (b.orientation.conjugate() * q_dot).vec();
  return k;
}

}  // namespace

RunnerModel::RunnerModel(const RunnerSettings& settings)
    : settings_(settings), timeline_(settings), trunk_(timeline_) {
  std::map<std::pair<int64_t, int>, double> peak_cache;
  const double rise_s = settings_.impact_rise_ms * 1e-3;
  for (int side = 0; side < 2; ++side) {
    for (const Contact& c : timeline_.contacts(side_at(side))) {
      Impact im;
      im.ic_s = c.ic_s;
      const double flat_s = foot_flat_start(settings_.foot_strike, c.run) * (c.to_s - c.ic_s);
      // The transient dies out before the foot is flat, which stays still.
      im.window_s = std::min(kImpactWindow_s, 0.8 * flat_s);
      if (settings_.shock_peak_ms > 0.0) {
        im.pulse_window_s = shock_pulse_window_s(settings_.shock_peak_ms * 1e-3);
      }
      for (std::size_t s = 0; s < kImpactSegments.size(); ++s) {
        const double peak_g =
            impact_peak_g(kImpactSegments[s], settings_.foot_strike, c.run, c.speed_mps);
        if (im.pulse_window_s > 0.0 && has_pulse(kImpactSegments[s])) {
          im.amplitude_m[s] =
              c.gait * peak_g * kGravity_mps2 / shock_pulse_peak_accel(im.pulse_window_s);
          continue;
        }
        const double f_hz = impact_frequency_hz(kImpactSegments[s]);
        const auto key = std::make_pair(std::llround(im.window_s * 1e7), static_cast<int>(s));
        auto it = peak_cache.find(key);
        if (it == peak_cache.end()) {
          it = peak_cache.emplace(key, impact_peak_accel(im.window_s, f_hz, rise_s)).first;
        }
        im.amplitude_m[s] = c.gait * peak_g * kGravity_mps2 / it->second;
      }
      impacts_[static_cast<std::size_t>(side)].push_back(im);
    }
  }
}

const RunnerModel::Impact& RunnerModel::impact(int side, int64_t stride) const {
  const auto& contacts = timeline_.contacts(side_at(side));
  const auto& v = impacts_[static_cast<std::size_t>(side)];
  const int64_t idx =
      std::clamp<int64_t>(stride - contacts.front().stride, 0, static_cast<int64_t>(v.size()) - 1);
  return v[static_cast<std::size_t>(idx)];
}

void RunnerModel::add_impacts(const GaitState& state, BodyPose& body) const {
  for (int side = 0; side < 2; ++side) {
    const Impact& im = impact(side, state.sides[static_cast<std::size_t>(side)].stride);
    const double tau = state.t_s - im.ic_s;
    if (tau <= 0.0 || tau >= std::max(im.window_s, im.pulse_window_s)) continue;
    for (std::size_t s = 0; s < kImpactSegments.size(); ++s) {
      const bool pulse = im.pulse_window_s > 0.0 && has_pulse(kImpactSegments[s]);
      const double along_m =
          im.amplitude_m[s] *
          (pulse ? shock_pulse_displacement(tau, im.pulse_window_s)
                 : impact_displacement(tau, im.window_s, impact_frequency_hz(kImpactSegments[s]),
                                       settings_.impact_rise_ms * 1e-3));
      if (along_m == 0.0) continue;
      Pose& p = body[placement_of(kImpactSegments[s], side)];
      p.position_m += p.orientation * Eigen::Vector3d(0.0, 0.0, along_m);
    }
  }
}

BodyPose RunnerModel::body_pose(double t_s) const {
  const GaitState st = timeline_.state(t_s);
  BodyPose body;
  const PelvisPose pelvis = pelvis_pose(st, settings_, trunk_);
  body[pb::PELVIS] = {pelvis.orientation,
                      pelvis.center_m + pelvis.orientation * pelvis_sensor_site()};
  for (int side = 0; side < 2; ++side) {
    const double s = side_sign(side);
    const LegAngles a = leg_angles(st, side, settings_);
    const Eigen::Vector3d hip =
        pelvis.center_m + pelvis.orientation * Eigen::Vector3d(0.0, s * kHipHalfWidth_m, 0.0);
    // The thigh follows the pelvis' transverse rotation; flexion about the
    // mediolateral axis, then adduction.
    const Eigen::Quaterniond thigh =
        rot_z(pelvis.yaw_deg) * rot_y(-a.thigh_flexion_deg) * rot_x(-s * a.thigh_adduction_deg);
    const Eigen::Vector3d knee = hip + thigh * Eigen::Vector3d(0.0, 0.0, -kThighLength_m);
    // Knee as a Cardan sequence (Grood & Suntay 1983, J. Biomech. Eng.
    // 105:136): flexion about the thigh's mediolateral axis, then valgus
    // about the floating anteroposterior axis, mirrored so + valgus moves the
    // knee toward the midline on both sides.
    const Eigen::Quaterniond shank =
        thigh * rot_y(a.knee_flexion_deg) * rot_x(s * a.knee_valgus_deg);
    body[placement_of(Segment::kThigh, side)] = {thigh, hip + thigh * thigh_sensor_site(s)};
    body[placement_of(Segment::kShank, side)] = {shank, knee + shank * shank_sensor_site(s)};
    body[placement_of(Segment::kFoot, side)] = foot_pose(st, side, settings_, timeline_);
  }
  add_impacts(st, body);
  return body;
}

Eigen::Vector3d RunnerModel::pelvis_center_m(double t_s) const {
  return pelvis_pose(timeline_.state(t_s), settings_, trunk_).center_m;
}

Pose RunnerModel::pose(pb::Placement placement, double t_s) const {
  return body_pose(t_s)[placement];
}

SegmentKinematics RunnerModel::kinematics(pb::Placement placement, double t_s) const {
  return differentiate(pose(placement, t_s - kDiffStep_s), pose(placement, t_s),
                       pose(placement, t_s + kDiffStep_s), kDiffStep_s);
}

std::array<SegmentKinematics, 8> RunnerModel::body_kinematics(double t_s) const {
  const BodyPose a = body_pose(t_s - kDiffStep_s);
  const BodyPose b = body_pose(t_s);
  const BodyPose c = body_pose(t_s + kDiffStep_s);
  std::array<SegmentKinematics, 8> out;
  for (std::size_t i = 1; i < out.size(); ++i) {
    out[i] = differentiate(a.segments[i], b.segments[i], c.segments[i], kDiffStep_s);
  }
  return out;
}

ImuReading RunnerModel::ideal_imu(const SegmentKinematics& k) {
  ImuReading r;
  const Eigen::Vector3d up(0.0, 0.0, kGravity_mps2);
  r.acc_mps2 = k.pose.orientation.conjugate() * (k.acceleration_mps2 + up);
  r.gyr_rps = k.angular_velocity_rps;
  return r;
}

ImuReading RunnerModel::ideal_imu(pb::Placement placement, double t_s) const {
  return ideal_imu(kinematics(placement, t_s));
}

TruthKnee RunnerModel::knee(pb::Side side, double t_s) const {
  const LegAngles a = leg_angles(timeline_.state(t_s), side_index(side), settings_);
  TruthKnee k;
  k.t_s = t_s;
  k.side = side;
  k.valgus_deg = a.knee_valgus_deg;
  k.flexion_deg = a.knee_flexion_deg;
  return k;
}

std::vector<TruthEvent> RunnerModel::events(double end_s) const {
  std::vector<TruthEvent> out;
  for (int side = 0; side < 2; ++side) {
    for (const Contact& c : timeline_.contacts(side_at(side))) {
      if (c.ic_s < 0.0 || c.ic_s >= end_s || !c.stepped) continue;
      TruthEvent e;
      e.side = side_at(side);
      e.ic_s = c.ic_s;
      if (c.to_s < end_s) e.to_s = c.to_s;
      out.push_back(e);
    }
  }
  std::sort(out.begin(), out.end(),
            [](const TruthEvent& a, const TruthEvent& b) { return a.ic_s < b.ic_s; });
  return out;
}

std::optional<double> RunnerModel::stance_fraction(pb::Side side, double t_s) const {
  const SideState ss = timeline_.state(t_s).sides[static_cast<std::size_t>(side_index(side))];
  if (ss.cycle >= ss.duty) return std::nullopt;
  return ss.cycle / ss.duty;
}

bool RunnerModel::foot_flat(pb::Side side, double t_s) const {
  const GaitState st = timeline_.state(t_s);
  const SideState& ss = st.sides[static_cast<std::size_t>(side_index(side))];
  return ss.cycle >= foot_flat_start(settings_.foot_strike, st.run) * ss.duty &&
         ss.cycle <= foot_heel_off(st.run) * ss.duty;
}

}  // namespace gk::sim
