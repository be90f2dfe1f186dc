// The assessment stage: fed the gait engine's steps in IC order (live or
// from a file), it keeps rolling medians per side, raises debounced form
// flags linked to runner's knee (docs/ASSESSMENT.md) and keeps the
// step-rate recommendation up to date. Batch (assess_gait) pushes the same
// steps through the same object, so live and batch agree.
#pragma once

#include <deque>
#include <optional>
#include <vector>

#include "assess_profile.hpp"
#include "cadence_coach.hpp"
#include "fatigue_drift.hpp"
#include "flag_debounce.hpp"
#include "gaitkeeper.pb.h"
#include "session_analysis.hpp"
#include "step_result.hpp"
#include "warm_up_check.hpp"

namespace gk {

/// One sentence every report and live view shows with the flags.
inline constexpr const char* kNotADiagnosis =
    "These flags describe running form measured by wearable sensors; they are not a medical "
    "diagnosis: see a physiotherapist or doctor about pain or injury.";

struct Assessment;

class FormAssessor {
 public:
  explicit FormAssessor(const AssessProfile& profile = {});

  void push(const StepResult& step);
  /// End of the session: closes open flags and runs the first-third vs
  /// last-third drift check.
  void finish();
  void reset();

  /// Flags raised so far (ended or still active), in the order they were raised.
  const std::vector<pb::FormFlag>& flags() const { return flags_; }
  /// Flags active now (for a live view).
  std::vector<pb::FormFlag> active_flags() const;
  /// The current recommendation (rate-limited), once a preferred cadence is known.
  const std::optional<pb::Recommendation>& recommendation() const { return coach_.current(); }
  const std::vector<pb::Recommendation>& recommendation_changes() const { return coach_.changes(); }
  const CadenceCoach& coach() const { return coach_; }
  double running_s() const { return running_s_; }
  /// Walking before the main run, once the main run is confirmed.
  const std::optional<double>& warm_up_s() const { return warm_up_.warm_up_s(); }
  /// Everything so far as one result (what assess_gait returns after finish()).
  Assessment assessment() const;

 private:
  /// A debounced rule of one kind on one side.
  struct Channel {
    pb::FlagKind kind = pb::FLAG_UNKNOWN;
    pb::Side side = pb::SIDE_UNKNOWN;
    FlagDebouncer debounce;
    std::optional<size_t> episode;  ///< index into flags_ while active
    double worst = 0.0;             ///< worst observed value of the episode (sign applied)
  };
  enum ChannelId {
    kLowCadence,
    kKneeStraightL,
    kKneeStraightR,
    kFootAngleL,
    kFootAngleR,
    kValgusL,
    kValgusR,
    kPelvisL,
    kPelvisR,
    kHipL,
    kHipR,
    kShockL,
    kShockR,
    kContactBalance,
    kValgusAsymmetry,
    kChannelCount
  };
  /// A measured value for one channel. Larger = worse: rules where low is
  /// bad pass negated values and thresholds (sign = -1 restores them for display).
  struct Observation {
    double value = 0.0;
    double raise_above = 0.0;
    double clear_below = 0.0;
    double sign = 1.0;
  };
  void observe(ChannelId id, int64_t t_us, const Observation& o);
  pb::FormFlag make_flag(ChannelId id, const Observation& o) const;
  void evaluate(int64_t t_us);
  struct SideWindow {
    std::deque<double> knee_flexion_ic, foot_angle, forefoot, valgus, valgus_conf, pelvis, hip,
        shock, contact;
  };

  AssessProfile profile_;
  CadenceCoach coach_;
  WarmUpCheck warm_up_;
  std::vector<Channel> channels_;
  std::vector<pb::FormFlag> flags_;
  SideWindow side_[2];
  std::deque<double> cadence_, speed_;
  /// Running steps for the first-third vs last-third drift check, thinned
  /// so memory stays bounded over any session length: when it reaches
  /// kMaxDriftSteps, every other pair of steps is dropped (pairs keep left
  /// and right together) and from then on only every other pair is kept.
  /// Sessions under kMaxDriftSteps running steps (about 45 min) keep all.
  static constexpr size_t kMaxDriftSteps = 8192;
  std::vector<DriftStep> drift_;
  size_t drift_seen_ = 0;        ///< running steps offered
  size_t drift_keep_every_ = 1;  ///< keep one pair of steps in this many
  double running_s_ = 0.0;
  std::optional<int64_t> last_running_t_us_;
  int64_t last_t_us_ = 0;
  bool finished_ = false;
};

/// Batch: the steps of a whole analysis pushed through one FormAssessor.
struct Assessment {
  std::vector<pb::FormFlag> flags;
  std::optional<pb::Recommendation> recommendation;  ///< the last one
  std::vector<pb::Recommendation> recommendation_changes;
  std::optional<double> preferred_cadence_spm;
  double running_s = 0.0;
  std::optional<double> warm_up_s;  ///< walking before the main run (WarmUpCheck)
};
Assessment assess_gait(const std::vector<StepResult>& steps, const AssessProfile& profile = {});

/// Median of a window (copy; windows are short).
double window_median(const std::deque<double>& v);

}  // namespace gk
