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
#include "finite_range.hpp"
#include "input_error.hpp"
#include "report_data.hpp"
#include "session_job.hpp"
#include "session_report.hpp"
#include "session_store.hpp"
#include "utc_time.hpp"

namespace gk::cli {
namespace {

struct ReportOptions {
  std::vector<std::filesystem::path> sessions;
  std::string format = "html";
  std::filesystem::path out;
  std::filesystem::path profile;
  std::string athlete;
  int weeks = 12;
  std::string until;
  std::filesystem::path db;
};

std::filesystem::path db_path(const ReportOptions& opt) {
  return opt.db.empty() ? default_db_path() : opt.db;
}

/// The store's path, which must exist (reports never create one).
std::filesystem::path report_store(const ReportOptions& opt) {
  return existing_store(opt.db, " (or pass --db PATH, or the session files themselves)");
}

constexpr int64_t kDay_us = 86400LL * 1000000;

/// "YYYY-MM-DD" -> Unix µs at 00:00 UTC; throws InputError.
int64_t parse_date_us(const std::string& text) {
  const std::optional<int64_t> t = parse_utc_us(text);
  if (!t) throw InputError("--until", 0, fmt::format("'{}' is not a date (YYYY-MM-DD)", text));
  return *t;
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
  std::optional<SessionStore> store;
  if (opt.sessions.empty()) {
    store.emplace(report_store(opt));
    data.sessions = store->athlete_rows(opt.athlete);
    if (data.sessions.empty()) {
      throw InputError(store->db().path(), 0,
                       fmt::format("no stored session of athlete `{}` (`gaitkeeper sessions` "
                                   "lists the store)",
                                   opt.athlete));
    }
  } else {
    for (const std::filesystem::path& p : opt.sessions) {
      Warnings w;
      const SessionReportData d = analyze_for_report(p, profile, w);
      for (const std::string& s : w) print_input_warning(p, s);
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
    data.now_utc_us = now_utc_us();
  }
  // Shoes, pain log and the return-to-run plan live in the store.
  if (!store && std::filesystem::exists(db_path(opt))) store.emplace(db_path(opt));
  if (store) data.coaching = store->coaching(opt.athlete, data.now_utc_us);
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
  SessionReportData d;
  if (std::filesystem::exists(session)) {
    SessionJobSettings job;
    job.profile = profile;
    d = run_session_job(session, job).data;
    for (const std::string& s : d.warnings) print_input_warning(session, s);
    // Training load against the stored history, when there is one.
    if (std::filesystem::exists(db_path(opt))) {
      SessionStore store(db_path(opt));
      const SessionStore::TrainingLoadCheck load = store.check_training_load(
          d.header.athlete(), d.header.start_time_utc_us(), d.assessment.running_s);
      for (const pb::FormFlag& f : load.flags) d.assessment.flags.push_back(f);
    }
  } else {
    // Not a file: a stored session by id, content hash or name.
    SessionStore store(report_store(opt));
    std::optional<SessionReportData> stored = store.load(session.string());
    if (!stored) {
      throw InputError(session, 0,
                       fmt::format("neither a file nor a session in {} (`gaitkeeper sessions` "
                                   "lists them)",
                                   store.db().path().string()));
    }
    d = std::move(*stored);
    const SessionStore::TrainingLoadCheck load = store.check_training_load(
        d.header.athlete(), d.header.start_time_utc_us(), d.assessment.running_s);
    for (const pb::FormFlag& f : load.flags) d.assessment.flags.push_back(f);
  }
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
      "of the longest of the previous 30 days), with shoes, pain log and return-to-run plan;\n"
      "the sessions come from the session store, or are the SESSION files given.\n"
      "Training-load flags are checked against the stored history.");
  cmd->add_option("SESSION", opt->sessions,
                  "Recording (.gkr) or CSV session folder, or a stored session (id, content\n"
                  "hash or name)");
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
      ->check(finite_range(1, 520));
  cmd->add_option("--until", opt->until,
                  "Last day (YYYY-MM-DD, UTC) of the athlete trend (default: the day of the latest "
                  "session given)");
  cmd->add_option("--db", opt->db,
                  "Session store (default $XDG_DATA_HOME/gaitkeeper/gaitkeeper.db)");
  cmd->footer(
      "Examples:\n  gaitkeeper report out/demo/demo.gkr\n  gaitkeeper report 12 --db team.db\n"
      "  gaitkeeper report --athlete ana --weeks 12 --db team.db\n"
      "  gaitkeeper report out/demo/demo.gkr --format json -o demo.json\n"
      "  gaitkeeper report --athlete demo_runner --weeks 12 a.gkr b.gkr c.gkr");
  cmd->callback([opt] { run_report(*opt); });
}

}  // namespace gk::cli
