#include "packet_dedup.hpp"

namespace gk {

bool PacketDedup::first_time(uint32_t device, uint32_t sequence) {
  auto [it, created] = devices_.try_emplace(device);
  Device& d = it->second;
  if (created) d.base = sequence > kBelow ? sequence - kBelow : 0;
  // Unsigned difference: numbers below the base wrap to large offsets and take the exact set.
  const uint32_t offset = sequence - d.base;
  if (offset >= kMaxSpan) return d.outside.insert(sequence).second;
  const size_t word = offset / 64;
  if (word >= d.bits.size()) d.bits.resize(std::max(word + 1, 2 * d.bits.size()), 0);
  const uint64_t mask = uint64_t{1} << (offset % 64);
  if (d.bits[word] & mask) return false;
  d.bits[word] |= mask;
  return true;
}

}  // namespace gk
