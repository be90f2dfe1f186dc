#include "packet_order.hpp"

namespace gk {

int64_t PacketOrder::key(uint32_t sequence) {
  restarted_ = false;
  if (!started_) {
    started_ = true;
    highest_ = sequence;
    highest_key_ = 0;
    return 0;
  }
  // Serial number arithmetic: the signed 32-bit difference, so a wrap 0xFFFFFFFF -> 0 is +1.
  const int64_t ahead = static_cast<int32_t>(sequence - highest_);
  if (ahead > 0) {
    highest_ = sequence;
    highest_key_ += ahead;
    return highest_key_;
  }
  if (ahead > -kLateWindow) return highest_key_ + ahead;
  // A restart: the device counts again from wherever it began, after all it sent before (a
  // window's length on, so that the new run's own late packets still sort after the old run).
  restarted_ = true;
  highest_ = sequence;
  highest_key_ += kLateWindow + 1;
  return highest_key_;
}

std::optional<int64_t> PacketArrivals::accept(uint32_t device, uint32_t sequence) {
  PacketOrder& order = order_[device];
  const int64_t key = order.key(sequence);
  if (order.restarted()) seen_.forget(device);
  if (!seen_.first_time(device, sequence)) return std::nullopt;
  return key;
}

}  // namespace gk
