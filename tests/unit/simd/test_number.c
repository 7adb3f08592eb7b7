/*
 * tests/unit/simd/test_number.c - number parsing agrees with glibc's strtod
 * (bit for bit) and strtoll/strtoull on millions of strings, and rejects
 * what StatsD rejects.
 */
#include <errno.h>
#include <float.h>
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "simd/number.h"
#include "simd_test_util.h"

static uint64_t bits_of(double d) {
  uint64_t b;
  memcpy(&b, &d, sizeof b);
  return b;
}

static double double_of(uint64_t b) {
  double d;
  memcpy(&d, &b, sizeof d);
  return d;
}

/* s[0, len) is in the grammar: we must return strtod's exact value. */
static void agree(const char *s, size_t len) {
  char z[SIMD_NUMBER_BYTES_MAX + 1];
  cr_assert_leq(len, SIMD_NUMBER_BYTES_MAX);
  memcpy(z, s, len);
  z[len] = '\0';
  char *end;
  double want = strtod(z, &end);
  cr_assert_eq(end, z + len, "strtod stops early on \"%s\"", z);
  double got = 12345.0;
  int rc = simd_parse_double(s, len, &got);
  cr_assert_eq(rc, isinf(want) ? -ERANGE : 0, "\"%s\": rc %d", z, rc);
  cr_assert_eq(bits_of(got), bits_of(want), "\"%s\": got %a want %a", z, got,
               want);
}

static void agree_str(const char *s) { agree(s, strlen(s)); }

static void rejected(const char *s, size_t len) {
  double v = 42.0;
  cr_assert_eq(simd_parse_double(s, len, &v), -EINVAL, "\"%.*s\" accepted",
               (int)len, s);
  cr_assert_eq(v, 42.0, "output touched on rejection");
}

Test(simd_number, edge_values) {
  static const char *const cases[] = {
    "0", "-0", "+0", "0.0", "-0.0", "00000", "-0e10", "0e999999999",
    "0.000000000000000000000000000000000000000000000000000000000000",
    "1", "-1", "+1", "1.", ".5", "-.5", "1.5e3", "1.5E-3", "1e+3", "1E+03",
    "12.345", "0.1", "0.2", "0.3", "3.14159", "100", "1e22", "1e23", "1e-22",
    "9007199254740992", "9007199254740993", "9007199254740995",
    "18446744073709551615", "18446744073709551616", "9999999999999999999",
    "99999999999999999999", "12345678901234567890123",
    "0000000000000000000000000000000123.4500e-3",
    "0.000000000000000000000000000000000000000000001234567890123456789012",
    "1.7976931348623157e308", "1.7976931348623158e308",
    "1.7976931348623159e308", "1e308", "1e309", "-1e309", "1e400",
    "1e999999999999999", "-1e999999999999999",
    "2.2250738585072014e-308", "2.2250738585072011e-308",
    "2.2250738585072012e-308", "2.2250738585072013e-308",
    "4.9406564584124654e-324", "2.4703282292062327e-324",
    "2.4703282292062328e-324", "2.4703282292062327208e-324", "1e-324",
    "5e-324", "1e-400", "-1e-400", "1e-99999999999",
    "7.2057594037927933e16", "4503599627370496.5", "4503599627370497.5",
    "9007199254740993.0000000000000000000000000000000001",
    "2.22507385850720138309023271733240406421921598046233183055332741688720443"
    "4813e-308",
    "179769313486231580793728971405303415079934132710037826936173778980444968"
    "292764750946649017977587207096330286416692887910946555547851940402630657"
    "488671505820681908902000708383676273854845817711531764475730270069855571"
    "366959622842914819860834936475292719074168444365510704342711559699508093"
    "042880177904174497791.9999999999999999999999999999999999999999999999999",
  };
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++)
    agree_str(cases[i]);
}

Test(simd_number, rejects_what_statsd_rejects) {
  static const char *const cases[] = {
    "", " ", " 1", "1 ", "\t1", "1\n", "+", "-", ".", "-.", "+.e1", "e5",
    "1e", "1e+", "1e-", "1ee5", "--1", "+-1", "1..2", "1.2.3", "nan", "NaN",
    "-nan", "inf", "-inf", "Infinity", "INF", "0x10", "0x1p3", "0X1P-2",
    "1,5", "1_000", "1e5.5", "1f", "0b101", "\xef\xbc\x91",
  };
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++)
    rejected(cases[i], strlen(cases[i]));
  rejected("1\0", 2);
  static char longest[SIMD_NUMBER_BYTES_MAX + 1];
  memset(longest, '1', sizeof longest);
  rejected(longest, sizeof longest);
  agree(longest, SIMD_NUMBER_BYTES_MAX);
}

