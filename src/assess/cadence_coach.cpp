#include "cadence_coach.hpp"

#include <algorithm>
#include <cmath>

namespace gk {
namespace {

double median(std::vector<double> v) {
  const size_t mid = v.size() / 2;
  std::nth_element(v.begin(), v.begin() + static_cast<std::ptrdiff_t>(mid), v.end());
  double m = v[mid];
  if (v.size() % 2 == 0) {
    m = (m + *std::max_element(v.begin(), v.begin() + static_cast<std::ptrdiff_t>(mid))) / 2.0;
  }
  return m;
}

/// Speed changes smaller than this do not move the target: the step-rate
/// change they imply (< 2 spm) is below what a runner can follow.
constexpr double kSpeedDeadband_mps = 0.3;
constexpr size_t kSpeedWindow_steps = 20;

}  // namespace

double population_cadence_spm(double speed_mps) {
  // ~168 spm at 3 m/s, ~174 at 4 m/s for recreational runners.
  return 150.0 + kCadencePerSpeed_spm_per_mps * speed_mps;
}

double plan_step_pct(const RetrainingPlan& plan) {
  const unsigned half = (plan.sessions_total + 1) / 2;
  return plan.session <= half ? plan.first_step_pct : plan.final_step_pct;
}

double plan_feedback_fraction(const RetrainingPlan& plan) {
  const unsigned half = (plan.sessions_total + 1) / 2;
  if (plan.session <= half || plan.sessions_total == half) return 1.0;
  return static_cast<double>(plan.sessions_total - plan.session) /
         static_cast<double>(plan.sessions_total - half);
}

CadenceCoach::CadenceCoach(const AthleteBaseline& athlete, const RetrainingPlan& plan,
                           const FormThresholds& thresholds)
    : athlete_(athlete), plan_(plan), thresholds_(thresholds) {
  reset();
}

void CadenceCoach::reset() {
  preferred_spm_ = athlete_.preferred_cadence_spm;
  preferred_speed_mps_ =
      athlete_.preferred_cadence_spm ? athlete_.preferred_speed_mps : std::nullopt;
  baseline_cadence_.clear();
  baseline_speed_.clear();
  recent_speed_.clear();
  outside_band_ = false;
  band_pending_since_us_.reset();
  current_.reset();
  changes_.clear();
}

pb::Recommendation CadenceCoach::compute(int64_t t_us, double running_s) const {
  double preferred = *preferred_spm_;
  if (preferred_speed_mps_ && recent_speed_.size() >= kSpeedWindow_steps / 2) {
    const double dv = median(recent_speed_) - *preferred_speed_mps_;
    if (std::abs(dv) > kSpeedDeadband_mps) preferred += kCadencePerSpeed_spm_per_mps * dv;
  }
  pb::Recommendation r;
  r.set_preferred_cadence_spm(preferred);
  // Whole steps per minute: a metronome is set in whole BPM.
  const double target = std::round(preferred * (1.0 + plan_step_pct(plan_) / 100.0));
  r.set_target_cadence_spm(target);
  r.set_metronome_bpm(target);  // one cue per step
  r.set_band_low_spm(target * (1.0 - plan_.band_pct / 100.0));
  r.set_band_high_spm(target * (1.0 + plan_.band_pct / 100.0));
  r.set_plan_session(plan_.session);
  r.set_plan_sessions_total(plan_.sessions_total);
  // Faded feedback: cues only in the first part of each running minute.
  const double fraction = plan_feedback_fraction(plan_);
  const double in_minute = std::fmod(std::max(running_s, 0.0), 60.0);
  const bool feedback_window = in_minute < fraction * 60.0;
  r.set_cue_now(outside_band_ && feedback_window);
  r.set_t_us(t_us);
  return r;
}

void CadenceCoach::push(int64_t t_us, double running_s, double cadence_spm,
                        std::optional<double> speed_mps) {
  if (speed_mps) {
    recent_speed_.push_back(*speed_mps);
    if (recent_speed_.size() > kSpeedWindow_steps) recent_speed_.erase(recent_speed_.begin());
  }
  if (!preferred_spm_) {
    if (running_s >= thresholds_.baseline_start_s && running_s < thresholds_.baseline_end_s) {
      baseline_cadence_.push_back(cadence_spm);
      if (speed_mps) baseline_speed_.push_back(*speed_mps);
    }
    if (running_s < thresholds_.baseline_end_s || baseline_cadence_.size() < 20) return;
    preferred_spm_ = median(baseline_cadence_);
    if (baseline_speed_.size() >= baseline_cadence_.size() / 2) {
      preferred_speed_mps_ = median(baseline_speed_);
    }
  }
  // Whether the rolling cadence is outside the target band, debounced by
  // the cue delay both ways: cues start only after a few seconds outside.
  const std::optional<pb::Recommendation> provisional = compute(t_us, running_s);
  const bool outside =
      cadence_spm < provisional->band_low_spm() || cadence_spm > provisional->band_high_spm();
  if (outside != outside_band_) {
    if (!band_pending_since_us_) band_pending_since_us_ = t_us;
    if (static_cast<double>(t_us - *band_pending_since_us_) * 1e-6 >= plan_.cue_delay_s) {
      outside_band_ = outside;
      band_pending_since_us_.reset();
    }
  } else {
    band_pending_since_us_.reset();
  }
  const pb::Recommendation next = compute(t_us, running_s);
  const bool changed = !current_ || current_->target_cadence_spm() != next.target_cadence_spm() ||
                       current_->cue_now() != next.cue_now();
  if (!changed) return;
  if (current_ &&
      static_cast<double>(t_us - current_->t_us()) * 1e-6 < plan_.min_change_interval_s) {
    return;  // at most one change every few seconds
  }
  current_ = next;
  changes_.push_back(next);
}

}  // namespace gk
