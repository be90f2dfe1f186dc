// `gaitkeeper live` as a library object: a source (a sensor link through
// link::LinkReceiver, or a ReplaySource for demos), the LivePipeline, the
// dashboard server and the terminal view, run until Ctrl-C (SIGINT/SIGTERM),
// the duration, the idle timeout or the end of a replay. At the end the
// pipeline is finished, the recording closed and the session handed to the
// end hook (LiveSessionEnd), where the store and the report plug in.
#pragma once

#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "form_assessor.hpp"
#include "link_decoder.hpp"
#include "link_receiver.hpp"
#include "live_server.hpp"
#include "session.hpp"
#include "step_result.hpp"

namespace gk::live {

/// Everything a finished live session produced: what the session store and
/// the session report take.
struct LiveSessionResult {
  pb::SessionHeader header;            ///< as written to the recording (sensors included)
  std::vector<StepResult> steps;       ///< every step, in IC order
  std::vector<CadenceWindow> minutes;  ///< per-minute summaries
  Assessment assessment;               ///< flags, recommendation(s), preferred cadence
  std::filesystem::path recording;     ///< the complete .gkr journal
  link::LinkStats link;
  uint64_t reconnects = 0;
  /// Why the link never connected (LinkReceiver's last failure), empty if it did or for a replay.
  std::string link_failure;
  std::vector<std::string> warnings;  ///< the engine's degenerate-data warnings
};

/// Called once when a live session ends (normally or by a signal), after the
/// recording is closed. The integration point for the session store and the
/// session report.
using LiveSessionEnd = std::function<void(const LiveSessionResult&)>;

struct LiveSessionSettings {
  /// Source: exactly one of a link endpoint or a session to replay.
  std::optional<link::Endpoint> endpoint;
  std::optional<Session> replay;
  double replay_speed = 1.0;  ///< times real time (replay only)

  std::filesystem::path recording;  ///< the journal to write
  pb::SessionHeader header;         ///< athlete, treadmill speed, notes
  AssessProfile profile;

  std::optional<LiveServerSettings> server;  ///< no dashboard when absent
  bool terminal = true;                      ///< print the live view to stdout
  /// The terminal view redraws in place; plain lines when stdout is not a
  /// terminal (decided by the caller, usually isatty).
  bool terminal_in_place = false;
  int64_t refresh_us = 500'000;  ///< terminal and dashboard status period
  int64_t duration_us = 0;       ///< stop after this long (wall); 0 = never
  int64_t idle_timeout_us = 0;   ///< link only: stop after this long without a byte
  bool stop_on_signals = true;
  FILE* out = stdout;
};

class LiveSession {
 public:
  /// Binds the server and opens nothing else yet; throws InputError.
  LiveSession(LiveSessionSettings settings, LiveSessionEnd on_end);
  ~LiveSession();

  /// The dashboard URL (empty without a server). Known before run().
  std::string url() const;
  /// The link's local port (TCP server or UDP endpoints; 0 otherwise).
  uint16_t link_port() const;
  /// Runs to the end; calls the end hook; returns the result.
  LiveSessionResult run();
  /// Thread-safe: ends run() as a signal would.
  void stop();

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace gk::live
