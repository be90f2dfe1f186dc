// Fatigue drift: how cadence, contact time and knee valgus changed between
// the first and the last third of the running in a session. Runners' form
// degrades with fatigue (cadence falls, contact time and frontal-plane knee
// motion rise; e.g. Dierks 2008 for runners with patellofemoral pain), so a
// clear change is worth a flag even when every value stays under its own
// threshold.
#pragma once

#include <cstdint>
#include <optional>
#include <vector>

#include "assess_profile.hpp"
#include "gaitkeeper.pb.h"
#include "sample.hpp"  // pb:: alias

namespace gk {

/// What the drift check keeps of each running step.
struct DriftStep {
  int64_t t_us = 0;
  double running_s = 0.0;  ///< running time at this step
  pb::Side side = pb::SIDE_UNKNOWN;
  std::optional<double> cadence_spm;
  std::optional<double> contact_ms;
  std::optional<double> peak_valgus_deg;  ///< only when its confidence passed the threshold
};

/// Flags for a run of at least thresholds.drift_min_running_s: one
/// FATIGUE_DRIFT flag when cadence fell or contact time rose past the
/// thresholds, and one KNEE_VALGUS flag per side whose valgus rose.
std::vector<pb::FormFlag> assess_drift(const std::vector<DriftStep>& steps,
                                       const FormThresholds& thresholds);

}  // namespace gk
