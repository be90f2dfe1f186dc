#include "foot_step_detector.hpp"

#include <Eigen/Geometry>
#include <algorithm>
#include <cassert>
#include <cmath>
#include <numbers>
#include <vector>

#include "placement.hpp"
#include "stride_features.hpp"
#include "zupt_integrator.hpp"

namespace gk {
namespace {

constexpr double kRadToDeg = 180.0 / std::numbers::pi;
/// The heel-contact reversal comes at most this long before the loading minimum.
constexpr int64_t kMaxReversalLead_us = 150'000;
/// Fraction of the loading minimum that marks the onset of the heel rocker.
constexpr double kRockerOnsetFraction = 0.1;
/// A running IC feature's trough: the rows after its lowest rate within this share of it.
constexpr double kTroughShare = 0.8;
/// A segmenter contact this long before a turn-step proposal's lift still
/// covers it (the segmenter's IC and the lift bracket the same stance).
constexpr int64_t kTurnCoverBefore_us = 50'000;

GyroSegmenterSettings with_foot_sign_rule(GyroSegmenterSettings s) {
  s.sign_rule = GyroSegmenterSettings::SignRule::kAfterStillness;
  return s;
}

}  // namespace

pb::FootStrike classify_foot_strike(double angle_deg, const FootDetectorSettings& settings) {
  if (angle_deg > settings.heel_strike_min_deg) return pb::HEEL;
  if (angle_deg < settings.forefoot_strike_max_deg) return pb::FOREFOOT;
  return pb::MIDFOOT;
}

FootStepDetector::FootStepDetector(const FootDetectorSettings& settings)
    : GyroStrideSegmenter(with_foot_sign_rule(settings.segmenter)),
      settings_(settings),
      turns_(settings.turn) {
  // The finder reads the segmenter's rows back to the lift of the current
  // move, at most motion_max_s + still_min_s and one sample interval (a
  // longer one is a gap) before the sample that ends it; while the foot
  // stands after a stop the segmenter keeps max_stride_s + context_s().
  assert(!settings.find_turn_steps ||
         settings.segmenter.max_stride_s + context_s() >=
             settings.turn.motion_max_s + settings.turn.still_min_s + settings.turn.gap_s);
}

void FootStepDetector::reset() {
  GyroStrideSegmenter::reset();
  last_midstance_us_.reset();
  turns_.reset();
  proposals_.clear();
  recent_ic_us_.clear();
  ic_offsets_us_.clear();
  rhythm_.reset();
  placement_.reset();
}

void FootStepDetector::on_sign_reversed() {
  // The mid-stance, the landing lags and the placement's pooled lag were all taken on cycles cut
  // at stance peaks.
  last_midstance_us_.reset();
  ic_offsets_us_.clear();
  rhythm_.reset();
  placement_.reset();
}

void FootStepDetector::push(const ImuSample& sample) {
  GyroStrideSegmenter::push(sample);
  if (!settings_.find_turn_steps) return;
  if (const std::optional<int64_t> ms = last_mid_swing_us()) turns_.note_mid_swing(*ms);
  turns_.push(sample, rows());
  if (turns_.has_proposals()) {
    for (const TurnStepProposal& p : turns_.take()) proposals_.push_back(p);
  }
  if (!proposals_.empty()) settle_proposals(false);
}

void FootStepDetector::finish() {
  GyroStrideSegmenter::finish();
  settle_proposals(true);
}

int64_t FootStepDetector::horizon_us() const {
  int64_t h = GyroStrideSegmenter::horizon_us();
  if (!settings_.find_turn_steps) return h;
  h = std::min(h, turns_.horizon_us());
  if (!proposals_.empty()) h = std::min(h, proposals_.front().ic_us);
  return h;
}

void FootStepDetector::settle_proposals(bool end) {
  const auto cover_after_us = static_cast<int64_t>(settings_.turn_cover_after_s * 1e6);
  const int64_t segmenter_horizon_us = GyroStrideSegmenter::horizon_us();
  while (!proposals_.empty()) {
    const TurnStepProposal& p = proposals_.front();
    const int64_t cover_to_us = p.ic_us + cover_after_us;
    if (!end && segmenter_horizon_us <= cover_to_us) break;
    const bool covered = std::any_of(recent_ic_us_.begin(), recent_ic_us_.end(), [&](int64_t ic) {
      return ic >= p.lift_us - kTurnCoverBefore_us && ic <= cover_to_us;
    });
    if (!covered) {
      DetectedStep step;
      step.source = settings_.segmenter.placement;
      step.side = side_of(settings_.segmenter.placement);
      step.ic_us = p.ic_us;
      step.quality = 0.5;  // timing from the impact alone, no toe-off
      step.activity = GaitActivity::kWalking;
      // In IC order among the steps not yet taken.
      const auto at =
          std::upper_bound(ready_.begin(), ready_.end(), step.ic_us,
                           [](int64_t t, const DetectedStep& other) { return t < other.ic_us; });
      ready_.insert(at, step);
      ++flags_.turn_steps;
    }
    proposals_.pop_front();
  }
}

bool FootStepDetector::swing_follows(const GyroRows& rows, size_t to_k) const {
  const int64_t until_us = rows[to_k].t_us + kSwingAfterToeOff_us;
  for (size_t i = to_k + 1; i < rows.size() && rows[i].t_us <= until_us; ++i) {
    if (rows[i].p > settings_.segmenter.swing_peak_min_rps) return true;
  }
  return false;
}

std::optional<DetectedStep> FootStepDetector::landing_at_data_end(const StrideSpan& span) {
  // The data ends within a running stance, before the pitch rate's loading minimum that the
  // contact is found by (a simulated foot's last landing 40 ms before the data's end was lost:
  // F1 0.9935 on one foot's 77 steps).
  const std::optional<double> impact =
      impact_at_data_end_us(span, ic_offsets_us_, DataEndLanding{}, settings_.impact);
  if (!impact) return std::nullopt;
  ++flags_.ic_at_data_end;
  return data_end_step(settings_.segmenter.placement, *impact);
}

std::optional<DetectedStep> FootStepDetector::analyze(const StrideSpan& span) {
  const GyroRows& rows = *span.rows;
  const int64_t t_mid = mid_cycle_us(span);

  // IC and TO as the pitch-rate minima of the first and second half of the
  // mid-swing to mid-swing cycle (Falbriard et al. 2018).
  const std::optional<IcFeature> ic = ic_feature(span);
  if (!ic) return landing_at_data_end(span);
  const size_t ic_g = ic->row;
  const double cycle_us = static_cast<double>(span.t_end_us - span.t_begin_us);
  const bool running_stride = cycle_us < static_cast<double>(kRunningStride_us);

  // A forefoot runner's feature can come well before the landing: the foot turns toes-down at an
  // even rate for up to 0.1 s (a flat trough), and its lowest sample may lie anywhere along it.
  // At running stride times the trough's end, where the rate leaves it, is nearer the contact.
  size_t trough_end = ic_g;
  if (running_stride) {
    while (trough_end < span.end && rows[trough_end + 1].t_us < t_mid &&
           rows[trough_end + 1].p <= kTroughShare * rows[ic_g].p) {
      ++trough_end;
    }
  }
  // Where no impact stands out near the feature, it is looked for up to impact.after_s past the
  // trough's end: in the stride from a walk into a run the trough ended 60-100 ms after its
  // lowest sample, and the impact lay beyond the window (a simulated forefoot runner, seed
  // 689870). Only then, as a window reaching further into the stance lets its jumps, not the
  // landing's, set the level the first jump is held to (the same run's steady strides: IC
  // error 1.9 -> 2.3 ms with the longer window always).
  // The feature is then not this contact's, and its lag is kept out of the placement's strides.
  std::optional<double> impact = impact_time_us(span, rows[ic_g].t_us, settings_.impact);
  bool impact_past_trough = false;
  if (!impact && trough_end > ic_g) {
    ImpactSearch search = settings_.impact;
    search.after_s += 1e-6 * static_cast<double>(rows[trough_end].t_us - rows[ic_g].t_us);
    impact = impact_time_us(span, rows[ic_g].t_us, search);
    impact_past_trough = impact.has_value();
  }
  // An impact found across lost samples is a landing in the hole only if the stride's rhythm
  // puts one there; where it puts the landing more than a twentieth of a stride after the hole
  // (or before it), the jump across the hole was the late swing's braking and the landing's own
  // jump lies in the samples (retime_impact_beside_hole). A simulated forefoot runner at 200 Hz,
  // a lost packet ending 0.1 s before a landing: that contact was put inside the hole, 154 ms
  // early, a miss and a false step. The margin is a few times the rhythm's scatter in steady
  // running; a landing truly in the hole but that close to its far edge is then timed by its
  // loading just past the edge, a little late.
  if (running_stride && opening_mid_swing_seen(span)) {
    ImpactSearch used = settings_.impact;
    if (impact_past_trough) {
      used.after_s += 1e-6 * static_cast<double>(rows[trough_end].t_us - rows[ic_g].t_us);
    }
    if (retime_impact_beside_hole(span, impact, ic_offsets_us_, rows[ic_g].t_us, used,
                                  0.05 * cycle_us)) {
      ++flags_.impact_beside_hole;
      impact_past_trough = impact_past_trough && impact.has_value();
    }
  }

  // TO first: it tells walking from running, and the IC feature differs.
  const auto [to_lo, to_hi] = time_window(rows, span.begin, span.end, t_mid, span.t_end_us);
  std::optional<size_t> to_k;
  bool walking = false;
  if (to_lo <= to_hi) {
    const size_t k = argmin_pitch(rows, to_lo, to_hi);
    const bool at_data_end = span.truncated_tail && k == span.end;
    if (rows[k].p < 0.0 && !at_data_end && k > ic_g) {
      // Walking has double support: the contact lasts over half the stride. It is measured from
      // the IC feature, which in walking is the heel rocker's minimum, a little after the heel
      // contact. A forefoot runner's feature comes before the landing instead (a simulated
      // runner at 169 steps/min, duty factor 0.41: one contact measured at 0.50, taken for a
      // walking one and timed 122 ms early), so at running stride times the contact is measured
      // from the trough's end, or from the impact where that comes later (in the stride from a
      // walk into a run, a forefoot contact measured from the trough's end at 0.51: taken for a
      // walking one and timed 127 ms early, seed 911930).
      double from_us = static_cast<double>(rows[std::min(trough_end, k)].t_us);
      if (running_stride && impact && *impact > from_us &&
          *impact < static_cast<double>(rows[k].t_us)) {
        from_us = *impact;
      }
      walking =
          (static_cast<double>(rows[k].t_us) - from_us) / cycle_us > settings_.walking_duty_factor;
      // A cycle closed without its next mid-swing (a stop, a turn) may end
      // while the foot still stands: the lowest rate there is stance noise,
      // not a push-off, so no toe-off is claimed unless a swing follows
      // (the contact is then a walking one all the same: it lasts at least
      // to that minimum).
      if (!span.end_estimated || swing_follows(rows, k)) to_k = k;
    }
  }

  double ic_us = refine_time_us(rows, ic_g);
  double quality = 1.0;
  std::optional<double> heel_contact;
  if (walking) {
    // Walking heel contact: the foot stops rotating toes-up when the heel
    // meets the ground and the loading rotation (heel rocker) begins, so
    // the pitch rate turns negative just before the loading minimum (the
    // swing-to-stance reversal; cf. gaitmap's heel-strike search and
    // Sabatini et al. 2005, IEEE TBME 52:486). The onset is taken where the
    // rate passes 10 % of that minimum, so a foot drifting slowly before it
    // lands is not mistaken for a contact.
    const double level = kRockerOnsetFraction * rows[ic_g].p;
    size_t z = ic_g;
    while (z > span.begin && rows[z - 1].p < level) --z;
    if (z > span.begin && rows[ic_g].t_us - rows[z].t_us <= kMaxReversalLead_us) {
      const double y0 = rows[z - 1].p - level;
      const double y1 = rows[z].p - level;
      heel_contact = static_cast<double>(rows[z - 1].t_us) +
                     y0 / (y0 - y1) * static_cast<double>(rows[z].t_us - rows[z - 1].t_us);
    }
  }
  std::optional<double> placed_feature_us;
  if (heel_contact) {
    ic_us = *heel_contact;
  } else if (impact && impact_past_trough) {
    ic_us = *impact;
    ++flags_.ic_impact_past_trough;
  } else if (impact) {
    // Running: the first sharp jump of the acceleration near the gyro feature marks the moment
    // the foot meets the ground, whatever the strike pattern. Where it fell between two samples
    // the gyro feature helps to say (ImpactPlacement).
    const double feature_us = ic_us;  // refine_time_us() above
    ic_us = *impact;
    const int64_t period_us = ic_g > 0 ? rows[ic_g].t_us - rows[ic_g - 1].t_us : 0;
    if (period_us > 0 && period_us <= hole_us()) {
      placed_feature_us = feature_us;
      bool pooled = false;
      ic_us = placement_.place_us(feature_us, *impact, static_cast<double>(period_us), &pooled);
      if (pooled) ++flags_.ic_lag_pooled;
    }
  } else {
    // At the edges of the data a cycle is partial: claim a contact there
    // only on clear evidence.
    if (span.truncated_head || span.truncated_tail) return std::nullopt;
    quality = 0.7;
    // No impact in the samples (a spike between two samples, with the landing's next rise
    // beyond the search): the feature less the recent strides' lag, not the feature itself,
    // which comes about 50 ms before a forefoot contact (a simulated foot at 100 Hz with three
    // times the default noise: three contacts 62-64 ms early, F1 0.981).
    if (const std::optional<double> lag = placement_.recent_lag_us()) {
      ic_us -= *lag;
      ++flags_.ic_from_feature_lag;
    }
  }

  DetectedStep step;
  step.source = settings_.segmenter.placement;
  step.side = side_of(settings_.segmenter.placement);
  step.ic_us = static_cast<int64_t>(std::llround(ic_us));
  // At the start of the data a contact whose loading began before the first
  // sample cannot be timed: its IC must lie clearly inside the data.
  if (span.truncated_head && step.ic_us - rows[span.begin].t_us < kHeadMargin_us) {
    return std::nullopt;
  }
  // At the data's end likewise: where the recent strides' time from mid-swing to landing puts
  // this landing past the last sample, what was found more than a tenth of a stride before that
  // is a late swing feature, and the landing itself was not recorded (a simulated foot at 1 kHz
  // whose data ended 32 ms before a landing: a contact claimed 141 ms early, quality 1.0). A
  // tenth of a stride is well beyond how the time varies in steady running.
  if (span.truncated_tail && running_stride) {
    const auto predicted_us = predicted_landing_us(span, ic_offsets_us_);
    if (predicted_us && *predicted_us > rows[span.end].t_us &&
        static_cast<double>(*predicted_us - step.ic_us) * 10.0 > cycle_us) {
      ++flags_.ic_before_data_end_rejected;
      return std::nullopt;
    }
  }
  if (to_k) {
    step.to_us = static_cast<int64_t>(std::llround(refine_time_us(rows, *to_k)));
    for (size_t i = *to_k > 0 ? *to_k - 1 : 0; i <= *to_k && i + 1 < rows.size(); ++i) {
      step.to_in_hole = step.to_in_hole || rows[i + 1].t_us - rows[i].t_us > hole_us();
    }
  }
  // Samples lost inside the cycle (a bridged dropout): an event in the hole
  // is timed at its edge. Marked, and the stride length is left out by the
  // integration (zupt_integrator) when the hole is long.
  bool hole_in_cycle = false;
  // By iterator over the whole stride: an index into the ring costs a wrap test per access.
  const int64_t hole_bound_us = hole_us();
  auto row = rows.begin() + static_cast<std::ptrdiff_t>(span.begin);
  for (size_t i = span.begin; i < span.end; ++i) {
    const int64_t t0_us = row->t_us;
    ++row;
    if (row->t_us - t0_us <= hole_bound_us) continue;
    hole_in_cycle = true;
    quality *= 0.7;
    if (i + 1 >= ic_g && (!to_k || i <= *to_k)) step.contact_time_reliable = false;
    break;
  }
  // A hole where the IC was looked for: the landing may be in it, and what
  // was found is then the last swing feature before it.
  // (The window ends between ic->hi and the row after it, so a hole there
  // overlaps it too.)
  size_t hole_row = 0;  // the hole lies between this row and the next
  for (size_t i = ic->lo; i <= ic->hi && i < span.end; ++i) {
    if (rows[i + 1].t_us - rows[i].t_us > hole_us()) {
      step.ic_in_hole = true;
      hole_row = i;
      break;
    }
  }
  // Where what was found lies at the hole's near edge, or (running) before
  // it, across it or at its far edge, the landing may lie in the hole and what
  // was found be the last swing feature before it or the first jump after it
  // (the loading minimum at the edge; at 100 Hz, where a lost packet is 0.2 s,
  // a running foot's feature up to 0.13 s before the landing). The time from
  // mid-swing to landing (terminal swing) is steady from stride to stride, so
  // where the recent strides put the landing inside the hole, that is the
  // better estimate; the step stays flagged ic_in_hole. A landing before the
  // hole is its own evidence: the recent strides then put it there too; a jump
  // clearly after the hole is the landing's own. Not in walking strides, whose
  // swing ends as the walker slows, stops or turns (ipol-walking: 4 contacts
  // moved 0.12-0.36 s late, two of them out of their match), and not where the
  // hole reaches back to the mid-swing the time is counted from.
  std::optional<size_t> edge;  // the near edge of the hole the landing may lie in
  if (step.ic_in_hole && ic_g < span.end && rows[ic_g + 1].t_us - rows[ic_g].t_us > hole_us()) {
    edge = ic_g;
  } else if (step.ic_in_hole && running_stride && opening_mid_swing_seen(span)) {
    const int64_t period_us =
        ic_g > 0 ? std::min(rows[ic_g].t_us - rows[ic_g - 1].t_us, hole_us()) : hole_us();
    if (step.ic_us <= rows[hole_row + 1].t_us + 2 * period_us) edge = hole_row;
  }
  if (edge) {
    const auto predicted_us = predicted_landing_us(span, ic_offsets_us_);
    if (predicted_us && *predicted_us > rows[*edge].t_us && *predicted_us < rows[*edge + 1].t_us) {
      step.ic_us = *predicted_us;
      ++flags_.ic_from_stride_rhythm;
    }
  }
  // The opening mid-swing next to a hole (at 100 Hz a lost packet of 0.2 s can hold the whole
  // swing peak): the cycle was cut at the hole's edge, and the IC window laid from it can miss
  // the landing and take a swing feature 0.13-0.28 s before it (a simulated foot at 100 Hz, 3 %
  // of the packets lost, seed 192727: three such contacts, each a miss and a false step). Where
  // the foot's recent landings run at a steady rhythm and put this one further from what was
  // found than a tenth of a stride, and before its toe-off, the rhythm's landing is taken,
  // flagged as timed in a hole.
  if (!span.truncated_head && running_stride && !opening_mid_swing_seen(span)) {
    if (const auto p = rhythm_.near(step.ic_us);
        p && std::abs(step.ic_us - p->ic_us) * 10 > p->stride_us &&
        (!step.to_us || p->ic_us < *step.to_us)) {
      step.ic_us = p->ic_us;
      step.ic_in_hole = true;
      quality = std::min(quality, 0.4);
      ++flags_.ic_from_stride_rhythm;
    }
  }
  if (!span.truncated_head && !span.truncated_tail && !span.end_estimated && !hole_in_cycle) {
    ic_offsets_us_.push_back(step.ic_us - span.t_begin_us);
    if (ic_offsets_us_.size() > kIcOffsets) ic_offsets_us_.pop_front();
    if (placed_feature_us) placement_.note(*placed_feature_us, *impact);
  }
  if (!span.truncated_head && !span.truncated_tail && !span.end_estimated && !step.ic_in_hole) {
    rhythm_.note(step.ic_us);
  }

  const double stride_ms = static_cast<double>(span.t_end_us - span.t_begin_us) * 1e-3;
  if (!span.truncated_head && !span.truncated_tail && !span.end_estimated)
    step.stride_time_ms = stride_ms;

  if (step.to_us) {
    const double contact_ms = static_cast<double>(*step.to_us - step.ic_us) * 1e-3;
    const double duty = contact_ms / stride_ms;
    step.activity =
        duty > settings_.walking_duty_factor ? GaitActivity::kWalking : GaitActivity::kRunning;
    if (step.activity == GaitActivity::kRunning &&
        (contact_ms < settings_.running_contact_min_ms ||
         contact_ms > settings_.running_contact_max_ms)) {
      quality *= 0.5;
      step.contact_time_reliable = false;
    }
    // Mid-stance: the moment of the contact when the foot is at rest, flat
    // and with zero velocity.
    const size_t still = zero_velocity_row(rows, ic_g, *to_k, settings_.zero_velocity);
    // Foot angle at IC relative to flat: the rotation about the pitch axis
    // from the IC to the rest moment, sign so that toes up is positive. It
    // starts at the IC itself, not at the pitch-rate minimum after it: that
    // minimum is the middle of the heel's roll down to flat, and starting
    // there lost about half of a heel strike's angle (simulated 16 deg heel
    // strikes read 6-8 deg, midfoot).
    double angle_rad = 0.0;
    if (const auto [k, last] = time_window(rows, span.begin, still, step.ic_us, rows[still].t_us);
        k <= last) {
      if (k > span.begin) {
        // The part of the sample interval after the IC, rate interpolated.
        const GyroRow& r0 = rows[k - 1];
        const GyroRow& r1 = rows[k];
        const double dt_us = static_cast<double>(r1.t_us - r0.t_us);
        const double u = static_cast<double>(step.ic_us - r0.t_us) / dt_us;
        const double p_ic = r0.p + u * (r1.p - r0.p);
        angle_rad -= 0.5 * (p_ic + r1.p) * (1.0 - u) * dt_us * 1e-6;
      }
      for (size_t i = k; i < still; ++i) {
        angle_rad -= 0.5 * (rows[i].p + rows[i + 1].p) *
                     static_cast<double>(rows[i + 1].t_us - rows[i].t_us) * 1e-6;
      }
    }
    step.foot_strike_angle_deg = angle_rad * kRadToDeg;
    step.foot_strike = classify_foot_strike(*step.foot_strike_angle_deg, settings_);

    if (last_midstance_us_) {
      if (std::optional<ZuptStride> stride =
              integrate_stride(rows, *last_midstance_us_, rows[still].t_us)) {
        step.stride_m = stride->length_m;
        step.speed_mps = stride->speed_mps;
      }
    }
    last_midstance_us_ = rows[still].t_us;
  } else {
    last_midstance_us_.reset();
  }
  step.quality = quality;
  if (settings_.find_turn_steps) {
    // Kept for the turn-step check while a proposal could still need it.
    recent_ic_us_.push_back(step.ic_us);
    const int64_t oldest_us = proposals_.empty() ? turns_.horizon_us() : proposals_.front().lift_us;
    const int64_t keep_from_us =
        oldest_us > INT64_MIN + kTurnCoverBefore_us ? oldest_us - kTurnCoverBefore_us : INT64_MIN;
    while (recent_ic_us_.front() < keep_from_us && recent_ic_us_.size() > 1) {
      recent_ic_us_.pop_front();
    }
  }
  return step;
}

}  // namespace gk
