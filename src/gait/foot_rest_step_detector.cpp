#include "foot_rest_step_detector.hpp"

#include <algorithm>
#include <cassert>
#include <cmath>
#include <limits>

#include "landing_onset.hpp"
#include "placement.hpp"
#include "upper_median.hpp"

namespace gk {
namespace {

constexpr size_t kRecentImpacts = 7;
constexpr size_t kRestLevels = 7;  ///< rests whose mean magnitudes set the rest level
/// Stillness up to a bridged hole, in change lags, that counts as a rest.
constexpr int64_t kRestBeforeHoleLags = 1;

int64_t us(double s) { return static_cast<int64_t>(std::llround(s * 1e6)); }

}  // namespace

FootRestStepDetector::FootRestStepDetector(const FootRestDetectorSettings& settings)
    : settings_(settings), period_({period_from_rate_us(settings.nominal_rate_hz)}) {
  assert(settings.rest_min_s > 0.0 && settings.min_swing_s > 0.0);
  // The horizon and the trim keep onset_search_s (and a lag) before the largest change; the
  // landing's search reaches back first_search_s and onset_max_lead_s from there.
  assert(settings.first_search_s + settings.onset_max_lead_s <= settings.onset_search_s);
  bridge_us_ = us(settings.dropout_bridge_max_s);
  retime(settings.nominal_rate_hz);
}

void FootRestStepDetector::retime(double rate_hz) {
  const LagSizes z =
      lag_sizes(rate_hz, settings_.change_lag_s, settings_.gap_periods, settings_.gap_min_us);
  gap_us_ = z.gap_us;
  lag_n_ = z.lag_n;
  lag_us_ = z.lag_us;
  period_us_ = z.period_us;
  // The horizon promises no IC before it; a longer lag after a rate change may reach further
  // back, so it is given the longest lag the stream has had and never steps back.
  horizon_lag_us_ = std::max(horizon_lag_us_, lag_us_);
}

void FootRestStepDetector::reset() {
  period_.reset();
  horizon_lag_us_ = 0;
  retime(settings_.nominal_rate_hz);
  rows_.clear();
  template_placement_.reset();
  quiet_from_us_.reset();
  glitch_prev_us_.reset();
  in_rest_ = false;
  last_rest_end_us_.reset();
  last_ic_us_.reset();
  recent_impacts_.clear();
  last_t_us_ = INT64_MIN;
  after_gap_ = false;
  hole_start_us_ = INT64_MIN;
  hole_end_us_ = INT64_MIN;
  stride_times_us_.clear();
  autocorrelation_.reset();
  pending_weak_us_.reset();
  next_period_query_us_ = INT64_MIN;
  rest_level_g_ = 1.0;
  rest_levels_g_.clear();
  still_sum_g_ = 0.0;
  still_n_ = 0;
  calm_from_us_.reset();
  calm_sum_g_ = 0.0;
  calm_n_ = 0;
  calm_held_rest_ = false;
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
    const int64_t rest_from = earliest_rest_from_us();
    from = rest_from - us(settings_.impact_search_s);
    if (last_rest_end_us_) from = std::max(from, *last_rest_end_us_);
  }
  int64_t h = from - us(settings_.onset_search_s) - horizon_lag_us_;
  if (last_ic_us_) h = std::max(h, *last_ic_us_);
  if (pending_weak_us_) h = std::min(h, *pending_weak_us_);
  return h;
}

