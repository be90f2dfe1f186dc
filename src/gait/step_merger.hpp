// Merges the steps of all sensors into one time-ordered sequence and adds
// what needs more than one contact: step, flight and swing time, rolling
// cadence, stride length from treadmill speed, per-minute windows.
//
// Steps leave in IC order as soon as no sensor can still report an earlier
// one: each detector states its horizon (no IC before it will come), and a
// step is released once every active sensor's horizon has passed its IC. A
// sensor whose data stopped arriving is not waited for. The result depends
// only on the sample sequence, so live and batch agree step for step.
#pragma once

#include <cstdint>
#include <deque>
#include <optional>
#include <vector>

#include "step_result.hpp"

namespace gk {

struct MergerSettings {
  size_t cadence_window_steps = 10;
  double pause_s = 2.0;              ///< a longer step time restarts the windows
  double duplicate_window_s = 0.08;  ///< same-side ICs closer than this are one contact
  double stale_sensor_s = 3.0;       ///< a sensor this far behind is not waited for
  /// A better-placed sensor on the same leg (foot over shank) that reported a
  /// contact within this share of a stride of a step (before or after it)
  /// supersedes the lesser sensor's report of it: two detectors on one leg are not two legs,
  /// even when their timings of one contact differ by more than
  /// duplicate_window_s (a shank's IC can trail the foot's by 150 ms and more).
  /// A contact the better sensor missed (a lost packet) is a stride away from
  /// its last one, so the lesser sensor's report still fills the gap.
  double superseded_within_strides = 0.5;
  double superseded_default_s = 0.3;  ///< the same before a stride time is known
  double per_minute_s = 60.0;
  std::optional<double> treadmill_speed_mps;
};

class StepMerger {
 public:
  StepMerger(const MergerSettings& settings, size_t sensors);

  void add(size_t sensor, const DetectedStep& step);
  /// The sensor has delivered data up to t_us, and its detector will report
  /// no contact with an IC before horizon_us.
  void advance(size_t sensor, int64_t t_us, int64_t horizon_us);
  /// End of data: release everything.
  void finish();
  void reset();

  std::vector<StepResult> take();
  /// Steps dropped because a better-placed sensor on the same leg covered them.
  uint64_t superseded_count() const { return superseded_; }
  /// Whether take() has anything (cheap: the engine asks after every sample).
  bool has_output() const { return !out_.empty(); }
  const std::vector<CadenceWindow>& minutes() const { return minutes_; }
  /// Whether the sequence looks like one foot only (cadence = 2 x stride rate).
  bool one_foot_only() const { return one_foot_; }

 private:
  void release(bool all);
  void finalize(const DetectedStep& step);
  bool superseded(const DetectedStep& step) const;
  /// Gives `kept` the toe-off (and stride) of `other`, a report of the same contact, where only
  /// other's is sound.
  static void take_toe_off(DetectedStep& kept, const DetectedStep& other);
  int64_t supersede_window_us() const;
  int64_t doubt_window_us() const;
  /// Whether the sensor has delivered data and is not so far behind the
  /// newest that it is no longer waited for (stale_sensor_s).
  bool active(size_t sensor) const;
  /// Horizon of the active sensors that could report step's contact: all but
  /// those known to sit on the other leg.
  int64_t same_contact_horizon_us(const DetectedStep& step) const;
  /// Horizon of the active sensors on step's leg placed better than its source.
  int64_t better_horizon_us(const DetectedStep& step) const;
  void close_minute(bool force, int64_t now_us);
  static int rank(pb::Placement p);
  static int rank(const DetectedStep& step);

  MergerSettings settings_;
  std::vector<int64_t> last_t_us_;
  std::vector<int64_t> horizon_us_;
  int64_t newest_t_us_ = INT64_MIN;  ///< latest sample time of any sensor
  /// Last released IC per side (left, right) and source rank (0..3).
  std::optional<int64_t> last_ic_by_rank_[2][4];
  uint64_t superseded_ = 0;
  /// Per sensor index: the side and source rank of its steps (rank -1 = none yet).
  std::vector<std::pair<pb::Side, int>> sensor_rank_;
  std::vector<DetectedStep> pending_;  ///< sorted by IC
  std::deque<StepResult> history_;     ///< recent finished steps (window)
  std::vector<StepResult> out_;
  std::vector<CadenceWindow> minutes_;
  std::vector<StepResult> minute_steps_;
  int64_t minute_start_us_ = INT64_MIN;
  std::optional<int64_t> stride_us_;
  std::optional<int64_t> last_to_left_us_;
  std::optional<int64_t> last_to_right_us_;
  bool one_foot_ = false;
  bool seen_left_ = false;
  bool seen_right_ = false;
};

}  // namespace gk
