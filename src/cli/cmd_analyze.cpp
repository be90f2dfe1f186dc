// `gaitkeeper analyze`: run the gait engine and the assessor over recorded
// sessions (files and folders) on all cores, one file per worker, store the
// results and print one table row per session.
#include <fmt/format.h>
#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "assess_profile.hpp"
#include "commands.hpp"
#include "input_error.hpp"
#include "knee_csv.hpp"
#include "session_job.hpp"
#include "session_store.hpp"
#include "steps_csv.hpp"

namespace gk::cli {
namespace {

struct AnalyzeOptions {
  std::vector<std::filesystem::path> inputs;
  std::filesystem::path steps_csv;
  std::filesystem::path knee_csv;
  std::filesystem::path db;
  std::filesystem::path profile;
  std::string athlete;
  std::string shoes;
  bool no_store = false;
  unsigned jobs = 0;
};

std::string fmt_opt(const std::optional<double>& v, const char* unit) {
  return v ? fmt::format("{:.1f} {}", *v, unit) : std::string("-");
}

/// The knee, pelvis, hip and tibia lines of one session (what a sleeve or
/// clip measured); nothing for sensors that were not worn.
void print_details(const std::string& name, const SessionReportData& d) {
  const std::vector<StepResult>& steps = d.steps;
  fmt::print("{}: {:.1f} s, {} steps, cadence {}, contact {}, stride {}\n", name, d.duration_s,
             steps.size(), fmt_opt(mean_of(steps, &StepResult::cadence_spm), "steps/min"),
             fmt_opt(mean_of(steps, &StepResult::contact_ms), "ms"),
             fmt_opt(mean_of(steps, &StepResult::stride_m), "m"));
  if (const auto valgus = mean_of(steps, &StepResult::peak_valgus_deg)) {
    fmt::print("{}: knee: peak stance valgus {:.1f} deg (confidence {:.2f}), flexion at IC {}\n",
               name, *valgus, mean_of(steps, &StepResult::valgus_confidence).value_or(0.0),
               fmt_opt(mean_of(steps, &StepResult::knee_flexion_ic_deg), "deg"));
  }
  if (const auto drop = mean_of(steps, &StepResult::pelvic_drop_deg)) {
    fmt::print("{}: pelvis: contralateral pelvic drop {:.1f} deg (mean of the steps' peaks)\n",
               name, *drop);
  }
  if (const auto hip = mean_of(steps, &StepResult::peak_hip_adduction_deg)) {
    fmt::print("{}: hip: peak stance hip adduction {:.1f} deg\n", name, *hip);
  }
  if (const auto tibia = mean_of(steps, &StepResult::peak_tibial_inclination_deg)) {
    fmt::print(
        "{}: shank only: peak tibial frontal-plane inclination in stance {:.1f} deg "
        "(the shank's tilt, not knee valgus)\n",
        name, *tibia);
  }
}

/// Redraws one progress line on a terminal (stderr), nothing otherwise.
class ProgressBar {
 public:
  ProgressBar(size_t total, bool enabled) : total_(total), enabled_(enabled) {}
  void update(size_t done, size_t failed) {
    if (!enabled_) return;
    constexpr size_t kWidth = 30;
    const size_t fill = total_ ? done * kWidth / total_ : kWidth;
    fmt::print(stderr, "\r[{}{}] {}/{} sessions{}", std::string(fill, '#'),
               std::string(kWidth - fill, ' '), done, total_,
               failed ? fmt::format(", {} failed", failed) : std::string());
    if (done == total_) fmt::print(stderr, "\n");
    std::fflush(stderr);
  }

