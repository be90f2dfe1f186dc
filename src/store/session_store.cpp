#include "session_store.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cassert>
#include <cctype>
#include <cstdlib>

#include "input_error.hpp"
#include "schema_migrations.hpp"
#include "utc_time.hpp"

namespace gk {
namespace {

std::string serialize(const google::protobuf::MessageLite& m) {
  std::string bytes;
  m.SerializeToString(&bytes);
  return bytes;
}

template <typename Message>
Message parse(const SqliteDb& db, const std::string& bytes, const char* what) {
  Message m;
  if (!m.ParseFromString(bytes)) {
    throw InputError(db.path(), 0,
                     fmt::format("a stored {} cannot be decoded; the database is damaged: "
                                 "re-analyse the session to replace it",
                                 what));
  }
  return m;
}

std::string join_lines(const std::vector<std::string>& lines) {
  std::string out;
  for (const std::string& l : lines) {
    if (!out.empty()) out += '\n';
    out += l;
  }
  return out;
}

bool is_hex(const std::string& s) {
  return !s.empty() && std::all_of(s.begin(), s.end(), [](unsigned char c) {
    return std::isxdigit(c) && !std::isupper(c);
  });
}

/// Replacement distance for shoes registered without one: 300 miles, the
/// low end of the usual 300-500 mile (480-800 km) advice.
constexpr double kDefaultRetireKm = 480.0;

constexpr const char* kStepColumns =
    "side, source, ic_us, to_us, quality, activity, detector_stride_time_ms, detector_stride_m, "
    "detector_speed_mps, foot_strike_angle_deg, detector_foot_strike, detector_shock_g, "
    "contact_time_reliable, after_gap, step_time_ms, contact_ms, flight_ms, swing_ms, "
    "cadence_spm, stride_m, foot_strike, shock_g, peak_valgus_deg, valgus_excursion_deg, "
    "knee_flexion_ic_deg, peak_stance_flexion_deg, valgus_confidence, "
    "tibial_inclination_ic_deg, peak_tibial_inclination_deg, pelvic_drop_deg, "
    "peak_hip_adduction_deg, window_step_time_cv_pct, window_contact_balance_left_pct";

}  // namespace

std::filesystem::path default_db_path() {
  const char* xdg = std::getenv("XDG_DATA_HOME");
  std::filesystem::path base;
  if (xdg && *xdg) {
    base = xdg;
  } else {
    const char* home = std::getenv("HOME");
    base = std::filesystem::path(home && *home ? home : ".") / ".local" / "share";
  }
  return base / "gaitkeeper" / "gaitkeeper.db";
}

SessionStore::SessionStore(const std::filesystem::path& path, const SqliteSettings& settings)
    : db_(path, settings) {
  if (settings.read_only) {
    SqliteStatement q(db_, "PRAGMA user_version");
    q.step();
    schema_version_ = static_cast<int>(q.int64(0));
  } else {
    schema_version_ = migrate_schema(db_);
  }
}

int64_t SessionStore::athlete_id(const std::string& name) {
  SqliteStatement ins(db_,
                      "INSERT INTO athletes(name, created_utc_us) VALUES (?, ?) "
                      "ON CONFLICT(name) DO NOTHING");
  ins.bind(1, name).bind(2, now_utc_us()).run();
  SqliteStatement q(db_, "SELECT id FROM athletes WHERE name = ?");
  q.bind(1, name);
  q.step();
  return q.int64(0);
}

int64_t SessionStore::save(const SessionReportData& d) {
  assert(!d.content_hash.empty());
  const std::string athlete = d.header.athlete().empty() ? "unknown" : d.header.athlete();
  const std::string name =
      d.header.session_id().empty() ? d.content_hash.substr(0, 12) : d.header.session_id();
  const AthleteSessionRow summary = summarize_for_athlete(d);

  SqliteTransaction tx(db_);
  const int64_t aid = athlete_id(athlete);
  // Upsert keeps the session's id (and anything keyed on it that is not an
  // analysis result) across re-analyses.
  // Shoes named in the session (registered on first use, from this
  // session's date); else the athlete's default pair.
  std::optional<int64_t> shoes_id;
  if (!d.header.shoes().empty()) {
    SqliteStatement ins(db_,
                        "INSERT INTO shoes(athlete_id, name, start_utc_us, retire_km) "
                        "VALUES (?, ?, ?, ?) ON CONFLICT(athlete_id, name) DO NOTHING");
    ins.bind(1, aid)
        .bind(2, d.header.shoes())
        .bind(3, static_cast<int64_t>(d.header.start_time_utc_us()))
        .bind(4, kDefaultRetireKm)
        .run();
    SqliteStatement q(db_, "SELECT id FROM shoes WHERE athlete_id = ? AND name = ?");
    q.bind(1, aid).bind(2, d.header.shoes());
    q.step();
    shoes_id = q.int64(0);
  }
  // Upsert keeps the session's id (and what people entered about it: pain,
  // shoes) across re-analyses.
  SqliteStatement up(db_, R"sql(
INSERT INTO sessions(content_hash, athlete_id, session_name, source, start_time_utc_us,
  duration_s, running_s, steps, cadence_spm, contact_ms, distance_m, speed_mps,
  preferred_cadence_spm, target_cadence_spm, peak_valgus_deg, valgus_confidence, header,
  warnings, analyzed_utc_us, warm_up_s, shoes_id)
VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17, ?18, ?19, ?20,
  COALESCE(?21, (SELECT default_shoes_id FROM athletes WHERE id = ?2)))
ON CONFLICT(content_hash) DO UPDATE SET athlete_id = ?2, session_name = ?3, source = ?4,
  start_time_utc_us = ?5, duration_s = ?6, running_s = ?7, steps = ?8, cadence_spm = ?9,
  contact_ms = ?10, distance_m = ?11, speed_mps = ?12, preferred_cadence_spm = ?13,
  target_cadence_spm = ?14, peak_valgus_deg = ?15, valgus_confidence = ?16, header = ?17,
  warnings = ?18, analyzed_utc_us = ?19, warm_up_s = ?20,
  shoes_id = COALESCE(?21, shoes_id, (SELECT default_shoes_id FROM athletes WHERE id = ?2))
)sql");
  up.bind(1, d.content_hash)
      .bind(2, aid)
      .bind(3, name)
      .bind(4, d.source)
      .bind(5, static_cast<int64_t>(d.header.start_time_utc_us()))
      .bind(6, d.duration_s)
      .bind(7, d.assessment.running_s)
      .bind(8, static_cast<int64_t>(d.steps.size()))
      .bind(9, summary.cadence_spm)
      .bind(10, mean_of(d.steps, &StepResult::contact_ms))
      .bind(11, summary.distance_m)
      .bind(12, summary.speed_mps)
      .bind(13, d.assessment.preferred_cadence_spm)
      .bind(14, summary.target_cadence_spm)
      .bind(15, summary.peak_valgus_deg)
      .bind(16, summary.valgus_confidence)
      .bind_blob(17, serialize(d.header))
      .bind(18, join_lines(d.warnings))
      .bind(19, now_utc_us())
      .bind(20, d.assessment.warm_up_s)
      .bind(21, shoes_id)
      .run();
  SqliteStatement idq(db_, "SELECT id FROM sessions WHERE content_hash = ?");
  idq.bind(1, d.content_hash);
  idq.step();
  const int64_t sid = idq.int64(0);

