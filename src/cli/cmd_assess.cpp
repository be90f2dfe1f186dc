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
#include "session_job.hpp"
#include "session_store.hpp"

namespace gk::cli {
namespace {

struct AssessOptions {
  std::filesystem::path session;
  std::filesystem::path profile;
  std::filesystem::path json;
  std::filesystem::path db;
};

void run_assess(const AssessOptions& opt) {
  const AssessProfile profile = opt.profile.empty() ? AssessProfile{} : load_profile(opt.profile);
  SessionJobSettings job;
  job.profile = profile;
  SessionReportData d = run_session_job(opt.session, job).data;
  for (const std::string& w : d.warnings) {
    print_input_warning(opt.session, w);
  }
  Assessment& as = d.assessment;
  // Training load needs the runner's history: the runs stored before this one.
  const std::filesystem::path db_path = opt.db.empty() ? default_db_path() : opt.db;
  const std::string athlete = d.header.athlete();
  std::string load_status;
  if (!std::filesystem::exists(db_path)) {
    load_status =
        fmt::format("not checked (no session store at {}: `gaitkeeper analyze` stores sessions)",
                    db_path.string());
  } else {
    SessionStore store(db_path);
    const SessionStore::TrainingLoadCheck check =
        store.check_training_load(athlete, d.header.start_time_utc_us(), as.running_s);
    for (const pb::FormFlag& f : check.flags) as.flags.push_back(f);
    load_status =
        check.runs_before == 0
            ? fmt::format("not checked (no stored run of {} before this one in {})", athlete,
                          db_path.string())
            : fmt::format("checked against {} stored run{} of {} ({}){}", check.runs_before,
                          check.runs_before == 1 ? "" : "s", athlete, db_path.string(),
                          check.flags.empty() ? ": within limits" : ": see the flags above");
  }
  const int64_t t0 = d.steps.empty() ? 0 : d.steps.front().event.ic_us;
  fmt::print("{}: {:.1f} s, {:.0f} s of running, {} steps\n", opt.session.string(), d.duration_s,
             as.running_s, d.steps.size());
  fmt::print("{}", format_assessment(as, profile, t0, load_status));
  if (!opt.json.empty()) {
    pb::SessionSummary summary;
    summary.set_session_id(d.header.session_id());
    summary.set_athlete(athlete);
    summary.set_duration_s(d.duration_s);
    summary.set_steps(static_cast<uint32_t>(d.steps.size()));
    summary.set_content_hash(d.content_hash);
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
  cmd->add_option("--db", opt->db,
                  "Session store holding the runner's history, for the training-load checks;\n"
                  "default $XDG_DATA_HOME/gaitkeeper/gaitkeeper.db");
  cmd->callback([opt] { run_assess(*opt); });
}

}  // namespace gk::cli