void FootRestStepDetector::push(const ImuSample& s) {
  if (!admit(s, s.acc_mps2.allFinite(), last_t_us_)) return;
  // The change is measured over a number of samples: it follows the rate the data has now.
  if (period_.push(s.t_us)) retime(settled_rate_hz(period_));
  if (last_t_us_ != INT64_MIN && s.t_us - last_t_us_ > gap_us_ &&
      s.t_us - last_t_us_ <= bridge_us_) {
    ++flags_.bridged_dropouts;
    hole_start_us_ = last_t_us_;
    hole_end_us_ = s.t_us;
    // A running foot is flat for 50-100 ms and the landing's ringing takes part of that: a hole
    // can cut the rest short. Still since a landing up to the hole (for at least a few lags,
    // longer than mid-swing passes through 1 g) counts as the rest.
    if (!in_rest_ && quiet_from_us_ &&
        last_t_us_ - *quiet_from_us_ >= kRestBeforeHoleLags * lag_us_) {
      in_rest_ = true;
      on_rest(*quiet_from_us_);
    }
  } else if (last_t_us_ != INT64_MIN && s.t_us - last_t_us_ > gap_us_) {
    // Lost samples: what happened in the hole is unknown, so neither a rest
    // nor an impact is carried across it.
    ++flags_.gaps;
    stride_times_us_.clear();
    autocorrelation_.reset();
    pending_weak_us_.reset();
    last_ic_us_.reset();
    if (flags_.first_gap_t_us < 0) flags_.first_gap_t_us = last_t_us_;
    rows_.clear();
    quiet_from_us_.reset();
    glitch_prev_us_.reset();
    still_sum_g_ = 0.0;
    still_n_ = 0;
    calm_from_us_.reset();
    calm_sum_g_ = 0.0;
    calm_n_ = 0;
    calm_held_rest_ = false;
    in_rest_ = false;
    last_rest_end_us_ = s.t_us;
    after_gap_ = true;
  }
  const int64_t prev_t_us = last_t_us_;
  last_t_us_ = s.t_us;

  Row row;
  row.t_us = s.t_us;
  row.a_g = s.acc_mps2 / kGravity_mps2;
  // A change measured across a bridged hole is over a longer time than the lag, so it is not
  // one: unknown. Such a row can still continue a rest (a foot still on both sides of a 0.1 s
  // hole stood still through it: no swing and landing fit in that time).
  const bool lag_row = rows_.size() >= lag_n_;
  const bool across_hole =
      lag_row && s.t_us - rows_[rows_.size() - lag_n_].t_us > 2 * lag_us_ + gap_us_;
  row.change_g = lag_row && !across_hole ? (row.a_g - rows_[rows_.size() - lag_n_].a_g).norm()
                                         : std::numeric_limits<double>::infinity();
  rows_.push_back(row);

  const double magnitude_g = row.a_g.norm();
  autocorrelation_.push(s.t_us, magnitude_g);
  if (pending_weak_us_ && s.t_us >= next_period_query_us_) {
    next_period_query_us_ = s.t_us + us(kPeriodQuery_s);
    resolve_pending_weak(/*last_chance=*/false);
  }
  const bool calm = row.change_g < settings_.rest_change_g || across_hole;
  learn_from_calm(calm, magnitude_g, s.t_us, prev_t_us);
  const bool still = std::abs(magnitude_g - rest_level_g_) < settings_.rest_magnitude_g && calm;
  // One sample of a still run under way that misses the limits but stays within the looser
  // ones is held over to the next (see rest_hold_factor): the run goes on if that one is still.
  const double hold = settings_.rest_hold_factor;
  if (!still && quiet_from_us_ && !glitch_prev_us_ &&
      std::abs(magnitude_g - rest_level_g_) < hold * settings_.rest_magnitude_g &&
      row.change_g < hold * settings_.rest_change_g) {
    glitch_prev_us_ = prev_t_us;
    ++flags_.rest_samples_held;
    trim();
    return;
  }
  if (still) {
    glitch_prev_us_.reset();
    if (!quiet_from_us_) quiet_from_us_ = s.t_us;
    still_sum_g_ += magnitude_g;
    ++still_n_;
    // How long the foot has been still (see rest_min_s). A still run that begins at the first
    // sample after a bridged hole may have begun in it: it is counted from the hole's start, but
    // must hold for a lag of its own.
    const bool long_enough =
        *quiet_from_us_ == hole_end_us_
            ? s.t_us - hole_start_us_ >= us(settings_.rest_min_s) &&
                  s.t_us - *quiet_from_us_ >= lag_us_
            : s.t_us - *quiet_from_us_ + lag_us_ + period_us_ >= us(settings_.rest_min_s);
    if (!in_rest_ && long_enough) {
      in_rest_ = true;
      calm_held_rest_ = true;
      on_rest(*quiet_from_us_);
    }
  } else {
    // The run ended at its last still sample: before a held-over one that was not followed.
    if (in_rest_) {
      last_rest_end_us_ = glitch_prev_us_.value_or(prev_t_us);
      learn_rest_level(still_sum_g_ / static_cast<double>(still_n_));
    }
    in_rest_ = false;
    quiet_from_us_.reset();
    glitch_prev_us_.reset();
    still_sum_g_ = 0.0;
    still_n_ = 0;
  }
  trim();
}

