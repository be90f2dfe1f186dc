// Batch mode of the streaming core: a whole session pushed through the same
// GaitEngine, samples of all sensors interleaved by time as they would have
// arrived live.
#pragma once

#include <filesystem>
#include <string>
#include <vector>

#include "gait_engine.hpp"
#include "session.hpp"

namespace gk {

struct GaitAnalysis {
  std::vector<StepResult> steps;
  std::vector<CadenceWindow> minutes;
  std::vector<KneeAngleSample> knee;  ///< both legs, 100 Hz, in production order
  std::vector<std::string> warnings;
  bool one_foot_only = false;
  double duration_s = 0.0;
};

GaitAnalysis analyze_gait(const Session& session, const EngineSettings& settings = {});

/// A .gkr recording streamed packet by packet through the engine in the
/// order it was received (never loaded whole), as a live link delivers it;
/// the header is copied to header_out. Packets repeated with the same
/// sequence number are skipped, packets of devices the header does not list
/// are skipped, and both are reported in warnings, as is a truncated tail.
/// keep_knee_series = false drops the 100 Hz knee series (batch storage
/// keeps only per-step knee values).
GaitAnalysis analyze_recording(const std::filesystem::path& path, pb::SessionHeader& header_out,
                               const EngineSettings& settings = {}, bool keep_knee_series = true);

}  // namespace gk
