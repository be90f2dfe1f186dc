// Where the emulated device's bytes go: a pseudo-terminal (like a USB CDC
// device), a TCP server or client, or UDP datagrams. Blocking POSIX I/O: the
// emulator is one thread pacing one stream.
#pragma once

#include <cstdint>
#include <filesystem>
#include <memory>
#include <span>
#include <string>

namespace gk::emu {

class Output {
 public:
  virtual ~Output() = default;
  /// Opens (or re-opens after disconnect()); throws std::runtime_error.
  virtual void connect() = 0;
  /// Writes all bytes (one datagram for UDP); false when the peer is gone.
  virtual bool write(std::span<const uint8_t> bytes) = 0;
  /// Waits until the receiver has read everything written, then closes, as
  /// a cable pulled between frames would.
  virtual void disconnect() = 0;
  /// Where it is now, e.g. "/dev/pts/5" or "tcp port 40123".
  virtual std::string describe() const = 0;
};

/// pty: prints the slave path; link_path (optional) is a symlink kept
/// pointing at the current slave across disconnects, like a udev name.
std::unique_ptr<Output> make_pty_output(const std::filesystem::path& link_path);
/// Listens on host:port (port 0 = any free one) and serves one client at a time.
std::unique_ptr<Output> make_tcp_server_output(const std::string& host, uint16_t port);
std::unique_ptr<Output> make_tcp_client_output(const std::string& host, uint16_t port);
std::unique_ptr<Output> make_udp_output(const std::string& host, uint16_t port);
/// The byte stream into a file (e.g. to replay it as BLE notifications).
std::unique_ptr<Output> make_file_output(const std::filesystem::path& path);

}  // namespace gk::emu
