// `gaitkeeper live`: real-time feedback on a treadmill (src/live). A sensor
// link (serial, TCP, UDP, BLE through the gateway) or a replayed recording /
// simulated run goes through the streaming pipeline; the runner sees a
// terminal view and a browser dashboard with a metronome; the session is
// journaled to a .gkr as it arrives. Ctrl-C ends it cleanly.
#include <fmt/format.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "assess_profile.hpp"
#include "assessment_text.hpp"
#include "atomic_file.hpp"
#include "commands.hpp"
#include "content_hash.hpp"
#include "finite_range.hpp"
#include "input_error.hpp"
#include "link_flags.hpp"
#include "live_session.hpp"
#include "session_report.hpp"
#include "session_store.hpp"
#include "simulator.hpp"
#include "utc_time.hpp"

extern char** environ;

namespace gk::cli {
namespace {

struct LiveOptions {
  LinkFlags link;
  std::string ble;
  std::filesystem::path emulate;
  bool simulate = false;
  double sim_duration_s = 120.0;
  double sim_cadence_spm = 164.0;
  double speed = 1.0;
  std::filesystem::path out;
  std::string athlete = "runner";
  std::optional<double> treadmill_speed_mps;
  std::filesystem::path profile;
  std::string bind = "127.0.0.1";
  uint16_t port = 8750;
  std::string token;
  bool no_dashboard = false;
  bool plain = false;
  double duration_s = 0.0;
  double idle_timeout_s = 0.0;
  double refresh_s = 0.5;
  std::filesystem::path db;
  std::string shoes;
  bool no_store = false;
  std::filesystem::path report;
};

/// out/live/<athlete>-<UTC time>.gkr
std::filesystem::path default_recording(const std::string& athlete) {
  const std::time_t t = std::time(nullptr);
  std::tm tm{};
  gmtime_r(&t, &tm);
  char stamp[32];
  std::strftime(stamp, sizeof stamp, "%Y%m%dT%H%M%SZ", &tm);
  return std::filesystem::path("out") / "live" / fmt::format("{}-{}.gkr", athlete, stamp);
}

/// The BLE gateway as a child process, forwarding every notification to our
/// UDP endpoint (firmware_bridge/README.md). Ended with SIGTERM at the end.
class BleGateway {
 public:
  BleGateway(const std::string& address, uint16_t udp_port, const std::filesystem::path& journal) {
    std::filesystem::path exe = "gaitkeeper-ble-gateway";
    std::error_code ec;
    const auto self = std::filesystem::read_symlink("/proc/self/exe", ec);
    // Next to a build tree's gaitkeeper, or beside an installed one, else PATH.
    for (const auto& c : {self.parent_path() / "firmware_bridge/ble_gateway/gaitkeeper-ble-gateway",
                          self.parent_path() / "gaitkeeper-ble-gateway"}) {
      if (!ec && std::filesystem::exists(c)) {
        exe = c;
        break;
      }
    }
    std::vector<std::string> args = {exe.string(),
                                     "--address",
                                     address,
                                     "-o",
                                     journal.string(),
                                     "--forward-udp",
                                     fmt::format("127.0.0.1:{}", udp_port)};
    std::vector<char*> argv;
    for (std::string& a : args) argv.push_back(a.data());
    argv.push_back(nullptr);
    if (posix_spawnp(&pid_, argv[0], nullptr, nullptr, argv.data(), environ) != 0) {
      throw InputError("--ble", 0, "cannot start " + exe.string());
    }
  }
  ~BleGateway() {
    ::kill(pid_, SIGTERM);
    int status = 0;
    ::waitpid(pid_, &status, 0);
  }

