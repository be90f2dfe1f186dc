/* UART output: frames go out as-is (the 0x00 delimiter makes the byte stream
 * self-synchronising, so no extra header). 8N1 costs 10 bit times per byte. */
#ifndef GKFW_UART_H
#define GKFW_UART_H

#include <stddef.h>
#include <stdint.h>

#include "hal.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct {
  gkfw_hal_t hal;
  uint32_t baud;
  uint32_t frames_sent;
  uint32_t frames_short; /* the HAL accepted fewer bytes than the frame */
  uint64_t bytes_sent;
} gkfw_uart_t;

void gkfw_uart_init(gkfw_uart_t* u, const gkfw_hal_t* hal, uint32_t baud);
/* Writes one frame; returns 0, or -1 when the HAL took fewer bytes (the
 * receiver then sees one corrupt frame and resynchronises). */
int gkfw_uart_send_frame(gkfw_uart_t* u, const uint8_t* frame, size_t len);
/* Bytes per second the line can carry at 8N1. */
uint32_t gkfw_uart_capacity_bps(const gkfw_uart_t* u);

#ifdef __cplusplus
}
#endif

#endif
