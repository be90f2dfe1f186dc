#include "hermite.hpp"

#include <algorithm>
#include <cassert>
#include <cmath>

namespace gk::sim {

double quintic_hermite(double x, double h, const HermiteEnd& a, const HermiteEnd& b) {
  const double t = x / h;
  const double t2 = t * t;
  const double t3 = t2 * t;
  const double t4 = t3 * t;
  const double t5 = t4 * t;
  const double h0 = 1.0 - 10.0 * t3 + 15.0 * t4 - 6.0 * t5;
  const double h1 = t - 6.0 * t3 + 8.0 * t4 - 3.0 * t5;
  const double h2 = 0.5 * (t2 - 3.0 * t3 + 3.0 * t4 - t5);
  const double h3 = 0.5 * (t3 - 2.0 * t4 + t5);
  const double h4 = -4.0 * t3 + 7.0 * t4 - 3.0 * t5;
  const double h5 = 10.0 * t3 - 15.0 * t4 + 6.0 * t5;
  return a.value * h0 + h * a.slope * h1 + h * h * a.curvature * h2 + h * h * b.curvature * h3 +
         h * b.slope * h4 + b.value * h5;
}

namespace {

/// max(0, x) with its corner rounded over [0, band] by the cubic that meets both lines with their
/// slopes: exactly 0 for x <= 0 (a keyframe level with its neighbour keeps a flat slope) and
/// exactly x beyond the band; never above max(0, x).
double soft_ramp(double x, double band) {
  if (x <= 0.0) return 0.0;
  if (x >= band) return x;
  return x * x * (2.0 * band - x) / (band * band);
}

/// Share of the two secants' sum over which the slope rule's corners are rounded.
constexpr double kCornerShare = 0.1;

/// Node slope from its two secants: their phase-weighted mean, at most three times the smaller
/// (Fritsch & Carlson 1980's bound against overshoot), zero where the secants differ in sign (a
/// local extremum). Written as one expression, max(0, min(mean, 3 min)) along the secants' common
/// direction, with its corners rounded (soft_min, soft_ramp) and never above the hard rule:
/// keyframes that move over time (a start, a walk-to-run change) then bend the profile smoothly.
/// Hard corners made the slope's rate of change jump, which the simulated gyroscope read as a
/// step of up to 0.6 rad/s and the accelerometer as a one-sample spike of up to 40 g.
double limited_slope(double s_left, double s_right, double h_left, double h_right) {
  const double sum = std::abs(s_left) + std::abs(s_right);
  if (sum <= 0.0) return 0.0;
  // Along the secants' common direction both are positive when they agree in sign; at an
  // extremum one is negative and the slope is zero. The direction flips only where the two
  // cancel, and there 3 min = -1.5 sum is far below zero, so the slope is zero on both sides.
  const double dir = s_left + s_right >= 0.0 ? 1.0 : -1.0;
  const double a = dir * s_left;
  const double b = dir * s_right;
  const double band = kCornerShare * sum;
  const double mean = (h_right * a + h_left * b) / (h_left + h_right);
  return dir * soft_ramp(soft_min(mean, 3.0 * soft_min(a, b, band), band), band);
}

}  // namespace

double soft_min(double a, double b, double band) {
  if (band <= 0.0) return std::min(a, b);
  const double h = std::max(band - std::abs(a - b), 0.0) / band;
  return std::min(a, b) - 0.25 * band * h * h;
}

KeyframeCurve::KeyframeCurve(std::initializer_list<Keyframe> keys) {
  assert(keys.size() >= 2 && keys.size() <= kMaxKeys);
  const Keyframe* k = keys.begin();
  const std::size_t n = keys.size();
  count_ = n;
  for (std::size_t i = 0; i < n; ++i) {
    const Keyframe& prev = k[(i + n - 1) % n];
    const Keyframe& next = k[(i + 1) % n];
    const double x_prev = i == 0 ? prev.phase - 1.0 : prev.phase;
    const double x_next = i + 1 == n ? next.phase + 1.0 : next.phase;
    const double h_left = std::max(k[i].phase - x_prev, 1e-9);
    const double h_right = std::max(x_next - k[i].phase, 1e-9);
    const double s_left = (k[i].value - prev.value) / h_left;
    const double s_right = (next.value - k[i].value) / h_right;
    Node& node = nodes_[i];
    node.phase = k[i].phase;
    node.end.value = k[i].value;
    if (k[i].dwell) continue;
    if (k[i].pinned) {
      node.end.slope = k[i].slope;
      node.end.curvature = k[i].curvature;
      continue;
    }
    node.end.slope = limited_slope(s_left, s_right, h_left, h_right);
    node.end.curvature = 2.0 * (s_right - s_left) / (h_left + h_right);
  }
}

double KeyframeCurve::operator()(double phase) const {
  double x = phase - std::floor(phase);
  // Segment i runs from node i to node i+1 (the last one wraps to node 0 + 1).
  std::size_t i = count_ - 1;
  if (x < nodes_[0].phase) {
    x += 1.0;
  } else {
    for (std::size_t j = 0; j + 1 < count_; ++j) {
      if (x < nodes_[j + 1].phase) {
        i = j;
        break;
      }
    }
  }
  const Node& a = nodes_[i];
  const Node& b = nodes_[(i + 1) % count_];
  const double x_b = i + 1 == count_ ? b.phase + 1.0 : b.phase;
  return quintic_hermite(x - a.phase, x_b - a.phase, a.end, b.end);
}

}  // namespace gk::sim
