// The session report a coach can e-mail, in three formats. Pure functions of
// SessionReportData (report_data.hpp); the CLI (`gaitkeeper report`) writes
// the result atomically. Formats: docs/formats.md.
#pragma once

#include <nlohmann/json.hpp>
#include <string>

#include "report_data.hpp"

namespace gk {

/// One self-contained HTML page: summary table, cadence over time against the
/// target band, contact time and L/R balance, knee valgus per step with
/// confidence, flags on a timeline with evidence and advice, the
/// recommendation and the plan. Charts are inline SVG; no external resources.
std::string render_session_html(const SessionReportData& data);

/// Stable keys, numbers as numbers, null where unknown.
nlohmann::json session_report_json(const SessionReportData& data);

/// One row per step: the steps CSV columns plus target band and active flags.
std::string render_session_csv(const SessionReportData& data);

}  // namespace gk
