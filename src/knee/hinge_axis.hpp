// Knee flexion axis from the two gyroscopes of a knee sleeve (thigh + shank),
// without knowing how either sensor is strapped on.
//
// Starting point: each segment's principal rotation axis (the eigenvector of
// the largest eigenvalue of sum w w^T), the idea of McGrath, Fineman &
// Stirling 2018 (Sensors 18:1882) applied per segment: in running both
// segments turn mostly about the flexion axis.
//
// Seel, Raisch & Schauer 2014 (Sensors 14:6891, Sec. 3.1, eq. 1): for a hinge,
// the angular velocity of each segment has the same magnitude once its
// component along the joint axis is removed, so |w1 x j1| - |w2 x j2| = 0 at
// every sample. The axis pair (j1 in the thigh sensor's frame, j2 in the
// shank sensor's) is the least-squares solution of those constraints; the
// knee's small ab/adduction and rotation leave a residual, which is what the
// calibration's confidence is built from.
#pragma once

#include <Eigen/Core>
#include <algorithm>
#include <cmath>
#include <cstddef>
#include <vector>

namespace gk {

struct HingeAxisSettings {
  /// Pairs used in the fit at most; longer inputs are thinned evenly (the fit
  /// is 4-dimensional, a few thousand well-spread samples settle it).
  size_t max_pairs = 4000;
  /// Pairs with both angular speeds below this carry no information.
  double min_rate_rps = 0.5;
  /// Gauss-Newton iterations at most, and the step norm (rad) that ends them.
  /// Refine the principal axes by least squares on the hinge constraint
  /// (Seel et al. 2014). Off by default: the knee's ab/adduction in stance
  /// rises and falls with flexion, and that correlated motion pulls the
  /// least-squares axes by several degrees about the segment's long axis,
  /// which mixes flexion into valgus; on simulated running with 3-6 deg of
  /// valgus excursion the principal axes gave valgus RMSE 0.7-1.7 deg against
  /// 1.5-2.3 deg refined (docs/ACCURACY.md). The constraint's residual is
  /// still what the calibration's confidence is built from.
  bool refine_with_constraint = false;
  int max_iterations = 60;
  double tolerance_rad = 1e-9;
};

/// One synchronous pair of bias-corrected angular velocities (sensor frames).
struct GyroPair {
  Eigen::Vector3d thigh_rps;
  Eigen::Vector3d shank_rps;
};

struct HingeAxes {
  Eigen::Vector3d thigh_axis = Eigen::Vector3d::UnitY();  ///< unit, thigh sensor frame
  Eigen::Vector3d shank_axis = Eigen::Vector3d::UnitY();  ///< unit, shank sensor frame
  /// RMS of the constraint |w1 x j1| - |w2 x j2| over the pairs used (rad/s).
  double residual_rps = 0.0;
  /// The same divided by the RMS angular speed about the knee (dimensionless):
  /// about 0.02 for a snug sleeve on a running knee, several times more when a
  /// sensor slips or the two streams are not simultaneous.
  double relative_residual = 0.0;
  size_t pairs_used = 0;
  bool converged = false;  ///< false only without enough informative pairs
};

/// Least-squares hinge axes. The signs are chosen so that the two axes point
/// the same way (thigh and shank pitch rates correlate); which way that is
/// (medial or lateral) is left to the calibration, which knows gravity.
/// With fewer than 50 informative pairs the result has converged = false.
HingeAxes estimate_hinge_axes(const std::vector<GyroPair>& pairs,
                              const HingeAxisSettings& settings = {});

/// RMS of the hinge constraint for given axes (rad/s), and its relative form.
struct HingeResidual {
  double rms_rps = 0.0;
  double relative = 0.0;
  size_t pairs = 0;
};
HingeResidual hinge_residual(const std::vector<GyroPair>& pairs, const Eigen::Vector3d& thigh_axis,
                             const Eigen::Vector3d& shank_axis, double min_rate_rps = 0.5);

/// |w x j| for a unit axis j from |w|^2 and w.j: sqrt(|w|^2 - (w.j)^2), the rate
/// perpendicular to the axis (Seel et al. 2014, eq. 1); clamped at 0 against
/// rounding when w lies along j.
inline double perp_norm(double w2, double w_dot_j) {
  return std::sqrt(std::max(w2 - w_dot_j * w_dot_j, 0.0));
}

}  // namespace gk
