// Steps of an accelerometer-only shank sensor, from its own leg's impacts.
//
// At each landing the tibia is struck along its long axis: the axial specific
// force jumps by several g within a few milliseconds (tibial shock, Milner et
// al. 2006, Med. Sci. Sports Exerc. 38:323; its attenuation up the leg:
// Shorten & Winslow 1992, J. Appl. Biomech. 8:288). Nothing else in a stride
// changes the axial force that fast: the swing's accelerations are large but
// smooth, and mostly across the tibia. So each of this leg's contacts is the
// largest axial jump of its stride, and IC is the onset of the contact's first jump
// (the largest itself, or one just before it that the sampling caught lower).
//
// Why not the vertical loading peaks of ImpactStepDetector (used for the shank
// before 2026-12-03): a shank sees a peak at both feet's contacts, but the
// other foot's is the swinging leg's own centripetal rise, not a transmitted
// impact. On simulated running it began 45 ms before that contact, and 40-100
// ms-off steps took the cadence error of one shank to 3.1 steps/min. Steps are
// this leg's only, with its side: one shank gives every other step, and its
// cadence is twice its stride rate, as for one foot.
//
// No toe-off and no contact time are claimed. The shock (peak axial specific
// force within `shock_window_s` of IC, in g) is reported.
#pragma once

#include <Eigen/Core>
#include <deque>
#include <optional>
#include <vector>

#include "impact_placement.hpp"
#include "sample_period.hpp"
#include "step.hpp"
#include "stride_autocorrelation.hpp"
#include "template_placement.hpp"

