// `gaitkeeper record`: receive a sensor link (serial / TCP / UDP, see
// docs/protocol.md) into a .gkr recording. Every received byte is journaled
// before decoding (format version 2), decoded packets follow, and the link
// counters are printed (and optionally written as JSON) at the end.
#include <fmt/format.h>

#include <filesystem>
#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "atomic_file.hpp"
#include "commands.hpp"
#include "input_error.hpp"
#include "link_decoder.hpp"
#include "link_receiver.hpp"
#include "recording.hpp"

namespace gk::cli {
namespace {

struct RecordOptions {
  std::string serial;
  std::string tcp;
  std::string tcp_listen;
  std::string udp;
  uint32_t baud = 921600;
  std::filesystem::path out;
  std::filesystem::path stats;
  double duration_s = 0.0;
  double idle_timeout_s = 0.0;
  std::string athlete;
  bool progress = false;
};

/// "HOST:PORT" or "PORT" (host defaults to def_host).
std::pair<std::string, uint16_t> host_port(const std::string& flag, const std::string& s,
                                           const std::string& def_host) {
  const auto colon = s.rfind(':');
  const std::string host = colon == std::string::npos ? def_host : s.substr(0, colon);
  const std::string port = colon == std::string::npos ? s : s.substr(colon + 1);
  try {
    size_t used = 0;
    const int p = std::stoi(port, &used);
    if (used == port.size() && p >= 0 && p <= 65535) return {host, static_cast<uint16_t>(p)};
  } catch (const std::exception&) {
  }
  throw InputError(flag, 0, fmt::format("'{}' is not HOST:PORT or PORT (0..65535)", s));
}

link::Endpoint endpoint_of(const RecordOptions& o) {
  const int given = !o.serial.empty() + !o.tcp.empty() + !o.tcp_listen.empty() + !o.udp.empty();
  if (given != 1) {
    throw InputError("record", 0, "give exactly one of --serial, --tcp, --tcp-listen, --udp");
  }
  link::Endpoint e;
  e.baud = o.baud;
  if (!o.serial.empty()) {
    e.kind = link::Endpoint::Kind::kSerial;
    e.address = o.serial;
  } else if (!o.tcp.empty()) {
    e.kind = link::Endpoint::Kind::kTcpClient;
    std::tie(e.address, e.port) = host_port("--tcp", o.tcp, "127.0.0.1");
  } else if (!o.tcp_listen.empty()) {
    e.kind = link::Endpoint::Kind::kTcpServer;
    std::tie(e.address, e.port) = host_port("--tcp-listen", o.tcp_listen, "127.0.0.1");
  } else {
    e.kind = link::Endpoint::Kind::kUdp;
    std::tie(e.address, e.port) = host_port("--udp", o.udp, "127.0.0.1");
  }
  return e;
}

nlohmann::json stats_json(const link::LinkDecoder& decoder, const link::ReceiverCounters& r,
                          uint64_t packets_written) {
  const link::LinkStats s = decoder.stats();
  nlohmann::json j = {{"bytes", s.bytes},
                      {"frames_ok", s.frames_ok},
                      {"crc_failures", s.crc_failures},
                      {"malformed", s.malformed},
                      {"resyncs", s.resyncs},
                      {"packets", s.packets},
                      {"gaps", s.gaps},
                      {"missing", s.missing},
                      {"late", s.late},
                      {"duplicates", s.duplicates},
                      {"restarts", s.restarts},
                      {"reconnects", r.reconnects},
                      {"connects", r.connects},
                      {"link_failures", r.failures},
                      {"packets_written", packets_written}};
  j["drift_ppm"] = s.drift_ppm ? nlohmann::json(*s.drift_ppm) : nlohmann::json(nullptr);
  // Per device: sequence accounting and the clock drift estimate.
  nlohmann::json devices = nlohmann::json::array();
  for (const auto& [id, t] : decoder.devices()) {
    const auto drift = decoder.drift_ppm(id);
    devices.push_back({{"device_id", id},
                       {"gaps", t.counters().gaps},
                       {"missing", t.counters().missing},
                       {"late", t.counters().late},
                       {"duplicates", t.counters().duplicates},
                       {"restarts", t.counters().restarts},
                       {"drift_ppm", drift ? nlohmann::json(*drift) : nlohmann::json(nullptr)}});
  }
  j["devices"] = devices;
  return j;
}

/// The .gkr being recorded. Its header should list the sensors, but they are
/// only known from their packets, and the header comes first in the file, so
/// the first second of input (raw chunks and packets, in order) is held in
/// memory, then the file is created with a SensorInfo for every device seen
/// and the held records are written. A crash loses at most that second, the
/// same as the writer's flush interval.
class Journal {
 public:
  Journal(std::filesystem::path path, pb::SessionHeader header)
      : path_(std::move(path)), header_(std::move(header)) {
    const auto dir = path_.has_parent_path() ? path_.parent_path() : std::filesystem::path(".");
    std::error_code ec;
    if (!std::filesystem::is_directory(dir, ec)) {
      throw InputError(path_, 0, "the folder does not exist (create it first)");
    }
  }

