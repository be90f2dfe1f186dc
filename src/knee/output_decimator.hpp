// The knee stage's outputs (angles, segment poses) at a fixed rate whatever
// the sensors' rate: the first sample at or after each point of a grid of
// that period passes, the others do not. On a grid (not "period after the
// last output"), so sensors at different rates give the same output times.
#pragma once

#include <cmath>
#include <cstdint>

namespace gk {

class OutputDecimator {
 public:
  explicit OutputDecimator(double rate_hz)
      : period_us_(static_cast<int64_t>(std::llround(1e6 / rate_hz))) {}

  /// Whether the sample at t_us is output (and, if so, moves the grid on).
  bool pass(int64_t t_us) {
    if (next_us_ != INT64_MIN && t_us < next_us_) return false;
    next_us_ = (t_us / period_us_ + 1) * period_us_;
    return true;
  }
  void reset() { next_us_ = INT64_MIN; }

 private:
  int64_t period_us_;
  int64_t next_us_ = INT64_MIN;
};

}  // namespace gk
