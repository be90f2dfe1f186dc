#include "warm_up_check.hpp"

#include <fmt/format.h>

namespace gk {

void WarmUpCheck::reset() {
  first_step_us_.reset();
  last_step_us_.reset();
  in_stretch_ = false;
  stretch_start_us_ = 0;
  warm_up_s_.reset();
  flag_.reset();
}

void WarmUpCheck::push(const StepResult& step) {
  if (warm_up_s_) return;  // decided
  const int64_t t = step.event.ic_us;
  if (!first_step_us_) first_step_us_ = t;
  const bool paused = last_step_us_ && t - *last_step_us_ > settings_.max_step_gap_us;
  last_step_us_ = t;
  if (step.event.activity != GaitActivity::kRunning || paused) {
    in_stretch_ = false;
    if (step.event.activity != GaitActivity::kRunning) return;
  }
  if (!in_stretch_) {
    in_stretch_ = true;
    stretch_start_us_ = t;
    return;
  }
  if (static_cast<double>(t - stretch_start_us_) * 1e-6 < settings_.main_run_confirm_s) return;

  warm_up_s_ = static_cast<double>(stretch_start_us_ - *first_step_us_) * 1e-6;
  if (*warm_up_s_ >= settings_.min_warm_up_s) return;
  pb::FormFlag f;
  f.set_kind(pb::NO_WARM_UP);
  f.set_severity(pb::INFO);
  pb::Evidence* e = f.add_evidence();
  e->set_name("walking (or other activity) before the main run");
  e->set_value(*warm_up_s_ / 60.0);
  e->set_unit("min");
  f.set_threshold(settings_.min_warm_up_s / 60.0);
  f.set_threshold_unit("min of warm-up");
  f.set_reference(
      "Runner's knee self-care guidance (NHS; AAOS OrthoInfo): warm up with about 5 minutes of "
      "brisk walking before running");
  f.set_advice(fmt::format(
      "This run started with {:.0f} min of walking. Walk briskly for about five minutes before "
      "you start running: it eases the knee into the load.",
      *warm_up_s_ / 60.0));
  f.set_t_start_us(*first_step_us_);
  f.set_t_end_us(stretch_start_us_);
  flag_ = std::move(f);
}

}  // namespace gk
