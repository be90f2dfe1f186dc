// Where one leg's recent landings put its next one: for a landing a hole in the data hides
// together with the mid-swing its time is usually counted from (at 100 Hz a lost packet is
// 0.2 s: a shank's mid-swing comes 0.1-0.15 s before its landing, a foot's 0.2-0.35 s).
//
// The recent landings seen (none timed in a hole) give the stride; a gap between two of them
// that spans two or three strides (a landing timed in a hole is left out) counts as that many
// strides of the shortest. The rhythm speaks only while steady: every stride within a tenth of
// their median (a runner's stride time varies by about 2 %).
#pragma once

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <deque>
#include <optional>
#include <vector>

#include "upper_median.hpp"

namespace gk {

class LandingRhythm {
 public:
  /// A landing seen in the data (not timed in a hole), in time order.
  void note(int64_t ic_us) {
    recent_us_.push_back(ic_us);
    if (recent_us_.size() > kRecent) recent_us_.pop_front();
  }
  void reset() { recent_us_.clear(); }

  /// The landing the rhythm puts nearest near_us (one to three strides after the last seen), if
  /// the rhythm is steady; and its stride.
  struct Prediction {
    int64_t ic_us;
    int64_t stride_us;
  };
  std::optional<Prediction> near(int64_t near_us) const {
    if (recent_us_.size() < kMinLandings) return std::nullopt;
    int64_t shortest = INT64_MAX;
    for (size_t i = 1; i < recent_us_.size(); ++i) {
      shortest = std::min(shortest, recent_us_[i] - recent_us_[i - 1]);
    }
    if (shortest <= 0) return std::nullopt;
    std::vector<int64_t> strides;
    for (size_t i = 1; i < recent_us_.size(); ++i) {
      const int64_t gap = recent_us_[i] - recent_us_[i - 1];
      const int64_t n = std::max<int64_t>(
          1, std::llround(static_cast<double>(gap) / static_cast<double>(shortest)));
      strides.push_back(gap / n);
    }
    const int64_t typical = upper_median(strides);
    for (const int64_t stride : strides) {
      if (std::abs(stride - typical) * 10 > typical) return std::nullopt;  // not steady
    }
    const int64_t last = recent_us_.back();
    const int64_t n =
        std::llround(static_cast<double>(near_us - last) / static_cast<double>(typical));
    if (n < 1 || n > 3) return std::nullopt;
    return Prediction{last + n * typical, typical};
  }

 private:
  static constexpr size_t kRecent = 6;
  static constexpr size_t kMinLandings = 4;
  std::deque<int64_t> recent_us_;
};

}  // namespace gk
