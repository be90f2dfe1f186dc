#include "turn_step_finder.hpp"

#include <algorithm>
#include <cmath>

#include "zupt_integrator.hpp"

namespace gk {

TurnStepFinder::TurnStepFinder(const TurnStepSettings& settings)
    : settings_(settings),
      still_rate2_(settings.still_rate_rps * settings.still_rate_rps),
      still_a2_lo_(std::pow(std::max(0.0, kGravity_mps2 - settings.still_accel_mps2), 2)),
      still_a2_hi_(std::pow(kGravity_mps2 + settings.still_accel_mps2, 2)),
      gap_us_(static_cast<int64_t>(settings.gap_s * 1e6)) {}

void TurnStepFinder::reset() {
  state_ = State::kUnknown;
  rest_start_us_.reset();
  last_rest_us_ = 0;
  lift_us_ = 0;
  last_t_us_ = INT64_MIN;
  last_mid_swing_us_ = INT64_MIN;
  ready_.clear();
}

std::vector<TurnStepProposal> TurnStepFinder::take() {
  std::vector<TurnStepProposal> out;
  out.swap(ready_);
  return out;
}

void TurnStepFinder::push_slow(const ImuSample& sample, const GyroRows& rows) {
  if (sample.t_us <= last_t_us_) return;
  if (last_t_us_ != INT64_MIN && sample.t_us > last_t_us_ + gap_us_) {
    // A move across a hole cannot be integrated.
    state_ = State::kUnknown;
    rest_start_us_.reset();
  }
  last_t_us_ = sample.t_us;
  // Degenerate samples are skipped here; the segmenter counts and reports them.
  if (!sample.has_gyro || !sample.acc_mps2.allFinite() || !sample.gyr_rps.allFinite()) return;
  if (!at_rest(sample)) {
    rest_start_us_.reset();
    if (state_ == State::kAtRest) {
      state_ = State::kMoving;
      lift_us_ = last_rest_us_;
    }
    if (state_ == State::kMoving) {
      if (last_mid_swing_us_ >= lift_us_) {
        state_ = State::kSwing;  // the segmenter's stride
      } else if (static_cast<double>(sample.t_us - lift_us_) * 1e-6 >
                 settings_.motion_max_s + settings_.still_min_s) {
        state_ = State::kUnknown;  // too long for one step: wait for rest
      }
    }
    return;
  }
  last_rest_us_ = sample.t_us;
  if (!rest_start_us_) rest_start_us_ = sample.t_us;
  if (state_ != State::kAtRest &&
      static_cast<double>(sample.t_us - *rest_start_us_) * 1e-6 >= settings_.still_min_s) {
    if (state_ == State::kMoving) at_rest_again(*rest_start_us_, rows);
    state_ = State::kAtRest;
  }
}

void TurnStepFinder::at_rest_again(int64_t rest_us, const GyroRows& rows) {
  const double move_s = static_cast<double>(rest_us - lift_us_) * 1e-6;
  if (move_s < settings_.motion_min_s || move_s > settings_.motion_max_s) return;
  if (last_mid_swing_us_ >= lift_us_ && last_mid_swing_us_ <= rest_us) return;
  const std::optional<double> clearance = foot_clearance_m(rows, lift_us_, rest_us);
  if (!clearance || *clearance < settings_.clearance_min_m) return;
  // The landing: the largest change of specific force per time shortly
  // before the foot is at rest.
  const int64_t from_us = rest_us - static_cast<int64_t>(settings_.impact_search_s * 1e6);
  std::optional<int64_t> ic_us;
  double best = -1.0;
  const auto by_time = [](const GyroRow& r, int64_t t) { return r.t_us < t; };
  const auto first =
      std::lower_bound(rows.begin(), rows.end(), std::max(from_us, lift_us_), by_time);
  for (size_t i = static_cast<size_t>(std::max<std::ptrdiff_t>(first - rows.begin(), 1));
       i < rows.size() && rows[i].t_us <= rest_us; ++i) {
    if (rows[i - 1].t_us < lift_us_) continue;
    const double jerk =
        (rows[i].a - rows[i - 1].a).norm() / static_cast<double>(rows[i].t_us - rows[i - 1].t_us);
    if (jerk > best) {
      best = jerk;
      ic_us = rows[i].t_us;
    }
  }
  if (!ic_us) return;
  ready_.push_back({lift_us_, *ic_us, rest_us, *clearance});
}

}  // namespace gk
