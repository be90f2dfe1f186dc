// Contralateral pelvic drop from a pelvis (sacrum) sensor: per step, how far
// the pelvis on the swing side drops during the stance of the other leg.
// Each degree of it raised the odds of being an injured runner by about 80 %
// (Bramah et al. 2018, Am. J. Sports Med. 46:3014).
//
// Pelvis frame: up from gravity in a standing moment (0 deg = the standing
// pose), forward from the braking the sacrum feels after each initial contact
// (the first part of running stance decelerates the body: Cavagna et al. 1976,
// J. Physiol. 262:639), lateral = up x forward. Obliquity is the roll of that
// frame (Z-Y-X Cardan angles: heading, tilt, then obliquity about the forward
// axis), + = right side lower. Steps, with their sides, come from the other
// sensors (feet or shanks); a pelvis alone cannot tell left from right.
#pragma once

#include <cstdint>
#include <deque>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "gaitkeeper.pb.h"
#include "knee_calibration.hpp"
#include "leg_segment_frame.hpp"
#include "orientation_filter.hpp"
#include "output_decimator.hpp"
#include "series_window.hpp"
#include "unanchored_stretch.hpp"

namespace gk {

struct PelvicDropSettings {
  OrientationSettings orientation;  ///< KneeSleeveSettings::knee_orientation_settings()
  KneeCalibrationSettings calibration;
  /// Steps with a side used to find the forward direction.
  size_t calibration_steps = 20;
  /// Braking is averaged over this share of each contact from its IC.
  double braking_share = 0.4;
  double default_stance_ms = 250.0;  ///< when a step has no toe-off
  double max_buffer_s = 120.0;
  double history_s = 5.0;
  double output_rate_hz = 100.0;

  PelvicDropSettings();
};

class PelvicDrop {
 public:
  explicit PelvicDrop(const PelvicDropSettings& settings = PelvicDropSettings());
  ~PelvicDrop();

  void push(const ImuSample& sample);
  /// The next sample follows hidden_us of motion this stage never saw (samples behind a clock
  /// that stepped back): OrientationFilter::mark_gap.
  void mark_gap(int64_t hidden_us) { filter_->mark_gap(hidden_us); }
  /// A step released by the gait engine (in IC order).
  void add_step(pb::Side side, int64_t ic_us, std::optional<int64_t> to_us);
  void finish();
  void reset();

  /// Pelvis data seen up to here: step values can be asked for stances before it.
  int64_t resolved_until_us() const;
  /// Peak drop of the swing side during this stance (deg, + = it dropped).
  std::optional<double> drop_for(pb::Side side, int64_t ic_us, std::optional<int64_t> to_us) const;
  const std::vector<std::string>& findings() const { return findings_; }
  std::optional<int64_t> calibrated_at_us() const { return calibrated_at_us_; }
  /// Calibrated pelvis poses (x forward, y left, z up) produced so far, for
  /// the hip angles (moved out).
  std::vector<SegmentPose> take_poses();

 private:
  struct Step {
    pb::Side side;
    int64_t ic_us;
    int64_t end_us;
  };
  void maybe_calibrate();
  void track(const TimedImu& s);
  int64_t end_of(int64_t ic_us, std::optional<int64_t> to_us) const;

  PelvicDropSettings settings_;
  OutputDecimator decimator_;
  UnanchoredStretch unanchored_;
  std::unique_ptr<OrientationFilter> filter_;
  std::vector<TimedImu> buffer_;
  std::vector<Step> steps_;
  int64_t last_t_us_ = INT64_MIN;
  std::optional<Eigen::Matrix3d> frame_;  ///< columns forward, left, up in the sensor frame
  std::optional<int64_t> calibrated_at_us_;
  TimedValues history_;  ///< obliquity, deg
  bool finished_ = false;
  std::vector<SegmentPose> poses_;
  std::vector<std::string> findings_;
};

}  // namespace gk