  for (const char* table :
       {"sensors", "steps", "minute_metrics", "knee_summaries", "flags", "recommendations"}) {
    SqliteStatement del(db_, fmt::format("DELETE FROM {} WHERE session_id = ?", table));
    del.bind(1, sid).run();
  }

  SqliteStatement sensor(db_,
                         "INSERT INTO sensors(session_id, device_id, placement, rate_hz, info) "
                         "VALUES (?, ?, ?, ?, ?)");
  for (const pb::SensorInfo& s : d.header.sensors()) {
    sensor.bind(1, sid)
        .bind(2, static_cast<int64_t>(s.device_id()))
        .bind(3, static_cast<int64_t>(s.placement()))
        .bind(4,
              s.nominal_rate_hz() > 0 ? std::optional<double>(s.nominal_rate_hz()) : std::nullopt)
        .bind_blob(5, serialize(s))
        .run();
  }

  SqliteStatement step(db_, fmt::format("INSERT INTO steps(session_id, idx, {}) VALUES "
                                        "(?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, "
                                        "?14, ?15, ?16, ?17, ?18, ?19, ?20, ?21, ?22, ?23, ?24, "
                                        "?25, ?26, ?27, ?28, ?29, ?30, ?31, ?32, ?33, ?34, ?35)",
                                        kStepColumns));
  int64_t idx = 0;
  for (const StepResult& s : d.steps) {
    const DetectedStep& e = s.event;
    step.bind(1, sid)
        .bind(2, idx++)
        .bind(3, static_cast<int64_t>(e.side))
        .bind(4, static_cast<int64_t>(e.source))
        .bind(5, e.ic_us)
        .bind(6, e.to_us)
        .bind(7, e.quality)
        .bind(8, static_cast<int64_t>(e.activity))
        .bind(9, e.stride_time_ms)
        .bind(10, e.stride_m)
        .bind(11, e.speed_mps)
        .bind(12, e.foot_strike_angle_deg)
        .bind(13, static_cast<int64_t>(e.foot_strike))
        .bind(14, e.shock_g)
        .bind(15, static_cast<int64_t>(e.contact_time_reliable))
        .bind(16, static_cast<int64_t>(e.after_gap))
        .bind(17, s.step_time_ms)
        .bind(18, s.contact_ms)
        .bind(19, s.flight_ms)
        .bind(20, s.swing_ms)
        .bind(21, s.cadence_spm)
        .bind(22, s.stride_m)
        .bind(23, static_cast<int64_t>(s.foot_strike))
        .bind(24, s.shock_g)
        .bind(25, s.peak_valgus_deg)
        .bind(26, s.valgus_excursion_deg)
        .bind(27, s.knee_flexion_ic_deg)
        .bind(28, s.peak_stance_flexion_deg)
        .bind(29, s.valgus_confidence)
        .bind(30, s.tibial_inclination_ic_deg)
        .bind(31, s.peak_tibial_inclination_deg)
        .bind(32, s.pelvic_drop_deg)
        .bind(33, s.peak_hip_adduction_deg)
        .bind(34, s.window_step_time_cv_pct)
        .bind(35, s.window_contact_balance_left_pct)
        .run();
  }

