// Gait events as the step detectors emit them, and the interface every step
// detector implements (foot gyro, shank gyro, accelerometer-only impacts), so
// implementations drop in and one typed test suite runs against all of them.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <vector>

#include "gaitkeeper.pb.h"
#include "sample.hpp"

namespace gk {

enum class GaitActivity { kUnknown, kWalking, kRunning };

/// Every step detector, and the lost-landing finder after it, bridges a hole in the data up to
/// this long (timing across it, marking what it touched, inventing no sample) and starts over
/// after a longer gap. A radio link loses packets, and now and then two in a row: with 20-sample
/// packets one lost is 0.1 s at 200 Hz and 0.2 s at 100 Hz, two are 0.4 s at 100 Hz, still
/// under the shortest running stride (0.6 s at 200 steps/min), so each stride keeps part of
/// its samples. Cutting the stretch at 0.25 s lost the landings beside every such pair
/// (simulated runs with 1-3 % of packets lost, `tools/step-sweep --lost-packets`: 28 of 300
/// runs missed a target, 22 with this bridge; docs/ACCURACY.md, "Lost packets").
inline constexpr double kDropoutBridgeMax_s = 0.45;

/// One ground contact found by one sensor.
struct DetectedStep {
  pb::Side side = pb::SIDE_UNKNOWN;
  pb::Placement source = pb::PLACEMENT_UNKNOWN;
  int64_t ic_us = 0;             ///< initial contact
  std::optional<int64_t> to_us;  ///< toe-off that ends this contact
  double quality = 0.0;          ///< 0..1: how clearly the features stood out
  GaitActivity activity = GaitActivity::kUnknown;
  std::optional<double> stride_time_ms;  ///< this foot, IC to IC (single-sensor view)
  std::optional<double> stride_m;        ///< ZUPT strapdown (foot) or unknown
  std::optional<double> speed_mps;
  std::optional<double> foot_strike_angle_deg;  ///< foot pitch at IC vs flat, + = toes up
  pb::FootStrike foot_strike = pb::FOOT_STRIKE_UNKNOWN;
  std::optional<double> shock_g;      ///< peak impact acceleration (shank axial)
  bool contact_time_reliable = true;  ///< false for sensors known to be poor at it
  bool after_gap = false;             ///< first contact after a data gap
  /// Samples were lost where this contact's IC was looked for (a bridged
  /// dropout): the IC may be off by up to the hole, so any other sensor's
  /// report of the same contact is trusted over it (StepMerger). A hint for
  /// merging, not stored with the session.
  bool ic_in_hole = false;
  /// Samples were lost next to the toe-off (a foot's): it may be off by up to the hole. A hint
  /// for merging, not stored.
  bool to_in_hole = false;

