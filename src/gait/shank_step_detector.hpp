// Shank sensor with gyroscope: step timing from the mid-swing peak of the
// shank's sagittal angular rate and the contact that follows it (Aminian et
// al. 2002, J. Biomech. 35:689; Greene et al. 2010, Gait Posture 32:87), and
// tibial shock: the peak axial acceleration at impact, in g (Milner et al.
// 2006, Med. Sci. Sports Exerc. 38:323). Contact time from a shank is known
// to be poor, so it is reported but marked unreliable and lower quality.
#pragma once

#include "gyro_stride_segmenter.hpp"
#include "impact_placement.hpp"
#include "stride_features.hpp"

namespace gk {

struct ShankDetectorSettings {
  GyroSegmenterSettings segmenter;
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
  ImpactSearch impact{.before_s = 0.08,
                      .after_s = 0.02,
                      .min_ratio = 4.0,
                      .first_fraction = 0.3,
                      .first_within_s = 0.020,
                      .rises_only = true};
  /// Window after IC in which the axial peak is the tibial shock.
  double shock_window_s = 0.06;
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
};

}  // namespace gk
