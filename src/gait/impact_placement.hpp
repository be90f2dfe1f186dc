// Where between two samples a contact's impact happened, from a smooth gyro feature that trails
// it by a steady lag. Shared by the foot and shank detectors, and by the trunk's (the landing's
// onset against the loading rise's crossing of body weight, with impacts seen late only).
#pragma once

#include <cstddef>
#include <cstdint>
#include <deque>
#include <optional>

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
  /// impact_seen_late_only: the impact is a transient that the samples can miss but never see
  /// before it happens, so a mistimed impact is always late (a trunk's landing spike; see
  /// place_us()). Not so at the foot or the shank, where a missed spike can hand the impact to
  /// the late swing's braking just before it.
  explicit ImpactPlacement(bool impact_seen_late_only = false)
      : impact_seen_late_only_(impact_seen_late_only) {}

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
  /// With impacts seen late only: the lag is taken from the strides whose impacts came earliest,
  /// the top tenth of the lags (see place_us()) ...
  static constexpr double kEarliestShare = 0.1;
  /// ... where the impact's scatter is of the order of the sampling, at most this many sample
  /// periods (the samples decide which transient they catch). A wider scatter is the signal's
  /// own (sacrum-running: 3-11 periods at 500 Hz), and the recent lags' mean stays the lag.
  static constexpr double kLateOnlyMaxPeriods = 2.0;
  /// ... and lags more than this (or kLateOnlyMaxPeriods periods) above their median are left
  /// out of that top (see place_us()).
  static constexpr int64_t kLateOnlyReach_us = 20'000;

  /// The contact time from the impact (the midpoint of the two samples it fell between) and the
  /// feature, with this stride counted among the recent ones; period_us is the sample period
  /// there. With pooled, tells whether the legs' lags were pooled (locked_lag_us()).
  double place_us(double feature_us, double impact_us, double period_us,
                  bool* pooled = nullptr) const;
  /// Keeps a whole, hole-free cycle's two times for the strides to come.
  void note(double feature_us, double impact_us);
  void reset() { strides_.clear(); }

  /// The same segment on the other leg (its placement outlives this one). Used only while both
  /// legs' sampling phases are locked (locked_lag_us()).
  void pair_with(const ImpactPlacement* other) { other_ = other; }
  /// Lag spread, as a share of the sample period, under which the sampling phase is locked: where
  /// the phase moves from stride to stride, the impact's midpoint wanders over a whole period and
  /// its lag scatters by at least T / sqrt(12) = 0.29 T.
  static constexpr double kLockedSpreadPeriods = 1.0 / 6.0;
  /// Longest cycle of sampling phases, in strides, that still counts as locked.
  static constexpr size_t kMaxLockedCycle = 3;
  /// The mean lag of the last kStrides strides, where they were all sampled at the same phase
  /// (their lags' standard deviation under kLockedSpreadPeriods of period_us), or at two or
  /// three phases in turn (each lag within that of the one a cycle before; the mean is then
  /// over whole cycles).
  std::optional<double> locked_lag_us(double period_us) const;
  /// Noted strides needed for recent_lag_us().
  static constexpr size_t kMinLagStrides = 1;
  /// The median lag (feature minus impact) of the last kStrides noted strides, nullopt with fewer
  /// than kMinLagStrides: for a contact whose impact the samples did not show, the feature less
  /// this lag is where the recent strides put their contacts. The feature alone can lie well
  /// before the contact (a forefoot's pitch-rate minimum comes about 50 ms before it).
  std::optional<double> recent_lag_us() const;

 private:
  struct Times {
    double feature_us = 0.0;
    double impact_us = 0.0;
  };
  bool impact_seen_late_only_ = false;
  std::deque<Times> strides_;
  const ImpactPlacement* other_ = nullptr;
};

}  // namespace gk
