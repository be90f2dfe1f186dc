#include <fmt/format.h>

#include <sstream>

#include "placement.hpp"
#include "session_report.hpp"
#include "steps_csv.hpp"

namespace gk {
namespace {

using json = nlohmann::json;

json opt(const std::optional<double>& v) { return v ? json(*v) : json(nullptr); }

double seconds(int64_t t_us) { return static_cast<double>(t_us) * 1e-6; }

json recommendation_json(const pb::Recommendation& r) {
  return {{"preferred_cadence_spm", r.preferred_cadence_spm()},
          {"target_cadence_spm", r.target_cadence_spm()},
          {"band_low_spm", r.band_low_spm()},
          {"band_high_spm", r.band_high_spm()},
          {"metronome_bpm", r.metronome_bpm()},
          {"plan_session", r.plan_session()},
          {"plan_sessions_total", r.plan_sessions_total()},
          {"cue_now", r.cue_now()},
          {"t_s", seconds(r.t_us())}};
}

json side_json(const SideSummary& s) {
  return {{"steps", s.steps},
          {"contact_ms", opt(s.contact_ms)},
          {"peak_valgus_deg", opt(s.peak_valgus_deg)},
          {"valgus_confidence", opt(s.valgus_confidence)},
          {"valgus_steps", s.valgus_steps}};
}

const char* side_code(pb::Side s) { return s == pb::LEFT ? "L" : s == pb::RIGHT ? "R" : ""; }

}  // namespace

nlohmann::json session_report_json(const SessionReportData& d) {
  const SessionSummaryStats st = summarize_session(d);
  const pb::SessionHeader& h = d.header;
  json j;
  j["format"] = "gaitkeeper-session-report";
  j["version"] = 1;
  j["session"] = {
      {"session_id", h.session_id()},
      {"athlete", h.athlete()},
      {"start_time_utc_us", h.start_time_utc_us()},
      {"start_time_utc", iso_utc(h.start_time_utc_us())},
      {"treadmill_speed_mps",
       h.has_treadmill_speed_mps() ? json(h.treadmill_speed_mps()) : json(nullptr)},
      {"shoes", h.shoes()},
      {"content_hash", d.content_hash},
      {"source", d.source},
      {"duration_s", d.duration_s},
  };
  j["summary"] = {
      {"steps", st.steps},
      {"running_s", d.assessment.running_s},
      {"cadence_spm", opt(st.cadence_spm)},
      {"target_cadence_spm", d.assessment.recommendation
                                 ? json(d.assessment.recommendation->target_cadence_spm())
                                 : json(nullptr)},
      {"in_target_band_pct", opt(st.in_band_pct)},
      {"contact_ms", opt(st.contact_ms)},
      {"contact_balance_left_pct", opt(st.contact_balance_left_pct)},
      {"distance_m", opt(st.distance_m)},
      {"speed_mps", opt(st.speed_mps)},
      {"left", side_json(st.left)},
      {"right", side_json(st.right)},
      {"flags", d.assessment.flags.size()},
  };
  j["recommendation"] = d.assessment.recommendation
                            ? recommendation_json(*d.assessment.recommendation)
                            : json(nullptr);
  j["recommendation_changes"] = json::array();
  for (const pb::Recommendation& r : d.assessment.recommendation_changes) {
    j["recommendation_changes"].push_back(recommendation_json(r));
  }
  j["preferred_cadence_spm"] = opt(d.assessment.preferred_cadence_spm);
  j["not_a_diagnosis"] = kNotADiagnosis;
  j["flags"] = json::array();
  for (const pb::FormFlag& f : d.assessment.flags) {
    json ev = json::array();
    for (const pb::Evidence& e : f.evidence()) {
      ev.push_back({{"name", e.name()}, {"value", e.value()}, {"unit", e.unit()}});
    }
    j["flags"].push_back({{"kind", pb::FlagKind_Name(f.kind())},
                          {"side", side_code(f.side())},
                          {"severity", pb::Severity_Name(f.severity())},
                          {"t_start_s", seconds(f.t_start_us())},
                          {"t_end_s", seconds(f.t_end_us())},
                          {"evidence", ev},
                          {"threshold", f.threshold()},
                          {"threshold_unit", f.threshold_unit()},
                          {"reference", f.reference()},
                          {"advice", f.advice()}});
  }
  j["minutes"] = json::array();
  for (const CadenceWindow& w : d.minutes) {
    j["minutes"].push_back({{"t_start_s", seconds(w.t_start_us)},
                            {"t_end_s", seconds(w.t_end_us)},
                            {"steps", w.steps},
                            {"cadence_spm", w.cadence_spm},
                            {"step_time_cv_pct", w.step_time_cv_pct},
                            {"contact_balance_left_pct", opt(w.contact_balance_left_pct)}});
  }
  j["steps"] = json::array();
  for (const StepResult& s : d.steps) {
    j["steps"].push_back({{"side", side_code(s.event.side)},
                          {"ic_s", seconds(s.event.ic_us)},
                          {"to_s", s.event.to_us ? json(seconds(*s.event.to_us)) : json(nullptr)},
                          {"contact_ms", opt(s.contact_ms)},
                          {"flight_ms", opt(s.flight_ms)},
                          {"cadence_spm", opt(s.cadence_spm)},
                          {"step_time_cv_pct", opt(s.window_step_time_cv_pct)},
                          {"contact_balance_left_pct", opt(s.window_contact_balance_left_pct)},
                          {"stride_m", opt(s.stride_m)},
                          {"shock_g", opt(s.shock_g)},
                          {"peak_valgus_deg", opt(s.peak_valgus_deg)},
                          {"valgus_confidence", opt(s.valgus_confidence)},
                          {"knee_flexion_ic_deg", opt(s.knee_flexion_ic_deg)}});
  }
  j["warnings"] = d.warnings;
  return j;
}

std::string render_session_csv(const SessionReportData& d) {
  // The steps CSV (a stable interface) plus four columns: the target cadence and
  // its band at the step's IC, and the flags active at it.
  std::ostringstream steps;
  write_steps_csv(steps, d.steps);
  const std::string base = steps.str();
  std::string out;
  out.reserve(base.size() + d.steps.size() * 24);
  size_t line_start = 0;
  size_t i = 0;  // step index; the first line is the header
  bool header = true;
  while (line_start < base.size()) {
    const size_t nl = base.find('\n', line_start);
    const size_t end = nl == std::string::npos ? base.size() : nl;
    out.append(base, line_start, end - line_start);
    if (header) {
      out += ",target_cadence_spm,band_low_spm,band_high_spm,flags\n";
      header = false;
    } else {
      const int64_t t = d.steps[i].event.ic_us;
      const pb::Recommendation* r = nullptr;
      for (const pb::Recommendation& c : d.assessment.recommendation_changes) {
        if (c.t_us() <= t) r = &c;
      }
      if (r) {
        out += fmt::format(",{:.1f},{:.1f},{:.1f},", r->target_cadence_spm(), r->band_low_spm(),
                           r->band_high_spm());
      } else {
        out += ",,,,";
      }
      std::string flags;
      for (const pb::FormFlag& f : d.assessment.flags) {
        if (t < f.t_start_us() || t > f.t_end_us()) continue;
        if (!flags.empty()) flags += ';';
        flags += side_code(f.side());
        if (f.side() != pb::SIDE_UNKNOWN) flags += ':';
        flags += pb::FlagKind_Name(f.kind());
      }
      out += flags;
      out += '\n';
      ++i;
    }
    line_start = end + 1;
  }
  return out;
}

}  // namespace gk
