// The bundled simulated sessions in datasets/ load and analyse to their own
// truth: a check that the committed data, the readers and the engine agree,
// runnable without ../shared.
#include <gtest/gtest.h>

#include <filesystem>
#include <string>
#include <vector>

#include "event_evaluation.hpp"
#include "session.hpp"
#include "session_analysis.hpp"

namespace gk {
namespace {

namespace fs = std::filesystem;

std::vector<fs::path> bundled_sessions() {
  std::vector<fs::path> out;
  for (const fs::directory_entry& e :
       fs::directory_iterator(fs::path(GK_SOURCE_DIR) / "datasets")) {
    const std::string name = e.path().filename().string();
    if (name.rfind("sim_", 0) != 0 || name.ends_with(".truth")) continue;
    out.push_back(e.path());
  }
  std::sort(out.begin(), out.end());
  return out;
}

TEST(BundledDatasets, EachAnalysesToItsTruth) {
  const std::vector<fs::path> sessions = bundled_sessions();
  ASSERT_EQ(sessions.size(), 4u) << "datasets/ should hold the four sessions of its README";
  for (const fs::path& path : sessions) {
    SCOPED_TRACE(path.string());
    Warnings warnings;
    const Session session = load_session(path, warnings);
    EXPECT_TRUE(warnings.empty()) << warnings.front();
    const Truth truth = read_truth(truth_dir_for(path));
    ASSERT_TRUE(truth.events.has_value());
    const GaitAnalysis a = analyze_gait(session);
    const EventEvaluation e = evaluate_events(a.steps, *truth.events);
    std::printf("[datasets] %-32s F1 %.4f IC %.1f ms cadence %.2f steps/min\n",
                path.filename().string().c_str(), e.f1, e.ic_mae_ms.value_or(-1.0),
                e.cadence_mae_spm.value_or(-1.0));
    EXPECT_GE(e.f1, 0.98);
    ASSERT_TRUE(e.cadence_mae_spm.has_value());
    EXPECT_LE(*e.cadence_mae_spm, 1.0);
  }
}

}  // namespace
}  // namespace gk
