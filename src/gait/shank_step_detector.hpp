// Shank sensor with gyroscope: step timing from the mid-swing peak of the
// shank's sagittal angular rate and the contact that follows it (Aminian et
// al. 2002, J. Biomech. 35:689; Greene et al. 2010, Gait Posture 32:87), and
// tibial shock: the peak axial acceleration at impact, in g (Milner et al.
// 2006, Med. Sci. Sports Exerc. 38:323). Contact time from a shank is known
// to be poor, so it is reported but marked unreliable and lower quality.
#pragma once

#include <deque>

#include "gyro_stride_segmenter.hpp"
#include "impact_placement.hpp"
#include "landing_rhythm.hpp"
#include "stride_features.hpp"

namespace gk {

/// The segmenter's defaults for a shank: its pitch axis and sign from about one stride of motion.
/// A shank turns in its sagittal plane throughout the stride (no yaw in the swing as a foot has,
/// no stance at rest), so one stride's rates hold the axis, and its swing, the fastest rotation,
/// gives the sign (ShankStepDetector). Where the swing and stance lobes are of a size and no
/// impact tells them apart (the first strides from standing) the decision waits for twice this
/// motion. On the foot's 2 s of data with 1.2 s of motion, a shank's first steps left up to 2.6
/// strides after their contact from the first sample of a run, and 3.2 strides after a stand
/// (BoundedDelay.AShanksFirstStepsLeaveWithinOneStride).
inline GyroSegmenterSettings shank_segmenter_defaults() {
  GyroSegmenterSettings s;
  s.axis_warmup_s = 1.0;
  s.axis_min_moving_s = 0.6;
  return s;
}

struct ShankDetectorSettings {
  GyroSegmenterSettings segmenter = shank_segmenter_defaults();
  /// Where the impact is looked for around the shank's IC feature (the
  /// reversal after late swing, which the landing causes and so follows the
  /// contact, within a few tens of ms): up to 80 ms before it and 20 ms
  /// after, two 100 Hz sample periods for the feature's own timing. Further
  /// after it, a jump is the stance's own motion: at 100 Hz with short
  /// contacts it was sampled larger than the impact on some strides (IC 60-90
  /// ms late; with the window to 80 ms after, then to 40 ms, 16 of 180
  /// contacts of one simulated run still came 63-65 ms late, F1 0.906).
  /// The contact is the first rise along the tibia within 20 ms before the largest jump that
  /// reaches 0.3 of it, as for the accelerometer-only shank (TibialImpactDetectorSettings). The
  /// simulated shock lasts about 4 ms, then rebounds below the pre-strike level: where the
  /// samples only graze it, the loading rise 10-15 ms later is the largest jump. At 200 Hz and
  /// 150 or 200 steps/min every stride is sampled at the same phase, and the largest jump put
  /// every contact 12.4 ms late. Rises only, on the tibia's axis: measured on the vector's norm,
  /// or on falls too, a first-jump rule took the late swing's braking just before the contact
  /// (6 of the 63 shank runs of the random sweep then missed a target).
  /// A knee straightest well before the landing turns the shank backward fastest before the
  /// contact as well as after it, and where the earlier minimum is the feature, the impact comes
  /// 25-30 ms after it. So a jump up to 80 ms after the feature counts where it is three times
  /// the window's largest: a shock the samples catch stands about ten times over the late
  /// swing's jumps (3-4 g against 0.3 g at 400 Hz), while where they graze it, as at 100 Hz, the
  /// stance's jumps beyond the window are of its size and the window's choice stands (the
  /// runner-variety sweep, seed 707: 3 shank runs now meet their targets, and one of the
  /// transitions sweep 2525; 10 shank runs of the sweeps 101, 303, 2525 and 2626 moved, IC error
  /// down by up to 0.8 ms, cadence error within 0.06 steps/min either way).
  ImpactSearch impact{.before_s = 0.08,
                      .after_s = 0.02,
                      .min_ratio = 4.0,
                      .first_fraction = 0.3,
                      .first_within_s = 0.020,
                      .rises_only = true,
                      .later_s = 0.08};
  /// Window after IC in which the axial peak is the tibial shock.
  double shock_window_s = 0.06;
  /// A leg that pulls back before the landing turns the shank backward about as fast in the late
  /// swing as in the stance after the contact: two troughs of the pitch rate, within a few
  /// hundredths of a rad/s of each other, and noise decides which one is the lowest. The lag from
  /// the contact to the feature then jumps by 50-70 ms between strides, which neither the impact
  /// placement nor, where the samples miss the shock, the contact can follow (gyro shanks at 104
  /// and 128 Hz: cadence error 0.87 and 1.09 steps/min). A trough within this share of the lowest
  /// is as good a feature, and the one at the recent strides' typical time after the mid-swing is
  /// taken (the median over feature_track_strides whole cycles, once there are
  /// feature_track_min_strides).
  double feature_trough_share = 0.9;
  size_t feature_track_strides = 9;
  size_t feature_track_min_strides = 3;
};

class ShankStepDetector final : public GyroStrideSegmenter {
 public:
  explicit ShankStepDetector(const ShankDetectorSettings& settings);
  void reset() override;
  /// The shank on the other leg, whose contacts' lags this one's may share (ImpactPlacement).
  void pair_with(const ShankStepDetector& other) { placement_.pair_with(&other.placement_); }

 protected:
  std::optional<DetectedStep> analyze(const StrideSpan& span) override;

 private:
  ShankDetectorSettings settings_;
  /// Places the impact between its two samples with the IC feature's help.
  ImpactPlacement placement_;
  /// The IC feature of this cycle: ic's lowest row, or another trough as deep that lies where
  /// the recent strides' features did (ShankDetectorSettings::feature_trough_share).
  size_t tracked_feature(const StrideSpan& span, const IcFeature& ic);
  /// Time of each recent whole cycle's feature after its opening mid-swing.
  std::deque<int64_t> feature_offsets_us_;
  /// A running contact whose feature or impact the data's end cut off, claimed on its impact
  /// where the recent strides expect it (flag ic_at_data_end, quality 0.4, no toe-off).
  std::optional<DetectedStep> landing_at_data_end(const StrideSpan& span);
  /// Time of each recent whole cycle's contact after its opening mid-swing, and that cycle's
  /// tibia axis (the data-end landing's impact is looked for along it).
  std::deque<int64_t> ic_offsets_us_;
  static constexpr size_t kIcOffsets = 5;
  std::optional<Eigen::Vector3d> last_tibia_;
  /// The recent whole cycles' landings not timed in a hole: where a hole hides both a landing
  /// and the mid-swing before it, their rhythm says where the landing lies.
  LandingRhythm rhythm_;
};

}  // namespace gk
