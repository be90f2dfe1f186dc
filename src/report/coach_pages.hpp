// The pages `gaitkeeper coach` serves around the reports: the index of
// athletes and their stored sessions (with a form to compare two), and the
// comparison of two sessions side by side. Session and athlete pages are the
// reports themselves (session_report.hpp, athlete_report.hpp). Pure
// renderers: self-contained HTML, all text escaped, links relative to /coach.
#pragma once

#include <string>
#include <vector>

#include "report_data.hpp"

namespace gk {

/// One stored session as the index lists it.
struct CoachSessionLink {
  long long id = 0;
  std::string athlete;
  std::string session_id;
  int64_t start_time_utc_us = 0;
  double duration_s = 0.0;
  size_t steps = 0;
  std::optional<double> cadence_spm, target_cadence_spm;
  size_t flags = 0;
};

/// Percent-encodes a query value (RFC 3986 unreserved characters pass).
std::string url_component(const std::string& text);

std::string render_coach_index(const std::vector<CoachSessionLink>& sessions,
                               const std::string& db_label);

/// Two sessions side by side: the summary numbers, their change, the flags
/// of each, and links to both full reports. a_id, b_id: their store ids.
std::string render_coach_compare(const SessionReportData& a, long long a_id,
                                 const SessionReportData& b, long long b_id);

}  // namespace gk
