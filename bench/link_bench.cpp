// Sensor link (src/link): decoder throughput and pty latency.
//  - BM_FrameDecoder / BM_LinkDecoder: bytes/s through the frame layer (COBS +
//    CRC-32C) and through the whole decoder (+ protobuf parse, sequence and
//    clock tracking), on a stream of real firmware frames (2 sensors x 1 kHz,
//    20 samples per packet) pushed in 4 KiB reads. Bytes = wire bytes.
//  - BM_PtyLatency: time from write() of a frame into a real pseudo-terminal
//    master returning to the decoded packet coming out of LinkDecoder, fed by
//    LinkReceiver (Asio serial_port on the slave, raw mode) on its own thread
//    blocked in epoll, as `gaitkeeper record --serial` runs. One frame in
//    flight at a time. Median and p99 are reported as counters (microseconds).
#include <benchmark/benchmark.h>
#include <fcntl.h>
#include <pty.h>
#include <termios.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <thread>
#include <vector>

#include "frame_decoder.hpp"
#include "link_decoder.hpp"
#include "link_receiver.hpp"
#include "packetizer.h"

namespace {

std::vector<uint8_t> frame(uint32_t device, uint32_t seq) {
  gkfw_packetizer_t pk;
  const gkfw_packetizer_config_t cfg{device, gaitkeeper_pb_Placement_LEFT_FOOT, 16, 2000, 1000, 20};
  gkfw_packetizer_init(&pk, &cfg);
  pk.next_sequence = seq;
  for (uint32_t i = 0; i < 20; ++i) {
    // Running-like magnitudes: thousands of counts, so varints take 2-3 bytes.
    const int16_t a[3] = {static_cast<int16_t>(2000 + 37 * i), static_cast<int16_t>(-1500 + i),
                          static_cast<int16_t>(4096 - 11 * i)};
    const int16_t g[3] = {static_cast<int16_t>(300 * i), static_cast<int16_t>(-7000),
                          static_cast<int16_t>(seq)};
    gkfw_packetizer_push(&pk, 20000u * seq + 1000u * i, a, g);
  }
  std::vector<uint8_t> f(GKFW_MAX_FRAME);
  f.resize(gkfw_packetizer_emit_frame(&pk, f.data(), f.size()));
  return f;
}

const std::vector<uint8_t>& stream() {
  static const std::vector<uint8_t> s = [] {
    std::vector<uint8_t> out;
    for (uint32_t seq = 0; seq < 2000; ++seq) {
      for (uint32_t dev = 1; dev <= 2; ++dev) {
        const auto f = frame(dev, seq);
        out.insert(out.end(), f.begin(), f.end());
      }
    }
    return out;
  }();
  return s;
}

constexpr size_t kRead = 4096;

void BM_FrameDecoder(benchmark::State& state) {
  const auto& s = stream();
  size_t frames = 0;
  for (auto _ : state) {
    gk::link::FrameDecoder d;
    for (size_t at = 0; at < s.size(); at += kRead) {
      const size_t n = std::min(kRead, s.size() - at);
      d.push(std::span<const uint8_t>(s.data() + at, n),
             [&](std::span<const uint8_t> p) { benchmark::DoNotOptimize(p.data()); });
    }
    frames += d.counters().frames_ok;
  }
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * s.size()));
  state.counters["frames"] = static_cast<double>(frames) / static_cast<double>(state.iterations());
}
BENCHMARK(BM_FrameDecoder)->MeasureProcessCPUTime()->Unit(benchmark::kMillisecond);

void BM_LinkDecoder(benchmark::State& state) {
  const auto& s = stream();
  uint64_t packets = 0;
  for (auto _ : state) {
    gk::link::LinkDecoder d(
        [&](gaitkeeper::pb::SensorPacket& p, int64_t) { benchmark::DoNotOptimize(p.sequence()); });
    for (size_t at = 0; at < s.size(); at += kRead) {
      const size_t n = std::min(kRead, s.size() - at);
      d.push(std::span<const uint8_t>(s.data() + at, n), static_cast<int64_t>(at));
    }
    packets += d.stats().packets;
  }
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * s.size()));
  state.counters["packets"] =
      static_cast<double>(packets) / static_cast<double>(state.iterations());
}
BENCHMARK(BM_LinkDecoder)->MeasureProcessCPUTime()->Unit(benchmark::kMillisecond);

void BM_PtyLatency(benchmark::State& state) {
  int master = -1, slave = -1;
  char name[256] = {};
  if (::openpty(&master, &slave, name, nullptr, nullptr) != 0) {
    state.SkipWithError("openpty failed");
    return;
  }
  termios t{};
  ::tcgetattr(slave, &t);
  ::cfmakeraw(&t);
  ::tcsetattr(slave, TCSANOW, &t);
  // The real host path: LinkReceiver (Asio serial_port on the slave, epoll)
  // feeding LinkDecoder on its own thread, blocked until bytes arrive.
  std::atomic<int64_t> decoded_ns{0};
  gk::link::LinkDecoder decoder([&](gaitkeeper::pb::SensorPacket&, int64_t) {
    decoded_ns = std::chrono::steady_clock::now().time_since_epoch().count();
  });
  gk::link::Endpoint ep;
  ep.address = name;
  gk::link::LinkReceiver receiver(
      ep, {}, [&](std::span<const uint8_t> b, int64_t rx) { decoder.push(b, rx); }, nullptr);
  std::thread rx([&] { receiver.run(); });
  std::this_thread::sleep_for(std::chrono::milliseconds(100));  // let it open the port
  std::vector<double> lat_us;
  uint32_t seq = 0;
  size_t frame_bytes = 0;
  for (auto _ : state) {
    const auto fr = frame(1, seq++);
    frame_bytes = fr.size();
    decoded_ns = 0;
    if (::write(master, fr.data(), fr.size()) != static_cast<ssize_t>(fr.size())) {
      state.SkipWithError("short write");
      break;
    }
    const int64_t t0 = std::chrono::steady_clock::now().time_since_epoch().count();
    while (decoded_ns.load() == 0) {
    }
    lat_us.push_back(static_cast<double>(decoded_ns.load() - t0) / 1000.0);
  }
  receiver.stop();
  rx.join();
  ::close(master);
  ::close(slave);
  if (lat_us.empty()) return;
  std::sort(lat_us.begin(), lat_us.end());
  state.counters["median_us"] = lat_us[lat_us.size() / 2];
  state.counters["p99_us"] = lat_us[std::min(lat_us.size() - 1, lat_us.size() * 99 / 100)];
  state.counters["frame_bytes"] = static_cast<double>(frame_bytes);
}
BENCHMARK(BM_PtyLatency)->Iterations(20000)->UseRealTime()->Unit(benchmark::kMicrosecond);

}  // namespace

BENCHMARK_MAIN();
