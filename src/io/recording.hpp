// .gkr recordings: magic + format version + length-delimited SessionHeader +
// length-delimited SensorPackets in arrival order (version 1), or
// RecordingEntry records that also journal raw link bytes (version 2,
// written only when link journaling is on; docs/formats.md).
// Append-only and readable while being written.
#pragma once

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "gaitkeeper.pb.h"

namespace google::protobuf::io {
class IstreamInputStream;
}  // namespace google::protobuf::io

namespace gk {

namespace pb = gaitkeeper::pb;

inline constexpr char kRecordingMagic[8] = {'G', 'K', 'R', 'E', 'C', '\r', '\n', '\x1a'};
inline constexpr uint32_t kRecordingVersion = 1;
/// Version with RecordingEntry records (packets and raw link chunks).
inline constexpr uint32_t kRecordingVersionJournal = 2;
/// Longest record a reader accepts; a longer length prefix means corruption.
inline constexpr uint32_t kMaxRecordBytes = 16u << 20;

struct RecordingWriterSettings {
  /// true: write to a temporary and rename on close() (batch output);
  /// false: append in place so a reader or a crash sees everything flushed.
  bool atomic = true;
  /// Flush at least this often (wall clock) so a killed process loses at most
  /// this much.
  int64_t flush_interval_us = 1'000'000;
  /// true: write format version 2, whose records may also journal the raw
  /// bytes of a sensor link (write_link_chunk). Readers older than version 2
  /// refuse such files with a clear message instead of misreading them.
  bool link_journal = false;
};

class AtomicFile;

class RecordingWriter {
 public:
  /// Writes magic, version and header; throws InputError when the file
  /// cannot be created.
  RecordingWriter(const std::filesystem::path& path, const pb::SessionHeader& header,
                  const RecordingWriterSettings& settings = {});
  ~RecordingWriter();
  RecordingWriter(const RecordingWriter&) = delete;
  RecordingWriter& operator=(const RecordingWriter&) = delete;

  void write(const pb::SensorPacket& packet);
  /// Journals raw received bytes (requires settings.link_journal).
  void write_link_chunk(int64_t host_rx_us, const void* data, size_t size);
  void flush();
  /// Flushes and (atomic mode) renames into place. Throws InputError.
  void close();

  uint64_t packets_written() const { return packets_; }
  uint64_t bytes_written() const { return bytes_; }

 private:
  void put_delimited(const google::protobuf::MessageLite& m);
  void maybe_flush();

  std::filesystem::path path_;
  RecordingWriterSettings settings_;
  std::unique_ptr<AtomicFile> atomic_;
  std::ofstream direct_;
  std::ostream* out_ = nullptr;
  std::chrono::steady_clock::time_point last_flush_;
  uint64_t packets_ = 0;
  uint64_t bytes_ = 0;
  bool closed_ = false;
  pb::RecordingEntry entry_;  // reused for version-2 records
};

/// Streams packets from a recording without loading it whole.
class RecordingReader {
 public:
  /// Reads magic, version and header; throws InputError (missing file,
  /// wrong magic, unsupported version, unreadable header).
  explicit RecordingReader(const std::filesystem::path& path);
  ~RecordingReader();
  RecordingReader(const RecordingReader&) = delete;
  RecordingReader& operator=(const RecordingReader&) = delete;

  const pb::SessionHeader& header() const { return header_; }
  /// Next packet, or nullopt at the end. A truncated or corrupt tail ends the
  /// stream and leaves a warning naming its byte offset in warning(). Raw
  /// link chunks (version 2) are skipped and counted.
  std::optional<pb::SensorPacket> next();
  /// The same into a message the caller keeps between calls (no allocation
  /// per packet once its arrays have grown); false at the end.
  bool next(pb::SensorPacket& packet);
  /// Next record of either kind (version 1 records come as packets).
  std::optional<pb::RecordingEntry> next_entry();
  uint32_t version() const { return version_; }
  uint64_t link_chunks_skipped() const { return link_chunks_skipped_; }
  /// Empty unless the tail was truncated or corrupt.
  const std::string& warning() const { return warning_; }
  /// Bytes consumed so far (end of the last complete record).
  uint64_t offset() const { return offset_; }

 private:
  enum class Record { kOk, kEnd, kBad };
  /// Reads one length-delimited record at offset_ into m; on kBad fills warning_.
  Record read_record(google::protobuf::MessageLite& m);
  /// Ends the stream after a record at start that could not be delivered
  /// (r: what reading it gave); the warning names the file and the offset.
  void end_stream(Record r, uint64_t start);

  std::filesystem::path path_;
  std::ifstream in_;
  // One zero-copy stream for the whole file so records are read through a
  // single buffer (a fresh stream per record would re-read and seek).
  std::unique_ptr<google::protobuf::io::IstreamInputStream> zin_;
  pb::SessionHeader header_;
  uint64_t offset_ = 0;
  uint64_t size_ = 0;
  std::string warning_;
  bool done_ = false;
  uint32_t version_ = kRecordingVersion;
  uint64_t link_chunks_skipped_ = 0;
};

}  // namespace gk
