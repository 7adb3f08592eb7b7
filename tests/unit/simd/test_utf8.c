/*
 * tests/unit/simd/test_utf8.c - UTF-8 validation: the scalar twin against
 * an independent decoder, every SIMD level against the scalar twin.
 */
#include <stdio.h>
#include <string.h>

#include "simd_test_util.h"

/* Reference: decode code points and check RFC 3629 (shortest form, no
 * surrogates, at most U+10FFFF), with no tables shared with simd/. */
static bool ref_valid(const unsigned char *p, size_t len) {
  size_t i = 0;
  while (i < len) {
    unsigned c = p[i], n;
    uint32_t cp, min;
    if (c < 0x80) { i++; continue; }
    if ((c & 0xe0) == 0xc0) { n = 1; cp = c & 0x1f; min = 0x80; }
    else if ((c & 0xf0) == 0xe0) { n = 2; cp = c & 0x0f; min = 0x800; }
    else if ((c & 0xf8) == 0xf0) { n = 3; cp = c & 0x07; min = 0x10000; }
    else return false;
    if (i + n >= len) /* sequence cut by the end */
      return false;
    for (unsigned k = 1; k <= n; k++) {
      if ((p[i + k] & 0xc0) != 0x80)
        return false;
      cp = cp << 6 | (p[i + k] & 0x3f);
    }
    if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
      return false;
    i += n + 1;
  }
  return true;
}

static unsigned char buf[1 << 16];

static void check(const struct simd_ops *ops, const unsigned char *p, size_t len) {
  bool want = ref_valid(p, len);
  bool got = ops->utf8_valid((const char *)p, len);
  if (got != want) {
    char hex[3 * 16 + 1] = "";
    for (size_t i = 0; i < len && i < 16; i++)
      snprintf(hex + 3 * i, 4, "%02x ", p[i]);
    cr_assert_fail("%s: len %zu [%s...] got %d want %d",
                   simd_level_name(ops->level), len, hex, got, want);
  }
}

Test(simd_utf8, known_cases) {
  static const struct { const char *s; bool ok; } cases[] = {
    {"", true}, {"plain ascii", true}, {"caf\xc3\xa9", true},
    {"\xe2\x82\xac", true}, {"\xf0\x9f\x98\x80", true},
    {"\xf4\x8f\xbf\xbf", true},          /* U+10FFFF */
    {"\xf4\x90\x80\x80", false},         /* U+110000 */
    {"\xc0\xaf", false}, {"\xc1\xbf", false}, /* overlong 2 */
    {"\xe0\x9f\xbf", false},             /* overlong 3 */
    {"\xf0\x8f\xbf\xbf", false},         /* overlong 4 */
    {"\xed\xa0\x80", false},             /* surrogate */
    {"\xed\x9f\xbf", true},              /* U+D7FF */
    {"\x80", false}, {"\xbf", false}, {"\xc3", false},
    {"\xe2\x82", false}, {"\xf0\x9f\x98", false},
    {"\xf5\x80\x80\x80", false}, {"\xff", false}, {"\xfe", false},
    {"a\xc3\xa9\xa9", false},            /* continuation too many */
  };
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    size_t len = strlen(cases[i].s);
    cr_assert_eq(ref_valid((const unsigned char *)cases[i].s, len), cases[i].ok,
                 "ref case %zu", i);
    for (int l = 0; l < SIMD_LEVEL_COUNT; l++) {
      const struct simd_ops *ops = simd_ops_for(l);
      if (ops)
        cr_assert_eq(ops->utf8_valid(cases[i].s, len), cases[i].ok,
                     "%s case %zu", simd_level_name(l), i);
    }
  }
  cr_assert(simd_utf8_valid("ok", 2));
}

/* Every 1-, 2- and 3-byte string for the scalar twin. */
Test(simd_utf8, scalar_exhaustive_3_bytes) {
  const struct simd_ops *ops = simd_ops_for(SIMD_LEVEL_SCALAR);
  for (uint32_t v = 0; v < (1u << 24); v++) {
    buf[0] = (unsigned char)v;
    buf[1] = (unsigned char)(v >> 8);
    buf[2] = (unsigned char)(v >> 16);
    if (v < 256)
      check(ops, buf, 1);
    if (v < 65536)
      check(ops, buf, 2);
    check(ops, buf, 3);
  }
}

