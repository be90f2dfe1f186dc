#include "athlete_report.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>

#include "athlete_coaching.hpp"
#include "svg_chart.hpp"
#include "training_load.hpp"

namespace gk {
namespace {

using json = nlohmann::json;
using svg::escape;

constexpr int64_t kWeek_us = 7LL * 86400 * 1000000;

struct Mean {
  double sum = 0.0, weight = 0.0;
  void add(double v, double w = 1.0) { sum += v * w, weight += w; }
  std::optional<double> get() const {
    return weight > 0.0 ? std::optional<double>(sum / weight) : std::nullopt;
  }
};

json opt(const std::optional<double>& v) { return v ? json(*v) : json(nullptr); }

std::string fmt_opt(const std::optional<double>& v, int decimals) {
  return v ? fmt::format("{:.{}f}", *v, decimals) : std::string("–");
}

std::string date_only(int64_t us) { return iso_utc(us).substr(0, 10); }

json flags_json(const std::map<pb::FlagKind, int>& counts) {
  json j = json::object();
  for (const auto& [k, n] : counts) j[pb::FlagKind_Name(k)] = n;
  return j;
}

}  // namespace

double run_length_s(const AthleteSessionRow& row) {
  return row.running_s > 0.0 ? row.running_s : row.duration_s;
}

AthleteTrend compute_athlete_trend(const AthleteReportData& data) {
  AthleteTrend t;
  const int weeks = std::max(data.weeks, 1);
  const int64_t from = data.now_utc_us - weeks * kWeek_us;
  std::vector<const AthleteSessionRow*> all;
  for (const AthleteSessionRow& r : data.sessions) all.push_back(&r);
  std::stable_sort(all.begin(), all.end(), [](const auto* a, const auto* b) {
    return a->start_time_utc_us < b->start_time_utc_us;
  });
  t.weeks.resize(static_cast<size_t>(weeks));
  std::vector<Mean> cad(t.weeks.size()), target(t.weeks.size()), valgus(t.weeks.size()),
      conf(t.weeks.size());
  for (size_t i = 0; i < t.weeks.size(); ++i) {
    t.weeks[i].start_utc_us = from + static_cast<int64_t>(i) * kWeek_us;
  }
  std::map<int64_t, std::pair<Mean, Mean>> bands;  // band index -> cadence, target
  std::map<int64_t, int> band_sessions;
  // History for the long-run rule: every stored run (also before the window).
  std::vector<RunRecord> history;
  for (const AthleteSessionRow* r : all) {
    history.push_back({r->start_time_utc_us / 1000000, run_length_s(*r)});
  }
  for (const AthleteSessionRow* r : all) {
    if (r->start_time_utc_us < from || r->start_time_utc_us >= data.now_utc_us) continue;
    t.sessions_in_window.push_back(r);
    const auto wi = static_cast<size_t>((r->start_time_utc_us - from) / kWeek_us);
    AthleteWeek& w = t.weeks[wi];
    ++w.sessions;
    w.running_s += r->running_s;
    if (r->distance_m) w.distance_m = w.distance_m.value_or(0.0) + *r->distance_m;
    if (r->cadence_spm) cad[wi].add(*r->cadence_spm, std::max(r->running_s, 1.0));
    if (r->target_cadence_spm) target[wi].add(*r->target_cadence_spm);
    if (r->peak_valgus_deg) {
      valgus[wi].add(*r->peak_valgus_deg);
      conf[wi].add(r->valgus_confidence.value_or(0.0));
    }
    for (const auto& [k, n] : r->flag_counts) {
      w.flag_counts[k] += n;
      w.flags_total += n;
    }
    if (r->speed_mps && r->cadence_spm) {
      const auto b = static_cast<int64_t>(std::floor(*r->speed_mps / kSpeedBandWidth_mps));
      bands[b].first.add(*r->cadence_spm);
      if (r->target_cadence_spm) bands[b].second.add(*r->target_cadence_spm);
      ++band_sessions[b];
    }
    const RunRecord current{r->start_time_utc_us / 1000000, run_length_s(*r)};
    if (auto f = check_single_run_spike(history, current)) {
      t.long_runs.push_back({r->session_id, r->start_time_utc_us, *f});
    }
  }
  for (size_t i = 0; i < t.weeks.size(); ++i) {
    t.weeks[i].cadence_spm = cad[i].get();
    t.weeks[i].target_cadence_spm = target[i].get();
    t.weeks[i].peak_valgus_deg = valgus[i].get();
    t.weeks[i].valgus_confidence = conf[i].get();
  }
  for (const auto& [b, m] : bands) {
    SpeedBand sb;
    sb.low_mps = static_cast<double>(b) * kSpeedBandWidth_mps;
    sb.high_mps = sb.low_mps + kSpeedBandWidth_mps;
    sb.sessions = band_sessions[b];
    sb.cadence_spm = m.first.get();
    sb.target_cadence_spm = m.second.get();
    t.speed_bands.push_back(sb);
  }
  return t;
}

nlohmann::json athlete_report_json(const AthleteReportData& data) {
  const AthleteTrend t = compute_athlete_trend(data);
  json j;
  j["format"] = "gaitkeeper-athlete-report";
  j["version"] = 1;
  j["athlete"] = data.athlete;
  j["weeks"] = data.weeks;
  j["now_utc_us"] = data.now_utc_us;
  j["now_utc"] = iso_utc(data.now_utc_us);
  j["weekly"] = json::array();
  for (const AthleteWeek& w : t.weeks) {
    j["weekly"].push_back({{"week_start_utc_us", w.start_utc_us},
                           {"week_start_utc", iso_utc(w.start_utc_us)},
                           {"sessions", w.sessions},
                           {"running_s", w.running_s},
                           {"distance_m", opt(w.distance_m)},
                           {"cadence_spm", opt(w.cadence_spm)},
                           {"target_cadence_spm", opt(w.target_cadence_spm)},
                           {"peak_valgus_deg", opt(w.peak_valgus_deg)},
                           {"valgus_confidence", opt(w.valgus_confidence)},
                           {"flags_total", w.flags_total},
                           {"flags", flags_json(w.flag_counts)}});
  }
  j["speed_bands"] = json::array();
  for (const SpeedBand& b : t.speed_bands) {
    j["speed_bands"].push_back({{"low_mps", b.low_mps},
                                {"high_mps", b.high_mps},
                                {"sessions", b.sessions},
                                {"cadence_spm", opt(b.cadence_spm)},
                                {"target_cadence_spm", opt(b.target_cadence_spm)}});
  }
  j["sessions"] = json::array();
  for (const AthleteSessionRow* r : t.sessions_in_window) {
    const bool long_run =
        std::any_of(t.long_runs.begin(), t.long_runs.end(), [&](const LongRun& l) {
          return l.session_id == r->session_id && l.start_time_utc_us == r->start_time_utc_us;
        });
    j["sessions"].push_back({{"session_id", r->session_id},
                             {"content_hash", r->content_hash},
                             {"start_time_utc_us", r->start_time_utc_us},
                             {"start_time_utc", iso_utc(r->start_time_utc_us)},
                             {"duration_s", r->duration_s},
                             {"running_s", r->running_s},
                             {"distance_m", opt(r->distance_m)},
                             {"cadence_spm", opt(r->cadence_spm)},
                             {"target_cadence_spm", opt(r->target_cadence_spm)},
                             {"speed_mps", opt(r->speed_mps)},
                             {"peak_valgus_deg", opt(r->peak_valgus_deg)},
                             {"valgus_confidence", opt(r->valgus_confidence)},
                             {"flags", flags_json(r->flag_counts)},
                             {"long_run", long_run}});
  }
  j["long_runs"] = json::array();
  for (const LongRun& l : t.long_runs) {
    json ev = json::array();
    for (const pb::Evidence& e : l.flag.evidence()) {
      ev.push_back({{"name", e.name()}, {"value", e.value()}, {"unit", e.unit()}});
    }
    j["long_runs"].push_back({{"session_id", l.session_id},
                              {"start_time_utc_us", l.start_time_utc_us},
                              {"start_time_utc", iso_utc(l.start_time_utc_us)},
                              {"evidence", ev},
                              {"threshold_pct", l.flag.threshold()},
                              {"reference", l.flag.reference()},
                              {"advice", l.flag.advice()}});
  }
  j["coaching"] = coaching_json(data);
  j["not_a_diagnosis"] = kNotADiagnosis;
  return j;
}

std::string render_athlete_html(const AthleteReportData& data) {
  const AthleteTrend t = compute_athlete_trend(data);
  std::string s;
  s += "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n";
  s += fmt::format("<title>gaitkeeper trend: {}</title>\n", escape(data.athlete));
  s += R"(<style>
body{font-family:system-ui,-apple-system,"Segoe UI",Roboto,Arial,sans-serif;margin:24px auto;max-width:820px;color:#222;line-height:1.4}
h1{font-size:1.5em}h2{font-size:1.15em;border-bottom:1px solid #ccc;margin-top:1.6em}
table{border-collapse:collapse;margin:8px 0;font-size:0.92em}td,th{border:1px solid #ccc;padding:3px 6px}th{background:#f3f3f3}
td.n{text-align:right;font-variant-numeric:tabular-nums}tr.long td{background:#fde0e0}
.note{background:#fff7e0;border-left:4px solid #e0a800;padding:6px 10px}
svg.chart{display:block;margin:8px 0}svg .grid{stroke:#e6e6e6}svg .axis{stroke:#444}svg .tl{font-size:11px;fill:#333}svg .al{font-size:12px;fill:#333}svg .ct{font-size:13px;font-weight:600}
@media print{body{margin:0;max-width:none}svg.chart,table{page-break-inside:avoid}}
</style>
</head>
<body>
)";
  s += fmt::format("<h1>Running trend: {}</h1>\n<p>{} weeks to {} · {} sessions</p>\n",
                   escape(data.athlete), data.weeks, escape(iso_utc(data.now_utc_us)),
                   t.sessions_in_window.size());
  // Weekly table.
  s += "<h2>By week</h2>\n<table id=\"weekly\">\n<tr><th>week from</th><th>sessions</th>"
       "<th>running [min]</th><th>distance [km]</th><th>cadence [steps/min]</th><th>target</th>"
       "<th>peak valgus [deg]</th><th>confidence</th><th>flags</th></tr>\n";
  std::vector<std::string> cats;
  for (const AthleteWeek& w : t.weeks) {
    cats.push_back(date_only(w.start_utc_us).substr(5));
    s += fmt::format(
        "<tr><td>{}</td><td class=\"n\">{}</td><td class=\"n\">{:.1f}</td><td "
        "class=\"n\">{}</td><td class=\"n\">{}</td><td class=\"n\">{}</td><td "
        "class=\"n\">{}</td><td class=\"n\">{}</td><td class=\"n\">{}</td></tr>\n",
        date_only(w.start_utc_us), w.sessions, w.running_s / 60.0,
        w.distance_m ? fmt::format("{:.2f}", *w.distance_m / 1000.0) : std::string("–"),
        fmt_opt(w.cadence_spm, 1), fmt_opt(w.target_cadence_spm, 1), fmt_opt(w.peak_valgus_deg, 1),
        fmt_opt(w.valgus_confidence, 2), w.flags_total);
  }
  s += "</table>\n";
  auto series = [&](auto get) {
    std::vector<std::optional<double>> v;
    for (const AthleteWeek& w : t.weeks) v.push_back(get(w));
    return v;
  };
  svg::ChartSettings c;
  c.id = "chart-weekly-cadence";
  c.title = "Cadence against target by week";
  c.y_label = "steps/min";
  c.x_label = "week starting";
  {
    // Only the weeks that have numbers; bars start near the data, not at 0.
    double lo = INFINITY, hi = -INFINITY;
    for (const AthleteWeek& w : t.weeks) {
      for (const auto& v : {w.cadence_spm, w.target_cadence_spm}) {
        if (v) lo = std::min(lo, *v), hi = std::max(hi, *v);
      }
    }
    if (std::isfinite(lo)) c.y_min = std::floor(lo / 5.0) * 5.0 - 5.0, c.y_max = hi + 5.0;
  }
  const std::optional<double> cadence_lo = c.y_min, cadence_hi = c.y_max;
  s += svg::bar_chart(
      c, cats,
      {{"cadence", "#1f77b4", series([](const AthleteWeek& w) { return w.cadence_spm; })},
       {"target", "#2ca02c", series([](const AthleteWeek& w) { return w.target_cadence_spm; })}});
  c.id = "chart-weekly-volume";
  c.title = "Weekly running volume";
  c.y_label = "min";
  c.y_min.reset(), c.y_max.reset();
  s += svg::bar_chart(c, cats, {{"running", "#9467bd", series([](const AthleteWeek& w) {
                                   return std::optional<double>(w.running_s / 60.0);
                                 })}});
  c.id = "chart-weekly-valgus";
  c.title = "Peak knee valgus (worse knee) by week";
  c.y_label = "deg";
  s += svg::bar_chart(
      c, cats,
      {{"peak valgus", "#d62728", series([](const AthleteWeek& w) { return w.peak_valgus_deg; })}});
  c.id = "chart-weekly-flags";
  c.title = "Form flags by week";
  c.y_label = "flags";
  s += svg::bar_chart(c, cats, {{"flags", "#e0a800", series([](const AthleteWeek& w) {
                                   return std::optional<double>(w.flags_total);
                                 })}});
  // Cadence by speed.
  s += "<h2>Cadence by speed</h2>\n<table id=\"speed-bands\">\n<tr><th>speed [m/s]</th>"
       "<th>sessions</th><th>cadence [steps/min]</th><th>target</th></tr>\n";
  std::vector<std::string> band_cats;
  std::vector<std::optional<double>> band_cad, band_target;
  for (const SpeedBand& b : t.speed_bands) {
    s += fmt::format(
        "<tr><td>{:.1f}–{:.1f}</td><td class=\"n\">{}</td><td class=\"n\">{}</td><td "
        "class=\"n\">{}</td></tr>\n",
        b.low_mps, b.high_mps, b.sessions, fmt_opt(b.cadence_spm, 1),
        fmt_opt(b.target_cadence_spm, 1));
    band_cats.push_back(fmt::format("{:.1f}–{:.1f}", b.low_mps, b.high_mps));
    band_cad.push_back(b.cadence_spm);
    band_target.push_back(b.target_cadence_spm);
  }
  s += "</table>\n";
  c.id = "chart-speed-cadence";
  c.title = "Cadence by speed band";
  c.x_label = "speed [m/s]";
  c.y_label = "steps/min";
  c.y_min = cadence_lo, c.y_max = cadence_hi;
  for (const SpeedBand& b : t.speed_bands) {
    for (const auto& v : {b.cadence_spm, b.target_cadence_spm}) {
      if (v && c.y_min) c.y_min = std::min(*c.y_min, std::floor(*v / 5.0) * 5.0 - 5.0);
      if (v && c.y_max) c.y_max = std::max(*c.y_max, *v + 5.0);
    }
  }
  s += svg::bar_chart(c, band_cats,
                      {{"cadence", "#1f77b4", band_cad}, {"target", "#2ca02c", band_target}});
  // Long runs.
  s += "<h2>Runs longer than 110 % of the longest run of the previous 30 days</h2>\n";
  if (t.long_runs.empty()) {
    s += "<p id=\"long-runs\">None.</p>\n";
  } else {
    s += "<table "
         "id=\"long-runs\">\n<tr><th>date</th><th>session</th><th>evidence</th><th>advice</th></"
         "tr>\n";
    for (const LongRun& l : t.long_runs) {
      std::string ev;
      for (const pb::Evidence& e : l.flag.evidence()) {
        ev += fmt::format("{}: {:.1f} {}<br>", escape(e.name()), e.value(), escape(e.unit()));
      }
      s += fmt::format("<tr class=\"long\"><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>\n",
                       escape(iso_utc(l.start_time_utc_us)), escape(l.session_id), ev,
                       escape(l.flag.advice()));
    }
    s += "</table>\n";
    s += fmt::format("<p>{}</p>\n", escape(t.long_runs.front().flag.reference()));
  }
  s += render_coaching_html(data);
  // Sessions.
  s += "<h2>Sessions</h2>\n<table id=\"sessions\">\n<tr><th>start</th><th>session</th>"
       "<th>running [min]</th><th>cadence</th><th>target</th><th>speed [m/s]</th>"
       "<th>peak valgus [deg]</th><th>flags</th></tr>\n";
  for (const AthleteSessionRow* r : t.sessions_in_window) {
    const bool long_run =
        std::any_of(t.long_runs.begin(), t.long_runs.end(), [&](const LongRun& l) {
          return l.session_id == r->session_id && l.start_time_utc_us == r->start_time_utc_us;
        });
    int flags = 0;
    for (const auto& [k, n] : r->flag_counts) flags += n;
    s += fmt::format(
        "<tr{}><td>{}</td><td>{}</td><td class=\"n\">{:.1f}</td><td class=\"n\">{}</td><td "
        "class=\"n\">{}</td><td class=\"n\">{}</td><td class=\"n\">{}{}</td><td "
        "class=\"n\">{}</td></tr>\n",
        long_run ? " class=\"long\"" : "", escape(iso_utc(r->start_time_utc_us)),
        escape(r->session_id), r->running_s / 60.0, fmt_opt(r->cadence_spm, 1),
        fmt_opt(r->target_cadence_spm, 1), fmt_opt(r->speed_mps, 2), fmt_opt(r->peak_valgus_deg, 1),
        r->valgus_confidence ? fmt::format(" ({:.2f})", *r->valgus_confidence) : std::string(),
        flags);
  }
  s += "</table>\n";
  s += fmt::format("<p class=\"note\">{}</p>\n</body>\n</html>\n", escape(kNotADiagnosis));
  return s;
}

}  // namespace gk
