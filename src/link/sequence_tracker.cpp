#include "sequence_tracker.hpp"

namespace gk::link {

void SequenceTracker::reset() {
  window_.reset();
  highest_ = 0;
  lowest_ = 0;
  started_ = false;
}

SequenceVerdict SequenceTracker::push(uint32_t sequence) {
  if (!started_) {
    started_ = true;
    highest_ = sequence;
    lowest_ = sequence;
    window_.reset();
    mark(sequence, true);
    return SequenceVerdict::kNew;
  }
  // Signed distance modulo 2^32 (serial number arithmetic, RFC 1982): a
  // packet after the wrap (0 after 0xFFFFFFFF) is one ahead, not 2^32 behind.
  const auto ahead = static_cast<int32_t>(sequence - highest_);
  if (ahead > 0) {
    const auto skipped = static_cast<uint32_t>(ahead) - 1u;
    if (skipped > 0) {
      ++counters_.gaps;
      counters_.missing += skipped;
    }
    // Slots between the old and the new highest become "not seen".
    const uint32_t clear = skipped < kWindow ? skipped : kWindow;
    for (uint32_t k = 1; k <= clear; ++k) mark(sequence - k, false);
    highest_ = sequence;
    mark(sequence, true);
    return SequenceVerdict::kNew;
  }
  const auto behind = static_cast<uint32_t>(-static_cast<int64_t>(ahead));
  if (behind < kWindow) {
    if (seen(sequence)) {
      ++counters_.duplicates;
      return SequenceVerdict::kDuplicate;
    }
    mark(sequence, true);
    ++counters_.late;
    const auto after_lowest = static_cast<int32_t>(sequence - lowest_);
    if (after_lowest > 0) {
      --counters_.missing;  // it fills a hole counted when the jump was seen
    } else {
      // Earlier than anything seen (reordered at the very start): the span
      // grows backwards and what lies between is missing.
      const uint32_t between = lowest_ - sequence - 1u;
      if (between > 0) {
        ++counters_.gaps;
        counters_.missing += between;
      }
      lowest_ = sequence;
    }
    return SequenceVerdict::kLate;
  }
  // Far behind: a rebooted device counting from 0 again.
  ++counters_.restarts;
  highest_ = sequence;
  lowest_ = sequence;
  window_.reset();
  mark(sequence, true);
  return SequenceVerdict::kRestart;
}

}  // namespace gk::link
