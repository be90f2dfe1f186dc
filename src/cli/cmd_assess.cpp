// `gaitkeeper assess`: form flags linked to runner's knee and the step-rate
// recommendation for one recorded session (src/assess, docs/ASSESSMENT.md).
#include <fmt/format.h>
#include <google/protobuf/util/json_util.h>

#include <cctype>
#include <filesystem>
#include <string>

#include "assess_profile.hpp"
#include "assessment_text.hpp"
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
  print_assessment(as, profile, t0);
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
