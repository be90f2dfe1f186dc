// One session file through the whole pipeline, as batch analysis, `report`
// and `assess` run it: load (streaming for .gkr), gait engine, assessor,
// content hash. Shared by the commands so they agree on every number.
#pragma once

#include <filesystem>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "assess_profile.hpp"
#include "report_data.hpp"
#include "session_store.hpp"

namespace gk::cli {

struct SessionJobSettings {
  AssessProfile profile;
  /// Athlete for sessions whose header names none.
  std::string athlete_fallback;
  /// Shoes worn, for sessions whose header names none (--shoes).
  std::string shoes;
  /// Keep the 100 Hz knee series (for --knee-csv).
  bool keep_knee_series = false;
};

struct SessionJobResult {
  SessionReportData data;
  std::vector<KneeAngleSample> knee;  ///< empty unless keep_knee_series
};

/// Throws InputError for unreadable input.
SessionJobResult run_session_job(const std::filesystem::path& path,
                                 const SessionJobSettings& settings);

/// What batch analysis did with one file.
struct BatchOutcome {
  std::optional<SessionReportData> data;  ///< set on success
  std::vector<KneeAngleSample> knee;      ///< with keep_knee_series
  std::string error;                      ///< why it failed, else empty
  int64_t store_id = 0;                   ///< 0 when not stored
};

struct BatchSettings {
  SessionJobSettings job;
  /// Session store to save into; empty = analyse only.
  std::filesystem::path db;
  /// Workers; 0 = one per core.
  unsigned jobs = 0;
};

/// Runs every file through run_session_job on a pool of workers (one file
/// per worker at a time), saving each into the store as it finishes. A
/// file that fails is recorded with its reason and the others go on.
/// progress(done, failed) is called under a lock after each file.
std::vector<BatchOutcome> run_batch(const std::vector<std::filesystem::path>& files,
                                    const BatchSettings& settings,
                                    const std::function<void(size_t, size_t)>& progress = {});

/// A stored session named on the command line: a recording or CSV session
/// folder (found by its content hash) or a store key (id, hash prefix, name).
/// Throws InputError naming the store when nothing matches.
int64_t resolve_stored_session(SessionStore& store, const std::string& arg);

/// The session store at db (the default store where db is empty), which must exist: commands
/// that only read it never create an empty one. `hint` follows the message's own advice.
std::filesystem::path existing_store(const std::filesystem::path& db, const std::string& hint = "");

/// The message without a leading "FILE: " (InputError and the recording reader begin their
/// messages with the file), for a caller that names the file itself.
std::string without_file_prefix(const std::filesystem::path& file, const std::string& message);

/// Prints a warning about one input as "warning: FILE: ...", naming the file once (the
/// recording reader's own warnings already begin with it).
void print_input_warning(const std::filesystem::path& file, const std::string& warning);

/// Expands the command line into session paths: a CSV session folder (it has
/// session.json) or a .gkr file as given; any other folder is searched
/// recursively for both, in sorted order. Throws InputError for a path that
/// is neither, or a folder with no session in it.
std::vector<std::filesystem::path> collect_sessions(
    const std::vector<std::filesystem::path>& inputs);

}  // namespace gk::cli
