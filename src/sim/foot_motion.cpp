// Foot motion. In stance the foot rotates without slipping about a fixed
// point of its sole (heel for heel and midfoot strikers, ball for forefoot
// strikers) down to flat, rests flat and motionless, then rolls over the ball
// to toe-off. In swing the sensor follows a C2 path from the toe-off state to
// the next contact state, one stride further on, rising to a peak early in
// swing. Foot angles: heel strike ~15-20 deg toes up, midfoot ~+3, forefoot
// ~-8 (Altman & Davis 2012, Gait Posture 35:298); toe-off ~-40 deg and
// ~-80 deg early in swing while running (Novacheck 1998).
#include <algorithm>
#include <array>
#include <cstdint>

#include "body_model.hpp"
#include "hermite.hpp"

namespace gk::sim {
namespace {

/// Corner widths of the rounded bounds on the swing's height (soft_max): wide enough that a
/// start's changing stride bends the height over tens of milliseconds; a steady swing whose two
/// values lie further apart is not changed at all.
constexpr double kLiftCorner_m = 0.02;
constexpr double kHeightCorner_m = 0.01;

/// Angles (deg; pitch + = toes up, roll + = inversion) and timing of one foot
/// cycle for the current blend of walking and running.
struct FootShape {
  double pitch_ic = 0.0, pitch_late_swing = 0.0, pitch_to = 0.0, pitch_min = 0.0;
  double pitch_rate_to = 0.0;  ///< deg per cycle at toe-off (the toes-down peak)
  double roll_ic = 0.0, roll_to = 0.0, roll_swing = 0.0;
  double flat_start = 0.0, heel_off = 0.0;                     ///< stance shares
  double swing_min = 0.0, swing_late = 0.0, swing_lift = 0.0;  ///< swing shares
  double lift_m = 0.0;             ///< sensor height gain at the swing peak
  double swing_speed_ratio = 0.0;  ///< mid-swing forward speed / mean swing speed
  double pivot_x_m = 0.0;          ///< foot-frame x of the first-contact pivot
};

struct StrikeShape {
  double pitch_ic, pitch_late_swing, flat_start, roll_ic, pivot_share;
};

StrikeShape strike_shape(FootStrikePattern strike) {
  switch (strike) {
    case FootStrikePattern::kHeel:
      return {16.0, 20.0, 0.22, 5.0, 0.0};
    case FootStrikePattern::kMid:
      return {3.0, 7.0, 0.12, 3.0, 0.0};
    case FootStrikePattern::kFore:
      return {-8.0, -4.0, 0.16, 2.0, 1.0};
  }
  return {16.0, 20.0, 0.22, 5.0, 0.0};
}

/// Walking: the foot turns toes-up until shortly before the heel contact (late-swing angle 0.2 deg
/// above the contact's, reached at 97 % of the swing, see FootShape::swing_late). On real feet
/// with motion capture (gaitmap-walking) the pitch rate stays above 10 % of its swing peak until
/// 5-10 ms before the contact and reverses 0-5 ms after it; with the toes-up turn ending at 75 %
/// of the swing, 4 deg above the contact's angle, the simulated foot stopped 126 ms before the
/// contact and turned toes-down into it, and the heel rocker's onset came 41 ms early.
constexpr StrikeShape kWalkShape{20.0, 20.2, 0.15, 3.0, 0.0};

FootShape foot_shape(const GaitState& state, int side, double duty,
                     const RunnerSettings& settings) {
  const double r = state.run;
  const double m = state.sides[static_cast<std::size_t>(side)].gait;
  const StrikeShape run = strike_shape(settings.foot_strike);
  const StrikeShape& walk = kWalkShape;
  FootShape f;
  f.pitch_ic = m * lerp(walk.pitch_ic, run.pitch_ic, r);
  f.pitch_late_swing = m * lerp(walk.pitch_late_swing, run.pitch_late_swing, r);
  f.pitch_to = m * lerp(-50.0, -40.0, r);
  f.heel_off = foot_heel_off(r);
  // The toes-down rate peaks at toe-off (the pitch-rate minimum marks TO to
  // within ~5 ms in running, Falbriard et al. 2018, Front. Physiol. 9:610,
  // and in walking): the push-off accelerates the roll over the ball until
  // the toe leaves the ground, then the rotation decays and reverses into the
  // toes-up swing within ~60 ms. Peak rate = kToRateFactor times the mean
  // push-off rate, with zero angular acceleration at TO.
  constexpr double kToRateFactor = 2.2;
  f.pitch_rate_to = kToRateFactor * f.pitch_to / ((1.0 - f.heel_off) * duty);
  f.swing_min = lerp(0.14, 0.13, r);
  // Angle swept while the rate decays to zero (0.55 of rate x time keeps the
  // quintic monotone, so the rate has no second toes-down lobe).
  f.pitch_min = f.pitch_to + 0.55 * f.pitch_rate_to * f.swing_min * (1.0 - duty);
  f.roll_ic = m * lerp(walk.roll_ic, run.roll_ic, r);
  f.roll_to = m * lerp(3.0, 4.0, r);
  f.roll_swing = -m * 2.0;
  f.flat_start = lerp(walk.flat_start, run.flat_start, r);
  // The toes-up swing rotation ends by ~70 % of a running swing (sustained swing lobe), and just
  // before the contact in walking (kWalkShape).
  f.swing_late = lerp(0.97, 0.7, r);
  f.swing_lift = lerp(0.30, 0.35, r);
  // Bounded to 0.15-0.55 m with rounded corners: the speed passes 0.5 m/s within a start's
  // first swing, and a hard bound there bends the swing height sharply (soft_min).
  const double run_lift =
      soft_min(soft_max(0.12 + 0.06 * state.speed_mps, 0.15, kLiftCorner_m), 0.55, kLiftCorner_m);
  f.lift_m = m * lerp(0.12, run_lift, r);
  f.swing_speed_ratio = lerp(1.4, 1.7, r);
  f.pivot_x_m = kHeelToBall_m * lerp(walk.pivot_share, run.pivot_share, r);
  return f;
}

/// The foot's pitch over its cycle (stance share d): down to flat from the contact, flat, the
/// roll over the ball to toe-off, the toes-down peak after it and the toes-up swing.
KeyframeCurve pitch_curve(const FootShape& f, double d) {
  const double swing = 1.0 - d;
  return {{0.0, f.pitch_ic},
          {f.flat_start * d, 0.0, true},
          {f.heel_off * d, 0.0, true},
          {d, f.pitch_to, false, true, f.pitch_rate_to, 0.0},
          {d + f.swing_min * swing, f.pitch_min},
          {d + f.swing_late * swing, f.pitch_late_swing}};
}

KeyframeCurve roll_curve(const FootShape& f, double d) {
  return {{0.0, f.roll_ic},
          {f.flat_start * d, 0.0, true},
          {f.heel_off * d, 0.0, true},
          {d, f.roll_to},
          {d + 0.5 * (1.0 - d), f.roll_swing}};
}

/// Foot orientation and sensor position as the foot rolls about a fixed sole
/// point; `anchor` is the world heel position while flat.
struct Stance {
  const KeyframeCurve& pitch;
  const KeyframeCurve& roll;
  Eigen::Quaterniond flat;  ///< toe-out only
  double side_sign;

