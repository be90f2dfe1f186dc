#include "gait_timeline.hpp"

#include <algorithm>
#include <atomic>
#include <cmath>
#include <stdexcept>

namespace gk::sim {
namespace {

/// Half-width of the blend between consecutive stretches.
constexpr double kBlendHalfWidth_s = 1.0;
/// Spacing of the tabulated phase; cubic Hermite between knots is exact to
/// ~1e-12 strides for cadences that change over seconds.
constexpr double kKnotSpacing_s = 0.01;
/// Contacts are computed this far beyond both ends of the session so the
/// pose functions and finite differences never run out of them.
constexpr double kMargin_s = 5.0;
/// Phase at t = 0: the left foot a quarter stride into its cycle.
constexpr double kStartPhase = 0.25;
/// Share of a starting leg's amplitude reached in the push-off from its
/// standing stance; the rest comes in the first half of its first swing
/// (GaitTimeline::side_gait).
constexpr double kPushOffShare = 0.5;
/// Largest forward acceleration of a start from standing or a stop to a
/// stand. Runners gain their speed over their first steps: step frequency is
/// near its final value from the first step while step length grows, and even
/// sprinters pushing from blocks accelerate at under 1 g (Bezodis et al.
/// 2019, Sports Med. 49:1345). Gaining it within one step (as a speed ramp on
/// the legs' amplitude did) took the body from rest to 4.2 m/s in 0.3 s, a 3 g
/// push that a trunk sensor read as a landing. 4 m/s^2 (0.4 g) for a runner
/// starting from standing.
constexpr double kStartAcceleration_mps2 = 4.0;

/// Heel position relative to the pelvis at mid-stance: the foot lands under
/// the body with the ankle just ahead of the heel (Novacheck 1998, Gait
/// Posture 7:77).
constexpr double kHeelBehindPelvis_m = 0.06;

/// C2 smooth step from 0 (x <= -w) to 1 (x >= w).
double smooth_step(double x, double half_width) {
  const double u = std::clamp((x + half_width) / (2.0 * half_width), 0.0, 1.0);
  return u * u * u * (10.0 + u * (-15.0 + 6.0 * u));
}

double cubic_hermite(double x, double h, double y0, double d0, double y1, double d1) {
  const double t = x / h;
  const double t2 = t * t;
  const double t3 = t2 * t;
  return (2 * t3 - 3 * t2 + 1) * y0 + (t3 - 2 * t2 + t) * h * d0 + (-2 * t3 + 3 * t2) * y1 +
         (t3 - t2) * h * d1;
}

/// Root of a continuous f on [a, b] with f(a) <= 0 <= f(b) (Illinois variant
/// of regula falsi: superlinear and always bracketed).
template <typename F>
double find_root(F f, double a, double b) {
  double fa = f(a);
  double fb = f(b);
  if (fa > 0.0) return a;
  if (fb < 0.0) return b;
  int side = 0;
  for (int i = 0; i < 100 && b - a > 1e-12; ++i) {
    const double c = fa == fb ? 0.5 * (a + b) : (a * fb - b * fa) / (fb - fa);
    const double fc = f(c);
    if (fc == 0.0) return c;
    if (fc < 0.0) {
      a = c;
      fa = fc;
      if (side == -1) fb *= 0.5;
      side = -1;
    } else {
      b = c;
      fb = fc;
      if (side == 1) fa *= 0.5;
      side = 1;
    }
  }
  return 0.5 * (a + b);
}

}  // namespace

int side_index(pb::Side side) {
  switch (side) {
    case pb::LEFT:
      return 0;
    case pb::RIGHT:
      return 1;
    default:
      throw std::invalid_argument("simulator: a side must be left or right");
  }
}

pb::Side side_at(int index) { return index == 0 ? pb::LEFT : pb::RIGHT; }

GaitTimeline::GaitTimeline(const RunnerSettings& settings) : settings_(settings) {
  static std::atomic<uint64_t> next_id{1};
  id_ = next_id.fetch_add(1);
  validate(settings_);
  const auto& schedule = settings_.schedule;
  const std::size_t n = schedule.size();
  // Standing stretches keep the gait style and cadence of the nearest moving
  // stretch (the next one, else the previous): the phase keeps running with
  // zero amplitude, so starting to move needs no special case.
  style_.assign(n, 0.0);
  cadence_spm_.assign(n, 0.0);
  for (std::size_t i = 0; i < n; ++i) {
    std::size_t src = i;
    if (schedule[i].activity == Activity::kStand) {
      src = n;
      for (std::size_t j = i + 1; j < n && src == n; ++j) {
        if (schedule[j].activity != Activity::kStand) src = j;
      }
      for (std::size_t j = i; j-- > 0 && src == n;) {
        if (schedule[j].activity != Activity::kStand) src = j;
      }
    }
    if (src == n) {
      style_[i] = 0.0;
      cadence_spm_[i] = 110.0;
    } else {
      style_[i] = schedule[src].activity == Activity::kRun ? 1.0 : 0.0;
      cadence_spm_[i] = schedule[src].cadence_spm;
    }
  }
  boundaries_s_.push_back(0.0);
  for (const Stretch& s : schedule) boundaries_s_.push_back(boundaries_s_.back() + s.duration_s);
  duration_s_ = boundaries_s_.back();

  t0_s_ = -kMargin_s;
  dt_s_ = kKnotSpacing_s;
  const auto count = static_cast<std::size_t>(std::ceil((duration_s_ + 2 * kMargin_s) / dt_s_)) + 1;
  knots_.resize(count);
  // Gauss-Legendre 3-point rule per interval: exact for the quintic blends to
  // far below what matters.
  const double gl_x[3] = {-std::sqrt(0.6), 0.0, std::sqrt(0.6)};
  const double gl_w[3] = {5.0 / 9.0, 8.0 / 9.0, 5.0 / 9.0};
  auto integrate = [&](auto&& integrand, double a) {
    double sum = 0.0;
    for (int g = 0; g < 3; ++g) sum += gl_w[g] * integrand(a + 0.5 * dt_s_ * (1.0 + gl_x[g]));
    return 0.5 * dt_s_ * sum;
  };
  // Pass 1: running time (drives the fatigue drift, which drives cadence).
  for (std::size_t k = 0; k < count; ++k) {
    const double t = t0_s_ + static_cast<double>(k) * dt_s_;
    const Blend b = blend(t);
    knots_[k].run_weight = b.run_weight;
    knots_[k].speed_mps = b.speed_mps;
    knots_[k].run_time_s =
        k == 0 ? 0.0
               : knots_[k - 1].run_time_s +
                     integrate([&](double x) { return blend(x).run_weight; }, t - dt_s_);
  }
  total_run_s_ = 0.0;
  {
    double phase = 0.0, distance = 0.0, run_start = 0.0, run_end = 0.0;
    knots_[0].phase = 0.0;
    knots_[0].distance_m = 0.0;
    integrals(0.0, phase, distance, run_start);
    integrals(duration_s_, phase, distance, run_end);
    for (Knot& k : knots_) k.run_time_s -= run_start;
    total_run_s_ = run_end - run_start;
  }
  // Pass 2: phase and distance.
  auto run_time_at = [&](double t) {
    double p = 0.0, d = 0.0, r = 0.0;
    integrals(t, p, d, r);
    return r;
  };
  for (std::size_t k = 0; k < count; ++k) {
    const double t = t0_s_ + static_cast<double>(k) * dt_s_;
    knots_[k].stride_hz = stride_hz_at(t, knots_[k].run_time_s);
    if (k == 0) {
      knots_[k].phase = 0.0;
      knots_[k].distance_m = 0.0;
      continue;
    }
    const double a = t - dt_s_;
    knots_[k].phase = knots_[k - 1].phase +
                      integrate([&](double x) { return stride_hz_at(x, run_time_at(x)); }, a);
    knots_[k].distance_m =
        knots_[k - 1].distance_m + integrate([&](double x) { return blend(x).speed_mps; }, a);
  }
  {
    double phase = 0.0, distance = 0.0, run = 0.0;
    integrals(0.0, phase, distance, run);
    for (Knot& k : knots_) {
      k.phase += kStartPhase - phase;
      k.distance_m -= distance;
    }
  }
  build_contacts();
}

GaitTimeline::Blend GaitTimeline::blend(double t_s) const {
  Blend b{0.0, 0.0, 0.0, 0.0, 0.0};
  const std::size_t n = settings_.schedule.size();
  for (std::size_t i = 0; i < n; ++i) {
    const double rise = i == 0 ? 1.0 : smooth_step(t_s - boundaries_s_[i], kBlendHalfWidth_s);
    const double fall =
        i + 1 == n ? 0.0 : smooth_step(t_s - boundaries_s_[i + 1], kBlendHalfWidth_s);
    const double w = rise - fall;
    if (w <= 0.0) continue;
    const Stretch& s = settings_.schedule[i];
    const bool moving = s.activity != Activity::kStand;
    b.motion += moving ? w : 0.0;
    b.run += w * style_[i];
    b.run_weight += s.activity == Activity::kRun ? w : 0.0;
    b.speed_mps += moving ? speed_weight(i, t_s, rise, fall) * s.speed_mps : 0.0;
    b.cadence_spm += w * cadence_spm_[i];
  }
  return b;
}

double GaitTimeline::speed_weight(std::size_t i, double t_s, double rise, double fall) const {
  const auto& schedule = settings_.schedule;
  const std::size_t n = schedule.size();
  // Next to a stand, travel speed changes at a bounded acceleration (quintic
  // ramp, peak slope 1.875 / its length), and only while the legs step: it
  // starts at the boundary, where the legs' first swings begin (motion 0.5,
  // see Contact::stepped), and a stop ends there. A body whose legs are still
  // does not glide across the ground.
  const double ramp_s = 1.875 * schedule[i].speed_mps / kStartAcceleration_mps2;
  // 0 before from_s, 1 once the ramp that starts there is over.
  const auto ramp_from = [&](double from_s) {
    if (ramp_s <= 0.0) return t_s >= from_s ? 1.0 : 0.0;
    return smooth_step(t_s - from_s - 0.5 * ramp_s, 0.5 * ramp_s);
  };
  if (i > 0 && schedule[i - 1].activity == Activity::kStand) rise = ramp_from(boundaries_s_[i]);
  if (i + 1 < n && schedule[i + 1].activity == Activity::kStand) {
    fall = ramp_from(boundaries_s_[i + 1] - ramp_s);
  }
  return std::max(rise - fall, 0.0);
}

double GaitTimeline::run_progress_at(double run_time_s) const {
  if (total_run_s_ <= 1e-9) return 0.0;
  return std::clamp(run_time_s / total_run_s_, 0.0, 1.0);
}

double GaitTimeline::stride_hz_at(double t_s, double run_time_s) const {
  const double cadence =
      blend(t_s).cadence_spm + settings_.cadence_drift_spm * run_progress_at(run_time_s);
  // A stride is two steps; cadence counts steps per minute.
  return std::max(cadence, 30.0) / 120.0;
}

void GaitTimeline::integrals(double t_s, double& phase, double& distance_m,
                             double& run_time_s) const {
  const double x = (t_s - t0_s_) / dt_s_;
  const auto last = static_cast<double>(knots_.size() - 2);
  const auto k = static_cast<std::size_t>(std::clamp(std::floor(x), 0.0, last));
  const Knot& a = knots_[k];
  const Knot& b = knots_[k + 1];
  const double local = t_s - (t0_s_ + static_cast<double>(k) * dt_s_);
  phase = cubic_hermite(local, dt_s_, a.phase, a.stride_hz, b.phase, b.stride_hz);
  distance_m = cubic_hermite(local, dt_s_, a.distance_m, a.speed_mps, b.distance_m, b.speed_mps);
  run_time_s = cubic_hermite(local, dt_s_, a.run_time_s, a.run_weight, b.run_time_s, b.run_weight);
}

double GaitTimeline::phase_at(double t_s) const {
  double phase = 0.0, distance = 0.0, run = 0.0;
  integrals(t_s, phase, distance, run);
  return phase;
}

double GaitTimeline::duty_at(int side, double run) const {
  const double duty = kWalkDutyFactor + (settings_.duty_factor - kWalkDutyFactor) * run;
  // Left contact longer than right by asymmetry_pct, mean unchanged.
  const double a = settings_.asymmetry_pct / 100.0;
  return side == 0 ? duty * 2.0 * (1.0 + a) / (2.0 + a) : duty * 2.0 / (2.0 + a);
}

GaitState GaitTimeline::state(double t_s) const {
  GaitState s;
  double trunk = 0.0;
  s.t_s = t_s;
  const Blend b = blend(t_s);
  double phase = 0.0, run_time = 0.0;
  integrals(t_s, phase, s.distance_m, run_time);
  s.motion = std::clamp(b.motion, 0.0, 1.0);
  s.run = std::clamp(b.run, 0.0, 1.0);
  s.speed_mps = b.speed_mps;
  s.run_progress = run_progress_at(run_time);
  s.stride_hz = stride_hz_at(t_s, run_time);
  for (int i = 0; i < 2; ++i) {
    SideState& side = s.sides[static_cast<std::size_t>(i)];
    side.phase = phase - 0.5 * i;
    const double floor_phase = std::floor(side.phase);
    side.stride = static_cast<int64_t>(floor_phase);
    side.cycle = side.phase - floor_phase;
    side.duty = duty_at(i, s.run);
    const LegAmplitude amplitude = side_gait(i, side.stride, side.cycle, side.duty);
    side.gait = amplitude.leg;
    trunk += 0.5 * amplitude.trunk;
    const double peak = i == 0 ? settings_.peak_valgus_left_deg : settings_.peak_valgus_right_deg;
    side.peak_valgus_deg = peak + settings_.valgus_drift_deg * s.run_progress;
  }
  s.duty = 0.5 * (s.sides[0].duty + s.sides[1].duty);
  // The trunk moves with the legs, so the pelvis cannot bounce while the legs
  // (and the truth) say the runner is standing.
  s.gait = trunk;
  return s;
}

GaitTimeline::LegAmplitude GaitTimeline::side_gait(int side, int64_t stride, double cycle,
                                                   double duty) const {
  const pb::Side which = side_at(side);
  // Contact `stride` was reached by a step, and the swing after its stance
  // is one (it leads to contact stride + 1).
  const bool landed = contact(which, stride).stepped;
  const bool swings = contact(which, stride + 1).stepped;
  if (cycle < duty) {
    // Over a whole stance: half of one (about 0.13 s in a run) tipped the
    // shank at 10 rad/s and read as a landing on its accelerometer.
    const double ramp = smooth_step(cycle / duty - 0.5, 0.5);
    if (landed && !swings) {
      // A leg that stops does so with its foot on the ground, through the
      // stance after its last landing.
      return {1.0 - ramp, 1.0 - ramp};
    }
    if (!landed && swings) {
      // A leg that starts pushes off from its standing stance (the heel
      // rises and the shank tips over the foot before the toes leave), to
      // half its amplitude, and reaches full amplitude by mid-swing: its
      // first swing is a whole one. All of it in the swing turned the shank
      // backwards at toe-off, against every real swing; all of it in the
      // stance tipped the shank at up to 7 rad/s with no landing before it,
      // which read as one on its accelerometer. Walking reaches its steady
      // state by the end of the first step (Brenière & Do 1986, J. Biomech.
      // 19:1035).
      return {kPushOffShare * ramp, 0.0};
    }
    return landed ? LegAmplitude{1.0, 1.0} : LegAmplitude{0.0, 0.0};
  }
  if (!swings) return {0.0, 0.0};
  if (landed) return {1.0, 1.0};
  // The rest of a starting leg's amplitude, and the trunk's share of it: the
  // trunk's bounce is the body's flight and landing, which begins when that
  // foot leaves the ground. Rising with the push-off instead gave the pelvis
  // a loading bump at the standing foot's non-step contact (rising in the
  // second half of the swing instead moved that bump, not removed it).
  const double half_swing = 0.5 * (1.0 - duty);
  const double ramp = smooth_step((cycle - duty) / half_swing - 0.5, 0.5);
  return {kPushOffShare + (1.0 - kPushOffShare) * ramp, ramp};
}

double GaitTimeline::time_at_phase(double phase) const {
  auto it = std::lower_bound(knots_.begin(), knots_.end(), phase,
                             [](const Knot& k, double p) { return k.phase < p; });
  std::size_t hi = static_cast<std::size_t>(it - knots_.begin());
  hi = std::clamp<std::size_t>(hi, 1, knots_.size() - 1);
  const double a = t0_s_ + static_cast<double>(hi - 1) * dt_s_;
  return find_root([&](double t) { return phase_at(t) - phase; }, a, a + dt_s_);
}

void GaitTimeline::build_contacts() {
  std::array<std::vector<double>, 2> contacts_mid_stance_s;
  const double t_first = t0_s_ + dt_s_;
  const double t_last = t0_s_ + static_cast<double>(knots_.size() - 2) * dt_s_;
  for (int i = 0; i < 2; ++i) {
    const double offset = 0.5 * i;
    const auto k_first = static_cast<int64_t>(std::ceil(phase_at(t_first) - offset));
    const auto k_last = static_cast<int64_t>(std::floor(phase_at(t_last) - offset)) - 1;
    auto& out = contacts_[static_cast<std::size_t>(i)];
    first_stride_[static_cast<std::size_t>(i)] = k_first;
    std::vector<double> mid_stance_s;
    for (int64_t k = k_first; k <= k_last; ++k) {
      Contact c;
      c.stride = k;
      const double kd = static_cast<double>(k);
      c.ic_s = time_at_phase(kd + offset);
      const double next_s = time_at_phase(kd + 1.0 + offset);
      const auto stance_fraction_root = [&](double fraction) {
        return find_root(
            [&](double t) {
              return phase_at(t) - offset - kd - fraction * duty_at(i, blend(t).run);
            },
            c.ic_s, next_s);
      };
      c.to_s = stance_fraction_root(1.0);
      mid_stance_s.push_back(stance_fraction_root(0.5));
      // The swing into this contact runs from the previous toe-off; before
      // the first contact computed, the whole margin lies on the first stretch.
      const double mid_swing_s = out.empty() ? c.ic_s : 0.5 * (out.back().to_s + c.ic_s);
      c.stepped = blend(mid_swing_s).motion >= 0.5;
      out.push_back(c);
    }
    if (out.empty()) throw std::invalid_argument("simulator: session too short for one stride");
    contacts_mid_stance_s[static_cast<std::size_t>(i)] = std::move(mid_stance_s);
  }
  // Second pass, once every contact knows whether it was stepped to (state()
  // reads that for the legs' amplitude).
  for (int i = 0; i < 2; ++i) {
    auto& out = contacts_[static_cast<std::size_t>(i)];
    const auto& mid_stance_s = contacts_mid_stance_s[static_cast<std::size_t>(i)];
    for (std::size_t j = 0; j < out.size(); ++j) {
      Contact& c = out[j];
      // A standing foot stays where it last landed.
      c.foothold_m = c.stepped || j == 0 ? state(mid_stance_s[j]).distance_m - kHeelBehindPelvis_m
                                         : out[j - 1].foothold_m;
      const GaitState at_ic = state(c.ic_s);
      c.motion = at_ic.motion;
      c.gait = at_ic.sides[static_cast<std::size_t>(i)].gait;
      c.run = at_ic.run;
      c.speed_mps = at_ic.speed_mps;
    }
  }
}

const Contact& GaitTimeline::contact(pb::Side side, int64_t stride) const {
  const auto i = static_cast<std::size_t>(side_index(side));
  const auto& v = contacts_[i];
  const int64_t idx =
      std::clamp<int64_t>(stride - first_stride_[i], 0, static_cast<int64_t>(v.size()) - 1);
  return v[static_cast<std::size_t>(idx)];
}

void validate(const RunnerSettings& s) {
  auto require = [](bool ok, const char* what) {
    if (!ok) throw std::invalid_argument(std::string("simulator: ") + what);
  };
  require(!s.schedule.empty(), "the schedule is empty");
  for (const Stretch& st : s.schedule) {
    require(st.duration_s > 0.0 && st.duration_s < 24 * 3600.0,
            "stretch duration must be in (0, 24 h)");
    if (st.activity == Activity::kStand) continue;
    require(st.speed_mps >= 0.3 && st.speed_mps <= 12.0, "speed must be 0.3..12 m/s");
    require(st.cadence_spm >= 60.0 && st.cadence_spm <= 260.0, "cadence must be 60..260 spm");
  }
  require(s.duty_factor >= 0.2 && s.duty_factor <= 0.55, "duty factor must be 0.2..0.55");
  require(std::abs(s.asymmetry_pct) <= 30.0, "asymmetry must be within +/-30 %");
  require(std::abs(s.peak_valgus_left_deg) <= 25.0 && std::abs(s.peak_valgus_right_deg) <= 25.0,
          "peak valgus must be within +/-25 deg");
  require(s.knee_flexion_ic_deg >= 0.0 && s.knee_flexion_ic_deg <= 40.0,
          "knee flexion at contact must be 0..40 deg");
  require(s.peak_stance_flexion_deg > s.knee_flexion_ic_deg && s.peak_stance_flexion_deg <= 80.0,
          "peak stance flexion must exceed flexion at contact and be <= 80 deg");
  require(
      s.peak_swing_flexion_deg >= s.peak_stance_flexion_deg && s.peak_swing_flexion_deg <= 140.0,
      "peak swing flexion must be >= peak stance flexion and <= 140 deg");
  require(s.knee_terminal_extension_deg >= 0.0 && s.knee_terminal_extension_deg <= 20.0,
          "knee extension before contact must be 0..20 deg");
  require(s.knee_terminal_swing_share >= 0.03 && s.knee_terminal_swing_share <= 0.3,
          "share of the swing before contact at the straightest knee must be 0.03..0.3");
  require(s.impact_rise_ms >= 0.5 && s.impact_rise_ms <= 20.0,
          "impact rise time must be 0.5..20 ms");
  // The pulse (16 times its peak time long) must be over before the leg's next contact, where
  // the next one takes its place: 20 ms gives 0.32 s, under the 0.46 s of a 260 steps/min stride.
  require(s.shock_peak_ms == 0.0 || (s.shock_peak_ms >= 2.0 && s.shock_peak_ms <= 20.0),
          "shock peak time must be 0 (a spike) or 2..20 ms");
  require(std::abs(s.cadence_drift_spm) <= 60.0, "cadence drift must be within +/-60 spm");
  require(std::abs(s.valgus_drift_deg) <= 15.0, "valgus drift must be within +/-15 deg");
  require(s.pelvic_drop_deg >= 0.0 && s.pelvic_drop_deg <= 15.0, "pelvic drop must be 0..15 deg");
}

}  // namespace gk::sim
