#include "session_analysis.hpp"

#include <queue>
#include <tuple>

namespace gk {

GaitAnalysis analyze_gait(const Session& session, const EngineSettings& settings) {
  pb::SessionHeader header = session.header;
  header.clear_sensors();
  for (const SensorStream& s : session.sensors) *header.add_sensors() = s.info;
  GaitEngine engine(header, settings);

  // k-way merge of the sensors' streams by time (ties: sensor order), the
  // order a live link delivers them in.
  using Head = std::tuple<int64_t, size_t, size_t>;  // t_us, sensor, index
  std::priority_queue<Head, std::vector<Head>, std::greater<>> heads;
  int64_t t_min = INT64_MAX;
  int64_t t_max = INT64_MIN;
  for (size_t i = 0; i < session.sensors.size(); ++i) {
    const auto& samples = session.sensors[i].samples;
    if (samples.empty()) continue;
    heads.emplace(samples.front().t_us, i, 0);
    t_min = std::min(t_min, samples.front().t_us);
    t_max = std::max(t_max, samples.back().t_us);
  }
  GaitAnalysis out;
  while (!heads.empty()) {
    const auto [t, sensor, index] = heads.top();
    heads.pop();
    const auto& samples = session.sensors[sensor].samples;
    engine.push(sensor, samples[index]);
    if (index + 1 < samples.size()) heads.emplace(samples[index + 1].t_us, sensor, index + 1);
    for (StepResult& r : engine.take()) out.steps.push_back(std::move(r));
    for (KneeAngleSample& k : engine.take_knee()) out.knee.push_back(k);
  }
  engine.finish();
  for (StepResult& r : engine.take()) out.steps.push_back(std::move(r));
  for (KneeAngleSample& k : engine.take_knee()) out.knee.push_back(k);
  out.minutes = engine.minutes();
  out.warnings = engine.warnings();
  out.one_foot_only = engine.one_foot_only();
  if (t_max > t_min) out.duration_s = static_cast<double>(t_max - t_min) * 1e-6;
  return out;
}

}  // namespace gk
