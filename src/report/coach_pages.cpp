#include "coach_pages.hpp"

#include <fmt/format.h>

#include <cctype>
#include <map>

#include "svg_chart.hpp"

namespace gk {
namespace {

using svg::escape;

constexpr const char* kStyle = R"(
body{font-family:system-ui,-apple-system,"Segoe UI",Roboto,Arial,sans-serif;margin:24px auto;max-width:900px;color:#222;line-height:1.4}
h1{font-size:1.5em}h2{font-size:1.15em;border-bottom:1px solid #ccc;margin-top:1.6em}
table{border-collapse:collapse;margin:8px 0;font-size:0.92em}td,th{border:1px solid #ccc;padding:3px 6px}th{background:#f3f3f3}
td.n{text-align:right;font-variant-numeric:tabular-nums}.up{color:#b00}.down{color:#060}
.note{background:#fff7e0;border-left:4px solid #e0a800;padding:6px 10px}
)";

std::string opt_num(const std::optional<double>& v, int decimals) {
  return v ? fmt::format("{:.{}f}", *v, decimals) : std::string("–");
}

std::string page(const std::string& title, const std::string& body) {
  return fmt::format(
      "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n<title>{}</title>\n"
      "<style>{}</style>\n</head>\n<body>\n{}<p class=\"note\">{}</p>\n</body>\n</html>\n",
      escape(title), kStyle, body, escape(kNotADiagnosis));
}

struct Row {
  const char* label;
  std::optional<double> a, b;
  int decimals;
  const char* unit;
};

}  // namespace

std::string url_component(const std::string& text) {
  std::string out;
  for (unsigned char c : text) {
    if (std::isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~') {
      out += static_cast<char>(c);
    } else {
      out += fmt::format("%{:02X}", c);
    }
  }
  return out;
}

std::string render_coach_index(const std::vector<CoachSessionLink>& sessions,
                               const std::string& db_label) {
  std::map<std::string, size_t> athletes;
  for (const CoachSessionLink& s : sessions) ++athletes[s.athlete];
  std::string b = "<h1>gaitkeeper coach</h1>\n";
  b += fmt::format("<p>{} sessions of {} athletes in {}.</p>\n", sessions.size(), athletes.size(),
                   escape(db_label));
  b += "<h2>Athletes</h2>\n<ul id=\"athletes\">\n";
  for (const auto& [name, n] : athletes) {
    b += fmt::format("<li><a href=\"/coach/athlete?name={}\">{}</a> ({} sessions)</li>\n",
                     url_component(name), escape(name), n);
  }
  b += "</ul>\n<h2>Sessions</h2>\n";
  b += "<form action=\"/coach/compare\" method=\"get\" id=\"compare-form\">\n";
  b += "<table id=\"sessions\">\n<tr><th>A</th><th>B</th><th>id</th><th>athlete</th><th>start "
       "(UTC)</th><th>session</th><th>minutes</th><th>steps</th><th>cadence</th><th>target</th>"
       "<th>flags</th></tr>\n";
  for (const CoachSessionLink& s : sessions) {
    b += fmt::format(
        "<tr><td><input type=\"radio\" name=\"a\" value=\"{0}\"></td><td><input type=\"radio\" "
        "name=\"b\" value=\"{0}\"></td><td class=\"n\"><a href=\"/coach/session/{0}\">{0}</a>"
        "</td><td>{1}</td><td>{2}</td><td>{3}</td><td class=\"n\">{4:.1f}</td><td "
        "class=\"n\">{5}</td><td class=\"n\">{6}</td><td class=\"n\">{7}</td><td "
        "class=\"n\">{8}</td></tr>\n",
        s.id, escape(s.athlete), escape(iso_utc(s.start_time_utc_us).substr(0, 16)),
        escape(s.session_id), s.duration_s / 60.0, s.steps, opt_num(s.cadence_spm, 1),
        opt_num(s.target_cadence_spm, 0), s.flags);
  }
  b += "</table>\n<button type=\"submit\" id=\"compare\">Compare A with B</button>\n</form>\n";
  return page("gaitkeeper coach", b);
}

std::string render_coach_compare(const SessionReportData& a, long long a_id,
                                 const SessionReportData& b, long long b_id) {
  const SessionSummaryStats sa = summarize_session(a);
  const SessionSummaryStats sb = summarize_session(b);
  auto target = [](const SessionReportData& d) {
    return d.assessment.recommendation
               ? std::optional<double>(d.assessment.recommendation->target_cadence_spm())
               : std::nullopt;
  };
  const std::vector<Row> rows = {
      {"running", a.assessment.running_s / 60.0, b.assessment.running_s / 60.0, 1, "min"},
      {"steps", static_cast<double>(sa.steps), static_cast<double>(sb.steps), 0, ""},
      {"cadence (median)", sa.cadence_spm, sb.cadence_spm, 1, "steps/min"},
      {"cadence target", target(a), target(b), 0, "steps/min"},
      {"steps in the target band", sa.in_band_pct, sb.in_band_pct, 0, "%"},
      {"contact time", sa.contact_ms, sb.contact_ms, 0, "ms"},
      {"contact balance (left)", sa.contact_balance_left_pct, sb.contact_balance_left_pct, 1, "%"},
      {"distance", sa.distance_m ? std::optional<double>(*sa.distance_m / 1000.0) : std::nullopt,
       sb.distance_m ? std::optional<double>(*sb.distance_m / 1000.0) : std::nullopt, 2, "km"},
      {"peak valgus, left", sa.left.peak_valgus_deg, sb.left.peak_valgus_deg, 1, "deg"},
      {"peak valgus, right", sa.right.peak_valgus_deg, sb.right.peak_valgus_deg, 1, "deg"},
      {"form flags", static_cast<double>(a.assessment.flags.size()),
       static_cast<double>(b.assessment.flags.size()), 0, ""},
  };
  std::string body = "<h1>Compare sessions</h1>\n";
  body += "<p><a href=\"/coach\">All sessions</a></p>\n";
  body += "<table id=\"compare\">\n<tr><th></th>";
  for (const auto& [d, id] :
       {std::pair<const SessionReportData*, long long>{&a, a_id}, {&b, b_id}}) {
    body += fmt::format("<th><a href=\"/coach/session/{}\">#{} {}</a><br>{}</th>", id, id,
                        escape(d->header.session_id()),
                        escape(iso_utc(d->header.start_time_utc_us()).substr(0, 10)));
  }
  body += "<th>change</th></tr>\n";
  for (const Row& r : rows) {
    std::string change = "–";
    if (r.a && r.b) {
      const double d = *r.b - *r.a;
      change =
          fmt::format("<span class=\"{}\">{:+.{}f}</span>", d > 0 ? "up" : "down", d, r.decimals);
    }
    body += fmt::format(
        "<tr><td>{}{}</td><td class=\"n\">{}</td><td class=\"n\">{}</td><td class=\"n\">{}</td>"
        "</tr>\n",
        r.label, *r.unit ? fmt::format(" [{}]", r.unit) : "", opt_num(r.a, r.decimals),
        opt_num(r.b, r.decimals), change);
  }
  body += "</table>\n";
  for (const auto& [d, label] :
       {std::pair<const SessionReportData*, const char*>{&a, "A"}, {&b, "B"}}) {
    body += fmt::format("<h2>Flags in {} ({})</h2>\n<ul class=\"flags\">\n", label,
                        escape(d->header.session_id()));
    if (d->assessment.flags.empty()) body += "<li>none</li>\n";
    for (const pb::FormFlag& f : d->assessment.flags) {
      body += fmt::format("<li><b>{} {}</b>{}: {}</li>\n", pb::Severity_Name(f.severity()),
                          escape(flag_kind_text(f.kind())),
                          f.side() == pb::LEFT    ? " (left)"
                          : f.side() == pb::RIGHT ? " (right)"
                                                  : "",
                          escape(f.advice()));
    }
    body += "</ul>\n";
  }
  return page("gaitkeeper: compare sessions", body);
}

}  // namespace gk
