#include "form_assessor.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <limits>

namespace gk {
namespace {

/// Running steps further apart than this are separate bouts (a stop or a
/// walk in between): the gap does not count as running time.
constexpr int64_t kMaxRunningGap_us = 5'000'000;
/// Share of a valgus window that must pass the confidence threshold before
/// the valgus rules judge it.
constexpr double kMinConfidentShare = 0.75;
/// Overstriding from a straight knee is not judged when most landings of
/// the window are on the forefoot (when a foot sensor tells the strike): a
/// forefoot landing lands under the body. Heel and midfoot both count as
/// heel-first here: at the shallow angles of a mild heel strike (~5-10 deg)
/// the heel/midfoot split of the detector is not reliable.
constexpr double kMaxForefootShare = 0.5;

struct ChannelText {
  const char* measure;
  const char* unit;
  const char* threshold_unit;
  const char* reference;
  const char* advice;
};

const char* kCadenceAdvice =
    "Take slightly shorter, quicker steps at the same speed: a small rise in step rate (5 to "
    "10 %) reduces the load on the knee. A metronome at the target rate helps.";
const char* kOverstrideAdvice =
    "Your foot lands far ahead of your body with a straight knee. Aim to land with the foot "
    "closer under the hips and the knee softly bent; a slightly higher step rate does this "
    "by itself.";
const char* kValgusAdvice =
    "Your knee moves inward during stance. Strengthen the hip abductors and external rotators "
    "(side-lying leg raises, clamshells, single-leg squats in front of a mirror) and think "
    "'knee over the second toe' when you land.";

const ChannelText& text(int id) {
  static const ChannelText k[] = {
      {"rolling cadence", "steps/min", "steps/min",
       "Heiderscheit 2011; Lenhart 2014 (+10 % step rate lowered peak patellofemoral force by "
       "about 14 %); Willy 2016; Bramah 2019",
       kCadenceAdvice},
      {"knee flexion at initial contact", "deg", "deg (minimum)",
       "Heiderscheit 2011; Lenhart 2014: a straighter knee and heel strike far ahead of the "
       "body go with higher patellofemoral load",
       kOverstrideAdvice},
      {"knee flexion at initial contact", "deg", "deg (minimum)",
       "Heiderscheit 2011; Lenhart 2014: a straighter knee and heel strike far ahead of the "
       "body go with higher patellofemoral load",
       kOverstrideAdvice},
      {"foot strike angle at initial contact", "deg", "deg (maximum)",
       "Wille 2014; Heiderscheit 2011: a steep heel-first landing marks a foot far ahead of "
       "the body",
       kOverstrideAdvice},
      {"foot strike angle at initial contact", "deg", "deg (maximum)",
       "Wille 2014; Heiderscheit 2011: a steep heel-first landing marks a foot far ahead of "
       "the body",
       kOverstrideAdvice},
      {"peak stance knee valgus", "deg", "deg",
       "Dierks 2008; Noehren 2013 (dynamic valgus in "
       "runners with patellofemoral pain)",
       kValgusAdvice},
      {"peak stance knee valgus", "deg", "deg",
       "Dierks 2008; Noehren 2013 (dynamic valgus in "
       "runners with patellofemoral pain)",
       kValgusAdvice},
      {"contralateral pelvic drop", "deg", "deg",
       "Bramah 2018 (Am J Sports Med): more contralateral pelvic drop in injured runners",
       "Your pelvis drops on the swing side while you stand on this leg. Strengthen the hip "
       "abductors (side planks, single-leg work) and think 'run tall'."},
      {"contralateral pelvic drop", "deg", "deg",
       "Bramah 2018 (Am J Sports Med): more contralateral pelvic drop in injured runners",
       "Your pelvis drops on the swing side while you stand on this leg. Strengthen the hip "
       "abductors (side planks, single-leg work) and think 'run tall'."},
      {"peak stance hip adduction", "deg", "deg",
       "Noehren 2013 (Med Sci Sports Exerc): greater hip adduction in runners who went on to "
       "develop patellofemoral pain",
       "Your thigh swings inward during stance. Hip abductor strength and a slightly wider "
       "step help the knee track straight."},
      {"peak stance hip adduction", "deg", "deg",
       "Noehren 2013 (Med Sci Sports Exerc): greater hip adduction in runners who went on to "
       "develop patellofemoral pain",
       "Your thigh swings inward during stance. Hip abductor strength and a slightly wider "
       "step help the knee track straight."},
      {"peak tibial shock", "g", "g",
       "Milner 2006; Crowell & Davis 2011 (gait retraining lowered tibial shock)",
       "Landings are hard. Aim for quieter, softer landings and a slightly higher step rate."},
      {"peak tibial shock", "g", "g",
       "Milner 2006; Crowell & Davis 2011 (gait retraining lowered tibial shock)",
       "Landings are hard. Aim for quieter, softer landings and a slightly higher step rate."},
      {"contact-time balance, distance from 50 % left", "percentage points",
       "percentage points from 50 %",
       "Zifchock 2008 (symmetry index); asymmetry is common, large or new asymmetry is worth a "
       "look",
       "One leg stays on the ground longer than the other. If it is new or one side hurts, "
       "have it looked at; single-leg strength work evens it out."},
      {"left-right difference in peak stance valgus", "deg", "deg",
       "Dierks 2008; asymmetric dynamic valgus points at the side to work on",
       "One knee moves inward more than the other. Work the hip of that side (single-leg "
       "squats, side-lying leg raises)."},
  };
  return k[id];
}

void add_evidence(pb::FormFlag& f, const std::string& name, double value, const char* unit) {
  pb::Evidence* e = f.add_evidence();
  e->set_name(name);
  e->set_value(value);
  e->set_unit(unit);
}

template <typename T>
void push_bounded(std::deque<T>& d, T v, size_t n) {
  d.push_back(v);
  while (d.size() > n) d.pop_front();
}

/// Median of the finite values, nullopt when fewer than min_count are finite.
std::optional<double> finite_median(const std::deque<double>& v, size_t min_count) {
  std::deque<double> f;
  for (double x : v) {
    if (std::isfinite(x)) f.push_back(x);
  }
  if (f.size() < min_count || f.empty()) return std::nullopt;
  return window_median(f);
}

/// Mean of the finite values (a share for 0/1 values), nullopt when fewer
/// than min_count are finite.
std::optional<double> finite_mean(const std::deque<double>& v, size_t min_count) {
  double sum = 0.0;
  size_t n = 0;
  for (double x : v) {
    if (std::isfinite(x)) {
      sum += x;
      ++n;
    }
  }
  if (n < min_count || n == 0) return std::nullopt;
  return sum / static_cast<double>(n);
}

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

}  // namespace

double window_median(const std::deque<double>& v) {
  std::vector<double> s(v.begin(), v.end());
  std::sort(s.begin(), s.end());
  const size_t n = s.size();
  return n % 2 ? s[n / 2] : (s[n / 2 - 1] + s[n / 2]) / 2.0;
}

FormAssessor::FormAssessor(const AssessProfile& profile)
    : profile_(profile),
      coach_(profile.athlete, profile.plan, profile.thresholds),
      warm_up_(WarmUpSettings{.min_warm_up_s = profile.thresholds.warm_up_min_s}) {
  validate(profile_);
  reset();
}

void FormAssessor::reset() {
  coach_.reset();
  warm_up_.reset();
  channels_.assign(kChannelCount, Channel{});
  static const pb::FlagKind kinds[kChannelCount] = {
      pb::LOW_CADENCE,       pb::OVERSTRIDING,  pb::OVERSTRIDING,  pb::OVERSTRIDING,
      pb::OVERSTRIDING,      pb::KNEE_VALGUS,   pb::KNEE_VALGUS,   pb::PELVIC_DROP,
      pb::PELVIC_DROP,       pb::HIP_ADDUCTION, pb::HIP_ADDUCTION, pb::HIGH_TIBIAL_SHOCK,
      pb::HIGH_TIBIAL_SHOCK, pb::ASYMMETRY,     pb::ASYMMETRY};
  for (int i = 0; i < kChannelCount; ++i) {
    Channel& c = channels_[i];
    c.kind = kinds[i];
    c.debounce = FlagDebouncer(profile_.thresholds.min_duration_s);
    const bool sided = i >= kKneeStraightL && i <= kShockR;
    // Channels come in left/right pairs from kKneeStraightL on.
    c.side = !sided ? pb::SIDE_UNKNOWN : ((i - kKneeStraightL) % 2 == 0 ? pb::LEFT : pb::RIGHT);
  }
  flags_.clear();
  side_[0] = SideWindow{};
  side_[1] = SideWindow{};
  cadence_.clear();
  speed_.clear();
  drift_.clear();
  drift_seen_ = 0;
  drift_keep_every_ = 1;
  running_s_ = 0.0;
  last_running_t_us_.reset();
  last_t_us_ = 0;
  finished_ = false;
}

void FormAssessor::push(const StepResult& step) {
  if (finished_) return;
  const int64_t t = step.event.ic_us;
  last_t_us_ = t;
  if (!warm_up_.warm_up_s()) {
    warm_up_.push(step);
    if (warm_up_.flag() && profile_.thresholds.warm_up_min_s > 0.0) {
      flags_.push_back(*warm_up_.flag());
    }
  }
  if (step.event.activity != GaitActivity::kRunning) return;  // walking is not judged
  if (last_running_t_us_ && t - *last_running_t_us_ < kMaxRunningGap_us) {
    running_s_ += static_cast<double>(t - *last_running_t_us_) * 1e-6;
  }
  last_running_t_us_ = t;
  const FormThresholds& th = profile_.thresholds;
  const size_t n = th.window_steps;
  const bool confident =
      step.peak_valgus_deg && step.valgus_confidence.value_or(0.0) >= th.valgus_min_confidence;

  DriftStep d;
  d.t_us = t;
  d.running_s = running_s_;
  d.side = step.event.side;
  d.cadence_spm = step.cadence_spm;
  d.contact_ms = step.event.contact_time_reliable ? step.contact_ms : std::nullopt;
  if (confident) d.peak_valgus_deg = step.peak_valgus_deg;
  if ((drift_seen_++ / 2) % drift_keep_every_ == 0) drift_.push_back(d);
  if (drift_.size() >= kMaxDriftSteps) {
    // Keep pairs 0, 2, 4, ... (indices 0,1, 4,5, 8,9, ...): the same thinning
    // the new steps get from now on, so the series stays evenly spaced.
    size_t out = 0;
    for (size_t i = 0; i < drift_.size(); ++i) {
      if ((i / 2) % 2 == 0) drift_[out++] = drift_[i];
    }
    drift_.resize(out);
    drift_keep_every_ *= 2;
  }

  if (step.event.speed_mps) push_bounded(speed_, *step.event.speed_mps, 2 * n);
  if (step.cadence_spm) {
    push_bounded(cadence_, *step.cadence_spm, 2 * n);
    coach_.push(t, running_s_, *step.cadence_spm, step.event.speed_mps);
  }
  if (step.event.side == pb::LEFT || step.event.side == pb::RIGHT) {
    SideWindow& w = side_[step.event.side == pb::LEFT ? 0 : 1];
    auto put = [n](std::deque<double>& q, const std::optional<double>& v) {
      push_bounded(q, v.value_or(kNaN), n);
    };
    put(w.knee_flexion_ic, step.knee_flexion_ic_deg);
    put(w.foot_angle, step.event.foot_strike_angle_deg);
    push_bounded(w.forefoot,
                 step.foot_strike == pb::FOOT_STRIKE_UNKNOWN
                     ? kNaN
                     : (step.foot_strike == pb::FOREFOOT ? 1.0 : 0.0),
                 n);
    push_bounded(w.valgus, confident ? *step.peak_valgus_deg : kNaN, n);
    put(w.valgus_conf, step.valgus_confidence);
    put(w.pelvis, step.pelvic_drop_deg);
    put(w.hip, step.peak_hip_adduction_deg);
    put(w.shock, step.shock_g);
    put(w.contact, step.event.contact_time_reliable ? step.contact_ms : std::nullopt);
  }
  if (running_s_ >= th.warm_up_s) evaluate(t);
}

void FormAssessor::evaluate(int64_t t) {
  const FormThresholds& th = profile_.thresholds;
  const size_t n = th.window_steps;
  // A side's median needs most of its window to carry the value (steps may
  // lack one, e.g. a hip angle not settled): the same share as for valgus.
  const size_t min_n = static_cast<size_t>(std::ceil(kMinConfidentShare * static_cast<double>(n)));

  // Low cadence: against the plan's target band when the athlete's preferred
  // cadence is known from the profile; otherwise only the secondary hint,
  // well below the population step rate for the speed.
  if (cadence_.size() >= n) {
    const double c = window_median(cadence_);
    std::optional<double> threshold;
    if (profile_.athlete.preferred_cadence_spm && coach_.current()) {
      threshold = coach_.current()->target_cadence_spm() * (1.0 - th.low_cadence_band_pct / 100.0);
    } else if (speed_.size() >= n) {
      threshold =
          population_cadence_spm(window_median(speed_)) * (1.0 - th.low_for_speed_pct / 100.0);
    }
    if (threshold) {
      observe(kLowCadence, t, {-c, -*threshold, -(*threshold + 0.01 * *threshold), -1.0});
    }
  }
  std::optional<double> valgus_median[2];
  for (size_t k = 0; k < 2; ++k) {
    const SideWindow& w = side_[k];
    const int off = static_cast<int>(k);
    if (w.knee_flexion_ic.size() >= n) {
      const auto flex = finite_median(w.knee_flexion_ic, min_n);
      const auto forefoot = finite_mean(w.forefoot, n / 2);
      if (flex) {
        const bool heel_striking = !forefoot || *forefoot < kMaxForefootShare;
        const double thr = th.knee_flexion_ic_min_deg;
        // A runner not landing on the heel is not overstriding by this rule:
        // observe a clearly-cleared value so an active flag can end.
        const double v = heel_striking ? -*flex : -(thr + th.hysteresis_deg + 1.0);
        observe(static_cast<ChannelId>(kKneeStraightL + off), t,
                {v, -thr, -(thr + th.hysteresis_deg), -1.0});
      }
    }
    if (const auto a = finite_median(w.foot_angle, min_n)) {
      observe(static_cast<ChannelId>(kFootAngleL + off), t,
              {*a, th.foot_strike_angle_max_deg, th.foot_strike_angle_max_deg - th.hysteresis_deg,
               1.0});
    }
    if (w.valgus.size() >= n) valgus_median[k] = finite_median(w.valgus, min_n);
    if (valgus_median[k]) {
      const double thr = profile_.athlete.peak_valgus_deg
                             ? *profile_.athlete.peak_valgus_deg + th.valgus_above_baseline_deg
                             : th.peak_valgus_max_deg;
      observe(static_cast<ChannelId>(kValgusL + off), t,
              {*valgus_median[k], thr, thr - th.hysteresis_deg, 1.0});
    }
    if (const auto p = finite_median(w.pelvis, min_n)) {
      observe(static_cast<ChannelId>(kPelvisL + off), t,
              {*p, th.pelvic_drop_max_deg, th.pelvic_drop_max_deg - th.hysteresis_deg, 1.0});
    }
    if (const auto h = finite_median(w.hip, min_n)) {
      observe(static_cast<ChannelId>(kHipL + off), t,
              {*h, th.hip_adduction_max_deg, th.hip_adduction_max_deg - th.hysteresis_deg, 1.0});
    }
    if (const auto s = finite_median(w.shock, min_n)) {
      observe(static_cast<ChannelId>(kShockL + off), t,
              {*s, th.shock_max_g, th.shock_max_g - th.shock_hysteresis_g, 1.0});
    }
  }
  const auto cl = finite_median(side_[0].contact, min_n);
  const auto cr = finite_median(side_[1].contact, min_n);
  if (cl && cr && *cl + *cr > 0.0) {
    const double off50 = std::abs(*cl / (*cl + *cr) * 100.0 - 50.0);
    observe(kContactBalance, t,
            {off50, th.contact_balance_max_pct, th.contact_balance_max_pct - 1.0, 1.0});
  }
  if (valgus_median[0] && valgus_median[1]) {
    const double diff = std::abs(*valgus_median[0] - *valgus_median[1]);
    observe(
        kValgusAsymmetry, t,
        {diff, th.valgus_asymmetry_max_deg, th.valgus_asymmetry_max_deg - th.hysteresis_deg, 1.0});
  }
}

pb::FormFlag FormAssessor::make_flag(ChannelId id, const Observation& o) const {
  const ChannelText& tx = text(id);
  const Channel& c = channels_[id];
  const FormThresholds& th = profile_.thresholds;
  pb::FormFlag f;
  f.set_kind(c.kind);
  f.set_side(c.side);
  f.set_severity(pb::CAUTION);
  const double measured = o.sign * o.value;
  add_evidence(f, fmt::format("{} (median of {} steps) when raised", tx.measure, th.window_steps),
               measured, tx.unit);
  add_evidence(f, fmt::format("worst {} while flagged", tx.measure), measured, tx.unit);
  f.set_threshold(o.sign * o.raise_above);
  f.set_threshold_unit(tx.threshold_unit);
  f.set_reference(tx.reference);
  f.set_advice(tx.advice);
  if (id == kLowCadence) {
    if (profile_.athlete.preferred_cadence_spm && coach_.current()) {
      add_evidence(f, "target cadence", coach_.current()->target_cadence_spm(), "steps/min");
    } else {
      f.set_severity(pb::INFO);  // the population hint is secondary
      add_evidence(f, "running speed", window_median(speed_), "m/s");
      add_evidence(f, "typical cadence at this speed",
                   population_cadence_spm(window_median(speed_)), "steps/min");
    }
  }
  if ((id == kKneeStraightL || id == kKneeStraightR || id == kFootAngleL || id == kFootAngleR) &&
      channels_[kLowCadence].debounce.active()) {
    f.set_severity(pb::WARNING);  // overstriding together with a low step rate
  }
  if (id == kValgusL || id == kValgusR || id == kValgusAsymmetry) {
    for (size_t k = 0; k < 2; ++k) {
      if (id != kValgusAsymmetry && k != (id == kValgusL ? 0u : 1u)) continue;
      if (const auto conf = finite_median(side_[k].valgus_conf, 1)) {
        add_evidence(f,
                     fmt::format("{} valgus confidence (median, 0..1)", k == 0 ? "left" : "right"),
                     *conf, "");
      }
    }
  }
  if (id == kContactBalance) f.set_severity(pb::INFO);
  return f;
}

void FormAssessor::observe(ChannelId id, int64_t t, const Observation& o) {
  Channel& c = channels_[id];
  const FlagDebouncer::Change change = c.debounce.update(t, o.value, o.raise_above, o.clear_below);
  if (change == FlagDebouncer::Change::kRaised) {
    pb::FormFlag f = make_flag(id, o);
    f.set_t_start_us(c.debounce.onset_us());
    f.set_t_end_us(t);
    c.episode = flags_.size();
    c.worst = o.value;
    flags_.push_back(std::move(f));
    return;
  }
  if (!c.episode) return;
  pb::FormFlag& f = flags_[*c.episode];
  f.set_t_end_us(t);
  if (o.value > c.worst) {
    c.worst = o.value;
    f.mutable_evidence(1)->set_value(o.sign * o.value);
  }
  if (change == FlagDebouncer::Change::kCleared) c.episode.reset();
}

void FormAssessor::finish() {
  if (finished_) return;
  if (!warm_up_.warm_up_s()) {
    warm_up_.finish();
    if (warm_up_.flag() && profile_.thresholds.warm_up_min_s > 0.0) {
      flags_.push_back(*warm_up_.flag());
    }
  }
  for (Channel& c : channels_) {
    if (c.episode) flags_[*c.episode].set_t_end_us(last_t_us_);
  }
  for (pb::FormFlag& f : assess_drift(drift_, profile_.thresholds)) flags_.push_back(std::move(f));
  finished_ = true;
}

std::vector<pb::FormFlag> FormAssessor::active_flags() const {
  std::vector<pb::FormFlag> out;
  for (const Channel& c : channels_) {
    if (c.episode && c.debounce.active()) out.push_back(flags_[*c.episode]);
  }
  return out;
}

Assessment assess_gait(const std::vector<StepResult>& steps, const AssessProfile& profile) {
  FormAssessor a(profile);
  for (const StepResult& s : steps) a.push(s);
  a.finish();
  return a.assessment();
}

Assessment FormAssessor::assessment() const {
  Assessment out;
  out.flags = flags();
  out.recommendation = recommendation();
  out.recommendation_changes = recommendation_changes();
  out.preferred_cadence_spm = coach().preferred_spm();
  out.running_s = running_s();
  out.warm_up_s = warm_up_s();
  return out;
}

}  // namespace gk
