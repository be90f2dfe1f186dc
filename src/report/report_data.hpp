// What a report shows, independent of where it came from: a fresh analysis
// of a recording or a session loaded back from the store.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "form_assessor.hpp"
#include "gaitkeeper.pb.h"
#include "session_analysis.hpp"
#include "step_result.hpp"

namespace gk {

/// Everything a session report shows; built from a fresh analysis or loaded back from the store.
struct SessionReportData {
  pb::SessionHeader header;  ///< athlete, session_id, start time, treadmill speed, shoes
  std::string content_hash;  ///< the recording's content hash (store key); may be empty
  std::string source;        ///< file it came from (display only)
  double duration_s = 0.0;
  std::vector<StepResult> steps;
  std::vector<CadenceWindow> minutes;
  Assessment assessment;
  std::vector<std::string> warnings;
};
SessionReportData make_report_data(const pb::SessionHeader& header, const GaitAnalysis& analysis,
                                   const Assessment& assessment);

/// One stored session as the athlete trend sees it.
struct AthleteSessionRow {
  std::string content_hash, session_id;
  int64_t start_time_utc_us = 0;
  double duration_s = 0.0, running_s = 0.0;
  std::optional<double> distance_m, cadence_spm, target_cadence_spm, speed_mps, peak_valgus_deg,
      valgus_confidence;
  std::map<pb::FlagKind, int> flag_counts;
};
struct AthleteReportData {
  std::string athlete;
  int weeks = 12;
  int64_t now_utc_us = 0;
  std::vector<AthleteSessionRow> sessions;
};
/// The store uses this when saving a session.
AthleteSessionRow summarize_for_athlete(const SessionReportData& data);

}  // namespace gk
