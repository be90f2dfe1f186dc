// The session store against a real SQLite file: round trips, re-analysis
// replacing its results, schema versions, corrupt and locked databases,
// several writers at once (threads and processes), training load from the
// stored history, and batch analysis of folders through the built CLI.
#include <google/protobuf/util/message_differencer.h>
#include <gtest/gtest.h>
#include <sqlite3.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <future>
#include <string>
#include <thread>
#include <vector>

#include "cli_runner.hpp"
#include "input_error.hpp"
#include "schema_migrations.hpp"
#include "session_job.hpp"
#include "session_store.hpp"
#include "utc_time.hpp"

namespace gk {
namespace {

namespace fs = std::filesystem;
using test::CliRun;

class Store : public ::testing::Test {
 protected:
  static test::CliScratch& scratch() {
    static test::CliScratch s("store_test");
    return s;
  }
  static fs::path root() { return scratch().dir(); }
  static CliRun cli(const std::string& args) { return scratch().run(GK_EXE, args); }

  /// A simulated session (cached per name): shoe + knee sleeve at 200 Hz
  /// with a collapsing left knee, so steps carry knee values and flags.
  static fs::path sim(const std::string& name, const std::string& extra = "") {
    const fs::path out = root() / "sims" / name;
    if (!fs::exists(out)) {
      const CliRun r = cli("simulate -o " + out.string() +
                           " --sensors shoe+sleeve --rate-hz 200 --stand-s 3 --duration-s 150 "
                           "--valgus-left-deg 13 --athlete ana " +
                           extra);
      EXPECT_EQ(r.rc, 0) << r.err;
    }
    return out;
  }

