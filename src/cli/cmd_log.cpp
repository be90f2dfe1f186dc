// `gaitkeeper log`: knee pain during and after a stored session and
// stiffness the next morning (0-10), checked against the pain-monitoring
// rules (src/assess/pain_check.hpp).
#include <fmt/format.h>

#include <filesystem>
#include <optional>
#include <string>

#include "commands.hpp"
#include "finite_range.hpp"
#include "form_assessor.hpp"
#include "input_error.hpp"
#include "pain_check.hpp"
#include "session_job.hpp"
#include "session_store.hpp"

namespace gk::cli {
namespace {

struct LogOptions {
  std::string session;
  std::optional<int> pain, after, stiffness;
  std::filesystem::path db;
};

void run_log(const LogOptions& opt) {
  if (!opt.pain && !opt.after && !opt.stiffness) {
    throw InputError(opt.session, 0, "give at least one of --pain, --after, --stiffness (0-10)");
  }
  SessionStore store(opt.db.empty() ? default_db_path() : opt.db);
  const int64_t id = resolve_stored_session(store, opt.session);
  PainEntry e;
  e.during = opt.pain;
  e.after = opt.after;
  e.stiffness = opt.stiffness;
  store.log_pain(id, e);
  const std::string athlete = store.athlete_of(id);
  fmt::print("logged for session #{} ({}): pain during {}, after {}, stiffness next morning {}\n",
             id, athlete, opt.pain ? fmt::format("{}/10", *opt.pain) : "-",
             opt.after ? fmt::format("{}/10", *opt.after) : "-",
             opt.stiffness ? fmt::format("{}/10", *opt.stiffness) : "-");
  std::vector<PainEntry> history;
  const int64_t start = store.session_start_utc_us(id);
  for (const PainLogRow& row : store.pain_history(athlete)) {
    if (row.entry.session_start_utc_us <= start) history.push_back(row.entry);
  }
  const std::vector<pb::FormFlag> flags = check_pain(history);
  if (flags.empty()) {
    fmt::print("pain within the safe zone and not rising\n");
    return;
  }
  for (const pb::FormFlag& f : flags) {
    fmt::print("[{}] pain: {}\n    threshold: {:.0f} {}\n    why: {}\n",
               pb::Severity_Name(f.severity()), f.advice(), f.threshold(), f.threshold_unit(),
               f.reference());
  }
  fmt::print("{}\n", kNotADiagnosis);
}

}  // namespace

void add_log_command(CLI::App& app) {
  auto opt = std::make_shared<LogOptions>();
  CLI::App* cmd = app.add_subcommand(
      "log",
      "Record knee pain (0-10) during and after a stored session and stiffness the next\n"
      "morning; flags pain above the limit or rising, with advice. Not a diagnosis.");
  cmd->add_option("SESSION", opt->session,
                  "The session: its recording, session id, content hash or name")
      ->required();
  cmd->add_option("--pain", opt->pain, "Knee pain during the run, 0-10")
      ->check(finite_range(0, 10));
  cmd->add_option("--after", opt->after, "Knee pain after the run, 0-10")
      ->check(finite_range(0, 10));
  cmd->add_option("--stiffness", opt->stiffness, "Knee stiffness the next morning, 0-10")
      ->check(finite_range(0, 10));
  cmd->add_option("--db", opt->db,
                  "Session store (default $XDG_DATA_HOME/gaitkeeper/gaitkeeper.db)");
  cmd->callback([opt] { run_log(*opt); });
}

}  // namespace gk::cli
