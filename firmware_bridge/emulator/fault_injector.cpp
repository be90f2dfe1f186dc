#include "fault_injector.hpp"

#include <cmath>

namespace gk::emu {

const char* fate_name(Fate f) {
  switch (f) {
    case Fate::kDelivered:
      return "delivered";
    case Fate::kDropped:
      return "dropped";
    case Fate::kCorrupted:
      return "corrupted";
    case Fate::kOutage:
      return "outage";
  }
  return "?";
}

FaultInjector::FaultInjector(const FaultSettings& settings)
    : settings_(settings), rng_(settings.seed) {}

bool FaultInjector::chance(double pct) { return pct > 0.0 && unit_(rng_) * 100.0 < pct; }

WireChunk FaultInjector::damaged(const std::vector<uint8_t>& frame, uint32_t device,
                                 uint32_t sequence) {
  WireChunk c{frame, true, device, sequence, true};
  if (settings_.bitflip_pct <= 0.0) return c;
  // Hit bytes by geometric gaps (exact per-byte Bernoulli without a draw per
  // byte); each hit byte gets one random bit flipped.
  const double p = settings_.bitflip_pct / 100.0;
  std::geometric_distribution<uint64_t> gap(p);
  std::uniform_int_distribution<int> bit(0, 7);
  for (uint64_t i = gap(rng_); i < c.bytes.size(); i += 1 + gap(rng_)) {
    c.bytes[i] = static_cast<uint8_t>(c.bytes[i] ^ (1u << bit(rng_)));
    c.intact = false;
  }
  return c;
}

bool FaultInjector::push(const std::vector<uint8_t>& frame, uint32_t device, uint32_t sequence,
                         std::vector<WireChunk>& out) {
  if (chance(settings_.garbage_pct)) {
    std::uniform_int_distribution<uint32_t> len(1, settings_.garbage_max_bytes);
    std::uniform_int_distribution<int> byte(0, 255);
    WireChunk g;
    g.bytes.resize(len(rng_));
    for (auto& b : g.bytes) b = static_cast<uint8_t>(byte(rng_));
    out.push_back(std::move(g));
  }
  if (chance(settings_.drop_pct)) {
    ++dropped_;
    return false;
  }
  std::vector<WireChunk> copies;
  copies.push_back(damaged(frame, device, sequence));
  if (chance(settings_.duplicate_pct)) copies.push_back(damaged(frame, device, sequence));
  if (!holding_ && chance(settings_.reorder_pct)) {
    held_ = std::move(copies);
    holding_ = true;
    return true;
  }
  for (auto& c : copies) out.push_back(std::move(c));
  flush(out);
  return true;
}

void FaultInjector::flush(std::vector<WireChunk>& out) {
  if (!holding_) return;
  for (auto& c : held_) out.push_back(std::move(c));
  held_.clear();
  holding_ = false;
}

}  // namespace gk::emu
