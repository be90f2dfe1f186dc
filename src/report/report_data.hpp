// What a coach report shows, independent of its format: one session
// (SessionReportData, built from a fresh analysis or loaded back from the
// store) and an athlete's history (AthleteReportData, one row per stored
// session). The renderers (session_report_*.cpp, athlete_report.cpp,
// fit_export.cpp) are pure functions of these.
#pragma once

#include <cstdint>
#include <filesystem>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "assess_profile.hpp"
#include "form_assessor.hpp"
#include "gaitkeeper.pb.h"
#include "pain_check.hpp"
#include "return_to_run_plan.hpp"
#include "session.hpp"
#include "session_analysis.hpp"
#include "step_result.hpp"

namespace gk {

/// Everything a session report shows; built from a fresh analysis or loaded back from the store.
struct SessionReportData {
  pb::SessionHeader header;  ///< athlete, session_id, start_time_utc_us, treadmill speed, shoes
  std::string content_hash;  ///< the recording's content hash (store key); may be empty
  std::string source;        ///< file it came from (display only)
  double duration_s = 0.0;
  std::vector<StepResult> steps;  ///< src/gait/step_result.hpp
  std::vector<CadenceWindow> minutes;
  Assessment assessment;  ///< flags, recommendation, recommendation_changes, running_s
  std::vector<std::string> warnings;
};

SessionReportData make_report_data(const pb::SessionHeader& header, const GaitAnalysis& analysis,
                                   const Assessment& assessment);

/// Loads a session (.gkr or CSV folder), analyses and assesses it:
/// load_session -> analyze_gait -> assess_gait -> make_report_data, with
/// source = the path. Loader warnings go to load_warnings; the analysis's
/// own warnings are in the result. Throws InputError.
SessionReportData analyze_for_report(const std::filesystem::path& session,
                                     const AssessProfile& profile, Warnings& load_warnings);

/// One stored session as the athlete trend sees it.
struct AthleteSessionRow {
  std::string content_hash, session_id;
  int64_t start_time_utc_us = 0;
  double duration_s = 0.0, running_s = 0.0;
  std::optional<double> distance_m, cadence_spm, target_cadence_spm, speed_mps, peak_valgus_deg,
      valgus_confidence;
  std::map<pb::FlagKind, int> flag_counts;
  std::optional<double> warm_up_s;  ///< walking before the main run
};

/// One pair of shoes and the distance run in it (the store fills this).
struct ShoeStatus {
  std::string name;
  int64_t start_utc_us = 0;
  double retire_km = 0.0;
  double distance_km = 0.0;
  size_t sessions = 0;
  size_t sessions_without_distance = 0;  ///< no speed known: not counted
  bool is_default = false;
  /// The session whose distance took the pair past retire_km, if any.
  std::optional<std::string> crossed_in_session;
  std::optional<int64_t> crossed_at_utc_us;
};

/// One logged session of the pain log.
struct PainLogRow {
  std::string content_hash, session_id;
  PainEntry entry;
};

/// The coaching side of the athlete report (issue: coaching features).
struct AthleteCoaching {
  std::vector<ShoeStatus> shoes;
  std::vector<PainLogRow> pain;          ///< time order
  std::vector<pb::FormFlag> pain_flags;  ///< check_pain over the log
  std::optional<ReturnPlan> plan;
  std::optional<PlanProgress> plan_progress;
};

struct AthleteReportData {
  std::string athlete;
  int weeks = 12;
  int64_t now_utc_us = 0;  ///< the report covers the `weeks` weeks ending here
  std::vector<AthleteSessionRow> sessions;
  AthleteCoaching coaching;
};

/// The session's numbers for the athlete trend (the store saves this row).
AthleteSessionRow summarize_for_athlete(const SessionReportData& data);

/// Per-side summary of one session (shared by the HTML, JSON and athlete rows).
struct SideSummary {
  size_t steps = 0;
  std::optional<double> contact_ms;         ///< mean
  std::optional<double> peak_valgus_deg;    ///< median of the per-step peaks
  std::optional<double> valgus_confidence;  ///< mean over the steps with a valgus value
  size_t valgus_steps = 0;
};

struct SessionSummaryStats {
  size_t steps = 0;
  std::optional<double> cadence_spm;               ///< median of the per-step rolling cadence
  std::optional<double> contact_ms;                ///< mean, both sides
  std::optional<double> contact_balance_left_pct;  ///< left mean / (left + right mean)
  /// session_distance_m: ZUPT speed over the time between steps, else
  /// treadmill speed over the time on foot.
  std::optional<double> distance_m;
  /// Treadmill speed when the header has one, else distance / running time.
  std::optional<double> speed_mps;
  std::optional<double> in_band_pct;  ///< share of steps within the target band
  SideSummary left, right;
};

SessionSummaryStats summarize_session(const SessionReportData& data);

/// "LOW_CADENCE" -> "low cadence".
std::string flag_kind_text(pb::FlagKind kind);
/// ISO 8601 UTC ("2026-11-30T19:48:24Z") of a Unix time in microseconds.
std::string iso_utc(int64_t unix_us);

}  // namespace gk
