// Stride segmentation from the sagittal (pitch) angular rate of a foot or
// shank sensor, mounting-agnostic.
//
// The dominant rotation of a leg segment while walking or running is about
// the medio-lateral axis, and its largest sustained lobe is the swing (the
// segment swings forward). We find that axis as the principal axis of the
// gyroscope covariance, orient it so that swing is positive, and cut the
// signal at mid-swing peaks (MS). Each MS-to-MS cycle contains exactly one
// ground contact, so the events of that contact are looked for inside it
// (Falbriard et al. 2018, Front. Physiol. 9:610; Aminian et al. 2002,
// J. Biomech. 35:689 for the shank). Subclasses say which features are IC
// and TO for their segment.
#pragma once

#include <Eigen/Core>
#include <algorithm>
#include <boost/circular_buffer.hpp>
#include <cassert>
#include <cstdint>
#include <optional>
#include <vector>

#include "step.hpp"

namespace gk {

/// Share of a typical stride past its mid-swing by which a foot has landed: a tail cycle holding
/// less has at most the landing's first moments (GyroSegmenterSettings::tail_min_share).
inline constexpr double kFootTailShare = 0.3;

struct GyroSegmenterSettings {
  double nominal_rate_hz = 0.0;     ///< 0 = unknown (gap limit then gap_min_us)
  double swing_peak_min_rps = 1.5;  ///< walking mid-swing ~4-6 rad/s, running 10-20
  /// A mid-swing must exceed this x the median of the recent peaks. A step
  /// inside a turn swings the foot partly about the vertical, and its
  /// sagittal peak falls to a quarter to a third of the straight-line one
  /// (pivot steps of U-turns in ipol-walking); an impact or a stance
  /// wobble stays lower still and is also rejected by the width and
  /// stance-between checks.
  double swing_peak_rel = 0.25;
  double min_stride_s = 0.42;  ///< 285 steps/min upper plausibility gate
  double max_stride_s = 2.5;   ///< slower than this is not one stride
  /// A contact after the last mid-swing with no next one to close its cycle (the data's end, a
  /// stop) is looked for only where the data reaches this share of a typical stride past that
  /// mid-swing: a foot lands about a third of a stride after it.
  double tail_min_share = kFootTailShare;
  double peak_confirm_s = 0.06;     ///< a peak is final when nothing higher follows this long
  double min_swing_width_s = 0.05;  ///< a swing stays above half its peak at least this long
  double axis_warmup_s = 2.0;       ///< data span needed to find the pitch axis
  /// Of that span, this much motion (rate above half swing_peak_min_rps): a
  /// couple of walking strides.
  double axis_min_moving_s = 1.2;
  /// After the axis is found, the second moment of the rates keeps
  /// accumulating over each stride, and the axis is re-derived from it at
  /// each mid-swing until it holds this much motion (three times what found
  /// it: a few strides); from then on only axis_follow_rate moves it.
  /// 0 = off.
  double axis_settle_moving_s = 3.6;
  /// kAfterStillness: net stillness votes (one per stance seen) that decide
  /// the sign (a single vote does where the swing-lobe durations agree with
  /// it); with fewer the decision waits for more strides ...
  int sign_min_votes = 2;
  /// Whether a single vote decides where the swing-lobe durations agree with it (off: only
  /// sign_min_votes do, and past the wait the thin fallback below).
  bool sign_one_vote_with_lobes = true;
  /// ... but not beyond this much motion, nor once the buffer kept for the
  /// wait is full (then a single vote or the lobe durations decide).
  double sign_wait_max_s = 4.0;
  /// kAfterStillness: the axis and its sign may also be decided on the first stride between two
  /// rests, before axis_warmup_s, where the stride's own path confirms them: the segment went
  /// forward (its strapdown displacement between the rests, horizontal part at least
  /// first_stride_min_m) along up x axis to within first_stride_max_angle_deg, the axis of the
  /// stride's rates lying within that angle of horizontal. A foot's path tells the direction of
  /// travel without knowing the axes; the rates' principal axis alone needs about two strides
  /// (gait initiation and first turns rotate the foot about other axes, which the path test
  /// rejects), and the stance votes need a stance after the swing. The stances of the next few
  /// cycles check the decision (DetectorFlags::first_stride_confirmed). The path is read in a
  /// right-handed frame: a sensor whose axes are mirrored fools it, and those stances say so.
  bool axis_from_first_stride = false;
  /// A sign decided on thin evidence (the fallback past sign_wait_max_s, or one stride's path) is
  /// reversed once this many stances in a row, checked after it, contradict it (none agreeing in
  /// between): the rows still buffered are read again with the other sign and the contacts from
  /// then on are timed on the right lobe (DetectorFlags::sign_reversed_t_us). Once only. 0 =
  /// never. (A run rather than a net count: a sensor that turned over after the decision, or a
  /// decision borne out by its first stances and contradicted by all after, is reversed as soon.)
  int sign_reverse_votes = 3;
  double first_stride_min_m = 0.3;
  double first_stride_max_angle_deg = 25.0;
  double axis_follow_rate = 0.1;  ///< per-stride update of the axis (slow slips)
  /// Keep the pitch axis perpendicular to gravity as read while the segment
  /// is still. True for a foot (foot_segmenter_defaults()): it is still only at mid-stance, flat on
  /// the ground, where its medio-lateral (pitch) axis is horizontal. Without it the principal axis
  /// of the rates leans toward the vertical by the foot's yaw during swing, and a turning step,
  /// which swings the foot mostly about the vertical, loses a third of its sagittal peak (2.3
  /// -> 1.5 rad/s, under the gate, in an ipol-walking U-turn).
  bool axis_horizontal_at_rest = false;
  double gap_periods = 3.5;     ///< dt above this many nominal periods = gap
  int64_t gap_min_us = 30'000;  ///< but never below this
  /// A dropout up to this long is bridged, not treated as a gap: the events
  /// are timed from timestamps and a cycle is delimited by the mid-swings
  /// on both sides of it, so a contact whose landing falls in the hole is
  /// mistimed, never invented. Such a step is marked (lower quality;
  /// contact time unreliable when the hole is inside the contact;
  /// `ic_in_hole` when it is where the IC was looked for, so the merger
  /// trusts any other sensor's report of that contact over it; no stride
  /// length across a hole over 0.1 s). One lost 20-sample packet is a 0.1 s
  /// hole at 200 Hz, 0.2 s at 100 Hz: cutting the stretch there lost the
  /// stride around each (docs/ACCURACY.md, "Lost packets"). Longer gaps
  /// end the stretch (kDropoutBridgeMax_s, step.hpp).
  double dropout_bridge_max_s = kDropoutBridgeMax_s;
  pb::Placement placement = pb::PLACEMENT_UNKNOWN;
  /// How the sign of the pitch axis is decided (see find_axis()).
  enum class SignRule {
    kAfterStillness,  ///< foot: the first rotation after the stillest moment is heel-off
    kLongestLobe,     ///< the swing lobe lasts longest (fallback)
    kLargestPeak,     ///< shank: the swing (ankle passing the knee) is the fastest rotation
  } sign_rule = SignRule::kLongestLobe;
};

/// One buffered sample with its projection on the pitch axis.
struct GyroRow {
  int64_t t_us = 0;
  Eigen::Vector3d w = Eigen::Vector3d::Zero();  ///< rad/s, sensor frame
  Eigen::Vector3d a = Eigen::Vector3d::Zero();  ///< m/s^2, sensor frame
  double p = 0.0;                               ///< pitch rate, + = swing direction
};

/// The segmenter's window of rows: a ring buffer (Boost.CircularBuffer), not
/// a deque. Every sample indexes it several times and a deque index costs a
/// block lookup (eight 64-byte rows per libstdc++ block); the ring's is an
/// add and a compare. Its capacity is grown by the owner before it fills
/// (a full circular_buffer would overwrite its oldest row).
using GyroRows = boost::circular_buffer<GyroRow>;

/// Calls f(row) for rows [lo, hi] of the ring in order, until f returns false. The rows lie in
/// at most two contiguous arrays (the ring's storage before and after its wrap); walking those
/// by pointer costs no wrap test per step, which the scans over every row of a stride (the
/// strapdown integration, the pitch-rate minimum) notice at 1 kHz. Returns false if f stopped
/// the walk.
template <typename F>
bool for_each_row(const GyroRows& rows, size_t lo, size_t hi, F&& f) {
  assert(lo > hi || hi < rows.size());
  const auto one = rows.array_one();
  const auto two = rows.array_two();
  for (size_t i = lo; i <= hi && i < one.second; ++i) {
    if (!f(one.first[i])) return false;
  }
  const size_t from = lo > one.second ? lo - one.second : 0;
  if (hi < one.second) return true;
  for (size_t i = from; i <= hi - one.second && i < two.second; ++i) {
    if (!f(two.first[i])) return false;
  }
  return true;
}

/// Index of the row at exactly t_us (the rows are in time order); nullopt when no row is.
inline std::optional<size_t> row_at_time(const GyroRows& rows, int64_t t_us) {
  const auto it = std::lower_bound(rows.begin(), rows.end(), t_us,
                                   [](const GyroRow& r, int64_t t) { return r.t_us < t; });
  if (it == rows.end() || it->t_us != t_us) return std::nullopt;
  return static_cast<size_t>(it - rows.begin());
}

/// A cycle shorter than this is a running stride (over 150 steps/min; people walk at up to
/// about 130-140, Hreljac 1993, Med. Sci. Sports Exerc. 25:1158 for the walk-run transition).
/// The foot and shank detectors treat running and walking strides apart where a walker's swing
/// can end early (slowing, stopping, turning).
inline constexpr int64_t kRunningStride_us = 800'000;

/// One MS-to-MS cycle. At the ends of the data (start, end, either side of
/// a gap) the cycle is partial: the missing mid-swing is placed one typical
/// stride away, and events that fall outside the data are not claimed.
struct StrideSpan {
  const GyroRows* rows = nullptr;
  size_t begin = 0;        ///< first row of the cycle that exists
  size_t end = 0;          ///< last row of the cycle that exists (inclusive)
  int64_t t_begin_us = 0;  ///< mid-swing opening the cycle (may precede the data)
  int64_t t_end_us = 0;    ///< mid-swing closing it (may follow the data)
  bool truncated_head = false;
  bool truncated_tail = false;
  bool end_estimated = false;  ///< closing mid-swing not seen (stop or end of data)
  /// Two rows further apart than this have lost samples between them (a bridged dropout).
  int64_t hole_us = INT64_MAX;
  Eigen::Vector3d axis = Eigen::Vector3d::UnitY();
};

class GyroStrideSegmenter : public StepDetector {
 public:
  explicit GyroStrideSegmenter(const GyroSegmenterSettings& settings);

