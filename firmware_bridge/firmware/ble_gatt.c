#include "ble_gatt.h"

/* The string UUIDs in ble_gatt.h, byte-reversed. */
const uint8_t gkfw_ble_service_uuid_le[16] = {0x11, 0x7c, 0x3b, 0x0a, 0x5f, 0x8e, 0x2d, 0x9c,
                                              0x7a, 0x4f, 0x1e, 0x4b, 0x01, 0x00, 0x0a, 0x6b};
const uint8_t gkfw_ble_stream_char_uuid_le[16] = {0x11, 0x7c, 0x3b, 0x0a, 0x5f, 0x8e, 0x2d, 0x9c,
                                                  0x7a, 0x4f, 0x1e, 0x4b, 0x02, 0x00, 0x0a, 0x6b};

static size_t chunk_max(uint16_t att_mtu) {
  const uint16_t mtu = att_mtu < GKFW_BLE_MIN_MTU ? (uint16_t)GKFW_BLE_MIN_MTU : att_mtu;
  return (size_t)mtu - GKFW_BLE_ATT_HEADER_BYTES;
}

void gkfw_ble_chunker_init(gkfw_ble_chunker_t* c, const uint8_t* data, size_t len,
                           uint16_t att_mtu) {
  c->data = data;
  c->len = len;
  c->offset = 0;
  c->chunk_max = chunk_max(att_mtu);
}

size_t gkfw_ble_chunker_next(gkfw_ble_chunker_t* c, const uint8_t** chunk) {
  const size_t left = c->len - c->offset;
  const size_t n = left < c->chunk_max ? left : c->chunk_max;
  *chunk = c->data + c->offset;
  c->offset += n;
  return n;
}

size_t gkfw_ble_notifications_needed(size_t len, uint16_t att_mtu) {
  const size_t m = chunk_max(att_mtu);
  return (len + m - 1u) / m;
}

static uint32_t scaled(float value, float per_unit, uint32_t max) {
  const float v = value * per_unit + 0.5f;
  if (!(v > 0.0f)) return 0; /* negative or NaN */
  if (v >= (float)max) return max;
  return (uint32_t)v;
}

static void put16(uint8_t* p, uint32_t v) {
  p[0] = (uint8_t)(v & 0xFFu);
  p[1] = (uint8_t)((v >> 8) & 0xFFu);
}

size_t gkfw_rsc_encode_measurement(const gkfw_rsc_measurement_t* m, uint8_t* out, size_t cap) {
  if (cap < GKFW_RSC_MEASUREMENT_MAX_BYTES) return 0;
  uint8_t flags = 0;
  if (m->has_stride) flags |= GKFW_RSC_FLAG_STRIDE;
  if (m->has_distance) flags |= GKFW_RSC_FLAG_DISTANCE;
  if (m->running) flags |= GKFW_RSC_FLAG_RUNNING;
  size_t n = 0;
  out[n++] = flags;
  put16(&out[n], scaled(m->speed_mps, 256.0f, 0xFFFFu));
  n += 2;
  out[n++] = (uint8_t)scaled(m->cadence_spm, 1.0f, 0xFFu);
  if (m->has_stride) {
    put16(&out[n], scaled(m->stride_m, 100.0f, 0xFFFFu));
    n += 2;
  }
  if (m->has_distance) {
    const uint32_t d = scaled(m->distance_m, 10.0f, 0xFFFFFFFFu);
    put16(&out[n], d & 0xFFFFu);
    put16(&out[n + 2], d >> 16);
    n += 4;
  }
  return n;
}

uint16_t gkfw_rsc_feature(void) { return 0x0007u; }
