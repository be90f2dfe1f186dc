#include "link_flags.hpp"

#include <fmt/format.h>

#include <exception>
#include <tuple>

#include "input_error.hpp"

namespace gk::cli {

std::pair<std::string, uint16_t> host_port(const std::string& flag, const std::string& s,
                                           const std::string& def_host) {
  const auto colon = s.rfind(':');
  const std::string host = colon == std::string::npos ? def_host : s.substr(0, colon);
  const std::string port = colon == std::string::npos ? s : s.substr(colon + 1);
  try {
    size_t used = 0;
    const int p = std::stoi(port, &used);
    if (used == port.size() && p >= 0 && p <= 65535) return {host, static_cast<uint16_t>(p)};
  } catch (const std::exception&) {
  }
  throw InputError(flag, 0, fmt::format("'{}' is not HOST:PORT or PORT (0..65535)", s));
}

link::Endpoint endpoint_of(const LinkFlags& o, const std::string& command) {
  if (o.given() != 1) {
    throw InputError(command, 0, "give exactly one of --serial, --tcp, --tcp-listen, --udp");
  }
  link::Endpoint e;
  e.baud = o.baud;
  if (!o.serial.empty()) {
    e.kind = link::Endpoint::Kind::kSerial;
    e.address = o.serial;
  } else if (!o.tcp.empty()) {
    e.kind = link::Endpoint::Kind::kTcpClient;
    std::tie(e.address, e.port) = host_port("--tcp", o.tcp, "127.0.0.1");
  } else if (!o.tcp_listen.empty()) {
    e.kind = link::Endpoint::Kind::kTcpServer;
    std::tie(e.address, e.port) = host_port("--tcp-listen", o.tcp_listen, "127.0.0.1");
  } else {
    e.kind = link::Endpoint::Kind::kUdp;
    std::tie(e.address, e.port) = host_port("--udp", o.udp, "127.0.0.1");
  }
  return e;
}

}  // namespace gk::cli
