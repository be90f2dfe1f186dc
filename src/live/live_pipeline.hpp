// The live streaming pipeline on one thread: received link bytes are
// journaled to the .gkr first, decoded (link_decoder.hpp), and the packets'
// samples go through the same GaitEngine and FormAssessor as batch analysis.
// Steps are handed to a sink as soon as the engine releases them, stamped
// with the host arrival time of the bytes that completed them (for the
// latency figures); everything else is read through getters by the views.
#pragma once

#include <cstdint>
#include <deque>
#include <filesystem>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <span>
#include <vector>

#include "assess_profile.hpp"
#include "form_assessor.hpp"
#include "gait_engine.hpp"
#include "link_decoder.hpp"
#include "link_journal.hpp"
#include "step_spool.hpp"

namespace gk::live {

struct LivePipelineSettings {
  std::filesystem::path recording_path;  ///< the journal (.gkr, format version 2)
  /// Session fields (athlete, treadmill speed); sensors not listed are
  /// learned from the first second of packets.
  pb::SessionHeader header;
  AssessProfile profile;
  EngineSettings engine;
  int64_t knee_trace_period_us = 20'000;  ///< dashboard knee trace: one point per 20 ms per side
  size_t knee_trace_points = 1000;        ///< points kept per side (20 s at 50 Hz)
};

/// One point of the knee valgus trace.
struct KneePoint {
  int64_t t_us = 0;
  pb::Side side = pb::SIDE_UNKNOWN;
  double valgus_deg = 0.0;
  double flexion_deg = 0.0;
  double confidence = 0.0;
};

class LivePipeline {
 public:
  /// A finished step, after the assessor has seen it; host_rx_us is the
  /// arrival time (system clock, µs) of the bytes that completed it.
  using StepSink = std::function<void(const StepResult&, int64_t host_rx_us)>;

  /// Throws InputError when the recording's folder does not exist.
  LivePipeline(LivePipelineSettings settings, StepSink on_step);

  /// Received bytes at host time host_rx_us (system clock, µs).
  void push_bytes(std::span<const uint8_t> bytes, int64_t host_rx_us);
  /// A new connection after a lost one (the partial frame is dropped).
  void link_reset() { decoder_.link_reset(); }
  /// End of the session: flushes the engine and the assessor, closes the
  /// recording. Idempotent.
  void finish();

  const link::LinkDecoder& decoder() const { return decoder_; }
  const FormAssessor& assessor() const { return assessor_; }
  /// Every step of the session so far, in IC order (read back from the spool).
  std::vector<StepResult> steps() const { return steps_.read_all(); }
  size_t step_count() const { return steps_.size(); }
  const std::optional<StepResult>& last_step() const { return steps_.last(); }
  /// The engine's per-minute summaries (empty before the engine starts).
  std::vector<CadenceWindow> minutes() const;
  /// The knee trace points produced since the last call (moved out).
  std::vector<KneePoint> take_knee_points();
  /// Latest knee point per side (index 0 left, 1 right).
  const std::optional<KneePoint>& last_knee(pb::Side side) const {
    return last_knee_[side == pb::RIGHT ? 1 : 0];
  }
  /// The header as written (sensors known once the journal is open).
  const pb::SessionHeader& header() const { return journal_.header(); }
  const std::filesystem::path& recording_path() const { return journal_.path(); }
  bool analysing() const { return engine_ != nullptr; }
  uint64_t packets_written() const;
  /// Packets of devices that are not in the header (journaled, not analysed).
  uint64_t unknown_device_packets() const { return unknown_device_packets_; }
  /// First sample's time on the sensor clock (the session's time origin), if any.
  std::optional<int64_t> first_t_us() const {
    return first_t_us_ == INT64_MAX ? std::nullopt : std::optional<int64_t>(first_t_us_);
  }
  /// Sensor time covered so far (last sample - first sample), seconds.
  double session_s() const;
  std::vector<std::string> warnings() const;

 private:
  void on_packet(const pb::SensorPacket& p, int64_t host_rx_us);
  void start_engine();
  void analyse(const pb::SensorPacket& p, int64_t host_rx_us);
  void drain(int64_t host_rx_us);

  LivePipelineSettings settings_;
  StepSink on_step_;
  link::LinkJournal journal_;
  link::LinkDecoder decoder_;
  std::unique_ptr<GaitEngine> engine_;
  FormAssessor assessor_;
  std::map<uint32_t, size_t> sensor_of_device_;
  std::vector<pb::SensorPacket> held_;  ///< until the sensors are known
  std::vector<ImuSample> samples_;      ///< reused per packet
  StepSpool steps_;
  std::vector<KneePoint> knee_points_;
  std::optional<KneePoint> last_knee_[2];
  int64_t next_knee_us_[2] = {INT64_MIN, INT64_MIN};
  int64_t first_t_us_ = INT64_MAX;
  int64_t last_t_us_ = INT64_MIN;
  uint64_t unknown_device_packets_ = 0;
  bool finished_ = false;
};

}  // namespace gk::live
