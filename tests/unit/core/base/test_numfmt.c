/*
 * tests/unit/core/base/test_numfmt.c - core_fmt_double and core_fmt_i64
 * against the reference they replace: printf's %.15g / %.16g / %.17g (the
 * first that strtod reads back as the same bits) and %lld, on random bit
 * patterns, random short decimals, and the edges (subnormals, 0.1 + 0.2,
 * 1e21, -0, 2^53, NaN, Inf); core_fmt_double_list against it; the
 * four-digit table; and core_fmt_hex against a per-nibble reference.
 */
#include <criterion/criterion.h>
#include <float.h>
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/base/numfmt.h"
#include "tests/unit/test_util.h"

/* The formatter before its fast paths (numfmt.h's contract, literally). */
static int ref_double(double v, char *out) {
  if (isnan(v))
    return snprintf(out, CORE_FMT_NUM_BYTES, "NaN");
  if (isinf(v))
    return snprintf(out, CORE_FMT_NUM_BYTES, "%s", v > 0 ? "+Inf" : "-Inf");
  if (fabs(v) < 9007199254740992.0 && v == (double)(int64_t)v &&
      !(v == 0 && signbit(v)))
    return snprintf(out, CORE_FMT_NUM_BYTES, "%" PRId64, (int64_t)v);
  for (int prec = 15;; prec++) {
    int n = snprintf(out, CORE_FMT_NUM_BYTES, "%.*g", prec, v);
    if (prec == 17 || strtod(out, NULL) == v)
      return n;
  }
}

static void same(double v) {
  char got[CORE_FMT_NUM_BYTES], want[CORE_FMT_NUM_BYTES];
  int n = core_fmt_double(v, got), wn = ref_double(v, want);
  uint64_t bits;

  memcpy(&bits, &v, 8);
  cr_assert_str_eq(got, want, "bits %016" PRIx64 ": %s, want %s", bits, got,
                   want);
  cr_assert_eq(n, wn, "%s: length %d, want %d", want, n, wn);
  if (!isnan(v)) {
    double back = strtod(got, NULL);
    cr_assert(memcmp(&back, &v, 8) == 0 || (v == 0 && back == 0 &&
              !signbit(v)), "%s does not read back", got);
  }
}

static uint64_t rng_state = 0x9e3779b97f4a7c15u;

static uint64_t rnd(void) { return test_splitmix64(&rng_state); }

Test(numfmt, edges) {
  static const double v[] = {
      0.0, 1.0, -1.0, 0.5, -0.5, 0.1, 0.2, 0.3, 0.1 + 0.2, 1.0 / 3, 2.0 / 3,
      1e-4, 1e-5, 9.5e-5, 0.0001234, 0.00001234, 123.456, -123.456, 1e15,
      1e15 + 0.5, 999999999999999.9, 99999999999999.9, 1e14 + 0.25, 1e16,
      1e21, 1e22, 1e23, -1e21, 9007199254740991.0, 9007199254740992.0,
      9007199254740993.0, 4503599627370495.5, 1e-300, 1e-22, 1.5e-22, 1e-23,
      DBL_MIN, DBL_MAX, -DBL_MAX, DBL_EPSILON, 4.9406564584124654e-324,
      2.2250738585072009e-308, 1.7976931348623157e308, 5e-324, 3.14159,
      2.718281828459045, 0.30000000000000004, 1.2345678901234567,
      123456789012345.6, 12345678901234.56, 0.1234567890123456, 100.25,
      1e100, 1.5e-7, 1.5e-10, 12.5e-100, 65536.0001, 0.7, 0.07, 0.007};

  for (size_t i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
    same(v[i]);
    same(-v[i]);
    same(nextafter(v[i], INFINITY));
    same(nextafter(v[i], -INFINITY));
  }
}

