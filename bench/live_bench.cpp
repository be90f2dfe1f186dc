// Live pipeline figures (docs/PERFORMANCE.md, "Live"):
//  1. latency: the emulator streams a simulated run over a real pseudo-terminal
//     into a real `gaitkeeper live`; a WebSocket client on loopback takes every
//     step message and compares its arrival with the host time at which the
//     bytes that completed the step were read (both on this machine's system
//     clock): median and p99;
//  2. CPU per live 1 kHz sensor: framed link bytes of a simulated two-foot
//     1 kHz run pushed through LivePipeline (decode, journal, engine, assessor,
//     step messages) as fast as it goes, CPU time of the thread per sensor
//     second, and how many such sensors one core holds;
//  3. memory over a long session: the same pipeline fed an 8-hour session
//     (a simulated minute repeated with time and sequence running on), RSS
//     after every hour.
// usage: live_bench [--latency-s 60] [--hours 8] [--cpu-s 60]
// Boost 1.74's awaitable.hpp uses std::exchange without including <utility>.
#include <utility>
// clang-format off
#include <boost/asio.hpp>
// clang-format on
#include <fcntl.h>
#include <fmt/format.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <boost/beast/core.hpp>
#include <boost/beast/websocket.hpp>
#include <chrono>
#include <cmath>
#include <cstring>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <thread>
#include <vector>

#include "frame.h"
#include "live_messages.hpp"
#include "live_pipeline.hpp"
#include "packetizer.hpp"
#include "simulator.hpp"

extern char** environ;

namespace {

namespace fs = std::filesystem;

int64_t now_unix_us() {
  return std::chrono::duration_cast<std::chrono::microseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

double thread_cpu_s() {
  timespec ts{};
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return static_cast<double>(ts.tv_sec) + static_cast<double>(ts.tv_nsec) * 1e-9;
}

double rss_mb() {
  std::ifstream in("/proc/self/status");
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind("VmRSS:", 0) == 0) return std::stod(line.substr(6)) / 1024.0;
  }
  return 0.0;
}

double percentile(std::vector<double> v, double p) {
  std::sort(v.begin(), v.end());
  const double idx = p * static_cast<double>(v.size() - 1);
  const auto lo = static_cast<size_t>(std::floor(idx));
  const size_t hi = std::min(lo + 1, v.size() - 1);
  return v[lo] + (v[hi] - v[lo]) * (idx - static_cast<double>(lo));
}

/// A child process with its stdout on a pipe.
struct Child {
  pid_t pid = -1;
  int fd = -1;
  std::string buf;
  explicit Child(std::vector<std::string> args) {
    int fds[2];
    if (::pipe(fds) != 0) throw std::runtime_error("pipe");
    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_adddup2(&fa, fds[1], STDOUT_FILENO);
    posix_spawn_file_actions_addclose(&fa, fds[0]);
    std::vector<char*> argv;
    for (std::string& a : args) argv.push_back(a.data());
    argv.push_back(nullptr);
    if (posix_spawn(&pid, argv[0], &fa, nullptr, argv.data(), environ) != 0) {
      throw std::runtime_error("cannot start " + args[0]);
    }
    posix_spawn_file_actions_destroy(&fa);
    ::close(fds[1]);
    fd = fds[0];
  }
  std::string wait_for(const std::string& prefix) {
    for (;;) {
      const auto nl = buf.find('\n');
      if (nl != std::string::npos) {
        std::string l = buf.substr(0, nl);
        buf.erase(0, nl + 1);
        if (l.rfind(prefix, 0) == 0) return l.substr(prefix.size());
        continue;
      }
      pollfd p{fd, POLLIN, 0};
      if (::poll(&p, 1, 30000) <= 0) throw std::runtime_error("no '" + prefix + "' line");
      char tmp[4096];
      const ssize_t n = ::read(fd, tmp, sizeof tmp);
      if (n <= 0) throw std::runtime_error("ended before '" + prefix + "'");
      buf.append(tmp, static_cast<size_t>(n));
    }
  }
  void stop(int sig) {
    if (pid <= 0) return;
    ::kill(pid, sig);
    int status = 0;
    ::waitpid(pid, &status, 0);
    pid = -1;
  }
  ~Child() {
    stop(SIGKILL);
    if (fd >= 0) ::close(fd);
  }
};

