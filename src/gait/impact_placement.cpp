#include "impact_placement.hpp"

#include <algorithm>
#include <array>
#include <cmath>
#include <functional>

namespace gk {
namespace {

struct Spread {
  double impact_var_us2 = 0.0;
  double feature_var_us2 = 0.0;
  bool known = false;
};

/// Grubbs' two-instrument estimate (F. E. Grubbs 1948, J. Am. Stat. Assoc. 43:243, eq. 2-4):
/// two instruments measure the same items, here the stride intervals between consecutive
/// contacts (from the impacts and from the features). The items' own spread (stride-to-stride
/// variability, a change of pace) is common to both and is their covariance; what each series
/// varies beyond it is its own error. An interval's error is the difference of two contacts'
/// errors, twice a contact's variance. Intervals spanning a skipped stride or a pause are left
/// out: their length would swamp the covariance.
template <size_t N>
Spread grubbs(const std::array<double, N>& impact_us, const std::array<double, N>& feature_us,
              size_t n) {
  std::array<double, N> di{}, df{};
  size_t m = 0;
  for (size_t k = 1; k < n; ++k) {
    di[m] = impact_us[k] - impact_us[k - 1];
    df[m] = feature_us[k] - feature_us[k - 1];
    ++m;
  }
  if (m < ImpactPlacement::kMinIntervals) return {};
  std::array<double, N> sorted = df;
  const auto mid = sorted.begin() + static_cast<std::ptrdiff_t>(m / 2);
  std::nth_element(sorted.begin(), mid, sorted.begin() + static_cast<std::ptrdiff_t>(m));
  const double typical_us = *mid;
  double si = 0.0, sf = 0.0;
  size_t used = 0;
  for (size_t k = 0; k < m; ++k) {
    if (df[k] < 0.5 * typical_us || df[k] > 1.5 * typical_us) continue;
    di[used] = di[k];
    df[used] = df[k];
    si += di[k];
    sf += df[k];
    ++used;
  }
  if (used < ImpactPlacement::kMinIntervals) return {};
  const double mi = si / static_cast<double>(used);
  const double mf = sf / static_cast<double>(used);
  double vii = 0.0, vff = 0.0, vif = 0.0;
  for (size_t k = 0; k < used; ++k) {
    vii += (di[k] - mi) * (di[k] - mi);
    vff += (df[k] - mf) * (df[k] - mf);
    vif += (di[k] - mi) * (df[k] - mf);
  }
  // The split rests on the covariance, which carries sampling noise in proportion to the
  // strides' own variability: over nine strides at 1 kHz, with strides varying by 2 %, it gave
  // a 0.3 ms impact a 1 ms error. var(dI) - var(dF) is twice the difference of the two
  // errors' variances, and its sampling noise is about 2 sqrt(var(dX) var(dI - dF) / (n - 1)),
  // with the stride intervals' own variance var(dX) the covariance. Unless the impact's
  // intervals vary more than the feature's by three times that, the impact's error is not
  // shown to exceed its sampling, and the split is not used.
  double vll = 0.0;
  for (size_t k = 0; k < used; ++k) {
    const double d = (di[k] - mi) - (df[k] - mf);
    vll += d * d;
  }
  const double dof = static_cast<double>(used - 1);
  const double noise = 2.0 * std::sqrt(std::max(vif, 0.0) * vll / dof);  // in sums, as vii
  if (vii - vff <= 3.0 * noise) return {};
  return {0.5 * (vii - vif) / dof, 0.5 * (vff - vif) / dof, true};
}

}  // namespace

std::optional<double> ImpactPlacement::recent_lag_us() const {
  if (strides_.size() < kMinLagStrides) return std::nullopt;
  std::array<double, kStrides> lags{};
  const size_t n = std::min(strides_.size(), kStrides);
  for (size_t k = 0; k < n; ++k) {
    const Times& t = strides_[strides_.size() - n + k];
    lags[k] = t.feature_us - t.impact_us;
  }
  const auto mid = lags.begin() + static_cast<std::ptrdiff_t>(n / 2);
  std::nth_element(lags.begin(), mid, lags.begin() + static_cast<std::ptrdiff_t>(n));
  return *mid;
}

double ImpactPlacement::place_us(double feature_us, double impact_us, double period_us,
                                 bool* pooled) const {
  if (pooled) *pooled = false;
  // Two estimates of the contact, averaged with inverse-variance weights:
  // - the impact, whose error is at least uniform over one sample period (variance T^2 / 12),
  //   more where the samples miss a short spike and a neighbouring jump is taken;
  // - the feature minus the lag of the recent strides (this one included).
  // How precise each is comes from the last kHistory stride intervals (grubbs() above), where
  // they show the impact clearly the worse; otherwise the impact is taken at its sampling
  // precision and the lags' spread beyond that is the feature's. At 100-200 Hz
  // that leans on the feature: a simulated shank at 100 Hz had impacts from 16 ms early to
  // 14 ms late, the sampling phase deciding, while its gyro feature trailed the contact by
  // 33.9 ms +- 0.1 ms; at 1 kHz, where the impact is sharp and a lag's own change from stride
  // to stride exceeds the sample period, it leans on the impact.
  constexpr size_t H = kHistory + 1;
  std::array<double, H> f{}, i{};
  size_t h = 0;
  for (const Times& t : strides_) {
    f[h] = t.feature_us;
    i[h] = t.impact_us;
    ++h;
  }
  f[h] = feature_us;
  i[h] = impact_us;
  ++h;
  constexpr size_t N = kStrides + 1;
  std::array<double, N> lags{};
  const size_t n = std::min(h, N);
  for (size_t k = 0; k < n; ++k) lags[k] = f[h - n + k] - i[h - n + k];

  // The lag: the mean of the recent lags without the one farthest from their median (a
  // mistimed impact). A mean, not the median: where the impact's error has several modes (the
  // spike caught, missed early, missed late) the median jumps between them as strides come and
  // go, and the placed contacts with it.
  std::array<double, N> sorted = lags;
  const auto mid = sorted.begin() + static_cast<std::ptrdiff_t>(n / 2);
  std::nth_element(sorted.begin(), mid, sorted.begin() + static_cast<std::ptrdiff_t>(n));
  const double median_lag_us = *mid;
  double sum = 0.0, sum_sq = 0.0, largest_sq = 0.0, largest = 0.0;
  for (size_t k = 0; k < n; ++k) {
    const double d = lags[k] - median_lag_us;
    sum += lags[k];
    sum_sq += d * d;
    if (d * d > largest_sq) {
      largest_sq = d * d;
      largest = lags[k];
    }
  }
  const size_t keep = n > 2 ? n - 1 : n;
  if (keep < n) {
    sum -= largest;
    sum_sq -= largest_sq;
  }
  double lag_us = sum / static_cast<double>(keep);

  const double sampling_var = period_us * period_us / 12.0;
  double impact_var = sampling_var;
  double feature_var = 0.0;
  const Spread spread = grubbs(i, f, h);
  if (spread.known) {
    impact_var = std::max(spread.impact_var_us2, sampling_var);
    feature_var = spread.feature_var_us2;
  } else {
    // Too few strides to tell the two apart, or the impact not shown worse than its sampling:
    // the lags' spread beyond the impact's sampling is the feature's.
    feature_var = sum_sq / static_cast<double>(keep) - sampling_var;
  }
  feature_var = std::max(feature_var, kMinFeatureVar_us2);

  // An impact that the samples see late only (a spike they catch or miss, never see early): the
  // strides that caught it are those whose impacts came earliest, i.e. whose lags are the
  // largest, and the rest are late by however far the next transient they caught lay. Their
  // mean lag is then too short by the share of missed spikes times that distance (a simulated
  // pelvis at 200 Hz: caught at -2..0 ms, missed at +6..+11 ms, placed contacts 6 ms late).
  // So the lag is the mean of the lags within one sample period below the top tenth of all kept
  // strides (the single largest left out: a spurious early jump), if the impact is shown the
  // less steady of the two and its scatter is of the sampling's order (kLateOnlyMaxPeriods).
  // All kept strides, not the last kStrides: at 100 Hz a 3 ms spike is caught in a third of the
  // strides, too few among nine for a steady top.
  if (impact_seen_late_only_ && h >= 3 && spread.known &&
      spread.impact_var_us2 > spread.feature_var_us2 &&
      spread.impact_var_us2 <= kLateOnlyMaxPeriods * kLateOnlyMaxPeriods * period_us * period_us) {
    std::array<double, H> by_size{};
    for (size_t k = 0; k < h; ++k) by_size[k] = f[k] - i[k];
    std::sort(by_size.begin(), by_size.begin() + static_cast<std::ptrdiff_t>(h), std::greater<>());
    // A lag far above the median is no impact caught early but a jump taken before the contact
    // (a late swing's): a transient missed puts the impact late by about its own length, a
    // sample period or two, never more than kLateOnlyReach_us.
    const double median_all_us = by_size[h / 2];
    const double reach_us =
        std::max(kLateOnlyMaxPeriods * period_us, static_cast<double>(kLateOnlyReach_us));
    size_t first = 0;
    while (first + 1 < h && by_size[first] > median_all_us + reach_us) ++first;
    const size_t m = h - first;
    const auto top =
        std::max<size_t>(1, static_cast<size_t>(kEarliestShare * static_cast<double>(m)));
    const double reference_us = by_size[std::min(first + top, h - 1)];
    double top_sum = 0.0;
    size_t top_n = 0;
    for (size_t k = first + 1; k < h && by_size[k] >= reference_us - period_us; ++k) {
      top_sum += by_size[k];
      ++top_n;
    }
    lag_us = top_sum / static_cast<double>(top_n);
  }
  // A cadence locked to the sample rate samples every stride of a leg at the same phase, so the
  // impact is mistimed by the same amount on every stride: no spread shows it, and the lag
  // carries it whole. At 100 Hz a 4 ms shock caught on one leg and missed on the other put a
  // simulated pair of shanks at 160 steps/min 12.5 ms early on the right and 12.5 ms late on the
  // left, every 10-step window 1.2 steps/min off. The two legs are sampled at different phases,
  // and their lags after the same feature differ by sampling alone in a symmetric gait; their
  // mean halves each leg's error and cancels it between the legs, where cadence is measured.
  if (other_ != nullptr) {
    const std::optional<double> own = locked_lag_us(period_us);
    const std::optional<double> other = other_->locked_lag_us(period_us);
    if (own && other) {
      if (pooled) *pooled = true;
      const double pooled_us = 0.5 * (*own + *other);
      const double reach_us = period_us + std::abs(*own - pooled_us);
      return std::clamp(feature_us - pooled_us, impact_us - reach_us, impact_us + reach_us);
    }
  }
  const double from_feature_us = feature_us - lag_us;
  const double fused_us =
      (impact_var * from_feature_us + feature_var * impact_us) / (impact_var + feature_var);
  // The feature refines the impact, never replaces it: the result stays within one sample
  // period of the impact, or three of its standard deviations where it is that imprecise.
  const double reach_us = std::max(period_us, 3.0 * std::sqrt(impact_var));
  return std::clamp(fused_us, impact_us - reach_us, impact_us + reach_us);
}

std::optional<double> ImpactPlacement::locked_lag_us(double period_us) const {
  if (strides_.size() < kStrides || period_us <= 0.0) return std::nullopt;
  std::array<double, kStrides> lags{};
  for (size_t k = 0; k < kStrides; ++k) {
    const Times& t = strides_[strides_.size() - kStrides + k];
    lags[k] = t.feature_us - t.impact_us;
  }
  const double limit = kLockedSpreadPeriods * period_us;
  double sum = 0.0, sum_sq = 0.0;
  for (const double lag : lags) {
    sum += lag;
    sum_sq += lag * lag;
  }
  const double n = static_cast<double>(kStrides);
  const double mean = sum / n;
  if (sum_sq / n - mean * mean <= limit * limit) return mean;
  // A stride of a whole number of samples plus a half or a third (100 Hz at 180 steps/min: 66.7
  // samples) samples a leg at two or three phases in turn: every lag repeats the one two or
  // three strides before, and the mean over whole cycles carries the mean of their errors.
  for (size_t cycle = 2; cycle <= kMaxLockedCycle; ++cycle) {
    bool repeats = true;
    for (size_t k = cycle; k < kStrides && repeats; ++k) {
      repeats = std::abs(lags[k] - lags[k - cycle]) <= limit;
    }
    if (!repeats) continue;
    const size_t whole = kStrides / cycle * cycle;
    double cycle_sum = 0.0;
    for (size_t k = kStrides - whole; k < kStrides; ++k) cycle_sum += lags[k];
    return cycle_sum / static_cast<double>(whole);
  }
  return std::nullopt;
}

void ImpactPlacement::note(double feature_us, double impact_us) {
  strides_.push_back({feature_us, impact_us});
  if (strides_.size() > kHistory) strides_.pop_front();
}

}  // namespace gk
