// `gaitkeeper import` and `gaitkeeper export` as a user runs them: the built
// executable on a small hand-written CSV session.
#include <fmt/format.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <numbers>
#include <string>
#include <vector>

#include "packetizer.hpp"
#include "session.hpp"
#include "temp_dir.hpp"

namespace gk {
namespace {

namespace fs = std::filesystem;
using ::testing::HasSubstr;

using test::TempDir;
using test::write_text;

struct CliRun {
  int exit_code = -1;
  std::string output;  ///< stdout and stderr together
};

std::string quote(const fs::path& p) { return "'" + p.string() + "'"; }

CliRun run_cli(const std::string& args) {
  const std::string cmd = fmt::format("'{}' {} 2>&1", GK_EXE, args);
  CliRun r;
  FILE* pipe = ::popen(cmd.c_str(), "r");
  if (pipe == nullptr) return r;
  char buf[4096];
  size_t n = 0;
  while ((n = std::fread(buf, 1, sizeof buf, pipe)) > 0) r.output.append(buf, n);
  const int status = ::pclose(pipe);
  r.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  return r;
}

/// Two sensors in mixed units plus ground truth, as someone might write by hand.
void write_hand_session(const fs::path& dir) {
  write_text(dir / "session.json", R"({
  "athlete": "hand_runner",
  "activity": "running",
  "treadmill_speed_mps": 3.0,
  "sensors": [
    {"file": "shoe.csv", "placement": "left_foot"},
    {"file": "clip.csv", "placement": "pelvis"}
  ]
})");
  std::string shoe = "t[ms],ax[g],ay[g],az[g],gx[deg/s],gy[deg/s],gz[deg/s]\n";
  std::string clip = "t[s],az[m/s^2],ax[m/s^2],ay[m/s^2],note\n";
  for (int i = 0; i < 200; ++i) {
    const double t_s = i * 0.005;
    const double phase = 2.0 * std::numbers::pi * 1.4 * t_s;
    shoe += fmt::format("{:.1f},{:.4f},{:.4f},{:.4f},{:.2f},{:.2f},{:.2f}\n", t_s * 1e3,
                        0.2 * std::sin(phase), 0.1, 1.0 + 1.5 * std::cos(phase),
                        300.0 * std::sin(phase), 20.0, -45.0 * std::cos(phase));
    clip += fmt::format("{:.3f},{:.4f},{:.4f},0,ok\n", t_s, 9.81 + 4.0 * std::sin(2 * phase),
                        1.0 * std::cos(phase));
  }
  write_text(dir / "shoe.csv", shoe);
  write_text(dir / "clip.csv", clip);
  write_text(dir / "truth" / "events.csv", "side,ic,to\nL,0.1,0.32\nR,0.45,0.66\nL,0.8,\n");
}

void expect_close(const Session& a, const Session& b) {
  ASSERT_EQ(a.sensors.size(), b.sensors.size());
  for (size_t i = 0; i < a.sensors.size(); ++i) {
    const auto& x = a.sensors[i];
    const auto& y = b.sensors[i];
    EXPECT_EQ(x.info.placement(), y.info.placement());
    ASSERT_EQ(x.samples.size(), y.samples.size());
    const double alsb = accel_lsb_mps2(x.info.accel_range_g());
    const double glsb = x.info.gyro_range_dps() ? gyro_lsb_rps(x.info.gyro_range_dps()) : 0.0;
    for (size_t k = 0; k < x.samples.size(); ++k) {
      ASSERT_EQ(x.samples[k].t_us, y.samples[k].t_us);
      ASSERT_LE((x.samples[k].acc_mps2 - y.samples[k].acc_mps2).cwiseAbs().maxCoeff(),
                0.5 * alsb + 1e-6);
      ASSERT_LE((x.samples[k].gyr_rps - y.samples[k].gyr_rps).cwiseAbs().maxCoeff(),
                0.5 * glsb + 1e-7);
    }
  }
}

TEST(CliIo, ImportThenExportRoundTrip) {
  TempDir tmp;
  const fs::path src = tmp / "hand_session";
  write_hand_session(src);

  const CliRun imp = run_cli(fmt::format("import {} {}", quote(src), quote(tmp / "run.gkr")));
  ASSERT_EQ(imp.exit_code, 0) << imp.output;
  EXPECT_THAT(imp.output, HasSubstr("left_foot"));
  EXPECT_THAT(imp.output, HasSubstr("pelvis"));
  EXPECT_THAT(imp.output, HasSubstr("200 samples"));
  EXPECT_TRUE(fs::exists(tmp / "run.gkr"));
  EXPECT_TRUE(fs::exists(tmp / "run.truth" / "events.csv"));

  const CliRun exp =
      run_cli(fmt::format("export {} {}", quote(tmp / "run.gkr"), quote(tmp / "back")));
  ASSERT_EQ(exp.exit_code, 0) << exp.output;
  EXPECT_THAT(exp.output, HasSubstr("shoe.csv"));
  EXPECT_THAT(exp.output, HasSubstr("clip.csv"));
  EXPECT_TRUE(fs::exists(tmp / "back" / "session.json"));
  EXPECT_TRUE(fs::exists(tmp / "back" / "truth" / "events.csv"));

  Warnings w;
  const Session original = read_csv_session(src, w);
  const Session back = read_csv_session(tmp / "back", w);
  EXPECT_THAT(w, ::testing::IsEmpty());
  EXPECT_EQ(back.header.athlete(), "hand_runner");
  EXPECT_EQ(back.header.activity(), pb::RUNNING);
  EXPECT_FALSE(back.sensors[1].samples[0].has_gyro);
  expect_close(original, back);
  const Truth truth = read_truth(tmp / "back" / "truth");
  ASSERT_TRUE(truth.events.has_value());
  EXPECT_EQ(truth.events->size(), 3u);

  // A CSV folder exports directly too.
  const CliRun exp2 = run_cli(fmt::format("export {} {}", quote(src), quote(tmp / "copy")));
  ASSERT_EQ(exp2.exit_code, 0) << exp2.output;
  expect_close(original, read_csv_session(tmp / "copy", w));
}

TEST(CliIo, BadCsvFailsWithFileLineAndWritesNothing) {
  TempDir tmp;
  const fs::path src = tmp / "bad_session";
  write_hand_session(src);
  std::string clip = "t[s],ax,ay,az\n0,0,0,9.8\n0.01,0,zero,9.8\n";
  write_text(src / "clip.csv", clip);

  const CliRun r = run_cli(fmt::format("import {} {}", quote(src), quote(tmp / "out.gkr")));
  EXPECT_EQ(r.exit_code, 2) << r.output;
  EXPECT_THAT(r.output, HasSubstr(fmt::format("error: {}:3: column ay: 'zero'",
                                              (src / "clip.csv").string())));
  EXPECT_FALSE(fs::exists(tmp / "out.gkr"));
  EXPECT_FALSE(fs::exists(tmp / "out.truth"));
  for (const auto& e : fs::directory_iterator(tmp.path())) {
    EXPECT_EQ(e.path().filename(), "bad_session") << "left behind: " << e.path();
  }
}

// An export that cannot write one of its files writes none of them (a folder sits where the
// second sensor's CSV should go): no CSV beside it, no session.json; a folder it made is removed.
TEST(CliIo, ExportThatFailsPartWayWritesNothing) {
  TempDir tmp;
  const fs::path src = tmp / "hand_session";
  write_hand_session(src);
  ASSERT_EQ(run_cli(fmt::format("import {} {}", quote(src), quote(tmp / "run.gkr"))).exit_code, 0);
  const fs::path out = tmp / "out";
  fs::create_directories(out / "clip.csv");  // the pelvis stream's file (its source's name)
  const CliRun r = run_cli(fmt::format("export {} {}", quote(tmp / "run.gkr"), quote(out)));
  EXPECT_EQ(r.exit_code, 2) << r.output;
  EXPECT_THAT(r.output, HasSubstr("clip.csv: is a folder"));
  std::vector<std::string> left;
  for (const auto& e : fs::directory_iterator(out)) left.push_back(e.path().filename().string());
  EXPECT_EQ(left, std::vector<std::string>{"clip.csv"}) << "only what was there before";
  const CliRun fresh =
      run_cli(fmt::format("export {} {}", quote(tmp / "run.gkr"), quote(tmp / "new" / "x")));
  EXPECT_EQ(fresh.exit_code, 0) << fresh.output;
}

TEST(CliIo, MissingInputsAndUsage) {
  TempDir tmp;
  const CliRun missing =
      run_cli(fmt::format("import {} {}", quote(tmp / "nope"), quote(tmp / "o.gkr")));
  EXPECT_EQ(missing.exit_code, 2);
  EXPECT_THAT(missing.output, HasSubstr("error: "));
  EXPECT_THAT(missing.output, HasSubstr("nope"));

  write_text(tmp / "fake.gkr", "not a recording");
  const CliRun fake =
      run_cli(fmt::format("export {} {}", quote(tmp / "fake.gkr"), quote(tmp / "o")));
  EXPECT_EQ(fake.exit_code, 2);
  EXPECT_THAT(fake.output, HasSubstr("wrong magic"));
  EXPECT_FALSE(fs::exists(tmp / "o"));

  EXPECT_EQ(run_cli("import").exit_code, 2);
  const CliRun help = run_cli("import --help");
  EXPECT_EQ(help.exit_code, 0);
  EXPECT_THAT(help.output, HasSubstr("CSV_FOLDER"));
  EXPECT_THAT(run_cli("export --help").output, HasSubstr("OUT_FOLDER"));
}

}  // namespace
}  // namespace gk
