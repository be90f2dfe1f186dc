// Where a landing began, among the jumps of the specific force from one sample to the next: the
// first transient of the contact and the onset of its rise. Shared by the gyro detectors' impact
// search (stride_features: foot and shank) and the accelerometer-only shoe (FootRestStepDetector).
#pragma once

#include <algorithm>
#include <cstddef>
#include <cstdint>

namespace gk {

struct LandingOnsetSearch {
  /// The first jump before the largest that reaches this share of it is the landing's: at
  /// 100-200 Hz the samples catch a first transient's rise at a phase that drifts from stride
  /// to stride, while a later one (the heel coming down after a forefoot landing, the foot
  /// settling flat, ringing) can be sampled at its steepest. 0 keeps the largest.
  double first_fraction = 0.5;
  /// The onset is then walked back while the jump into the row before stays above this share of
  /// the landing's jump ...
  double onset_fraction = 0.25;
  /// ... and that row lies at most this far before it: an impact rises within a few
  /// milliseconds, and a longer climb is the swing's own acceleration.
  int64_t onset_max_lead_us = 12'000;
  /// Keep the onset's level a share of the largest jump rather than of the first (see
  /// ImpactSearch::rises_only).
  bool level_from_largest = false;
};

/// The row whose jump (from the row before) starts the landing's transient. The caller has
/// found the largest jump, at row `largest` with value `largest_jump`, in a window that starts
/// at row `lo`. `first(i)` is the value row i's jump offers as the first transient (below 0: it
/// cannot be one, e.g. a jump across lost samples); `jump(i)` its size for the walk back, which
/// stops above row `stop` and at `floor`; `t_us(i)` its time. The landing happened between the
/// returned row and the one before.
template <class First, class Jump, class Time>
size_t landing_onset_row(size_t lo, size_t largest, double largest_jump, size_t stop, double floor,
                         const LandingOnsetSearch& search, First first, Jump jump, Time t_us) {
  size_t best = largest;
  double level_of = largest_jump;
  if (search.first_fraction > 0.0) {
    for (size_t i = lo; i < largest; ++i) {
      const double j = first(i);
      if (j >= search.first_fraction * largest_jump) {
        best = i;
        if (!search.level_from_largest) level_of = j;
        break;
      }
    }
  }
  const double level = std::max(search.onset_fraction * level_of, floor);
  const int64_t peak_us = t_us(best);
  while (best > stop && peak_us - t_us(best - 1) <= search.onset_max_lead_us &&
         jump(best - 1) > level) {
    --best;
  }
  return best;
}

}  // namespace gk
