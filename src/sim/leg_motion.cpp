// Thigh and knee angle profiles over the gait cycle. Keyframes follow the
// sagittal-plane curves of Novacheck 1998 (Gait Posture 7:77; running at
// ~3.2 m/s and walking) and the frontal-plane patterns of Ferber et al. 2003
// (Clin. Biomech. 18:350): valgus and hip adduction rise through loading to a
// peak near 40-45 % of stance and unwind by toe-off.
#include <algorithm>

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

LegAngles running(double x, double d, double peak_valgus_deg, const RunnerSettings& s) {
  const double swing = 1.0 - d;
  const double ic = s.knee_flexion_ic_deg;
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
                           {1.0 - s.knee_terminal_swing_share * swing,
                            std::max(ic - s.knee_terminal_extension_deg, std::min(ic, 2.0))}};
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
