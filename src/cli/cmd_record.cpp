// `gaitkeeper record`: receive a sensor link (serial / TCP / UDP, see
// docs/protocol.md) into a .gkr recording. Every received byte is journaled
// before decoding (format version 2), decoded packets follow, and the link
// counters are printed (and optionally written as JSON) at the end.
#include <fmt/format.h>

#include <filesystem>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "atomic_file.hpp"
#include "commands.hpp"
#include "finite_range.hpp"
#include "input_error.hpp"
#include "link_decoder.hpp"
#include "link_flags.hpp"
#include "link_journal.hpp"
#include "link_receiver.hpp"
#include "recording.hpp"
#include "utc_time.hpp"

namespace gk::cli {
namespace {

struct RecordOptions {
  LinkFlags link;
  std::filesystem::path out;
  std::filesystem::path stats;
  double duration_s = 0.0;
  double idle_timeout_s = 0.0;
  std::string athlete;
  bool progress = false;
};

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

void run_record(const RecordOptions& o) {
  const link::Endpoint endpoint = endpoint_of(o.link, "record");
  pb::SessionHeader header;
  header.set_session_id(o.out.stem().string());
  header.set_athlete(o.athlete);
  header.set_start_time_utc_us(now_utc_us());
  header.set_notes("received over " + endpoint.describe());
  link::LinkJournal journal(o.out, header);
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
  // Never connected (a wrong device path, nothing listening): an error naming why, and no
  // journal left that holds a header only.
  if (receiver.counters().connects == 0) {
    std::error_code ignored;
    std::filesystem::remove(o.out, ignored);
    const link::ReceiverCounters& c = receiver.counters();
    throw InputError(o.out, 0,
                     fmt::format("nothing was recorded: {}",
                                 c.last_failure.empty() ? "no device connected"
                                                        : fmt::format("{} ({} attempts)",
                                                                      c.last_failure, c.failures)));
  }
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
  cmd->add_option("--serial", opt->link.serial, "Serial device (USB CDC, UART bridge or pty)");
  cmd->add_option("--baud", opt->link.baud, "Serial baud rate (8N1)")->capture_default_str();
  cmd->add_option("--tcp", opt->link.tcp, "Connect to HOST:PORT (e.g. the emulator's TCP server)");
  cmd->add_option("--tcp-listen", opt->link.tcp_listen, "Accept a device at [HOST:]PORT (0 = any)");
  cmd->add_option("--udp", opt->link.udp, "Receive datagrams at [HOST:]PORT (0 = any)");
  cmd->add_option("-o,--out", opt->out, "Recording to write (replaced if it exists)")->required();
  cmd->add_option("--stats", opt->stats, "Also write the link counters as JSON here");
  cmd->add_option("--duration", opt->duration_s, "Stop after this many seconds (0 = never)")
      ->check(finite_range(0.0, 7 * 86400.0));
  cmd->add_option("--idle-timeout", opt->idle_timeout_s,
                  "Stop after this many seconds without a byte (0 = never)")
      ->check(finite_range(0.0, 86400.0));
  cmd->add_option("--athlete", opt->athlete, "Athlete name for the session header");
  cmd->add_flag("--progress", opt->progress, "Print the link counters to stderr every second");
  cmd->footer(
      "Example: gaitkeeper-emulator --simulate 60 --pty  (prints /dev/pts/N), then\n"
      "         gaitkeeper record --serial /dev/pts/N -o run.gkr --idle-timeout 5");
  cmd->callback([opt] { run_record(*opt); });
}

}  // namespace gk::cli
