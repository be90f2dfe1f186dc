#include "session_job.hpp"

#include <fmt/format.h>

#include <algorithm>

#include "content_hash.hpp"
#include "form_assessor.hpp"
#include "input_error.hpp"
#include "session.hpp"
#include "session_analysis.hpp"

namespace gk::cli {
namespace {

bool is_csv_session(const std::filesystem::path& p) {
  return std::filesystem::is_directory(p) && std::filesystem::exists(p / "session.json");
}

}  // namespace

SessionJobResult run_session_job(const std::filesystem::path& path,
                                 const SessionJobSettings& settings) {
  SessionJobResult out;
  pb::SessionHeader header;
  GaitAnalysis analysis;
  if (std::filesystem::is_directory(path)) {
    Warnings warnings;
    const Session session = load_session(path, warnings);
    analysis = analyze_gait(session);
    header = session.header;
    header.clear_sensors();
    for (const SensorStream& s : session.sensors) *header.add_sensors() = s.info;
    analysis.warnings.insert(analysis.warnings.begin(), warnings.begin(), warnings.end());
  } else {
    analysis = analyze_recording(path, header, {}, settings.keep_knee_series);
  }
  if (header.athlete().empty() && !settings.athlete_fallback.empty()) {
    header.set_athlete(settings.athlete_fallback);
  }
  if (header.session_id().empty()) header.set_session_id(path.stem().string());
  const Assessment assessment = assess_gait(analysis.steps, settings.profile);
  out.data = make_report_data(header, analysis, assessment);
  out.data.content_hash = content_hash(path);
  out.data.source = path.string();
  out.knee = std::move(analysis.knee);
  return out;
}

std::vector<std::filesystem::path> collect_sessions(
    const std::vector<std::filesystem::path>& inputs) {
  std::vector<std::filesystem::path> out;
  for (const std::filesystem::path& in : inputs) {
    if (!std::filesystem::exists(in)) throw InputError(in, 0, "no such file or folder");
    if (!std::filesystem::is_directory(in) || is_csv_session(in)) {
      out.push_back(in);
      continue;
    }
    std::vector<std::filesystem::path> found;
    for (auto it = std::filesystem::recursive_directory_iterator(in);
         it != std::filesystem::recursive_directory_iterator(); ++it) {
      const std::filesystem::path& p = it->path();
      if (it->is_directory()) {
        if (is_csv_session(p)) {
          found.push_back(p);
          it.disable_recursion_pending();  // its files are one session
        } else if (p.extension() == ".truth") {
          it.disable_recursion_pending();  // reference data beside a .gkr
        }
      } else if (p.extension() == ".gkr") {
        found.push_back(p);
      }
    }
    if (found.empty()) {
      throw InputError(in, 0,
                       "the folder holds no session (.gkr recordings or CSV session folders "
                       "with a session.json)");
    }
    std::sort(found.begin(), found.end());
    out.insert(out.end(), found.begin(), found.end());
  }
  return out;
}

}  // namespace gk::cli
