// Readings clipped at a sensor's full scale, rebuilt from the samples on either side.
//
// A foot swings at 800-1 500 deg/s when running fast and a shank at 600-1 000, so a gyroscope
// with a +/-500 or +/-1 000 deg/s range (a common default) holds the swing's and the push-off's
// peaks flat at its limit for tens of milliseconds; an accelerometer of +/-8 g does the same to a
// fast foot's swing. Two things then go wrong. The pitch-rate extremum that times a toe-off sits
// anywhere along the flat top (toe-off 39 ms early on a simulated foot at 6 m/s read at
// +/-500 deg/s), and the strapdown integration of the stride loses what lay beyond the limit
// (stride length 14 % short on the same foot read at +/-8 g). Fitting a low-order polynomial to
// the unclipped samples around a clipped run is the usual remedy for clipped inertial signals; here
// each clipped stretch of each axis gets the least-squares parabola through the last few readings
// of that axis before it and the first few after it, and keeps at least the limit where the
// parabola falls short of it (the true reading was at least that).
#pragma once

#include <cstddef>
#include <cstdint>

#include "gyro_row.hpp"

namespace gk {

struct DeclipSettings {
  /// Unclipped readings fitted on each side of an axis' clipped stretch.
  size_t side_rows = 3;
  /// An axis clipped for longer than this is not at a swing's peak (a sensor stuck at its limit, a
  /// blow, a range far too small for the motion): it is left as read, and said so.
  double max_run_s = 0.12;
  /// Rows wait for their rebuild at most this long (a sensor at its limit most of the time): the
  /// stretches not yet closed then are read as they are.
  double max_hold_s = 0.3;
};

/// Full scales of the two sensors (0 = unknown: that sensor's readings are left as they are).
struct FullScale {
  double gyro_rps = 0.0;
  double accel_mps2 = 0.0;
};

struct DeclipCounts {
  uint64_t rebuilt = 0;  ///< stretches of one axis rebuilt
  uint64_t as_read = 0;  ///< stretches too long, or too near the start of the rows, to rebuild
};

/// Rebuilds, in place, the readings at their limit in rows [begin, end), axis by axis. Every
/// stretch of one axis at its limit (its magnitude within half a count of the full scale) is
/// fitted on side_rows readings of that axis on either side that are not at the limit, found
/// within max_run_s of it among all the rows; a stretch without them is left as read.
DeclipCounts declip_rows(GyroRows& rows, size_t begin, size_t end, const FullScale& limits,
                         const DeclipSettings& settings);

}  // namespace gk
