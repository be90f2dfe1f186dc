// Steps from the loading peaks of an accelerometer-only trunk sensor
// (pelvis/sacrum). Fewer metrics, clearly marked: IC and cadence are sound,
// the contact time is an estimate flagged unreliable. (A shoe without
// gyroscope has FootRestStepDetector, a shank TibialImpactStepDetector.)
//
// The vertical is the mean direction of the specific force (over strides a
// runner's centre of mass does not accelerate, so the mean is +1 g up). Each
// ground contact loads the body: one peak of vertical specific force per
// step. IC is where the rise that leads to the peak leaves the low-force
// flight or swing phase (Lee et al. 2010, J. Sports Sci. 28:559 for sacral
// accelerometry in running): the landing's first sharp rise where one comes
// before 10 % of the way up, else that 10 % crossing. A walker has no flight
// (the floor stays above half body weight): there IC is the steepest rise
// between the body-weight crossing and the peak, the collision that ends the
// inverted pendulum's vault (see on_peak()).
#pragma once

#include <Eigen/Core>
#include <array>
#include <deque>
#include <optional>
#include <vector>

#include "impact_placement.hpp"
#include "sample_period.hpp"
#include "step.hpp"

namespace gk {

struct ImpactDetectorSettings {
  double nominal_rate_hz = 0.0;
  pb::Placement placement = pb::PLACEMENT_UNKNOWN;
  double gravity_time_constant_s = 2.0;  ///< averaging of the vertical direction
  double smoothing_s = 0.010;            ///< moving average before peak picking
  double peak_min_g = 1.25;              ///< vertical specific force of a contact peak
  double peak_rel = 0.5;                 ///< and this x median of recent peaks
  /// A step whose loading peak stays under peak_min_g (a slow walker's, or the step where a
  /// walk blends into a run: a simulated pelvis read 1.15-1.21 g there against 1.24-1.37 g for
  /// the walk's steps) is taken where the step rhythm leaves room for exactly one: when the next
  /// peak comes weak_gap_min_steps to weak_gap_max_steps typical steps (the upper median of the
  /// recent step times, at least weak_rhythm_min_steps of them) after the last, the local peak
  /// of at least weak_peak_min_g nearest one typical step after the last peak, within
  /// weak_tolerance x that step, is a contact. Marked (`ic_weak_peak_by_rhythm`), quality lower.
  /// When no peak over the level has come by the end of that window (plus the half shortest
  /// step that confirms a peak), the weak one is taken then, without waiting for a next strong
  /// peak: a walker whose peaks all stay under peak_min_g keeps being counted as long as each
  /// step's peak comes in the rhythm (a simulated pelvis walking at 110 steps/min with peaks of
  /// 1.20-1.24 g lost four steps in a row, all under the level, the walk's end after them).
  ///
  /// The first step of a bout (from standing, a simulated pelvis: 1.18-1.24 g, after a weight
  /// shift as high 0.33 s before it) has no rhythm before it: a bout's first peak (none within
  /// max_step_s before it) is held until its second, and the local peak of at least
  /// weak_peak_min_g nearest one step (first to second peak) before the first, within
  /// weak_tolerance x that step, is a contact. Only where such a weak peak lies within
  /// (1 + weak_tolerance) x max_step_s before the first is it held, and the horizon kept at the
  /// earliest one's rise. That step is reported at the second peak, a little over a stride after
  /// its IC (a simulated walk at 110 steps/min: 1.22 s for a stride of 1.09 s).
  double weak_peak_min_g = 1.1;
  /// A walk whose peaks all stay under peak_min_g has no strong peak to start its rhythm (a
  /// simulated pelvis walking at 110 steps/min read 1.20-1.24 g on every step). Where no rhythm
  /// is known, weak_start_peaks local peaks of at least weak_peak_min_g in a row, each step
  /// between them within weak_start_tolerance of the one before (and at least a shortest step,
  /// at most a longest), the force dipping at least weak_start_dip_g under the lower peak of
  /// each pair, are contacts: a rhythm that standing, swaying or a slow lean does not make.
  /// Taken at the last one's confirmation, so the first of them is reported about three steps
  /// after its IC. Marked as weak peaks (`ic_weak_peak_by_rhythm`).
  size_t weak_start_peaks = 4;
  double weak_start_tolerance = 0.15;
  double weak_start_dip_g = 0.15;
  double weak_gap_min_steps = 1.6;
  double weak_gap_max_steps = 2.5;
  double weak_tolerance = 0.3;
  size_t weak_rhythm_min_steps = 3;
  /// A running landing whose loading peak the data's end cut off: where the longest stretch
  /// under the unloading level (half body weight) since the last contact's peak lasted at least
  /// end_flight_min_s (a flight, not a dip inside stance) and ended at most end_landing_max_s
  /// before the data, with the force at the end at least end_landing_min_g (the landing well
  /// under way: sacrum-running's trial14 ends with a rise to 0.55 g that its force plate does not
  /// count as a contact), the last row stands in for the peak. Marked (`ic_at_data_end`), quality
  /// lower, no toe-off.
  double end_landing_max_s = 0.1;
  double end_flight_min_s = 0.04;
  double end_landing_min_g = 0.75;
  /// A run started from standing begins with a push-off: the trunk dips (unweighting) and is
  /// loaded above body weight by the legs still on the ground, then flies (a simulated pelvis:
  /// 1.0 g, a dip to 0.33 g, 1.8-2.0 g, -0.2 g). That loading is no landing. A contact whose
  /// force stayed within standstill_range_g over the standstill_s before its rise's foot
  /// (ending standstill_dip_s before it, clear of the dip) and whose next contact rises from a
  /// flight is dropped as that push-off (`push_offs_from_standing`). A walk's first step from
  /// standing is followed by no flight and stays.
  double standstill_s = 0.6;
  double standstill_dip_s = 0.15;
  double standstill_range_g = 0.15;
  double min_step_s = 60.0 / 285.0;  ///< plausibility gate on the step time
  double max_step_s = 1.5;
  /// A contact with no next one after this many typical steps (the recent
  /// steps' upper median; max_step_s before there are any) is reported: the
  /// wearer stopped on it, or the next landing was weak (see weak_peak_min_g) and
  /// is decided only at the one after. Under 2, so that the contact is out within
  /// a stride of its IC (2.5 held the walk's last step before a weak one 1.33 s,
  /// its stride 1.09 s); its flight ends its contact within a typical step, and
  /// lows after that belong to the next contact. Never before the next contact
  /// can have been confirmed (a typical step, plus rise_search_s and half a
  /// shortest step): a runner's steps of 0.3 s were otherwise released just
  /// before their next one, their flight not yet seen whole.
  double overdue_steps = 1.9;
  double rise_search_s = 0.25;  ///< how far before a peak its foot is looked for
  /// The landing's first transient (see on_peak()): the unsmoothed force's rise over
  /// transient_lag_s, first reaching transient_fraction x the largest such rise between
  /// transient_search_s before the rise's foot and the peak; its onset where that rise first
  /// passes transient_onset_fraction x its own top. A sensor that averages over its sample
  /// period (as converters that decimate do) shows a landing spike shorter than the period as
  /// a jump of its duration's share: a 3 ms spike at 200 Hz read 0.4-0.5 of the loading rise's
  /// largest rise, so at 0.5 the rule missed it on 186 of 192 contacts and every IC came 8 ms
  /// late (docs/ACCURACY.md, "Sensors that average over their sample period"). Point-sampled,
  /// a spike is caught whole or not at all, and 0.3 changed no run's status.
  double transient_lag_s = 0.010;
  double transient_fraction = 0.3;
  double transient_onset_fraction = 0.25;
  double transient_search_s = 0.040;
  /// A contact whose floor (the smoothed force's low before its rise) is at least this is a
  /// walking contact, timed at its steepest rise (see on_peak()): a simulated walker reads
  /// 0.6-0.8 g there (the inverted pendulum's mid-stance low), a runner's flight under 0.35 g,
  /// and the real sacral running steps between the two are left to the running rule.
  double walk_floor_g = 0.5;
  double gap_periods = 3.5;
  int64_t gap_min_us = 30'000;
  /// A dropout up to this long (one lost 20-sample packet is 0.1 s at 200 Hz,
  /// 0.2 s at 100 Hz) is bridged, as the gyro segmenter bridges it: the peaks on
  /// both sides stay comparable and a contact whose rise falls in the hole is
  /// timed across it and marked `ic_in_hole`, never invented. Cutting the stretch
  /// there lost the contacts on both sides of every hole (simulated pelvis, 3 % of
  /// packets lost: 11 of 170 steps, cadence error 10 steps/min). Longer gaps end
  /// the stretch (kDropoutBridgeMax_s, step.hpp).
  double dropout_bridge_max_s = kDropoutBridgeMax_s;
};

class ImpactStepDetector final : public StepDetector {
 public:
  explicit ImpactStepDetector(const ImpactDetectorSettings& settings);
  void push(const ImuSample& sample) override;
  void finish() override;
  void reset() override;
  int64_t horizon_us() const override;
  size_t buffered_samples() const override { return rows_.size(); }

