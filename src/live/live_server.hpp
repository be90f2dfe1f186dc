// The dashboard server: HTTP for the page and its scripts (embedded at build
// time, uPlot included, so nothing comes from a CDN) and a WebSocket that
// pushes the live messages (live_messages.hpp) to every open page. It runs on
// its own thread with its own io_context so a slow browser never holds up
// the sensor link; publish() is thread-safe.
#pragma once

// Boost 1.74's awaitable.hpp uses std::exchange without including <utility>.
#include <utility>
// clang-format off
#include <boost/asio.hpp>
// clang-format on
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <thread>

namespace gk::live {

/// A request for a handler's page (LiveServerSettings::pages).
struct PageRequest {
  bool post = false;       ///< POST (a form), else GET or HEAD
  std::string_view path;   ///< without the query
  std::string_view query;  ///< raw query string (after '?'), or ""
  std::string_view body;   ///< POST body (application/x-www-form-urlencoded)
};

/// A page served by a handler (LiveServerSettings::pages).
struct HttpReply {
  unsigned status = 200;
  std::string content_type = "text/html; charset=utf-8";
  std::string body;
};

struct LiveServerSettings {
  std::string bind_address = "127.0.0.1";  ///< loopback unless asked otherwise
  uint16_t port = 8750;                    ///< 0 = any free port
  /// Required (as ?token= or "Authorization: Bearer") on every request when
  /// not empty; the CLI insists on one for any non-loopback address.
  std::string token;
  size_t replay_messages = 200;       ///< recent steps a newly opened page receives
  size_t max_queued_messages = 4096;  ///< a client further behind is dropped
  /// Pages served besides the dashboard's files (`gaitkeeper coach` serves
  /// the reports and takes its forms this way). Called on the server thread;
  /// nullopt: not one of its pages. Asked first. Only these pages accept POST.
  std::function<std::optional<HttpReply>(const PageRequest& request)> pages;
};

class LiveServer {
 public:
  /// Binds at once (so port() is known); throws InputError when it cannot.
  explicit LiveServer(LiveServerSettings settings);
  ~LiveServer();
  LiveServer(const LiveServer&) = delete;
  LiveServer& operator=(const LiveServer&) = delete;

  /// Starts the server thread.
  void start();
  /// Closes every connection and joins the thread. Idempotent.
  void stop();

  /// Sends a message to every open page. kind: "step" messages are kept for
  /// replay to later pages; "status" replaces the last status (sent first to
  /// a new page); anything else is only broadcast.
  void publish(const std::string& kind, std::string message);

  uint16_t port() const { return port_; }
  std::string url() const;
  size_t clients() const;

  class Session;

 private:
  void accept();
  void remove(const std::shared_ptr<Session>& s);
  friend class Session;

  LiveServerSettings settings_;
  boost::asio::io_context io_;
  boost::asio::ip::tcp::acceptor acceptor_;
  std::thread thread_;
  uint16_t port_ = 0;
  // Touched on the server thread only.
  std::set<std::shared_ptr<Session>> sessions_;
  std::deque<std::shared_ptr<const std::string>> replay_;
  std::shared_ptr<const std::string> status_;
  mutable std::mutex clients_mutex_;
  size_t clients_ = 0;
  bool stopped_ = false;
};

/// True for 127.0.0.0/8, ::1 and "localhost".
bool is_loopback(const std::string& address);

}  // namespace gk::live