void FootRestStepDetector::learn_from_calm(bool calm, double magnitude_g, int64_t t_us,
                                           int64_t prev_t_us) {
  if (calm) {
    if (!calm_from_us_) calm_from_us_ = t_us;
    calm_sum_g_ += magnitude_g;
    ++calm_n_;
    return;
  }
  // A calm run as long as a rest that held no rest: the foot was still, but its samples left
  // the band around the rest level. Until a first rest is found the level is 1 g, so a sensor
  // whose still foot reads 0.9 g (scale or offset error, and noise) would never find one. Only
  // that first level is taken from such a run: from there on the rests themselves keep it.
  if (rest_levels_g_.empty() && calm_from_us_ && !calm_held_rest_ &&
      prev_t_us - *calm_from_us_ + lag_us_ + period_us_ >= us(settings_.rest_min_s)) {
    const double mean_g = calm_sum_g_ / static_cast<double>(calm_n_);
    if (std::abs(mean_g - 1.0) <= settings_.rest_level_max_offset_g) {
      ++flags_.rest_level_from_calm;
      learn_rest_level(mean_g);
      // That still moment is the rest it would have been with this level: the landing before
      // it is a step (the horizon and the rows kept waited for it, see earliest_rest_from_us).
      on_rest(*calm_from_us_);
      last_rest_end_us_ = prev_t_us;
    }
  }
  calm_from_us_.reset();
  calm_sum_g_ = 0.0;
  calm_n_ = 0;
  calm_held_rest_ = false;
}

int64_t FootRestStepDetector::earliest_rest_from_us() const {
  int64_t from = quiet_from_us_.value_or(last_t_us_);
  if (rest_levels_g_.empty() && calm_from_us_ && !calm_held_rest_) {
    from = std::min(from, *calm_from_us_);
  }
  return from;
}

void FootRestStepDetector::learn_rest_level(double mean_g) {
  rest_levels_g_.push_back(mean_g);
  if (rest_levels_g_.size() > kRestLevels) rest_levels_g_.erase(rest_levels_g_.begin());
  const double max_off = settings_.rest_level_max_offset_g;
  rest_level_g_ = std::clamp(upper_median(rest_levels_g_), 1.0 - max_off, 1.0 + max_off);
  flags_.rest_level_g = rest_level_g_;
}

std::optional<size_t> FootRestStepDetector::landing_row(size_t k) const {
  // Jumps from one sample to the next, across no hole, from first_search_s (and one lag) before
  // the largest change over the lag up to it (see the settings).
  const int64_t from_us = rows_[k].t_us - lag_us_ - us(settings_.first_search_s);
  const auto jump = [&](size_t i) {
    if (i == 0 || rows_[i].t_us - rows_[i - 1].t_us > gap_us_) return -1.0;
    return (rows_[i].a_g - rows_[i - 1].a_g).norm();
  };
  size_t lo = k;
  while (lo > 1 && rows_[lo - 1].t_us >= from_us) --lo;
  size_t best = k;
  double best_jump = -1.0;
  for (size_t i = lo; i <= k; ++i) {
    if (jump(i) > best_jump) {
      best_jump = jump(i);
      best = i;
    }
  }
  if (best_jump <= 0.0) return std::nullopt;
  const LandingOnsetSearch onset{.first_fraction = settings_.first_fraction,
                                 .onset_fraction = settings_.jump_onset_fraction,
                                 .onset_max_lead_us = us(settings_.onset_max_lead_s)};
  return landing_onset_row(lo, best, best_jump, 1, 0.0, onset, jump, jump,
                           [&](size_t i) { return rows_[i].t_us; });
}

