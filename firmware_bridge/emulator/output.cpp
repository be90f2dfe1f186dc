#include "output.hpp"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <pty.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <termios.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstring>
#include <stdexcept>
#include <thread>

namespace gk::emu {
namespace {

[[noreturn]] void fail(const std::string& what) {
  throw std::runtime_error(what + ": " + std::strerror(errno));
}

bool write_all(int fd, std::span<const uint8_t> bytes) {
  size_t done = 0;
  while (done < bytes.size()) {
    const ssize_t n = ::write(fd, bytes.data() + done, bytes.size() - done);
    if (n < 0) {
      if (errno == EINTR) continue;
      return false;
    }
    done += static_cast<size_t>(n);
  }
  return true;
}

sockaddr_in address(const std::string& host, uint16_t port) {
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_port = htons(port);
  if (::inet_pton(AF_INET, host.c_str(), &a.sin_addr) != 1) {
    throw std::runtime_error("not an IPv4 address: " + host);
  }
  return a;
}

class PtyOutput : public Output {
 public:
  explicit PtyOutput(std::filesystem::path link) : link_(std::move(link)) {}
  ~PtyOutput() override { close_fds(); }

  void connect() override {
    char name[256] = {};
    if (::openpty(&master_, &slave_, name, nullptr, nullptr) != 0) fail("openpty");
    // Raw: a USB CDC device passes bytes untouched (no CR/LF mapping, no
    // echo, no signals on 0x03).
    termios t{};
    ::tcgetattr(slave_, &t);
    ::cfmakeraw(&t);
    ::tcsetattr(slave_, TCSANOW, &t);
    path_ = name;
    if (!link_.empty()) {
      // Replace the symlink atomically so a receiver never sees it missing.
      const std::filesystem::path tmp = link_.string() + ".tmp";
      std::filesystem::remove(tmp);
      std::filesystem::create_symlink(path_, tmp);
      std::filesystem::rename(tmp, link_);
    }
  }

  bool write(std::span<const uint8_t> bytes) override { return write_all(master_, bytes); }

  void disconnect() override {
    // The emulator holds a slave descriptor too (so the tty survives while
    // no receiver has it open); its input queue is what the receiver has not
    // read yet. Bytes written to the master reach that queue through the
    // kernel's flip buffer, moved by a work item that a loaded machine can
    // delay by milliseconds, so the queue must stay empty for a while (100 ms)
    // before the receiver is taken to have read everything.
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
    auto quiet_since = std::chrono::steady_clock::now();
    while (std::chrono::steady_clock::now() < deadline) {
      int queued = 0;
      ::ioctl(slave_, FIONREAD, &queued);
      const auto now = std::chrono::steady_clock::now();
      if (queued != 0) {
        quiet_since = now;
      } else if (now - quiet_since >= std::chrono::milliseconds(100)) {
        break;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(1));
    }
    // Unplugged: the name goes first, so a receiver retrying cannot open a
    // /dev/pts number the kernel may already have given to another pty.
    if (!link_.empty()) {
      std::error_code ec;
      std::filesystem::remove(link_, ec);
    }
    close_fds();
  }

  std::string describe() const override { return path_; }

 private:
  void close_fds() {
    if (master_ >= 0) ::close(master_);
    if (slave_ >= 0) ::close(slave_);
    master_ = slave_ = -1;
  }

