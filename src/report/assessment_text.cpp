#include "assessment_text.hpp"

#include <fmt/format.h>

#include <cctype>
#include <iterator>
#include <string>

namespace gk {
namespace {

const char* side_name(pb::Side side) {
  return side == pb::LEFT ? "left " : side == pb::RIGHT ? "right " : "";
}

std::string kind_name(pb::FlagKind kind) {
  std::string s = pb::FlagKind_Name(kind);
  for (char& c : s) c = c == '_' ? ' ' : static_cast<char>(std::tolower(c));
  return s;
}

void format_flag(std::string& out, const pb::FormFlag& f, int64_t t0_us) {
  auto to = std::back_inserter(out);
  // Flags about the whole run (training load) carry no span on the sensor clock.
  const std::string when =
      f.t_end_us() == 0
          ? std::string("this run")
          : fmt::format("{:.0f}-{:.0f} s", static_cast<double>(f.t_start_us() - t0_us) * 1e-6,
                        static_cast<double>(f.t_end_us() - t0_us) * 1e-6);
  fmt::format_to(to, "[{}] {} ({})\n", pb::Severity_Name(f.severity()), flag_title(f), when);
  for (const pb::Evidence& e : f.evidence()) {
    fmt::format_to(to, "    {}: {:.1f}{}{}\n", e.name(), e.value(), e.unit().empty() ? "" : " ",
                   e.unit());
  }
  fmt::format_to(to, "    threshold: {:.1f} {}\n", f.threshold(), f.threshold_unit());
  fmt::format_to(to, "    why: {}\n", f.reference());
  fmt::format_to(to, "    advice: {}\n", f.advice());
}

}  // namespace

std::string flag_title(const pb::FormFlag& f) { return side_name(f.side()) + kind_name(f.kind()); }

std::string format_assessment(const Assessment& assessment, const AssessProfile& profile,
                              int64_t t0_us, const std::string& training_load) {
  std::string out;
  auto to = std::back_inserter(out);
  if (assessment.flags.empty()) {
    fmt::format_to(to, "no form flags\n");
  } else {
    fmt::format_to(to, "{} form flag{}:\n", assessment.flags.size(),
                   assessment.flags.size() == 1 ? "" : "s");
    for (const pb::FormFlag& f : assessment.flags) format_flag(out, f, t0_us);
  }
  if (assessment.recommendation) {
    const pb::Recommendation& r = *assessment.recommendation;
    fmt::format_to(
        to,
        "recommendation: preferred cadence {:.0f} steps/min ({}), target {:.0f} steps/min "
        "(band {:.0f}-{:.0f}), metronome {:.0f} BPM, one beat per step; plan session {} of {}; "
        "cues {} at the end of the run\n",
        r.preferred_cadence_spm(),
        profile.athlete.preferred_cadence_spm ? "from the profile" : "measured in this session",
        r.target_cadence_spm(), r.band_low_spm(), r.band_high_spm(), r.metronome_bpm(),
        r.plan_session(), r.plan_sessions_total(), r.cue_now() ? "on" : "off");
  } else {
    fmt::format_to(
        to,
        "recommendation: none (needs {:.0f} s of running to measure the preferred cadence, or "
        "athlete.preferred_cadence_spm in a profile)\n",
        profile.thresholds.baseline_end_s);
  }
  fmt::format_to(to, "training load: {}\n", training_load);
  fmt::format_to(to, "{}\n", kNotADiagnosis);
  return out;
}

}  // namespace gk
