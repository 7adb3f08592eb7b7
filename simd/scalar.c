/*
 * simd/scalar.c - the scalar twins of the kernels (the reference every SIMD
 * level must match) and the tables the SIMD levels share.
 */
#include <string.h>

#include "simd/kernels_internal.h"

/* Sets as nibble tables; see kernels_internal.h. Members own bits 0..7 in
 * the order listed in simd_types.h. */
const uint8_t simd_set_lo[SIMD_SET_COUNT][16] = {
  [SIMD_SET_STATSD] = {0x10, 0x00, 0x00, 0x04, 0x00, 0x00, 0x00, 0x00,
                       0x00, 0x00, 0x01, 0x00, 0x0a, 0x00, 0x00, 0x00},
  [SIMD_SET_SYSLOG] = {0x04, 0x00, 0x20, 0x00, 0x00, 0x00, 0x00, 0x00,
                       0x00, 0x00, 0x00, 0x08, 0x41, 0x90, 0x02, 0x00},
  /* classes: 0x01 0x00-0x0f but '\n', 0x02 0x10-0x1f, 0x04 '#' ',',
   * 0x08 ':', 0x10 '@', 0x20 '|' 0x7f */
  [SIMD_SET_STATSD_CTL] = {0x13, 0x03, 0x03, 0x07, 0x03, 0x03, 0x03, 0x03,
                           0x03, 0x03, 0x0a, 0x03, 0x27, 0x03, 0x03, 0x23},
};
const uint8_t simd_set_hi[SIMD_SET_COUNT][16] = {
  [SIMD_SET_STATSD] = {0x00, 0x00, 0x0c, 0x01, 0x10, 0x00, 0x00, 0x02,
                       0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00},
  [SIMD_SET_SYSLOG] = {0x00, 0x00, 0x24, 0x83, 0x00, 0x58, 0x00, 0x00,
                       0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00},
  [SIMD_SET_STATSD_CTL] = {0x01, 0x02, 0x04, 0x08, 0x10, 0x00, 0x00, 0x20,
                           0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00},
};

/* The scalar definition, written independently of the nibble tables so
 * that the agreement tests check those tables too. Bit 0: '\n'; bit 1 +
 * set: member of that set. */
#define STATSD_BIT (2u << SIMD_SET_STATSD)
#define SYSLOG_BIT (2u << SIMD_SET_SYSLOG)
#define CTL_BIT (2u << SIMD_SET_STATSD_CTL)
#define SEP_BITS (STATSD_BIT | CTL_BIT)
static const uint8_t byte_class[256] = {
  ['\n'] = 1,
  [':'] = SEP_BITS, ['|'] = SEP_BITS, ['#'] = SEP_BITS,
  [','] = SEP_BITS, ['@'] = SEP_BITS,
  [0x00 ... 0x09] = CTL_BIT, [0x0b ... 0x1f] = CTL_BIT, [0x7f] = CTL_BIT,
  ['<'] = SYSLOG_BIT, ['>'] = SYSLOG_BIT, [' '] = SYSLOG_BIT,
  ['['] = SYSLOG_BIT, [']'] = SYSLOG_BIT, ['"'] = SYSLOG_BIT,
  ['\\'] = SYSLOG_BIT, ['='] = SYSLOG_BIT,
};

bool simd_set_has(enum simd_set set, unsigned char c) {
  return (unsigned)set < SIMD_SET_COUNT && (byte_class[c] >> (1 + set)) & 1;
}

void simd_scalar_scan_lines(const char *buf, size_t len, uint64_t *lines) {
  simd_scalar_scan(SIMD_SET_STATSD, buf, len, lines, NULL);
}

void simd_scalar_scan(enum simd_set set, const char *buf, size_t len,
                      uint64_t *lines, uint64_t *seps) {
  const unsigned char *p = (const unsigned char *)buf;
  unsigned shift = 1 + (unsigned)set;
  for (size_t base = 0; base < len; base += SIMD_BLOCK_BYTES) {
    size_t n = len - base < SIMD_BLOCK_BYTES ? len - base : SIMD_BLOCK_BYTES;
    uint64_t l = 0, s = 0;
    for (size_t j = 0; j < n; j++) {
      unsigned c = byte_class[p[base + j]];
      l |= (uint64_t)(c & 1) << j;
      s |= (uint64_t)((c >> shift) & 1) << j;
    }
    lines[base / SIMD_BLOCK_BYTES] = l;
    if (seps)
      seps[base / SIMD_BLOCK_BYTES] = s;
  }
}

/* ---- UTF-8 ------------------------------------------------------------- */

#define TOO_SHORT (1 << 0)      /* lead or ASCII, then lead or ASCII */
#define TOO_LONG (1 << 1)       /* ASCII, then continuation */
#define OVERLONG_3 (1 << 2)     /* E0 80..9F */
#define TOO_LARGE (1 << 3)      /* F4 90..BF, F5..FF */
#define SURROGATE (1 << 4)      /* ED A0..BF */
#define OVERLONG_2 (1 << 5)     /* C0..C1 */
#define TOO_LARGE_1000 (1 << 6) /* F5..FF 80..8F */
#define OVERLONG_4 (1 << 6)     /* F0 80..8F */
#define TWO_CONTS (1 << 7)      /* continuation, then continuation */
#define CARRY (TOO_SHORT | TOO_LONG | TWO_CONTS)

