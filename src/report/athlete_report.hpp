// The trend a coach reviews across an athlete's stored sessions: per week
// cadence against target, valgus, flag counts and running volume; cadence by
// speed band; and runs longer than 110 % of the longest run of the previous
// 30 days (check_single_run_spike, src/assess/training_load.hpp). Pure
// functions of AthleteReportData (report_data.hpp).
#pragma once

#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "report_data.hpp"

namespace gk {

struct AthleteWeek {
  int64_t start_utc_us = 0;  ///< weeks are 7 x 24 h ending at now_utc_us
  int sessions = 0;
  double running_s = 0.0;
  std::optional<double> distance_m;
  std::optional<double> cadence_spm;         ///< running-time-weighted mean of the sessions
  std::optional<double> target_cadence_spm;  ///< mean over sessions with a target
  std::optional<double> peak_valgus_deg;     ///< mean of the sessions' worse-knee medians
  std::optional<double> valgus_confidence;
  std::map<pb::FlagKind, int> flag_counts;
  int flags_total = 0;
};

struct SpeedBand {
  double low_mps = 0.0, high_mps = 0.0;
  int sessions = 0;
  std::optional<double> cadence_spm, target_cadence_spm;
};

struct LongRun {
  std::string session_id;
  int64_t start_time_utc_us = 0;
  pb::FormFlag flag;  ///< TRAINING_LOAD, with evidence and advice
};

struct AthleteTrend {
  std::vector<AthleteWeek> weeks;  ///< oldest first
  std::vector<SpeedBand> speed_bands;
  std::vector<LongRun> long_runs;                            ///< sessions in the report window only
  std::vector<const AthleteSessionRow*> sessions_in_window;  ///< by start time
};

/// Speed bands are this wide (m/s), starting at a multiple of it.
inline constexpr double kSpeedBandWidth_mps = 0.5;

/// Run length used for the long-run rule: running time, else the duration.
double run_length_s(const AthleteSessionRow& row);

AthleteTrend compute_athlete_trend(const AthleteReportData& data);
std::string render_athlete_html(const AthleteReportData& data);
nlohmann::json athlete_report_json(const AthleteReportData& data);

}  // namespace gk
