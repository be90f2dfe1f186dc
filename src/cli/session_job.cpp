#include "session_job.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <atomic>
#include <mutex>
#include <thread>

#include "content_hash.hpp"
#include "form_assessor.hpp"
#include "input_error.hpp"
#include "session.hpp"
#include "session_analysis.hpp"
#include "session_store.hpp"

namespace gk::cli {
namespace {

bool is_csv_session(const std::filesystem::path& p) {
  return std::filesystem::is_directory(p) && std::filesystem::exists(p / "session.json");
}

/// The engine as batch runs it: the per-sensor attitude the engine keeps for
/// a live view (GaitEngine::orientation) feeds no metric (the detectors,
/// the knee, pelvis and hip stages run their own filters), so batch skips
/// it; results are identical (tests/store_test.cpp).
EngineSettings batch_engine_settings() {
  EngineSettings s;
  s.run_orientation = false;
  return s;
}

}  // namespace

SessionJobResult run_session_job(const std::filesystem::path& path,
                                 const SessionJobSettings& settings) {
  SessionJobResult out;
  pb::SessionHeader header;
  GaitAnalysis analysis;
  if (std::filesystem::is_directory(path)) {
    Warnings warnings;
    const Session session = load_session(path, warnings);
    analysis = analyze_gait(session, batch_engine_settings());
    header = session.header;
    header.clear_sensors();
    for (const SensorStream& s : session.sensors) *header.add_sensors() = s.info;
    analysis.warnings.insert(analysis.warnings.begin(), warnings.begin(), warnings.end());
  } else {
    analysis = analyze_recording(path, header, batch_engine_settings(), settings.keep_knee_series);
  }
  // Nothing to analyse (a recording with its header only, sensors of one sample each): an
  // error, not an empty session stored as if a run had been measured.
  if (analysis.duration_s <= 0.0) {
    std::string why = "holds no samples to analyse";
    if (!analysis.warnings.empty()) why += " (" + analysis.warnings.front() + ")";
    throw InputError(path, 0, why);
  }
  if (header.athlete().empty() && !settings.athlete_fallback.empty()) {
    header.set_athlete(settings.athlete_fallback);
  }
  if (header.shoes().empty() && !settings.shoes.empty()) header.set_shoes(settings.shoes);
  if (header.session_id().empty()) header.set_session_id(path.stem().string());
  const Assessment assessment = assess_gait(analysis.steps, settings.profile);
  out.data = make_report_data(header, analysis, assessment);
  out.data.content_hash = content_hash(path);
  out.data.source = path.string();
  out.knee = std::move(analysis.knee);
  return out;
}

std::vector<BatchOutcome> run_batch(const std::vector<std::filesystem::path>& files,
                                    const BatchSettings& settings,
                                    const std::function<void(size_t, size_t)>& progress) {
  std::vector<BatchOutcome> outcomes(files.size());
  std::atomic<size_t> next{0};
  std::mutex progress_mutex;
  size_t done = 0;
  size_t failed = 0;
  auto worker = [&] {
    // One connection per worker: SQLite serialises the writers (each save
    // is one BEGIN IMMEDIATE transaction) while the analyses run in parallel.
    std::optional<SessionStore> store;
    for (size_t i = next++; i < files.size(); i = next++) {
      BatchOutcome& out = outcomes[i];
      try {
        SessionJobResult r = run_session_job(files[i], settings.job);
        if (!settings.db.empty()) {
          if (!store) store.emplace(settings.db);
          out.store_id = store->save(r.data);
        }
        out.knee = std::move(r.knee);
        out.data = std::move(r.data);
      } catch (const std::exception& e) {
        out.error = e.what();
      }
      const std::lock_guard lock(progress_mutex);
      ++done;
      if (!out.error.empty()) ++failed;
      if (progress) progress(done, failed);
    }
  };
  const unsigned hw = std::max(1u, std::thread::hardware_concurrency());
  const size_t workers = std::min<size_t>(settings.jobs ? settings.jobs : hw, files.size());
  std::vector<std::thread> pool;
  for (size_t w = 1; w < workers; ++w) pool.emplace_back(worker);
  worker();
  for (std::thread& t : pool) t.join();
  return outcomes;
}

int64_t resolve_stored_session(SessionStore& store, const std::string& arg) {
  std::optional<int64_t> id;
  if (std::filesystem::exists(arg)) {
    id = store.find(content_hash(arg));
    if (!id) {
      throw InputError(arg, 0,
                       fmt::format("this recording is not in the session store {}; run "
                                   "`gaitkeeper analyze {}` first",
                                   store.db().path().string(), arg));
    }
    return *id;
  }
  id = store.find(arg);
  if (!id) {
    throw InputError(store.db().path(), 0,
                     fmt::format("no stored session `{}` (neither a file, a session id, a "
                                 "content hash nor a session name); `gaitkeeper sessions` "
                                 "lists them",
                                 arg));
  }
  return *id;
}

std::vector<std::filesystem::path> collect_sessions(
    const std::vector<std::filesystem::path>& inputs) {
  std::vector<std::filesystem::path> out;
  for (const std::filesystem::path& in : inputs) {
    if (!std::filesystem::exists(in)) throw InputError(in, 0, "no such file or folder");
    if (!std::filesystem::is_directory(in) || is_csv_session(in)) {
      out.push_back(in);
      continue;
    }
    std::vector<std::filesystem::path> found;
    for (auto it = std::filesystem::recursive_directory_iterator(in);
         it != std::filesystem::recursive_directory_iterator(); ++it) {
      const std::filesystem::path& p = it->path();
      if (it->is_directory()) {
        if (is_csv_session(p)) {
          found.push_back(p);
          it.disable_recursion_pending();  // its files are one session
        } else if (p.extension() == ".truth") {
          it.disable_recursion_pending();  // reference data beside a .gkr
        }
      } else if (p.extension() == ".gkr") {
        found.push_back(p);
      }
    }
    if (found.empty()) {
      throw InputError(in, 0,
                       "the folder holds no session (.gkr recordings or CSV session folders "
                       "with a session.json)");
    }
    std::sort(found.begin(), found.end());
    out.insert(out.end(), found.begin(), found.end());
  }
  return out;
}

std::filesystem::path existing_store(const std::filesystem::path& db, const std::string& hint) {
  const std::filesystem::path path = db.empty() ? default_db_path() : db;
  if (!std::filesystem::exists(path)) {
    throw InputError(path, 0, "no session store here: `gaitkeeper analyze` stores sessions" + hint);
  }
  return path;
}

std::string without_file_prefix(const std::filesystem::path& file, const std::string& message) {
  const std::string prefix = file.string() + ": ";
  return message.rfind(prefix, 0) == 0 ? message.substr(prefix.size()) : message;
}

void print_input_warning(const std::filesystem::path& file, const std::string& warning) {
  // A warning about one file of a session folder names that file, which names the folder too.
  if (warning.rfind((file / "").string(), 0) == 0) {
    fmt::print(stderr, "warning: {}\n", warning);
    return;
  }
  fmt::print(stderr, "warning: {}: {}\n", file.string(), without_file_prefix(file, warning));
}

}  // namespace gk::cli
