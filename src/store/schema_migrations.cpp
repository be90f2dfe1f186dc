#include "schema_migrations.hpp"

#include <fmt/format.h>

#include <string>

#include "input_error.hpp"
#include "sqlite_db.hpp"

namespace gk {

const std::vector<std::string_view>& schema_migrations() {
  static const std::vector<std::string_view> migrations = {
      // 1: athletes, sessions and everything analysed from them. Children
      // cascade with their session so a re-analysis replaces them whole.
      R"sql(
CREATE TABLE athletes (
  id INTEGER PRIMARY KEY,
  name TEXT NOT NULL UNIQUE,
  created_utc_us INTEGER NOT NULL
);
CREATE TABLE sessions (
  id INTEGER PRIMARY KEY,
  content_hash TEXT NOT NULL UNIQUE,
  athlete_id INTEGER NOT NULL REFERENCES athletes(id),
  session_name TEXT NOT NULL,
  source TEXT NOT NULL,
  start_time_utc_us INTEGER NOT NULL,
  duration_s REAL NOT NULL,
  running_s REAL NOT NULL,
  steps INTEGER NOT NULL,
  cadence_spm REAL,
  contact_ms REAL,
  distance_m REAL,
  speed_mps REAL,
  preferred_cadence_spm REAL,
  target_cadence_spm REAL,
  peak_valgus_deg REAL,
  valgus_confidence REAL,
  header BLOB NOT NULL,
  warnings TEXT NOT NULL,
  analyzed_utc_us INTEGER NOT NULL
);
CREATE INDEX sessions_by_athlete ON sessions(athlete_id, start_time_utc_us);
CREATE TABLE sensors (
  session_id INTEGER NOT NULL REFERENCES sessions(id) ON DELETE CASCADE,
  device_id INTEGER NOT NULL,
  placement INTEGER NOT NULL,
  rate_hz REAL,
  info BLOB NOT NULL,
  PRIMARY KEY (session_id, device_id)
);
CREATE TABLE steps (
  session_id INTEGER NOT NULL REFERENCES sessions(id) ON DELETE CASCADE,
  idx INTEGER NOT NULL,
  side INTEGER NOT NULL,
  source INTEGER NOT NULL,
  ic_us INTEGER NOT NULL,
  to_us INTEGER,
  quality REAL NOT NULL,
  activity INTEGER NOT NULL,
  detector_stride_time_ms REAL,
  detector_stride_m REAL,
  detector_speed_mps REAL,
  foot_strike_angle_deg REAL,
  detector_foot_strike INTEGER NOT NULL,
  detector_shock_g REAL,
  contact_time_reliable INTEGER NOT NULL,
  after_gap INTEGER NOT NULL,
  step_time_ms REAL,
  contact_ms REAL,
  flight_ms REAL,
  swing_ms REAL,
  cadence_spm REAL,
  stride_m REAL,
  foot_strike INTEGER NOT NULL,
  shock_g REAL,
  peak_valgus_deg REAL,
  valgus_excursion_deg REAL,
  knee_flexion_ic_deg REAL,
  peak_stance_flexion_deg REAL,
  valgus_confidence REAL,
  tibial_inclination_ic_deg REAL,
  peak_tibial_inclination_deg REAL,
  pelvic_drop_deg REAL,
  peak_hip_adduction_deg REAL,
  PRIMARY KEY (session_id, idx)
);
CREATE TABLE minute_metrics (
  session_id INTEGER NOT NULL REFERENCES sessions(id) ON DELETE CASCADE,
  idx INTEGER NOT NULL,
  t_start_us INTEGER NOT NULL,
  t_end_us INTEGER NOT NULL,
  steps INTEGER NOT NULL,
  cadence_spm REAL NOT NULL,
  step_time_cv_pct REAL NOT NULL,
  contact_balance_left_pct REAL,
  PRIMARY KEY (session_id, idx)
);
CREATE TABLE knee_summaries (
  session_id INTEGER NOT NULL REFERENCES sessions(id) ON DELETE CASCADE,
  side INTEGER NOT NULL,
  steps INTEGER NOT NULL,
  mean_peak_valgus_deg REAL NOT NULL,
  max_peak_valgus_deg REAL NOT NULL,
  mean_confidence REAL NOT NULL,
  mean_flexion_ic_deg REAL,
  PRIMARY KEY (session_id, side)
);
CREATE TABLE flags (
  session_id INTEGER NOT NULL REFERENCES sessions(id) ON DELETE CASCADE,
  idx INTEGER NOT NULL,
  kind INTEGER NOT NULL,
  severity INTEGER NOT NULL,
  side INTEGER NOT NULL,
  t_start_us INTEGER NOT NULL,
  t_end_us INTEGER NOT NULL,
  flag BLOB NOT NULL,
  PRIMARY KEY (session_id, idx)
);
CREATE TABLE recommendations (
  session_id INTEGER NOT NULL REFERENCES sessions(id) ON DELETE CASCADE,
  idx INTEGER NOT NULL,
  t_us INTEGER NOT NULL,
  target_cadence_spm REAL NOT NULL,
  metronome_bpm REAL NOT NULL,
  is_final INTEGER NOT NULL,
  recommendation BLOB NOT NULL,
  PRIMARY KEY (session_id, idx)
);
)sql",
      // 2: coaching (warm-up, shoes, pain log, return-to-run plans). Pain and
      // shoes are what people entered, not analysis results: they hang on
      // the session row, which keeps its id across re-analyses.
      R"sql(
ALTER TABLE sessions ADD COLUMN warm_up_s REAL;
CREATE TABLE shoes (
  id INTEGER PRIMARY KEY,
  athlete_id INTEGER NOT NULL REFERENCES athletes(id),
  name TEXT NOT NULL,
  start_utc_us INTEGER NOT NULL,
  retire_km REAL NOT NULL,
  UNIQUE (athlete_id, name)
);
ALTER TABLE athletes ADD COLUMN default_shoes_id INTEGER REFERENCES shoes(id);
ALTER TABLE sessions ADD COLUMN shoes_id INTEGER REFERENCES shoes(id);
CREATE TABLE pain_log (
  session_id INTEGER PRIMARY KEY REFERENCES sessions(id) ON DELETE CASCADE,
  pain_during INTEGER CHECK (pain_during BETWEEN 0 AND 10),
  pain_after INTEGER CHECK (pain_after BETWEEN 0 AND 10),
  stiffness_next_morning INTEGER CHECK (stiffness_next_morning BETWEEN 0 AND 10),
  logged_utc_us INTEGER NOT NULL
);
CREATE TABLE return_plans (
  id INTEGER PRIMARY KEY,
  athlete_id INTEGER NOT NULL REFERENCES athletes(id),
  created_utc_us INTEGER NOT NULL,
  start_utc_us INTEGER NOT NULL,
  weeks INTEGER NOT NULL,
  sessions_per_week INTEGER NOT NULL,
  first_week_run_min REAL NOT NULL,
  max_weekly_increase_pct REAL NOT NULL,
  cadence_target_spm REAL
);
)sql",
      // 3: step-time variability and contact balance over each step's rolling
      // 10-step window (the per-minute ones are in minute_metrics).
      R"sql(
ALTER TABLE steps ADD COLUMN window_step_time_cv_pct REAL;
ALTER TABLE steps ADD COLUMN window_contact_balance_left_pct REAL;
)sql",
  };
  return migrations;
}

int migrate_schema(SqliteDb& db) {
  const auto& migrations = schema_migrations();
  const int known = static_cast<int>(migrations.size());
  for (;;) {
    SqliteTransaction tx(db);  // one writer migrates; others wait, then see it done
    SqliteStatement q(db, "PRAGMA user_version");
    q.step();
    const int version = static_cast<int>(q.int64(0));
    q.reset();
    if (version > known) {
      throw InputError(db.path(), 0,
                       fmt::format("the database has schema version {}, newer than this "
                                   "gaitkeeper knows ({}); use a newer gaitkeeper",
                                   version, known));
    }
    if (version == known) {
      tx.commit();
      return version;
    }
    db.exec(migrations[static_cast<size_t>(version)]);
    db.exec(fmt::format("PRAGMA user_version = {}", version + 1));
    tx.commit();
  }
}

}  // namespace gk
