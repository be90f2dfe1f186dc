// The one decoder of the sensor link: bytes in, SensorPackets out, exactly
// once each. Frames (frame_decoder.hpp) -> protobuf SensorPacket -> per-device
// sequence check (sequence_tracker.hpp) and device clock (clock_tracker.hpp).
// Every loss is counted in LinkStats, nothing is thrown for bad bytes.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <span>

#include "clock_tracker.hpp"
#include "frame_decoder.hpp"
#include "gaitkeeper.pb.h"
#include "sequence_tracker.hpp"

namespace gk::link {

namespace pb = gaitkeeper::pb;

/// Counters for the live view and the session summary.
struct LinkStats {
  uint64_t bytes = 0;
  uint64_t frames_ok = 0;  ///< CRC-checked frames
  uint64_t crc_failures = 0;
  uint64_t malformed = 0;           ///< bad stuffing, too short, too long, or not a SensorPacket
  uint64_t resyncs = 0;             ///< times bytes were skipped to the next delimiter
  uint64_t packets = 0;             ///< packets delivered (new + late)
  uint64_t gaps = 0;                ///< sequence jumps (events)
  uint64_t missing = 0;             ///< packets never received (so far)
  uint64_t late = 0;                ///< delivered out of order
  uint64_t duplicates = 0;          ///< dropped as already delivered
  uint64_t restarts = 0;            ///< device sequence restarts
  uint64_t reconnects = 0;          ///< filled in by the transport
  std::optional<double> drift_ppm;  ///< device clock vs host (first device)
};

class LinkDecoder {
 public:
  /// Receives a packet with t_first_us unwrapped to the 64-bit device clock.
  using PacketSink = std::function<void(pb::SensorPacket&, int64_t host_rx_us)>;

  explicit LinkDecoder(PacketSink sink) : sink_(std::move(sink)) {}

  /// Bytes as received at host time host_rx_us (microseconds, any epoch).
  void push(std::span<const uint8_t> bytes, int64_t host_rx_us);
  /// A new connection: drop the partial frame (sequence state is kept, so a
  /// gap across the outage is reported).
  void link_reset() { frames_.reset(); }

  LinkStats stats() const;
  const std::map<uint32_t, SequenceTracker>& devices() const { return sequences_; }
  std::optional<double> drift_ppm(uint32_t device_id) const;

 private:
  void on_payload(std::span<const uint8_t> payload, int64_t host_rx_us);

  PacketSink sink_;
  FrameDecoder frames_;
  pb::SensorPacket packet_;  // reused: parsing into it keeps its allocations
  std::map<uint32_t, SequenceTracker> sequences_;
  std::map<uint32_t, ClockTracker> clocks_;
  uint64_t not_packets_ = 0;
  uint64_t packets_ = 0;
};

}  // namespace gk::link
