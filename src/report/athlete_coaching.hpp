// The coaching part of the athlete report: shoes and their mileage, the pain
// log next to cadence, valgus and load, and the return-to-run plan. Rendered
// into the athlete report's HTML and JSON (src/report/athlete_report.cpp).
#pragma once

#include <nlohmann/json.hpp>
#include <string>

#include "report_data.hpp"

namespace gk {

/// HTML sections (no <html> wrapper), all text escaped.
std::string render_coaching_html(const AthleteReportData& data);
/// {"shoes": [...], "pain": [...], "pain_flags": [...], "plan": {...} | null}
nlohmann::json coaching_json(const AthleteReportData& data);

}  // namespace gk
