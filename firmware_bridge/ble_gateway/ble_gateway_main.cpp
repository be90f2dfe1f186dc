// gaitkeeper-ble-gateway: receives a pod over Bluetooth LE through BlueZ's
// D-Bus API (sdbus-c++), subscribes to the gaitkeeper stream characteristic
// (docs/protocol.md#ble-gatt-profile), concatenates the notification values
// and hands them to the same LinkDecoder as every other transport, recording
// into a .gkr (raw notifications journaled first, like `gaitkeeper record`).
// When BlueZ reports the device disconnected it reconnects with backoff.
#include <arpa/inet.h>
#include <fmt/format.h>
#include <netinet/in.h>
#include <sdbus-c++/sdbus-c++.h>
#include <sys/socket.h>
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <algorithm>
#include <atomic>
#include <cctype>
#include <chrono>
#include <csignal>
#include <map>
#include <memory>
#include <mutex>
#include <nlohmann/json.hpp>
#include <string>
#include <thread>
#include <vector>

#include "atomic_file.hpp"
#include "ble_gatt.h"
#include "input_error.hpp"
#include "link_decoder.hpp"
#include "recording.hpp"

namespace {

using Props = std::map<std::string, sdbus::Variant>;
using Objects = std::map<sdbus::ObjectPath, std::map<std::string, Props>>;

constexpr const char* kBluez = "org.bluez";
constexpr const char* kDevice = "org.bluez.Device1";
constexpr const char* kChar = "org.bluez.GattCharacteristic1";
constexpr const char* kProps = "org.freedesktop.DBus.Properties";

std::atomic<bool> g_stop{false};
void on_signal(int) { g_stop = true; }

struct Options {
  std::string address;
  std::filesystem::path out;
  std::filesystem::path stats;
  double idle_timeout_s = 0.0;
  double connect_timeout_s = 10.0;
  std::string forward_udp;
};

/// Hands the received bytes on, unchanged, to a local analyzer (e.g.
/// `gaitkeeper record --udp PORT`): one datagram per notification value.
class UdpForward {
 public:
  explicit UdpForward(const std::string& host_port) {
    const auto colon = host_port.rfind(':');
    const std::string host = colon == std::string::npos ? "127.0.0.1" : host_port.substr(0, colon);
    const int port =
        std::stoi(colon == std::string::npos ? host_port : host_port.substr(colon + 1));
    to_.sin_family = AF_INET;
    to_.sin_port = htons(static_cast<uint16_t>(port));
    if (port <= 0 || port > 65535 || ::inet_pton(AF_INET, host.c_str(), &to_.sin_addr) != 1) {
      throw gk::InputError("--forward-udp", 0, "'" + host_port + "' is not IPv4-HOST:PORT");
    }
    fd_ = ::socket(AF_INET, SOCK_DGRAM, 0);
    if (fd_ < 0) throw std::runtime_error("socket() failed");
  }
  ~UdpForward() { ::close(fd_); }
  UdpForward(const UdpForward&) = delete;
  UdpForward& operator=(const UdpForward&) = delete;
  void send(const std::vector<uint8_t>& bytes) {
    // Best effort, like the radio link itself: the receiver counts any loss.
    if (::sendto(fd_, bytes.data(), bytes.size(), 0, reinterpret_cast<const sockaddr*>(&to_),
                 sizeof to_) < 0) {
      ++failures_;
    }
  }
  uint64_t failures() const { return failures_; }

