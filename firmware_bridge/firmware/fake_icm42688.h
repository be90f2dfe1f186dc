/* A register-level stand-in for the ICM-42688-P behind gkfw_hal_t, for host
 * tests and the emulator: the register file, a 2 KiB FIFO in packet-3 format
 * that the caller fills with samples, a settable device clock and a UART sink.
 * The driver under test talks to it exactly as to the part. */
#ifndef GKFW_FAKE_ICM42688_H
#define GKFW_FAKE_ICM42688_H

#include <stddef.h>
#include <stdint.h>

#include "hal.h"
#include "icm42688.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef size_t (*gkfw_fake_uart_sink)(void* user, const uint8_t* buf, size_t len);

typedef struct {
  uint8_t regs[128];
  uint8_t fifo[ICM42688_FIFO_BYTES];
  size_t fifo_head; /* next byte to read */
  size_t fifo_len;
  uint32_t fifo_dropped; /* samples lost because the FIFO was full */
  uint32_t now_us;
  uint32_t writes; /* register writes seen, for tests */
  int fail_bus;    /* nonzero: every access fails (bus fault injection) */
  gkfw_fake_uart_sink uart_sink;
  void* uart_user;
} gkfw_fake_icm42688_t;

/* Power-on state: WHO_AM_I = 0x47, everything else 0, FIFO empty. */
void gkfw_fake_icm42688_init(gkfw_fake_icm42688_t* f);
/* A HAL whose ctx is f. */
gkfw_hal_t gkfw_fake_icm42688_hal(gkfw_fake_icm42688_t* f);
/* Queues one packet-3 FIFO record; returns 0, or -1 when the FIFO is full
 * (the sample is dropped, as the part does in stream mode). */
int gkfw_fake_icm42688_push(gkfw_fake_icm42688_t* f, const int16_t accel[3], const int16_t gyro[3],
                            int8_t temp_raw, uint16_t timestamp_us);
/* Full scale currently programmed, decoded from the config registers. */
uint32_t gkfw_fake_icm42688_accel_range_g(const gkfw_fake_icm42688_t* f);
uint32_t gkfw_fake_icm42688_gyro_range_dps(const gkfw_fake_icm42688_t* f);

#ifdef __cplusplus
}
#endif

#endif