  static fs::path db(const std::string& name) { return root() / (name + ".db"); }
};

void expect_same(const SessionReportData& a, const SessionReportData& b) {
  EXPECT_EQ(a.content_hash, b.content_hash);
  EXPECT_EQ(a.source, b.source);
  EXPECT_EQ(a.duration_s, b.duration_s);
  ASSERT_EQ(a.steps.size(), b.steps.size());
  for (size_t i = 0; i < a.steps.size(); ++i) {
    ASSERT_TRUE(a.steps[i] == b.steps[i]) << "step " << i << " differs after the round trip";
  }
  EXPECT_TRUE(a.minutes == b.minutes);
  ASSERT_EQ(a.assessment.flags.size(), b.assessment.flags.size());
  for (size_t i = 0; i < a.assessment.flags.size(); ++i) {
    EXPECT_TRUE(google::protobuf::util::MessageDifferencer::Equals(a.assessment.flags[i],
                                                                   b.assessment.flags[i]));
  }
  ASSERT_EQ(a.assessment.recommendation.has_value(), b.assessment.recommendation.has_value());
  if (a.assessment.recommendation) {
    EXPECT_TRUE(google::protobuf::util::MessageDifferencer::Equals(*a.assessment.recommendation,
                                                                   *b.assessment.recommendation));
  }
  EXPECT_EQ(a.assessment.recommendation_changes.size(), b.assessment.recommendation_changes.size());
  EXPECT_EQ(a.assessment.preferred_cadence_spm, b.assessment.preferred_cadence_spm);
  EXPECT_EQ(a.assessment.running_s, b.assessment.running_s);
  EXPECT_TRUE(google::protobuf::util::MessageDifferencer::Equals(a.header, b.header));
  EXPECT_EQ(a.warnings, b.warnings);
}

TEST_F(Store, SessionRoundTripsThroughTheFile) {
  const SessionReportData d = cli::run_session_job(sim("rt.gkr"), {}).data;
  ASSERT_GT(d.steps.size(), 300u);
  ASSERT_FALSE(d.assessment.flags.empty()) << "the simulated valgus fault raises a flag";
  ASSERT_TRUE(d.steps.back().peak_valgus_deg.has_value());
  int64_t id = 0;
  {
    SessionStore store(db("rt"));
    id = store.save(d);
  }
  SessionStore reopened(db("rt"));  // a new connection reads what the file holds
  const std::optional<SessionReportData> back = reopened.load(std::to_string(id));
  ASSERT_TRUE(back.has_value());
  expect_same(d, *back);
  // The same session by content hash prefix and by name.
  EXPECT_EQ(reopened.find(d.content_hash.substr(0, 8)), id);
  EXPECT_EQ(reopened.find(d.header.session_id()), id);
  EXPECT_FALSE(reopened.find("no-such-session").has_value());
  const auto list = reopened.list("ana");
  ASSERT_EQ(list.size(), 1u);
  EXPECT_EQ(list[0].steps, d.steps.size());
  EXPECT_EQ(list[0].flags, d.assessment.flags.size());
}

TEST_F(Store, ReanalysisReplacesTheOldResults) {
  SessionReportData d = cli::run_session_job(sim("re.gkr"), {}).data;
  SessionStore store(db("re"));
  const int64_t first = store.save(d);
  // A re-analysis of the same recording (same content hash) with different
  // results, e.g. from a newer engine: fewer steps and no flags.
  SessionReportData again = d;
  again.steps.resize(d.steps.size() / 2);
  again.assessment.flags.clear();
  EXPECT_EQ(store.save(again), first) << "the session keeps its id";
  ASSERT_EQ(store.list().size(), 1u);
  const std::optional<SessionReportData> back = store.load(d.content_hash);
  ASSERT_TRUE(back.has_value());
  EXPECT_EQ(back->steps.size(), d.steps.size() / 2);
  EXPECT_TRUE(back->assessment.flags.empty());
  // No orphaned child rows: the old steps are gone from the table.
  SqliteStatement q(store.db(), "SELECT count(*) FROM steps");
  ASSERT_TRUE(q.step());
  EXPECT_EQ(static_cast<size_t>(q.int64(0)), d.steps.size() / 2);
}

TEST_F(Store, SchemaIsVersionedAndANewerFileIsRefused) {
  {
    SessionStore store(db("ver"));
    EXPECT_EQ(store.schema_version(), static_cast<int>(schema_migrations().size()));
    SqliteStatement fk(store.db(), "PRAGMA foreign_keys");
    ASSERT_TRUE(fk.step());
    EXPECT_EQ(fk.int64(0), 1);
    SqliteStatement wal(store.db(), "PRAGMA journal_mode");
    ASSERT_TRUE(wal.step());
    EXPECT_EQ(wal.text(0), "wal");
    store.db().exec("PRAGMA user_version = 999");
  }
  try {
    SessionStore store(db("ver"));
    FAIL() << "a database from a newer gaitkeeper was opened";
  } catch (const InputError& e) {
    EXPECT_NE(std::string(e.what()).find("newer"), std::string::npos) << e.what();
    EXPECT_EQ(e.file(), db("ver"));
  }
}

TEST_F(Store, CorruptDatabaseIsAClearErrorFromTheCli) {
  const fs::path bad = db("corrupt");
  {
    std::ofstream out(bad, std::ios::binary);
    out << std::string(8192, 'x');  // not an SQLite file at all
  }
  EXPECT_THROW(SessionStore{bad}, InputError);
  const CliRun r = cli("analyze " + sim("c.gkr").string() + " --db " + bad.string());
  EXPECT_EQ(r.rc, 2) << r.out << r.err;
  EXPECT_NE(r.err.find(bad.string()), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("not a gaitkeeper database"), std::string::npos) << r.err;
}

TEST_F(Store, LockedDatabaseIsAClearErrorAfterTheTimeout) {
  const fs::path path = db("locked");
  { SessionStore create(path); }
  sqlite3* holder = nullptr;
  ASSERT_EQ(sqlite3_open(path.c_str(), &holder), SQLITE_OK);
  ASSERT_EQ(sqlite3_exec(holder, "BEGIN EXCLUSIVE", nullptr, nullptr, nullptr), SQLITE_OK);
  SqliteSettings quick;
  quick.busy_timeout_ms = 200;
  const SessionReportData d = cli::run_session_job(sim("l.gkr"), {}).data;
  try {
    SessionStore store(path, quick);
    store.save(d);
    FAIL() << "saved while another connection held the database locked";
  } catch (const InputError& e) {
    EXPECT_NE(std::string(e.what()).find("locked"), std::string::npos) << e.what();
  }
  // Once the other writer finishes, the same save goes through.
  ASSERT_EQ(sqlite3_exec(holder, "COMMIT", nullptr, nullptr, nullptr), SQLITE_OK);
  sqlite3_close(holder);
  SessionStore store(path, quick);
  EXPECT_GT(store.save(d), 0);
}

TEST_F(Store, WritersInParallelLoseNothing) {
  // Four threads, each with its own connection, save eight sessions each
  // (distinct content hashes) into one file at the same time.
  const SessionReportData base = cli::run_session_job(sim("p.gkr"), {}).data;
  const fs::path path = db("parallel");
  { SessionStore create(path); }
  std::vector<std::future<void>> writers;
  for (int w = 0; w < 4; ++w) {
    writers.push_back(std::async(std::launch::async, [&, w] {
      SessionStore store(path);
      for (int i = 0; i < 8; ++i) {
        SessionReportData d = base;
        d.content_hash = base.content_hash + "-" + std::to_string(w) + "-" + std::to_string(i);
        store.save(d);
      }
    }));
  }
  for (auto& f : writers) f.get();
  SessionStore store(path);
  const auto list = store.list();
  ASSERT_EQ(list.size(), 32u);
  for (const StoredSessionInfo& s : list) EXPECT_EQ(s.steps, base.steps.size());
  SqliteStatement q(store.db(), "SELECT count(*) FROM steps");
  ASSERT_TRUE(q.step());
  EXPECT_EQ(static_cast<size_t>(q.int64(0)), 32 * base.steps.size());
}

TEST_F(Store, TwoProcessesWritingTogetherLoseNothing) {
  // Two `gaitkeeper analyze` processes store into one database at once.
  const fs::path a = root() / "proc_a";
  const fs::path b = root() / "proc_b";
  fs::create_directories(a);
  fs::create_directories(b);
  for (int i = 0; i < 3; ++i) {
    fs::copy_file(sim("pa" + std::to_string(i) + ".gkr", "--seed " + std::to_string(10 + i)),
                  a / ("a" + std::to_string(i) + ".gkr"));
    fs::copy_file(sim("pb" + std::to_string(i) + ".gkr", "--seed " + std::to_string(20 + i)),
                  b / ("b" + std::to_string(i) + ".gkr"));
  }
  const fs::path path = db("two_processes");
  auto one = std::async(std::launch::async,
                        [&] { return cli("analyze " + a.string() + " --db " + path.string()); });
  auto two = std::async(std::launch::async,
                        [&] { return cli("analyze " + b.string() + " --db " + path.string()); });
  const CliRun r1 = one.get();
  const CliRun r2 = two.get();
  ASSERT_EQ(r1.rc, 0) << r1.err;
  ASSERT_EQ(r2.rc, 0) << r2.err;
  SessionStore store(path);
  EXPECT_EQ(store.list().size(), 6u);
  for (const StoredSessionInfo& s : store.list()) {
    const std::optional<SessionReportData> d = store.load(s.content_hash);
    ASSERT_TRUE(d.has_value());
    EXPECT_EQ(d->steps.size(), s.steps);
    EXPECT_GT(s.steps, 300u);
  }
}

TEST_F(Store, LiveSessionAndBatchRunWritingTogetherLoseNothing) {
  // `gaitkeeper live` (a simulated run replayed at 20x, stored at its end)
  // and `gaitkeeper analyze` over a folder write into one database at once.
  const fs::path dir = root() / "with_live";
  fs::create_directories(dir);
  for (int i = 0; i < 4; ++i) {
    fs::copy_file(sim("wl" + std::to_string(i) + ".gkr", "--seed " + std::to_string(50 + i)),
                  dir / ("s" + std::to_string(i) + ".gkr"));
  }
  const fs::path path = db("live_and_batch");
  const fs::path rec = root() / "live_run.gkr";
  auto live = std::async(std::launch::async, [&] {
    return cli(
        "live --simulate --sim-duration-s 60 --speed 20 --no-dashboard --plain "
        "--athlete live_runner -o " +
        rec.string() + " --report " + (root() / "live_run.report.html").string() + " --db " +
        path.string());
  });
  auto batch = std::async(std::launch::async, [&] {
    CliRun last;
    // Several batch passes so the writes overlap the live session's end.
    for (int pass = 0; pass < 3; ++pass) {
      last = cli("analyze " + dir.string() + " --db " + path.string());
      if (last.rc != 0) break;
    }
    return last;
  });
  const CliRun l = live.get();
  const CliRun b = batch.get();
  ASSERT_EQ(l.rc, 0) << l.out << l.err;
  ASSERT_EQ(b.rc, 0) << b.err;
  EXPECT_NE(l.out.find("stored: session #"), std::string::npos) << l.out;
  EXPECT_NE(l.out.find("report: "), std::string::npos) << l.out;
  SessionStore store(path);
  EXPECT_EQ(store.list().size(), 5u) << "four batch sessions and the live one, once each";
  const auto live_rows = store.list("live_runner");
  ASSERT_EQ(live_rows.size(), 1u);
  EXPECT_GT(live_rows[0].steps, 100u);
  // The stored live session has every step the recording gives on re-analysis.
  const SessionReportData again = cli::run_session_job(rec, {}).data;
  EXPECT_EQ(again.content_hash, live_rows[0].content_hash);
  EXPECT_EQ(live_rows[0].steps, again.steps.size());
  for (const StoredSessionInfo& s : store.list()) {
    const std::optional<SessionReportData> d = store.load(s.content_hash);
    ASSERT_TRUE(d.has_value());
    EXPECT_EQ(d->steps.size(), s.steps);
  }
}

TEST_F(Store, BatchReportsFailuresAndStoresTheRest) {
  const fs::path dir = root() / "batch";
  fs::create_directories(dir / "nested");
  fs::copy_file(sim("b0.gkr", "--seed 31"), dir / "one.gkr");
  fs::copy_file(sim("b1.gkr", "--seed 32"), dir / "nested" / "two.gkr");
  fs::copy(sim("b2", "--seed 33"), dir / "three", fs::copy_options::recursive);  // CSV session
  {
    std::ofstream bad(dir / "broken.gkr", std::ios::binary);
    bad << "this is not a recording";
  }
  const fs::path path = db("batch");
  const CliRun r = cli("analyze " + dir.string() + " --db " + path.string() + " -j 2");
  EXPECT_EQ(r.rc, 2) << "a failed file makes the exit code non-zero\n" << r.out << r.err;
  EXPECT_NE(r.err.find("broken.gkr"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("1 of 4 sessions failed"), std::string::npos) << r.err;
  for (const char* name : {"one.gkr", "two.gkr", "three"}) {
    EXPECT_NE(r.out.find(name), std::string::npos) << name << " missing from the table\n" << r.out;
  }
  SessionStore store(path);
  EXPECT_EQ(store.list().size(), 3u);
  // Analysing again replaces rather than duplicates, and gives identical
  // results (determinism through the whole batch path): every stored step,
  // flag and recommendation the same.
  std::vector<SessionReportData> before;
  for (const StoredSessionInfo& s : store.list()) {
    std::optional<SessionReportData> d = store.load(s.content_hash);
    ASSERT_TRUE(d.has_value());
    EXPECT_EQ(d->steps.size(), s.steps);
    before.push_back(std::move(*d));
  }
  const CliRun again = cli("analyze " + (dir / "one.gkr").string() + " " +
                           (dir / "three").string() + " --db " + path.string());
  ASSERT_EQ(again.rc, 0) << again.err;
  EXPECT_EQ(store.list().size(), 3u);
  for (const SessionReportData& b : before) {
    const std::optional<SessionReportData> after = store.load(b.content_hash);
    ASSERT_TRUE(after.has_value());
    expect_same(b, *after);
  }
}

TEST_F(Store, StreamedRecordingMatchesTheWholeFileAnalysis) {
  // Batch analysis streams .gkr files; the result equals loading it whole.
  const fs::path file = sim("stream.gkr");
  const SessionReportData streamed = cli::run_session_job(file, {}).data;
  Warnings w;
  const GaitAnalysis whole = analyze_gait(load_session(file, w));
  ASSERT_EQ(streamed.steps.size(), whole.steps.size());
  EXPECT_TRUE(streamed.steps == whole.steps);
}

TEST_F(Store, TrainingLoadComesFromTheStoredHistory) {
  // Frandsen 2025: a run more than 10 % longer than the longest of the
  // previous 30 days. 10 min, then 10.5 min (+5 %, fine), then 12 min
  // (+14 % over 10.5) a week later.
  const fs::path path = db("load");
  auto run = [&](const std::string& name, int seconds, const std::string& date) {
    const fs::path out = root() / "sims" / name;
    const CliRun r = cli("simulate -o " + out.string() +
                         " --sensors feet --rate-hz 200 --athlete lee --duration-s " +
                         std::to_string(seconds) + " --start " + date);
    EXPECT_EQ(r.rc, 0) << r.err;
    return out;
  };
  const fs::path r1 = run("t1.gkr", 600, "2026-10-01");
  const fs::path r2 = run("t2.gkr", 630, "2026-10-05");
  const fs::path r3 = run("t3.gkr", 720, "2026-10-12");
  ASSERT_EQ(cli("analyze " + r1.string() + " " + r2.string() + " --db " + path.string()).rc, 0);
  const CliRun ok = cli("assess " + r2.string() + " --db " + path.string());
  ASSERT_EQ(ok.rc, 0) << ok.err;
  EXPECT_NE(ok.out.find("checked against 1 stored run of lee"), std::string::npos) << ok.out;
  EXPECT_NE(ok.out.find("within limits"), std::string::npos) << ok.out;
  const CliRun spike = cli("assess " + r3.string() + " --db " + path.string());
  ASSERT_EQ(spike.rc, 0) << spike.err;
  EXPECT_NE(spike.out.find("[CAUTION] training load (this run)"), std::string::npos) << spike.out;
  EXPECT_NE(spike.out.find("longest run of the previous 30 days: 10.5 min"), std::string::npos)
      << spike.out;
  // Without a store the check says so instead of passing silently.
  const CliRun none = cli("assess " + r3.string() + " --db " + (root() / "absent.db").string());
  EXPECT_NE(none.out.find("training load: not checked"), std::string::npos) << none.out;
  EXPECT_FALSE(fs::exists(root() / "absent.db")) << "assess must not create a store";
}

TEST(UtcTime, ParsesIsoDatesAndRejectsOthers) {
  EXPECT_EQ(parse_utc_us("1970-01-02"), int64_t{86400} * 1'000'000);
  EXPECT_EQ(parse_utc_us("2026-11-30T07:30"),
            parse_utc_us("2026-11-30").value() + (int64_t{7} * 3600 + 30 * 60) * 1'000'000);
  EXPECT_EQ(format_utc_date(*parse_utc_us("2024-02-29")), "2024-02-29");
  EXPECT_FALSE(parse_utc_us("2023-02-29").has_value());
  EXPECT_FALSE(parse_utc_us("30/11/2026").has_value());
  EXPECT_FALSE(parse_utc_us("2026-11-30x").has_value());
}

}  // namespace
}  // namespace gk
