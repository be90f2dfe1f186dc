#include "step_merger.hpp"

#include <algorithm>
#include <cmath>
#include <optional>

namespace gk {

namespace {

/// Step-time variability and left/right contact balance over a window of
/// finished steps (the rolling 10 steps, or a minute).
struct WindowSpread {
  std::optional<double> step_time_cv_pct;
  std::optional<double> contact_balance_left_pct;
};

template <typename It>
WindowSpread window_spread(It first, It last) {
  WindowSpread out;
  double st_sum = 0.0;
  size_t n_st = 0;
  double left = 0.0, right = 0.0;
  size_t nl = 0, nr = 0;
  for (It it = first; it != last; ++it) {
    if (it->step_time_ms) st_sum += *it->step_time_ms, ++n_st;
    // Contacts a detector marks unreliable (a shank's, a trunk's, one
    // across a hole) would make a balance out of their errors, as the form
    // assessor's balance rule knows too.
    if (!it->contact_ms || !it->event.contact_time_reliable) continue;
    if (it->event.side == pb::LEFT) left += *it->contact_ms, ++nl;
    if (it->event.side == pb::RIGHT) right += *it->contact_ms, ++nr;
  }
  const double mean = n_st > 0 ? st_sum / static_cast<double>(n_st) : 0.0;
  if (n_st >= 2 && mean > 0.0) {
    double var = 0.0;
    for (It it = first; it != last; ++it) {
      if (it->step_time_ms) var += (*it->step_time_ms - mean) * (*it->step_time_ms - mean);
    }
    var /= static_cast<double>(n_st - 1);
    out.step_time_cv_pct = 100.0 * std::sqrt(var) / mean;
  }
  if (nl > 0 && nr > 0 && left + right > 0.0) {
    const double ml = left / static_cast<double>(nl);
    const double mr = right / static_cast<double>(nr);
    out.contact_balance_left_pct = 100.0 * ml / (ml + mr);
  }
  return out;
}

}  // namespace

StepMerger::StepMerger(const MergerSettings& settings, size_t sensors)
    : settings_(settings), last_t_us_(sensors, INT64_MIN), horizon_us_(sensors, INT64_MAX) {}

void StepMerger::reset() {
  std::fill(last_t_us_.begin(), last_t_us_.end(), INT64_MIN);
  std::fill(horizon_us_.begin(), horizon_us_.end(), INT64_MAX);
  newest_t_us_ = INT64_MIN;
  for (auto& side : last_ic_by_rank_) {
    for (std::optional<int64_t>& r : side) r.reset();
  }
  superseded_ = 0;
  sensor_rank_.clear();
  pending_.clear();
  history_.clear();
  out_.clear();
  minutes_.clear();
  minute_steps_.clear();
  minute_start_us_ = INT64_MIN;
  stride_us_.reset();
  last_to_left_us_.reset();
  last_to_right_us_.reset();
  one_foot_ = false;
  seen_left_ = false;
  seen_right_ = false;
}

int StepMerger::rank(pb::Placement p) {
  // Which sensor's timing to trust when two see the same contact.
  switch (p) {
    case pb::LEFT_FOOT:
    case pb::RIGHT_FOOT:
      return 3;
    case pb::LEFT_SHANK:
    case pb::RIGHT_SHANK:
      return 2;
    case pb::PELVIS:
      return 1;
    default:
      return 0;
  }
}

int StepMerger::rank(const DetectedStep& step) {
  // A report whose IC may sit at the edge of a hole in its data yields to
  // any other sensor's report of the same contact.
  return step.ic_in_hole ? 0 : rank(step.source);
}

void StepMerger::add(size_t sensor, const DetectedStep& step) {
  if (step.side == pb::LEFT || step.side == pb::RIGHT) {
    if (sensor_rank_.size() <= sensor) sensor_rank_.resize(sensor + 1, {pb::SIDE_UNKNOWN, -1});
    sensor_rank_[sensor] = {step.side, rank(step.source)};
  }
  const auto pos = std::upper_bound(
      pending_.begin(), pending_.end(), step,
      [](const DetectedStep& a, const DetectedStep& b) { return a.ic_us < b.ic_us; });
  pending_.insert(pos, step);
}

void StepMerger::advance(size_t sensor, int64_t t_us, int64_t horizon_us) {
  last_t_us_[sensor] = std::max(last_t_us_[sensor], t_us);
  newest_t_us_ = std::max(newest_t_us_, t_us);
  horizon_us_[sensor] = horizon_us;
  if (pending_.empty()) return;
  // Nothing can go while this sensor's horizon is still at or before the
  // oldest pending contact, unless it lags so far that it is not waited for:
  // the common case per sample, decided without the scan in release().
  if (horizon_us <= pending_.front().ic_us && active(sensor)) return;
  release(false);
}

void StepMerger::finish() {
  release(true);
  close_minute(true, INT64_MAX);
}

void StepMerger::release(bool all) {
  while (!pending_.empty()) {
    if (!all) {
      // Sensors without a detector never report a step (horizon +inf);
      // sensors that fell silent are not waited for.
      int64_t horizon = INT64_MAX;
      for (size_t i = 0; i < last_t_us_.size(); ++i) {
        if (active(i)) horizon = std::min(horizon, horizon_us_[i]);
      }
      if (pending_.front().ic_us >= horizon) return;
      // A report whose IC may be mistimed by a hole waits until every
      // sensor that could report the same contact has spoken for the
      // moments after it (see superseded()); the other foot's sensors
      // cannot, and waiting for their next mid-swing held such a step a
      // stride longer.
      if (pending_.front().ic_in_hole &&
          pending_.front().ic_us + doubt_window_us() >= same_contact_horizon_us(pending_.front())) {
        return;
      }
    }
    // A lesser sensor's report waits until the better sensors on its leg have
    // spoken for the next moments too: their report of the same contact may
    // come later than the lesser one's (a shank's IC can lead the foot's).
    if (!all &&
        better_horizon_us(pending_.front()) < pending_.front().ic_us + supersede_window_us()) {
      return;
    }
    // Gather every report of this contact (another sensor on the same leg,
    // or a side-less trunk sensor) and keep the best-placed one.
    const int64_t dup_us = static_cast<int64_t>(settings_.duplicate_window_s * 1e6);
    DetectedStep best = pending_.front();
    size_t n = 1;
    while (n < pending_.size() && pending_[n].ic_us - pending_.front().ic_us < dup_us) {
      const DetectedStep& other = pending_[n];
      const bool conflicting_sides = best.side != pb::SIDE_UNKNOWN &&
                                     other.side != pb::SIDE_UNKNOWN && best.side != other.side;
      if (conflicting_sides) break;
      // Between two reports in doubt alike (both timed across a hole), the better sensor's.
      if (rank(other) > rank(best) ||
          (rank(other) == rank(best) && rank(other.source) > rank(best.source))) {
        DetectedStep keep = other;
        if (!keep.shock_g) keep.shock_g = best.shock_g;
        if (keep.side == pb::SIDE_UNKNOWN) keep.side = best.side;
        take_toe_off(keep, best);
        best = keep;
      } else {
        if (!best.shock_g) best.shock_g = other.shock_g;
        if (best.side == pb::SIDE_UNKNOWN) best.side = other.side;
        take_toe_off(best, other);
      }
      ++n;
    }
    pending_.erase(pending_.begin(), pending_.begin() + static_cast<std::ptrdiff_t>(n));
    if (superseded(best)) {
      ++superseded_;
      continue;
    }
    finalize(best);
  }
}

void StepMerger::take_toe_off(DetectedStep& kept, const DetectedStep& other) {
  // The report kept for its IC may be one whose toe-off is known to be poor (a shank's, or a
  // trunk's), while the report it was kept over is a foot's whose IC alone was in doubt (a hole
  // where its landing was looked for): the foot's toe-off and stride still stand where no
  // samples were lost next to the toe-off. A simulated shoe-and-sleeve run at 500 Hz with 3 % of
  // the packets lost took the shank's whole report for a fifth of the contacts, and their
  // contact times 90-110 ms long: contact-time error 23.2 ms over the run; 8.1 taking the
  // foot's toe-off where its contact time was sound, 2.3 also where only its IC was in doubt.
  const bool foot = rank(other.source) == rank(pb::LEFT_FOOT);
  if (kept.contact_time_reliable || !foot || !other.to_us || other.to_in_hole ||
      !(other.contact_time_reliable || other.ic_in_hole) || *other.to_us <= kept.ic_us) {
    return;
  }
  kept.to_us = other.to_us;
  kept.contact_time_reliable = true;
  if (!kept.stride_m) {
    kept.stride_m = other.stride_m;
    kept.speed_mps = other.speed_mps;
  }
}

int64_t StepMerger::doubt_window_us() const {
  // Half the supersede window (a quarter stride): the same contact, not the
  // other foot's next one half a stride later.
  return supersede_window_us() / 2;
}

int64_t StepMerger::supersede_window_us() const {
  return stride_us_ ? static_cast<int64_t>(settings_.superseded_within_strides *
                                           static_cast<double>(*stride_us_))
                    : static_cast<int64_t>(settings_.superseded_default_s * 1e6);
}

bool StepMerger::active(size_t sensor) const {
  const auto stale_us = static_cast<int64_t>(settings_.stale_sensor_s * 1e6);
  return last_t_us_[sensor] != INT64_MIN && last_t_us_[sensor] >= newest_t_us_ - stale_us;
}

int64_t StepMerger::same_contact_horizon_us(const DetectedStep& step) const {
  int64_t horizon = INT64_MAX;
  for (size_t i = 0; i < last_t_us_.size(); ++i) {
    if (!active(i)) continue;
    // A sensor known to sit on the other leg reports other contacts; a
    // trunk sensor, or one that has not reported a side yet, may not.
    const pb::Side side = i < sensor_rank_.size() ? sensor_rank_[i].first : pb::SIDE_UNKNOWN;
    if (side != pb::SIDE_UNKNOWN && step.side != pb::SIDE_UNKNOWN && side != step.side) continue;
    horizon = std::min(horizon, horizon_us_[i]);
  }
  return horizon;
}

int64_t StepMerger::better_horizon_us(const DetectedStep& step) const {
  if (step.side != pb::LEFT && step.side != pb::RIGHT) return INT64_MAX;
  const int r = rank(step);
  int64_t horizon = INT64_MAX;
  for (size_t i = 0; i < sensor_rank_.size(); ++i) {
    const auto [side, better] = sensor_rank_[i];
    if (side != step.side || better <= r || !active(i)) continue;
    horizon = std::min(horizon, horizon_us_[i]);
  }
  return horizon;
}

bool StepMerger::superseded(const DetectedStep& step) const {
  if (step.side != pb::LEFT && step.side != pb::RIGHT) return false;
  const size_t side = step.side == pb::LEFT ? 0 : 1;
  const int64_t within = supersede_window_us();
  const int r = rank(step);
  for (int better = r + 1; better < 4; ++better) {
    const std::optional<int64_t>& last = last_ic_by_rank_[side][static_cast<size_t>(better)];
    if (last && step.ic_us - *last <= within) return true;
  }
  // Or a better report of the same contact still to be released.
  for (const DetectedStep& other : pending_) {
    if (other.ic_us - step.ic_us > within) break;
    if (other.side == step.side && rank(other) > r) return true;
  }
  // A report whose landing may have been in a hole (its IC then sits at the
  // last swing feature before it, up to the hole early) yields to any sound
  // report just after it, a side-less trunk one too.
  if (step.ic_in_hole) {
    for (const DetectedStep& other : pending_) {
      if (other.ic_us - step.ic_us > doubt_window_us()) break;
      if (!other.ic_in_hole && (other.side == step.side || other.side == pb::SIDE_UNKNOWN)) {
        return true;
      }
    }
  }
  return false;
}

void StepMerger::finalize(const DetectedStep& step) {
  if (step.side == pb::LEFT || step.side == pb::RIGHT) {
    last_ic_by_rank_[step.side == pb::LEFT ? 0 : 1][static_cast<size_t>(rank(step))] = step.ic_us;
  }
  if (step.side == pb::LEFT) seen_left_ = true;
  if (step.side == pb::RIGHT) seen_right_ = true;
  one_foot_ = seen_left_ != seen_right_;

  StepResult r;
  r.event = step;
  r.foot_strike = step.foot_strike;
  r.shock_g = step.shock_g;
  if (step.to_us) r.contact_ms = static_cast<double>(*step.to_us - step.ic_us) * 1e-3;

  const int64_t pause_us = static_cast<int64_t>(settings_.pause_s * (one_foot_ ? 2.0 : 1.0) * 1e6);
  if (!history_.empty() &&
      (step.ic_us - history_.back().event.ic_us > pause_us || step.after_gap)) {
    history_.clear();
  }
  std::optional<int64_t>& last_to_same =
      step.side == pb::RIGHT ? last_to_right_us_ : last_to_left_us_;
  if (!history_.empty()) {
    const StepResult& prev = history_.back();
    const double dt_ms = static_cast<double>(step.ic_us - prev.event.ic_us) * 1e-3;
    r.step_time_ms = one_foot_ ? 0.5 * dt_ms : dt_ms;
    if (!one_foot_ && prev.event.to_us && prev.event.side != step.side) {
      r.flight_ms = std::max(0.0, static_cast<double>(step.ic_us - *prev.event.to_us) * 1e-3);
    }
    // Stride: this foot's previous IC.
    for (auto it = history_.rbegin(); it != history_.rend(); ++it) {
      if (it->event.side == step.side && step.side != pb::SIDE_UNKNOWN) {
        stride_us_ = step.ic_us - it->event.ic_us;
        break;
      }
    }
    if (step.side == pb::SIDE_UNKNOWN) stride_us_ = 2 * (step.ic_us - prev.event.ic_us);
    if (last_to_same && step.side != pb::SIDE_UNKNOWN) {
      r.swing_ms = static_cast<double>(step.ic_us - *last_to_same) * 1e-3;
    }
  }
  if (step.stride_time_ms) stride_us_ = static_cast<int64_t>(*step.stride_time_ms * 1e3);

  history_.push_back(r);
  while (history_.size() > settings_.cadence_window_steps) history_.pop_front();
  // Steps of two sides at one instant are not merged (their sides conflict: one foot's stream
  // recorded under both placements), so the window may span no time: it then has no cadence.
  const double span_s =
      static_cast<double>(history_.back().event.ic_us - history_.front().event.ic_us) * 1e-6;
  if (history_.size() >= 2 && span_s > 0.0) {
    const double intervals = static_cast<double>(history_.size() - 1);
    // One foot seen: its steps are strides, and cadence is twice the stride rate.
    r.cadence_spm = (one_foot_ ? 120.0 : 60.0) * intervals / span_s;
    history_.back().cadence_spm = r.cadence_spm;
  }
  // Variability and balance over the same steps as the rolling cadence,
  // this one included.
  const WindowSpread spread = window_spread(history_.begin(), history_.end());
  r.window_step_time_cv_pct = spread.step_time_cv_pct;
  r.window_contact_balance_left_pct = spread.contact_balance_left_pct;
  if (step.stride_m) {
    r.stride_m = step.stride_m;
  } else if (settings_.treadmill_speed_mps && stride_us_) {
    r.stride_m = *settings_.treadmill_speed_mps * static_cast<double>(*stride_us_) * 1e-6;
  }
  if (step.to_us && step.side != pb::SIDE_UNKNOWN) last_to_same = step.to_us;

  close_minute(false, step.ic_us);
  if (minute_start_us_ == INT64_MIN) minute_start_us_ = step.ic_us;
  minute_steps_.push_back(r);
  out_.push_back(r);
}

void StepMerger::close_minute(bool force, int64_t now_us) {
  if (minute_start_us_ == INT64_MIN) return;
  const int64_t len_us = static_cast<int64_t>(settings_.per_minute_s * 1e6);
  if (!force && now_us < minute_start_us_ + len_us) return;
  const double span_s = minute_steps_.empty()
                            ? 0.0
                            : static_cast<double>(minute_steps_.back().event.ic_us -
                                                  minute_steps_.front().event.ic_us) *
                                  1e-6;
  if (minute_steps_.size() >= 2 && span_s > 0.0) {
    CadenceWindow w;
    w.t_start_us = minute_start_us_;
    w.t_end_us = force ? minute_steps_.back().event.ic_us : minute_start_us_ + len_us;
    w.steps = minute_steps_.size();
    w.cadence_spm = (one_foot_ ? 120.0 : 60.0) * static_cast<double>(w.steps - 1) / span_s;
    const WindowSpread spread = window_spread(minute_steps_.begin(), minute_steps_.end());
    w.step_time_cv_pct = spread.step_time_cv_pct.value_or(0.0);
    w.contact_balance_left_pct = spread.contact_balance_left_pct;
    minutes_.push_back(w);
  }
  minute_steps_.clear();
  minute_start_us_ = force ? INT64_MIN : minute_start_us_ + len_us;
  while (!force && now_us >= minute_start_us_ + len_us) minute_start_us_ += len_us;
}

std::vector<StepResult> StepMerger::take() {
  std::vector<StepResult> out;
  out.swap(out_);
  return out;
}

}  // namespace gk