namespace gk {

struct TibialImpactDetectorSettings {
  double nominal_rate_hz = 0.0;
  pb::Placement placement = pb::PLACEMENT_UNKNOWN;
  /// Averaging of the tibia's long axis: over strides the shank is near
  /// vertical on average, so the mean specific force points along it.
  double axis_time_constant_s = 2.0;
  /// The axis is first the mean over this much data (a stride or two), and
  /// no impact is looked for before it is known.
  double axis_warmup_s = 1.0;
  double change_lag_s = 0.010;  ///< the jump: axial force change over this lag
  /// Smallest jump over the lag that is an impact: walking heel strikes
  /// reach 1-2 g at the tibia, running ones 4-10 g; the swing's smooth
  /// accelerations change by well under 1 g in 10 ms.
  double impact_min_g = 0.6;
  double impact_rel = 0.25;  ///< and this x the median of the recent impacts
  /// A candidate under this x the median of the recent impacts waits a whole shortest stride
  /// for a larger jump before it is decided (half of one otherwise): it may be a swing's jump
  /// before the landing (TibialImpactStepDetector::process).
  double doubtful_share = 0.5;
  /// So does one that comes more than this share of this leg's stride before the landing its
  /// rhythm expects (a change of pace: the walk-to-run change).
  double doubtful_early = 0.2;
  /// One leg's contacts are a stride apart: at most 285 steps/min.
  double min_stride_s = 2.0 * 60.0 / 285.0;
  double max_stride_s = 3.0;      ///< longer: no stride time is claimed
  double onset_fraction = 0.25;   ///< IC: where the jump first passes this x its peak
  double onset_search_s = 0.030;  ///< how far before the peak that onset is looked for
  /// The strike is the first jump within first_search_s before the largest
  /// that reaches first_fraction x the largest, as the foot detector takes a
  /// landing's first jump (FootDetectorSettings::impact). The shock peak lasts
  /// a few milliseconds: at 100-200 Hz some strides' samples straddle it, and
  /// the loading rise 10-15 ms later is then the larger jump. A real tibia's
  /// rise over 10-20 ms is one jump, and this finds the same rise.
  double first_fraction = 0.3;
  double first_search_s = 0.020;
  /// A sudden axial drop just before the largest rise, at least this share of that rise (as
  /// first_fraction) and impact_min_g, is the shock's undershoot sampled where its spike fell
  /// between samples: the landing is timed at the drop (TibialImpactStepDetector::on_impact).
  double undershoot_share = 0.3;
  double shock_window_s = 0.06;  ///< tibial shock: peak axial force this long after IC
  /// Where between its two samples the landing happened. The landing's jump is known only to
  /// the pair of samples it fell between, and at 100-200 Hz the samples miss the simulated 4 ms
  /// shock at some sampling phases, so the jump taken there is the loading rise 10-15 ms later:
  /// the contact moved with the phase (an accelerometer-only shank at 200 Hz: 0-2 ms early on
  /// some strides, 10-12 ms late on others, IC error 5.4 ms). The loading rise into the stance
  /// is smooth: its crossing of loading_share of the way from the level before the landing to
  /// the stance plateau (the median from loading_plateau_from_s to loading_plateau_to_s after
  /// the jump), the last upward one within loading_search_s and timed between its samples, trails
  /// the landing by a steady lag. ImpactPlacement combines the two as at the gyro shank, taking
  /// the lag from the strides whose samples caught the shock. No crossing is looked for where
  /// the plateau stands less than loading_min_rise_g above the level before (a walking heel
  /// strike's slow loading).
  double loading_share = 0.5;
  double loading_plateau_from_s = 0.020;
  double loading_plateau_to_s = 0.040;
  double loading_search_s = 0.030;
  double loading_min_rise_g = 0.5;
  /// A rival for the largest jump: a separate jump (further than first_search_s from it,
  /// within rival_window_s) reaching rival_fraction of it. At 100 Hz the samples can miss
  /// the shock and spread the loading rise over three samples; a single jump of mid-stance
  /// (60-80 ms after the contact) was then the larger. When the stride rhythm is known (at
  /// least rhythm_min_strides strides), the jump nearer the landing it predicts is taken.
  /// Before the rhythm is known, an earlier rival is taken over the largest jump where the force
  /// it rose from (one lag before it) is at least rival_from_swing_g lower: a landing rises from
  /// the swing, a mid-stance rise after it from the loaded stance. Only an earlier one: a
  /// terminal swing's jolt can load the shank more than mid-stance does (a later rival rising
  /// from less took two strides 83 ms late on a 250 Hz shank). The rhythm then follows whichever
  /// jump the first strides took (a simulated shank at 250 Hz, averaged samples: the landing and
  /// a mid-stance rise 88 ms later both 1.83 g in the fourth stride, rising from 0.9 and 3.3 g;
  /// the later one, larger by a hair, was taken and every later stride followed it, F1 0.52).
  double rival_fraction = 0.5;
  double rival_window_s = 0.12;
  double rival_from_swing_g = 1.0;
  /// ... and at least this much earlier: a mid-stance rise comes 60-80 ms after the landing,
  /// while a jump up to a few tens of milliseconds before the largest is the landing's own
  /// approach (a knee re-flexing late in the swing jolts the shank 16-30 ms before contact, from
  /// a swing's low force too; taken, 5 runs of `--runner-variety` sweeps read 15-31 ms early).
  double rival_stance_min_s = 0.05;
  size_t rhythm_min_strides = 3;
  /// The rhythm chooses only while it is steady: every stride between the recent impacts within
  /// this share of their median. Across a change of pace (a walk into a run) the line through
  /// the recent impacts runs late: at 1 kHz it put a landing 56 ms after where it was, at the
  /// mid-stance rise, and every later stride followed that rhythm (49 ms late; a transitions
  /// sweep run). An unsteady rhythm leaves the choice to the rule for no rhythm.
  double rival_rhythm_tolerance = 0.15;
  /// A walking landing the samples caught weakly. In a stride where no jump reaches the impact
  /// level, the largest jump of at least weak_min_g (and weak_rel x the median of the recent
  /// impacts, weak ones left out) is taken, if it lies within weak_tolerance x the stride of a
  /// landing the rhythm expects. Why: a simulated walk at 100 Hz samples its 4 ms heel-strike
  /// spike at 0.28-0.35 g in about a third of the strides, while its swing's jumps stay under
  /// 0.1 g. The impact level itself is not lowered: a running swing's rises reach 0.3-0.6 g,
  /// and one taken for a landing held the real landing off (too close to it) and kept the
  /// detector on the swing, stride after stride (F1 0.07 on two sweep runs).
  double weak_min_g = 0.25;
  /// A walker's heel strikes sample at 0.3-1.4 g at 100 Hz, a runner's at 2-10 g.
  double weak_rel = 0.2;
  double weak_tolerance = 0.2;
  /// Only at walking stride times (under 141 steps/min; walking cadences are 85-130, running
  /// ones 150-200): a running landing clears the impact level even at 100 Hz, and a weak jump
  /// in a running stride was a swing's, taken 200 ms before the landing (the same lock).
  double weak_min_stride_s = 0.85;
  /// At running stride times, a weak landing is taken only as the next landing of a steady
  /// rhythm (the last weak_running_strides strides present and within this share of the
  /// rhythm's stride of it), within this share of the stride of where the rhythm predicts it.
  double weak_running_tolerance = 0.1;
  size_t weak_running_strides = 4;
  /// The rhythm behind the weak landing needs this many strides. It counts strides missed in
  /// between: each gap between recent impacts is divided by the number of strides it spans, as
  /// a rhythm that took every gap for one stride would never form while every third stride is
  /// weak. One stride is enough, as only walking strides without a clear impact use it.
  size_t weak_rhythm_min_strides = 1;
  /// The stride from the autocorrelation of the leg's acceleration (StrideAutocorrelation), used
  /// where the impacts cannot say it: after a single impact, and where every gap between the
  /// recent impacts is long enough to span two walking strides (2 x weak_min_stride_s). A walk
  /// from standing whose first heel strikes sample weakly took its first gap of two strides for
  /// one, and the weak landings it expected then fell between the real ones (a simulated 104 Hz
  /// shank at twice the noise: three of the walk's first seven landings missed).
  StrideAutocorrelationSettings autocorrelation;
  /// A gap counts as that many strides of the autocorrelation's where it lies within this share
  /// of one stride of a whole multiple (at least two) of it.
  double autocorrelation_multiple_tolerance = 0.15;
  double gap_periods = 3.5;
  int64_t gap_min_us = 30'000;
  /// Holes up to this long (a lost 20-sample packet) are bridged: no jump is
  /// measured across one, and a landing lost in it is lost, never invented (kDropoutBridgeMax_s,
  /// step.hpp).
  double dropout_bridge_max_s = kDropoutBridgeMax_s;
  /// Placing each landing between its samples by aligning its stride to the recent ones.
  StrideTemplateSettings stride_template;
};

class TibialImpactStepDetector final : public StepDetector {
 public:
  explicit TibialImpactStepDetector(const TibialImpactDetectorSettings& settings);
  void push(const ImuSample& sample) override;
  void finish() override;
  void reset() override;
  int64_t horizon_us() const override;
  size_t buffered_samples() const override { return rows_.size(); }

