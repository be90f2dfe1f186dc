// Distance covered in a session, for shoe mileage and weekly volume: the
// foot sensors' zero-velocity-update speed integrated over the time between
// steps, or the treadmill's belt speed over the time on foot when no step
// carries a speed. Pauses longer than max_step_gap_us add nothing.
#pragma once

#include <cstdint>
#include <optional>
#include <vector>

#include "step_result.hpp"

namespace gk {

struct DistanceSettings {
  int64_t max_step_gap_us = 3'000'000;  ///< longer gaps are pauses, not travel
};

/// nullopt when neither the steps nor the treadmill tell a speed.
std::optional<double> session_distance_m(const std::vector<StepResult>& steps,
                                         std::optional<double> treadmill_speed_mps,
                                         const DistanceSettings& settings = {});

}  // namespace gk