int64_t FootRestStepDetector::landing_us(size_t k) const {
  const std::optional<size_t> best = landing_row(k);
  if (!best) return rows_[k].t_us - lag_us_ / 2;
  // The landing began between row best - 1 and row best: taken at their middle.
  return rows_[*best - 1].t_us + (rows_[*best].t_us - rows_[*best - 1].t_us) / 2;
}

int64_t FootRestStepDetector::placed_landing_us(size_t k) {
  const std::optional<size_t> best = landing_row(k);
  if (!best) return rows_[k].t_us - lag_us_ / 2;
  // Between row best - 1 and row best, placed by the stride's alignment to the template of the
  // foot's recent strides.
  const int64_t period_us = rows_[*best].t_us - rows_[*best - 1].t_us;
  const int64_t impact_us = rows_[*best - 1].t_us + period_us / 2;
  const TemplatePlacement::Placed p =
      template_placement_.place(rows_, impact_us, static_cast<double>(period_us));
  if (p.restarted) ++flags_.stride_template_restarts;
  if (!p.ic_us) return impact_us;
  ++flags_.ic_from_stride_template;
  return static_cast<int64_t>(std::llround(*p.ic_us));
}

void FootRestStepDetector::on_rest(int64_t rest_from_us) {
  // Still again soon after the last rest: the same stance (a wobble).
  if (last_rest_end_us_ && rest_from_us - *last_rest_end_us_ < us(settings_.min_swing_s)) return;
  // A held weak landing is decided before the next one: the period is asked one last time.
  if (pending_weak_us_) resolve_pending_weak(/*last_chance=*/true);
  int64_t from = rest_from_us - us(settings_.impact_search_s);
  if (last_rest_end_us_) from = std::max(from, *last_rest_end_us_);
  // Nor can this foot land again within a shortest stride of its last landing: a larger
  // change there is the swing's (push-off, the leg swinging through), and taken for the impact
  // it put the step under the stride gate, which then dropped it (a simulated pair of shoes at
  // 104 Hz whose landing's impact was half its usual size: one step lost on each foot).
  if (last_ic_us_) from = std::max(from, *last_ic_us_ + us(settings_.min_stride_s));
  std::optional<size_t> peak;
  for (size_t i = 0; i < rows_.size() && rows_[i].t_us <= rest_from_us; ++i) {
    if (rows_[i].t_us < from || !std::isfinite(rows_[i].change_g)) continue;
    if (!peak || rows_[i].change_g > rows_[*peak].change_g) peak = i;
  }
  // Samples were lost between the last rest and this one. Where the stride rhythm puts the
  // landing inside that hole, the impact was lost with them, and the largest change left is the
  // swing's: the landing is timed from the rhythm instead, within the hole, and the rest after
  // it is the evidence that it happened.
  const bool in_hole = hole_end_us_ > from && hole_start_us_ < rest_from_us;
  std::optional<int64_t> from_rhythm_us;
  // One stride before it is enough here: the rest after the hole says the foot landed.
  if (const auto predicted = in_hole ? expected_landing_us(1) : std::nullopt;
      predicted && predicted->first > hole_start_us_ - lag_us_ &&
      predicted->first < hole_end_us_ + lag_us_) {
    from_rhythm_us = std::clamp(predicted->first, hole_start_us_, hole_end_us_);
  }
  const double recent = upper_median(recent_impacts_);
  // A rest without an impact before it (standing up, the foot set down
  // gently, the start of the data) is not counted as a step, unless it comes
  // where the rhythm of the recent strides expects a landing (see
  // rhythm_tolerance).
  const bool impact = peak && rows_[*peak].change_g >=
                                  std::max(settings_.impact_min_g, settings_.impact_rel * recent);
  bool weak = false;
  if (!impact && !from_rhythm_us && peak && rows_[*peak].change_g >= settings_.impact_min_g) {
    const int64_t at_us = rows_[*peak].t_us - lag_us_ / 2;
    if (const auto expected = expected_landing_us(settings_.rhythm_min_strides)) {
      weak = static_cast<double>(std::abs(at_us - expected->first)) <=
             settings_.rhythm_tolerance * static_cast<double>(expected->second);
    } else if (last_ic_us_ && stride_times_us_.size() < settings_.rhythm_min_strides &&
               !autocorrelation_.period_us()) {
      // Too early for the foot's period (the autocorrelation needs a stride and a second of
      // motion): a bout's second landing comes before it. Held until the period says.
      pending_weak_us_ = at_us;
      next_period_query_us_ = last_t_us_;
      return;
    }
  }
  if (!impact && !weak && !from_rhythm_us) return;
  int64_t ic_us = 0;
  if (from_rhythm_us) {
    ic_us = *from_rhythm_us;
  } else if (weak) {
    ic_us = rows_[*peak].t_us - lag_us_ / 2;
  } else {
    ic_us = placed_landing_us(*peak);
  }
  if (!report(ic_us, in_hole || weak ? 0.4 : 0.5, in_hole)) return;
  if (from_rhythm_us) ++flags_.ic_from_stride_rhythm;
  if (weak) ++flags_.ic_weak_impact;
  if (from_rhythm_us || weak) return;
  recent_impacts_.push_back(rows_[*peak].change_g);
  if (recent_impacts_.size() > kRecentImpacts) recent_impacts_.erase(recent_impacts_.begin());
}

