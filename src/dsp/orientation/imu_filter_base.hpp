// Shared plumbing of the 6-axis filters: time base, input guards, initialisation, gap handling,
// accelerometer gating, rest detection and gyro bias. Subclasses only supply the attitude step.
#pragma once

#include <Eigen/Core>
#include <Eigen/Geometry>
#include <cstdint>

#include "orientation_filter.hpp"

namespace gk {

class ImuFilterBase : public OrientationFilter {
 public:
  /// Throws std::invalid_argument on nonsensical settings.
  explicit ImuFilterBase(const OrientationSettings& settings);

  void update(const ImuSample& sample) final;
  void reset() final;

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
  /// Exact integration of a constant body rate over dt: q <- q (x) exp(w dt / 2).
  static Eigen::Quaterniond integrate(const Eigen::Quaterniond& q, const Eigen::Vector3d& w_rps,
                                      double dt_s);

  Eigen::Quaterniond q_ws_ = Eigen::Quaterniond::Identity();

 private:
  bool accel_usable(const ImuSample& sample) const;
  void update_rest(const ImuSample& sample, double dt_s);
  void clear_rest();

  OrientationSettings settings_;

  Eigen::Vector3d bias_rps_ = Eigen::Vector3d::Zero();
  Eigen::Vector3d prev_gyr_rps_ = Eigen::Vector3d::Zero();
  bool prev_gyr_valid_ = false;
  bool initialised_ = false;
  bool pending_tilt_init_ = false;  ///< after a gap whose sample had no usable accel
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

}  // namespace gk
