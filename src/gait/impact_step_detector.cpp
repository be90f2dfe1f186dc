#include "impact_step_detector.hpp"

#include <algorithm>
#include <cassert>
#include <cmath>

#include "placement.hpp"
#include "upper_median.hpp"

namespace gk {
namespace {

constexpr size_t kRecentPeaks = 7;
/// Below this vertical specific force the body is close to free fall: the
/// stretch before the contact was a flight phase, so this is running.
constexpr double kFlightLevel_g = 0.35;
/// The contact ends when the ground force, and with it the trunk's vertical
/// specific force, drops to zero. A trunk sensor sees that drop smoothed by
/// soft tissue and filtering, and a smoothed edge passes its midpoint at the
/// moment of the edge: half body weight on the way down from stance to
/// flight.
constexpr double kUnloadLevel_g = 0.5;
constexpr double kRiseFraction = 0.1;
/// Step times kept for the rhythm a landing lost in a hole is timed from.
constexpr size_t kStepTimes = 7;

}  // namespace

ImpactStepDetector::ImpactStepDetector(const ImpactDetectorSettings& settings)
    : settings_(settings), period_({period_from_rate_us(settings.nominal_rate_hz)}) {
  bridge_us_ = static_cast<int64_t>(settings.dropout_bridge_max_s * 1e6);
  overdue_us_ = static_cast<int64_t>(settings.max_step_s * 1e6);
  retime(settings.nominal_rate_hz);
}

void ImpactStepDetector::retime(double rate_hz) {
  const double period_us = rate_hz > 0.0 ? 1e6 / rate_hz : 0.0;
  gap_us_ = std::max<int64_t>(settings_.gap_min_us,
                              static_cast<int64_t>(settings_.gap_periods * period_us));
  const auto samples = [&](double s) {
    return rate_hz > 0.0 ? std::max<size_t>(1, static_cast<size_t>(std::lround(s * rate_hz))) : 1;
  };
  smoothing_n_ = samples(settings_.smoothing_s);
  transient_lag_n_ = samples(settings_.transient_lag_s);
}

int64_t ImpactStepDetector::horizon_us() const {
  // A pending contact is reported next; a future peak's IC is searched in
  // the stretch before it, after the last peak.
  // A bout's first peak waits for its second, and a weak step before it may be taken then.
  if (deferred_peak_us_) {
    return std::min(pending_ ? pending_->ic_us : INT64_MAX, deferred_horizon_us_);
  }
  if (pending_) return pending_->ic_us;
  if (rows_.empty()) return last_t_us_;
  // A weak peak the rhythm expects (see weak_peak_min_g) is taken when the next peak is
  // confirmed, its rise searched after the last peak. The next peak is the candidate or a row
  // still to come.
  if (weak_peak_possible(candidate_ ? rows_[*candidate_].t_us : rows_.back().t_us)) {
    // Its rise is searched back from the weak peak, which lies at least a shortest step, and
    // within the tolerance of a typical step, after the last peak.
    const double earliest_peak_us =
        static_cast<double>(*last_peak_us_) +
        std::max(settings_.min_step_s * 1e6, (1.0 - settings_.weak_tolerance) * typical_step_us_);
    return std::max(*last_peak_us_,
                    static_cast<int64_t>(earliest_peak_us - settings_.rise_search_s * 1e6));
  }
  const int64_t lookback = static_cast<int64_t>(settings_.rise_search_s * 1e6);
  const int64_t from = candidate_ ? rows_[*candidate_].t_us : last_t_us_;
  const int64_t horizon = std::max(from - lookback, last_peak_us_.value_or(INT64_MIN));
  if (candidate_) return horizon;
  // Weak peaks that may yet start a rhythm (see weak_start_peaks) are taken with their rises:
  // the first of them, the one not yet confirmed, or the next row.
  const int64_t weak_from = !weak_start_us_.empty() ? weak_start_us_.front()
                            : weak_top_             ? weak_top_->t_us
                                                    : rows_.back().t_us;
  return std::min(horizon, std::max(weak_from - lookback, last_peak_us_.value_or(INT64_MIN)));
}

void ImpactStepDetector::reset() {
  period_.reset();
  retime(settings_.nominal_rate_hz);
  up_.setZero();
  up_ready_ = false;
  raw_.clear();
  raw_sum_.setZero();
  raw_t_sum_us_ = 0;
  rows_.clear();
  candidate_.reset();
  last_peak_us_.reset();
  deferred_peak_us_.reset();
  before_deferred_peak_us_.reset();
  pending_.reset();
  pending_push_off_ = false;
  pending_opens_bout_ = false;
  lows_.clear();
  recent_peaks_.clear();
  recent_peak_median_ = 0.0;
  recent_floors_.clear();
  last_t_us_ = INT64_MIN;
  hole_start_us_ = INT64_MIN;
  hole_end_us_ = INT64_MIN;
  last_ic_us_.reset();
  step_times_us_.clear();
  typical_step_us_ = 0.0;
  overdue_searched_after_us_ = INT64_MIN;
  weak_top_.reset();
  weak_start_us_.clear();
  weak_started_ = false;
  overdue_us_ = static_cast<int64_t>(settings_.max_step_s * 1e6);
  after_gap_ = false;
  ready_.clear();
  for (ImpactPlacement& p : placements_) p.reset();
  leg_ = 0;
  flags_ = {};
}

void ImpactStepDetector::push(const ImuSample& s) {
  if (!admit(s, s.acc_mps2.allFinite(), last_t_us_)) return;
  // The moving average and the transient's lag are counted in samples: they follow the rate the
  // data has now.
  if (period_.push(s.t_us)) retime(settled_rate_hz(period_));
  double dt_s = 0.0;
  if (last_t_us_ != INT64_MIN) {
    dt_s = static_cast<double>(s.t_us - last_t_us_) * 1e-6;
    if (s.t_us - last_t_us_ > gap_us_ && s.t_us - last_t_us_ <= bridge_us_) {
      // Bridged: the rows and the peak history stay. Only the moving average restarts, so no
      // smoothed value mixes samples from both sides of the hole.
      ++flags_.bridged_dropouts;
      raw_.clear();
      raw_sum_.setZero();
      raw_t_sum_us_ = 0;
      hole_start_us_ = last_t_us_;
      hole_end_us_ = s.t_us;
    } else if (s.t_us - last_t_us_ > gap_us_) {
      ++flags_.gaps;
      if (flags_.first_gap_t_us < 0) flags_.first_gap_t_us = last_t_us_;
      if (deferred_peak_us_) resolve_deferred(INT64_MAX);
      release_pending(INT64_MAX);
      rows_.clear();
      raw_.clear();
      raw_sum_.setZero();
      raw_t_sum_us_ = 0;
      candidate_.reset();
      weak_top_.reset();
      weak_start_us_.clear();
      weak_started_ = false;
      last_peak_us_.reset();
      last_ic_us_.reset();
      after_gap_ = true;
      dt_s = 0.0;
    }
  }
  last_t_us_ = s.t_us;

  // Vertical direction: running mean of the specific force, cumulative at
  // first (so a short recording is usable at once), then exponential.
  const double alpha = up_ready_ ? std::min(1.0, dt_s / settings_.gravity_time_constant_s) : 1.0;
  if (!up_ready_) {
    up_ = s.acc_mps2;
    up_ready_ = true;
  } else {
    const double n = static_cast<double>(flags_.samples);
    const double cumulative = 1.0 / n;
    up_ += std::max(alpha, cumulative) * (s.acc_mps2 - up_);
  }
  if (up_.norm() < 1e-6) return;

  raw_.push_back({s.t_us, s.acc_mps2});
  raw_sum_ += s.acc_mps2;
  raw_t_sum_us_ += s.t_us;
  while (raw_.size() > smoothing_n_) {  // more than one after a change to a lower rate
    raw_sum_ -= raw_.front().acc;
    raw_t_sum_us_ -= raw_.front().t_us;
    raw_.pop_front();
  }
  const auto n = static_cast<int64_t>(raw_.size());
  const Eigen::Vector3d mean = raw_sum_ / static_cast<double>(n);
  Row row;
  // The average belongs to the middle of its samples, not to the newest: stamped at the newest,
  // every time read off the smoothed force (IC, peak, unloading) would lag by half the window.
  row.t_us = raw_t_sum_us_ / n;
  row.v_g = mean.dot(up_.normalized()) / kGravity_mps2;
  row.raw_t_us = s.t_us;
  row.raw_v_g = s.acc_mps2.dot(up_.normalized()) / kGravity_mps2;
  rows_.push_back(row);
  const size_t i = rows_.size() - 1;

  // A pending contact ends when the force falls through the unloading level.
  if (pending_ && last_peak_us_ && row.t_us > *last_peak_us_) track_unloading(i);
  if (pending_ && row.t_us - pending_->ic_us > overdue_us_) {
    // The next contact is overdue: the wearer stopped on this one (the trunk
    // stays near 1 g while standing). Report it now rather than when the next
    // peak comes, which may be minutes away. Waiting for the longest step
    // (1.5 s) instead held every sensor's steps before a stop that long.
    // Its flight begins within a typical step; a later low follows the next contact.
    release_pending(typical_step_us_ > 0.0
                        ? pending_->ic_us + static_cast<int64_t>(typical_step_us_)
                        : INT64_MAX);
  }

  if (deferred_peak_us_ &&
      static_cast<double>(row.t_us - *deferred_peak_us_) * 1e-6 > settings_.max_step_s) {
    resolve_deferred(INT64_MAX);  // no second peak within a longest step: a lone contact
  }

  const double threshold = std::max(settings_.peak_min_g, settings_.peak_rel * recent_peak_median_);
  const bool too_close =
      last_peak_us_ && static_cast<double>(row.t_us - *last_peak_us_) * 1e-6 < settings_.min_step_s;
  // A loading peak is the body's weight carried for a good part of the contact, so the force stays
  // over the peak level for several samples; a landing spike is a transient of a few milliseconds.
  // With no smoothing (under 150 Hz the 10 ms average is one sample) a point-sampled spike can be
  // caught whole in one sample, as high as the loading peak after it (a simulated pelvis at 102.4
  // Hz: 1.88 g at the landing against 1.99 g at mid-stance, 0.15 s later). Taken for the peak, it
  // was confirmed before the loading rise passed it, and its contact was timed from the spike's own
  // body-weight crossing, 36 ms early. A loading peak lies inside the contact, where the force
  // carries the body's weight, so the samples next to it read over 1 g; a candidate between two
  // that read under 1 g is a transient, not a peak. Only where both are its neighbours in time: a
  // bridged hole beside a peak hides what the force did there.
  if (candidate_ && *candidate_ + 1 == i && *candidate_ > 0) {
    const Row& before = rows_[*candidate_ - 1];
    const Row& top = rows_[*candidate_];
    if (before.v_g < 1.0 && row.v_g < 1.0 && top.raw_t_us - before.raw_t_us <= gap_us_ &&
        row.raw_t_us - top.raw_t_us <= gap_us_) {
      candidate_.reset();
      ++flags_.lone_spikes_skipped;
    }
  }
  if (row.v_g > threshold && !too_close && (!candidate_ || row.v_g > rows_[*candidate_].v_g)) {
    candidate_ = i;
    // A strong peak starts or carries the rhythm itself (on_peak).
    weak_top_.reset();
    weak_start_us_.clear();
    weak_started_ = false;
  }
  if (candidate_ && static_cast<double>(row.t_us - rows_[*candidate_].t_us) * 1e-6 >=
                        0.5 * settings_.min_step_s) {
    const size_t k = *candidate_;
    candidate_.reset();
    on_peak(k);
  } else if (!candidate_) {
    if (const std::optional<size_t> weak = weak_peak_overdue(row.t_us)) {
      contact_at_peak(*weak, Peak::kWeak);
    }
    track_weak_start(rows_.size() - 1);
    // Standing or walking slowly with no peak: keep the window bounded. A bout's first peak
    // keeps what a weak step a longest step before it needs, and weak peaks that may start a
    // rhythm keep their rises.
    const int64_t keep_us =
        static_cast<int64_t>((settings_.rise_search_s + settings_.max_step_s) * 1e6);
    int64_t keep_from_us = row.t_us - keep_us;
    if (deferred_peak_us_)
      keep_from_us = std::min(keep_from_us, first_step_rows_from_us(*deferred_peak_us_));
    if (!weak_start_us_.empty()) {
      keep_from_us =
          std::min(keep_from_us,
                   weak_start_us_.front() - static_cast<int64_t>(settings_.rise_search_s * 1e6));
    }
    while (rows_.size() > 1 && rows_.front().t_us < keep_from_us) rows_.pop_front();
  }
}

size_t ImpactStepDetector::row_at(int64_t t_us) const {
  size_t k = 0;
  while (k < rows_.size() && rows_[k].t_us != t_us) ++k;
  assert(k < rows_.size() && "a peak's row is kept until the peak is decided");
  return k;
}

void ImpactStepDetector::on_peak(size_t k) {
  if (deferred_peak_us_) {
    // The bout's second peak: the step from the first one says where a weak first step lies.
    const int64_t k_us = rows_[k].t_us;
    resolve_deferred(k_us);
    k = row_at(k_us);
  } else if (!last_peak_us_ ||
             static_cast<double>(rows_[k].t_us - *last_peak_us_) * 1e-6 > settings_.max_step_s) {
    // The first peak of a bout: held until the second where a weak peak before it may be a
    // first step (see weak_peak_min_g).
    const double min_step_us = settings_.min_step_s * 1e6;
    const double latest_us = static_cast<double>(rows_[k].t_us) - min_step_us;
    const double earliest_us = std::max(
        static_cast<double>(first_step_rows_from_us(rows_[k].t_us)) + settings_.rise_search_s * 1e6,
        last_peak_us_ ? static_cast<double>(*last_peak_us_) + min_step_us : -INFINITY);
    const double middle_us = 0.5 * (earliest_us + latest_us);
    if (const std::optional<size_t> j =
            weak_peak_near(middle_us, 0.5 * (latest_us - earliest_us), earliest_us, latest_us,
                           /*earliest_wins=*/true)) {
      deferred_peak_us_ = rows_[k].t_us;
      deferred_horizon_us_ =
          std::max(last_peak_us_.value_or(INT64_MIN),
                   rows_[*j].t_us - static_cast<int64_t>(settings_.rise_search_s * 1e6));
      before_deferred_peak_us_ = last_peak_us_;
      last_peak_us_ = rows_[k].t_us;
      return;
    }
  }
  if (const std::optional<size_t> weak = weak_peak_before(k)) {
    const int64_t k_us = rows_[k].t_us;
    contact_at_peak(*weak, Peak::kWeak);
    // settle() dropped the rows before the weak peak's search window; k moved with them.
    k = row_at(k_us);
  }
  contact_at_peak(k, Peak::kConfirmed);
}

void ImpactStepDetector::resolve_deferred(int64_t next_peak_us) {
  const int64_t first_us = *deferred_peak_us_;
  deferred_peak_us_.reset();
  last_peak_us_ = before_deferred_peak_us_;
  const auto step_us = static_cast<double>(next_peak_us - first_us);
  const double min_step_us = settings_.min_step_s * 1e6;
  if (next_peak_us != INT64_MAX && step_us <= settings_.max_step_s * 1e6) {
    const double expected_us = static_cast<double>(first_us) - step_us;
    const double earliest_us =
        last_peak_us_ ? static_cast<double>(*last_peak_us_) + min_step_us : -INFINITY;
    const std::optional<size_t> weak =
        weak_peak_near(expected_us, settings_.weak_tolerance * step_us, earliest_us,
                       static_cast<double>(first_us) - min_step_us);
    if (weak) contact_at_peak(*weak, Peak::kWeak);
  }
  contact_at_peak(row_at(first_us), Peak::kConfirmed);
}

std::optional<size_t> ImpactStepDetector::weak_peak_near(double expected_us, double tolerance_us,
                                                         double earliest_us, double latest_us,
                                                         bool earliest_wins) const {
  // A local peak as the candidate rule confirms one: nothing higher within half a shortest step
  // either side.
  const auto half_us = static_cast<int64_t>(0.5 * settings_.min_step_s * 1e6);
  std::optional<size_t> best;
  for (size_t j = 0; j < rows_.size(); ++j) {
    const Row& row = rows_[j];
    const auto t_us = static_cast<double>(row.t_us);
    if (row.v_g < settings_.weak_peak_min_g || t_us < earliest_us || t_us > latest_us) continue;
    if (std::abs(t_us - expected_us) > tolerance_us) continue;
    bool local = true;
    for (size_t r = j; r-- > 0 && rows_[r].t_us >= row.t_us - half_us && local;) {
      local = rows_[r].v_g <= row.v_g;
    }
    for (size_t r = j + 1; r < rows_.size() && rows_[r].t_us <= row.t_us + half_us && local; ++r) {
      local = rows_[r].v_g < row.v_g;
    }
    if (!local) continue;
    if (earliest_wins) return j;
    if (!best || std::abs(t_us - expected_us) <
                     std::abs(static_cast<double>(rows_[*best].t_us) - expected_us)) {
      best = j;
    }
  }
  return best;
}

bool ImpactStepDetector::weak_peak_possible(int64_t peak_us) const {
  return last_peak_us_ && step_times_us_.size() >= settings_.weak_rhythm_min_steps &&
         static_cast<double>(peak_us - *last_peak_us_) <=
             settings_.weak_gap_max_steps * typical_step_us_;
}

std::optional<size_t> ImpactStepDetector::weak_peak_before(size_t k) const {
  if (!weak_peak_possible(rows_[k].t_us)) return std::nullopt;
  // Every row since the last peak must still be here (the stretch without a candidate keeps
  // rise_search_s + max_step_s).
  if (rows_.front().t_us > *last_peak_us_) return std::nullopt;
  const auto gap_us = static_cast<double>(rows_[k].t_us - *last_peak_us_);
  if (gap_us < settings_.weak_gap_min_steps * typical_step_us_) return std::nullopt;
  const double min_step_us = settings_.min_step_s * 1e6;
  return weak_peak_near(static_cast<double>(*last_peak_us_) + typical_step_us_,
                        settings_.weak_tolerance * typical_step_us_,
                        static_cast<double>(*last_peak_us_) + min_step_us,
                        static_cast<double>(rows_[k].t_us) - min_step_us);
}

void ImpactStepDetector::track_weak_start(size_t i) {
  const Row& row = rows_[i];
  // Only where no rhythm is known and no bout's first peak is held: otherwise the weak peaks
  // are the rhythm's to take (weak_peak_before, weak_peak_overdue, resolve_deferred).
  if (deferred_peak_us_ || weak_peak_possible(row.t_us)) {
    weak_top_.reset();
    weak_start_us_.clear();
    weak_started_ = false;
    return;
  }
  const auto min_step_us = static_cast<int64_t>(settings_.min_step_s * 1e6);
  const int64_t after_us =
      weak_start_us_.empty() ? last_peak_us_.value_or(INT64_MIN) : weak_start_us_.back();
  const bool clear = after_us == INT64_MIN || row.t_us - after_us >= min_step_us;
  if (row.v_g >= settings_.weak_peak_min_g && clear && (!weak_top_ || row.v_g > weak_top_->v_g)) {
    weak_top_ = row;
  }
  // Confirmed as the candidate rule confirms a peak: nothing higher for half a shortest step.
  if (weak_top_ && row.t_us - weak_top_->t_us >= min_step_us / 2) {
    const int64_t t_us = weak_top_->t_us;
    weak_top_.reset();
    on_weak_start_peak(t_us);
  }
}

void ImpactStepDetector::on_weak_start_peak(int64_t t_us) {
  const auto in_range = [&](int64_t step_us) {
    return static_cast<double>(step_us) >= settings_.min_step_s * 1e6 &&
           static_cast<double>(step_us) <= settings_.max_step_s * 1e6;
  };
  // The force between two peaks must dip clearly under both: separate loadings, not ripples.
  const auto dips = [&](int64_t from_us, int64_t to_us) {
    double low = INFINITY, from_g = 0.0, to_g = 0.0;
    for (const Row& r : rows_) {
      if (r.t_us == from_us) from_g = r.v_g;
      if (r.t_us == to_us) to_g = r.v_g;
      if (r.t_us > from_us && r.t_us < to_us) low = std::min(low, r.v_g);
    }
    return low <= std::min(from_g, to_g) - settings_.weak_start_dip_g;
  };
  if (!weak_start_us_.empty()) {
    const int64_t step_us = t_us - weak_start_us_.back();
    bool steady = in_range(step_us) && dips(weak_start_us_.back(), t_us);
    if (steady && weak_start_us_.size() >= 2) {
      const auto before_us =
          static_cast<double>(weak_start_us_.back() - weak_start_us_[weak_start_us_.size() - 2]);
      steady = std::abs(static_cast<double>(step_us) - before_us) <=
               settings_.weak_start_tolerance * before_us;
    }
    if (!steady) {
      // The rhythm may start again from the last peak, if this step could be its first.
      const int64_t last_us = weak_start_us_.back();
      weak_start_us_.clear();
      weak_started_ = false;
      if (in_range(step_us) && dips(last_us, t_us)) weak_start_us_.push_back(last_us);
    }
  }
  weak_start_us_.push_back(t_us);
  if (weak_started_) {
    // Started: each steady weak peak is a contact at once, until the rhythm has the steps it
    // needs (weak_rhythm_min_steps) to carry on by itself (weak_peak_overdue).
    contact_at_peak(row_at(t_us), Peak::kWeak);
  } else if (weak_start_us_.size() >= settings_.weak_start_peaks) {
    for (const int64_t peak_us : weak_start_us_) contact_at_peak(row_at(peak_us), Peak::kWeak);
    weak_started_ = true;
  } else {
    return;
  }
  // Keep the last two peaks: the next step is judged against the last one.
  weak_start_us_.erase(weak_start_us_.begin(), weak_start_us_.end() - 2);
}

std::optional<size_t> ImpactStepDetector::weak_peak_overdue(int64_t t_us) {
  if (deferred_peak_us_ || !weak_peak_possible(t_us)) return std::nullopt;
  if (overdue_searched_after_us_ == *last_peak_us_) return std::nullopt;
  const auto last_us = static_cast<double>(*last_peak_us_);
  const double window_end_us = last_us + (1.0 + settings_.weak_tolerance) * typical_step_us_;
  // A peak over the level in the window would have been confirmed by now.
  if (static_cast<double>(t_us) < window_end_us + 0.5 * settings_.min_step_s * 1e6) {
    return std::nullopt;
  }
  overdue_searched_after_us_ = *last_peak_us_;
  if (rows_.front().t_us > *last_peak_us_) return std::nullopt;
  return weak_peak_near(last_us + typical_step_us_, settings_.weak_tolerance * typical_step_us_,
                        last_us + settings_.min_step_s * 1e6, window_end_us);
}

void ImpactStepDetector::contact_at_peak(size_t k, Peak kind) {
  // The foot of the rise: the lowest force in the stretch before the peak
  // (after the previous peak).
  const int64_t search_from =
      std::max(rows_[k].t_us - static_cast<int64_t>(settings_.rise_search_s * 1e6),
               last_peak_us_ ? *last_peak_us_ : INT64_MIN);
  size_t lo = k;
  while (lo > 0 && rows_[lo - 1].t_us >= search_from) --lo;
  size_t foot = k;
  for (size_t j = lo; j <= k; ++j) {
    if (rows_[j].v_g < rows_[foot].v_g) foot = j;
  }
  const bool at_edge = foot == 0 && !last_peak_us_;  // the rise began before the data
  const bool gated = last_peak_us_ && static_cast<double>(rows_[k].t_us - *last_peak_us_) * 1e-6 >
                                          settings_.max_step_s;
  // A weak peak would pull down the level the next ones are held to.
  if (kind == Peak::kConfirmed) {
    recent_peaks_.push_back(rows_[k].v_g);
    if (recent_peaks_.size() > kRecentPeaks) recent_peaks_.erase(recent_peaks_.begin());
    recent_peak_median_ = upper_median(recent_peaks_);
  }
  last_peak_us_ = rows_[k].t_us;
  if (foot == k || at_edge) {
    release_pending(rows_[k].t_us);
    ++flags_.rejected_strides;
  } else {
    // The last upward crossing of `level` before the peak, between the two rows around it; and
    // the sample period there (0: no crossing after the foot).
    const auto crossing = [&](double level) {
      size_t j = k;
      while (j > foot && rows_[j - 1].v_g >= level) --j;
      if (j == foot) return std::pair{static_cast<double>(rows_[j].t_us), 0.0};
      const double f = (level - rows_[j - 1].v_g) / (rows_[j].v_g - rows_[j - 1].v_g);
      const auto period = static_cast<double>(rows_[j].t_us - rows_[j - 1].t_us);
      return std::pair{static_cast<double>(rows_[j - 1].t_us) + f * period, period};
    };
    // IC: where the loading rise leaves the low-force floor, taken as the
    // last upward crossing of 10 % of the way from the floor to the peak;
    // robust to the small pre-landing bumps a trunk sensor shows.
    auto [ic_us, period_us] =
        crossing(rows_[foot].v_g + kRiseFraction * (rows_[k].v_g - rows_[foot].v_g));
    // The crossing is where the samples are least sure: an impact spike of a few milliseconds,
    // and the rebound below free fall after it, are caught or missed as the sampling phase
    // drifts, and the crossing with them (a simulated pelvis at 100 Hz: 7 ms early or 11 ms
    // late, cadence error 0.56-0.72 spm). Where the ground force passes body weight (1 g) in the
    // middle of the rise, the rise is steep and broad, and that moment depends on neither the floor
    // nor the peak as sampled; it trails the onset by a lag that changes little from step to step.
    // ImpactPlacement weighs the two by how steady each proves.
    const auto [middle_us, middle_period_us] = crossing(1.0);
    // Samples were lost between the floor and the peak, or just before the floor: the onset may
    // lie in the hole, and the floor or the peak that set its level may have been lost with it.
    const bool in_hole = hole_end_us_ >= rows_[foot].t_us && hole_end_us_ <= rows_[k].t_us;
    // The onset is not in the samples when the rise began in the hole (the floor is the first
    // sample after it) or its crossing spans the hole. Timed then from the rhythm of the steps
    // before, within the stretch it can lie in (a simulated pelvis at 100 Hz with 5 % of the
    // packets lost: such landings came 62-93 ms off, timed at either edge of the hole).
    // A floor that is the first sample after the hole is the rise's own foot only if it is
    // nearer the usual floor than the usual peak; otherwise the rise was well on its way.
    const bool floor_lost =
        rows_[foot].t_us == hole_end_us_ &&
        (recent_floors_.empty() ||
         rows_[foot].v_g > 0.5 * (upper_median(recent_floors_) + recent_peak_median_));
    const bool onset_unseen = in_hole && (floor_lost || period_us > static_cast<double>(gap_us_));
    const bool walking = rows_[foot].v_g >= settings_.walk_floor_g;
    // The pending contact rose from standing and this one from a flight: it was the push-off
    // into a run, not a landing (see standstill_s), and this one takes its leg.
    const bool push_off = pending_ && pending_push_off_ && rows_[foot].v_g < kFlightLevel_g;
    const size_t leg_before = leg_;
    if (push_off) leg_ ^= 1;
    if (gated) {
      for (ImpactPlacement& p : placements_) p.reset();
      leg_ = 0;
    }
    // This landing's midpoint and onset, kept for the lags of the steps to come (see below).
    std::optional<std::pair<double, double>> lag;
    ImpactPlacement& placement = placements_[leg_];
    leg_ ^= 1;
    if (onset_unseen && last_ic_us_ && !step_times_us_.empty()) {
      std::vector<double> times(step_times_us_.begin(), step_times_us_.end());
      const double predicted_us = static_cast<double>(*last_ic_us_) + upper_median(times);
      const auto latest_us = static_cast<double>(hole_end_us_);
      const double earliest_us =
          std::max(static_cast<double>(hole_start_us_),
                   static_cast<double>(*last_ic_us_) + settings_.min_step_s * 1e6);
      if (earliest_us <= latest_us) {
        ic_us = std::clamp(predicted_us, earliest_us, latest_us);
        ++flags_.ic_from_stride_rhythm;
      }
    } else if (walking && middle_period_us > 0.0 &&
               middle_period_us <= static_cast<double>(gap_us_)) {
      // A walker has no flight: the force rises from its mid-stance low (the inverted pendulum's
      // vault, 0.6-0.8 g) for a quarter of a second, and the contact is the collision that ends
      // that vault, the steep rise into double support above body weight (Kuo et al. 2005,
      // Exerc. Sport Sci. Rev. 33:88). The running rule's 10 % crossing lay 150-160 ms before
      // it (a simulated pelvis walking at 110 steps/min). So the contact is the steepest rise
      // between the body-weight crossing and the peak: the first one reaching half of it, the
      // running rule, took a rise at the crossing itself in 15 of 110 contacts at 100 Hz, where
      // the samples straddle the heel strike's transient (70-80 ms early).
      size_t from = foot;
      while (from < k && static_cast<double>(rows_[from].t_us) < middle_us) ++from;
      from = from > transient_lag_n_ ? from - transient_lag_n_ : 0;
      const std::optional<double> first = first_transient_us(std::max(from, foot), k, 1.0);
      ic_us = first ? *first : middle_us;
      ++(first ? flags_.ic_walking_steepest_rise : flags_.ic_walking_at_crossing);
    } else if (period_us > 0.0 && middle_period_us > 0.0 &&
               period_us <= static_cast<double>(gap_us_)) {
      // The landing itself is the force's first sharp rise: a spike where the impact reaches
      // the trunk unfiltered, which the crossing above misses, as the rise it measures from
      // begins after the spike's rebound (a simulated pelvis: 10-14 ms after the contact at
      // every rate). Searched from a little before the rise's foot, as the spike and its
      // rebound come just before it; taken only where it is not later than the crossing (a
      // filtered trunk signal, whose first sharp rise is the loading rise itself, can pass
      // the fraction later than 10 % of the way up).
      size_t from = foot;
      const int64_t from_us =
          rows_[foot].t_us - static_cast<int64_t>(settings_.transient_search_s * 1e6);
      while (from > lo && rows_[from - 1].t_us >= from_us) --from;
      const std::optional<double> first = first_transient_us(from, k, settings_.transient_fraction);
      const bool at_first_rise = first && *first <= ic_us;
      const double onset_us = at_first_rise ? *first : ic_us;
      ++(at_first_rise ? flags_.ic_at_first_rise : flags_.ic_at_rise_crossing);
      ic_us = placement.place_us(middle_us, onset_us, period_us);
      if (!gated && !in_hole) lag = {middle_us, onset_us};
    }
    // Two loading rises less than a shortest step apart are one contact, not two steps: the
    // step where a walk turns into a run holds its walking heel strike and, a sixth of a second
    // later, the push that launches the first flight, with no low between them (a simulated
    // pelvis: 1.15 g at the heel strike, a 0.85 g dip, then 1.35 g). The push peaks late in the
    // contact, so its peak passed the peaks' own spacing gate, but its rise began 0.18 s after
    // the heel strike. Within a rhythm the contact began at the first rise, and the later one
    // is left out, unless a flight lies between them: a rise from a flight is a landing, and the
    // earlier rise is then the one in doubt (a push timed as a landing, 0.21 s before the first
    // landing of the run; left as it was). A bout's first rise has no rhythm to vouch for it, and
    // the data or a gap can cut into a contact (sacrum-running trial21: a rise 11 ms into the
    // data, 0.19 s before the first landing): there the later rise is the contact, and the
    // first is dropped. A push-off from standing (above) is dropped by its own rule.
    const bool opens_bout_pending =
        pending_ && pending_opens_bout_ && pending_->ic_us == last_ic_us_;
    if (last_ic_us_ && !gated && !push_off && (walking || opens_bout_pending) &&
        ic_us - static_cast<double>(*last_ic_us_) < settings_.min_step_s * 1e6) {
      if (!opens_bout_pending) {
        leg_ = leg_before;
        ++flags_.second_rises_in_contact;
        settle(k);
        return;
      }
      ++flags_.first_rises_dropped;
      pending_.reset();
      lows_.clear();
      last_ic_us_.reset();
      // Nor may the fragment's lag teach the steps to come.
      for (ImpactPlacement& p : placements_) p.reset();
    }
    if (lag) placement.note(lag->first, lag->second);
    const bool opens_bout = !last_ic_us_ || gated;
    DetectedStep step;
    step.source = settings_.placement;
    step.ic_in_hole = in_hole;
    // A trunk sensor's loading peaks come from both feet alike: which foot
    // landed is not in the peak, so no side is claimed.
    step.side = pb::SIDE_UNKNOWN;
    step.ic_us = static_cast<int64_t>(std::llround(ic_us));
    if (!in_hole) {
      recent_floors_.push_back(rows_[foot].v_g);
      if (recent_floors_.size() > kRecentPeaks) recent_floors_.erase(recent_floors_.begin());
    }
    if (last_ic_us_ && !gated && !in_hole && !push_off) {
      step_times_us_.push_back(step.ic_us - *last_ic_us_);
      if (step_times_us_.size() > kStepTimes) step_times_us_.pop_front();
      std::vector<double> times(step_times_us_.begin(), step_times_us_.end());
      typical_step_us_ = upper_median(std::move(times));
      const double confirmed_us =
          typical_step_us_ + (settings_.rise_search_s + 0.5 * settings_.min_step_s) * 1e6;
      overdue_us_ = std::min(
          static_cast<int64_t>(settings_.max_step_s * 1e6),
          static_cast<int64_t>(std::max(settings_.overdue_steps * typical_step_us_, confirmed_us)));
    }
    last_ic_us_ = step.ic_us;
    if (kind == Peak::kWeak) ++flags_.ic_weak_peak_by_rhythm;
    if (kind == Peak::kDataEnd) ++flags_.ic_at_data_end;
    step.quality = gated || step.ic_in_hole || kind != Peak::kConfirmed ? 0.4 : 0.6;
    step.contact_time_reliable = false;
    step.activity =
        rows_[foot].v_g < kFlightLevel_g ? GaitActivity::kRunning : GaitActivity::kWalking;
    step.after_gap = after_gap_;
    after_gap_ = false;
    if (push_off) {
      ++flags_.push_offs_from_standing;
      pending_.reset();
      lows_.clear();
    }
    release_pending(step.ic_us);
    pending_ = step;
    pending_opens_bout_ = opens_bout;
    pending_push_off_ = from_standstill(foot);
    // The peak is confirmed half a shortest step after it, and a short
    // contact (a fast runner's, about 0.2 s) can unload before that.
    for (size_t r = k + 1; r < rows_.size(); ++r) track_unloading(r);
  }
  settle(k);
}

std::optional<double> ImpactStepDetector::first_transient_us(size_t from, size_t k,
                                                             double fraction) const {
  // The rise over the lag at row r, both ends in the window and no hole between them; -1 where
  // it cannot be measured. Only rises count: the landing pushes the trunk up.
  const auto lag_us = static_cast<int64_t>(settings_.transient_lag_s * 1e6);
  const auto rise = [&](size_t r) {
    if (r < from + transient_lag_n_) return -1.0;
    const Row& a = rows_[r - transient_lag_n_];
    const Row& b = rows_[r];
    if (b.raw_t_us - a.raw_t_us > lag_us + gap_us_ / 2) return -1.0;
    return b.raw_v_g - a.raw_v_g;
  };
  double largest = 0.0;
  for (size_t r = from; r <= k; ++r) largest = std::max(largest, rise(r));
  if (largest <= 0.0) return std::nullopt;
  size_t j = from;
  while (j <= k && rise(j) < fraction * largest) ++j;
  if (j > k) return std::nullopt;
  // This rise's own top, then back to where it first passes a fraction of it: between that row
  // and the one before, as a sharp rise happens within one sample period.
  double top = rise(j);
  for (size_t r = j + 1; r <= k && rise(r) >= top; ++r) top = rise(r);
  while (j > from + transient_lag_n_ && rise(j - 1) > settings_.transient_onset_fraction * top) {
    --j;
  }
  return 0.5 * static_cast<double>(rows_[j - 1].raw_t_us + rows_[j].raw_t_us);
}

bool ImpactStepDetector::from_standstill(size_t foot) const {
  const auto from_us = rows_[foot].t_us - static_cast<int64_t>(settings_.standstill_s * 1e6);
  const auto to_us = rows_[foot].t_us - static_cast<int64_t>(settings_.standstill_dip_s * 1e6);
  if (rows_.front().t_us > from_us) return false;  // not seen: the data or a gap began there
  double low = INFINITY;
  double high = -INFINITY;
  for (size_t r = 0; r < foot && rows_[r].t_us <= to_us; ++r) {
    if (rows_[r].t_us < from_us) continue;
    low = std::min(low, rows_[r].v_g);
    high = std::max(high, rows_[r].v_g);
  }
  return high >= low && high - low <= settings_.standstill_range_g;
}

void ImpactStepDetector::track_unloading(size_t i) {
  if (i == 0) return;
  const double a = rows_[i - 1].v_g;
  const double b = rows_[i].v_g;
  const bool down = a >= kUnloadLevel_g && b < kUnloadLevel_g;
  const bool up = a < kUnloadLevel_g && b >= kUnloadLevel_g;
  if (!down && !up) return;
  const double f = (a - kUnloadLevel_g) / (a - b);
  const int64_t t_us =
      rows_[i - 1].t_us + static_cast<int64_t>(std::llround(
                              f * static_cast<double>(rows_[i].t_us - rows_[i - 1].t_us)));
  if (down) {
    lows_.push_back({t_us, INT64_MAX});
  } else if (!lows_.empty() && lows_.back().to_us == INT64_MAX) {
    lows_.back().to_us = t_us;
  }
}

void ImpactStepDetector::release_pending(int64_t next_ic_us) {
  if (!pending_) return;
  // The contact ends where the flight begins: the unloading followed by the
  // longest stretch below the level before the next contact. Not the first
  // unloading: between the impact peak and the broader loading peak of
  // stance a trunk sensor's force can dip through the level for a few tens
  // of milliseconds (sacrum-running: contacts of 50 ms for 190-220 ms). Not
  // the last: the next landing's impact can ring through it just before its
  // IC (simulated pelvis: 340 ms for 244 ms).
  int64_t longest_us = 0;
  for (const Low& low : lows_) {
    if (low.from_us >= next_ic_us) break;
    const int64_t length_us = std::min(low.to_us, next_ic_us) - low.from_us;
    if (length_us > longest_us) {
      longest_us = length_us;
      pending_->to_us = low.from_us;
    }
  }
  ready_.push_back(*pending_);
  pending_.reset();
  lows_.clear();
}

void ImpactStepDetector::settle(size_t k) {
  const int64_t keep_from = rows_[k].t_us - static_cast<int64_t>(settings_.rise_search_s * 1e6);
  size_t drop = 0;
  while (drop < k && rows_[drop].t_us < keep_from) ++drop;
  rows_.erase(rows_.begin(), rows_.begin() + static_cast<std::ptrdiff_t>(drop));
  if (candidate_) *candidate_ -= drop;
}

int64_t ImpactStepDetector::first_step_rows_from_us(int64_t first_peak_us) const {
  return first_peak_us -
         static_cast<int64_t>(
             ((1.0 + settings_.weak_tolerance) * settings_.max_step_s + settings_.rise_search_s) *
             1e6);
}

void ImpactStepDetector::finish() {
  const bool had_candidate = candidate_.has_value();
  if (had_candidate) {
    const size_t k = *candidate_;
    candidate_.reset();
    on_peak(k);
  }
  // A held first peak (perhaps the candidate's) is reported alone; a landing cut off by the end
  // is looked for only after the last confirmed contact.
  if (deferred_peak_us_) {
    resolve_deferred(INT64_MAX);
  } else if (!had_candidate) {
    if (const std::optional<size_t> k = landing_at_data_end()) contact_at_peak(*k, Peak::kDataEnd);
  }
  release_pending(INT64_MAX);
}

std::optional<size_t> ImpactStepDetector::landing_at_data_end() const {
  if (!pending_ || rows_.empty() || lows_.empty()) return std::nullopt;
  if (lows_.back().to_us == INT64_MAX) return std::nullopt;  // still below the level: in the air
  if (rows_.back().raw_v_g < settings_.end_landing_min_g) return std::nullopt;
  // The flight is the longest low, as in release_pending(); the landing's spike can lift the
  // force through the level for a sample and split it, so it need not be the last low.
  const Low* flight = &lows_.front();
  for (const Low& low : lows_) {
    if (low.to_us - low.from_us > flight->to_us - flight->from_us) flight = &low;
  }
  if (static_cast<double>(flight->to_us - flight->from_us) * 1e-6 < settings_.end_flight_min_s ||
      static_cast<double>(rows_.back().t_us - flight->to_us) * 1e-6 > settings_.end_landing_max_s) {
    return std::nullopt;
  }
  return rows_.size() - 1;
}

}  // namespace gk
