// The sample period a stream is delivering now, read from its timestamps.
//
// A device may change its output data rate mid-session (a firmware setting, a BLE connection
// interval renegotiated, a logger that drops to a power-saving rate). Everything timed in
// microseconds keeps working across such a change, but a detector that measures a jump over a
// fixed number of samples, or averages a fixed number of them, was sized for the nominal rate:
// at a fifth of it a 10 ms lag spans 50 ms and fails its own sanity check on every sample (an
// accelerometer-only shank lost every step after a 1 kHz -> 200 Hz change). This tracker tells
// its owner when the period has settled at a new value, so those sizes follow the data.
//
// A new period is settled when `agree_samples` consecutive intervals lie outside `tolerance` of
// the current one and within it of each other: a single long interval (a gap, a lost packet)
// followed by regular ones is not a change, and neither is jitter around the period.
#pragma once

#include <cstddef>
#include <cstdint>

namespace gk {

/// The period of a nominal rate in microseconds; 0 (unknown) for a rate under 1 Hz or over 1 MHz,
/// which no IMU has (a missing or corrupt rate field).
int64_t period_from_rate_us(double rate_hz);

struct SamplePeriodSettings {
  /// The period the stream is expected to have (from its nominal rate); 0 = unknown, in which
  /// case its first interval is taken.
  int64_t nominal_period_us = 0;
  /// Consecutive intervals that must agree before a new period is settled: 20 is 0.1 s at 200 Hz,
  /// long enough that a burst of lost packets does not count.
  size_t agree_samples = 20;
  /// An interval further than this share from the period is off it; intervals within this share
  /// of each other agree.
  double tolerance = 0.25;
};

class SamplePeriod {
 public:
  explicit SamplePeriod(const SamplePeriodSettings& settings = {});

  /// One sample's timestamp. Times not after the previous one are ignored (the owner flags
  /// them). Returns true when this sample settled a new period (or the first one, when the
  /// nominal period was unknown).
  bool push(int64_t t_us) {
    // Inline, the interval on the period: the engine watches every sample of every sensor.
    if (period_us_ > 0 && t_us > last_t_us_ && last_t_us_ != INT64_MIN) {
      const uint64_t dt_us = static_cast<uint64_t>(t_us) - static_cast<uint64_t>(last_t_us_);
      if (dt_us >= on_min_us_ && dt_us <= on_max_us_) {
        last_t_us_ = t_us;
        run_ = 0;
        return false;
      }
    }
    return push_off_period(t_us);
  }
  void reset();

  /// The settled period; 0 before any is known.
  int64_t period_us() const { return period_us_; }
  /// The period before the last change (0 if there was none, or it was unknown).
  int64_t previous_period_us() const { return previous_period_us_; }
  /// The time of the last sample before the intervals that settled the last change.
  int64_t change_start_us() const { return change_start_us_; }
  /// Sample periods settled since the start (the first one not counted when it was unknown).
  size_t changes() const { return changes_; }
  /// True when t lies strictly inside the latest interval that was longer than the period: a
  /// sample there arrives late into a hole, it does not stand for motion after the latest time.
  bool inside_last_hole(int64_t t_us) const { return t_us > long_from_us_ && t_us < long_to_us_; }

 private:
  bool push_off_period(int64_t t_us);
  bool off(int64_t dt_us, int64_t reference_us) const;
  /// Sets the period and the interval range [on_min_us_, on_max_us_] that is on it.
  void set_period(int64_t period_us);

  SamplePeriodSettings settings_;
  int64_t period_us_ = 0;
  uint64_t on_min_us_ = 0;
  uint64_t on_max_us_ = 0;
  int64_t previous_period_us_ = 0;
  int64_t change_start_us_ = 0;
  int64_t long_from_us_ = 0;  ///< the latest interval longer than the period (inside_last_hole)
  int64_t long_to_us_ = 0;
  size_t changes_ = 0;
  int64_t last_t_us_ = INT64_MIN;
  // The run of off intervals that may become the new period.
  size_t run_ = 0;
  int64_t run_first_us_ = 0;
  int64_t run_sum_us_ = 0;
  int64_t run_start_us_ = 0;
};

/// What a detector that measures a jump over a number of samples sizes from the rate (0:
/// unknown): the lag in samples (at least one), the time it spans (at least `lag_s`), the sample
/// period, and the interval that is a gap (`gap_periods` periods, at least `gap_min_us`).
struct LagSizes {
  size_t lag_n = 1;
  int64_t lag_us = 0;
  int64_t period_us = 0;
  int64_t gap_us = 0;
};
LagSizes lag_sizes(double rate_hz, double lag_s, double gap_periods, int64_t gap_min_us);

/// The rate of a tracker's settled period in Hz; 0 while it is unknown.
inline double settled_rate_hz(const SamplePeriod& p) {
  return p.period_us() > 0 ? 1e6 / static_cast<double>(p.period_us()) : 0.0;
}

}  // namespace gk
