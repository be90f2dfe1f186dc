#include "uart.h"

void gkfw_uart_init(gkfw_uart_t* u, const gkfw_hal_t* hal, uint32_t baud) {
  u->hal = *hal;
  u->baud = baud;
  u->frames_sent = 0;
  u->frames_short = 0;
  u->bytes_sent = 0;
}

int gkfw_uart_send_frame(gkfw_uart_t* u, const uint8_t* frame, size_t len) {
  const size_t n = u->hal.uart_write(u->hal.ctx, frame, len);
  u->bytes_sent += n;
  if (n != len) {
    ++u->frames_short;
    return -1;
  }
  ++u->frames_sent;
  return 0;
}

uint32_t gkfw_uart_capacity_bps(const gkfw_uart_t* u) { return u->baud / 10u; }
