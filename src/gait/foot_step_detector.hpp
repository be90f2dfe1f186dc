// Shoe (foot) sensor with gyroscope: IC, TO, contact time, stride length and
// speed by zero-velocity-updated strapdown integration, foot-strike angle.
#pragma once

#include <deque>
#include <optional>

#include "gyro_stride_segmenter.hpp"
#include "impact_placement.hpp"
#include "landing_rhythm.hpp"
#include "stride_features.hpp"
#include "turn_step_finder.hpp"
#include "zero_velocity.hpp"

namespace gk {

/// The segmenter's defaults for a foot: the pitch axis is kept horizontal
/// at mid-stance, where the foot is flat (the sign rule is always the
/// foot's, see FootStepDetector).
inline GyroSegmenterSettings foot_segmenter_defaults() {
  GyroSegmenterSettings s;
  s.axis_horizontal_at_rest = true;
  s.axis_from_first_stride = true;
  return s;
}

struct FootDetectorSettings {
  GyroSegmenterSettings segmenter = foot_segmenter_defaults();
  /// Where the landing impact is looked for around the gyro IC feature
  /// (+/- 80 ms), and when it counts (a jump 4 times the cycle's median;
  /// otherwise the gyro feature is used and quality lowered). The first
  /// jump reaching half the largest is the landing: a forefoot landing is
  /// followed by the heel's, and at 100-200 Hz either can be sampled as the
  /// larger.
  ImpactSearch impact{.before_s = 0.08, .after_s = 0.08, .min_ratio = 4.0, .first_fraction = 0.5};
  /// Picks the contact's rest moment, where the stride integration takes the
  /// foot's velocity as zero.
  ZeroVelocitySettings zero_velocity;
  /// Foot-strike classes from the foot angle at IC (Altman & Davis 2012,
  /// Gait Posture 35:298): > 8 deg rearfoot, < -1.6 deg forefoot.
  double heel_strike_min_deg = 8.0;
  double forefoot_strike_max_deg = -1.6;
  /// Running stance plausibility gate (ms).
  double running_contact_min_ms = 95.0;
  double running_contact_max_ms = 300.0;
  /// Duty factor above which a contact is walking (no flight phase).
  double walking_duty_factor = 0.5;
  /// Contacts without a sagittal swing (turns, shuffles): see TurnStepFinder.
  bool find_turn_steps = true;
  TurnStepSettings turn;
  /// A turn-step proposal is dropped when the segmenter reported a contact
  /// from shortly before its lift to this long after its landing (a
  /// segmenter IC can trail the impact by the loading response).
  double turn_cover_after_s = 0.5;
};

pb::FootStrike classify_foot_strike(double angle_deg, const FootDetectorSettings& settings);

class FootStepDetector final : public GyroStrideSegmenter {
 public:
  explicit FootStepDetector(const FootDetectorSettings& settings);
  void push(const ImuSample& sample) override;
  void finish() override;
  void reset() override;
  /// The foot on the other leg, whose contacts' lags this one's may share (ImpactPlacement).
  void pair_with(const FootStepDetector& other) { placement_.pair_with(&other.placement_); }
  int64_t horizon_us() const override;

 protected:
  std::optional<DetectedStep> analyze(const StrideSpan& span) override;
  double context_s() const override { return 0.5 * settings_.segmenter.max_stride_s; }
  void on_sign_reversed() override;

 private:
  /// Keeps the turn-step proposals the segmenter did not cover, once it can
  /// no longer report a contact near them (all of them at the end).
  void settle_proposals(bool end);
  /// Whether the foot swings forward (pitch rate over the mid-swing floor)
  /// within kSwingAfterToeOff_us of the row to_k.
  bool swing_follows(const GyroRows& rows, size_t to_k) const;
  /// A running contact whose gyro feature the data's end cut off, claimed on its impact where
  /// the recent strides expect it (flag ic_at_data_end, quality 0.4, no toe-off).
  std::optional<DetectedStep> landing_at_data_end(const StrideSpan& span);
  /// A push-off is followed by the swing within this time (walking: the
  /// rate crosses from the toe-off minimum to mid-swing in about 0.2 s).
  static constexpr int64_t kSwingAfterToeOff_us = 300'000;

  FootDetectorSettings settings_;
  std::optional<int64_t> last_midstance_us_;
  TurnStepFinder turns_;
  std::deque<TurnStepProposal> proposals_;
  std::deque<int64_t> recent_ic_us_;  ///< the segmenter's ICs still needed for the check
  /// IC minus the opening mid-swing of the last few whole, hole-free cycles
  /// (terminal swing), for a landing lost in a hole.
  std::deque<int64_t> ic_offsets_us_;
  static constexpr size_t kIcOffsets = 5;
  /// The recent whole cycles' landings not timed in a hole, for a cycle whose opening mid-swing
  /// a hole hid.
  LandingRhythm rhythm_;
  /// Places the impact between its two samples with the IC feature's help.
  ImpactPlacement placement_;
};

}  // namespace gk
