/* Driver for the TDK InvenSense ICM-42688-P 6-axis IMU (datasheet DS-000347
 * rev 1.8): identity check, full-scale and output data rate, FIFO in
 * "packet 3" format (header, accel, gyro, temperature, 16-bit timestamp; 16
 * bytes per sample), burst FIFO read. Register bank 0 only. */
#ifndef GKFW_ICM42688_H
#define GKFW_ICM42688_H

#include <stddef.h>
#include <stdint.h>

#include "hal.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Bank 0 register addresses (datasheet section 13). */
enum {
  ICM42688_DEVICE_CONFIG = 0x11,
  ICM42688_FIFO_CONFIG = 0x16,
  ICM42688_INT_STATUS = 0x2D,
  ICM42688_FIFO_COUNTH = 0x2E,
  ICM42688_FIFO_COUNTL = 0x2F,
  ICM42688_FIFO_DATA = 0x30,
  ICM42688_SIGNAL_PATH_RESET = 0x4B,
  ICM42688_INTF_CONFIG0 = 0x4C,
  ICM42688_PWR_MGMT0 = 0x4E,
  ICM42688_GYRO_CONFIG0 = 0x4F,
  ICM42688_ACCEL_CONFIG0 = 0x50,
  ICM42688_TMST_CONFIG = 0x54,
  ICM42688_FIFO_CONFIG1 = 0x5F,
  ICM42688_WHO_AM_I = 0x75,
  ICM42688_REG_BANK_SEL = 0x76
};

#define ICM42688_WHO_AM_I_VALUE 0x47u
#define ICM42688_FIFO_PACKET_BYTES 16u
#define ICM42688_FIFO_BYTES 2048u
/* FIFO header bits (datasheet 6.1): bit7 = empty-FIFO message, bit6 accel,
 * bit5 gyro, bits3:2 = 10b timestamp is ODR-based. */
#define ICM42688_HEADER_MSG 0x80u
#define ICM42688_HEADER_ACCEL 0x40u
#define ICM42688_HEADER_GYRO 0x20u
#define ICM42688_HEADER_TMST_ODR 0x08u

typedef struct {
  uint32_t accel_range_g;  /* 2, 4, 8 or 16 */
  uint32_t gyro_range_dps; /* 125, 250, 500, 1000 or 2000 */
  uint32_t odr_hz;         /* 100, 200, 500, 1000, 2000 (same for both) */
} icm42688_config_t;

/* One FIFO sample: raw counts as the part reports them. */
typedef struct {
  int16_t accel[3];
  int16_t gyro[3];
  int8_t temp_raw;       /* degC = raw / 2.07 + 25 (FIFO 8-bit temperature) */
  uint16_t timestamp_us; /* FIFO timestamp, 1 us resolution, wraps at 2^16 */
} icm42688_sample_t;

typedef enum {
  ICM42688_OK = 0,
  ICM42688_ERR_BUS = -1,
  ICM42688_ERR_WHO_AM_I = -2,
  ICM42688_ERR_CONFIG = -3
} icm42688_status;

typedef struct {
  gkfw_hal_t hal;
  icm42688_config_t config;
  uint32_t fifo_overflows; /* reads that found a partial or invalid packet */
} icm42688_t;

/* Checks WHO_AM_I, soft-resets, sets ranges and rate, enables the FIFO in
 * stream mode with accel + gyro + temperature + timestamp. */
icm42688_status icm42688_init(icm42688_t* dev, const gkfw_hal_t* hal,
                              const icm42688_config_t* config);

/* Encodings of the config fields (exposed for the fake part and tests);
 * return -1 for an unsupported value. */
int icm42688_accel_fs_code(uint32_t range_g);
int icm42688_gyro_fs_code(uint32_t range_dps);
int icm42688_odr_code(uint32_t odr_hz);

/* Reads up to max samples from the FIFO into out; returns how many, or a
 * negative icm42688_status. Empty or invalid packets are skipped. */
int icm42688_read_fifo(icm42688_t* dev, icm42688_sample_t* out, size_t max);

#ifdef __cplusplus
}
#endif

#endif