 private:
  sockaddr_in to_{};
  int fd_ = -1;
  uint64_t failures_ = 0;
};

std::string lower(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return s;
}

int64_t unix_now_us() {
  return std::chrono::duration_cast<std::chrono::microseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

Objects managed_objects(sdbus::IConnection& conn) {
  auto root = sdbus::createProxy(conn, kBluez, "/");
  Objects objects;
  root->callMethod("GetManagedObjects")
      .onInterface("org.freedesktop.DBus.ObjectManager")
      .storeResultsTo(objects);
  return objects;
}

std::string find_device(const Objects& objects, const std::string& address) {
  for (const auto& [path, ifaces] : objects) {
    const auto it = ifaces.find(kDevice);
    if (it == ifaces.end()) continue;
    const auto a = it->second.find("Address");
    if (a != it->second.end() && lower(a->second.get<std::string>()) == lower(address)) {
      return path;
    }
  }
  return {};
}

std::string find_stream_characteristic(const Objects& objects, const std::string& device_path) {
  for (const auto& [path, ifaces] : objects) {
    if (path.rfind(device_path + "/", 0) != 0) continue;
    const auto it = ifaces.find(kChar);
    if (it == ifaces.end()) continue;
    const auto uuid = it->second.find("UUID");
    if (uuid != it->second.end() &&
        lower(uuid->second.get<std::string>()) == GKFW_BLE_STREAM_CHAR_UUID) {
      return path;
    }
  }
  return {};
}

int run(const Options& o) {
  auto conn = sdbus::createSystemBusConnection();
  const std::string device_path = find_device(managed_objects(*conn), o.address);
  if (device_path.empty()) {
    throw gk::InputError(o.address, 0,
                         "no such Bluetooth device known to BlueZ (scan for it first, e.g. "
                         "`bluetoothctl scan on`)");
  }
  gaitkeeper::pb::SessionHeader header;
  header.set_session_id(o.out.stem().string());
  header.set_start_time_utc_us(unix_now_us());
  header.set_notes("received over BLE from " + o.address);
  gk::RecordingWriter writer(
      o.out, header, {.atomic = false, .flush_interval_us = 1'000'000, .link_journal = true});
  gk::link::LinkDecoder decoder(
      [&writer](gaitkeeper::pb::SensorPacket& p, int64_t) { writer.write(p); });
  std::unique_ptr<UdpForward> forward;
  if (!o.forward_udp.empty()) forward = std::make_unique<UdpForward>(o.forward_udp);
  std::mutex mu;  // decoder and writer: signal thread vs. main thread
  std::atomic<int64_t> last_rx_us{unix_now_us()};
  std::atomic<bool> connected{false};
  uint64_t notifications = 0, reconnects = 0, connects = 0;

  auto device = sdbus::createProxy(*conn, kBluez, device_path);
  device->uponSignal("PropertiesChanged")
      .onInterface(kProps)
      .call([&](const std::string& iface, const Props& changed, const std::vector<std::string>&) {
        if (iface != kDevice) return;
        const auto it = changed.find("Connected");
        if (it != changed.end() && !it->second.get<bool>()) connected = false;
      });
  device->finishRegistration();

  std::unique_ptr<sdbus::IProxy> stream;
  conn->enterEventLoopAsync();
  int64_t backoff_us = 20'000;
  const auto deadline = std::chrono::steady_clock::now() +
                        std::chrono::microseconds(static_cast<int64_t>(o.connect_timeout_s * 1e6));
  while (!g_stop) {
    if (!connected) {
      try {
        try {
          device->callMethod("Connect").onInterface(kDevice);
        } catch (const sdbus::Error& e) {
          // Connected by someone else (or BlueZ auto-connect) is as good.
          if (e.getName() != "org.bluez.Error.AlreadyConnected") throw;
        }
        const std::string char_path =
            find_stream_characteristic(managed_objects(*conn), device_path);
        if (char_path.empty()) throw std::runtime_error("stream characteristic not resolved yet");
        stream = sdbus::createProxy(*conn, kBluez, char_path);
        stream->uponSignal("PropertiesChanged")
            .onInterface(kProps)
            .call([&](const std::string& iface, const Props& changed,
                      const std::vector<std::string>&) {
              if (iface != kChar) return;
              const auto it = changed.find("Value");
              if (it == changed.end()) return;
              const auto value = it->second.get<std::vector<uint8_t>>();
              const int64_t now = unix_now_us();
              last_rx_us = now;
              std::lock_guard lock(mu);
              ++notifications;
              writer.write_link_chunk(now, value.data(), value.size());  // journal first
              if (forward) forward->send(value);
              decoder.push(value, now);
            });
        stream->finishRegistration();
        stream->callMethod("StartNotify").onInterface(kChar);
        {
          std::lock_guard lock(mu);
          if (connects++ > 0) {
            ++reconnects;
            decoder.link_reset();
          }
        }
        connected = true;
        backoff_us = 20'000;
        last_rx_us = unix_now_us();
        fmt::print("subscribed to {}\n", char_path);
        std::fflush(stdout);
      } catch (const std::exception& e) {
        if (connects == 0 && std::chrono::steady_clock::now() > deadline) {
          conn->leaveEventLoop();
          throw gk::InputError(o.address, 0,
                               fmt::format("cannot connect and subscribe: {}", e.what()));
        }
        std::this_thread::sleep_for(std::chrono::microseconds(backoff_us));
        backoff_us = std::min<int64_t>(backoff_us * 2, 1'000'000);
        continue;
      }
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
    if (o.idle_timeout_s > 0 &&
        unix_now_us() - last_rx_us > static_cast<int64_t>(o.idle_timeout_s * 1e6)) {
      break;
    }
  }
  conn->leaveEventLoop();
  stream.reset();
  std::lock_guard lock(mu);
  writer.close();
  const gk::link::LinkStats s = decoder.stats();
  fmt::print(
      "{}: {} notifications, {} packets; CRC failures {}, gaps {} ({} missing), reconnects {}\n",
      o.out.string(), notifications, s.packets, s.crc_failures, s.gaps, s.missing, reconnects);
  if (!o.stats.empty()) {
    const nlohmann::json j = {{"notifications", notifications},
                              {"bytes", s.bytes},
                              {"frames_ok", s.frames_ok},
                              {"crc_failures", s.crc_failures},
                              {"resyncs", s.resyncs},
                              {"packets", s.packets},
                              {"gaps", s.gaps},
                              {"missing", s.missing},
                              {"duplicates", s.duplicates},
                              {"reconnects", reconnects}};
    gk::AtomicFile f(o.stats);
    f.stream() << j.dump(2) << "\n";
    f.commit();
  }
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  Options o;
  CLI::App app{
      "gaitkeeper-ble-gateway: record a gaitkeeper pod over Bluetooth LE via BlueZ (D-Bus).\n"
      "Subscribes to the stream characteristic " GKFW_BLE_STREAM_CHAR_UUID
      ",\n"
      "decodes the frames (docs/protocol.md) and writes a .gkr with the raw notifications\n"
      "journaled. Reconnects when the pod drops out. Stops on Ctrl-C or --idle-timeout."};
  app.add_option("--address", o.address, "Bluetooth address of the pod, e.g. C0:FF:EE:00:00:01")
      ->required();
  app.add_option("-o,--out", o.out, "Recording to write")->required();
  app.add_option("--stats", o.stats, "Also write the link counters as JSON here");
  app.add_option("--idle-timeout", o.idle_timeout_s,
                 "Stop after this many seconds without a notification (0 = never)");
  app.add_option("--forward-udp", o.forward_udp,
                 "Also send the received bytes to HOST:PORT (e.g. gaitkeeper record --udp)");
  app.add_option("--connect-timeout", o.connect_timeout_s,
                 "Give up when the first connection fails this long")
      ->capture_default_str();
  CLI11_PARSE(app, argc, argv);
  std::signal(SIGINT, on_signal);
  std::signal(SIGTERM, on_signal);
  try {
    return run(o);
  } catch (const gk::InputError& e) {
    fmt::print(stderr, "error: {}\n", e.what());
    return 2;
  } catch (const std::exception& e) {
    fmt::print(stderr, "error: {}\n", e.what());
    return 1;
  }
}
