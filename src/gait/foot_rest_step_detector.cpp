#include "foot_rest_step_detector.hpp"

#include <algorithm>
#include <cassert>
#include <cmath>
#include <limits>

#include "placement.hpp"

namespace gk {
namespace {

constexpr size_t kRecentImpacts = 7;

double median(std::vector<double> v) {
  if (v.empty()) return 0.0;
  const auto mid = v.begin() + static_cast<std::ptrdiff_t>(v.size() / 2);
  std::nth_element(v.begin(), mid, v.end());
  return *mid;
}

int64_t us(double s) { return static_cast<int64_t>(std::llround(s * 1e6)); }

}  // namespace

FootRestStepDetector::FootRestStepDetector(const FootRestDetectorSettings& settings)
    : settings_(settings) {
  assert(settings.rest_min_s > 0.0 && settings.min_swing_s > 0.0);
  const double period_us = settings.nominal_rate_hz > 0.0 ? 1e6 / settings.nominal_rate_hz : 0.0;
  gap_us_ = std::max<int64_t>(settings.gap_min_us,
                              static_cast<int64_t>(settings.gap_periods * period_us));
  if (settings.nominal_rate_hz > 0.0) {
    lag_n_ = std::max<size_t>(
        1, static_cast<size_t>(std::lround(settings.change_lag_s * settings.nominal_rate_hz)));
  }
  lag_us_ = std::max(us(settings.change_lag_s),
                     static_cast<int64_t>(static_cast<double>(lag_n_) * period_us));
}

void FootRestStepDetector::reset() {
  rows_.clear();
  quiet_from_us_.reset();
  in_rest_ = false;
  last_rest_end_us_.reset();
  last_ic_us_.reset();
  recent_impacts_.clear();
  last_t_us_ = INT64_MIN;
  after_gap_ = false;
  ready_.clear();
  flags_ = {};
}

int64_t FootRestStepDetector::horizon_us() const {
  if (last_t_us_ == INT64_MIN) return INT64_MIN;
  // The next step is decided when a rest begins, at the earliest at the
  // current still run's first sample; its impact is looked for after the
  // previous rest's end and within impact_search_s before the rest, and its
  // onset up to onset_search_s (and one lag) before the impact.
  int64_t from = last_t_us_;
  if (!in_rest_) {
    const int64_t rest_from = quiet_from_us_.value_or(last_t_us_);
    from = rest_from - us(settings_.impact_search_s);
    if (last_rest_end_us_) from = std::max(from, *last_rest_end_us_);
  }
  int64_t h = from - us(settings_.onset_search_s) - lag_us_;
  if (last_ic_us_) h = std::max(h, *last_ic_us_);
  return h;
}

void FootRestStepDetector::push(const ImuSample& s) {
  if (!admit(s, s.acc_mps2.allFinite(), last_t_us_)) return;
  if (last_t_us_ != INT64_MIN && s.t_us - last_t_us_ > gap_us_) {
    // Lost samples: what happened in the hole is unknown, so neither a rest
    // nor an impact is carried across it.
    ++flags_.gaps;
    if (flags_.first_gap_t_us < 0) flags_.first_gap_t_us = last_t_us_;
    rows_.clear();
    quiet_from_us_.reset();
    in_rest_ = false;
    last_rest_end_us_ = s.t_us;
    after_gap_ = true;
  }
  const int64_t prev_t_us = last_t_us_;
  last_t_us_ = s.t_us;

  Row row;
  row.t_us = s.t_us;
  row.a_g = s.acc_mps2 / kGravity_mps2;
  row.change_g = rows_.size() >= lag_n_ ? (row.a_g - rows_[rows_.size() - lag_n_].a_g).norm()
                                        : std::numeric_limits<double>::infinity();
  rows_.push_back(row);

  const bool still = std::abs(row.a_g.norm() - 1.0) < settings_.rest_magnitude_g &&
                     row.change_g < settings_.rest_change_g;
  if (still) {
    if (!quiet_from_us_) quiet_from_us_ = s.t_us;
    if (!in_rest_ && s.t_us - *quiet_from_us_ >= us(settings_.rest_min_s)) {
      in_rest_ = true;
      on_rest(*quiet_from_us_);
    }
  } else {
    if (in_rest_) last_rest_end_us_ = prev_t_us;
    in_rest_ = false;
    quiet_from_us_.reset();
  }
  trim();
}

void FootRestStepDetector::on_rest(int64_t rest_from_us) {
  // Still again soon after the last rest: the same stance (a wobble).
  if (last_rest_end_us_ && rest_from_us - *last_rest_end_us_ < us(settings_.min_swing_s)) return;
  int64_t from = rest_from_us - us(settings_.impact_search_s);
  if (last_rest_end_us_) from = std::max(from, *last_rest_end_us_);
  std::optional<size_t> peak;
  for (size_t i = 0; i < rows_.size() && rows_[i].t_us <= rest_from_us; ++i) {
    if (rows_[i].t_us < from || !std::isfinite(rows_[i].change_g)) continue;
    if (!peak || rows_[i].change_g > rows_[*peak].change_g) peak = i;
  }
  const double recent = median(recent_impacts_);
  // A rest without an impact before it (standing up, the foot set down
  // gently, the start of the data) is not counted as a step.
  if (!peak ||
      rows_[*peak].change_g < std::max(settings_.impact_min_g, settings_.impact_rel * recent)) {
    return;
  }
  const size_t k = *peak;
  const double level = settings_.onset_fraction * rows_[k].change_g;
  const int64_t onset_from = rows_[k].t_us - us(settings_.onset_search_s);
  size_t j = k;
  while (j > 0 && rows_[j - 1].t_us >= onset_from && rows_[j - 1].change_g > level) --j;
  // The change at row j is over the lag before it: the impact began inside
  // that interval, taken at its middle.
  const int64_t before_us = j >= lag_n_ ? rows_[j - lag_n_].t_us : rows_[j].t_us - lag_us_;
  const int64_t ic_us = before_us + (rows_[j].t_us - before_us) / 2;
  if (last_ic_us_ && ic_us - *last_ic_us_ < us(settings_.min_stride_s)) {
    ++flags_.rejected_strides;
    return;
  }
  DetectedStep step;
  step.source = settings_.placement;
  step.side = side_of(settings_.placement);
  step.ic_us = ic_us;
  step.quality = 0.5;
  step.contact_time_reliable = false;
  step.after_gap = after_gap_;
  after_gap_ = false;
  if (last_ic_us_ && !step.after_gap) {
    step.stride_time_ms = static_cast<double>(ic_us - *last_ic_us_) * 1e-3;
  }
  ready_.push_back(step);
  last_ic_us_ = ic_us;
  recent_impacts_.push_back(rows_[k].change_g);
  if (recent_impacts_.size() > kRecentImpacts) recent_impacts_.erase(recent_impacts_.begin());
}

void FootRestStepDetector::trim() {
  // Keep what the next impact search can reach: impact_search_s before the
  // earliest rest still to come, plus the onset search and one lag. (During a
  // rest the next search comes after it ends, so a long stand keeps nothing.)
  const int64_t rest_from = !in_rest_ && quiet_from_us_ ? *quiet_from_us_ : last_t_us_;
  const int64_t keep_from =
      rest_from - us(settings_.impact_search_s) - us(settings_.onset_search_s) - 2 * lag_us_;
  while (rows_.size() > lag_n_ + 1 && rows_.front().t_us < keep_from) rows_.pop_front();
}

}  // namespace gk
