// Steps of an accelerometer-only shoe sensor, from the foot's rests.
//
// A foot on the ground is still: its accelerometer reads gravity alone
// (magnitude 1 g, no change), which is the zero-velocity condition of
// accelerometer-only stance detectors (the "MAG" and "MV" detectors in
// Skog et al. 2010, IEEE Trans. Biomed. Eng. 57:2657). A foot in the air is
// never still that long. Each step is therefore a swing, the landing impact
// and then a rest. The impact is the largest change of the specific force
// over 10 ms between the previous rest and this one, within `impact_search_s`
// of the rest; IC is the onset of the landing's first sample-to-sample jump
// near it (see `first_fraction`). The contact's end shows as the end of the
// rest only for a flat foot (heel-off comes well before toe-off), so no TO
// and no contact time are reported: steps and cadence only, quality 0.5.
//
// Why not the impact peaks of ImpactStepDetector: a shoe's swing
// accelerations (toe-off, leg swing, terminal swing) are as large as its
// landing impact, so peaks alone find two or three "steps" per stride.
#pragma once

#include <Eigen/Core>
#include <deque>
#include <optional>
#include <utility>
#include <vector>

#include "sample_period.hpp"
#include "step.hpp"
#include "stride_autocorrelation.hpp"
#include "template_placement.hpp"

