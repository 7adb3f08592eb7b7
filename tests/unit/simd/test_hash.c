/*
 * tests/unit/simd/test_hash.c - simd_hash2: every level agrees with the
 * table twin on random and adversarial spans, reads only its spans (each
 * span in its own exactly sized allocation, for ASan), and the lengths
 * and seed take part.
 */
#include <stdlib.h>
#include <string.h>

#include "simd_test_util.h"

/* A copy of p[0, n) in a buffer of exactly n bytes (ASan: no over-read). */
static char *exact(const char *p, size_t n) {
  char *b = malloc(n ? n : 1);
  cr_assert_not_null(b);
  memcpy(b, p, n);
  return b;
}

static void agree(const struct simd_ops *ops, const char *a, size_t na,
                  const char *b, size_t nb, uint64_t seed) {
  const struct simd_ops *ref = simd_ops_for(SIMD_LEVEL_SCALAR);
  char *ea = exact(a, na), *eb = exact(b, nb);
  uint64_t want = ref->hash2(ea, na, eb, nb, seed);
  uint64_t got = ops->hash2(ea, na, eb, nb, seed);

  cr_assert_eq(got, want, "%s: na %zu nb %zu seed %llx: %llx != %llx",
               simd_level_name(ops->level), na, nb, (unsigned long long)seed,
               (unsigned long long)got, (unsigned long long)want);
  free(ea);
  free(eb);
}

/* Every length split 0..80 of random bytes, and random spans to 300. */
static void random_spans(const struct simd_ops *ops) {
  uint64_t s = 0x1234567u;
  char buf[600];

  for (size_t i = 0; i < sizeof(buf); i++)
    buf[i] = (char)rng_next(&s);
  for (size_t na = 0; na <= 80; na++)
    for (size_t nb = 0; nb <= 80; nb += 1 + na % 3)
      agree(ops, buf + na % 7, na, buf + 300 + nb % 5, nb, rng_next(&s));
  for (int k = 0; k < 2000; k++) {
    size_t na = rng_below(&s, 300), nb = rng_below(&s, 300);
    agree(ops, buf + rng_below(&s, 300 - na + 1), na,
          buf + rng_below(&s, 300 - nb + 1), nb, rng_next(&s));
  }
}
PER_SIMD_LEVEL(simd_hash, random_spans, random_spans)

/* All-zero and all-0xff bytes, every byte value alone at every place of
 * a 40-byte span, seeds of 0 and all ones. */
static void adversarial(const struct simd_ops *ops) {
  char z[256], f[256], one[40];
  const uint64_t seeds[] = {0, ~UINT64_C(0), UINT64_C(1) << 63, 0x3fe0000000000000};

  memset(z, 0, sizeof(z));
  memset(f, 0xff, sizeof(f));
  for (size_t si = 0; si < sizeof(seeds) / sizeof(seeds[0]); si++)
    for (size_t n = 0; n <= 256; n += 1 + n / 16) {
      agree(ops, z, n, f, 256 - n, seeds[si]);
      agree(ops, f, n, z, n / 2, seeds[si]);
    }
  for (int v = 0; v < 256; v++)
    for (size_t at = 0; at < sizeof(one); at++) {
      memset(one, 'a', sizeof(one));
      one[at] = (char)v;
      agree(ops, one, at + 1, one, sizeof(one), (uint64_t)v << 56);
    }
}
PER_SIMD_LEVEL(simd_hash, adversarial, adversarial)

/* Moving a byte between the spans, a seed bit (low or high word) or a
 * length changes the hash; the selected level is the twin's value. (That
 * the twin is CRC32C is what the crc32 instruction's agreement shows.) */
Test(simd_hash, twin_properties) {
  const struct simd_ops *ref = simd_ops_for(SIMD_LEVEL_SCALAR);
  const char *m = "web.bytes.sent#env:prod,host:web-0001";

  cr_assert_neq(ref->hash2(m, 14, m + 14, 23, 0),
                ref->hash2(m, 15, m + 15, 22, 0));
  cr_assert_neq(ref->hash2(m, 14, m + 14, 23, 0),
                ref->hash2(m, 14, m + 14, 23, 1));
  cr_assert_neq(ref->hash2(m, 14, m + 14, 23, 0),
                ref->hash2(m, 14, m + 14, 23, UINT64_C(1) << 40));
  cr_assert_neq(ref->hash2(m, 14, m + 14, 23, 0),
                ref->hash2(m, 14, m + 14, 22, 0));
  cr_assert_eq(simd_hash2(m, 14, m + 14, 23, 7), ref->hash2(m, 14, m + 14, 23, 7),
               "the selected level agrees with the twin");
}
