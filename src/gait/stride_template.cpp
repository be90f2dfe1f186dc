#include "stride_template.hpp"

#include <algorithm>
#include <cassert>
#include <cmath>

namespace gk {
namespace {

/// Fewer samples than this in a stride's window: not aligned (a hole, the end of the data).
constexpr size_t kMinSamples = 8;
/// A grid point reached by less weight than this holds no value of its own (fill()).
constexpr double kMinWeight = 1e-9;

}  // namespace

void StrideTemplate::reset() {
  strides_ = 0;
  bin_us_ = 0.0;
  sum_.clear();
  weight_.clear();
  dense_.clear();
}

Eigen::Vector3d StrideTemplate::at(double t_us) const {
  const double x = (t_us - from_us_) / bin_us_;
  const auto last = static_cast<double>(dense_.size() - 1);
  if (x <= 0.0) return dense_.front();
  if (x >= last) return dense_.back();
  const auto b = static_cast<size_t>(x);
  const double f = x - static_cast<double>(b);
  return (1.0 - f) * dense_[b] + f * dense_[b + 1];
}

std::optional<StrideTemplate::Alignment> StrideTemplate::align(const std::vector<Sample>& samples,
                                                               double center_us,
                                                               double search_us) const {
  if (strides_ == 0 || samples.size() < kMinSamples) return std::nullopt;
  const auto shifts = static_cast<int>(std::ceil(search_us / bin_us_));
  std::vector<double> cost(static_cast<size_t>(2 * shifts + 1), 0.0);
  for (int s = -shifts; s <= shifts; ++s) {
    const double origin_us = center_us + s * bin_us_;
    double c = 0.0;
    for (const Sample& x : samples) c += (x.value - at(x.t_us - origin_us)).squaredNorm();
    cost[static_cast<size_t>(s + shifts)] = c;
  }
  const auto best =
      static_cast<size_t>(std::distance(cost.begin(), std::min_element(cost.begin(), cost.end())));
  // At the edge the minimum may lie beyond the search: the stride does not match.
  if (best == 0 || best + 1 == cost.size()) return std::nullopt;
  const double lo = cost[best - 1];
  const double mid = cost[best];
  const double hi = cost[best + 1];
  const double curvature = lo - 2.0 * mid + hi;
  const double offset = curvature > 0.0 ? 0.5 * (lo - hi) / curvature : 0.0;
  Eigen::Vector3d mean = Eigen::Vector3d::Zero();
  for (const Sample& x : samples) mean += x.value;
  mean /= static_cast<double>(samples.size());
  double spread = 0.0;
  for (const Sample& x : samples) spread += (x.value - mean).squaredNorm();
  const double residual = std::max(0.0, mid - 0.25 * (lo - hi) * offset);
  return Alignment{center_us + (static_cast<double>(best) - shifts + offset) * bin_us_,
                   spread > 0.0 ? residual / spread : 1.0};
}

void StrideTemplate::add(const std::vector<Sample>& samples, double origin_us, double period_us) {
  assert(period_us > 0.0);
  if (samples.empty()) return;
  if (strides_ == 0) {
    bin_us_ = std::max(settings_.min_bin_s * 1e6, settings_.bin_periods * period_us);
    // Every shifted stride's samples must fall on the grid (align()).
    from_us_ = -(settings_.before_s + 2.0 * settings_.search_s) * 1e6;
    const double to_us = (settings_.after_s + 2.0 * settings_.search_s) * 1e6;
    const auto n = static_cast<size_t>(std::ceil((to_us - from_us_) / bin_us_)) + 1;
    sum_.assign(n, Eigen::Vector3d::Zero());
    weight_.assign(n, 0.0);
  } else {
    const double keep = 1.0 - settings_.new_weight;
    for (size_t b = 0; b < sum_.size(); ++b) {
      sum_[b] *= keep;
      weight_[b] *= keep;
    }
  }
  const double w = strides_ == 0 ? 1.0 : settings_.new_weight;
  const auto last = static_cast<double>(sum_.size() - 1);
  for (const Sample& x : samples) {
    // Each sample is shared between the two grid points around it (linear).
    const double pos = (x.t_us - origin_us - from_us_) / bin_us_;
    if (pos < 0.0 || pos >= last) continue;
    const auto b = static_cast<size_t>(pos);
    const double f = pos - static_cast<double>(b);
    sum_[b] += w * (1.0 - f) * x.value;
    weight_[b] += w * (1.0 - f);
    sum_[b + 1] += w * f * x.value;
    weight_[b + 1] += w * f;
  }
  ++strides_;
  fill();
}

void StrideTemplate::fill() {
  const size_t n = sum_.size();
  dense_.assign(n, Eigen::Vector3d::Zero());
  std::optional<size_t> prev;
  for (size_t b = 0; b < n; ++b) {
    if (weight_[b] <= kMinWeight) continue;
    dense_[b] = sum_[b] / weight_[b];
    // Grid points between two populated ones: linear between them; before the first: its value.
    const size_t from = prev ? *prev + 1 : 0;
    for (size_t g = from; g < b; ++g) {
      const double f = prev ? static_cast<double>(g - *prev) / static_cast<double>(b - *prev) : 1.0;
      dense_[g] = prev ? (1.0 - f) * dense_[*prev] + f * dense_[b] : dense_[b];
    }
    prev = b;
  }
  if (!prev) return;
  for (size_t g = *prev + 1; g < n; ++g) dense_[g] = dense_[*prev];
}

}  // namespace gk