 private:
  size_t total_;
  bool enabled_;
};

void run_analyze(const AnalyzeOptions& opt) {
  const std::vector<std::filesystem::path> files = collect_sessions(opt.inputs);
  if (!opt.steps_csv.empty() && files.size() != 1) {
    throw InputError(opt.steps_csv, 0, "--steps-csv needs exactly one session");
  }
  if (!opt.knee_csv.empty() && files.size() != 1) {
    throw InputError(opt.knee_csv, 0, "--knee-csv needs exactly one session");
  }
  SessionJobSettings job;
  job.profile = opt.profile.empty() ? AssessProfile{} : load_profile(opt.profile);
  job.athlete_fallback = opt.athlete;
  job.shoes = opt.shoes;
  job.keep_knee_series = !opt.knee_csv.empty();
  const std::filesystem::path db_path = opt.db.empty() ? default_db_path() : opt.db;
  // Open (and migrate) once up front so a bad database fails before any work.
  std::optional<SessionStore> probe;
  if (!opt.no_store) probe.emplace(db_path);

  ProgressBar bar(files.size(), isatty(STDERR_FILENO) != 0);
  bar.update(0, 0);
  BatchSettings batch;
  batch.job = job;
  batch.jobs = opt.jobs;
  if (!opt.no_store) batch.db = db_path;
  size_t failed = 0;
  const std::vector<BatchOutcome> outcomes =
      run_batch(files, batch, [&](size_t done, size_t failed_so_far) {
        failed = failed_so_far;
        bar.update(done, failed_so_far);
      });
  const std::vector<KneeAngleSample>& knee = outcomes[0].knee;

  // The table, in the order the files were given.
  fmt::print("{:<28} {:>9} {:>6} {:>9} {:>7} {:>5}  {}\n", "session", "duration", "steps",
             "cadence", "target", "flags", "store");
  for (size_t i = 0; i < files.size(); ++i) {
    const BatchOutcome& o = outcomes[i];
    if (!o.data) continue;
    const SessionReportData& d = *o.data;
    const auto cadence = mean_of(d.steps, &StepResult::cadence_spm);
    const auto& rec = d.assessment.recommendation;
    const double min = d.duration_s / 60.0;
    fmt::print("{:<28} {:>5.0f}:{:02.0f} {:>6} {:>9} {:>7} {:>5}  {}\n",
               files[i].filename().string().substr(0, 28), std::floor(min),
               std::floor(std::fmod(d.duration_s, 60.0)), d.steps.size(),
               cadence ? fmt::format("{:.1f}", *cadence) : "-",
               rec ? fmt::format("{:.0f}", rec->target_cadence_spm()) : "-",
               d.assessment.flags.size(),
               opt.no_store ? std::string("-") : fmt::format("#{}", o.store_id));
  }
  if (files.size() == 1 && outcomes[0].data) {
    const SessionReportData& d = *outcomes[0].data;
    print_details(files[0].string(), d);
    if (!opt.steps_csv.empty()) {
      write_steps_csv(opt.steps_csv, d.steps);
      fmt::print("wrote {} ({} steps)\n", opt.steps_csv.string(), d.steps.size());
    }
    if (!opt.knee_csv.empty()) {
      write_knee_csv(opt.knee_csv, knee);
      fmt::print("wrote {} ({} knee samples)\n", opt.knee_csv.string(), knee.size());
    }
  }
  for (size_t i = 0; i < files.size(); ++i) {
    const BatchOutcome& o = outcomes[i];
    if (o.data) {
      for (const std::string& w : o.data->warnings) {
        print_input_warning(files[i], w);
      }
    }
  }
  if (!opt.no_store) fmt::print("stored in {}\n", db_path.string());
  // InputError messages already begin with the file; the others get it here, once.
  if (files.size() == 1 && !outcomes[0].error.empty()) {
    throw InputError(files[0], 0,
                     without_file_prefix(files[0], outcomes[0].error));  // printed once, by main
  }
  size_t first_failed = files.size();
  for (size_t i = 0; i < files.size(); ++i) {
    if (outcomes[i].error.empty()) continue;
    fmt::print(stderr, "error: {}: {}\n", files[i].string(),
               without_file_prefix(files[i], outcomes[i].error));
    first_failed = std::min(first_failed, i);
  }
  if (first_failed < files.size()) {
    throw InputError(files[first_failed], 0,
                     fmt::format("{} of {} sessions failed (reasons above); the others were "
                                 "analysed{}",
                                 failed, files.size(), opt.no_store ? "" : " and stored"));
  }
}

}  // namespace

void add_analyze_command(CLI::App& app) {
  auto opt = std::make_shared<AnalyzeOptions>();
  CLI::App* cmd = app.add_subcommand(
      "analyze",
      "Analyse recorded sessions (.gkr recordings, CSV session folders, or folders holding\n"
      "them) on all cores: steps with initial contact and toe-off, contact and flight time,\n"
      "cadence, stride length, foot strike, tibial shock, knee valgus and flexion, form flags\n"
      "and the step-rate target. Stores every session in the session store and prints a table;\n"
      "a file that fails is reported with its reason while the others go on (exit code 2).");
  cmd->add_option("SESSION", opt->inputs, "Recordings (.gkr), CSV session folders or folders")
      ->required()
      ->check(CLI::ExistingPath);
  cmd->add_option("--steps-csv", opt->steps_csv,
                  "Write one row per step: side,ic,to,contact_ms,flight_ms,cadence_spm,\n"
                  "stride_m,foot_strike,shock_g,quality,peak_valgus_deg,knee_flexion_ic_deg,\n"
                  "valgus_confidence,pelvic_drop_deg,hip_adduction_deg,tibial_inclination_deg\n"
                  "(times in s on the input's clock; one session only)");
  cmd->add_option("--knee-csv", opt->knee_csv,
                  "Write the knee angles of every knee sleeve (thigh + shank sensors) at 100 Hz:\n"
                  "t,side,valgus_deg,flexion_deg,confidence (one session only)");
  cmd->add_option("--db", opt->db,
                  "Session store (SQLite); default $XDG_DATA_HOME/gaitkeeper/gaitkeeper.db");
  cmd->add_flag("--no-store", opt->no_store, "Analyse only; do not store the results");
  cmd->add_option("--profile", opt->profile, "Assessment profile (TOML, docs/ASSESSMENT.md)");
  cmd->add_option("--athlete", opt->athlete, "Athlete for sessions whose header names none");
  cmd->add_option("--shoes", opt->shoes,
                  "Shoes worn, for sessions whose header names none (default: the athlete's\n"
                  "default pair, `gaitkeeper shoes`)");
  cmd->add_option("-j,--jobs", opt->jobs, "Workers (default: one per core)");
  cmd->callback([opt] { run_analyze(*opt); });
}

}  // namespace gk::cli
