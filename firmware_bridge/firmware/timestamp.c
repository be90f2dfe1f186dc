#include "timestamp.h"

void gkfw_timestamper_reset(gkfw_timestamper_t* ts, uint32_t start_us) {
  ts->t_us = start_us;
  ts->last_raw = 0;
  ts->started = 0;
}

uint32_t gkfw_timestamper_push(gkfw_timestamper_t* ts, uint16_t raw) {
  if (ts->started) {
    /* Unsigned 16-bit difference is the elapsed time modulo 2^16. */
    ts->t_us += (uint16_t)(raw - ts->last_raw);
  }
  ts->started = 1;
  ts->last_raw = raw;
  return ts->t_us;
}
