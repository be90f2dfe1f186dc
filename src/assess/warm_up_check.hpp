// Warm-up before the main run. The guidance runners with patellofemoral pain
// get is to warm up with about five minutes of brisk walking before running
// (e.g. the NHS and the American Academy of Orthopaedic Surgeons' advice on
// runner's knee). The gait engine already tells walking from running, so the
// check measures, step by step, how long the runner was on their feet before
// the main run began: the main run is the first stretch of running that
// lasts main_run_confirm_s without a walking step or a pause; everything
// from the first step of the session up to its start is the warm-up
// (walking, and running bits broken off by walking). Live and batch agree:
// the answer is given the moment the main run is confirmed.
#pragma once

#include <cstdint>
#include <optional>

#include "gaitkeeper.pb.h"
#include "sample.hpp"  // pb:: alias
#include "step_result.hpp"

namespace gk {

struct WarmUpSettings {
  /// Shorter than this before the main run counts as no warm-up: the
  /// guidance's "about five minutes" with a minute of slack for how the
  /// first and last walking steps are timed.
  double min_warm_up_s = 240.0;
  /// Running this long without a walking step or a pause is the main run.
  double main_run_confirm_s = 60.0;
  /// A pause longer than this between steps breaks a running stretch.
  int64_t max_step_gap_us = 5'000'000;
};

class WarmUpCheck {
 public:
  explicit WarmUpCheck(const WarmUpSettings& settings = {}) : settings_(settings) {}

  void push(const StepResult& step);
  void reset();

  /// Set once the main run is confirmed.
  const std::optional<double>& warm_up_s() const { return warm_up_s_; }
  std::optional<int64_t> main_run_start_us() const {
    return warm_up_s_ ? std::optional<int64_t>(stretch_start_us_) : std::nullopt;
  }
  /// NO_WARM_UP flag, when the main run started after too short a warm-up;
  /// available from the moment the main run is confirmed.
  const std::optional<pb::FormFlag>& flag() const { return flag_; }

 private:
  WarmUpSettings settings_;
  std::optional<int64_t> first_step_us_;
  std::optional<int64_t> last_step_us_;
  bool in_stretch_ = false;
  int64_t stretch_start_us_ = 0;
  std::optional<double> warm_up_s_;
  std::optional<pb::FormFlag> flag_;
};

}  // namespace gk
