#include "impact.hpp"

#include <algorithm>
#include <cmath>
#include <numbers>

namespace gk::sim {

double impact_frequency_hz(Segment segment) {
  switch (segment) {
    case Segment::kFoot:
      return 30.0;
    case Segment::kShank:
      return 25.0;
    case Segment::kThigh:
      return 20.0;
    default:
      return 15.0;
  }
}

double impact_displacement(double tau_s, double window_s, double frequency_hz, double rise_s) {
  if (tau_s <= 0.0 || tau_s >= window_s) return 0.0;
  // A lightly damped oscillation about a displaced rest, (1 - cos) e^(-t/td):
  // its acceleration starts at the positive maximum (the impact peak) and
  // rings down. The (1 - e^(-t/tr)) onset makes the rise take a few
  // milliseconds and keeps position C2; the final taper makes the transient
  // end exactly, so the foot is still once flat.
  const double decay_s = window_s / 6.0;
  const double x = tau_s / window_s;
  double taper = 1.0;
  if (x > 0.6) {
    const double u = (x - 0.6) / 0.4;
    taper = 1.0 - u * u * u * (10.0 + u * (-15.0 + 6.0 * u));
  }
  const double onset = 1.0 - std::exp(-tau_s / rise_s);
  const double ring = 1.0 - std::cos(2.0 * std::numbers::pi * frequency_hz * tau_s);
  return onset * std::exp(-tau_s / decay_s) * ring * taper;
}

double impact_peak_accel(double window_s, double frequency_hz, double rise_s) {
  constexpr int kSteps = 800;
  const double h = window_s / kSteps;
  double peak = 0.0;
  for (int i = 1; i < kSteps; ++i) {
    const double t = i * h;
    const double a = (impact_displacement(t + h, window_s, frequency_hz, rise_s) -
                      2.0 * impact_displacement(t, window_s, frequency_hz, rise_s) +
                      impact_displacement(t - h, window_s, frequency_hz, rise_s)) /
                     (h * h);
    peak = std::max(peak, std::abs(a));
  }
  return peak;
}

namespace {

/// Where the unit pulse's acceleration peaks (share of its window) and that peak for a unit
/// window: u(x) = x^3 (1 - x)^6, u''(x) = 6 x (1 - x)^4 (1 - 8 x + 12 x^2), searched on a fine
/// grid over its first positive lobe (x < 1/6).
struct PulseShape {
  double peak_x = 0.0;
  double peak_accel = 0.0;
};

const PulseShape& pulse_shape() {
  static const PulseShape shape = [] {
    PulseShape p;
    constexpr int kSteps = 100000;
    for (int i = 1; i < kSteps; ++i) {
      const double x = (1.0 / 6.0) * i / kSteps;
      const double y = 1.0 - x;
      const double a = 6.0 * x * y * y * y * y * (1.0 - 8.0 * x + 12.0 * x * x);
      if (a > p.peak_accel) {
        p.peak_accel = a;
        p.peak_x = x;
      }
    }
    return p;
  }();
  return shape;
}

}  // namespace

double shock_pulse_displacement(double tau_s, double window_s) {
  if (tau_s <= 0.0 || tau_s >= window_s) return 0.0;
  const double x = tau_s / window_s;
  const double y = 1.0 - x;
  const double y3 = y * y * y;
  return x * x * x * y3 * y3;
}

double shock_pulse_window_s(double peak_s) { return peak_s / pulse_shape().peak_x; }

double shock_pulse_peak_accel(double window_s) {
  return pulse_shape().peak_accel / (window_s * window_s);
}

double impact_peak_g(Segment segment, FootStrikePattern strike, double run, double speed_mps) {
  int s = 0;
  switch (segment) {
    case Segment::kFoot:
      s = 0;
      break;
    case Segment::kShank:
      s = 1;
      break;
    case Segment::kThigh:
      s = 2;
      break;
    default:
      s = 3;
      break;
  }
  // Rows: foot, shank, thigh, pelvis. Columns: heel, mid, fore, walking.
  constexpr double kPeak_g[4][4] = {
      {10.0, 7.0, 5.0, 3.0},
      {6.0, 4.5, 3.0, 1.5},
      {3.0, 2.5, 1.8, 0.8},
      {1.2, 1.0, 0.8, 0.4},
  };
  const int col = strike == FootStrikePattern::kHeel  ? 0
                  : strike == FootStrikePattern::kMid ? 1
                                                      : 2;
  // Impact loading grows roughly in proportion to speed (reference 3 m/s).
  const double speed_factor = std::clamp(speed_mps / 3.0, 0.5, 2.0);
  const double run_g = kPeak_g[s][col] * speed_factor;
  return kPeak_g[s][3] + (run_g - kPeak_g[s][3]) * std::clamp(run, 0.0, 1.0);
}

}  // namespace gk::sim