  std::filesystem::path link_;
  std::string path_;
  int master_ = -1;
  int slave_ = -1;
};

class TcpServerOutput : public Output {
 public:
  TcpServerOutput(const std::string& host, uint16_t port) {
    listen_ = ::socket(AF_INET, SOCK_STREAM, 0);
    if (listen_ < 0) fail("socket");
    const int one = 1;
    ::setsockopt(listen_, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    sockaddr_in a = address(host, port);
    if (::bind(listen_, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0) fail("bind");
    if (::listen(listen_, 1) != 0) fail("listen");
    socklen_t len = sizeof a;
    ::getsockname(listen_, reinterpret_cast<sockaddr*>(&a), &len);
    port_ = ntohs(a.sin_port);
  }
  ~TcpServerOutput() override {
    if (conn_ >= 0) ::close(conn_);
    ::close(listen_);
  }
  void connect() override {
    conn_ = ::accept(listen_, nullptr, nullptr);
    if (conn_ < 0) fail("accept");
    const int one = 1;
    ::setsockopt(conn_, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  }
  bool write(std::span<const uint8_t> bytes) override { return write_all(conn_, bytes); }
  void disconnect() override {
    // An orderly FIN after the data: TCP delivers everything written first.
    ::shutdown(conn_, SHUT_WR);
    char sink[256];
    while (::read(conn_, sink, sizeof sink) > 0) {
    }
    ::close(conn_);
    conn_ = -1;
  }
  std::string describe() const override { return "tcp port " + std::to_string(port_); }

 private:
  int listen_ = -1;
  int conn_ = -1;
  uint16_t port_ = 0;
};

class TcpClientOutput : public Output {
 public:
  TcpClientOutput(std::string host, uint16_t port) : host_(std::move(host)), port_(port) {}
  ~TcpClientOutput() override {
    if (conn_ >= 0) ::close(conn_);
  }
  void connect() override {
    const sockaddr_in a = address(host_, port_);
    for (int attempt = 0;; ++attempt) {
      conn_ = ::socket(AF_INET, SOCK_STREAM, 0);
      if (conn_ < 0) fail("socket");
      if (::connect(conn_, reinterpret_cast<const sockaddr*>(&a), sizeof a) == 0) break;
      ::close(conn_);
      conn_ = -1;
      if (attempt >= 500) fail("connect to " + describe());
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    const int one = 1;
    ::setsockopt(conn_, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  }
  bool write(std::span<const uint8_t> bytes) override { return write_all(conn_, bytes); }
  void disconnect() override {
    ::shutdown(conn_, SHUT_WR);
    char sink[256];
    while (::read(conn_, sink, sizeof sink) > 0) {
    }
    ::close(conn_);
    conn_ = -1;
  }
  std::string describe() const override { return "tcp " + host_ + ":" + std::to_string(port_); }

 private:
  std::string host_;
  uint16_t port_;
  int conn_ = -1;
};

class UdpOutput : public Output {
 public:
  UdpOutput(const std::string& host, uint16_t port) : to_(address(host, port)), host_(host) {
    fd_ = ::socket(AF_INET, SOCK_DGRAM, 0);
    if (fd_ < 0) fail("socket");
  }
  ~UdpOutput() override { ::close(fd_); }
  void connect() override {}
  bool write(std::span<const uint8_t> bytes) override {
    for (;;) {
      const ssize_t n = ::sendto(fd_, bytes.data(), bytes.size(), 0,
                                 reinterpret_cast<const sockaddr*>(&to_), sizeof to_);
      if (n >= 0) return true;
      if (errno == ENOBUFS || errno == EAGAIN || errno == EINTR) {
        std::this_thread::sleep_for(std::chrono::microseconds(100));
        continue;
      }
      // ECONNREFUSED from an earlier datagram's ICMP: the receiver may not
      // be up yet; UDP carries on.
      if (errno == ECONNREFUSED) continue;
      return false;
    }
  }
  void disconnect() override {}
  std::string describe() const override {
    return "udp " + host_ + ":" + std::to_string(ntohs(to_.sin_port));
  }

 private:
  sockaddr_in to_;
  std::string host_;
  int fd_ = -1;
};

class FileOutput : public Output {
 public:
  explicit FileOutput(std::filesystem::path path) : path_(std::move(path)) {}
  ~FileOutput() override {
    if (fd_ >= 0) ::close(fd_);
  }
  void connect() override {
    if (fd_ >= 0) return;
    fd_ = ::open(path_.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    if (fd_ < 0) fail("open " + path_.string());
  }
  bool write(std::span<const uint8_t> bytes) override { return write_all(fd_, bytes); }
  void disconnect() override {}
  std::string describe() const override { return path_.string(); }

 private:
  std::filesystem::path path_;
  int fd_ = -1;
};

}  // namespace

std::unique_ptr<Output> make_file_output(const std::filesystem::path& path) {
  return std::make_unique<FileOutput>(path);
}

std::unique_ptr<Output> make_pty_output(const std::filesystem::path& link_path) {
  return std::make_unique<PtyOutput>(link_path);
}
std::unique_ptr<Output> make_tcp_server_output(const std::string& host, uint16_t port) {
  return std::make_unique<TcpServerOutput>(host, port);
}
std::unique_ptr<Output> make_tcp_client_output(const std::string& host, uint16_t port) {
  return std::make_unique<TcpClientOutput>(host, port);
}
std::unique_ptr<Output> make_udp_output(const std::string& host, uint16_t port) {
  return std::make_unique<UdpOutput>(host, port);
}

}  // namespace gk::emu
