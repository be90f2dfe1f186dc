/* The small hardware interface the firmware core runs on: register access to
 * the IMU (SPI or I2C underneath), a free-running microsecond counter and a
 * byte sink for the UART. A board provides one; tests and the emulator
 * provide a fake (fake_icm42688.h). Functions return 0 on success. */
#ifndef GKFW_HAL_H
#define GKFW_HAL_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef struct gkfw_hal {
  void* ctx;
  /* Burst read of len bytes starting at reg (auto-increment, except FIFO_DATA
   * which the part serves repeatedly). */
  int (*read_regs)(void* ctx, uint8_t reg, uint8_t* buf, size_t len);
  int (*write_reg)(void* ctx, uint8_t reg, uint8_t value);
  /* Device clock: free-running microseconds, wraps at 2^32 (~71.6 min). */
  uint32_t (*now_us)(void* ctx);
  /* Blocks until len bytes are queued on the UART; returns bytes accepted. */
  size_t (*uart_write)(void* ctx, const uint8_t* buf, size_t len);
} gkfw_hal_t;

#ifdef __cplusplus
}
#endif

#endif
