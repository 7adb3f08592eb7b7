/*
 * tests/unit/simd/simd_test_util.h - what the SIMD tests share: a
 * deterministic generator and per-level test declarations.
 */
#ifndef SLUICE_TESTS_UNIT_SIMD_TEST_UTIL_H
#define SLUICE_TESTS_UNIT_SIMD_TEST_UTIL_H

#include <criterion/criterion.h>
#include <stdint.h>

#include "simd/simd.h"

/* xorshift64*: fixed seeds make every failure reproducible. */
static inline uint64_t rng_next(uint64_t *s) {
  *s ^= *s >> 12;
  *s ^= *s << 25;
  *s ^= *s >> 27;
  return *s * 0x2545f4914f6cdd1dull;
}

static inline uint64_t rng_below(uint64_t *s, uint64_t n) {
  return rng_next(s) % n;
}

/* The kernels of `level`, or skip the calling test on CPUs without it. */
static inline const struct simd_ops *ops_or_skip(enum simd_level level) {
  const struct simd_ops *ops = simd_ops_for(level);
  if (ops == NULL)
    cr_skip_test("CPU lacks %s", simd_level_name(level));
  return ops;
}

/* Declare Test(suite, name_<level>) calling body(ops) for every SIMD level. */
#define PER_SIMD_LEVEL(suite, name, body)                                    \
  Test(suite, name##_sse42) { body(ops_or_skip(SIMD_LEVEL_SSE42)); }         \
  Test(suite, name##_avx2) { body(ops_or_skip(SIMD_LEVEL_AVX2)); }           \
  Test(suite, name##_avx512) { body(ops_or_skip(SIMD_LEVEL_AVX512)); }

#endif
