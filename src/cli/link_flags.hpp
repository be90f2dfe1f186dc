// The sensor-link flags shared by `gaitkeeper record` and `gaitkeeper live`.
#pragma once

#include <cstdint>
#include <string>
#include <utility>

#include "link_receiver.hpp"

namespace gk::cli {

struct LinkFlags {
  std::string serial;
  std::string tcp;
  std::string tcp_listen;
  std::string udp;
  uint32_t baud = 921600;

  /// How many of the four were given.
  int given() const { return !serial.empty() + !tcp.empty() + !tcp_listen.empty() + !udp.empty(); }
};

/// "HOST:PORT" or "PORT" (host defaults to def_host); InputError naming flag.
std::pair<std::string, uint16_t> host_port(const std::string& flag, const std::string& s,
                                           const std::string& def_host);

/// Exactly one of the flags must be given (InputError naming command otherwise).
link::Endpoint endpoint_of(const LinkFlags& f, const std::string& command);

}  // namespace gk::cli