  void push(const ImuSample& sample) override;
  void finish() override;
  void reset() override;
  int64_t horizon_us() const override;

  /// Unit pitch axis in the sensor frame (swing positive); nullopt before
  /// enough motion was seen.
  std::optional<Eigen::Vector3d> pitch_axis() const;
  /// Samples held for cycles still open (memory is this x 64 bytes); at
  /// most a few strides, also while the wearer stands (idle_trim()).
  size_t buffered_samples() const override { return rows_.size(); }

 protected:
  /// Finds the contact inside one MS-to-MS cycle; nullopt to reject it.
  virtual std::optional<DetectedStep> analyze(const StrideSpan& span) = 0;
  /// How many rows before the previous MS the subclass needs kept.
  virtual double context_s() const { return 0.1; }
  /// The swing's sign was reversed (GyroSegmenterSettings::sign_reverse_votes): what the subclass
  /// learned from the cycles before was learned on the wrong lobe.
  virtual void on_sign_reversed() {}

  const GyroSegmenterSettings& settings() const { return settings_; }
  /// A step between two rows longer than this is a dropout (bridged up to
  /// dropout_bridge_max_s, a gap beyond): samples were lost there.
  int64_t hole_us() const { return gap_us_; }
  /// Whether the mid-swing opening the cycle was sampled on both sides (no hole next to its row):
  /// only then does the time from it to the landing, steady from stride to stride, say where a
  /// landing lost in a hole lies.
  /// (Two rows either side: a peak one row from a hole may be the shoulder of one inside it.)
  bool opening_mid_swing_seen(const StrideSpan& span) const {
    const GyroRows& rows = *span.rows;
    const size_t b = span.begin;
    if (span.truncated_head || b + 2 >= rows.size()) return false;
    for (size_t i = b > 2 ? b - 2 : 0; i < b + 2; ++i) {
      if (rows[i + 1].t_us - rows[i].t_us > gap_us_) return false;
    }
    return true;
  }
  /// The rows kept: back to the last mid-swing's context; while no
  /// mid-swing comes (after a stop or a gap), the last max_stride_s +
  /// context_s() (the window a turn step needs: see FootStepDetector).
  const GyroRows& rows() const { return rows_; }
  /// Time of the last confirmed mid-swing; nullopt before the first (or
  /// after a gap).
  std::optional<int64_t> last_mid_swing_us() const {
    return last_peak_ ? std::optional<int64_t>(last_peak_t_us_) : std::nullopt;
  }