Test(simd_number, reads_nothing_outside) {
  /* "12" followed by more digits that must not count */
  double v;
  cr_assert_eq(simd_parse_double("1234", 2, &v), 0);
  cr_assert_eq(v, 12.0);
  cr_assert_eq(simd_parse_double("1.5e10", 4, &v), -EINVAL); /* "1.5e" */
  cr_assert_eq(simd_parse_double("123456789012", 9, &v), 0);
  cr_assert_eq(v, 123456789.0);
}

/* Random text from the number alphabet: accepted exactly when strtod
 * consumes all of it, and then with its value. */
Test(simd_number, random_alphabet_matches_strtod_syntax) {
  static const char alpha[] = "0123456789+-.eE";
  uint64_t rng = 21;
  char s[32];
  for (int round = 0; round < 1000000; round++) {
    size_t len = 1 + (size_t)rng_below(&rng, 12);
    for (size_t i = 0; i < len; i++)
      s[i] = rng_below(&rng, 3) ? alpha[rng_below(&rng, 10)]
                                : alpha[rng_below(&rng, sizeof alpha - 1)];
    s[len] = '\0';
    char *end;
    double want = strtod(s, &end), got;
    int rc = simd_parse_double(s, len, &got);
    if (end != s + len) {
      cr_assert_eq(rc, -EINVAL, "\"%s\" accepted", s);
      continue;
    }
    cr_assert_eq(rc, isinf(want) ? -ERANGE : 0, "\"%s\" rc %d", s, rc);
    cr_assert_eq(bits_of(got), bits_of(want), "\"%s\"", s);
  }
}

/* Digits with a random point and exponent: short, 19-20 digit and long
 * mantissas, leading zeros, every exponent range. */
static size_t random_decimal(uint64_t *rng, char *s) {
  static const size_t lens[] = {1, 3, 8, 15, 16, 17, 18, 19, 20, 21, 25, 40, 120};
  size_t n = 0, nd = lens[rng_below(rng, sizeof lens / sizeof lens[0])];
  if (rng_below(rng, 2))
    s[n++] = rng_below(rng, 2) ? '-' : '+';
  size_t zeros = rng_below(rng, 4) == 0 ? (size_t)rng_below(rng, 30) : 0;
  size_t point = (size_t)rng_below(rng, nd + zeros + 2);
  for (size_t i = 0; i < zeros + nd; i++) {
    if (i == point)
      s[n++] = '.';
    s[n++] = i < zeros ? '0' : (char)('0' + rng_below(rng, 10));
  }
  if (rng_below(rng, 2)) {
    static const int spans[] = {5, 30, 330, 400};
    int span = spans[rng_below(rng, 4)];
    n += (size_t)snprintf(s + n, 16, "e%d", (int)rng_below(rng, 2 * span + 1) - span);
  }
  return n;
}

Test(simd_number, random_decimals_match_strtod) {
  uint64_t rng = 22;
  char s[256];
  for (int round = 0; round < 1500000; round++)
    agree(s, random_decimal(&rng, s));
}

/* Doubles of every kind printed the ways senders print them. */
Test(simd_number, printed_doubles_match_strtod) {
  static const char *const fmts[] = {"%.17g", "%.16g", "%.15g", "%.6g", "%g",
                                     "%.3f", "%.20e", "%.0f", "%.25g"};
  uint64_t rng = 23;
  char s[512];
  for (int round = 0; round < 800000; round++) {
    uint64_t b = rng_next(&rng);
    if (round % 4 == 0)
      b &= 0x800fffffffffffffull; /* subnormals */
    double d = double_of(b);
    if (!isfinite(d))
      continue;
    int n = snprintf(s, sizeof s, fmts[rng_below(&rng, sizeof fmts / sizeof fmts[0])], d);
    if (n > 0 && (size_t)n < sizeof s && (size_t)n <= SIMD_NUMBER_BYTES_MAX)
      agree(s, (size_t)n);
  }
}

