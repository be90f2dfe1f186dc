#include "packetizer.h"

#include <pb_encode.h>
#include <string.h>

int gkfw_packetizer_init(gkfw_packetizer_t* p, const gkfw_packetizer_config_t* config) {
  if (config->samples_per_packet == 0 || config->samples_per_packet > GKFW_MAX_SAMPLES) return -1;
  memset(p, 0, sizeof *p);
  p->config = *config;
  return 0;
}

int gkfw_packetizer_push(gkfw_packetizer_t* p, uint32_t t_us, const int16_t accel[3],
                         const int16_t gyro[3]) {
  gaitkeeper_pb_SensorPacket* m = &p->packet;
  const uint32_t i = p->count;
  for (int k = 0; k < 3; ++k) {
    m->accel[3 * i + (uint32_t)k] = accel[k];
    m->gyro[3 * i + (uint32_t)k] = gyro[k];
  }
  p->t_us[i] = t_us;
  p->count = i + 1u;
  return p->count >= p->config.samples_per_packet;
}

void gkfw_packetizer_set_temperature(gkfw_packetizer_t* p, float temperature_c) {
  p->has_temperature = 1;
  p->temperature_c = temperature_c;
}

size_t gkfw_packetizer_encode(gkfw_packetizer_t* p, uint8_t* payload, size_t cap) {
  if (p->count == 0) return 0;
  gaitkeeper_pb_SensorPacket* m = &p->packet;
  const gkfw_packetizer_config_t* c = &p->config;
  m->device_id = c->device_id;
  m->placement = c->placement;
  m->sequence = p->next_sequence;
  m->t_first_us = (int64_t)p->t_us[0];
  m->sample_period_us = c->sample_period_us;
  m->accel_count = (pb_size_t)(3u * p->count);
  m->gyro_count = c->gyro_range_dps ? (pb_size_t)(3u * p->count) : 0;
  m->accel_range_g = c->accel_range_g;
  m->gyro_range_dps = c->gyro_range_dps;
  m->has_temperature_c = p->has_temperature != 0;
  m->temperature_c = p->temperature_c;
  m->has_battery_pct = false;
  /* Per-sample offsets only when the spacing departs from nominal, as the
   * host packetizer does (src/stream/packetizer.cpp); the subtraction is
   * modulo 2^32 so a clock wrap inside a packet is harmless. */
  int irregular = 0;
  for (uint32_t i = 0; i < p->count; ++i) {
    if ((uint32_t)(p->t_us[i] - p->t_us[0]) != i * c->sample_period_us) irregular = 1;
  }
  m->t_offset_us_count = 0;
  if (irregular) {
    for (uint32_t i = 0; i < p->count; ++i) {
      m->t_offset_us[i] = (int32_t)(p->t_us[i] - p->t_us[0]);
    }
    m->t_offset_us_count = (pb_size_t)p->count;
  }
  pb_ostream_t os = pb_ostream_from_buffer(payload, cap);
  const bool ok = pb_encode(&os, gaitkeeper_pb_SensorPacket_fields, m);
  p->count = 0;
  p->has_temperature = 0;
  ++p->next_sequence;
  return ok ? os.bytes_written : 0;
}

size_t gkfw_packetizer_emit_frame(gkfw_packetizer_t* p, uint8_t* out, size_t cap) {
  uint8_t payload[GKFW_MAX_PAYLOAD];
  const size_t n = gkfw_packetizer_encode(p, payload, sizeof payload);
  if (n == 0) return 0;
  return gkfw_frame_encode(payload, n, out, cap);
}