const uint8_t simd_utf8_byte1_high[16] = {
  TOO_LONG, TOO_LONG, TOO_LONG, TOO_LONG,
  TOO_LONG, TOO_LONG, TOO_LONG, TOO_LONG,
  TWO_CONTS, TWO_CONTS, TWO_CONTS, TWO_CONTS,
  TOO_SHORT | OVERLONG_2,
  TOO_SHORT,
  TOO_SHORT | OVERLONG_3 | SURROGATE,
  TOO_SHORT | TOO_LARGE | TOO_LARGE_1000 | OVERLONG_4,
};

const uint8_t simd_utf8_byte1_low[16] = {
  CARRY | OVERLONG_3 | OVERLONG_2 | OVERLONG_4,
  CARRY | OVERLONG_2,
  CARRY,
  CARRY,
  CARRY | TOO_LARGE,
  CARRY | TOO_LARGE | TOO_LARGE_1000,
  CARRY | TOO_LARGE | TOO_LARGE_1000,
  CARRY | TOO_LARGE | TOO_LARGE_1000,
  CARRY | TOO_LARGE | TOO_LARGE_1000,
  CARRY | TOO_LARGE | TOO_LARGE_1000,
  CARRY | TOO_LARGE | TOO_LARGE_1000,
  CARRY | TOO_LARGE | TOO_LARGE_1000,
  CARRY | TOO_LARGE | TOO_LARGE_1000,
  CARRY | TOO_LARGE | TOO_LARGE_1000 | SURROGATE,
  CARRY | TOO_LARGE | TOO_LARGE_1000,
  CARRY | TOO_LARGE | TOO_LARGE_1000,
};

const uint8_t simd_utf8_byte2_high[16] = {
  TOO_SHORT, TOO_SHORT, TOO_SHORT, TOO_SHORT,
  TOO_SHORT, TOO_SHORT, TOO_SHORT, TOO_SHORT,
  TOO_LONG | OVERLONG_2 | TWO_CONTS | OVERLONG_3 | TOO_LARGE_1000 | OVERLONG_4,
  TOO_LONG | OVERLONG_2 | TWO_CONTS | OVERLONG_3 | TOO_LARGE,
  TOO_LONG | OVERLONG_2 | TWO_CONTS | SURROGATE | TOO_LARGE,
  TOO_LONG | OVERLONG_2 | TWO_CONTS | SURROGATE | TOO_LARGE,
  TOO_SHORT, TOO_SHORT, TOO_SHORT, TOO_SHORT,
};

/* A block ending in 1111____, 111_____ _, or 11______ _ _ is unfinished. */
const uint8_t simd_utf8_incomplete_max[64] = {
  [0 ... 60] = 0xff, [61] = 0xf0 - 1, [62] = 0xe0 - 1, [63] = 0xc0 - 1,
};

/*
 * Per lead byte: how many continuation bytes follow, and the range the
 * first of them must fall in (the later ones are 80..BF). 0 continuation
 * bytes with a byte >= 0x80 marks an invalid lead.
 */
struct lead {
  uint8_t conts, lo, hi;
};

static struct lead lead_of(unsigned c) {
  if (c >= 0xc2 && c <= 0xdf)
    return (struct lead){1, 0x80, 0xbf};
  if (c == 0xe0)
    return (struct lead){2, 0xa0, 0xbf};
  if (c == 0xed)
    return (struct lead){2, 0x80, 0x9f};
  if (c >= 0xe1 && c <= 0xef)
    return (struct lead){2, 0x80, 0xbf};
  if (c == 0xf0)
    return (struct lead){3, 0x90, 0xbf};
  if (c == 0xf4)
    return (struct lead){3, 0x80, 0x8f};
  if (c >= 0xf1 && c <= 0xf3)
    return (struct lead){3, 0x80, 0xbf};
  return (struct lead){0, 0, 0};
}

bool simd_scalar_utf8_valid(const char *buf, size_t len) {
  const unsigned char *p = (const unsigned char *)buf, *end = p + len;
  while (p < end) {
    uint64_t word;
    if (end - p >= 8 && (memcpy(&word, p, 8), !(word & 0x8080808080808080ull))) {
      p += 8;
      continue;
    }
    if (*p < 0x80) {
      p++;
      continue;
    }
    struct lead l = lead_of(*p);
    if (l.conts == 0 || (size_t)(end - p) <= l.conts)
      return false;
    if (p[1] < l.lo || p[1] > l.hi)
      return false;
    for (unsigned i = 2; i <= l.conts; i++)
      if ((p[i] & 0xc0) != 0x80)
        return false;
    p += 1 + l.conts;
  }
  return true;
}