/* Halfway between two neighbouring doubles, exactly (long double holds the
 * midpoint), then nudged by one unit in a far digit: the hardest cases. */
Test(simd_number, halfway_cases_match_strtod) {
  uint64_t rng = 24;
  char s[SIMD_NUMBER_BYTES_MAX + 1];
  for (int round = 0; round < 30000; round++) {
    uint64_t b = rng_next(&rng) & 0x7fefffffffffffffull;
    if (round % 3 == 0)
      b &= 0x000fffffffffffffull;
    double lo = double_of(b), hi = nextafter(lo, INFINITY);
    long double mid = ((long double)lo + (long double)hi) / 2;
    int digits = 17 + (int)rng_below(&rng, 780);
    int n = snprintf(s, sizeof s, "%.*Le", digits, mid);
    if (n <= 0 || (size_t)n > SIMD_NUMBER_BYTES_MAX)
      continue;
    agree(s, (size_t)n);
    char *e = strchr(s, 'e');
    if (e && e - s > 3) {
      size_t at = 2 + (size_t)rng_below(&rng, (size_t)(e - s) - 2);
      if (s[at] != '.')
        s[at] = s[at] == '9' ? '8' : (char)(s[at] + 1);
      agree(s, (size_t)n);
    }
  }
}

/* ---- integers ------------------------------------------------------------ */

Test(simd_number, integers_match_strtoll) {
  static const char *const ok64[] = {
    "0", "-0", "+7", "9223372036854775807", "-9223372036854775808",
    "0009223372036854775807", "1234567890123",
  };
  static const char *const range64[] = {
    "9223372036854775808", "-9223372036854775809", "99999999999999999999",
    "100000000000000000000000",
  };
  static const char *const bad[] = {"", "-", "+", " 1", "1 ", "1.0", "1e3", "0x1", "--1"};
  int64_t v;
  uint64_t u;
  for (size_t i = 0; i < sizeof ok64 / sizeof ok64[0]; i++) {
    cr_assert_eq(simd_parse_i64(ok64[i], strlen(ok64[i]), &v), 0, "%s", ok64[i]);
    cr_assert_eq(v, strtoll(ok64[i], NULL, 10), "%s", ok64[i]);
  }
  for (size_t i = 0; i < sizeof range64 / sizeof range64[0]; i++)
    cr_assert_eq(simd_parse_i64(range64[i], strlen(range64[i]), &v), -ERANGE,
                 "%s", range64[i]);
  for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
    cr_assert_eq(simd_parse_i64(bad[i], strlen(bad[i]), &v), -EINVAL, "%s", bad[i]);
    cr_assert_eq(simd_parse_u64(bad[i], strlen(bad[i]), &u), -EINVAL, "%s", bad[i]);
  }
  cr_assert_eq(simd_parse_u64("18446744073709551615", 20, &u), 0);
  cr_assert_eq(u, UINT64_MAX);
  cr_assert_eq(simd_parse_u64("18446744073709551616", 20, &u), -ERANGE);
  cr_assert_eq(simd_parse_u64("28446744073709551615", 20, &u), -ERANGE);
  cr_assert_eq(simd_parse_u64("-1", 2, &u), -EINVAL);
}

Test(simd_number, random_integers_match_strtoll) {
  uint64_t rng = 25;
  char s[40];
  for (int round = 0; round < 1000000; round++) {
    size_t n = 0, nd = 1 + (size_t)rng_below(&rng, 22);
    int sign = (int)rng_below(&rng, 3);
    if (sign)
      s[n++] = sign == 1 ? '-' : '+';
    for (size_t i = 0; i < nd; i++)
      s[n++] = (char)('0' + (i == 0 && rng_below(&rng, 2) ? 1 + rng_below(&rng, 9)
                                                         : rng_below(&rng, 10)));
    s[n] = '\0';
    errno = 0;
    long long want = strtoll(s, NULL, 10);
    int want_rc = errno == ERANGE ? -ERANGE : 0;
    int64_t got;
    int rc = simd_parse_i64(s, n, &got);
    cr_assert_eq(rc, want_rc, "%s", s);
    if (rc == 0)
      cr_assert_eq(got, want, "%s", s);
    if (sign)
      continue;
    errno = 0;
    unsigned long long uwant = strtoull(s, NULL, 10);
    uint64_t ugot;
    rc = simd_parse_u64(s, n, &ugot);
    cr_assert_eq(rc, errno == ERANGE ? -ERANGE : 0, "%s", s);
    if (rc == 0)
      cr_assert_eq(ugot, uwant, "%s", s);
  }
}

