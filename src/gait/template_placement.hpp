// A landing placed between its samples by aligning its stride to the template of the segment's
// recent strides (StrideTemplate) and combining that alignment with the sampled jump
// (ImpactPlacement). Shared by the accelerometer-only shank and shoe detectors.
#pragma once

#include <cstddef>
#include <cstdint>
#include <deque>
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
        late_only_(impact_seen_late_only),
        max_stride_us_(max_stride_us) {}

  struct Placed {
    /// The landing, where the template stands on kMinStrides strides and this stride fits it.
    std::optional<double> ic_us;
    /// This stride did not fit an established template (another shape: a change of gait); the
    /// template starts again from it.
    bool restarted = false;
  };
  /// The stride whose landing's jump fell between two samples period_us apart, impact_us their
  /// midpoint; `rows` are the detector's samples (t_us, specific force a_g), of which those within
  /// the settings' window around the jump are the stride's. Adds the stride to the template.
  template <class Rows>
  Placed place(const Rows& rows, int64_t impact_us, double period_us) {
    const auto impact = static_cast<double>(impact_us);
    window_.clear();
    for (const auto& r : rows) {
      const auto t = static_cast<double>(r.t_us);
      if (t >= impact - settings_.before_s * 1e6 && t <= impact + settings_.after_s * 1e6) {
        window_.push_back({t, r.a_g});
      }
    }
    return place_window(impact_us, period_us);
  }
  void reset();

 private:
  Placed place_window(int64_t impact_us, double period_us);
  /// Where the template's origin lies in this stride; nullopt before the template has a
  /// stride, or where the stride does not fit (misfit set).
  std::optional<double> align(const std::vector<StrideTemplate::Sample>& window, int64_t impact_us,
                              bool* misfit);

  StrideTemplateSettings settings_;
  StrideTemplate template_;
  /// Impacts seen late only: the alignment and the jump combined by ImpactPlacement, whose lag
  /// comes from the strides that caught the transient. Otherwise the jump's error follows the
  /// sampling phase, which drifts slowly where a stride is nearly a whole number of samples
  /// (100 Hz at 196.8 steps/min: 61.0), so a few strides in a row share it and a lag over them
  /// carries it (a pair of simulated shoes: contacts drifting from 28 ms early to 5 ms late over
  /// 25 s, cadence error 0.77 steps/min). The template's origin stays put on the waveform, so
  /// its lag is steady while the shape is: the contact is the origin less the trimmed mean of
  /// the last kLagStrides lags (long_lag_us()), within kReachPeriods sample periods or kReach_us
  /// of the jump.
  ImpactPlacement placement_;
  bool late_only_ = false;
  static constexpr size_t kLagStrides = 60;
  /// Share of the lags left out at either end (jumps taken at another transient).
  static constexpr double kLagTrim = 0.1;
  static constexpr double kReachPeriods = 2.0;
  static constexpr double kReach_us = 20'000.0;
  std::deque<double> lags_us_;  ///< template origin less the jump, since the template (re)started
  double long_lag_us() const;
  std::vector<int64_t> recent_origins_us_;
  std::vector<StrideTemplate::Sample> window_;  ///< the stride being placed
  int64_t max_stride_us_ = 0;
};

}  // namespace gk