 private:
  /// Sizes the moving average, the transient's lag and the gap for this sample rate (0: unknown).
  void retime(double rate_hz);
  struct Row {
    int64_t t_us = 0;
    double v_g = 0.0;      ///< smoothed vertical specific force in g
    int64_t raw_t_us = 0;  ///< the newest sample's own time
    double raw_v_g = 0.0;  ///< its vertical specific force, unsmoothed
  };
  /// Onset of the landing's first sharp rise of the unsmoothed force, its rows in (from, k];
  /// nullopt where none is seen.
  /// The rise taken is the first reaching `fraction` of the largest (1: the largest itself).
  std::optional<double> first_transient_us(size_t from, size_t k, double fraction) const;
  /// Confirms the loading peak at row k, first taking a weak peak the rhythm expects before it
  /// (see weak_peak_min_g).
  void on_peak(size_t k);
  enum class Peak {
    kConfirmed,  ///< over the peak level
    kWeak,       ///< under it, where the rhythm expects one (weak_peak_min_g)
    kDataEnd,    ///< the last row, a landing's rise cut off by the end of the data
  };
  /// The contact whose loading peak is row k.
  void contact_at_peak(size_t k, Peak kind);
  /// The last row, where the data ends during a running landing's rise (see
  /// end_landing_max_s); nullopt otherwise.
  std::optional<size_t> landing_at_data_end() const;
  /// Row of the weak peak the rhythm expects before the confirmed peak at row k, if any.
  std::optional<size_t> weak_peak_before(size_t k) const;
  /// The weak peak the rhythm expected after the last peak, once its window has passed with no
  /// peak over the level (row time t_us); searched once per last peak.
  std::optional<size_t> weak_peak_overdue(int64_t t_us);
  /// Follows the weak local peaks while no rhythm is known (see weak_start_peaks) and takes
  /// them as contacts once they make one; row i is the newest.
  void track_weak_start(size_t i);
  /// A weak local peak confirmed at t_us (see track_weak_start).
  void on_weak_start_peak(int64_t t_us);
  /// The row of the local peak of at least weak_peak_min_g nearest expected_us, within
  /// tolerance_us of it and in [earliest_us, latest_us].
  /// `earliest_wins`: the first such peak instead of the nearest.
  std::optional<size_t> weak_peak_near(double expected_us, double tolerance_us, double earliest_us,
                                       double latest_us, bool earliest_wins = false) const;
  /// Reports the bout's held first peak, with a weak step one step before it where the next
  /// peak (INT64_MAX: none) shows one.
  void resolve_deferred(int64_t next_peak_us);
  /// How far back rows are kept while a bout's first peak is held.
  int64_t first_step_rows_from_us(int64_t first_peak_us) const;
  size_t row_at(int64_t t_us) const;
  /// Whether a peak confirmed at peak_us may have a weak one before it: the rhythm is known and
  /// the gap since the last peak is not over weak_gap_max_steps.
  bool weak_peak_possible(int64_t peak_us) const;
  void settle(size_t k);
  /// Notes where the force crosses the unloading level between rows i-1
  /// and i: the stretches below it after the pending contact's peak.
  void track_unloading(size_t i);
  /// Whether the trunk stood still before the rise whose foot is row `foot` (standstill_s).
  bool from_standstill(size_t foot) const;
  /// Reports the pending contact, ended where its flight begins before
  /// `next_ic_us` (no stretch below the level: no TO).
  void release_pending(int64_t next_ic_us);

