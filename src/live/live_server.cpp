#include "live_server.hpp"

#include <fmt/format.h>

#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/websocket.hpp>
#include <optional>

#include "input_error.hpp"
#include "live_web_assets.hpp"

namespace gk::live {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
namespace websocket = beast::websocket;
using tcp = asio::ip::tcp;

bool is_loopback(const std::string& address) {
  if (address == "localhost") return true;
  boost::system::error_code ec;
  const auto a = asio::ip::make_address(address, ec);
  return !ec && a.is_loopback();
}

namespace {

/// The token from "?token=..." in the target or an "Authorization: Bearer" header.
bool authorised(const http::request<http::string_body>& req, const std::string& token) {
  if (token.empty()) return true;
  const auto auth = req[http::field::authorization];
  if (auth == "Bearer " + token) return true;
  const std::string_view target(req.target().data(), req.target().size());
  const auto q = target.find('?');
  if (q == std::string_view::npos) return false;
  std::string_view query = target.substr(q + 1);
  while (!query.empty()) {
    const auto amp = query.find('&');
    const std::string_view kv = query.substr(0, amp);
    if (kv == "token=" + token) return true;
    if (amp == std::string_view::npos) break;
    query.remove_prefix(amp + 1);
  }
  return false;
}

std::string_view path_of(const http::request<http::string_body>& req) {
  const std::string_view target(req.target().data(), req.target().size());
  return target.substr(0, target.find('?'));
}

}  // namespace

/// One connection: HTTP requests until it upgrades to a WebSocket.
class LiveServer::Session : public std::enable_shared_from_this<LiveServer::Session> {
 public:
  Session(LiveServer& server, tcp::socket socket) : server_(server), stream_(std::move(socket)) {}

  void start() { read_request(); }

  void send(std::shared_ptr<const std::string> message) {
    if (!ws_ || closed_) return;
    if (queue_.size() >= server_.settings_.max_queued_messages) {
      close();  // too far behind to be useful; the page reconnects
      return;
    }
    queue_.push_back(std::move(message));
    if (queue_.size() == 1) write_next();
  }

  void close() {
    if (closed_) return;
    closed_ = true;
    beast::error_code ec;
    if (ws_) {
      ws_->next_layer().socket().shutdown(tcp::socket::shutdown_both, ec);
      ws_->next_layer().socket().close(ec);
    } else {
      stream_.socket().shutdown(tcp::socket::shutdown_both, ec);
      stream_.socket().close(ec);
    }
  }

 private:
  void read_request() {
    req_ = {};
    http::async_read(stream_, buffer_, req_,
                     [self = shared_from_this()](beast::error_code ec, size_t) {
                       if (ec) return self->server_.remove(self);
                       self->on_request();
                     });
  }

  void on_request() {
    if (!authorised(req_, server_.settings_.token)) {
      return respond(http::status::unauthorized, "text/plain; charset=utf-8",
                     "a token is required: open the URL the program printed\n", false);
    }
    const std::string_view path = path_of(req_);
    if (websocket::is_upgrade(req_)) {
      if (path != "/ws") {
        return respond(http::status::not_found, "text/plain; charset=utf-8", "not found\n", false);
      }
      return upgrade();
    }
    const bool post = req_.method() == http::verb::post;
    if (req_.method() != http::verb::get && req_.method() != http::verb::head &&
        !(post && server_.settings_.pages)) {
      return respond(http::status::method_not_allowed, "text/plain; charset=utf-8", "GET only\n",
                     req_.keep_alive());
    }
    if (server_.settings_.pages) {
      const std::string_view target(req_.target().data(), req_.target().size());
      const size_t q = target.find('?');
      PageRequest page_request;
      page_request.post = post;
      page_request.path = path;
      page_request.query = q == std::string_view::npos ? "" : target.substr(q + 1);
      page_request.body = req_.body();
      if (std::optional<HttpReply> page = server_.settings_.pages(page_request)) {
        return respond(static_cast<http::status>(page->status), page->content_type, page->body,
                       req_.keep_alive());
      }
    }
    if (post) {
      return respond(http::status::method_not_allowed, "text/plain; charset=utf-8", "GET only\n",
                     req_.keep_alive());
    }
    const std::string_view want = path == "/" ? std::string_view("/index.html") : path;
    for (const WebAsset& a : web_assets()) {
      if (a.path == want)
        return respond(http::status::ok, a.content_type, a.body, req_.keep_alive());
    }
    // Browsers ask for an icon by themselves; there is none, and saying so without an error
    // keeps a 404 out of every page's console (the coach view's browser test checks it).
    if (path == "/favicon.ico") {
      return respond(http::status::no_content, "image/x-icon", "", req_.keep_alive());
    }
    respond(http::status::not_found, "text/plain; charset=utf-8", "not found\n", req_.keep_alive());
  }

