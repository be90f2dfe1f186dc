// The `gaitkeeper` subcommands. Each lives in its own cmd_<name>.cpp and
// registers itself on the CLI11 app; the callbacks throw InputError for bad
// input (main turns that into one message and exit code 2).
#pragma once

#include <CLI/CLI.hpp>

namespace gk::cli {

void add_demo_command(CLI::App& app);
void add_simulate_command(CLI::App& app);
void add_import_command(CLI::App& app);
void add_export_command(CLI::App& app);
void add_analyze_command(CLI::App& app);
void add_assess_command(CLI::App& app);
void add_evaluate_command(CLI::App& app);
void add_bench_command(CLI::App& app);
void add_record_command(CLI::App& app);
void add_sessions_command(CLI::App& app);
void add_shoes_command(CLI::App& app);
void add_log_command(CLI::App& app);
void add_plan_command(CLI::App& app);
void add_report_command(CLI::App& app);
void add_live_command(CLI::App& app);
void add_coach_command(CLI::App& app);

}  // namespace gk::cli