  SqliteStatement minute(db_,
                         "INSERT INTO minute_metrics(session_id, idx, t_start_us, t_end_us, steps, "
                         "cadence_spm, step_time_cv_pct, contact_balance_left_pct) "
                         "VALUES (?, ?, ?, ?, ?, ?, ?, ?)");
  idx = 0;
  for (const CadenceWindow& w : d.minutes) {
    minute.bind(1, sid)
        .bind(2, idx++)
        .bind(3, w.t_start_us)
        .bind(4, w.t_end_us)
        .bind(5, static_cast<int64_t>(w.steps))
        .bind(6, w.cadence_spm)
        .bind(7, w.step_time_cv_pct)
        .bind(8, w.contact_balance_left_pct)
        .run();
  }

  // Knee summary per side: what a coach compares across weeks without
  // reading every step back.
  SqliteStatement knee(db_,
                       "INSERT INTO knee_summaries(session_id, side, steps, mean_peak_valgus_deg, "
                       "max_peak_valgus_deg, mean_confidence, mean_flexion_ic_deg) "
                       "VALUES (?, ?, ?, ?, ?, ?, ?)");
  for (pb::Side side : {pb::LEFT, pb::RIGHT}) {
    size_t n = 0, n_flex = 0;
    double sum = 0.0, max = -1e9, conf = 0.0, flex = 0.0;
    for (const StepResult& s : d.steps) {
      if (s.event.side != side || !s.peak_valgus_deg) continue;
      ++n;
      sum += *s.peak_valgus_deg;
      max = std::max(max, *s.peak_valgus_deg);
      conf += s.valgus_confidence.value_or(0.0);
      if (s.knee_flexion_ic_deg) {
        flex += *s.knee_flexion_ic_deg;
        ++n_flex;
      }
    }
    if (!n) continue;
    const double dn = static_cast<double>(n);
    knee.bind(1, sid)
        .bind(2, static_cast<int64_t>(side))
        .bind(3, static_cast<int64_t>(n))
        .bind(4, sum / dn)
        .bind(5, max)
        .bind(6, conf / dn)
        .bind(7, n_flex ? std::optional<double>(flex / static_cast<double>(n_flex)) : std::nullopt)
        .run();
  }