  void respond(http::status status, std::string_view type, std::string_view body, bool keep_alive) {
    auto res = std::make_shared<http::response<http::string_body>>(status, req_.version());
    res->set(http::field::server, "gaitkeeper");
    res->set(http::field::content_type, beast::string_view(type.data(), type.size()));
    res->set(http::field::cache_control, "no-store");
    res->keep_alive(keep_alive);
    res->body() = std::string(body);
    res->prepare_payload();
    http::async_write(stream_, *res,
                      [self = shared_from_this(), res, keep_alive](beast::error_code ec, size_t) {
                        if (ec || !keep_alive) {
                          self->close();
                          return self->server_.remove(self);
                        }
                        self->read_request();
                      });
  }

  void upgrade() {
    ws_.emplace(std::move(stream_));
    ws_->set_option(websocket::stream_base::timeout::suggested(beast::role_type::server));
    ws_->async_accept(req_, [self = shared_from_this()](beast::error_code ec) {
      if (ec) return self->server_.remove(self);
      // A new page gets the current status and the recent steps first.
      if (self->server_.status_) self->send(self->server_.status_);
      for (const auto& m : self->server_.replay_) self->send(m);
      self->read_ws();
    });
  }

  // Pages send nothing that matters; reading notices a closed page.
  void read_ws() {
    ws_->async_read(in_, [self = shared_from_this()](beast::error_code ec, size_t) {
      if (ec) return self->server_.remove(self);
      self->in_.clear();
      self->read_ws();
    });
  }

  void write_next() {
    ws_->text(true);
    ws_->async_write(asio::buffer(*queue_.front()),
                     [self = shared_from_this()](beast::error_code ec, size_t) {
                       if (ec) return self->server_.remove(self);
                       self->queue_.pop_front();
                       if (!self->queue_.empty()) self->write_next();
                     });
  }

  LiveServer& server_;
  beast::tcp_stream stream_;
  std::optional<websocket::stream<beast::tcp_stream>> ws_;
  beast::flat_buffer buffer_;
  beast::flat_buffer in_;
  http::request<http::string_body> req_;
  std::deque<std::shared_ptr<const std::string>> queue_;
  bool closed_ = false;
};

LiveServer::LiveServer(LiveServerSettings settings)
    : settings_(std::move(settings)), acceptor_(io_) {
  boost::system::error_code ec;
  const std::string addr =
      settings_.bind_address == "localhost" ? "127.0.0.1" : settings_.bind_address;
  const auto address = asio::ip::make_address(addr, ec);
  if (ec) throw InputError("--bind", 0, fmt::format("'{}' is not an IP address", addr));
  const tcp::endpoint ep(address, settings_.port);
  acceptor_.open(ep.protocol(), ec);
  if (!ec) acceptor_.set_option(asio::socket_base::reuse_address(true), ec);
  if (!ec) acceptor_.bind(ep, ec);
  if (!ec) acceptor_.listen(asio::socket_base::max_listen_connections, ec);
  if (ec) {
    throw InputError("--port", 0,
                     fmt::format("cannot listen on {}:{}: {}", addr, settings_.port, ec.message()));
  }
  port_ = acceptor_.local_endpoint().port();
}

LiveServer::~LiveServer() { stop(); }

void LiveServer::start() {
  accept();
  thread_ = std::thread([this] { io_.run(); });
}

void LiveServer::stop() {
  if (stopped_) return;
  stopped_ = true;
  asio::post(io_, [this] {
    boost::system::error_code ec;
    acceptor_.close(ec);
    for (const auto& s : sessions_) s->close();
    sessions_.clear();
  });
  if (thread_.joinable()) {
    // Lets the closing handlers finish, then ends the loop.
    asio::post(io_, [this] { io_.stop(); });
    thread_.join();
  }
}

void LiveServer::accept() {
  acceptor_.async_accept([this](boost::system::error_code ec, tcp::socket socket) {
    if (ec) return;  // closed by stop()
    socket.set_option(tcp::no_delay(true), ec);
    auto s = std::make_shared<Session>(*this, std::move(socket));
    sessions_.insert(s);
    {
      const std::lock_guard lock(clients_mutex_);
      clients_ = sessions_.size();
    }
    s->start();
    accept();
  });
}

void LiveServer::remove(const std::shared_ptr<Session>& s) {
  s->close();
  sessions_.erase(s);
  const std::lock_guard lock(clients_mutex_);
  clients_ = sessions_.size();
}

void LiveServer::publish(const std::string& kind, std::string message) {
  auto m = std::make_shared<const std::string>(std::move(message));
  asio::post(io_, [this, kind, m] {
    if (kind == "status") {
      status_ = m;
    } else if (kind == "step") {
      replay_.push_back(m);
      if (replay_.size() > settings_.replay_messages) replay_.pop_front();
    }
    for (const auto& s : sessions_) s->send(m);
  });
}

std::string LiveServer::url() const {
  const std::string host = settings_.bind_address == "0.0.0.0" || settings_.bind_address == "::"
                               ? "127.0.0.1"
                               : settings_.bind_address;
  std::string u = fmt::format("http://{}:{}/",
                              host.find(':') != std::string::npos ? "[" + host + "]" : host, port_);
  if (!settings_.token.empty()) u += "?token=" + settings_.token;
  return u;
}

size_t LiveServer::clients() const {
  const std::lock_guard lock(clients_mutex_);
  return clients_;
}

}  // namespace gk::live
