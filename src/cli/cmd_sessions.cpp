// `gaitkeeper sessions`: what the session store holds.
#include <fmt/format.h>

#include <cmath>
#include <filesystem>
#include <string>

#include "commands.hpp"
#include "session_job.hpp"
#include "session_store.hpp"
#include "utc_time.hpp"

namespace gk::cli {
namespace {

struct SessionsOptions {
  std::string athlete;
  std::filesystem::path db;
};

void run_sessions(const SessionsOptions& opt) {
  SessionStore store(existing_store(opt.db));
  const auto list = store.list(opt.athlete);
  fmt::print("{:>4}  {:<12} {:<16} {:<16} {:>8} {:>6} {:>8} {:>7} {:>5}\n", "id", "hash", "athlete",
             "start (UTC)", "duration", "steps", "cadence", "target", "flags");
  for (const StoredSessionInfo& s : list) {
    fmt::print("{:>4}  {:<12} {:<16} {:<16} {:>5.0f}:{:02.0f} {:>6} {:>8} {:>7} {:>5}\n", s.id,
               s.content_hash.substr(0, 12), s.athlete.substr(0, 16),
               format_utc_minute(s.start_time_utc_us), std::floor(s.duration_s / 60.0),
               std::floor(std::fmod(s.duration_s, 60.0)), s.steps,
               s.cadence_spm ? fmt::format("{:.1f}", *s.cadence_spm) : "-",
               s.target_cadence_spm ? fmt::format("{:.0f}", *s.target_cadence_spm) : "-", s.flags);
  }
  fmt::print("{} session{} in {}\n", list.size(), list.size() == 1 ? "" : "s",
             store.db().path().string());
}

}  // namespace

void add_sessions_command(CLI::App& app) {
  auto opt = std::make_shared<SessionsOptions>();
  CLI::App* cmd = app.add_subcommand("sessions", "List the sessions in the session store.");
  cmd->add_option("--athlete", opt->athlete, "Only this athlete's sessions");
  cmd->add_option("--db", opt->db,
                  "Session store (default $XDG_DATA_HOME/gaitkeeper/gaitkeeper.db)");
  cmd->callback([opt] { run_sessions(*opt); });
}

}  // namespace gk::cli
