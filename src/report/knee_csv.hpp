// The knee export: the knee-angle series, a stable public interface
// (docs/formats.md). Columns: t,side,valgus_deg,flexion_deg,confidence
// t in seconds on the input's clock; side L or R; valgus + = knee toward the
// midline on either side; confidence 0..1 for the frontal-plane angle.
#pragma once

#include <filesystem>
#include <ostream>
#include <vector>

#include "knee_tracker.hpp"

namespace gk {

void write_knee_csv(std::ostream& out, const std::vector<KneeAngleSample>& samples);
/// Atomically (temporary file + rename); throws InputError.
void write_knee_csv(const std::filesystem::path& path, const std::vector<KneeAngleSample>& samples);

}  // namespace gk
