// Link faults the emulator applies to each frame before it goes out, from a
// seeded generator so every run is reproducible. It also decides the fate of
// every frame, which the emulator logs as ground truth for tests.
#pragma once

#include <cstdint>
#include <random>
#include <vector>

namespace gk::emu {

struct FaultSettings {
  double drop_pct = 0.0;     ///< frames never sent
  double bitflip_pct = 0.0;  ///< share of bytes (percent) that get one random bit flipped
  double garbage_pct = 0.0;  ///< chance per frame of a garbage burst before it
  uint32_t garbage_max_bytes = 64;
  double duplicate_pct = 0.0;  ///< frames sent twice
  double reorder_pct = 0.0;    ///< frames held back and sent after the next one
  uint64_t seed = 1;
};

/// What became of one frame (device, sequence).
enum class Fate { kDelivered, kDropped, kCorrupted, kOutage };
const char* fate_name(Fate f);

struct WireChunk {
  std::vector<uint8_t> bytes;
  bool is_frame = false;  ///< false: garbage
  uint32_t device = 0;
  uint32_t sequence = 0;
  bool intact = false;  ///< frame bytes unmodified
};

class FaultInjector {
 public:
  explicit FaultInjector(const FaultSettings& settings);

  /// Applies faults to one frame; appends what goes on the wire to out (a
  /// frame held back for reordering follows the next one). Returns false
  /// when the frame was dropped.
  bool push(const std::vector<uint8_t>& frame, uint32_t device, uint32_t sequence,
            std::vector<WireChunk>& out);
  /// Releases a frame held back for reordering (before a disconnect or the end).
  void flush(std::vector<WireChunk>& out);

  uint64_t dropped() const { return dropped_; }

 private:
  bool chance(double pct);
  WireChunk damaged(const std::vector<uint8_t>& frame, uint32_t device, uint32_t sequence);

  FaultSettings settings_;
  std::mt19937_64 rng_;
  std::uniform_real_distribution<double> unit_{0.0, 1.0};
  bool holding_ = false;
  std::vector<WireChunk> held_;
  uint64_t dropped_ = 0;
};

}  // namespace gk::emu