  SqliteStatement flag(db_,
                       "INSERT INTO flags(session_id, idx, kind, severity, side, t_start_us, "
                       "t_end_us, flag) VALUES (?, ?, ?, ?, ?, ?, ?, ?)");
  idx = 0;
  for (const pb::FormFlag& f : d.assessment.flags) {
    flag.bind(1, sid)
        .bind(2, idx++)
        .bind(3, static_cast<int64_t>(f.kind()))
        .bind(4, static_cast<int64_t>(f.severity()))
        .bind(5, static_cast<int64_t>(f.side()))
        .bind(6, static_cast<int64_t>(f.t_start_us()))
        .bind(7, static_cast<int64_t>(f.t_end_us()))
        .bind_blob(8, serialize(f))
        .run();
  }

  SqliteStatement rec(db_,
                      "INSERT INTO recommendations(session_id, idx, t_us, target_cadence_spm, "
                      "metronome_bpm, is_final, recommendation) VALUES (?, ?, ?, ?, ?, ?, ?)");
  idx = 0;
  auto put_rec = [&](const pb::Recommendation& r, bool is_final) {
    rec.bind(1, sid)
        .bind(2, idx++)
        .bind(3, static_cast<int64_t>(r.t_us()))
        .bind(4, r.target_cadence_spm())
        .bind(5, r.metronome_bpm())
        .bind(6, static_cast<int64_t>(is_final))
        .bind_blob(7, serialize(r))
        .run();
  };
  for (const pb::Recommendation& r : d.assessment.recommendation_changes) put_rec(r, false);
  if (d.assessment.recommendation) put_rec(*d.assessment.recommendation, true);

  tx.commit();
  return sid;
}

std::optional<int64_t> SessionStore::find(const std::string& key) {
  if (!key.empty() && std::all_of(key.begin(), key.end(), ::isdigit) && key.size() < 12) {
    SqliteStatement q(db_, "SELECT id FROM sessions WHERE id = ?");
    q.bind(1, static_cast<int64_t>(std::stoll(key)));
    if (q.step()) return q.int64(0);
  }
  std::vector<int64_t> ids;
  if (key.size() >= 6 && is_hex(key)) {
    SqliteStatement q(db_, "SELECT id FROM sessions WHERE substr(content_hash, 1, ?) = ?");
    q.bind(1, static_cast<int64_t>(key.size())).bind(2, key);
    while (q.step()) ids.push_back(q.int64(0));
  }
  if (ids.empty()) {
    SqliteStatement q(db_, "SELECT id FROM sessions WHERE session_name = ?");
    q.bind(1, key);
    while (q.step()) ids.push_back(q.int64(0));
  }
  if (ids.empty()) return std::nullopt;
  if (ids.size() > 1) {
    throw InputError(db_.path(), 0,
                     fmt::format("`{}` matches {} stored sessions; give the session id or more "
                                 "digits of its content hash (`gaitkeeper sessions` lists them)",
                                 key, ids.size()));
  }
  return ids.front();
}

std::optional<SessionReportData> SessionStore::load(const std::string& key) {
  const std::optional<int64_t> id = find(key);
  if (!id) return std::nullopt;
  return load_by_id(*id);
}

