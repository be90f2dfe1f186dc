// The session store: athletes, their sessions and everything analysed from
// them in one SQLite file (docs/formats.md, "Session store"). Sessions are
// keyed by the recording's content hash: saving a re-analysis replaces the
// old results in one transaction. Several processes may write at once (a
// live session and a batch run): each save takes the write lock up front
// and waits for the other.
#pragma once

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "pain_check.hpp"
#include "report_data.hpp"
#include "return_to_run_plan.hpp"
#include "sqlite_db.hpp"
#include "training_load.hpp"

namespace gk {

/// $XDG_DATA_HOME/gaitkeeper/gaitkeeper.db (XDG default ~/.local/share).
std::filesystem::path default_db_path();

/// One line of a session listing.
struct StoredSessionInfo {
  int64_t id = 0;
  std::string content_hash;
  std::string session_name;
  std::string athlete;
  std::string source;
  int64_t start_time_utc_us = 0;
  double duration_s = 0.0;
  double running_s = 0.0;
  size_t steps = 0;
  std::optional<double> cadence_spm;
  std::optional<double> target_cadence_spm;
  size_t flags = 0;
};

class SessionStore {
 public:
  /// Opens or creates the database and brings its schema up to date.
  explicit SessionStore(const std::filesystem::path& path, const SqliteSettings& settings = {});

  /// Saves a session's results under data.content_hash (required), replacing
  /// any earlier analysis of the same recording. Returns the session's id,
  /// which stays the same across re-analyses.
  int64_t save(const SessionReportData& data);

  /// A session by id ("12"), content hash or a unique prefix of it (at
  /// least 6 hex digits), or session name. nullopt when nothing matches;
  /// InputError when a prefix or name is ambiguous.
  std::optional<SessionReportData> load(const std::string& key);
  std::optional<int64_t> find(const std::string& key);

  /// Sessions, newest first; all athletes when athlete is empty.
  std::vector<StoredSessionInfo> list(const std::string& athlete = {});
  std::vector<std::string> athletes();
  /// The athlete's sessions starting at or after since_utc_us, oldest first.
  std::vector<AthleteSessionRow> athlete_rows(const std::string& athlete, int64_t since_utc_us = 0);
  /// The athlete's runs that started before before_utc_us (training-load history).
  std::vector<RunRecord> run_history(const std::string& athlete, int64_t before_utc_us);

  /// Training-load rules (src/assess/training_load) for a run of this
  /// athlete against the stored runs that started before it. Derived when
  /// asked rather than stored, so a batch that stores sessions in any order
  /// gives the same answer.
  struct TrainingLoadCheck {
    size_t runs_before = 0;  ///< stored runs of the athlete before this one
    std::vector<pb::FormFlag> flags;
  };
  TrainingLoadCheck check_training_load(const std::string& athlete, int64_t start_utc_us,
                                        double running_s,
                                        const TrainingLoadSettings& settings = {});

  // ---- Coaching: shoes, pain log, return-to-run plan ----

  /// Registers a pair (or updates its start and limit); make_default: the
  /// athlete's sessions that name no shoes count on this pair.
  void add_shoes(const std::string& athlete, const std::string& name, int64_t start_utc_us,
                 double retire_km, bool make_default);
  using ShoeMileage = ShoeStatus;
  std::vector<ShoeMileage> shoes(const std::string& athlete);

  /// Records pain for a stored session (replacing an earlier entry).
  void log_pain(int64_t session_id, const PainEntry& entry);
  /// The athlete's logged sessions in time order.
  std::vector<PainLogRow> pain_history(const std::string& athlete);
  /// Shoes, pain log (with check_pain's flags) and the return-to-run plan
  /// followed up to now_utc_us: the coaching part of the athlete report.
  AthleteCoaching coaching(const std::string& athlete, int64_t now_utc_us);
  std::string athlete_of(int64_t session_id);
  int64_t session_start_utc_us(int64_t session_id);

  void save_plan(const std::string& athlete, const ReturnPlan& plan);
  /// The athlete's newest plan, rebuilt from its stored settings.
  std::optional<ReturnPlan> load_plan(const std::string& athlete);
  /// Stored runs (with any pain logged) from since_utc_us on, in time order.
  std::vector<PlanRun> plan_runs(const std::string& athlete, int64_t since_utc_us);

  int schema_version() const { return schema_version_; }
  SqliteDb& db() { return db_; }

 private:
  int64_t athlete_id(const std::string& name);
  SessionReportData load_by_id(int64_t id);

  SqliteDb db_;
  int schema_version_ = 0;
};

}  // namespace gk