 private:
  /// Whether the candidate jump at row k is the first of a stretch (no impact within a longest
  /// stride before it), and whether it is doubtful (see doubtful_share, doubtful_early).
  bool starts_stretch(size_t k) const;
  bool is_doubtful(size_t k) const;
  struct Row {
    int64_t t_us = 0;
    Eigen::Vector3d a_g = Eigen::Vector3d::Zero();  ///< specific force, sensor frame
    double axial_g = 0.0;                           ///< along the tibia
    double change_g = 0.0;  ///< |(a(t) - a(t - lag)) . tibia|; negative: unknown
  };
  /// The axial force and its jump at row i, on the current axis.
  void measure(size_t i);
  /// Candidate and confirmation logic for row i.
  void process(size_t i);
  /// The weak rule (see weak_min_g) for row i: keeps it as weak_ where the rhythm expects a
  /// landing there.
  void consider_weak(size_t i);
  /// Whether a bout's first impact is waiting for its stride: the rows since it are held, as a
  /// weak second landing may lie among them (process()). Ends at the stride's arrival, the next
  /// impact or a longest stride after the first.
  bool looking_back() const;
  /// The earliest IC the weak rule may still find while looking_back().
  int64_t look_back_from_us() const;
  /// Smallest jump that is an impact, given the recent ones.
  double impact_level() const { return impact_level_g_; }
  /// This leg's stride from its recent impacts, robust to strides missed between them, and from
  /// the autocorrelation where the impacts cannot say it (see autocorrelation); nullopt before
  /// weak_rhythm_min_strides strides without an autocorrelation period.
  std::optional<double> stride_us() const;
  /// Recomputes the levels and the rhythm's stride from the recent impacts, which change only
  /// at an impact, a gap or a reset (not per sample: the medians copy and partly sort).
  void update_levels();
  /// Row k (the largest jump of its stride) or a rival nearer the stride rhythm.
  size_t choose_impact(size_t k) const;
  /// Reports the impact chosen for the stride whose largest jump is row k.
  void decide(size_t k);
  /// Reports the impact at row k; a weak one (see weak_min_g) with a lower quality.
  void on_impact(size_t k, bool weak = false);
  void trim();
  /// Sizes the lag and the gap for this sample rate (0: unknown).
  void retime(double rate_hz);

