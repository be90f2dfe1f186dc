// `gaitkeeper demo`: the main job on the embedded default. For now it
// simulates a 60 s treadmill run with shoe and knee-sleeve sensors, writes it
// as a recording with its ground truth, and reports what it wrote. Later
// stages (analysis, live view) are added to this same command.
#include <fmt/format.h>

#include <filesystem>

#include "assessment_text.hpp"
#include "commands.hpp"
#include "event_evaluation.hpp"
#include "finite_range.hpp"
#include "form_assessor.hpp"
#include "knee_csv.hpp"
#include "knee_evaluation.hpp"
#include "placement.hpp"
#include "session.hpp"
#include "session_analysis.hpp"
#include "simulator.hpp"
#include "steps_csv.hpp"

namespace gk::cli {
namespace {

struct DemoOptions {
  std::filesystem::path out_dir = "out/demo";
  double duration_s = 180.0;
  double stand_s = 5.0;
  double speed_mps = 3.0;
  double cadence_spm = 164.0;
  double rate_hz = 200.0;
  uint64_t seed = 7;
};

void run_demo(const DemoOptions& opt) {
  const sim::SimSettings settings = sim::demo_runner(opt.stand_s, opt.duration_s, opt.speed_mps,
                                                     opt.cadence_spm, opt.rate_hz, opt.seed);
  const sim::SimResult result = sim::simulate(settings);

  std::filesystem::create_directories(opt.out_dir);
  const std::filesystem::path rec = opt.out_dir / "demo.gkr";
  write_recording(rec, result.session);
  write_truth(truth_dir_for(rec), result.truth);

  fmt::print("gaitkeeper demo: simulated {:.0f} s treadmill run at {:.1f} m/s, {:.0f} steps/min\n",
             opt.duration_s, opt.speed_mps, opt.cadence_spm);
  fmt::print("wrote {} ({} bytes)\n", rec.string(), std::filesystem::file_size(rec));
  for (const SensorStream& s : result.session.sensors) {
    fmt::print("  {:<12} {:>7} samples at {:.0f} Hz, accel +/-{} g, gyro +/-{} deg/s\n",
               placement_name(s.info.placement()), s.samples.size(), s.info.nominal_rate_hz(),
               s.info.accel_range_g(), s.info.gyro_range_dps());
  }
  const size_t contacts = result.truth.events ? result.truth.events->size() : 0;
  fmt::print("wrote truth to {} ({} ground contacts)\n", truth_dir_for(rec).string(), contacts);

  // Read the recording back, as any recorded session would be, and analyse it.
  Warnings warnings;
  const Session session = read_recording(rec, warnings);
  for (const std::string& w : warnings) fmt::print("warning: {}\n", w);
  const GaitAnalysis a = analyze_gait(session);
  const std::filesystem::path steps = opt.out_dir / "steps.csv";
  write_steps_csv(steps, a.steps);
  fmt::print("analysed: {} steps, wrote {}\n", a.steps.size(), steps.string());
  const std::filesystem::path knee = opt.out_dir / "knee.csv";
  write_knee_csv(knee, a.knee);
  fmt::print("knee angles: {} samples, wrote {}\n", a.knee.size(), knee.string());
  for (const pb::Side side : {pb::LEFT, pb::RIGHT}) {
    double valgus = 0.0, confidence = 0.0, flexion = 0.0;
    size_t n = 0;
    for (const StepResult& st : a.steps) {
      if (st.event.side != side || !st.peak_valgus_deg) continue;
      valgus += *st.peak_valgus_deg;
      flexion += st.knee_flexion_ic_deg.value_or(0.0);
      confidence += st.valgus_confidence.value_or(0.0);
      ++n;
    }
    if (n == 0) continue;
    const auto k = static_cast<double>(n);
    fmt::print(
        "  {} knee: peak stance valgus {:.1f} deg (confidence {:.2f}), flexion at IC {:.1f} "
        "deg, over {} steps\n",
        side == pb::LEFT ? "left" : "right", valgus / k, confidence / k, flexion / k, n);
  }
  for (const std::string& w : a.warnings) fmt::print("  note: {}\n", w);
  for (const CadenceWindow& w : a.minutes) {
    fmt::print("  minute from {:5.1f} s: cadence {:.1f} steps/min, step-time CV {:.1f} %{}\n",
               static_cast<double>(w.t_start_us) * 1e-6, w.cadence_spm, w.step_time_cv_pct,
               w.contact_balance_left_pct
                   ? fmt::format(", contact balance {:.1f} % left", *w.contact_balance_left_pct)
                   : std::string());
  }
  if (result.truth.events) {
    const EventEvaluation e = evaluate_events(a.steps, *result.truth.events);
    fmt::print(
        "against the simulator's truth: F1 {:.4f}, IC error {:.1f} ms, contact-time error "
        "{:.1f} ms, cadence error {:.2f} steps/min\n",
        e.f1, e.ic_mae_ms.value_or(0.0), e.contact_mae_ms.value_or(0.0),
        e.cadence_mae_spm.value_or(0.0));
  }
  if (result.truth.knee) {
    const KneeEvaluation k = evaluate_knee(a.knee, a.steps, *result.truth.knee);
    fmt::print(
        "knee against the simulator's truth: valgus RMSE {:.2f} deg, flexion RMSE {:.2f} deg, "
        "peak stance valgus error {:.2f} deg over {} steps (simulated: peak valgus left 12, right "
        "4 deg; knee flexion at contact 6 deg)\n",
        k.valgus_rmse_deg.value_or(0.0), k.flexion_rmse_deg.value_or(0.0),
        k.peak_valgus_mae_deg.value_or(0.0), k.steps_compared);
  }
  // What the runner and the coach act on (gaitkeeper assess, docs/ASSESSMENT.md).
  fmt::print("\nform assessment (gaitkeeper assess {}):\n", rec.string());
  const AssessProfile profile;
  fmt::print("{}",
             format_assessment(assess_gait(a.steps, profile), profile,
                               a.steps.empty() ? 0 : a.steps.front().event.ic_us,
                               "not checked (the demo's runner has no stored history; `gaitkeeper "
                               "analyze` stores sessions and `gaitkeeper assess` checks them)"));
}

}  // namespace

void add_demo_command(CLI::App& app) {
  auto opt = std::make_shared<DemoOptions>();
  CLI::App* cmd = app.add_subcommand(
      "demo",
      "Run the embedded demo: simulate a 3-minute treadmill run (shoe + knee-sleeve sensors),\n"
      "write it as a .gkr recording with ground truth, analyse it with the gait engine and\n"
      "compare the steps with the truth.");
  cmd->add_option("--out", opt->out_dir, "Output folder")->capture_default_str();
  cmd->add_option("--duration-s", opt->duration_s, "Run duration in seconds")
      ->check(finite_range(1.0, 36000.0))
      ->capture_default_str();
  cmd->add_option("--stand-s", opt->stand_s,
                  "Standing still before the run (the knee sleeve's calibration pose)")
      ->check(finite_range(0.0, 600.0))
      ->capture_default_str();
  cmd->add_option("--speed-mps", opt->speed_mps, "Treadmill speed in m/s")
      ->check(finite_range(1.5, 8.0))
      ->capture_default_str();
  cmd->add_option("--cadence-spm", opt->cadence_spm, "Runner's step rate in steps/min")
      ->check(finite_range(130.0, 220.0))
      ->capture_default_str();
  cmd->add_option("--rate-hz", opt->rate_hz, "Sensor sample rate")
      ->check(finite_range(100.0, 1000.0))
      ->capture_default_str();
  cmd->add_option("--seed", opt->seed, "Random seed of the simulation")->capture_default_str();
  cmd->callback([opt] { run_demo(*opt); });
}

}  // namespace gk::cli