nlohmann::ordered_json latency(double seconds) {
  namespace beast = boost::beast;
  namespace websocket = beast::websocket;
  const fs::path dir = fs::temp_directory_path() / fmt::format("gk_live_bench_{}", ::getpid());
  fs::create_directories(dir);
  const std::string tty = (dir / "tty").string();
  Child emulator({GK_EMULATOR_EXE, "--simulate", fmt::format("{}", seconds + 10), "--sensors",
                  "feet", "--rate", "1000", "--pty", "--pty-link", tty, "--speed", "1"});
  emulator.wait_for("/dev/pts/");
  Child live({GK_EXE, "live", "--serial", tty, "--port", "0", "-o", (dir / "l.gkr").string(),
              "--plain", "--refresh-s", "1"});
  const std::string url = live.wait_for("dashboard: ");
  const auto colon = url.rfind(':');
  const std::string port = url.substr(colon + 1, url.find('/', colon) - colon - 1);

  boost::asio::io_context io;
  boost::asio::ip::tcp::socket sock(io);
  sock.connect(
      {boost::asio::ip::make_address("127.0.0.1"), static_cast<uint16_t>(std::stoi(port))});
  sock.set_option(boost::asio::ip::tcp::no_delay(true));
  websocket::stream<boost::asio::ip::tcp::socket> ws(std::move(sock));
  ws.handshake("127.0.0.1", "/ws");
  const int64_t connected_us = now_unix_us();
  std::vector<double> rx_to_client_ms, rx_to_sent_ms;
  const auto until = std::chrono::steady_clock::now() + std::chrono::duration<double>(seconds);
  beast::flat_buffer buf;
  while (std::chrono::steady_clock::now() < until) {
    ws.read(buf);
    const int64_t got_us = now_unix_us();
    const auto j = nlohmann::json::parse(beast::buffers_to_string(buf.data()));
    buf.consume(buf.size());
    if (j["type"] != "step") continue;
    const int64_t rx = j["rx_us"].get<int64_t>();
    // Replayed steps (sent before we connected) and the first second held
    // while the sensors are discovered are not live latency.
    if (rx < connected_us || rx == 0) continue;
    rx_to_client_ms.push_back(static_cast<double>(got_us - rx) * 1e-3);
    rx_to_sent_ms.push_back(static_cast<double>(j["sent_us"].get<int64_t>() - rx) * 1e-3);
  }
  live.stop(SIGINT);
  emulator.stop(SIGTERM);
  fs::remove_all(dir);
  nlohmann::ordered_json out;
  out["latency_steps"] = rx_to_client_ms.size();
  if (!rx_to_client_ms.empty()) {
    out["latency_median_ms"] = percentile(rx_to_client_ms, 0.5);
    out["latency_p99_ms"] = percentile(rx_to_client_ms, 0.99);
    out["latency_max_ms"] = percentile(rx_to_client_ms, 1.0);
    out["pipeline_median_ms"] = percentile(rx_to_sent_ms, 0.5);
    out["pipeline_p99_ms"] = percentile(rx_to_sent_ms, 0.99);
  }
  return out;
}

/// Frames of a simulated two-foot run, as a device would send them.
struct Framer {
  std::vector<gk::Packetizer> packetizers;
  std::string payload;
  uint8_t wire[GKFW_MAX_FRAME];
  std::vector<std::pair<int64_t, std::vector<uint8_t>>> frames;

