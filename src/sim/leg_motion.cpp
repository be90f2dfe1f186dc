// Thigh and knee angle profiles over the gait cycle. Keyframes follow the
// sagittal-plane curves of Novacheck 1998 (Gait Posture 7:77; running at
// ~3.2 m/s and walking) and the frontal-plane patterns of Ferber et al. 2003
// (Clin. Biomech. 18:350): valgus and hip adduction rise through loading to a
// peak near 40-45 % of stance and unwind by toe-off.
#include <algorithm>
#include <cmath>
#include <numbers>

#include "body_model.hpp"
#include "hermite.hpp"

namespace gk::sim {
namespace {

/// Standing is the anatomical neutral pose: thighs and shanks vertical, knee
/// angles zero. Knee angles are defined relative to it, as optical gait
/// analysis defines them relative to its static trial, so it is also the pose
/// in which a knee sleeve is calibrated (src/knee/knee_calibration.hpp).
constexpr double kStandKneeFlexion_deg = 0.0;
/// Peak stance hip adduction while running / walking (Ferber et al. 2003).
constexpr double kRunAdduction_deg = 7.0;
constexpr double kWalkAdduction_deg = 5.0;
/// Walking valgus peaks at about half the running value.
constexpr double kWalkValgusShare = 0.5;

/// Largest angular acceleration of the knee's re-flex before contact, per squared stride
/// frequency (rad/s^2 per Hz^2): about the swing's own braking of the shank, which scales with
/// the square of the stride frequency (150-160 rad/s^2 at 150 steps/min, 290-340 at 200 here).
constexpr double kReflexMaxAccel_rps2_per_hz2 = 120.0;
/// Peak angular acceleration of the keyframe curve's re-flex per amplitude over duration
/// squared (measured on the quintic segments below: a re-flex of A rad over T s peaks near
/// 4 A / T^2 with the contact's slope it must meet).
constexpr double kReflexShape = 4.0;

/// Share of the stride from the straightest knee to the contact: the runner's share of the
/// swing, but never so short that the re-flex would turn the shank faster than the swing does.
/// As both scale with the stride frequency squared, the bound is a share of the stride alone:
/// 0.058 for 5 degrees, 0.076 for 10 (the knee is straightest at 90-95 % of the running cycle,
/// Novacheck 1998). A re-flex of 7-10 degrees drawn into the last 20 ms of the swing turned the
/// shank at 600-1200 rad/s^2, three to five times the swing's own braking, and read as a 10 g
/// jolt on the shank just before the contact, larger than the impact it precedes.
double reflex_share(double reflex_deg, double swing_share) {
  if (reflex_deg <= 0.0) return swing_share;
  const double reflex_rad = reflex_deg * std::numbers::pi / 180.0;
  return std::max(swing_share, std::sqrt(kReflexShape * reflex_rad / kReflexMaxAccel_rps2_per_hz2));
}

LegAngles running(double x, double d, double peak_valgus_deg, const RunnerSettings& s) {
  const double swing = 1.0 - d;
  const double ic = s.knee_flexion_ic_deg;
  const double straightest = std::max(ic - s.knee_terminal_extension_deg, std::min(ic, 2.0));
  const double reflex = reflex_share(ic - straightest, s.knee_terminal_swing_share * swing);
  // Thigh: flexed at contact, extends through stance (hip extension peaks
  // just after toe-off), flexes in swing and retracts before contact.
  const KeyframeCurve thigh{{0.0, 26.0},
                            {0.5 * d, 14.0},
                            {d, -14.0},
                            {d + 0.12 * swing, -17.0},
                            {d + 0.78 * swing, 36.0}};
  // Knee: loading peak at ~40 % stance, near-extension just before toe-off,
  // swing peak at ~45 % swing, extension before contact.
  const KeyframeCurve knee{{0.0, ic},
                           {0.4 * d, s.peak_stance_flexion_deg},
                           {0.92 * d, ic + 2.0},
                           {d + 0.45 * swing, s.peak_swing_flexion_deg},
                           {1.0 - reflex, straightest}};
  const KeyframeCurve valgus{{0.0, 0.15}, {0.45 * d, 1.0}, {d, 0.35}, {d + 0.5 * swing, 0.0}};
  const KeyframeCurve adduction{{0.0, 0.3}, {0.4 * d, 1.0}, {d, 0.3}, {d + 0.5 * swing, -0.3}};
  return {thigh(x), kRunAdduction_deg * adduction(x), knee(x), peak_valgus_deg * valgus(x)};
}

LegAngles walking(double x, double d, double peak_valgus_deg) {
  const double swing = 1.0 - d;
  // Thigh: flexed at contact, extends through stance to its peak extension in terminal
  // stance (~50 % of the cycle, before the other foot lands), already flexing again at toe-off
  // (~-6 deg at 61 %), peak flexion at ~85 % and a slight retraction before contact (Perry &
  // Burnfield 2010, hip sagittal curve). Unlike running, whose hip extension peaks just after
  // toe-off (Novacheck 1998), walking has no extremum near toe-off: the earlier keyframes put
  // one 43 ms after it, and the quintic's turn there shook the thigh and shank by 2-3 g within
  // 20 ms of every toe-off, larger than the shank's simulated heel strike.
  const KeyframeCurve thigh{{0.0, 22.0}, {0.83 * d, -12.0}, {d + 0.65 * swing, 28.0}};
  // Loading-response flexion, extension in mid/terminal stance, pre-swing
  // flexion and the swing peak at ~73 % of the cycle (Perry & Burnfield 2010).
  const KeyframeCurve knee{{0.0, 5.0}, {0.22 * d, 18.0},        {0.7 * d, 5.0},
                           {d, 38.0},  {d + 0.3 * swing, 62.0}, {1.0 - 0.08 * swing, 2.0}};
  const KeyframeCurve valgus{{0.0, 0.15}, {0.3 * d, 1.0}, {d, 0.3}, {d + 0.5 * swing, 0.0}};
  const KeyframeCurve adduction{{0.0, 0.3}, {0.3 * d, 1.0}, {d, 0.2}, {d + 0.5 * swing, -0.3}};
  return {thigh(x), kWalkAdduction_deg * adduction(x), knee(x),
          kWalkValgusShare * peak_valgus_deg * valgus(x)};
}

}  // namespace

LegAngles leg_angles(const GaitState& state, int side, const RunnerSettings& settings) {
  const SideState& ss = state.sides[static_cast<std::size_t>(side)];
  LegAngles gait;
  if (state.run > 0.0) {
    gait = running(ss.cycle, ss.duty, ss.peak_valgus_deg, settings);
  }
  if (state.run < 1.0) {
    const LegAngles walk = walking(ss.cycle, ss.duty, ss.peak_valgus_deg);
    const double r = state.run;
    gait.thigh_flexion_deg = lerp(walk.thigh_flexion_deg, gait.thigh_flexion_deg, r);
    gait.thigh_adduction_deg = lerp(walk.thigh_adduction_deg, gait.thigh_adduction_deg, r);
    gait.knee_flexion_deg = lerp(walk.knee_flexion_deg, gait.knee_flexion_deg, r);
    gait.knee_valgus_deg = lerp(walk.knee_valgus_deg, gait.knee_valgus_deg, r);
  }
  const double m = ss.gait;
  return {m * gait.thigh_flexion_deg, m * gait.thigh_adduction_deg,
          lerp(kStandKneeFlexion_deg, gait.knee_flexion_deg, m), m * gait.knee_valgus_deg};
}

}  // namespace gk::sim
