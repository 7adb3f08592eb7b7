/*
 * tests/unit/core/base/test_dtoa.c - core_dtoa_shortest against printf:
 * its f * 10^e reads back (strtod) as the same bits; it is the nearest
 * decimal of its length (%.*e with that many digits prints the same
 * digits); and one digit fewer does not read back (shortest). Powers of
 * two, whose rounding interval is lopsided, are checked for reading back
 * and for no shorter nearest decimal reading back. Random bit patterns,
 * every power of two and ten and their neighbours, subnormals, the edges.
 */
#include <criterion/criterion.h>
#include <float.h>
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/base/dtoa.h"
#include "tests/unit/test_util.h"

static uint64_t rng_state = 0x243f6a8885a308d3u;

static uint64_t rnd(void) { return test_splitmix64(&rng_state); }

static int ndigits(uint64_t f) {
  int n = 1;
  while (f >= 10) {
    f /= 10;
    n++;
  }
  return n;
}

/* printf's nd significant digits of v (correctly rounded) as an integer
 * and the exponent of its last digit. */
static void printf_digits(double v, int nd, uint64_t *f, int *e) {
  char buf[64], *p;
  uint64_t m = 0;
  int x;

  snprintf(buf, sizeof(buf), "%.*e", nd - 1, v);
  for (p = buf; *p != 'e'; p++)
    if (*p >= '0' && *p <= '9')
      m = m * 10 + (uint64_t)(*p - '0');
  x = atoi(p + 1);
  *f = m;
  *e = x - (nd - 1);
}

static void check(double v) {
  uint64_t f, bits, pf;
  int e, pe, nd;
  char buf[64];
  double back;

  v = fabs(v);
  if (!isfinite(v) || v == 0)
    return;
  memcpy(&bits, &v, 8);
  core_dtoa_shortest(v, &f, &e);
  nd = ndigits(f);
  cr_assert(f % 10 != 0 && nd <= 17, "%016" PRIx64 ": f %" PRIu64, bits, f);
  snprintf(buf, sizeof(buf), "%" PRIu64 "e%d", f, e);
  back = strtod(buf, NULL);
  cr_assert(memcmp(&back, &v, 8) == 0, "%016" PRIx64 ": %s does not read back",
            bits, buf);
  if (nd > 1) {
    snprintf(buf, sizeof(buf), "%.*e", nd - 2, v);
    cr_assert(strtod(buf, NULL) != v, "%016" PRIx64 ": %" PRIu64
              "e%d, but %s reads back", bits, f, e, buf);
  }
  if ((bits << 12) == 0 && (bits >> 52) > 1)
    return; /* a power of two: another decimal may be the only one in */
  printf_digits(v, nd, &pf, &pe);
  cr_assert(pf == f && pe == e, "%016" PRIx64 ": %" PRIu64 "e%d, nearest %"
            PRIu64 "e%d", bits, f, e, pf, pe);
}

Test(dtoa, edges) {
  static const double v[] = {
      5e-324, 1e-323, 1.5e-323, 2.2250738585072009e-308, DBL_MIN, DBL_MAX,
      DBL_EPSILON, 1e23, 9007199254740993.0, 9007199254740992.0,
      9007199254740991.0, 0.1, 0.2, 0.3, 0.1 + 0.2, 1.0 / 3, 2.0 / 3,
      1.7976931348623157e308, 4.9406564584124654e-324, 123456789012345678.0,
      2.718281828459045, 3.141592653589793, 1e-7, 1e21, 1e22, 9.5367431640625e-07,
      1.2345678901234567e-300, 8.41e21, 5.0e-310};

  for (size_t i = 0; i < sizeof(v) / sizeof(v[0]); i++)
    test_around(v[i], 3, check);
}

Test(dtoa, powers_of_two_and_ten) {
  char buf[40];

  for (int e = -1074; e <= 1023; e++)
    test_around(ldexp(1.0, e), 2, check);
  for (int e = -323; e <= 308; e++) {
    snprintf(buf, sizeof(buf), "1e%d", e);
    test_around(strtod(buf, NULL), 4, check);
    snprintf(buf, sizeof(buf), "9.99999999999999e%d", e);
    test_around(strtod(buf, NULL), 4, check);
  }
}

Test(dtoa, subnormals) {
  for (uint64_t t = 1; t < 20000; t++)
    check(test_bits_double(t));
  for (int i = 0; i < 200000; i++)
    check(test_bits_double(rnd() & ((UINT64_C(1) << 52) - 1)));
}

/* SLUICE_DTOA_RANDOM=n for a longer run (default 500,000). */
Test(dtoa, random_bits, .timeout = 120) {
  const char *env = getenv("SLUICE_DTOA_RANDOM");
  long n = env ? atol(env) : 500000;

  for (long i = 0; i < n; i++) {
    check(test_bits_double(rnd()));
    check(ldexp((double)(rnd() >> 11), (int)(rnd() % 160) - 120));
  }
}