  explicit Framer(const gk::Session& s) {
    for (size_t i = 0; i < s.sensors.size(); ++i) {
      gk::PacketizerSettings ps;
      ps.device_id = static_cast<uint32_t>(i + 1);
      ps.placement = s.sensors[i].info.placement();
      ps.sample_period_us = 1000;
      packetizers.emplace_back(ps);
    }
  }
  /// Frames of one block with its times shifted, in time order.
  void block(const gk::Session& s, int64_t offset_us) {
    frames.clear();
    for (size_t i = 0; i < s.sensors.size(); ++i) {
      for (gk::ImuSample x : s.sensors[i].samples) {
        x.t_us += offset_us;
        if (!packetizers[i].push(x)) continue;
        packetizers[i].take().SerializeToString(&payload);
        const size_t n = gkfw_frame_encode(reinterpret_cast<const uint8_t*>(payload.data()),
                                           payload.size(), wire, sizeof wire);
        frames.push_back({x.t_us, std::vector<uint8_t>(wire, wire + n)});
      }
    }
    std::stable_sort(frames.begin(), frames.end(),
                     [](const auto& a, const auto& b) { return a.first < b.first; });
  }
};

gk::live::LivePipelineSettings pipeline_settings(const gk::Session& s, const fs::path& out) {
  gk::live::LivePipelineSettings ps;
  ps.recording_path = out;
  ps.header.set_athlete("bench");
  for (size_t i = 0; i < s.sensors.size(); ++i) {
    gk::pb::SensorInfo info = s.sensors[i].info;
    info.set_device_id(static_cast<uint32_t>(i + 1));
    *ps.header.add_sensors() = info;
  }
  return ps;
}

