// Stride length and speed of a foot by zero-velocity-updated strapdown
// integration between two mid-stance moments (Foxlin 2005, IEEE CG&A 25:38;
// Skog et al. 2010, IEEE TBME 57:2657 for the zero-velocity idea).
#pragma once

#include <cstdint>
#include <optional>

#include "gyro_stride_segmenter.hpp"

namespace gk {

struct ZuptStride {
  double length_m = 0.0;  ///< horizontal displacement mid-stance to mid-stance
  double speed_mps = 0.0;
  double vertical_m = 0.0;  ///< residual vertical displacement (quality check)
};

/// Integrates rows from t0_us to t1_us (both mid-stances, foot at rest):
/// orientation starts level from the accelerometer at t0, velocity starts
/// and ends at zero (the end error is removed as a linear drift).
/// nullopt when the rows do not cover the interval.
std::optional<ZuptStride> integrate_stride(const GyroRows& rows, int64_t t0_us, int64_t t1_us);

/// Highest point of the foot between two moments at rest (t0_us, t1_us both
/// rows), above where it started, in metres: the same integration, with the
/// linear velocity drift removed along the way. A step lifts the foot (heel
/// and toe clearance are centimetres even in a shuffle), a pivot on the
/// ground does not.
std::optional<double> foot_clearance_m(const GyroRows& rows, int64_t t0_us, int64_t t1_us);

/// The path of a segment between two rests, where its axes are not known yet
/// (GyroSegmenterSettings::axis_from_first_stride).
struct RestToRestPath {
  Eigen::Vector3d displacement_m;  ///< in the sensor frame as it sat at the first rest
  /// Speed the integration reached at the second rest, where the segment was at rest: its drift
  /// (removed from the displacement as growing linearly). Rates read in a frame of the wrong
  /// handedness integrate to an attitude that turns the wrong way, and gravity then leaks into
  /// this by metres per second.
  double end_speed_mps = 0.0;
};

/// Rows i0 and i1 both at rest: the same integration as integrate_stride(). nullopt without a
/// usable start or across a hole.
std::optional<RestToRestPath> rest_to_rest_path(const GyroRows& rows, size_t i0, size_t i1);

}  // namespace gk
