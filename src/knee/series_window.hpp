// One stance of a per-step value series (tibial inclination, pelvic
// obliquity, hip adduction): the value at initial contact and the largest
// value up to the stance's end, but only when the series covers the whole
// stance, so a step next to a gap gets no value rather than a partial one.
#pragma once

#include <cstdint>
#include <deque>
#include <optional>
#include <utility>

namespace gk {

/// (t_us, value) in time order.
using TimedValues = std::deque<std::pair<int64_t, double>>;

struct StanceSummary {
  double at_ic = 0.0;  ///< first sample from slack/2 before IC
  double peak = 0.0;   ///< largest of sign * value over [IC, end]
};

/// nullopt unless a sample lies within slack of IC, none is missing for more
/// than slack in between, and the last lies within slack of end.
std::optional<StanceSummary> summarize_stance(const TimedValues& series, int64_t ic_us,
                                              int64_t end_us, int64_t slack_us, double sign = 1.0);

}  // namespace gk
