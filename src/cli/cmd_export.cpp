// `gaitkeeper export`: any session (a .gkr recording or a CSV folder) to a CSV
// session folder in SI units, for spreadsheets, other tools and hand checks,
// and/or (--fit) to a FIT activity file with running dynamics (src/report/fit_export).
#include <fmt/format.h>

#include <filesystem>
#include <memory>
#include <system_error>

#include "assess_profile.hpp"
#include "commands.hpp"
#include "fit_export.hpp"
#include "input_error.hpp"
#include "placement.hpp"
#include "session.hpp"
#include "session_job.hpp"

namespace gk::cli {
namespace {

struct ExportOptions {
  std::filesystem::path session;
  std::filesystem::path out_dir;
  std::filesystem::path fit;
  std::filesystem::path profile;
};

void run_fit_export(const ExportOptions& opt) {
  const AssessProfile profile = opt.profile.empty() ? AssessProfile{} : load_profile(opt.profile);
  Warnings warnings;
  const SessionReportData d = analyze_for_report(opt.session, profile, warnings);
  for (const std::string& w : warnings) print_input_warning(opt.session, w);
  write_fit(opt.fit, d);
  fmt::print("wrote FIT activity {} ({} steps in {} records, {} bytes)\n", opt.fit.string(),
             d.steps.size(), fit_records(d).size(), std::filesystem::file_size(opt.fit));
}

void run_export(const ExportOptions& opt) {
  if (opt.out_dir.empty() && opt.fit.empty()) {
    throw InputError(opt.session, 0, "give OUT_FOLDER and/or --fit FILE");
  }
  if (!opt.fit.empty()) run_fit_export(opt);
  if (opt.out_dir.empty()) return;
  std::error_code ec;
  if (std::filesystem::exists(opt.out_dir, ec) &&
      std::filesystem::equivalent(opt.session, opt.out_dir, ec)) {
    throw InputError(opt.out_dir, 0, "is the session being exported; choose another folder");
  }
  Warnings warnings;
  const Session session = load_session(opt.session, warnings);
  const Truth truth = read_truth(truth_dir_for(opt.session));
  for (const std::string& w : warnings) print_input_warning(opt.session, w);

  write_csv_session(opt.out_dir, session);
  const std::vector<std::string> names = csv_file_names(session);
  fmt::print("wrote CSV session {} (session.json + {} CSV file{})\n", opt.out_dir.string(),
             names.size(), names.size() == 1 ? "" : "s");
  for (size_t i = 0; i < session.sensors.size(); ++i) {
    const SensorStream& s = session.sensors[i];
    fmt::print("  {:<16} {:<12} {:>8} samples {:8.2f} Hz  {}\n", names[i],
               placement_name(s.info.placement()), s.samples.size(), s.info.nominal_rate_hz(),
               s.info.gyro_range_dps() > 0 ? "accel + gyro" : "accel only");
  }
  if (truth.events || truth.knee) {
    const std::filesystem::path truth_out = opt.out_dir / "truth";
    write_truth(truth_out, truth);
    fmt::print("wrote truth to {} ({} contacts, {} knee samples)\n", truth_out.string(),
               truth.events ? truth.events->size() : 0, truth.knee ? truth.knee->size() : 0);
  }
}

}  // namespace

void add_export_command(CLI::App& app) {
  auto opt = std::make_shared<ExportOptions>();
  CLI::App* cmd = app.add_subcommand(
      "export",
      "Write a session as a CSV session folder (session.json + one CSV per sensor in SI units:\n"
      "t[s], m/s^2, rad/s; see docs/formats.md). SESSION is a .gkr recording or a CSV folder.\n"
      "Ground truth (SESSION's truth folder) is copied to OUT_FOLDER/truth/. Files are written\n"
      "atomically; existing files of the same name are replaced.\n"
      "--fit FILE: also (or instead) analyse the session and write a FIT activity file with\n"
      "running dynamics per second (cadence in strides/min + fractional cadence, stance time,\n"
      "stance time balance, step length, speed, distance) for watches' and coaches' tools.");
  cmd->add_option("SESSION", opt->session, "A .gkr recording or a CSV session folder")->required();
  cmd->add_option("OUT_FOLDER", opt->out_dir, "Folder to write (created if missing)");
  cmd->add_option("--fit", opt->fit, "Write a FIT activity file (docs/formats.md)");
  cmd->add_option("--profile", opt->profile, "TOML assessment profile for --fit")
      ->check(CLI::ExistingFile);
  cmd->footer(
      "Examples:\n  gaitkeeper export out/demo/demo.gkr out/demo_csv\n"
      "  gaitkeeper export out/demo/demo.gkr --fit demo.fit");
  cmd->callback([opt] { run_export(*opt); });
}

}  // namespace gk::cli
