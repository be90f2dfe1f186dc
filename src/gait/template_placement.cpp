#include "template_placement.hpp"

#include <algorithm>
#include <cmath>

#include "stride_rhythm.hpp"

namespace gk {

void TemplatePlacement::reset() {
  template_.reset();
  placement_.reset();
  recent_origins_us_.clear();
  lags_us_.clear();
}

TemplatePlacement::Placed TemplatePlacement::place_window(int64_t impact_us, double period_us) {
  const std::vector<StrideTemplate::Sample>& window = window_;
  Placed out;
  bool misfit = false;
  const std::optional<double> aligned = align(window, impact_us, &misfit);
  const auto impact = static_cast<double>(impact_us);
  if (misfit) {
    // Counted once the template stood on a few strides: before, the misfit is the start's.
    out.restarted = template_.strides() >= kMinStrides;
    reset();
  }
  if (aligned && !late_only_) {
    lags_us_.push_back(*aligned - impact);
    if (lags_us_.size() > kLagStrides) lags_us_.pop_front();
  }
  if (aligned && template_.strides() >= kMinStrides) {
    if (late_only_) {
      out.ic_us = placement_.place_us(*aligned, impact, period_us);
    } else {
      const double reach_us = std::max(kReachPeriods * period_us, kReach_us);
      out.ic_us = std::clamp(*aligned - long_lag_us(), impact - reach_us, impact + reach_us);
    }
  }
  if (aligned && late_only_) placement_.note(*aligned, impact);
  template_.add(window, aligned.value_or(impact), period_us);
  return out;
}

double TemplatePlacement::long_lag_us() const {
  std::vector<double> sorted(lags_us_.begin(), lags_us_.end());
  std::sort(sorted.begin(), sorted.end());
  const auto cut = static_cast<size_t>(kLagTrim * static_cast<double>(sorted.size()));
  double sum = 0.0;
  for (size_t k = cut; k < sorted.size() - cut; ++k) sum += sorted[k];
  return sum / static_cast<double>(sorted.size() - 2 * cut);
}

std::optional<double> TemplatePlacement::align(const std::vector<StrideTemplate::Sample>& window,
                                               int64_t impact_us, bool* misfit) {
  // Where to look: where the rhythm of the recent strides' origins puts this one, once there is
  // one, as the jump taken can be a transient 25 ms off the landing (a late swing's); near the
  // jump otherwise.
  auto center_us = static_cast<double>(impact_us);
  double search_us = settings_.search_s * 1e6;
  if (recent_origins_us_.size() >= kMinStrides + 1 &&
      impact_us - recent_origins_us_.back() < max_stride_us_) {
    center_us = static_cast<double>(predict_next_us(recent_origins_us_));
    search_us = settings_.rhythm_search_s * 1e6;
  }
  const std::optional<StrideTemplate::Alignment> alignment =
      template_.align(window, center_us, search_us);
  if (!alignment) {
    recent_origins_us_.clear();
    return std::nullopt;
  }
  // A stride of another shape (a walk turning into a run) does not fit: it is not placed by the
  // template, which starts again from it, with its own lags and rhythm.
  if (alignment->residual_share > settings_.max_residual_share) {
    *misfit = true;
    return std::nullopt;
  }
  const auto origin_us = static_cast<int64_t>(std::llround(alignment->origin_us));
  if (!recent_origins_us_.empty() && origin_us - recent_origins_us_.back() > max_stride_us_) {
    recent_origins_us_.clear();
  }
  recent_origins_us_.push_back(origin_us);
  if (recent_origins_us_.size() > kRhythmStrides) {
    recent_origins_us_.erase(recent_origins_us_.begin());
  }
  return alignment->origin_us;
}

}  // namespace gk