  bool operator==(const DetectedStep&) const = default;
};

/// Counts of what a detector had to skip or doubt; shown in warnings.
struct DetectorFlags {
  uint64_t samples = 0;
  uint64_t non_finite = 0;             ///< NaN/inf samples skipped
  uint64_t time_backwards = 0;         ///< samples at or before the previous time, skipped
  uint64_t gaps = 0;                   ///< jumps in time larger than the gap limit
  uint64_t bridged_dropouts = 0;       ///< shorter jumps (a few lost samples), bridged
  uint64_t saturated = 0;              ///< samples at full scale
  uint64_t rejected_strides = 0;       ///< failed the plausibility gates
  uint64_t turn_steps = 0;             ///< contacts found without a forward swing (TurnStepFinder)
  uint64_t ic_from_stride_rhythm = 0;  ///< landings lost in a hole, timed from the strides before
  /// Gyro foot or shank: an impact first found across a hole, where the strides' rhythm put the
  /// landing outside it; the landing's own jump beside the hole was taken.
  uint64_t impact_beside_hole = 0;
  /// Accelerometer-only shoe: rests after a landing whose impact the samples caught only weakly,
  /// counted where the stride rhythm expects a landing
  /// (FootRestDetectorSettings::rhythm_tolerance).
  uint64_t ic_weak_impact = 0;
  /// ... of which held until the foot's period was known (a bout's second landing).
  uint64_t weak_landings_looked_back = 0;
  /// Accelerometer-only shoe, trunk, gyro foot or shank: a landing in the last moments of the
  /// data, before its rest, its loading peak or its gyro feature.
  uint64_t ic_at_data_end = 0;
  /// Gyro foot: a cycle cut off by the data's end whose landing the strides' rhythm puts past the
  /// last sample; what was found well before that (a late swing feature) not claimed.
  uint64_t ic_before_data_end_rejected = 0;
  /// Accelerometer-only shank: a jump in the data's last moments, before the stance after it
  /// could show, not claimed as a landing.
  uint64_t end_jumps_unconfirmed = 0;
  /// Trunk (ImpactStepDetector): contacts whose onset is the landing's first sharp rise, and
  /// those timed at the loading rise's 10 % crossing instead (no earlier sharp rise seen).
  uint64_t ic_at_first_rise = 0;
  uint64_t ic_at_rise_crossing = 0;
  /// Trunk, walking contacts (floor at or above ImpactDetectorSettings::walk_floor_g): timed at
  /// the steepest rise after the body-weight crossing, or at that crossing where no rise is seen.
  uint64_t ic_walking_steepest_rise = 0;
  uint64_t ic_walking_at_crossing = 0;
  /// Gyro foot or shank: contacts timed with the mean lag of both legs, their sampling phase
  /// locked to the cadence (ImpactPlacement::locked_lag_us).
  uint64_t ic_lag_pooled = 0;
  /// Gyro foot or shank: contacts with no impact in the samples, timed at the gyro feature less
  /// the recent strides' lag (ImpactPlacement::recent_lag_us).
  uint64_t ic_from_feature_lag = 0;
  /// Gyro foot: contacts whose impact was found only past the end of a long forefoot trough,
  /// beyond the window around the IC feature, and timed at that impact alone (a stride from a
  /// walk into a run).
  uint64_t ic_impact_past_trough = 0;
  /// Gyro shank: contacts whose IC feature is not the cycle's lowest pitch rate but a trough as
  /// deep at the recent strides' time (ShankDetectorSettings::feature_trough_share).
  uint64_t ic_feature_tracked = 0;
  /// Accelerometer-only shank: landings taken at a jump smaller than its stride's largest,
  /// because it lies nearer the stride rhythm (TibialImpactDetectorSettings::rival_fraction).
  uint64_t ic_rival_by_rhythm = 0;
  /// Accelerometer-only shank: landings timed at a sudden axial drop just before the stride's
  /// largest rise, the shock's undershoot sampled where its spike fell between samples.
  uint64_t ic_at_shock_undershoot = 0;
  /// Accelerometer-only shank: landings whose jump stayed under the impact level, taken where
  /// the stride rhythm expects them (TibialImpactDetectorSettings::weak_min_g).
  uint64_t ic_weak_jump_by_rhythm = 0;
  /// ... of which found by looking back over the rows since a bout's first impact, once the
  /// autocorrelation gave the stride that its second landing had come before.
  uint64_t weak_jumps_looked_back = 0;
  /// Accelerometer-only shank: jumps within kHeadMargin_us of the start of the data (or of a
  /// stretch after a gap), whose swing before them is not in the data; not taken for landings.
  uint64_t head_jumps_not_taken = 0;
  /// Accelerometer-only shank or shoe: landings placed between their samples by aligning the stride
  /// to the template of the leg's recent strides (StrideTemplate), and the strides of another shape
  /// from which that template started again (StrideTemplateSettings::max_residual_share).
  uint64_t ic_from_stride_template = 0;
  uint64_t stride_template_restarts = 0;
  /// Trunk: contacts whose loading peak stayed under the peak level, taken where the step rhythm
  /// leaves room for one (ImpactDetectorSettings::weak_peak_min_g).
  uint64_t ic_weak_peak_by_rhythm = 0;
  /// Trunk: loadings from standing followed by a flight, dropped as the push-off into a run
  /// (ImpactDetectorSettings::standstill_s).
  uint64_t push_offs_from_standing = 0;
  /// Trunk: loading rises less than a shortest step after the contact before them, taken as a
  /// second rise within that contact (the push of a walk's last step into a run), not a step.
  uint64_t second_rises_in_contact = 0;
  /// Trunk: a bout's first loading rise followed by another within a shortest step, dropped as a
  /// fragment of that contact cut by the start of the data or a gap; the later rise is the contact.
  uint64_t first_rises_dropped = 0;
  /// Trunk: a sample over the peak level between two that read under 1 g (a landing's spike
  /// caught whole, unsmoothed under 150 Hz), not taken for a loading peak.
  uint64_t lone_spikes_skipped = 0;
  /// Accelerometer-only shoe: what its rests read (FootRestDetectorSettings::
  /// rest_level_max_offset_g); 0 before the first rest.
  double rest_level_g = 0.0;
  /// Accelerometer-only shoe: still moments whose samples left the band around the rest level,
  /// taken into that level (a sensor whose still foot reads far from 1 g).
  uint64_t rest_level_from_calm = 0;
  /// Accelerometer-only shoe: single samples held over inside a rest, just outside its limits
  /// (FootRestDetectorSettings::rest_hold_factor); sensor noise, counted as evidence.
  uint64_t rest_samples_held = 0;
  int64_t first_gap_t_us = -1;
  int64_t first_bad_t_us = -1;
  int64_t first_saturated_t_us = -1;
  /// Gyro foot: when the pitch axis and its sign were decided on the first stride between two
  /// rests (GyroSegmenterSettings::axis_from_first_stride), -1 if not.
  int64_t first_stride_axis_t_us = -1;
  uint64_t first_stride_confirmed = 0;     ///< stances of the next four cycles that agree ...
  uint64_t first_stride_contradicted = 0;  ///< ... and those that do not
  /// When a foot's pitch-axis sign had to be decided without the stance
  /// votes it waits for (a walk of only a stride or two before a stop or a
  /// turn); -1 when it was not. The sign sets which lobe is the swing.
  int64_t thin_sign_t_us = -1;
  uint64_t thin_sign_confirmed = 0;     ///< later stances that agree with it ...
  uint64_t thin_sign_contradicted = 0;  ///< ... and that do not
  /// When the stances after a thin sign (either kind above) contradicted it enough that it was
  /// reversed (GyroSegmenterSettings::sign_reverse_votes), -1 if never; the counts above stop
  /// there, and the stances checked after it go here.
  int64_t sign_reversed_t_us = -1;
  uint64_t reversed_sign_confirmed = 0;
  uint64_t reversed_sign_contradicted = 0;

