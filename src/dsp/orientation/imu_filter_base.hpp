// Shared plumbing of the 6-axis filters: time base, input guards, initialisation, gap handling,
// accelerometer gating, rest detection and gyro bias. Subclasses only supply the attitude step.
#pragma once

#include <Eigen/Core>
#include <Eigen/Geometry>
#include <cmath>
#include <cstdint>

#include "orientation_filter.hpp"
#include "quaternion_product.hpp"

namespace gk {

/// lo2 < x < hi2 on a squared norm: a band around 1 g tested without a square root.
struct NormBand2 {
  double lo2 = 0.0;
  double hi2 = 0.0;
  bool holds(double norm2) const { return norm2 > lo2 && norm2 < hi2; }
};

class ImuFilterBase : public OrientationFilter {
 public:
  /// Throws std::invalid_argument on nonsensical settings.
  explicit ImuFilterBase(const OrientationSettings& settings);

  void update(const ImuSample& sample) final;
  void reset() final;
  void mark_gap(int64_t hidden_us) final;

  Eigen::Quaterniond orientation() const final { return q_ws_; }
  Eigen::Vector3d gyro_bias_rps() const final { return bias_rps_; }
  bool initialised() const final { return initialised_; }
  OrientationFlags flags() const final;

  const OrientationSettings& settings() const { return settings_; }

 protected:
  /// One attitude step over dt_s. gyr_rps is the bias-corrected body rate (mean of this and the
  /// previous sample). up_meas is the unit accelerometer direction when it passed the rejection
  /// gate, nullptr otherwise. Must leave q_ws_ a unit quaternion.
  virtual void step(const Eigen::Vector3d& gyr_rps, const Eigen::Vector3d* up_meas,
                    double dt_s) = 0;
  /// Clear method-specific state (called by reset()).
  virtual void reset_method() {}

  bool at_rest() const { return at_rest_; }
  /// Adds delta to the bias estimate, clamped to settings().max_gyro_bias_rps.
  void adjust_bias(const Eigen::Vector3d& delta_rps);
  /// Exact integration of a constant body rate over dt: q <- q (x) exp(w dt / 2). q must be a
  /// unit quaternion (to 1e-9); the result is one to 1e-12.
  static Eigen::Quaterniond integrate(const Eigen::Quaterniond& q, const Eigen::Vector3d& w_rps,
                                      double dt_s);

  Eigen::Quaterniond q_ws_ = Eigen::Quaterniond::Identity();

 private:
  bool accel_usable(const ImuSample& sample, double acc_norm2_mps4) const;
  void update_rest(const ImuSample& sample, double acc_norm2_mps4, double dt_s);
  void clear_rest();
  // Off the per-sample path: kept out of update() so that its hot part compiles as before.
  [[gnu::cold, gnu::noinline]] void initialise(const ImuSample& sample, bool acc_ok,
                                               double acc_norm2_mps4);
  [[gnu::cold, gnu::noinline]] void restart_timeline(const ImuSample& sample, bool acc_ok);
  [[gnu::cold, gnu::noinline]] void start_after_gap(const ImuSample& sample, bool acc_ok);
  /// usable_acc_mps2: the sample's accelerometer when it passed the rejection gate, else null.
  [[gnu::cold, gnu::noinline]] void step_after_gap(const ImuSample& sample,
                                                   const Eigen::Vector3d& gyr_rps,
                                                   const Eigen::Vector3d* usable_acc_mps2,
                                                   double acc_norm2_mps4, double dt_s);

  OrientationSettings settings_;
  // Thresholds squared once, so the per-sample tests compare squared norms (no sqrt).
  double rest_gyro2_rps2_;
  double rest_accel2_mps4_;
  double max_gyro_bias2_rps2_;
  NormBand2 usable2_;      ///< accel_rejection_mps2 around 1 g, squared
  NormBand2 rest_force2_;  ///< rest_accel_mps2 around 1 g, squared
  /// Intervals longer than this leave the fast path: max_dt_us, or recheck_hole_us when bridged
  /// holes are re-checked.
  int64_t special_dt_us_;
  // Low-pass weight of the at-rest bias for the last dt (a pure function of dt: an exp saved per
  // sample at a steady rate). dt is always > 0, so -1 means "none yet".
  double bias_alpha_dt_s_ = -1.0;
  double bias_alpha_ = 0.0;

  Eigen::Vector3d bias_rps_ = Eigen::Vector3d::Zero();
  Eigen::Vector3d prev_gyr_rps_ = Eigen::Vector3d::Zero();
  bool prev_gyr_valid_ = false;
  bool initialised_ = false;
  /// What the samples after a gap do until tilt is found again (gap_reanchor_us).
  enum class AfterGap : uint8_t {
    kNone,
    kSnap,     ///< the next usable accelerometer sample sets tilt
    kAverage,  ///< gyro only, averaging the world-frame specific force
    kRecheck,  ///< the same after a bridged hole, the attitude still usable meanwhile
    kHole,     ///< a bridged hole seen; the next gyro sample starts its stretch
  };
  void start_average(int64_t t_us, AfterGap kind);
  AfterGap after_gap_ = AfterGap::kNone;
  int64_t reanchor_start_us_ = 0;
  AfterGap before_hole_ = AfterGap::kNone;  ///< the state a bridged hole interrupted
  bool average_restarted_ = false;          ///< the current kAverage began again after a hole
  Eigen::Vector3d reanchor_force_sum_ = Eigen::Vector3d::Zero();  ///< Hann-weighted, world
  double reanchor_weight_sum_ = 0.0;
  int64_t last_t_us_ = 0;
  int consecutive_backwards_ = 0;

