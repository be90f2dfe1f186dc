#include "fake_icm42688.h"

#include <string.h>

void gkfw_fake_icm42688_init(gkfw_fake_icm42688_t* f) {
  memset(f, 0, sizeof *f);
  f->regs[ICM42688_WHO_AM_I] = ICM42688_WHO_AM_I_VALUE;
}

static uint8_t fifo_pop(gkfw_fake_icm42688_t* f) {
  if (f->fifo_len == 0) return ICM42688_HEADER_MSG; /* the part's empty marker */
  const uint8_t b = f->fifo[f->fifo_head];
  f->fifo_head = (f->fifo_head + 1u) % ICM42688_FIFO_BYTES;
  --f->fifo_len;
  return b;
}

static int fake_read(void* ctx, uint8_t reg, uint8_t* buf, size_t len) {
  gkfw_fake_icm42688_t* f = (gkfw_fake_icm42688_t*)ctx;
  if (f->fail_bus) return -1;
  for (size_t i = 0; i < len; ++i) {
    if (reg == ICM42688_FIFO_DATA) {
      buf[i] = fifo_pop(f);
      continue;
    }
    const uint8_t r = (uint8_t)(reg + i);
    if (r == ICM42688_FIFO_COUNTH) {
      buf[i] = (uint8_t)(f->fifo_len >> 8);
    } else if (r == ICM42688_FIFO_COUNTL) {
      buf[i] = (uint8_t)(f->fifo_len & 0xFFu);
    } else {
      buf[i] = f->regs[r & 0x7Fu];
    }
  }
  return 0;
}

static int fake_write(void* ctx, uint8_t reg, uint8_t value) {
  gkfw_fake_icm42688_t* f = (gkfw_fake_icm42688_t*)ctx;
  if (f->fail_bus) return -1;
  ++f->writes;
  if (reg == ICM42688_DEVICE_CONFIG && (value & 0x01u)) {
    const uint32_t now = f->now_us;
    const gkfw_fake_uart_sink sink = f->uart_sink;
    void* user = f->uart_user;
    const uint32_t writes = f->writes;
    gkfw_fake_icm42688_init(f);
    f->now_us = now;
    f->uart_sink = sink;
    f->uart_user = user;
    f->writes = writes;
    return 0;
  }
  if (reg == ICM42688_SIGNAL_PATH_RESET && (value & 0x02u)) {
    f->fifo_head = 0;
    f->fifo_len = 0;
    return 0;
  }
  f->regs[reg & 0x7Fu] = value;
  return 0;
}

static uint32_t fake_now(void* ctx) { return ((gkfw_fake_icm42688_t*)ctx)->now_us; }

static size_t fake_uart(void* ctx, const uint8_t* buf, size_t len) {
  gkfw_fake_icm42688_t* f = (gkfw_fake_icm42688_t*)ctx;
  return f->uart_sink ? f->uart_sink(f->uart_user, buf, len) : len;
}

gkfw_hal_t gkfw_fake_icm42688_hal(gkfw_fake_icm42688_t* f) {
  gkfw_hal_t h;
  h.ctx = f;
  h.read_regs = fake_read;
  h.write_reg = fake_write;
  h.now_us = fake_now;
  h.uart_write = fake_uart;
  return h;
}

static void put_be16(gkfw_fake_icm42688_t* f, size_t at, uint16_t v) {
  f->fifo[at % ICM42688_FIFO_BYTES] = (uint8_t)(v >> 8);
  f->fifo[(at + 1u) % ICM42688_FIFO_BYTES] = (uint8_t)(v & 0xFFu);
}

int gkfw_fake_icm42688_push(gkfw_fake_icm42688_t* f, const int16_t accel[3], const int16_t gyro[3],
                            int8_t temp_raw, uint16_t timestamp_us) {
  if (f->fifo_len + ICM42688_FIFO_PACKET_BYTES > ICM42688_FIFO_BYTES) {
    ++f->fifo_dropped;
    return -1;
  }
  const size_t at = f->fifo_head + f->fifo_len;
  f->fifo[at % ICM42688_FIFO_BYTES] =
      ICM42688_HEADER_ACCEL | ICM42688_HEADER_GYRO | ICM42688_HEADER_TMST_ODR;
  for (size_t k = 0; k < 3u; ++k) {
    put_be16(f, at + 1u + 2u * k, (uint16_t)accel[k]);
    put_be16(f, at + 7u + 2u * k, (uint16_t)gyro[k]);
  }
  f->fifo[(at + 13u) % ICM42688_FIFO_BYTES] = (uint8_t)temp_raw;
  put_be16(f, at + 14u, timestamp_us);
  f->fifo_len += ICM42688_FIFO_PACKET_BYTES;
  return 0;
}

uint32_t gkfw_fake_icm42688_accel_range_g(const gkfw_fake_icm42688_t* f) {
  static const uint32_t ranges[4] = {16, 8, 4, 2};
  const unsigned code = f->regs[ICM42688_ACCEL_CONFIG0] >> 5;
  return code < 4u ? ranges[code] : 0;
}

uint32_t gkfw_fake_icm42688_gyro_range_dps(const gkfw_fake_icm42688_t* f) {
  static const uint32_t ranges[5] = {2000, 1000, 500, 250, 125};
  const unsigned code = f->regs[ICM42688_GYRO_CONFIG0] >> 5;
  return code < 5u ? ranges[code] : 0;
}