/* simd_swar8_value: k = 1..8 digits, shifted up k bytes from the top. */
Test(simd_number, swar8_value_of_k_digits) {
  const char digits[] = "90817263";
  for (unsigned k = 1; k <= 8; k++) {
    uint64_t x = 0, want = 0;
    for (unsigned i = 0; i < k; i++) {
      x |= (uint64_t)(digits[i] - '0') << (8 * i);
      want = want * 10 + (uint64_t)(digits[i] - '0');
    }
    cr_assert_eq(simd_swar8_value(x << 8 * (8 - k)), want, "k %u", k);
  }
  uint64_t nines;
  memcpy(&nines, "99999999", 8);
  cr_assert_eq(simd_swar8_value(nines - UINT64_C(0x3030303030303030)),
               99999999u);
}

/* 1 when s[0, n) is "digits [. digits]" with at least one digit. */
static int short_decimal_form(const char *s, size_t n) {
  size_t digits = 0, dots = 0;
  for (size_t i = 0; i < n; i++) {
    if (s[i] >= '0' && s[i] <= '9')
      digits++;
    else if (s[i] == '.')
      dots++;
    else
      return 0;
  }
  return digits > 0 && dots <= 1;
}

/* simd_short_decimal on s[0, n), garbage after it, against strtod. */
static void short_agrees(const char *s, size_t n, uint64_t *rng) {
  char buf[16], z[16];
  double got = 42.0;

  memcpy(buf, s, n);
  for (size_t i = n; i < sizeof(buf); i++)
    buf[i] = (char)rng_next(rng);
  int rc = simd_short_decimal(buf, n, &got);
  memcpy(z, s, n);
  z[n] = '\0';
  if (!short_decimal_form(s, n)) {
    cr_assert_eq(rc, -1, "\"%s\" accepted", z);
    cr_assert_eq(got, 42.0, "\"%s\": output touched", z);
    return;
  }
  char *end;
  double want = strtod(z, &end);
  cr_assert_eq(end, z + n);
  cr_assert_eq(rc, 0, "\"%s\" refused", z);
  cr_assert_eq(bits_of(got), bits_of(want), "\"%s\": got %a want %a", z, got,
               want);
}

/* Every token of 1..5 bytes over digits and '.', then random ones of 6..8
 * bytes from that alphabet and from any byte, then the edges. */
Test(simd_number, short_decimal_matches_strtod) {
  static const char alpha[] = "0123456789.";
  static const char *const edges[] = {
      "0", ".", "..", "0.", ".0", "1.", ".5", "99999999", "9999999.",
      ".9999999", "0.000001", "0000000.", "00000001", "1234567.8",
      "12.34.5", "1e5", "-1", "+1", "1 ", " 1", "1/2", "1:2", "9.999999",
      "4503599.", "0.1", "0.3", "0.7", "2951.99", "243.850", "1.0000001",
      ":", "/", "\x80", "\xb0", "0\xb0", "\x3a\x2e",
  };
  uint64_t rng = 0x9e3779b97f4a7c15u;
  char s[8];

  for (size_t n = 1; n <= 5; n++) {
    size_t total = 1;
    for (size_t i = 0; i < n; i++)
      total *= 11;
    for (size_t code = 0; code < total; code++) {
      size_t c = code;
      for (size_t i = 0; i < n; i++, c /= 11)
        s[i] = alpha[c % 11];
      short_agrees(s, n, &rng);
    }
  }
  for (int round = 0; round < 400000; round++) {
    size_t n = 6 + rng_below(&rng, 3);
    for (size_t i = 0; i < n; i++)
      s[i] = round % 8 ? alpha[rng_below(&rng, 11)] : (char)rng_next(&rng);
    short_agrees(s, n, &rng);
  }
  for (size_t i = 0; i < sizeof(edges) / sizeof(edges[0]); i++) {
    size_t n = strlen(edges[i]);
    if (n <= 8)
      short_agrees(edges[i], n, &rng);
  }
}