  bool rest_candidate_ = false;
  bool at_rest_ = false;
  int64_t rest_start_us_ = 0;
  Eigen::Vector3d rest_anchor_acc_mps2_ = Eigen::Vector3d::Zero();
  Eigen::Vector3d rest_gyr_sum_rps_ = Eigen::Vector3d::Zero();  ///< over the rest window
  int64_t rest_count_ = 0;

  OrientationFlags flags_;
};

inline Eigen::Quaterniond ImuFilterBase::integrate(const Eigen::Quaterniond& q,
                                                   const Eigen::Vector3d& w_rps, double dt_s) {
  // Closed-form exponential map instead of the papers' Euler step on q-dot = q (x) (0, w) / 2:
  // exact for a constant rate, so low sample rates lose no accuracy. dq = (cos h, sin(h)/h * v)
  // with v = w dt / 2 and h = |v|. Below h = 0.1 (0.2 rad per sample: 200 rad/s at 1 kHz) the
  // Taylor series to h^8 is exact to double precision (first dropped term h^10/10! < 3e-17),
  // needs no sqrt and is several times cheaper than sincos; it is also exact at h = 0.
  const Eigen::Vector3d v = (0.5 * dt_s) * w_rps;
  const double h2 = v.squaredNorm();
  double c = 0.0;
  double s_over_h = 0.0;
  // Horner form with the reciprocals as constants: a division by 12.0 cannot be turned into a
  // multiplication under strict IEEE rules, and eight divisions were most of this function.
  constexpr double k2 = 1.0 / 2.0, k12 = 1.0 / 12.0, k30 = 1.0 / 30.0, k56 = 1.0 / 56.0;
  constexpr double k6 = 1.0 / 6.0, k20 = 1.0 / 20.0, k42 = 1.0 / 42.0, k72 = 1.0 / 72.0;
  // The series is cut where its first dropped term falls below 3e-17: to h^4 below h^2 = 1e-6
  // (a slow limb, or a filter at rest), to h^6 below 1e-3 (running at 1 kHz), to h^8
  // otherwise. Each level dropped shortens the recursion's dependency chain by a multiply-add.
  if (h2 < 1e-6) {
    c = 1.0 - h2 * k2 * (1.0 - h2 * k12);
    s_over_h = 1.0 - h2 * k6 * (1.0 - h2 * k20);
  } else if (h2 < 1e-3) {
    c = 1.0 - h2 * k2 * (1.0 - h2 * k12 * (1.0 - h2 * k30));
    s_over_h = 1.0 - h2 * k6 * (1.0 - h2 * k20 * (1.0 - h2 * k42));
  } else if (h2 < 0.01) {
    c = 1.0 - h2 * k2 * (1.0 - h2 * k12 * (1.0 - h2 * k30 * (1.0 - h2 * k56)));
    s_over_h = 1.0 - h2 * k6 * (1.0 - h2 * k20 * (1.0 - h2 * k42 * (1.0 - h2 * k72)));
  } else {
    const double h = std::sqrt(h2);
    c = std::cos(h);
    s_over_h = std::sin(h) / h;
  }
  const Eigen::Quaterniond dq(c, s_over_h * v.x(), s_over_h * v.y(), s_over_h * v.z());
  const Eigen::Quaterniond out = hamilton_product(q, dq);
  // Both factors are unit to rounding, so |out|^2 = 1 + e with |e| ~ 1e-16, a drift that would
  // take ~1e4 updates to reach 1e-12. Renormalising only past that bound keeps the attitude
  // unit to 1e-12 and takes the scaling off the sample-to-sample dependency chain (the branch
  // is predicted and the norm is computed beside the chain): this recursion, not arithmetic,
  // bounds the filter's speed. One Newton step for 1/sqrt (error 3/8 e^2) covers small e;
  // anything further off (an input that was not unit) takes the exact path.
  // The scale is applied to scalars into a new quaternion, not in place through coeffs(): an
  // in-place packed multiply made GCC assemble the product in stack memory and reload it as
  // 16-byte packets, the stalled reload quaternion_product.hpp describes.
  const double n2 = squared_norm(out);
  const double e = n2 - 1.0;
  if (std::abs(e) <= 1e-12) [[likely]]
    return out;
  if (std::abs(e) < 1e-9) {
    const double k = 1.0 - 0.5 * e;
    return Eigen::Quaterniond(k * out.w(), k * out.x(), k * out.y(), k * out.z());
  }
  const double n = std::sqrt(n2);
  return Eigen::Quaterniond(out.w() / n, out.x() / n, out.y() / n, out.z() / n);
}

}  // namespace gk