 private:
  void accept(const GyroRow& row);
  void process(size_t index);
  void find_axis();
  /// While the axis is unknown: follows the rests (rows still and reading gravity alone), and at
  /// each new rest after a fast rotation tries the first-stride decision
  /// (GyroSegmenterSettings::axis_from_first_stride) on the stride from the rest before.
  void track_rest(const GyroRow& row);
  void first_stride_axis(int64_t t0_us, int64_t t1_us, int64_t rest_begin_us, int64_t rest_end_us);
  /// Motion that counts toward finding the axis (standing does not).
  bool counts_as_motion(const Eigen::Vector3d& w) const {
    return w.norm() > 0.5 * settings_.swing_peak_min_rps;
  }
  bool wide_enough(size_t k) const;
  struct SignDecision {
    int sign = 0;       ///< +1: positive rotation about the axis is the swing; -1 opposite
    bool thin = false;  ///< kAfterStillness decided without sign_min_votes stances
  };
  /// sign 0 while the evidence is too thin to decide (see sign_min_votes; for the shank, close
  /// lobes that no impact tells apart, over less than twice axis_min_moving_s of motion),
  /// unless must_decide.
  SignDecision swing_sign(const Eigen::Vector3d& axis, double peak, double moving_s,
                          bool must_decide) const;
  /// +1 where rotation about axis spends longer above 0.2 * peak than below
  /// -0.2 * peak (the swing lobe is the longest), else -1.
  int lobe_sign(const Eigen::Vector3d& axis, double peak) const;
  /// The median, over the peaks of sign * pitch rate above `level`, of the largest
  /// specific-force change over 10 ms in the 80 ms before the peak: a landing's impact comes
  /// just before the stance's fastest rotation, never just before mid-swing.
  double impact_before_peaks_g(const Eigen::Vector3d& axis, int sign, double level) const;
  /// How much data is kept while the pitch axis is not known.
  double undecided_keep_s() const;
  /// horizon_us() while the pitch axis is not known.
  int64_t undecided_horizon_us() const;
  void on_peak(size_t index);
  void trim();
  /// trim() while no mid-swing comes (standing after a stop, after a gap).
  void idle_trim();
  /// After a stop: whether the next mid-swing may still close the cycle
  /// from the last one (its closed tail found no contact).
  bool cycle_can_reopen() const;
  void clear_after_gap();
  void close_tail();
  void emit(const StrideSpan& span);
  /// The full cycle between two mid-swings (row indices).
  StrideSpan cycle(size_t begin, size_t end) const;
  void note_stride(int64_t stride_us);
  /// Counts one checked stance's vote on a thin sign (confirmed, contradicted: the flags of the
  /// decision) and reverses the sign where the votes against it reach sign_reverse_votes.
  /// Returns true when it reversed: the peak that was being handled was a stance's.
  bool check_sign(int vote, uint64_t& confirmed, uint64_t& contradicted);
  void reverse_sign();
  /// Forgets the mid-swings seen: the last, the candidate and the recent peaks' level.
  void clear_peaks();

