#include "icm42688.h"

/* Field encodings, datasheet section 14 (GYRO_CONFIG0, ACCEL_CONFIG0): the
 * full-scale select sits in bits 7:5 and the rate in bits 3:0. */
int icm42688_accel_fs_code(uint32_t range_g) {
  switch (range_g) {
    case 16:
      return 0;
    case 8:
      return 1;
    case 4:
      return 2;
    case 2:
      return 3;
    default:
      return -1;
  }
}

int icm42688_gyro_fs_code(uint32_t range_dps) {
  switch (range_dps) {
    case 2000:
      return 0;
    case 1000:
      return 1;
    case 500:
      return 2;
    case 250:
      return 3;
    case 125:
      return 4;
    default:
      return -1;
  }
}

int icm42688_odr_code(uint32_t odr_hz) {
  switch (odr_hz) {
    case 2000:
      return 5;
    case 1000:
      return 6;
    case 200:
      return 7;
    case 100:
      return 8;
    case 500:
      return 15;
    default:
      return -1;
  }
}

static int wr(icm42688_t* dev, uint8_t reg, uint8_t value) {
  return dev->hal.write_reg(dev->hal.ctx, reg, value);
}

icm42688_status icm42688_init(icm42688_t* dev, const gkfw_hal_t* hal,
                              const icm42688_config_t* config) {
  dev->hal = *hal;
  dev->config = *config;
  dev->fifo_overflows = 0;
  const int afs = icm42688_accel_fs_code(config->accel_range_g);
  const int gfs = icm42688_gyro_fs_code(config->gyro_range_dps);
  const int odr = icm42688_odr_code(config->odr_hz);
  if (afs < 0 || gfs < 0 || odr < 0) return ICM42688_ERR_CONFIG;
  if (wr(dev, ICM42688_REG_BANK_SEL, 0) != 0) return ICM42688_ERR_BUS;
  uint8_t who = 0;
  if (hal->read_regs(hal->ctx, ICM42688_WHO_AM_I, &who, 1) != 0) return ICM42688_ERR_BUS;
  if (who != ICM42688_WHO_AM_I_VALUE) return ICM42688_ERR_WHO_AM_I;
  /* Soft reset (DEVICE_CONFIG bit 0); the part needs 1 ms afterwards, which
   * the board's HAL honours inside write_reg. */
  if (wr(dev, ICM42688_DEVICE_CONFIG, 0x01) != 0) return ICM42688_ERR_BUS;
  const uint8_t gyro_cfg = (uint8_t)((unsigned)gfs << 5 | (unsigned)odr);
  const uint8_t accel_cfg = (uint8_t)((unsigned)afs << 5 | (unsigned)odr);
  /* INTF_CONFIG0 0x30: big-endian FIFO count in bytes and big-endian data
   * (reset default, written explicitly so a warm start cannot inherit other
   * settings). TMST_CONFIG 0x23: timestamp enabled, 1 us resolution, FSYNC off. */
  if (wr(dev, ICM42688_INTF_CONFIG0, 0x30) != 0 || wr(dev, ICM42688_GYRO_CONFIG0, gyro_cfg) != 0 ||
      wr(dev, ICM42688_ACCEL_CONFIG0, accel_cfg) != 0 || wr(dev, ICM42688_TMST_CONFIG, 0x23) != 0 ||
      /* FIFO_CONFIG1: accel, gyro, temperature in the FIFO (packet 3). */
      wr(dev, ICM42688_FIFO_CONFIG1, 0x07) != 0 ||
      /* FIFO_CONFIG bits 7:6 = 01: stream-to-FIFO. */
      wr(dev, ICM42688_FIFO_CONFIG, 0x40) != 0 ||
      /* SIGNAL_PATH_RESET bit 1: flush what was queued under old settings. */
      wr(dev, ICM42688_SIGNAL_PATH_RESET, 0x02) != 0 ||
      /* PWR_MGMT0: gyro and accel in low-noise mode. */
      wr(dev, ICM42688_PWR_MGMT0, 0x0F) != 0) {
    return ICM42688_ERR_BUS;
  }
  return ICM42688_OK;
}

static int16_t be16(const uint8_t* p) { return (int16_t)(uint16_t)((unsigned)p[0] << 8 | p[1]); }

int icm42688_read_fifo(icm42688_t* dev, icm42688_sample_t* out, size_t max) {
  uint8_t cnt[2];
  if (dev->hal.read_regs(dev->hal.ctx, ICM42688_FIFO_COUNTH, cnt, 2) != 0) return ICM42688_ERR_BUS;
  size_t bytes = (size_t)cnt[0] << 8 | cnt[1];
  size_t packets = bytes / ICM42688_FIFO_PACKET_BYTES;
  if (packets > max) packets = max;
  int n = 0;
  for (size_t i = 0; i < packets; ++i) {
    uint8_t p[ICM42688_FIFO_PACKET_BYTES];
    if (dev->hal.read_regs(dev->hal.ctx, ICM42688_FIFO_DATA, p, sizeof p) != 0) {
      return ICM42688_ERR_BUS;
    }
    const uint8_t want = ICM42688_HEADER_ACCEL | ICM42688_HEADER_GYRO;
    if ((p[0] & ICM42688_HEADER_MSG) || (p[0] & want) != want) {
      ++dev->fifo_overflows;
      continue;
    }
    icm42688_sample_t* s = &out[n++];
    for (int k = 0; k < 3; ++k) {
      s->accel[k] = be16(&p[1 + 2 * k]);
      s->gyro[k] = be16(&p[7 + 2 * k]);
    }
    s->temp_raw = (int8_t)p[13];
    s->timestamp_us = (uint16_t)be16(&p[14]);
  }
  return n;
}
