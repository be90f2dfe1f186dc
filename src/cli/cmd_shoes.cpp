// `gaitkeeper shoes`: an athlete's shoes and the distance run in each pair,
// with a warning once a pair passes its replacement distance (the usual
// advice: replace running shoes every 300-500 miles, 480-800 km).
#include <fmt/format.h>

#include <filesystem>
#include <string>

#include "commands.hpp"
#include "finite_range.hpp"
#include "input_error.hpp"
#include "session_store.hpp"
#include "utc_time.hpp"

namespace gk::cli {
namespace {

struct ShoesOptions {
  std::string athlete;
  std::string add;
  std::string start;
  double retire_km = 480.0;
  bool make_default = false;
  std::filesystem::path db;
};

void run_shoes(const ShoesOptions& opt) {
  SessionStore store(opt.db.empty() ? default_db_path() : opt.db);
  if (!opt.add.empty()) {
    int64_t start = now_utc_us();
    if (!opt.start.empty()) {
      const std::optional<int64_t> parsed = parse_utc_us(opt.start);
      if (!parsed) {
        throw InputError("--start", 0,
                         fmt::format("`{}` is not a date: use YYYY-MM-DD", opt.start));
      }
      start = *parsed;
    }
    if (opt.retire_km <= 0.0) throw InputError("--retire-km", 0, "must be above 0 km");
    store.add_shoes(opt.athlete, opt.add, start, opt.retire_km, opt.make_default);
    fmt::print("{}: shoes `{}` from {}, replace at {:.0f} km{}\n", opt.athlete, opt.add,
               format_utc_date(start), opt.retire_km, opt.make_default ? " (default pair)" : "");
  }
  const auto pairs = store.shoes(opt.athlete);
  if (pairs.empty()) {
    fmt::print("{}: no shoes registered (add a pair with --add NAME)\n", opt.athlete);
    return;
  }
  fmt::print("{:<20} {:>10} {:>9} {:>9} {:>8}  {}\n", "shoes", "since", "km", "limit", "sessions",
             "status");
  for (const SessionStore::ShoeMileage& m : pairs) {
    const std::string status =
        m.crossed_in_session
            ? fmt::format("REPLACE: passed {:.0f} km in session {} ({})", m.retire_km,
                          *m.crossed_in_session, format_utc_date(*m.crossed_at_utc_us))
            : fmt::format("{:.0f} km left", m.retire_km - m.distance_km);
    fmt::print(
        "{:<20} {:>10} {:>9.1f} {:>9.0f} {:>8}  {}{}{}\n", m.name + (m.is_default ? " *" : ""),
        format_utc_date(m.start_utc_us), m.distance_km, m.retire_km, m.sessions, status,
        m.sessions_without_distance
            ? fmt::format(" ({} session{} without a known speed not counted)",
                          m.sessions_without_distance, m.sessions_without_distance == 1 ? "" : "s")
            : "",
        "");
  }
}

}  // namespace

void add_shoes_command(CLI::App& app) {
  auto opt = std::make_shared<ShoesOptions>();
  CLI::App* cmd = app.add_subcommand(
      "shoes",
      "An athlete's running shoes: distance run in each pair (from the sessions' stride length\n"
      "or treadmill speed) and a warning once a pair passes its replacement distance.");
  cmd->add_option("--athlete", opt->athlete, "Athlete")->required();
  cmd->add_option("--add", opt->add, "Register a pair by name (or update its start and limit)");
  cmd->add_option("--start", opt->start, "First day in the pair (YYYY-MM-DD; default today)");
  cmd->add_option("--retire-km", opt->retire_km, "Replacement distance")
      ->check(finite_range(1.0, 5000.0))
      ->capture_default_str();
  cmd->add_flag("--default", opt->make_default, "Sessions that name no shoes count on this pair");
  cmd->add_option("--db", opt->db,
                  "Session store (default $XDG_DATA_HOME/gaitkeeper/gaitkeeper.db)");
  cmd->callback([opt] { run_shoes(*opt); });
}

}  // namespace gk::cli
