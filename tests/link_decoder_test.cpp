// Host decoder of the sensor link (src/link): frames written by the device's
// own C code come out exactly once, whatever surrounds them.
#include "link_decoder.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <random>
#include <set>
#include <vector>

#include "clock_tracker.hpp"
#include "frame.h"
#include "frame_decoder.hpp"
#include "packetizer.h"
#include "sequence_tracker.hpp"

namespace {

using Bytes = std::vector<uint8_t>;
using gk::link::LinkDecoder;
namespace pb = gaitkeeper::pb;

// A frame as the firmware emits it: nanopb SensorPacket, CRC-32C, COBS, 0x00.
Bytes device_frame(uint32_t device, uint32_t sequence, uint32_t t_us, int samples = 20) {
  gkfw_packetizer_t pk;
  const gkfw_packetizer_config_t cfg{device, gaitkeeper_pb_Placement_LEFT_FOOT, 16, 2000,
                                     1000,   static_cast<uint32_t>(samples)};
  EXPECT_EQ(gkfw_packetizer_init(&pk, &cfg), 0);
  pk.next_sequence = sequence;
  for (int i = 0; i < samples; ++i) {
    const int16_t a[3] = {static_cast<int16_t>(sequence), static_cast<int16_t>(i), 0};
    const int16_t g[3] = {0, 0, static_cast<int16_t>(-i)};
    gkfw_packetizer_push(&pk, t_us + 1000u * static_cast<uint32_t>(i), a, g);
  }
  Bytes f(GKFW_MAX_FRAME);
  f.resize(gkfw_packetizer_emit_frame(&pk, f.data(), f.size()));
  EXPECT_GT(f.size(), 0u);
  return f;
}

struct Received {
  std::vector<uint32_t> sequences;
  std::vector<int64_t> t_first_us;
  LinkDecoder decoder{[this](pb::SensorPacket& p, int64_t) {
    sequences.push_back(p.sequence());
    t_first_us.push_back(p.t_first_us());
  }};
  void push(const Bytes& b, int64_t t = 0) { decoder.push(b, t); }
};

TEST(LinkDecoder, FirmwareFramesRoundTripEvenOneByteAtATime) {
  Received r;
  Bytes stream;
  for (uint32_t s = 0; s < 50; ++s) {
    const Bytes f = device_frame(1, s, 20000u * s);
    stream.insert(stream.end(), f.begin(), f.end());
  }
  for (uint8_t b : stream) r.push(Bytes{b});
  ASSERT_EQ(r.sequences.size(), 50u);
  for (uint32_t s = 0; s < 50; ++s) {
    EXPECT_EQ(r.sequences[s], s);
    EXPECT_EQ(r.t_first_us[s], 20000 * static_cast<int64_t>(s));
  }
  const auto st = r.decoder.stats();
  EXPECT_EQ(st.frames_ok, 50u);
  EXPECT_EQ(st.bytes, stream.size());
  EXPECT_EQ(st.resyncs, 0u);
  EXPECT_EQ(st.gaps, 0u);
}

TEST(LinkDecoder, ResyncsAfterGarbageAndRejectsBadCrc) {
  Received r;
  r.push(Bytes{0x13, 0x37, 0xAB});  // joined mid-frame: a tail with no start
  r.push(device_frame(1, 0, 0));
  Bytes bad = device_frame(1, 1, 20000);
  bad[bad.size() / 2] ^= 0x10;  // still no zero inside: a CRC failure
  ASSERT_NE(bad[bad.size() / 2], 0);
  r.push(bad);
  r.push(Bytes(5000, 0x55));  // a long burst with no delimiter
  r.push(Bytes{0x00, 0x00, 0x00});
  r.push(device_frame(1, 2, 40000));
  EXPECT_EQ(r.sequences, (std::vector<uint32_t>{0, 2}));
  const auto st = r.decoder.stats();
  EXPECT_EQ(st.frames_ok, 2u);
  EXPECT_EQ(st.crc_failures, 1u);
  EXPECT_EQ(st.resyncs, 3u);  // the tail, the bad frame, the burst
  EXPECT_EQ(st.gaps, 1u);
  EXPECT_EQ(st.missing, 1u);
}

TEST(LinkDecoder, DuplicatesDroppedReorderingFillsTheGapAcrossTheWrap) {
  Received r;
  const uint32_t base = 0xFFFFFFFDu;
  // Sent: base..base+5 (wrapping after base+2). Arrival: 0,1,3,2,2,5,1
  const std::vector<uint32_t> order = {0, 1, 3, 2, 2, 5, 1};
  for (uint32_t k : order) r.push(device_frame(9, base + k, 1000u * k));
  EXPECT_EQ(r.sequences, (std::vector<uint32_t>{base, base + 1, base + 3, base + 2, base + 5}));
  const auto st = r.decoder.stats();
  EXPECT_EQ(st.duplicates, 2u);
  EXPECT_EQ(st.late, 1u);
  EXPECT_EQ(st.gaps, 2u);     // 1->3 and 3->5
  EXPECT_EQ(st.missing, 1u);  // only base+4 never came
  EXPECT_EQ(st.packets, 5u);
}

TEST(SequenceTracker, LatePacketsBeforeTheFirstOneExtendTheSpan) {
  gk::link::SequenceTracker t;
  using V = gk::link::SequenceVerdict;
  EXPECT_EQ(t.push(10), V::kNew);
  EXPECT_EQ(t.push(12), V::kNew);  // 11 missing
  EXPECT_EQ(t.push(8), V::kLate);  // 9 missing too, 8 itself is not
  EXPECT_EQ(t.counters().missing, 2u);
  EXPECT_EQ(t.push(9), V::kLate);
  EXPECT_EQ(t.push(11), V::kLate);
  EXPECT_EQ(t.push(11), V::kDuplicate);
  EXPECT_EQ(t.counters().missing, 0u);
  EXPECT_EQ(t.counters().gaps, 2u);
}

TEST(LinkDecoder, DevicesAreTrackedSeparately) {
  Received r;
  r.push(device_frame(1, 0, 0));
  r.push(device_frame(2, 0, 0));
  r.push(device_frame(1, 1, 20000));
  r.push(device_frame(2, 0, 0));  // duplicate of device 2, not of device 1
  EXPECT_EQ(r.sequences.size(), 3u);
  EXPECT_EQ(r.decoder.stats().duplicates, 1u);
  EXPECT_EQ(r.decoder.devices().size(), 2u);
}

TEST(LinkDecoder, DeviceRestartIsCountedNotTakenForDuplicates) {
  Received r;
  for (uint32_t s = 10000; s < 10003; ++s) r.push(device_frame(1, s, 1000u * s));
  r.push(device_frame(1, 0, 0));
  r.push(device_frame(1, 1, 20000));
  EXPECT_EQ(r.sequences.size(), 5u);
  EXPECT_EQ(r.decoder.stats().restarts, 1u);
  EXPECT_EQ(r.decoder.stats().gaps, 0u);
}

TEST(LinkDecoder, CrcCleanNonPacketsAreCountedAsMalformed) {
  Received r;
  const uint8_t junk[] = {0xFF, 0xFF, 0xFF};  // not valid protobuf
  Bytes f(GKFW_MAX_FRAME);
  f.resize(gkfw_frame_encode(junk, sizeof junk, f.data(), f.size()));
  r.push(f);
  EXPECT_TRUE(r.sequences.empty());
  EXPECT_EQ(r.decoder.stats().malformed, 1u);
  EXPECT_EQ(r.decoder.stats().frames_ok, 1u);
}

TEST(ClockTracker, UnwrapsThe32BitDeviceClock) {
  gk::link::ClockTracker c;
  EXPECT_EQ(c.unwrap(0xFFFFF000u), 0xFFFFF000);
  EXPECT_EQ(c.unwrap(0x00000800u), 0x100000800);
  EXPECT_EQ(c.unwrap(0xFFFFF800u), 0xFFFFF800);  // a late packet from before the wrap
  EXPECT_EQ(c.unwrap(0x00001000u), 0x100001000);
}

TEST(ClockTracker, EstimatesDriftUnderArrivalJitter) {
  gk::link::ClockTracker c;
  std::mt19937 rng(7);
  std::exponential_distribution<double> jitter(1.0 / 300.0);  // mean 300 us, one-sided
  const double ppm = 150.0;                                   // device fast
  for (int64_t d = 0; d < 600'000'000; d += 20'000) {
    const double host = static_cast<double>(d) / (1.0 + ppm * 1e-6) + 5e6 + jitter(rng);
    c.observe(d, static_cast<int64_t>(host));
  }
  ASSERT_TRUE(c.drift_ppm().has_value());
  EXPECT_NEAR(*c.drift_ppm(), ppm, 2.0);
}

// Fuzz smoke (seeded, runs in every build; the libFuzzer target is
// tools/fuzz-decoder): random bytes, and valid streams with random damage.
// Nothing may crash, and no packet may come out twice.
TEST(LinkDecoderFuzzSmoke, RandomAndMutatedInputNeverCrashesOrDuplicates) {
  std::mt19937 rng(20261130);
  Received r;
  std::uniform_int_distribution<int> byte(0, 255), len(1, 700);
  for (int i = 0; i < 3000; ++i) {
    Bytes b(static_cast<size_t>(len(rng)));
    for (auto& x : b) x = static_cast<uint8_t>(byte(rng) < 8 ? 0 : byte(rng));
    r.push(b);
  }
  Bytes stream;
  std::vector<size_t> frame_end;  // one past each frame's last byte
  for (uint32_t s = 0; s < 2000; ++s) {
    const Bytes f = device_frame(3, s, 20000u * s, 1 + static_cast<int>(s % 32));
    stream.insert(stream.end(), f.begin(), f.end());
    frame_end.push_back(stream.size());
  }
  for (int round = 0; round < 20; ++round) {
    Bytes m = stream;
    std::vector<bool> hit(m.size(), false);
    std::uniform_int_distribution<size_t> pos(0, m.size() - 1);
    for (int k = 0; k < 200; ++k) {
      const size_t at = pos(rng);
      m[at] = static_cast<uint8_t>(byte(rng));
      hit[at] = true;
    }
    // Each round also goes through a decoder of its own: every frame the damage did not touch
    // comes out of it (untouched: none of its bytes hit, nor the last byte of the frame before,
    // the delimiter that ends it).
    Received fresh;
    size_t at = 0;
    while (at < m.size()) {
      const size_t n = std::min(m.size() - at, static_cast<size_t>(len(rng)));
      const Bytes piece(m.begin() + static_cast<long>(at), m.begin() + static_cast<long>(at + n));
      r.push(piece);
      fresh.push(piece);
      at += n;
    }
    const std::set<uint32_t> out(fresh.sequences.begin(), fresh.sequences.end());
    EXPECT_EQ(out.size(), fresh.sequences.size()) << "round " << round << ": a packet twice";
    size_t untouched = 0;
    for (uint32_t s = 0; s < frame_end.size(); ++s) {
      const size_t from = s == 0 ? 0 : frame_end[s - 1] - 1;
      if (std::any_of(hit.begin() + static_cast<long>(from),
                      hit.begin() + static_cast<long>(frame_end[s]), [](bool h) { return h; })) {
        continue;
      }
      ++untouched;
      EXPECT_EQ(out.count(s), 1u) << "round " << round << ": untouched frame " << s << " lost";
    }
    EXPECT_GT(untouched, 1500u);  // 200 hits among 2000 frames leave most untouched
  }
  // Fed every round, one decoder never lets a resent packet out twice.
  std::multiset<uint32_t> seen;
  for (uint32_t s : r.sequences) {
    EXPECT_EQ(seen.count(s), 0u) << s;
    seen.insert(s);
  }
  EXPECT_GT(r.decoder.stats().crc_failures + r.decoder.stats().malformed, 0u);
}

}  // namespace
