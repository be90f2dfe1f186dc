// The world orientation of one leg segment (shank or thigh) from its sensor
// alone, as a streaming stage: what the shank-only tibial inclination and the
// hip adduction (thigh against pelvis) are computed from.
//
// Frame: the long axis from gravity in a standing moment (else the mean
// specific force over strides), the medio-lateral axis from the segment's
// principal rotation axis while running, signed so that the segment's
// fastest rotation in a stride (its forward swing into contact: the shank's
// top, and the thigh's knee, moving as the leg reaches forward) turns about
// -y, which makes y point left on either leg. The first seconds of motion are
// buffered for that and replayed, as in knee_sleeve.hpp.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "gaitkeeper.pb.h"
#include "knee_calibration.hpp"
#include "orientation_filter.hpp"
#include "output_decimator.hpp"
#include "unanchored_stretch.hpp"

namespace gk {

struct LegSegmentSettings {
  OrientationSettings orientation;  ///< KneeSleeveSettings::knee_orientation_settings() by default
  KneeCalibrationSettings calibration;
  double motion_rate_rps = 2.0;
  double calibration_motion_s = 10.0;
  double max_buffer_s = 120.0;
  double output_rate_hz = 100.0;

  LegSegmentSettings();
};

/// Segment axes (columns x forward, y left, z up) in the world at t.
struct SegmentPose {
  int64_t t_us = 0;
  Eigen::Matrix3d world = Eigen::Matrix3d::Identity();
};

/// Tibial frontal-plane inclination of a shank pose: the long axis' lean from
/// vertical seen from the front, + = proximal end toward the midline. Not
/// knee valgus, which needs the thigh too (knee_sleeve.hpp). nullopt when
/// the medio-lateral axis is vertical (no frontal plane to speak of).
std::optional<double> tibial_inclination_deg(const Eigen::Matrix3d& shank_world, pb::Side side);

class LegSegmentFrame {
 public:
  /// name: "shank" or "thigh", for the findings.
  LegSegmentFrame(pb::Side side, std::string name,
                  const LegSegmentSettings& settings = LegSegmentSettings());
  ~LegSegmentFrame();

  void push(const ImuSample& sample);
  /// The next sample follows hidden_us of motion this stage never saw (samples behind a clock
  /// that stepped back): OrientationFilter::mark_gap.
  void mark_gap(int64_t hidden_us) { filter_->mark_gap(hidden_us); }
  void finish();
  void reset();

  std::vector<SegmentPose> take();
  int64_t resolved_until_us() const;
  std::optional<int64_t> calibrated_at_us() const { return calibrated_at_us_; }
  const std::vector<std::string>& findings() const { return findings_; }

 private:
  void calibrate();
  void track(const TimedImu& s);

  pb::Side side_;
  std::string name_;
  LegSegmentSettings settings_;
  OutputDecimator decimator_;
  UnanchoredStretch unanchored_;
  std::unique_ptr<OrientationFilter> filter_;
  std::vector<TimedImu> buffer_;
  double motion_s_ = 0.0;
  int64_t last_t_us_ = INT64_MIN;
  std::optional<Eigen::Matrix3d> segment_;  ///< columns x, y, z in the sensor frame
  std::optional<int64_t> calibrated_at_us_;
  bool finished_ = false;
  std::vector<SegmentPose> out_;
  std::vector<std::string> findings_;
};

}  // namespace gk
