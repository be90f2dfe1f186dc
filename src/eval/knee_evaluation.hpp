// Comparison of the knee-angle series and the per-step knee values with a
// reference (truth/knee.csv): the knee figures `gaitkeeper evaluate` prints
// and docs/ACCURACY.md publishes.
//
// Series: every reference sample of a side is compared with the estimate of
// that side interpolated to its time (when an estimate lies within
// max_gap_ms on both sides of it). Per step: each step's peak stance valgus
// against the reference peak over the same stance window (IC to TO, or IC +
// the knee stage's default stance), so the event timing does not enter.
#pragma once

#include <cstddef>
#include <optional>
#include <vector>

#include "knee_tracker.hpp"
#include "session.hpp"
#include "step_result.hpp"

namespace gk {

struct KneeEvaluationSettings {
  double max_gap_ms = 25.0;
  double default_stance_ms = 250.0;  ///< as KneeStageSettings
  /// Share of the compared span at the start and at the end whose mean
  /// valgus errors are compared for drift.
  double drift_share = 0.1;
};

struct KneeEvaluation {
  size_t samples_true = 0;
  size_t samples_compared = 0;
  std::optional<double> valgus_rmse_deg;
  std::optional<double> flexion_rmse_deg;
  std::optional<double> valgus_bias_deg;  ///< mean of estimate - reference
  std::optional<double> flexion_bias_deg;
  /// Mean valgus error over the last drift_share of the run minus that over the first.
  std::optional<double> valgus_drift_deg;
  std::optional<double> mean_confidence;
  size_t steps_compared = 0;
  std::optional<double> peak_valgus_mae_deg;
  std::optional<double> peak_valgus_max_error_deg;
};

KneeEvaluation evaluate_knee(const std::vector<KneeAngleSample>& estimate,
                             const std::vector<StepResult>& steps,
                             const std::vector<TruthKnee>& truth,
                             const KneeEvaluationSettings& settings = {});

}  // namespace gk