SessionReportData SessionStore::load_by_id(int64_t sid) {
  SessionReportData d;
  {
    SqliteStatement q(db_,
                      "SELECT content_hash, source, duration_s, running_s, "
                      "preferred_cadence_spm, header, warnings FROM sessions WHERE id = ?");
    q.bind(1, sid);
    if (!q.step()) throw InputError(db_.path(), 0, fmt::format("no session {}", sid));
    d.content_hash = q.text(0);
    d.source = q.text(1);
    d.duration_s = q.real(2);
    d.assessment.running_s = q.real(3);
    d.assessment.preferred_cadence_spm = q.opt_real(4);
    d.header = parse<pb::SessionHeader>(db_, q.blob(5), "session header");
    const std::string warnings = q.text(6);
    size_t start = 0;
    while (start < warnings.size()) {
      const size_t end = std::min(warnings.find('\n', start), warnings.size());
      d.warnings.push_back(warnings.substr(start, end - start));
      start = end + 1;
    }
  }
  {
    SqliteStatement q(
        db_, fmt::format("SELECT {} FROM steps WHERE session_id = ? ORDER BY idx", kStepColumns));
    q.bind(1, sid);
    while (q.step()) {
      StepResult s;
      DetectedStep& e = s.event;
      e.side = static_cast<pb::Side>(q.int64(0));
      e.source = static_cast<pb::Placement>(q.int64(1));
      e.ic_us = q.int64(2);
      e.to_us = q.opt_int64(3);
      e.quality = q.real(4);
      e.activity = static_cast<GaitActivity>(q.int64(5));
      e.stride_time_ms = q.opt_real(6);
      e.stride_m = q.opt_real(7);
      e.speed_mps = q.opt_real(8);
      e.foot_strike_angle_deg = q.opt_real(9);
      e.foot_strike = static_cast<pb::FootStrike>(q.int64(10));
      e.shock_g = q.opt_real(11);
      e.contact_time_reliable = q.int64(12) != 0;
      e.after_gap = q.int64(13) != 0;
      s.step_time_ms = q.opt_real(14);
      s.contact_ms = q.opt_real(15);
      s.flight_ms = q.opt_real(16);
      s.swing_ms = q.opt_real(17);
      s.cadence_spm = q.opt_real(18);
      s.stride_m = q.opt_real(19);
      s.foot_strike = static_cast<pb::FootStrike>(q.int64(20));
      s.shock_g = q.opt_real(21);
      s.peak_valgus_deg = q.opt_real(22);
      s.valgus_excursion_deg = q.opt_real(23);
      s.knee_flexion_ic_deg = q.opt_real(24);
      s.peak_stance_flexion_deg = q.opt_real(25);
      s.valgus_confidence = q.opt_real(26);
      s.tibial_inclination_ic_deg = q.opt_real(27);
      s.peak_tibial_inclination_deg = q.opt_real(28);
      s.pelvic_drop_deg = q.opt_real(29);
      s.peak_hip_adduction_deg = q.opt_real(30);
      s.window_step_time_cv_pct = q.opt_real(31);
      s.window_contact_balance_left_pct = q.opt_real(32);
      d.steps.push_back(s);
    }
  }
  {
    SqliteStatement q(db_,
                      "SELECT t_start_us, t_end_us, steps, cadence_spm, step_time_cv_pct, "
                      "contact_balance_left_pct FROM minute_metrics WHERE session_id = ? "
                      "ORDER BY idx");
    q.bind(1, sid);
    while (q.step()) {
      CadenceWindow w;
      w.t_start_us = q.int64(0);
      w.t_end_us = q.int64(1);
      w.steps = static_cast<size_t>(q.int64(2));
      w.cadence_spm = q.real(3);
      w.step_time_cv_pct = q.real(4);
      w.contact_balance_left_pct = q.opt_real(5);
      d.minutes.push_back(w);
    }
  }
  {
    SqliteStatement q(db_, "SELECT flag FROM flags WHERE session_id = ? ORDER BY idx");
    q.bind(1, sid);
    while (q.step()) d.assessment.flags.push_back(parse<pb::FormFlag>(db_, q.blob(0), "flag"));
  }
  {
    SqliteStatement q(db_,
                      "SELECT recommendation, is_final FROM recommendations WHERE session_id = ? "
                      "ORDER BY idx");
    q.bind(1, sid);
    while (q.step()) {
      pb::Recommendation r = parse<pb::Recommendation>(db_, q.blob(0), "recommendation");
      if (q.int64(1)) {
        d.assessment.recommendation = r;
      } else {
        d.assessment.recommendation_changes.push_back(r);
      }
    }
  }
  return d;
}

std::vector<StoredSessionInfo> SessionStore::list(const std::string& athlete) {
  SqliteStatement q(db_, R"sql(
SELECT s.id, s.content_hash, s.session_name, a.name, s.source, s.start_time_utc_us, s.duration_s,
  s.running_s, s.steps, s.cadence_spm, s.target_cadence_spm,
  (SELECT count(*) FROM flags f WHERE f.session_id = s.id)
FROM sessions s JOIN athletes a ON a.id = s.athlete_id
WHERE ?1 = '' OR a.name = ?1
ORDER BY s.start_time_utc_us DESC, s.id DESC
)sql");
  q.bind(1, athlete);
  std::vector<StoredSessionInfo> out;
  while (q.step()) {
    StoredSessionInfo i;
    i.id = q.int64(0);
    i.content_hash = q.text(1);
    i.session_name = q.text(2);
    i.athlete = q.text(3);
    i.source = q.text(4);
    i.start_time_utc_us = q.int64(5);
    i.duration_s = q.real(6);
    i.running_s = q.real(7);
    i.steps = static_cast<size_t>(q.int64(8));
    i.cadence_spm = q.opt_real(9);
    i.target_cadence_spm = q.opt_real(10);
    i.flags = static_cast<size_t>(q.int64(11));
    out.push_back(std::move(i));
  }
  return out;
}

