// What the synthetic runner does: the activity schedule and the gait
// parameters a user of `gaitkeeper simulate` can set.
#pragma once

#include <vector>

namespace gk::sim {

enum class Activity { kStand, kWalk, kRun };
enum class FootStrikePattern { kHeel, kMid, kFore };

/// One stretch of the session. Consecutive stretches blend smoothly (speed,
/// cadence and gait shape change over ~2 s) so there are no jumps.
struct Stretch {
  Activity activity = Activity::kRun;
  double duration_s = 60.0;
  double speed_mps = 3.0;      ///< ignored when standing
  double cadence_spm = 170.0;  ///< steps per minute (both feet); standing keeps its neighbour's
};

struct RunnerSettings {
  std::vector<Stretch> schedule{{Activity::kRun, 60.0, 3.0, 170.0}};
  double duty_factor = 0.35;  ///< stance fraction of a stride while running
  FootStrikePattern foot_strike = FootStrikePattern::kHeel;
  double peak_valgus_left_deg = 4.0;  ///< peak stance valgus (+ = toward midline)
  double peak_valgus_right_deg = 4.0;
  double knee_flexion_ic_deg = 15.0;  ///< knee flexion at initial contact
  double peak_stance_flexion_deg = 42.0;
  double peak_swing_flexion_deg = 95.0;
  /// How far the running knee extends beyond its contact angle late in the swing, before it
  /// flexes again into the contact (runners differ: some reach the contact straightest, others
  /// re-flex by several degrees just before it; Novacheck 1998, Gait Posture 7:77).
  double knee_terminal_extension_deg = 8.0;
  /// Where that straightest knee comes, as a share of the swing before the contact.
  double knee_terminal_swing_share = 0.08;
  /// Onset time constant of the impact transient after each contact: how fast the shock
  /// builds (a hard heel strike on a stiff shoe is quick, a soft shoe or a compliant leg
  /// slower). The transient's first ringing lobe bounds its effect: the shank's shock peaks
  /// 1.1, 1.7 and 2.0 ms after the contact for 2, 6 and 12 ms.
  double impact_rise_ms = 3.0;
  /// 0: the shank and thigh get the same short transient as the foot and pelvis (a spike that
  /// peaks within 2 ms of the contact). Otherwise their shock is a pulse that peaks this long
  /// after the contact (src/sim/impact.hpp; a measured tibial shock peaks 10-20 ms after it).
  double shock_peak_ms = 0.0;
  double asymmetry_pct = 0.0;      ///< left contact time longer by this % than right
  double cadence_drift_spm = 0.0;  ///< cadence change from start to end of running (fatigue: < 0)
  double valgus_drift_deg = 0.0;   ///< peak valgus change from start to end of running
  double pelvic_drop_deg = 4.0;    ///< contralateral pelvic drop peak in stance
};

/// Throws std::invalid_argument naming the first out-of-range setting.
void validate(const RunnerSettings& settings);

}  // namespace gk::sim
