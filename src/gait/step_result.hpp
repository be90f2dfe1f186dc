// A finished step: the merged event and everything measured about it. This
// is what the steps CSV export (docs/formats.md) writes, one row per step.
#pragma once

#include <optional>
#include <vector>

#include "step.hpp"

namespace gk {

struct StepResult {
  DetectedStep event;
  std::optional<double> step_time_ms;  ///< IC to IC of consecutive steps (either foot)
  std::optional<double> contact_ms;    ///< IC to TO
  std::optional<double> flight_ms;     ///< previous step's TO to this IC (other foot)
  std::optional<double> swing_ms;      ///< this foot's previous TO to this IC
  std::optional<double> cadence_spm;   ///< rolling over the last 10 steps
  /// Over the same 10 steps: step-time variability (coefficient of
  /// variation, %) and the left share of the mean L + R contact time (%).
  std::optional<double> window_step_time_cv_pct;
  std::optional<double> window_contact_balance_left_pct;
  std::optional<double> stride_m;  ///< ZUPT, else treadmill speed x stride time
  pb::FootStrike foot_strike = pb::FOOT_STRIKE_UNKNOWN;
  std::optional<double> shock_g;
  // Knee sleeve (thigh + shank) of this side, once calibrated (src/knee):
  std::optional<double> peak_valgus_deg;       ///< + = knee toward the midline
  std::optional<double> valgus_excursion_deg;  ///< IC to peak
  std::optional<double> knee_flexion_ic_deg;   ///< low = straight knee at IC
  std::optional<double> peak_stance_flexion_deg;
  std::optional<double> valgus_confidence;  ///< 0..1, shown with every valgus value
  // Shank without a thigh sensor: the tibia's frontal-plane tilt (not valgus).
  std::optional<double> tibial_inclination_ic_deg;    ///< + = proximal end toward the midline
  std::optional<double> peak_tibial_inclination_deg;  ///< largest in stance
  /// Pelvis sensor: peak drop of the swing side in this stance (+ = dropped).
  std::optional<double> pelvic_drop_deg;
  /// Thigh + pelvis sensors: peak hip adduction in this stance (+ = knee toward the midline).
  std::optional<double> peak_hip_adduction_deg;

  bool operator==(const StepResult&) const = default;
};

/// One rolling window summary (per 10 steps or per minute).
struct CadenceWindow {
  int64_t t_start_us = 0;
  int64_t t_end_us = 0;
  size_t steps = 0;
  double cadence_spm = 0.0;
  double step_time_cv_pct = 0.0;                   ///< variability of step time
  std::optional<double> contact_balance_left_pct;  ///< left share of L+R contact time

  bool operator==(const CadenceWindow&) const = default;
};

/// Mean of one optional per-step value over the steps that have it; nullopt
/// when none does.
inline std::optional<double> mean_of(const std::vector<StepResult>& steps,
                                     std::optional<double> StepResult::*field) {
  double sum = 0.0;
  size_t n = 0;
  for (const StepResult& s : steps) {
    if (s.*field) {
      sum += *(s.*field);
      ++n;
    }
  }
  return n ? std::optional<double>(sum / static_cast<double>(n)) : std::nullopt;
}

}  // namespace gk