  Eigen::Quaterniond orientation(double x) const {
    return flat * rot_y(-pitch(x)) * rot_x(-side_sign * roll(x));
  }
  Eigen::Vector3d position(double x, const Eigen::Vector3d& anchor, double pivot_x) const {
    const Eigen::Vector3d pivot(pivot_x, 0.0, 0.0);
    return anchor + flat * pivot + orientation(x) * (foot_sensor_site() - pivot);
  }
};

/// The path of one swing in time, from the foot's state at its toe-off to its state at the next
/// contact, matched there in position, velocity and acceleration (C2). Each end is the stance's
/// motion about its own instant, shape changes included, and the path's shape (speed, lift) is
/// that of mid-swing: the path does not move while the foot is in the air. Built instead from
/// the shape of each moment (up to the thirty-sixth session), the path moved with every change of
/// the shape during the swing; where the blend of a walk into a forefoot run takes the contact's
/// pitch through flat, the contact's pitch slope (bound by its secant to flat) went to zero within
/// 3 ms and bent the whole path: an acceleration pulse of up to 80 m/s^2, 50 ms before the
/// contact, that a shoe read as its landing.
struct SwingPlan {
  uint64_t timeline_id = 0;
  int64_t stride = INT64_MIN;
  double from_s = 0.0, span_s = 0.0;
  std::array<HermiteEnd, 3> from{}, to{};  ///< per axis, in time
  double speed_ratio = 0.0, lift_share = 0.0, lift_m = 0.0, gait = 0.0;
};

SwingPlan make_swing_plan(int side, int64_t stride, const RunnerSettings& settings,
                          const GaitTimeline& timeline) {
  const pb::Side side_enum = side_at(side);
  const double sign = side_sign(side);
  const double y = sign * kStepHalfWidth_m;
  const Contact& this_contact = timeline.contact(side_enum, stride);
  const Contact& next_contact = timeline.contact(side_enum, stride + 1);
  const Eigen::Vector3d anchor(this_contact.foothold_m, y, 0.0);
  const Eigen::Vector3d next_anchor(next_contact.foothold_m, y, 0.0);
  // The stance's sensor position at time t_s, rolling about the ball (toe-off) or about the
  // contact's pivot (landing).
  const auto stance_at = [&](double t_s, const Eigen::Vector3d& where, bool landing) {
    const GaitState at = timeline.state(t_s);
    const SideState& at_side = at.sides[static_cast<std::size_t>(side)];
    const FootShape f = foot_shape(at, side, at_side.duty, settings);
    const KeyframeCurve pitch = pitch_curve(f, at_side.duty);
    const KeyframeCurve roll = roll_curve(f, at_side.duty);
    const Stance stance{pitch, roll, rot_z(sign * kToeOut_deg), sign};
    return stance.position(at_side.cycle, where, landing ? f.pivot_x_m : kHeelToBall_m);
  };
  // Value, velocity and acceleration per axis, by central differences.
  const auto end_state = [&](double t_s, const Eigen::Vector3d& where, bool landing) {
    constexpr double h = 1e-4;
    const Eigen::Vector3d a = stance_at(t_s - h, where, landing);
    const Eigen::Vector3d b = stance_at(t_s, where, landing);
    const Eigen::Vector3d c = stance_at(t_s + h, where, landing);
    std::array<HermiteEnd, 3> out;
    for (int i = 0; i < 3; ++i) {
      out[static_cast<std::size_t>(i)] = {b[i], (c[i] - a[i]) / (2 * h),
                                          (c[i] - 2 * b[i] + a[i]) / (h * h)};
    }
    return out;
  };
  SwingPlan plan;
  plan.timeline_id = timeline.id();
  plan.stride = stride;
  plan.from_s = this_contact.to_s;
  plan.span_s = next_contact.ic_s - this_contact.to_s;
  plan.from = end_state(this_contact.to_s, anchor, false);
  plan.to = end_state(next_contact.ic_s, next_anchor, true);
  const GaitState mid = timeline.state(this_contact.to_s + 0.5 * plan.span_s);
  const SideState& mid_side = mid.sides[static_cast<std::size_t>(side)];
  const FootShape f = foot_shape(mid, side, mid_side.duty, settings);
  plan.speed_ratio = f.swing_speed_ratio;
  plan.lift_share = f.swing_lift;
  plan.lift_m = f.lift_m;
  plan.gait = mid_side.gait;
  return plan;
}

/// The plan of a side's swing after contact `stride`, kept per thread for the last swing of each
/// side (a model is sampled in time order, so each plan is made once).
const SwingPlan& swing_plan(int side, int64_t stride, const RunnerSettings& settings,
                            const GaitTimeline& timeline) {
  thread_local std::array<SwingPlan, 2> kept;
  SwingPlan& plan = kept[static_cast<std::size_t>(side)];
  if (plan.timeline_id != timeline.id() || plan.stride != stride) {
    plan = make_swing_plan(side, stride, settings, timeline);
  }
  return plan;
}

}  // namespace

double foot_flat_start(FootStrikePattern strike, double run) {
  return lerp(kWalkShape.flat_start, strike_shape(strike).flat_start, run);
}

double foot_heel_off(double run) { return lerp(0.62, 0.55, run); }

Pose foot_pose(const GaitState& state, int side, const RunnerSettings& settings,
               const GaitTimeline& timeline) {
  const SideState& ss = state.sides[static_cast<std::size_t>(side)];
  const double d = ss.duty;
  const double x = ss.cycle;
  const double sign = side_sign(side);
  const FootShape f = foot_shape(state, side, d, settings);
  const KeyframeCurve pitch = pitch_curve(f, d);
  const KeyframeCurve roll = roll_curve(f, d);
  const Stance stance{pitch, roll, rot_z(sign * kToeOut_deg), sign};
  const pb::Side side_enum = side_at(side);
  const double y = sign * kStepHalfWidth_m;
  const Eigen::Vector3d anchor(timeline.contact(side_enum, ss.stride).foothold_m, y, 0.0);

  Pose pose;
  pose.orientation = stance.orientation(x);
  if (x < f.flat_start * d) {
    pose.position_m = stance.position(x, anchor, f.pivot_x_m);
    return pose;
  }
  if (x < d) {
    pose.position_m = stance.position(x, anchor, kHeelToBall_m);
    return pose;
  }
  const SwingPlan& plan = swing_plan(side, ss.stride, settings, timeline);
  const double u = std::clamp(state.t_s - plan.from_s, 0.0, plan.span_s);
  const auto& from = plan.from;
  const auto& to = plan.to;
  const double span_s = plan.span_s;
  // Forward: through the middle of the swing at swing_speed_ratio times the
  // mean swing speed. A single quintic would give a minimum-jerk bell
  // (peak 1.875 times the mean); measured swing-foot speed is flatter, with
  // more speed carried out of toe-off (Winter 1992, Phys. Ther. 72:45).
  const double half = 0.5 * span_s;
  const HermiteEnd mid{0.5 * (from[0].value + to[0].value),
                       plan.speed_ratio * (to[0].value - from[0].value) / span_s, 0.0};
  pose.position_m.x() = u < half ? quintic_hermite(u, half, from[0], mid)
                                 : quintic_hermite(u - half, half, mid, to[0]);
  pose.position_m.y() = quintic_hermite(u, span_s, from[1], to[1]);
  // A slight medial arc of the swinging foot.
  const double w = u / span_s;
  const double arc = 64.0 * w * w * w * (1.0 - w) * (1.0 - w) * (1.0 - w);
  pose.position_m.y() -= sign * 0.01 * plan.gait * arc;
  // Height: up to the lift peak, then down to contact.
  const double peak_u = plan.lift_share * span_s;
  // The rounding scales with the leg's amplitude: a standing leg's "swing" (toe-off and contact
  // states equal) stays on the ground instead of rising by a quarter of the corner width.
  const double peak_z =
      soft_max(from[2].value, to[2].value, kHeightCorner_m * plan.gait) + plan.lift_m;
  const double h1 = peak_u;
  const double h2 = span_s - peak_u;
  const HermiteEnd top{peak_z, 0.0,
                       -(peak_z - from[2].value) / (h1 * h1) - (peak_z - to[2].value) / (h2 * h2)};
  pose.position_m.z() = u < peak_u ? quintic_hermite(u, h1, from[2], top)
                                   : quintic_hermite(u - peak_u, h2, top, to[2]);
  return pose;
}

}  // namespace gk::sim