/* Bytes where the classes change: every 4-byte combination of them, at
 * offsets that put the sequence across 16-, 32- and 64-byte edges. */
static const unsigned char edges[] = {
  0x00, 0x41, 0x7f, 0x80, 0x8f, 0x90, 0x9f, 0xa0, 0xbf, 0xc0, 0xc1, 0xc2,
  0xdf, 0xe0, 0xe1, 0xec, 0xed, 0xee, 0xef, 0xf0, 0xf1, 0xf3, 0xf4, 0xf5, 0xff,
};
#define NEDGES (sizeof edges)

static void edge_combinations(const struct simd_ops *ops) {
  static const size_t offsets[] = {0, 13, 30, 61, 62, 63, 64};
  for (size_t o = 0; o < sizeof offsets / sizeof offsets[0]; o++) {
    size_t off = offsets[o];
    memset(buf, 'a', 200);
    for (size_t v = 0; v < NEDGES * NEDGES * NEDGES * NEDGES; v++) {
      size_t x = v;
      for (int k = 0; k < 4; k++, x /= NEDGES)
        buf[off + k] = edges[x % NEDGES];
      check(ops, buf, off + 4);  /* ends right after */
      check(ops, buf, off + 70); /* ASCII follows */
    }
  }
}
PER_SIMD_LEVEL(simd_utf8, edge_combinations, edge_combinations)

/* Random code points as UTF-8, then random damage. */
static size_t put_cp(unsigned char *p, uint32_t cp) {
  if (cp < 0x80) { p[0] = (unsigned char)cp; return 1; }
  if (cp < 0x800) {
    p[0] = (unsigned char)(0xc0 | cp >> 6);
    p[1] = (unsigned char)(0x80 | (cp & 0x3f));
    return 2;
  }
  if (cp < 0x10000) {
    p[0] = (unsigned char)(0xe0 | cp >> 12);
    p[1] = (unsigned char)(0x80 | (cp >> 6 & 0x3f));
    p[2] = (unsigned char)(0x80 | (cp & 0x3f));
    return 3;
  }
  p[0] = (unsigned char)(0xf0 | cp >> 18);
  p[1] = (unsigned char)(0x80 | (cp >> 12 & 0x3f));
  p[2] = (unsigned char)(0x80 | (cp >> 6 & 0x3f));
  p[3] = (unsigned char)(0x80 | (cp & 0x3f));
  return 4;
}

static size_t random_text(uint64_t *rng, unsigned char *p, size_t cap) {
  static const uint32_t tops[] = {0x80, 0x800, 0x10000, 0x110000};
  size_t n = 0;
  int ascii_heavy = rng_below(rng, 2);
  while (n + 4 <= cap) {
    uint32_t cp = ascii_heavy && rng_below(rng, 8) ? (uint32_t)rng_below(rng, 0x80)
                  : (uint32_t)rng_below(rng, tops[rng_below(rng, 4)]);
    if (cp >= 0xd800 && cp <= 0xdfff)
      continue;
    n += put_cp(p + n, cp);
  }
  return n;
}

static void random_text_and_damage(const struct simd_ops *ops) {
  uint64_t rng = 11;
  for (int round = 0; round < 3000; round++) {
    size_t cap = (size_t)rng_below(&rng, round < 2900 ? 400 : sizeof buf);
    size_t len = random_text(&rng, buf, cap);
    check(ops, buf, len);
    for (int d = 0; d < 4 && len; d++) {
      size_t at = (size_t)rng_below(&rng, len);
      unsigned char old = buf[at];
      buf[at] = (unsigned char)rng_below(&rng, 256);
      check(ops, buf, len);
      check(ops, buf, at + 1); /* cut right after the damage */
      buf[at] = old;
    }
  }
}
PER_SIMD_LEVEL(simd_utf8, random_text_and_damage, random_text_and_damage)

/* A multi-byte text cut at every length 0..300, at every alignment. */
static void cuts_and_alignments(const struct simd_ops *ops) {
  static unsigned char text[320];
  uint64_t rng = 12;
  size_t n = random_text(&rng, text, sizeof text);
  for (size_t align = 0; align < 64; align++) {
    memcpy(buf + align, text, n);
    for (size_t len = 0; len <= 300 && len <= n; len++)
      check(ops, buf + align, len);
  }
}
PER_SIMD_LEVEL(simd_utf8, cuts_and_alignments, cuts_and_alignments)