void FootRestStepDetector::resolve_pending_weak(bool last_chance) {
  assert(pending_weak_us_);
  const std::optional<double> period_us = autocorrelation_.period_us();
  if (!period_us) {
    if (last_chance || last_t_us_ - *pending_weak_us_ > us(settings_.max_stride_s)) {
      pending_weak_us_.reset();
    }
    return;
  }
  const int64_t at_us = *pending_weak_us_;
  pending_weak_us_.reset();
  // As a weak landing is taken at any rest: where the foot's rhythm expects it (the strides seen
  // so far agree with the period, expected_landing_us).
  const auto expected = expected_landing_us(settings_.rhythm_min_strides);
  if (!expected || static_cast<double>(std::abs(at_us - expected->first)) >
                       settings_.rhythm_tolerance * static_cast<double>(expected->second)) {
    return;
  }
  if (report(at_us, 0.4, false)) {
    ++flags_.ic_weak_impact;
    ++flags_.weak_landings_looked_back;
  }
}

std::optional<std::pair<int64_t, int64_t>> FootRestStepDetector::expected_landing_us(
    size_t min_strides) const {
  if (!last_ic_us_) return std::nullopt;
  if (stride_times_us_.empty() || stride_times_us_.size() < min_strides) {
    // Too few strides: the foot's own period, where the strides seen agree with it (see
    // rhythm_min_strides).
    const std::optional<double> period_us = autocorrelation_.period_us();
    if (!period_us) return std::nullopt;
    // A time spanning whole strides agrees with the period too: it is a landing missed between
    // two that were caught, as when every other landing's spike falls between samples (a
    // simulated shoe at 128 Hz: impacts of 3-5 g against 9-10 g on alternate strides, the first
    // two weak ones lost, the second because the double stride before it "disagreed").
    for (const int64_t t_us : stride_times_us_) {
      const double t = static_cast<double>(t_us);
      const double strides = std::max(1.0, std::round(t / *period_us));
      if (std::abs(t - strides * *period_us) > settings_.rhythm_tolerance * *period_us) {
        return std::nullopt;
      }
    }
    const auto stride_us = static_cast<int64_t>(std::llround(*period_us));
    return std::make_pair(*last_ic_us_ + stride_us, stride_us);
  }
  std::vector<double> times(stride_times_us_.begin(), stride_times_us_.end());
  const auto stride_us = static_cast<int64_t>(std::llround(upper_median(times)));
  return std::make_pair(*last_ic_us_ + stride_us, stride_us);
}

