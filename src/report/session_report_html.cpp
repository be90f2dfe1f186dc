#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <optional>

#include "session_report.hpp"
#include "svg_chart.hpp"

namespace gk {
namespace {

using svg::escape;

constexpr const char* kLeftColor = "#1f77b4";
constexpr const char* kRightColor = "#ff7f0e";
constexpr size_t kMaxPoints = 900;  // per series: enough for a page, small for 2 h sessions

constexpr const char* kStyle = R"(
body{font-family:system-ui,-apple-system,"Segoe UI",Roboto,Arial,sans-serif;margin:24px auto;max-width:820px;color:#222;line-height:1.4}
h1{font-size:1.5em;margin-bottom:0}h2{font-size:1.15em;border-bottom:1px solid #ccc;padding-bottom:2px;margin-top:1.6em}
table{border-collapse:collapse;margin:8px 0}td,th{border:1px solid #ccc;padding:3px 8px;text-align:left;vertical-align:top}
th{background:#f3f3f3}td.n{text-align:right;font-variant-numeric:tabular-nums}
.meta{color:#555}.note{background:#fff7e0;border-left:4px solid #e0a800;padding:6px 10px}
.flag{margin:10px 0;padding:6px 10px;border-left:4px solid #d62728;background:#fafafa}
.flag.CAUTION{border-color:#e0a800}.flag.INFO{border-color:#1f77b4}
svg.chart{display:block;margin:8px 0;background:#fff}
svg .grid{stroke:#e6e6e6}svg .axis{stroke:#444}svg .tl{font-size:11px;fill:#333}svg .al{font-size:12px;fill:#333}svg .ct{font-size:13px;font-weight:600;fill:#222}
@media print{body{margin:0;max-width:none}h2{page-break-after:avoid}svg.chart,.flag,table{page-break-inside:avoid}}
)";

std::string fmt_opt(const std::optional<double>& v, int decimals, std::string_view unit = "") {
  if (!v) return "–";
  return fmt::format("{:.{}f}{}{}", *v, decimals, unit.empty() ? "" : " ", unit);
}

std::string row(std::string_view name, const std::string& value, std::string_view id = "") {
  return fmt::format("<tr{}><th>{}</th><td class=\"n\">{}</td></tr>\n",
                     id.empty() ? std::string() : fmt::format(" id=\"{}\"", id), escape(name),
                     escape(value));
}

const char* side_text(pb::Side s) { return s == pb::LEFT ? "left" : s == pb::RIGHT ? "right" : ""; }

double t_min(int64_t t_us, int64_t t0_us) { return static_cast<double>(t_us - t0_us) / 60e6; }

std::string summary_section(const SessionReportData& d, const SessionSummaryStats& st) {
  std::string s = "<h2>Summary</h2>\n<table id=\"summary\">\n";
  s += row("Duration", fmt::format("{:.1f} min", d.duration_s / 60.0));
  s += row("Running time", fmt::format("{:.1f} min", d.assessment.running_s / 60.0));
  s += row("Steps", fmt::format("{}", st.steps), "summary-steps");
  s += row("Cadence (median)", fmt_opt(st.cadence_spm, 1, "steps/min"), "summary-cadence");
  if (d.assessment.recommendation) {
    const pb::Recommendation& r = *d.assessment.recommendation;
    s += row("Target cadence",
             fmt::format("{:.1f} steps/min (band {:.1f}–{:.1f})", r.target_cadence_spm(),
                         r.band_low_spm(), r.band_high_spm()),
             "summary-target");
    s += row("Steps in the target band", fmt_opt(st.in_band_pct, 1, "%"));
  }
  s += row("Contact time (mean)", fmt_opt(st.contact_ms, 1, "ms"), "summary-contact");
  s += row("Contact time left / right",
           fmt_opt(st.left.contact_ms, 1, "ms") + " / " + fmt_opt(st.right.contact_ms, 1, "ms"));
  s += row("Contact balance (left share)", fmt_opt(st.contact_balance_left_pct, 1, "%"),
           "summary-balance");
  s += row("Distance", fmt_opt(st.distance_m, 0, "m"));
  s += row("Speed", fmt_opt(st.speed_mps, 2, "m/s"));
  for (const auto* side : {&st.left, &st.right}) {
    const bool left = side == &st.left;
    s += row(fmt::format("Peak knee valgus, {} (median)", left ? "left" : "right"),
             side->peak_valgus_deg
                 ? fmt::format("{:.1f} deg (confidence {:.2f}, {} steps)", *side->peak_valgus_deg,
                               side->valgus_confidence.value_or(0.0), side->valgus_steps)
                 : std::string("–"),
             left ? "summary-valgus-left" : "summary-valgus-right");
  }
  s += row("Form flags", fmt::format("{}", d.assessment.flags.size()), "summary-flags");
  s += "</table>\n";
  return s;
}

std::string cadence_section(const SessionReportData& d, int64_t t0) {
  std::vector<svg::Point> pts;
  for (const StepResult& s : d.steps) {
    if (s.cadence_spm) pts.push_back({t_min(s.event.ic_us, t0), *s.cadence_spm});
  }
  std::vector<svg::Point> per_min;
  for (const CadenceWindow& w : d.minutes) {
    per_min.push_back({t_min((w.t_start_us + w.t_end_us) / 2, t0), w.cadence_spm});
  }
  std::vector<svg::Band> bands;
  std::vector<svg::RefLine> lines;
  if (d.assessment.recommendation) {
    const pb::Recommendation& r = *d.assessment.recommendation;
    bands.push_back({r.band_low_spm(), r.band_high_spm(),
                     fmt::format("target band {:.0f}–{:.0f}", r.band_low_spm(), r.band_high_spm()),
                     "#2ca02c"});
    lines.push_back(
        {r.target_cadence_spm(), fmt::format("target {:.0f}", r.target_cadence_spm()), "#2ca02c"});
  }
  svg::ChartSettings c;
  c.id = "chart-cadence";
  c.title = "Cadence over time against the target band";
  c.x_label = "time [min]";
  c.y_label = "steps/min";
  std::string s = "<h2>Cadence</h2>\n";
  s += svg::line_chart(c,
                       {{"per step (rolling 10)", "#9ecae1", svg::decimate(pts, kMaxPoints), true},
                        {"per minute", kLeftColor, per_min, true}},
                       bands, lines);
  return s;
}

std::string contact_section(const SessionReportData& d, const SessionSummaryStats& st, int64_t t0) {
  std::vector<svg::Point> l, r, bal;
  for (const StepResult& s : d.steps) {
    if (!s.contact_ms) continue;
    (s.event.side == pb::LEFT ? l : r).push_back({t_min(s.event.ic_us, t0), *s.contact_ms});
  }
  for (const CadenceWindow& w : d.minutes) {
    if (w.contact_balance_left_pct) {
      bal.push_back({t_min((w.t_start_us + w.t_end_us) / 2, t0), *w.contact_balance_left_pct});
    }
  }
  svg::ChartSettings c;
  c.id = "chart-contact";
  c.title = "Ground contact time per step";
  c.x_label = "time [min]";
  c.y_label = "ms";
  std::string s = "<h2>Contact time and left/right balance</h2>\n";
  s += svg::line_chart(c, {{"left", kLeftColor, svg::decimate(l, kMaxPoints), true},
                           {"right", kRightColor, svg::decimate(r, kMaxPoints), true}});
  svg::ChartSettings b;
  b.id = "chart-balance";
  b.title = "Contact time balance per minute (left share; 50 % = even)";
  b.x_label = "time [min]";
  b.y_label = "% left";
  b.height_px = 200;
  const double lo = std::min(45.0, st.contact_balance_left_pct.value_or(50.0) - 2.0);
  const double hi = std::max(55.0, st.contact_balance_left_pct.value_or(50.0) + 2.0);
  b.y_min = lo;
  b.y_max = hi;
  for (const auto& p : bal)
    b.y_min = std::min(*b.y_min, p.y - 1.0), b.y_max = std::max(*b.y_max, p.y + 1.0);
  s += svg::line_chart(b, {{"left share", kLeftColor, bal, true}}, {}, {{50.0, "even", "#888888"}});
  return s;
}

std::string valgus_section(const SessionReportData& d, const SessionSummaryStats& st, int64_t t0) {
  std::vector<svg::Point> l, r;
  for (const StepResult& s : d.steps) {
    if (!s.peak_valgus_deg) continue;
    (s.event.side == pb::LEFT ? l : r)
        .push_back(
            {t_min(s.event.ic_us, t0), *s.peak_valgus_deg, s.valgus_confidence.value_or(0.0)});
  }
  std::string s = "<h2>Knee valgus per step</h2>\n";
  if (l.empty() && r.empty()) {
    return s + "<p>No knee-sleeve data (thigh + shank sensors) in this session.</p>\n";
  }
  svg::ChartSettings c;
  c.id = "chart-valgus";
  c.title = "Peak stance knee valgus per step (dot opacity = confidence)";
  c.x_label = "time [min]";
  c.y_label = "deg (+ = toward midline)";
  s += svg::line_chart(c, {{"left", kLeftColor, svg::decimate(l, kMaxPoints), false},
                           {"right", kRightColor, svg::decimate(r, kMaxPoints), false}});
  s += "<table id=\"valgus\"><tr><th>side</th><th>median peak valgus</th><th>mean "
       "confidence</th><th>steps</th></tr>\n";
  for (const auto* side : {&st.left, &st.right}) {
    s += fmt::format(
        "<tr><td>{}</td><td class=\"n\">{}</td><td class=\"n\">{}</td><td "
        "class=\"n\">{}</td></tr>\n",
        side == &st.left ? "left" : "right", fmt_opt(side->peak_valgus_deg, 1, "deg"),
        fmt_opt(side->valgus_confidence, 2), side->valgus_steps);
  }
  s += "</table>\n<p class=\"meta\">Confidence 0..1 (0.5 ≈ 2° expected error).</p>\n";
  return s;
}

std::string flags_section(const SessionReportData& d, int64_t t0) {
  std::string s = "<h2>Form flags</h2>\n";
  s += fmt::format("<p class=\"note\" id=\"not-a-diagnosis\">{}</p>\n", escape(kNotADiagnosis));
  std::vector<svg::TimelineItem> items;
  for (const pb::FormFlag& f : d.assessment.flags) {
    const std::string name =
        fmt::format("{}{}{}", side_text(f.side()), f.side() == pb::SIDE_UNKNOWN ? "" : " ",
                    flag_kind_text(f.kind()));
    const char* color = f.severity() == pb::WARNING   ? "#d62728"
                        : f.severity() == pb::CAUTION ? "#e0a800"
                                                      : "#1f77b4";
    items.push_back({name, t_min(f.t_start_us(), t0), t_min(f.t_end_us(), t0), color,
                     fmt::format("{} ({})", name, pb::Severity_Name(f.severity()))});
  }
  svg::ChartSettings c;
  c.id = "chart-flags";
  c.title = "Flags on the session timeline";
  c.x_label = "time [min]";
  s += svg::timeline(c, items, 0.0, std::max(d.duration_s / 60.0, 1e-3));
  if (d.assessment.flags.empty()) return s + "<p>No form flags in this session.</p>\n";
  for (const pb::FormFlag& f : d.assessment.flags) {
    s += fmt::format("<div class=\"flag {}\">\n<b>{}{}{}</b> ({}) from {:.1f} to {:.1f} min\n",
                     pb::Severity_Name(f.severity()), side_text(f.side()),
                     f.side() == pb::SIDE_UNKNOWN ? "" : " ", escape(flag_kind_text(f.kind())),
                     pb::Severity_Name(f.severity()), t_min(f.t_start_us(), t0),
                     t_min(f.t_end_us(), t0));
    s += "<table class=\"evidence\">\n";
    for (const pb::Evidence& e : f.evidence()) {
      s += fmt::format("<tr><td>{}</td><td class=\"n\">{:.1f} {}</td></tr>\n", escape(e.name()),
                       e.value(), escape(e.unit()));
    }
    s += fmt::format("<tr><td>threshold</td><td class=\"n\">{:.1f} {}</td></tr>\n</table>\n",
                     f.threshold(), escape(f.threshold_unit()));
    s += fmt::format("<p><b>Why:</b> {}</p>\n<p><b>Advice:</b> {}</p>\n</div>\n",
                     escape(f.reference()), escape(f.advice()));
  }
  return s;
}

std::string recommendation_section(const SessionReportData& d) {
  std::string s = "<h2>Recommendation and retraining plan</h2>\n";
  if (!d.assessment.recommendation) {
    return s +
           "<p id=\"recommendation\">No step-rate recommendation: the session had too little "
           "steady running to measure the preferred cadence.</p>\n";
  }
  const pb::Recommendation& r = *d.assessment.recommendation;
  s += "<table id=\"recommendation\">\n";
  s += row("Preferred cadence", fmt::format("{:.1f} steps/min", r.preferred_cadence_spm()));
  s += row("Target cadence", fmt::format("{:.1f} steps/min", r.target_cadence_spm()));
  s += row("Target band",
           fmt::format("{:.1f}–{:.1f} steps/min", r.band_low_spm(), r.band_high_spm()));
  s += row("Metronome", fmt::format("{:.0f} BPM (one beat per step)", r.metronome_bpm()));
  s += row("Retraining plan",
           fmt::format("session {} of {}", r.plan_session(), r.plan_sessions_total()), "plan");
  s += row("Cues at the end of the run", r.cue_now() ? "on" : "off (faded feedback)");
  s += "</table>\n";
  if (r.plan_sessions_total() > 0) {
    const double pct = 100.0 * std::min<double>(r.plan_session(), r.plan_sessions_total()) /
                       r.plan_sessions_total();
    s += fmt::format(
        "<svg class=\"chart plan\" id=\"chart-plan\" width=\"400\" height=\"22\" viewBox=\"0 0 "
        "400 22\" role=\"img\" aria-label=\"plan progress\"><rect x=\"0\" y=\"4\" width=\"400\" "
        "height=\"14\" fill=\"#e6e6e6\"/><rect x=\"0\" y=\"4\" width=\"{:.1f}\" height=\"14\" "
        "fill=\"#2ca02c\"/></svg>\n",
        4.0 * pct);
  }
  if (d.assessment.recommendation_changes.size() > 1) {
    s += "<p>The recommendation changed during the run:</p>\n<ul>\n";
    for (const pb::Recommendation& c : d.assessment.recommendation_changes) {
      s += fmt::format(
          "<li>at {:.1f} min: target {:.1f} steps/min (band {:.1f}–{:.1f}), plan session {} of "
          "{}, cues {}</li>\n",
          static_cast<double>(c.t_us()) / 60e6, c.target_cadence_spm(), c.band_low_spm(),
          c.band_high_spm(), c.plan_session(), c.plan_sessions_total(), c.cue_now() ? "on" : "off");
    }
    s += "</ul>\n";
  }
  return s;
}

}  // namespace

std::string render_session_html(const SessionReportData& d) {
  const SessionSummaryStats st = summarize_session(d);
  const int64_t t0 = 0;  // times on the recording's clock (it starts at the session start)
  const pb::SessionHeader& h = d.header;
  std::string s;
  s.reserve(256 * 1024);
  s += "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n";
  s += "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n";
  s += fmt::format("<title>gaitkeeper report: {} {}</title>\n", escape(h.athlete()),
                   escape(iso_utc(h.start_time_utc_us())));
  s += fmt::format("<style>{}</style>\n</head>\n<body>\n", kStyle);
  s += fmt::format("<h1>Running gait report: {}</h1>\n",
                   escape(h.athlete().empty() ? "unknown athlete" : h.athlete()));
  s += fmt::format("<p class=\"meta\">Session {} · {} · {}{}{}{}</p>\n", escape(h.session_id()),
                   escape(iso_utc(h.start_time_utc_us())), escape(d.source),
                   h.has_treadmill_speed_mps()
                       ? fmt::format(" · treadmill {:.2f} m/s", h.treadmill_speed_mps())
                       : std::string(),
                   h.shoes().empty() ? "" : " · shoes: ", escape(h.shoes()));
  s += summary_section(d, st);
  s += cadence_section(d, t0);
  s += contact_section(d, st, t0);
  s += valgus_section(d, st, t0);
  s += flags_section(d, t0);
  s += recommendation_section(d);
  if (!d.warnings.empty()) {
    s += "<h2>Data quality notes</h2>\n<ul>\n";
    for (const std::string& w : d.warnings) s += fmt::format("<li>{}</li>\n", escape(w));
    s += "</ul>\n";
  }
  s += fmt::format("<p class=\"meta\">Made by gaitkeeper{}.</p>\n</body>\n</html>\n",
                   d.content_hash.empty() ? std::string()
                                          : fmt::format(" · recording {}", escape(d.content_hash)));
  return s;
}

}  // namespace gk