namespace gk {

struct FootRestDetectorSettings {
  double nominal_rate_hz = 0.0;
  pb::Placement placement = pb::PLACEMENT_UNKNOWN;
  double change_lag_s = 0.010;  ///< specific-force change measured over this lag
  /// A rest: specific force within this of the rest level ...
  double rest_magnitude_g = 0.1;
  /// The rest level is 1 g at first, then the median of the recent rests' mean magnitude,
  /// kept within this of 1 g: an accelerometer's scale error (1-3 %) and offset (40-100 mg on
  /// consumer parts) can put a still foot at 1.07 g, and then noise took its samples over
  /// 1 g + rest_magnitude_g often enough to lose whole rests (a simulated pair of shoes at
  /// 250 Hz with three times the noise, bias and scale error: 5 of 91 left steps lost, F1 0.986).
  double rest_level_max_offset_g = 0.15;
  /// ... changing by less than this over `change_lag_s` ...
  double rest_change_g = 0.1;
  /// ... for at least this long. A running foot is flat for 50-100 ms (a fast runner's, with
  /// contacts of 160 ms, about 45 ms), a walking one for 300 ms and more; mid-swing passes
  /// through 1 g only briefly. How long the foot was still is what its samples show: from the
  /// sample the first still one's change was measured from, one lag before it, to the last,
  /// each standing for one sample period. Measured from the first still sample to the last
  /// instead (up to 2026-12-03, with 40 ms), a rest needed 58 ms of stillness at 104 Hz against
  /// 50 at 1 kHz, and a fast runner's shoes at 100-128 Hz lost most steps (duty factor 0.26 at
  /// 4.1 m/s: F1 0.78 at 100 Hz, 0 at 104 Hz, 0.32 at 128 Hz).
  double rest_min_s = 0.045;
  /// One sample of a still run under way that misses the limits, but by less than this
  /// multiple of both, is held over: the run goes on if the next sample is still, and otherwise
  /// ended before it. Skog et al. 2010 average their test statistic over a window for the same
  /// reason, that a single noisy sample must not cut a rest. A running foot's rest is barely
  /// longer than rest_min_s, and one sample splitting it lost the step: simulated shoes with
  /// three times the noise, 102.4-833 Hz, lost one step in 60 s on four runs of the
  /// accelerometer-only transition sweeps (the change over the lag read 0.106-0.116 g on one
  /// sample of a rest whose others read 0.01-0.09 g). Holding every sample to the looser limits
  /// instead lengthened walking rests into the push-off, so that the next swing looked too short
  /// for a stride (ipol-walking without gyroscopes: F1 0.855 -> 0.839).
  double rest_hold_factor = 1.5;
  /// Motion between two rests shorter than this is a wobble within one
  /// stance (heel-off, a shift of weight), not a stride.
  double min_swing_s = 0.3;
  double impact_search_s = 0.3;  ///< impact looked for this long before a rest
  double impact_min_g = 0.5;     ///< smallest change over the lag that is an impact
  double impact_rel = 0.3;       ///< and this x median of the recent impacts
  double onset_search_s = 0.06;  ///< how far before the largest change the landing can lie
  /// The landing is timed on the jumps from one sample to the next, not on the change over the
  /// lag: a running foot decelerates before it lands, and that change over 10 ms (1-2.3 g on
  /// the simulator) is a quarter of the impact's, so the onset walked back into the swing. The
  /// landing is the first jump that reaches `first_fraction` of the largest within
  /// `first_search_s` before the largest change: a mid or forefoot landing's first transient,
  /// not the heel coming down 10-20 ms later, which can be the larger.
  double first_fraction = 0.5;
  double first_search_s = 0.030;
  /// Its onset: walked back while the jump before stays above this share of it, up to
  /// `onset_max_lead_s`.
  double jump_onset_fraction = 0.25;
  double onset_max_lead_s = 0.012;
  double min_stride_s = 2.0 * 60.0 / 285.0;  ///< plausibility gate: IC to IC of one foot
  /// A rest whose impact stays under the relative level, within this share of a stride of
  /// where the recent strides put the next landing, is still a step. A short landing spike can
  /// fall between two samples: at 100 Hz and a cadence near a multiple of the sample period, one
  /// stride in two or three showed 2.4 g against 23 g (a simulated shoe at 195.7 steps/min,
  /// duty factor 0.25: a third of the steps lost in stretches, F1 0.886). The rest after a swing
  /// is the evidence of the contact; the rhythm keeps a foot set down from standing, or a
  /// shuffle, out. Such a landing is timed at the largest change over the lag: the first-jump
  /// rule reached back into the swing's deceleration (up to 46 ms early). The same rule claims a
  /// clear landing in the last moments of the data, where no rest can follow it.
  double rhythm_tolerance = 0.25;
  /// Stride times that set the rhythm (at least this many recent ones, no gap between). With
  /// fewer, the stride is the autocorrelation's of the foot's acceleration, where the strides
  /// seen agree with it within rhythm_tolerance (a run's first strides: a simulated shoe at 100
  /// Hz and three times the noise lost its third landing to a spike between samples, and that
  /// one step put ten windows a step off, cadence error 1.0 steps/min).
  size_t rhythm_min_strides = 3;
  StrideAutocorrelationSettings autocorrelation;
  double gap_periods = 3.5;
  int64_t gap_min_us = 30'000;
  /// A dropout up to this long (a lost 20-sample packet: 0.1 s at 200 Hz,
  /// 0.2 s at 100 Hz) is bridged, as the gyro segmenter bridges it: a rest on
  /// both sides of it stays one rest, and a landing that fell into it is timed
  /// from the stride rhythm and marked `ic_in_hole`, never invented. Cutting
  /// the stretch there lost the step on each side of every hole (simulated
  /// shoes at 200 Hz with 3 % of packets lost: F1 0.938, cadence error 16.5
  /// steps/min). Longer gaps end the stretch (kDropoutBridgeMax_s, step.hpp).
  double dropout_bridge_max_s = kDropoutBridgeMax_s;
  /// Placing each landing between its samples by aligning its stride to the recent ones; the
  /// rhythm of those strides is not carried across a longer time between two landings.
  StrideTemplateSettings stride_template;
  double max_stride_s = 3.0;
};

class FootRestStepDetector final : public StepDetector {
 public:
  explicit FootRestStepDetector(const FootRestDetectorSettings& settings);
  void push(const ImuSample& sample) override;
  /// A landing at the end of the data, before its rest could show, is claimed where the recent
  /// strides expect it and its impact is clear (see rhythm_tolerance).
  void finish() override;
  void reset() override;
  int64_t horizon_us() const override;
  size_t buffered_samples() const override { return rows_.size(); }

