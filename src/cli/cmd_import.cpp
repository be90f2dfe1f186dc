// `gaitkeeper import`: a CSV session folder (the exchange format of
// docs/formats.md) into a .gkr recording, the format every later stage and the
// live link speak. Ground truth travels along into <OUT>.truth/.
#include <fmt/format.h>

#include <algorithm>
#include <filesystem>
#include <memory>

#include "commands.hpp"
#include "finite_range.hpp"
#include "input_error.hpp"
#include "placement.hpp"
#include "session.hpp"
#include "session_job.hpp"

namespace gk::cli {
namespace {

struct ImportOptions {
  std::filesystem::path csv_dir;
  std::filesystem::path out;
  uint32_t samples_per_packet = 20;
};

void run_import(const ImportOptions& opt) {
  // Everything is read and checked before anything is written, so a bad
  // input leaves no output behind.
  Warnings warnings;
  const Session session = read_csv_session(opt.csv_dir, warnings);
  const Truth truth = read_truth(truth_dir_for(opt.csv_dir));
  for (const std::string& w : warnings) print_input_warning(opt.csv_dir, w);

  write_recording(opt.out, session, opt.samples_per_packet);
  fmt::print("wrote {} ({} bytes, session '{}')\n", opt.out.string(),
             std::filesystem::file_size(opt.out), session.header.session_id());
  for (const SensorStream& s : session.sensors) {
    // write_recording leaves out NaN and infinite readings (the reader warned about them): count
    // what it kept, and the span it covers (over every sample: the clock may have stepped back).
    size_t kept = 0;
    int64_t first_us = INT64_MAX, last_us = INT64_MIN;
    for (const ImuSample& x : s.samples) {
      if (!recordable(x)) continue;
      ++kept;
      first_us = std::min(first_us, x.t_us);
      last_us = std::max(last_us, x.t_us);
    }
    if (kept == 0) first_us = last_us = 0;
    const uint64_t packets = (kept + opt.samples_per_packet - 1) / opt.samples_per_packet;
    fmt::print(
        "  device {} {:<12} {:>8} samples {:8.2f} Hz {:8.1f} s  accel +/-{} g  {}  "
        "{} packets  from {}{}\n",
        s.info.device_id(), placement_name(s.info.placement()), kept, s.info.nominal_rate_hz(),
        static_cast<double>(last_us - first_us) / 1e6, s.info.accel_range_g(),
        s.info.gyro_range_dps() > 0 ? fmt::format("gyro +/-{} deg/s", s.info.gyro_range_dps())
                                    : std::string("no gyro"),
        packets, s.info.source_file(),
        kept < s.samples.size()
            ? fmt::format(" ({} with NaN or infinite readings left out)", s.samples.size() - kept)
            : std::string());
  }
  if (truth.events || truth.knee) {
    const std::filesystem::path truth_out = truth_dir_for(opt.out);
    write_truth(truth_out, truth);
    fmt::print("wrote truth to {} ({} contacts, {} knee samples)\n", truth_out.string(),
               truth.events ? truth.events->size() : 0, truth.knee ? truth.knee->size() : 0);
  }
}

}  // namespace

void add_import_command(CLI::App& app) {
  auto opt = std::make_shared<ImportOptions>();
  CLI::App* cmd = app.add_subcommand(
      "import",
      "Convert a CSV session folder (session.json + one CSV per sensor, see docs/formats.md)\n"
      "into a .gkr recording. Units in the CSV headers (t[ms], ax[g], gx[deg/s], ...) are\n"
      "converted; each sensor gets the smallest standard full-scale range that holds its data.\n"
      "Ground truth in CSV_FOLDER/truth/ is checked and copied to OUT's truth folder\n"
      "(OUT.gkr -> OUT.truth/). Nothing is written when the input has an error.");
  cmd->add_option("CSV_FOLDER", opt->csv_dir, "CSV session folder (contains session.json)")
      ->required();
  cmd->add_option("OUT", opt->out, "Recording to write, e.g. run.gkr (replaced if it exists)")
      ->required();
  cmd->add_option("--samples-per-packet", opt->samples_per_packet,
                  "Samples per packet, as a sensor FIFO would deliver them")
      ->capture_default_str()
      ->check(finite_range(1, 100000));
  cmd->footer("Example: gaitkeeper import datasets/my_run my_run.gkr");
  cmd->callback([opt] { run_import(*opt); });
}

}  // namespace gk::cli