  TibialImpactDetectorSettings settings_;
  SamplePeriod period_;         ///< the rate the data has now (SamplePeriod)
  int64_t horizon_lag_us_ = 0;  ///< the longest lag_us_ since the start (horizon_us())
  size_t lag_n_ = 1;
  int64_t lag_us_ = 0;
  int64_t gap_us_ = 0;
  int64_t bridge_us_ = 0;
  Eigen::Vector3d axis_ = Eigen::Vector3d::Zero();
  bool axis_ready_ = false;
  std::deque<Row> rows_;
  std::optional<size_t> candidate_;  ///< largest jump since the last impact
  /// Largest weak jump (under the impact level) where the rhythm expects the next landing,
  /// while no candidate is seen; decided when the expected window has passed.
  std::optional<size_t> weak_;
  /// When the weak jump's window closes.
  int64_t weak_close_us_ = 0;
  /// Whether weak_ was found by looking back (looking_back()).
  bool weak_looked_back_ = false;
  double median_impact_g_ = 0.0;             ///< of the recent impacts; see update_levels()
  double impact_level_g_ = 0.0;              ///< see update_levels()
  double weak_level_g_ = 0.0;                ///< see update_levels()
  std::optional<double> rhythm_stride_us_;   ///< see update_levels()
  std::optional<int64_t> steady_rhythm_us_;  ///< see update_levels()
  std::optional<int64_t> last_impact_us_;
  std::optional<int64_t> last_ic_us_;
  std::vector<double> recent_impacts_;
  std::vector<int64_t> recent_peaks_us_;  ///< this leg's last impacts (largest jumps)
  int64_t last_t_us_ = INT64_MIN;
  /// First sample of the current stretch (after a reset or a gap), INT64_MIN before one.
  int64_t stretch_begin_us_ = INT64_MIN;
  bool after_gap_ = false;
  /// Places each landing between its two samples (see loading_share); impacts are seen late
  /// only: where the samples miss the shock, the jump taken is the loading rise after it.
  ImpactPlacement placement_{/*impact_seen_late_only=*/true};
  /// The leg's acceleration magnitude, for its stride period (see autocorrelation).
  StrideAutocorrelation autocorrelation_{settings_.autocorrelation};
  /// While the stride rests on the autocorrelation alone, it is asked again every kQueryBins
  /// bins (see process()).
  static constexpr double kQueryBins = 5.0;
  int64_t next_period_query_us_ = INT64_MIN;
  /// Places each landing by aligning its stride to the leg's recent strides; impacts are seen
  /// late only, as above.
  TemplatePlacement template_placement_{settings_.stride_template,
                                        static_cast<int64_t>(settings_.max_stride_s * 1e6),
                                        /*impact_seen_late_only=*/true};
  /// The landing whose jump (midpoint impact_us) fell between rows j-1 and j, placed between
  /// them by a feature that trails it steadily (see the definition).
  int64_t place_between_samples(size_t j, int64_t impact_us);
  /// The loading rise's crossing after the landing's jump at row j (see loading_share), between
  /// samples; nullopt without a clear rise.
  std::optional<double> loading_crossing_us(size_t j) const;
};

}  // namespace gk
