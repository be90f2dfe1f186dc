// gaitkeeper-emulator: a sensor pod on the host. Plays a .gkr recording or a
// simulated run through the device firmware itself (firmware_bridge/firmware:
// the ICM-42688-P driver reads a fake register file whose FIFO is filled with
// the samples, then timestamping, nanopb packetizer, CRC-32C, COBS), and sends
// the frames over a pseudo-terminal, TCP or UDP, optionally with faults.
#include <fmt/format.h>

#include <CLI/CLI.hpp>
#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <fstream>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "atomic_file.hpp"
#include "device.h"
#include "fake_icm42688.h"
#include "fault_injector.hpp"
#include "input_error.hpp"
#include "output.hpp"
#include "packetizer.hpp"
#include "session.hpp"
#include "simulator.hpp"

namespace {

using gk::emu::Fate;
using gk::emu::WireChunk;

struct Options {
  std::filesystem::path recording;
  double simulate_s = 0.0;
  uint64_t sim_seed = 1;
  std::string sensors = "feet";
  double rate_hz = 1000.0;
  bool pty = false;
  std::filesystem::path pty_link;
  std::string tcp_server;
  std::string tcp_client;
  std::string udp;
  std::filesystem::path file;
  double speed = 1.0;  // 0 = as fast as the link takes it
  uint32_t samples_per_packet = 20;
  uint32_t first_sequence = 0;
  uint32_t clock_start_us = 0;
  double drift_ppm = 0.0;
  double disconnect_every_s = 0.0;
  double outage_s = 0.2;
  gk::emu::FaultSettings faults;
  std::filesystem::path truth;
};

/// One emulated pod: a fake ICM-42688-P and the firmware driving it.
struct Pod {
  gk::SensorStream stream;
  gkfw_fake_icm42688_t fake{};
  gkfw_device_t device{};
  std::vector<std::vector<uint8_t>> frames;  // produced by the last poll
  size_t next = 0;                           // next sample to play
};

size_t collect(void* user, const uint8_t* buf, size_t len) {
  static_cast<Pod*>(user)->frames.emplace_back(buf, buf + len);
  return len;
}

int16_t counts(double v, double lsb) {
  const double c = std::round(v / lsb);
  return static_cast<int16_t>(std::clamp(c, -32768.0, 32767.0));
}

std::pair<std::string, uint16_t> host_port(const std::string& s) {
  const auto colon = s.rfind(':');
  const std::string host = colon == std::string::npos ? "127.0.0.1" : s.substr(0, colon);
  const int port = std::stoi(colon == std::string::npos ? s : s.substr(colon + 1));
  if (port < 0 || port > 65535) throw std::runtime_error("port out of range: " + s);
  return {host, static_cast<uint16_t>(port)};
}

gk::Session load(const Options& o) {
  if (!o.recording.empty()) {
    gk::Warnings w;
    return gk::load_session(o.recording, w);
  }
  gk::sim::SimSettings s;
  s.seed = o.sim_seed;
  s.runner.schedule = {{gk::sim::Activity::kRun, o.simulate_s, 3.0, 170.0}};
  if (o.sensors == "feet") {
    s.sensors = gk::sim::feet_sensors(o.rate_hz);
  } else if (o.sensors == "shank") {
    s.sensors = gk::sim::shank_sensors(o.rate_hz);
  } else if (o.sensors == "shoe+sleeve") {
    s.sensors = gk::sim::shoe_and_sleeve_sensors(o.rate_hz);
  } else {
    throw std::runtime_error("--sensors must be feet, shank or shoe+sleeve");
  }
  return gk::sim::simulate(s).session;
}

int run(const Options& o) {
  gk::Session session = load(o);
  std::vector<std::unique_ptr<Pod>> pods;
  for (size_t i = 0; i < session.sensors.size(); ++i) {
    auto pod = std::make_unique<Pod>();
    pod->stream = std::move(session.sensors[i]);
    if (pod->stream.samples.empty()) continue;
    const gk::pb::SensorInfo& info = pod->stream.info;
    const auto odr = static_cast<uint32_t>(std::lround(info.nominal_rate_hz()));
    gkfw_fake_icm42688_init(&pod->fake);
    pod->fake.uart_sink = collect;
    pod->fake.uart_user = pod.get();
    pod->fake.now_us = o.clock_start_us;
    const gkfw_hal_t hal = gkfw_fake_icm42688_hal(&pod->fake);
    gkfw_device_config_t cfg{};
    cfg.imu = {info.accel_range_g() ? info.accel_range_g() : 16,
               info.gyro_range_dps() ? info.gyro_range_dps() : 2000, odr};
    cfg.device_id = info.device_id() ? info.device_id() : static_cast<uint32_t>(i + 1);
    cfg.placement = static_cast<gaitkeeper_pb_Placement>(info.placement());
    cfg.samples_per_packet = o.samples_per_packet;
    cfg.uart_baud = 921600;
    const int rc = gkfw_device_init(&pod->device, &hal, &cfg);
    if (rc != ICM42688_OK) {
      throw std::runtime_error(fmt::format(
          "sensor {}: the ICM-42688-P cannot be set to {} Hz, +-{} g, +-{} dps (firmware "
          "error {}); use --rate 100, 200, 500, 1000 or 2000",
          cfg.device_id, odr, cfg.imu.accel_range_g, cfg.imu.gyro_range_dps, rc));
    }
    pod->device.packetizer.next_sequence = o.first_sequence;
    pods.push_back(std::move(pod));
  }
  if (pods.empty()) throw std::runtime_error("no samples to play");

  std::unique_ptr<gk::emu::Output> out;
  if (o.pty) {
    out = gk::emu::make_pty_output(o.pty_link);
  } else if (!o.tcp_server.empty()) {
    const auto [h, p] = host_port(o.tcp_server);
    out = gk::emu::make_tcp_server_output(h, p);
    fmt::print("{}\n", out->describe());
    std::fflush(stdout);
  } else if (!o.tcp_client.empty()) {
    const auto [h, p] = host_port(o.tcp_client);
    out = gk::emu::make_tcp_client_output(h, p);
  } else if (!o.udp.empty()) {
    const auto [h, p] = host_port(o.udp);
    out = gk::emu::make_udp_output(h, p);
  } else {
    out = gk::emu::make_file_output(o.file);
  }
  out->connect();
  if (o.pty) {
    fmt::print("{}\n", out->describe());
    std::fflush(stdout);
  }

  // Through a temp file renamed into place at the end: a run that fails part way (the receiver
  // went away) leaves no truth file rather than a partial one.
  std::optional<gk::AtomicFile> truth_file;
  std::ofstream* truth = nullptr;
  if (!o.truth.empty()) {
    truth_file.emplace(o.truth);
    truth = &truth_file->stream();
    *truth << "device,sequence,fate\n";
  }
  gk::emu::FaultInjector faults(o.faults);
  const int64_t t0 = [&] {
    int64_t t = pods.front()->stream.samples.front().t_us;
    for (const auto& p : pods) t = std::min(t, p->stream.samples.front().t_us);
    return t;
  }();
  const auto wall0 = std::chrono::steady_clock::now();
  const int64_t disconnect_every_us = static_cast<int64_t>(o.disconnect_every_s * 1e6);
  int64_t next_disconnect = disconnect_every_us > 0 ? t0 + disconnect_every_us : INT64_MAX;
  int64_t outage_until = INT64_MIN;
  bool link_up = true;
  uint64_t frames = 0, disconnects = 0;

  // A frame's fate: delivered if at least one intact copy went out on a live
  // link; each copy is otherwise lost whole (the leading delimiter keeps any
  // damage inside the frame it hits).
  std::vector<WireChunk> wire;
  auto send_wire = [&] {
    std::vector<std::pair<std::pair<uint32_t, uint32_t>, bool>> seen;
    for (WireChunk& c : wire) {
      const bool ok = out->write(c.bytes);
      if (!ok) throw std::runtime_error("the receiver went away (" + out->describe() + ")");
      if (c.is_frame) seen.push_back({{c.device, c.sequence}, c.intact});
    }
    wire.clear();
    // Several copies of a frame may be in one batch (duplicates): report once.
    std::sort(seen.begin(), seen.end());
    for (size_t i = 0; i < seen.size();) {
      size_t j = i;
      bool any = false;
      while (j < seen.size() && seen[j].first == seen[i].first) any |= seen[j++].second;
      if (truth) {
        *truth << seen[i].first.first << ',' << seen[i].first.second << ','
               << gk::emu::fate_name(any ? Fate::kDelivered : Fate::kCorrupted) << '\n';
      }
      i = j;
    }
  };

  for (;;) {
    Pod* pod = nullptr;
    for (auto& p : pods) {
      if (p->next < p->stream.samples.size() &&
          (pod == nullptr ||
           p->stream.samples[p->next].t_us < pod->stream.samples[pod->next].t_us)) {
        pod = p.get();
      }
    }
    if (pod == nullptr) break;
    const gk::ImuSample& s = pod->stream.samples[pod->next++];
    if (s.t_us >= next_disconnect) {
      faults.flush(wire);
      send_wire();
      out->disconnect();
      ++disconnects;
      link_up = false;
      outage_until = s.t_us + static_cast<int64_t>(o.outage_s * 1e6);
      next_disconnect += disconnect_every_us;
    }
    if (!link_up && s.t_us >= outage_until) {
      out->connect();
      link_up = true;
      if (o.pty) {
        fmt::print("{}\n", out->describe());
        std::fflush(stdout);
      }
    }
    // Device clock: the sample's time on a crystal off by drift_ppm.
    const double dt = static_cast<double>(s.t_us - t0) * (1.0 + o.drift_ppm * 1e-6);
    const auto device_t =
        static_cast<uint32_t>(o.clock_start_us + static_cast<uint64_t>(std::llround(dt)));
    const uint32_t arange = gkfw_fake_icm42688_accel_range_g(&pod->fake);
    const uint32_t grange = gkfw_fake_icm42688_gyro_range_dps(&pod->fake);
    const double alsb = gk::accel_lsb_mps2(arange), glsb = gk::gyro_lsb_rps(grange);
    const int16_t a[3] = {counts(s.acc_mps2.x(), alsb), counts(s.acc_mps2.y(), alsb),
                          counts(s.acc_mps2.z(), alsb)};
    const int16_t g[3] = {counts(s.gyr_rps.x(), glsb), counts(s.gyr_rps.y(), glsb),
                          counts(s.gyr_rps.z(), glsb)};
    gkfw_fake_icm42688_push(&pod->fake, a, g, 0, static_cast<uint16_t>(device_t & 0xFFFFu));
    pod->fake.now_us = device_t;
    if (gkfw_device_poll(&pod->device) < 0) throw std::runtime_error("firmware poll failed");
    if (pod->frames.empty()) continue;
    if (o.speed > 0) {
      const auto due = wall0 + std::chrono::microseconds(static_cast<int64_t>(
                                   static_cast<double>(s.t_us - t0) / o.speed));
      std::this_thread::sleep_until(due);
    }
    for (const auto& f : pod->frames) {
      ++frames;
      const uint32_t seq = pod->device.packetizer.next_sequence - 1u;
      const uint32_t dev = pod->device.packetizer.config.device_id;
      if (!link_up) {
        if (truth) *truth << dev << ',' << seq << ',' << gk::emu::fate_name(Fate::kOutage) << '\n';
        continue;
      }
      if (!faults.push(f, dev, seq, wire) && truth) {
        *truth << dev << ',' << seq << ',' << gk::emu::fate_name(Fate::kDropped) << '\n';
      }
    }
    pod->frames.clear();
    send_wire();
  }
  faults.flush(wire);
  if (link_up) send_wire();
  out->disconnect();
  if (truth_file) truth_file->commit();
  fmt::print(stderr, "emulator: {} frames, {} disconnects\n", frames, disconnects);
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  Options o;
  CLI::App app{
      "gaitkeeper-emulator: a sensor pod on the host. Plays a .gkr recording or a simulated run\n"
      "through the device firmware (ICM-42688-P driver on a fake register file, packetizer,\n"
      "CRC-32C + COBS framing) onto a pseudo-terminal, TCP or UDP, with optional faults."};
  auto* src = app.add_option_group("source");
  src->add_option("--recording", o.recording, ".gkr recording or CSV session folder to play");
  src->add_option("--simulate", o.simulate_s, "Simulate a run of this many seconds instead");
  src->require_option(1);
  app.add_option("--sim-seed", o.sim_seed, "Seed of the simulated run")->capture_default_str();
  app.add_option("--sensors", o.sensors, "Simulated sensors: feet, shank, shoe+sleeve")
      ->capture_default_str();
  app.add_option("--rate", o.rate_hz, "Simulated sample rate (Hz; an ICM-42688-P rate)")
      ->capture_default_str();
  auto* dst = app.add_option_group("output");
  dst->add_flag("--pty", o.pty, "Create a pseudo-terminal and print its /dev/pts path");
  dst->add_option("--tcp-server", o.tcp_server, "Serve at [HOST:]PORT (0 = any; prints it)");
  dst->add_option("--tcp-client", o.tcp_client,
                  "Connect to HOST:PORT (gaitkeeper record --tcp-listen)");
  dst->add_option("--udp", o.udp, "Send datagrams to HOST:PORT");
  dst->add_option("--file", o.file, "Write the byte stream to a file");
  dst->require_option(1);
  app.add_option("--pty-link", o.pty_link, "Keep this symlink pointing at the current pty");
  app.add_option("--speed", o.speed, "Playback speed, x real time (0 = as fast as possible)")
      ->capture_default_str();
  app.add_option("--samples-per-packet", o.samples_per_packet, "Samples per packet (1..32)")
      ->capture_default_str()
      ->check(CLI::Range(1, 32));
  app.add_option("--first-sequence", o.first_sequence, "First packet sequence number")
      ->capture_default_str();
  app.add_option("--clock-start", o.clock_start_us, "Device clock at the first sample (us)")
      ->capture_default_str();
  app.add_option("--drift-ppm", o.drift_ppm, "Device clock error (ppm, + = fast)")
      ->capture_default_str();
  app.add_option("--drop", o.faults.drop_pct, "Frames dropped (%)")->capture_default_str();
  app.add_option("--bitflip", o.faults.bitflip_pct, "Bytes with one bit flipped (%)")
      ->capture_default_str();
  app.add_option("--garbage", o.faults.garbage_pct, "Garbage burst before a frame (%)")
      ->capture_default_str();
  app.add_option("--garbage-max", o.faults.garbage_max_bytes, "Longest garbage burst (bytes)")
      ->capture_default_str();
  app.add_option("--duplicate", o.faults.duplicate_pct, "Frames sent twice (%)")
      ->capture_default_str();
  app.add_option("--reorder", o.faults.reorder_pct, "Frames swapped with the next (%)")
      ->capture_default_str();
  app.add_option("--disconnect-every", o.disconnect_every_s,
                 "Disconnect every this many seconds of device time (0 = never)")
      ->capture_default_str();
  app.add_option("--outage", o.outage_s, "Seconds of device time lost per disconnect")
      ->capture_default_str();
  app.add_option("--seed", o.faults.seed, "Seed of the fault injector")->capture_default_str();
  app.add_option("--truth", o.truth, "Write each frame's fate (CSV: device,sequence,fate)");
  CLI11_PARSE(app, argc, argv);
  try {
    return run(o);
  } catch (const gk::InputError& e) {
    fmt::print(stderr, "error: {}\n", e.what());
    return 2;
  } catch (const std::exception& e) {
    fmt::print(stderr, "error: {}\n", e.what());
    return 1;
  }
}
