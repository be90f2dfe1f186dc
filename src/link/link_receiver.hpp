// Boost.Asio transports of the sensor link: a serial port (USB CDC or a
// pseudo-terminal; baud, 8N1, no flow control), a TCP client or server, UDP.
// Bytes go to a sink as read; a dropped connection is reopened with
// exponential backoff and counted. Single-threaded: run() drives everything.
#pragma once

// Boost 1.74's awaitable.hpp uses std::exchange without including <utility>;
// GCC 12's headers no longer pull it in transitively.
#include <utility>
// clang-format off
#include <boost/asio.hpp>
// clang-format on
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <span>
#include <string>
#include <vector>

namespace gk::link {

struct Endpoint {
  enum class Kind { kSerial, kTcpClient, kTcpServer, kUdp };
  Kind kind = Kind::kSerial;
  std::string address;  ///< serial device path, or TCP host to connect to / bind address
  uint16_t port = 0;    ///< TCP/UDP port; 0 = any free port (server, UDP)
  uint32_t baud = 921600;

  std::string describe() const;
};

struct ReceiverSettings {
  int64_t backoff_initial_us = 20'000;  ///< first retry after a failure
  int64_t backoff_max_us = 1'000'000;   ///< retries never wait longer
  int64_t idle_timeout_us = 0;          ///< stop after this long without a byte; 0 = never
  int64_t duration_us = 0;              ///< stop after this long; 0 = never
  size_t read_buffer_bytes = 64 * 1024;
  bool stop_on_signals = false;  ///< SIGINT/SIGTERM end run() cleanly (CLI use)
};

struct ReceiverCounters {
  uint64_t connects = 0;    ///< successful opens/accepts (UDP: 1)
  uint64_t reconnects = 0;  ///< connects after the first
  uint64_t failures = 0;    ///< failed opens/connects and dropped connections
  /// Why the last open or connect failed ("cannot open /dev/ttyACM0: No such file or
  /// directory"); empty while none has.
  std::string last_failure;
};

class LinkReceiver {
 public:
  /// host_rx_us: system clock (Unix epoch, microseconds) at the read.
  using BytesSink = std::function<void(std::span<const uint8_t>, int64_t host_rx_us)>;
  /// Called when a new connection starts after a lost one.
  using ResetSink = std::function<void()>;

  /// Binds server and UDP sockets at once (so local_port() is known);
  /// throws InputError when the endpoint cannot be bound.
  LinkReceiver(Endpoint endpoint, ReceiverSettings settings, BytesSink on_bytes,
               ResetSink on_reset);
  ~LinkReceiver();
  LinkReceiver(const LinkReceiver&) = delete;
  LinkReceiver& operator=(const LinkReceiver&) = delete;

  /// Calls tick every interval_us while run() runs (e.g. a live status
  /// line); set before run().
  void on_tick(std::function<void()> tick, int64_t interval_us);
  /// Runs until stop(), the duration or the idle timeout.
  void run();
  /// Thread-safe.
  void stop();

  uint16_t local_port() const { return local_port_; }
  const ReceiverCounters& counters() const { return counters_; }

 private:
  void open();
  void on_connected();
  void read();
  void on_lost();
  void retry();
  /// An open or connect that failed: counted, its reason kept, tried again after the backoff.
  void open_failed(const boost::system::error_code& ec);
  void arm_idle_timer();
  void arm_tick_timer();

  Endpoint endpoint_;
  ReceiverSettings settings_;
  BytesSink on_bytes_;
  ResetSink on_reset_;
  boost::asio::io_context io_;
  boost::asio::serial_port serial_;
  boost::asio::ip::tcp::socket tcp_;
  std::unique_ptr<boost::asio::ip::tcp::acceptor> acceptor_;
  boost::asio::ip::udp::socket udp_;
  boost::asio::steady_timer retry_timer_;
  boost::asio::steady_timer idle_timer_;
  boost::asio::steady_timer stop_timer_;
  boost::asio::signal_set signals_;
  boost::asio::steady_timer tick_timer_;
  std::function<void()> tick_;
  int64_t tick_interval_us_ = 0;
  std::vector<uint8_t> buffer_;
  int64_t backoff_us_ = 0;
  std::chrono::steady_clock::time_point last_rx_;
  uint16_t local_port_ = 0;
  bool stopping_ = false;
  ReceiverCounters counters_;
};

}  // namespace gk::link