Test(numfmt, nan_inf_minus_zero) {
  char out[CORE_FMT_NUM_BYTES];

  cr_assert_eq(core_fmt_double(NAN, out), 3);
  cr_assert_str_eq(out, "NaN");
  cr_assert_eq(core_fmt_double(INFINITY, out), 4);
  cr_assert_str_eq(out, "+Inf");
  cr_assert_eq(core_fmt_double(-INFINITY, out), 4);
  cr_assert_str_eq(out, "-Inf");
  cr_assert_eq(core_fmt_double(-0.0, out), 2);
  cr_assert_str_eq(out, "-0");
  cr_assert_eq(core_fmt_double(0.0, out), 1);
  cr_assert_str_eq(out, "0");
}

Test(numfmt, random_bits) {
  for (int i = 0; i < 300000; i++)
    same(test_bits_double(rnd()));
}

/* Random subnormals and values near the decimal scale's ends. */
Test(numfmt, random_subnormal_and_extreme) {
  for (int i = 0; i < 50000; i++) {
    same(test_bits_double(rnd() & ((UINT64_C(1) << 52) - 1)));
    same(ldexp((double)(rnd() >> 11), (int)(rnd() % 200) - 170));
  }
}

/* Decimals of 1 to 17 digits with 0 to 24 places: the fast path's
 * domain and just past it. */
Test(numfmt, random_short_decimals) {
  static const double p10[] = {1e0,  1e1,  1e2,  1e3,  1e4,  1e5,  1e6,
                               1e7,  1e8,  1e9,  1e10, 1e11, 1e12, 1e13,
                               1e14, 1e15, 1e16, 1e17, 1e18, 1e19, 1e20,
                               1e21, 1e22, 1e23, 1e24};

  for (int i = 0; i < 400000; i++) {
    int digits = 1 + (int)(rnd() % 17), places = (int)(rnd() % 25);
    uint64_t m = rnd() % (uint64_t)p10[digits];
    double v = (double)m / p10[places];
    same(rnd() & 1 ? -v : v);
    same((double)(rnd() % 100000) * 0.5 + (double)(rnd() % 4) * 0.25);
  }
}

/* The fast path's domain: integers and multiples of 2^-k (k <= 8) below
 * 10^8, both signs, and the values around it (2^-9 steps, 10^8 - 2^-8,
 * 99999999.5, the ni + k > 15 edge, 2^53 +- 1). */
Test(numfmt, binary_fractions) {
  static const double edge[] = {
      99999999.0,      99999999.5,       99999999.99609375, 1e8,
      1e8 - 0.00390625, 9999999.00390625, 12345678.00390625, 0.00390625,
      0.001953125,     1e-4,             0.0001220703125,  255.99609375,
      9007199254740991.0, 9007199254740993.0, 0.5, 1.5, 99.5, 100.25, 9999.75,
      10000.125};

  for (size_t i = 0; i < sizeof(edge) / sizeof(edge[0]); i++) {
    same(edge[i]);
    same(-edge[i]);
    same(nextafter(edge[i], INFINITY));
    same(nextafter(edge[i], -INFINITY));
  }
  for (int i = 0; i < 400000; i++) {
    int k = (int)(rnd() % 10), mag = (int)(rnd() % 28);
    double v = ldexp((double)(rnd() >> (63 - mag - k) | 1), -k);
    same(rnd() & 1 ? -v : v);
    same(ldexp((double)(rnd() % 100000000), -(int)(rnd() % 9)));
  }
}

/* Every integer below 2 * 10^6 and random ones below 10^8: the word-wide
 * digit split (swar8) against %d. */
Test(numfmt, small_integers_sweep) {
  char got[CORE_FMT_NUM_BYTES], want[CORE_FMT_NUM_BYTES];

  for (uint32_t i = 0; i < 2200000; i++) {
    uint32_t u = i < 2000000 ? i : (uint32_t)(rnd() % 100000000);
    int n = core_fmt_double((double)u, got);
    cr_assert_eq(n, snprintf(want, sizeof(want), "%u", u));
    cr_assert(memcmp(got, want, (size_t)n + 1) == 0, "%s, want %s", got, want);
  }
}

