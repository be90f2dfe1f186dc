#include "session_analysis.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <deque>
#include <queue>
#include <tuple>
#include <unordered_map>

#include "packet_order.hpp"
#include "packetizer.hpp"
#include "recording.hpp"

namespace gk {

namespace {

/// How many packets the streamed reader holds back, in arrival order, so that one which arrived
/// after later ones of its device (a radio link reorders by a packet or a few) goes back into
/// its place, as read_recording puts every late packet: `analyze` and `report` then read the
/// same samples. Every packet waits the same number of arrivals, so the devices stay interleaved
/// as they arrived. A packet later than this reaches the engine late, as it did live, and is
/// skipped there as part of the hole already bridged.
constexpr size_t kReorderPackets = 64;

/// One packet's samples, waiting (PacketOrder key within its device).
struct HeldPacket {
  size_t sensor = 0;
  int64_t key = 0;
  std::vector<ImuSample> samples;
};

}  // namespace

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
    // Over every sample, not the first and last: a sensor CSV may hold a clock that steps back.
    for (const ImuSample& x : samples) {
      t_min = std::min(t_min, x.t_us);
      t_max = std::max(t_max, x.t_us);
    }
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

GaitAnalysis analyze_recording(const std::filesystem::path& path, pb::SessionHeader& header_out,
                               const EngineSettings& settings, bool keep_knee_series) {
  RecordingReader reader(path);
  header_out = reader.header();
  GaitEngine engine(header_out, settings);
  std::unordered_map<uint32_t, size_t> index_of;
  for (int i = 0; i < header_out.sensors_size(); ++i) {
    index_of.emplace(header_out.sensors(i).device_id(), static_cast<size_t>(i));
  }
  // A link that resends a packet must not count its steps twice.
  PacketArrivals arrivals;
  std::unordered_map<uint32_t, uint64_t> duplicates, unknown;
  GaitAnalysis out;
  int64_t t_min = INT64_MAX;
  int64_t t_max = INT64_MIN;
  auto drain = [&] {
    for (StepResult& r : engine.take()) out.steps.push_back(std::move(r));
    std::vector<KneeAngleSample> knee = engine.take_knee();
    if (keep_knee_series) out.knee.insert(out.knee.end(), knee.begin(), knee.end());
  };
  std::deque<HeldPacket> held;
  std::vector<int64_t> newest_key(index_of.size(), INT64_MIN);
  std::vector<std::vector<ImuSample>> spare;  // emptied buffers, reused
  const auto feed = [&] {
    HeldPacket& h = held.front();
    for (const ImuSample& s : h.samples) {
      engine.push(h.sensor, s);
      t_min = std::min(t_min, s.t_us);
      t_max = std::max(t_max, s.t_us);
    }
    drain();
    h.samples.clear();
    spare.push_back(std::move(h.samples));
    held.pop_front();
  };
  pb::SensorPacket packet;  // reused: its arrays keep their capacity
  while (reader.next(packet)) {
    const auto it = index_of.find(packet.device_id());
    if (it == index_of.end()) {
      ++unknown[packet.device_id()];
      continue;
    }
    const std::optional<int64_t> arrival = arrivals.accept(packet.device_id(), packet.sequence());
    if (!arrival) {
      ++duplicates[packet.device_id()];
      continue;
    }
    const int64_t key = *arrival;
    const size_t sensor = it->second;
    HeldPacket h{sensor, key, {}};
    if (!spare.empty()) {
      h.samples = std::move(spare.back());
      spare.pop_back();
    }
    unpack(packet, h.samples);
    auto at = held.end();
    if (key > newest_key[sensor]) {
      newest_key[sensor] = key;
    } else {
      // Late: before the first held packet of its device that it preceded (at the back when
      // those have all gone to the engine already).
      at = std::find_if(held.begin(), held.end(),
                        [&](const HeldPacket& x) { return x.sensor == sensor && x.key > key; });
    }
    held.insert(at, std::move(h));
    if (held.size() > kReorderPackets) feed();
  }
  while (!held.empty()) feed();
  engine.finish();
  drain();
  out.minutes = engine.minutes();
  out.warnings = engine.warnings();
  if (!reader.warning().empty()) out.warnings.push_back(reader.warning());
  for (const auto& [device, n] : duplicates) {
    out.warnings.push_back(fmt::format("{}: skipped {} repeated packet{} of device {}",
                                       path.string(), n, n == 1 ? "" : "s", device));
  }
  for (const auto& [device, n] : unknown) {
    out.warnings.push_back(
        fmt::format("{}: skipped {} packet{} of device {}, which the header does not list",
                    path.string(), n, n == 1 ? "" : "s", device));
  }
  out.one_foot_only = engine.one_foot_only();
  if (t_max > t_min) out.duration_s = static_cast<double>(t_max - t_min) * 1e-6;
  return out;
}

}  // namespace gk
