// Step-rate retraining: the target relative to the runner's own preferred
// cadence (+5 % first, then up to +10 %; Heiderscheit 2011, Lenhart 2014,
// Willy 2016, Bramah 2019), the metronome BPM (one cue per step), where the
// runner is in a faded-feedback plan, and whether cues should sound now.
#pragma once

#include <cstdint>
#include <optional>
#include <vector>

#include "assess_profile.hpp"
#include "gaitkeeper.pb.h"
#include "sample.hpp"  // pb:: alias

namespace gk {

/// Population trend of step rate with running speed (spm at speed_mps),
/// used to carry a preferred cadence to another speed and as the secondary
/// "low for the speed" hint. Step rate rises only modestly with speed in the
/// endurance range (Dorn 2012; van Oeveren 2017): about 6 spm per m/s.
double population_cadence_spm(double speed_mps);
inline constexpr double kCadencePerSpeed_spm_per_mps = 6.0;

/// Target percentage above preferred for this plan session: the first half
/// of the plan at first_step_pct, the second half at final_step_pct.
double plan_step_pct(const RetrainingPlan& plan);
/// Share of each minute during which cues may sound in this session: 1 in
/// the first half of the plan, then faded linearly to 0 at the last session.
double plan_feedback_fraction(const RetrainingPlan& plan);

class CadenceCoach {
 public:
  CadenceCoach(const AthleteBaseline& athlete, const RetrainingPlan& plan,
               const FormThresholds& thresholds);

  /// One running step: its time, running time since the first running step,
  /// the rolling cadence and the speed if known.
  void push(int64_t t_us, double running_s, double cadence_spm, std::optional<double> speed_mps);
  void reset();

  /// Preferred cadence: from the profile, or measured once the baseline
  /// window of the session is over.
  std::optional<double> preferred_spm() const { return preferred_spm_; }
  std::optional<double> preferred_speed_mps() const { return preferred_speed_mps_; }
  /// The current (rate-limited) recommendation, once a preferred cadence is known.
  const std::optional<pb::Recommendation>& current() const { return current_; }
  /// Every change of the recommendation, in time order.
  const std::vector<pb::Recommendation>& changes() const { return changes_; }

 private:
  pb::Recommendation compute(int64_t t_us, double running_s) const;
  AthleteBaseline athlete_;
  RetrainingPlan plan_;
  FormThresholds thresholds_;
  std::optional<double> preferred_spm_;
  std::optional<double> preferred_speed_mps_;
  std::vector<double> baseline_cadence_;
  std::vector<double> baseline_speed_;
  std::vector<double> recent_speed_;  ///< last speeds, for the target at the current speed
  bool outside_band_ = false;         ///< debounced: cadence has been outside the band
  std::optional<int64_t> band_pending_since_us_;
  std::optional<pb::Recommendation> current_;
  std::vector<pb::Recommendation> changes_;
};

}  // namespace gk
