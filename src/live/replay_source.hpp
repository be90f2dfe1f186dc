// A stand-in sensor link for demos and benchmarks (`gaitkeeper live
// --emulate RECORDING` or `--simulate`): the session's samples are cut into
// packets as a device FIFO would deliver them (packetizer.hpp), framed with
// the firmware's own COBS + CRC-32C code and handed over as received bytes,
// paced at X times real time. Everything downstream is the live path.
// Same shape as link::LinkReceiver: single-threaded, run() drives it.
#pragma once

// Boost 1.74's awaitable.hpp uses std::exchange without including <utility>.
#include <utility>
// clang-format off
#include <boost/asio.hpp>
// clang-format on
#include <cstdint>
#include <functional>
#include <span>
#include <vector>

#include "session.hpp"

namespace gk::live {

struct ReplaySettings {
  double speed = 1.0;  ///< times real time; 0 = as fast as the pipeline takes it
  uint32_t samples_per_packet = 20;
  int64_t pace_period_us = 2'000;  ///< how often due frames are sent (wall clock)
  bool stop_on_signals = false;    ///< SIGINT/SIGTERM end run() cleanly (CLI use)
};

class ReplaySource {
 public:
  using BytesSink = std::function<void(std::span<const uint8_t>, int64_t host_rx_us)>;

  ReplaySource(const Session& session, ReplaySettings settings, BytesSink on_bytes);

  void on_tick(std::function<void()> tick, int64_t interval_us);
  /// Runs until every frame is sent or stop().
  void run();
  /// Thread-safe.
  void stop();

  /// Sensors of the session (for the header).
  const std::vector<pb::SensorInfo>& sensors() const { return sensors_; }
  size_t frames() const { return frames_.size(); }
  size_t frames_sent() const { return next_; }

 private:
  struct Frame {
    int64_t due_us = 0;  ///< session time of its last sample, from the first sample
    std::vector<uint8_t> bytes;
  };
  void pace();
  void arm_tick();

  ReplaySettings settings_;
  BytesSink on_bytes_;
  std::vector<pb::SensorInfo> sensors_;
  std::vector<Frame> frames_;
  size_t next_ = 0;
  boost::asio::io_context io_;
  boost::asio::steady_timer pace_timer_;
  boost::asio::steady_timer tick_timer_;
  boost::asio::signal_set signals_;
  std::function<void()> tick_;
  int64_t tick_interval_us_ = 0;
  std::chrono::steady_clock::time_point wall0_;
  bool done_ = false;
};

}  // namespace gk::live