Test(numfmt, i64) {
  static const int64_t v[] = {0, 1, -1, 9, 10, 99, 100, 999, 1000, 9999,
                              10000, 1700000000000, INT64_MAX, INT64_MIN,
                              INT64_MIN + 1, 1000000000000000000,
                              999999999999999999};
  char got[CORE_FMT_NUM_BYTES], want[CORE_FMT_NUM_BYTES];

  for (int i = 0; i < 200000; i++) {
    int64_t x = i < (int)(sizeof(v) / sizeof(v[0])) ? v[i]
                : (int64_t)(rnd() >> (rnd() % 64));
    if ((i & 1) && x != INT64_MIN) /* -INT64_MIN overflows */
      x = -x;
    int n = core_fmt_i64(x, got);
    snprintf(want, sizeof(want), "%" PRId64, x);
    cr_assert_str_eq(got, want);
    cr_assert_eq(n, (int)strlen(want));
  }
}

/* i64 against %PRId64 at every power of ten and its neighbours, both
 * signs: where the digit count and the 8-digit chunks change. */
static void same_i64(int64_t x) {
  char got[CORE_FMT_NUM_BYTES], want[CORE_FMT_NUM_BYTES];
  int n = core_fmt_i64(x, got);

  snprintf(want, sizeof(want), "%" PRId64, x);
  cr_assert_str_eq(got, want);
  cr_assert_eq(n, (int)strlen(want));
}

Test(numfmt, i64_powers_of_ten) {
  int64_t p = 1;

  for (int e = 0; e <= 18; e++) {
    for (int64_t d = -1; d <= 1; d++) {
      same_i64(p + d);
      same_i64(-(p + d));
    }
    if (e < 18) /* 10^19 does not fit an int64 */
      p *= 10;
  }
  same_i64(INT64_MAX);
  same_i64(INT64_MIN);
  same_i64(INT64_MAX - 1);
  same_i64(INT64_MIN + 1);
}

Test(numfmt, hex_random) {
  static const char digits[] = "0123456789abcdef";
  uint8_t b[64];
  char got[2 * 64 + 1], want[2 * 64 + 1];

  for (int i = 0; i < 20000; i++) {
    size_t n = (size_t)(i % 65);
    for (size_t j = 0; j < n; j++)
      b[j] = (uint8_t)rnd();
    memset(got, '#', sizeof(got));
    for (size_t j = 0; j < n; j++) {
      want[2 * j] = digits[b[j] >> 4];
      want[2 * j + 1] = digits[b[j] & 15];
    }
    core_fmt_hex(b, n, got);
    cr_assert_eq(got[2 * n], '#', "wrote past %zu bytes", n);
    cr_assert(memcmp(got, want, 2 * n) == 0, "length %zu", n);
  }
}

/* The four-digit table: every entry against %04u. */
Test(numfmt, digits4_every_entry) {
  char got[5] = {0}, want[8];

  for (uint32_t u = 0; u < 10000; u++) {
    core_fmt_digits4(u, got);
    snprintf(want, sizeof(want), "%04u", u);
    cr_assert(memcmp(got, want, 4) == 0, "%u: %.4s", u, got);
  }
}

/* Every fraction f / 256 (the fraction table's entries) on integer parts
 * of every digit count below 10^8 and past the 15-digit edge, both signs,
 * against printf. */
Test(numfmt, every_binary_fraction_of_256) {
  static const double ip[] = {0,       1,        9,        10,       99,
                              100,     999,      1000,     9999,     10000,
                              123456,  9999999,  10000000, 12345678,
                              99999999};

  for (uint32_t f = 0; f < 256; f++)
    for (size_t i = 0; i < sizeof(ip) / sizeof(ip[0]); i++) {
      same(ip[i] + f / 256.0);
      same(-(ip[i] + f / 256.0));
    }
}

/* A list of values of every kind (fast path, short decimals, 17 digits,
 * NaN, Inf, -0) read with a stride, as the export reads its points: the
 * texts of core_fmt_double with the separator after each, nothing written
 * past them, and the end returned. */
