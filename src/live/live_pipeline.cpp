#include "live_pipeline.hpp"

#include <algorithm>

#include "packetizer.hpp"

namespace gk::live {

LivePipeline::LivePipeline(LivePipelineSettings settings, StepSink on_step)
    : settings_(std::move(settings)),
      on_step_(std::move(on_step)),
      journal_(settings_.recording_path, settings_.header),
      decoder_([this](pb::SensorPacket& p, int64_t host_rx_us) { on_packet(p, host_rx_us); }),
      assessor_(settings_.profile) {
  // Sensors known up front (a replay): nothing to learn, start at once.
  if (settings_.header.sensors_size() > 0) {
    journal_.writer();
    start_engine();
  }
}

void LivePipeline::push_bytes(std::span<const uint8_t> bytes, int64_t host_rx_us) {
  if (finished_) return;
  journal_.chunk(host_rx_us, bytes);  // journal first: nothing received is lost
  decoder_.push(bytes, host_rx_us);
  if (!journal_.is_open()) {
    journal_.maybe_open(host_rx_us);
    if (journal_.is_open()) start_engine();
  }
}

void LivePipeline::on_packet(const pb::SensorPacket& p, int64_t host_rx_us) {
  journal_.packet(p);
  if (engine_) {
    analyse(p, host_rx_us);
  } else {
    held_.push_back(p);
  }
}

void LivePipeline::start_engine() {
  const pb::SessionHeader& h = journal_.header();
  for (int i = 0; i < h.sensors_size(); ++i) {
    sensor_of_device_[h.sensors(i).device_id()] = static_cast<size_t>(i);
  }
  engine_ = std::make_unique<GaitEngine>(h, settings_.engine);
  std::vector<pb::SensorPacket> held;
  held.swap(held_);
  for (const pb::SensorPacket& p : held) analyse(p, 0);
}

void LivePipeline::analyse(const pb::SensorPacket& p, int64_t host_rx_us) {
  const auto it = sensor_of_device_.find(p.device_id());
  if (it == sensor_of_device_.end()) {
    ++unknown_device_packets_;
    return;
  }
  samples_.clear();
  unpack(p, samples_);
  for (const ImuSample& s : samples_) engine_->push(it->second, s);
  if (!samples_.empty()) {
    first_t_us_ = std::min(first_t_us_, samples_.front().t_us);
    last_t_us_ = std::max(last_t_us_, samples_.back().t_us);
  }
  drain(host_rx_us);
}

void LivePipeline::drain(int64_t host_rx_us) {
  for (const StepResult& s : engine_->take()) {
    assessor_.push(s);
    steps_.push(s);
    if (on_step_) on_step_(s, host_rx_us);
  }
  for (const KneeAngleSample& k : engine_->take_knee()) {
    const size_t side = k.side == pb::RIGHT ? 1 : 0;
    KneePoint point{k.t_us, k.side, k.angles.valgus_deg, k.angles.flexion_deg, k.confidence};
    last_knee_[side] = point;
    // Decimated for the dashboard: the trace is drawn, not analysed.
    if (k.t_us < next_knee_us_[side]) continue;
    next_knee_us_[side] = k.t_us + settings_.knee_trace_period_us;
    knee_points_.push_back(point);
    if (knee_points_.size() > 2 * settings_.knee_trace_points) {
      knee_points_.erase(knee_points_.begin(), knee_points_.begin() + static_cast<std::ptrdiff_t>(
                                                                          knee_points_.size() / 2));
    }
  }
}

void LivePipeline::finish() {
  if (finished_) return;
  finished_ = true;
  if (!journal_.is_open()) {
    journal_.writer();  // a session shorter than the hold: write what was held
    start_engine();
  }
  engine_->finish();
  drain(0);
  assessor_.finish();
  journal_.writer().close();
}

std::vector<CadenceWindow> LivePipeline::minutes() const {
  return engine_ ? engine_->minutes() : std::vector<CadenceWindow>{};
}

std::vector<KneePoint> LivePipeline::take_knee_points() {
  std::vector<KneePoint> out;
  out.swap(knee_points_);
  return out;
}

uint64_t LivePipeline::packets_written() const { return journal_.packets_written(); }

double LivePipeline::session_s() const {
  return last_t_us_ > first_t_us_ ? static_cast<double>(last_t_us_ - first_t_us_) * 1e-6 : 0.0;
}

std::vector<std::string> LivePipeline::warnings() const {
  return engine_ ? engine_->warnings() : std::vector<std::string>{};
}

}  // namespace gk::live
