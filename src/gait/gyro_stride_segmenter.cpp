#include "gyro_stride_segmenter.hpp"

#include <Eigen/Eigenvalues>
#include <algorithm>
#include <cassert>
#include <cmath>
#include <deque>
#include <limits>
#include <numbers>
#include <utility>
#include <vector>

#include "upper_median.hpp"
#include "zupt_integrator.hpp"

namespace gk {
namespace {

bool finite(const ImuSample& s) { return s.acc_mps2.allFinite() && s.gyr_rps.allFinite(); }

constexpr size_t kRecentPeaks = 5;
/// The next mid-swing is overdue after this many typical strides (the
/// median of the last five), and the contact after the last one is then
/// decided on a cycle one typical stride long. Stride time varies by a few
/// percent from stride to stride in steady walking and running (coefficient
/// of variation 2-4 %, Hausdorff 2005, J. NeuroEng. Rehabil. 2:19), so a
/// stride 15 % longer is a stop or a turn; should the mid-swing come after
/// all, the whole cycle is analysed unless the early look found the
/// contact (on_peak()). Deciding then rather than at 1.6 strides is what
/// lets a stop's or a turn's last contact leave about a stride after its IC
/// (ipol-walking: steps later than one stride, after each foot's first
/// three, 120 -> 63 of 2980).
constexpr double kOverdueStrides = 1.15;
/// At the end of data a candidate peak counts once the rate fell this far below it.
constexpr double kFinishPeakDrop = 0.7;
/// Two contacts of one foot are at least this far apart (a stance is longer).
constexpr int64_t kMinContactSpacing_us = 150'000;
/// How far from 1 g the accelerometer may read while the foot is still.
constexpr double kStillAccel_mps2 = 1.5;
/// A mid-stance stillness follows a landing within this time.
constexpr int64_t kLandedWithin_us = 1'000'000;
/// A stillness that votes is held: it is judged by the fastest rotation within this time on
/// either side of it. A forefoot's swing ends with its pitch rate passing through zero just
/// before the contact, an instant as slow as mid-stance; taken for the stillest moment, the
/// forefoot's heel coming down after it read as heel-off (a simulated foot at 1 kHz, forefoot,
/// 157 ms contacts, twice the default noise: every vote and the sign wrong, F1 0).
constexpr int64_t kStillHold_us = 10'000;
/// How many cycles after it check a sign decided on the first stride's path.
constexpr int kFirstStrideChecks = 4;
/// While the sign is undecided the search is repeated this often (it scans
/// the whole buffer).
constexpr int64_t kAxisRetry_us = 100'000;

/// A row of a segment at rest: turning slower than kStillRate_rps, with the accelerometer reading
/// gravity alone (within kStillAccel_mps2 of 1 g).
constexpr double kStillRate_rps = 0.5;
bool is_still(const GyroRow& r) {
  return r.w.squaredNorm() < kStillRate_rps * kStillRate_rps &&
         std::abs(r.a.norm() - kGravity_mps2) < kStillAccel_mps2;
}

/// Direction of the mean accelerometer reading over the rows in [from, to)
/// where the segment is still (gravity in the sensor frame); nullopt when
/// fewer than a few rows are.
std::optional<Eigen::Vector3d> still_gravity(const GyroRows& rows, size_t from, size_t to) {
  constexpr size_t kMinStillRows = 5;
  Eigen::Vector3d sum = Eigen::Vector3d::Zero();
  size_t n = 0;
  const auto stop = rows.begin() + static_cast<std::ptrdiff_t>(std::max(from, to));
  for (auto r = rows.begin() + static_cast<std::ptrdiff_t>(from); r != stop; ++r) {
    if (is_still(*r)) {
      sum += r->a;
      ++n;
    }
  }
  if (n < kMinStillRows) return std::nullopt;
  return sum.normalized();
}

/// Unit principal axis of a second moment of angular rates: the axis the
/// segment mostly rotated about (either sign).
Eigen::Vector3d principal_axis(const Eigen::Matrix3d& m) {
  const Eigen::SelfAdjointEigenSolver<Eigen::Matrix3d> eig(m);
  return eig.eigenvectors().col(2).normalized();
}

/// Net votes for "positive rotation about axis is the swing" from the
/// stances in rows [from, to): a foot is stillest at mid-stance, flat on the
/// ground, and whatever the strike pattern the next rotation is heel-off,
/// toes going down, opposite to the swing. Each such stillness votes.
int stance_votes(const GyroRows& rows, size_t from, size_t to, const Eigen::Vector3d& axis,
                 double level) {
  const int64_t half_us = 150'000;
  if (to <= from) return 0;
  // The fastest rotation within kStillHold_us of each row: a sliding maximum over the rates
  // (a deque of rows whose rates fall from front to back).
  thread_local std::vector<double> rate;
  thread_local std::vector<double> held;
  thread_local std::deque<size_t> window;
  rate.resize(to - from);
  held.resize(to - from);
  window.clear();
  for (size_t i = from; i < to; ++i) rate[i - from] = rows[i].w.norm();
  size_t next = from;
  for (size_t i = from; i < to; ++i) {
    for (; next < to && rows[next].t_us - rows[i].t_us <= kStillHold_us; ++next) {
      while (!window.empty() && rate[window.back() - from] <= rate[next - from]) window.pop_back();
      window.push_back(next);
    }
    while (rows[i].t_us - rows[window.front()].t_us > kStillHold_us) window.pop_front();
    held[i - from] = rate[window.front() - from];
  }
  int votes = 0;
  size_t i = from;
  while (i < to) {
    // Still = slow rotation, held on both sides, and the accelerometer reading gravity alone
    // (a swing's zero crossing turns slowly too, but is accelerating).
    const double n = held[i - from];
    bool local_min =
        n < 0.5 * level && std::abs(rows[i].a.norm() - kGravity_mps2) < kStillAccel_mps2;
    for (size_t j = i; local_min && j > from && rows[i].t_us - rows[j - 1].t_us <= half_us; --j) {
      local_min = held[j - 1 - from] >= n;
    }
    for (size_t j = i + 1; local_min && j < to && rows[j].t_us - rows[i].t_us <= half_us; ++j) {
      local_min = held[j - from] > n;
    }
    // Mid-stance, not quiet standing: the foot landed shortly before. The
    // first move after standing is gait initiation, which votes either way.
    bool landed = false;
    for (size_t j = i;
         local_min && !landed && j > from && rows[i].t_us - rows[j - 1].t_us <= kLandedWithin_us;
         --j) {
      landed = std::abs(rows[j - 1].w.dot(axis)) > level;
    }
    if (!local_min || !landed) {
      ++i;
      continue;
    }
    size_t j = i + 1;
    while (j < to && std::abs(rows[j].w.dot(axis)) < level) ++j;
    if (j < to) votes += rows[j].w.dot(axis) < 0.0 ? 1 : -1;
    i = j;
  }
  return votes;
}

}  // namespace

GyroStrideSegmenter::GyroStrideSegmenter(const GyroSegmenterSettings& settings)
    : settings_(settings) {
  const double period_us = settings.nominal_rate_hz > 0.0 ? 1e6 / settings.nominal_rate_hz : 0.0;
  bridge_us_ = static_cast<int64_t>(settings.dropout_bridge_max_s * 1e6);
  gap_us_ = std::max<int64_t>(settings.gap_min_us,
                              static_cast<int64_t>(settings.gap_periods * period_us));
  max_stride_us_ = static_cast<int64_t>(settings.max_stride_s * 1e6);
}

void GyroStrideSegmenter::reset() {
  rows_.clear();
  processed_ = 0;
  axis_.reset();
  still_g_.reset();
  axis_m_.setZero();
  axis_m_moving_s_ = 0.0;
  axis_m_t_us_ = INT64_MIN;
  next_axis_try_us_ = INT64_MIN;
  undecided_moving_rows_ = 0;
  moving_trimmed_ = false;
  first_fast_us_.reset();
  rest_.reset();
  last_rest_.reset();
  fast_since_rest_ = false;
  first_stride_checks_left_ = 0;
  clear_peaks();
  last_t_us_ = INT64_MIN;
  stretch_start_us_ = INT64_MIN;
  after_gap_ = false;
  stride_us_.reset();
  recent_strides_.clear();
  head_pending_ = true;
  tail_closed_ = false;
  last_emitted_ic_us_.reset();
  horizon_floor_us_ = INT64_MIN;
  contradicting_run_ = 0;
  ready_.clear();
  flags_ = {};
}

std::optional<Eigen::Vector3d> GyroStrideSegmenter::pitch_axis() const { return axis_; }

int64_t GyroStrideSegmenter::horizon_us() const {
  if (rows_.empty()) return last_t_us_;
  // (emit() drops a contact within a stance of the last one it reported,
  // so nothing before that can come either.)
  const int64_t emitted = last_emitted_ic_us_.value_or(INT64_MIN);
  if (!axis_) return std::max(undecided_horizon_us(), emitted);
  // A contact still to come is found in the cycle after a mid-swing, so its
  // IC follows that mid-swing: the last one while its cycle is open (or
  // may reopen after a stop, see cycle_can_reopen()), else the next one,
  // which cannot precede the candidate peak or, without one, the newest row.
  const int64_t next_mid_swing_us = candidate_ ? candidate_t_us_ : rows_.back().t_us;
  const bool open = last_peak_ && (!tail_closed_ || cycle_can_reopen());
  int64_t h = open ? last_peak_t_us_ : next_mid_swing_us;
  // The one exception is the partial head cycle before the first mid-swing
  // of a stretch, which reaches back to the oldest buffered row; it is only
  // analysed where the stretch's data begins less than a stride (and an
  // eighth) before that mid-swing (on_peak()), so it can come only while the stretch is younger
  // than one longest stride at the mid-swing it would end at. Standing after
  // a stop or walking on after a turn, the horizon therefore keeps up with
  // the clock instead of trailing it by a longest stride plus context.
  if (head_pending_) {
    const int64_t head_end_us = last_peak_ && !tail_closed_ ? last_peak_t_us_ : next_mid_swing_us;
    if (stretch_start_us_ > head_end_us - max_stride_us_) h = std::min(h, rows_.front().t_us);
  }
  return std::max({h, emitted, horizon_floor_us_});
}

int64_t GyroStrideSegmenter::undecided_horizon_us() const {
  // Nothing is analysed before the axis is found, and then every buffered row can be. A contact
  // still lies in a cycle after a mid-swing, whose rate passes swing_peak_min_rps on any axis, so
  // it follows the first row that fast; or in the head cycle before the first mid-swing, which is
  // analysed only where the stretch began within a longest stride of that mid-swing (on_peak()).
  // A foot standing still while the other takes its first steps can therefore rule them out
  // before it has an axis of its own: they no longer wait for it (ipol-walking: steps leaving
  // later than one stride after their IC 172 -> 122 of 3646). Once motion has been trimmed from
  // the window, the stretch starts where the kept rows do (accept()), and nothing is promised.
  const int64_t front_us = rows_.front().t_us;
  if (moving_trimmed_) return front_us;
  const int64_t first_fast_us = first_fast_us_.value_or(last_t_us_);
  if (stretch_start_us_ > first_fast_us - max_stride_us_) return front_us;
  return std::max(front_us, first_fast_us);
}

bool GyroStrideSegmenter::cycle_can_reopen() const {
  return tail_closed_ && last_peak_ && last_emitted_ic_us_.value_or(INT64_MIN) < last_peak_t_us_ &&
         last_t_us_ - last_peak_t_us_ <= max_stride_us_;
}

void GyroStrideSegmenter::push(const ImuSample& sample) {
  if (!admit(sample, finite(sample), last_t_us_)) return;
  if (last_t_us_ != INT64_MIN && sample.t_us - last_t_us_ > gap_us_) {
    if (sample.t_us - last_t_us_ <= bridge_us_) {
      ++flags_.bridged_dropouts;
    } else {
      ++flags_.gaps;
      if (flags_.first_gap_t_us < 0) flags_.first_gap_t_us = last_t_us_;
      clear_after_gap();
    }
  }
  last_t_us_ = sample.t_us;
  GyroRow row;
  row.t_us = sample.t_us;
  row.w = sample.gyr_rps;
  row.a = sample.acc_mps2;
  accept(row);
}

void GyroStrideSegmenter::clear_after_gap() {
  // Never bridge a gap: the contact before it is closed as a partial cycle,
  // the one spanning it is lost, the pitch axis (a property of how the
  // sensor sits) is kept.
  close_tail();
  rows_.clear();
  undecided_moving_rows_ = 0;
  moving_trimmed_ = false;
  first_fast_us_.reset();
  rest_.reset();
  last_rest_.reset();
  fast_since_rest_ = false;
  processed_ = 0;
  last_peak_.reset();
  candidate_.reset();
  head_pending_ = true;
  after_gap_ = true;
}

void GyroStrideSegmenter::accept(const GyroRow& row) {
  if (rows_.full()) rows_.set_capacity(std::max<size_t>(1024, 2 * rows_.capacity()));
  if (rows_.empty()) stretch_start_us_ = row.t_us;
  rows_.push_back(row);
  if (!axis_) {
    if (counts_as_motion(row.w)) ++undecided_moving_rows_;
    if (!first_fast_us_ && row.w.norm() >= settings_.swing_peak_min_rps) first_fast_us_ = row.t_us;
    if (settings_.axis_from_first_stride) track_rest(row);
    if (!axis_) find_axis();
    if (!axis_) {
      // Standing or too little motion yet: keep a bounded window.
      const int64_t keep_us = static_cast<int64_t>(undecided_keep_s() * 1e6);
      while (!rows_.empty() && rows_.back().t_us - rows_.front().t_us > keep_us) {
        if (counts_as_motion(rows_.front().w)) {
          --undecided_moving_rows_;
          moving_trimmed_ = true;
        }
        rows_.pop_front();
      }
      return;
    }
    undecided_moving_rows_ = 0;
    for (GyroRow& r : rows_) r.p = r.w.dot(*axis_);
    processed_ = 0;
    // The stretch began with its data unless motion was trimmed while the axis was searched;
    // then it begins with what was kept (standing rows trimmed change nothing: no contact lies
    // in them).
    if (moving_trimmed_) stretch_start_us_ = rows_.front().t_us;
    moving_trimmed_ = false;
    first_fast_us_.reset();
  } else {
    rows_.back().p = rows_.back().w.dot(*axis_);
  }
  while (processed_ < rows_.size()) process(processed_++);
  if (tail_closed_ || !last_peak_) [[unlikely]]
    idle_trim();
}

// Out of line and marked unlikely at its call: inlined into accept(), the
// per-sample path, it cost 7 % of engine speed (gaitkeeper bench).
[[gnu::noinline]] void GyroStrideSegmenter::idle_trim() {
  // No mid-swing since a stop, a gap or the start: trim() runs at mid-swings
  // only, so a walker standing for an hour would otherwise keep an hour of
  // rows. What a stretch starting afresh can read reaches one stride (at
  // most max_stride_s) back from its first mid-swing, which is still to
  // come, plus the subclass's context; the cycle from the last mid-swing
  // can no longer reopen once that much time has passed (cycle_can_reopen).
  if (idle_keep_us_ == 0) {
    // A cycle may still reopen until a candidate peak within max_stride_s
    // of the last one is confirmed; the last peak's row must outlive that.
    assert(context_s() >= settings_.peak_confirm_s);
    idle_keep_us_ = static_cast<int64_t>((settings_.max_stride_s + context_s()) * 1e6);
  }
  const int64_t keep_from = last_t_us_ - idle_keep_us_;
  if (rows_.front().t_us >= keep_from) return;
  size_t drop = 0;
  const size_t limit = candidate_ ? *candidate_ : processed_;
  while (drop < limit && rows_[drop].t_us < keep_from) ++drop;
  if (drop == 0) return;
  rows_.erase_begin(drop);
  processed_ -= drop;
  if (candidate_) *candidate_ -= drop;
  if (last_peak_) {
    // The last mid-swing's row may go: only its time is read from here on.
    *last_peak_ = *last_peak_ > drop ? *last_peak_ - drop : 0;
  }
}

void GyroStrideSegmenter::track_rest(const GyroRow& row) {
  // A rest: at least kRestRows still rows over kRestMin_us (a running foot's mid-stance at 100 Hz
  // holds a few such rows).
  constexpr size_t kRestRows = 3;
  constexpr int64_t kRestMin_us = 20'000;
  const double rate2 = row.w.squaredNorm();
  if (!is_still(row)) {
    if (rest_ && rest_->rows >= kRestRows && rest_->end_us - rest_->begin_us >= kRestMin_us) {
      last_rest_ = rest_;
      fast_since_rest_ = false;
    }
    rest_.reset();
    if (rate2 >= settings_.swing_peak_min_rps * settings_.swing_peak_min_rps) {
      fast_since_rest_ = true;
    }
    return;
  }
  if (!rest_) rest_ = Rest{row.t_us, row.t_us, row.t_us, rate2, 0, false};
  rest_->end_us = row.t_us;
  ++rest_->rows;
  if (rate2 < rest_->still_rate2) {
    rest_->still_rate2 = rate2;
    rest_->still_us = row.t_us;
  }
  if (rest_->tried || !last_rest_ || !fast_since_rest_ || rest_->rows < kRestRows ||
      rest_->end_us - rest_->begin_us < kRestMin_us) {
    return;
  }
  rest_->tried = true;
  if (rest_->begin_us - last_rest_->end_us > static_cast<int64_t>(settings_.max_stride_s * 1e6)) {
    return;
  }
  // The path runs from the first rest's last row, where the motion began (a stand before a first
  // stride sways, and integrating across it adds its drift: one ipol-walking foot's path from the
  // stillest moment of a 2.5 s stand pointed backwards), to the stillest row of this rest so far.
  first_stride_axis(last_rest_->end_us, rest_->still_us, last_rest_->begin_us, last_rest_->end_us);
}

void GyroStrideSegmenter::first_stride_axis(int64_t t0_us, int64_t t1_us, int64_t rest_begin_us,
                                            int64_t rest_end_us) {
  const auto i0 = row_at_time(rows_, t0_us);
  const auto i1 = row_at_time(rows_, t1_us);
  const auto r0 = row_at_time(rows_, rest_begin_us);
  const auto r1 = row_at_time(rows_, rest_end_us);
  if (!i0 || !i1 || !r0 || !r1) return;
  // The stride's rates: their principal axis, as find_axis() takes it from longer spans.
  Eigen::Matrix3d m = Eigen::Matrix3d::Zero();
  size_t moving = 0;
  for (size_t i = *i0; i <= *i1; ++i) {
    if (counts_as_motion(rows_[i].w)) {
      m += rows_[i].w * rows_[i].w.transpose();
      ++moving;
    }
  }
  if (moving == 0) return;
  // Up: the rest's specific force (every row of a rest reads gravity alone).
  Eigen::Vector3d f = Eigen::Vector3d::Zero();
  for (size_t i = *r0; i <= *r1; ++i) f += rows_[i].a;
  const std::optional<RestToRestPath> path = rest_to_rest_path(rows_, *i0, *i1);
  if (!path) return;
  const Eigen::Vector3d& d = path->displacement_m;
  const Eigen::Vector3d up = f.normalized();
  const Eigen::Vector3d axis = principal_axis(m);
  const Eigen::Vector3d axis_h = axis - axis.dot(up) * up;
  const Eigen::Vector3d d_h = d - d.dot(up) * up;
  const double cos_max = std::cos(settings_.first_stride_max_angle_deg * std::numbers::pi / 180.0);
  // The axis within the angle of horizontal, the path long enough to be a stride and along the
  // direction the axis makes forward (up x axis: a foot's swing turns it toes-up, about its
  // right-hand side).
  if (axis_h.norm() < cos_max || d_h.norm() < settings_.first_stride_min_m) return;
  const Eigen::Vector3d forward = up.cross(axis_h.normalized());
  const double along = forward.dot(d_h.normalized());
  if (std::abs(along) < cos_max) return;
  const int sign = along > 0.0 ? 1 : -1;
  const double period_s = static_cast<double>(t1_us - t0_us) * 1e-6 /
                          static_cast<double>(std::max<size_t>(*i1 - *i0, 1));
  axis_ = sign * axis_h.normalized();
  still_g_ = up;
  axis_m_ = m;
  axis_m_moving_s_ = static_cast<double>(moving) * period_s;
  axis_m_t_us_ = t1_us;
  flags_.first_stride_axis_t_us = rows_.back().t_us;
  first_stride_checks_left_ = kFirstStrideChecks;
}

double GyroStrideSegmenter::undecided_keep_s() const {
  // The stillness rule may wait for more strides: the buffer holds them
  // (twice the motion it waits for, as a walker stands still half the time,
  // plus one stride before the first).
  if (settings_.sign_rule != GyroSegmenterSettings::SignRule::kAfterStillness) {
    return 3.0 * settings_.axis_warmup_s;
  }
  return std::max(3.0 * settings_.axis_warmup_s,
                  2.0 * settings_.sign_wait_max_s + settings_.max_stride_s);
}

void GyroStrideSegmenter::find_axis() {
  if (rows_.back().t_us - rows_.front().t_us <
      static_cast<int64_t>(settings_.axis_warmup_s * 1e6)) {
    return;
  }
  if (rows_.back().t_us < next_axis_try_us_) return;
  // Enough motion to hold a couple of strides: standing time does not count,
  // so a recording that starts with a long quiet stand is not judged on its
  // first push-off alone. (Counted as rows come and go: a scan here at every
  // sample made a standing 1 kHz foot 35 times slower than a running one.)
  const double period_s = static_cast<double>(rows_.back().t_us - rows_.front().t_us) * 1e-6 /
                          static_cast<double>(rows_.size() - 1);
  const double moving_s = static_cast<double>(undecided_moving_rows_) * period_s;
  if (moving_s < settings_.axis_min_moving_s) return;
  // Second moment of the angular rate while moving: its principal axis is
  // the axis the segment mostly rotates about, the medio-lateral one.
  Eigen::Matrix3d m = Eigen::Matrix3d::Zero();
  [[maybe_unused]] size_t moving = 0;
  for (const GyroRow& r : rows_) {
    if (counts_as_motion(r.w)) {
      m += r.w * r.w.transpose();
      ++moving;
    }
  }
  assert(moving == undecided_moving_rows_);
  Eigen::Vector3d axis = principal_axis(m);
  double peak = 0.0;
  for (const GyroRow& r : rows_) peak = std::max(peak, std::abs(r.w.dot(axis)));
  if (peak < settings_.swing_peak_min_rps) return;
  const double span_s = static_cast<double>(rows_.back().t_us - rows_.front().t_us) * 1e-6;
  const bool must_decide = moving_s >= settings_.sign_wait_max_s ||
                           span_s + static_cast<double>(kAxisRetry_us) * 1e-6 >= undecided_keep_s();
  const SignDecision decision = swing_sign(axis, peak, moving_s, must_decide);
  const int sign = decision.sign;
  if (sign == 0) {
    next_axis_try_us_ = rows_.back().t_us + kAxisRetry_us;
    return;
  }
  if (sign < 0) axis = -axis;
  if (decision.thin) flags_.thin_sign_t_us = rows_.back().t_us;
  if (settings_.axis_horizontal_at_rest) {
    still_g_ = still_gravity(rows_, 0, rows_.size());
    if (still_g_) axis = (axis - axis.dot(*still_g_) * *still_g_).normalized();
  }
  axis_ = axis;
  axis_m_ = m;
  axis_m_moving_s_ = moving_s;
  axis_m_t_us_ = rows_.back().t_us;
}

namespace {
/// Largest-peak sign rule: lobes closer than this ratio are told apart by what precedes them.
constexpr double kCloseLobes = 1.5;
/// How much larger the impact before one side's peaks must be to call that side the stance.
constexpr double kImpactContrast = 2.0;
/// Close lobes that no impact tells apart wait for this many times the motion that finds the
/// axis before the larger decides.
constexpr double kCloseLobesWaitMoving = 2.0;
/// The peaks compared for an impact: those of a side's main lobe, within a tenth of its high
/// percentile. The stance side also turns the same way early in the swing, as the knee flexes
/// (no impact before it); counting that lobe's peaks too made the vote depend on how many of
/// each a window held (simulated 5.5 m/s at 151 steps/min, duty factor 0.26: stance 12.6 rad/s,
/// early swing 7.7, swing 10.3; the left shank's two stance and three early-swing peaks read as
/// no impact, and every left contact came 72 ms late).
constexpr double kMainLobe = 0.9;
}  // namespace

GyroStrideSegmenter::SignDecision GyroStrideSegmenter::swing_sign(const Eigen::Vector3d& axis,
                                                                  double peak, double moving_s,
                                                                  bool must_decide) const {
  const double level = 0.3 * peak;
  if (settings_.sign_rule == GyroSegmenterSettings::SignRule::kAfterStillness) {
    const int votes = stance_votes(rows_, 0, rows_.size(), axis, level);
    // Gait initiation gives no vote and the first stance only one: a walk
    // that turns or stops after a few strides must not be judged on one
    // stance, so the decision waits for a clear majority while the strides
    // are still buffered.
    if (std::abs(votes) >= settings_.sign_min_votes) return {votes > 0 ? 1 : -1, false};
    // One stance is enough where the swing-lobe durations, an independent
    // cue, agree: a walk's first steps then leave about a stride after their
    // contact instead of two or three. (The lobe rule alone chose wrong on
    // 7 of ipol-walking's 220 feet, deciding on gait initiation, which gives
    // no vote; a sign taken from the first stance vote alone was borne out
    // by the majority of the later stances on all 220.)
    if (settings_.sign_one_vote_with_lobes && std::abs(votes) == 1 &&
        settings_.sign_min_votes > 1 && lobe_sign(axis, peak) == (votes > 0 ? 1 : -1)) {
      return {votes > 0 ? 1 : -1, false};
    }
    if (!must_decide) return {};
    if (votes != 0) return {votes > 0 ? 1 : -1, true};
  }
  // The rules below are the shank's own, or the foot's fallback.
  const bool thin = settings_.sign_rule == GyroSegmenterSettings::SignRule::kAfterStillness;
  if (settings_.sign_rule == GyroSegmenterSettings::SignRule::kLargestPeak) {
    // Compare high percentiles rather than the extremes, so one impact
    // spike cannot decide.
    std::vector<double> pos, neg;
    for (const GyroRow& r : rows_) {
      const double p = r.w.dot(axis);
      (p > 0.0 ? pos : neg).push_back(std::abs(p));
    }
    const auto high = [](std::vector<double>& v) {
      if (v.empty()) return 0.0;
      const auto k =
          v.begin() + static_cast<std::ptrdiff_t>(0.98 * static_cast<double>(v.size() - 1));
      std::nth_element(v.begin(), k, v.end());
      return *k;
    };
    const double hi_pos = high(pos);
    const double hi_neg = high(neg);
    int sign = hi_neg > hi_pos ? -1 : 1;
    // Fast running with short contacts can turn the shank in stance almost as fast as in the
    // swing (simulated 6 m/s at 200 steps/min, duty factor 0.22: 15.7 rad/s in stance against
    // 14.1 in the swing, so every mid-swing was taken at the stance and every contact half a
    // stride off, F1 0). Where the two are that close, the side whose peaks follow an impact
    // is the stance.
    if (std::max(hi_pos, hi_neg) < kCloseLobes * std::min(hi_pos, hi_neg)) {
      const double before_pos = impact_before_peaks_g(axis, 1, kMainLobe * hi_pos);
      const double before_neg = impact_before_peaks_g(axis, -1, kMainLobe * hi_neg);
      const bool pos_after_impact = before_pos > kImpactContrast * before_neg;
      const bool neg_after_impact = before_neg > kImpactContrast * before_pos;
      if (pos_after_impact) sign = -1;
      if (neg_after_impact) sign = 1;
      // Neither impact stands out: the first strides from standing, whose swings have not
      // reached their speed yet (a simulated shank after 10 s of standing, decided on its first
      // 0.8 s of running, lobes of 10.2 and 10.0 rad/s: the larger was the stance, and every
      // contact of that leg for the rest of the run came 160 ms late). The strides after them
      // tell; the buffer holds them, as standing rows give way first (the wait is on motion, so
      // a buffer full of standing does not force the decision).
      const bool told = pos_after_impact || neg_after_impact;
      if (!told && moving_s < kCloseLobesWaitMoving * settings_.axis_min_moving_s) return {};
    }
    return {sign, thin};
  }
  return {lobe_sign(axis, peak), thin};
}

double GyroStrideSegmenter::impact_before_peaks_g(const Eigen::Vector3d& axis, int sign,
                                                  double level) const {
  constexpr int64_t kLag_us = 10'000;
  constexpr int64_t kBefore_us = 80'000;
  constexpr int64_t kLobe_us = 100'000;
  std::vector<double> per_peak;
  for (size_t i = 1; i + 1 < rows_.size(); ++i) {
    // The top of a lobe: the fastest rotation within 0.1 s either side (noise puts several
    // local maxima on one lobe, and the later ones have the impact out of reach).
    const double p = sign * rows_[i].w.dot(axis);
    if (p < level) continue;
    bool top = true;
    for (size_t j = i; top && j-- > 0 && rows_[j].t_us >= rows_[i].t_us - kLobe_us;) {
      top = sign * rows_[j].w.dot(axis) < p;
    }
    for (size_t j = i + 1; top && j < rows_.size() && rows_[j].t_us <= rows_[i].t_us + kLobe_us;
         ++j) {
      top = sign * rows_[j].w.dot(axis) <= p;
    }
    if (!top) continue;
    double largest = 0.0;
    size_t lag_row = i;
    for (size_t j = i; j-- > 0 && rows_[j].t_us >= rows_[i].t_us - kBefore_us;) {
      while (lag_row > 0 && rows_[lag_row].t_us > rows_[j].t_us - kLag_us) --lag_row;
      if (lag_row >= j) continue;
      largest = std::max(largest, (rows_[j].a - rows_[lag_row].a).norm());
    }
    per_peak.push_back(largest / kGravity_mps2);
  }
  return upper_median(std::move(per_peak));
}

int GyroStrideSegmenter::lobe_sign(const Eigen::Vector3d& axis, double peak) const {
  // The swing lobe lasts longer than any lobe of the opposite sign.
  size_t pos = 0;
  size_t neg = 0;
  for (const GyroRow& r : rows_) {
    const double p = r.w.dot(axis);
    if (p > 0.2 * peak) ++pos;
    if (p < -0.2 * peak) ++neg;
  }
  return neg > pos ? -1 : 1;
}

void GyroStrideSegmenter::process(size_t i) {
  const GyroRow& r = rows_[i];
  // The last peak's and the candidate's time and rate are cached: this runs
  // for every sample, and the rows they index do not change.
  const int64_t since_peak_us = last_peak_ ? r.t_us - last_peak_t_us_ : 0;
  // A runner who stops leaves the last contact without a closing mid-swing;
  // decide it once the next one is clearly overdue, not at the end of data.
  // Without a typical stride yet (single steps, pauses), once no stride can
  // be that long: the tail is closed unseen, and idle_trim() takes over.
  if (last_peak_ && !tail_closed_ &&
      (stride_us_
           ? static_cast<double>(since_peak_us) > kOverdueStrides * static_cast<double>(*stride_us_)
           : since_peak_us > max_stride_us_)) {
    close_tail();
  }
  if (last_peak_) min_since_peak_ = std::min(min_since_peak_, r.p);
  const double threshold =
      std::max(settings_.swing_peak_min_rps, settings_.swing_peak_rel * recent_peak_median_);
  const bool too_close =
      last_peak_ && static_cast<double>(since_peak_us) * 1e-6 < settings_.min_stride_s;
  // A peak must be reached from below: the first samples after the start of
  // data or a gap may sit on the falling side of a swing whose top was not
  // seen, and that is no mid-swing.
  if (r.p > threshold && !too_close &&
      (candidate_ ? r.p > candidate_p_ : (i > 0 && r.p > rows_[i - 1].p))) {
    candidate_ = i;
    candidate_p_ = r.p;
    candidate_t_us_ = r.t_us;
  }
  if (candidate_ &&
      static_cast<double>(r.t_us - candidate_t_us_) * 1e-6 >= settings_.peak_confirm_s) {
    const size_t k = *candidate_;
    candidate_.reset();
    if (wide_enough(k)) on_peak(k);
  }
}

void GyroStrideSegmenter::emit(const StrideSpan& span) {
  if (std::optional<DetectedStep> step = analyze(span)) {
    // Sub-sample timing (an impact between two rows, a parabola through
    // three) can reach half a row before the cycle's first row, which the
    // horizon has already passed; the contact cannot precede the cycle.
    step->ic_us = std::max(step->ic_us, (*span.rows)[span.begin].t_us);
    if (step->to_us) step->to_us = std::max(*step->to_us, step->ic_us);
    // Cycles around a stop (the tail before it, the head after it) can see
    // the same contact; one foot cannot land twice within a stance.
    if (last_emitted_ic_us_ && step->ic_us < *last_emitted_ic_us_ + kMinContactSpacing_us) return;
    // Before the horizon promised when the sign was reversed: it would come out of order.
    if (step->ic_us < horizon_floor_us_) return;
    last_emitted_ic_us_ = step->ic_us;
    step->after_gap = after_gap_;
    after_gap_ = false;
    ready_.push_back(*step);
  } else {
    ++flags_.rejected_strides;
  }
}

void GyroStrideSegmenter::close_tail() {
  // The contact after the last mid-swing, when no next mid-swing closes its
  // cycle: the data ended or broke off, or the walker stopped. The cycle is
  // taken one typical stride long.
  if (tail_closed_ || !axis_ || rows_.empty() || !last_peak_) return;
  tail_closed_ = true;
  if (!stride_us_) return;  // no typical stride to size the cycle: the contact cannot be timed
  StrideSpan span;
  span.rows = &rows_;
  span.hole_us = gap_us_;
  span.axis = *axis_;
  span.begin = *last_peak_;
  span.t_begin_us = rows_[span.begin].t_us;
  span.t_end_us = span.t_begin_us + *stride_us_;
  span.end = span.begin;
  while (span.end + 1 < rows_.size() && rows_[span.end + 1].t_us <= span.t_end_us) ++span.end;
  span.truncated_tail = span.end + 1 >= rows_.size() && rows_[span.end].t_us < span.t_end_us;
  span.end_estimated = true;
  // Only worth a look if the data reaches past the expected contact.
  if (static_cast<double>(rows_[span.end].t_us - span.t_begin_us) <
      settings_.tail_min_share * static_cast<double>(*stride_us_)) {
    return;
  }
  emit(span);
}

StrideSpan GyroStrideSegmenter::cycle(size_t begin, size_t end) const {
  StrideSpan span;
  span.rows = &rows_;
  span.hole_us = gap_us_;
  span.begin = begin;
  span.end = end;
  span.t_begin_us = rows_[begin].t_us;
  span.t_end_us = rows_[end].t_us;
  span.axis = *axis_;
  return span;
}

void GyroStrideSegmenter::on_peak(size_t k) {
  if (last_peak_) {
    if (min_since_peak_ >= 0.0) {
      // No stance between the two humps: the same swing, not a new stride.
      return;
    }
    const int64_t stride_us = rows_[k].t_us - last_peak_t_us_;
    if (tail_closed_ && static_cast<double>(stride_us) * 1e-6 <= settings_.max_stride_s) {
      // The cycle was only overdue against the typical stride (a turn's
      // short pivot steps shorten it), the walker went on: unless the
      // closed tail found the contact, look for it in the whole cycle.
      if (!last_emitted_ic_us_ || *last_emitted_ic_us_ < last_peak_t_us_) {
        emit(cycle(*last_peak_, k));
      }
      note_stride(stride_us);
    } else if (tail_closed_) {
      head_pending_ = true;  // after a stop the next stretch starts afresh
    } else if (static_cast<double>(stride_us) * 1e-6 <= settings_.max_stride_s) {
      if (head_pending_) {
        // The contact before the first mid-swing of this stretch: a partial
        // cycle reaching one stride back from it.
        head_pending_ = false;
        StrideSpan head;
        head.rows = &rows_;
        head.hole_us = gap_us_;
        head.axis = *axis_;
        head.begin = 0;
        head.end = *last_peak_;
        head.t_end_us = rows_[*last_peak_].t_us;
        head.t_begin_us = head.t_end_us - stride_us;
        head.end_estimated = true;  // its opening mid-swing was not seen
        // Where the data begin at most a little before that opening mid-swing, it may have
        // come too early to be seen as a peak (a simulated run starting at a random phase:
        // the mid-swing 10 ms into the data, the contact after it lost).
        const int64_t edge_us = std::min(stride_us / 8, max_stride_us_ - stride_us);
        if (stretch_start_us_ > head.t_begin_us - edge_us &&
            static_cast<double>(head.t_end_us - rows_.front().t_us) >
                0.3 * static_cast<double>(stride_us)) {
          head.truncated_head = true;
          emit(head);
        }
      }
      emit(cycle(*last_peak_, k));
      note_stride(stride_us);
    } else {
      close_tail();
      head_pending_ = true;  // a pause: the next stretch starts afresh
    }
  }
  if (flags_.thin_sign_t_us >= 0 && last_peak_) {
    // A sign decided on thin evidence is checked against every stance that
    // follows, so the warning can say whether the walk bore it out.
    const int v = stance_votes(rows_, *last_peak_, k + 1, *axis_, 0.3 * rows_[k].p);
    if (check_sign(v, flags_.thin_sign_confirmed, flags_.thin_sign_contradicted)) return;
  }
  if (first_stride_checks_left_ > 0 && last_peak_) {
    // A sign decided on one stride's path is checked against the stances of the next few cycles,
    // as a thin decision is (a bounded number of cycles, whether or not each holds a clear
    // stance: the check scans the cycle's rows).
    --first_stride_checks_left_;
    const int v = stance_votes(rows_, *last_peak_, k + 1, *axis_, 0.3 * rows_[k].p);
    if (check_sign(v, flags_.first_stride_confirmed, flags_.first_stride_contradicted)) return;
  }
  if (axis_m_moving_s_ < settings_.axis_settle_moving_s) {
    // Settling: the axis was found on the least motion that holds a couple
    // of strides, often gait initiation and a first turn. The principal
    // axis of all the motion since is a better estimate than a slow follow
    // from that start (gaitmap-walking IC error 12.0 -> 11.5 ms).
    const double period_s = static_cast<double>(rows_[k].t_us - rows_.front().t_us) * 1e-6 /
                            static_cast<double>(std::max<size_t>(k, 1));
    for (size_t i = k + 1; i-- > 0 && rows_[i].t_us > axis_m_t_us_;) {
      const Eigen::Vector3d& w = rows_[i].w;
      if (counts_as_motion(w)) {
        axis_m_ += w * w.transpose();
        axis_m_moving_s_ += period_s;
      }
    }
    axis_m_t_us_ = rows_[k].t_us;
    const Eigen::Vector3d a = principal_axis(axis_m_);
    axis_ = a.dot(*axis_) >= 0.0 ? a : Eigen::Vector3d(-a);
  } else if (const Eigen::Vector3d u = rows_[k].w.normalized(); u.dot(*axis_) > 0.0) {
    // Follow slow changes of how the sensor sits (a strap that turns).
    axis_ = (*axis_ + settings_.axis_follow_rate * (u - *axis_)).normalized();
  }
  if (settings_.axis_horizontal_at_rest) {
    // The mid-swing rate also carries the foot's yaw (toeing out, turning),
    // which the follow step above lets into the axis; the still rows of the
    // cycle just ended (mid-stance, foot flat) say where horizontal is.
    if (last_peak_) {
      if (const auto g = still_gravity(rows_, *last_peak_, k)) {
        still_g_ = still_g_
                       ? (*still_g_ + settings_.axis_follow_rate * (*g - *still_g_)).normalized()
                       : *g;
      }
    }
    if (still_g_) axis_ = (*axis_ - axis_->dot(*still_g_) * *still_g_).normalized();
  }
  recent_peaks_.push_back(rows_[k].p);
  if (recent_peaks_.size() > kRecentPeaks) recent_peaks_.erase(recent_peaks_.begin());
  recent_peak_median_ = upper_median(recent_peaks_);
  last_peak_ = k;
  last_peak_t_us_ = rows_[k].t_us;
  tail_closed_ = false;
  min_since_peak_ = rows_[k].p;
  trim();
}

bool GyroStrideSegmenter::check_sign(int vote, uint64_t& confirmed, uint64_t& contradicted) {
  const bool reversed = flags_.sign_reversed_t_us >= 0;
  uint64_t& yes = reversed ? flags_.reversed_sign_confirmed : confirmed;
  uint64_t& no = reversed ? flags_.reversed_sign_contradicted : contradicted;
  if (vote > 0) {
    ++yes;
    contradicting_run_ = 0;
  }
  if (vote < 0) {
    ++no;
    ++contradicting_run_;
  }
  if (reversed || settings_.sign_reverse_votes <= 0 ||
      contradicting_run_ < settings_.sign_reverse_votes) {
    return false;
  }
  reverse_sign();
  return true;
}

void GyroStrideSegmenter::reverse_sign() {
  // The sign was taken on a walk's first stride or two (a stance vote that the gait initiation or
  // a turn got wrong, a mirrored sensor's path), and the stances since say the other lobe is the
  // swing: every contact until now was timed at mid-swing, and every one after would be. The
  // mid-swings just taken were stance peaks, so the peak state starts afresh, as at the axis'
  // decision, and the buffered rows are read again with the other sign; the stride's length and
  // the axis itself (its direction up to sign) are kept.
  horizon_floor_us_ = horizon_us();
  flags_.sign_reversed_t_us = rows_.back().t_us;
  axis_ = -*axis_;
  for (GyroRow& r : rows_) r.p = r.w.dot(*axis_);
  clear_peaks();
  head_pending_ = true;
  tail_closed_ = false;
  if (flags_.first_stride_axis_t_us >= 0) first_stride_checks_left_ = kFirstStrideChecks;
  processed_ = 0;  // accept() runs process() over the rows again
  on_sign_reversed();
}

void GyroStrideSegmenter::clear_peaks() {
  last_peak_.reset();
  candidate_.reset();
  min_since_peak_ = 0.0;
  recent_peaks_.clear();
  recent_peak_median_ = 0.0;
}

void GyroStrideSegmenter::note_stride(int64_t stride_us) {
  // The median of the last few strides: one short pivot step in a turn
  // must not make every following stride look overdue.
  recent_strides_.push_back(stride_us);
  if (recent_strides_.size() > kRecentPeaks) recent_strides_.erase(recent_strides_.begin());
  std::vector<int64_t> sorted = recent_strides_;
  const auto mid = sorted.begin() + static_cast<std::ptrdiff_t>(sorted.size() / 2);
  std::nth_element(sorted.begin(), mid, sorted.end());
  stride_us_ = *mid;
}

void GyroStrideSegmenter::trim() {
  // Until the first full cycle is cut, rows before the first MS may still
  // hold a contact (the partial head cycle).
  const double keep_s = head_pending_ ? settings_.max_stride_s : context_s();
  const int64_t keep_from = rows_[*last_peak_].t_us - static_cast<int64_t>(keep_s * 1e6);
  size_t drop = 0;
  while (drop < *last_peak_ && rows_[drop].t_us < keep_from) ++drop;
  if (drop == 0) return;
  // erase_begin is O(drop); a general erase would move every row that stays.
  rows_.erase_begin(drop);
  *last_peak_ -= drop;
  processed_ -= drop;
  if (candidate_) *candidate_ -= drop;
}

void GyroStrideSegmenter::finish() {
  // Flush a candidate peak that the end of data made final, then close the
  // contact after the last mid-swing as a partial cycle.
  // A candidate cut off by the end of data is only a peak if the rate was
  // clearly falling again; otherwise its true top (and time) is unknown.
  if (candidate_) {
    const size_t k = *candidate_;
    candidate_.reset();
    if (rows_.back().p < kFinishPeakDrop * rows_[k].p && wide_enough(k)) on_peak(k);
  }
  close_tail();
}

bool GyroStrideSegmenter::wide_enough(size_t k) const {
  // A swing is a sustained rotation; an impact can spike the gyro as high
  // for a few milliseconds (a forefoot landing's heel drop) but not for long.
  const double half = 0.5 * rows_[k].p;
  size_t lo = k;
  while (lo > 0 && rows_[lo - 1].p > half) --lo;
  size_t hi = k;
  while (hi + 1 < rows_.size() && rows_[hi + 1].p > half) ++hi;
  // A lobe that runs into a hole (lost samples) may have lasted through it:
  // its width there is unknown, so the hole counts (a swing cut by a lost
  // packet is not mistaken for an impact spike; an impact cannot come this
  // soon after a mid-swing, see min_stride_s).
  int64_t t_lo = rows_[lo].t_us;
  int64_t t_hi = rows_[hi].t_us;
  if (lo > 0 && t_lo - rows_[lo - 1].t_us > gap_us_) t_lo = rows_[lo - 1].t_us;
  if (hi + 1 < rows_.size() && rows_[hi + 1].t_us - t_hi > gap_us_) t_hi = rows_[hi + 1].t_us;
  return static_cast<double>(t_hi - t_lo) * 1e-6 >= settings_.min_swing_width_s;
}

}  // namespace gk
