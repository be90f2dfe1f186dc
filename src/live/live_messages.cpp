#include "live_messages.hpp"

#include <fmt/format.h>

#include <cmath>
#include <nlohmann/json.hpp>

#include "assessment_text.hpp"
#include "placement.hpp"

namespace gk::live {
namespace {

using nlohmann::json;

json opt(const std::optional<double>& v) { return v ? json(*v) : json(nullptr); }

const char* side_letter(pb::Side s) { return s == pb::LEFT ? "L" : s == pb::RIGHT ? "R" : ""; }

std::string fmt_opt(const std::optional<double>& v, const char* f) {
  return v ? fmt::format(fmt::runtime(f), *v) : std::string("-");
}

}  // namespace

LiveStatus make_status(const LivePipeline& p) {
  LiveStatus s;
  s.session_s = p.session_s();
  s.t0_us = p.first_t_us().value_or(0);
  s.steps = p.step_count();
  s.last_step = p.last_step();
  if (s.last_step) s.cadence_spm = s.last_step->cadence_spm;
  s.recommendation = p.assessor().recommendation();
  s.active_flags = p.assessor().active_flags();
  for (const pb::FormFlag& f : s.active_flags) s.flag_titles.push_back(flag_title(f));
  s.knee[0] = p.last_knee(pb::LEFT);
  s.knee[1] = p.last_knee(pb::RIGHT);
  s.link = p.decoder().stats();
  s.header = p.header();
  s.recording = p.recording_path().string();
  s.analysing = p.analysing();
  return s;
}

double packet_loss_pct(const link::LinkStats& s) {
  const double sent = static_cast<double>(s.packets + s.missing);
  return sent > 0 ? 100.0 * static_cast<double>(s.missing) / sent : 0.0;
}

std::string status_json(const LiveStatus& s) {
  json j = {{"type", "status"},
            {"session_s", s.session_s},
            {"wall_s", s.wall_s},
            {"speed", s.speed},
            {"steps", s.steps},
            {"analysing", s.analysing},
            {"finished", s.finished},
            {"athlete", s.header.athlete()},
            {"recording", s.recording},
            {"cadence_spm", opt(s.cadence_spm)},
            {"not_a_diagnosis", kNotADiagnosis}};
  if (s.recommendation) {
    const pb::Recommendation& r = *s.recommendation;
    j["recommendation"] = {
        {"preferred_spm", r.preferred_cadence_spm()}, {"target_spm", r.target_cadence_spm()},
        {"band_low_spm", r.band_low_spm()},           {"band_high_spm", r.band_high_spm()},
        {"metronome_bpm", r.metronome_bpm()},         {"cue_now", r.cue_now()}};
  } else {
    j["recommendation"] = nullptr;
  }
  if (s.last_step) {
    j["last_step"] = {{"side", side_letter(s.last_step->event.side)},
                      {"t_s", static_cast<double>(s.last_step->event.ic_us - s.t0_us) * 1e-6},
                      {"contact_ms", opt(s.last_step->contact_ms)}};
  } else {
    j["last_step"] = nullptr;
  }
  json knee = json::object();
  for (int i = 0; i < 2; ++i) {
    if (!s.knee[i]) continue;
    knee[i == 0 ? "L" : "R"] = {{"valgus_deg", s.knee[i]->valgus_deg},
                                {"flexion_deg", s.knee[i]->flexion_deg},
                                {"confidence", s.knee[i]->confidence}};
  }
  j["knee"] = knee;
  json flags = json::array();
  for (size_t i = 0; i < s.active_flags.size(); ++i) {
    const pb::FormFlag& f = s.active_flags[i];
    json evidence = json::array();
    for (const pb::Evidence& e : f.evidence()) {
      evidence.push_back({{"name", e.name()}, {"value", e.value()}, {"unit", e.unit()}});
    }
    flags.push_back({{"kind", pb::FlagKind_Name(f.kind())},
                     {"side", side_letter(f.side())},
                     {"title", s.flag_titles[i]},
                     {"severity", pb::Severity_Name(f.severity())},
                     {"advice", f.advice()},
                     {"threshold", f.threshold()},
                     {"threshold_unit", f.threshold_unit()},
                     {"evidence", evidence}});
  }
  j["flags"] = flags;
  j["link"] = {{"packets", s.link.packets},
               {"missing", s.link.missing},
               {"gaps", s.link.gaps},
               {"loss_pct", packet_loss_pct(s.link)},
               {"crc_failures", s.link.crc_failures},
               {"resyncs", s.link.resyncs},
               {"duplicates", s.link.duplicates},
               {"reconnects", s.reconnects},
               {"bytes", s.link.bytes},
               {"drift_ppm", opt(s.link.drift_ppm)}};
  json sensors = json::array();
  for (const pb::SensorInfo& i : s.header.sensors()) {
    sensors.push_back({{"device_id", i.device_id()},
                       {"placement", std::string(placement_name(i.placement()))},
                       {"rate_hz", i.nominal_rate_hz()}});
  }
  j["sensors"] = sensors;
  return j.dump();
}

std::string step_json(const StepResult& st, int64_t t0_us, int64_t host_rx_us, int64_t sent_us) {
  const json j = {{"type", "step"},
                  {"t_s", static_cast<double>(st.event.ic_us - t0_us) * 1e-6},
                  {"side", side_letter(st.event.side)},
                  {"contact_ms", opt(st.contact_ms)},
                  {"cadence_spm", opt(st.cadence_spm)},
                  {"step_time_cv_pct", opt(st.window_step_time_cv_pct)},
                  {"contact_balance_left_pct", opt(st.window_contact_balance_left_pct)},
                  {"valgus_deg", opt(st.peak_valgus_deg)},
                  {"valgus_confidence", opt(st.valgus_confidence)},
                  {"rx_us", host_rx_us},
                  {"sent_us", sent_us}};
  return j.dump();
}

std::string knee_json(const std::vector<KneePoint>& points, int64_t t0_us) {
  json l = json::array(), r = json::array();
  for (const KneePoint& k : points) {
    (k.side == pb::RIGHT ? r : l)
        .push_back({static_cast<double>(k.t_us - t0_us) * 1e-6, k.valgus_deg, k.confidence});
  }
  return json{{"type", "knee"}, {"L", l}, {"R", r}}.dump();
}

std::string status_line(const LiveStatus& s) {
  std::string line = fmt::format("t={:.1f}s steps={} cadence={} spm", s.session_s, s.steps,
                                 fmt_opt(s.cadence_spm, "{:.1f}"));
  if (s.recommendation) {
    line += fmt::format(" target={:.0f} band={:.0f}-{:.0f} metronome={:.0f}bpm",
                        s.recommendation->target_cadence_spm(), s.recommendation->band_low_spm(),
                        s.recommendation->band_high_spm(), s.recommendation->metronome_bpm());
  }
  if (s.last_step) {
    line += fmt::format(" contact={}ms({})", fmt_opt(s.last_step->contact_ms, "{:.0f}"),
                        side_letter(s.last_step->event.side));
  }
  for (int i = 0; i < 2; ++i) {
    if (s.knee[i]) {
      line += fmt::format(" valgus_{}={:.1f}deg(conf {:.2f})", i == 0 ? "L" : "R",
                          s.knee[i]->valgus_deg, s.knee[i]->confidence);
    }
  }
  line += " flags=";
  if (s.flag_titles.empty()) line += "none";
  for (size_t i = 0; i < s.flag_titles.size(); ++i) {
    line += (i ? "," : "") + s.flag_titles[i];
  }
  line += fmt::format(" loss={:.2f}% gaps={} reconnects={}", packet_loss_pct(s.link), s.link.gaps,
                      s.reconnects);
  return line;
}

std::vector<std::string> status_lines(const LiveStatus& s) {
  std::vector<std::string> out;
  out.push_back(fmt::format("gaitkeeper live  {}  session {:.0f}:{:04.1f}  {} steps{}",
                            s.header.athlete().empty() ? "runner" : s.header.athlete(),
                            std::floor(s.session_s / 60.0), std::fmod(s.session_s, 60.0), s.steps,
                            s.speed != 1.0 ? fmt::format("  (replay x{:g})", s.speed) : ""));
  out.emplace_back();
  std::string cadence = fmt::format("cadence   {} steps/min", fmt_opt(s.cadence_spm, "{:6.1f}"));
  if (s.recommendation) {
    const pb::Recommendation& r = *s.recommendation;
    const bool in_band =
        s.cadence_spm && *s.cadence_spm >= r.band_low_spm() && *s.cadence_spm <= r.band_high_spm();
    cadence += fmt::format("   target {:.0f} (band {:.0f}-{:.0f})  {}   metronome {:.0f} BPM",
                           r.target_cadence_spm(), r.band_low_spm(), r.band_high_spm(),
                           !s.cadence_spm ? ""
                           : in_band      ? "on target"
                                          : "OFF TARGET",
                           r.metronome_bpm());
  } else {
    cadence += "   target: measuring the preferred cadence";
  }
  out.push_back(cadence);
  out.push_back(s.last_step ? fmt::format("contact   {} ms (last step, {})",
                                          fmt_opt(s.last_step->contact_ms, "{:.0f}"),
                                          s.last_step->event.side == pb::LEFT ? "left" : "right")
                            : "contact   -");
  std::string valgus = "valgus   ";
  for (int i = 0; i < 2; ++i) {
    valgus += s.knee[i] ? fmt::format(" {} {:+5.1f} deg (confidence {:.2f}) ", i == 0 ? "L" : "R",
                                      s.knee[i]->valgus_deg, s.knee[i]->confidence)
                        : fmt::format(" {} -", i == 0 ? "L" : "R");
  }
  out.push_back(valgus);
  out.emplace_back();
  if (s.active_flags.empty()) {
    out.push_back("flags     none");
  } else {
    for (size_t i = 0; i < s.active_flags.size(); ++i) {
      out.push_back(fmt::format("FLAG      [{}] {}: {}",
                                pb::Severity_Name(s.active_flags[i].severity()), s.flag_titles[i],
                                s.active_flags[i].advice()));
    }
    out.push_back(std::string("          ") + kNotADiagnosis);
  }
  out.emplace_back();
  out.push_back(fmt::format(
      "link      {} packets, loss {:.2f} % ({} missing), {} gaps, {} CRC failures, {} reconnects",
      s.link.packets, packet_loss_pct(s.link), s.link.missing, s.link.gaps, s.link.crc_failures,
      s.reconnects));
  out.push_back("recording " + s.recording);
  if (!s.dashboard_url.empty()) out.push_back("dashboard " + s.dashboard_url);
  return out;
}

}  // namespace gk::live
