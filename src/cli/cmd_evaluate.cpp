// `gaitkeeper evaluate`: detected steps against reference events.
#include <fmt/format.h>

#include <filesystem>
#include <nlohmann/json.hpp>

#include "commands.hpp"
#include "event_evaluation.hpp"
#include "input_error.hpp"
#include "knee_evaluation.hpp"
#include "placement.hpp"
#include "session.hpp"
#include "session_analysis.hpp"
#include "session_job.hpp"

namespace gk::cli {
namespace {

struct EvaluateOptions {
  std::filesystem::path session;
  std::filesystem::path truth_dir;
};

nlohmann::json opt_json(const std::optional<double>& v) {
  return v ? nlohmann::json(std::round(*v * 1000.0) / 1000.0) : nlohmann::json(nullptr);
}

void run_evaluate(const EvaluateOptions& opt) {
  const std::filesystem::path truth_dir =
      opt.truth_dir.empty() ? truth_dir_for(opt.session) : opt.truth_dir;
  if (!opt.truth_dir.empty() && std::filesystem::is_regular_file(opt.truth_dir)) {
    throw InputError(opt.truth_dir, 0,
                     "--truth takes the folder that holds events.csv and/or knee.csv, not a "
                     "file: give " +
                         opt.truth_dir.parent_path().string());
  }
  const Truth truth = read_truth(truth_dir);
  if (!truth.events && !truth.knee) {
    throw InputError(truth_dir / "events.csv", 0,
                     "no reference to compare with (expected truth/events.csv with side,ic,to "
                     "and/or truth/knee.csv with t,side,valgus_deg,flexion_deg; see "
                     "docs/formats.md)");
  }
  Warnings load_warnings;
  const Session session = load_session(opt.session, load_warnings);
  for (const std::string& w : load_warnings) print_input_warning(opt.session, w);
  const GaitAnalysis a = analyze_gait(session);
  for (const std::string& w : a.warnings) print_input_warning(opt.session, w);
  nlohmann::json j;
  j["session"] = opt.session.string();
  if (truth.knee) {
    const KneeEvaluation k = evaluate_knee(a.knee, a.steps, *truth.knee);
    nlohmann::json kj;
    kj["samples_true"] = k.samples_true;
    kj["samples_compared"] = k.samples_compared;
    kj["valgus_rmse_deg"] = opt_json(k.valgus_rmse_deg);
    kj["flexion_rmse_deg"] = opt_json(k.flexion_rmse_deg);
    kj["valgus_bias_deg"] = opt_json(k.valgus_bias_deg);
    kj["flexion_bias_deg"] = opt_json(k.flexion_bias_deg);
    kj["valgus_drift_deg"] = opt_json(k.valgus_drift_deg);
    kj["mean_confidence"] = opt_json(k.mean_confidence);
    kj["steps_compared"] = k.steps_compared;
    kj["peak_valgus_mae_deg"] = opt_json(k.peak_valgus_mae_deg);
    kj["peak_valgus_max_error_deg"] = opt_json(k.peak_valgus_max_error_deg);
    j["knee"] = kj;
  }
  if (!truth.events) {
    fmt::print("{}\n", j.dump());
    return;
  }
  EvaluationSettings settings;
  settings.sensors_side = sensed_side(session, a.steps);
  int64_t last_us = INT64_MIN;
  for (const SensorStream& s : session.sensors) {
    if (!s.samples.empty()) last_us = std::max(last_us, s.samples.back().t_us);
  }
  if (last_us != INT64_MIN) settings.data_end_s = static_cast<double>(last_us) * 1e-6;
  const EventEvaluation e =
      evaluate_events(a.steps, *truth.events, read_unlabelled_contacts(opt.session), settings);
  if (e.truth_other_side_skipped > 0) {
    fmt::print(stderr,
               "note: every sensor is on the {} side, so the {} reference contacts of the other "
               "foot are left out; cadence is compared as twice the stride rate\n",
               *settings.sensors_side == pb::LEFT ? "left" : "right", e.truth_other_side_skipped);
  }
  if (e.truth_after_data_skipped > 0) {
    fmt::print(stderr,
               "note: {} reference contacts come after the session's last sample ({:.3f} s) and "
               "are left out: no data of them was received\n",
               e.truth_after_data_skipped, *settings.data_end_s);
  }
  j["steps_true"] = e.steps_true;
  j["steps_detected"] = e.steps_detected;
  j["matched"] = e.matched;
  j["precision"] = std::round(e.precision * 10000.0) / 10000.0;
  j["recall"] = std::round(e.recall * 10000.0) / 10000.0;
  j["f1"] = std::round(e.f1 * 10000.0) / 10000.0;
  j["ic_mae_ms"] = opt_json(e.ic_mae_ms);
  j["to_mae_ms"] = opt_json(e.to_mae_ms);
  j["contact_mae_ms"] = opt_json(e.contact_mae_ms);
  j["cadence_mae_spm"] = opt_json(e.cadence_mae_spm);
  j["cadence_windows"] = e.cadence_windows;
  j["detections_unlabelled"] = e.detections_unlabelled;
  j["cadence_windows_unlabelled"] = e.cadence_windows_unlabelled;
  j["side_compared"] =
      e.side_compared ? nlohmann::json(side_letter(*e.side_compared)) : nlohmann::json(nullptr);
  j["truth_other_side_skipped"] = e.truth_other_side_skipped;
  j["truth_after_data_skipped"] = e.truth_after_data_skipped;
  fmt::print("{}\n", j.dump());
}

}  // namespace

void add_evaluate_command(CLI::App& app) {
  auto opt = std::make_shared<EvaluateOptions>();
  CLI::App* cmd = app.add_subcommand(
      "evaluate",
      "Compare detected steps with reference events (truth/events.csv) and print JSON:\n"
      "steps true/detected, precision, recall, F1 (IC matched within 60 ms, same side,\n"
      "one-to-one), IC/TO/contact-time mean absolute error (ms) and cadence mean absolute\n"
      "error (steps/min) over 10-step windows. Contacts that session.json declares\n"
      "unlabelled by the reference (truth_unlabelled_contacts_s) are neither credited\n"
      "nor faulted, and counted in detections_unlabelled. With truth/knee.csv also a\n"
      "\"knee\" object: valgus and flexion RMSE (deg), bias, drift, and peak stance\n"
      "valgus error per step.");
  cmd->add_option("SESSION", opt->session, "Recording (.gkr) or CSV session folder")
      ->required()
      ->check(CLI::ExistingPath);
  cmd->add_option(
      "--truth", opt->truth_dir,
      "Folder with events.csv and/or knee.csv (default: SESSION/truth, or X.truth beside X.gkr)");
  cmd->callback([opt] { run_evaluate(*opt); });
}

}  // namespace gk::cli
