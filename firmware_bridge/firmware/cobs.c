#include "cobs.h"

size_t gkfw_cobs_encode(const uint8_t* in, size_t len, uint8_t* out, size_t cap) {
  if (cap < GKFW_COBS_MAX_ENCODED(len)) return 0;
  size_t code_at = 0; /* where the current block's code byte goes */
  size_t o = 1;
  uint8_t code = 1;
  for (size_t i = 0; i < len; ++i) {
    if (in[i] == 0u) {
      out[code_at] = code;
      code_at = o++;
      code = 1;
    } else {
      out[o++] = in[i];
      ++code;
      /* A full 254-byte run: code 0xFF implies no zero; a new block starts
       * only if more input follows (canonical encoding, no trailing 0x01). */
      if (code == 0xFFu && i + 1u < len) {
        out[code_at] = code;
        code_at = o++;
        code = 1;
      }
    }
  }
  out[code_at] = code;
  return o;
}

size_t gkfw_cobs_decode(const uint8_t* in, size_t len, uint8_t* out, size_t cap) {
  size_t i = 0;
  size_t o = 0;
  while (i < len) {
    const uint8_t code = in[i++];
    if (code == 0u) return GKFW_COBS_ERROR;
    const size_t run = (size_t)code - 1u;
    if (run > len - i || o + run > cap) return GKFW_COBS_ERROR;
    for (size_t k = 0; k < run; ++k) {
      const uint8_t b = in[i + k];
      if (b == 0u) return GKFW_COBS_ERROR;
      out[o++] = b;
    }
    i += run;
    /* A code below 0xFF ends with an implied zero, except at the very end. */
    if (code != 0xFFu && i < len) {
      if (o >= cap) return GKFW_COBS_ERROR;
      out[o++] = 0u;
    }
  }
  return o;
}
