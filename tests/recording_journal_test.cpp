// .gkr format version 2 (docs/formats.md): raw link bytes journaled between
// packets. Version-1 files are unchanged; readers of either version get the
// same packets; the journal reads back byte for byte.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <string>

#include "recording.hpp"
#include "session.hpp"

namespace {

namespace fs = std::filesystem;
namespace pb = gaitkeeper::pb;

struct TempPath {
  fs::path path = fs::temp_directory_path() / ("gk_journal_" + std::to_string(::getpid()) + ".gkr");
  ~TempPath() { fs::remove(path); }
};

pb::SensorPacket packet(uint32_t seq) {
  pb::SensorPacket p;
  p.set_device_id(4);
  p.set_placement(pb::RIGHT_FOOT);
  p.set_sequence(seq);
  p.set_t_first_us(1000 * static_cast<int64_t>(seq));
  p.set_sample_period_us(1000);
  p.set_accel_range_g(16);
  p.set_gyro_range_dps(2000);
  for (int k = 0; k < 3; ++k) {
    p.add_accel(k + static_cast<int>(seq));
    p.add_gyro(-k);
  }
  return p;
}

uint32_t version_on_disk(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  char b[12] = {};
  in.read(b, 12);
  return static_cast<uint8_t>(b[8]) | static_cast<uint32_t>(static_cast<uint8_t>(b[9])) << 8;
}

TEST(RecordingJournal, ChunksAndPacketsReadBackInOrder) {
  TempPath t;
  pb::SessionHeader h;
  h.set_session_id("j");
  {
    gk::RecordingWriter w(t.path, h, {.atomic = false, .link_journal = true});
    const std::string raw("\x00\x13\x00garbage\x00", 11);
    w.write_link_chunk(111, raw.data(), raw.size());
    w.write(packet(0));
    w.write_link_chunk(222, "", 0);
    w.write(packet(1));
    w.close();
  }
  EXPECT_EQ(version_on_disk(t.path), gk::kRecordingVersionJournal);
  {
    gk::RecordingReader r(t.path);
    EXPECT_EQ(r.version(), 2u);
    auto e = r.next_entry();
    ASSERT_TRUE(e && e->has_link_chunk());
    EXPECT_EQ(e->link_chunk().host_rx_us(), 111);
    EXPECT_EQ(e->link_chunk().data(), std::string("\x00\x13\x00garbage\x00", 11));
    e = r.next_entry();
    ASSERT_TRUE(e && e->has_packet());
    EXPECT_EQ(e->packet().sequence(), 0u);
    e = r.next_entry();
    ASSERT_TRUE(e && e->has_link_chunk());
    EXPECT_EQ(e->link_chunk().host_rx_us(), 222);
    e = r.next_entry();
    ASSERT_TRUE(e && e->has_packet());
    EXPECT_FALSE(r.next_entry());
    EXPECT_EQ(r.warning(), "");
  }
  gk::RecordingReader r(t.path);
  ASSERT_TRUE(r.next());
  ASSERT_TRUE(r.next());
  EXPECT_FALSE(r.next());
  EXPECT_EQ(r.link_chunks_skipped(), 2u);
  // The session loader (analyze, export) reads a journaled recording too.
  gk::Warnings w;
  const gk::Session s = gk::read_recording(t.path, w);
  ASSERT_EQ(s.sensors.size(), 1u);
  EXPECT_EQ(s.sensors[0].samples.size(), 2u);
}

TEST(RecordingJournal, PlainRecordingsStayVersionOne) {
  TempPath t;
  {
    gk::RecordingWriter w(t.path, pb::SessionHeader{});
    w.write(packet(0));
    EXPECT_THROW(w.write_link_chunk(1, "x", 1), std::logic_error);
    w.close();
  }
  EXPECT_EQ(version_on_disk(t.path), gk::kRecordingVersion);
  gk::RecordingReader r(t.path);
  auto e = r.next_entry();
  ASSERT_TRUE(e && e->has_packet());
  EXPECT_EQ(e->packet().sequence(), 0u);
}

TEST(RecordingJournal, AnEmptyEntryIsReportedAsCorrupt) {
  TempPath t;
  {
    gk::RecordingWriter w(t.path, pb::SessionHeader{}, {.atomic = false, .link_journal = true});
    w.write(packet(0));
    w.close();
  }
  {
    std::ofstream out(t.path, std::ios::binary | std::ios::app);
    out.put('\x00');  // a zero-length record: a RecordingEntry with nothing set
  }
  gk::RecordingReader r(t.path);
  EXPECT_TRUE(r.next());
  EXPECT_FALSE(r.next());
  EXPECT_NE(r.warning().find("neither a packet nor a link chunk"), std::string::npos)
      << r.warning();
}

}  // namespace
