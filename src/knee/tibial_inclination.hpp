// Tibial frontal-plane inclination from a shank sensor alone: the angle of
// the shank's long axis from vertical, seen from the front. It is not knee
// valgus (which needs the thigh too, knee_sleeve.hpp) and is named so
// everywhere; it is what a single shank pod can honestly say about the
// frontal plane.
//
// Frame: the long axis from gravity in a standing moment (else the mean
// specific force over strides), the medio-lateral axis from the shank's
// principal rotation axis while running, signed so that the forward swing of
// the shank before contact (its fastest rotation in a stride) turns about -y,
// which makes y point left on either leg.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "gaitkeeper.pb.h"
#include "knee_calibration.hpp"
#include "orientation_filter.hpp"

namespace gk {

struct TibialInclinationSettings {
  OrientationSettings orientation;  ///< KneeSleeveSettings::knee_orientation_settings() by default
  KneeCalibrationSettings calibration;
  double motion_rate_rps = 2.0;
  double calibration_motion_s = 10.0;
  double max_buffer_s = 120.0;
  double output_rate_hz = 100.0;

  TibialInclinationSettings();
};

struct InclinationSample {
  int64_t t_us = 0;
  pb::Side side = pb::SIDE_UNKNOWN;
  double inclination_deg = 0.0;  ///< + = proximal end toward the midline
};

class TibialInclination {
 public:
  explicit TibialInclination(
      pb::Side side, const TibialInclinationSettings& settings = TibialInclinationSettings());
  ~TibialInclination();

  void push(const ImuSample& sample);
  void finish();
  void reset();

  std::vector<InclinationSample> take();
  int64_t resolved_until_us() const;
  std::optional<int64_t> calibrated_at_us() const { return calibrated_at_us_; }
  const std::vector<std::string>& findings() const { return findings_; }

 private:
  void calibrate();
  void track(const TimedImu& s);

  pb::Side side_;
  TibialInclinationSettings settings_;
  std::unique_ptr<OrientationFilter> filter_;
  std::vector<TimedImu> buffer_;
  double motion_s_ = 0.0;
  int64_t last_t_us_ = INT64_MIN;
  std::optional<Eigen::Matrix3d> segment_;  ///< columns x, y, z in the sensor frame
  std::optional<int64_t> calibrated_at_us_;
  int64_t next_output_t_us_ = INT64_MIN;
  bool finished_ = false;
  std::vector<InclinationSample> out_;
  std::vector<std::string> findings_;
};

}  // namespace gk
