// Deterministic random numbers for the simulator. std::normal_distribution is
// implementation-defined, so normals come from our own Box–Muller transform
// (Box & Muller 1958, Ann. Math. Stat. 29:610) on top of std::mt19937_64,
// whose output sequence the standard does fix: the same seed gives the same
// samples with any conforming library.
#pragma once

#include <cstdint>
#include <random>

namespace gk::sim {

/// SplitMix64 finaliser (Steele et al. 2014): derives independent seeds for
/// each sensor and purpose from the one user seed.
uint64_t mix_seed(uint64_t seed, uint64_t stream);

class NormalRng {
 public:
  explicit NormalRng(uint64_t seed) : engine_(seed) {}
  /// Uniform in [0, 1) with 53 random bits.
  double uniform();
  /// Standard normal.
  double normal();

 private:
  std::mt19937_64 engine_;
  double spare_ = 0.0;
  bool has_spare_ = false;
};

}  // namespace gk::sim
