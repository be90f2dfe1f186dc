// gaitkeeper: running-gait analysis for wearable IMUs. One executable, one
// subcommand per job (src/cli/).
#include <fmt/format.h>

#include <CLI/CLI.hpp>
#include <cstdio>
#include <exception>
#include <filesystem>

#include "commands.hpp"
#include "input_error.hpp"

int main(int argc, char** argv) {
  CLI::App app{
      "gaitkeeper: running-gait analysis for wearable IMUs (shoe pod, knee sleeve, pelvis clip).\n"
      "Cadence, contact times and knee angles, flags linked to runner's knee, and a step-rate\n"
      "recommendation. Run `gaitkeeper SUBCOMMAND --help` for each job."};
  app.require_subcommand(1);
  app.set_version_flag("--version", "gaitkeeper 0.1.0");
  gk::cli::add_demo_command(app);
  gk::cli::add_simulate_command(app);
  gk::cli::add_import_command(app);
  gk::cli::add_export_command(app);
  gk::cli::add_analyze_command(app);
  gk::cli::add_assess_command(app);
  gk::cli::add_evaluate_command(app);
  gk::cli::add_bench_command(app);
  gk::cli::add_record_command(app);
  gk::cli::add_sessions_command(app);
  gk::cli::add_shoes_command(app);
  gk::cli::add_log_command(app);
  gk::cli::add_plan_command(app);
  gk::cli::add_report_command(app);
  gk::cli::add_live_command(app);
  gk::cli::add_coach_command(app);
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    const int rc = app.exit(e);
    return rc == 0 ? 0 : 2;  // usage errors are bad input too
  } catch (const gk::InputError& e) {
    fmt::print(stderr, "error: {}\n", e.what());
    return 2;
  } catch (const std::filesystem::filesystem_error& e) {
    // A path the user gave that cannot be used (a file where a folder is needed, no
    // permission): bad input at the boundary, named as such.
    fmt::print(stderr, "error: {}: {}; check the path and its permissions\n", e.path1().string(),
               e.code().message());
    return 2;
  } catch (const std::exception& e) {
    fmt::print(stderr, "error: {}\n", e.what());
    return 1;
  }
  return 0;
}
