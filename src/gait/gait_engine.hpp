// The streaming gait core: one object per session, fed sample by sample from
// a live link or from a file as fast as it goes. Per sensor it runs an
// orientation filter and the step detector that suits the placement and
// the available axes; the merger turns their contacts into one step
// sequence with metrics.
#pragma once

#include <Eigen/Geometry>
#include <deque>
#include <limits>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "declip.hpp"
#include "foot_rest_step_detector.hpp"
#include "foot_step_detector.hpp"
#include "hip_adduction.hpp"
#include "impact_step_detector.hpp"
#include "knee_stage.hpp"
#include "lost_landing_finder.hpp"
#include "orientation_filter.hpp"
#include "pelvic_drop.hpp"
#include "sample_period.hpp"
#include "shank_step_detector.hpp"
#include "step_merger.hpp"
#include "tibial_impact_step_detector.hpp"

namespace gk {

struct EngineSettings {
  OrientationMethod orientation_method = OrientationMethod::kMahony;
  OrientationSettings orientation;
  /// Per-sensor attitude for orientation() (a live view); no metric uses it:
  /// the detectors and the knee, pelvis and hip stages run their own filters.
  bool run_orientation = true;
  FootDetectorSettings foot;
  FootRestDetectorSettings foot_rest;
  ShankDetectorSettings shank;
  ImpactDetectorSettings impact;
  TibialImpactDetectorSettings tibial_impact;
  /// Landings a bridged hole swallowed, found between the sensor's reports either side.
  LostLandingSettings lost_landing;
  MergerSettings merger;
  KneeStageSettings knee;
  PelvicDropSettings pelvis;
  LegSegmentSettings thigh;  ///< thigh frame for the hip angles
  HipAdductionSettings hip;
  /// Readings clipped at the sensor's full scale, rebuilt before any stage reads them.
  DeclipSettings declip;
};

/// What kind of analysis a sensor gets.
/// kFootRest: an accelerometer-only shoe (steps from its rests);
/// kTibialImpact: an accelerometer-only shank (its own leg's impacts);
/// kImpact: an accelerometer-only trunk (steps from its loading peaks).
enum class SensorRole {
  kFootGyro,
  kShankGyro,
  kFootRest,
  kTibialImpact,
  kImpact,
  kOrientationOnly
};

class GaitEngine {
 public:
  /// Sensors are indexed in header.sensors order.
  explicit GaitEngine(const pb::SessionHeader& header, const EngineSettings& settings = {});
  ~GaitEngine();

  void push(size_t sensor, const ImuSample& sample);
  void finish();
  void reset();

  /// Steps finished so far, in IC order (moved out). With a knee sleeve on a
  /// step's side, the step waits until the knee angles cover its stance.
  std::vector<StepResult> take();
  /// Knee angle series produced so far (moved out).
  std::vector<KneeAngleSample> take_knee() { return knee_.take(); }
  const KneeStage& knee() const { return knee_; }
  const std::vector<CadenceWindow>& minutes() const { return merger_.minutes(); }
  bool one_foot_only() const { return merger_.one_foot_only(); }
  size_t sensor_count() const { return sensors_.size(); }
  SensorRole role(size_t sensor) const { return sensors_[sensor].role; }
  /// Sensor-to-world attitude (world z up), if the filter is running.
  std::optional<Eigen::Quaterniond> orientation(size_t sensor) const;
  /// Plain-language warnings about degenerate data, one per issue, naming
  /// the sensor and where.
  std::vector<std::string> warnings() const;

 private:
  struct Sensor {
    pb::SensorInfo info;
    SensorRole role = SensorRole::kOrientationOnly;
    bool impact_role = false;  ///< its detector reads impacts (kFootRest, kTibialImpact, kImpact)
    /// Its samples feed a joint stage (knee, pelvis, hip): tested once per sample, so that a
    /// session of shoes alone pays nothing for the stages it does not use.
    bool joints = false;
    std::unique_ptr<StepDetector> detector;
    /// The detector's reports pass through it (with a detector only).
    LostLandingFinder lost;
    std::unique_ptr<OrientationFilter> filter;
    uint64_t samples = 0;
    int64_t last_t_us = INT64_MIN;
    double max_abs_gyro = 0.0;
    /// Samples not after the latest time, of a sensor without a detector (one with a detector
    /// counts them in its flags).
    uint64_t behind = 0;
    int64_t first_behind_us = 0;
    /// The current run of samples not after the latest time (skip_behind): its length, and the
    /// latest time it is behind (a new latest time starts a new run).
    uint64_t skip_run = 0;
    int64_t skip_run_latest_us = INT64_MIN;
    /// Range of the specific force's magnitude over an accelerometer-only sensor's samples,
    /// tracked until it shows motion (GaitEngine::warnings: "never moved").
    double min_acc_norm_mps2 = std::numeric_limits<double>::infinity();
    double max_acc_norm_mps2 = 0.0;
    SamplePeriod period;  ///< current sample period (nominal, then as seen)
    std::vector<std::string> rate_changes;
    /// Made at the sensor's first clipped sample (declip.hpp); from then on every sample of the
    /// sensor passes through it.
    std::unique_ptr<SampleDeclipper> declip;
  };
  /// push() of one sample that the declipper has passed on (or of every sample, without one).
  void push_sample(size_t sensor, const ImuSample& sample);
  /// push() for a sensor that clips: through its declipper, out of line.
  [[gnu::noinline]] void push_declipped(size_t sensor, const ImuSample& sample);
  std::vector<ImuSample> declipped_;    ///< push_declipped()'s samples, reused
  std::vector<DetectedStep> reported_;  ///< a detector's steps with any lost landing, reused
  /// The detector's new steps, with any landing lost in a hole before them, to the merger.
  void pass_steps(size_t sensor);
  /// A sample not after its sensor's latest time, out of line: it almost never comes.
  [[gnu::cold, gnu::noinline]] void skip_behind(size_t sensor, const ImuSample& sample);
  /// The rate-change warning, out of line: the period is watched per sample, this almost never.
  [[gnu::cold, gnu::noinline]] static void note_rate_change(Sensor& s);
  void release_steps();
  /// The knee, pelvis and hip stages' share of push().
  void push_joints(size_t sensor, const ImuSample& sample);
  int64_t horizon_for(const Sensor& s) const;
  /// Pairs the first left and the first right detector of a role (Detector::pair_with).
  template <class Detector>
  void pair_legs(SensorRole role);
  EngineSettings settings_;
  std::vector<Sensor> sensors_;
  StepMerger merger_;
  KneeStage knee_;
  std::unique_ptr<PelvicDrop> pelvis_;  ///< with a pelvis sensor that has a gyro
  size_t pelvis_sensor_ = SIZE_MAX;
  /// Hip adduction per side (index 0 left), with a pelvis and that side's thigh sensor.
  struct Hip {
    size_t thigh_sensor = SIZE_MAX;
    std::unique_ptr<LegSegmentFrame> thigh;
    std::unique_ptr<HipAdduction> angles;
  };
  Hip hips_[2];
  bool finished_ = false;
  /// Whether the hip value of a step is settled (computed or never to be).
  bool hip_resolved(const Hip& hip, int64_t ic_us, int64_t end_us) const;
  std::deque<StepResult> waiting_;  ///< released by the merger, waiting for knee angles
  std::vector<StepResult> ready_;
};

/// Which role a sensor gets from its placement and whether it has a gyro.
SensorRole role_for(const pb::SensorInfo& info);

}  // namespace gk
