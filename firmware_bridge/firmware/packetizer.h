/* Device-side packetizer: collects IMU samples into one SensorPacket (the
 * nanopb struct, statically sized), encodes it with nanopb and frames it
 * (frame.h). One packetizer per device; no heap. */
#ifndef GKFW_PACKETIZER_H
#define GKFW_PACKETIZER_H

#include <stddef.h>
#include <stdint.h>

#include "frame.h"
#include "gaitkeeper.npb.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Must match the max_count options in gaitkeeper.options. */
#define GKFW_MAX_SAMPLES 32u

typedef struct {
  uint32_t device_id;
  gaitkeeper_pb_Placement placement;
  uint32_t accel_range_g;      /* full scale, e.g. 16 */
  uint32_t gyro_range_dps;     /* full scale, e.g. 2000; 0 = accel only */
  uint32_t sample_period_us;   /* nominal, e.g. 1000 at 1 kHz */
  uint32_t samples_per_packet; /* 1..GKFW_MAX_SAMPLES, e.g. 20 */
} gkfw_packetizer_config_t;

typedef struct {
  gkfw_packetizer_config_t config;
  gaitkeeper_pb_SensorPacket packet;
  uint32_t t_us[GKFW_MAX_SAMPLES]; /* device time of each pending sample */
  uint32_t count;                  /* pending samples */
  uint32_t next_sequence;
  int has_temperature;
  float temperature_c;
} gkfw_packetizer_t;

/* Returns 0, or -1 for an invalid config (samples_per_packet out of range). */
int gkfw_packetizer_init(gkfw_packetizer_t* p, const gkfw_packetizer_config_t* config);

/* Adds one sample (raw counts, device time in us, wrapping at 2^32). Returns
 * 1 when the packet is full and must be emitted before the next push. */
int gkfw_packetizer_push(gkfw_packetizer_t* p, uint32_t t_us, const int16_t accel[3],
                         const int16_t gyro[3]);

/* Latest die temperature to attach to the next packet. */
void gkfw_packetizer_set_temperature(gkfw_packetizer_t* p, float temperature_c);

/* Encodes the pending samples (a partial packet is allowed) as a protobuf
 * SensorPacket into payload; returns its length, 0 when nothing is pending or
 * encoding failed. Advances the sequence number. */
size_t gkfw_packetizer_encode(gkfw_packetizer_t* p, uint8_t* payload, size_t cap);

/* gkfw_packetizer_encode followed by gkfw_frame_encode: returns the framed
 * length written to out (cap >= GKFW_MAX_FRAME), or 0. */
size_t gkfw_packetizer_emit_frame(gkfw_packetizer_t* p, uint8_t* out, size_t cap);

#ifdef __cplusplus
}
#endif

#endif
