#include "stride_autocorrelation.hpp"

#include <algorithm>
#include <cassert>
#include <cmath>
#include <vector>

namespace gk {

StrideAutocorrelation::StrideAutocorrelation(const StrideAutocorrelationSettings& settings)
    : settings_(settings),
      bin_us_(static_cast<int64_t>(std::llround(settings.bin_s * 1e6))),
      window_bins_(static_cast<size_t>(std::ceil(settings.window_s / settings.bin_s))) {
  assert(bin_us_ > 0 && settings.min_lag_s < settings.max_lag_s);
}

void StrideAutocorrelation::reset() {
  bins_.clear();
  first_bin_index_ = 0;
}

void StrideAutocorrelation::push(int64_t t_us, double value) {
  if (!std::isfinite(value)) return;
  const int64_t index = t_us >= 0 ? t_us / bin_us_ : -((-t_us + bin_us_ - 1) / bin_us_);
  // A jump past the whole window leaves nothing of it: start afresh rather than fill it.
  if (!bins_.empty() &&
      index - first_bin_index_ >= static_cast<int64_t>(bins_.size() + window_bins_)) {
    bins_.clear();
  }
  if (bins_.empty()) first_bin_index_ = index;
  if (index < first_bin_index_) return;  // before the window: time went back
  while (first_bin_index_ + static_cast<int64_t>(bins_.size()) <= index) bins_.push_back({});
  Bin& bin = bins_[static_cast<size_t>(index - first_bin_index_)];
  bin.sum += value;
  ++bin.n;
  while (bins_.size() > window_bins_) {
    bins_.pop_front();
    ++first_bin_index_;
  }
}

std::optional<double> StrideAutocorrelation::period_us() const {
  // The last bin may still be filling; it is left out.
  if (bins_.size() < 2) return std::nullopt;
  const size_t n = bins_.size() - 1;
  std::vector<double> x(n);
  std::vector<char> valid(n);
  for (size_t i = 0; i < n; ++i) {
    valid[i] = bins_[i].n > 0;
    x[i] = valid[i] ? bins_[i].sum / static_cast<double>(bins_[i].n) : 0.0;
  }
  // The bins after the last still stretch (see still_s), found from the end.
  const auto still_bins = static_cast<size_t>(std::ceil(settings_.still_s / settings_.bin_s));
  size_t from = 0;
  for (size_t end = n; end >= still_bins && from == 0; --end) {
    double sum = 0.0, sum_sq = 0.0;
    size_t m = 0;
    for (size_t i = end - still_bins; i < end; ++i) {
      if (!valid[i]) continue;
      sum += x[i];
      sum_sq += x[i] * x[i];
      ++m;
    }
    if (2 * m < still_bins) continue;
    const double mean = sum / static_cast<double>(m);
    const double var = sum_sq / static_cast<double>(m) - mean * mean;
    if (var < settings_.still_max_std * settings_.still_max_std) from = end;
  }
  const size_t moving = n - from;
  const auto min_lag = static_cast<size_t>(std::ceil(settings_.min_lag_s / settings_.bin_s));
  const size_t max_lag = std::min(
      static_cast<size_t>(settings_.max_lag_s / settings_.bin_s),
      moving > settings_.min_overlap_bins + 1 ? moving - settings_.min_overlap_bins - 1 : 0);
  if (max_lag < min_lag + 2) return std::nullopt;
  // Pearson's r between the signal and itself `lag` bins later, over the pairs both present;
  // each side with its own mean and spread.
  const auto correlation = [&](size_t lag) {
    double sa = 0.0, sb = 0.0, saa = 0.0, sbb = 0.0, sab = 0.0;
    size_t m = 0;
    for (size_t i = from; i + lag < n; ++i) {
      if (!valid[i] || !valid[i + lag]) continue;
      const double a = x[i], b = x[i + lag];
      sa += a;
      sb += b;
      saa += a * a;
      sbb += b * b;
      sab += a * b;
      ++m;
    }
    if (m < settings_.min_overlap_bins) return 0.0;
    const auto mm = static_cast<double>(m);
    const double cov = sab - sa * sb / mm;
    const double va = saa - sa * sa / mm;
    const double vb = sbb - sb * sb / mm;
    return va > 0.0 && vb > 0.0 ? cov / std::sqrt(va * vb) : 0.0;
  };
  std::vector<double> r(max_lag + 2, 0.0);
  for (size_t lag = min_lag - 1; lag <= max_lag + 1; ++lag) r[lag] = correlation(lag);
  const auto is_peak = [&](size_t lag) { return r[lag] >= r[lag - 1] && r[lag] >= r[lag + 1]; };
  double largest = 0.0;
  for (size_t lag = min_lag; lag <= max_lag; ++lag) {
    if (is_peak(lag)) largest = std::max(largest, r[lag]);
  }
  if (largest < settings_.min_correlation) return std::nullopt;
  for (size_t lag = min_lag; lag <= max_lag; ++lag) {
    if (!is_peak(lag) || r[lag] < settings_.multiple_share * largest) continue;
    // The peak between bins, by a parabola through it and its neighbours.
    const double denom = r[lag - 1] - 2.0 * r[lag] + r[lag + 1];
    const double shift = denom < 0.0 ? 0.5 * (r[lag - 1] - r[lag + 1]) / denom : 0.0;
    return (static_cast<double>(lag) + shift) * static_cast<double>(bin_us_);
  }
  return std::nullopt;
}

}  // namespace gk
