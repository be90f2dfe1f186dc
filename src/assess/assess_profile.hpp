// Thresholds and personal baselines of the form assessment (docs/ASSESSMENT.md
// gives every default with its source). Read from a TOML profile
// (`gaitkeeper assess --profile FILE`); anything not in the file keeps the
// default. Units are in the names.
#pragma once

#include <cstddef>
#include <filesystem>
#include <optional>

namespace gk {

struct AthleteBaseline {
  /// The runner's own preferred step rate (from history or a lab visit); when
  /// absent it is measured over the first minutes of the session.
  std::optional<double> preferred_cadence_spm;
  /// Speed at which the preferred cadence was measured; lets the target follow speed.
  std::optional<double> preferred_speed_mps;
  /// The runner's usual peak stance valgus; the valgus flag then fires on a
  /// rise above it rather than on the population threshold.
  std::optional<double> peak_valgus_deg;
};

/// Faded-feedback cadence retraining plan (Willy 2016: 8 sessions over 2 weeks,
/// feedback removed gradually over the last sessions).
struct RetrainingPlan {
  unsigned session = 1;          ///< 1-based: which session of the plan this run is
  unsigned sessions_total = 8;   ///< plan length
  double first_step_pct = 5.0;   ///< target above preferred in the first half of the plan
  double final_step_pct = 10.0;  ///< target above preferred in the second half (Lenhart 2014)
  double band_pct = 2.0;         ///< cues stay off while within target +- this %
  double cue_delay_s = 3.0;      ///< outside (inside) the band this long before cues start (stop)
  double min_change_interval_s = 5.0;  ///< the recommendation changes at most this often
};

struct FormThresholds {
  // Debounce shared by every flag.
  double min_duration_s = 20.0;  ///< condition holds this long before a flag is raised (cleared)
  double warm_up_s = 60.0;       ///< running time before any form flag is considered
  /// Walking before the main run shorter than this raises NO_WARM_UP
  /// (src/assess/warm_up_check.hpp; 0 turns the check off).
  double warm_up_min_s = 240.0;
  size_t window_steps = 20;  ///< rolling median over this many steps of one side

  // Cadence.
  double baseline_start_s = 30.0;     ///< preferred cadence measured from this running time ...
  double baseline_end_s = 150.0;      ///< ... to this one
  double low_cadence_band_pct = 2.0;  ///< below target by more than this with a plan baseline
  double low_for_speed_pct = 10.0;    ///< below the population cadence for the speed by this %

  // Overstriding.
  double knee_flexion_ic_min_deg = 10.0;    ///< below = nearly straight knee at IC
  double foot_strike_angle_max_deg = 20.0;  ///< above = foot far ahead, toes up at IC
  double hysteresis_deg = 1.5;              ///< angle flags clear this far back inside

  // Knee valgus (knee sleeve).
  double peak_valgus_max_deg = 10.0;       ///< population threshold
  double valgus_above_baseline_deg = 4.0;  ///< with an athlete baseline
  double valgus_min_confidence = 0.5;      ///< below: no valgus flag, angle not trusted

  // Pelvis and hip.
  double pelvic_drop_max_deg = 7.5;     ///< Bramah 2018
  double hip_adduction_max_deg = 13.0;  ///< Noehren 2013, plus the estimate's bias

  // Tibial shock.
  double shock_max_g = 8.0;  ///< top of the 5-8 g of heel-striking runners (Milner 2006)
  double shock_hysteresis_g = 1.0;

  // Asymmetry.
  double contact_balance_max_pct = 3.0;   ///< |left share - 50| in percentage points
  double valgus_asymmetry_max_deg = 5.0;  ///< |left - right| peak valgus

  // Fatigue drift, first third vs last third of the running.
  double drift_min_running_s = 360.0;  ///< shorter runs are not judged
  double cadence_drop_max_pct = 3.0;
  double contact_rise_max_pct = 5.0;
  double valgus_rise_max_deg = 3.0;
};

struct AssessProfile {
  AthleteBaseline athlete;
  RetrainingPlan plan;
  FormThresholds thresholds;
};

/// Reads a TOML profile. Throws InputError(file, line, message) for a
/// missing file, bad TOML, an unknown key, a wrong type or an out-of-range value.
AssessProfile load_profile(const std::filesystem::path& file);

/// Throws InputError(file, 0, ...) naming the first inconsistent setting.
void validate(const AssessProfile& profile, const std::filesystem::path& file = {});

}  // namespace gk
