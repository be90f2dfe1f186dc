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
    if (s_left * s_right > 0.0) {
      const double m = (h_right * s_left + h_left * s_right) / (h_left + h_right);
      const double limit = 3.0 * std::min(std::abs(s_left), std::abs(s_right));
      node.end.slope = std::copysign(std::min(std::abs(m), limit), m);
    }
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
