// Shoe (foot) sensor with gyroscope: IC, TO, contact time, stride length and
// speed by zero-velocity-updated strapdown integration, foot-strike angle.
#pragma once

#include <optional>

#include "gyro_stride_segmenter.hpp"

namespace gk {

struct FootDetectorSettings {
  GyroSegmenterSettings segmenter;
  /// Half-width of the window around the gyro IC feature where the impact
  /// is looked for.
  double impact_search_s = 0.08;
  /// An impact counts when its jerk exceeds this multiple of the cycle's
  /// median jerk; otherwise the gyro feature is used and quality lowered.
  double impact_min_ratio = 4.0;
  /// Foot-strike classes from the foot angle at IC (Altman & Davis 2012,
  /// Gait Posture 35:298): > 8 deg rearfoot, < -1.6 deg forefoot.
  double heel_strike_min_deg = 8.0;
  double forefoot_strike_max_deg = -1.6;
  /// Running stance plausibility gate (ms).
  double running_contact_min_ms = 95.0;
  double running_contact_max_ms = 300.0;
  /// Duty factor above which a contact is walking (no flight phase).
  double walking_duty_factor = 0.5;
  /// Keep the pitch axis horizontal at mid-stance (see
  /// GyroSegmenterSettings::axis_horizontal_at_rest); the foot is flat there.
  bool pitch_axis_horizontal = true;
};

pb::FootStrike classify_foot_strike(double angle_deg, const FootDetectorSettings& settings);

class FootStepDetector final : public GyroStrideSegmenter {
 public:
  explicit FootStepDetector(const FootDetectorSettings& settings);
  void reset() override;

 protected:
  std::optional<DetectedStep> analyze(const StrideSpan& span) override;
  double context_s() const override { return 0.5 * settings_.segmenter.max_stride_s; }

 private:
  FootDetectorSettings settings_;
  std::optional<int64_t> last_midstance_us_;
};

}  // namespace gk