  GyroSegmenterSettings settings_;
  GyroRows rows_;
  size_t processed_ = 0;  ///< rows already run through process()
  std::optional<Eigen::Vector3d> axis_;
  std::optional<Eigen::Vector3d> still_g_;  ///< gravity at rest, sensor frame (horizontal prior)
  Eigen::Matrix3d axis_m_ = Eigen::Matrix3d::Zero();  ///< rate second moment while settling
  double axis_m_moving_s_ = 0.0;                      ///< motion it holds
  int64_t axis_m_t_us_ = INT64_MIN;                   ///< rows up to this time are in it
  int64_t next_axis_try_us_ = INT64_MIN;              ///< the axis search is not rerun every sample
  /// While the axis is unknown: how many buffered rows count as motion,
  /// kept as rows come and go so that a sensor standing still does not
  /// rescan its whole window (seconds of rows) at every sample.
  size_t undecided_moving_rows_ = 0;
  /// While the axis is unknown: whether a row counting as motion was trimmed from the window, and
  /// the first row whose rate reached swing_peak_min_rps (see undecided_horizon_us()).
  bool moving_trimmed_ = false;
  std::optional<int64_t> first_fast_us_;
  /// The rest being followed (first row, last row, stillest row and its squared rate), the last
  /// rest before it (first, last and stillest row), and whether a fast rotation came since that one
  /// ended.
  struct Rest {
    int64_t begin_us = INT64_MIN;
    int64_t end_us = INT64_MIN;
    int64_t still_us = INT64_MIN;
    double still_rate2 = 0.0;
    size_t rows = 0;
    bool tried = false;  ///< the stride ending at this rest was tried
  };
  std::optional<Rest> rest_;
  std::optional<Rest> last_rest_;
  bool fast_since_rest_ = false;
  /// Cycles still to check a first-stride sign against (their stances vote).
  int first_stride_checks_left_ = 0;
  std::optional<size_t> last_peak_;   ///< index of the last confirmed MS
  int64_t last_peak_t_us_ = 0;        ///< its time (cached for the per-sample test)
  std::optional<int64_t> stride_us_;  ///< typical stride (median of recent), for partial cycles
  std::vector<int64_t> recent_strides_;
  bool head_pending_ = true;  ///< contact before the first MS not yet looked at
  bool tail_closed_ = false;  ///< contact after the last MS already decided
  std::optional<int64_t> last_emitted_ic_us_;
  /// The horizon when the sign was reversed: it was promised, so the horizon stays at or after
  /// it and contacts the re-read rows find before it are dropped.
  int64_t horizon_floor_us_ = INT64_MIN;
  /// Checked stances in a row (stances without a vote not counted) that contradict a thin sign.
  int contradicting_run_ = 0;
  std::optional<size_t> candidate_;
  double candidate_p_ = 0.0;  ///< its pitch rate and time (cached)
  int64_t candidate_t_us_ = 0;
  double min_since_peak_ = 0.0;
  std::vector<double> recent_peaks_;
  double recent_peak_median_ = 0.0;  ///< cached: changes only at a peak
  int64_t last_t_us_ = INT64_MIN;
  int64_t gap_us_ = 0;
  int64_t bridge_us_ = 0;  ///< dropout_bridge_max_s in microseconds
  int64_t max_stride_us_ = 0;
  int64_t idle_keep_us_ = 0;  ///< rows idle_trim() keeps (set at first use: context_s() is virtual)
  bool after_gap_ = false;
  /// First row of the current stretch (since the start or a gap; the oldest row kept when the
  /// pitch axis was found, if motion had been trimmed before): a head cycle is partial only if
  /// its opening mid-swing would precede it.
  int64_t stretch_start_us_ = INT64_MIN;
};

}  // namespace gk
