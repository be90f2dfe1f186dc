// Warm-up before the main run. The guidance runners with patellofemoral pain
// get is to warm up with about five minutes of brisk walking before running
// (e.g. the NHS and the American Academy of Orthopaedic Surgeons' advice on
// runner's knee). The gait engine tells walking from running, and foot
// sensors (or a treadmill) give the speed of each stride, so the check
// measures how long the runner was on their feet before the main run:
//
// - The main run starts with the first stretch of running that lasts
//   main_run_confirm_s without a walking step or a pause.
// - When the steps carry a speed, an easy jog at the start counts as warm-up
//   too: the main run then starts where the rolling median speed first
//   reaches easy_pace_ratio of the main pace (the median speed over
//   main_pace_window_s of running once the runner has settled). This needs
//   decide_after_running_s of running (or the end of the session) before
//   the answer is given.
//
// Everything from the session's first step to the main run's start is the
// warm-up. Live and batch agree: the same steps give the same answer.
#pragma once

#include <cstdint>
#include <optional>
#include <vector>

#include "gaitkeeper.pb.h"
#include "sample.hpp"  // pb:: alias
#include "step_result.hpp"

namespace gk {

struct WarmUpSettings {
  /// Shorter than this before the main run counts as no warm-up: the
  /// guidance's "about five minutes" with a minute of slack for how the
  /// first and last walking steps are timed.
  double min_warm_up_s = 240.0;
  /// Running this long without a walking step or a pause starts the main run.
  double main_run_confirm_s = 60.0;
  /// A pause longer than this between steps breaks a running stretch.
  int64_t max_step_gap_us = 5'000'000;
  /// With speeds: running below this share of the main pace is an easy jog.
  double easy_pace_ratio = 0.85;
  /// With speeds: decide after this much running (the main pace is known).
  double decide_after_running_s = 600.0;
  /// With speeds: the main pace is the median over this much running before
  /// the decision.
  double main_pace_window_s = 300.0;
  /// Rolling window for the speed compared with the main pace.
  double rolling_window_s = 30.0;
};

class WarmUpCheck {
 public:
  explicit WarmUpCheck(const WarmUpSettings& settings = {}) : settings_(settings) {}

  void push(const StepResult& step);
  /// End of the session: decide with what there is.
  void finish();
  void reset();

  /// Set once decided.
  const std::optional<double>& warm_up_s() const { return warm_up_s_; }
  /// NO_WARM_UP flag, when the main run started after too short a warm-up.
  const std::optional<pb::FormFlag>& flag() const { return flag_; }
  /// True when an easy jog (by speed) counted towards the warm-up.
  bool used_speed() const { return used_speed_; }

 private:
  struct Kept {
    int64_t t_us;
    bool running;
    double speed_mps;  ///< NaN when unknown
  };
  void decide();
  void conclude(int64_t main_start_us);

  WarmUpSettings settings_;
  std::vector<Kept> steps_;  ///< until decided; before the main run only the recent ones
  std::optional<int64_t> first_step_us_;
  std::optional<int64_t> last_step_us_;
  bool in_stretch_ = false;
  int64_t stretch_start_us_ = 0;
  std::optional<int64_t> walk_main_start_us_;  ///< by walking and pauses alone
  double running_s_ = 0.0;
  bool any_speed_ = false;
  std::optional<double> warm_up_s_;
  std::optional<pb::FormFlag> flag_;
  bool used_speed_ = false;
};

}  // namespace gk
