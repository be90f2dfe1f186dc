// The moment of a contact when the foot is at rest, for the zero-velocity
// update of the stride integration: the stance hypothesis test of Skog et
// al. 2010 (IEEE TBME 57:2657, "SHOE" detector, eq. 11), used here to pick
// the most likely rest moment of one contact rather than to threshold.
//
// Over a short window it sums how far the specific force strays from
// gravity along its mean direction and how fast the foot turns, each
// scaled by its noise level. The stillest gyroscope sample alone is not
// enough in running: just after the landing the foot can stop turning
// while the impact still shakes it, and a velocity of a few tenths of a
// metre per second taken as zero there costs a tenth of the stride.
#pragma once

#include <cstddef>
#include <cstdint>

#include "gyro_stride_segmenter.hpp"

namespace gk {

struct ZeroVelocitySettings {
  /// Window over which the statistic is averaged (centred, clipped to the
  /// contact; at least three samples). It spans the landing transient (the
  /// impact peak of the ground reaction force lasts 30-50 ms), so that no
  /// window fits between two swings of the ringing: with 30 ms, three
  /// samples at 100 Hz, it did on simulated forefoot runs (per-stride error
  /// rms 5.7 %, 1.7 % with 50 ms; unchanged at 200 Hz).
  double window_s = 0.05;
  /// Noise levels that weigh the two terms against each other: the
  /// OpenShoe defaults (Nilsson et al. 2012), 0.01 m/s^2 and 0.1 deg/s,
  /// so 1 rad/s of rotation counts like 5.7 m/s^2 off gravity.
  double sigma_accel_mps2 = 0.01;
  double sigma_gyro_rps = 0.1 * 3.14159265358979323846 / 180.0;
};

/// Row in [lo, hi] where the windowed stance statistic is lowest (lo when
/// the range holds fewer than three rows).
size_t zero_velocity_row(const GyroRows& rows, size_t lo, size_t hi,
                         const ZeroVelocitySettings& settings = {});

}  // namespace gk
