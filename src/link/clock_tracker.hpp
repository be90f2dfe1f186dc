// Device clock on the host: unwraps the device's 32-bit microsecond counter
// (SensorPacket.t_first_us, docs/protocol.md#timestamps) to int64 and
// estimates the device-to-host drift by a least-squares fit of host arrival
// time against device time. Arrival jitter is one-sided noise on the
// intercept; the slope (drift) converges as the session grows.
#pragma once

#include <cstdint>
#include <optional>

namespace gk::link {

class ClockTracker {
 public:
  /// Unwraps a 32-bit device time (values beyond 2^32 are unwrapped modulo
  /// 2^32 too) against the last one seen. Late packets unwrap backwards.
  int64_t unwrap(uint64_t device_t_us);
  /// Adds one (device, host) time pair for the drift fit.
  void observe(int64_t device_t_us, int64_t host_t_us);
  void reset();

  /// Device clock rate relative to the host, in ppm (positive: device runs
  /// fast). Empty until two pairs at least 1 s apart.
  std::optional<double> drift_ppm() const;
  uint64_t observations() const { return n_; }

 private:
  bool started_ = false;
  int64_t last_ = 0;
  // Fit around the first pair so sums stay small enough for doubles.
  int64_t d0_ = 0, h0_ = 0;
  uint64_t n_ = 0;
  double sd_ = 0, sh_ = 0, sdd_ = 0, sdh_ = 0;
  double span_ = 0;
};

}  // namespace gk::link
