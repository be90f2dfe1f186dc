// C2 interpolation behind every motion profile of the simulated runner:
// quintic Hermite segments (value, slope and curvature matched at both ends)
// and periodic keyframe curves over one gait cycle. C2 position means a
// continuous acceleration, so the synthetic accelerometer has no spurious
// steps.
#pragma once

#include <array>
#include <cstddef>
#include <initializer_list>

namespace gk::sim {

/// Value and its first two derivatives at one end of a segment.
struct HermiteEnd {
  double value = 0.0;
  double slope = 0.0;
  double curvature = 0.0;
};

/// Quintic Hermite segment over [0, h] evaluated at x (extrapolates outside).
double quintic_hermite(double x, double h, const HermiteEnd& a, const HermiteEnd& b);

/// min(a, b) with its corner rounded where |a - b| < band: a quadratic blend, continuous with its
/// first derivatives, never above min(a, b) (by at most band / 4), exactly min(a, b) outside the
/// band. A motion built on the smaller or larger of two values that change over time (a start's
/// growing stride, the walk-to-run change) would otherwise bend sharply where they cross: a step
/// in velocity, which the accelerometer reads as a one-sample spike at the sampling phases that
/// straddle it.
double soft_min(double a, double b, double band);
inline double soft_max(double a, double b, double band) { return -soft_min(-a, -b, band); }

/// One keyframe of a periodic profile.
struct Keyframe {
  double phase = 0.0;  ///< position in the cycle, [0, 1)
  double value = 0.0;
  bool dwell = false;   ///< zero slope and curvature: the profile rests here
  bool pinned = false;  ///< slope and curvature as given, not from the neighbours
  double slope = 0.0;
  double curvature = 0.0;
};

/// Periodic (period 1) C2 curve through keyframes given in increasing phase.
/// Slopes follow the neighbouring secants (zero at local extrema, limited in
/// the spirit of Fritsch & Carlson 1980, SIAM J. Numer. Anal. 17:238, so the
/// curve does not overshoot); curvature is that of the parabola through the
/// neighbours.
class KeyframeCurve {
 public:
  static constexpr std::size_t kMaxKeys = 8;

  KeyframeCurve(std::initializer_list<Keyframe> keys);
  double operator()(double phase) const;

 private:
  struct Node {
    double phase = 0.0;
    HermiteEnd end;
  };
  std::array<Node, kMaxKeys> nodes_{};
  std::size_t count_ = 0;
};

}  // namespace gk::sim
