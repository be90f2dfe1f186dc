#include "imu_filter_base.hpp"

#include <cmath>
#include <stdexcept>

namespace gk {
namespace {

// A single backwards timestamp is a glitch and is skipped; this many in a row means the sender's
// clock restarted, so the new timeline is adopted (as a gap) instead of skipping forever.
constexpr int kBackwardsRestart = 3;

bool finite(const ImuSample& s) { return s.acc_mps2.allFinite() && s.gyr_rps.allFinite(); }

// Weight of the new value in a first-order low-pass with time constant tau over dt. Exact
// discretisation, so the filter behaves the same at any sample rate.
double lowpass_alpha(double dt_s, int64_t tau_us) {
  if (tau_us <= 0) return 1.0;
  return 1.0 - std::exp(-dt_s / (static_cast<double>(tau_us) * 1e-6));
}

}  // namespace

ImuFilterBase::ImuFilterBase(const OrientationSettings& settings) : settings_(settings) {
  const auto& s = settings_;
  // Written as !(x > 0) so NaN settings are rejected too.
  if (s.max_dt_us <= 0) throw std::invalid_argument("orientation: max_dt_us must be > 0");
  if (!(s.accel_rejection_mps2 > 0.0)) {
    throw std::invalid_argument("orientation: accel_rejection_mps2 must be > 0");
  }
  if (!(s.madgwick_beta_rps >= 0.0) || !(s.mahony_kp_rps >= 0.0) || !(s.mahony_ki_rps2 >= 0.0)) {
    throw std::invalid_argument("orientation: gains must be finite and >= 0");
  }
  if (!std::isfinite(s.madgwick_beta_rps) || !std::isfinite(s.mahony_kp_rps) ||
      !std::isfinite(s.mahony_ki_rps2)) {
    throw std::invalid_argument("orientation: gains must be finite and >= 0");
  }
  if (s.accel_only_time_constant_us < 0 || s.rest_time_us < 0 || s.bias_time_constant_us < 0) {
    throw std::invalid_argument("orientation: time constants must be >= 0");
  }
  if (!(s.rest_gyro_rps >= 0.0) || !(s.rest_accel_mps2 >= 0.0) || !(s.max_gyro_bias_rps >= 0.0)) {
    throw std::invalid_argument("orientation: rest thresholds must be >= 0");
  }
}

void ImuFilterBase::reset() {
  q_ws_ = Eigen::Quaterniond::Identity();
  bias_rps_.setZero();
  prev_gyr_rps_.setZero();
  prev_gyr_valid_ = false;
  initialised_ = false;
  pending_tilt_init_ = false;
  last_t_us_ = 0;
  consecutive_backwards_ = 0;
  clear_rest();
  flags_ = OrientationFlags{};
  reset_method();
}

OrientationFlags ImuFilterBase::flags() const {
  OrientationFlags f = flags_;
  f.at_rest = at_rest_;
  return f;
}

bool ImuFilterBase::accel_usable(const ImuSample& s) const {
  // A clipped axis makes the direction wrong even when the norm happens to look right.
  if (s.saturated) return false;
  return std::abs(s.acc_mps2.norm() - kGravity_mps2) < settings_.accel_rejection_mps2;
}

void ImuFilterBase::adjust_bias(const Eigen::Vector3d& delta_rps) {
  bias_rps_ += delta_rps;
  const double n = bias_rps_.norm();
  if (n > settings_.max_gyro_bias_rps) bias_rps_ *= settings_.max_gyro_bias_rps / n;
}

Eigen::Quaterniond ImuFilterBase::integrate(const Eigen::Quaterniond& q,
                                            const Eigen::Vector3d& w_rps, double dt_s) {
  // Closed-form exponential map instead of the papers' Euler step on q-dot = q (x) (0, w) / 2:
  // exact for a constant rate, so low sample rates lose no accuracy.
  const Eigen::Vector3d rot = w_rps * dt_s;
  const double angle = rot.norm();
  Eigen::Quaterniond dq;
  if (angle < 1e-9) {
    dq = Eigen::Quaterniond(1.0, 0.5 * rot.x(), 0.5 * rot.y(), 0.5 * rot.z());
  } else {
    dq = Eigen::Quaterniond(Eigen::AngleAxisd(angle, rot / angle));
  }
  return (q * dq).normalized();
}

void ImuFilterBase::clear_rest() {
  rest_candidate_ = false;
  at_rest_ = false;
  rest_start_us_ = 0;
}

void ImuFilterBase::update_rest(const ImuSample& s, double dt_s) {
  bool calm = s.has_gyro && !s.saturated && s.gyr_rps.norm() < settings_.rest_gyro_rps &&
              std::abs(s.acc_mps2.norm() - kGravity_mps2) < settings_.rest_accel_mps2;
  if (calm && rest_candidate_) {
    calm = (s.acc_mps2 - rest_anchor_acc_mps2_).norm() < settings_.rest_accel_mps2;
  }
  if (!calm) {
    clear_rest();
    return;
  }
  if (!rest_candidate_) {
    rest_candidate_ = true;
    rest_start_us_ = s.t_us;
    rest_anchor_acc_mps2_ = s.acc_mps2;
    rest_gyr_sum_rps_ = s.gyr_rps;
    rest_count_ = 1;
    return;
  }
  if (!settings_.estimate_gyro_bias) {
    at_rest_ = s.t_us - rest_start_us_ >= settings_.rest_time_us;
    return;
  }
  if (!at_rest_) {
    rest_gyr_sum_rps_ += s.gyr_rps;
    ++rest_count_;
    if (s.t_us - rest_start_us_ < settings_.rest_time_us) return;
    // Rest confirmed: in hindsight the whole window was at rest, so fold its mean into the
    // low-pass at once (the same weight the low-pass would have given it sample by sample).
    at_rest_ = true;
    const double window_s = static_cast<double>(s.t_us - rest_start_us_) * 1e-6;
    const Eigen::Vector3d mean = rest_gyr_sum_rps_ / static_cast<double>(rest_count_);
    adjust_bias(lowpass_alpha(window_s, settings_.bias_time_constant_us) * (mean - bias_rps_));
    return;
  }
  // At rest the true rate is zero, so the gyro's low-pass mean is its bias.
  adjust_bias(lowpass_alpha(dt_s, settings_.bias_time_constant_us) * (s.gyr_rps - bias_rps_));
}

void ImuFilterBase::update(const ImuSample& s) {
  if (!finite(s)) {
    ++flags_.nonfinite_skipped;
    return;
  }
  const bool acc_ok = accel_usable(s);

  if (!initialised_) {
    // First usable sample: roll/pitch from gravity, yaw 0.
    last_t_us_ = s.t_us;
    prev_gyr_rps_ = s.gyr_rps;
    prev_gyr_valid_ = s.has_gyro;
    if (!acc_ok) {
      ++flags_.accel_rejected;
      return;
    }
    q_ws_ = tilt_from_accel(s.acc_mps2);
    initialised_ = true;
    return;
  }

  int64_t dt_us = 0;
  if (__builtin_sub_overflow(s.t_us, last_t_us_, &dt_us)) dt_us = -1;  // corrupt timestamp
  if (dt_us <= 0) {
    ++flags_.bad_dt_skipped;
    if (dt_us < 0 && ++consecutive_backwards_ >= kBackwardsRestart) {
      // The clock restarted: adopt the new timeline like a gap.
      consecutive_backwards_ = 0;
      ++flags_.gaps;
      last_t_us_ = s.t_us;
      prev_gyr_valid_ = false;
      pending_tilt_init_ = true;
      clear_rest();
    }
    return;
  }
  consecutive_backwards_ = 0;
  last_t_us_ = s.t_us;

  if (dt_us > settings_.max_dt_us) {
    // Integrating one held rate across a long gap is worse than knowing nothing: re-anchor tilt
    // on gravity, keep the heading we had.
    ++flags_.gaps;
    clear_rest();
    prev_gyr_rps_ = s.gyr_rps;
    prev_gyr_valid_ = s.has_gyro;
    if (acc_ok) {
      q_ws_ = correct_tilt_towards(q_ws_, s.acc_mps2, 1.0);
      pending_tilt_init_ = false;
    } else {
      ++flags_.accel_rejected;
      pending_tilt_init_ = true;
    }
    return;
  }

  const double dt_s = static_cast<double>(dt_us) * 1e-6;
  if (!acc_ok) ++flags_.accel_rejected;
  const Eigen::Quaterniond q_before = q_ws_;

  if (!s.has_gyro) {
    ++flags_.accel_only_updates;
    clear_rest();
    prev_gyr_valid_ = false;
    if (acc_ok) {
      const double alpha =
          pending_tilt_init_ ? 1.0 : lowpass_alpha(dt_s, settings_.accel_only_time_constant_us);
      q_ws_ = correct_tilt_towards(q_ws_, s.acc_mps2, alpha);
      pending_tilt_init_ = false;
    }
  } else {
    update_rest(s, dt_s);
    // Trapezoid on the rate: the samples are instantaneous, the interval lies between them.
    const Eigen::Vector3d gyr =
        (prev_gyr_valid_ ? 0.5 * (prev_gyr_rps_ + s.gyr_rps) : s.gyr_rps) - bias_rps_;
    prev_gyr_rps_ = s.gyr_rps;
    prev_gyr_valid_ = true;
    if (acc_ok && pending_tilt_init_) {
      q_ws_ = correct_tilt_towards(integrate(q_ws_, gyr, dt_s), s.acc_mps2, 1.0);
      pending_tilt_init_ = false;
    } else {
      // acc_ok implies |a| is within accel_rejection_mps2 of g, so the division is safe.
      const Eigen::Vector3d up =
          acc_ok ? Eigen::Vector3d(s.acc_mps2 / s.acc_mps2.norm()) : Eigen::Vector3d::Zero();
      step(gyr, acc_ok ? &up : nullptr, dt_s);
    }
  }

  // Last line of defence for the "never NaN out" contract: the steps above are guarded, but an
  // orientation that is not a finite unit quaternion is never published.
  if (!q_ws_.coeffs().allFinite() || std::abs(q_ws_.squaredNorm() - 1.0) > 1e-6) {
    q_ws_ = q_before;
    ++flags_.nonfinite_skipped;
  }
}

}  // namespace gk
