// `gaitkeeper report`: the coach's report of one session (self-contained
// HTML with inline SVG charts, JSON or CSV), or with --athlete the trend over
// an athlete's sessions (HTML or JSON). Renderers: src/report.
#include <fmt/format.h>

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "assess_profile.hpp"
#include "athlete_report.hpp"
#include "atomic_file.hpp"
#include "commands.hpp"
#include "input_error.hpp"
#include "report_data.hpp"
#include "session_report.hpp"

namespace gk::cli {
namespace {

AthleteRowsProvider& rows_provider() {
  static AthleteRowsProvider provider;
  return provider;
}

struct ReportOptions {
  std::vector<std::filesystem::path> sessions;
  std::string format = "html";
  std::filesystem::path out;
  std::filesystem::path profile;
  std::string athlete;
  int weeks = 12;
  std::string until;
};

constexpr int64_t kDay_us = 86400LL * 1000000;

/// "YYYY-MM-DD" -> Unix µs at 00:00 UTC; throws InputError.
int64_t parse_date_us(const std::string& text) {
  int y = 0, m = 0, d = 0;
  char extra = 0;
  if (std::sscanf(text.c_str(), "%4d-%2d-%2d%c", &y, &m, &d, &extra) != 3 || m < 1 || m > 12 ||
      d < 1 || d > 31) {
    throw InputError("--until", 0, fmt::format("'{}' is not a date (YYYY-MM-DD)", text));
  }
  const std::chrono::year_month_day ymd{std::chrono::year{y}, std::chrono::month{unsigned(m)},
                                        std::chrono::day{unsigned(d)}};
  if (!ymd.ok()) throw InputError("--until", 0, fmt::format("'{}' is not a valid date", text));
  return static_cast<int64_t>(std::chrono::sys_days{ymd}.time_since_epoch().count()) * kDay_us;
}

void write_text(const std::filesystem::path& path, const std::string& text) {
  AtomicFile out(path);
  out.stream() << text;
  out.commit();
  fmt::print("wrote {}\n", path.string());
}

std::string safe_stem(std::string name) {
  for (char& c : name) {
    if (!std::isalnum(static_cast<unsigned char>(c)) && c != '-' && c != '_') c = '_';
  }
  return name.empty() ? std::string("report") : name;
}

void run_athlete(const ReportOptions& opt, const AssessProfile& profile) {
  if (opt.format == "csv") {
    throw InputError("--format", 0, "the athlete report is html or json");
  }
  AthleteReportData data;
  data.athlete = opt.athlete;
  data.weeks = opt.weeks;
  if (opt.sessions.empty()) {
    if (!rows_provider()) {
      throw InputError(opt.athlete, 0,
                       "no session store to read the athlete's sessions from; pass the sessions "
                       "as SESSION files");
    }
    data.sessions = rows_provider()(opt.athlete);
  } else {
    for (const std::filesystem::path& p : opt.sessions) {
      Warnings w;
      const SessionReportData d = analyze_for_report(p, profile, w);
      for (const std::string& s : w) fmt::print(stderr, "warning: {}\n", s);
      if (!d.header.athlete().empty() && d.header.athlete() != opt.athlete) {
        fmt::print(stderr, "warning: {}: athlete is '{}', not '{}'\n", p.string(),
                   d.header.athlete(), opt.athlete);
      }
      data.sessions.push_back(summarize_for_athlete(d));
    }
  }
  if (!opt.until.empty()) {
    data.now_utc_us = parse_date_us(opt.until) + kDay_us;  // through the end of that day
  } else if (!opt.sessions.empty()) {
    // Files: the weeks end with the day of the latest session.
    int64_t latest = 0;
    for (const AthleteSessionRow& r : data.sessions) latest = std::max(latest, r.start_time_utc_us);
    data.now_utc_us = (latest / kDay_us + 1) * kDay_us;
  } else {
    data.now_utc_us = std::chrono::duration_cast<std::chrono::microseconds>(
                          std::chrono::system_clock::now().time_since_epoch())
                          .count();
  }
  const std::filesystem::path out =
      opt.out.empty() ? std::filesystem::path(safe_stem(opt.athlete) + ".trend." + opt.format)
                      : opt.out;
  write_text(out, opt.format == "json" ? athlete_report_json(data).dump(2) + "\n"
                                       : render_athlete_html(data));
}

void run_report(const ReportOptions& opt) {
  const AssessProfile profile = opt.profile.empty() ? AssessProfile{} : load_profile(opt.profile);
  if (!opt.athlete.empty()) {
    run_athlete(opt, profile);
    return;
  }
  if (opt.sessions.size() != 1) {
    throw InputError("report", 0, "give one SESSION (or --athlete NAME for a trend)");
  }
  const std::filesystem::path& session = opt.sessions.front();
  Warnings w;
  const SessionReportData d = analyze_for_report(session, profile, w);
  for (const std::string& s : w) fmt::print(stderr, "warning: {}\n", s);
  // "run.gkr" -> "run.report.html"; a CSV folder "run/" -> "run.report.html".
  std::filesystem::path name = std::filesystem::absolute(session).lexically_normal();
  if (!name.has_filename()) name = name.parent_path();
  name = name.filename();
  if (name.empty()) name = "session";
  const std::filesystem::path out =
      opt.out.empty()
          ? std::filesystem::path(name.replace_extension().string() + ".report." + opt.format)
          : opt.out;
  if (opt.format == "json") {
    write_text(out, session_report_json(d).dump(2) + "\n");
  } else if (opt.format == "csv") {
    write_text(out, render_session_csv(d));
  } else {
    write_text(out, render_session_html(d));
  }
}

}  // namespace

void set_athlete_rows_provider(AthleteRowsProvider provider) {
  rows_provider() = std::move(provider);
}

void add_report_command(CLI::App& app) {
  auto opt = std::make_shared<ReportOptions>();
  CLI::App* cmd = app.add_subcommand(
      "report",
      "A coach's report of one session: summary table, cadence over time against the target\n"
      "band, contact time and left/right balance, knee valgus per step with confidence, flags\n"
      "on a timeline with evidence and advice, the recommendation and the retraining plan.\n"
      "HTML is one self-contained file (inline SVG charts, nothing loaded from the network);\n"
      "JSON and CSV (one row per step) are documented in docs/formats.md.\n"
      "With --athlete NAME: the trend over the athlete's sessions by week (cadence against\n"
      "target, cadence by speed, valgus, flag counts, running volume, runs longer than 110 %\n"
      "of the longest of the previous 30 days); the sessions are the SESSION files given.");
  cmd->add_option("SESSION", opt->sessions, "Recording (.gkr) or CSV session folder")
      ->check(CLI::ExistingPath);
  cmd->add_option("--format", opt->format, "html, json or csv (csv: sessions only)")
      ->capture_default_str()
      ->check(CLI::IsMember({"html", "json", "csv"}));
  cmd->add_option("-o,--out", opt->out,
                  "Output file (default: SESSION's name + .report.FORMAT, or ATHLETE.trend.FORMAT, "
                  "in the current folder)");
  cmd->add_option("--profile", opt->profile, "TOML assessment profile (docs/ASSESSMENT.md)")
      ->check(CLI::ExistingFile);
  cmd->add_option("--athlete", opt->athlete, "Athlete trend instead of one session");
  cmd->add_option("--weeks", opt->weeks, "Weeks the athlete trend covers")
      ->capture_default_str()
      ->check(CLI::Range(1, 520));
  cmd->add_option("--until", opt->until,
                  "Last day (YYYY-MM-DD, UTC) of the athlete trend (default: the day of the latest "
                  "session given)");
  cmd->footer(
      "Examples:\n  gaitkeeper report out/demo/demo.gkr\n"
      "  gaitkeeper report out/demo/demo.gkr --format json -o demo.json\n"
      "  gaitkeeper report --athlete demo_runner --weeks 12 a.gkr b.gkr c.gkr");
  cmd->callback([opt] { run_report(*opt); });
}

}  // namespace gk::cli
