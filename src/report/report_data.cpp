#include "report_data.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cctype>
#include <ctime>

#include "session_distance.hpp"

namespace gk {
namespace {

std::optional<double> median(std::vector<double> v) {
  if (v.empty()) return std::nullopt;
  const size_t mid = v.size() / 2;
  std::nth_element(v.begin(), v.begin() + static_cast<std::ptrdiff_t>(mid), v.end());
  const double hi = v[mid];
  if (v.size() % 2 == 1) return hi;
  const double lo = *std::max_element(v.begin(), v.begin() + static_cast<std::ptrdiff_t>(mid));
  return 0.5 * (lo + hi);
}

std::optional<double> mean(const std::vector<double>& v) {
  if (v.empty()) return std::nullopt;
  double s = 0.0;
  for (double x : v) s += x;
  return s / static_cast<double>(v.size());
}

SideSummary summarize_side(const std::vector<StepResult>& steps, pb::Side side) {
  SideSummary out;
  std::vector<double> contact, valgus, confidence;
  for (const StepResult& s : steps) {
    if (s.event.side != side) continue;
    ++out.steps;
    if (s.contact_ms) contact.push_back(*s.contact_ms);
    if (s.peak_valgus_deg) {
      valgus.push_back(*s.peak_valgus_deg);
      confidence.push_back(s.valgus_confidence.value_or(0.0));
    }
  }
  out.contact_ms = mean(contact);
  out.peak_valgus_deg = median(valgus);
  out.valgus_confidence = mean(confidence);
  out.valgus_steps = valgus.size();
  return out;
}

}  // namespace

SessionReportData make_report_data(const pb::SessionHeader& header, const GaitAnalysis& analysis,
                                   const Assessment& assessment) {
  SessionReportData d;
  d.header = header;
  d.duration_s = analysis.duration_s;
  d.steps = analysis.steps;
  d.minutes = analysis.minutes;
  d.assessment = assessment;
  d.warnings = analysis.warnings;
  return d;
}

SessionReportData analyze_for_report(const std::filesystem::path& session,
                                     const AssessProfile& profile, Warnings& load_warnings) {
  const Session loaded = load_session(session, load_warnings);
  const GaitAnalysis a = analyze_gait(loaded);
  SessionReportData d = make_report_data(loaded.header, a, assess_gait(a.steps, profile));
  d.source = session.string();
  return d;
}

SessionSummaryStats summarize_session(const SessionReportData& data) {
  SessionSummaryStats st;
  st.steps = data.steps.size();
  st.left = summarize_side(data.steps, pb::LEFT);
  st.right = summarize_side(data.steps, pb::RIGHT);
  std::vector<double> cadence, contact;
  for (const StepResult& s : data.steps) {
    if (s.cadence_spm) cadence.push_back(*s.cadence_spm);
    if (s.contact_ms) contact.push_back(*s.contact_ms);
  }
  st.cadence_spm = median(cadence);
  st.contact_ms = mean(contact);
  if (st.left.contact_ms && st.right.contact_ms &&
      *st.left.contact_ms + *st.right.contact_ms > 0.0) {
    st.contact_balance_left_pct =
        100.0 * *st.left.contact_ms / (*st.left.contact_ms + *st.right.contact_ms);
  }
  // One definition of distance everywhere (store, shoes, reports).
  st.distance_m =
      session_distance_m(data.steps, data.header.has_treadmill_speed_mps()
                                         ? std::optional<double>(data.header.treadmill_speed_mps())
                                         : std::nullopt);
  if (data.header.has_treadmill_speed_mps()) {
    st.speed_mps = data.header.treadmill_speed_mps();
  } else if (st.distance_m && data.assessment.running_s > 0.0) {
    st.speed_mps = *st.distance_m / data.assessment.running_s;
  }
  if (data.assessment.recommendation && !cadence.empty()) {
    const pb::Recommendation& r = *data.assessment.recommendation;
    size_t in = 0;
    for (double c : cadence) in += (c >= r.band_low_spm() && c <= r.band_high_spm()) ? 1 : 0;
    st.in_band_pct = 100.0 * static_cast<double>(in) / static_cast<double>(cadence.size());
  }
  return st;
}

AthleteSessionRow summarize_for_athlete(const SessionReportData& data) {
  const SessionSummaryStats st = summarize_session(data);
  AthleteSessionRow row;
  row.content_hash = data.content_hash;
  row.session_id = data.header.session_id();
  row.start_time_utc_us = data.header.start_time_utc_us();
  row.duration_s = data.duration_s;
  row.running_s = data.assessment.running_s;
  row.distance_m = st.distance_m;
  row.cadence_spm = st.cadence_spm;
  if (data.assessment.recommendation) {
    row.target_cadence_spm = data.assessment.recommendation->target_cadence_spm();
  }
  row.speed_mps = st.speed_mps;
  // The worse knee: the side with the larger median peak valgus.
  const SideSummary* worse = nullptr;
  for (const SideSummary* s : {&st.left, &st.right}) {
    if (!s->peak_valgus_deg) continue;
    if (!worse || *s->peak_valgus_deg > *worse->peak_valgus_deg) worse = s;
  }
  if (worse) {
    row.peak_valgus_deg = worse->peak_valgus_deg;
    row.valgus_confidence = worse->valgus_confidence;
  }
  for (const pb::FormFlag& f : data.assessment.flags) ++row.flag_counts[f.kind()];
  return row;
}

std::string flag_kind_text(pb::FlagKind kind) {
  std::string s = pb::FlagKind_Name(kind);
  for (char& c : s) c = c == '_' ? ' ' : static_cast<char>(std::tolower(c));
  return s;
}

std::string iso_utc(int64_t unix_us) {
  const auto t =
      static_cast<std::time_t>(unix_us >= 0 ? unix_us / 1000000 : (unix_us - 999999) / 1000000);
  std::tm tm{};
  gmtime_r(&t, &tm);
  return fmt::format("{:04}-{:02}-{:02}T{:02}:{:02}:{:02}Z", tm.tm_year + 1900, tm.tm_mon + 1,
                     tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec);
}

}  // namespace gk
