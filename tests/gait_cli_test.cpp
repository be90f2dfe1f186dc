// End to end through the built CLI: simulate a session, analyze it into the
// steps CSV, evaluate it against its truth, and bad input (exit code 2 and a
// message naming the file).
#include <fmt/format.h>
#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>
#include <vector>

#include "cli_runner.hpp"
#include "session.hpp"

namespace gk {
namespace {

namespace fs = std::filesystem;

using test::CliRun;
using test::slurp;

class GaitCli : public ::testing::Test {
 protected:
  static fs::path root() {
    static const fs::path dir =
        fs::temp_directory_path() / ("gk_gait_cli_test_" + std::to_string(::getpid()));
    return dir;
  }
  static void SetUpTestSuite() {
    fs::remove_all(root());
    fs::create_directories(root());
  }
  static void TearDownTestSuite() { fs::remove_all(root()); }

  static CliRun cli(const std::string& args) {
    static int n = 0;
    const fs::path out = root() / ("out" + std::to_string(n) + ".txt");
    const fs::path err = root() / ("err" + std::to_string(n) + ".txt");
    ++n;
    return test::run_program(GK_EXE, args, out, err);
  }

  /// A 30 s simulated run (shoe + sleeve sensors, 200 Hz) with its truth.
  static fs::path session() {
    static const fs::path dir = [] {
      const fs::path d = root() / "run";
      const CliRun r =
          cli("simulate --out " + d.string() +
              " --duration-s 30 --rate-hz 200 --seed 7 --speed-mps 3.4 --cadence-spm 174");
      EXPECT_EQ(r.rc, 0) << r.err;
      return d;
    }();
    return dir;
  }
};

std::vector<std::string> lines_of(const std::string& text) {
  std::vector<std::string> out;
  std::istringstream in(text);
  std::string line;
  while (std::getline(in, line)) {
    if (!line.empty() && line.back() == '\r') line.pop_back();
    if (!line.empty()) out.push_back(line);
  }
  return out;
}

TEST_F(GaitCli, AnalyzeWritesTheStepsCsv) {
  const fs::path csv = root() / "steps.csv";
  const CliRun r = cli("analyze " + session().string() + " --steps-csv " + csv.string());
  ASSERT_EQ(r.rc, 0) << r.err;
  EXPECT_NE(r.out.find("steps"), std::string::npos) << r.out;
  ASSERT_TRUE(fs::exists(csv));
  const std::vector<std::string> lines = lines_of(slurp(csv));
  ASSERT_FALSE(lines.empty());
  // The first ten columns are the stable interface; the knee columns follow.
  EXPECT_EQ(lines[0],
            "side,ic,to,contact_ms,flight_ms,cadence_spm,stride_m,foot_strike,shock_g,quality,"
            "peak_valgus_deg,knee_flexion_ic_deg,valgus_confidence,pelvic_drop_deg,"
            "hip_adduction_deg,tibial_inclination_deg");
  const Truth truth = read_truth(session() / "truth");
  ASSERT_TRUE(truth.events.has_value());
  const auto rows = static_cast<long>(lines.size()) - 1;
  const auto expected = static_cast<long>(truth.events->size());
  std::printf("[cli] steps CSV rows %ld, truth contacts %ld\n", rows, expected);
  EXPECT_LE(std::labs(rows - expected), std::max(2L, expected / 50));
  // Every row has the sixteen columns.
  for (size_t i = 1; i < lines.size(); ++i) {
    EXPECT_EQ(std::count(lines[i].begin(), lines[i].end(), ','), 15) << lines[i];
  }
}

TEST_F(GaitCli, EvaluatePrintsJson) {
  const CliRun r = cli("evaluate " + session().string());
  ASSERT_EQ(r.rc, 0) << r.err;
  nlohmann::json j;
  ASSERT_NO_THROW(j = nlohmann::json::parse(r.out)) << r.out;
  for (const char* key : {"steps_true", "steps_detected", "precision", "recall", "f1", "ic_mae_ms",
                          "to_mae_ms", "contact_mae_ms", "cadence_mae_spm"}) {
    EXPECT_TRUE(j.contains(key)) << key << " missing in " << r.out;
  }
  std::printf("[cli] evaluate: %s\n", j.dump().c_str());
  ASSERT_TRUE(j["f1"].is_number());
  EXPECT_GE(j["f1"].get<double>(), 0.99);
  EXPECT_GT(j["steps_true"].get<int>(), 80);
}

// The session's data ending before its reference does (the last packets never received): the
// reference contacts after the last sample cannot be sensed, so they are left out, counted and
// said, not counted as missed. Here both feet's CSVs lose their last 1.5 s.
TEST_F(GaitCli, EvaluateLeavesOutReferenceContactsAfterTheData) {
  const fs::path d = root() / "cut_end";
  const CliRun sim = cli("simulate --out " + d.string() +
                         " --sensors feet --duration-s 30 --rate-hz 200 --seed 12");
  ASSERT_EQ(sim.rc, 0) << sim.err;
  for (const char* name : {"left_foot.csv", "right_foot.csv"}) {
    std::ifstream in(d / name);
    std::string line, kept;
    while (std::getline(in, line)) {
      if (std::isdigit(static_cast<unsigned char>(line[0])) && std::stod(line) > 28.5) break;
      kept += line + "\n";
    }
    in.close();
    std::ofstream(d / name) << kept;
  }
  const Truth truth = read_truth(d / "truth");
  ASSERT_TRUE(truth.events.has_value());
  const auto after = std::count_if(truth.events->begin(), truth.events->end(),
                                   [](const TruthEvent& t) { return t.ic_s > 28.5; });
  ASSERT_GE(after, 3);
  const CliRun r = cli("evaluate " + d.string());
  ASSERT_EQ(r.rc, 0) << r.err;
  std::printf("[cli] evaluate, data cut 1.5 s before the reference's end: %s\n", r.out.c_str());
  const nlohmann::json j = nlohmann::json::parse(r.out);
  EXPECT_EQ(j["truth_after_data_skipped"].get<long>(), after);
  EXPECT_EQ(j["steps_true"].get<long>(), static_cast<long>(truth.events->size()) - after);
  EXPECT_GE(j["f1"].get<double>(), 0.99);
  EXPECT_NE(r.err.find("come after the session's last sample"), std::string::npos) << r.err;
}

// One shoe pod: the truth holds both feet's contacts, but only the left ones
// can be sensed. They are compared alone, and the cadence (twice the stride
// rate, as the engine reports it) against the reference's step rate, not
// its stride rate. Both feet's pods: both sides compared.
TEST_F(GaitCli, EvaluateComparesTheSensedSideOfOneShoePod) {
  const auto evaluate = [&](const std::string& name, const std::string& sensors) {
    const fs::path d = root() / name;
    const CliRun sim = cli("simulate --out " + d.string() + " --sensors " + sensors +
                           " --duration-s 30 --rate-hz 200 --seed 11 --cadence-spm 168");
    EXPECT_EQ(sim.rc, 0) << sim.err;
    const CliRun r = cli("evaluate " + d.string());
    EXPECT_EQ(r.rc, 0) << r.err;
    std::printf("[cli] evaluate %s: %s\n", sensors.c_str(), r.out.c_str());
    return std::make_pair(nlohmann::json::parse(r.out), r.err);
  };
  const auto [one, one_err] = evaluate("left_pod", "left_foot");
  const Truth truth = read_truth(root() / "left_pod" / "truth");
  ASSERT_TRUE(truth.events.has_value());
  const auto left = std::count_if(truth.events->begin(), truth.events->end(),
                                  [](const TruthEvent& t) { return t.side == pb::LEFT; });
  EXPECT_EQ(one["side_compared"], "L");
  EXPECT_EQ(one["steps_true"].get<long>(), left);
  EXPECT_EQ(one["truth_other_side_skipped"].get<long>(),
            static_cast<long>(truth.events->size()) - left);
  EXPECT_GE(one["f1"].get<double>(), 0.99);
  EXPECT_LE(one["cadence_mae_spm"].get<double>(), 1.0);
  EXPECT_NE(one_err.find("every sensor is on the left side"), std::string::npos) << one_err;

  const auto [both, both_err] = evaluate("both_pods", "feet");
  EXPECT_TRUE(both["side_compared"].is_null());
  EXPECT_EQ(both["truth_other_side_skipped"].get<long>(), 0);
  EXPECT_EQ(both["steps_true"].get<size_t>(),
            read_truth(root() / "both_pods" / "truth").events->size());
}

// A data set can declare a contact its reference left out (gaitmap-walking's
// turning step): the detection there is neither a false step nor a reason
// to fault the cadence of the windows around it.
TEST_F(GaitCli, EvaluateExcusesAContactDeclaredUnlabelled) {
  const fs::path copy = root() / "unlabelled";
  fs::copy(session(), copy, fs::copy_options::recursive);
  Truth truth = read_truth(copy / "truth");
  ASSERT_TRUE(truth.events.has_value());
  const auto it = std::find_if(truth.events->begin() + 20, truth.events->end(),
                               [](const TruthEvent& e) { return e.side == pb::LEFT; });
  ASSERT_NE(it, truth.events->end());
  const TruthEvent dropped = *it;
  truth.events->erase(it);
  write_truth(copy / "truth", truth);
  const auto evaluate = [&] {
    const CliRun r = cli("evaluate " + copy.string());
    EXPECT_EQ(r.rc, 0) << r.err;
    return nlohmann::json::parse(r.out);
  };
  const nlohmann::json before = evaluate();
  EXPECT_EQ(before["steps_detected"].get<int>() - before["matched"].get<int>(), 1) << before;
  EXPECT_EQ(before["detections_unlabelled"].get<int>(), 0);
  EXPECT_GT(before["cadence_mae_spm"].get<double>(), 1.0) << before;

  nlohmann::json meta = nlohmann::json::parse(slurp(copy / "session.json"));
  meta["truth_unlabelled_contacts_s"] = nlohmann::json::array(
      {{{"side", "L"}, {"foot_still_s", {dropped.ic_s + 0.05, dropped.ic_s + 0.15}}}});
  std::ofstream(copy / "session.json") << meta.dump(2);
  const nlohmann::json after = evaluate();
  std::printf("[cli] one contact unlabelled: %s\n  declared: %s\n", before.dump().c_str(),
              after.dump().c_str());
  EXPECT_EQ(after["steps_detected"].get<int>(), after["matched"].get<int>()) << after;
  EXPECT_EQ(after["detections_unlabelled"].get<int>(), 1);
  EXPECT_GE(after["cadence_windows_unlabelled"].get<int>(), 9);
  EXPECT_LT(after["cadence_mae_spm"].get<double>(), 1.0) << after;

  // A malformed declaration is bad input naming session.json.
  meta["truth_unlabelled_contacts_s"][0]["foot_still_s"] = {3.0, 2.0};
  std::ofstream(copy / "session.json") << meta.dump(2);
  const CliRun bad = cli("evaluate " + copy.string());
  EXPECT_EQ(bad.rc, 2) << bad.err;
  EXPECT_NE(bad.err.find("session.json"), std::string::npos) << bad.err;
  EXPECT_NE(bad.err.find("foot_still_s"), std::string::npos) << bad.err;
}

TEST_F(GaitCli, MissingSessionIsBadInput) {
  const std::string missing = (root() / "no_such_session").string();
  for (const char* cmd : {"analyze ", "evaluate "}) {
    const CliRun r = cli(cmd + missing);
    EXPECT_EQ(r.rc, 2) << cmd << r.err;
    EXPECT_NE((r.out + r.err).find("no_such_session"), std::string::npos)
        << cmd << ": message does not name the path:\n"
        << r.err;
  }
}

TEST_F(GaitCli, MissingTruthIsBadInput) {
  const fs::path copy = root() / "no_truth";
  fs::copy(session(), copy, fs::copy_options::recursive);
  fs::remove_all(copy / "truth");
  const CliRun r = cli("evaluate " + copy.string());
  EXPECT_EQ(r.rc, 2) << r.err;
  EXPECT_NE(r.err.find("events.csv"), std::string::npos) << r.err;
  // analyze does not need the truth.
  EXPECT_EQ(cli("analyze " + copy.string()).rc, 0);
}

TEST_F(GaitCli, MissingSessionJsonIsBadInput) {
  const fs::path copy = root() / "no_json";
  fs::copy(session(), copy, fs::copy_options::recursive);
  fs::remove(copy / "session.json");
  const CliRun r = cli("analyze " + copy.string());
  EXPECT_EQ(r.rc, 2) << r.err;
  EXPECT_NE(r.err.find("session.json"), std::string::npos) << r.err;
}

// A recording with its header and no samples (a capture that never received a packet) is bad
// input, not an empty session to store.
TEST_F(GaitCli, RecordingWithoutSamplesIsBadInput) {
  Warnings w;
  Session s = load_session(session(), w);
  for (SensorStream& stream : s.sensors) stream.samples.clear();
  const fs::path empty = root() / "empty.gkr";
  write_recording(empty, s);
  const CliRun r = cli("analyze " + empty.string() + " --no-store");
  EXPECT_EQ(r.rc, 2) << r.out << r.err;
  EXPECT_NE(r.err.find("empty.gkr: holds no samples to analyse"), std::string::npos) << r.err;
  EXPECT_EQ(r.err.find("empty.gkr: " + empty.string()), std::string::npos) << "named twice";
}

// A session folder whose left shoe logged "nan" for half a second: analysed end to end, the
// stretch said in the file (its line) and in time (the engine's warning), the file named once,
// and the steps away from the stretch all there.
TEST_F(GaitCli, NanReadingsInACsvAreAnalysedAndMarked) {
  const fs::path dir = root() / "nan_run";
  fs::remove_all(dir);
  fs::copy(session(), dir, fs::copy_options::recursive);
  const fs::path shoe = dir / "left_foot.csv";
  std::istringstream in(slurp(shoe));
  std::string text, line;
  size_t blanked = 0, first_line = 0, n = 0;
  while (std::getline(in, line)) {
    ++n;
    const double t = n == 1 ? -1.0 : std::stod(line.substr(0, line.find(',')));
    if (t >= 10.0 && t < 10.5) {
      line = line.substr(0, line.find(',')) + ",nan,nan,nan,nan,nan,nan";
      if (blanked++ == 0) first_line = n;
    }
    text += line + "\n";
  }
  ASSERT_EQ(blanked, 100u);
  std::ofstream(shoe, std::ios::binary | std::ios::trunc) << text;

  const fs::path csv = root() / "nan_steps.csv";
  const CliRun r = cli("analyze " + dir.string() + " --no-store --steps-csv " + csv.string());
  ASSERT_EQ(r.rc, 0) << r.err;
  EXPECT_NE(r.err.find("warning: " + shoe.string() +
                       ": 100 samples hold NaN or infinite "
                       "readings, the first on line " +
                       std::to_string(first_line)),
            std::string::npos)
      << r.err;
  EXPECT_NE(r.err.find("left_foot: 100 NaN/infinite samples skipped (first at 10.000 s)"),
            std::string::npos)
      << r.err;
  const CliRun e = cli("evaluate " + dir.string());
  ASSERT_EQ(e.rc, 0) << e.err;
  const auto j = nlohmann::json::parse(e.out);
  // The right shoe and the shanks still see the contacts inside the stretch.
  EXPECT_GE(j["f1"].get<double>(), 0.99) << e.out;
}

// Every sensor's clock steps back 0.3 s at 15 s (a device hub whose clock was set back): read,
// said in each file (its line) and in time (the engine), the 0.3 s that repeat earlier times
// skipped, and every step away from the step-back the same as on the true clock.
TEST_F(GaitCli, ATimeThatStepsBackInACsvIsAnalysedAndMarked) {
  const fs::path dir = root() / "back_run";
  fs::remove_all(dir);
  fs::copy(session(), dir, fs::copy_options::recursive);
  size_t first_line = 0;
  for (const fs::directory_entry& f : fs::directory_iterator(dir)) {
    if (f.path().extension() != ".csv") continue;
    std::istringstream in(slurp(f.path()));
    std::string text, line;
    size_t n = 0;
    while (std::getline(in, line)) {
      ++n;
      const size_t comma = line.find(',');
      if (n > 1 && std::stod(line.substr(0, comma)) >= 15.0) {
        line = fmt::format("{:.6f}", std::stod(line.substr(0, comma)) - 0.3) + line.substr(comma);
        if (first_line == 0) first_line = n;
      }
      text += line + "\n";
    }
    std::ofstream(f.path(), std::ios::binary | std::ios::trunc) << text;
  }
  ASSERT_GT(first_line, 0u);

  const fs::path steps = root() / "back_steps.csv";
  const CliRun r = cli("analyze " + dir.string() + " --no-store --steps-csv " + steps.string());
  ASSERT_EQ(r.rc, 0) << r.err;
  const fs::path shoe = dir / "left_foot.csv";
  EXPECT_NE(r.err.find("warning: " + shoe.string() +
                       ": time does not advance on 60 lines, the "
                       "first on line " +
                       std::to_string(first_line)),
            std::string::npos)
      << r.err;
  EXPECT_NE(r.err.find("left_foot: 60 samples with time not after the previous one skipped "
                       "(first at 14.700 s)"),
            std::string::npos)
      << r.err;
  const fs::path clean = root() / "clean_steps.csv";
  ASSERT_EQ(cli("analyze " + session().string() + " --no-store --steps-csv " + clean.string()).rc,
            0);
  // Side and IC of each step away from the step-back, on the true clock. The stretch itself is
  // inconsistent data (its time runs on while its motion jumps 0.3 s back): a step there may be
  // lost or misplaced. Later steps keep the detectors' state from before, so their placement
  // may move by a fraction of a sample period.
  const auto away = [](const fs::path& csv, double shift_s) {
    std::vector<std::pair<std::string, double>> out;
    const std::vector<std::string> rows = lines_of(slurp(csv));
    for (size_t i = 1; i < rows.size(); ++i) {
      const size_t a = rows[i].find(','), b = rows[i].find(',', a + 1);
      double ic = std::stod(rows[i].substr(a + 1, b - a - 1));
      if (ic >= 14.7) ic += shift_s;
      if (ic < 14.0 || ic > 16.0) out.emplace_back(rows[i].substr(0, a), ic);
    }
    return out;
  };
  const auto expected = away(clean, 0.0);
  const auto got = away(steps, 0.3);
  EXPECT_GT(expected.size(), 60u);
  ASSERT_EQ(got.size(), expected.size());
  for (size_t i = 0; i < got.size(); ++i) {
    EXPECT_EQ(got[i].first, expected[i].first) << i;
    EXPECT_NEAR(got[i].second, expected[i].second, 0.002) << i;
  }

  // Made into a recording, the file keeps the samples behind the clock (only a NaN has no int16
  // counts), and the recording is analysed as the CSV is: the same contacts, within the
  // recording's int16 rounding.
  const fs::path gkr = root() / "back_run.gkr";
  const CliRun imported = cli("import " + dir.string() + " " + gkr.string());
  ASSERT_EQ(imported.rc, 0) << imported.err;
  EXPECT_EQ(imported.out.find("left out"), std::string::npos) << imported.out;
  const fs::path gkr_steps = root() / "back_gkr_steps.csv";
  const CliRun g = cli("analyze " + gkr.string() + " --no-store --steps-csv " + gkr_steps.string());
  ASSERT_EQ(g.rc, 0) << g.err;
  EXPECT_NE(g.err.find("left_foot: 60 samples with time not after the previous one skipped "
                       "(first at 14.700 s)"),
            std::string::npos)
      << g.err;
  const auto from_gkr = away(gkr_steps, 0.3);
  ASSERT_EQ(from_gkr.size(), got.size());
  for (size_t i = 0; i < got.size(); ++i) {
    EXPECT_EQ(from_gkr[i].first, got[i].first) << i;
    EXPECT_NEAR(from_gkr[i].second, got[i].second, 0.001) << i;
  }
}

// Options are checked finite and in range before anything runs or is written (CLI11's own range
// check lets "nan" through).
TEST_F(GaitCli, NonFiniteOptionIsBadInput) {
  const fs::path out = root() / "nan_run";
  const CliRun r = cli("simulate --out " + out.string() + " --duration-s nan");
  EXPECT_EQ(r.rc, 2) << r.err;
  EXPECT_NE(r.err.find("--duration-s: nan is not a finite number"), std::string::npos) << r.err;
  EXPECT_FALSE(fs::exists(out));
  const CliRun neg = cli("simulate --out " + out.string() + " --seed -1");
  EXPECT_EQ(neg.rc, 2) << neg.err;
  EXPECT_FALSE(fs::exists(out));
}

}  // namespace
}  // namespace gk
