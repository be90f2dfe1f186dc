// Debounce of one flag: a condition must hold for a minimum duration before
// the flag is raised, and the value must come back past a hysteresis margin
// for the same duration before it is cleared, so a flag does not flap when
// the measured value hovers around its threshold.
#pragma once

#include <cstdint>
#include <optional>

namespace gk {

class FlagDebouncer {
 public:
  enum class Change { kNone, kRaised, kCleared };

  FlagDebouncer() : FlagDebouncer(20.0) {}
  explicit FlagDebouncer(double min_duration_s) : min_duration_us_(to_us(min_duration_s)) {}

  /// One observation at t_us. Larger values are worse: the flag is raised
  /// once value > raise_above has held for the minimum duration, and cleared
  /// once value < clear_below (<= raise_above) has held as long.
  Change update(int64_t t_us, double value, double raise_above, double clear_below);

  bool active() const { return active_; }
  /// Start of the current episode: when its condition first held.
  int64_t onset_us() const { return onset_us_; }
  void reset();

 private:
  static int64_t to_us(double s) { return static_cast<int64_t>(s * 1e6); }
  int64_t min_duration_us_;
  bool active_ = false;
  int64_t onset_us_ = 0;
  std::optional<int64_t> pending_since_us_;  ///< condition for the opposite state holding since
};

}  // namespace gk
