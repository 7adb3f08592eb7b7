/*
 * simd/hash.c - simd_hash2: a 64-bit hash of two byte spans for the raw
 * key cache, CRC32C over 8-byte words folded by one 64x64->128 multiply.
 *
 * The SSE4.2 `crc32` instruction takes a word a cycle where the multiply
 * fold took a load, two XORs and a multiply; the scalar twin computes the
 * same CRC32C (Castagnoli, reflected 0x82f63b78, no inversions: what the
 * instruction does) a word at a time from slice-by-8 tables. Every level
 * returns the same value for the same bytes (tests/unit/simd/test_hash.c).
 *
 * A span of n bytes is hashed as its 32- and 16-byte blocks, then its tail
 * read with overlapping loads (so no byte past the span is read); the spans'
 * lengths go into the fold, so bytes moved between them, or a tail that
 * overlapping loads read twice, still change the hash.
 */
#include <immintrin.h>
#include <string.h>

#include "simd/kernels_internal.h"

#define HASH_K1 UINT64_C(0xe7037ed1a0b428db)
#define HASH_K2 UINT64_C(0x8ebc6af09c88c6e3)

static inline uint64_t load8(const char *p) {
  uint64_t v;
  memcpy(&v, p, 8);
  return v;
}

static inline uint64_t load4(const char *p) {
  uint32_t v;
  memcpy(&v, p, 4);
  return v;
}

static inline uint64_t fold(uint64_t a, uint64_t b) {
  __uint128_t r = (__uint128_t)a * b;
  return (uint64_t)r ^ (uint64_t)(r >> 64);
}

/* The body of a level, given its target attribute ATTR and STEP(crc,
 * word): the CRC32C of crc (< 2^32, kept in 64 bits as the instruction
 * does) and the 8 bytes of word, least significant first. */
#define HASH_BODY(ATTR, STEP)                                               \
  ATTR static inline uint64_t span(const char *p, size_t n, uint64_t c) {   \
    for (; n >= 32; p += 32, n -= 32)                                       \
      c = STEP(STEP(STEP(STEP(c, load8(p)), load8(p + 8)), load8(p + 16)),  \
               load8(p + 24));                                              \
    if (n >= 16) {                                                          \
      c = STEP(STEP(c, load8(p)), load8(p + 8));                            \
      p += 16;                                                              \
      n -= 16;                                                              \
    }                                                                       \
    if (n > 8)                                                              \
      c = STEP(STEP(c, load8(p)), load8(p + n - 8));                        \
    else if (n >= 4)                                                        \
      c = STEP(c, load4(p) << 32 | load4(p + n - 4));                       \
    else if (n > 0)                                                         \
      c = STEP(c, (uint64_t)(uint8_t)p[0] << 16 |                           \
                      (uint64_t)(uint8_t)p[n >> 1] << 8 | (uint8_t)p[n - 1]); \
    return c;                                                               \
  }                                                                         \
  ATTR static inline uint64_t hash2(const char *a, size_t na, const char *b, \
                                    size_t nb, uint64_t seed) {             \
    uint64_t c = span(b, nb, span(a, na, (uint32_t)(seed ^ seed >> 32)));   \
    return fold(c ^ (uint64_t)na << 32 ^ HASH_K1,                           \
                seed ^ (uint64_t)nb << 32 ^ HASH_K2);                       \
  }

/* ---- scalar twin ---------------------------------------------------------- */

/* Slice-by-8 tables: crc32c_table[0][b] is the CRC32C of byte b from 0,
 * crc32c_table[k][b] that of b followed by k zero bytes, so a word's 8
 * bytes are 8 independent lookups. Built by the constructor below,
 * before main. */
static uint32_t crc32c_table[8][256];

__attribute__((constructor)) static void crc32c_table_init(void) {
  for (uint32_t b = 0; b < 256; b++) {
    uint32_t c = b;
    for (int k = 0; k < 8; k++)
      c = c >> 1 ^ (0x82f63b78u & (0u - (c & 1)));
    crc32c_table[0][b] = c;
  }
  for (int k = 1; k < 8; k++)
    for (uint32_t b = 0; b < 256; b++) {
      uint32_t c = crc32c_table[k - 1][b];
      crc32c_table[k][b] = c >> 8 ^ crc32c_table[0][c & 0xff];
    }
}

static inline uint64_t scalar_step(uint64_t c, uint64_t w) {
  uint64_t x = c ^ w;

  return crc32c_table[7][x & 0xff] ^ crc32c_table[6][x >> 8 & 0xff] ^
         crc32c_table[5][x >> 16 & 0xff] ^ crc32c_table[4][x >> 24 & 0xff] ^
         crc32c_table[3][x >> 32 & 0xff] ^ crc32c_table[2][x >> 40 & 0xff] ^
         crc32c_table[1][x >> 48 & 0xff] ^ crc32c_table[0][x >> 56];
}

#define SCALAR_STEP(c, w) scalar_step((c), (w))

#define span scalar_span
#define hash2 scalar_hash2
HASH_BODY(, SCALAR_STEP)
#undef span
#undef hash2

uint64_t simd_scalar_hash2(const char *a, size_t na, const char *b, size_t nb,
                           uint64_t seed) {
  return scalar_hash2(a, na, b, nb, seed);
}

/* ---- SSE4.2 --------------------------------------------------------------- */

#define SSE42_TARGET __attribute__((target("sse4.2")))
#define SSE42_STEP(c, w) _mm_crc32_u64((c), (w))

#define span sse42_span
#define hash2 sse42_hash2
HASH_BODY(SSE42_TARGET, SSE42_STEP)
#undef span
#undef hash2

SSE42_TARGET uint64_t simd_sse42_hash2(const char *a, size_t na, const char *b,
                                       size_t nb, uint64_t seed) {
  return sse42_hash2(a, na, b, nb, seed);
}