std::vector<std::string> SessionStore::athletes() {
  SqliteStatement q(db_, "SELECT name FROM athletes ORDER BY name");
  std::vector<std::string> out;
  while (q.step()) out.push_back(q.text(0));
  return out;
}

std::vector<AthleteSessionRow> SessionStore::athlete_rows(const std::string& athlete,
                                                          int64_t since_utc_us) {
  SqliteStatement q(db_, R"sql(
SELECT s.id, s.content_hash, s.session_name, s.start_time_utc_us, s.duration_s, s.running_s,
  s.distance_m, s.cadence_spm, s.target_cadence_spm, s.speed_mps, s.peak_valgus_deg,
  s.valgus_confidence, s.warm_up_s
FROM sessions s JOIN athletes a ON a.id = s.athlete_id
WHERE a.name = ? AND s.start_time_utc_us >= ?
ORDER BY s.start_time_utc_us, s.id
)sql");
  q.bind(1, athlete).bind(2, since_utc_us);
  SqliteStatement flags(db_, "SELECT kind, count(*) FROM flags WHERE session_id = ? GROUP BY kind");
  std::vector<AthleteSessionRow> out;
  while (q.step()) {
    AthleteSessionRow r;
    r.content_hash = q.text(1);
    r.session_id = q.text(2);
    r.start_time_utc_us = q.int64(3);
    r.duration_s = q.real(4);
    r.running_s = q.real(5);
    r.distance_m = q.opt_real(6);
    r.cadence_spm = q.opt_real(7);
    r.target_cadence_spm = q.opt_real(8);
    r.speed_mps = q.opt_real(9);
    r.peak_valgus_deg = q.opt_real(10);
    r.valgus_confidence = q.opt_real(11);
    r.warm_up_s = q.opt_real(12);
    flags.bind(1, q.int64(0));
    while (flags.step()) {
      r.flag_counts[static_cast<pb::FlagKind>(flags.int64(0))] = static_cast<int>(flags.int64(1));
    }
    flags.reset();
    out.push_back(std::move(r));
  }
  return out;
}

std::vector<RunRecord> SessionStore::run_history(const std::string& athlete,
                                                 int64_t before_utc_us) {
  SqliteStatement q(db_, R"sql(
SELECT s.start_time_utc_us, s.running_s FROM sessions s JOIN athletes a ON a.id = s.athlete_id
WHERE a.name = ? AND s.start_time_utc_us < ? AND s.running_s > 0
ORDER BY s.start_time_utc_us
)sql");
  q.bind(1, athlete).bind(2, before_utc_us);
  std::vector<RunRecord> out;
  while (q.step()) {
    out.push_back(RunRecord{q.int64(0) / 1'000'000, q.real(1)});
  }
  return out;
}

SessionStore::TrainingLoadCheck SessionStore::check_training_load(
    const std::string& athlete, int64_t start_utc_us, double running_s,
    const TrainingLoadSettings& settings) {
  TrainingLoadCheck out;
  const std::vector<RunRecord> history = run_history(athlete, start_utc_us);
  out.runs_before = history.size();
  const RunRecord current{start_utc_us / 1'000'000, running_s};
  if (auto f = check_single_run_spike(history, current, settings)) out.flags.push_back(*f);
  if (auto f = check_weekly_volume_change(history, current, settings)) out.flags.push_back(*f);
  return out;
}

// ---- Coaching ----

void SessionStore::add_shoes(const std::string& athlete, const std::string& name,
                             int64_t start_utc_us, double retire_km, bool make_default) {
  SqliteTransaction tx(db_);
  const int64_t aid = athlete_id(athlete);
  SqliteStatement ins(db_, R"sql(
INSERT INTO shoes(athlete_id, name, start_utc_us, retire_km) VALUES (?1, ?2, ?3, ?4)
ON CONFLICT(athlete_id, name) DO UPDATE SET start_utc_us = ?3, retire_km = ?4
)sql");
  ins.bind(1, aid).bind(2, name).bind(3, start_utc_us).bind(4, retire_km).run();
  if (make_default) {
    SqliteStatement def(db_, R"sql(
UPDATE athletes SET default_shoes_id =
  (SELECT id FROM shoes WHERE athlete_id = ?1 AND name = ?2) WHERE id = ?1
)sql");
    def.bind(1, aid).bind(2, name).run();
    // Sessions stored before any pair was named count on the new default.
    SqliteStatement adopt(db_,
                          "UPDATE sessions SET shoes_id = (SELECT default_shoes_id FROM athletes "
                          "WHERE id = ?1) WHERE athlete_id = ?1 AND shoes_id IS NULL");
    adopt.bind(1, aid).run();
  }
  tx.commit();
}

