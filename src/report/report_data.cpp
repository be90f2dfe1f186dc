#include "report_data.hpp"

namespace gk {
namespace {

std::optional<double> mean(const std::vector<StepResult>& steps,
                           std::optional<double> StepResult::*field) {
  double sum = 0.0;
  size_t n = 0;
  for (const StepResult& s : steps) {
    if (s.*field) {
      sum += *(s.*field);
      ++n;
    }
  }
  return n ? std::optional<double>(sum / static_cast<double>(n)) : std::nullopt;
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

AthleteSessionRow summarize_for_athlete(const SessionReportData& d) {
  AthleteSessionRow r;
  r.content_hash = d.content_hash;
  r.session_id = d.header.session_id();
  r.start_time_utc_us = d.header.start_time_utc_us();
  r.duration_s = d.duration_s;
  r.running_s = d.assessment.running_s;
  r.cadence_spm = mean(d.steps, &StepResult::cadence_spm);
  r.peak_valgus_deg = mean(d.steps, &StepResult::peak_valgus_deg);
  r.valgus_confidence = mean(d.steps, &StepResult::valgus_confidence);
  if (d.assessment.recommendation) {
    r.target_cadence_spm = d.assessment.recommendation->target_cadence_spm();
  }
  if (d.header.has_treadmill_speed_mps()) r.speed_mps = d.header.treadmill_speed_mps();
  double distance = 0.0;
  size_t strides = 0;
  for (const StepResult& s : d.steps) {
    if (s.stride_m && s.step_time_ms) {
      // A stride spans two steps; each step covers half of it.
      distance += *s.stride_m / 2.0;
      ++strides;
    }
  }
  if (strides) r.distance_m = distance;
  if (!r.speed_mps && r.distance_m && r.running_s > 0) r.speed_mps = *r.distance_m / r.running_s;
  for (const pb::FormFlag& f : d.assessment.flags) ++r.flag_counts[f.kind()];
  return r;
}

}  // namespace gk