  ImpactDetectorSettings settings_;
  Eigen::Vector3d up_ = Eigen::Vector3d::Zero();
  bool up_ready_ = false;
  struct Raw {
    int64_t t_us = 0;
    Eigen::Vector3d acc = Eigen::Vector3d::Zero();
  };
  std::deque<Raw> raw_;  ///< for the moving average
  Eigen::Vector3d raw_sum_ = Eigen::Vector3d::Zero();
  int64_t raw_t_sum_us_ = 0;  ///< sum of raw_'s times: the average's centre
  std::deque<Row> rows_;
  std::optional<size_t> candidate_;
  /// The highest row over weak_peak_min_g since the last weak start peak, not yet confirmed.
  std::optional<Row> weak_top_;
  /// Times of the weak local peaks in a row while no rhythm is known (weak_start_peaks).
  std::vector<int64_t> weak_start_us_;
  /// The weak peaks made a rhythm; the steady ones after them are contacts at once.
  bool weak_started_ = false;
  std::optional<int64_t> last_peak_us_;
  /// A bout's first peak, held until its second (see weak_peak_min_g); last_peak_us_ before it.
  std::optional<int64_t> deferred_peak_us_;
  std::optional<int64_t> before_deferred_peak_us_;
  /// While held: no IC before the rise of the earliest weak peak that could be its first step.
  int64_t deferred_horizon_us_ = INT64_MIN;
  /// IC known; reported at the next contact (or a gap, a stop, the end),
  /// when the flight that ends it can be told from dips inside stance.
  std::optional<DetectedStep> pending_;
  bool pending_push_off_ = false;  ///< pending_ rose from standing (see standstill_s)
  struct Low {
    int64_t from_us = 0;        ///< force fell below the unloading level
    int64_t to_us = INT64_MAX;  ///< and rose again (max: not yet)
  };
  std::vector<Low> lows_;  ///< after the pending contact's peak
  std::vector<double> recent_peaks_;
  double recent_peak_median_ = 0.0;    ///< cached: changes only at a peak
  std::vector<double> recent_floors_;  ///< the force at the foot of recent rises
  int64_t last_t_us_ = INT64_MIN;
  /// The last peak after which an overdue weak peak was last searched (weak_peak_overdue).
  int64_t overdue_searched_after_us_ = INT64_MIN;
  int64_t gap_us_ = 0;
  int64_t bridge_us_ = 0;
  /// The newest bridged hole (INT64_MIN: none yet): a contact whose rise
  /// spans it is marked.
  int64_t hole_start_us_ = INT64_MIN;
  int64_t hole_end_us_ = INT64_MIN;
  /// The last contact's IC and the recent step times (IC to IC, none across
  /// a hole or a gap): a landing lost in a hole is timed from that rhythm.
  std::optional<int64_t> last_ic_us_;
  std::deque<int64_t> step_times_us_;
  double typical_step_us_ = 0.0;  ///< their upper median, cached at each step
  /// How long a pending contact waits for the next (see overdue_steps); cached at each step.
  int64_t overdue_us_ = 0;
  bool after_gap_ = false;
  SamplePeriod period_;  ///< the rate the data has now (SamplePeriod)
  size_t smoothing_n_ = 1;
  size_t transient_lag_n_ = 1;
  /// The landing's onset against the rise's steadier midpoint (see on_peak()); a landing spike
  /// is seen late if missed, never early. One per leg: the trunk's steps alternate between them,
  /// and a runner whose contacts differ between the legs loads the trunk at a rate of each leg's
  /// own, so the midpoint trails the onset by a lag of each leg's own (a simulated runner with
  /// contacts 6.4 % longer on the left: 4.4 ms apart, and every right contact 4.4 ms early
  /// with one lag for both). leg_ is the one the next step takes; a pause starts both afresh,
  /// as which leg steps first after it is not known.
  std::array<ImpactPlacement, 2> placements_{ImpactPlacement{true}, ImpactPlacement{true}};
  size_t leg_ = 0;
  /// The pending contact is a bout's first: none before it, or a longest step since the last.
  bool pending_opens_bout_ = false;
};

}  // namespace gk
