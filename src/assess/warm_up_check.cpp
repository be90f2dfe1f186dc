#include "warm_up_check.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <limits>

namespace gk {
namespace {

double median_of(std::vector<double> v) {
  const size_t mid = v.size() / 2;
  std::nth_element(v.begin(), v.begin() + static_cast<std::ptrdiff_t>(mid), v.end());
  return v[mid];
}

}  // namespace

void WarmUpCheck::reset() {
  steps_.clear();
  first_step_us_.reset();
  last_step_us_.reset();
  in_stretch_ = false;
  stretch_start_us_ = 0;
  walk_main_start_us_.reset();
  running_s_ = 0.0;
  any_speed_ = false;
  warm_up_s_.reset();
  flag_.reset();
  used_speed_ = false;
}

void WarmUpCheck::push(const StepResult& step) {
  if (warm_up_s_) return;  // decided
  const int64_t t = step.event.ic_us;
  const bool running = step.event.activity == GaitActivity::kRunning;
  const bool paused = last_step_us_ && t - *last_step_us_ > settings_.max_step_gap_us;
  if (running && last_step_us_ && !paused) {
    running_s_ += static_cast<double>(t - *last_step_us_) * 1e-6;
  }
  last_step_us_ = t;
  if (!first_step_us_) first_step_us_ = t;
  const std::optional<double>& v = step.event.speed_mps;
  any_speed_ = any_speed_ || v.has_value();
  steps_.push_back({t, running, v ? *v : std::numeric_limits<double>::quiet_NaN()});

  if (!walk_main_start_us_) {
    if (!running || paused) in_stretch_ = false;
    if (running) {
      if (!in_stretch_) {
        in_stretch_ = true;
        stretch_start_us_ = t;
      } else if (static_cast<double>(t - stretch_start_us_) * 1e-6 >=
                 settings_.main_run_confirm_s) {
        walk_main_start_us_ = stretch_start_us_;
      }
    }
  }
  // Before the main run only the current stretch and a rolling window
  // before it are ever looked at again: a long walk keeps memory bounded.
  if (!walk_main_start_us_ && steps_.size() > 4096) {
    const int64_t keep_from = (in_stretch_ ? stretch_start_us_ : t) -
                              static_cast<int64_t>(settings_.rolling_window_s * 1e6);
    steps_.erase(steps_.begin(), std::find_if(steps_.begin(), steps_.end(),
                                              [&](const Kept& k) { return k.t_us >= keep_from; }));
  }
  // Without speeds the walking rule decides as soon as the main run is
  // confirmed; with speeds, once the main pace is known.
  if (walk_main_start_us_ && !any_speed_) {
    conclude(*walk_main_start_us_);
  } else if (walk_main_start_us_ && running_s_ >= settings_.decide_after_running_s) {
    decide();
  }
}

void WarmUpCheck::finish() {
  if (warm_up_s_ || !walk_main_start_us_) return;  // no main run: nothing to judge
  if (any_speed_) {
    decide();
  } else {
    conclude(*walk_main_start_us_);
  }
}

void WarmUpCheck::decide() {
  // The main pace: median speed of the running steps in the last
  // main_pace_window_s before now.
  const int64_t now = steps_.back().t_us;
  const auto window_us = static_cast<int64_t>(settings_.main_pace_window_s * 1e6);
  std::vector<double> pace;
  for (const Kept& k : steps_) {
    if (k.running && !std::isnan(k.speed_mps) && k.t_us >= now - window_us) {
      pace.push_back(k.speed_mps);
    }
  }
  int64_t start = *walk_main_start_us_;
  if (pace.size() >= 20) {
    const double easy_below = settings_.easy_pace_ratio * median_of(pace);
    // First running step from the walking rule's start on where the rolling
    // median speed reaches the main pace.
    const auto roll_us = static_cast<int64_t>(settings_.rolling_window_s * 1e6);
    size_t lo = 0;
    for (size_t i = 0; i < steps_.size(); ++i) {
      const Kept& k = steps_[i];
      while (steps_[lo].t_us < k.t_us - roll_us) ++lo;
      if (k.t_us < start || !k.running) continue;
      std::vector<double> recent;
      for (size_t j = lo; j <= i; ++j) {
        if (steps_[j].running && !std::isnan(steps_[j].speed_mps)) {
          recent.push_back(steps_[j].speed_mps);
        }
      }
      if (recent.size() >= 10 && median_of(recent) >= easy_below) {
        // The window that reached the pace began at the main run's start.
        for (size_t j = lo; j <= i; ++j) {
          if (steps_[j].running) {
            start = std::max(start, steps_[j].t_us);
            break;
          }
        }
        break;
      }
    }
    used_speed_ = start > *walk_main_start_us_;
  }
  conclude(start);
}

void WarmUpCheck::conclude(int64_t main_start_us) {
  warm_up_s_ = static_cast<double>(main_start_us - *first_step_us_) * 1e-6;
  steps_.clear();
  steps_.shrink_to_fit();
  if (*warm_up_s_ >= settings_.min_warm_up_s) return;
  pb::FormFlag f;
  f.set_kind(pb::NO_WARM_UP);
  f.set_severity(pb::INFO);
  pb::Evidence* e = f.add_evidence();
  e->set_name("walking or easy running before the main run");
  e->set_value(*warm_up_s_ / 60.0);
  e->set_unit("min");
  f.set_threshold(settings_.min_warm_up_s / 60.0);
  f.set_threshold_unit("min of warm-up");
  f.set_reference(
      "Runner's knee self-care guidance (NHS; AAOS OrthoInfo): warm up with about 5 minutes of "
      "brisk walking before running");
  f.set_advice(fmt::format(
      "This run started with {:.0f} min of warm-up. Walk briskly for about five minutes before "
      "you start running: it eases the knee into the load.",
      *warm_up_s_ / 60.0));
  f.set_t_start_us(main_start_us - static_cast<int64_t>(*warm_up_s_ * 1e6));
  f.set_t_end_us(main_start_us);
  flag_ = std::move(f);
}

}  // namespace gk
