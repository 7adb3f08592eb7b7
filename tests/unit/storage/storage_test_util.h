/*
 * tests/unit/storage/storage_test_util.h - random data for the storage
 * property tests (deterministic: every test seeds its own generator).
 */
#ifndef SLUICE_TESTS_STORAGE_TEST_UTIL_H
#define SLUICE_TESTS_STORAGE_TEST_UTIL_H

#include <math.h>
#include <stdint.h>
#include <string.h>

#include "tests/unit/test_util.h"

static inline uint64_t rng_next(uint64_t *s) { return test_splitmix64(s); }

/* Uniform in [0, n). */
static inline uint64_t rng_below(uint64_t *s, uint64_t n) {
  return n == 0 ? 0 : rng_next(s) % n;
}

static inline double bits_double(uint64_t b) { return test_bits_double(b); }

static inline uint64_t double_bits(double v) {
  uint64_t b;
  memcpy(&b, &v, sizeof(b));
  return b;
}

/* The special values every value codec must carry bit for bit. */
static inline double special_value(uint64_t *s) {
  static const uint64_t bits[] = {
      UINT64_C(0x7ff8000000000000), /* quiet NaN */
      UINT64_C(0xfff8000000000001), /* negative NaN with payload */
      UINT64_C(0x7ff0000000000001), /* signalling NaN payload */
      UINT64_C(0x7ff4dead0000beef), /* NaN payload */
      UINT64_C(0x7ff0000000000000), /* +Inf */
      UINT64_C(0xfff0000000000000), /* -Inf */
      UINT64_C(0x8000000000000000), /* -0.0 */
      UINT64_C(0x0000000000000000), /* +0.0 */
      UINT64_C(0x0000000000000001), /* smallest subnormal */
      UINT64_C(0x7fefffffffffffff), /* DBL_MAX */
      UINT64_C(0x4340000000000000), /* 2^53 */
      UINT64_C(0xc340000000000000), /* -2^53 */
      UINT64_C(0x4340000000000001), /* 2^53 + 2 */
  };
  return bits_double(bits[rng_below(s, sizeof(bits) / sizeof(bits[0]))]);
}

/* Value shapes of the property tests. */
enum val_shape {
  VS_RANDOM_BITS,  /* any 64-bit pattern */
  VS_CONSTANT,
  VS_COUNTER,      /* monotonic integers */
  VS_SMALL_INTS,   /* noisy integers */
  VS_DECIMALS,     /* 2-decimal gauge walk */
  VS_SPECIAL,      /* NaN, +-Inf, -0.0 ... */
  VS_MIXED,        /* integers, decimals, specials, noise */
  VS_BIG_INTS,     /* integers near and past +-2^53 */
  VS_COUNT
};

static inline void gen_values(uint64_t *s, enum val_shape shape, double *v,
                              uint32_t n) {
  double c = (double)(int64_t)rng_below(s, 2000) - 1000.0;
  for (uint32_t i = 0; i < n; i++) {
    switch (shape) {
    case VS_RANDOM_BITS:
      v[i] = bits_double(rng_next(s));
      break;
    case VS_CONSTANT:
      v[i] = c / 4;
      break;
    case VS_COUNTER:
      c += (double)rng_below(s, 100);
      v[i] = c;
      break;
    case VS_SMALL_INTS:
      v[i] = (double)((int64_t)rng_below(s, 64) - 32);
      break;
    case VS_DECIMALS:
      c += (double)((int64_t)rng_below(s, 21) - 10);
      v[i] = c / 100;
      break;
    case VS_SPECIAL:
      v[i] = special_value(s);
      break;
    case VS_MIXED: {
      uint64_t k = rng_below(s, 4);
      v[i] = k == 0   ? (double)(int64_t)rng_below(s, 1000)
             : k == 1 ? (double)rng_below(s, 100000) / 1000
             : k == 2 ? special_value(s)
                      : bits_double(rng_next(s));
      break;
    }
    default: {
      int64_t m = (INT64_C(1) << 53) - (int64_t)rng_below(s, 8) + 4;
      v[i] = (double)(rng_below(s, 2) ? m : -m);
      break;
    }
    }
  }
}

/* Timestamp shapes (ascending unless said). */
enum ts_shape {
  TS_REGULAR,   /* 10 s steps */
  TS_JITTER,    /* 10 s steps, +-5 ms */
  TS_RANDOM,    /* random ascending gaps up to 2^40 */
  TS_CONSTANT,  /* all equal */
  TS_EXTREMES,  /* INT64_MIN, INT64_MAX and neighbours */
  TS_SHUFFLED,  /* jitter, then shuffled: out of order */
  TS_SHAPE_COUNT
};

static inline void gen_ts(uint64_t *s, enum ts_shape shape, int64_t *ts,
                          uint32_t n) {
  int64_t t = 1700000000000 + (int64_t)rng_below(s, 1000000);
  for (uint32_t i = 0; i < n; i++) {
    switch (shape) {
    case TS_REGULAR:
      ts[i] = t + 10000 * (int64_t)i;
      break;
    case TS_JITTER:
    case TS_SHUFFLED:
      ts[i] = t + 10000 * (int64_t)i + (int64_t)rng_below(s, 11) - 5;
      break;
    case TS_RANDOM:
      t += (int64_t)rng_below(s, UINT64_C(1) << rng_below(s, 41));
      ts[i] = t;
      break;
    case TS_CONSTANT:
      ts[i] = t;
      break;
    default: {
      uint64_t k = rng_below(s, 4);
      ts[i] = k == 0 ? INT64_MIN + (int64_t)rng_below(s, 3)
              : k == 1 ? INT64_MAX - (int64_t)rng_below(s, 3)
              : k == 2 ? 0
                       : (int64_t)rng_next(s);
      break;
    }
    }
  }
  if (shape == TS_SHUFFLED)
    for (uint32_t i = n; i > 1; i--) {
      uint32_t j = (uint32_t)rng_below(s, i);
      int64_t x = ts[i - 1];
      ts[i - 1] = ts[j];
      ts[j] = x;
    }
}

#endif
