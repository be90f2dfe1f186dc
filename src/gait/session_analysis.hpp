// Batch mode of the streaming core: a whole session pushed through the same
// GaitEngine, samples of all sensors interleaved by time as they would have
// arrived live.
#pragma once

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

}  // namespace gk
