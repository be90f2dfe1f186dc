#include "replay_source.hpp"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <csignal>

#include "frame.h"
#include "packetizer.hpp"
#include "utc_time.hpp"

namespace gk::live {

ReplaySource::ReplaySource(const Session& session, ReplaySettings settings, BytesSink on_bytes)
    : settings_(settings),
      on_bytes_(std::move(on_bytes)),
      pace_timer_(io_),
      tick_timer_(io_),
      signals_(io_) {
  int64_t t0 = INT64_MAX;
  for (const SensorStream& s : session.sensors) {
    if (!s.samples.empty()) t0 = std::min(t0, s.samples.front().t_us);
  }
  std::string payload;
  uint8_t wire[GKFW_MAX_FRAME];
  uint32_t next_id = 1;
  for (const SensorStream& s : session.sensors) {
    if (s.samples.empty()) continue;
    pb::SensorInfo info = s.info;
    if (info.device_id() == 0) info.set_device_id(next_id);
    next_id = std::max(next_id, info.device_id()) + 1;
    sensors_.push_back(info);
    PacketizerSettings ps;
    ps.device_id = info.device_id();
    ps.placement = info.placement();
    ps.accel_range_g = info.accel_range_g() ? info.accel_range_g() : 16;
    ps.gyro_range_dps = info.gyro_range_dps();
    ps.sample_period_us = info.nominal_rate_hz() > 0
                              ? static_cast<uint32_t>(std::lround(1e6 / info.nominal_rate_hz()))
                              : 1000;
    ps.samples_per_packet = settings_.samples_per_packet;
    Packetizer packetizer(ps);
    // A device sends a packet when its last sample is in, and never before one it sent already:
    // a clock that stepped back (a sensor CSV may hold one) leaves the order as it was.
    int64_t due_us = INT64_MIN;
    auto emit = [&](int64_t last_t_us) {
      const pb::SensorPacket p = packetizer.take();
      p.SerializeToString(&payload);
      const size_t n = gkfw_frame_encode(reinterpret_cast<const uint8_t*>(payload.data()),
                                         payload.size(), wire, sizeof wire);
      if (n == 0) return;  // cannot happen with <= 32 samples per packet
      due_us = std::max(due_us, last_t_us - t0);
      frames_.push_back({due_us, std::vector<uint8_t>(wire, wire + n)});
    };
    int64_t last_kept_us = 0;
    for (const ImuSample& x : s.samples) {
      if (!recordable(x)) continue;  // what a device could have sent of a CSV's stream
      if (!packetizer.fits(x.t_us)) emit(last_kept_us);
      last_kept_us = x.t_us;
      if (packetizer.push(x)) emit(x.t_us);
    }
    if (packetizer.pending()) emit(last_kept_us);
  }
  // Interleave the devices by when each packet is due.
  std::stable_sort(frames_.begin(), frames_.end(),
                   [](const Frame& a, const Frame& b) { return a.due_us < b.due_us; });
  if (settings_.stop_on_signals) {
    signals_.add(SIGINT);
    signals_.add(SIGTERM);
  }
}

void ReplaySource::on_tick(std::function<void()> tick, int64_t interval_us) {
  tick_ = std::move(tick);
  tick_interval_us_ = interval_us;
}

void ReplaySource::run() {
  wall0_ = std::chrono::steady_clock::now();
  if (settings_.stop_on_signals) {
    signals_.async_wait([this](const boost::system::error_code& ec, int) {
      if (!ec) stop();
    });
  }
  arm_tick();
  boost::asio::post(io_, [this] { pace(); });
  io_.run();
}

void ReplaySource::stop() {
  boost::asio::post(io_, [this] {
    done_ = true;
    pace_timer_.cancel();
    tick_timer_.cancel();
    boost::system::error_code ec;
    signals_.cancel(ec);
  });
}

void ReplaySource::pace() {
  if (done_) return;
  const auto wall = std::chrono::steady_clock::now() - wall0_;
  const double session_us =
      settings_.speed > 0
          ? static_cast<double>(
                std::chrono::duration_cast<std::chrono::microseconds>(wall).count()) *
                settings_.speed
          : 1e300;
  // As fast as it goes: a batch per turn so ticks and signals still run.
  size_t budget = settings_.speed > 0 ? SIZE_MAX : 64;
  while (next_ < frames_.size() && static_cast<double>(frames_[next_].due_us) <= session_us &&
         budget-- > 0) {
    on_bytes_(frames_[next_].bytes, now_utc_us());
    ++next_;
  }
  if (next_ == frames_.size()) {
    stop();
    return;
  }
  if (settings_.speed > 0) {
    pace_timer_.expires_after(std::chrono::microseconds(settings_.pace_period_us));
    pace_timer_.async_wait([this](const boost::system::error_code& ec) {
      if (!ec) pace();
    });
  } else {
    boost::asio::post(io_, [this] { pace(); });
  }
}

void ReplaySource::arm_tick() {
  if (!tick_ || tick_interval_us_ <= 0) return;
  tick_timer_.expires_after(std::chrono::microseconds(tick_interval_us_));
  tick_timer_.async_wait([this](const boost::system::error_code& ec) {
    if (ec || done_) return;
    tick_();
    arm_tick();
  });
}

}  // namespace gk::live
