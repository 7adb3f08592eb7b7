/*
 * simd/number.c - decimal text to double / integer without strtod on the
 * hot path (see number.h for the accepted grammar).
 *
 * The Eisel-Lemire part follows fast_float (Lemire, "Number Parsing at a
 * Gigabyte per Second", 2021; Mushtak & Lemire 2023 for why one 128-bit
 * product suffices for 19-digit mantissas).
 */
#include <errno.h>
#include <float.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "simd/kernels_internal.h"
#include "simd/number.h"

#if FLT_EVAL_METHOD != 0
#error "the Clinger fast path needs double arithmetic without excess precision"
#endif

__extension__ typedef unsigned __int128 u128;

#define MANTISSA_BITS 52
#define EXP_INF 0x7ff
#define MIN19 1000000000000000000ull /* smallest 19-digit integer */

/* A number's text, decoded: value = mantissa * 10^exp10. */
struct decimal {
  uint64_t mantissa;
  int64_t exp10;
  bool negative;
  bool truncated; /* > 19 significant digits: the true mantissa lies in
                     (mantissa, mantissa + 1) */
};

static inline bool is_digit(char c) { return (unsigned char)(c - '0') < 10; }

static inline uint64_t load8(const char *p) {
  uint64_t v;
  memcpy(&v, p, sizeof v);
  return v;
}

/* SWAR: true iff the 8 bytes of v (little endian) are all '0'..'9'. */
static inline bool eight_digits(uint64_t v) {
  return (((v + 0x4646464646464646ull) | (v - 0x3030303030303030ull)) &
          0x8080808080808080ull) == 0;
}

/* SWAR: the value of 8 ASCII digits (first digit in the lowest byte). */
static inline uint64_t parse8(uint64_t v) {
  return simd_swar8_value(v - 0x3030303030303030ull);
}

/* Accumulate the digits at *pp into *acc (modulo 2^64); advance *pp past
 * them and return how many there were. */
static size_t digits(const char **pp, const char *end, uint64_t *acc) {
  const char *p = *pp;
  uint64_t a = *acc;
  while (end - p >= 8 && eight_digits(load8(p))) {
    a = a * 100000000 + parse8(load8(p));
    p += 8;
  }
  while (p < end && is_digit(*p))
    a = a * 10 + (uint64_t)(*p++ - '0');
  size_t n = (size_t)(p - *pp);
  *pp = p;
  *acc = a;
  return n;
}

/* Parse "(e|E)[+-]digits" at *pp (which points at the 'e'). The magnitude
 * saturates: beyond 2^28 any mantissa over/underflows anyway. */
static int exponent(const char **pp, const char *end, int64_t *out) {
  const char *p = *pp + 1;
  bool neg = false;
  if (p < end && (*p == '+' || *p == '-'))
    neg = *p++ == '-';
  if (p == end || !is_digit(*p))
    return -EINVAL;
  int64_t e = 0;
  for (; p < end && is_digit(*p); p++)
    if (e < (1 << 28))
      e = e * 10 + (*p - '0');
  *pp = p;
  *out = neg ? -e : e;
  return 0;
}

/*
 * More than 19 digits: keep the first 19 significant ones. The digits are
 * [int_start, int_end) '.' [frac_start, frac_end).
 */
static void truncate19(struct decimal *d, size_t ndigits, const char *int_start,
                       const char *int_end, const char *frac_start,
                       const char *frac_end, int64_t exp_explicit) {
  for (const char *q = int_start; q < frac_end && (*q == '0' || *q == '.'); q++)
    ndigits -= *q == '0';
  if (ndigits <= 19)
    return; /* leading zeros only: the accumulated mantissa is exact */
  d->truncated = true;
  uint64_t m = 0;
  const char *p = int_start;
  while (m < MIN19 && p != int_end)
    m = m * 10 + (uint64_t)(*p++ - '0');
  if (m >= MIN19) {
    d->exp10 = (int_end - p) + exp_explicit;
  } else {
    for (p = frac_start; m < MIN19 && p != frac_end;)
      m = m * 10 + (uint64_t)(*p++ - '0');
    d->exp10 = (frac_start - p) + exp_explicit;
  }
  d->mantissa = m;
}

