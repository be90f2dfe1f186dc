// Per-device bookkeeping of the packet sequence numbers (uint32, wrapping):
// detects gaps across the wrap, drops duplicates, accepts late (reordered)
// packets into the gap they left, and notices a device restart.
#pragma once

#include <bitset>
#include <cstdint>

namespace gk::link {

enum class SequenceVerdict {
  kNew,        ///< ahead of everything seen: deliver
  kLate,       ///< fills an earlier gap (reordering): deliver
  kDuplicate,  ///< already delivered: drop
  kRestart,    ///< far behind the window: the device restarted; deliver, tracking restarts
};

struct SequenceCounters {
  uint64_t gaps = 0;        ///< jumps forward by more than one (events)
  uint64_t missing = 0;     ///< sequence numbers skipped and not (yet) filled by late packets
  uint64_t late = 0;        ///< packets that arrived after a later one
  uint64_t duplicates = 0;  ///< packets dropped as already seen
  uint64_t restarts = 0;
};

class SequenceTracker {
 public:
  /// How far back a late packet is still recognised (packets).
  static constexpr uint32_t kWindow = 4096;

  SequenceVerdict push(uint32_t sequence);
  void reset();
  const SequenceCounters& counters() const { return counters_; }
  bool started() const { return started_; }
  uint32_t highest() const { return highest_; }

 private:
  bool seen(uint32_t s) const { return window_[s % kWindow]; }
  void mark(uint32_t s, bool v) { window_[s % kWindow] = v; }

  std::bitset<kWindow> window_;
  uint32_t highest_ = 0;
  uint32_t lowest_ = 0;  // earliest sequence seen since the (re)start
  bool started_ = false;
  SequenceCounters counters_;
};

}  // namespace gk::link
