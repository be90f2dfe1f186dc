// `gaitkeeper live` end to end, as separate processes over real transports:
// the emulator (device firmware on a fake IMU) streams over a real
// pseudo-terminal into `gaitkeeper live`, whose dashboard is driven in Debian's
// headless Chromium (tests/browser/live_dashboard.mjs); a SIGKILL in the middle
// of a session must leave a recording complete up to the last second; the
// dashboard refuses requests without the token off loopback; a stdout that is
// not a terminal gets one plain line per update.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <poll.h>
#include <pty.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <boost/asio.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <map>
#include <nlohmann/json.hpp>
#include <string>
#include <thread>
#include <vector>

#include "cli_runner.hpp"
#include "live_pipeline.hpp"
#include "recording.hpp"
#include "replay_source.hpp"
#include "session.hpp"
#include "session_analysis.hpp"
#include "simulator.hpp"

extern char** environ;

namespace {

namespace fs = std::filesystem;
using namespace std::chrono_literals;

const std::string kExe = GK_EXE;
const std::string kEmulator = GK_EMULATOR_EXE;
const fs::path kSource = GK_SOURCE_DIR;

using Dir = gk::test::CliScratch;

int64_t now_unix_us() {
  return std::chrono::duration_cast<std::chrono::microseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

/// A child process whose stdout is read line by line (stderr to a file).
class Child {
 public:
  Child(std::vector<std::string> args, const fs::path& err_file) {
    int fds[2];
    EXPECT_EQ(::pipe(fds), 0);
    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_adddup2(&fa, fds[1], STDOUT_FILENO);
    posix_spawn_file_actions_addclose(&fa, fds[0]);
    posix_spawn_file_actions_addopen(&fa, STDERR_FILENO, err_file.c_str(),
                                     O_WRONLY | O_CREAT | O_TRUNC, 0644);
    std::vector<char*> argv;
    for (std::string& a : args) argv.push_back(a.data());
    argv.push_back(nullptr);
    EXPECT_EQ(posix_spawn(&pid_, argv[0], &fa, nullptr, argv.data(), environ), 0) << args[0];
    posix_spawn_file_actions_destroy(&fa);
    ::close(fds[1]);
    fd_ = fds[0];
  }
  ~Child() {
    if (pid_ > 0) {
      ::kill(pid_, SIGKILL);
      wait();
    }
    if (fd_ >= 0) ::close(fd_);
  }

  /// Next stdout line, or nullopt at the end or after timeout.
  std::optional<std::string> line(std::chrono::milliseconds timeout = 30s) {
    const auto until = std::chrono::steady_clock::now() + timeout;
    for (;;) {
      const auto nl = buf_.find('\n');
      if (nl != std::string::npos) {
        std::string l = buf_.substr(0, nl);
        buf_.erase(0, nl + 1);
        all_ += l + "\n";
        return l;
      }
      const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
          until - std::chrono::steady_clock::now());
      if (left.count() <= 0) return std::nullopt;
      pollfd p{fd_, POLLIN, 0};
      if (::poll(&p, 1, static_cast<int>(left.count())) <= 0) return std::nullopt;
      char tmp[4096];
      const ssize_t n = ::read(fd_, tmp, sizeof tmp);
      if (n <= 0) return std::nullopt;
      buf_.append(tmp, static_cast<size_t>(n));
    }
  }
  /// Reads until a line starts with prefix; returns the rest of that line.
  std::string wait_for(const std::string& prefix, std::chrono::milliseconds timeout = 30s) {
    while (auto l = line(timeout)) {
      if (l->rfind(prefix, 0) == 0) return l->substr(prefix.size());
    }
    return "";
  }
  /// Reads stdout to the end (so the child never blocks on a full pipe).
  std::string drain() {
    while (line(60s)) {
    }
    return all_;
  }
  void signal(int sig) { ::kill(pid_, sig); }
  /// Exit code, or -signal.
  int wait() {
    int status = 0;
    ::waitpid(pid_, &status, 0);
    pid_ = -1;
    return WIFEXITED(status) ? WEXITSTATUS(status) : -WTERMSIG(status);
  }

 private:
  pid_t pid_ = -1;
  int fd_ = -1;
  std::string buf_;
  std::string all_;
};

/// Packets of a recording per device (sequence numbers in file order), the
/// last journaled arrival time and the reader's warning.
struct Readback {
  std::map<uint32_t, std::vector<uint32_t>> sequences;
  int64_t first_rx_us = INT64_MAX;
  int64_t last_rx_us = 0;
  uint64_t packets = 0;
  std::string warning;
};

Readback read_back(const fs::path& file) {
  Readback r;
  gk::RecordingReader reader(file);
  while (auto e = reader.next_entry()) {
    if (e->has_packet()) {
      r.sequences[e->packet().device_id()].push_back(e->packet().sequence());
      ++r.packets;
    } else {
      r.first_rx_us = std::min(r.first_rx_us, e->link_chunk().host_rx_us());
      r.last_rx_us = std::max(r.last_rx_us, e->link_chunk().host_rx_us());
    }
  }
  r.warning = reader.warning();
  return r;
}

/// Every device's packets are consecutive: nothing lost in the middle.
void expect_contiguous(const Readback& r) {
  for (const auto& [dev, seqs] : r.sequences) {
    ASSERT_FALSE(seqs.empty());
    for (size_t i = 1; i < seqs.size(); ++i) {
      ASSERT_EQ(seqs[i], seqs[i - 1] + 1) << "device " << dev << " packet " << i;
    }
  }
}

/// Truth cadence at time t_s as the engine computes it: the last 10 initial
/// contacts (both feet) up to t_s, 9 intervals.
double truth_cadence(const gk::Truth& truth, double t_s) {
  std::vector<double> ic;
  for (const gk::TruthEvent& e : *truth.events) {
    if (e.ic_s <= t_s + 0.02) ic.push_back(e.ic_s);
  }
  std::sort(ic.begin(), ic.end());
  EXPECT_GE(ic.size(), 10u);
  if (ic.size() < 10) return 0.0;
  return 60.0 * 9.0 / (ic.back() - ic[ic.size() - 10]);
}

TEST(LiveDashboard, EmulatorOverPtyIntoHeadlessChromium) {
  Dir dir("live_e2e");
  // A treadmill run with a fault: the left knee collapses inward (14 deg
  // peak valgus, threshold 10); shoes and knee sleeves at 200 Hz.
  const fs::path run = dir.dir() / "run.gkr";
  ASSERT_EQ(std::system((kExe + " simulate --out " + run.string() +
                         " --duration-s 60 --stand-s 3 --speed-mps 3 --cadence-spm 160 "
                         "--sensors shoe+sleeve --rate-hz 200 --valgus-left-deg 14 --seed 5 "
                         "> /dev/null")
                            .c_str()),
            0);
  // Short debounce so the flag is raised within a test's time; a preferred
  // cadence so the recommendation (and the metronome's BPM) exist at once.
  const fs::path profile = dir.dir() / "profile.toml";
  {
    std::ofstream p(profile);
    p << "[athlete]\npreferred_cadence_spm = 160.0\n[thresholds]\nwarm_up_s = 5.0\n"
         "min_duration_s = 4.0\n";
  }
  const fs::path tty = dir.dir() / "ttyGK";
  Child emulator(
      {kEmulator, "--recording", run.string(), "--pty", "--pty-link", tty.string(), "--speed", "2"},
      dir.dir() / "emulator.err");
  ASSERT_EQ(emulator.wait_for("/dev/pts/").empty(), false);
  Child live({kExe, "live", "--serial", tty.string(), "--port", "0", "--profile", profile.string(),
              "-o", (dir.dir() / "live.gkr").string(), "--plain", "--refresh-s", "0.25",
              "--idle-timeout", "3", "--athlete", "e2e"},
             dir.dir() / "live.err");
  const std::string url = live.wait_for("dashboard: ");
  ASSERT_EQ(url.rfind("http://127.0.0.1:", 0), 0u) << url;

  const fs::path shot = fs::path(GK_BINARY_DIR) / "live_dashboard.png";
  fs::remove(shot);
  // The terminal keeps printing while the browser looks: read it on the side.
  std::string terminal;
  std::thread reader([&] { terminal = live.drain(); });
  const gk::test::CliRun page =
      gk::test::run_program("node",
                            (kSource / "tests/browser/live_dashboard.mjs").string() + " '" + url +
                                "' KNEE_VALGUS " + shot.string(),
                            dir.dir() / "page.out", dir.dir() / "page.err");
  emulator.signal(SIGTERM);
  live.signal(SIGINT);
  reader.join();
  EXPECT_EQ(live.wait(), 0) << gk::test::slurp(dir.dir() / "live.err");
  emulator.wait();
  ASSERT_EQ(page.rc, 0) << page.out << page.err;
  const nlohmann::json j = nlohmann::json::parse(page.out);

  const gk::Truth truth = gk::read_truth(gk::truth_dir_for(run));
  ASSERT_TRUE(truth.events.has_value());
  const double truth_spm = truth_cadence(truth, j["last_step_t_s"].get<double>());
  EXPECT_NEAR(j["cadence_shown"].get<double>(), truth_spm, 1.0) << page.out;
  EXPECT_NEAR(j["cadence_status"].get<double>(), j["cadence_shown"].get<double>(), 0.051);
  bool valgus = false;
  for (const auto& f : j["flags"])
    valgus |= f.get<std::string>().find("left knee valgus") != std::string::npos;
  EXPECT_TRUE(valgus) << page.out;
  EXPECT_NE(j["not_a_diagnosis"].get<std::string>().find("not a medical diagnosis"),
            std::string::npos);
  EXPECT_EQ(j["metronome"]["state"], "running") << page.out;
  EXPECT_TRUE(j["metronome"]["running"].get<bool>());
  // 1.5 s at ~170 BPM with 0.1 s of look-ahead: at least 4 clicks scheduled.
  EXPECT_GE(j["metronome"]["ticks"].get<int>(), 4) << page.out;
  EXPECT_GT(j["metronome"]["audio_time_s"].get<double>(), 1.0);
  EXPECT_TRUE(fs::exists(shot));
  EXPECT_GT(fs::file_size(shot), 20000u);
  // The terminal saw the same flag, with the sentence that goes with flags.
  EXPECT_NE(terminal.find("left knee valgus"), std::string::npos);
  EXPECT_NE(terminal.find("not a medical diagnosis"), std::string::npos);
  EXPECT_NE(terminal.find("recording: " + (dir.dir() / "live.gkr").string()), std::string::npos);
}

TEST(LiveSession, SigkillLeavesTheRecordingCompleteUpToTheLastSecond) {
  Dir dir("live_kill");
  const fs::path tty = dir.dir() / "ttyGK";
  Child emulator({kEmulator, "--simulate", "60", "--sensors", "feet", "--rate", "1000", "--pty",
                  "--pty-link", tty.string(), "--speed", "1"},
                 dir.dir() / "emulator.err");
  ASSERT_FALSE(emulator.wait_for("/dev/pts/").empty());
  const fs::path first = dir.dir() / "killed.gkr";
  int64_t kill_us = 0;
  {
    Child live(
        {kExe, "live", "--serial", tty.string(), "--no-dashboard", "-o", first.string(), "--plain"},
        dir.dir() / "live1.err");
    ASSERT_EQ(live.wait_for("recording: "), first.string());
    std::this_thread::sleep_for(4500ms);
    kill_us = now_unix_us();
    live.signal(SIGKILL);
    EXPECT_EQ(live.wait(), -SIGKILL);
  }
  const Readback killed = read_back(first);
  EXPECT_EQ(killed.sequences.size(), 2u);  // both feet
  expect_contiguous(killed);
  // Everything that arrived up to a second before the kill is on disk
  // (the journal flushes every second; a partial last record is allowed).
  EXPECT_GE(killed.last_rx_us, kill_us - 1'250'000) << (kill_us - killed.last_rx_us);
  RecordProperty("kill_minus_last_journaled_ms",
                 std::to_string((kill_us - killed.last_rx_us) / 1000));
  // And at the link's rate over the time journaled (2 sensors x 50 packets/s): nothing lost
  // between (expect_contiguous above) nor before. Taken from the journal's own clock rather
  // than the test's sleep, so a slow start on a loaded machine does not decide it.
  const double journaled_s = static_cast<double>(killed.last_rx_us - killed.first_rx_us) * 1e-6;
  EXPECT_GT(journaled_s, 1.0);
  EXPECT_GE(static_cast<double>(killed.packets), 0.9 * 100.0 * journaled_s)
      << killed.packets << " packets over " << journaled_s << " s";

  // The next start works normally, and a Ctrl-C ends it cleanly.
  const fs::path second = dir.dir() / "next.gkr";
  Child live(
      {kExe, "live", "--serial", tty.string(), "--no-dashboard", "-o", second.string(), "--plain"},
      dir.dir() / "live2.err");
  ASSERT_EQ(live.wait_for("recording: "), second.string());
  std::this_thread::sleep_for(3000ms);
  live.signal(SIGINT);
  const std::string out = live.drain();
  EXPECT_EQ(live.wait(), 0) << gk::test::slurp(dir.dir() / "live2.err");
  EXPECT_NE(out.find("session ended"), std::string::npos) << out;
  EXPECT_NE(out.find("recording: " + second.string()), std::string::npos) << out;
  const Readback next = read_back(second);
  EXPECT_EQ(next.warning, "");  // closed cleanly: no partial record
  EXPECT_EQ(next.sequences.size(), 2u);
  expect_contiguous(next);
  EXPECT_GT(next.packets, 200u);
  emulator.signal(SIGTERM);
}

/// GET target from 127.0.0.1:port; returns the status code and body.
std::pair<int, std::string> http_get(uint16_t port, const std::string& target) {
  namespace beast = boost::beast;
  namespace http = beast::http;
  boost::asio::io_context io;
  boost::asio::ip::tcp::socket s(io);
  s.connect({boost::asio::ip::make_address("127.0.0.1"), port});
  http::request<http::string_body> req(http::verb::get, target, 11);
  req.set(http::field::host, "127.0.0.1");
  req.keep_alive(false);
  http::write(s, req);
  beast::flat_buffer buf;
  http::response<http::string_body> res;
  http::read(s, buf, res);
  return {static_cast<int>(res.result_int()), res.body()};
}

TEST(LiveServer, TokenRequiredOffLoopback) {
  Dir dir("live_token");
  // Off loopback without a token: refused before anything starts.
  const gk::test::CliRun refused = gk::test::run_program(
      kExe, "live --simulate --bind 0.0.0.0 -o " + (dir.dir() / "x.gkr").string(), dir.dir() / "o",
      dir.dir() / "e");
  EXPECT_EQ(refused.rc, 2);
  EXPECT_NE(refused.err.find("--token"), std::string::npos) << refused.err;

  Child live({kExe, "live", "--simulate", "--sim-duration-s", "30", "--bind", "0.0.0.0", "--port",
              "0", "--token", "s3cret", "-o", (dir.dir() / "t.gkr").string(), "--plain"},
             dir.dir() / "live.err");
  const std::string url = live.wait_for("dashboard: ");
  ASSERT_NE(url.find("?token=s3cret"), std::string::npos) << url;
  const auto colon = url.rfind(':');
  const auto port = static_cast<uint16_t>(std::stoi(url.substr(colon + 1)));
  EXPECT_EQ(http_get(port, "/").first, 401);
  EXPECT_EQ(http_get(port, "/dashboard.js").first, 401);
  EXPECT_EQ(http_get(port, "/ws").first, 401);
  EXPECT_EQ(http_get(port, "/?token=wrong").first, 401);
  const auto [code, body] = http_get(port, "/?token=s3cret");
  EXPECT_EQ(code, 200);
  EXPECT_NE(body.find("gaitkeeper live"), std::string::npos);
  // uPlot is served by the program itself.
  const auto uplot = http_get(port, "/uPlot.iife.min.js?token=s3cret");
  EXPECT_EQ(uplot.first, 200);
  EXPECT_NE(uplot.second.find("uPlot"), std::string::npos);
  live.signal(SIGTERM);
  live.drain();
  EXPECT_EQ(live.wait(), 0);
}

TEST(LiveTerminal, PlainLinePerUpdateWhenNotATerminal) {
  Dir dir("live_plain");
  const fs::path rec = dir.dir() / "p.gkr";
  const gk::test::CliRun r = gk::test::run_program(
      kExe,
      "live --emulate " + (kSource / "datasets/sim_run_feet_200hz.gkr").string() +
          " --speed 10 --no-dashboard --refresh-s 0.2 -o " + rec.string(),
      dir.dir() / "o", dir.dir() / "e");
  ASSERT_EQ(r.rc, 0) << r.err;
  EXPECT_EQ(r.out.find('\x1b'), std::string::npos);  // no escape codes in a file
  std::istringstream in(r.out);
  std::string line;
  size_t updates = 0;
  while (std::getline(in, line)) {
    if (line.rfind("t=", 0) != 0) continue;
    ++updates;
    EXPECT_NE(line.find("cadence="), std::string::npos) << line;
    EXPECT_NE(line.find("loss="), std::string::npos) << line;
  }
  EXPECT_GE(updates, 5u) << r.out;  // 30 s at 10x, one line per 0.2 s
  EXPECT_NE(r.out.find("recording: " + rec.string()), std::string::npos);
  const Readback back = read_back(rec);
  EXPECT_EQ(back.warning, "");
  EXPECT_EQ(back.sequences.size(), 2u);
  expect_contiguous(back);
}

// The live path (device framing, decoder, journal, engine fed packet by
// packet) finds the same steps as batch analysis of the same session, and
// its journal reads back as that session.
TEST(LivePipeline, SameStepsAsBatchAnalysis) {
  Dir dir("live_batch");
  gk::Warnings w;
  const gk::Session session = gk::load_session(kSource / "datasets/sim_run_feet_200hz.gkr", w);
  gk::live::LivePipelineSettings ps;
  ps.recording_path = dir.dir() / "j.gkr";
  std::vector<int64_t> live_ic;
  std::unique_ptr<gk::live::LivePipeline> pipeline;
  gk::live::ReplaySettings rs;
  rs.speed = 0.0;  // as fast as it goes
  gk::live::ReplaySource replay(
      session, rs, [&](std::span<const uint8_t> b, int64_t rx) { pipeline->push_bytes(b, rx); });
  for (const auto& info : replay.sensors()) *ps.header.add_sensors() = info;
  pipeline = std::make_unique<gk::live::LivePipeline>(
      ps, [&](const gk::StepResult& s, int64_t) { live_ic.push_back(s.event.ic_us); });
  replay.run();
  pipeline->finish();
  EXPECT_EQ(pipeline->decoder().stats().crc_failures, 0u);

  const gk::GaitAnalysis batch = gk::analyze_gait(session);
  ASSERT_GT(batch.steps.size(), 60u);
  ASSERT_EQ(live_ic.size(), batch.steps.size());
  const std::vector<gk::StepResult> kept = pipeline->steps();  // read back from the spool
  ASSERT_EQ(kept.size(), live_ic.size());
  for (size_t i = 0; i < live_ic.size(); ++i) {
    EXPECT_EQ(kept[i].event.ic_us, live_ic[i]);
    // Same samples, same engine: the very same contacts.
    EXPECT_EQ(live_ic[i], batch.steps[i].event.ic_us) << i;
  }
  const Readback back = read_back(dir.dir() / "j.gkr");
  EXPECT_EQ(back.warning, "");
  expect_contiguous(back);
  gk::Warnings w2;
  const gk::Session journaled = gk::load_session(dir.dir() / "j.gkr", w2);
  ASSERT_EQ(journaled.sensors.size(), session.sensors.size());
  for (size_t i = 0; i < session.sensors.size(); ++i) {
    EXPECT_EQ(journaled.sensors[i].samples.size(), session.sensors[i].samples.size()) << i;
  }
}

// A session whose clock stepped back (a sensor CSV may hold one) replays live as batch analysis
// reads it: the replay sends the samples behind the clock in their device's order, as the CSV
// holds them, so the live engine counts the motion they hid, and the journal keeps them in that
// order. Before, the replay left them out: the same contacts, but knee angles off by tens of
// degrees after the step.
TEST(LivePipeline, AClockStepBackReplaysAsBatchReadsIt) {
  Dir dir("live_clock_back");
  gk::sim::SimSettings sim;
  sim.seed = 406;
  sim.runner.schedule = {{gk::sim::Activity::kStand, 5.0, 0.0, 0.0},
                         {gk::sim::Activity::kRun, 30.0, 3.2, 172.0}};
  sim.sensors = gk::sim::shoe_and_sleeve_sensors(200.0);
  gk::Session stepped = gk::sim::simulate(sim).session;
  for (gk::SensorStream& s : stepped.sensors) {
    for (gk::ImuSample& x : s.samples) {
      if (x.t_us >= 20'000'000) x.t_us -= 300'000;
    }
  }
  // Through a recording, so the samples are the int16 counts a device sends.
  gk::write_recording(dir.dir() / "back.gkr", stepped);
  gk::Warnings w;
  const gk::Session session = gk::load_session(dir.dir() / "back.gkr", w);
  gk::live::LivePipelineSettings ps;
  ps.recording_path = dir.dir() / "j.gkr";
  std::vector<gk::StepResult> live;
  std::unique_ptr<gk::live::LivePipeline> pipeline;
  gk::live::ReplaySettings rs;
  rs.speed = 0.0;
  gk::live::ReplaySource replay(
      session, rs, [&](std::span<const uint8_t> b, int64_t rx) { pipeline->push_bytes(b, rx); });
  for (const auto& info : replay.sensors()) *ps.header.add_sensors() = info;
  pipeline = std::make_unique<gk::live::LivePipeline>(
      ps, [&](const gk::StepResult& s, int64_t) { live.push_back(s); });
  replay.run();
  pipeline->finish();
  EXPECT_EQ(pipeline->decoder().stats().late, 0u);

  const gk::GaitAnalysis batch = gk::analyze_gait(session);
  const std::vector<std::string> warnings = pipeline->warnings();
  std::string all;
  for (const std::string& x : warnings) all += x + "\n";
  EXPECT_NE(all.find("left knee: no angles from"), std::string::npos) << all;
  size_t knee_after = 0;
  ASSERT_GT(batch.steps.size(), 60u);
  ASSERT_EQ(live.size(), batch.steps.size());
  for (size_t i = 0; i < live.size(); ++i) {
    EXPECT_EQ(live[i].event.ic_us, batch.steps[i].event.ic_us) << i;
    EXPECT_EQ(live[i].knee_flexion_ic_deg, batch.steps[i].knee_flexion_ic_deg) << i;
    if (live[i].event.ic_us > 25'000'000 && live[i].knee_flexion_ic_deg) ++knee_after;
  }
  EXPECT_GT(knee_after, 20u);
  // The journal holds the step back where the devices made it.
  gk::Warnings w2;
  const gk::Session journaled = gk::load_session(dir.dir() / "j.gkr", w2);
  ASSERT_EQ(journaled.sensors.size(), session.sensors.size());
  for (size_t i = 0; i < session.sensors.size(); ++i) {
    EXPECT_EQ(journaled.sensors[i].samples, session.sensors[i].samples) << i;
  }
}

TEST(LiveTerminal, RefreshesInPlaceOnATerminal) {
  Dir dir("live_tty");
  const std::string rec = (dir.dir() / "t.gkr").string();
  int master = -1;
  const pid_t pid = ::forkpty(&master, nullptr, nullptr, nullptr);
  ASSERT_GE(pid, 0);
  if (pid == 0) {
    ::execl(kExe.c_str(), kExe.c_str(), "live", "--emulate",
            (kSource / "datasets/sim_run_feet_200hz.gkr").c_str(), "--speed", "10",
            "--no-dashboard", "--refresh-s", "0.2", "-o", rec.c_str(), nullptr);
    ::_exit(127);
  }
  std::string screen;
  char buf[4096];
  for (;;) {
    const ssize_t n = ::read(master, buf, sizeof buf);
    if (n <= 0) break;  // EIO once the child has exited
    screen.append(buf, static_cast<size_t>(n));
  }
  ::close(master);
  int status = 0;
  ::waitpid(pid, &status, 0);
  ASSERT_TRUE(WIFEXITED(status));
  EXPECT_EQ(WEXITSTATUS(status), 0) << screen;
  // Cleared once, then redrawn from the top, each line cleared to its end.
  ASSERT_NE(screen.find("\x1b[2J"), std::string::npos) << "the screen was never cleared";
  EXPECT_EQ(screen.find("\x1b[2J"), screen.rfind("\x1b[2J"));
  size_t redraws = 0;
  for (size_t at = screen.find("\x1b[H"); at != std::string::npos;
       at = screen.find("\x1b[H", at + 1)) {
    ++redraws;
  }
  EXPECT_GE(redraws, 5u);
  EXPECT_NE(screen.find("cadence "), std::string::npos);
  EXPECT_NE(screen.find("\x1b[K"), std::string::npos);
  EXPECT_EQ(screen.find("\nt="), std::string::npos);  // not the plain lines
  EXPECT_NE(screen.find("recording: " + rec), std::string::npos);
}

}  // namespace
