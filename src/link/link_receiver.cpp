#include "link_receiver.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <chrono>

#include "input_error.hpp"
#include "utc_time.hpp"

namespace gk::link {
namespace asio = boost::asio;
using asio::ip::tcp;
using asio::ip::udp;

std::string Endpoint::describe() const {
  switch (kind) {
    case Kind::kSerial:
      return fmt::format("serial {} at {} baud", address, baud);
    case Kind::kTcpClient:
      return fmt::format("tcp {}:{}", address, port);
    case Kind::kTcpServer:
      return fmt::format("tcp listen {}:{}", address, port);
    case Kind::kUdp:
      return fmt::format("udp {}:{}", address, port);
  }
  return "?";
}

LinkReceiver::LinkReceiver(Endpoint endpoint, ReceiverSettings settings, BytesSink on_bytes,
                           ResetSink on_reset)
    : endpoint_(std::move(endpoint)),
      settings_(settings),
      on_bytes_(std::move(on_bytes)),
      on_reset_(std::move(on_reset)),
      serial_(io_),
      tcp_(io_),
      udp_(io_),
      retry_timer_(io_),
      idle_timer_(io_),
      stop_timer_(io_),
      signals_(io_),
      tick_timer_(io_),
      buffer_(settings.read_buffer_bytes),
      backoff_us_(settings.backoff_initial_us) {
  boost::system::error_code ec;
  const std::string bind = endpoint_.address.empty() ? "0.0.0.0" : endpoint_.address;
  if (endpoint_.kind == Endpoint::Kind::kTcpServer) {
    const auto addr = asio::ip::make_address(bind, ec);
    if (!ec) {
      acceptor_ = std::make_unique<tcp::acceptor>(io_);
      acceptor_->open(addr.is_v6() ? tcp::v6() : tcp::v4(), ec);
      if (!ec) acceptor_->set_option(tcp::acceptor::reuse_address(true), ec);
      if (!ec) acceptor_->bind(tcp::endpoint(addr, endpoint_.port), ec);
      if (!ec) acceptor_->listen(1, ec);
      if (!ec) local_port_ = acceptor_->local_endpoint(ec).port();
    }
  } else if (endpoint_.kind == Endpoint::Kind::kUdp) {
    const auto addr = asio::ip::make_address(bind, ec);
    if (!ec) udp_.open(addr.is_v6() ? udp::v6() : udp::v4(), ec);
    // A large receive buffer rides out scheduling hiccups: UDP has no flow
    // control, so anything the kernel cannot queue is lost.
    if (!ec) udp_.set_option(asio::socket_base::receive_buffer_size(4 << 20), ec);
    if (!ec) udp_.bind(udp::endpoint(addr, endpoint_.port), ec);
    if (!ec) local_port_ = udp_.local_endpoint(ec).port();
  }
  if (ec) {
    throw InputError(endpoint_.describe(), 0,
                     fmt::format("cannot listen: {} (is the port in use?)", ec.message()));
  }
}

LinkReceiver::~LinkReceiver() = default;

void LinkReceiver::stop() {
  asio::post(io_, [this] {
    stopping_ = true;
    io_.stop();
  });
}

void LinkReceiver::run() {
  last_rx_ = std::chrono::steady_clock::now();
  if (settings_.duration_us > 0) {
    stop_timer_.expires_after(std::chrono::microseconds(settings_.duration_us));
    stop_timer_.async_wait([this](const boost::system::error_code& ec) {
      if (!ec) {
        stopping_ = true;
        io_.stop();
      }
    });
  }
  if (settings_.stop_on_signals) {
    signals_.add(SIGINT);
    signals_.add(SIGTERM);
    signals_.async_wait([this](const boost::system::error_code& ec, int) {
      if (ec) return;
      stopping_ = true;
      io_.stop();
    });
  }
  arm_idle_timer();
  if (tick_ && tick_interval_us_ > 0) {
    tick_timer_.expires_after(std::chrono::microseconds(tick_interval_us_));
    arm_tick_timer();
  }
  open();
  io_.run();
  boost::system::error_code ignored;
  signals_.clear(ignored);
}

void LinkReceiver::on_tick(std::function<void()> tick, int64_t interval_us) {
  tick_ = std::move(tick);
  tick_interval_us_ = interval_us;
}

void LinkReceiver::arm_tick_timer() {
  tick_timer_.async_wait([this](const boost::system::error_code& ec) {
    if (ec) return;
    tick_();
    // Fixed rate, not fixed delay: the status line does not drift.
    tick_timer_.expires_at(tick_timer_.expiry() + std::chrono::microseconds(tick_interval_us_));
    arm_tick_timer();
  });
}

void LinkReceiver::arm_idle_timer() {
  if (settings_.idle_timeout_us <= 0) return;
  idle_timer_.expires_at(last_rx_ + std::chrono::microseconds(settings_.idle_timeout_us));
  idle_timer_.async_wait([this](const boost::system::error_code& ec) {
    if (ec) return;
    if (std::chrono::steady_clock::now() - last_rx_ >=
        std::chrono::microseconds(settings_.idle_timeout_us)) {
      stopping_ = true;
      io_.stop();
      return;
    }
    arm_idle_timer();
  });
}

void LinkReceiver::open() {
  if (stopping_) return;
  boost::system::error_code ec;
  switch (endpoint_.kind) {
    case Endpoint::Kind::kSerial: {
      serial_.open(endpoint_.address, ec);
      // Asio puts the line in raw mode on open; 8N1 without flow control is
      // what a USB CDC or UART bridge speaks (docs/protocol.md).
      if (!ec) serial_.set_option(asio::serial_port::baud_rate(endpoint_.baud), ec);
      if (!ec) serial_.set_option(asio::serial_port::character_size(8), ec);
      if (!ec) serial_.set_option(asio::serial_port::parity(asio::serial_port::parity::none), ec);
      if (!ec) {
        serial_.set_option(asio::serial_port::stop_bits(asio::serial_port::stop_bits::one), ec);
      }
      if (!ec) {
        serial_.set_option(asio::serial_port::flow_control(asio::serial_port::flow_control::none),
                           ec);
      }
      if (ec) {
        boost::system::error_code ignored;
        serial_.close(ignored);
        open_failed(ec);
        return;
      }
      on_connected();
      return;
    }
    case Endpoint::Kind::kTcpClient: {
      tcp::resolver resolver(io_);
      const auto results = resolver.resolve(endpoint_.address, std::to_string(endpoint_.port), ec);
      if (ec) {
        open_failed(ec);
        return;
      }
      asio::async_connect(tcp_, results,
                          [this](const boost::system::error_code& e, const tcp::endpoint&) {
                            if (e) {
                              tcp_.close();
                              open_failed(e);
                              return;
                            }
                            on_connected();
                          });
      return;
    }
    case Endpoint::Kind::kTcpServer:
      acceptor_->async_accept(tcp_, [this](const boost::system::error_code& e) {
        if (e) {
          retry();
          return;
        }
        on_connected();
      });
      return;
    case Endpoint::Kind::kUdp:
      on_connected();
      return;
  }
}

void LinkReceiver::on_connected() {
  if (counters_.connects > 0) {
    ++counters_.reconnects;
    if (on_reset_) on_reset_();
  }
  ++counters_.connects;
  backoff_us_ = settings_.backoff_initial_us;
  read();
}

void LinkReceiver::read() {
  auto handler = [this](const boost::system::error_code& ec, size_t n) {
    if (n > 0) {
      last_rx_ = std::chrono::steady_clock::now();
      on_bytes_(std::span<const uint8_t>(buffer_.data(), n), now_utc_us());
    }
    if (ec) {
      on_lost();
      return;
    }
    read();
  };
  switch (endpoint_.kind) {
    case Endpoint::Kind::kSerial:
      serial_.async_read_some(asio::buffer(buffer_), handler);
      return;
    case Endpoint::Kind::kTcpClient:
    case Endpoint::Kind::kTcpServer:
      tcp_.async_read_some(asio::buffer(buffer_), handler);
      return;
    case Endpoint::Kind::kUdp:
      udp_.async_receive(asio::buffer(buffer_), handler);
      return;
  }
}

void LinkReceiver::on_lost() {
  ++counters_.failures;
  boost::system::error_code ec;
  serial_.close(ec);
  tcp_.close(ec);
  if (endpoint_.kind == Endpoint::Kind::kUdp) {
    read();  // a datagram error (e.g. ICMP unreachable) does not end UDP
    return;
  }
  // A lost device is usually back soon (re-plugged, re-advertising): try
  // again at once, then back off.
  backoff_us_ = settings_.backoff_initial_us;
  retry();
}

void LinkReceiver::open_failed(const boost::system::error_code& ec) {
  ++counters_.failures;
  counters_.last_failure = fmt::format("cannot open {}: {}", endpoint_.describe(), ec.message());
  retry();
}

void LinkReceiver::retry() {
  if (stopping_) return;
  retry_timer_.expires_after(std::chrono::microseconds(backoff_us_));
  backoff_us_ = std::min(backoff_us_ * 2, settings_.backoff_max_us);
  retry_timer_.async_wait([this](const boost::system::error_code& ec) {
    if (!ec) open();
  });
}

}  // namespace gk::link
