#include "clock_tracker.hpp"

#include <algorithm>

namespace gk::link {

void ClockTracker::reset() { *this = ClockTracker{}; }

int64_t ClockTracker::unwrap(uint64_t device_t_us) {
  const auto t32 = static_cast<uint32_t>(device_t_us);
  if (!started_) {
    started_ = true;
    last_ = t32;
    return last_;
  }
  const auto delta = static_cast<int32_t>(t32 - static_cast<uint32_t>(last_));
  const int64_t t = last_ + delta;
  last_ = std::max(last_, t);  // a late packet must not pull the reference back
  return t;
}

void ClockTracker::observe(int64_t device_t_us, int64_t host_t_us) {
  if (n_ == 0) {
    d0_ = device_t_us;
    h0_ = host_t_us;
  }
  const double d = static_cast<double>(device_t_us - d0_);
  const double h = static_cast<double>(host_t_us - h0_);
  ++n_;
  sd_ += d;
  sh_ += h;
  sdd_ += d * d;
  sdh_ += d * h;
  span_ = std::max(span_, d);
}

std::optional<double> ClockTracker::drift_ppm() const {
  if (n_ < 2 || span_ < 1e6) return std::nullopt;
  const double n = static_cast<double>(n_);
  const double var = sdd_ - sd_ * sd_ / n;
  if (var <= 0) return std::nullopt;
  const double slope = (sdh_ - sd_ * sh_ / n) / var;  // host us per device us
  // Device fast => fewer host us per device us => slope < 1.
  return (1.0 / slope - 1.0) * 1e6;
}

}  // namespace gk::link
