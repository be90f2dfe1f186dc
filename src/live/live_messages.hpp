// The messages of the live stream, as JSON for the dashboard's WebSocket
// (docs/formats.md, "Live stream"), and the status the terminal view shows.
// One status snapshot feeds both views, so they always agree.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "form_assessor.hpp"
#include "link_decoder.hpp"
#include "link_receiver.hpp"
#include "live_pipeline.hpp"
#include "step_result.hpp"

namespace gk::live {

/// What the runner sees now.
struct LiveStatus {
  double session_s = 0.0;             ///< sensor time covered
  int64_t t0_us = 0;                  ///< session time origin: the first sample, sensor clock
  double wall_s = 0.0;                ///< since the start of the program
  double speed = 1.0;                 ///< replay speed (1 = live)
  std::optional<double> cadence_spm;  ///< rolling, from the last step
  std::optional<pb::Recommendation> recommendation;
  std::optional<StepResult> last_step;
  std::optional<KneePoint> knee[2];  ///< latest valgus per side (0 left)
  std::vector<pb::FormFlag> active_flags;
  std::vector<std::string> flag_titles;  ///< same order as active_flags
  link::LinkStats link;
  uint64_t reconnects = 0;
  uint64_t steps = 0;
  pb::SessionHeader header;
  std::string recording;
  std::string dashboard_url;  ///< empty without a dashboard
  bool analysing = false;
  bool finished = false;
};

/// Builds the snapshot from the pipeline (the caller adds speed, wall time, reconnects).
LiveStatus make_status(const LivePipeline& p);

/// Lost share of the packets the devices sent, in percent.
double packet_loss_pct(const link::LinkStats& s);

std::string status_json(const LiveStatus& s);
/// host_rx_us: arrival of the bytes that completed the step (system clock, µs);
/// sent_us: when the message left (same clock). t0_us: session time origin.
std::string step_json(const StepResult& step, int64_t t0_us, int64_t host_rx_us, int64_t sent_us);
std::string knee_json(const std::vector<KneePoint>& points, int64_t t0_us);

/// One plain line: what a non-terminal stdout gets per update.
std::string status_line(const LiveStatus& s);
/// The in-place terminal view (lines, no escape codes).
std::vector<std::string> status_lines(const LiveStatus& s);

}  // namespace gk::live
