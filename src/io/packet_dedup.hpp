// Which (device, sequence) packets a recording has already delivered, so a
// packet that a link resent and the journal kept twice is counted once.
//
// Sequence numbers of one device mostly run up by one from wherever the
// device started, so each device keeps a bitmap over a window that grows
// with the numbers seen: a bit per packet (4.5 kB per sensor-hour at 200 Hz
// in 20-sample packets) instead of a hash-set node, whose scattered buckets
// were a few percent of a batch run. Numbers far outside the window (a device
// restart, a corrupt counter) fall back to an exact set, so the answer is
// exact for any order of arrival.
#pragma once

#include <algorithm>
#include <cstdint>
#include <unordered_map>
#include <unordered_set>
#include <vector>

namespace gk {

class PacketDedup {
 public:
  /// True the first time this device delivers this sequence number.
  bool first_time(uint32_t device, uint32_t sequence);
  /// The device restarted (PacketOrder::restarted): the numbers it sent before count no more.
  void forget(uint32_t device) { devices_.erase(device); }
  void reset() { devices_.clear(); }

 private:
  /// How far below the first number seen the window starts (late packets),
  /// and the largest window a bitmap covers (2^24 packets: 2 MiB).
  static constexpr uint32_t kBelow = 4096;
  static constexpr uint32_t kMaxSpan = 1u << 24;

  struct Device {
    uint32_t base = 0;
    std::vector<uint64_t> bits;
    std::unordered_set<uint32_t> outside;
  };
  std::unordered_map<uint32_t, Device> devices_;
};

}  // namespace gk
