// Feeding a session to the engine the way a live source does: one sample at
// a time, interleaved by time, taking steps as they leave. Shared by the
// tests that prove streaming and batch analysis agree.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "gait_engine.hpp"
#include "session.hpp"

namespace gk::test {

inline pb::SessionHeader engine_header(const Session& session) {
  pb::SessionHeader header = session.header;
  header.clear_sensors();
  for (const SensorStream& s : session.sensors) *header.add_sensors() = s.info;
  return header;
}

struct Streamed {
  std::vector<StepResult> steps;
  std::vector<int64_t> emit_t_us;
  std::vector<std::string> warnings;
};

/// Pushes samples one by one, interleaved by time (ties: sensor order),
/// calling take() after every push.
inline Streamed stream_by_time(GaitEngine& engine, const Session& session) {
  Streamed out;
  std::vector<size_t> next(session.sensors.size(), 0);
  while (true) {
    std::optional<size_t> pick;
    for (size_t i = 0; i < session.sensors.size(); ++i) {
      if (next[i] >= session.sensors[i].samples.size()) continue;
      if (!pick || session.sensors[i].samples[next[i]].t_us <
                       session.sensors[*pick].samples[next[*pick]].t_us) {
        pick = i;
      }
    }
    if (!pick) break;
    const ImuSample& s = session.sensors[*pick].samples[next[*pick]++];
    engine.push(*pick, s);
    for (StepResult& r : engine.take()) {
      out.steps.push_back(std::move(r));
      out.emit_t_us.push_back(s.t_us);
    }
  }
  engine.finish();
  for (StepResult& r : engine.take()) {
    out.steps.push_back(std::move(r));
    out.emit_t_us.push_back(INT64_MAX);
  }
  out.warnings = engine.warnings();
  return out;
}

}  // namespace gk::test
