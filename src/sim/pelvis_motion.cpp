// Pelvis (centre of mass proxy) motion. While running, the vertical motion is
// that of a spring-mass runner (Blickhan 1989, J. Biomech. 22:1217): free fall
// in flight (specific force 0) and a half-sine ground force in contact whose
// mean over a step is body weight, giving ~2-2.5 g peaks at usual duty
// factors. Fore-aft: braking in the first half of contact, propulsion in the
// second, no horizontal force in flight (Cavagna et al. 1976, J. Physiol.
// 262:639). Walking uses the inverted-pendulum rise to mid-stance.
#include <algorithm>
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
/// Width of the rounded corner where a step's contact share meets its cap (0.95). Narrow: the
/// walk-to-run change takes 2 d through it within about 15 ms, a bend of the trunk's path
/// instead of a velocity step, while the step it happens in keeps its shape (a width of 0.1
/// raised that step's late hump over its loading peak, 290 ms after its contact).
constexpr double kContactShareCorner = 0.02;

/// Height of the spring-mass runner over one step, in units of g / (step
/// frequency)^2: s = step phase [0, 1), contact over [0, c). Acceleration is
/// -1 + pi/(2c) sin(pi s / c) in contact and -1 in flight; the integration
/// constant makes it periodic.
double spring_mass_height(double s, double c) {
  const double v0 = 0.5 * c * c - 0.5 * c - 0.5 * (1.0 - c) * (1.0 - c);
  if (s < c) {
    return -0.5 * s * s + 0.5 * (s - c / std::numbers::pi * std::sin(std::numbers::pi * s / c)) +
           v0 * s;
  }
  const double zc = -0.5 * c * c + 0.5 * c + v0 * c;
  const double vc = 1.0 - c + v0;
  const double f = s - c;
  return zc + vc * f - 0.5 * f * f;
}

/// Fore-aft offset over one step for acceleration -sin(2 pi s / c) in
/// contact and 0 in flight, in units of braking peak / (step frequency)^2.
double braking_offset(double s, double c) {
  const double k = c / kTwoPi;
  const double v0 = c * c / kTwoPi;
  if (s < c) return k * (k * std::sin(kTwoPi * s / c) - s) + v0 * s;
  return -k * c + v0 * s;
}

}  // namespace

PelvisPose pelvis_pose(const GaitState& state, const RunnerSettings& settings) {
  const double x = state.sides[0].cycle;  // left-side cycle: left IC at 0, right IC at 0.5
  const double d = state.duty;
  const double m = state.gait;
  const double r = state.run;
  const double step_phase = 2.0 * x - std::floor(2.0 * x);
  const double step_hz = 2.0 * state.stride_hz;
  // Contact share of a step; capped below 1 so blending towards walking
  // (double support) stays defined; the walking term takes over there.
  // The cap's corner is rounded (soft_min): the walk-to-run change takes 2 d through 0.95, and a
  // hard cap there bent the trunk's height and fore-aft path sharply, a velocity step of 4 cm/s
  // that read as a one-sample spike of up to 40 g at the sampling phases straddling it.
  const double c = soft_min(2.0 * d, 0.95, kContactShareCorner);
  const double run_z = kGravity_mps2 / (step_hz * step_hz) * spring_mass_height(step_phase, c);
  // The walking terms keep the walking stance share while the style blends towards running:
  // their low point (the largest upward acceleration) is mid double support, which with the
  // blended (shorter) stance moved before the contact, and a trunk sensor then read each
  // contact of the walk-to-run change up to 230 ms late.
  const double wd = kWalkDutyFactor;
  const double walk_z = kWalkVerticalAmplitude_m * std::cos(kTwoPi * (2.0 * x - wd));
  const double run_x = kRunBraking_mps2 / (step_hz * step_hz) * braking_offset(step_phase, c);
  const double walk_x = -kWalkForeAftAmplitude_m * std::sin(kTwoPi * (2.0 * x - wd));
  const double sway_m = lerp(0.025, 0.012, r) * std::cos(kTwoPi * (x - 0.5 * d));
  const double height_m = lerp(0.96, lerp(0.94, 0.92, r), m);

  PelvisPose p;
  p.center_m = {state.distance_m + m * lerp(walk_x, run_x, r), m * sway_m,
                height_m + m * lerp(walk_z, run_z, r)};
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