/* Decode the whole text into d. Returns 0 or -EINVAL. */
static int scan_decimal(const char *s, size_t len, struct decimal *d) {
  const char *p = s, *end = s + len;
  d->negative = false;
  d->truncated = false;
  if (p < end && (*p == '+' || *p == '-'))
    d->negative = *p++ == '-';
  const char *int_start = p;
  uint64_t m = 0;
  size_t nint = digits(&p, end, &m);
  const char *int_end = p, *frac_start = p;
  size_t nfrac = 0;
  if (p < end && *p == '.') {
    frac_start = ++p;
    nfrac = digits(&p, end, &m);
  }
  const char *frac_end = p;
  int64_t exp_explicit = 0;
  if (nint + nfrac == 0)
    return -EINVAL;
  if (p < end && (*p | 0x20) == 'e' && exponent(&p, end, &exp_explicit))
    return -EINVAL;
  if (p != end)
    return -EINVAL;
  d->mantissa = m;
  d->exp10 = exp_explicit - (int64_t)nfrac;
  if (nint + nfrac > 19)
    truncate19(d, nint + nfrac, int_start, int_end, frac_start, frac_end,
               exp_explicit);
  return 0;
}

/* Clinger: a mantissa and a power of ten both exact in a double give a
 * correctly rounded result with one IEEE multiplication or division. */
static bool clinger(const struct decimal *d, double *out) {
  static const double pow10[] = {1e0,  1e1,  1e2,  1e3,  1e4,  1e5,
                                 1e6,  1e7,  1e8,  1e9,  1e10, 1e11,
                                 1e12, 1e13, 1e14, 1e15, 1e16, 1e17,
                                 1e18, 1e19, 1e20, 1e21, 1e22};
  if (d->truncated || d->mantissa > (1ull << 53) || d->exp10 < -22 ||
      d->exp10 > 22)
    return false;
  double v = (double)d->mantissa;
  v = d->exp10 < 0 ? v / pow10[-d->exp10] : v * pow10[d->exp10];
  *out = d->negative ? -v : v;
  return true;
}

/* A double's biased exponent and fraction; power2 < 0: undecided. */
struct binary {
  uint64_t mantissa;
  int32_t power2;
};

/* w * 5^q, truncated to its top 128 bits, refined with the table's second
 * word when the bits that decide rounding might be affected. */
static u128 product(int64_t q, uint64_t w) {
  size_t i = 2 * (size_t)(q - SIMD_POW5_Q_MIN);
  u128 first = (u128)w * simd_pow5_128[i];
  const uint64_t mask = UINT64_MAX >> (MANTISSA_BITS + 3);
  if (((uint64_t)(first >> 64) & mask) == mask) {
    u128 second = (u128)w * simd_pow5_128[i + 1];
    uint64_t lo = (uint64_t)first + (uint64_t)(second >> 64);
    uint64_t hi = (uint64_t)(first >> 64) + (lo < (uint64_t)first);
    first = (u128)hi << 64 | lo;
  }
  return first;
}

/* Round the normalized significand of the product to a subnormal. */
static struct binary subnormal(struct binary r) {
  if (-r.power2 + 1 >= 64)
    return (struct binary){0, 0};
  r.mantissa >>= -r.power2 + 1;
  r.mantissa += r.mantissa & 1;
  r.mantissa >>= 1;
  /* rounding up can reach the smallest normal */
  r.power2 = r.mantissa < (1ull << MANTISSA_BITS) ? 0 : 1;
  return r;
}

