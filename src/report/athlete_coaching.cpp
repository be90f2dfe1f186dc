#include "athlete_coaching.hpp"

#include <fmt/format.h>

#include "svg_chart.hpp"

namespace gk {
namespace {

using nlohmann::json;
using svg::escape;

std::string date_of(int64_t us) { return iso_utc(us).substr(0, 10); }

std::string rating(const std::optional<int>& v) {
  return v ? fmt::format("{}/10", *v) : std::string("-");
}

json opt_int(const std::optional<int>& v) { return v ? json(*v) : json(nullptr); }

/// The stored session a pain entry belongs to, for cadence, valgus and load.
const AthleteSessionRow* row_of(const AthleteReportData& data, const PainLogRow& p) {
  for (const AthleteSessionRow& r : data.sessions) {
    if (r.content_hash == p.content_hash) return &r;
  }
  return nullptr;
}

json flag_json(const pb::FormFlag& f) {
  json ev = json::array();
  for (const pb::Evidence& e : f.evidence()) {
    ev.push_back({{"name", e.name()}, {"value", e.value()}, {"unit", e.unit()}});
  }
  return {{"kind", pb::FlagKind_Name(f.kind())},
          {"severity", pb::Severity_Name(f.severity())},
          {"evidence", ev},
          {"threshold", f.threshold()},
          {"threshold_unit", f.threshold_unit()},
          {"reference", f.reference()},
          {"advice", f.advice()}};
}

}  // namespace

std::string render_coaching_html(const AthleteReportData& data) {
  const AthleteCoaching& c = data.coaching;
  std::string s;
  s += "<h2>Shoes</h2>\n";
  if (c.shoes.empty()) {
    s += "<p id=\"shoes\">No shoes registered (<code>gaitkeeper shoes --add</code>).</p>\n";
  } else {
    s += "<table id=\"shoes\">\n<tr><th>shoes</th><th>since</th><th>km</th><th>replace at "
         "[km]</th><th>sessions</th><th>status</th></tr>\n";
    for (const ShoeStatus& m : c.shoes) {
      const bool due = m.crossed_in_session.has_value();
      s += fmt::format(
          "<tr{}><td>{}{}</td><td>{}</td><td class=\"n\">{:.1f}</td><td class=\"n\">{:.0f}</td>"
          "<td class=\"n\">{}</td><td>{}</td></tr>\n",
          due ? " class=\"long\"" : "", escape(m.name), m.is_default ? " (default)" : "",
          date_of(m.start_utc_us), m.distance_km, m.retire_km, m.sessions,
          due ? escape(fmt::format("due for replacement: passed {:.0f} km in session {} ({})",
                                   m.retire_km, *m.crossed_in_session,
                                   date_of(*m.crossed_at_utc_us)))
              : escape(fmt::format("{:.0f} km left", m.retire_km - m.distance_km)));
    }
    s += "</table>\n";
  }

  s += "<h2>Pain log</h2>\n";
  if (c.pain.empty()) {
    s += "<p id=\"pain\">No pain logged (<code>gaitkeeper log SESSION --pain N --after N "
         "--stiffness N</code>).</p>\n";
  } else {
    s += "<table id=\"pain\">\n<tr><th>date</th><th>session</th><th>pain during</th><th>pain "
         "after</th><th>stiffness next morning</th><th>running [min]</th><th>cadence</th>"
         "<th>peak valgus [deg]</th></tr>\n";
    for (const PainLogRow& p : c.pain) {
      const AthleteSessionRow* r = row_of(data, p);
      s += fmt::format(
          "<tr><td>{}</td><td>{}</td><td class=\"n\">{}</td><td class=\"n\">{}</td><td "
          "class=\"n\">{}</td><td class=\"n\">{}</td><td class=\"n\">{}</td><td "
          "class=\"n\">{}</td></tr>\n",
          date_of(p.entry.session_start_utc_us), escape(p.session_id), rating(p.entry.during),
          rating(p.entry.after), rating(p.entry.stiffness),
          r ? fmt::format("{:.1f}", r->running_s / 60.0) : "-",
          r && r->cadence_spm ? fmt::format("{:.1f}", *r->cadence_spm) : "-",
          r && r->peak_valgus_deg ? fmt::format("{:.1f}", *r->peak_valgus_deg) : "-");
    }
    s += "</table>\n";
    for (const pb::FormFlag& f : c.pain_flags) {
      s += fmt::format("<p class=\"note pain-flag\"><b>{}: pain.</b> {} <i>{}</i></p>\n",
                       pb::Severity_Name(f.severity()), escape(f.advice()), escape(f.reference()));
    }
  }

  s += "<h2>Return-to-run plan</h2>\n";
  if (!c.plan || !c.plan_progress) {
    s += "<p id=\"plan\">No plan (<code>gaitkeeper plan --athlete NAME --return</code>).</p>\n";
  } else {
    const PlanProgress& p = *c.plan_progress;
    s += fmt::format("<p>From {}, {} steps, at most +{:.0f} % a week. {}: step {} of {}: {}.</p>\n",
                     date_of(c.plan->start_utc_us), c.plan->steps.size(),
                     c.plan->settings.max_weekly_increase_pct, p.complete ? "Complete" : "Now",
                     p.next.step, c.plan->steps.size(), escape(describe(p.next)));
    s += "<table id=\"plan\">\n<tr><th>week</th><th>from</th><th>step</th><th>planned "
         "[min]</th><th>ran [min]</th><th>sessions</th><th>outcome</th></tr>\n";
    for (const PlanWeekStatus& w : p.weeks) {
      const bool held = w.finished && !w.progressed && !p.complete;
      s += fmt::format(
          "<tr{}><td class=\"n\">{}</td><td>{}</td><td class=\"n\">{}</td><td "
          "class=\"n\">{:.1f}</td><td class=\"n\">{:.1f}</td><td class=\"n\">{}</td><td>{}</td>"
          "</tr>\n",
          held ? " class=\"long\"" : "", w.week, date_of(w.week_start_utc_us), w.planned.step,
          w.planned.run_min_per_week, w.run_min, w.sessions, escape(w.note));
    }
    s += "</table>\n";
  }
  return s;
}

json coaching_json(const AthleteReportData& data) {
  const AthleteCoaching& c = data.coaching;
  json j;
  j["shoes"] = json::array();
  for (const ShoeStatus& m : c.shoes) {
    j["shoes"].push_back({{"name", m.name},
                          {"start_utc", date_of(m.start_utc_us)},
                          {"distance_km", m.distance_km},
                          {"retire_km", m.retire_km},
                          {"sessions", m.sessions},
                          {"sessions_without_distance", m.sessions_without_distance},
                          {"default", m.is_default},
                          {"due", m.crossed_in_session.has_value()},
                          {"crossed_in_session",
                           m.crossed_in_session ? json(*m.crossed_in_session) : json(nullptr)}});
  }
  j["pain"] = json::array();
  for (const PainLogRow& p : c.pain) {
    const AthleteSessionRow* r = row_of(data, p);
    j["pain"].push_back(
        {{"session_id", p.session_id},
         {"start_time_utc", iso_utc(p.entry.session_start_utc_us)},
         {"pain_during", opt_int(p.entry.during)},
         {"pain_after", opt_int(p.entry.after)},
         {"stiffness_next_morning", opt_int(p.entry.stiffness)},
         {"running_s", r ? json(r->running_s) : json(nullptr)},
         {"cadence_spm", r && r->cadence_spm ? json(*r->cadence_spm) : json(nullptr)},
         {"peak_valgus_deg", r && r->peak_valgus_deg ? json(*r->peak_valgus_deg) : json(nullptr)}});
  }
  j["pain_flags"] = json::array();
  for (const pb::FormFlag& f : c.pain_flags) j["pain_flags"].push_back(flag_json(f));
  if (c.plan && c.plan_progress) {
    json weeks = json::array();
    for (const PlanWeekStatus& w : c.plan_progress->weeks) {
      weeks.push_back({{"week", w.week},
                       {"week_start_utc", date_of(w.week_start_utc_us)},
                       {"step", w.planned.step},
                       {"planned_run_min", w.planned.run_min_per_week},
                       {"run_min", w.run_min},
                       {"sessions", w.sessions},
                       {"over_plan", w.over_plan},
                       {"pain", w.pain},
                       {"progressed", w.progressed},
                       {"finished", w.finished},
                       {"note", w.note}});
    }
    j["plan"] = {{"start_utc", date_of(c.plan->start_utc_us)},
                 {"steps", c.plan->steps.size()},
                 {"next_step", c.plan_progress->next.step},
                 {"next_run_min_per_week", c.plan_progress->next.run_min_per_week},
                 {"complete", c.plan_progress->complete},
                 {"weeks", weeks}};
  } else {
    j["plan"] = nullptr;
  }
  return j;
}

}  // namespace gk
