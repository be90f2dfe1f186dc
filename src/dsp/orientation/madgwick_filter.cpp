#include "madgwick_filter.hpp"

#include <Eigen/Core>

namespace gk {

MadgwickFilter::MadgwickFilter(const OrientationSettings& settings) : ImuFilterBase(settings) {}

void MadgwickFilter::step(const Eigen::Vector3d& gyr_rps, const Eigen::Vector3d* up_meas,
                          double dt_s) {
  // Gyro part of the fused update (q-dot_omega = q (x) (0, w) / 2), integrated exactly.
  Eigen::Quaterniond q = integrate(q_ws_, gyr_rps, dt_s);
  if (up_meas != nullptr) {
    const double w = q.w(), x = q.x(), y = q.y(), z = q.z();
    const Eigen::Vector3d& a = *up_meas;
    // Gravity objective function f_g (2010 report, Sec. 3): f = q* (x) d (x) q - s with d = world
    // up, i.e. up predicted in the sensor frame minus up measured. (Paper q1..q4 = w, x, y, z.)
    const Eigen::Vector3d f(2.0 * (x * z - w * y) - a.x(), 2.0 * (w * x + y * z) - a.y(),
                            1.0 - 2.0 * (x * x + y * y) - a.z());
    // Its Jacobian J_g with respect to (w, x, y, z).
    Eigen::Matrix<double, 3, 4> jac;
    jac << -2.0 * y, 2.0 * z, -2.0 * w, 2.0 * x,  //
        2.0 * x, 2.0 * w, 2.0 * z, 2.0 * y,       //
        0.0, -4.0 * x, -4.0 * y, 0.0;
    // One gradient-descent iteration per sample (the report's fused filter): step along the
    // normalised gradient J^T f at rate beta. beta * dt makes the correction a rate (rad/s),
    // independent of the sample rate.
    const Eigen::Vector4d grad = jac.transpose() * f;
    const double n = grad.norm();
    if (n > 1e-12) {
      const Eigen::Vector4d step_wxyz = settings().madgwick_beta_rps * dt_s / n * grad;
      q = Eigen::Quaterniond(w - step_wxyz(0), x - step_wxyz(1), y - step_wxyz(2),
                             z - step_wxyz(3));
      q.normalize();
    }
  }
  q_ws_ = q;
}

}  // namespace gk
