#include "link_decoder.hpp"

namespace gk::link {
namespace {

// Structural checks protobuf cannot express (as the .gkr reader does).
bool consistent(const pb::SensorPacket& p) {
  if (p.accel_size() == 0 || p.accel_size() % 3 != 0) return false;
  if (p.gyro_size() != 0 && p.gyro_size() != p.accel_size()) return false;
  if (p.t_offset_us_size() != 0 && p.t_offset_us_size() != p.accel_size() / 3) return false;
  return true;
}

}  // namespace

void LinkDecoder::push(std::span<const uint8_t> bytes, int64_t host_rx_us) {
  frames_.push(bytes, [&](std::span<const uint8_t> payload) { on_payload(payload, host_rx_us); });
}

void LinkDecoder::on_payload(std::span<const uint8_t> payload, int64_t host_rx_us) {
  // A CRC-clean frame that is not a SensorPacket can only come from a sender
  // speaking another protocol; counted, not trusted.
  if (!packet_.ParseFromArray(payload.data(), static_cast<int>(payload.size())) ||
      !consistent(packet_)) {
    ++not_packets_;
    return;
  }
  const uint32_t device = packet_.device_id();
  SequenceTracker& seq = sequences_[device];
  ClockTracker& clock = clocks_[device];
  switch (seq.push(packet_.sequence())) {
    case SequenceVerdict::kDuplicate:
      return;
    case SequenceVerdict::kRestart:
      clock.reset();
      break;
    case SequenceVerdict::kNew:
    case SequenceVerdict::kLate:
      break;
  }
  const int64_t t = clock.unwrap(static_cast<uint64_t>(packet_.t_first_us()));
  packet_.set_t_first_us(t);
  clock.observe(t, host_rx_us);
  ++packets_;
  sink_(packet_, host_rx_us);
}

std::optional<double> LinkDecoder::drift_ppm(uint32_t device_id) const {
  const auto it = clocks_.find(device_id);
  if (it == clocks_.end()) return std::nullopt;
  return it->second.drift_ppm();
}

LinkStats LinkDecoder::stats() const {
  LinkStats s;
  const FrameDecoderCounters& f = frames_.counters();
  s.bytes = f.bytes;
  s.frames_ok = f.frames_ok;
  s.crc_failures = f.crc_failures;
  s.malformed = f.malformed + f.oversize + not_packets_;
  s.resyncs = f.resyncs;
  s.packets = packets_;
  for (const auto& [id, t] : sequences_) {
    const SequenceCounters& c = t.counters();
    s.gaps += c.gaps;
    s.missing += c.missing;
    s.late += c.late;
    s.duplicates += c.duplicates;
    s.restarts += c.restarts;
  }
  if (!clocks_.empty()) s.drift_ppm = clocks_.begin()->second.drift_ppm();
  return s;
}

}  // namespace gk::link