  void chunk(int64_t host_rx_us, std::span<const uint8_t> bytes) {
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

  void packet(const pb::SensorPacket& p) {
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

  /// Opens the file once a second of input (or 4 MiB, for a fast replay) is held.
  void maybe_open(int64_t now_us) {
    if (!writer_ && (now_us - first_rx_us_ >= kHold_us || held_bytes_ >= kHoldBytes)) open();
  }

  RecordingWriter& writer() {
    if (!writer_) open();
    return *writer_;
  }

 private:
  static constexpr int64_t kHold_us = 1'000'000;
  static constexpr size_t kHoldBytes = 4u << 20;

  void open() {
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
  }

  std::filesystem::path path_;
  pb::SessionHeader header_;
  std::optional<RecordingWriter> writer_;
  std::vector<pb::RecordingEntry> held_;
  std::map<uint32_t, pb::SensorInfo> seen_;
  int64_t first_rx_us_ = 0;
  size_t held_bytes_ = 0;
};

void run_record(const RecordOptions& o) {
  const link::Endpoint endpoint = endpoint_of(o);
  pb::SessionHeader header;
  header.set_session_id(o.out.stem().string());
  header.set_athlete(o.athlete);
  header.set_start_time_utc_us(std::chrono::duration_cast<std::chrono::microseconds>(
                                   std::chrono::system_clock::now().time_since_epoch())
                                   .count());
  header.set_notes("received over " + endpoint.describe());
  Journal journal(o.out, header);
  link::LinkDecoder decoder([&journal](pb::SensorPacket& p, int64_t) { journal.packet(p); });
  link::ReceiverSettings rs;
  rs.duration_us = static_cast<int64_t>(o.duration_s * 1e6);
  rs.idle_timeout_us = static_cast<int64_t>(o.idle_timeout_s * 1e6);
  rs.stop_on_signals = true;  // Ctrl-C ends the recording cleanly
  link::LinkReceiver receiver(
      endpoint, rs,
      [&](std::span<const uint8_t> bytes, int64_t host_rx_us) {
        journal.chunk(host_rx_us, bytes);  // journal first
        decoder.push(bytes, host_rx_us);
        journal.maybe_open(host_rx_us);
      },
      [&decoder] { decoder.link_reset(); });
  if (endpoint.kind == link::Endpoint::Kind::kTcpServer) {
    fmt::print("listening on tcp port {}\n", receiver.local_port());
  } else if (endpoint.kind == link::Endpoint::Kind::kUdp) {
    fmt::print("listening on udp port {}\n", receiver.local_port());
  } else {
    fmt::print("receiving from {}\n", endpoint.describe());
  }
  std::fflush(stdout);
  if (o.progress) {
    const auto start = std::chrono::steady_clock::now();
    receiver.on_tick(
        [&] {
          const link::LinkStats s = decoder.stats();
          const double t_s =
              std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
          fmt::print(
              stderr,
              "{:7.1f} s  packets {}  ok {}  crc {}  resync {}  gaps {} ({} missing)  dup {}  "
              "reconnects {}  drift {}\n",
              t_s, s.packets, s.frames_ok, s.crc_failures, s.resyncs, s.gaps, s.missing,
              s.duplicates, receiver.counters().reconnects,
              s.drift_ppm ? fmt::format("{:+.0f} ppm", *s.drift_ppm) : std::string("-"));
        },
        1'000'000);
  }
  receiver.run();
  RecordingWriter& writer = journal.writer();
  writer.close();
  const link::LinkStats s = decoder.stats();
  const nlohmann::json j = stats_json(decoder, receiver.counters(), writer.packets_written());
  fmt::print(
      "{}: {} packets; frames ok {}, CRC failures {}, resyncs {}, gaps {} ({} packets missing), "
      "duplicates {}, reconnects {}\n",
      o.out.string(), s.packets, s.frames_ok, s.crc_failures, s.resyncs, s.gaps, s.missing,
      s.duplicates, receiver.counters().reconnects);
  if (!o.stats.empty()) {
    AtomicFile f(o.stats);
    f.stream() << j.dump(2) << "\n";
    f.commit();
  }
}

}  // namespace

void add_record_command(CLI::App& app) {
  auto opt = std::make_shared<RecordOptions>();
  CLI::App* cmd = app.add_subcommand(
      "record",
      "Receive a sensor link into a .gkr recording (docs/protocol.md): COBS frames with\n"
      "CRC-32C carrying SensorPackets, over a serial port, TCP or UDP. Received bytes are\n"
      "journaled before decoding; bad frames are counted and skipped; a lost connection is\n"
      "reopened with backoff. Stops on Ctrl-C, --duration or --idle-timeout.");
  cmd->add_option("--serial", opt->serial, "Serial device (USB CDC, UART bridge or pty)");
  cmd->add_option("--baud", opt->baud, "Serial baud rate (8N1)")->capture_default_str();
  cmd->add_option("--tcp", opt->tcp, "Connect to HOST:PORT (e.g. the emulator's TCP server)");
  cmd->add_option("--tcp-listen", opt->tcp_listen, "Accept a device at [HOST:]PORT (0 = any)");
  cmd->add_option("--udp", opt->udp, "Receive datagrams at [HOST:]PORT (0 = any)");
  cmd->add_option("-o,--out", opt->out, "Recording to write (replaced if it exists)")->required();
  cmd->add_option("--stats", opt->stats, "Also write the link counters as JSON here");
  cmd->add_option("--duration", opt->duration_s, "Stop after this many seconds (0 = never)")
      ->check(CLI::NonNegativeNumber);
  cmd->add_option("--idle-timeout", opt->idle_timeout_s,
                  "Stop after this many seconds without a byte (0 = never)")
      ->check(CLI::NonNegativeNumber);
  cmd->add_option("--athlete", opt->athlete, "Athlete name for the session header");
  cmd->add_flag("--progress", opt->progress, "Print the link counters to stderr every second");
  cmd->footer(
      "Example: gaitkeeper-emulator --simulate 60 --pty  (prints /dev/pts/N), then\n"
      "         gaitkeeper record --serial /dev/pts/N -o run.gkr --idle-timeout 5");
  cmd->callback([opt] { run_record(*opt); });
}

}  // namespace gk::cli
