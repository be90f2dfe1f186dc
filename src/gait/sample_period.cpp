#include "sample_period.hpp"

#include <algorithm>
#include <cassert>
#include <cmath>

namespace gk {
namespace {

/// An interval longer than this is a pause in the data, never a sample period (no body-worn IMU
/// samples at under 1 Hz); it also keeps the run's sum far from overflowing.
constexpr int64_t kLongestPeriod_us = 1'000'000;

}  // namespace

int64_t period_from_rate_us(double rate_hz) {
  if (!(rate_hz >= 1.0 && rate_hz <= 1e6)) return 0;
  return static_cast<int64_t>(std::llround(1e6 / rate_hz));
}

LagSizes lag_sizes(double rate_hz, double lag_s, double gap_periods, int64_t gap_min_us) {
  const double period_us = rate_hz > 0.0 ? 1e6 / rate_hz : 0.0;
  LagSizes out;
  out.gap_us = std::max<int64_t>(gap_min_us, static_cast<int64_t>(gap_periods * period_us));
  if (rate_hz > 0.0)
    out.lag_n = std::max<size_t>(1, static_cast<size_t>(std::lround(lag_s * rate_hz)));
  out.period_us = static_cast<int64_t>(std::llround(period_us));
  out.lag_us = std::max(static_cast<int64_t>(std::llround(lag_s * 1e6)),
                        static_cast<int64_t>(static_cast<double>(out.lag_n) * period_us));
  return out;
}

SamplePeriod::SamplePeriod(const SamplePeriodSettings& settings) : settings_(settings) {
  assert(settings.agree_samples > 0 && settings.tolerance > 0.0 && settings.nominal_period_us >= 0);
  reset();
}

void SamplePeriod::set_period(int64_t period_us) {
  period_us_ = period_us;
  // |dt - period| is a whole number of microseconds, so it is within tolerance x period exactly
  // when it is within the floor of that: the inline test in push() matches off().
  const auto slack =
      static_cast<int64_t>(std::floor(settings_.tolerance * static_cast<double>(period_us)));
  on_min_us_ = static_cast<uint64_t>(std::max<int64_t>(1, period_us - slack));
  on_max_us_ = static_cast<uint64_t>(period_us + slack);
}

void SamplePeriod::reset() {
  set_period(settings_.nominal_period_us);
  previous_period_us_ = 0;
  change_start_us_ = 0;
  changes_ = 0;
  last_t_us_ = INT64_MIN;
  run_ = 0;
  run_first_us_ = 0;
  run_sum_us_ = 0;
  run_start_us_ = 0;
  long_from_us_ = 0;
  long_to_us_ = 0;
}

bool SamplePeriod::off(int64_t dt_us, int64_t reference_us) const {
  return static_cast<double>(std::abs(dt_us - reference_us)) >
         settings_.tolerance * static_cast<double>(reference_us);
}

bool SamplePeriod::push_off_period(int64_t t_us) {
  if (last_t_us_ == INT64_MIN || t_us <= last_t_us_) {
    if (last_t_us_ == INT64_MIN) last_t_us_ = t_us;
    return false;
  }
  int64_t dt_us = 0;
  const bool overflow = __builtin_sub_overflow(t_us, last_t_us_, &dt_us);
  const int64_t before_us = last_t_us_;
  last_t_us_ = t_us;
  if (overflow || dt_us > period_us_) {
    // Longer than a period: a hole or a gap, which samples arriving late may still fill.
    long_from_us_ = before_us;
    long_to_us_ = t_us;
  }
  if (overflow || dt_us > kLongestPeriod_us) {
    run_ = 0;
    return false;
  }
  if (period_us_ <= 0) {
    set_period(dt_us);
    return true;
  }
  if (!off(dt_us, period_us_)) {
    run_ = 0;
    return false;
  }
  if (run_ == 0 || off(dt_us, run_first_us_)) {
    run_ = 1;
    run_first_us_ = dt_us;
    run_sum_us_ = dt_us;
    run_start_us_ = before_us;
  } else {
    ++run_;
    run_sum_us_ += dt_us;
  }
  if (run_ < settings_.agree_samples) return false;
  previous_period_us_ = period_us_;
  set_period(run_sum_us_ / static_cast<int64_t>(run_));
  change_start_us_ = run_start_us_;
  ++changes_;
  run_ = 0;
  return true;
}

}  // namespace gk
