// One knee sleeve (thigh + shank IMU of one leg) as a streaming stage: push
// the two sensors' samples as they arrive, take knee angles out.
//
// The first seconds of leg motion are buffered: the calibration
// (knee_calibration.hpp) needs them, and once it exists the buffer is
// replayed through the tracker, so angles start at the beginning of the
// motion and batch and live give the same series. After that the stage
// watches the hinge constraint: when it stops holding (the sleeve slipped,
// or the two clocks drifted apart) it says so, lowers the confidence and
// calibrates again from the latest motion.
#pragma once

#include <cstdint>
#include <deque>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "knee_calibration.hpp"
#include "knee_tracker.hpp"
#include "orientation_filter.hpp"
#include "output_decimator.hpp"
#include "unanchored_stretch.hpp"

namespace gk {

struct KneeSleeveSettings {
  /// Attitude filters of the two sensors. Mahony with a small gain and the
  /// unnormalised accelerometer (orientation_filter.hpp): tilt that is right
  /// on average over strides, which is what a valgus angle needs.
  OrientationSettings orientation = knee_orientation_settings();
  KneeCalibrationSettings calibration;
  KneeTrackerSettings tracker;
  /// Shank angular speed above which a sample counts as leg motion.
  double motion_rate_rps = 2.0;
  /// Leg motion buffered before the first calibration.
  double calibration_motion_s = 10.0;
  /// Data kept at most while waiting for that much motion (the latest).
  double max_buffer_s = 120.0;
  /// The hinge constraint is re-checked over windows of this much motion...
  double monitor_motion_s = 15.0;
  /// ...and a relative residual above this many times the calibration's (and
  /// above monitor_min_relative) means the calibration no longer fits.
  double slip_residual_ratio = 2.5;
  double monitor_min_relative = 0.08;
  /// Pairs are interpolated across thigh samples at most this far apart.
  int64_t max_pair_gap_us = 50'000;
  /// A sensor silent for this long while the other streams is "stopped".
  int64_t stream_timeout_us = 2'000'000;
  /// Output series rate (the tracker runs at the shank's rate).
  double output_rate_hz = 100.0;

  static OrientationSettings knee_orientation_settings();
};

class KneeSleeve {
 public:
  explicit KneeSleeve(pb::Side side, const KneeSleeveSettings& settings = {});
  ~KneeSleeve();

  void push_thigh(const ImuSample& sample);
  void push_shank(const ImuSample& sample);
  /// The next sample of that sensor follows hidden_us of motion this stage never saw (samples
  /// behind a clock that stepped back): OrientationFilter::mark_gap.
  void mark_gap(bool thigh, int64_t hidden_us) {
    (thigh ? thigh_filter_ : shank_filter_)->mark_gap(hidden_us);
  }
  /// End of data: calibrates from what there is if it never could.
  void finish();
  void reset();

  /// Angle samples produced so far at output_rate_hz (moved out).
  std::vector<KneeAngleSample> take();
  /// Every tracker sample (shank rate) up to this time has been produced or
  /// will never be: what the step metrics wait for.
  int64_t resolved_until_us() const;
  /// Shank time when the first calibration completed (angles exist from the
  /// start of the buffered motion, but the step metrics use only steps after
  /// this, so that live and batch agree on which steps carry knee values).
  std::optional<int64_t> calibrated_at_us() const { return calibrated_at_us_; }
  const std::optional<KneeCalibration>& calibration() const { return calibration_; }
  pb::Side side() const { return side_; }
  /// Plain-language findings: calibration, clock offset, slips, stopped streams.
  const std::vector<std::string>& findings() const { return findings_; }

 private:
  void push(bool thigh, const ImuSample& sample);
  void try_calibrate(bool at_end);
  /// Sorted flexion of the moving samples under `cal`; skip_rechecking leaves out those whose
  /// tilt is being re-checked after lost packets.
  std::vector<double> probe_flexion(const KneeCalibration& cal, const std::vector<TimedImu>& thigh,
                                    const std::vector<TimedImu>& shank, bool skip_rechecking) const;
  /// Flexion sign, and the zero without a standing pose; adds a finding when it had to use
  /// samples after lost packets.
  void settle_sign(KneeCalibration& cal, const std::vector<TimedImu>& thigh,
                   const std::vector<TimedImu>& shank);
  void drain_pairs();
  void monitor(const TimedImu& thigh, const TimedImu& shank);

  pb::Side side_;
  KneeSleeveSettings settings_;
  OutputDecimator decimator_;
  UnanchoredStretch unanchored_;
  std::unique_ptr<OrientationFilter> thigh_filter_;
  std::unique_ptr<OrientationFilter> shank_filter_;
  // Before the first calibration: everything, for the replay.
  std::vector<TimedImu> thigh_buffer_;
  std::vector<TimedImu> shank_buffer_;
  double motion_s_ = 0.0;
  /// Shank time at which enough motion was buffered: the calibration uses the
  /// data up to it (and the thigh up to it plus the largest clock offset), so
  /// it sees the same data however the two streams' packets interleave.
  std::optional<int64_t> calibration_due_us_;
  int64_t last_shank_t_us_ = INT64_MIN;
  int64_t last_thigh_t_us_ = INT64_MIN;
  // After it: the pairing queues.
  std::deque<TimedImu> thigh_queue_;
  std::deque<TimedImu> shank_queue_;
  std::optional<KneeCalibration> calibration_;
  std::optional<KneeTracker> tracker_;
  std::optional<int64_t> calibrated_at_us_;
  int64_t last_tracked_t_us_ = INT64_MIN;
  bool finished_ = false;
  bool thigh_stopped_reported_ = false;
  // Constraint monitor over the latest window of motion.
  std::vector<TimedImu> monitor_thigh_;
  std::vector<TimedImu> monitor_shank_;
  double monitor_motion_s_ = 0.0;
  std::vector<KneeAngleSample> out_;
  bool unanchored_pairs_ = false;        ///< the last pair had a segment re-finding its tilt
  int64_t settle_until_us_ = INT64_MIN;  ///< after that: heading mean restarted, no angles yet
  std::vector<std::string> findings_;
};

}  // namespace gk
