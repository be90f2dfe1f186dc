/* Wire framing (docs/protocol.md): 0x00, then payload || CRC-32C(payload)
 * (4 bytes little-endian) COBS-encoded, then 0x00. The leading delimiter
 * costs one byte per frame and means line noise or a receiver joining
 * mid-frame can only destroy the frame it lands in, never the next one. */
#ifndef GKFW_FRAME_H
#define GKFW_FRAME_H

#include <stddef.h>
#include <stdint.h>

#include "cobs.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Largest payload (an encoded SensorPacket) a frame carries. 32 samples of
 * accel + gyro + per-sample offsets encode to about 800 bytes. */
#define GKFW_MAX_PAYLOAD 1024u
#define GKFW_CRC_BYTES 4u
/* Largest frame on the wire including the delimiter. */
#define GKFW_MAX_FRAME (GKFW_COBS_MAX_ENCODED(GKFW_MAX_PAYLOAD + GKFW_CRC_BYTES) + 2u)

/* Frames payload into out. Returns the frame length (both delimiters) or 0
 * when len exceeds GKFW_MAX_PAYLOAD or cap is too small. */
size_t gkfw_frame_encode(const uint8_t* payload, size_t len, uint8_t* out, size_t cap);

typedef enum {
  GKFW_FRAME_OK = 0,
  GKFW_FRAME_BAD_COBS = 1, /* malformed stuffing or too long */
  GKFW_FRAME_SHORT = 2,    /* fewer bytes than the CRC */
  GKFW_FRAME_BAD_CRC = 3
} gkfw_frame_status;

/* Decodes one frame body (the bytes between two delimiters, none of them
 * 0x00) into out (capacity cap >= GKFW_MAX_PAYLOAD + 4 recommended); on OK
 * *payload_len is the payload length (CRC stripped). out may alias body. */
gkfw_frame_status gkfw_frame_decode(const uint8_t* body, size_t len, uint8_t* out, size_t cap,
                                    size_t* payload_len);

#ifdef __cplusplus
}
#endif

#endif
