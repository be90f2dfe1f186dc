// The steps export: one row per step, a stable public interface
// (docs/formats.md). Columns:
// side,ic,to,contact_ms,flight_ms,cadence_spm,stride_m,foot_strike,shock_g,quality,
// peak_valgus_deg,knee_flexion_ic_deg,valgus_confidence,pelvic_drop_deg,hip_adduction_deg,
// tibial_inclination_deg (appended after the first ten, which never change). Times in seconds on
// the input's clock; empty cells where a value is unknown.
#pragma once

#include <filesystem>
#include <ostream>
#include <vector>

#include "step_result.hpp"

namespace gk {

void write_steps_csv(std::ostream& out, const std::vector<StepResult>& steps);
/// Atomically (temporary file + rename); throws InputError.
void write_steps_csv(const std::filesystem::path& path, const std::vector<StepResult>& steps);

}  // namespace gk
