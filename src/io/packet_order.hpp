// The order a device sent its packets in, from their sequence numbers, for a recording read
// whole. Packets are journaled in arrival order: a radio link may deliver one after a later one,
// and it goes back into its place. Time is no guide to that order, since a device clock may step
// back (a sensor CSV made into a recording can), and the analysis must meet such a step where
// the device made it, as it does live.
//
// The numbers are compared as serial numbers (RFC 1982, as docs/protocol.md's sequence check): a
// packet less than kLateWindow behind the highest so far is late; further behind, the device
// restarted, and its new packets follow everything before.
#pragma once

#include <cstdint>
#include <optional>
#include <unordered_map>

#include "packet_dedup.hpp"

namespace gk {

class PacketOrder {
 public:
  /// As docs/protocol.md: a packet further behind than this is a restart, not a late one.
  static constexpr int64_t kLateWindow = 4096;

  /// A key that sorts this device's packets into the order it sent them (ties: arrival order).
  int64_t key(uint32_t sequence);
  /// Whether the last key() took its packet for a device restart: the numbers it used before
  /// come again, and are no duplicates (PacketDedup::forget).
  bool restarted() const { return restarted_; }
  void reset() {
    started_ = false;
    restarted_ = false;
  }

 private:
  bool started_ = false;
  bool restarted_ = false;
  uint32_t highest_ = 0;
  int64_t highest_key_ = 0;
};

/// A recording's packets as they arrive, over all its devices: each one's place in the order its
/// device sent it (PacketOrder), and whether it came before (a link that resent it, the journal
/// keeping both). A device that restarted sends numbers again that it used before, which are no
/// duplicates then (as SequenceTracker live). Keyed before the duplicate test, so a duplicate
/// leaves the order as it was.
class PacketArrivals {
 public:
  /// The packet's order key within its device, or nullopt for a duplicate.
  std::optional<int64_t> accept(uint32_t device, uint32_t sequence);
  void reset() {
    order_.clear();
    seen_.reset();
  }

 private:
  std::unordered_map<uint32_t, PacketOrder> order_;
  PacketDedup seen_;
};

}  // namespace gk
