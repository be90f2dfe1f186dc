// The upper median of a few recent values (the element at size/2 once sorted), as the step
// detectors keep them: peaks, impacts, step and stride times. Of an even count it takes the
// larger middle value rather than averaging, so it is always one of the values seen.
#pragma once

#include <algorithm>
#include <cstddef>
#include <vector>

namespace gk {

/// 0 for no values.
template <typename T>
T upper_median(std::vector<T> v) {
  if (v.empty()) return T{0};
  const auto mid = v.begin() + static_cast<std::ptrdiff_t>(v.size() / 2);
  std::nth_element(v.begin(), mid, v.end());
  return *mid;
}

}  // namespace gk
