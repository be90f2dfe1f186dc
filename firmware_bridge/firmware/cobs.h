/* Consistent Overhead Byte Stuffing (Cheshire & Baker, "Consistent Overhead
 * Byte Stuffing", IEEE/ACM Trans. Networking 7(2), 1999). Removes every 0x00
 * from a block at a cost of at most 1 byte per 254 plus 1, so 0x00 can
 * delimit frames and a receiver resynchronises at the next 0x00 after any
 * corruption. */
#ifndef GKFW_COBS_H
#define GKFW_COBS_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Worst-case encoded size of n bytes (no delimiter). */
#define GKFW_COBS_MAX_ENCODED(n) ((n) + (n) / 254u + 1u)

/* Encodes len bytes into out (capacity cap). Returns the encoded length, or 0
 * when cap is too small. Writes no delimiter. */
size_t gkfw_cobs_encode(const uint8_t* in, size_t len, uint8_t* out, size_t cap);

/* Decodes one COBS block (no delimiter, must contain no 0x00) into out.
 * Returns the decoded length, or (size_t)-1 when the block is malformed (a
 * zero byte or a code running past the end) or out is too small. out may
 * alias in (decoding never writes ahead of reading). */
size_t gkfw_cobs_decode(const uint8_t* in, size_t len, uint8_t* out, size_t cap);

#define GKFW_COBS_ERROR ((size_t)-1)

#ifdef __cplusplus
}
#endif

#endif
