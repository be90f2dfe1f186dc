// `gaitkeeper coach` end to end: sessions stored by `analyze`, the coach
// view served by the real program, clicked through in headless Chromium
// (index, a session's report, two sessions compared, an athlete's trend).
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <string>
#include <thread>

#include "cli_runner.hpp"

namespace gk {
namespace {

namespace fs = std::filesystem;
using test::CliRun;

fs::path root() {
  static const fs::path dir =
      fs::temp_directory_path() / ("gk_coach_test_" + std::to_string(::getpid()));
  return dir;
}

CliRun cli(const std::string& args) {
  static int n = 0;
  ++n;
  return test::run_program(GK_EXE, args, root() / ("out" + std::to_string(n) + ".txt"),
                           root() / ("err" + std::to_string(n) + ".txt"));
}

/// A running `gaitkeeper coach`, stopped with SIGINT at the end.
class CoachServer {
 public:
  CoachServer(const fs::path& db, const std::string& extra = "") {
    out_ = root() / "coach_stdout.txt";
    pid_ = fork();
    if (pid_ == 0) {
      const std::string cmd = std::string("exec ") + GK_EXE + " coach --port 0 --db " +
                              db.string() + " " + extra + " > " + out_.string() + " 2>&1";
      execl("/bin/sh", "sh", "-c", cmd.c_str(), static_cast<char*>(nullptr));
      _exit(127);
    }
    for (int i = 0; i < 200 && url_.empty(); ++i) {
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
      std::ifstream in(out_);
      std::string word;
      while (in >> word) {
        if (word.rfind("http://", 0) == 0) url_ = word;
      }
    }
  }
  ~CoachServer() { stop(); }
  int stop() {
    if (pid_ <= 0) return status_;
    ::kill(pid_, SIGINT);
    int st = 0;
    ::waitpid(pid_, &st, 0);
    pid_ = -1;
    status_ = WIFEXITED(st) ? WEXITSTATUS(st) : -1;
    return status_;
  }
  const std::string& url() const { return url_; }

 private:
  pid_t pid_ = -1;
  fs::path out_;
  std::string url_;
  int status_ = -1;
};

TEST(Coach, ClickThroughSessionsReportsPainLogAndACompareInChromium) {
  fs::remove_all(root());
  fs::create_directories(root());
  const fs::path db = root() / "coach.db";
  std::string files;
  const char* days[] = {"2026-05-04", "2026-05-11", "2026-05-18"};
  for (int i = 0; i < 3; ++i) {
    const fs::path f = root() / ("s" + std::to_string(i) + ".gkr");
    const CliRun s = cli("simulate -o " + f.string() +
                         " --sensors shoe+sleeve --rate-hz 200 --stand-s 3 --duration-s 120 "
                         "--athlete 'Ana Lima' --valgus-left-deg 12 --cadence-spm " +
                         std::to_string(160 + 6 * i) + " --start " + days[i] + " --seed " +
                         std::to_string(90 + i));
    ASSERT_EQ(s.rc, 0) << s.err;
    files += f.string() + " ";
  }
  ASSERT_EQ(cli("analyze " + files + "--db " + db.string()).rc, 0);

  CoachServer server(db);
  ASSERT_FALSE(server.url().empty()) << "coach printed no URL";
  const fs::path shots = fs::path(GK_EXE).parent_path() / "artefacts";
  fs::create_directories(shots);
  const std::string src = GK_SOURCE_DIR;
  const CliRun b =
      test::run_program("NODE_PATH=" + src + "/web/node_modules node",
                        src + "/tests/browser/coach.js " + server.url() + " " + shots.string(),
                        root() / "node_out.txt", root() / "node_err.txt");
  ASSERT_EQ(b.rc, 0) << "node + playwright-core + /usr/bin/chromium are needed (tools/setup): "
                     << b.err;
  const nlohmann::json j = nlohmann::json::parse(b.out);
  EXPECT_EQ(j["index"]["sessions"], 3);
  ASSERT_EQ(j["index"]["athletes"].size(), 1u);
  EXPECT_EQ(j["index"]["athletes"][0], "Ana Lima");
  // Newest first: the first row is the 2026-05-18 session (172 steps/min).
  EXPECT_EQ(j["session"]["url"].get<std::string>().rfind("/coach/session/", 0), 0u);
  EXPECT_GE(j["session"]["charts"].get<int>(), 4);
  bool cadence_row = false;
  for (const auto& row : j["session"]["summary"]) {
    if (row.size() == 2 && row[0] == "Cadence (median)") {
      cadence_row = true;
      EXPECT_EQ(row[1].get<std::string>().substr(0, 3), "172") << row.dump();
    }
  }
  EXPECT_TRUE(cadence_row) << j["session"].dump();
  // Compare: the newest (172) against the middle one (166): cadence -6.
  bool compared = false;
  for (const auto& row : j["compare"]["rows"]) {
    if (row.size() == 4 && row[0].get<std::string>().rfind("cadence (median)", 0) == 0) {
      compared = true;
      const double a = std::stod(row[1].get<std::string>());
      const double bb = std::stod(row[2].get<std::string>());
      EXPECT_NEAR(a, 172.0, 1.0);
      EXPECT_NEAR(bb, 166.0, 1.0);
      EXPECT_NEAR(std::stod(row[3].get<std::string>()), bb - a, 0.11);
    }
  }
  EXPECT_TRUE(compared) << j["compare"].dump();
  // Pain logged through the coach view's form, flagged, and shown in the trend.
  EXPECT_NE(j["logged"]["heading"].get<std::string>().find("Pain logged"), std::string::npos)
      << j["logged"].dump();
  ASSERT_FALSE(j["logged"]["flags"].empty()) << "6/10 is above the acceptable 5/10";
  EXPECT_NE(j["logged"]["flags"][0].get<std::string>().find("physiotherapist"), std::string::npos);
  ASSERT_EQ(j["athlete"]["painRows"].size(), 2u) << j["athlete"].dump();
  EXPECT_EQ(j["athlete"]["painRows"][1][2], "6/10");
  EXPECT_EQ(j["athlete"]["painRows"][1][3], "5/10");
  EXPECT_TRUE(j["athlete"]["hasShoes"].get<bool>());
  EXPECT_TRUE(j["athlete"]["hasPlan"].get<bool>());
  EXPECT_GE(j["athlete"]["charts"].get<int>(), 4);
  EXPECT_TRUE(j["external"].empty()) << "nothing loaded from elsewhere: " << j["external"].dump();
  EXPECT_TRUE(j["errors"].empty()) << "script errors: " << j["errors"].dump();
  EXPECT_EQ(server.stop(), 0) << "SIGINT stops the coach view cleanly";
  fs::remove_all(root());
}

TEST(Coach, TokenOffLoopbackAndMissingStoreAreRefused) {
  fs::create_directories(root());
  const CliRun open = cli("coach --bind 0.0.0.0 --db " + (root() / "x.db").string());
  EXPECT_EQ(open.rc, 2);
  EXPECT_NE(open.err.find("--token"), std::string::npos) << open.err;
  const CliRun none = cli("coach --db " + (root() / "absent.db").string());
  EXPECT_EQ(none.rc, 2);
  EXPECT_NE(none.err.find("absent.db"), std::string::npos) << none.err;
  fs::remove_all(root());
}

}  // namespace
}  // namespace gk
