// The .gkr journal of a received sensor link (`gaitkeeper record`, `gaitkeeper
// live`). Its header should list the sensors, but they are only known from
// their packets, and the header comes first in the file, so the first second
// of input (raw chunks and packets, in order) is held in memory, then the file
// is created with a SensorInfo for every device seen and the held records are
// written. A crash loses at most that second, the same as the writer's flush
// interval.
#pragma once

#include <cstdint>
#include <filesystem>
#include <map>
#include <optional>
#include <span>
#include <vector>

#include "recording.hpp"

namespace gk::link {

class LinkJournal {
 public:
  /// header: session fields; sensors already listed are kept, others are
  /// added as their first packet arrives. Throws InputError when the folder
  /// does not exist.
  LinkJournal(std::filesystem::path path, pb::SessionHeader header);

  void chunk(int64_t host_rx_us, std::span<const uint8_t> bytes);
  void packet(const pb::SensorPacket& p);
  /// Opens the file once a second of input (or 4 MiB, for a fast replay) is held.
  void maybe_open(int64_t now_us);
  bool is_open() const { return writer_.has_value(); }
  /// The header as written (valid once open).
  const pb::SessionHeader& header() const { return header_; }
  /// Opens the file now if it is not open yet.
  RecordingWriter& writer();
  const std::filesystem::path& path() const { return path_; }
  uint64_t packets_written() const { return writer_ ? writer_->packets_written() : 0; }

 private:
  static constexpr int64_t kHold_us = 1'000'000;
  static constexpr size_t kHoldBytes = 4u << 20;

  void open();

  std::filesystem::path path_;
  pb::SessionHeader header_;
  std::optional<RecordingWriter> writer_;
  std::vector<pb::RecordingEntry> held_;
  std::map<uint32_t, pb::SensorInfo> seen_;
  int64_t first_rx_us_ = 0;
  size_t held_bytes_ = 0;
};

}  // namespace gk::link