std::vector<SessionStore::ShoeMileage> SessionStore::shoes(const std::string& athlete) {
  SqliteStatement q(db_, R"sql(
SELECT sh.id, sh.name, sh.start_utc_us, sh.retire_km, a.default_shoes_id = sh.id
FROM shoes sh JOIN athletes a ON a.id = sh.athlete_id WHERE a.name = ? ORDER BY sh.start_utc_us, sh.id
)sql");
  q.bind(1, athlete);
  SqliteStatement runs(db_,
                       "SELECT session_name, start_time_utc_us, distance_m FROM sessions "
                       "WHERE shoes_id = ? ORDER BY start_time_utc_us, id");
  std::vector<ShoeMileage> out;
  while (q.step()) {
    ShoeMileage m;
    m.name = q.text(1);
    m.start_utc_us = q.int64(2);
    m.retire_km = q.real(3);
    m.is_default = !q.is_null(4) && q.int64(4) != 0;
    runs.bind(1, q.int64(0));
    while (runs.step()) {
      ++m.sessions;
      if (runs.is_null(2)) {
        ++m.sessions_without_distance;
        continue;
      }
      m.distance_km += runs.real(2) / 1000.0;
      if (!m.crossed_in_session && m.distance_km >= m.retire_km) {
        m.crossed_in_session = runs.text(0);
        m.crossed_at_utc_us = runs.int64(1);
      }
    }
    runs.reset();
    out.push_back(std::move(m));
  }
  return out;
}

void SessionStore::log_pain(int64_t session_id, const PainEntry& e) {
  SqliteTransaction tx(db_);
  SqliteStatement q(db_, R"sql(
INSERT INTO pain_log(session_id, pain_during, pain_after, stiffness_next_morning, logged_utc_us)
VALUES (?1, ?2, ?3, ?4, ?5)
ON CONFLICT(session_id) DO UPDATE SET pain_during = COALESCE(?2, pain_during),
  pain_after = COALESCE(?3, pain_after),
  stiffness_next_morning = COALESCE(?4, stiffness_next_morning), logged_utc_us = ?5
)sql");
  auto opt = [](const std::optional<int>& v) {
    return v ? std::optional<int64_t>(*v) : std::nullopt;
  };
  q.bind(1, session_id)
      .bind(2, opt(e.during))
      .bind(3, opt(e.after))
      .bind(4, opt(e.stiffness))
      .bind(5, now_utc_us())
      .run();
  tx.commit();
}

namespace {
PainEntry pain_from(const SqliteStatement& q, int first_col, int64_t start_utc_us) {
  PainEntry e;
  e.session_start_utc_us = start_utc_us;
  auto get = [&](int col) {
    return q.is_null(col) ? std::nullopt : std::optional<int>(static_cast<int>(q.int64(col)));
  };
  e.during = get(first_col);
  e.after = get(first_col + 1);
  e.stiffness = get(first_col + 2);
  return e;
}
}  // namespace

std::vector<PainLogRow> SessionStore::pain_history(const std::string& athlete) {
  SqliteStatement q(db_, R"sql(
SELECT s.session_name, s.start_time_utc_us, p.pain_during, p.pain_after, p.stiffness_next_morning,
  s.content_hash
FROM pain_log p JOIN sessions s ON s.id = p.session_id JOIN athletes a ON a.id = s.athlete_id
WHERE a.name = ? ORDER BY s.start_time_utc_us, s.id
)sql");
  q.bind(1, athlete);
  std::vector<PainLogRow> out;
  while (q.step()) out.push_back(PainLogRow{q.text(5), q.text(0), pain_from(q, 2, q.int64(1))});
  return out;
}

