// Where a steady rhythm puts the next event of a series (one leg's impacts), robust to one
// mistimed event: a Theil-Sen line through the recent events (Theil 1950, Proc. KNAW 53:386;
// Sen 1968, J. Am. Stat. Assoc. 63:1379), its slope the median of the pairwise slopes and its
// offset the median of the events carried forward by that slope.
//
// Why not the last event plus the median stride: an event taken at the wrong rise moves the
// next prediction with it (a detector that then keeps choosing by that prediction locks onto
// the wrong rise), and at 100 Hz the median of stride times quantised to a 10 ms period is
// biased by up to a period.
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

#include "upper_median.hpp"

namespace gk {

/// The next event after `times_us` (ascending, one stride apart); needs at least two.
inline int64_t predict_next_us(const std::vector<int64_t>& times_us) {
  const size_t n = times_us.size();
  std::vector<double> slopes;
  slopes.reserve(n * (n - 1) / 2);
  for (size_t i = 0; i < n; ++i) {
    for (size_t j = i + 1; j < n; ++j) {
      slopes.push_back(static_cast<double>(times_us[j] - times_us[i]) / static_cast<double>(j - i));
    }
  }
  const double stride_us = upper_median(slopes);
  std::vector<double> projected;
  projected.reserve(n);
  for (size_t i = 0; i < n; ++i) {
    projected.push_back(static_cast<double>(times_us[i]) + static_cast<double>(n - i) * stride_us);
  }
  return static_cast<int64_t>(upper_median(projected));
}

}  // namespace gk
