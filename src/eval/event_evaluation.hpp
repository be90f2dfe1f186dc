// Comparison of detected steps with reference events (truth/events.csv):
// the figures `gaitkeeper evaluate` prints and docs/ACCURACY.md publishes.
//
// Matching: a detected IC matches a reference IC of the same side within
// 60 ms, one-to-one (closest first). A reference row without a side matches
// a detection of either side; when the reference has only one side, only
// detections of that side are compared. Cadence is compared over every run
// of 10 consecutive reference steps: reference cadence from their ICs,
// detected cadence from the detections inside the same stretch, so a missed
// or extra step shows as cadence error too.
#pragma once

#include <cstddef>
#include <optional>
#include <vector>

#include "session.hpp"
#include "step_result.hpp"

namespace gk {

struct EvaluationSettings {
  double match_window_ms = 60.0;
  size_t cadence_window_steps = 10;
  double pause_s = 2.0;  ///< reference windows with a longer step time are skipped
};

struct EventEvaluation {
  size_t steps_true = 0;
  size_t steps_detected = 0;
  size_t matched = 0;
  double precision = 0.0;
  double recall = 0.0;
  double f1 = 0.0;
  std::optional<double> ic_mae_ms;
  std::optional<double> to_mae_ms;
  std::optional<double> contact_mae_ms;
  std::optional<double> cadence_mae_spm;
  size_t cadence_windows = 0;
};

EventEvaluation evaluate_events(const std::vector<StepResult>& steps,
                                const std::vector<TruthEvent>& truth,
                                const EvaluationSettings& settings = {});

}  // namespace gk
