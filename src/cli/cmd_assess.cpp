// `gaitkeeper assess`: form flags linked to runner's knee and the step-rate
// recommendation for one recorded session (src/assess, docs/ASSESSMENT.md).
#include <fmt/format.h>
#include <google/protobuf/util/json_util.h>

#include <cctype>
#include <filesystem>
#include <string>

#include "assess_profile.hpp"
#include "atomic_file.hpp"
#include "commands.hpp"
#include "form_assessor.hpp"
#include "input_error.hpp"
#include "session.hpp"
#include "session_analysis.hpp"

namespace gk::cli {
namespace {

struct AssessOptions {
  std::filesystem::path session;
  std::filesystem::path profile;
  std::filesystem::path json;
};

const char* side_name(pb::Side side) {
  return side == pb::LEFT ? "left " : side == pb::RIGHT ? "right " : "";
}

std::string kind_name(pb::FlagKind kind) {
  std::string s = pb::FlagKind_Name(kind);
  for (char& c : s) c = c == '_' ? ' ' : static_cast<char>(std::tolower(c));
  return s;
}

void print_flag(const pb::FormFlag& f, int64_t t0_us) {
  fmt::print("[{}] {}{} ({:.0f}-{:.0f} s)\n", pb::Severity_Name(f.severity()), side_name(f.side()),
             kind_name(f.kind()), static_cast<double>(f.t_start_us() - t0_us) * 1e-6,
             static_cast<double>(f.t_end_us() - t0_us) * 1e-6);
  for (const pb::Evidence& e : f.evidence()) {
    fmt::print("    {}: {:.1f}{}{}\n", e.name(), e.value(), e.unit().empty() ? "" : " ", e.unit());
  }
  fmt::print("    threshold: {:.1f} {}\n", f.threshold(), f.threshold_unit());
  fmt::print("    why: {}\n", f.reference());
  fmt::print("    advice: {}\n", f.advice());
}

void run_assess(const AssessOptions& opt) {
  const AssessProfile profile = opt.profile.empty() ? AssessProfile{} : load_profile(opt.profile);
  Warnings load_warnings;
  const Session session = load_session(opt.session, load_warnings);
  for (const std::string& w : load_warnings) fmt::print(stderr, "warning: {}\n", w);
  const GaitAnalysis a = analyze_gait(session);
  for (const std::string& w : a.warnings) {
    fmt::print(stderr, "warning: {}: {}\n", opt.session.string(), w);
  }
  const Assessment as = assess_gait(a.steps, profile);
  const int64_t t0 = a.steps.empty() ? 0 : a.steps.front().event.ic_us;
  fmt::print("{}: {:.1f} s, {:.0f} s of running, {} steps\n", opt.session.string(), a.duration_s,
             as.running_s, a.steps.size());
  if (as.flags.empty()) {
    fmt::print("no form flags\n");
  } else {
    fmt::print("{} form flag{}:\n", as.flags.size(), as.flags.size() == 1 ? "" : "s");
    for (const pb::FormFlag& f : as.flags) print_flag(f, t0);
  }
  if (as.recommendation) {
    const pb::Recommendation& r = *as.recommendation;
    fmt::print(
        "recommendation: preferred cadence {:.0f} steps/min ({}), target {:.0f} steps/min "
        "(band {:.0f}-{:.0f}), metronome {:.0f} BPM, one beat per step; plan session {} of {}; "
        "cues {} at the end of the run\n",
        r.preferred_cadence_spm(),
        profile.athlete.preferred_cadence_spm ? "from the profile" : "measured in this session",
        r.target_cadence_spm(), r.band_low_spm(), r.band_high_spm(), r.metronome_bpm(),
        r.plan_session(), r.plan_sessions_total(), r.cue_now() ? "on" : "off");
  } else {
    fmt::print(
        "recommendation: none (needs {:.0f} s of running to measure the preferred cadence, or "
        "athlete.preferred_cadence_spm in a profile)\n",
        profile.thresholds.baseline_end_s);
  }
  fmt::print("training load: not checked (needs the session history store)\n");
  fmt::print("{}\n", kNotADiagnosis);
  if (!opt.json.empty()) {
    pb::SessionSummary summary;
    summary.set_session_id(session.header.session_id());
    summary.set_athlete(session.header.athlete());
    summary.set_duration_s(a.duration_s);
    summary.set_steps(static_cast<uint32_t>(a.steps.size()));
    for (const pb::FormFlag& f : as.flags) *summary.add_flags() = f;
    if (as.recommendation) *summary.mutable_recommendation() = *as.recommendation;
    std::string json;
    google::protobuf::util::JsonPrintOptions o;
    o.add_whitespace = true;
    if (!google::protobuf::util::MessageToJsonString(summary, &json, o).ok()) {
      throw InputError(opt.json, 0, "could not encode the assessment as JSON");
    }
    AtomicFile out(opt.json);
    out.stream() << json;
    out.commit();
    fmt::print("wrote {}\n", opt.json.string());
  }
}

}  // namespace

void add_assess_command(CLI::App& app) {
  auto opt = std::make_shared<AssessOptions>();
  CLI::App* cmd = app.add_subcommand(
      "assess",
      "Form flags linked to runner's knee (low cadence, overstriding, knee valgus, pelvic drop,\n"
      "hip adduction, tibial shock, asymmetry, fatigue drift), each with the measured values,\n"
      "the threshold, a literature reference and advice, and the step-rate recommendation\n"
      "(target, metronome BPM, faded-feedback plan). Not a diagnosis.");
  cmd->add_option("SESSION", opt->session, "Recording (.gkr) or CSV session folder")
      ->required()
      ->check(CLI::ExistingPath);
  cmd->add_option("--profile", opt->profile,
                  "TOML profile: [athlete] baseline, [plan] and [thresholds] (docs/ASSESSMENT.md)");
  cmd->add_option("--json", opt->json, "Also write flags and recommendation as JSON");
  cmd->callback([opt] { run_assess(*opt); });
}

}  // namespace gk::cli
