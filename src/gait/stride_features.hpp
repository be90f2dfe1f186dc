// Feature search inside one MS-to-MS cycle, shared by the foot and shank
// detectors: time windows, pitch-rate minima with sub-sample timing, and
// the impact that marks initial contact.
#pragma once

#include <Eigen/Core>
#include <cstdint>
#include <deque>
#include <optional>

#include "gyro_stride_segmenter.hpp"

namespace gk {

/// A contact in a partial head cycle must start at least this far into the
/// data to be timed.
inline constexpr int64_t kHeadMargin_us = 100'000;

/// Index range [lo, hi] of rows whose time lies in [t0, t1], clipped to
/// [begin, end]; empty (lo > hi) when none.
std::pair<size_t, size_t> time_window(const GyroRows& rows, size_t begin, size_t end, int64_t t0_us,
                                      int64_t t1_us);

/// Index of the lowest pitch rate in [lo, hi].
size_t argmin_pitch(const GyroRows& rows, size_t lo, size_t hi);

/// Time halfway through the cycle: the first half holds IC, the second TO.
inline int64_t mid_cycle_us(const StrideSpan& span) {
  return span.t_begin_us + (span.t_end_us - span.t_begin_us) / 2;
}

/// The gyro IC feature of a mid-swing to mid-swing cycle, shared by the foot and the shank: the
/// lowest pitch rate in the cycle's first half (Falbriard et al. 2018, Front. Physiol. 9:610),
/// if it is negative and lies inside the data (a minimum at the edge of a truncated cycle may
/// continue beyond it).
struct IcFeature {
  size_t row = 0;  ///< the minimum
  size_t lo = 0;   ///< the first half's rows, [lo, hi]
  size_t hi = 0;
};
std::optional<IcFeature> ic_feature(const StrideSpan& span);

/// Sub-sample time of the extremum at k by a parabola through k-1, k, k+1.
double refine_time_us(const GyroRows& rows, size_t k);

/// Where and how the impact that marks a contact is looked for.
struct ImpactSearch {
  /// Window around the gyro IC feature: from before_s before it to after_s
  /// after it.
  double before_s = 0.08;
  double after_s = 0.08;
  /// An impact counts when its jump exceeds this multiple of the cycle's
  /// median jump.
  double min_ratio = 4.0;
  /// When > 0, the first jump in the window reaching this fraction of the
  /// largest is the impact (see impact_time_us); 0 takes the largest.
  double first_fraction = 0.0;
  /// With first_fraction: how far before the largest that first jump may lie (0: anywhere in
  /// the window).
  double first_within_s = 0.0;
  /// With along and first_fraction: only rises along it can be that first jump (the strike
  /// pushes the sensor up the segment), not falls such as the swing's braking.
  bool rises_only = false;
  /// When > after_s: the largest jump from after_s up to this long after the feature is the
  /// impact where it is at least later_dominance times the window's largest (and stands out by
  /// min_ratio): a feature that came well before the contact left the impact beyond the window.
  double later_s = 0.0;
  double later_dominance = 3.0;
  /// Leave out jumps across lost samples (rows further apart than the span's hole_us). Such a
  /// jump is the landing's only trace when the landing fell in the hole, but where it did not,
  /// a late swing's braking across the hole can outgrow the landing's own jump.
  bool skip_hole_jumps = false;
};

/// Time of the impact near around_us: the largest jump of the acceleration
/// vector between two samples in the search window, if it stands out from
/// the cycle's median jump by min_ratio (or, with first_fraction, the first
/// jump reaching that share of the largest). The contact happened between
/// the two samples, so the midpoint is returned.
/// With along (a unit vector in the sensor frame), only the jumps' component
/// along it counts.
std::optional<double> impact_time_us(const StrideSpan& span, int64_t around_us,
                                     const ImpactSearch& search,
                                     const Eigen::Vector3d* along = nullptr);

/// Where the recent strides put this stride's landing: the span's opening mid-swing plus the
/// upper median of their times from mid-swing to landing (ic_offsets_us). The time from
/// mid-swing to landing varies by a few milliseconds between steady strides, so it places a
/// landing the data did not show (lost in a hole, past the data's end). Empty without offsets.
std::optional<int64_t> predicted_landing_us(const StrideSpan& span,
                                            const std::deque<int64_t>& ic_offsets_us);

/// A jump across lost samples stands for the landing only where the stride's rhythm puts the
/// landing in the hole. Where impact (found near around_us with search) lies inside a hole of
/// the span (two rows further apart than span.hole_us) and the recent strides' times from
/// mid-swing to landing (ic_offsets_us, their upper median from the span's opening mid-swing)
/// put the landing more than margin_us after or before that hole, the impact is looked for
/// again without jumps across holes (ImpactSearch::skip_hole_jumps) and impact set to what that
/// finds. Returns whether it was looked for again. For running strides whose opening mid-swing
/// was sampled (GyroStrideSegmenter::opening_mid_swing_seen); along as in impact_time_us.
bool retime_impact_beside_hole(const StrideSpan& span, std::optional<double>& impact,
                               const std::deque<int64_t>& ic_offsets_us, int64_t around_us,
                               ImpactSearch search, double margin_us,
                               const Eigen::Vector3d* along = nullptr);

/// A running contact whose gyro feature the data's end cut off (the stance began in the last
/// moments of the data): the time from mid-swing to landing is steady from stride to stride, so
/// the impact is looked for within tolerance x the cycle of where the recent full strides' times
/// from their opening mid-swing to their contact (ic_offsets_us, at least min_offsets of them)
/// put it, if the data reaches past that. Only for a truncated tail at running stride times
/// (under max_cycle_us). The search's other settings are as given; along as in impact_time_us.
struct DataEndLanding {
  size_t min_offsets = 3;  ///< full strides the prediction stands on
  /// Share of the cycle either side of the prediction: the time from mid-swing to landing
  /// varies by a few milliseconds between steady running strides.
  double tolerance = 0.05;
  double max_cycle_us = 800'000.0;  ///< running strides only (walking ones are longer)
  /// The data must reach this far past the predicted landing and past the impact found: a jump
  /// in the last few milliseconds can be the late swing's braking before a landing just beyond
  /// the data (a 1 kHz shank: a step claimed 6 ms before the end, 1 run in 75).
  double min_after_s = 0.010;
};
/// The step claimed on such an impact: running, quality 0.4, no toe-off, contact time not
/// claimed (the caller counts it in DetectorFlags::ic_at_data_end).
DetectedStep data_end_step(pb::Placement placement, double impact_us);
std::optional<double> impact_at_data_end_us(const StrideSpan& span,
                                            const std::deque<int64_t>& ic_offsets_us,
                                            const DataEndLanding& rule, ImpactSearch search,
                                            const Eigen::Vector3d* along = nullptr);

}  // namespace gk
