/* CRC-32C (Castagnoli): polynomial 0x1EDC6F41, reflected 0x82F63B78, init and
 * final XOR 0xFFFFFFFF (RFC 3720 appendix B.4). Chosen over CRC-32/IEEE for
 * its better Hamming distance at frame lengths of a few hundred bytes
 * (Castagnoli, Braeuer, Herrmann 1993). Check value: "123456789" -> 0xE3069283. */
#ifndef GKFW_CRC32C_H
#define GKFW_CRC32C_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Continues a CRC over more bytes: start with crc = 0, feed the result back.
 * The first call fills the lookup tables (8 KiB of .bss); on a device, make
 * that first call from the main context before interrupts that use the CRC
 * are enabled, so no interrupt can see half-filled tables. */
uint32_t gkfw_crc32c_update(uint32_t crc, const uint8_t* data, size_t len);

static inline uint32_t gkfw_crc32c(const uint8_t* data, size_t len) {
  return gkfw_crc32c_update(0u, data, len);
}

#ifdef __cplusplus
}
#endif

#endif
