#include "link_journal.hpp"

#include "input_error.hpp"

namespace gk::link {

LinkJournal::LinkJournal(std::filesystem::path path, pb::SessionHeader header)
    : path_(std::move(path)), header_(std::move(header)) {
  const auto dir = path_.has_parent_path() ? path_.parent_path() : std::filesystem::path(".");
  std::error_code ec;
  if (!std::filesystem::is_directory(dir, ec)) {
    throw InputError(path_, 0, "the folder does not exist (create it first)");
  }
  for (const pb::SensorInfo& s : header_.sensors()) seen_[s.device_id()] = s;
  header_.clear_sensors();
}

void LinkJournal::chunk(int64_t host_rx_us, std::span<const uint8_t> bytes) {
  if (writer_) {
    writer_->write_link_chunk(host_rx_us, bytes.data(), bytes.size());
    return;
  }
  if (first_rx_us_ == 0) first_rx_us_ = host_rx_us;
  pb::LinkChunk* c = held_.emplace_back().mutable_link_chunk();
  c->set_host_rx_us(host_rx_us);
  c->set_data(bytes.data(), bytes.size());
  held_bytes_ += bytes.size();
}

void LinkJournal::packet(const pb::SensorPacket& p) {
  if (writer_) {
    writer_->write(p);
    return;
  }
  if (!seen_.contains(p.device_id())) {
    pb::SensorInfo& info = seen_[p.device_id()];
    info.set_device_id(p.device_id());
    info.set_placement(p.placement());
    info.set_accel_range_g(p.accel_range_g());
    info.set_gyro_range_dps(p.gyro_range_dps());
    if (p.sample_period_us() > 0) info.set_nominal_rate_hz(1e6 / p.sample_period_us());
  }
  *held_.emplace_back().mutable_packet() = p;
}

void LinkJournal::maybe_open(int64_t now_us) {
  if (!writer_ && first_rx_us_ != 0 &&
      (now_us - first_rx_us_ >= kHold_us || held_bytes_ >= kHoldBytes)) {
    open();
  }
}

RecordingWriter& LinkJournal::writer() {
  if (!writer_) open();
  return *writer_;
}

void LinkJournal::open() {
  for (const auto& [id, info] : seen_) *header_.add_sensors() = info;
  // In place, not atomic: a live journal must survive a crash or a kill.
  writer_.emplace(path_, header_,
                  RecordingWriterSettings{
                      .atomic = false, .flush_interval_us = 1'000'000, .link_journal = true});
  for (const pb::RecordingEntry& e : held_) {
    if (e.has_packet()) {
      writer_->write(e.packet());
    } else {
      writer_->write_link_chunk(e.link_chunk().host_rx_us(), e.link_chunk().data().data(),
                                e.link_chunk().data().size());
    }
  }
  held_.clear();
  held_.shrink_to_fit();
}

}  // namespace gk::link
