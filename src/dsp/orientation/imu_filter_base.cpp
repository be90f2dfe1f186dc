#include "imu_filter_base.hpp"

#include <algorithm>
#include <cmath>
#include <numbers>
#include <stdexcept>

namespace gk {
namespace {

// A single backwards timestamp is a glitch and is skipped; this many in a row means the sender's
// clock restarted, so the new timeline is adopted (as a gap) instead of skipping forever.
constexpr int kBackwardsRestart = 3;

// A first sample at least this far from rest is taken as data that start in motion.
constexpr double kMovingRate_rps = 0.5;
constexpr double kMovingForce_g = 0.2;

bool finite(const ImuSample& s) { return s.acc_mps2.allFinite() && s.gyr_rps.allFinite(); }

// Weight of the new value in a first-order low-pass with time constant tau over dt. Exact
// discretisation, so the filter behaves the same at any sample rate.
double lowpass_alpha(double dt_s, int64_t tau_us) {
  if (tau_us <= 0) return 1.0;
  return 1.0 - std::exp(-dt_s / (static_cast<double>(tau_us) * 1e-6));
}

// | |a| - g | < tol as a test on |a|^2: g - tol < |a| < g + tol, squared where both sides are
// >= 0 (a tolerance past g leaves only the upper bound). No square root before the branch.
NormBand2 gravity_band2(double tol_mps2) {
  const double lo = kGravity_mps2 - tol_mps2;
  const double hi = kGravity_mps2 + tol_mps2;
  return NormBand2{lo > 0.0 ? lo * lo : -1.0, hi * hi};
}

}  // namespace

ImuFilterBase::ImuFilterBase(const OrientationSettings& settings)
    : settings_(settings),
      rest_gyro2_rps2_(settings.rest_gyro_rps * settings.rest_gyro_rps),
      rest_accel2_mps4_(settings.rest_accel_mps2 * settings.rest_accel_mps2),
      max_gyro_bias2_rps2_(settings.max_gyro_bias_rps * settings.max_gyro_bias_rps),
      usable2_(gravity_band2(settings.accel_rejection_mps2)),
      rest_force2_(gravity_band2(settings.rest_accel_mps2)),
      special_dt_us_(settings.gap_reanchor_us > 0 && settings.recheck_hole_us > 0
                         ? std::min(settings.max_dt_us, settings.recheck_hole_us)
                         : settings.max_dt_us) {
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
  if (s.accel_only_time_constant_us < 0 || s.rest_time_us < 0 || s.bias_time_constant_us < 0 ||
      s.gap_reanchor_us < 0 || s.recheck_hole_us < 0) {
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
  after_gap_ = AfterGap::kNone;
  last_t_us_ = 0;
  consecutive_backwards_ = 0;
  clear_rest();
  flags_ = OrientationFlags{};
  reset_method();
}

OrientationFlags ImuFilterBase::flags() const {
  OrientationFlags f = flags_;
  f.at_rest = at_rest_;
  f.reanchoring = after_gap_ == AfterGap::kAverage ||
                  (after_gap_ == AfterGap::kHole && before_hole_ == AfterGap::kAverage);
  f.rechecking = after_gap_ == AfterGap::kRecheck ||
                 (after_gap_ == AfterGap::kHole && before_hole_ != AfterGap::kAverage);
  return f;
}

void ImuFilterBase::mark_gap(int64_t hidden_us) {
  // The next interval then reads as that much longer, and takes the path its length calls for
  // (a gap, a hole to re-check, or an interval integrated across) with no test added to every
  // update. Saturated at a gap: no real clock is near INT64_MIN / 2.
  if (!initialised_ || hidden_us <= 0) return;
  last_t_us_ = hidden_us > settings_.max_dt_us || last_t_us_ < INT64_MIN / 2 + hidden_us
                   ? INT64_MIN / 2
                   : last_t_us_ - hidden_us;
}

void ImuFilterBase::initialise(const ImuSample& s, bool acc_ok, double acc_norm2_mps4) {
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
  // Data that start in motion (a sensor switched on mid-run, a recording cut from one): the
  // first sample is no better a tilt reference than the first after a gap.
  // Judged with wide margins (0.5 rad/s, 0.2 g), so that an uncalibrated gyro's bias or an
  // accelerometer's scale error on a sensor at rest is not taken for motion.
  const bool moving =
      s.gyr_rps.squaredNorm() >= kMovingRate_rps * kMovingRate_rps ||
      std::abs(std::sqrt(acc_norm2_mps4) - kGravity_mps2) >= kMovingForce_g * kGravity_mps2;
  if (settings_.gap_reanchor_us > 0 && s.has_gyro && moving) {
    start_average(s.t_us, AfterGap::kAverage);
  }
}

void ImuFilterBase::restart_timeline(const ImuSample& s, bool acc_ok) {
  // The clock restarted: adopt the new timeline like a gap.
  consecutive_backwards_ = 0;
  last_t_us_ = s.t_us;
  if (settings_.gap_reanchor_us > 0) {
    start_after_gap(s, acc_ok);
  } else {
    ++flags_.gaps;
    prev_gyr_valid_ = false;
    after_gap_ = AfterGap::kSnap;
    clear_rest();
  }
}

void ImuFilterBase::start_after_gap(const ImuSample& s, bool acc_ok) {
  ++flags_.gaps;
  clear_rest();
  prev_gyr_rps_ = s.gyr_rps;
  prev_gyr_valid_ = s.has_gyro;
  if (settings_.gap_reanchor_us > 0 && s.has_gyro) {
    // Keep the attitude we had (its tilt error is found over the next stretch).
    start_average(s.t_us, AfterGap::kAverage);
    return;
  }
  if (acc_ok) {
    q_ws_ = correct_tilt_towards(q_ws_, s.acc_mps2, 1.0);
    after_gap_ = AfterGap::kNone;
  } else {
    ++flags_.accel_rejected;
    after_gap_ = AfterGap::kSnap;
  }
}

void ImuFilterBase::start_average(int64_t t_us, AfterGap kind) {
  after_gap_ = kind;
  average_restarted_ = false;
  reanchor_start_us_ = t_us;
  reanchor_force_sum_.setZero();
  reanchor_weight_sum_ = 0.0;
  // Feedback built on the attitude before the gap would keep acting on the one after it.
  if (kind == AfterGap::kAverage) reset_method();
}

void ImuFilterBase::step_after_gap(const ImuSample& s, const Eigen::Vector3d& gyr_rps,
                                   const Eigen::Vector3d* usable_acc_mps2, double acc_norm2_mps4,
                                   double dt_s) {
  if (after_gap_ == AfterGap::kHole) {
    // A bridged hole starts a re-check. Inside a stretch being averaged it adds an error of its
    // own that the stretch's mean would blend with the one before it, so that stretch starts
    // again from here, once: with holes coming faster than the stretch is long it would never
    // end, and the sensor would give no angles at all; after that the mean takes the holes in.
    ++flags_.holes_rechecked;
    if (before_hole_ != AfterGap::kAverage) {
      start_average(s.t_us, AfterGap::kRecheck);
    } else if (!average_restarted_) {
      start_average(s.t_us, AfterGap::kAverage);
      average_restarted_ = true;
    } else {
      after_gap_ = AfterGap::kAverage;
    }
  }
  if (after_gap_ == AfterGap::kSnap) {
    if (usable_acc_mps2 != nullptr) {
      q_ws_ = correct_tilt_towards(integrate(q_ws_, gyr_rps, dt_s), s.acc_mps2, 1.0);
      after_gap_ = AfterGap::kNone;
    } else {
      step(gyr_rps, nullptr, dt_s);
    }
    return;
  }
  // Gyro only: the attitude then carries one constant world-frame error E (q = E q_true), so
  // the world-frame specific force is E applied to the true one, whose weighted mean is
  // gravity plus the weighted mean linear acceleration. With the Hann weight w the latter is
  // -integral(w' v) / integral(w) (by parts, w = 0 at both ends): for a limb whose velocity
  // swings with the stride, a few percent of a plain mean's error (the window's side lobes,
  // F. J. Harris, Proc. IEEE 66(1):51, 1978). Every sample counts, impacts included: leaving
  // any out would bias the mean.
  // After a bridged hole the feedback goes on (the attitude is in use): with the small gain this
  // is for, it moves E by a few percent over the stretch.
  if (after_gap_ == AfterGap::kRecheck && usable_acc_mps2 != nullptr) {
    const double scale =
        settings_.unnormalised_accel ? 1.0 / kGravity_mps2 : 1.0 / std::sqrt(acc_norm2_mps4);
    const Eigen::Vector3d up = *usable_acc_mps2 * scale;
    step(gyr_rps, &up, dt_s);
  } else {
    step(gyr_rps, nullptr, dt_s);
  }
  const double span_s = static_cast<double>(settings_.gap_reanchor_us) * 1e-6;
  const double x = static_cast<double>(s.t_us - reanchor_start_us_) * 1e-6 / span_s;
  const double sw = std::sin(std::numbers::pi * std::min(x, 1.0));
  // Weighted by the interval too: the mean is over time, not over samples, so uneven sampling
  // (jitter, a lost sample) does not tilt it.
  const double w = sw * sw * dt_s;
  reanchor_force_sum_ += w * (q_ws_ * s.acc_mps2);
  reanchor_weight_sum_ += w;
  if (x < 1.0) return;
  const Eigen::Vector3d mean = reanchor_force_sum_ / std::max(reanchor_weight_sum_, 1e-12);
  const double n = mean.norm();
  if (!(n > 0.5 * kGravity_mps2 && n < 1.5 * kGravity_mps2)) {
    // Not gravity (a fall, a clipped stretch): after a gap the next stretch is tried, the
    // attitude still unanchored; after a bridged hole it was usable and the filter goes on.
    if (after_gap_ == AfterGap::kAverage) {
      start_average(s.t_us, AfterGap::kAverage);
    } else {
      after_gap_ = AfterGap::kNone;
    }
    return;
  }
  // E is the smallest rotation taking up to the measured mean; undo it (heading kept).
  const Eigen::Quaterniond e =
      Eigen::Quaterniond::FromTwoVectors(Eigen::Vector3d::UnitZ(), mean / n);
  q_ws_ = (e.conjugate() * q_ws_).normalized();
  after_gap_ = AfterGap::kNone;
  reset_method();
}

bool ImuFilterBase::accel_usable(const ImuSample& s, double acc_norm2_mps4) const {
  // A clipped axis makes the direction wrong even when the norm happens to look right.
  if (s.saturated) return false;
  return usable2_.holds(acc_norm2_mps4);
}

void ImuFilterBase::adjust_bias(const Eigen::Vector3d& delta_rps) {
  bias_rps_ += delta_rps;
  // Mahony calls this every sample; the sqrt is only needed when the clamp bites.
  const double n2 = bias_rps_.squaredNorm();
  if (n2 > max_gyro_bias2_rps2_) bias_rps_ *= settings_.max_gyro_bias_rps / std::sqrt(n2);
}

void ImuFilterBase::clear_rest() {
  rest_candidate_ = false;
  at_rest_ = false;
  rest_start_us_ = 0;
}

void ImuFilterBase::update_rest(const ImuSample& s, double acc_norm2_mps4, double dt_s) {
  // Squared norms against squared thresholds (both >= 0): the same test without two sqrts.
  bool calm = s.has_gyro && !s.saturated && s.gyr_rps.squaredNorm() < rest_gyro2_rps2_ &&
              rest_force2_.holds(acc_norm2_mps4);
  if (calm && rest_candidate_) {
    calm = (s.acc_mps2 - rest_anchor_acc_mps2_).squaredNorm() < rest_accel2_mps4_;
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
  // At rest the true rate is zero, so the gyro's low-pass mean is its bias. The weight depends
  // on dt only, which is nearly always the previous one: cache it instead of an exp per sample.
  if (dt_s != bias_alpha_dt_s_) {
    bias_alpha_dt_s_ = dt_s;
    bias_alpha_ = lowpass_alpha(dt_s, settings_.bias_time_constant_us);
  }
  adjust_bias(bias_alpha_ * (s.gyr_rps - bias_rps_));
}

void ImuFilterBase::update(const ImuSample& s) {
  if (!finite(s)) {
    ++flags_.nonfinite_skipped;
    return;
  }
  // The gate and the rest test compare the squared norm; only the normalisation below takes its
  // square root, after the branches, so they need not wait for it (perf put a quarter of this
  // function's time on the instruction after the sqrt when the gate read the norm).
  const double acc_norm2_mps4 = s.acc_mps2.squaredNorm();
  const bool acc_ok = accel_usable(s, acc_norm2_mps4);

  // The rare paths below end in a call and return (a sibling call): no registers are saved
  // for them on the per-sample path.
  if (!initialised_) [[unlikely]]
    return initialise(s, acc_ok, acc_norm2_mps4);

  int64_t dt_us = 0;
  if (__builtin_sub_overflow(s.t_us, last_t_us_, &dt_us)) dt_us = -1;  // corrupt timestamp
  if (dt_us <= 0) {
    ++flags_.bad_dt_skipped;
    if (dt_us < 0 && ++consecutive_backwards_ >= kBackwardsRestart) {
      return restart_timeline(s, acc_ok);
    }
    return;
  }
  consecutive_backwards_ = 0;
  last_t_us_ = s.t_us;

  // One test for both kinds of long interval (special_dt_us_ is max_dt_us unless bridged holes
  // are re-checked), so a filter that re-checks none pays nothing for the feature.
  if (dt_us > special_dt_us_) [[unlikely]] {
    if (dt_us > settings_.max_dt_us) {
      // Integrating one held rate across a long gap is worse than knowing nothing: re-anchor
      // tilt, keep the heading we had.
      return start_after_gap(s, acc_ok);
    }
    // A hole the filter bridges (lost packets shorter than max_dt_us) hides motion too, only
    // less of it: the rate across it is interpolated, so a swinging limb's attitude comes out
    // of it a few degrees off, which a small gain would carry for most of a minute. Tilt is
    // re-checked over the next stretch; the attitude stays usable meanwhile. Only marked here
    // (a call with the update going on after it would cost every sample a register saved and
    // restored); step_after_gap starts the stretch.
    if (after_gap_ != AfterGap::kSnap && after_gap_ != AfterGap::kHole) {
      before_hole_ = after_gap_;
      after_gap_ = AfterGap::kHole;
    }
  }
  const double dt_s = static_cast<double>(dt_us) * 1e-6;
  if (!acc_ok) ++flags_.accel_rejected;
  // Kept as scalars: a copy as a quaternion reads q_ws_ with 16-byte loads, which stall on the
  // previous update's 8-byte stores (quaternion_product.hpp).
  const double bw = q_ws_.w(), bx = q_ws_.x(), by = q_ws_.y(), bz = q_ws_.z();

  if (!s.has_gyro) {
    ++flags_.accel_only_updates;
    clear_rest();
    prev_gyr_valid_ = false;
    if (acc_ok) {
      // Without a gyro there is nothing to carry an average: a gap's tilt comes from here (a
      // re-check after a hole goes on with the next gyro sample).
      const bool snap = after_gap_ == AfterGap::kSnap || after_gap_ == AfterGap::kAverage;
      const double alpha = snap ? 1.0 : lowpass_alpha(dt_s, settings_.accel_only_time_constant_us);
      q_ws_ = correct_tilt_towards(q_ws_, s.acc_mps2, alpha);
      if (snap) after_gap_ = AfterGap::kNone;
    }
  } else {
    update_rest(s, acc_norm2_mps4, dt_s);
    // Trapezoid on the rate: the samples are instantaneous, the interval lies between them.
    const Eigen::Vector3d gyr =
        (prev_gyr_valid_ ? 0.5 * (prev_gyr_rps_ + s.gyr_rps) : s.gyr_rps) - bias_rps_;
    prev_gyr_rps_ = s.gyr_rps;
    prev_gyr_valid_ = true;
    if (after_gap_ != AfterGap::kNone) [[unlikely]] {
      step_after_gap(s, gyr, acc_ok ? &s.acc_mps2 : nullptr, acc_norm2_mps4, dt_s);
    } else {
      // acc_ok implies |a| is within accel_rejection_mps2 of g, so the division is safe.
      const double scale =
          settings_.unnormalised_accel ? 1.0 / kGravity_mps2 : 1.0 / std::sqrt(acc_norm2_mps4);
      const Eigen::Vector3d up =
          acc_ok ? Eigen::Vector3d(s.acc_mps2 * scale) : Eigen::Vector3d::Zero();
      step(gyr, acc_ok ? &up : nullptr, dt_s);
    }
  }

  // Last line of defence for the "never NaN out" contract: the steps above are guarded, but an
  // orientation that is not a finite unit quaternion is never published.
  // Written as !(x <= bound): a NaN or infinite coefficient makes the norm fail it too.
  if (!(std::abs(squared_norm(q_ws_) - 1.0) <= 1e-6)) {
    q_ws_ = Eigen::Quaterniond(bw, bx, by, bz);
    ++flags_.nonfinite_skipped;
  }
}

}  // namespace gk
