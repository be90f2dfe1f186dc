// Recordings (.gkr), CSV session folders and ground truth: round trips,
// damaged files and the error messages a user sees.
#include <fmt/format.h>
#include <gmock/gmock.h>
#include <google/protobuf/util/message_differencer.h>
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <array>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <functional>
#include <iterator>
#include <limits>
#include <numbers>
#include <random>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "atomic_file.hpp"
#include "input_error.hpp"
#include "packet_dedup.hpp"
#include "packet_order.hpp"
#include "packetizer.hpp"
#include "placement.hpp"
#include "recording.hpp"
#include "session.hpp"
#include "temp_dir.hpp"

namespace gk {
namespace {

namespace fs = std::filesystem;
using ::testing::HasSubstr;
using ::testing::Not;

using test::TempDir;
using test::write_text;

std::string read_bytes(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

std::vector<std::string> dir_entries(const fs::path& dir) {
  std::vector<std::string> names;
  for (const auto& e : fs::directory_iterator(dir)) names.push_back(e.path().filename().string());
  return names;
}

/// what() of the InputError f throws; fails the test when it throws nothing.
std::string input_error_of(const std::function<void()>& f) {
  try {
    f();
  } catch (const InputError& e) {
    return e.what();
  }
  ADD_FAILURE() << "expected an InputError";
  return {};
}

/// Random but plausible IMU data: ~1 g plus motion, rotation rates up to a few rad/s.
SensorStream random_stream(std::mt19937_64& rng, uint32_t device_id, pb::Placement placement,
                           size_t n, int64_t period_us, bool gyro) {
  std::normal_distribution<double> acc(0.0, 15.0);
  std::normal_distribution<double> gyr(0.0, 3.0);
  std::uniform_int_distribution<int64_t> jitter(-3, 3);
  SensorStream s;
  s.info.set_device_id(device_id);
  s.info.set_placement(placement);
  s.info.set_accel_range_g(16);
  s.info.set_gyro_range_dps(gyro ? 2000 : 0);
  s.info.set_nominal_rate_hz(1e6 / static_cast<double>(period_us));
  for (size_t i = 0; i < n; ++i) {
    ImuSample x;
    x.t_us = 1000 + static_cast<int64_t>(i) * period_us + (i % 7 == 3 ? jitter(rng) : 0);
    x.acc_mps2 = Eigen::Vector3d(acc(rng), acc(rng), kGravity_mps2 + acc(rng));
    x.has_gyro = gyro;
    if (gyro) x.gyr_rps = Eigen::Vector3d(gyr(rng), gyr(rng), gyr(rng));
    s.samples.push_back(x);
  }
  return s;
}

Session random_session(uint64_t seed) {
  std::mt19937_64 rng(seed);
  Session s;
  s.header.set_session_id("rand");
  s.header.set_athlete("tester");
  s.header.set_activity(pb::RUNNING);
  s.header.set_treadmill_speed_mps(3.2);
  s.sensors.push_back(random_stream(rng, 1, pb::LEFT_FOOT, 503, 5000, true));
  s.sensors.push_back(random_stream(rng, 2, pb::RIGHT_SHANK, 401, 5000, true));
  s.sensors.push_back(random_stream(rng, 3, pb::PELVIS, 250, 10000, false));
  for (const auto& x : s.sensors) *s.header.add_sensors() = x.info;
  return s;
}

/// Equal within int16 quantisation (`quantised`: half an LSB of b's ranges per
/// value), plus what 9 significant digits of CSV text can add; times exact.
/// Without `quantised`, within the text's digits alone.
void expect_close_streams(const SensorStream& a, const SensorStream& b, bool quantised = true) {
  ASSERT_EQ(a.samples.size(), b.samples.size());
  const double alsb = quantised ? accel_lsb_mps2(b.info.accel_range_g()) : 0.0;
  const double glsb =
      quantised && b.info.gyro_range_dps() > 0 ? gyro_lsb_rps(b.info.gyro_range_dps()) : 0.0;
  const auto tolerance = [](double lsb, double v) {
    return 0.5 * lsb + 1e-8 * std::abs(v) + 1e-12;
  };
  for (size_t i = 0; i < a.samples.size(); ++i) {
    const ImuSample& x = a.samples[i];
    const ImuSample& y = b.samples[i];
    ASSERT_EQ(x.t_us, y.t_us) << "sample " << i;
    for (int k = 0; k < 3; ++k) {
      ASSERT_NEAR(x.acc_mps2[k], y.acc_mps2[k], tolerance(alsb, x.acc_mps2[k])) << i;
      if (glsb > 0) {
        ASSERT_NEAR(x.gyr_rps[k], y.gyr_rps[k], tolerance(glsb, x.gyr_rps[k])) << i;
      }
    }
    ASSERT_EQ(x.has_gyro, y.has_gyro);
  }
}

/// A recording of several small packets; returns the byte offset where each
/// packet record starts (and the end of file last).
std::vector<uint64_t> write_test_recording(const fs::path& path,
                                           std::vector<pb::SensorPacket>& sent,
                                           pb::SessionHeader& header) {
  std::mt19937_64 rng(42);
  const SensorStream s = random_stream(rng, 1, pb::LEFT_FOOT, 200, 5000, true);
  header.set_session_id("trunc");
  header.set_athlete("a");
  *header.add_sensors() = s.info;
  PacketizerSettings ps;
  ps.placement = pb::LEFT_FOOT;
  ps.sample_period_us = 5000;
  ps.samples_per_packet = 20;
  Packetizer packetizer(ps);
  for (const ImuSample& x : s.samples) {
    if (packetizer.push(x)) sent.push_back(packetizer.take());
  }
  // Optional fields must survive too.
  sent[1].set_temperature_c(31.5f);
  sent[2].set_battery_pct(87.0f);
  std::vector<uint64_t> offsets;
  RecordingWriter w(path, header);
  for (const auto& p : sent) {
    offsets.push_back(w.bytes_written());
    w.write(p);
  }
  offsets.push_back(w.bytes_written());
  w.close();
  return offsets;
}

bool same(const google::protobuf::Message& a, const google::protobuf::Message& b) {
  return google::protobuf::util::MessageDifferencer::Equals(a, b);
}

// ---- Recording writer / reader ----------------------------------------------

TEST(Recording, WriterReaderRoundTripExact) {
  TempDir tmp;
  const fs::path path = tmp / "r.gkr";
  std::vector<pb::SensorPacket> sent;
  pb::SessionHeader header;
  header.set_treadmill_speed_mps(3.0);
  header.set_notes("notes with \n newline");
  const auto offsets = write_test_recording(path, sent, header);

  RecordingReader r(path);
  EXPECT_TRUE(same(r.header(), header));
  size_t i = 0;
  while (auto p = r.next()) {
    ASSERT_LT(i, sent.size());
    EXPECT_TRUE(same(*p, sent[i])) << "packet " << i;
    ++i;
  }
  EXPECT_EQ(i, sent.size());
  EXPECT_EQ(r.warning(), "");
  EXPECT_EQ(r.offset(), offsets.back());
  EXPECT_EQ(fs::file_size(path), offsets.back());
  const std::string bytes = read_bytes(path);
  EXPECT_EQ(bytes.substr(0, 8), std::string(kRecordingMagic, 8));
  EXPECT_EQ(bytes.substr(8, 4), std::string("\x01\x00\x00\x00", 4));
}

TEST(Recording, DirectModeIsReadableWhileBeingWritten) {
  TempDir tmp;
  const fs::path path = tmp / "live.gkr";
  pb::SessionHeader header;
  header.set_session_id("live");
  pb::SensorPacket p;
  p.set_device_id(1);
  p.set_sequence(0);
  p.add_accel(1);
  p.add_accel(2);
  p.add_accel(3);
  {
    RecordingWriter w(path, header, {.atomic = false, .flush_interval_us = 0});
    w.write(p);
    {
      RecordingReader r(path);
      EXPECT_EQ(r.header().session_id(), "live");
      auto got = r.next();
      ASSERT_TRUE(got.has_value());
      EXPECT_TRUE(same(*got, p));
      EXPECT_FALSE(r.next().has_value());
      EXPECT_EQ(r.warning(), "");
    }
    p.set_sequence(1);
    w.write(p);
    // Destroyed without close(): a journal keeps everything written.
  }
  RecordingReader r(path);
  int n = 0;
  while (r.next()) ++n;
  EXPECT_EQ(n, 2);
}

TEST(Recording, FlushIntervalMakesPacketsVisible) {
  TempDir tmp;
  const fs::path path = tmp / "live.gkr";
  pb::SessionHeader header;
  RecordingWriter w(path, header, {.atomic = false, .flush_interval_us = 0});
  pb::SensorPacket p;
  p.add_accel(7);
  p.add_accel(8);
  p.add_accel(9);
  for (uint32_t i = 0; i < 3; ++i) {
    p.set_sequence(i);
    w.write(p);
  }
  EXPECT_EQ(fs::file_size(path), w.bytes_written());
  {
    // Another reader sees every packet while the writer is still open.
    RecordingReader r(path);
    int n = 0;
    while (r.next()) ++n;
    EXPECT_EQ(n, 3);
  }
  w.close();
  EXPECT_NO_THROW(w.close());  // idempotent
  EXPECT_EQ(fs::file_size(path), w.bytes_written());
}

TEST(Recording, AtomicWriterDestroyedWithoutCloseLeavesNothing) {
  TempDir tmp;
  const fs::path path = tmp / "batch.gkr";
  {
    RecordingWriter w(path, pb::SessionHeader{});
    pb::SensorPacket p;
    p.add_accel(1);
    p.add_accel(1);
    p.add_accel(1);
    w.write(p);
    w.flush();
  }
  EXPECT_FALSE(fs::exists(path));
  EXPECT_THAT(dir_entries(tmp.path()), ::testing::IsEmpty());
}

TEST(Recording, AtomicWriterReplacesTargetOnlyOnClose) {
  TempDir tmp;
  const fs::path path = tmp / "batch.gkr";
  write_text(path, "old content");
  {
    RecordingWriter w(path, pb::SessionHeader{});
    EXPECT_EQ(read_bytes(path), "old content");
    w.close();
  }
  EXPECT_NO_THROW(RecordingReader{path});
  EXPECT_THAT(dir_entries(tmp.path()), ::testing::ElementsAre("batch.gkr"));
}

TEST(AtomicFile, DestroyedWithoutCommitLeavesNoTargetAndNoTemp) {
  TempDir tmp;
  {
    AtomicFile f(tmp / "x.csv");
    f.stream() << "partial";
  }
  EXPECT_THAT(dir_entries(tmp.path()), ::testing::IsEmpty());
  {
    AtomicFile f(tmp / "y.csv");
    f.stream() << "whole";
    f.commit();
  }
  EXPECT_THAT(dir_entries(tmp.path()), ::testing::ElementsAre("y.csv"));
  EXPECT_EQ(read_bytes(tmp / "y.csv"), "whole");
}

TEST(AtomicFile, FollowsALinkAndWritesThroughAPipe) {
  TempDir tmp;
  // A symbolic link: the file it names gets the data, the link stays a link.
  write_text(tmp / "real.csv", "old");
  fs::create_symlink("real.csv", tmp / "link.csv");
  {
    AtomicFile f(tmp / "link.csv");
    f.stream() << "new";
    f.commit();
  }
  EXPECT_TRUE(fs::is_symlink(tmp / "link.csv"));
  EXPECT_EQ(read_bytes(tmp / "real.csv"), "new");
  // A pipe is written into, not replaced by a regular file.
  const fs::path fifo = tmp / "pipe";
  ASSERT_EQ(::mkfifo(fifo.c_str(), 0600), 0);
  std::string got;
  std::thread reader([&] {
    std::ifstream in(fifo, std::ios::binary);
    got.assign(std::istreambuf_iterator<char>(in), {});
  });
  {
    AtomicFile f(fifo);
    f.stream() << "through";
    f.commit();
  }
  reader.join();
  EXPECT_EQ(got, "through");
  EXPECT_TRUE(fs::is_fifo(fifo));
  // A folder is refused by name.
  fs::create_directories(tmp / "folder");
  EXPECT_THAT(input_error_of([&] { AtomicFile f(tmp / "folder"); }), HasSubstr("is a folder"));
}

TEST(AtomicFile, MissingFolderIsInputError) {
  TempDir tmp;
  const std::string what = input_error_of([&] { AtomicFile f(tmp / "no/such/dir/x.csv"); });
  EXPECT_THAT(what, HasSubstr("x.csv"));
}

TEST(Recording, TruncatedTailReturnsCompletePacketsAndNamesOffset) {
  TempDir tmp;
  const fs::path path = tmp / "full.gkr";
  std::vector<pb::SensorPacket> sent;
  pb::SessionHeader header;
  const auto offsets = write_test_recording(path, sent, header);
  const std::string bytes = read_bytes(path);
  const size_t n = sent.size();
  ASSERT_GE(n, 5u);
  // Cuts inside each of the last three packets: in the length prefix, one
  // byte into the body, halfway, one byte short.
  for (size_t k = n - 3; k < n; ++k) {
    const uint64_t start = offsets[k];
    const uint64_t end = offsets[k + 1];
    for (uint64_t cut : {start + 1, start + 2, (start + end) / 2, end - 1}) {
      const fs::path cut_path = tmp / fmt::format("cut_{}.gkr", cut);
      write_text(cut_path, bytes.substr(0, cut));
      RecordingReader r(cut_path);
      size_t got = 0;
      while (auto p = r.next()) {
        ASSERT_LT(got, k);
        EXPECT_TRUE(same(*p, sent[got]));
        ++got;
      }
      EXPECT_EQ(got, k) << "cut at " << cut;
      EXPECT_THAT(r.warning(), HasSubstr(cut_path.string()));
      EXPECT_THAT(r.warning(), HasSubstr(fmt::format("truncated record at byte {}", start)));
      EXPECT_THAT(r.warning(), HasSubstr(fmt::format("the {} bytes before it were read", start)));
      EXPECT_EQ(r.offset(), start);
      EXPECT_FALSE(r.next().has_value());  // stays ended
    }
  }
  // A cut exactly between records is a clean end.
  const fs::path clean = tmp / "clean.gkr";
  write_text(clean, bytes.substr(0, offsets[n - 1]));
  RecordingReader r(clean);
  size_t got = 0;
  while (r.next()) ++got;
  EXPECT_EQ(got, n - 1);
  EXPECT_EQ(r.warning(), "");
}

TEST(Recording, TruncatedMessageReportsBytesPresent) {
  TempDir tmp;
  const fs::path path = tmp / "full.gkr";
  std::vector<pb::SensorPacket> sent;
  pb::SessionHeader header;
  const auto offsets = write_test_recording(path, sent, header);
  const uint64_t start = offsets[sent.size() - 1];
  const uint64_t body = start + 1 + (sent.back().ByteSizeLong() >= 128 ? 1 : 0);
  const uint64_t cut = body + 10;
  write_text(tmp / "cut.gkr", read_bytes(path).substr(0, cut));
  Warnings w;
  const Session s = read_recording(tmp / "cut.gkr", w);
  ASSERT_EQ(w.size(), 1u);
  EXPECT_THAT(w[0], HasSubstr(fmt::format("truncated record at byte {}: 10 bytes of {} present",
                                          start, sent.back().ByteSizeLong())));
  EXPECT_EQ(s.sensors.at(0).samples.size(), (sent.size() - 1) * 20);
}

TEST(Recording, GarbageAppendedEndsStreamWithWarning) {
  TempDir tmp;
  const fs::path path = tmp / "full.gkr";
  std::vector<pb::SensorPacket> sent;
  pb::SessionHeader header;
  const auto offsets = write_test_recording(path, sent, header);
  const std::string bytes = read_bytes(path);
  const std::vector<std::pair<std::string, std::string>> tails = {
      {std::string(20, '\xff'), "corrupt record"},                     // malformed varint
      {"this is not a packet at all", "truncated record"},             // length past EOF
      {std::string("\x05\xff\xff\xff\xff\xff", 6), "corrupt record"},  // invalid wire data
      {std::string("\x80\x80\x80\x40", 4) + std::string(64, 'x'), "over the 16 MiB limit"},
      {std::string("\x03\x30\x01\x01", 4), "corrupt record"},  // parses, but 1 accel count
  };
  for (size_t i = 0; i < tails.size(); ++i) {
    const fs::path g = tmp / fmt::format("garbage_{}.gkr", i);
    write_text(g, bytes + tails[i].first);
    RecordingReader r(g);
    size_t got = 0;
    while (r.next()) ++got;
    EXPECT_EQ(got, sent.size()) << "tail " << i;
    EXPECT_THAT(r.warning(), HasSubstr(tails[i].second)) << "tail " << i;
    EXPECT_THAT(r.warning(), HasSubstr(fmt::format("at byte {}", offsets.back()))) << "tail " << i;
  }
}

TEST(Recording, BadFilesAreInputErrors) {
  TempDir tmp;
  EXPECT_THAT(input_error_of([&] { RecordingReader r(tmp / "missing.gkr"); }),
              HasSubstr("missing.gkr: file not found"));

  write_text(tmp / "magic.gkr", "GKREC\r\n\x1b\x01\x00\x00\x00");
  EXPECT_THAT(input_error_of([&] { RecordingReader r(tmp / "magic.gkr"); }),
              HasSubstr("wrong magic"));
  write_text(tmp / "short.gkr", "GK");
  EXPECT_THAT(input_error_of([&] { RecordingReader r(tmp / "short.gkr"); }),
              HasSubstr("wrong magic"));

  write_text(tmp / "version.gkr",
             std::string(kRecordingMagic, 8) + std::string("\x03\x00\x00\x00", 4));
  EXPECT_THAT(input_error_of([&] { RecordingReader r(tmp / "version.gkr"); }),
              HasSubstr("unsupported recording format version 3"));

  write_text(tmp / "noheader.gkr",
             std::string(kRecordingMagic, 8) + std::string("\x01\x00\x00\x00", 4));
  EXPECT_THAT(input_error_of([&] { RecordingReader r(tmp / "noheader.gkr"); }),
              HasSubstr("unreadable session header"));

  write_text(tmp / "badheader.gkr",
             std::string(kRecordingMagic, 8) + std::string("\x01\x00\x00\x00", 4) + "\x40xx");
  EXPECT_THAT(input_error_of([&] { RecordingReader r(tmp / "badheader.gkr"); }),
              HasSubstr("unreadable session header: truncated record at byte 12"));

  Warnings w;
  EXPECT_THAT(input_error_of([&] { load_session(tmp / "nothing_here", w); }),
              HasSubstr("not found"));
}

// ---- Whole sessions as recordings -------------------------------------------

TEST(SessionRecording, RoundTripWithinQuantisation) {
  TempDir tmp;
  const Session in = random_session(7);
  write_recording(tmp / "s.gkr", in, 16);
  Warnings w;
  const Session out = read_recording(tmp / "s.gkr", w);
  EXPECT_THAT(w, ::testing::IsEmpty());
  EXPECT_EQ(out.header.session_id(), "rand");
  EXPECT_EQ(out.header.activity(), pb::RUNNING);
  EXPECT_DOUBLE_EQ(out.header.treadmill_speed_mps(), 3.2);
  ASSERT_EQ(out.sensors.size(), 3u);
  for (size_t i = 0; i < 3; ++i) {
    EXPECT_TRUE(same(out.sensors[i].info, in.sensors[i].info));
    expect_close_streams(in.sensors[i], out.sensors[i]);
  }
  EXPECT_FALSE(out.sensors[2].samples.front().has_gyro);
}

TEST(SessionRecording, PacketsInterleavedInTimeOrder) {
  TempDir tmp;
  write_recording(tmp / "s.gkr", random_session(3), 20);
  RecordingReader r(tmp / "s.gkr");
  int64_t last = std::numeric_limits<int64_t>::min();
  std::set<uint32_t> devices;
  while (auto p = r.next()) {
    EXPECT_GE(p->t_first_us(), last);
    last = p->t_first_us();
    devices.insert(p->device_id());
  }
  EXPECT_EQ(devices.size(), 3u);
}

TEST(SessionRecording, UnsetRangesAreChosenFromData) {
  TempDir tmp;
  Session in = random_session(5);
  for (auto& s : in.sensors) {
    s.info.set_accel_range_g(0);
    s.info.set_gyro_range_dps(0);
    for (auto& x : s.samples) {
      x.acc_mps2 = x.acc_mps2.cwiseMin(2.5 * kGravity_mps2).cwiseMax(-2.5 * kGravity_mps2);
      x.gyr_rps = x.gyr_rps.cwiseMin(7.0).cwiseMax(-7.0);  // ~401 deg/s
    }
  }
  write_recording(tmp / "s.gkr", in);
  Warnings w;
  const Session out = read_recording(tmp / "s.gkr", w);
  EXPECT_EQ(out.sensors[0].info.accel_range_g(), 4u);
  EXPECT_EQ(out.sensors[0].info.gyro_range_dps(), 500u);
  EXPECT_EQ(out.sensors[2].info.gyro_range_dps(), 0u);
}

TEST(SessionRecording, DuplicateAndUnknownDevicePacketsAreReported) {
  TempDir tmp;
  pb::SessionHeader header;
  pb::SensorInfo* info = header.add_sensors();
  info->set_device_id(1);
  info->set_placement(pb::LEFT_FOOT);
  info->set_accel_range_g(16);
  info->set_gyro_range_dps(2000);
  PacketizerSettings ps;
  ps.device_id = 1;
  ps.samples_per_packet = 2;
  Packetizer pk(ps);
  std::vector<pb::SensorPacket> packets;
  for (int i = 0; i < 6; ++i) {
    ImuSample x;
    x.t_us = i * 1000;
    if (pk.push(x)) packets.push_back(pk.take());
  }
  ps.device_id = 9;
  ps.placement = pb::PELVIS;
  Packetizer other(ps);
  ImuSample x;
  x.t_us = 500;
  other.push(x);
  {
    RecordingWriter w(tmp / "d.gkr", header);
    w.write(packets[0]);
    w.write(packets[1]);
    w.write(packets[0]);  // a retransmission
    w.write(other.take());
    w.write(packets[2]);
    w.write(packets[1]);
    w.close();
  }
  Warnings warnings;
  const Session s = read_recording(tmp / "d.gkr", warnings);
  ASSERT_EQ(s.sensors.size(), 2u);
  EXPECT_EQ(s.sensors[0].samples.size(), 6u);
  for (size_t i = 0; i < 6; ++i)
    EXPECT_EQ(s.sensors[0].samples[i].t_us, static_cast<int64_t>(i) * 1000);
  EXPECT_EQ(s.sensors[1].info.device_id(), 9u);
  EXPECT_EQ(s.sensors[1].info.placement(), pb::PELVIS);
  EXPECT_EQ(s.header.sensors_size(), 2);
  EXPECT_THAT(warnings, ::testing::Contains(HasSubstr("skipped 2 duplicate packets of device 1")));
  EXPECT_THAT(warnings, ::testing::Contains(HasSubstr("device 9 (pelvis)")));
}

// ---- CSV sessions --------------------------------------------------------------

constexpr const char* kTwoSensorJson = R"({
  "athlete": "hand",
  "activity": "walking",
  "treadmill_speed_mps": 1.4,
  "unknown_key": {"ignored": true},
  "sensors": [
    {"file": "lf.csv", "placement": "left_foot"},
    {"file": "p.csv", "placement": "pelvis", "accel_range_g": 8}
  ]
}
)";

TEST(CsvSession, UnitsColumnOrderAndExtraColumns) {
  TempDir tmp;
  const fs::path dir = tmp / "walk_01";
  write_text(dir / "session.json", kTwoSensorJson);
  // Milliseconds, g and deg/s, columns shuffled, an extra column.
  write_text(dir / "lf.csv",
             "gz[deg/s],t[ms],ax[g],temp,ay[g],az[g],gx[deg/s],gy[deg/s]\r\n"
             "180,0,1,25.1,0,-0.5,90,0\r\n"
             "-90,10,2,25.1,0.5,0,0,45\r\n"
             "0,20.001,0,x,0,1,0,0\r\n");
  // Microseconds, SI without brackets, accelerometer only.
  write_text(dir / "p.csv",
             " t[us] , ax , ay , az \n"
             "1000,1.5,0,9.81\n"
             "3000,-1.5,0,9.81\n"
             "\n");
  Warnings w;
  const Session s = read_csv_session(dir, w);
  EXPECT_THAT(w, ::testing::IsEmpty());
  EXPECT_EQ(s.header.session_id(), "walk_01");
  EXPECT_EQ(s.header.athlete(), "hand");
  EXPECT_EQ(s.header.activity(), pb::WALKING);
  EXPECT_DOUBLE_EQ(s.header.treadmill_speed_mps(), 1.4);
  ASSERT_EQ(s.header.sensors_size(), 2);
  ASSERT_EQ(s.sensors.size(), 2u);

  const SensorStream& lf = s.sensors[0];
  EXPECT_EQ(lf.info.device_id(), 1u);
  EXPECT_EQ(lf.info.placement(), pb::LEFT_FOOT);
  EXPECT_EQ(lf.info.source_file(), "lf.csv");
  ASSERT_EQ(lf.samples.size(), 3u);
  EXPECT_EQ(lf.samples[0].t_us, 0);
  EXPECT_EQ(lf.samples[1].t_us, 10'000);
  EXPECT_EQ(lf.samples[2].t_us, 20'001);
  EXPECT_DOUBLE_EQ(lf.samples[0].acc_mps2.x(), kGravity_mps2);
  EXPECT_DOUBLE_EQ(lf.samples[0].acc_mps2.z(), -0.5 * kGravity_mps2);
  EXPECT_DOUBLE_EQ(lf.samples[1].acc_mps2.x(), 2.0 * kGravity_mps2);
  EXPECT_DOUBLE_EQ(lf.samples[0].gyr_rps.z(), std::numbers::pi);
  EXPECT_DOUBLE_EQ(lf.samples[0].gyr_rps.x(), std::numbers::pi / 2);
  EXPECT_DOUBLE_EQ(lf.samples[1].gyr_rps.y(), std::numbers::pi / 4);
  EXPECT_TRUE(lf.samples[0].has_gyro);
  EXPECT_NEAR(lf.info.nominal_rate_hz(), 100.0, 0.01);
  // Max 2 g -> the 4 g range (2 g would clip at +32767 counts); 180 deg/s -> 250.
  EXPECT_EQ(lf.info.accel_range_g(), 4u);
  EXPECT_EQ(lf.info.gyro_range_dps(), 250u);

  const SensorStream& p = s.sensors[1];
  EXPECT_EQ(p.info.device_id(), 2u);
  EXPECT_EQ(p.info.placement(), pb::PELVIS);
  EXPECT_EQ(p.info.accel_range_g(), 8u);  // from session.json
  EXPECT_EQ(p.info.gyro_range_dps(), 0u);
  ASSERT_EQ(p.samples.size(), 2u);
  EXPECT_EQ(p.samples[1].t_us, 3000);
  EXPECT_DOUBLE_EQ(p.samples[1].acc_mps2.x(), -1.5);
  EXPECT_FALSE(p.samples[0].has_gyro);
  EXPECT_EQ(p.samples[0].gyr_rps, Eigen::Vector3d::Zero());
  EXPECT_DOUBLE_EQ(p.info.nominal_rate_hz(), 500.0);
}

TEST(CsvSession, RateOfNonIntegerPeriodIsRecovered) {
  TempDir tmp;
  const fs::path dir = tmp / "s";
  write_text(dir / "session.json",
             R"({"sensors": [{"file": "a.csv", "placement": "right_foot"}]})");
  std::string csv = "t,ax,ay,az\n";
  for (int i = 0; i < 2000; ++i) {
    if (i == 1000) continue;  // a dropped sample must not bias the rate
    csv += fmt::format("{:.6f},0,0,9.8\n", i / 204.8);
  }
  write_text(dir / "a.csv", csv);
  Warnings w;
  const Session s = read_csv_session(dir, w);
  EXPECT_NEAR(s.sensors[0].info.nominal_rate_hz(), 204.8, 0.01);
  EXPECT_EQ(s.sensors[0].samples[1].t_us, 4883);
  EXPECT_EQ(s.header.activity(), pb::ACTIVITY_UNKNOWN);
}

TEST(CsvSession, CsvToRecordingToCsvWithinQuantisation) {
  TempDir tmp;
  Session original = random_session(11);
  for (auto& s : original.sensors) {
    s.info.set_accel_range_g(0);  // let the CSV reader choose
    s.info.set_gyro_range_dps(0);
  }
  write_csv_session(tmp / "a", original);
  EXPECT_TRUE(fs::exists(tmp / "a" / "left_foot.csv"));
  EXPECT_TRUE(fs::exists(tmp / "a" / "pelvis.csv"));
  EXPECT_THAT(read_bytes(tmp / "a" / "pelvis.csv"),
              ::testing::StartsWith("t[s],ax[m/s^2],ay[m/s^2],az[m/s^2]\n0.001000,"));

  Warnings w;
  const Session csv1 = read_csv_session(tmp / "a", w);
  write_recording(tmp / "a.gkr", csv1);
  const Session rec = read_recording(tmp / "a.gkr", w);
  write_csv_session(tmp / "b", rec);
  const Session csv2 = read_csv_session(tmp / "b", w);
  EXPECT_THAT(w, ::testing::IsEmpty());

  ASSERT_EQ(csv2.sensors.size(), 3u);
  EXPECT_EQ(csv2.header.athlete(), "tester");
  EXPECT_EQ(csv2.header.activity(), pb::RUNNING);
  EXPECT_DOUBLE_EQ(csv2.header.treadmill_speed_mps(), 3.2);
  for (size_t i = 0; i < 3; ++i) {
    EXPECT_EQ(csv2.sensors[i].info.placement(), original.sensors[i].info.placement());
    EXPECT_EQ(csv2.sensors[i].info.accel_range_g(), csv1.sensors[i].info.accel_range_g());
    EXPECT_EQ(csv2.sensors[i].info.gyro_range_dps(), csv1.sensors[i].info.gyro_range_dps());
    EXPECT_NEAR(csv2.sensors[i].info.nominal_rate_hz(), csv1.sensors[i].info.nominal_rate_hz(),
                1e-9);
    expect_close_streams(original.sensors[i], csv1.sensors[i], false);  // 9 digits of text
    expect_close_streams(csv1.sensors[i], csv2.sensors[i]);             // half an LSB
  }
  // The data (|a| up to ~5 sigma of 15 m/s^2) needs more than 4 g but not 16 g.
  EXPECT_EQ(csv1.sensors[0].info.accel_range_g(), 8u);
}

TEST(CsvSession, FileNamesStayUnique) {
  Session s = random_session(1);
  s.sensors[0].info.set_source_file("shoe.csv");
  s.sensors[1].info.set_placement(pb::LEFT_FOOT);
  s.sensors[2].info.set_source_file("../escape.csv");
  EXPECT_THAT(csv_file_names(s), ::testing::ElementsAre("shoe.csv", "left_foot.csv", "pelvis.csv"));
  s.sensors[0].info.clear_source_file();
  EXPECT_THAT(csv_file_names(s),
              ::testing::ElementsAre("left_foot_1.csv", "left_foot_2.csv", "pelvis.csv"));
}

TEST(CsvSession, SensorWithoutPlacementCannotBeWritten) {
  TempDir tmp;
  Session s = random_session(1);
  s.sensors[1].info.set_placement(pb::PLACEMENT_UNKNOWN);
  EXPECT_THAT(input_error_of([&] { write_csv_session(tmp / "x", s); }),
              HasSubstr("sensor 2 (device 2) has no placement"));
  EXPECT_FALSE(fs::exists(tmp / "x" / "session.json"));
}

/// A one-sensor session whose CSV is `csv`; returns what() of the error.
std::string csv_error(const TempDir& tmp, const std::string& csv) {
  const fs::path dir = tmp / "bad";
  write_text(dir / "session.json", R"({"sensors": [{"file": "x.csv", "placement": "left_foot"}]})");
  write_text(dir / "x.csv", csv);
  Warnings w;
  return input_error_of([&] { read_csv_session(dir, w); });
}

/// A session folder of one left shoe whose CSV (x.csv) is `csv`.
fs::path one_shoe_session(const TempDir& tmp, const std::string& csv) {
  const fs::path dir = tmp / "s";
  write_text(dir / "session.json", R"({"sensors": [{"file": "x.csv", "placement": "left_foot"}]})");
  write_text(dir / "x.csv", csv);
  return dir;
}

// A logger writes "nan" (or "inf") for a reading it did not get. That is degenerate sensor data
// for the analysis to skip and mark (the issue's bad input), not a broken file: the samples are
// read, the reader says how many and where, and a recording made from the file leaves them out
// (a packet holds int16 counts, which a NaN has none of).
TEST(CsvSession, NanReadingsAreSensorData) {
  TempDir tmp;
  Warnings w;
  const Session s = read_csv_session(
      one_shoe_session(tmp,
                       "t,ax,ay,az,gx,gy,gz\n0,0,0,9.8,0,0,0\n0.01,0,0,9.8,0,0,0\n"
                       "0.02,0,NaN,9.8,0,0,0\n0.03,-inf,0,9.8,inf,0,0\n0.04,0,0,9.8,0,0,0\n"),
      w);
  ASSERT_EQ(s.sensors.size(), 1u);
  ASSERT_EQ(s.sensors[0].samples.size(), 5u);
  EXPECT_TRUE(std::isnan(s.sensors[0].samples[2].acc_mps2.y()));
  EXPECT_TRUE(std::isinf(s.sensors[0].samples[3].gyr_rps.x()));
  // An infinite reading sets no range (it would have taken the largest of each).
  EXPECT_EQ(s.sensors[0].info.accel_range_g(), 2u);
  EXPECT_EQ(s.sensors[0].info.gyro_range_dps(), 250u);
  ASSERT_EQ(w.size(), 1u);
  EXPECT_THAT(w[0],
              HasSubstr("x.csv: 2 samples hold NaN or infinite readings, the first on line 4"));

  write_recording(tmp / "s.gkr", s);
  Warnings rw;
  const Session back = read_recording(tmp / "s.gkr", rw);
  ASSERT_EQ(back.sensors.size(), 1u);
  std::vector<int64_t> times;
  for (const ImuSample& x : back.sensors[0].samples) times.push_back(x.t_us);
  EXPECT_EQ(times, (std::vector<int64_t>{0, 10'000, 40'000}));
}

// A sensor clock that steps back or repeats a time is sensor data too (the issue's bad input):
// the samples are read in file order, the reader says where the time first failed to advance,
// the analysis skips them and marks where (BadInput.TimestampsGoBackwards), and a recording
// made from the file keeps them where they were (signed time offsets, packets in sequence order),
// so that its analysis meets them as the CSV's does.
TEST(CsvSession, TimeThatStepsBackIsSensorData) {
  TempDir tmp;
  Warnings w;
  const Session s = read_csv_session(
      one_shoe_session(tmp,
                       "t,ax,ay,az,gx,gy,gz\n0,0,0,9.8,0,0,0\n0.01,0,0,9.8,0,0,0\n"
                       "0.02,0,0,9.8,0,0,0\n0.015,0,0,9.8,0,0,0\n0.02,0,0,9.8,0,0,0\n"
                       "0.03,0,0,9.8,0,0,0\n"),
      w);
  ASSERT_EQ(s.sensors.size(), 1u);
  std::vector<int64_t> read;
  for (const ImuSample& x : s.sensors[0].samples) read.push_back(x.t_us);
  EXPECT_EQ(read, (std::vector<int64_t>{0, 10'000, 20'000, 15'000, 20'000, 30'000}));
  EXPECT_DOUBLE_EQ(s.sensors[0].info.nominal_rate_hz(), 100.0);
  ASSERT_EQ(w.size(), 1u);
  EXPECT_THAT(w[0], HasSubstr("x.csv: time does not advance on 2 lines, the first on line 5 "
                              "(t = 0.015 after t = 0.02 on line 4)"));

  write_recording(tmp / "s.gkr", s);
  Warnings rw;
  const Session back = read_recording(tmp / "s.gkr", rw);
  ASSERT_EQ(back.sensors.size(), 1u);
  std::vector<int64_t> kept;
  for (const ImuSample& x : back.sensors[0].samples) kept.push_back(x.t_us);
  EXPECT_EQ(kept, read);
  // The same across packets: the step back at a packet's start.
  write_recording(tmp / "s3.gkr", s, 3);
  const Session back3 = read_recording(tmp / "s3.gkr", rw);
  kept.clear();
  for (const ImuSample& x : back3.sensors[0].samples) kept.push_back(x.t_us);
  EXPECT_EQ(kept, read);
  EXPECT_TRUE(rw.empty());
}

// A recording's packets are journaled as they arrived: a late packet goes back into its place by
// its sequence number (not by time, which a device clock may step back), across the 2^32 wrap;
// a number far behind is a device restart, whose packets follow everything before.
TEST(PacketOrder, SequenceNotArrivalNorTime) {
  PacketOrder o;
  const uint32_t start = 0xFFFF'FFFEu;
  std::vector<int64_t> keys;
  for (const uint32_t seq : {start, start + 2, start + 1, start + 3, start + 5, start + 4}) {
    keys.push_back(o.key(seq));
  }
  EXPECT_EQ(keys, (std::vector<int64_t>{0, 2, 1, 3, 5, 4}));
  EXPECT_EQ(o.key(7), 9);  // 4 ahead of 0xFFFF'FFFE + 5, which wrapped to 3
  const int64_t far = o.key(100'000);
  EXPECT_EQ(far, 9 + 99'993);
  EXPECT_EQ(o.key(96'000), far - 4'000);  // late, within the window
  EXPECT_FALSE(o.restarted());
  const int64_t restarted = o.key(2);  // 99'998 behind: the device started again ...
  EXPECT_TRUE(o.restarted());
  EXPECT_GT(restarted, far);
  // ... and its own late packets still come after everything it sent before.
  EXPECT_EQ(o.key(0), restarted - 2);
  EXPECT_EQ(o.key(1), restarted - 1);
  EXPECT_GT(o.key(0), far);
  EXPECT_FALSE(o.restarted());
  // As the live link's sequence check: 4095 behind is late, 4096 a restart.
  PacketOrder w;
  w.key(10'000);
  w.key(10'000 - 4'095);
  EXPECT_FALSE(w.restarted());
  w.key(10'000 - 4'096);
  EXPECT_TRUE(w.restarted());
}

// Over a recording's devices: a resent packet is a duplicate and leaves the order as it was; after
// a device's restart the numbers it used before are new packets again, and each device keeps its
// own order.
TEST(PacketArrivals, DuplicatesUntilTheDeviceRestarts) {
  PacketArrivals a;
  EXPECT_EQ(a.accept(1, 50), 0);
  EXPECT_EQ(a.accept(2, 7), 0);
  EXPECT_EQ(a.accept(1, 52), 2);
  EXPECT_EQ(a.accept(1, 51), 1);
  EXPECT_EQ(a.accept(1, 52), std::nullopt);  // resent
  EXPECT_EQ(a.accept(2, 7), std::nullopt);
  EXPECT_EQ(a.accept(2, 8), 1);
  const std::optional<int64_t> restarted = a.accept(1, 52 + 10'000);
  ASSERT_TRUE(restarted.has_value());
  const std::optional<int64_t> again = a.accept(1, 51);  // 10'001 behind: a restart
  ASSERT_TRUE(again.has_value());
  EXPECT_GT(*again, *restarted);
  EXPECT_EQ(a.accept(1, 51), std::nullopt);  // and now a duplicate of the new run
}

// A packet's per-sample offsets are int32 microseconds: a sample more than 2^31 us from the
// pending packet's first does not fit, either way.
TEST(Packetizer, ASampleFitsWhereItsOffsetIsAnInt32) {
  Packetizer p{PacketizerSettings{}};
  EXPECT_TRUE(p.fits(INT64_MAX));  // nothing pending
  ImuSample x;
  x.t_us = 1'000'000;
  p.push(x);
  EXPECT_TRUE(p.fits(x.t_us + 2'147'483'647));
  EXPECT_FALSE(p.fits(x.t_us + 2'147'483'648));
  EXPECT_TRUE(p.fits(x.t_us - 2'147'483'648));
  EXPECT_FALSE(p.fits(x.t_us - 2'147'483'649));
  p.take();
  EXPECT_TRUE(p.fits(x.t_us + 2'147'483'648));
}

/// A header with one left shoe (device 1) at 100 Hz, and its packets of `samples` samples.
pb::SessionHeader one_shoe_at_100hz() {
  pb::SessionHeader h;
  pb::SensorInfo* info = h.add_sensors();
  info->set_device_id(1);
  info->set_placement(pb::LEFT_FOOT);
  info->set_nominal_rate_hz(100.0);
  return h;
}
PacketizerSettings one_shoe_packets(uint32_t samples) {
  PacketizerSettings ps;
  ps.placement = pb::LEFT_FOOT;
  ps.sample_period_us = 10'000;
  ps.samples_per_packet = samples;
  return ps;
}

// A device that restarts counts its packets from 0 again: those numbers were seen before, but
// are new packets, kept after the old run (the live link's sequence check delivers them too).
TEST(Recording, ADeviceRestartIsNoDuplicate) {
  TempDir tmp;
  const pb::SessionHeader h = one_shoe_at_100hz();
  const PacketizerSettings ps = one_shoe_packets(1);
  {
    RecordingWriter writer(tmp / "restart.gkr", h);
    int64_t t_us = 0;
    for (const uint32_t count : {5'000u, 10u}) {
      Packetizer packetizer(ps);  // numbers from 0
      for (uint32_t i = 0; i < count; ++i, t_us += 10'000) {
        ImuSample x;
        x.t_us = t_us;
        x.acc_mps2.z() = kGravity_mps2;
        ASSERT_TRUE(packetizer.push(x));
        writer.write(packetizer.take());
      }
    }
    writer.close();
  }
  Warnings w;
  const Session s = read_recording(tmp / "restart.gkr", w);
  EXPECT_TRUE(w.empty()) << w.front();
  ASSERT_EQ(s.sensors.size(), 1u);
  ASSERT_EQ(s.sensors[0].samples.size(), 5'010u);
  for (size_t i = 0; i < s.sensors[0].samples.size(); ++i) {
    ASSERT_EQ(s.sensors[0].samples[i].t_us, static_cast<int64_t>(i) * 10'000) << i;
  }
}

TEST(Recording, LatePacketsGoBackByTheirSequenceNumber) {
  TempDir tmp;
  const pb::SessionHeader h = one_shoe_at_100hz();
  Packetizer packetizer(one_shoe_packets(2));
  std::vector<pb::SensorPacket> packets;
  // Times 0, 10, 20, 30 ms, then the clock steps back to 25 ms: 25, 35, 45, 55.
  for (const int64_t t_ms : {0, 10, 20, 30, 25, 35, 45, 55}) {
    ImuSample x;
    x.t_us = t_ms * 1000;
    x.acc_mps2.z() = kGravity_mps2;
    if (packetizer.push(x)) packets.push_back(packetizer.take());
  }
  ASSERT_EQ(packets.size(), 4u);
  {
    RecordingWriter writer(tmp / "late.gkr", h);
    // Arrival order: the second packet after the third.
    for (const size_t i : {0u, 2u, 1u, 3u}) writer.write(packets[i]);
    writer.close();
  }
  Warnings w;
  const Session s = read_recording(tmp / "late.gkr", w);
  ASSERT_EQ(s.sensors.size(), 1u);
  std::vector<int64_t> times;
  for (const ImuSample& x : s.sensors[0].samples) times.push_back(x.t_us / 1000);
  EXPECT_EQ(times, (std::vector<int64_t>{0, 10, 20, 30, 25, 35, 45, 55}));
}

TEST(CsvSession, ErrorsNameFileLineAndWhat) {
  TempDir tmp;
  const std::string file = (tmp / "bad" / "x.csv").string();
  const std::string good = "t,ax,ay,az,gx,gy,gz\n0,0,0,0,0,0,0\n";

  EXPECT_THAT(csv_error(tmp, "t,ax,ay,az,gx,gy\n0,0,0,0,0,0\n"),
              HasSubstr(file + ":1: missing column 'gz' (found: t, ax, ay, az, gx, gy)"));
  EXPECT_THAT(csv_error(tmp, "t[s],ax,ay\n0,0,0\n"),
              HasSubstr(file + ":1: missing column 'az' (found: t[s], ax, ay)"));
  const std::string unit = csv_error(tmp, "t[s],ax[furlong],ay,az\n0,0,0,0\n");
  EXPECT_THAT(unit, HasSubstr(file + ":1: unknown unit 'furlong' in column 'ax[furlong]'"));
  EXPECT_THAT(unit, HasSubstr("ax[m/s^2], ax[g]"));
  EXPECT_THAT(csv_error(tmp, "t[h],ax,ay,az\n0,0,0,0\n"),
              HasSubstr(":1: unknown unit 'h' in column 't[h]'; allowed: t[s], t[ms], t[us]"));
  EXPECT_THAT(csv_error(tmp, good + "0.01,0,0,0,0,0,0\n0.02,0,abc,0,0,0,0\n"),
              HasSubstr(file + ":4: column ay: 'abc' is not a number (write nan for a reading"));
  EXPECT_THAT(csv_error(tmp, good + "0.01,0,0,0,0,0,\n"),
              HasSubstr(file + ":3: column gz: '' is not a number"));
  // A reading may be NaN (CsvSession.NanReadingsAreSensorData); a time may not.
  EXPECT_THAT(csv_error(tmp, good + "nan,0,0,0,0,0,0\n"),
              HasSubstr(file + ":3: column t: 'nan' is not a finite number"));
  EXPECT_THAT(csv_error(tmp, good + "0.01,0,0,0,0,0\n"),
              HasSubstr(file + ":3: 6 cells, but the header has 7 columns"));
  EXPECT_THAT(csv_error(tmp, ""), HasSubstr(file + ":1: empty file"));
  EXPECT_THAT(csv_error(tmp, "t,ax,ay,az\n"), HasSubstr(file + ":2: no samples"));
  EXPECT_THAT(csv_error(tmp, "t,ax,ay,az,ax\n0,0,0,0,0\n"),
              HasSubstr(file + ":1: column 'ax' appears twice"));
}

TEST(CsvSession, SessionJsonErrors) {
  TempDir tmp;
  const fs::path dir = tmp / "s";
  fs::create_directories(dir);
  Warnings w;
  EXPECT_THAT(input_error_of([&] { read_csv_session(dir, w); }),
              HasSubstr((dir / "session.json").string() + ": file not found"));

  write_text(dir / "session.json", "{\n  \"sensors\": [\n    {\"file\": \"a.csv\",,}\n  ]\n}\n");
  EXPECT_THAT(input_error_of([&] { read_csv_session(dir, w); }),
              HasSubstr((dir / "session.json").string() + ":3: invalid JSON"));

  write_text(
      dir / "session.json",
      "{\n  \"sensors\": [\n    {\"file\": \"a.csv\", \"placement\": \"left_knee\"}\n  ]\n}\n");
  const std::string placement = input_error_of([&] { read_csv_session(dir, w); });
  EXPECT_THAT(placement, HasSubstr("session.json:3: unknown placement 'left_knee' for a.csv"));
  EXPECT_THAT(placement, HasSubstr("left_foot, right_foot, left_shank"));

  write_text(dir / "session.json",
             "{\n  \"sensors\": [\n    {\"file\": \"a.csv\", \"placement\": \"left_foot\"},\n"
             "    {\"file\": \"b.csv\", \"placement\": \"left_foot\"}\n  ]\n}\n");
  EXPECT_THAT(input_error_of([&] { read_csv_session(dir, w); }),
              HasSubstr("session.json:4: placement left_foot is listed twice (a.csv and b.csv)"));

  write_text(dir / "session.json",
             "{\n  \"treadmill_speed_mps\": 12,\n  \"sensors\": [{\"file\": \"a.csv\", "
             "\"placement\": \"pelvis\"}]\n}\n");
  EXPECT_THAT(input_error_of([&] { read_csv_session(dir, w); }),
              HasSubstr("session.json:2: treadmill_speed_mps 12 is not 0.5 to 10 m/s"));

  write_text(dir / "session.json",
             "{\"activity\": \"jogging\", \"sensors\": [{\"file\": \"a.csv\", \"placement\": "
             "\"pelvis\"}]}");
  EXPECT_THAT(input_error_of([&] { read_csv_session(dir, w); }),
              HasSubstr("activity 'jogging' must be running or walking"));

  write_text(dir / "session.json", R"({"sensors": []})");
  EXPECT_THAT(input_error_of([&] { read_csv_session(dir, w); }), HasSubstr("needs \"sensors\""));

  write_text(dir / "session.json",
             R"({"sensors": [{"file": "a.csv", "placement": "pelvis", "accel_range_g": -3}]})");
  EXPECT_THAT(input_error_of([&] { read_csv_session(dir, w); }),
              HasSubstr("'accel_range_g' must be a positive whole number"));

  write_text(dir / "session.json", R"({"sensors": [{"file": "a.csv", "placement": "pelvis"}]})");
  EXPECT_THAT(input_error_of([&] { read_csv_session(dir, w); }),
              HasSubstr((dir / "a.csv").string() + ": file not found"));

  EXPECT_THAT(input_error_of([&] { read_csv_session(tmp / "nope", w); }),
              HasSubstr("folder not found"));
}

TEST(CsvSession, PythonNonFiniteJsonReadsAsNull) {
  TempDir tmp;
  const fs::path dir = tmp / "py";
  write_text(dir / "session.json",
             R"({"athlete": "NaN \"Infinity\"", "treadmill_speed_mps": NaN,
                 "subject": {"height_cm": NaN, "x": [-Infinity, Infinity]},
                 "sensors": [{"file": "a.csv", "placement": "pelvis"}]})");
  write_text(dir / "a.csv", "t,ax,ay,az\n0,0,0,9.8\n0.01,0,0,9.8\n");
  Warnings w;
  const Session s = read_csv_session(dir, w);
  EXPECT_EQ(s.header.athlete(), "NaN \"Infinity\"");
  EXPECT_FALSE(s.header.has_treadmill_speed_mps());
}

TEST(CsvSession, AccelerometerOnlyWithGForcesAndRangeWarning) {
  TempDir tmp;
  const fs::path dir = tmp / "sacrum";
  write_text(dir / "session.json",
             R"({"activity": "running", "treadmill_speed_mps": 2.5, "treadmill_incline_deg": 45,
                 "sensors": [{"file": "pelvis.csv", "placement": "pelvis"}]})");
  write_text(dir / "pelvis.csv", "t[s],ax[g],ay[g],az[g]\n0,-0.41,0,2.26\n0.002,-0.39,0,40\n");
  Warnings w;
  const Session s = read_csv_session(dir, w);
  EXPECT_EQ(s.sensors[0].info.gyro_range_dps(), 0u);
  EXPECT_EQ(s.sensors[0].info.accel_range_g(), 32u);
  EXPECT_NEAR(s.header.treadmill_incline_pct(), 100.0, 1e-9);
  ASSERT_EQ(w.size(), 1u);
  EXPECT_THAT(w[0], HasSubstr("exceed the largest range"));
  // Exported without gyro columns, and back.
  write_csv_session(tmp / "out", s);
  EXPECT_THAT(read_bytes(tmp / "out" / "pelvis.csv"),
              ::testing::StartsWith("t[s],ax[m/s^2],ay[m/s^2],az[m/s^2]\n0.000000,"));
  const Session back = read_csv_session(tmp / "out", w);
  EXPECT_FALSE(back.sensors[0].samples[0].has_gyro);
  EXPECT_EQ(back.sensors[0].info.accel_range_g(), 32u);
}

TEST(CsvSession, ReadingsAtTheNamedRangeAreMarkedSaturated) {
  TempDir tmp;
  const fs::path dir = tmp / "narrow";
  write_text(dir / "session.json",
             R"({"activity": "running", "sensors": [{"file": "lf.csv", "placement": "left_foot",
                 "accel_range_g": 8, "gyro_range_dps": 500}]})");
  // At +/-500 deg/s a count is 500/32768 deg/s: the largest positive reading is 32767 counts
  // (499.985), the largest negative -32768 (-500); a sensor that clips symmetrically stops at
  // -32767 (-499.985). One count inside either, +/-32766 (+/-499.97), is a reading.
  write_text(dir / "lf.csv",
             "t[s],ax[g],ay[g],az[g],gx[deg/s],gy[deg/s],gz[deg/s]\n"
             "0.00,0,0,1,0,0,0\n"
             "0.01,8,0,1,0,0,0\n"
             "0.02,0,0,-8,0,0,0\n"
             "0.03,0,0,1,499.99,0,0\n"
             "0.04,0,0,1,0,-500,0\n"
             "0.05,0,0,1,0,0,-499.98\n"
             "0.06,7.99,0,1,400,0,0\n"
             "0.07,0,0,1,499.97,-499.97,0\n");
  Warnings w;
  const Session s = read_csv_session(dir, w);
  ASSERT_EQ(s.sensors[0].samples.size(), 8u);
  std::vector<bool> marked;
  for (const ImuSample& x : s.sensors[0].samples) marked.push_back(x.saturated);
  EXPECT_EQ(marked, (std::vector<bool>{false, true, true, true, true, true, false, false}));
  // Readings at the limit are what a clipping sensor reads: marked, not a wrong range. One beyond
  // it (more than half a count) is, and the warning says to check the range.
  for (const std::string& x : w) EXPECT_THAT(x, Not(HasSubstr("exceed"))) << x;
  write_text(dir / "lf.csv",
             "t[s],ax[g],ay[g],az[g],gx[deg/s],gy[deg/s],gz[deg/s]\n"
             "0.00,0,0,1,0,0,0\n"
             "0.01,9,0,1,0,-520,0\n");
  Warnings beyond;
  (void)read_csv_session(dir, beyond);
  ASSERT_EQ(beyond.size(), 2u);
  EXPECT_THAT(beyond[0], HasSubstr("exceed accel_range_g = 8"));
  EXPECT_THAT(beyond[1], HasSubstr("exceed gyro_range_dps = 500"));
  EXPECT_THAT(beyond[1], HasSubstr("check the range"));
}

TEST(Packets, CountsAtEitherLimitMarkTheSampleSaturated) {
  // The same rule on unpacking: +32767 and -32767 or -32768 counts are at the limit, +/-32766
  // are readings.
  pb::SensorPacket p;
  p.set_t_first_us(0);
  p.set_sample_period_us(1000);
  p.set_accel_range_g(8);
  p.set_gyro_range_dps(500);
  const std::array<int32_t, 7> gyro_x{0, 32767, -32767, -32768, 32766, -32766, 100};
  for (int32_t g : gyro_x) {
    for (int32_t a : {0, 0, 4096}) p.add_accel(a);
    for (int32_t w : {g, 0, 0}) p.add_gyro(w);
  }
  std::vector<ImuSample> out;
  unpack(p, out);
  ASSERT_EQ(out.size(), gyro_x.size());
  std::vector<bool> marked;
  for (const ImuSample& x : out) marked.push_back(x.saturated);
  EXPECT_EQ(marked, (std::vector<bool>{false, true, true, true, false, false, false}));
}

TEST(CsvSession, LargeFileLoadsWhole) {
  TempDir tmp;
  const fs::path dir = tmp / "big";
  write_text(dir / "session.json", R"({"sensors": [{"file": "a.csv", "placement": "pelvis"}]})");
  // 500 Hz for 10 minutes.
  std::mt19937_64 rng(3);
  std::normal_distribution<double> n(0.0, 5.0);
  fmt::memory_buffer b;
  fmt::format_to(std::back_inserter(b),
                 "t[s],ax[m/s^2],ay[m/s^2],az[m/s^2],gx[rad/s],gy[rad/s],gz[rad/s]\n");
  for (int i = 0; i < 300'000; ++i) {
    fmt::format_to(std::back_inserter(b), "{:.6f},{:.6g},{:.6g},{:.6g},{:.6g},{:.6g},{:.6g}\n",
                   i * 0.002, n(rng), n(rng), n(rng), n(rng) / 5, n(rng) / 5, n(rng) / 5);
  }
  write_text(dir / "a.csv", fmt::to_string(b));
  Warnings w;
  const Session s = read_csv_session(dir, w);
  EXPECT_EQ(s.sensors[0].samples.size(), 300'000u);
  EXPECT_DOUBLE_EQ(s.sensors[0].info.nominal_rate_hz(), 500.0);
  // Its speed is measured, not asserted: bench/io_bench (docs/PERFORMANCE.md).
  EXPECT_EQ(s.sensors[0].samples.back().t_us, 299'999 * 2'000);
}

// ---- Truth ----------------------------------------------------------------------

TEST(Truth, RoundTripAndLocations) {
  TempDir tmp;
  Truth t;
  t.events = std::vector<TruthEvent>{{pb::RIGHT, 1.518555, 2.319336},
                                     {pb::LEFT, 2.138672, std::nullopt},
                                     {pb::SIDE_UNKNOWN, 3.1, 3.35}};
  t.knee = std::vector<TruthKnee>{
      {0.0, pb::LEFT, 4.5, 12.25}, {0.0, pb::RIGHT, -1.0, 10.0}, {0.01, pb::LEFT, 4.75, 13.0}};
  write_truth(tmp / "truth", t);
  EXPECT_EQ(read_bytes(tmp / "truth" / "events.csv"),
            "side,ic,to\nR,1.518555,2.319336\nL,2.138672,\n,3.1,3.35\n");
  const Truth back = read_truth(tmp / "truth");
  ASSERT_TRUE(back.events && back.knee);
  ASSERT_EQ(back.events->size(), 3u);
  EXPECT_EQ((*back.events)[0].side, pb::RIGHT);
  EXPECT_DOUBLE_EQ((*back.events)[0].ic_s, 1.518555);
  EXPECT_DOUBLE_EQ(*(*back.events)[0].to_s, 2.319336);
  EXPECT_FALSE((*back.events)[1].to_s.has_value());
  EXPECT_EQ((*back.events)[2].side, pb::SIDE_UNKNOWN);
  ASSERT_EQ(back.knee->size(), 3u);
  EXPECT_EQ((*back.knee)[1].side, pb::RIGHT);
  EXPECT_DOUBLE_EQ((*back.knee)[2].valgus_deg, 4.75);
  EXPECT_DOUBLE_EQ((*back.knee)[2].flexion_deg, 13.0);

  const Truth none = read_truth(tmp / "absent");
  EXPECT_FALSE(none.events || none.knee);

  fs::create_directories(tmp / "session");
  EXPECT_EQ(truth_dir_for(tmp / "session"), tmp / "session" / "truth");
  EXPECT_EQ(truth_dir_for(tmp / "run.gkr"), tmp / "run.truth");
}

TEST(Truth, ErrorsNameFileAndLine) {
  TempDir tmp;
  const fs::path events = tmp / "t" / "events.csv";
  write_text(events, "side,ic,to\nL,1.0,1.3\nX,2.0,2.2\n");
  EXPECT_THAT(input_error_of([&] { read_truth(tmp / "t"); }),
              HasSubstr(events.string() + ":3: column side: 'X' must be L, R or empty"));
  write_text(events, "side,ic,to\nL,1.0,1.3\nR,0.5,0.8\nL,0.9,1.1\n");
  EXPECT_THAT(input_error_of([&] { read_truth(tmp / "t"); }),
              HasSubstr(events.string() + ":4: ic not strictly increasing for side 'L'"));
  write_text(events, "side,ic,to\nL,1.0,0.9\n");
  EXPECT_THAT(input_error_of([&] { read_truth(tmp / "t"); }),
              HasSubstr(events.string() + ":2: toe-off 0.9 is not after"));
  write_text(events, "side,to\nL,0.9\n");
  EXPECT_THAT(input_error_of([&] { read_truth(tmp / "t"); }),
              HasSubstr(events.string() + ":1: missing column 'ic'"));
  fs::remove(events);
  write_text(tmp / "t" / "knee.csv", "t,side,valgus_deg,flexion_deg\n0,L,1,2\n0.01,L,1,oops\n");
  EXPECT_THAT(input_error_of([&] { read_truth(tmp / "t"); }),
              HasSubstr("knee.csv:3: column flexion_deg: 'oops' is not a finite number"));
}

// ---- Real data ------------------------------------------------------------------

TEST(Datasets, GaitmapWalkingLoads) {
  const fs::path dir =
      fs::path(GK_SOURCE_DIR) / "../shared/datasets/gaitmap-walking/s5047_normal_20";
  if (!fs::exists(dir / "session.json")) GTEST_SKIP() << dir << " not present";
  Warnings w;
  const Session s = load_session(dir, w);
  EXPECT_THAT(w, ::testing::IsEmpty());
  ASSERT_EQ(s.sensors.size(), 2u);
  EXPECT_EQ(s.header.activity(), pb::WALKING);
  EXPECT_EQ(s.header.session_id(), "s5047_normal_20");
  for (const auto& sensor : s.sensors) {
    EXPECT_NEAR(sensor.info.nominal_rate_hz(), 204.8, 0.05);
    EXPECT_GT(sensor.samples.size(), 7000u);
    EXPECT_GT(sensor.info.gyro_range_dps(), 0u);
  }
  const Truth t = read_truth(truth_dir_for(dir));
  ASSERT_TRUE(t.events.has_value());
  EXPECT_GT(t.events->size(), 50u);

  // And through a recording, exact in time.
  TempDir tmp;
  write_recording(tmp / "g.gkr", s);
  const Session back = read_recording(tmp / "g.gkr", w);
  EXPECT_THAT(w, ::testing::IsEmpty());
  for (size_t i = 0; i < 2; ++i) expect_close_streams(s.sensors[i], back.sensors[i]);
}

// Oracle: an exact set of (device, sequence). Streams mix in-order runs, resends, late packets,
// a restart from 0, numbers far below the first one seen and a wrap past 2^32 - 1.
TEST(PacketDedup, AgreesWithAnExactSetInAnyOrder) {
  std::mt19937 rng(7);
  PacketDedup dedup;
  std::set<std::pair<uint32_t, uint32_t>> oracle;
  const uint32_t starts[] = {0u, 5u, 1'000'000u, 4'294'967'000u};
  size_t firsts = 0;
  for (int round = 0; round < 4; ++round) {
    for (uint32_t device = 1; device <= 3; ++device) {
      uint32_t seq = starts[(device + static_cast<uint32_t>(round)) % 4];
      for (int k = 0; k < 3000; ++k) {
        uint32_t s = seq++;
        const int kind = static_cast<int>(rng() % 20);
        if (kind == 0) s -= static_cast<uint32_t>(rng() % 50);       // a resend or a late packet
        if (kind == 1) s -= static_cast<uint32_t>(rng() % 100'000);  // far behind (wraps below 0)
        if (kind == 2) s = static_cast<uint32_t>(rng() % 10);        // a restart from 0
        const bool expected = oracle.emplace(device, s).second;
        ASSERT_EQ(dedup.first_time(device, s), expected) << "device " << device << " seq " << s;
        firsts += expected;
      }
    }
  }
  // Both answers were exercised many times (the rounds' ranges of one device overlap, and the
  // restarts and resends repeat numbers).
  EXPECT_GT(firsts, 10'000u);
  EXPECT_LT(firsts, 36'000u - 5'000u);
}

}  // namespace
}  // namespace gk
