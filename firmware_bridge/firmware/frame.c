#include "frame.h"

#include "crc32c.h"

size_t gkfw_frame_encode(const uint8_t* payload, size_t len, uint8_t* out, size_t cap) {
  if (len > GKFW_MAX_PAYLOAD) return 0;
  /* Stuff payload and CRC as one block: stage them together so COBS sees one
   * contiguous input (no heap: a static-size stack buffer). */
  uint8_t block[GKFW_MAX_PAYLOAD + GKFW_CRC_BYTES];
  for (size_t i = 0; i < len; ++i) block[i] = payload[i];
  const uint32_t crc = gkfw_crc32c(payload, len);
  block[len + 0] = (uint8_t)(crc & 0xFFu);
  block[len + 1] = (uint8_t)((crc >> 8) & 0xFFu);
  block[len + 2] = (uint8_t)((crc >> 16) & 0xFFu);
  block[len + 3] = (uint8_t)(crc >> 24);
  if (cap < 2u) return 0;
  out[0] = 0u;
  const size_t n = gkfw_cobs_encode(block, len + GKFW_CRC_BYTES, out + 1, cap - 2u);
  if (n == 0) return 0;
  out[n + 1u] = 0u;
  return n + 2u;
}

gkfw_frame_status gkfw_frame_decode(const uint8_t* body, size_t len, uint8_t* out, size_t cap,
                                    size_t* payload_len) {
  const size_t n = gkfw_cobs_decode(body, len, out, cap);
  if (n == GKFW_COBS_ERROR) return GKFW_FRAME_BAD_COBS;
  if (n < GKFW_CRC_BYTES) return GKFW_FRAME_SHORT;
  const size_t p = n - GKFW_CRC_BYTES;
  const uint32_t got = (uint32_t)out[p] | (uint32_t)out[p + 1] << 8 | (uint32_t)out[p + 2] << 16 |
                       (uint32_t)out[p + 3] << 24;
  if (gkfw_crc32c(out, p) != got) return GKFW_FRAME_BAD_CRC;
  *payload_len = p;
  return GKFW_FRAME_OK;
}
