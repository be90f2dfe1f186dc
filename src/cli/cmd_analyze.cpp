// `gaitkeeper analyze`: run the gait engine over recorded sessions.
#include <fmt/format.h>

#include <filesystem>
#include <numeric>
#include <string>
#include <vector>

#include "commands.hpp"
#include "input_error.hpp"
#include "session.hpp"
#include "session_analysis.hpp"
#include "steps_csv.hpp"

namespace gk::cli {
namespace {

struct AnalyzeOptions {
  std::vector<std::filesystem::path> sessions;
  std::filesystem::path steps_csv;
};

std::optional<double> mean_of(const std::vector<StepResult>& steps,
                              std::optional<double> StepResult::*field) {
  double sum = 0.0;
  size_t n = 0;
  for (const StepResult& s : steps) {
    if (s.*field) {
      sum += *(s.*field);
      ++n;
    }
  }
  return n ? std::optional<double>(sum / static_cast<double>(n)) : std::nullopt;
}

std::string fmt_opt(const std::optional<double>& v, const char* unit) {
  return v ? fmt::format("{:.1f} {}", *v, unit) : std::string("-");
}

void run_analyze(const AnalyzeOptions& opt) {
  if (!opt.steps_csv.empty() && opt.sessions.size() != 1) {
    throw InputError(opt.steps_csv, 0, "--steps-csv needs exactly one session");
  }
  for (const std::filesystem::path& path : opt.sessions) {
    Warnings load_warnings;
    const Session session = load_session(path, load_warnings);
    for (const std::string& w : load_warnings) fmt::print(stderr, "warning: {}\n", w);
    const GaitAnalysis a = analyze_gait(session);
    for (const std::string& w : a.warnings) {
      fmt::print(stderr, "warning: {}: {}\n", path.string(), w);
    }
    fmt::print("{}: {:.1f} s, {} steps{}, cadence {}, contact {}, stride {}\n", path.string(),
               a.duration_s, a.steps.size(), a.one_foot_only ? " (one foot)" : "",
               fmt_opt(mean_of(a.steps, &StepResult::cadence_spm), "steps/min"),
               fmt_opt(mean_of(a.steps, &StepResult::contact_ms), "ms"),
               a.steps.empty() ? "-" : fmt_opt(mean_of(a.steps, &StepResult::stride_m), "m"));
    if (!opt.steps_csv.empty()) {
      write_steps_csv(opt.steps_csv, a.steps);
      fmt::print("wrote {} ({} steps)\n", opt.steps_csv.string(), a.steps.size());
    }
  }
}

}  // namespace

void add_analyze_command(CLI::App& app) {
  auto opt = std::make_shared<AnalyzeOptions>();
  CLI::App* cmd = app.add_subcommand(
      "analyze",
      "Analyse recorded sessions (.gkr recordings or CSV session folders): steps with initial\n"
      "contact and toe-off, contact and flight time, cadence, stride length, foot strike,\n"
      "tibial shock. Prints one summary line per session; warnings go to stderr.");
  cmd->add_option("SESSION", opt->sessions, "Recording (.gkr) or CSV session folder")
      ->required()
      ->check(CLI::ExistingPath);
  cmd->add_option("--steps-csv", opt->steps_csv,
                  "Write one row per step: side,ic,to,contact_ms,flight_ms,cadence_spm,\n"
                  "stride_m,foot_strike,shock_g,quality (times in s on the input's clock)");
  cmd->callback([opt] { run_analyze(*opt); });
}

}  // namespace gk::cli
