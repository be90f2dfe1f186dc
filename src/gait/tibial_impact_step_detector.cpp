#include "tibial_impact_step_detector.hpp"

#include <algorithm>
#include <cassert>
#include <cmath>

#include "placement.hpp"
#include "stride_features.hpp"
#include "stride_rhythm.hpp"
#include "upper_median.hpp"

namespace gk {
namespace {

constexpr size_t kRecentImpacts = 7;

int64_t us(double s) { return static_cast<int64_t>(std::llround(s * 1e6)); }

}  // namespace

TibialImpactStepDetector::TibialImpactStepDetector(const TibialImpactDetectorSettings& settings)
    : settings_(settings), period_({period_from_rate_us(settings.nominal_rate_hz)}) {
  assert(settings.min_stride_s > 0.0 && settings.change_lag_s > 0.0);
  bridge_us_ = us(settings.dropout_bridge_max_s);
  retime(settings.nominal_rate_hz);
  update_levels();
}

void TibialImpactStepDetector::retime(double rate_hz) {
  const LagSizes z =
      lag_sizes(rate_hz, settings_.change_lag_s, settings_.gap_periods, settings_.gap_min_us);
  gap_us_ = z.gap_us;
  lag_n_ = z.lag_n;
  lag_us_ = z.lag_us;
  // The horizon promises no IC before it; a longer lag after a rate change may reach further
  // back, so it is given the longest lag the stream has had and never steps back.
  horizon_lag_us_ = std::max(horizon_lag_us_, lag_us_);
}

void TibialImpactStepDetector::reset() {
  period_.reset();
  horizon_lag_us_ = 0;
  retime(settings_.nominal_rate_hz);
  axis_.setZero();
  axis_ready_ = false;
  rows_.clear();
  candidate_.reset();
  weak_.reset();
  weak_looked_back_ = false;
  weak_close_us_ = 0;
  steady_rhythm_us_.reset();
  last_impact_us_.reset();
  last_ic_us_.reset();
  recent_impacts_.clear();
  recent_peaks_us_.clear();
  last_t_us_ = INT64_MIN;
  stretch_begin_us_ = INT64_MIN;
  after_gap_ = false;
  ready_.clear();
  flags_ = {};
  placement_.reset();
  template_placement_.reset();
  autocorrelation_.reset();
  next_period_query_us_ = INT64_MIN;
  update_levels();
}

int64_t TibialImpactStepDetector::horizon_us() const {
  if (last_t_us_ == INT64_MIN) return INT64_MIN;
  // Nothing is decided before the axis is known.
  if (!axis_ready_) return rows_.empty() ? last_t_us_ : rows_.front().t_us - horizon_lag_us_;
  // The next IC is the onset of a jump at the candidate or later, or of a rival
  // of it (choose_impact), up to the onset search and one lag before it.
  int64_t from = candidate_ ? rows_[*candidate_].t_us - us(settings_.rival_window_s) : last_t_us_;
  if (weak_) from = std::min(from, rows_[*weak_].t_us);
  int64_t h = from - us(settings_.onset_search_s) - us(settings_.first_search_s) - horizon_lag_us_;
  if (last_ic_us_) h = std::max(h, *last_ic_us_);
  // A weak landing before the stride was known may still be found (process()).
  if (looking_back()) h = std::min(h, look_back_from_us());
  return h;
}

void TibialImpactStepDetector::push(const ImuSample& s) {
  if (!admit(s, s.acc_mps2.allFinite(), last_t_us_)) return;
  // The jump is measured over a number of samples: it follows the rate the data has now.
  if (period_.push(s.t_us)) retime(settled_rate_hz(period_));
  if (last_t_us_ != INT64_MIN && s.t_us - last_t_us_ > gap_us_) {
    if (s.t_us - last_t_us_ <= bridge_us_) {
      ++flags_.bridged_dropouts;
    } else {
      // What happened in the gap is unknown: a candidate before it may not be
      // its stride's largest jump, so it is decided on what was seen.
      ++flags_.gaps;
      if (flags_.first_gap_t_us < 0) flags_.first_gap_t_us = last_t_us_;
      if (candidate_) {
        const size_t k = *candidate_;
        candidate_.reset();
        decide(k);
      }
      rows_.clear();
      weak_.reset();
      last_impact_us_.reset();
      last_ic_us_.reset();
      recent_peaks_us_.clear();
      autocorrelation_.reset();
      update_levels();
      after_gap_ = true;
      stretch_begin_us_ = INT64_MIN;
    }
  }
  if (stretch_begin_us_ == INT64_MIN) stretch_begin_us_ = s.t_us;
  last_t_us_ = s.t_us;
  Row row;
  row.t_us = s.t_us;
  row.a_g = s.acc_mps2 / kGravity_mps2;
  rows_.push_back(row);
  autocorrelation_.push(s.t_us, row.a_g.norm());

  if (!axis_ready_) {
    // The axis is the mean over the first `axis_warmup_s` (whole strides, so the swing's
    // accelerations average out); the rows seen so far are then measured on it. A running
    // mean from the first sample put the axis far off for a few tenths of a second, and a
    // swing's acceleration read as an impact (a false first step on every simulated run).
    axis_ += row.a_g;
    if (row.t_us - rows_.front().t_us < us(settings_.axis_warmup_s)) return;
    if (axis_.norm() < 1e-6) return;
    axis_ready_ = true;
    for (size_t i = 0; i < rows_.size(); ++i) {
      measure(i);
      process(i);
    }
    trim();
    return;
  }
  // Then a running mean: the sensor may shift on the leg.
  const double dt_s =
      rows_.size() > 1 ? static_cast<double>(s.t_us - rows_[rows_.size() - 2].t_us) * 1e-6 : 0.0;
  const double alpha = std::min(1.0, dt_s / settings_.axis_time_constant_s);
  axis_ = ((1.0 - alpha) * axis_.normalized() + alpha * row.a_g);
  measure(rows_.size() - 1);
  process(rows_.size() - 1);
  trim();
}

void TibialImpactStepDetector::measure(size_t i) {
  const Eigen::Vector3d tibia = axis_.normalized();
  Row& row = rows_[i];
  row.axial_g = row.a_g.dot(tibia);
  // A jump over a hole spans more than the lag: it is not measured (nor for the rows after it
  // whose lag reaches back across the hole). Only a rise counts: the strike compresses the
  // tibia, pushing the sensor up along it, while the swing's accelerations swing both ways.
  const bool lag_ok = i >= lag_n_ && row.t_us - rows_[i - lag_n_].t_us <= lag_us_ + gap_us_ / 2;
  row.change_g = lag_ok ? std::max(0.0, (row.a_g - rows_[i - lag_n_].a_g).dot(tibia)) : -1.0;
}

bool TibialImpactStepDetector::starts_stretch(size_t k) const {
  return !last_impact_us_ || rows_[k].t_us - *last_impact_us_ > us(settings_.max_stride_s);
}

bool TibialImpactStepDetector::is_doubtful(size_t k) const {
  bool doubtful = rows_[k].change_g < settings_.doubtful_share * median_impact_g_;
  if (rhythm_stride_us_ && last_impact_us_) {
    const auto since_us = static_cast<double>(rows_[k].t_us - *last_impact_us_);
    doubtful = doubtful || since_us < (1.0 - settings_.doubtful_early) * *rhythm_stride_us_;
  }
  return doubtful;
}

void TibialImpactStepDetector::process(size_t i) {
  const Row& row = rows_[i];
  const double threshold = impact_level();
  const bool too_close =
      last_impact_us_ && row.t_us - *last_impact_us_ < us(settings_.min_stride_s);
  if (row.change_g >= threshold && !too_close &&
      (!candidate_ || row.change_g > rows_[*candidate_].change_g)) {
    candidate_ = i;
  }
  // The largest jump within half a shortest stride either side is this stride's impact: the
  // other leg's stride cannot put one of this leg's landings that close. A candidate well under
  // this leg's recent landings (doubtful_share of their median), or early for its rhythm
  // (doubtful_early), waits a whole shortest stride for a larger jump instead: a landing within
  // that of a decided impact is held off as too close, so a swing's jump over the impact level that
  // was confirmed before the landing held the landing off, stride after stride (a simulated 1 kHz
  // shank whose knee re-flexes earlier in late swing: a 0.7 g rise 0.23 s before each 3.3 g
  // landing, F1 0.51; four accelerometer-only shank runs of the transitions sweep that walk first).
  // Candidates of a usual size keep the short wait, so steps leave within a stride at sprint
  // cadences. The first impact of a stretch waits the whole shortest stride too: with no earlier
  // impact to set the level, a swing's rise at the start of the data passed for one (a simulated
  // shank at 100 Hz and 200 steps/min: a false first step and the next landing taken 105 ms late),
  // and after a pause longer than any stride the push-off of a start from standing tips the shank
  // and rises by up to 4 g within a shortest stride of the first landing.
  const bool stretch_start = candidate_ && starts_stretch(*candidate_);
  const bool doubtful = candidate_ && !stretch_start && is_doubtful(*candidate_);
  const double confirm_strides = stretch_start || doubtful ? 1.0 : 0.5;
  const double confirm_us = static_cast<double>(us(confirm_strides * settings_.min_stride_s));
  if (candidate_ && static_cast<double>(row.t_us - rows_[*candidate_].t_us) >= confirm_us) {
    const size_t k = *candidate_;
    candidate_.reset();
    decide(k);
  }
  // A landing caught weakly (see weak_min_g): only while no jump reaches the level, and only
  // where the rhythm expects the landing.
  if (candidate_) {
    weak_.reset();
    weak_looked_back_ = false;
    return;
  }
  if (weak_ && row.t_us > weak_close_us_) {
    const size_t k = *weak_;
    weak_.reset();
    ++flags_.ic_weak_jump_by_rhythm;
    if (weak_looked_back_) ++flags_.weak_jumps_looked_back;
    weak_looked_back_ = false;
    on_impact(k, true);
    return;
  }
  // After a bout's first impact the stride can come from the autocorrelation alone, which needs
  // a stride and a second of motion after the walk began: asked again as the motion comes in.
  // By then the walk's second landing may have passed (a walk from standing: the period came
  // 2.1 s into the walk, the second heel strike at 1.7 s). The rows since the first impact are
  // held for that (looking_back()), and the weak rule is run over them once the stride is known.
  if (recent_peaks_us_.size() == 1 && !rhythm_stride_us_ && row.t_us >= next_period_query_us_) {
    rhythm_stride_us_ = autocorrelation_.period_us();
    next_period_query_us_ = row.t_us + us(settings_.autocorrelation.bin_s * kQueryBins);
    if (rhythm_stride_us_) {
      for (size_t r = lag_n_; r < i; ++r) {
        if (rows_[r].t_us >= *last_impact_us_ + us(settings_.min_stride_s)) consider_weak(r);
      }
      weak_looked_back_ = weak_.has_value();
    }
  }
  consider_weak(i);
}

bool TibialImpactStepDetector::looking_back() const {
  return recent_peaks_us_.size() == 1 && !rhythm_stride_us_ &&
         last_t_us_ - *last_impact_us_ <= us(settings_.max_stride_s);
}

int64_t TibialImpactStepDetector::look_back_from_us() const {
  // The weak rule's earliest window: a walking stride's (weak_min_stride_s) expected landing,
  // less its tolerance.
  return *last_impact_us_ + us((1.0 - settings_.weak_tolerance) * settings_.weak_min_stride_s) -
         us(settings_.onset_search_s) - us(settings_.first_search_s) - horizon_lag_us_;
}

void TibialImpactStepDetector::consider_weak(size_t i) {
  const Row& row = rows_[i];
  const bool too_close =
      last_impact_us_ && row.t_us - *last_impact_us_ < us(settings_.min_stride_s);
  const std::optional<double>& stride = rhythm_stride_us_;
  if (!stride || !last_impact_us_ || row.change_g < weak_level_g_ || too_close) return;
  // Where the landing is expected, and how far from it a weak one may lie.
  double expected_us = 0.0;
  double half_us = 0.0;
  if (*stride >= settings_.weak_min_stride_s * 1e6) {
    const double since_us = static_cast<double>(row.t_us - *last_impact_us_);
    const double strides = std::max(1.0, std::round(since_us / *stride));
    expected_us = static_cast<double>(*last_impact_us_) + strides * *stride;
    half_us = settings_.weak_tolerance * *stride;
  } else if (steady_rhythm_us_) {
    // Running: only the next landing of a steady rhythm, close to where it predicts it.
    expected_us = static_cast<double>(*steady_rhythm_us_);
    half_us = settings_.weak_running_tolerance * *stride;
  } else if (recent_peaks_us_.size() >= 2 &&
             recent_peaks_us_.size() <= settings_.weak_running_strides &&
             row.change_g >= settings_.impact_min_g) {
    // A bout's first strides, before a steady rhythm can be: the relative level stands on one
    // or two impacts, and the larger of two sets it (a 100 Hz shank at three times the default
    // noise: impacts of 4.0 and 4.7 g put it at 1.18 g, and the third landing's 1.13 g jump was
    // lost). A jump at the absolute impact level is taken where the last stride repeats, as
    // close as the steady rhythm's.
    expected_us = static_cast<double>(*last_impact_us_) + *stride;
    half_us = settings_.weak_running_tolerance * *stride;
  } else {
    return;
  }
  if (std::abs(static_cast<double>(row.t_us) - expected_us) > half_us) return;
  if (!weak_ || row.change_g > rows_[*weak_].change_g) {
    weak_ = i;
    weak_close_us_ = static_cast<int64_t>(expected_us + half_us);
  }
}

void TibialImpactStepDetector::update_levels() {
  const double median_g = upper_median(recent_impacts_);
  median_impact_g_ = median_g;
  impact_level_g_ = std::max(settings_.impact_min_g, settings_.impact_rel * median_g);
  weak_level_g_ = std::max(settings_.weak_min_g, settings_.weak_rel * median_g);
  rhythm_stride_us_ = stride_us();
  // The next landing of a steady running rhythm: the last strides all present (none missed in
  // between) and alike.
  steady_rhythm_us_.reset();
  if (!rhythm_stride_us_ || recent_peaks_us_.size() < settings_.weak_running_strides + 1) return;
  for (size_t i = recent_peaks_us_.size() - settings_.weak_running_strides;
       i < recent_peaks_us_.size(); ++i) {
    const auto gap = static_cast<double>(recent_peaks_us_[i] - recent_peaks_us_[i - 1]);
    if (std::abs(gap - *rhythm_stride_us_) >
        settings_.weak_running_tolerance * *rhythm_stride_us_) {
      return;
    }
  }
  steady_rhythm_us_ = predict_next_us(recent_peaks_us_);
}

std::optional<double> TibialImpactStepDetector::stride_us() const {
  if (recent_peaks_us_.empty()) return std::nullopt;
  if (recent_peaks_us_.size() < settings_.weak_rhythm_min_strides + 1) {
    return autocorrelation_.period_us();
  }
  int64_t shortest = INT64_MAX;
  for (size_t i = 1; i < recent_peaks_us_.size(); ++i) {
    shortest = std::min(shortest, recent_peaks_us_[i] - recent_peaks_us_[i - 1]);
  }
  // The unit the gaps are counted in: the shortest gap, or a whole share of it where the
  // autocorrelation shows it spans two strides or more (see autocorrelation).
  auto unit = static_cast<double>(shortest);
  if (unit >= 2.0 * settings_.weak_min_stride_s * 1e6) {
    if (const std::optional<double> period = autocorrelation_.period_us()) {
      const double strides = std::round(unit / *period);
      if (strides >= 2.0 && std::abs(unit - strides * *period) <=
                                settings_.autocorrelation_multiple_tolerance * *period) {
        unit /= strides;
      }
    }
  }
  std::vector<double> strides;
  for (size_t i = 1; i < recent_peaks_us_.size(); ++i) {
    const auto gap = static_cast<double>(recent_peaks_us_[i] - recent_peaks_us_[i - 1]);
    strides.push_back(gap / std::max(1.0, std::round(gap / unit)));
  }
  return upper_median(strides);
}

size_t TibialImpactStepDetector::choose_impact(size_t k) const {
  bool rhythm = recent_peaks_us_.size() >= settings_.rhythm_min_strides + 1;
  if (rhythm) {
    thread_local std::vector<double> strides;
    strides.clear();
    for (size_t i = 1; i < recent_peaks_us_.size(); ++i) {
      strides.push_back(static_cast<double>(recent_peaks_us_[i] - recent_peaks_us_[i - 1]));
    }
    const double typical = upper_median(strides);
    rhythm = std::all_of(strides.begin(), strides.end(), [&](double stride) {
      return std::abs(stride - typical) <= settings_.rival_rhythm_tolerance * typical;
    });
  }
  // Where the rhythm puts this stride's impact, robust to one taken at a rival or mistimed:
  // a wrong choice must not anchor the next one.
  const int64_t expected_us = rhythm ? predict_next_us(recent_peaks_us_) : 0;
  const int64_t window_us = us(settings_.rival_window_s);
  const int64_t apart_us = us(settings_.first_search_s);
  const int64_t t_k = rows_[k].t_us;
  const double threshold = impact_level();
  const auto off = [&](size_t i) { return std::abs(rows_[i].t_us - expected_us); };
  // The force a jump rose from, one lag before its row: along the tibia (the load the landing
  // adds to) and in all (the swing's braking across the tibia, or the stance's load where the
  // samples caught a rebound after the shock). A landing rises from the swing on both counts.
  const auto from_row = [&](size_t i) {
    size_t j = i;
    while (j > 0 && rows_[j].t_us > rows_[i].t_us - lag_us_) --j;
    return j;
  };
  const auto rose_from_less = [&](size_t i, size_t than) {
    const size_t a = from_row(i);
    const size_t b = from_row(than);
    const double less = settings_.rival_from_swing_g;
    return rows_[a].axial_g <= rows_[b].axial_g - less ||
           rows_[a].a_g.norm() <= rows_[b].a_g.norm() - less;
  };
  size_t best = k;
  for (size_t i = 1; i + 1 < rows_.size(); ++i) {
    const Row& r = rows_[i];
    if (std::abs(r.t_us - t_k) > window_us || std::abs(r.t_us - t_k) <= apart_us) continue;
    if (!recent_peaks_us_.empty() && r.t_us - recent_peaks_us_.back() < us(settings_.min_stride_s))
      continue;
    // A separate jump: the top of its own rise, an impact by itself and a fair share of the
    // largest.
    if (r.change_g < std::max(threshold, settings_.rival_fraction * rows_[k].change_g)) continue;
    if (r.change_g < rows_[i - 1].change_g || r.change_g < rows_[i + 1].change_g) continue;
    if (rhythm ? off(i) < off(best)
               : rows_[best].t_us - r.t_us >= us(settings_.rival_stance_min_s) &&
                     rose_from_less(i, best)) {
      best = i;
    }
  }
  return best;
}

void TibialImpactStepDetector::decide(size_t k) {
  // A landing rises from the swing before it. Where the data (or a stretch after a gap) begins
  // within kHeadMargin_us of the jump's start (one lag before its row), that swing is not in it:
  // the jump may be the stance's own (data that began in a stance took its mid-stance rise for a
  // landing, a false step; simulated accelerometer-only shanks at 100 and 200 Hz whose data begin
  // every 10 ms over a stride). It is not reported, but holds the stance's later jumps off as the
  // stride's impact would.
  if (rows_[k].t_us - lag_us_ - stretch_begin_us_ < kHeadMargin_us) {
    ++flags_.head_jumps_not_taken;
    last_impact_us_ = rows_[k].t_us;
    return;
  }
  const size_t chosen = choose_impact(k);
  if (chosen != k) ++flags_.ic_rival_by_rhythm;
  on_impact(chosen);
}

void TibialImpactStepDetector::on_impact(size_t k, bool weak) {
  const Row& peak = rows_[k];
  const double level = settings_.onset_fraction * peak.change_g;
  const int64_t onset_from = peak.t_us - us(settings_.onset_search_s);
  // The strike's first jump: the earliest within first_search_s that reaches
  // first_fraction of the largest (see the settings).
  const int64_t first_from = peak.t_us - us(settings_.first_search_s);
  size_t j = k;
  for (size_t i = k; i > 0 && rows_[i - 1].t_us >= first_from; --i) {
    if (rows_[i - 1].change_g >= settings_.first_fraction * peak.change_g) j = i - 1;
  }
  // The shock is a spike that rings down (Shorten & Winslow 1992): a first sample in its
  // undershoot, the spike itself fallen between samples, reads a sudden axial drop, and the
  // largest rise is the recovery from it, a sample after the landing. Such a drop right before
  // the rise is the landing's first trace where it is as large as a first jump
  // (undershoot_share of the rise, as first_fraction) and an impact's size (impact_min_g: the
  // swing's axial force does not change that fast). Simulated shanks whose stride is a whole
  // number of samples, so that every landing of a leg falls at one sampling phase: at 119 Hz,
  // drops of 0.68 of the rise, the leg timed 10.5 ms late against 2.1 ms early for the other,
  // cadence error 0.85 steps/min; at 100 Hz, drops of 0.9-2.3 g, 0.3-0.42 of the rise, cadence
  // error 0.75. Drops of 0.25 g before a weak forefoot landing's 0.6 g rise, in three times the
  // default noise, are noise: without the floor that leg's landings went 7 ms early.
  if (j > lag_n_ && rows_[j - 1].t_us >= first_from &&
      rows_[j - 1].t_us - rows_[j - 1 - lag_n_].t_us <= lag_us_ + gap_us_ / 2 &&
      (rows_[j - 1].a_g - rows_[j - 1 - lag_n_].a_g).dot(axis_.normalized()) <=
          -std::max(settings_.impact_min_g, settings_.undershoot_share * peak.change_g)) {
    --j;
    ++flags_.ic_at_shock_undershoot;
  }
  // Onset: walk back while the jump stays above a fraction of the largest.
  while (j > 0 && rows_[j - 1].t_us >= onset_from && rows_[j - 1].change_g > level) --j;
  // Row j is where the jump over the lag first passes that fraction: a strike's jump is sharp,
  // so the rise through it happened between row j-1 and row j, taken at their middle. (The
  // middle of the whole lag put it 4.4 ms early at 1 kHz, and the lowest sample in the lag,
  // the shank's deceleration just before the strike, 6.1 ms early.)
  const bool sampled = j > 0 && rows_[j].t_us - rows_[j - 1].t_us <= gap_us_;
  const int64_t impact_us = sampled ? rows_[j - 1].t_us + (rows_[j].t_us - rows_[j - 1].t_us) / 2
                                    : rows_[j].t_us - lag_us_ / 2;
  const int64_t ic_us = sampled ? place_between_samples(j, impact_us) : impact_us;

  DetectedStep step;
  step.source = settings_.placement;
  step.side = side_of(settings_.placement);
  step.ic_us = ic_us;
  step.quality = weak ? 0.3 : 0.5;
  step.contact_time_reliable = false;
  step.after_gap = after_gap_;
  after_gap_ = false;
  if (last_ic_us_ && ic_us - *last_ic_us_ <= us(settings_.max_stride_s)) {
    step.stride_time_ms = static_cast<double>(ic_us - *last_ic_us_) * 1e-3;
  }
  double shock = peak.axial_g;
  for (size_t r = j; r < rows_.size() && rows_[r].t_us <= ic_us + us(settings_.shock_window_s);
       ++r) {
    shock = std::max(shock, rows_[r].axial_g);
  }
  step.shock_g = shock;
  ready_.push_back(step);
  last_ic_us_ = ic_us;
  // The rhythm runs over consecutive strides only.
  if (last_impact_us_ && peak.t_us - *last_impact_us_ > us(settings_.max_stride_s)) {
    recent_peaks_us_.clear();
  }
  recent_peaks_us_.push_back(peak.t_us);
  if (recent_peaks_us_.size() > kRecentImpacts) recent_peaks_us_.erase(recent_peaks_us_.begin());
  last_impact_us_ = peak.t_us;
  if (!weak) {
    recent_impacts_.push_back(peak.change_g);
    if (recent_impacts_.size() > kRecentImpacts) recent_impacts_.erase(recent_impacts_.begin());
  }
  update_levels();
}

int64_t TibialImpactStepDetector::place_between_samples(size_t j, int64_t impact_us) {
  // Two features trail the landing by a lag that changes little from stride to stride
  // (ImpactPlacement): the stride's alignment to the template of the leg's recent strides, once
  // the template stands on a few, and the loading rise's crossing. The alignment rests on the
  // smooth swing and stance around the landing, so it keeps the sampling phase where the rise
  // is as sharp as the sampling (100 Hz: the crossing jumped between a sample after the contact
  // and 12 ms later, as the shock was caught or missed).
  const auto impact = static_cast<double>(impact_us);
  const auto period_us = static_cast<double>(rows_[j].t_us - rows_[j - 1].t_us);
  const TemplatePlacement::Placed placed = template_placement_.place(rows_, impact_us, period_us);
  if (placed.restarted) ++flags_.stride_template_restarts;
  const std::optional<double> crossing_us = loading_crossing_us(j);
  double ic_us = impact;
  if (placed.ic_us) {
    ++flags_.ic_from_stride_template;
    ic_us = *placed.ic_us;
  } else if (crossing_us) {
    ic_us = placement_.place_us(*crossing_us, impact, period_us);
  }
  if (crossing_us) placement_.note(*crossing_us, impact);
  return static_cast<int64_t>(std::llround(ic_us));
}

std::optional<double> TibialImpactStepDetector::loading_crossing_us(size_t j) const {
  const int64_t t0_us = rows_[j].t_us;
  thread_local std::vector<double> plateau;
  plateau.clear();
  for (size_t r = j;
       r < rows_.size() && rows_[r].t_us <= t0_us + us(settings_.loading_plateau_to_s); ++r) {
    if (rows_[r].t_us >= t0_us + us(settings_.loading_plateau_from_s)) {
      plateau.push_back(rows_[r].axial_g);
    }
  }
  if (plateau.size() < 2) return std::nullopt;  // the end of the data, or a hole
  const auto mid = plateau.begin() + static_cast<std::ptrdiff_t>(plateau.size() / 2);
  std::nth_element(plateau.begin(), mid, plateau.end());
  const double before_g = rows_[j - 1].axial_g;
  if (*mid - before_g < settings_.loading_min_rise_g) return std::nullopt;
  const double level_g = before_g + settings_.loading_share * (*mid - before_g);
  // The last upward crossing: a shock the samples caught crosses first and falls back.
  std::optional<double> crossing_us;
  for (size_t r = j; r < rows_.size() && rows_[r].t_us <= t0_us + us(settings_.loading_search_s);
       ++r) {
    const double a0 = rows_[r - 1].axial_g;
    const double a1 = rows_[r].axial_g;
    if (a0 < level_g && a1 >= level_g) {
      crossing_us =
          static_cast<double>(rows_[r - 1].t_us) +
          (level_g - a0) / (a1 - a0) * static_cast<double>(rows_[r].t_us - rows_[r - 1].t_us);
    }
  }
  return crossing_us;
}

void TibialImpactStepDetector::finish() {
  if (candidate_) {
    const size_t k = *candidate_;
    candidate_.reset();
    // A doubtful jump (small or early for the rhythm) in the data's last moments, whose stance
    // the data does not reach (the loading plateau, loading_plateau_to_s after it), is the late
    // swing's braking before a landing just beyond the data as often as a landing: claimed, it
    // was a false last step in 1 run of 40 (accelerometer-only sweeps, 15-25 ms before the end).
    // Unless the rhythm puts the stride's impact at an earlier jump (choose_impact) whose stance
    // is in the data: the landing, with a mid-stance rise after it that the data's end cut before
    // the wait for a larger one was over (a simulated shank at 104 Hz: the last landing 114 ms
    // before the end, lost with the rise 87 ms after it).
    const int64_t plateau_us = us(settings_.loading_plateau_to_s);
    if (!starts_stretch(k) && is_doubtful(k) && last_t_us_ - rows_[k].t_us < plateau_us) {
      const size_t rival = choose_impact(k);
      if (rival == k || last_t_us_ - rows_[rival].t_us < plateau_us) {
        ++flags_.end_jumps_unconfirmed;
        return;
      }
    }
    decide(k);
  }
}

void TibialImpactStepDetector::trim() {
  // Keep what the next onset search can reach, also from a rival of the candidate
  // (choose_impact), and the shock window after a candidate.
  int64_t from = candidate_ ? rows_[*candidate_].t_us - us(settings_.rival_window_s) : last_t_us_;
  if (weak_) from = std::min(from, rows_[*weak_].t_us);
  int64_t keep_from =
      from - us(settings_.onset_search_s) - us(settings_.first_search_s) - 2 * horizon_lag_us_;
  if (looking_back()) keep_from = std::min(keep_from, look_back_from_us() - horizon_lag_us_);
  size_t drop = 0;
  while (drop + lag_n_ + 1 < rows_.size() && rows_[drop].t_us < keep_from) ++drop;
  rows_.erase(rows_.begin(), rows_.begin() + static_cast<std::ptrdiff_t>(drop));
  if (candidate_) *candidate_ -= drop;
  if (weak_) *weak_ -= drop;
}

}  // namespace gk