AthleteCoaching SessionStore::coaching(const std::string& athlete, int64_t now_utc_us) {
  AthleteCoaching c;
  c.shoes = shoes(athlete);
  c.pain = pain_history(athlete);
  std::vector<PainEntry> entries;
  for (const PainLogRow& r : c.pain) entries.push_back(r.entry);
  c.pain_flags = check_pain(entries);
  c.plan = load_plan(athlete);
  if (c.plan)
    c.plan_progress = follow_plan(*c.plan, plan_runs(athlete, c.plan->start_utc_us), now_utc_us);
  return c;
}

std::string SessionStore::athlete_of(int64_t session_id) {
  SqliteStatement q(db_,
                    "SELECT a.name FROM sessions s JOIN athletes a ON a.id = s.athlete_id "
                    "WHERE s.id = ?");
  q.bind(1, session_id);
  if (!q.step()) throw InputError(db_.path(), 0, fmt::format("no session {}", session_id));
  return q.text(0);
}

int64_t SessionStore::session_start_utc_us(int64_t session_id) {
  SqliteStatement q(db_, "SELECT start_time_utc_us FROM sessions WHERE id = ?");
  q.bind(1, session_id);
  if (!q.step()) throw InputError(db_.path(), 0, fmt::format("no session {}", session_id));
  return q.int64(0);
}

void SessionStore::save_plan(const std::string& athlete, const ReturnPlan& plan) {
  SqliteTransaction tx(db_);
  const int64_t aid = athlete_id(athlete);
  SqliteStatement q(db_, R"sql(
INSERT INTO return_plans(athlete_id, created_utc_us, start_utc_us, weeks, sessions_per_week,
  first_week_run_min, max_weekly_increase_pct, cadence_target_spm)
VALUES (?, ?, ?, ?, ?, ?, ?, ?)
)sql");
  q.bind(1, aid)
      .bind(2, now_utc_us())
      .bind(3, plan.start_utc_us)
      .bind(4, static_cast<int64_t>(plan.settings.weeks))
      .bind(5, static_cast<int64_t>(plan.settings.sessions_per_week))
      .bind(6, plan.settings.first_week_run_min)
      .bind(7, plan.settings.max_weekly_increase_pct)
      .bind(8, plan.steps.empty() ? std::nullopt : plan.steps.front().cadence_target_spm)
      .run();
  tx.commit();
}

std::optional<ReturnPlan> SessionStore::load_plan(const std::string& athlete) {
  SqliteStatement q(db_, R"sql(
SELECT p.start_utc_us, p.weeks, p.sessions_per_week, p.first_week_run_min,
  p.max_weekly_increase_pct, p.cadence_target_spm
FROM return_plans p JOIN athletes a ON a.id = p.athlete_id WHERE a.name = ?
ORDER BY p.created_utc_us DESC, p.id DESC LIMIT 1
)sql");
  q.bind(1, athlete);
  if (!q.step()) return std::nullopt;
  ReturnPlanSettings s;
  s.weeks = static_cast<int>(q.int64(1));
  s.sessions_per_week = static_cast<int>(q.int64(2));
  s.first_week_run_min = q.real(3);
  s.max_weekly_increase_pct = q.real(4);
  try {
    return build_return_plan(q.int64(0), s, q.opt_real(5));
  } catch (const std::invalid_argument& e) {
    throw InputError(db_.path(), 0,
                     fmt::format("the stored return-to-run plan of {} is invalid ({}); make a "
                                 "new one with `gaitkeeper plan --athlete {} --return`",
                                 athlete, e.what(), athlete));
  }
}

std::vector<PlanRun> SessionStore::plan_runs(const std::string& athlete, int64_t since_utc_us) {
  SqliteStatement q(db_, R"sql(
SELECT s.start_time_utc_us, s.running_s, p.session_id, p.pain_during, p.pain_after,
  p.stiffness_next_morning
FROM sessions s JOIN athletes a ON a.id = s.athlete_id
LEFT JOIN pain_log p ON p.session_id = s.id
WHERE a.name = ? AND s.start_time_utc_us >= ? ORDER BY s.start_time_utc_us, s.id
)sql");
  q.bind(1, athlete).bind(2, since_utc_us);
  std::vector<PlanRun> out;
  while (q.step()) {
    PlanRun r;
    r.start_utc_us = q.int64(0);
    r.running_s = q.real(1);
    if (!q.is_null(2)) r.pain = pain_from(q, 3, r.start_utc_us);
    out.push_back(r);
  }
  return out;
}

}  // namespace gk