/* Eisel-Lemire: the double nearest w * 10^q, w < 10^19. */
static struct binary eisel_lemire(int64_t q, uint64_t w) {
  if (w == 0 || q < SIMD_POW5_Q_MIN)
    return (struct binary){0, 0};
  if (q > SIMD_POW5_Q_MAX)
    return (struct binary){0, EXP_INF};
  int lz = __builtin_clzll(w);
  u128 prod = product(q, w << lz);
  uint64_t hi = (uint64_t)(prod >> 64), lo = (uint64_t)prod;
  if (lo == UINT64_MAX && (q < -27 || q > 55))
    return (struct binary){0, -1}; /* too close to call cheaply */
  int upper = (int)(hi >> 63);
  int shift = upper + 64 - MANTISSA_BITS - 3;
  /* floor(log2(10^q)) + 63 is ((217706 * q) >> 16) + 63 for |q| <= 1500 */
  int64_t p2 = ((217706 * q) >> 16) + 63 + upper - lz + 1023;
  struct binary r = {hi >> shift, (int32_t)p2};
  if (r.power2 <= 0)
    return subnormal(r);
  /* an exact tie (possible only for small q) rounds to even */
  if (lo <= 1 && q >= -4 && q <= 23 && (r.mantissa & 3) == 1 &&
      (r.mantissa << shift) == hi)
    r.mantissa &= ~1ull;
  r.mantissa += r.mantissa & 1;
  r.mantissa >>= 1;
  if (r.mantissa >= (2ull << MANTISSA_BITS)) {
    r.mantissa = 1ull << MANTISSA_BITS;
    r.power2++;
  }
  if (r.power2 >= EXP_INF)
    return (struct binary){0, EXP_INF};
  return r;
}

/* The rare undecided case: strtod on a NUL-terminated copy. errno is
 * preserved so callers never see strtod's ERANGE. */
static int slow_path(const char *s, size_t len, double *out) {
  char buf[SIMD_NUMBER_BYTES_MAX + 1];
  int saved = errno;
  memcpy(buf, s, len);
  buf[len] = '\0';
  double v = strtod(buf, NULL);
  errno = saved;
  *out = v;
  return v - v != 0 ? -ERANGE : 0; /* inf - inf is NaN */
}

int simd_parse_double(const char *s, size_t len, double *out) {
  struct decimal d;
  if (len == 0 || len > SIMD_NUMBER_BYTES_MAX || scan_decimal(s, len, &d))
    return -EINVAL;
  if (clinger(&d, out))
    return 0;
  struct binary r = eisel_lemire(d.exp10, d.mantissa);
  if (d.truncated && r.power2 >= 0) {
    struct binary up = eisel_lemire(d.exp10, d.mantissa + 1);
    if (up.power2 != r.power2 || up.mantissa != r.mantissa)
      r.power2 = -1;
  }
  if (r.power2 < 0)
    return slow_path(s, len, out);
  uint64_t bits = (r.mantissa & ((1ull << MANTISSA_BITS) - 1)) |
                  (uint64_t)r.power2 << MANTISSA_BITS |
                  (uint64_t)d.negative << 63;
  memcpy(out, &bits, sizeof bits);
  return r.power2 == EXP_INF ? -ERANGE : 0;
}

/* Digits only, [p, end) non-empty, into a uint64_t. */
static int parse_u64(const char *p, const char *end, uint64_t *out) {
  const char *q = p;
  uint64_t v = 0;
  size_t n = digits(&q, end, &v);
  if (n == 0 || q != end)
    return -EINVAL;
  for (; n > 1 && *p == '0'; p++)
    n--;
  /* 20 digits fit only below 2^64: then the sum did not wrap below 10^19 */
  if (n > 20 || (n == 20 && (*p > '1' || v < MIN19 * 10)))
    return -ERANGE;
  *out = v;
  return 0;
}

int simd_parse_u64(const char *s, size_t len, uint64_t *out) {
  return parse_u64(s, s + len, out);
}

int simd_parse_i64(const char *s, size_t len, int64_t *out) {
  const char *p = s, *end = s + len;
  bool neg = false;
  if (p < end && (*p == '+' || *p == '-'))
    neg = *p++ == '-';
  uint64_t mag;
  int rc = parse_u64(p, end, &mag);
  if (rc)
    return rc;
  if (mag > (uint64_t)INT64_MAX + neg)
    return -ERANGE;
  *out = neg ? (mag == (uint64_t)INT64_MAX + 1 ? INT64_MIN : -(int64_t)mag)
             : (int64_t)mag;
  return 0;
}
