// Rendering a two-hour session's report (HTML, JSON, CSV, FIT). The data is
// made once, outside the timed loop: a 120 s simulated shoe + sleeve run
// with a valgus fault is analysed and assessed, and its steps, minutes and
// flags are tiled 60 times (timestamps shifted) into a 2 h session, about
// 19 600 steps. Each iteration renders the whole report from that data.
#include <benchmark/benchmark.h>

#include <string>

#include "athlete_report.hpp"
#include "fit_export.hpp"
#include "form_assessor.hpp"
#include "report_data.hpp"
#include "session_analysis.hpp"
#include "session_report.hpp"
#include "simulator.hpp"

namespace {

const gk::SessionReportData& two_hour_session() {
  static const gk::SessionReportData data = [] {
    gk::sim::SimSettings s;
    s.seed = 5;
    s.athlete = "bench_runner";
    s.runner.schedule = {{gk::sim::Activity::kStand, 5.0, 0.0, 0.0},
                         {gk::sim::Activity::kRun, 120.0, 3.0, 164.0}};
    s.runner.peak_valgus_left_deg = 12.0;
    s.runner.knee_flexion_ic_deg = 6.0;
    s.sensors = gk::sim::shoe_and_sleeve_sensors(200.0);
    const gk::sim::SimResult sim = gk::sim::simulate(s);
    const gk::GaitAnalysis a = gk::analyze_gait(sim.session);
    gk::AssessProfile profile;
    profile.athlete.preferred_cadence_spm = 164.0;  // a recommendation from the start
    const gk::Assessment as = gk::assess_gait(a.steps, profile);
    gk::SessionReportData one = gk::make_report_data(sim.session.header, a, as);
    gk::SessionReportData d = one;
    d.steps.clear();
    d.minutes.clear();
    d.assessment.flags.clear();
    constexpr int kTiles = 60;  // 60 x 120 s = 2 h
    const auto period_us = static_cast<int64_t>(120e6);
    for (int k = 0; k < kTiles; ++k) {
      const int64_t dt = k * period_us;
      for (gk::StepResult st : one.steps) {
        st.event.ic_us += dt;
        if (st.event.to_us) *st.event.to_us += dt;
        d.steps.push_back(st);
      }
      for (gk::CadenceWindow w : one.minutes) {
        w.t_start_us += dt, w.t_end_us += dt;
        d.minutes.push_back(w);
      }
      for (gk::pb::FormFlag f : one.assessment.flags) {
        f.set_t_start_us(f.t_start_us() + dt), f.set_t_end_us(f.t_end_us() + dt);
        d.assessment.flags.push_back(f);
      }
    }
    d.duration_s = kTiles * 120.0;
    d.assessment.running_s = one.assessment.running_s * kTiles;
    return d;
  }();
  return data;
}

void BM_SessionReportHtml2h(benchmark::State& state) {
  const gk::SessionReportData& d = two_hour_session();
  size_t bytes = 0;
  for (auto _ : state) {
    const std::string html = gk::render_session_html(d);
    bytes = html.size();
    benchmark::DoNotOptimize(html.data());
  }
  state.counters["steps"] = static_cast<double>(d.steps.size());
  state.counters["flags"] = static_cast<double>(d.assessment.flags.size());
  state.counters["html_kB"] = static_cast<double>(bytes) / 1024.0;
}
BENCHMARK(BM_SessionReportHtml2h)->Unit(benchmark::kMillisecond);

void BM_SessionReportJson2h(benchmark::State& state) {
  const gk::SessionReportData& d = two_hour_session();
  for (auto _ : state) {
    const std::string json = gk::session_report_json(d).dump(2);
    benchmark::DoNotOptimize(json.data());
  }
}
BENCHMARK(BM_SessionReportJson2h)->Unit(benchmark::kMillisecond);

void BM_SessionReportCsv2h(benchmark::State& state) {
  const gk::SessionReportData& d = two_hour_session();
  for (auto _ : state) {
    const std::string csv = gk::render_session_csv(d);
    benchmark::DoNotOptimize(csv.data());
  }
}
BENCHMARK(BM_SessionReportCsv2h)->Unit(benchmark::kMillisecond);

void BM_FitEncode2h(benchmark::State& state) {
  const gk::SessionReportData& d = two_hour_session();
  for (auto _ : state) {
    const std::string fit = gk::encode_fit(d);
    benchmark::DoNotOptimize(fit.data());
  }
}
BENCHMARK(BM_FitEncode2h)->Unit(benchmark::kMillisecond);

}  // namespace

BENCHMARK_MAIN();
