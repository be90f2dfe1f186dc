#include "live_session.hpp"

#include <fmt/format.h>

#include <chrono>
#include <mutex>

#include "live_messages.hpp"
#include "live_pipeline.hpp"
#include "replay_source.hpp"
#include "utc_time.hpp"

namespace gk::live {

struct LiveSession::Impl {
  LiveSessionSettings s;
  LiveSessionEnd on_end;
  std::unique_ptr<LiveServer> server;
  std::unique_ptr<LivePipeline> pipeline;
  std::unique_ptr<link::LinkReceiver> receiver;
  std::unique_ptr<ReplaySource> replay;
  std::chrono::steady_clock::time_point start;
  bool drawn = false;

  int64_t t0_us() const { return pipeline->first_t_us().value_or(0); }

  void on_step(const StepResult& step, int64_t host_rx_us) {
    if (server) server->publish("step", step_json(step, t0_us(), host_rx_us, now_utc_us()));
  }

  LiveStatus status() const {
    LiveStatus st = make_status(*pipeline);
    st.wall_s = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    st.speed = s.replay ? s.replay_speed : 1.0;
    st.reconnects = receiver ? receiver->counters().reconnects : 0;
    if (server) st.dashboard_url = server->url();
    return st;
  }

  void tick() {
    const LiveStatus st = status();
    if (server) {
      const std::vector<KneePoint> knee = pipeline->take_knee_points();
      if (!knee.empty()) server->publish("knee", knee_json(knee, t0_us()));
      server->publish("status", status_json(st));
    } else {
      pipeline->take_knee_points();  // nobody draws the trace
    }
    if (s.terminal) draw(st);
    if (s.duration_us > 0 && st.wall_s * 1e6 >= static_cast<double>(s.duration_us)) stop();
  }

  void draw(const LiveStatus& st) {
    if (!s.terminal_in_place) {
      fmt::print(s.out, "{}\n", status_line(st));
    } else {
      // Home, each line cleared to its end, then the rest of the screen.
      std::string screen = drawn ? "\x1b[H" : "\x1b[2J\x1b[H";
      for (const std::string& line : status_lines(st)) screen += line + "\x1b[K\n";
      screen += "\x1b[J";
      fmt::print(s.out, "{}", screen);
      drawn = true;
    }
    std::fflush(s.out);
  }

  void stop() {
    if (receiver) receiver->stop();
    if (replay) replay->stop();
  }
};

LiveSession::LiveSession(LiveSessionSettings settings, LiveSessionEnd on_end)
    : impl_(std::make_unique<Impl>()) {
  Impl& m = *impl_;
  m.s = std::move(settings);
  m.on_end = std::move(on_end);
  if (m.s.server) m.server = std::make_unique<LiveServer>(*m.s.server);
  auto on_bytes = [&m](std::span<const uint8_t> bytes, int64_t host_rx_us) {
    m.pipeline->push_bytes(bytes, host_rx_us);
  };
  pb::SessionHeader header = m.s.header;
  if (m.s.replay) {
    ReplaySettings rs;
    rs.speed = m.s.replay_speed;
    rs.stop_on_signals = m.s.stop_on_signals;
    m.replay = std::make_unique<ReplaySource>(*m.s.replay, rs, on_bytes);
    for (const pb::SensorInfo& i : m.replay->sensors()) *header.add_sensors() = i;
  } else {
    link::ReceiverSettings rs;
    rs.duration_us = m.s.duration_us;
    rs.idle_timeout_us = m.s.idle_timeout_us;
    rs.stop_on_signals = m.s.stop_on_signals;
    m.receiver = std::make_unique<link::LinkReceiver>(*m.s.endpoint, rs, on_bytes,
                                                      [&m] { m.pipeline->link_reset(); });
  }
  LivePipelineSettings ps;
  ps.recording_path = m.s.recording;
  ps.header = header;
  ps.profile = m.s.profile;
  m.pipeline = std::make_unique<LivePipeline>(
      std::move(ps), [&m](const StepResult& st, int64_t rx) { m.on_step(st, rx); });
}

LiveSession::~LiveSession() {
  if (impl_->server) impl_->server->stop();
}

std::string LiveSession::url() const { return impl_->server ? impl_->server->url() : ""; }

uint16_t LiveSession::link_port() const {
  return impl_->receiver ? impl_->receiver->local_port() : 0;
}

void LiveSession::stop() { impl_->stop(); }

LiveSessionResult LiveSession::run() {
  Impl& m = *impl_;
  m.start = std::chrono::steady_clock::now();
  if (m.server) m.server->start();
  if (m.receiver) {
    m.receiver->on_tick([&m] { m.tick(); }, m.s.refresh_us);
    m.receiver->run();
  } else {
    m.replay->on_tick([&m] { m.tick(); }, m.s.refresh_us);
    m.replay->run();
  }
  // Whatever ended the run, everything received is analysed and on disk.
  m.pipeline->finish();
  LiveStatus st = m.status();
  st.finished = true;
  if (m.server) {
    m.server->publish("status", status_json(st));
  }
  if (m.s.terminal) {
    m.draw(st);
    if (m.s.terminal_in_place) fmt::print(m.s.out, "\n");
  }
  LiveSessionResult r;
  r.header = m.pipeline->header();
  r.steps = m.pipeline->steps();
  r.minutes = m.pipeline->minutes();
  r.assessment = m.pipeline->assessor().assessment();
  r.recording = m.pipeline->recording_path();
  r.link = m.pipeline->decoder().stats();
  r.reconnects = st.reconnects;
  if (m.receiver && m.receiver->counters().connects == 0) {
    r.link_failure = m.receiver->counters().last_failure.empty()
                         ? "no device connected"
                         : m.receiver->counters().last_failure;
  }
  r.warnings = m.pipeline->warnings();
  if (m.on_end) m.on_end(r);
  return r;
}

}  // namespace gk::live
