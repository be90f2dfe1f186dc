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
    // The IC target (5 ms) holds at 200 Hz and above. The 100 Hz session walks for its
    // first 10 s, and a walking IC is the heel rocker's onset, which motion capture puts about
    // 11 ms before the heel strike the simulator reports (docs/ACCURACY.md, gaitmap-walking);
    // measured 11.0 ms on it.
    double rate_hz = 1e9;
    for (const SensorStream& s : session.sensors)
      rate_hz = std::min(rate_hz, s.info.nominal_rate_hz());
    ASSERT_TRUE(e.ic_mae_ms.has_value());
    EXPECT_LE(*e.ic_mae_ms, rate_hz >= 200.0 ? 5.0 : 15.0) << rate_hz << " Hz";
  }
}

}  // namespace
}  // namespace gk
