// A landing placed between its samples by aligning its stride to the template of the segment's
// recent strides (StrideTemplate) and combining that alignment with the sampled jump
// (ImpactPlacement). Shared by the accelerometer-only shank and shoe detectors.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <vector>

#include "impact_placement.hpp"
#include "stride_template.hpp"

namespace gk {

class TemplatePlacement {
 public:
  /// Strides the template must stand on before it places a landing.
  static constexpr size_t kMinStrides = 3;
  /// Template origins whose rhythm says where the next stride's is looked for.
  static constexpr size_t kRhythmStrides = 7;

  /// max_stride_us: longer between two strides, and their rhythm is not carried on;
  /// impact_seen_late_only: see ImpactPlacement.
  TemplatePlacement(const StrideTemplateSettings& settings, int64_t max_stride_us,
                    bool impact_seen_late_only)
      : settings_(settings),
        template_(settings),
        placement_(impact_seen_late_only),
        max_stride_us_(max_stride_us) {}

  struct Placed {
    /// The landing, where the template stands on kMinStrides strides and this stride fits it.
    std::optional<double> ic_us;
    /// This stride did not fit an established template (another shape: a change of gait); the
    /// template starts again from it.
    bool restarted = false;
  };
  /// The stride whose landing's jump fell between two samples period_us apart, impact_us their
  /// midpoint; window holds its samples within the settings' window around it. Adds the stride
  /// to the template.
  Placed place(const std::vector<StrideTemplate::Sample>& window, int64_t impact_us,
               double period_us);
  void reset();

 private:
  /// Where the template's origin lies in this stride; nullopt before the template has a
  /// stride, or where the stride does not fit (misfit set).
  std::optional<double> align(const std::vector<StrideTemplate::Sample>& window, int64_t impact_us,
                              bool* misfit);

  StrideTemplateSettings settings_;
  StrideTemplate template_;
  ImpactPlacement placement_;
  std::vector<int64_t> recent_origins_us_;
  int64_t max_stride_us_ = 0;
};

}  // namespace gk