Test(numfmt, double_list) {
  struct pt {
    int64_t ts;
    double v;
  };
  enum { N = 2000 };
  static struct pt p[N];
  static char got[N * CORE_FMT_NUM_BYTES + 1], want[N * CORE_FMT_NUM_BYTES];
  size_t k = 0;
  char *end;

  for (int i = 0; i < N; i++) {
    uint64_t b = rnd();
    switch (i % 6) {
    case 0: memcpy(&p[i].v, &b, 8); break;
    case 1: p[i].v = (double)(b % 2000000) * 0.125 - 100000; break;
    case 2: p[i].v = (double)(b % 1000000) / 1000; break;
    case 3: p[i].v = (double)(b % 100000000) + 0.00390625; break;
    case 4: p[i].v = i % 4 == 0 ? NAN : i % 4 == 1 ? -INFINITY : -0.0; break;
    default: p[i].v = (double)(b % 10000); break;
    }
    k += (size_t)core_fmt_double(p[i].v, want + k);
    want[k++] = ';';
  }
  for (size_t n = 0; n <= N; n = n ? n * 3 : 1) {
    size_t wn = 0;
    for (size_t i = 0; i < n; i++)
      wn += (size_t)core_fmt_double(p[i].v, got) + 1;
    memset(got, '#', sizeof(got));
    end = core_fmt_double_list(&p[0].v, sizeof(p[0]), n, ';', got);
    cr_assert_eq((size_t)(end - got), wn, "%zu values", n);
    cr_assert(memcmp(got, want, wn) == 0, "%zu values", n);
    cr_assert_eq(got[n * CORE_FMT_NUM_BYTES], '#', "wrote past the room");
  }
}

/* v and -v: with test_around, v and its neighbours in both signs. */
static void same_pm(double v) {
  same(v);
  same(-v);
}

/* The Schubfach path (core/base/dtoa.c) where it is hardest: every power
 * of two (a lopsided rounding interval) and of ten, values just below
 * the next power of ten (where %g's exponent and notation change), the
 * subnormal and normal ends, the 2^53 edge, 1e23 (between two doubles
 * equally far in %.17g). */
Test(numfmt, shortest_powers_and_edges) {
  static const double v[] = {5e-324, 1e-323, DBL_MIN, DBL_MAX, 1e23, 8.41e21,
                             9007199254740993.0, 9007199254740992.0,
                             9007199254740991.0, 9007199254740994.0,
                             18014398509481984.0, 1e15, 1e16, 1e17,
                             4503599627370496.5, 0.1 + 0.2, 1e-5 + 1e-21};
  char buf[40];

  for (size_t i = 0; i < sizeof(v) / sizeof(v[0]); i++)
    test_around(v[i], 4, same_pm);
  for (int e = -1074; e <= 1023; e++)
    test_around(ldexp(1.0, e), 2, same_pm);
  for (int e = -323; e <= 308; e++) {
    snprintf(buf, sizeof(buf), "1e%d", e);
    test_around(strtod(buf, NULL), 3, same_pm);
    snprintf(buf, sizeof(buf), "9.999999999999999e%d", e);
    test_around(strtod(buf, NULL), 3, same_pm);
    snprintf(buf, sizeof(buf), "9.9999999999999999e%d", e);
    test_around(strtod(buf, NULL), 1, same_pm);
  }
}

/*
 * Random bit patterns (every exponent, mostly 16-17 digits) and random
 * 53-bit significands at telemetry's scales (2^-40 .. 2^70, where %g
 * switches between fixed and exponent notation) against the snprintf +
 * strtod reference. SLUICE_NUMFMT_RANDOM=n for a longer run (default
 * 500,000 of each).
 */
Test(numfmt, shortest_random_against_printf, .timeout = 600) {
  const char *env = getenv("SLUICE_NUMFMT_RANDOM");
  long n = env ? atol(env) : 500000;

  for (long i = 0; i < n; i++) {
    double v = test_bits_double(rnd());

    same(v);
    v = ldexp((double)(rnd() >> 11), (int)(rnd() % 110) - 92);
    same(rnd() & 1 ? -v : v);
  }
}