bool FootRestStepDetector::report(int64_t ic_us, double quality, bool in_hole) {
  if (last_ic_us_ && ic_us - *last_ic_us_ < us(settings_.min_stride_s)) {
    ++flags_.rejected_strides;
    return false;
  }
  DetectedStep step;
  step.source = settings_.placement;
  step.side = side_of(settings_.placement);
  step.ic_us = ic_us;
  step.quality = quality;
  step.ic_in_hole = in_hole;
  step.contact_time_reliable = false;
  step.after_gap = after_gap_;
  after_gap_ = false;
  if (last_ic_us_ && !step.after_gap) {
    step.stride_time_ms = static_cast<double>(ic_us - *last_ic_us_) * 1e-3;
    if (!in_hole) {
      stride_times_us_.push_back(ic_us - *last_ic_us_);
      if (stride_times_us_.size() > kRecentImpacts) stride_times_us_.pop_front();
    }
  }
  ready_.push_back(step);
  last_ic_us_ = ic_us;
  return true;
}

void FootRestStepDetector::finish() {
  if (pending_weak_us_) resolve_pending_weak(/*last_chance=*/true);
  // A rest that began has had its landing reported; without a rhythm nothing says a landing
  // is due.
  if (in_rest_ || rows_.empty()) return;
  const auto expected = expected_landing_us(settings_.rhythm_min_strides);
  if (!expected) return;
  const auto reach_us =
      static_cast<int64_t>(settings_.rhythm_tolerance * static_cast<double>(expected->second));
  // Only where the data ends before the landing's rest could have shown (the landing's
  // ringing, onset_search_s, and rest_min_s after it). Longer, and the missing rest says the
  // foot did not land there.
  if (last_t_us_ < expected->first - reach_us ||
      last_t_us_ - expected->first > us(settings_.onset_search_s + settings_.rest_min_s)) {
    return;
  }
  int64_t from = expected->first - reach_us;
  if (last_rest_end_us_) from = std::max(from, *last_rest_end_us_);
  std::optional<size_t> peak;
  for (size_t i = 0; i < rows_.size(); ++i) {
    if (rows_[i].t_us < from || !std::isfinite(rows_[i].change_g)) continue;
    if (!peak || rows_[i].change_g > rows_[*peak].change_g) peak = i;
  }
  // Clear evidence only: an impact at the full level, where the rhythm expects it.
  if (!peak ||
      rows_[*peak].change_g <
          std::max(settings_.impact_min_g, settings_.impact_rel * upper_median(recent_impacts_))) {
    return;
  }
  const int64_t ic_us = landing_us(*peak);
  if (std::abs(ic_us - expected->first) > reach_us) return;
  if (report(ic_us, 0.4, false)) ++flags_.ic_at_data_end;
}

void FootRestStepDetector::trim() {
  // Keep what the next impact search can reach: impact_search_s before the
  // earliest rest still to come, plus the onset search and one lag. (During a
  // rest the next search comes after it ends, so a long stand keeps nothing.)
  const int64_t rest_from = in_rest_ ? last_t_us_ : earliest_rest_from_us();
  const int64_t keep_from =
      rest_from - us(settings_.impact_search_s) - us(settings_.onset_search_s) - 2 * lag_us_;
  while (rows_.size() > lag_n_ + 1 && rows_.front().t_us < keep_from) rows_.pop_front();
}

}  // namespace gk