 private:
  struct Row {
    int64_t t_us = 0;
    Eigen::Vector3d a_g = Eigen::Vector3d::Zero();
    double change_g = 0.0;  ///< |a(t) - a(t - lag)|, infinite while unknown
  };
  void on_rest(int64_t rest_from_us);
  /// Takes a finished rest's mean magnitude into the rest level.
  void learn_rest_level(double mean_g);
  /// Follows the runs of samples that change less than rest_change_g whatever their magnitude,
  /// and takes one that lasted a rest but held none into the rest level (within
  /// rest_level_max_offset_g of 1 g).
  void learn_from_calm(bool calm, double magnitude_g, int64_t t_us, int64_t prev_t_us);
  /// Where the next rest can begin at the earliest while none is under way: the current still
  /// run's first sample, or, before the first rest level is known, the current calm run's.
  int64_t earliest_rest_from_us() const;
  /// Where the recent strides put the next landing, and the stride; nullopt with fewer than
  /// min_strides (and at least one) stride times since the last gap.
  std::optional<std::pair<int64_t, int64_t>> expected_landing_us(size_t min_strides) const;
  /// Decides the held weak landing (pending_weak_us_) once the foot's period is known: taken
  /// where the rhythm expects it. Without a period it waits, unless last_chance (the next rest,
  /// the data's end) or a longest stride has passed.
  void resolve_pending_weak(bool last_chance);
  /// Reports a step at ic_us (quality and hole marks as given); false if under the stride gate.
  bool report(int64_t ic_us, double quality, bool in_hole);
  /// The row after the landing's onset, for the landing whose largest change over the lag is at
  /// row k; nullopt without a sample-to-sample jump (a hole).
  std::optional<size_t> landing_row(size_t k) const;
  /// IC of that landing: the middle of the two samples it began between ...
  int64_t landing_us(size_t k) const;
  /// ... or placed between them by the stride's alignment to the foot's recent strides (see
  /// stride_template), which takes the stride into the template.
  int64_t placed_landing_us(size_t k);
  void trim();

  /// Sizes the lag, the gap and the period for this sample rate (0: unknown).
  void retime(double rate_hz);

  FootRestDetectorSettings settings_;
  SamplePeriod period_;         ///< the rate the data has now (SamplePeriod)
  int64_t horizon_lag_us_ = 0;  ///< the longest lag_us_ since the start (horizon_us())
  size_t lag_n_ = 1;
  int64_t gap_us_ = 0;
  int64_t lag_us_ = 0;
  /// Sample period (0: unknown): each still sample stands for one (see rest_min_s).
  int64_t period_us_ = 0;
  std::deque<Row> rows_;
  /// Places each landing by aligning its stride to the foot's recent strides. The landing's
  /// jump is no short spike that the samples catch or miss (the shoe's first change is the
  /// swing's end and the sole's loading), so its error is not one-sided: the lag is the mean.
  TemplatePlacement template_placement_{settings_.stride_template,
                                        static_cast<int64_t>(settings_.max_stride_s * 1e6),
                                        /*impact_seen_late_only=*/false};
  std::optional<int64_t> quiet_from_us_;  ///< first sample of the current still run
  /// The still run's last still sample while the newest one is held over (rest_hold_factor).
  std::optional<int64_t> glitch_prev_us_;
  bool in_rest_ = false;
  std::optional<int64_t> last_rest_end_us_;
  std::optional<int64_t> last_ic_us_;
  std::vector<double> recent_impacts_;
  int64_t last_t_us_ = INT64_MIN;
  bool after_gap_ = false;
  int64_t bridge_us_ = 0;
  /// What a still foot reads (see rest_level_max_offset_g), the recent rests' mean magnitudes
  /// it is the median of, and the current still run's sum and count of magnitudes.
  double rest_level_g_ = 1.0;
  std::vector<double> rest_levels_g_;
  double still_sum_g_ = 0.0;
  size_t still_n_ = 0;
  /// The current calm run (change alone): its first sample, sum and count of magnitudes, and
  /// whether a rest was found in it.
  std::optional<int64_t> calm_from_us_;
  double calm_sum_g_ = 0.0;
  size_t calm_n_ = 0;
  bool calm_held_rest_ = false;
  /// The newest bridged hole (INT64_MIN: none yet).
  int64_t hole_start_us_ = INT64_MIN;
  int64_t hole_end_us_ = INT64_MIN;
  /// Recent strides (IC to IC of this foot, none across a hole or a gap):
  /// the rhythm a landing lost in a hole is timed from.
  std::deque<int64_t> stride_times_us_;
  /// The foot's acceleration magnitude, for its stride before the strides can say it.
  StrideAutocorrelation autocorrelation_{settings_.autocorrelation};
  /// A weak landing (under the relative impact level) at a bout's first strides, before the
  /// period could say whether the rhythm expects it: its IC, held until it can
  /// (resolve_pending_weak). The horizon waits for it.
  std::optional<int64_t> pending_weak_us_;
  /// While one is held, the period is asked every kPeriodQuery_s.
  static constexpr double kPeriodQuery_s = 0.1;
  int64_t next_period_query_us_ = INT64_MIN;
};

}  // namespace gk
