// Hip adduction from a thigh sensor and the pelvis sensor: the frontal-plane
// angle of the thigh against the pelvis, + = knee toward the midline. Peak
// stance hip adduction is larger in runners with patellofemoral pain
// (Noehren et al. 2013, Br. J. Sports Med. 47:1).
//
// The two sensors' headings drift apart (no magnetometer). They are tied by
// the hip's flexion axis: averaged over strides, the thigh's medio-lateral
// axis and the pelvis' point the same way (hip rotation swings about it by a
// few degrees each stride), so the heading offset is the circular mean of
// their horizontal directions' difference, as for the knee (knee_tracker.hpp)
// but averaged longer. Angles: Y-X'-Z'' Cardan sequence of the pelvis-to-thigh
// rotation (flexion, ab/adduction about the floating axis, rotation).
#pragma once

#include <cstdint>
#include <deque>
#include <optional>

#include "gaitkeeper.pb.h"
#include "leg_segment_frame.hpp"
#include "series_window.hpp"

namespace gk {

struct HipAdductionSettings {
  /// Heading offset mean: several strides, so the hip's own rotation averages out.
  double heading_time_constant_s = 5.0;
  /// Thigh and pelvis poses are paired when this close in time.
  int64_t max_pair_gap_us = 10'000;
  double history_s = 5.0;
};

class HipAdduction {
 public:
  explicit HipAdduction(pb::Side side, const HipAdductionSettings& settings = {});

  /// Calibrated world poses, each stream in time order.
  void push_thigh(const SegmentPose& pose);
  void push_pelvis(const SegmentPose& pose);
  void reset();

  /// Hip adduction has been computed up to this time.
  int64_t processed_until_us() const { return processed_until_us_; }
  /// Peak adduction over [ic, end], if the series covers it.
  std::optional<double> peak(int64_t ic_us, int64_t end_us) const;

 private:
  void drain();

  pb::Side side_;
  HipAdductionSettings settings_;
  std::deque<SegmentPose> thigh_;
  std::deque<SegmentPose> pelvis_;
  Eigen::Vector2d heading_sum_ = Eigen::Vector2d::Zero();
  bool heading_started_ = false;
  int64_t last_t_us_ = INT64_MIN;
  int64_t processed_until_us_ = INT64_MIN;
  TimedValues history_;
};

}  // namespace gk
