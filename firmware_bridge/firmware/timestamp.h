/* Extends the ICM-42688-P's 16-bit FIFO timestamp (1 us, wraps every 65.5 ms)
 * to the 32-bit device clock carried in SensorPacket.t_first_us. Safe while
 * consecutive samples are less than 65.5 ms apart (any rate >= 16 Hz). */
#ifndef GKFW_TIMESTAMP_H
#define GKFW_TIMESTAMP_H

#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef struct {
  uint32_t t_us;     /* extended time of the last sample, wraps at 2^32 */
  uint16_t last_raw; /* last 16-bit FIFO timestamp */
  int started;
} gkfw_timestamper_t;

/* start_us: device clock (hal.now_us) when the FIFO was started. */
void gkfw_timestamper_reset(gkfw_timestamper_t* ts, uint32_t start_us);
/* Returns the 32-bit device time of a sample with FIFO timestamp raw. */
uint32_t gkfw_timestamper_push(gkfw_timestamper_t* ts, uint16_t raw);

#ifdef __cplusplus
}
#endif

#endif
