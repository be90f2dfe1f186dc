// Device firmware core (firmware_bridge/firmware, C11) on the host: CRC-32C
// and COBS against published vectors, framing, the ICM-42688-P driver against
// the fake register file, timestamping, the nanopb packetizer read back by
// libprotobuf, BLE MTU splitting and RSC Measurement encoding.
#include <gtest/gtest.h>

#include <cstring>
#include <numeric>
#include <string>
#include <vector>

#include "ble_gatt.h"
#include "cobs.h"
#include "crc32c.h"
#include "device.h"
#include "fake_icm42688.h"
#include "frame.h"
#include "gaitkeeper.pb.h"
#include "icm42688.h"
#include "packetizer.h"
#include "timestamp.h"

namespace {

using Bytes = std::vector<uint8_t>;

Bytes bytes_of(const std::string& s) { return Bytes(s.begin(), s.end()); }

TEST(Crc32c, PublishedCheckValues) {
  // "123456789" is the standard check string; the 32-byte vectors are from
  // RFC 3720 appendix B.4 (iSCSI).
  const Bytes check = bytes_of("123456789");
  EXPECT_EQ(gkfw_crc32c(check.data(), check.size()), 0xE3069283u);
  Bytes zeros(32, 0x00), ones(32, 0xFF), up(32), down(32);
  std::iota(up.begin(), up.end(), uint8_t{0});
  for (size_t i = 0; i < 32; ++i) down[i] = static_cast<uint8_t>(31 - i);
  EXPECT_EQ(gkfw_crc32c(zeros.data(), 32), 0x8A9136AAu);
  EXPECT_EQ(gkfw_crc32c(ones.data(), 32), 0x62A8AB43u);
  EXPECT_EQ(gkfw_crc32c(up.data(), 32), 0x46DD794Eu);
  EXPECT_EQ(gkfw_crc32c(down.data(), 32), 0x113FDB5Cu);
}

TEST(Crc32c, IncrementalEqualsOneShotAtEveryLength) {
  Bytes data(300);
  for (size_t i = 0; i < data.size(); ++i) data[i] = static_cast<uint8_t>(i * 37 + 11);
  for (size_t split = 0; split <= data.size(); split += 7) {
    const uint32_t a = gkfw_crc32c_update(gkfw_crc32c_update(0, data.data(), split),
                                          data.data() + split, data.size() - split);
    EXPECT_EQ(a, gkfw_crc32c(data.data(), data.size())) << split;
  }
}

Bytes cobs(const Bytes& in) {
  Bytes out(GKFW_COBS_MAX_ENCODED(in.size()));
  const size_t n = gkfw_cobs_encode(in.data(), in.size(), out.data(), out.size());
  out.resize(n);
  return out;
}

Bytes uncobs(const Bytes& in) {
  Bytes out(in.size());
  const size_t n = gkfw_cobs_decode(in.data(), in.size(), out.data(), out.size());
  if (n == GKFW_COBS_ERROR) return {0xEE, 0xEE};
  out.resize(n);
  return out;
}

Bytes range(int from, int to) {  // inclusive
  Bytes b;
  for (int v = from; v <= to; ++v) b.push_back(static_cast<uint8_t>(v));
  return b;
}

Bytes cat(Bytes a, const Bytes& b) {
  a.insert(a.end(), b.begin(), b.end());
  return a;
}

TEST(Cobs, CheshireBakerExamples) {
  // The worked examples of the COBS paper / its Wikipedia summary.
  const std::vector<std::pair<Bytes, Bytes>> cases = {
      {{0x00}, {0x01, 0x01}},
      {{0x00, 0x00}, {0x01, 0x01, 0x01}},
      {{0x00, 0x11, 0x00}, {0x01, 0x02, 0x11, 0x01}},
      {{0x11, 0x22, 0x00, 0x33}, {0x03, 0x11, 0x22, 0x02, 0x33}},
      {{0x11, 0x22, 0x33, 0x44}, {0x05, 0x11, 0x22, 0x33, 0x44}},
      {{0x11, 0x00, 0x00, 0x00}, {0x02, 0x11, 0x01, 0x01, 0x01}},
      {range(1, 254), cat({0xFF}, range(1, 254))},
      {cat({0x00}, range(1, 254)), cat({0x01, 0xFF}, range(1, 254))},
      {range(1, 255), cat(cat({0xFF}, range(1, 254)), {0x02, 0xFF})},
      {cat(range(2, 255), {0x00}), cat(cat({0xFF}, range(2, 255)), {0x01, 0x01})},
      {cat(cat(range(3, 255), {0x00}), {0x01}), cat(cat({0xFE}, range(3, 255)), {0x02, 0x01})},
  };
  for (const auto& [plain, coded] : cases) {
    EXPECT_EQ(cobs(plain), coded);
    EXPECT_EQ(uncobs(coded), plain);
  }
}

TEST(Cobs, RejectsMalformedBlocks) {
  Bytes out(16);
  const Bytes zero_inside = {0x03, 0x11, 0x00};
  const Bytes runs_past_end = {0x05, 0x11, 0x22};
  EXPECT_EQ(gkfw_cobs_decode(zero_inside.data(), 3, out.data(), out.size()), GKFW_COBS_ERROR);
  EXPECT_EQ(gkfw_cobs_decode(runs_past_end.data(), 3, out.data(), out.size()), GKFW_COBS_ERROR);
  const Bytes ok = {0x05, 0x11, 0x22, 0x33, 0x44};
  EXPECT_EQ(gkfw_cobs_decode(ok.data(), ok.size(), out.data(), 3), GKFW_COBS_ERROR);  // too small
  EXPECT_EQ(gkfw_cobs_encode(ok.data(), ok.size(), out.data(), 5), 0u);
}

TEST(Frame, GoldenVector) {
  // 0x00, payload "123456789", CRC 0xE3069283 little-endian, one COBS block, 0x00.
  const Bytes payload = bytes_of("123456789");
  Bytes frame(GKFW_MAX_FRAME);
  const size_t n = gkfw_frame_encode(payload.data(), payload.size(), frame.data(), frame.size());
  frame.resize(n);
  Bytes expect = {0x00, 0x0E};
  expect.insert(expect.end(), payload.begin(), payload.end());
  expect.insert(expect.end(), {0x83, 0x92, 0x06, 0xE3, 0x00});
  EXPECT_EQ(frame, expect);
  Bytes out(GKFW_MAX_PAYLOAD + 4);
  size_t len = 0;
  ASSERT_EQ(gkfw_frame_decode(frame.data() + 1, n - 2, out.data(), out.size(), &len),
            GKFW_FRAME_OK);
  EXPECT_EQ(Bytes(out.begin(), out.begin() + static_cast<long>(len)), payload);
}

TEST(Frame, EverySingleBitFlipIsRejected) {
  Bytes payload(200);
  for (size_t i = 0; i < payload.size(); ++i) payload[i] = static_cast<uint8_t>(i % 7);
  Bytes frame(GKFW_MAX_FRAME);
  const size_t n = gkfw_frame_encode(payload.data(), payload.size(), frame.data(), frame.size());
  ASSERT_GT(n, payload.size());
  Bytes out(GKFW_MAX_PAYLOAD + 4);
  for (size_t i = 0; i + 2 < n; ++i) {
    for (int bit = 0; bit < 8; ++bit) {
      Bytes bad(frame.begin() + 1, frame.begin() + static_cast<long>(n - 1));
      bad[i] = static_cast<uint8_t>(bad[i] ^ (1u << bit));
      if (bad[i] == 0) continue;  // a new delimiter: the decoder splits there instead
      size_t len = 0;
      EXPECT_NE(gkfw_frame_decode(bad.data(), bad.size(), out.data(), out.size(), &len),
                GKFW_FRAME_OK)
          << i << ":" << bit;
    }
  }
  EXPECT_EQ(gkfw_frame_encode(payload.data(), GKFW_MAX_PAYLOAD + 1, frame.data(), frame.size()),
            0u);
}

struct FakeImu : ::testing::Test {
  void SetUp() override {
    gkfw_fake_icm42688_init(&fake);
    hal = gkfw_fake_icm42688_hal(&fake);
  }
  gkfw_fake_icm42688_t fake{};
  gkfw_hal_t hal{};
};

TEST_F(FakeImu, InitProgramsFullScaleRateAndFifo) {
  icm42688_t dev;
  const icm42688_config_t cfg{8, 500, 1000};
  ASSERT_EQ(icm42688_init(&dev, &hal, &cfg), ICM42688_OK);
  EXPECT_EQ(fake.regs[ICM42688_ACCEL_CONFIG0], 0x26);  // FS 8 g (001) | ODR 1 kHz (0110)
  EXPECT_EQ(fake.regs[ICM42688_GYRO_CONFIG0], 0x46);   // FS 500 dps (010) | 1 kHz
  EXPECT_EQ(fake.regs[ICM42688_FIFO_CONFIG], 0x40);    // stream-to-FIFO
  EXPECT_EQ(fake.regs[ICM42688_FIFO_CONFIG1], 0x07);   // accel, gyro, temperature
  EXPECT_EQ(fake.regs[ICM42688_PWR_MGMT0], 0x0F);      // both low-noise
  EXPECT_EQ(gkfw_fake_icm42688_accel_range_g(&fake), 8u);
  EXPECT_EQ(gkfw_fake_icm42688_gyro_range_dps(&fake), 500u);
}

TEST_F(FakeImu, InitRejectsWrongPartBadConfigAndBusFaults) {
  icm42688_t dev;
  const icm42688_config_t cfg{16, 2000, 1000};
  const icm42688_config_t bad{3, 2000, 1000};
  EXPECT_EQ(icm42688_init(&dev, &hal, &bad), ICM42688_ERR_CONFIG);
  fake.regs[ICM42688_WHO_AM_I] = 0x6C;  // an LSM6DSO answers 0x6C
  EXPECT_EQ(icm42688_init(&dev, &hal, &cfg), ICM42688_ERR_WHO_AM_I);
  fake.regs[ICM42688_WHO_AM_I] = ICM42688_WHO_AM_I_VALUE;
  fake.fail_bus = 1;
  EXPECT_EQ(icm42688_init(&dev, &hal, &cfg), ICM42688_ERR_BUS);
}

TEST_F(FakeImu, FifoReadReturnsSamplesInOrderWithBigEndianDecoding) {
  icm42688_t dev;
  const icm42688_config_t cfg{16, 2000, 1000};
  ASSERT_EQ(icm42688_init(&dev, &hal, &cfg), ICM42688_OK);
  for (int i = 0; i < 5; ++i) {
    const int16_t a[3] = {static_cast<int16_t>(i), -32768, 32767};
    const int16_t g[3] = {static_cast<int16_t>(-i), 258, -2};
    ASSERT_EQ(gkfw_fake_icm42688_push(&fake, a, g, 10, static_cast<uint16_t>(65530 + i * 3)), 0);
  }
  icm42688_sample_t s[8];
  ASSERT_EQ(icm42688_read_fifo(&dev, s, 3), 3);
  ASSERT_EQ(icm42688_read_fifo(&dev, s + 3, 8), 2);
  EXPECT_EQ(icm42688_read_fifo(&dev, s, 8), 0);
  for (int i = 0; i < 5; ++i) {
    EXPECT_EQ(s[i].accel[0], i);
    EXPECT_EQ(s[i].accel[1], -32768);
    EXPECT_EQ(s[i].accel[2], 32767);
    EXPECT_EQ(s[i].gyro[0], -i);
    EXPECT_EQ(s[i].gyro[1], 258);
    EXPECT_EQ(s[i].gyro[2], -2);
    EXPECT_EQ(s[i].temp_raw, 10);
    EXPECT_EQ(s[i].timestamp_us, static_cast<uint16_t>(65530 + i * 3));
  }
}

TEST_F(FakeImu, FullFifoDropsSamplesLikeThePart) {
  const int16_t a[3] = {1, 2, 3};
  int pushed = 0;
  while (gkfw_fake_icm42688_push(&fake, a, a, 0, 0) == 0) ++pushed;
  EXPECT_EQ(pushed, static_cast<int>(ICM42688_FIFO_BYTES / ICM42688_FIFO_PACKET_BYTES));
  EXPECT_EQ(fake.fifo_dropped, 1u);
}

TEST(Timestamper, ExtendsThe16BitFifoClockAcrossItsWrap) {
  gkfw_timestamper_t ts;
  gkfw_timestamper_reset(&ts, 0xFFFFFF00u);  // also near the 32-bit wrap
  EXPECT_EQ(gkfw_timestamper_push(&ts, 65000), 0xFFFFFF00u);
  EXPECT_EQ(gkfw_timestamper_push(&ts, 65500), 0xFFFFFF00u + 500u);
  EXPECT_EQ(gkfw_timestamper_push(&ts, 464), 744u);  // 16-bit and 32-bit wrap
  EXPECT_EQ(gkfw_timestamper_push(&ts, 1464), 1744u);
}

gaitkeeper::pb::SensorPacket parse(const Bytes& payload) {
  gaitkeeper::pb::SensorPacket p;
  EXPECT_TRUE(p.ParseFromArray(payload.data(), static_cast<int>(payload.size())));
  return p;
}

TEST(Packetizer, NanopbEncodingReadsBackWithLibprotobuf) {
  gkfw_packetizer_t pk;
  const gkfw_packetizer_config_t cfg{7, gaitkeeper_pb_Placement_LEFT_SHANK, 16, 2000, 1000, 4};
  ASSERT_EQ(gkfw_packetizer_init(&pk, &cfg), 0);
  pk.next_sequence = 0xFFFFFFFFu;
  for (uint32_t i = 0; i < 4; ++i) {
    const int16_t a[3] = {static_cast<int16_t>(i), -32768, 32767};
    const int16_t g[3] = {-1, static_cast<int16_t>(100 * i), 0};
    EXPECT_EQ(gkfw_packetizer_push(&pk, 5000u + 1000u * i, a, g), i == 3 ? 1 : 0);
  }
  gkfw_packetizer_set_temperature(&pk, 31.5f);
  Bytes payload(GKFW_MAX_PAYLOAD);
  payload.resize(gkfw_packetizer_encode(&pk, payload.data(), payload.size()));
  const auto p = parse(payload);
  EXPECT_EQ(p.device_id(), 7u);
  EXPECT_EQ(p.placement(), gaitkeeper::pb::LEFT_SHANK);
  EXPECT_EQ(p.sequence(), 0xFFFFFFFFu);
  EXPECT_EQ(p.t_first_us(), 5000);
  EXPECT_EQ(p.sample_period_us(), 1000u);
  ASSERT_EQ(p.accel_size(), 12);
  ASSERT_EQ(p.gyro_size(), 12);
  EXPECT_EQ(p.accel(9), 3);
  EXPECT_EQ(p.accel(10), -32768);
  EXPECT_EQ(p.accel(11), 32767);
  EXPECT_EQ(p.gyro(10), 300);
  EXPECT_EQ(p.t_offset_us_size(), 0);  // regular spacing needs no offsets
  EXPECT_FLOAT_EQ(p.temperature_c(), 31.5f);
  EXPECT_EQ(p.accel_range_g(), 16u);
  EXPECT_EQ(p.gyro_range_dps(), 2000u);
  EXPECT_EQ(pk.next_sequence, 0u);  // wrapped
  EXPECT_EQ(gkfw_packetizer_encode(&pk, payload.data(), payload.capacity()),
            0u);  // nothing pending
}

TEST(Packetizer, IrregularSpacingCarriesOffsetsAcrossTheClockWrap) {
  gkfw_packetizer_t pk;
  const gkfw_packetizer_config_t cfg{1, gaitkeeper_pb_Placement_PELVIS, 8, 0, 1000, 3};
  ASSERT_EQ(gkfw_packetizer_init(&pk, &cfg), 0);
  const int16_t a[3] = {1, 2, 3};
  gkfw_packetizer_push(&pk, 0xFFFFFE00u, a, a);
  gkfw_packetizer_push(&pk, 0xFFFFFE00u + 1003u, a, a);
  gkfw_packetizer_push(&pk, 0xFFFFFE00u + 1999u, a, a);
  Bytes payload(GKFW_MAX_PAYLOAD);
  payload.resize(gkfw_packetizer_encode(&pk, payload.data(), payload.size()));
  const auto p = parse(payload);
  EXPECT_EQ(p.gyro_size(), 0);  // accelerometer-only configuration
  ASSERT_EQ(p.t_offset_us_size(), 3);
  EXPECT_EQ(p.t_offset_us(1), 1003);
  EXPECT_EQ(p.t_offset_us(2), 1999);
  const gkfw_packetizer_config_t bad{1, gaitkeeper_pb_Placement_PELVIS, 8, 0, 1000, 33};
  EXPECT_EQ(gkfw_packetizer_init(&pk, &bad), -1);
}

struct Captured {
  Bytes bytes;
};

size_t capture(void* user, const uint8_t* buf, size_t len) {
  auto* c = static_cast<Captured*>(user);
  c->bytes.insert(c->bytes.end(), buf, buf + len);
  return len;
}

TEST_F(FakeImu, DeviceDrainsFifoIntoFramesOnTheUart) {
  Captured uart;
  fake.uart_sink = capture;
  fake.uart_user = &uart;
  fake.now_us = 123456;
  gkfw_device_t dev;
  const gkfw_device_config_t cfg{
      {16, 2000, 1000}, 3, gaitkeeper_pb_Placement_RIGHT_FOOT, 20, 921600};
  ASSERT_EQ(gkfw_device_init(&dev, &hal, &cfg), ICM42688_OK);
  for (int i = 0; i < 45; ++i) {
    const int16_t a[3] = {static_cast<int16_t>(i), 0, 2048};
    const int16_t g[3] = {0, static_cast<int16_t>(-i), 0};
    ASSERT_EQ(gkfw_fake_icm42688_push(&fake, a, g, 0, static_cast<uint16_t>(1000 * i)), 0);
  }
  EXPECT_EQ(gkfw_device_poll(&dev), 2);
  EXPECT_EQ(gkfw_device_flush(&dev), 1);
  EXPECT_EQ(dev.uart.frames_sent, 3u);
  // Split the UART stream at the delimiters and check every frame.
  std::vector<gaitkeeper::pb::SensorPacket> packets;
  size_t start = 0;
  for (size_t i = 0; i < uart.bytes.size(); ++i) {
    if (uart.bytes[i] != 0) continue;
    if (i == start) {  // the leading delimiter of the next frame
      start = i + 1;
      continue;
    }
    Bytes out(GKFW_MAX_PAYLOAD + 4);
    size_t len = 0;
    ASSERT_EQ(gkfw_frame_decode(uart.bytes.data() + start, i - start, out.data(), out.size(), &len),
              GKFW_FRAME_OK);
    out.resize(len);
    packets.push_back(parse(out));
    start = i + 1;
  }
  EXPECT_EQ(start, uart.bytes.size());
  ASSERT_EQ(packets.size(), 3u);
  for (uint32_t k = 0; k < 3; ++k) {
    EXPECT_EQ(packets[k].sequence(), k);
    EXPECT_EQ(packets[k].device_id(), 3u);
    EXPECT_EQ(packets[k].t_first_us(), 123456 + 20000 * static_cast<int64_t>(k));
    EXPECT_EQ(packets[k].accel(0), static_cast<int>(20 * k));
  }
  EXPECT_EQ(packets[2].accel_size(), 15);  // the flushed short packet
  EXPECT_FLOAT_EQ(packets[0].temperature_c(), 25.0f);
}

TEST(Ble, FramesSplitToTheMtuAndConcatenateBack) {
  Bytes frame(301);
  for (size_t i = 0; i < frame.size(); ++i) frame[i] = static_cast<uint8_t>(i | 1);
  for (uint16_t mtu : {uint16_t{23}, uint16_t{185}, uint16_t{247}, uint16_t{10}}) {
    gkfw_ble_chunker_t c;
    gkfw_ble_chunker_init(&c, frame.data(), frame.size(), mtu);
    Bytes joined;
    size_t pieces = 0;
    const uint8_t* chunk = nullptr;
    const size_t limit = (mtu < 23 ? 23u : mtu) - 3u;
    while (const size_t n = gkfw_ble_chunker_next(&c, &chunk)) {
      EXPECT_LE(n, limit);
      joined.insert(joined.end(), chunk, chunk + n);
      ++pieces;
    }
    EXPECT_EQ(joined, frame);
    EXPECT_EQ(pieces, gkfw_ble_notifications_needed(frame.size(), mtu));
  }
  EXPECT_EQ(gkfw_ble_notifications_needed(301, 23), 16u);  // ceil(301 / 20)
}

TEST(Ble, UuidBytesMatchTheirStrings) {
  auto le_of = [](const char* s) {
    Bytes be;
    for (const char* p = s; *p; ++p) {
      if (*p == '-') continue;
      be.push_back(static_cast<uint8_t>(std::stoi(std::string(p, 2), nullptr, 16)));
      ++p;
    }
    return Bytes(be.rbegin(), be.rend());
  };
  EXPECT_EQ(le_of(GKFW_BLE_SERVICE_UUID),
            Bytes(gkfw_ble_service_uuid_le, gkfw_ble_service_uuid_le + 16));
  EXPECT_EQ(le_of(GKFW_BLE_STREAM_CHAR_UUID),
            Bytes(gkfw_ble_stream_char_uuid_le, gkfw_ble_stream_char_uuid_le + 16));
}

TEST(Rsc, MeasurementEncodingFollowsTheSpecResolutions) {
  uint8_t out[GKFW_RSC_MEASUREMENT_MAX_BYTES];
  const gkfw_rsc_measurement_t full{3.5f, 180.0f, 1, 1.17f, 1, 1234.5f, 1};
  ASSERT_EQ(gkfw_rsc_encode_measurement(&full, out, sizeof out), 10u);
  // flags 0x07; speed 3.5*256 = 0x0380; cadence 180; stride 117 cm; 12345 dm.
  const Bytes expect = {0x07, 0x80, 0x03, 0xB4, 0x75, 0x00, 0x39, 0x30, 0x00, 0x00};
  EXPECT_EQ(Bytes(out, out + 10), expect);
  const gkfw_rsc_measurement_t walk{1.25f, 300.0f, 0, 0, 0, 0, 0};
  ASSERT_EQ(gkfw_rsc_encode_measurement(&walk, out, sizeof out), 4u);
  EXPECT_EQ(Bytes(out, out + 4), (Bytes{0x00, 0x40, 0x01, 0xFF}));  // cadence saturates at 255
  const gkfw_rsc_measurement_t neg{-1.0f, -5.0f, 0, 0, 0, 0, 1};
  ASSERT_EQ(gkfw_rsc_encode_measurement(&neg, out, sizeof out), 4u);
  EXPECT_EQ(Bytes(out, out + 4), (Bytes{0x04, 0x00, 0x00, 0x00}));
  EXPECT_EQ(gkfw_rsc_encode_measurement(&full, out, 4), 0u);
  EXPECT_EQ(gkfw_rsc_feature(), 0x0007);
}

}  // namespace
