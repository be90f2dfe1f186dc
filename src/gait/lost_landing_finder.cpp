#include "lost_landing_finder.hpp"

#include <algorithm>
#include <cstdlib>

#include "upper_median.hpp"

namespace gk {

void LostLandingFinder::reset() {
  last_t_us_ = INT64_MIN;
  holes_.clear();
  intervals_us_.clear();
  last_.reset();
  hold_us_.reset();
  hold_until_us_ = INT64_MIN;
  found_ = 0;
  first_found_us_.reset();
}

void LostLandingFinder::note_hole(int64_t from_us, int64_t to_us) {
  const bool gap = static_cast<double>(to_us - from_us) > settings_.hole_max_s * 1e6;
  holes_.push_back({from_us, to_us, gap});
  update_hold();
}

std::optional<int64_t> LostLandingFinder::steady_interval_us() const {
  if (intervals_us_.size() < settings_.rhythm_intervals) return std::nullopt;
  const int64_t typical =
      upper_median(std::vector<int64_t>(intervals_us_.begin(), intervals_us_.end()));
  const auto tolerance_us =
      static_cast<int64_t>(settings_.rhythm_tolerance * static_cast<double>(typical));
  for (const int64_t interval : intervals_us_) {
    if (std::abs(interval - typical) > tolerance_us) return std::nullopt;
  }
  return typical;
}

std::optional<std::pair<int64_t, int64_t>> LostLandingFinder::placeable(const Hole& hole,
                                                                        int64_t interval_us) const {
  const auto share = [&](double s) {
    return static_cast<int64_t>(s * static_cast<double>(interval_us));
  };
  // The middle of a pair two intervals apart (within pair_tolerance of one) ...
  const int64_t mid_lo = last_->ic_us + interval_us - share(0.5 * settings_.pair_tolerance);
  const int64_t mid_hi = last_->ic_us + interval_us + share(0.5 * settings_.pair_tolerance);
  // ... with the hole inside [middle - window_before, middle + window_after].
  const int64_t lo = std::max(mid_lo, hole.from_us - share(settings_.window_after));
  const int64_t hi = std::min(mid_hi, hole.to_us + share(settings_.window_before));
  if (lo > hi) return std::nullopt;
  return std::pair{lo, hi};
}

void LostLandingFinder::update_hold() {
  hold_us_.reset();
  if (!last_) return;
  const std::optional<int64_t> interval_us = steady_interval_us();
  if (!interval_us) return;
  for (const Hole& hole : holes_) {
    if (hole.gap) return;  // the detectors start over: nothing is looked for across it
    if (const auto span = placeable(hole, *interval_us)) {
      hold_us_ = std::min(hold_us_.value_or(INT64_MAX), span->first);
    }
  }
  // The next report must come within the pair's tolerance; once the detector has ruled that
  // out, nothing is placed and nothing is held.
  hold_until_us_ =
      last_->ic_us + 2 * *interval_us +
      static_cast<int64_t>(settings_.pair_tolerance * static_cast<double>(*interval_us));
}

void LostLandingFinder::push_step(const DetectedStep& step, std::vector<DetectedStep>& out) {
  bool across_gap = step.after_gap;
  std::optional<int64_t> middle_us;
  if (last_) {
    const int64_t span_us = step.ic_us - last_->ic_us;
    const std::optional<int64_t> interval_us = steady_interval_us();
    const bool pair = interval_us && std::abs(span_us - 2 * *interval_us) <=
                                         static_cast<int64_t>(settings_.pair_tolerance *
                                                              static_cast<double>(*interval_us));
    for (const Hole& hole : holes_) {
      if (hole.from_us >= step.ic_us) break;
      if (hole.gap && hole.to_us > last_->ic_us) across_gap = true;
    }
    if (pair && !across_gap) {
      const int64_t mid_us = last_->ic_us + span_us / 2;
      for (const Hole& hole : holes_) {
        if (hole.from_us >= step.ic_us) break;
        if (const auto at = placeable(hole, *interval_us);
            at && mid_us >= at->first && mid_us <= at->second) {
          middle_us = mid_us;
          break;
        }
      }
    }
  }
  DetectedStep next = step;
  if (middle_us) {
    DetectedStep lost;
    lost.source = step.source;
    lost.side = step.side;
    lost.ic_us = *middle_us;
    lost.quality = settings_.quality;
    lost.activity = step.activity;
    lost.contact_time_reliable = false;
    lost.ic_in_hole = true;
    if (step.stride_time_ms) {
      lost.stride_time_ms = static_cast<double>(*middle_us - last_->ic_us) * 1e-3;
      next.stride_time_ms = static_cast<double>(step.ic_us - *middle_us) * 1e-3;
    }
    out.push_back(lost);
    ++found_;
    if (!first_found_us_) first_found_us_ = *middle_us;
  } else if (last_ && !across_gap) {
    // Only a pair of consecutive reports is an interval of the rhythm.
    intervals_us_.push_back(step.ic_us - last_->ic_us);
    if (intervals_us_.size() > settings_.rhythm_intervals) intervals_us_.pop_front();
  }
  if (across_gap) intervals_us_.clear();
  out.push_back(next);
  last_ = next;
  // Holes that end before this landing can hold no later one.
  while (!holes_.empty() && holes_.front().to_us <= next.ic_us) holes_.pop_front();
  update_hold();
}

}  // namespace gk
