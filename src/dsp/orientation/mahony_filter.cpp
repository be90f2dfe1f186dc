#include "mahony_filter.hpp"

#include <Eigen/Core>
#include <algorithm>

namespace gk {

MahonyFilter::MahonyFilter(const OrientationSettings& settings) : ImuFilterBase(settings) {}

void MahonyFilter::step(const Eigen::Vector3d& gyr_rps, const Eigen::Vector3d* up_meas,
                        double dt_s) {
  if (settings().mahony_error_average_us > 0) {
    step_averaged(gyr_rps, up_meas, dt_s);
    return;
  }
  // Sec. V attitude kinematics q-dot = q (x) (0, omega_y - b_hat + k_P omega_mes) / 2, one
  // exponential-map step per sample with the whole rate in it. omega_mes is measured at the
  // attitude integrated to this sample's time (below) and enters with the next sample's rate.
  // Taken before the integration instead, as the usual per-sample code does, it would compare
  // this sample's gravity with the previous sample's attitude: a tilt offset of |w| * dt that
  // grows as the sample rate drops. Its one sample of delay is nothing to a loop whose time
  // constant is 1 / k_P (a second). One integration per sample instead of a prediction and a
  // separate correction step made the bare filter 20 % faster (docs/PERFORMANCE.md).
  q_ws_ = integrate(q_ws_, gyr_rps + feedback_rps_, dt_s);
  if (up_meas == nullptr) {
    feedback_rps_.setZero();  // a rejected sample corrects nothing, as in the paper's gating
    return;
  }
  // Sec. V with one vector direction (gravity): omega_mes = v x v_hat, v measured and v_hat
  // predicted up in the sensor frame; |omega_mes| = sin(tilt error).
  // up_hat = R(q)^T z, the third row of R written out (a general rotate costs two crosses).
  const double w = q_ws_.w(), x = q_ws_.x(), y = q_ws_.y(), z = q_ws_.z();
  const Eigen::Vector3d up_hat(2.0 * (x * z - w * y), 2.0 * (w * x + y * z),
                               1.0 - 2.0 * (x * x + y * y));
  const Eigen::Vector3d e = up_meas->cross(up_hat);
  feedback_rps_ = settings().mahony_kp_rps * e;
  // b_hat-dot = -k_I omega_mes. At rest the measured bias is better; do not fight it.
  if (!at_rest() && settings().mahony_ki_rps2 > 0.0) {
    adjust_bias(-settings().mahony_ki_rps2 * dt_s * e);
  }
}

void MahonyFilter::step_averaged(const Eigen::Vector3d& gyr_rps, const Eigen::Vector3d* up_meas,
                                 double dt_s) {
  // The error is averaged in the world frame over a few strides before either feedback term
  // sees it (orientation_filter.hpp, mahony_error_average_us). Per sample, the error of a
  // swinging limb carries the stride's linear acceleration, and the attitude ripple it drives
  // correlates with that acceleration: a product whose mean is not zero, so tilt settles off
  // true by up to degrees at running speeds. Averaged first, only the stride-mean error is fed
  // back, which is zero at the true attitude.
  //
  // Proportional: the averaged world-frame error in the sensor frame, computed at the end of
  // the previous sample, rides in the same exponential-map step as the gyro. One sample of lag
  // in an average over seconds changes nothing, and one integration per sample instead of two
  // is most of this filter's cost.
  q_ws_ = integrate(q_ws_, gyr_rps + feedback_rps_, dt_s);
  if (up_meas == nullptr) return;
  const Eigen::Matrix3d r = q_ws_.toRotationMatrix();
  // Sec. V error omega_mes = v x v_hat in the sensor frame, rotated into the world:
  // R (v x R^T z) = (R v) x z, which needs no predicted up vector. Every sample enters the
  // average: the error is impulsive (impacts), so it must not be subsampled.
  const Eigen::Vector3d v_world = r * *up_meas;
  const Eigen::Vector3d e_world(v_world.y(), -v_world.x(), 0.0);
  const double tau_s = static_cast<double>(settings().mahony_error_average_us) * 1e-6;
  if (dt_s != alpha_dt_s_) {  // a function of dt only, which rarely changes: no divide per sample
    alpha_dt_s_ = dt_s;
    alpha_ = std::min(1.0, dt_s / tau_s);
  }
  error_world_lp_ += alpha_ * (e_world - error_world_lp_);
  feedback_rps_ = settings().mahony_kp_rps * (r.transpose() * error_world_lp_);
  // The attitude average and the integral term follow quantities that change over seconds (the
  // attitude itself is smooth, integrated rate with no impulses), so they are updated at
  // kSlowPeriod_s rather than at every sample: the same low-pass to well under a percent of
  // its time constant, at a fraction of the cost at 200 Hz to 1 kHz.
  if (!attitude_lp_valid_) {
    attitude_lp_ = r;
    attitude_lp_valid_ = true;
  }
  slow_dt_s_ += dt_s;
  if (slow_dt_s_ < kSlowPeriod_s) return;
  const double beta = std::min(1.0, slow_dt_s_ / tau_s);
  attitude_lp_ += beta * (r - attitude_lp_);
  // Integral: back into the sensor frame through the averaged attitude, so that no product of
  // two stride-periodic signals is left to walk the bias estimate.
  if (!at_rest() && settings().mahony_ki_rps2 > 0.0) {
    adjust_bias(-settings().mahony_ki_rps2 * slow_dt_s_ *
                (attitude_lp_.transpose() * error_world_lp_));
  }
  slow_dt_s_ = 0.0;
}

}  // namespace gk