nlohmann::ordered_json cpu(double seconds) {
  gk::sim::SimSettings sim;
  sim.runner.schedule = {{gk::sim::Activity::kRun, seconds, 3.2, 170.0}};
  sim.sensors = gk::sim::feet_sensors(1000.0);
  const gk::Session s = gk::sim::simulate(sim).session;
  Framer framer(s);
  framer.block(s, 0);
  const fs::path rec = fs::temp_directory_path() / fmt::format("gk_live_cpu_{}.gkr", ::getpid());
  std::vector<double> per_sensor_s;
  size_t steps = 0;
  for (int repeat = 0; repeat < 4; ++repeat) {
    std::string sink;
    gk::live::LivePipeline p(pipeline_settings(s, rec), [&](const gk::StepResult& st, int64_t rx) {
      sink = gk::live::step_json(st, 0, rx, now_unix_us());  // what the server sends per step
    });
    const double c0 = thread_cpu_s();
    int64_t fake_rx = now_unix_us();
    for (const auto& f : framer.frames) p.push_bytes(f.second, fake_rx += 10'000);
    p.finish();
    const double cpu_s = thread_cpu_s() - c0;
    if (repeat > 0) per_sensor_s.push_back(cpu_s / (2.0 * seconds));  // first pass warms up
    steps = p.steps().size();
  }
  fs::remove(rec);
  const double cpu_per_sensor = percentile(per_sensor_s, 0.5);
  nlohmann::ordered_json out;
  out["cpu_session_s"] = seconds;
  out["cpu_steps"] = steps;
  out["cpu_pct_per_1khz_sensor"] = 100.0 * cpu_per_sensor;
  out["sensors_per_core"] = std::floor(1.0 / cpu_per_sensor);
  return out;
}

/// 100 athletes at once (200 sensors), one pipeline each, fed in time order
/// on one thread: the share of one core that 200 live 1 kHz sensors take.
nlohmann::ordered_json concurrent(double seconds, size_t pipelines) {
  gk::sim::SimSettings sim;
  sim.runner.schedule = {{gk::sim::Activity::kRun, seconds, 3.2, 170.0}};
  sim.sensors = gk::sim::feet_sensors(1000.0);
  const gk::Session s = gk::sim::simulate(sim).session;
  Framer framer(s);
  framer.block(s, 0);
  std::vector<std::unique_ptr<gk::live::LivePipeline>> ps;
  size_t steps = 0;
  for (size_t i = 0; i < pipelines; ++i) {
    ps.push_back(std::make_unique<gk::live::LivePipeline>(
        pipeline_settings(s, "/dev/null"), [&](const gk::StepResult& st, int64_t rx) {
          steps += gk::live::step_json(st, 0, rx, now_unix_us()).empty() ? 0 : 1;
        }));
  }
  const double c0 = thread_cpu_s();
  int64_t rx = now_unix_us();
  for (const auto& f : framer.frames) {
    rx += 10'000;
    for (auto& p : ps) p->push_bytes(f.second, rx);
  }
  for (auto& p : ps) p->finish();
  const double cpu_s = thread_cpu_s() - c0;
  nlohmann::ordered_json out;
  out["concurrent_sensors"] = 2 * pipelines;
  out["concurrent_session_s"] = seconds;
  out["concurrent_steps"] = steps;
  out["concurrent_core_share_pct"] = 100.0 * cpu_s / seconds;
  return out;
}

nlohmann::ordered_json memory(double hours) {
  gk::sim::SimSettings sim;
  sim.runner.schedule = {{gk::sim::Activity::kRun, 60.0, 3.2, 170.0}};
  sim.sensors = gk::sim::feet_sensors(1000.0);
  const gk::Session s = gk::sim::simulate(sim).session;
  Framer framer(s);
  // The journal goes to /dev/null: 8 hours at 1 kHz would be gigabytes on disk.
  size_t steps = 0;
  gk::live::LivePipeline p(pipeline_settings(s, "/dev/null"),
                           [&](const gk::StepResult&, int64_t) { ++steps; });
  const double rss0 = rss_mb();
  std::vector<double> per_hour;
  const auto blocks = static_cast<int>(std::lround(hours * 60.0));
  int64_t rx = now_unix_us();
  for (int b = 0; b < blocks; ++b) {
    framer.block(s, static_cast<int64_t>(b) * 60'000'000);
    for (const auto& f : framer.frames) p.push_bytes(f.second, rx += 10'000);
    p.take_knee_points();  // the server drains these every tick
    if ((b + 1) % 60 == 0) per_hour.push_back(rss_mb());
  }
  p.finish();
  nlohmann::ordered_json out;
  out["memory_hours"] = hours;
  out["memory_steps"] = steps;
  out["rss_start_mb"] = rss0;
  out["rss_per_hour_mb"] = per_hour;
  out["rss_end_mb"] = rss_mb();
  out["step_result_bytes"] = sizeof(gk::StepResult);
  return out;
}

}  // namespace

int main(int argc, char** argv) {
  double latency_s = 60, hours = 8, cpu_s = 60;
  for (int i = 1; i + 1 < argc; i += 2) {
    const std::string a = argv[i];
    const double v = std::stod(argv[i + 1]);
    if (a == "--latency-s") latency_s = v;
    if (a == "--hours") hours = v;
    if (a == "--cpu-s") cpu_s = v;
  }
  nlohmann::ordered_json out;
  if (latency_s > 0) {
    const auto l = latency(latency_s);
    out.update(l);
    fmt::print("latency {}\n", l.dump());
    std::fflush(stdout);
  }
  if (cpu_s > 0) {
    const auto c = cpu(cpu_s);
    out.update(c);
    fmt::print("cpu {}\n", c.dump());
    std::fflush(stdout);
  }
  if (cpu_s > 0) {
    const auto c = concurrent(std::min(cpu_s, 30.0), 100);
    out.update(c);
    fmt::print("concurrent {}\n", c.dump());
    std::fflush(stdout);
  }
  if (hours > 0) {
    const auto m = memory(hours);
    out.update(m);
    fmt::print("memory {}\n", m.dump());
  }
  fmt::print("{}\n", out.dump());
  return 0;
}