 private:
  pid_t pid_ = -1;
};

/// The end of a live session: the recording is complete; the session is
/// stored (with training load checked against the athlete's stored history)
/// and its report written, then the summary, the assessment and the paths
/// are printed. A failure to store or report is reported and leaves the
/// recording as it is (it can be analysed again later); false then.
bool on_live_session_end(const live::LiveSessionResult& r, const AssessProfile& profile,
                         const LiveOptions& o) {
  fmt::print(
      "\nsession ended: {} steps over {:.0f} s of running; link: {} packets, {} missing, "
      "{} reconnects\n",
      r.steps.size(), r.assessment.running_s, r.link.packets, r.link.missing, r.reconnects);
  // The link never came up: nothing to store or report, and an error that says why.
  if (!r.link_failure.empty()) {
    fmt::print(stderr, "error: nothing was received: {}\n", r.link_failure);
    std::fflush(stdout);
    return false;
  }
  const int64_t t0 = r.steps.empty() ? 0 : r.steps.front().event.ic_us;
  for (const CadenceWindow& w : r.minutes) {
    fmt::print("  minute from {:5.1f} s: cadence {:.1f} steps/min\n",
               static_cast<double>(w.t_start_us - t0) * 1e-6, w.cadence_spm);
  }
  SessionReportData d;
  d.header = r.header;
  if (d.header.session_id().empty()) d.header.set_session_id(r.recording.stem().string());
  d.source = r.recording.string();
  d.steps = r.steps;
  d.minutes = r.minutes;
  d.assessment = r.assessment;
  d.warnings = r.warnings;
  if (r.steps.size() > 1) {
    d.duration_s = static_cast<double>(r.steps.back().event.ic_us - t0) * 1e-6;
  }
  std::string load_status = "not checked (--no-store)";
  std::optional<int64_t> stored_id;
  bool ok = true;
  const std::filesystem::path db = o.db.empty() ? default_db_path() : o.db;
  try {
    d.content_hash = content_hash(r.recording);
    if (!o.no_store) {
      SessionStore store(db);
      const SessionStore::TrainingLoadCheck load = store.check_training_load(
          d.header.athlete(), d.header.start_time_utc_us(), d.assessment.running_s);
      load_status =
          load.runs_before == 0
              ? fmt::format("not checked (no stored run of {} before this one)", d.header.athlete())
              : fmt::format("checked against {} stored run{}{}", load.runs_before,
                            load.runs_before == 1 ? "" : "s",
                            load.flags.empty() ? ": within limits" : "");
      stored_id = store.save(d);
      // Training load is derived from the history when asked, not stored.
      for (const pb::FormFlag& f : load.flags) d.assessment.flags.push_back(f);
    }
  } catch (const std::exception& e) {
    fmt::print(stderr,
               "error: storing the session: {}; the recording {} is complete: store it "
               "later with `gaitkeeper analyze`\n",
               e.what(), r.recording.string());
    ok = false;
  }
  fmt::print("{}", format_assessment(d.assessment, profile, t0, load_status));
  fmt::print("recording: {}\n", r.recording.string());
  if (stored_id) fmt::print("stored: session #{} in {}\n", *stored_id, db.string());
  try {
    std::filesystem::path report = o.report;
    if (report.empty())
      report = std::filesystem::path(r.recording).replace_extension(".report.html");
    AtomicFile out(report);
    out.stream() << render_session_html(d);
    out.commit();
    fmt::print("report: {}\n", report.string());
  } catch (const std::exception& e) {
    fmt::print(stderr, "error: writing the report: {}\n", e.what());
    ok = false;
  }
  std::fflush(stdout);
  return ok;
}

void run_live(const LiveOptions& o) {
  const int sources = o.link.given() + !o.ble.empty() + !o.emulate.empty() + o.simulate;
  if (sources != 1) {
    throw InputError("live", 0,
                     "give exactly one source: --serial, --tcp, --tcp-listen, --udp, --ble, "
                     "--emulate or --simulate");
  }
  if (!o.no_dashboard && !live::is_loopback(o.bind) && o.token.empty()) {
    throw InputError("--bind", 0,
                     fmt::format("the dashboard on {} would be reachable from the network: give "
                                 "--token SECRET (required for any non-loopback address)",
                                 o.bind));
  }
  const AssessProfile profile = o.profile.empty() ? AssessProfile{} : load_profile(o.profile);
  live::LiveSessionSettings s;
  s.profile = profile;
  const std::filesystem::path recording = o.out.empty() ? default_recording(o.athlete) : o.out;
  if (o.out.empty()) std::filesystem::create_directories(recording.parent_path());
  s.recording = recording;
  s.header.set_session_id(s.recording.stem().string());
  s.header.set_athlete(o.athlete);
  s.header.set_start_time_utc_us(now_utc_us());
  if (o.treadmill_speed_mps) s.header.set_treadmill_speed_mps(*o.treadmill_speed_mps);
  s.header.set_shoes(o.shoes);  // empty: the athlete's default pair (gaitkeeper shoes)
  s.header.set_activity(pb::RUNNING);
  if (!o.emulate.empty() || o.simulate) {
    Warnings w;
    if (o.simulate) {
      const sim::SimSettings sim =
          sim::demo_runner(5.0, o.sim_duration_s, 3.0, o.sim_cadence_spm, 200.0, 7);
      s.replay = sim::simulate(sim).session;
      s.header.set_notes("live replay of a simulated run (gaitkeeper live --simulate)");
    } else {
      s.replay = load_session(o.emulate, w);
      s.header.set_notes("live replay of " + o.emulate.string());
    }
    for (const std::string& x : w) fmt::print(stderr, "warning: {}\n", x);
    s.replay_speed = o.speed;
  } else if (!o.ble.empty()) {
    link::Endpoint udp;
    udp.kind = link::Endpoint::Kind::kUdp;
    udp.address = "127.0.0.1";
    s.endpoint = udp;
    s.header.set_notes("received from BLE " + o.ble + " through gaitkeeper-ble-gateway");
  } else {
    s.endpoint = endpoint_of(o.link, "live");
    s.header.set_notes("received over " + s.endpoint->describe());
  }
  if (!o.no_dashboard) {
    live::LiveServerSettings server;
    server.bind_address = o.bind;
    server.port = o.port;
    server.token = o.token;
    s.server = server;
  }
  s.terminal_in_place = !o.plain && ::isatty(STDOUT_FILENO) == 1;
  s.refresh_us = static_cast<int64_t>(o.refresh_s * 1e6);
  s.duration_us = static_cast<int64_t>(o.duration_s * 1e6);
  s.idle_timeout_us = static_cast<int64_t>(o.idle_timeout_s * 1e6);
  bool ended_well = true;
  live::LiveSession session(std::move(s),
                            [&profile, &o, &ended_well](const live::LiveSessionResult& r) {
                              ended_well = on_live_session_end(r, profile, o);
                            });
  // Tests and scripts read these first lines to find the dashboard and the journal.
  if (!o.no_dashboard) fmt::print("dashboard: {}\n", session.url());
  fmt::print("recording: {}\n", recording.string());
  std::fflush(stdout);
  std::optional<BleGateway> gateway;
  if (!o.ble.empty()) {
    std::filesystem::path journal = recording;
    journal.replace_extension(".ble.gkr");
    gateway.emplace(o.ble, session.link_port(), journal);
  }
  session.run();
  // The recording is complete either way; a session that could not be stored or reported
  // still ends with a non-zero exit, so a script notices.
  if (!ended_well) {
    throw InputError(recording, 0,
                     "the session did not end cleanly (see above); the recording holds all that "
                     "was received");
  }
}

}  // namespace

void add_live_command(CLI::App& app) {
  auto opt = std::make_shared<LiveOptions>();
  CLI::App* cmd = app.add_subcommand(
      "live",
      "Live treadmill feedback: receive the sensors (or replay a recording / a simulated run),\n"
      "analyse every step in real time, show cadence against the target band, contact time,\n"
      "knee valgus, flags with advice and link health in the terminal and in a browser\n"
      "dashboard with a metronome, and journal the session to a .gkr as it arrives.\n"
      "Ctrl-C ends it cleanly; the recording is complete and its path is printed.");
  cmd->add_option("--serial", opt->link.serial, "Serial device (USB CDC, UART bridge or pty)");
  cmd->add_option("--baud", opt->link.baud, "Serial baud rate (8N1)")->capture_default_str();
  cmd->add_option("--tcp", opt->link.tcp, "Connect to HOST:PORT (e.g. the emulator's TCP server)");
  cmd->add_option("--tcp-listen", opt->link.tcp_listen, "Accept a device at [HOST:]PORT");
  cmd->add_option("--udp", opt->link.udp, "Receive datagrams at [HOST:]PORT");
  cmd->add_option("--ble", opt->ble,
                  "BLE pod ADDRESS, through gaitkeeper-ble-gateway (started and stopped here)");
  cmd->add_option("--emulate", opt->emulate, "Replay this recording as a live link (demo)");
  cmd->add_flag("--simulate", opt->simulate,
                "Replay the demo's simulated runner (left knee valgus) as a live link");
  cmd->add_option("--sim-duration-s", opt->sim_duration_s, "Running time of --simulate")
      ->check(finite_range(1.0, 36000.0))
      ->capture_default_str();
  cmd->add_option("--sim-cadence-spm", opt->sim_cadence_spm, "Step rate of --simulate")
      ->check(finite_range(130.0, 220.0))
      ->capture_default_str();
  cmd->add_option("--speed", opt->speed, "Replay speed, x real time (--emulate, --simulate)")
      ->check(finite_range(0.0, 1000.0))
      ->capture_default_str();
  cmd->add_option("-o,--out", opt->out,
                  "Recording to journal (default out/live/ATHLETE-UTCTIME.gkr)");
  cmd->add_option("--athlete", opt->athlete, "Athlete name")->capture_default_str();
  cmd->add_option("--treadmill-speed-mps", opt->treadmill_speed_mps, "Treadmill speed in m/s")
      ->check(finite_range(0.5, 10.0));
  cmd->add_option("--profile", opt->profile, "Assessment profile (TOML, docs/ASSESSMENT.md)");
  cmd->add_option("--bind", opt->bind, "Dashboard address (other than loopback needs --token)")
      ->capture_default_str();
  cmd->add_option("--port", opt->port, "Dashboard port (0 = any free port)")->capture_default_str();
  cmd->add_option("--token", opt->token, "Dashboard access token (?token= in the URL)");
  cmd->add_flag("--no-dashboard", opt->no_dashboard, "Terminal view only");
  cmd->add_flag("--plain", opt->plain, "One line per update even on a terminal");
  cmd->add_option("--db", opt->db,
                  "Session store the session is saved in at the end (default\n"
                  "$XDG_DATA_HOME/gaitkeeper/gaitkeeper.db)");
  cmd->add_flag("--no-store", opt->no_store, "Do not store the session");
  cmd->add_option("--shoes", opt->shoes,
                  "Shoes worn (default: the athlete's default pair, `gaitkeeper shoes`)");
  cmd->add_option("--report", opt->report,
                  "Session report written at the end (default: the recording's name with\n"
                  ".report.html)");
  cmd->add_option("--duration", opt->duration_s, "Stop after this many seconds (0 = never)")
      ->check(finite_range(0.0, 7 * 86400.0));
  cmd->add_option("--idle-timeout", opt->idle_timeout_s,
                  "Stop after this many seconds without a byte from the link (0 = never)")
      ->check(finite_range(0.0, 86400.0));
  cmd->add_option("--refresh-s", opt->refresh_s, "View update period in seconds")
      ->check(finite_range(0.05, 10.0))
      ->capture_default_str();
  cmd->footer(
      "Examples: gaitkeeper live --simulate --speed 10\n"
      "          gaitkeeper-emulator --simulate 120 --pty  (prints /dev/pts/N), then\n"
      "          gaitkeeper live --serial /dev/pts/N --athlete ana --treadmill-speed-mps 3");
  cmd->callback([opt] { run_live(*opt); });
}

}  // namespace gk::cli
