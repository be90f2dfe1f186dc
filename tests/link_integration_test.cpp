// The sensor link end to end, as separate processes over real transports: the
// emulator (the device firmware on a fake IMU, with seeded faults) writes to a
// real pseudo-terminal, loopback TCP or UDP; `gaitkeeper record` receives into
// a .gkr. The emulator logs each frame's fate; the recording must hold every
// delivered frame exactly once and nothing else, report exactly the missing
// ones, journal every received byte, and reconnect after every disconnect.
#include <gtest/gtest.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <map>
#include <nlohmann/json.hpp>
#include <set>
#include <sstream>
#include <string>

#include "cli_runner.hpp"
#include "link_decoder.hpp"
#include "packetizer.hpp"
#include "recording.hpp"
#include "session.hpp"

namespace {

namespace fs = std::filesystem;
using Key = std::pair<uint32_t, uint32_t>;  // device, sequence

const std::string kRecord = GK_EXE;
const std::string kEmulator = GK_EMULATOR_EXE;

using Dir = gk::test::CliScratch;

/// Starts a command, returns its stdout pipe after reading the first line.
FILE* start(const std::string& cmd, std::string& first_line) {
  FILE* p = ::popen(cmd.c_str(), "r");
  EXPECT_NE(p, nullptr) << cmd;
  char line[512] = {};
  if (p != nullptr && std::fgets(line, sizeof line, p) != nullptr) first_line = line;
  while (!first_line.empty() && (first_line.back() == '\n')) first_line.pop_back();
  return p;
}

int finish(FILE* p) {
  char buf[512];
  while (std::fgets(buf, sizeof buf, p) != nullptr) {
  }
  return ::pclose(p);
}

// Fault mix of the issue: 5 % drops, 0.1 % of bits flipped (one random bit
// in 0.8 % of bytes; 5-sample packets, ~110-byte frames, so about 40 % of
// frames arrive intact), garbage bursts,
// duplicates, reordering, clock drift; first sequence and device clock just
// before their 32-bit wraps.
std::string emulator_args(const fs::path& dir, double seconds, double disconnect_every_s,
                          double speed = 0) {
  std::ostringstream a;
  a << kEmulator << " --simulate " << seconds << " --sensors feet --rate 1000"
    << " --samples-per-packet 5"
    << " --speed " << speed << " --drop 5 --bitflip 0.8 --garbage 3 --garbage-max 300 --duplicate 2"
    << " --reorder 2 --drift-ppm 120 --first-sequence 4294967000 --clock-start 4294000000"
    << " --seed 11 --truth " << (dir / "truth.csv");
  if (disconnect_every_s > 0) a << " --disconnect-every " << disconnect_every_s;
  return a.str();
}

std::string record_args(const fs::path& dir, const std::string& link) {
  return kRecord + " record " + link + " -o " + (dir / "r.gkr").string() + " --stats " +
         (dir / "stats.json").string() + " --idle-timeout 3";
}

struct Outcome {
  std::map<Key, std::string> fate;
  std::multiset<Key> recorded;
  uint64_t journal_bytes = 0;
  nlohmann::json stats;
};

Outcome read_outcome(const fs::path& dir) {
  Outcome o;
  std::ifstream t(dir / "truth.csv");
  std::string line;
  std::getline(t, line);
  while (std::getline(t, line)) {
    std::istringstream s(line);
    std::string dev, seq, fate;
    std::getline(s, dev, ',');
    std::getline(s, seq, ',');
    std::getline(s, fate);
    o.fate[{static_cast<uint32_t>(std::stoul(dev)), static_cast<uint32_t>(std::stoul(seq))}] = fate;
  }
  gk::RecordingReader r(dir / "r.gkr");
  EXPECT_EQ(r.version(), gk::kRecordingVersionJournal);
  // The header lists the sensors the recorder saw (both feet of the emulator).
  EXPECT_EQ(r.header().sensors_size(), 2);
  while (auto e = r.next_entry()) {
    if (e->has_packet()) {
      o.recorded.insert({e->packet().device_id(), e->packet().sequence()});
    } else {
      o.journal_bytes += e->link_chunk().data().size();
    }
  }
  EXPECT_EQ(r.warning(), "");
  std::ifstream js(dir / "stats.json");
  o.stats = nlohmann::json::parse(js);
  return o;
}

void check(const Outcome& o, uint64_t expected_reconnects) {
  ASSERT_FALSE(o.fate.empty());
  // Every delivered frame exactly once; nothing that was not delivered.
  size_t delivered = 0;
  for (const auto& [key, fate] : o.fate) {
    if (fate == "delivered") {
      ++delivered;
      EXPECT_EQ(o.recorded.count(key), 1u) << key.first << ":" << key.second;
    } else {
      EXPECT_EQ(o.recorded.count(key), 0u) << key.first << ":" << key.second << " " << fate;
    }
  }
  EXPECT_EQ(o.recorded.size(), delivered);
  // Missing = not delivered between each device's first and last delivered
  // packet (in sequence order, which wraps at 2^32 here).
  std::map<uint32_t, std::vector<std::pair<uint32_t, bool>>> by_device;
  for (const auto& [key, fate] : o.fate) {
    by_device[key.first].push_back({key.second - 4294967000u, fate == "delivered"});
  }
  uint64_t missing = 0;
  for (auto& [dev, v] : by_device) {
    std::sort(v.begin(), v.end());
    size_t first = v.size(), last = 0;
    for (size_t i = 0; i < v.size(); ++i) {
      if (!v[i].second) continue;
      first = std::min(first, i);
      last = i;
    }
    for (size_t i = first; i < last; ++i) missing += !v[i].second;
  }
  EXPECT_EQ(o.stats["missing"].get<uint64_t>(), missing);
  uint64_t per_device = 0;
  for (const auto& d : o.stats["devices"]) per_device += d["missing"].get<uint64_t>();
  EXPECT_EQ(per_device, missing);
  EXPECT_EQ(o.stats["packets"].get<uint64_t>(), delivered);
  EXPECT_EQ(o.stats["packets_written"].get<uint64_t>(), delivered);
  EXPECT_EQ(o.stats["reconnects"].get<uint64_t>(), expected_reconnects);
  EXPECT_EQ(o.journal_bytes, o.stats["bytes"].get<uint64_t>());
  // The faults really happened and were seen.
  EXPECT_GT(o.stats["crc_failures"].get<uint64_t>(), 0u);
  EXPECT_GT(o.stats["resyncs"].get<uint64_t>(), 0u);
  EXPECT_GT(o.stats["duplicates"].get<uint64_t>(), 0u);
  EXPECT_GT(o.stats["late"].get<uint64_t>(), 0u);
  EXPECT_GT(missing, 0u);
  // Most frames get through the faults: at least a quarter of those sent.
  std::printf("[link] %zu of %zu frames delivered\n", static_cast<size_t>(delivered),
              o.fate.size());
  EXPECT_GT(4 * delivered, o.fate.size()) << delivered << " of " << o.fate.size();
}

TEST(LinkIntegration, PseudoTerminalWithFaultsAndDisconnects) {
  Dir dir("link_pty");
  const fs::path link = dir.dir() / "ttyGK";
  std::string pts;
  FILE* emu = start(emulator_args(dir.dir(), 12, 3) + " --pty --pty-link " + link.string(), pts);
  ASSERT_EQ(pts.rfind("/dev/pts/", 0), 0u) << pts;
  EXPECT_EQ(std::system(record_args(dir.dir(), "--serial " + link.string()).c_str()), 0);
  EXPECT_EQ(finish(emu), 0);
  check(read_outcome(dir.dir()), 3);  // disconnects at 3, 6 and 9 s
}

TEST(LinkIntegration, TcpServerWithFaultsAndDisconnects) {
  Dir dir("link_tcp");
  std::string port_line;
  FILE* emu = start(emulator_args(dir.dir(), 12, 3) + " --tcp-server 127.0.0.1:0", port_line);
  ASSERT_EQ(port_line.rfind("tcp port ", 0), 0u) << port_line;
  const std::string port = port_line.substr(9);
  EXPECT_EQ(std::system(record_args(dir.dir(), "--tcp 127.0.0.1:" + port).c_str()), 0);
  EXPECT_EQ(finish(emu), 0);
  check(read_outcome(dir.dir()), 3);
}

TEST(LinkIntegration, TcpClientToListeningRecorder) {
  Dir dir("link_tcpc");
  std::string port_line;
  FILE* rec = start(record_args(dir.dir(), "--tcp-listen 127.0.0.1:0"), port_line);
  ASSERT_EQ(port_line.rfind("listening on tcp port ", 0), 0u) << port_line;
  const std::string port = port_line.substr(22);
  EXPECT_EQ(std::system((emulator_args(dir.dir(), 12, 3) + " --tcp-client 127.0.0.1:" + port +
                         " > /dev/null")
                            .c_str()),
            0);
  EXPECT_EQ(finish(rec), 0);
  check(read_outcome(dir.dir()), 3);
}

TEST(LinkIntegration, UdpWithFaultsAndOutages) {
  Dir dir("link_udp");
  std::string port_line;
  FILE* rec = start(record_args(dir.dir(), "--udp 127.0.0.1:0"), port_line);
  ASSERT_EQ(port_line.rfind("listening on udp port ", 0), 0u) << port_line;
  const std::string port = port_line.substr(22);
  // Paced (10x real time): UDP has no flow control, so an unpaced sender
  // could overrun the receive buffer, which is a loss no decoder can see.
  EXPECT_EQ(std::system((emulator_args(dir.dir(), 12, 3, 10) + " --udp 127.0.0.1:" + port).c_str()),
            0);
  EXPECT_EQ(finish(rec), 0);
  check(read_outcome(dir.dir()), 0);  // UDP has no connection to lose
}

// A recording played through the firmware (fake ICM-42688-P FIFO, 16-bit
// timestamps extended on the device, nanopb, framing) and decoded on the host
// comes back sample for sample: same counts, same relative times.
TEST(LinkIntegration, RecordingPlaysThroughTheFirmwareUnchanged) {
  Dir dir("link_play");
  const fs::path rec = fs::path(GK_SOURCE_DIR) / "datasets" / "sim_run_feet_200hz.gkr";
  const fs::path bin = dir.dir() / "stream.bin";
  ASSERT_EQ(std::system((kEmulator + " --recording " + rec.string() + " --speed 0 --file " +
                         bin.string() + " --clock-start 4294900000 2>/dev/null")
                            .c_str()),
            0);
  std::ifstream in(bin, std::ios::binary);
  const std::vector<uint8_t> bytes((std::istreambuf_iterator<char>(in)),
                                   std::istreambuf_iterator<char>());
  std::map<uint32_t, std::vector<gk::ImuSample>> got;
  gk::link::LinkDecoder decoder(
      [&](gaitkeeper::pb::SensorPacket& p, int64_t) { gk::unpack(p, got[p.device_id()]); });
  decoder.push(bytes, 0);
  EXPECT_EQ(decoder.stats().crc_failures + decoder.stats().malformed, 0u);
  gk::Warnings warnings;
  const gk::Session original = gk::load_session(rec, warnings);
  ASSERT_EQ(got.size(), original.sensors.size());
  for (const gk::SensorStream& s : original.sensors) {
    const auto& mine = got[s.info.device_id()];
    // The last partial packet stays in the device (no flush at the end).
    ASSERT_GE(mine.size() + 20, s.samples.size());
    ASSERT_LE(mine.size(), s.samples.size());
    ASSERT_FALSE(mine.empty());
    const int64_t t0 = s.samples.front().t_us, m0 = mine.front().t_us;
    EXPECT_EQ(m0, 4294900000);  // the device clock it started at, unwrapped past 2^32 later
    for (size_t i = 0; i < mine.size(); ++i) {
      ASSERT_EQ(mine[i].t_us - m0, s.samples[i].t_us - t0) << i;
      ASSERT_EQ(mine[i].acc_mps2, s.samples[i].acc_mps2) << i;
      ASSERT_EQ(mine[i].gyr_rps, s.samples[i].gyr_rps) << i;
    }
    EXPECT_GT(mine.back().t_us, int64_t{1} << 32);
  }
}

TEST(LinkIntegration, RecordRejectsBadEndpoints) {
  Dir dir("link_bad_endpoints");
  const std::string out = (dir.dir() / "x.gkr").string();
  EXPECT_EQ(WEXITSTATUS(std::system((kRecord + " record -o " + out + " 2>/dev/null").c_str())), 2);
  EXPECT_EQ(WEXITSTATUS(std::system(
                (kRecord + " record --tcp nohost:99999 -o " + out + " 2>/dev/null").c_str())),
            2);
  EXPECT_FALSE(std::filesystem::exists(out)) << "nothing is written for a bad endpoint";
  // A serial device that is not there: retried for the duration, then an error saying why, and
  // no journal holding a header only.
  const std::string err = (dir.dir() / "err.txt").string();
  const std::string missing = (dir.dir() / "ttyNONE").string();
  EXPECT_EQ(WEXITSTATUS(std::system((kRecord + " record --serial " + missing + " --duration 1 -o " +
                                     out + " > /dev/null 2> " + err)
                                        .c_str())),
            2);
  std::ifstream in(err);
  const std::string said((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  EXPECT_NE(said.find("nothing was recorded: cannot open serial " + missing), std::string::npos)
      << said;
  EXPECT_NE(said.find("No such file or directory"), std::string::npos) << said;
  EXPECT_FALSE(std::filesystem::exists(out));
}

}  // namespace
