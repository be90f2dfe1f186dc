// Readings clipped at a sensor's full scale, rebuilt from the samples on either side.
//
// A foot swings at 800-1 500 deg/s when running fast and a shank at 600-1 000, so a gyroscope
// with a +/-500 or +/-1 000 deg/s range (a common default) holds the swing's and the push-off's
// peaks flat at its limit for tens of milliseconds; an accelerometer of +/-8 g does the same to a
// fast foot's swing. Whatever integrates the rates then loses what lay beyond the limit: a knee
// sleeve's flexion (113 deg rms error on a simulated run at 5 m/s read at +/-500 deg/s), a foot's
// stride (14 % short at 6 m/s read at +/-8 g); and a toe-off timed at the push-off's fastest
// rotation lands anywhere along the flat top (39 ms early at +/-500 deg/s). Fitting a low-order
// polynomial to the unclipped samples around a clipped stretch is the usual remedy for clipped
// inertial signals; here each clipped stretch of each axis gets the least-squares parabola through
// the last few readings of that axis before it and the first few after it, and keeps at least the
// limit where the parabola falls short of it (the true reading was at least that).
//
// The stage sits before every other one of its sensor (GaitEngine::push): the samples of a
// clipped stretch are held until side_samples clean samples have come after it, so batch and
// streaming see the same rebuilt samples. A sensor's first clipped stretch has no samples kept
// before it and is passed on as read: the stage starts keeping them at the first clipped sample,
// so a sensor that never clips pays nothing.
#pragma once

#include <boost/circular_buffer.hpp>
#include <cstddef>
#include <cstdint>
#include <vector>

#include "sample.hpp"

namespace gk {

struct DeclipSettings {
  /// Unclipped readings fitted on each side of an axis' clipped stretch.
  size_t side_samples = 3;
  /// An axis clipped for longer than this is not at a swing's peak (a sensor stuck at its limit, a
  /// blow, a range far too small for the motion): it is passed on as read, and said so. The fitted
  /// readings also lie within this time of the stretch.
  double max_run_s = 0.12;
  /// Samples wait for their rebuild at most this long (a sensor at its limit most of the time):
  /// the stretches not yet closed then are passed on as read.
  double max_hold_s = 0.3;
};

/// Full scales of the two sensors (0 = unknown: that sensor's readings are left as they are).
struct FullScale {
  double gyro_rps = 0.0;
  double accel_mps2 = 0.0;
};

struct DeclipCounts {
  uint64_t rebuilt = 0;  ///< stretches of one axis rebuilt
  uint64_t as_read = 0;  ///< stretches too long, or without clean readings around them, passed on
  int64_t first_as_read_t_us = -1;
  uint64_t gyro_stretches = 0;  ///< of both, the gyroscope's
};

class SampleDeclipper {
 public:
  explicit SampleDeclipper(const FullScale& limits, const DeclipSettings& settings = {});
  /// Feeds one finite sample, later than the last one fed (see newest_t_us()); appends the
  /// samples now ready to `out`, in order: at once where nothing is held, else when the held
  /// stretch closes.
  void push(const ImuSample& sample, std::vector<ImuSample>& out);
  /// Passes on every held sample, its stretches as read (the end of the data; a sample that is
  /// out of order or not finite, which must not overtake them).
  void flush(std::vector<ImuSample>& out);
  void reset();
  bool holding() const { return held_ > 0; }
  int64_t newest_t_us() const { return buf_.empty() ? INT64_MIN : buf_.back().t_us; }
  const DeclipCounts& counts() const { return counts_; }

 private:
  /// Rebuilds the held samples' clipped stretches where it can and passes them on.
  void release(std::vector<ImuSample>& out);
  /// Whether axis c (0-2 gyroscope, 3-5 accelerometer) of a sample is at its limit.
  bool at_limit(const ImuSample& s, int c) const;

  FullScale limits_;
  DeclipSettings settings_;
  /// One count of each sensor (0 = unknown), for reading_at_limit.
  double gyro_lsb_rps_ = 0.0;
  double accel_lsb_mps2_ = 0.0;
  /// The last side_samples samples passed on, then the held ones (the newest held_). A ring that
  /// doubles when full: every sample of a clipping sensor passes through it, and a deque
  /// allocated and freed a block every few samples.
  boost::circular_buffer<ImuSample> buf_;
  /// Scratch for release(): the clean neighbours of one stretch.
  std::vector<size_t> side_;
  size_t held_ = 0;
  size_t after_ = 0;  ///< clean samples held after the last clipped one
  DeclipCounts counts_;
};

}  // namespace gk
