// The knee stage of the streaming core: one KneeSleeve per leg that has both
// a thigh and a shank sensor, fed from the session's interleaved samples,
// plus the per-step knee metrics the gait engine attaches to each step.
#pragma once

#include <cstdint>
#include <deque>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "knee_sleeve.hpp"
#include "leg_segment_frame.hpp"
#include "series_window.hpp"

namespace gk {

/// Knee values of one step (stance = IC to TO).
struct KneeStepMetrics {
  double peak_valgus_deg = 0.0;       ///< largest valgus in stance
  double valgus_excursion_deg = 0.0;  ///< peak minus the value at IC
  double flexion_ic_deg = 0.0;        ///< a nearly straight knee at IC marks overstriding
  double peak_stance_flexion_deg = 0.0;
  double confidence = 0.0;  ///< mean frontal-plane confidence over the stance

  bool operator==(const KneeStepMetrics&) const = default;
};

/// Shank-only values of one step: the tibia's frontal-plane inclination.
struct TibiaStepMetrics {
  double inclination_ic_deg = 0.0;    ///< + = proximal end toward the midline
  double peak_inclination_deg = 0.0;  ///< largest in stance

  bool operator==(const TibiaStepMetrics&) const = default;
};

struct KneeStageSettings {
  KneeSleeveSettings sleeve;
  LegSegmentSettings tibia;
  /// Angles kept for the step metrics (a step is released at most about a
  /// stride after its toe-off).
  double history_s = 5.0;
  /// Stance assumed when a step has no toe-off (shank sensors time toe-off
  /// poorly; the peak valgus of running comes at ~40 % of a 200-300 ms stance).
  double default_stance_ms = 250.0;
};

class KneeStage {
 public:
  /// Sensors indexed in header.sensors order.
  explicit KneeStage(const pb::SessionHeader& header, const KneeStageSettings& settings = {});
  ~KneeStage();

  void push(size_t sensor, const ImuSample& sample);
  /// Whether the sensor's samples feed a knee (a thigh or shank of a leg this stage tracks).
  bool uses(size_t sensor) const { return sensor < route_.size() && route_[sensor].first; }
  /// The sensor's next sample follows hidden_us of motion this stage never saw
  /// (OrientationFilter::mark_gap).
  void mark_gap(size_t sensor, int64_t hidden_us);
  void finish();
  void reset();

  bool has_knee(pb::Side side) const { return sleeve(side) != nullptr; }
  /// A sleeve or a shank-only stage on that side: steps wait for it.
  bool has_leg_stage(pb::Side side) const;
  /// Step metrics for side can be asked once resolved_until_us(side) has
  /// passed the end of the stance (INT64_MAX for a side without a sleeve).
  int64_t resolved_until_us(pb::Side side) const;
  /// End of the stance as the metrics use it.
  int64_t stance_end_us(int64_t ic_us, std::optional<int64_t> to_us) const;
  std::optional<KneeStepMetrics> step_metrics(pb::Side side, int64_t ic_us,
                                              std::optional<int64_t> to_us) const;

  std::optional<TibiaStepMetrics> tibia_metrics(pb::Side side, int64_t ic_us,
                                                std::optional<int64_t> to_us) const;

  /// Angle series produced so far (moved out), both legs, in production order.
  std::vector<KneeAngleSample> take();
  /// What the stage found: calibration, missing sensors, slips, clocks.
  std::vector<std::string> findings() const;

 private:
  struct Leg {
    std::unique_ptr<KneeSleeve> sleeve;
    std::deque<KneeAngleSample> history;
    std::unique_ptr<LegSegmentFrame> tibia;  ///< shank without thigh
    TimedValues tibia_history;               ///< inclination, deg
    int shank_sensor = -1;
  };
  const Leg& leg(pb::Side side) const { return legs_[side == pb::LEFT ? 0 : 1]; }
  const KneeSleeve* sleeve(pb::Side side) const;
  void collect(Leg& leg);

  KneeStageSettings settings_;
  std::vector<std::pair<Leg*, bool>> route_;  ///< per sensor: leg and is-thigh (null: not knee)
  Leg legs_[2];
  std::vector<KneeAngleSample> out_;
  std::vector<std::string> notes_;  ///< about the sensor set, from the header
};

}  // namespace gk