  bool operator==(const DetectorFlags&) const = default;
};

class StepDetector {
 public:
  virtual ~StepDetector() = default;
  /// Feeds one sample; samples must come in time order (others are skipped
  /// and counted).
  virtual void push(const ImuSample& sample) = 0;
  /// End of stream: emit whatever can still be decided.
  virtual void finish() = 0;
  virtual void reset() = 0;
  /// Moves out the steps decided so far (in IC order).
  bool has_steps() const { return !ready_.empty(); }
  std::vector<DetectedStep> take() {
    std::vector<DetectedStep> out;
    out.swap(ready_);
    return out;
  }
  const DetectorFlags& flags() const { return flags_; }
  /// No step with an earlier IC will be reported from now on: what the
  /// merger needs to release steps in order without waiting longer than
  /// necessary.
  virtual int64_t horizon_us() const = 0;
  /// Samples held in the detector's window now: bounded by the longest stride and the
  /// detector's context, however long the session or a stand within it.
  virtual size_t buffered_samples() const = 0;

 protected:
  /// Counts the sample and screens it: false, counted and skipped, for a
  /// sample whose values this detector reads are not finite (`finite`) or
  /// whose time is not after the previous one (`last_t_us`); a saturated
  /// sample is counted and kept.
  bool admit(const ImuSample& s, bool finite, int64_t last_t_us) {
    ++flags_.samples;
    if (!finite) {
      ++flags_.non_finite;
      if (flags_.first_bad_t_us < 0) flags_.first_bad_t_us = s.t_us;
      return false;
    }
    if (s.t_us <= last_t_us) {
      ++flags_.time_backwards;
      if (flags_.first_bad_t_us < 0) flags_.first_bad_t_us = s.t_us;
      return false;
    }
    if (s.saturated) {
      ++flags_.saturated;
      if (flags_.first_saturated_t_us < 0) flags_.first_saturated_t_us = s.t_us;
    }
    return true;
  }

  std::vector<DetectedStep> ready_;
  DetectorFlags flags_;
};

}  // namespace gk
