#include "knee_tracker.hpp"

#include <algorithm>
#include <cmath>
#include <numbers>

#include "hinge_axis.hpp"

namespace gk {
namespace {

constexpr double kDeg = 180.0 / std::numbers::pi;
/// Typical peak stance knee flexion in running (Novacheck 1998, Gait Posture
/// 7:77): an axis error of e rad mixes about this much flexion times e into
/// ab/adduction at the moment valgus is read.
constexpr double kStanceFlexion_deg = 45.0;

}  // namespace

KneeTracker::KneeTracker(pb::Side side, const KneeCalibration& calibration,
                         const KneeTrackerSettings& settings)
    : side_(side), calibration_(calibration), settings_(settings) {}

void KneeTracker::reset() {
  last_t_us_ = INT64_MIN;
  heading_sum_.setZero();
  heading_started_ = false;
  residual_e2_ = 0.0;
  residual_w2_ = 0.0;
}

void KneeTracker::recalibrate(const KneeCalibration& calibration) {
  calibration_ = calibration;
  reset();
}

double KneeTracker::live_relative_residual() const {
  return residual_w2_ > 1e-12 ? std::sqrt(residual_e2_ / residual_w2_)
                              : calibration_.axes.relative_residual;
}

double KneeTracker::heading_offset_deg() const {
  return std::atan2(heading_sum_.y(), heading_sum_.x()) * kDeg;
}

KneeAngleSample KneeTracker::update(int64_t t_us, const Eigen::Quaterniond& thigh_q_ws,
                                    const Eigen::Quaterniond& shank_q_ws,
                                    const Eigen::Vector3d& thigh_rps,
                                    const Eigen::Vector3d& shank_rps) {
  observe(t_us, thigh_q_ws, shank_q_ws, thigh_rps, shank_rps);
  return angles(t_us, thigh_q_ws, shank_q_ws);
}

void KneeTracker::observe(int64_t t_us, const Eigen::Quaterniond& thigh_q_ws,
                          const Eigen::Quaterniond& shank_q_ws, const Eigen::Vector3d& thigh_rps,
                          const Eigen::Vector3d& shank_rps) {
  const double dt_s = last_t_us_ == INT64_MIN ? 0.0 : static_cast<double>(t_us - last_t_us_) * 1e-6;
  last_t_us_ = t_us;
  if (dt_s != weights_dt_s_) {  // the low-pass weights depend on dt only: no divisions per pair
    weights_dt_s_ = dt_s;
    alpha_heading_ = std::min(1.0, dt_s / settings_.heading_time_constant_s);
    beta_residual_ = std::min(1.0, dt_s / settings_.residual_time_constant_s);
  }

  // Heading offset from the flexion axis (column y of both segment frames),
  // rotated into the world without forming either segment's matrix.
  const Eigen::Vector3d a1 = thigh_q_ws * calibration_.thigh_segment.col(1);
  const Eigen::Vector3d a2 = shank_q_ws * calibration_.shank_segment.col(1);
  const double cross = a2.x() * a1.y() - a2.y() * a1.x();
  const double dot = a2.x() * a1.x() + a2.y() * a1.y();
  const Eigen::Vector2d obs(dot, cross);  // |a1_h||a2_h| (cos d, sin d)
  if (!heading_started_) {
    if (obs.squaredNorm() > 1e-6) {
      heading_sum_ = obs;
      heading_started_ = true;
    }
  } else {
    heading_sum_ += alpha_heading_ * (obs - heading_sum_);
  }

  // Live hinge residual (Seel et al. 2014, eq. 1) against the calibrated axes:
  // a sleeve that slips or a clock that drifts shows up here first.
  const double min_rate2 = settings_.min_rate_rps * settings_.min_rate_rps;
  const double thigh2 = thigh_rps.squaredNorm();
  const double shank2 = shank_rps.squaredNorm();
  if (thigh2 >= min_rate2 || shank2 >= min_rate2) {
    const double d1 = thigh_rps.dot(calibration_.axes.thigh_axis);
    const double d2 = shank_rps.dot(calibration_.axes.shank_axis);
    const double e = perp_norm(thigh2, d1) - perp_norm(shank2, d2);
    const double w = d2 - d1;
    if (residual_w2_ == 0.0) {
      residual_e2_ = e * e;
      residual_w2_ = w * w;
    } else {
      residual_e2_ += beta_residual_ * (e * e - residual_e2_);
      residual_w2_ += beta_residual_ * (w * w - residual_w2_);
    }
  }
}

KneeAngleSample KneeTracker::angles(int64_t t_us, const Eigen::Quaterniond& thigh_q_ws,
                                    const Eigen::Quaterniond& shank_q_ws) const {
  // Shank in thigh, with the heading offset d applied to the shank about world z:
  // S_t^T R(q_t^-1 (x) q_d (x) q_s) S_s. q_d comes straight from the weighted mean
  // h = |h| (cos d, sin d) by the half-angle identity q_d ~ (|h| + h_x, 0, 0, h_y), so neither
  // an atan2 nor a sincos is needed.
  const double n = heading_sum_.norm();
  Eigen::Quaterniond q_d = Eigen::Quaterniond::Identity();
  if (n > 0.0) {
    const double w = n + heading_sum_.x();
    q_d = w > 1e-12 * n ? Eigen::Quaterniond(w, 0.0, 0.0, heading_sum_.y()).normalized()
                        : Eigen::Quaterniond(0.0, 0.0, 0.0, 1.0);  // d = 180 deg
  }
  const Eigen::Matrix3d shank_in_thigh =
      calibration_.thigh_segment.transpose() *
      (thigh_q_ws.conjugate() * q_d * shank_q_ws).toRotationMatrix() * calibration_.shank_segment;

  KneeAngleSample out;
  out.t_us = t_us;
  out.side = side_;
  out.angles = knee_joint_angles(shank_in_thigh, side_);
  // Expected frontal-plane error: the calibration's own, combined with what
  // the live residual implies once it exceeds the calibration's (the excess
  // is constraint violation the calibration did not have: a sleeve that has
  // moved or clocks that have drifted; read as an axis error in radians).
  const double excess =
      std::max(0.0, live_relative_residual() - calibration_.axes.relative_residual);
  // Both terms are a few degrees at most: no overflow for std::hypot to guard against, and it
  // costs several times a square root.
  const double f = calibration_.frontal_error_deg;
  const double m = excess * kStanceFlexion_deg;
  const double error = std::sqrt(f * f + m * m);
  const double x = error / settings_.half_confidence_error_deg;
  out.confidence = 1.0 / (1.0 + x * x);
  return out;
}

}  // namespace gk
