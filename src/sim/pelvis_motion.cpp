// Pelvis (centre of mass proxy) motion. While running, the vertical motion is
// that of a spring-mass runner driven by its feet's contacts (trunk_bounce.hpp):
// free fall in flight and a half-sine ground force in each contact, ~2-2.5 g
// peaks at usual duty factors. Fore-aft: braking in the first half of contact, propulsion in the
// second, no horizontal force in flight (Cavagna et al. 1976, J. Physiol.
// 262:639). Walking uses the inverted-pendulum rise to mid-stance.
#include <algorithm>
#include <cassert>
#include <cmath>

#include "body_model.hpp"
#include "hermite.hpp"
#include "sample.hpp"

namespace gk::sim {
namespace {

constexpr double kTwoPi = 2.0 * std::numbers::pi;
/// Peak horizontal braking acceleration while running (~0.45 body weight).
constexpr double kRunBraking_mps2 = 4.5;
constexpr double kWalkVerticalAmplitude_m = 0.02;
constexpr double kWalkForeAftAmplitude_m = 0.008;
/// Fore-aft offset over one step for a force of -sin(2 pi u / c) over each contact (braking in its
/// first half, propulsion in its second) and 0 out of contact, in units of braking peak / (step
/// frequency)^2, less its mean: s = step phase [0, 1) from a contact, c = contact share of a step
/// (2 x duty), 0 < c < 2, so the contact before (from s + 1) overlaps it in a double support.
double braking_offset(double s, double c) {
  assert(c > 0.0 && c < 2.0);
  const double k = c / kTwoPi;
  const auto b = [c, k](double u) {
    if (u < c) return k * (k * std::sin(kTwoPi * u / c) - u);
    return -k * c;
  };
  const double mean = (c * c * c - 3.0 * c * c) / (4.0 * std::numbers::pi);
  return b(s) + b(s + 1.0) + c * k * s - mean;
}

/// Share of the running style in the trunk's vertical and fore-aft motion. The walking terms
/// (an inverted pendulum) load the trunk throughout the step, which only a double support
/// allows: once the feet leave a flight between their contacts, the trunk must read none in it.
/// So where the settings give a flight (duty factor under 0.5), the trunk's style reaches running
/// exactly where the blended duty factor passes 0.5, with zero slope and curvature there
/// (1 - (1 - u)^3). The walk-to-run step read 0.92 g through its first flight when the trunk
/// followed the legs' style, and loaded 70-85 ms after its contact.
double trunk_run_share(double run, const RunnerSettings& settings) {
  const double flight_run = (kWalkDutyFactor - 0.5) / (kWalkDutyFactor - settings.duty_factor);
  if (settings.duty_factor >= 0.5 || flight_run >= 1.0) return run;
  const double u = std::min(run / flight_run, 1.0);
  return 1.0 - (1.0 - u) * (1.0 - u) * (1.0 - u);
}

}  // namespace

PelvisPose pelvis_pose(const GaitState& state, const RunnerSettings& settings,
                       const TrunkBounce& bounce) {
  const double x = state.sides[0].cycle;  // left-side cycle: left IC at 0, right IC at 0.5
  const double d = state.duty;
  const double m = state.gait;
  const double r = state.run;
  const double step_phase = 2.0 * x - std::floor(2.0 * x);
  const double step_hz = 2.0 * state.stride_hz;
  // Contact share of a step: the feet's own, so the braking terms act exactly while a foot is on
  // the ground, a double support included (c > 1). It was capped at 0.95 (a flight the feet of a
  // walk-to-run change did not have) until the thirty-seventh session.
  const double c = 2.0 * d;
  const double rt = trunk_run_share(r, settings);
  const double run_z = bounce.height_m(state.t_s);
  // The walking terms keep the walking stance share while the style blends towards running:
  // their low point (the largest upward acceleration) is mid double support, which with the
  // blended (shorter) stance moved before the contact, and a trunk sensor then read each
  // contact of the walk-to-run change up to 230 ms late.
  const double wd = kWalkDutyFactor;
  const double walk_z = kWalkVerticalAmplitude_m * std::cos(kTwoPi * (2.0 * x - wd));
  const double run_x = kRunBraking_mps2 / (step_hz * step_hz) * braking_offset(step_phase, c);
  const double walk_x = -kWalkForeAftAmplitude_m * std::sin(kTwoPi * (2.0 * x - wd));
  const double sway_m = lerp(0.025, 0.012, r) * std::cos(kTwoPi * (x - 0.5 * d));
  // The running trunk's lower mean height follows its style too, so it is level through a flight.
  const double height_m = lerp(0.96, lerp(0.94, 0.92, rt), m);

  PelvisPose p;
  p.center_m = {state.distance_m + m * lerp(walk_x, run_x, rt), m * sway_m,
                height_m + m * lerp(walk_z, run_z, rt)};
  // Pelvic drop: the swing side drops through each stance, peaking at ~40 %
  // stance (Bramah et al. 2018, Am. J. Sports Med. 46:3014).
  const double drop = settings.pelvic_drop_deg * lerp(0.7, 1.0, r);
  const KeyframeCurve roll{{0.0, 0.0}, {0.4 * d, drop}, {0.5, 0.0}, {0.5 + 0.4 * d, -drop}};
  // Transverse rotation brings the hip of the leg reaching forward ahead.
  p.yaw_deg = -m * lerp(5.0, 4.0, r) * std::cos(kTwoPi * x);
  const double tilt_deg =
      lerp(6.0, lerp(8.0, 12.0, r), m) + m * lerp(1.0, 2.0, r) * std::cos(kTwoPi * (2.0 * x - d));
  p.orientation = rot_z(p.yaw_deg) * rot_y(tilt_deg) * rot_x(m * roll(x));
  return p;
}

}  // namespace gk::sim
