#include "crc32c.h"

/* Slicing-by-8 (Kounavis & Berry 2005): eight 256-entry tables (8 KiB of
 * flash) let the loop consume 8 bytes per step; the host decoder shares this
 * code and needs the speed, and 8 KiB is small next to a Cortex-M4's flash.
 * The tables are computed at compile time from the reflected polynomial so no
 * magic numbers are pasted in. */
#define GKFW_CRC32C_POLY_REFLECTED 0x82F63B78u

#define T0(n) ((n)&1u ? ((n) >> 1) ^ GKFW_CRC32C_POLY_REFLECTED : (n) >> 1)
#define T1(n) T0(T0(n))
#define T2(n) T1(T1(n))
#define TBYTE(n) T2(T2(n))
#define R4(n) TBYTE(n), TBYTE(n + 1u), TBYTE(n + 2u), TBYTE(n + 3u)
#define R16(n) R4(n), R4(n + 4u), R4(n + 8u), R4(n + 12u)
#define R64(n) R16(n), R16(n + 16u), R16(n + 32u), R16(n + 48u)

static const uint32_t kTable0[256] = {R64(0u), R64(64u), R64(128u), R64(192u)};

static uint32_t tables[8][256];
static int tables_ready = 0;

/* Derived tables: tables[k][n] is the CRC of byte n followed by k zero bytes.
 * Filled once on first use (no heap, 8 KiB of .bss). */
static void init_tables(void) {
  for (unsigned n = 0; n < 256u; ++n) tables[0][n] = kTable0[n];
  for (unsigned n = 0; n < 256u; ++n) {
    uint32_t c = tables[0][n];
    for (unsigned k = 1; k < 8u; ++k) {
      c = tables[0][c & 0xFFu] ^ (c >> 8);
      tables[k][n] = c;
    }
  }
  tables_ready = 1;
}

uint32_t gkfw_crc32c_update(uint32_t crc, const uint8_t* data, size_t len) {
  if (!tables_ready) init_tables();
  uint32_t c = ~crc;
  while (len >= 8u) {
    /* Byte-wise loads keep this endian- and alignment-neutral. */
    const uint32_t lo = c ^ ((uint32_t)data[0] | (uint32_t)data[1] << 8 | (uint32_t)data[2] << 16 |
                             (uint32_t)data[3] << 24);
    c = tables[7][lo & 0xFFu] ^ tables[6][(lo >> 8) & 0xFFu] ^ tables[5][(lo >> 16) & 0xFFu] ^
        tables[4][lo >> 24] ^ tables[3][data[4]] ^ tables[2][data[5]] ^ tables[1][data[6]] ^
        tables[0][data[7]];
    data += 8;
    len -= 8u;
  }
  while (len--) c = tables[0][(c ^ *data++) & 0xFFu] ^ (c >> 8);
  return ~c;
}
