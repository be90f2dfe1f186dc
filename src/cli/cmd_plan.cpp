// `gaitkeeper plan`: the return-to-run plan after an episode of runner's
// knee (src/assess/return_to_run_plan.hpp): build one with --return, or
// show how the stored sessions follow the current one.
#include <fmt/format.h>

#include <filesystem>
#include <stdexcept>
#include <string>

#include "commands.hpp"
#include "finite_range.hpp"
#include "form_assessor.hpp"
#include "input_error.hpp"
#include "return_to_run_plan.hpp"
#include "session_store.hpp"
#include "utc_time.hpp"

namespace gk::cli {
namespace {

struct PlanOptions {
  std::string athlete;
  bool make_return = false;
  std::string start;
  std::string now;
  ReturnPlanSettings settings;
  std::optional<double> cadence_spm;
  std::filesystem::path db;
};

int64_t date_or(const std::string& text, const char* option, int64_t fallback) {
  if (text.empty()) return fallback;
  const std::optional<int64_t> t = parse_utc_us(text);
  if (!t) throw InputError(option, 0, fmt::format("`{}` is not a date: use YYYY-MM-DD", text));
  return *t;
}

void run_plan(const PlanOptions& opt) {
  SessionStore store(opt.db.empty() ? default_db_path() : opt.db);
  const int64_t now = date_or(opt.now, "--now", now_utc_us());
  if (opt.make_return) {
    // The cadence target of the retraining plan: the newest stored target.
    std::optional<double> cadence = opt.cadence_spm;
    if (!cadence) {
      for (const StoredSessionInfo& s : store.list(opt.athlete)) {
        if (s.target_cadence_spm) {
          cadence = s.target_cadence_spm;
          break;
        }
      }
    }
    ReturnPlan plan;
    try {
      plan = build_return_plan(date_or(opt.start, "--start", now), opt.settings, cadence);
    } catch (const std::invalid_argument& e) {
      throw InputError("plan", 0, e.what());
    }
    store.save_plan(opt.athlete, plan);
    fmt::print(
        "return-to-run plan for {} from {} ({} sessions a week, at most +{:.0f} % a week):\n",
        opt.athlete, format_utc_date(plan.start_utc_us), plan.settings.sessions_per_week,
        plan.settings.max_weekly_increase_pct);
    for (const PlanWeek& w : plan.steps) fmt::print("  step {}: {}\n", w.step, describe(w));
    fmt::print(
        "A week that ran over the plan, or with pain logged (`gaitkeeper log`), is repeated "
        "instead of progressed.\n{}\n",
        kNotADiagnosis);
    return;
  }
  const std::optional<ReturnPlan> plan = store.load_plan(opt.athlete);
  if (!plan) {
    fmt::print("{}: no return-to-run plan (make one with --return)\n", opt.athlete);
    return;
  }
  const PlanProgress p = follow_plan(*plan, store.plan_runs(opt.athlete, plan->start_utc_us), now);
  fmt::print("return-to-run plan for {} from {}:\n", opt.athlete,
             format_utc_date(plan->start_utc_us));
  for (const PlanWeekStatus& w : p.weeks) {
    fmt::print("  week {} ({}): step {}, planned {:.1f} min, ran {:.1f} min in {} session{}: {}\n",
               w.week, format_utc_date(w.week_start_utc_us), w.planned.step,
               w.planned.run_min_per_week, w.run_min, w.sessions, w.sessions == 1 ? "" : "s",
               w.note);
  }
  fmt::print("{}: step {} of {}: {}\n", p.complete ? "complete" : "next", p.next.step,
             plan->steps.size(), describe(p.next));
}

}  // namespace

void add_plan_command(CLI::App& app) {
  auto opt = std::make_shared<PlanOptions>();
  CLI::App* cmd = app.add_subcommand(
      "plan",
      "Return-to-run plan after runner's knee: weekly run/walk steps over 4-8 weeks, at most\n"
      "10 % more running each week, with the cadence target; stored sessions are checked\n"
      "against it and a week over the plan or with pain logged is repeated.");
  cmd->add_option("--athlete", opt->athlete, "Athlete")->required();
  cmd->add_flag("--return", opt->make_return, "Build a new return-to-run plan");
  cmd->add_option("--start", opt->start, "First day of the plan (YYYY-MM-DD; default today)");
  cmd->add_option("--weeks", opt->settings.weeks, "Weeks of progression (4-8)")
      ->check(finite_range(4, 8))
      ->capture_default_str();
  cmd->add_option("--sessions-per-week", opt->settings.sessions_per_week, "Runs a week")
      ->check(finite_range(1, 7))
      ->capture_default_str();
  cmd->add_option("--first-week-min", opt->settings.first_week_run_min,
                  "Running minutes in the first week")
      ->check(finite_range(1.0, 600.0))
      ->capture_default_str();
  cmd->add_option("--increase-pct", opt->settings.max_weekly_increase_pct,
                  "Weekly increase, at most 10 %")
      ->check(finite_range(0.0, 10.0))
      ->capture_default_str();
  cmd->add_option("--cadence-spm", opt->cadence_spm,
                  "Cadence target (default: the newest stored target of the athlete)")
      ->check(finite_range(120.0, 240.0));
  cmd->add_option("--now", opt->now, "Judge progress as of this date (default today)");
  cmd->add_option("--db", opt->db,
                  "Session store (default $XDG_DATA_HOME/gaitkeeper/gaitkeeper.db)");
  cmd->callback([opt] { run_plan(*opt); });
}

}  // namespace gk::cli
