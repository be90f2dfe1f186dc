// `gaitkeeper export`: any session (a .gkr recording or a CSV folder) to a CSV
// session folder in SI units, for spreadsheets, other tools and hand checks.
#include <fmt/format.h>

#include <filesystem>
#include <memory>
#include <system_error>

#include "commands.hpp"
#include "input_error.hpp"
#include "placement.hpp"
#include "session.hpp"

namespace gk::cli {
namespace {

struct ExportOptions {
  std::filesystem::path session;
  std::filesystem::path out_dir;
};

void run_export(const ExportOptions& opt) {
  std::error_code ec;
  if (std::filesystem::exists(opt.out_dir, ec) &&
      std::filesystem::equivalent(opt.session, opt.out_dir, ec)) {
    throw InputError(opt.out_dir, 0, "is the session being exported; choose another folder");
  }
  Warnings warnings;
  const Session session = load_session(opt.session, warnings);
  const Truth truth = read_truth(truth_dir_for(opt.session));
  for (const std::string& w : warnings) fmt::print(stderr, "warning: {}\n", w);

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
      "atomically; existing files of the same name are replaced.");
  cmd->add_option("SESSION", opt->session, "A .gkr recording or a CSV session folder")->required();
  cmd->add_option("OUT_FOLDER", opt->out_dir, "Folder to write (created if missing)")->required();
  cmd->footer("Example: gaitkeeper export out/demo/demo.gkr out/demo_csv");
  cmd->callback([opt] { run_export(*opt); });
}

}  // namespace gk::cli
