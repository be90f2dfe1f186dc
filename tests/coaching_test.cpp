// Coaching features from the runner's-knee guidance against a real store:
// warm-up recorded per session, shoe mileage crossing its limit exactly
// where the summed distance does, the pain log holding a return-to-run plan
// back, the plan's weekly increase, and the schema migration that added
// them to an existing database.
#include <gtest/gtest.h>
#include <unistd.h>

#include <cmath>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "cli_runner.hpp"
#include "pain_check.hpp"
#include "return_to_run_plan.hpp"
#include "schema_migrations.hpp"
#include "session_store.hpp"
#include "utc_time.hpp"

namespace gk {
namespace {

namespace fs = std::filesystem;
using test::CliRun;

constexpr int64_t kDay_us = int64_t{86400} * 1'000'000;

class Coaching : public ::testing::Test {
 protected:
  static test::CliScratch& scratch() {
    static test::CliScratch s("coaching_test");
    return s;
  }
  static fs::path root() { return scratch().dir(); }
  static CliRun cli(const std::string& args) { return scratch().run(GK_EXE, args); }
  /// A simulated run of feet sensors at 200 Hz on a given day.
  static fs::path run(const std::string& name, const std::string& date, int seconds,
                      const std::string& extra = "") {
    const fs::path out = root() / (name + ".gkr");
    const CliRun r = cli("simulate -o " + out.string() +
                         " --sensors feet --rate-hz 200 --athlete kim --stand-s 3 --duration-s " +
                         std::to_string(seconds) + " --start " + date + " " + extra);
    EXPECT_EQ(r.rc, 0) << r.err;
    return out;
  }
};

TEST_F(Coaching, WarmUpIsStoredAndOnlyTheColdStartIsFlagged) {
  const fs::path db = root() / "warm.db";
  const fs::path cold = run("cold", "2026-09-01", 120, "--seed 5");
  const fs::path warm = run("warm", "2026-09-02", 120, "--seed 6 --warmup-walk-s 300");
  const CliRun r = cli("analyze " + cold.string() + " " + warm.string() + " --db " + db.string());
  ASSERT_EQ(r.rc, 0) << r.err;
  SessionStore store(db);
  SqliteStatement q(store.db(),
                    "SELECT session_name, warm_up_s, (SELECT count(*) FROM flags f WHERE "
                    "f.session_id = s.id AND f.kind = ?) FROM sessions s ORDER BY "
                    "start_time_utc_us");
  q.bind(1, static_cast<int64_t>(pb::NO_WARM_UP));
  ASSERT_TRUE(q.step());
  EXPECT_LT(q.real(1), 10.0) << "straight into running";
  EXPECT_EQ(q.int64(2), 1) << "the cold start is flagged";
  ASSERT_TRUE(q.step());
  EXPECT_NEAR(q.real(1), 300.0, 10.0) << "five minutes of walking";
  EXPECT_EQ(q.int64(2), 0) << "a five-minute walk is a warm-up";
}

TEST_F(Coaching, ShoesCrossTheLimitExactlyWhereTheSummedDistanceSays) {
  const fs::path db = root() / "shoes.db";
  std::vector<fs::path> runs;
  for (int i = 0; i < 4; ++i) {
    runs.push_back(run("shoe" + std::to_string(i), "2026-09-1" + std::to_string(i), 240 + 60 * i,
                       "--seed " + std::to_string(40 + i)));
  }
  // First the distances as the store measures them, with no shoes yet.
  ASSERT_EQ(
      cli("analyze " + root().string() + "/shoe0.gkr " + root().string() + "/shoe1.gkr " +
          root().string() + "/shoe2.gkr " + root().string() + "/shoe3.gkr --db " + db.string())
          .rc,
      0);
  std::vector<double> km;
  {
    SessionStore store(db);
    SqliteStatement q(store.db(), "SELECT distance_m FROM sessions ORDER BY start_time_utc_us");
    while (q.step()) km.push_back(q.real(0) / 1000.0);
  }
  ASSERT_EQ(km.size(), 4u);
  for (double k : km) EXPECT_GT(k, 0.5);
  // A limit just above the first two sessions' sum: the third crosses it.
  const double limit = km[0] + km[1] + 0.25 * km[2];
  const CliRun add =
      cli("shoes --athlete kim --add trail --start 2026-09-01 --default "
          "--retire-km " +
          std::to_string(limit) + " --db " + db.string());
  ASSERT_EQ(add.rc, 0) << add.err;
  SessionStore store(db);
  const auto pairs = store.shoes("kim");
  ASSERT_EQ(pairs.size(), 1u);
  EXPECT_EQ(pairs[0].sessions, 4u);
  EXPECT_NEAR(pairs[0].distance_km, km[0] + km[1] + km[2] + km[3], 1e-9);
  ASSERT_TRUE(pairs[0].crossed_at_utc_us.has_value());
  EXPECT_EQ(format_utc_date(*pairs[0].crossed_at_utc_us), "2026-09-12");
  EXPECT_NE(add.out.find("REPLACE"), std::string::npos) << add.out;
  // The distance agrees with speed x time of the simulation (3 m/s default).
  EXPECT_NEAR(km[0], 3.0 * 240 / 1000.0, 0.05 * km[0]);
}

TEST_F(Coaching, PainRiseHoldsThePlanBackAWeek) {
  const int64_t start = *parse_utc_us("2026-06-01");
  const ReturnPlan plan = build_return_plan(start, {}, 176.0);
  // Three runs a week on plan; pain logged 1/10 in week 1, 4/10 in week 2.
  std::vector<PlanRun> runs;
  auto week_runs = [&](int week, double minutes_total, std::optional<int> pain) {
    for (int i = 0; i < 3; ++i) {
      PlanRun r;
      r.start_utc_us = start + (7 * week + 2 * i) * kDay_us;
      r.running_s = minutes_total * 60.0 / 3.0;
      if (pain && i == 2) r.pain = PainEntry{r.start_utc_us, *pain, *pain, std::nullopt};
      runs.push_back(r);
    }
  };
  week_runs(0, plan.steps[0].run_min_per_week, 1);
  week_runs(1, plan.steps[1].run_min_per_week, 4);
  week_runs(2, plan.steps[1].run_min_per_week, 1);
  const PlanProgress p = follow_plan(plan, runs, start + 21 * kDay_us + 1);
  ASSERT_GE(p.weeks.size(), 4u);
  EXPECT_TRUE(p.weeks[0].progressed);
  EXPECT_EQ(p.weeks[1].planned.step, 2);
  EXPECT_TRUE(p.weeks[1].pain);
  EXPECT_FALSE(p.weeks[1].progressed) << "pain holds the plan";
  EXPECT_EQ(p.weeks[2].planned.step, 2) << "week 3 repeats step 2";
  EXPECT_TRUE(p.weeks[2].progressed);
  EXPECT_EQ(p.weeks[3].planned.step, 3);
  EXPECT_EQ(p.next.step, 3);

  // Running over the plan holds it too.
  std::vector<PlanRun> over;
  for (int i = 0; i < 3; ++i) {
    over.push_back(PlanRun{start + 2 * i * kDay_us, plan.steps[0].run_min_per_week * 25.0, {}});
  }
  const PlanProgress o = follow_plan(plan, over, start + 7 * kDay_us + 1);
  EXPECT_TRUE(o.weeks[0].over_plan);
  EXPECT_EQ(o.next.step, 1);
}

TEST_F(Coaching, PlanNeverRaisesWeeklyVolumeByMoreThanTenPercent) {
  size_t checked = 0;
  for (int weeks = 4; weeks <= 8; ++weeks) {
    for (double first : {10.0, 25.0, 30.0, 47.0, 90.0, 150.0}) {
      for (double pct : {3.0, 5.0, 7.5, 10.0}) {
        ReturnPlanSettings s;
        s.weeks = weeks;
        s.first_week_run_min = first;
        s.max_weekly_increase_pct = pct;
        const ReturnPlan plan = build_return_plan(0, s, std::nullopt);
        ASSERT_EQ(plan.steps.size(), static_cast<size_t>(weeks));
        for (size_t k = 1; k < plan.steps.size(); ++k) {
          const double prev = plan.steps[k - 1].run_min_per_week;
          const double next = plan.steps[k].run_min_per_week;
          EXPECT_LE(next, prev * (1.0 + pct / 100.0) + 1e-9)
              << weeks << " weeks from " << first << " min at " << pct << " %";
          EXPECT_GE(next, prev);
          ++checked;
        }
        EXPECT_EQ(plan.steps.back().walk_interval_min, 0.0) << "the last week runs continuously";
      }
    }
  }
  EXPECT_GT(checked, 500u);
  ReturnPlanSettings bad;
  bad.max_weekly_increase_pct = 15.0;
  EXPECT_THROW(build_return_plan(0, bad, std::nullopt), std::invalid_argument);
  bad = {};
  bad.weeks = 12;
  EXPECT_THROW(build_return_plan(0, bad, std::nullopt), std::invalid_argument);
}

TEST_F(Coaching, PainLogAndPlanThroughTheCli) {
  const fs::path db = root() / "plan.db";
  // Week 1: three runs on plan (10 min each = 30 min), pain 1/10.
  // Week 2: three runs of 11 min (33 min, step 2), pain 4/10 on the last.
  std::vector<fs::path> w1, w2;
  const char* week1[] = {"2026-07-01", "2026-07-03", "2026-07-05"};
  const char* week2[] = {"2026-07-08", "2026-07-10", "2026-07-12"};
  for (int i = 0; i < 3; ++i) {
    w1.push_back(run("p1_" + std::to_string(i), week1[i], 600, "--seed " + std::to_string(60 + i)));
    w2.push_back(run("p2_" + std::to_string(i), week2[i], 660, "--seed " + std::to_string(70 + i)));
  }
  std::string all;
  for (const auto& v : {w1, w2}) {
    for (const fs::path& p : v) all += p.string() + " ";
  }
  ASSERT_EQ(cli("analyze " + all + "--db " + db.string()).rc, 0);
  ASSERT_EQ(cli("plan --athlete kim --return --start 2026-07-01 --db " + db.string()).rc, 0);
  ASSERT_EQ(cli("log " + w1[2].string() + " --pain 1 --after 1 --db " + db.string()).rc, 0);
  const CliRun pain = cli("log " + w2[2].string() + " --pain 4 --after 3 --db " + db.string());
  ASSERT_EQ(pain.rc, 0) << pain.err;
  EXPECT_NE(pain.out.find("rose from 1/10 to 4/10"), std::string::npos) << pain.out;
  const CliRun status = cli("plan --athlete kim --now 2026-07-16 --db " + db.string());
  ASSERT_EQ(status.rc, 0) << status.err;
  EXPECT_NE(status.out.find("week 1 (2026-07-01): step 1"), std::string::npos) << status.out;
  EXPECT_NE(status.out.find("move up a step"), std::string::npos) << status.out;
  EXPECT_NE(status.out.find("week 2 (2026-07-08): step 2"), std::string::npos) << status.out;
  EXPECT_NE(status.out.find("pain reported"), std::string::npos) << status.out;
  EXPECT_NE(status.out.find("week 3 (2026-07-15): step 2"), std::string::npos) << status.out;
  // Bad ratings are refused at the boundary.
  const CliRun bad = cli("log " + w2[2].string() + " --pain 11 --db " + db.string());
  EXPECT_EQ(bad.rc, 2);
}

TEST_F(Coaching, AthleteReportShowsShoesPainAndPlanInChromium) {
  const fs::path db = root() / "report.db";
  const char* days[] = {"2026-08-03", "2026-08-05", "2026-08-07", "2026-08-10", "2026-08-12"};
  std::string files;
  for (int i = 0; i < 5; ++i) {
    files += run("r" + std::to_string(i), days[i], 420 + 30 * i, "--seed " + std::to_string(80 + i))
                 .string() +
             " ";
  }
  ASSERT_EQ(cli("shoes --athlete kim --add clifton --start 2026-08-01 --retire-km 3 --default "
                "--db " +
                db.string())
                .rc,
            0);
  ASSERT_EQ(cli("analyze " + files + "--db " + db.string()).rc, 0);
  ASSERT_EQ(
      cli("plan --athlete kim --return --start 2026-08-03 --first-week-min 20 --db " + db.string())
          .rc,
      0);
  ASSERT_EQ(cli("log " + (root() / "r2.gkr").string() + " --pain 1 --db " + db.string()).rc, 0);
  ASSERT_EQ(cli("log " + (root() / "r4.gkr").string() +
                " --pain 6 --after 5 --stiffness 4 "
                "--db " +
                db.string())
                .rc,
            0);

  const fs::path json_out = root() / "kim.json";
  const CliRun j = cli("report --athlete kim --weeks 4 --until 2026-08-16 --format json -o " +
                       json_out.string() + " --db " + db.string());
  ASSERT_EQ(j.rc, 0) << j.err;
  const nlohmann::json rep = nlohmann::json::parse(test::slurp(json_out));
  EXPECT_EQ(rep["sessions"].size(), 5u);
  const auto& c = rep["coaching"];
  ASSERT_EQ(c["shoes"].size(), 1u);
  EXPECT_EQ(c["shoes"][0]["name"], "clifton");
  EXPECT_EQ(c["shoes"][0]["sessions"], 5);
  EXPECT_TRUE(c["shoes"][0]["due"].get<bool>());
  ASSERT_EQ(c["pain"].size(), 2u);
  EXPECT_EQ(c["pain"][1]["pain_during"], 6);
  EXPECT_TRUE(c["pain"][1]["cadence_spm"].is_number()) << "pain shown next to cadence";
  ASSERT_FALSE(c["pain_flags"].empty());
  EXPECT_EQ(c["pain_flags"][0]["severity"], "WARNING");
  ASSERT_TRUE(c["plan"].is_object());
  // Week 1 (Aug 3-9): 3 runs of 7-8 min = 22.5 min against 20 planned: over
  // the plan by more than 5 %, so week 2 repeats step 1.
  EXPECT_TRUE(c["plan"]["weeks"][0]["over_plan"].get<bool>());
  EXPECT_EQ(c["plan"]["weeks"][1]["step"], 1);
  EXPECT_TRUE(c["plan"]["weeks"][1]["pain"].get<bool>());

  const fs::path html = fs::path(GK_EXE).parent_path() / "artefacts" / "coaching_athlete.html";
  const fs::path png = fs::path(GK_EXE).parent_path() / "artefacts" / "coaching_athlete.png";
  fs::create_directories(html.parent_path());
  const CliRun h = cli("report --athlete kim --weeks 4 --until 2026-08-16 -o " + html.string() +
                       " --db " + db.string());
  ASSERT_EQ(h.rc, 0) << h.err;
  const std::string src = GK_SOURCE_DIR;
  const CliRun b = test::run_program(
      "NODE_PATH=" + src + "/web/node_modules node",
      src + "/tests/browser/render_report.js " + html.string() + " " + png.string(),
      root() / "node_out.txt", root() / "node_err.txt");
  ASSERT_EQ(b.rc, 0) << "node + playwright-core + /usr/bin/chromium are needed (tools/setup): "
                     << b.err;
  const nlohmann::json page = nlohmann::json::parse(b.out);
  for (const char* id : {"shoes", "pain", "plan"}) {
    ASSERT_TRUE(page["tables"].contains(id)) << id << " missing from the page";
    EXPECT_TRUE(page["tables"][id]["visible"].get<bool>()) << id;
  }
  EXPECT_NE(page["tables"]["shoes"]["text"].get<std::string>().find("due for replacement"),
            std::string::npos);
  EXPECT_EQ(page["tables"]["pain"]["rows"].size(), 3u) << "header + two logged sessions";
  EXPECT_GE(page["tables"]["plan"]["rows"].size(), 3u);
  ASSERT_FALSE(page["notes"].empty());
  EXPECT_NE(page["notes"][0].get<std::string>().find("physiotherapist"), std::string::npos);
  EXPECT_EQ(page["requests"].size(), 1u) << "the page loads nothing but itself";
  EXPECT_TRUE(page["consoleErrors"].empty()) << page["consoleErrors"].dump();
  EXPECT_TRUE(fs::exists(png));
}

TEST(PainCheck, HighAndPersistingPainAreWarnings) {
  std::vector<PainEntry> h;
  h.push_back({0, 6, 2, 1});
  auto flags = check_pain(h);
  ASSERT_EQ(flags.size(), 1u);
  EXPECT_EQ(flags[0].severity(), pb::WARNING);
  EXPECT_NE(flags[0].advice().find("physiotherapist"), std::string::npos);
  h = {{0, 3, 3, 3}, {1, 3, 3, 3}, {2, 3, 4, 3}};
  flags = check_pain(h);
  ASSERT_EQ(flags.size(), 1u) << "persisting, not rising";
  EXPECT_EQ(flags[0].severity(), pb::WARNING);
  h = {{0, 1, 1, 0}, {1, 2, 2, 1}};
  EXPECT_TRUE(check_pain(h).empty()) << "within the safe zone";
}

TEST(StoreMigration, VersionOneDatabaseIsUpgradedInPlace) {
  const fs::path path =
      fs::temp_directory_path() / ("gk_migration_test_" + std::to_string(::getpid()) + ".db");
  fs::remove(path);
  {
    SqliteDb db(path);
    db.exec(schema_migrations()[0]);
    db.exec("PRAGMA user_version = 1");
    db.exec("INSERT INTO athletes(name, created_utc_us) VALUES ('old', 0)");
    db.exec(
        "INSERT INTO sessions(content_hash, athlete_id, session_name, source, start_time_utc_us, "
        "duration_s, running_s, steps, header, warnings, analyzed_utc_us) VALUES "
        "('abc123', 1, 'kept', 'x.gkr', 0, 60, 50, 100, x'', '', 0)");
  }
  SessionStore store(path);
  EXPECT_EQ(store.schema_version(), static_cast<int>(schema_migrations().size()));
  const auto list = store.list();
  ASSERT_EQ(list.size(), 1u);
  EXPECT_EQ(list[0].session_name, "kept");
  EXPECT_EQ(list[0].steps, 100u);
  store.add_shoes("old", "road", 0, 500.0, true);
  EXPECT_EQ(store.shoes("old").at(0).sessions, 1u) << "the old session counts on the default";
  fs::remove(path);
}

}  // namespace
}  // namespace gk
