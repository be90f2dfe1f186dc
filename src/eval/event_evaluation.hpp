// Comparison of detected steps with reference events (truth/events.csv):
// the figures `gaitkeeper evaluate` prints and docs/ACCURACY.md publishes.
//
// Matching: a detected IC matches a reference IC of the same side within
// 60 ms, one-to-one (closest first). A reference row without a side matches
// a detection of either side; when the reference has only one side, only
// detections of that side are compared. Cadence is compared over every run
// of 10 consecutive reference steps: reference cadence from their ICs,
// detected cadence from the detections inside the same stretch, so a missed
// or extra step shows as cadence error too.
//
// Contacts the reference is known to have left out (UnlabelledContact,
// declared by the data set) are neither credited nor faulted: one otherwise
// unmatched detection of that foot landing in its span is left out of the
// detected count, and cadence windows that contain the span are skipped,
// as their reference cadence is one step short. Both are counted in the
// result, so a reader sees how much the declaration changed.
#pragma once

#include <cstddef>
#include <optional>
#include <vector>

#include "session.hpp"
#include "step_result.hpp"

namespace gk {

struct EvaluationSettings {
  double match_window_ms = 60.0;
  size_t cadence_window_steps = 10;
  double pause_s = 2.0;  ///< reference windows with a longer step time are skipped
  /// An unlabelled contact's IC precedes its foot-still span by the loading
  /// response (foot flat follows heel strike by about 10 % of a walking
  /// cycle, ~0.1 s); a detection this far before the span still belongs to it.
  double unlabelled_lead_s = 0.3;
  /// Set when every sensor of the session sits on this side (one shoe pod, one
  /// knee sleeve): the other foot's contacts cannot be sensed, so its
  /// reference rows are left out rather than counted as missed, and cadence
  /// is compared as twice the stride rate. See sensed_side().
  std::optional<pb::Side> sensors_side;
  /// Time of the session's last sample: a reference contact after it cannot be sensed (its
  /// data were never received, e.g. the last packet lost), so it is left out and counted
  /// rather than counted as missed.
  std::optional<double> data_end_s;
};

struct EventEvaluation {
  size_t steps_true = 0;
  size_t steps_detected = 0;
  size_t matched = 0;
  double precision = 0.0;
  double recall = 0.0;
  double f1 = 0.0;
  std::optional<double> ic_mae_ms;
  std::optional<double> to_mae_ms;
  std::optional<double> contact_mae_ms;
  std::optional<double> cadence_mae_spm;
  size_t cadence_windows = 0;
  size_t detections_unlabelled = 0;       ///< detections excused by an unlabelled contact
  size_t cadence_windows_unlabelled = 0;  ///< windows skipped for containing one
  /// The one side compared (reference or sensors on one side only); unset
  /// when both feet are.
  std::optional<pb::Side> side_compared;
  size_t truth_other_side_skipped = 0;  ///< reference rows of a side no sensor sees
  size_t truth_after_data_skipped = 0;  ///< reference contacts after the last sample
};

/// The side every sensor of `session` sits on when its steps are all of that
/// side too; nothing when the sensors see both feet: sensors on both sides,
/// a side-less one such as a pelvis clip, or one whose steps have no side.
std::optional<pb::Side> sensed_side(const Session& session, const std::vector<StepResult>& steps);

EventEvaluation evaluate_events(const std::vector<StepResult>& steps,
                                const std::vector<TruthEvent>& truth,
                                const std::vector<UnlabelledContact>& unlabelled = {},
                                const EvaluationSettings& settings = {});

}  // namespace gk
