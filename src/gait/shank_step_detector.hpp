// Shank sensor with gyroscope: step timing from the mid-swing peak of the
// shank's sagittal angular rate and the contact that follows it (Aminian et
// al. 2002, J. Biomech. 35:689; Greene et al. 2010, Gait Posture 32:87), and
// tibial shock: the peak axial acceleration at impact, in g (Milner et al.
// 2006, Med. Sci. Sports Exerc. 38:323). Contact time from a shank is known
// to be poor, so it is reported but marked unreliable and lower quality.
#pragma once

#include "gyro_stride_segmenter.hpp"

namespace gk {

struct ShankDetectorSettings {
  GyroSegmenterSettings segmenter;
  double impact_search_s = 0.08;
  double impact_min_ratio = 4.0;
  /// Window after IC in which the axial peak is the tibial shock.
  double shock_window_s = 0.06;
};

class ShankStepDetector final : public GyroStrideSegmenter {
 public:
  explicit ShankStepDetector(const ShankDetectorSettings& settings);

 protected:
  std::optional<DetectedStep> analyze(const StrideSpan& span) override;

 private:
  ShankDetectorSettings settings_;
};

}  // namespace gk
