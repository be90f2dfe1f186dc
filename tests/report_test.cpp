// Coach reports (src/report): a simulated session with a knee-valgus fault
// through `gaitkeeper report` (JSON, HTML, CSV) checked against the analysis
// and assessment computed here; the HTML rendered in headless Chromium
// (screenshot kept in the build folder); the FIT export decoded with Garmin's
// FIT SDK for JavaScript; the athlete trend's weekly table and long runs.
#include <fmt/format.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <string>
#include <system_error>
#include <vector>

#include "athlete_report.hpp"
#include "cli_runner.hpp"
#include "fit_export.hpp"
#include "form_assessor.hpp"
#include "report_data.hpp"
#include "session.hpp"
#include "session_analysis.hpp"
#include "session_report.hpp"

namespace gk {
namespace {

namespace fs = std::filesystem;
using json = nlohmann::json;
using test::CliRun;
using test::slurp;

fs::path scratch() {
  static const fs::path dir = [] {
    const fs::path d = fs::temp_directory_path() / ("gk_report_test_" + std::to_string(::getpid()));
    fs::remove_all(d);
    fs::create_directories(d);
    return d;
  }();
  return dir;
}

/// Removes the scratch folder when the test program ends.
class ScratchCleanup : public ::testing::Environment {
 public:
  void TearDown() override {
    std::error_code ec;
    fs::remove_all(fs::temp_directory_path() / ("gk_report_test_" + std::to_string(::getpid())),
                   ec);
  }
};
[[maybe_unused]] ::testing::Environment* const kScratchCleanup =
    ::testing::AddGlobalTestEnvironment(new ScratchCleanup);

/// Artefacts (the screenshot, the report it shows) stay in the build folder.
fs::path artefacts() {
  const fs::path d = fs::path(GK_EXE).parent_path() / "artefacts";
  fs::create_directories(d);
  return d;
}

CliRun run(const std::string& program, const std::string& args) {
  static int n = 0;
  const fs::path out = scratch() / ("out" + std::to_string(n) + ".txt");
  const fs::path err = scratch() / ("err" + std::to_string(n) + ".txt");
  ++n;
  return test::run_program(program, args, out, err);
}

CliRun cli(const std::string& args) { return run(GK_EXE, args); }

/// Node with web/node_modules on its path (tools/setup installs node, Debian's
/// Chromium and the npm packages; a missing one fails the test).
CliRun node(const std::string& script, const std::string& args) {
  const std::string src = GK_SOURCE_DIR;
  return run("NODE_PATH=" + src + "/web/node_modules node",
             src + "/tests/browser/" + script + " " + args);
}

/// 5 s standing (the sleeve's calibration pose), then 200 s of running at
/// 163 steps/min with the left knee collapsing inward (12 deg peak valgus)
/// and a nearly straight knee at contact: valgus, overstriding and asymmetry
/// flags, and a cadence recommendation (needs 150 s of running).
fs::path session() {
  static const fs::path path = [] {
    const fs::path p = scratch() / "run.gkr";
    const CliRun r = cli("simulate --out " + p.string() +
                         " --duration-s 200 --stand-s 5 --sensors shoe+sleeve --cadence-spm 163 "
                         "--valgus-left-deg 12 --valgus-right-deg 4 --knee-flexion-ic-deg 6 "
                         "--seed 3 --athlete report_runner");
    EXPECT_EQ(r.rc, 0) << r.err;
    return p;
  }();
  return path;
}

/// The analysis and assessment computed here, as `gaitkeeper assess` does.
struct Expected {
  GaitAnalysis analysis;
  Assessment assessment;
  pb::SessionHeader header;
};

const Expected& expected() {
  static const Expected e = [] {
    Expected x;
    Warnings w;
    const Session s = load_session(session(), w);
    x.header = s.header;
    x.analysis = analyze_gait(s);
    x.assessment = assess_gait(x.analysis.steps);
    return x;
  }();
  return e;
}

double median_cadence(const std::vector<StepResult>& steps) {
  std::vector<double> v;
  for (const StepResult& s : steps) {
    if (s.cadence_spm) v.push_back(*s.cadence_spm);
  }
  std::sort(v.begin(), v.end());
  return v.size() % 2 ? v[v.size() / 2] : 0.5 * (v[v.size() / 2 - 1] + v[v.size() / 2]);
}

TEST(Report, JsonMatchesTheAnalysisAndAssessment) {
  const fs::path out = scratch() / "run.json";
  const CliRun r = cli("report " + session().string() + " --format json -o " + out.string());
  ASSERT_EQ(r.rc, 0) << r.err;
  EXPECT_NE(r.out.find(out.string()), std::string::npos);
  const json j = json::parse(slurp(out));
  const Expected& e = expected();
  ASSERT_GT(e.analysis.steps.size(), 400u);
  EXPECT_EQ(j["format"], "gaitkeeper-session-report");
  EXPECT_EQ(j["session"]["athlete"], "report_runner");
  EXPECT_EQ(j["session"]["session_id"], e.header.session_id());
  EXPECT_EQ(j["summary"]["steps"].get<size_t>(), e.analysis.steps.size());
  EXPECT_EQ(j["steps"].size(), e.analysis.steps.size());
  EXPECT_EQ(j["minutes"].size(), e.analysis.minutes.size());
  EXPECT_NEAR(j["summary"]["cadence_spm"].get<double>(), median_cadence(e.analysis.steps), 1e-9);
  EXPECT_NEAR(j["summary"]["cadence_spm"].get<double>(), 163.0, 1.5);
  EXPECT_NEAR(j["session"]["duration_s"].get<double>(), e.analysis.duration_s, 1e-9);
  EXPECT_NEAR(j["summary"]["running_s"].get<double>(), e.assessment.running_s, 1e-9);
  // Recommendation: the same target and plan as the assessment.
  ASSERT_TRUE(e.assessment.recommendation.has_value());
  ASSERT_TRUE(j["recommendation"].is_object());
  EXPECT_DOUBLE_EQ(j["recommendation"]["target_cadence_spm"].get<double>(),
                   e.assessment.recommendation->target_cadence_spm());
  EXPECT_DOUBLE_EQ(j["summary"]["target_cadence_spm"].get<double>(),
                   e.assessment.recommendation->target_cadence_spm());
  EXPECT_EQ(j["recommendation"]["plan_session"].get<uint32_t>(),
            e.assessment.recommendation->plan_session());
  EXPECT_EQ(j["recommendation"]["plan_sessions_total"].get<uint32_t>(),
            e.assessment.recommendation->plan_sessions_total());
  // Flags: the same ones, in order, with their evidence as numbers.
  ASSERT_EQ(j["flags"].size(), e.assessment.flags.size());
  bool left_valgus = false;
  for (size_t i = 0; i < e.assessment.flags.size(); ++i) {
    const pb::FormFlag& f = e.assessment.flags[i];
    const json& jf = j["flags"][i];
    EXPECT_EQ(jf["kind"], pb::FlagKind_Name(f.kind()));
    EXPECT_EQ(jf["severity"], pb::Severity_Name(f.severity()));
    EXPECT_NEAR(jf["t_start_s"].get<double>(), static_cast<double>(f.t_start_us()) * 1e-6, 1e-9);
    ASSERT_EQ(jf["evidence"].size(), static_cast<size_t>(f.evidence_size()));
    for (int k = 0; k < f.evidence_size(); ++k) {
      EXPECT_TRUE(jf["evidence"][k]["value"].is_number());
      EXPECT_DOUBLE_EQ(jf["evidence"][k]["value"].get<double>(), f.evidence(k).value());
    }
    EXPECT_FALSE(jf["advice"].get<std::string>().empty());
    left_valgus |= f.kind() == pb::KNEE_VALGUS && f.side() == pb::LEFT && jf["side"] == "L";
  }
  EXPECT_TRUE(left_valgus) << "the simulated left-knee valgus fault is flagged";
  EXPECT_EQ(j["not_a_diagnosis"], kNotADiagnosis);
  // Left knee around the simulated 12 deg, right around 4 deg.
  EXPECT_NEAR(j["summary"]["left"]["peak_valgus_deg"].get<double>(), 12.0, 2.5);
  EXPECT_NEAR(j["summary"]["right"]["peak_valgus_deg"].get<double>(), 4.0, 2.5);
  EXPECT_GT(j["summary"]["left"]["valgus_confidence"].get<double>(), 0.5);
}

TEST(Report, HtmlIsSelfContainedWithTheNumbersAndCharts) {
  const fs::path out = scratch() / "run.html";
  const CliRun r = cli("report " + session().string() + " -o " + out.string());
  ASSERT_EQ(r.rc, 0) << r.err;
  const std::string html = slurp(out);
  const Expected& e = expected();
  const SessionReportData d = make_report_data(e.header, e.analysis, e.assessment);
  const SessionSummaryStats st = summarize_session(d);
  EXPECT_NE(html.find(fmt::format("<td class=\"n\">{}</td>", e.analysis.steps.size())),
            std::string::npos);
  EXPECT_NE(html.find(fmt::format("{:.1f} steps/min", median_cadence(e.analysis.steps))),
            std::string::npos);
  EXPECT_NE(html.find(fmt::format("{:.1f} steps/min (band",
                                  e.assessment.recommendation->target_cadence_spm())),
            std::string::npos);
  EXPECT_NE(html.find(fmt::format("{:.1f} deg (confidence {:.2f}", *st.left.peak_valgus_deg,
                                  *st.left.valgus_confidence)),
            std::string::npos);
  EXPECT_NE(html.find(fmt::format("session {} of {}", e.assessment.recommendation->plan_session(),
                                  e.assessment.recommendation->plan_sessions_total())),
            std::string::npos);
  EXPECT_NE(html.find(kNotADiagnosis), std::string::npos);
  for (const pb::FormFlag& f : e.assessment.flags) {
    EXPECT_NE(html.find(flag_kind_text(f.kind())), std::string::npos);
  }
  for (const char* id :
       {"chart-cadence", "chart-contact", "chart-balance", "chart-valgus", "chart-flags"}) {
    EXPECT_NE(html.find(fmt::format("id=\"{}\"", id)), std::string::npos) << id;
  }
  // Nothing to fetch: no URLs, no scripts, no linked style sheets or images.
  EXPECT_EQ(html.find("http://"), std::string::npos);
  EXPECT_EQ(html.find("https://"), std::string::npos);
  EXPECT_EQ(html.find("<script"), std::string::npos);
  EXPECT_EQ(html.find("<link"), std::string::npos);
  EXPECT_EQ(html.find("<img"), std::string::npos);
  EXPECT_EQ(html.find("url("), std::string::npos);
  EXPECT_EQ(html.find("@import"), std::string::npos);
}

TEST(Report, HtmlEscapesText) {
  SessionReportData d;
  d.header.set_athlete("<script>alert('x')</script> & co");
  d.warnings.push_back("a \"quoted\" <b>warning</b>");
  const std::string html = render_session_html(d);
  EXPECT_EQ(html.find("<script>"), std::string::npos);
  EXPECT_EQ(html.find("<b>warning"), std::string::npos);
  EXPECT_NE(html.find("&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt; &amp; co"),
            std::string::npos);
}

TEST(Report, CsvHasOneRowPerStep) {
  const fs::path out = scratch() / "run.csv";
  const CliRun r = cli("report " + session().string() + " --format csv -o " + out.string());
  ASSERT_EQ(r.rc, 0) << r.err;
  const std::string csv = slurp(out);
  const size_t lines = static_cast<size_t>(std::count(csv.begin(), csv.end(), '\n'));
  EXPECT_EQ(lines, expected().analysis.steps.size() + 1);
  EXPECT_EQ(csv.substr(0, csv.find('\n')),
            "side,ic,to,contact_ms,flight_ms,cadence_spm,stride_m,foot_strike,shock_g,quality,"
            "peak_valgus_deg,knee_flexion_ic_deg,valgus_confidence,pelvic_drop_deg,hip_adduction_"
            "deg,tibial_inclination_deg,target_cadence_spm,band_low_spm,band_high_spm,flags");
  EXPECT_NE(csv.find("L:KNEE_VALGUS"), std::string::npos);
}

TEST(Report, RendersInHeadlessChromium) {
  const fs::path html = artefacts() / "report_test_session.html";
  const fs::path png = artefacts() / "report_test_session.png";
  fs::remove(png);
  const CliRun r = cli("report " + session().string() + " -o " + html.string());
  ASSERT_EQ(r.rc, 0) << r.err;
  const CliRun b = node("render_report.js", html.string() + " " + png.string());
  ASSERT_EQ(b.rc, 0) << "node + playwright-core + /usr/bin/chromium are needed (tools/setup): "
                     << b.err;
  const json j = json::parse(b.out);
  ASSERT_TRUE(fs::exists(png));
  EXPECT_GT(fs::file_size(png), 10000u);
  // The summary table with its numbers.
  std::map<std::string, std::string> rows;
  for (const json& row : j["rows"]) {
    if (row.size() == 2) rows[row[0].get<std::string>()] = row[1].get<std::string>();
  }
  EXPECT_EQ(rows["Steps"], std::to_string(expected().analysis.steps.size()));
  EXPECT_EQ(rows["Cadence (median)"],
            fmt::format("{:.1f} steps/min", median_cadence(expected().analysis.steps)));
  // Every chart drawn with a size and shapes.
  std::vector<std::string> ids;
  for (const json& s : j["svgs"]) {
    ids.push_back(s["id"]);
    EXPECT_GT(s["width"].get<double>(), 100.0) << s["id"];
    EXPECT_GT(s["height"].get<double>(), 10.0) << s["id"];
    EXPECT_GT(s["shapes"].get<int>(), 0) << s["id"];
  }
  for (const char* id : {"chart-cadence", "chart-contact", "chart-balance", "chart-valgus",
                         "chart-flags", "chart-plan"}) {
    EXPECT_NE(std::find(ids.begin(), ids.end(), id), ids.end()) << id;
  }
  // The page loaded nothing but itself.
  ASSERT_EQ(j["requests"].size(), 1u) << j["requests"].dump();
  EXPECT_EQ(j["requests"][0].get<std::string>().rfind("file://", 0), 0u);
  EXPECT_TRUE(j["consoleErrors"].empty()) << j["consoleErrors"].dump();
}

TEST(Report, FitExportDecodesWithGarminFitSdk) {
  const fs::path fit = artefacts() / "report_test_session.fit";
  const CliRun r = cli("export " + session().string() + " --fit " + fit.string());
  ASSERT_EQ(r.rc, 0) << r.err;
  const CliRun d = node("decode_fit.js", fit.string());
  ASSERT_EQ(d.rc, 0) << "node + @garmin/fitsdk are needed (tools/setup): " << d.err;
  const json j = json::parse(d.out);
  EXPECT_TRUE(j["isFIT"].get<bool>());
  EXPECT_TRUE(j["integrity"].get<bool>());
  EXPECT_TRUE(j["errors"].empty()) << j["errors"].dump();
  ASSERT_EQ(j["fileId"].size(), 1u);
  EXPECT_EQ(j["fileId"][0]["type"], "activity");
  ASSERT_EQ(j["sessions"].size(), 1u);
  EXPECT_EQ(j["sessions"][0]["sport"], "running");
  ASSERT_EQ(j["laps"].size(), 1u);
  ASSERT_EQ(j["activities"].size(), 1u);
  EXPECT_EQ(j["activities"][0]["numSessions"], 1);

  // The expected records, averaged here from the analysis's steps: one per
  // second of the recording clock with at least one step's IC in it.
  struct Sum {
    double cad = 0, stance = 0, stance_l = 0, stance_r = 0, len = 0;
    int n_cad = 0, n_stance = 0, n_l = 0, n_r = 0, n_len = 0;
  };
  std::map<int64_t, Sum> per_s;
  const Expected& e = expected();
  for (const StepResult& s : e.analysis.steps) {
    Sum& x = per_s[s.event.ic_us / 1000000];
    if (s.cadence_spm) x.cad += *s.cadence_spm, ++x.n_cad;
    if (s.contact_ms) {
      x.stance += *s.contact_ms, ++x.n_stance;
      if (s.event.side == pb::LEFT) x.stance_l += *s.contact_ms, ++x.n_l;
      if (s.event.side == pb::RIGHT) x.stance_r += *s.contact_ms, ++x.n_r;
    }
    if (s.stride_m) x.len += *s.stride_m / 2.0, ++x.n_len;
  }
  const json& recs = j["records"];
  ASSERT_EQ(recs.size(), per_s.size());
  const int64_t start_fit_s = e.header.start_time_utc_us() / 1000000 - 631065600;
  size_t i = 0, fractional = 0, balances = 0, lengths = 0;
  double dist = 0.0;
  for (const auto& [sec, x] : per_s) {
    const json& rec = recs[i++];
    SCOPED_TRACE(fmt::format("record at {} s", sec));
    EXPECT_EQ(rec["timestamp"].get<int64_t>(), start_fit_s + sec);
    ASSERT_GT(x.n_cad, 0);
    // Cadence: strides/min, integer + 1/128 fraction.
    const double strides = x.cad / x.n_cad / 2.0;
    const double decoded = rec["cadence"].get<double>() + rec["fractionalCadence"].get<double>();
    EXPECT_NEAR(decoded, strides, 0.5 / 128 + 1e-9);
    fractional += rec["fractionalCadence"].get<double>() > 0.0 ? 1 : 0;
    EXPECT_NEAR(rec["stanceTime"].get<double>(), x.stance / x.n_stance, 0.05 + 1e-9);
    if (x.n_l > 0 && x.n_r > 0) {
      const double l = x.stance_l / x.n_l, rr = x.stance_r / x.n_r;
      ASSERT_TRUE(rec.contains("stanceTimeBalance"));
      EXPECT_NEAR(rec["stanceTimeBalance"].get<double>(), 100.0 * l / (l + rr), 0.005 + 1e-9);
      ++balances;
    } else {
      EXPECT_FALSE(rec.contains("stanceTimeBalance"));
    }
    if (x.n_len > 0) {
      ASSERT_TRUE(rec.contains("stepLength"));
      EXPECT_NEAR(rec["stepLength"].get<double>(), 1000.0 * x.len / x.n_len, 0.05 + 1e-9);
      dist += x.len;
      EXPECT_NEAR(rec["distance"].get<double>(), dist, 0.005 + 1e-9);
      EXPECT_NEAR(rec["speed"].get<double>(), x.len / x.n_len * x.cad / x.n_cad / 60.0,
                  0.0005 + 1e-9);
      ++lengths;
    }
  }
  EXPECT_GT(fractional, recs.size() / 2) << "163 steps/min = 81.5 strides/min";
  EXPECT_GT(balances, recs.size() / 2);
  EXPECT_GT(lengths, recs.size() / 2);
  // The session's averages: 163 steps/min = 81.5 strides/min.
  EXPECT_NEAR(j["sessions"][0]["avgCadence"].get<double>() +
                  j["sessions"][0]["avgFractionalCadence"].get<double>(),
              81.5, 1.0);
  EXPECT_NEAR(j["sessions"][0]["totalDistance"].get<double>(), dist, 0.01);
  // The same records as the C++ side computes them.
  const std::vector<FitRecord> cpp =
      fit_records(make_report_data(e.header, e.analysis, e.assessment));
  ASSERT_EQ(cpp.size(), recs.size());
  for (size_t k = 0; k < cpp.size(); ++k) {
    EXPECT_EQ(recs[k]["timestamp"].get<int64_t>(), cpp[k].t_utc_s - 631065600);
    EXPECT_NEAR(recs[k]["stanceTime"].get<double>(), *cpp[k].stance_ms, 0.05 + 1e-9);
  }
}

TEST(Report, FitOfATreadmillSessionCarriesItsSpeed) {
  const Expected& e = expected();
  SessionReportData d = make_report_data(e.header, e.analysis, e.assessment);
  d.header.set_treadmill_speed_mps(3.25);
  const fs::path fit = scratch() / "treadmill.fit";
  write_fit(fit, d);
  const CliRun r = node("decode_fit.js", fit.string());
  ASSERT_EQ(r.rc, 0) << r.err;
  const json j = json::parse(r.out);
  EXPECT_TRUE(j["integrity"].get<bool>());
  EXPECT_TRUE(j["errors"].empty());
  EXPECT_EQ(j["sessions"][0]["subSport"], "treadmill");
  EXPECT_NEAR(j["sessions"][0]["avgSpeed"].get<double>(), 3.25, 1e-9);
  ASSERT_EQ(j["records"].size(), fit_records(d).size());
  ASSERT_GT(j["records"].size(), 100u);
  for (const json& rec : j["records"]) EXPECT_NEAR(rec["speed"].get<double>(), 3.25, 1e-9);
}

TEST(Report, FitCrcMatchesTheSdkCheckValue) {
  // CRC-16 as in the FIT SDK (poly 0xA001 reflected, init 0): "123456789" -> 0xBB3D.
  const std::string s = "123456789";
  EXPECT_EQ(fit_crc16(s.data(), s.size()), 0xBB3D);
  // A whole file checks out to 0 when its CRC is included.
  const Expected& e = expected();
  const std::string bytes = encode_fit(make_report_data(e.header, e.analysis, e.assessment));
  EXPECT_EQ(fit_crc16(bytes.data(), bytes.size()), 0);
  EXPECT_EQ(fit_crc16(bytes.data(), 14), 0);
}

// ---- athlete trend -------------------------------------------------------

constexpr int64_t kDay_us = 86400LL * 1000000;
// 2024-03-25T00:00:00Z
constexpr int64_t kNow_us = 1711324800LL * 1000000;

AthleteSessionRow row(const std::string& id, int64_t days_before_now, double running_min,
                      std::optional<double> cadence, std::optional<double> speed,
                      std::map<pb::FlagKind, int> flags = {}) {
  AthleteSessionRow r;
  r.session_id = id;
  r.start_time_utc_us = kNow_us - days_before_now * kDay_us + 10LL * 3600 * 1000000;
  r.running_s = running_min * 60.0;
  r.duration_s = r.running_s + 120.0;
  r.cadence_spm = cadence;
  if (cadence) r.target_cadence_spm = 168.0;
  r.speed_mps = speed;
  if (speed) r.distance_m = *speed * r.running_s;
  r.peak_valgus_deg = 10.0;
  r.valgus_confidence = 0.8;
  r.flag_counts = std::move(flags);
  return r;
}

AthleteReportData athlete_data() {
  AthleteReportData d;
  d.athlete = "coach's <runner>";
  d.weeks = 4;  // from 2024-02-26
  d.now_utc_us = kNow_us;
  d.sessions = {
      row("A", 44, 40, 158, 3.0),                          // 02-10: before the window
      row("B", 27, 30, 160, 3.0, {{pb::KNEE_VALGUS, 1}}),  // 02-27, week 0
      row("C", 20, 45, 162, 3.2),                          // 03-05, week 1: > 1.1 x 40
      row("D", 13, 49, 164, 3.1),                          // 03-12, week 2: <= 1.1 x 45
      row("E", 5, 55, 170, 3.6, {{pb::LOW_CADENCE, 1}}),   // 03-20, week 3: > 1.1 x 49
      row("F", 4, 20, std::nullopt, std::nullopt,          // 03-21, week 3
          {{pb::LOW_CADENCE, 2}, {pb::KNEE_VALGUS, 1}}),
  };
  return d;
}

TEST(AthleteReport, WeeklyTableSpeedBandsAndLongRuns) {
  const json j = athlete_report_json(athlete_data());
  ASSERT_EQ(j["weekly"].size(), 4u);
  EXPECT_EQ(j["weekly"][0]["week_start_utc"], "2024-02-26T00:00:00Z");
  const std::vector<int> sessions = {1, 1, 1, 2};
  const std::vector<double> running_min = {30, 45, 49, 75};
  for (size_t w = 0; w < 4; ++w) {
    EXPECT_EQ(j["weekly"][w]["sessions"].get<int>(), sessions[w]) << w;
    EXPECT_NEAR(j["weekly"][w]["running_s"].get<double>(), running_min[w] * 60.0, 1e-9) << w;
  }
  EXPECT_NEAR(j["weekly"][0]["cadence_spm"].get<double>(), 160.0, 1e-9);
  EXPECT_NEAR(j["weekly"][3]["cadence_spm"].get<double>(), 170.0, 1e-9);  // F has none
  EXPECT_NEAR(j["weekly"][3]["target_cadence_spm"].get<double>(), 168.0, 1e-9);
  EXPECT_NEAR(j["weekly"][3]["distance_m"].get<double>(), 3.6 * 55 * 60, 1e-6);
  EXPECT_EQ(j["weekly"][3]["flags_total"].get<int>(), 4);
  EXPECT_EQ(j["weekly"][3]["flags"]["LOW_CADENCE"].get<int>(), 3);
  EXPECT_EQ(j["weekly"][0]["flags"]["KNEE_VALGUS"].get<int>(), 1);
  EXPECT_NEAR(j["weekly"][2]["peak_valgus_deg"].get<double>(), 10.0, 1e-9);
  // Speed bands of 0.5 m/s: B, C, D at 3.0-3.5; E at 3.5-4.0 (A is outside the window).
  ASSERT_EQ(j["speed_bands"].size(), 2u);
  EXPECT_DOUBLE_EQ(j["speed_bands"][0]["low_mps"].get<double>(), 3.0);
  EXPECT_EQ(j["speed_bands"][0]["sessions"].get<int>(), 3);
  EXPECT_NEAR(j["speed_bands"][0]["cadence_spm"].get<double>(), 162.0, 1e-9);
  EXPECT_EQ(j["speed_bands"][1]["sessions"].get<int>(), 1);
  // Long runs: exactly C (45 > 1.1 x 40 min of A) and E (55 > 1.1 x 49 of D).
  ASSERT_EQ(j["long_runs"].size(), 2u);
  EXPECT_EQ(j["long_runs"][0]["session_id"], "C");
  EXPECT_EQ(j["long_runs"][1]["session_id"], "E");
  EXPECT_NEAR(j["long_runs"][1]["evidence"][1]["value"].get<double>(), 49.0, 1e-9);
  std::vector<std::string> flagged;
  for (const json& s : j["sessions"]) {
    if (s["long_run"].get<bool>()) flagged.push_back(s["session_id"]);
  }
  EXPECT_EQ(flagged, (std::vector<std::string>{"C", "E"}));
  EXPECT_EQ(j["sessions"].size(), 5u);

  const std::string html = render_athlete_html(athlete_data());
  EXPECT_NE(html.find("coach&#39;s &lt;runner&gt;"), std::string::npos);
  size_t long_rows = 0;
  for (size_t p = html.find("class=\"long\""); p != std::string::npos;
       p = html.find("class=\"long\"", p + 1)) {
    ++long_rows;
  }
  EXPECT_EQ(long_rows, 4u);  // C and E in the long-run table and in the sessions table
  for (const char* id : {"chart-weekly-cadence", "chart-weekly-volume", "chart-weekly-valgus",
                         "chart-weekly-flags", "chart-speed-cadence"}) {
    EXPECT_NE(html.find(fmt::format("id=\"{}\"", id)), std::string::npos) << id;
  }
  EXPECT_NE(html.find("<td>2024-03-18</td><td class=\"n\">2</td><td class=\"n\">75.0</td>"),
            std::string::npos);
  EXPECT_EQ(html.find("http"), std::string::npos);
}

TEST(AthleteReport, RendersInHeadlessChromium) {
  const fs::path html = artefacts() / "report_test_athlete.html";
  const fs::path png = artefacts() / "report_test_athlete.png";
  fs::remove(png);  // a screenshot left by an earlier run must not pass for this one's
  {
    std::ofstream out(html);
    out << render_athlete_html(athlete_data());
  }
  const CliRun b = node("render_report.js", html.string() + " " + png.string());
  ASSERT_EQ(b.rc, 0) << "node + playwright-core + /usr/bin/chromium are needed (tools/setup): "
                     << b.err;
  const json j = json::parse(b.out);
  ASSERT_EQ(j["svgs"].size(), 5u);
  for (const json& s : j["svgs"]) {
    EXPECT_GT(s["width"].get<double>(), 100.0) << s["id"];
    EXPECT_GT(s["height"].get<double>(), 100.0) << s["id"];
    EXPECT_GT(s["shapes"].get<int>(), 0) << s["id"];
  }
  EXPECT_EQ(j["requests"].size(), 1u) << j["requests"].dump();
  ASSERT_TRUE(fs::exists(png));
  EXPECT_GT(fs::file_size(png), 10000u);
}

TEST(AthleteReport, SummarizesAnAnalysedSession) {
  const Expected& e = expected();
  SessionReportData d = make_report_data(e.header, e.analysis, e.assessment);
  d.content_hash = "abc";
  const AthleteSessionRow r = summarize_for_athlete(d);
  EXPECT_EQ(r.content_hash, "abc");
  EXPECT_EQ(r.session_id, e.header.session_id());
  EXPECT_EQ(r.start_time_utc_us, e.header.start_time_utc_us());
  EXPECT_DOUBLE_EQ(r.running_s, e.assessment.running_s);
  ASSERT_TRUE(r.cadence_spm && r.target_cadence_spm && r.peak_valgus_deg && r.speed_mps);
  EXPECT_NEAR(*r.cadence_spm, median_cadence(e.analysis.steps), 1e-9);
  EXPECT_NEAR(*r.peak_valgus_deg, 12.0, 2.5);  // the worse (left) knee
  EXPECT_NEAR(*r.speed_mps, 3.0, 0.3);         // simulated at 3 m/s
  int flags = 0;
  for (const auto& [k, n] : r.flag_counts) flags += n;
  EXPECT_EQ(static_cast<size_t>(flags), e.assessment.flags.size());
  EXPECT_EQ(r.flag_counts.at(pb::KNEE_VALGUS), 1);
}

TEST(AthleteReport, CliTakesSessionFiles) {
  const fs::path out = scratch() / "trend.json";
  const CliRun r = cli("report --athlete report_runner --weeks 2 --format json -o " + out.string() +
                       " " + session().string() + " " + session().string());
  ASSERT_EQ(r.rc, 0) << r.err;
  const json j = json::parse(slurp(out));
  EXPECT_EQ(j["athlete"], "report_runner");
  ASSERT_EQ(j["weekly"].size(), 2u);
  EXPECT_EQ(j["weekly"][1]["sessions"].get<int>(), 2);
  EXPECT_EQ(j["weekly"][0]["sessions"].get<int>(), 0);
  EXPECT_NEAR(j["weekly"][1]["running_s"].get<double>(), 2 * expected().assessment.running_s, 1e-6);
  EXPECT_TRUE(j["long_runs"].empty());  // same start time: not "previous"
  const fs::path html = scratch() / "trend.html";
  const CliRun h =
      cli("report --athlete report_runner -o " + html.string() + " " + session().string());
  ASSERT_EQ(h.rc, 0) << h.err;
  EXPECT_NE(slurp(html).find("<svg"), std::string::npos);
  // Without files and without a store: a clear message naming the store, exit code 2.
  const fs::path absent = scratch() / "no_store.db";
  const CliRun n = cli("report --athlete nobody --db " + absent.string());
  EXPECT_EQ(n.rc, 2);
  EXPECT_NE(n.err.find(absent.string()), std::string::npos) << n.err;
  EXPECT_NE(n.err.find("no session store"), std::string::npos) << n.err;
  EXPECT_FALSE(fs::exists(absent)) << "a report never creates a store";
}

}  // namespace
}  // namespace gk
