#include "shank_step_detector.hpp"

#include <Eigen/Core>
#include <algorithm>
#include <cmath>
#include <vector>

#include "placement.hpp"
#include "stride_features.hpp"

namespace gk {
namespace {

GyroSegmenterSettings with_shank_sign_rule(GyroSegmenterSettings s) {
  // In running the shank's fastest rotation is late swing, the ankle passing
  // the knee on its way to contact; stance and early swing turn the other
  // way for longer but more slowly.
  s.sign_rule = GyroSegmenterSettings::SignRule::kLargestPeak;
  // The shank's mid-swing is that late swing rotation, 0.1-0.15 of a stride before the contact:
  // a contact in the data's last moments is looked for from a tenth of a stride on.
  s.tail_min_share = 0.1;
  return s;
}

}  // namespace

ShankStepDetector::ShankStepDetector(const ShankDetectorSettings& settings)
    : GyroStrideSegmenter(with_shank_sign_rule(settings.segmenter)), settings_(settings) {}

void ShankStepDetector::reset() {
  GyroStrideSegmenter::reset();
  placement_.reset();
  feature_offsets_us_.clear();
  ic_offsets_us_.clear();
  rhythm_.reset();
  last_tibia_.reset();
}

std::optional<DetectedStep> ShankStepDetector::landing_at_data_end(const StrideSpan& span) {
  // The data ends within a running stance before the feature or the impact near it shows (a
  // simulated shank's last landing 30-100 ms before the data's end was lost: one step in 170 on
  // runs that are otherwise F1 1.000).
  const std::optional<double> impact =
      impact_at_data_end_us(span, ic_offsets_us_, DataEndLanding{}, settings_.impact,
                            last_tibia_ ? &*last_tibia_ : nullptr);
  if (!impact) return std::nullopt;
  ++flags_.ic_at_data_end;
  return data_end_step(settings_.segmenter.placement, *impact);
}

size_t ShankStepDetector::tracked_feature(const StrideSpan& span, const IcFeature& ic) {
  const GyroRows& rows = *span.rows;
  // The troughs of the cycle's first half as deep as the lowest (within feature_trough_share of
  // it), each its lowest row; of these, the one at the recent strides' typical time after the
  // opening mid-swing.
  size_t chosen = ic.row;
  if (feature_offsets_us_.size() >= settings_.feature_track_min_strides) {
    thread_local std::vector<int64_t> sorted;
    sorted.assign(feature_offsets_us_.begin(), feature_offsets_us_.end());
    const auto mid = sorted.begin() + static_cast<std::ptrdiff_t>(sorted.size() / 2);
    std::nth_element(sorted.begin(), mid, sorted.end());
    const int64_t typical_us = span.t_begin_us + *mid;
    const double level = settings_.feature_trough_share * rows[ic.row].p;
    int64_t best_off_us = INT64_MAX;
    for (size_t i = ic.lo; i <= ic.hi;) {
      if (rows[i].p > level) {
        ++i;
        continue;
      }
      size_t low = i;
      for (; i <= ic.hi && rows[i].p <= level; ++i) {
        if (rows[i].p < rows[low].p) low = i;
      }
      const int64_t off_us = std::abs(rows[low].t_us - typical_us);
      if (off_us < best_off_us) {
        best_off_us = off_us;
        chosen = low;
      }
    }
    // A trough at the edge of a partial cycle may continue beyond the data (as in ic_feature()).
    if ((span.truncated_head && chosen == ic.lo) || (span.truncated_tail && chosen == span.end)) {
      chosen = ic.row;
    }
  }
  if (chosen != ic.row) ++flags_.ic_feature_tracked;
  if (!span.truncated_head && !span.truncated_tail && !span.end_estimated) {
    feature_offsets_us_.push_back(rows[chosen].t_us - span.t_begin_us);
    if (feature_offsets_us_.size() > settings_.feature_track_strides) {
      feature_offsets_us_.pop_front();
    }
  }
  return chosen;
}

std::optional<DetectedStep> ShankStepDetector::analyze(const StrideSpan& span) {
  const GyroRows& rows = *span.rows;
  const int64_t t_mid = mid_cycle_us(span);
  // A tail shorter than a foot's (kFootTailShare) holds at most the
  // landing's first moments: only the data-end rule may claim it, as the cycle's own features
  // there are the late swing's (a false contact at the end of 1 run in 50 otherwise).
  if (span.truncated_tail &&
      static_cast<double>(rows[span.end].t_us - span.t_begin_us) <
          kFootTailShare * static_cast<double>(span.t_end_us - span.t_begin_us)) {
    return landing_at_data_end(span);
  }
  const std::optional<IcFeature> ic = ic_feature(span);
  if (!ic) return landing_at_data_end(span);
  const size_t ic_g = tracked_feature(span, *ic);

  DetectedStep step;
  step.source = settings_.segmenter.placement;
  step.side = side_of(step.source);
  step.contact_time_reliable = false;
  step.quality = 0.8;
  // Long axis of the tibia: over a whole stride the shank is near vertical
  // on average, so the mean specific force points along it.
  Eigen::Vector3d mean = Eigen::Vector3d::Zero();
  for (size_t i = span.begin; i <= span.end; ++i) mean += rows[i].a;
  const std::optional<Eigen::Vector3d> tibia =
      mean.norm() > 1e-6 ? std::optional<Eigen::Vector3d>(mean.normalized()) : std::nullopt;

  double ic_us = refine_time_us(rows, ic_g);
  // The impact travels up the tibia (its shock is measured along it, Milner
  // et al. 2006), while the late swing's sharpest accelerations, the shank
  // braking before contact, are across it: along the tibia only, a swing
  // that outjumped a weakly sampled impact no longer does.
  std::optional<double> impact =
      impact_time_us(span, rows[ic_g].t_us, settings_.impact, tibia ? &*tibia : nullptr);
  // A jump across lost samples where the stride's rhythm puts the landing outside the hole: the
  // late swing's, as at the foot (retime_impact_beside_hole).
  if (span.t_end_us - span.t_begin_us < kRunningStride_us && opening_mid_swing_seen(span) &&
      retime_impact_beside_hole(span, impact, ic_offsets_us_, rows[ic_g].t_us, settings_.impact,
                                0.05 * static_cast<double>(span.t_end_us - span.t_begin_us),
                                tibia ? &*tibia : nullptr)) {
    ++flags_.impact_beside_hole;
  }
  if (impact) {
    // Where between its two samples: the IC feature helps to say (ImpactPlacement).
    const double feature_us = ic_us;
    ic_us = *impact;
    const int64_t period_us = ic_g > 0 ? rows[ic_g].t_us - rows[ic_g - 1].t_us : 0;
    if (period_us > 0 && period_us <= hole_us()) {
      bool pooled = false;
      ic_us = placement_.place_us(feature_us, *impact, static_cast<double>(period_us), &pooled);
      if (pooled) ++flags_.ic_lag_pooled;
      if (!span.truncated_head && !span.truncated_tail && !span.end_estimated) {
        placement_.note(feature_us, *impact);
      }
    }
  } else {
    // At the edges of the data a cycle is partial: claim a contact there
    // only on clear evidence.
    if (span.truncated_tail) return landing_at_data_end(span);
    if (span.truncated_head) return std::nullopt;
    step.quality = 0.6;
    // No impact in the samples: the feature less the recent strides' lag (as at the foot).
    if (const std::optional<double> lag = placement_.recent_lag_us()) {
      ic_us -= *lag;
      ++flags_.ic_from_feature_lag;
    }
  }
  step.ic_us = static_cast<int64_t>(std::llround(ic_us));
  // At the start of the data a contact whose loading began before the first
  // sample cannot be timed: its IC must lie clearly inside the data.
  if (span.truncated_head && step.ic_us - rows[span.begin].t_us < kHeadMargin_us) {
    return std::nullopt;
  }
  // Samples lost where the IC was looked for (a bridged hole; a lost 20-sample packet is 0.2 s
  // at 100 Hz): the landing may lie in the hole, and what was found is then a swing feature
  // before it or the first jump after it (a simulated shank at 100 Hz with 3 % of the packets
  // lost: landings 61-120 ms early and 144-203 ms late, each one missed contact and one false).
  // Marked, so any other sensor's report of the contact is taken over it (StepMerger). The time
  // from mid-swing to landing is steady from stride to stride, so in a running stride whose IC
  // was found before the hole, across it or at its far edge, where the recent strides put the
  // landing inside the hole, that is the better estimate (as at the foot). Where the hole
  // reaches back to the mid-swing that time is
  // counted from (taken at the hole's edge, a 200 Hz shank with two packets lost from mid-swing to
  // landing was placed 71 ms early), the rhythm of the recent ICs says it instead.
  std::optional<size_t> hole_row;
  for (size_t i = ic->lo; i <= ic->hi && i < span.end; ++i) {
    if (rows[i + 1].t_us - rows[i].t_us > hole_us()) {
      hole_row = i;
      break;
    }
  }
  if (hole_row) {
    const int64_t near_us = rows[*hole_row].t_us;
    const int64_t far_us = rows[*hole_row + 1].t_us;
    const int64_t period_us =
        ic_g > 0 ? std::min(rows[ic_g].t_us - rows[ic_g - 1].t_us, hole_us()) : hole_us();
    const int64_t stride_us = span.t_end_us - span.t_begin_us;
    std::optional<int64_t> predicted_us;
    if (stride_us < kRunningStride_us) {
      if (opening_mid_swing_seen(span) && !ic_offsets_us_.empty()) {
        predicted_us = predicted_landing_us(span, ic_offsets_us_);
      } else {
        if (const auto p = rhythm_.near(step.ic_us)) predicted_us = p->ic_us;
      }
    }
    // Found before the hole, placed across it, or at its far edge: not clearly after it. A jump
    // clearly after it is the landing's own unless it lies further from where the recent strides
    // put the landing than they vary (a tenth of a stride): then it is the stance's, the landing
    // having come in the hole (a 100 Hz shank: a jump 2.4 samples after the hole, 142 ms late).
    const bool not_after = step.ic_us <= far_us + 2 * period_us;
    if (predicted_us && !not_after && (step.ic_us - *predicted_us) * 10 <= stride_us) {
      predicted_us.reset();
    }
    const bool predicted_in_hole =
        predicted_us && *predicted_us > near_us && *predicted_us < far_us;
    // A landing found where the recent strides put it, outside the hole, is not in doubt: the
    // hole lies elsewhere in the window (flagged, such a report yielded to a foot's report of the
    // same contact that was itself 82 ms off, and both stood as two steps).
    const bool confirmed = predicted_us && !predicted_in_hole &&
                           std::abs(step.ic_us - *predicted_us) * 10 <= stride_us;
    if (!confirmed) {
      step.ic_in_hole = true;
      step.quality = std::min(step.quality, 0.4);
    }
    if (predicted_in_hole) {
      step.ic_us = *predicted_us;
      ++flags_.ic_from_stride_rhythm;
    }
  }

  const auto [to_lo, to_hi] = time_window(rows, span.begin, span.end, t_mid, span.t_end_us);
  if (to_lo <= to_hi) {
    const size_t k = argmin_pitch(rows, to_lo, to_hi);
    if (rows[k].p < 0.0 && !(span.truncated_tail && k == span.end) && rows[k].t_us > step.ic_us) {
      step.to_us = static_cast<int64_t>(std::llround(refine_time_us(rows, k)));
    }
  }
  if (!span.truncated_head && !span.truncated_tail && !span.end_estimated) {
    step.stride_time_ms = static_cast<double>(span.t_end_us - span.t_begin_us) * 1e-3;
    // (Not from a landing timed in a hole: the rhythm learns from landings seen.)
    if (!step.ic_in_hole) {
      ic_offsets_us_.push_back(step.ic_us - span.t_begin_us);
      if (ic_offsets_us_.size() > kIcOffsets) ic_offsets_us_.pop_front();
      rhythm_.note(step.ic_us);
    }
    last_tibia_ = tibia;
  }

  if (tibia) {
    const Eigen::Vector3d& axis = *tibia;
    const auto [lo, hi] =
        time_window(rows, span.begin, span.end, step.ic_us,
                    step.ic_us + static_cast<int64_t>(settings_.shock_window_s * 1e6));
    double peak = 0.0;
    for (size_t i = lo; i <= hi && lo <= hi; ++i) peak = std::max(peak, rows[i].a.dot(axis));
    if (lo <= hi) step.shock_g = peak / kGravity_mps2;
  }
  const double stride_ms = static_cast<double>(span.t_end_us - span.t_begin_us) * 1e-3;
  if (step.to_us) {
    const double duty = static_cast<double>(*step.to_us - step.ic_us) * 1e-3 / stride_ms;
    step.activity = duty > 0.5 ? GaitActivity::kWalking : GaitActivity::kRunning;
  }
  return step;
}

}  // namespace gk
