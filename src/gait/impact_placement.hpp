// Where between two samples a contact's impact happened, from a smooth gyro feature that trails
// it by a steady lag. Shared by the foot and shank detectors.
#pragma once

#include <cstddef>
#include <cstdint>
#include <deque>

namespace gk {

/// The impact that marks a contact (impact_time_us()) is known only to the pair of samples it
/// fell between, and which pair catches its rise drifts with the sampling phase from stride to
/// stride. The segment's gyro IC feature is a smooth extremum timed between samples
/// (refine_time_us()) and trails the contact by a lag that changes little from one stride to
/// the next. This object keeps the recent lags and combines the two estimates.
class ImpactPlacement {
 public:
  /// Lags kept: a few strides, so a change of pace is followed within them.
  static constexpr size_t kLags = 9;
  /// Floor of the feature's variance, (0.1 ms)^2: a run of identical lags (a cadence locked to
  /// the sample rate) cannot give the impact zero weight.
  static constexpr double kMinFeatureVar_us2 = 100.0 * 100.0;

  /// The contact time from the impact (the midpoint of the two samples it fell between) and the
  /// feature, with this stride's lag (feature - impact) counted among the recent ones; period_us
  /// is the sample period there. Within one sample period of the impact.
  double place_us(double feature_us, double impact_us, double period_us) const;
  /// Keeps a whole, hole-free cycle's lag (feature - impact) for the strides to come.
  void note_lag(double lag_us);
  void reset() { lags_us_.clear(); }

 private:
  std::deque<double> lags_us_;
};

}  // namespace gk
