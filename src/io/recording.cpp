#include "recording.hpp"

#include <fmt/format.h>
#include <google/protobuf/io/coded_stream.h>
#include <google/protobuf/io/zero_copy_stream_impl.h>
#include <google/protobuf/io/zero_copy_stream_impl_lite.h>
#include <google/protobuf/util/delimited_message_util.h>

#include <array>
#include <cstring>
#include <stdexcept>
#include <system_error>

#include "atomic_file.hpp"
#include "input_error.hpp"

namespace gk {
namespace {

namespace pio = google::protobuf::io;

constexpr size_t kPreambleBytes = sizeof(kRecordingMagic) + sizeof(uint32_t);

std::array<char, 4> encode_le32(uint32_t v) {
  return {static_cast<char>(v & 0xFFu), static_cast<char>((v >> 8) & 0xFFu),
          static_cast<char>((v >> 16) & 0xFFu), static_cast<char>((v >> 24) & 0xFFu)};
}

uint32_t decode_le32(const char* b) {
  uint32_t v = 0;
  for (int i = 3; i >= 0; --i) v = (v << 8) | static_cast<unsigned char>(b[i]);
  return v;
}

uint64_t current_size(const std::filesystem::path& path, uint64_t fallback) {
  std::error_code ec;
  const auto size = std::filesystem::file_size(path, ec);
  return ec ? fallback : static_cast<uint64_t>(size);
}

// Structural checks protobuf cannot express; garbage that happens to parse as
// wire format almost never passes these, so it is reported instead of
// returned as samples.
bool consistent(const pb::SensorPacket& p) {
  const int n = p.accel_size() / 3;
  if (p.accel_size() % 3 != 0) return false;
  if (p.gyro_size() != 0 && p.gyro_size() != p.accel_size()) return false;
  if (p.t_offset_us_size() != 0 && p.t_offset_us_size() != n) return false;
  return true;
}

}  // namespace

// ---- Writer -----------------------------------------------------------------

RecordingWriter::RecordingWriter(const std::filesystem::path& path, const pb::SessionHeader& header,
                                 const RecordingWriterSettings& settings)
    : path_(path), settings_(settings) {
  if (settings_.atomic) {
    atomic_ = std::make_unique<AtomicFile>(path_);
    out_ = &atomic_->stream();
  } else {
    direct_.open(path_, std::ios::binary | std::ios::trunc);
    if (!direct_) {
      throw InputError(path_, 0,
                       "cannot create file (check that the folder exists and is writable)");
    }
    out_ = &direct_;
  }
  const auto version =
      encode_le32(settings_.link_journal ? kRecordingVersionJournal : kRecordingVersion);
  out_->write(kRecordingMagic, sizeof(kRecordingMagic));
  out_->write(version.data(), static_cast<std::streamsize>(version.size()));
  bytes_ = kPreambleBytes;
  put_delimited(header);
  // A live reader must be able to open the journal as soon as it exists.
  flush();
}

RecordingWriter::~RecordingWriter() {
  if (closed_) return;
  if (!atomic_) {
    // Journal mode keeps what was written: that is its purpose after a crash
    // or an exception. ofstream reports failure by state, never by throwing.
    direct_.flush();
    direct_.close();
  }
  // Atomic mode: atomic_'s destructor discards the temporary, so an
  // unfinished batch output never appears at the target.
}

void RecordingWriter::put_delimited(const google::protobuf::MessageLite& m) {
  const size_t size = m.ByteSizeLong();
  if (size > kMaxRecordBytes) {
    throw InputError(path_, 0,
                     fmt::format("record of {} bytes is over the {} MiB limit readers accept; "
                                 "write fewer samples per packet",
                                 size, kMaxRecordBytes >> 20));
  }
  std::string buffer;
  {
    pio::StringOutputStream sos(&buffer);
    pio::CodedOutputStream cos(&sos);
    google::protobuf::util::SerializeDelimitedToCodedStream(m, &cos);
  }
  out_->write(buffer.data(), static_cast<std::streamsize>(buffer.size()));
  if (!*out_) throw InputError(path_, 0, "write failed (disk full?)");
  bytes_ += buffer.size();
}

void RecordingWriter::write(const pb::SensorPacket& packet) {
  if (closed_) throw std::logic_error("RecordingWriter::write after close");
  if (settings_.link_journal) {
    *entry_.mutable_packet() = packet;
    put_delimited(entry_);
  } else {
    put_delimited(packet);
  }
  ++packets_;
  maybe_flush();
}

void RecordingWriter::write_link_chunk(int64_t host_rx_us, const void* data, size_t size) {
  if (closed_) throw std::logic_error("RecordingWriter::write_link_chunk after close");
  if (!settings_.link_journal) {
    throw std::logic_error("RecordingWriter::write_link_chunk without link_journal");
  }
  pb::LinkChunk* chunk = entry_.mutable_link_chunk();
  chunk->set_host_rx_us(host_rx_us);
  chunk->set_data(data, size);
  put_delimited(entry_);
  maybe_flush();
}

void RecordingWriter::maybe_flush() {
  const auto elapsed = std::chrono::steady_clock::now() - last_flush_;
  if (std::chrono::duration_cast<std::chrono::microseconds>(elapsed).count() >=
      settings_.flush_interval_us) {
    flush();
  }
}

void RecordingWriter::flush() {
  if (closed_) return;
  out_->flush();
  last_flush_ = std::chrono::steady_clock::now();
  if (!*out_) throw InputError(path_, 0, "write failed (disk full?)");
}

void RecordingWriter::close() {
  if (closed_) return;
  flush();
  // Marked first: if commit fails the temporary is still discarded by
  // atomic_'s destructor and the destructor here must not retry.
  closed_ = true;
  if (atomic_) {
    atomic_->commit();
  } else {
    direct_.close();
    if (!direct_) throw InputError(path_, 0, "closing the file failed (disk full?)");
  }
}

// ---- Reader -----------------------------------------------------------------

RecordingReader::RecordingReader(const std::filesystem::path& path) : path_(path) {
  std::error_code ec;
  if (!std::filesystem::exists(path_, ec)) {
    throw InputError(path_, 0, "file not found (expected a .gkr recording)");
  }
  if (std::filesystem::is_directory(path_, ec)) {
    throw InputError(path_, 0, "is a folder, not a .gkr recording");
  }
  in_.open(path_, std::ios::binary);
  if (!in_) throw InputError(path_, 0, "cannot open file (check permissions)");
  size_ = current_size(path_, 0);

  std::array<char, kPreambleBytes> preamble{};
  in_.read(preamble.data(), static_cast<std::streamsize>(preamble.size()));
  const auto got = static_cast<size_t>(in_.gcount());
  if (got < sizeof(kRecordingMagic) ||
      std::memcmp(preamble.data(), kRecordingMagic, sizeof(kRecordingMagic)) != 0) {
    throw InputError(path_, 0,
                     "not a gaitkeeper recording (wrong magic bytes); expected a .gkr file "
                     "written by gaitkeeper, or a CSV session folder");
  }
  if (got < kPreambleBytes) {
    throw InputError(path_, 0, "truncated recording: the format version is cut off");
  }
  const uint32_t version = decode_le32(preamble.data() + sizeof(kRecordingMagic));
  if (version != kRecordingVersion && version != kRecordingVersionJournal) {
    throw InputError(path_, 0,
                     fmt::format("unsupported recording format version {} (this gaitkeeper "
                                 "reads versions {} and {}); use a matching gaitkeeper to "
                                 "export it",
                                 version, kRecordingVersion, kRecordingVersionJournal));
  }
  version_ = version;
  offset_ = kPreambleBytes;
  zin_ = std::make_unique<pio::IstreamInputStream>(&in_);
  switch (read_record(header_)) {
    case Record::kOk:
      break;
    case Record::kEnd:
      throw InputError(path_, 0, "unreadable session header: the file ends after the version");
    case Record::kBad:
      throw InputError(path_, 0, "unreadable session header: " + warning_);
  }
}

RecordingReader::~RecordingReader() = default;

RecordingReader::Record RecordingReader::read_record(google::protobuf::MessageLite& m) {
  // A fresh CodedInputStream per record keeps its byte counters small; on
  // destruction it hands unread buffered bytes back to zin_.
  pio::CodedInputStream cis(zin_.get());
  const uint64_t start = offset_;
  uint64_t length = 0;
  if (!cis.ReadVarint64(&length)) {
    size_ = current_size(path_, size_);
    if (size_ <= start) return Record::kEnd;
    // A varint is at most 10 bytes: failing with fewer left means it is cut.
    if (size_ - start < 10) {
      warning_ = fmt::format(
          "truncated record at byte {}: its length prefix is cut off; the {} "
          "bytes before it were read",
          start, start);
    } else {
      warning_ = fmt::format(
          "corrupt record at byte {}: malformed length prefix; the {} bytes "
          "before it were read, the {} from it on were not (the file is damaged there)",
          start, start, size_ - start);
    }
    return Record::kBad;
  }
  const auto prefix = static_cast<uint64_t>(cis.CurrentPosition());
  if (length > kMaxRecordBytes) {
    warning_ = fmt::format(
        "corrupt record at byte {}: length {} is over the {} MiB limit; the "
        "{} bytes before it were read, the {} from it on were not (the file is damaged there)",
        start, length, kMaxRecordBytes >> 20, start, size_ - start);
    return Record::kBad;
  }
  const uint64_t body = start + prefix;
  if (body + length > size_) size_ = current_size(path_, size_);  // it may be a live journal
  if (body + length > size_) {
    const uint64_t present = size_ > body ? size_ - body : 0;
    warning_ = fmt::format(
        "truncated record at byte {}: {} bytes of {} present; the {} bytes "
        "before it were read",
        start, present, length, start);
    return Record::kBad;
  }
  const auto limit = cis.PushLimit(static_cast<int>(length));
  const bool parsed = m.ParseFromCodedStream(&cis) && cis.BytesUntilLimit() == 0;
  cis.PopLimit(limit);
  if (!parsed) {
    warning_ = fmt::format(
        "corrupt record at byte {}: {} bytes that do not parse as a {}; the {} "
        "bytes before it were read, the {} from it on were not (the file is damaged there)",
        start, length, m.GetTypeName(), start, size_ - start);
    return Record::kBad;
  }
  offset_ = body + length;
  return Record::kOk;
}

void RecordingReader::end_stream(Record r, uint64_t start) {
  done_ = true;
  if (r == Record::kOk) {  // parsed, but failed the structural check
    offset_ = start;
    warning_ = fmt::format(
        "corrupt record at byte {}: the packet's sample arrays disagree in "
        "length; the {} bytes before it were read, the {} from it on were not (the file is damaged "
        "there)",
        start, start, size_ - start);
  }
  if (!warning_.empty()) warning_ = path_.string() + ": " + warning_;
}

std::optional<pb::SensorPacket> RecordingReader::next() {
  pb::SensorPacket packet;
  if (!next(packet)) return std::nullopt;
  return packet;
}

bool RecordingReader::next(pb::SensorPacket& packet) {
  if (done_ || version_ != kRecordingVersion) {
    while (auto entry = next_entry()) {
      if (entry->has_packet()) {
        packet.Swap(entry->mutable_packet());
        return true;
      }
      ++link_chunks_skipped_;
    }
    return false;
  }
  // Version 1 holds packets only: parse straight into the caller's message. Parsing clears it
  // but keeps the sample arrays' capacity, so a long recording streams without an allocation
  // per packet (which was a tenth of a batch run's time).
  const uint64_t start = offset_;
  const Record r = read_record(packet);
  if (r == Record::kOk && consistent(packet)) return true;
  end_stream(r, start);
  return false;
}

std::optional<pb::RecordingEntry> RecordingReader::next_entry() {
  if (done_) return std::nullopt;
  pb::RecordingEntry entry;
  const uint64_t start = offset_;
  Record r;
  if (version_ == kRecordingVersion) {
    r = read_record(*entry.mutable_packet());
  } else {
    r = read_record(entry);
    if (r == Record::kOk && entry.entry_case() == pb::RecordingEntry::ENTRY_NOT_SET) {
      r = Record::kBad;
      offset_ = start;
      warning_ = fmt::format(
          "corrupt record at byte {}: neither a packet nor a link chunk; the {} bytes "
          "before it were read, the {} from it on were not (the file is damaged there)",
          start, start, size_ - start);
    }
  }
  if (r == Record::kOk && (!entry.has_packet() || consistent(entry.packet()))) return entry;
  end_stream(r, start);
  return std::nullopt;
}

}  // namespace gk
