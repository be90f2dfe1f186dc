// `gaitkeeper analyze`: run the gait engine over recorded sessions.
#include <fmt/format.h>

#include <filesystem>
#include <numeric>
#include <string>
#include <vector>

#include "commands.hpp"
#include "input_error.hpp"
#include "knee_csv.hpp"
#include "session.hpp"
#include "session_analysis.hpp"
#include "steps_csv.hpp"

namespace gk::cli {
namespace {

struct AnalyzeOptions {
  std::vector<std::filesystem::path> sessions;
  std::filesystem::path steps_csv;
  std::filesystem::path knee_csv;
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
  if (!opt.knee_csv.empty() && opt.sessions.size() != 1) {
    throw InputError(opt.knee_csv, 0, "--knee-csv needs exactly one session");
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
    const std::optional<double> valgus = mean_of(a.steps, &StepResult::peak_valgus_deg);
    if (valgus) {
      fmt::print("{}: knee: peak stance valgus {:.1f} deg (confidence {:.2f}), flexion at IC {}\n",
                 path.string(), *valgus,
                 mean_of(a.steps, &StepResult::valgus_confidence).value_or(0.0),
                 fmt_opt(mean_of(a.steps, &StepResult::knee_flexion_ic_deg), "deg"));
    }
    if (const std::optional<double> drop = mean_of(a.steps, &StepResult::pelvic_drop_deg)) {
      fmt::print("{}: pelvis: contralateral pelvic drop {:.1f} deg (mean of the steps' peaks)\n",
                 path.string(), *drop);
    }
    if (const std::optional<double> hip = mean_of(a.steps, &StepResult::peak_hip_adduction_deg)) {
      fmt::print("{}: hip: peak stance hip adduction {:.1f} deg\n", path.string(), *hip);
    }
    if (const std::optional<double> tibia =
            mean_of(a.steps, &StepResult::peak_tibial_inclination_deg)) {
      fmt::print(
          "{}: shank only: peak tibial frontal-plane inclination in stance {:.1f} deg "
          "(the shank's tilt, not knee valgus)\n",
          path.string(), *tibia);
    }
    if (!opt.steps_csv.empty()) {
      write_steps_csv(opt.steps_csv, a.steps);
      fmt::print("wrote {} ({} steps)\n", opt.steps_csv.string(), a.steps.size());
    }
    if (!opt.knee_csv.empty()) {
      write_knee_csv(opt.knee_csv, a.knee);
      fmt::print("wrote {} ({} knee samples)\n", opt.knee_csv.string(), a.knee.size());
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
      "tibial shock, knee valgus and flexion from a knee sleeve. Prints one summary line per "
      "session; warnings go to stderr.");
  cmd->add_option("SESSION", opt->sessions, "Recording (.gkr) or CSV session folder")
      ->required()
      ->check(CLI::ExistingPath);
  cmd->add_option("--steps-csv", opt->steps_csv,
                  "Write one row per step: side,ic,to,contact_ms,flight_ms,cadence_spm,\n"
                  "stride_m,foot_strike,shock_g,quality,peak_valgus_deg,knee_flexion_ic_deg,\n"
                  "valgus_confidence,pelvic_drop_deg,hip_adduction_deg,tibial_inclination_deg\n"
                  "(times in s on the input's clock)");
  cmd->add_option("--knee-csv", opt->knee_csv,
                  "Write the knee angles of every knee sleeve (thigh + shank sensors) at 100 Hz:\n"
                  "t,side,valgus_deg,flexion_deg,confidence");
  cmd->callback([opt] { run_analyze(*opt); });
}

}  // namespace gk::cli
