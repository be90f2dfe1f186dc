// Where between two samples a contact's impact happened, from a smooth gyro feature that trails
// it by a steady lag. Shared by the foot and shank detectors, and by the trunk's (the onset of
// the loading rise against its crossing of body weight).
#pragma once

#include <cstddef>
#include <cstdint>
#include <deque>

namespace gk {

/// The impact that marks a contact (impact_time_us()) is known only to the pair of samples it
/// fell between, and which pair catches its rise drifts with the sampling phase from stride to
/// stride; at 100 Hz a spike of a few milliseconds can even be missed, and the largest jump
/// then falls a sample or more away. The segment's gyro IC feature is a smooth extremum timed
/// between samples (refine_time_us()) and trails the contact by a lag that changes little from
/// one stride to the next. This object keeps both times of the recent strides, estimates how
/// precise each is, and combines them.
class ImpactPlacement {
 public:
  /// Strides whose lag is averaged: a few, so a change of pace is followed within them.
  static constexpr size_t kStrides = 9;
  /// Strides kept to tell the two precisions apart: more, as a sensor's sampling and a
  /// segment's impact do not change with the pace, and over nine strides a runner's own
  /// stride-to-stride variability of a few milliseconds hides them.
  static constexpr size_t kHistory = 30;
  /// Stride intervals needed before the two precisions are told apart (see place_us()).
  static constexpr size_t kMinIntervals = 4;
  /// Floor of the feature's variance, (0.1 ms)^2: a run of identical lags (a cadence locked to
  /// the sample rate) cannot give the impact zero weight.
  static constexpr double kMinFeatureVar_us2 = 100.0 * 100.0;

  /// The contact time from the impact (the midpoint of the two samples it fell between) and the
  /// feature, with this stride counted among the recent ones; period_us is the sample period
  /// there.
  double place_us(double feature_us, double impact_us, double period_us) const;
  /// Keeps a whole, hole-free cycle's two times for the strides to come.
  void note(double feature_us, double impact_us);
  void reset() { strides_.clear(); }

 private:
  struct Times {
    double feature_us = 0.0;
    double impact_us = 0.0;
  };
  std::deque<Times> strides_;
};

}  // namespace gk
