/*
 * core/base/numfmt.c - numbers as text (see numfmt.h).
 *
 * The query routes print hundreds of thousands of numbers a reply, so the
 * common cases avoid snprintf: a double below 10^8 that is an integer or a
 * multiple of 2^-8 (0.5, 12.25) is written from its exact binary digits,
 * eight decimal digits at a time in one word; other integers two digits
 * at a time; and a double with at most 15 significant decimal digits
 * (what telemetry mostly holds: 0.1, 1e-06) is found by scaling with
 * powers of ten and one exact check. Only values that need 16 or 17 digits take the
 * snprintf + strtod path, and both paths print the same bytes.
 */
#include "core/base/numfmt.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#if defined(__SSE2__)
#include <emmintrin.h>
#endif

const char core_fmt_digit_pairs[201] =
    "00010203040506070809101112131415161718192021222324252627282930313233"
    "34353637383940414243444546474849505152535455565758596061626364656667"
    "6869707172737475767778798081828384858687888990919293949596979899";

/* 10^0 .. 10^19: digit counts, and a fixed-notation %.15g has up to 18
 * fraction digits. */
static const uint64_t pow10_u64[20] = {
    1u, 10u, 100u, 1000u, 10000u, 100000u, 1000000u, 10000000u, 100000000u,
    1000000000u, 10000000000u, 100000000000u, 1000000000000u,
    10000000000000u, 100000000000000u, 1000000000000000u,
    10000000000000000u, 100000000000000000u, 1000000000000000000u,
    10000000000000000000u};

/* Decimal digits of u (1 for 0): the bit length gives the count or one
 * more (1233/4096 ~ log10(2)), and one comparison settles which. */
static int digits_u64(uint64_t u) {
  int b = 64 - __builtin_clzll(u | 1), n = (b * 1233) >> 12;

  return n + 1 - ((u | 1) < pow10_u64[n]);
}

/* u (< 10^8) as exactly eight digits at p, straight-line. */
static inline void put_u32x8(uint32_t u, char *p) {
  core_fmt_digits4(u / 10000, p);
  core_fmt_digits4(u % 10000, p + 4);
}

/* The last nd (<= 8) digits of u (< 10^8) at p, zero-padded, in 32-bit
 * arithmetic. */
static void put_u32(uint32_t u, int nd, char *p) {
  p += nd;
  while (nd >= 2) {
    p -= 2;
    memcpy(p, core_fmt_digit_pairs + 2 * (u % 100), 2);
    u /= 100;
    nd -= 2;
  }
  if (nd)
    *--p = (char)('0' + u % 10);
}

/* u's nd digits (digits_u64) at out, not terminated: the leading 1..8
 * digits, then full 8-digit chunks, each in 32-bit arithmetic; a
 * nanosecond timestamp costs two constant 64-bit divisions. */
static void put_u64(uint64_t u, int nd, char *out) {
  if (nd > 16) {
    uint64_t hi = u / 10000000000000000u, rest = u % 10000000000000000u;
    put_u32((uint32_t)hi, nd - 16, out);
    out += nd - 16;
    put_u32x8((uint32_t)(rest / 100000000), out);
    put_u32x8((uint32_t)(rest % 100000000), out + 8);
  } else if (nd > 8) {
    put_u32((uint32_t)(u / 100000000), nd - 8, out);
    put_u32x8((uint32_t)(u % 100000000), out + nd - 8);
  } else {
    put_u32((uint32_t)u, nd, out);
  }
}

int core_fmt_i64(int64_t v, char *out) {
  uint64_t u = v < 0 ? 0 - (uint64_t)v : (uint64_t)v;
  int k = v < 0, nd = digits_u64(u);

  out[0] = '-';
  put_u64(u, nd, out + k);
  out[k + nd] = '\0';
  return k + nd;
}

/*
 * What printf's %.15g prints for the decimal m * 10^-d (m with nd digits,
 * no trailing zero, d >= 1, nd <= 15): fixed notation when the decimal
 * exponent x is in [-4, 15), else d.ddde±XX. Returns the length.
 */
static int put_g15(int neg, uint64_t m, int nd, int d, uint64_t ip,
                   char *out) {
  int x = nd - 1 - d, k = 0;
  char dig[16];

  if (neg)
    out[k++] = '-';
  if (x < -4 || x >= 15) {
    int ax = x < 0 ? -x : x;
    put_u64(m, nd, dig);
    out[k++] = dig[0];
    if (nd > 1) {
      out[k++] = '.';
      memcpy(out + k, dig + 1, (size_t)nd - 1);
      k += nd - 1;
    }
    out[k++] = 'e';
    out[k++] = x < 0 ? '-' : '+';
    if (ax >= 100)
      out[k++] = (char)('0' + ax / 100);
    memcpy(out + k, core_fmt_digit_pairs + 2 * (ax % 100), 2);
    k += 2;
  } else {
    /* integer part, point, d fraction digits (zero-padded); ip is the
     * caller's guess of m / 10^d (|v| truncated), off by one at most */
    uint64_t p = pow10_u64[d], fp;
    int ni;
    if (ip * p > m)
      ip--;
    fp = m - ip * p;
    if (fp >= p) {
      ip++;
      fp -= p;
    }
    ni = digits_u64(ip);
    put_u64(ip, ni, out + k);
    k += ni;
    out[k++] = '.';
    put_u64(fp, d, out + k);
    k += d;
  }
  out[k] = '\0';
  return k;
}

/*
 * The fast path for a finite, non-integer v: the smallest d (1..22) such
 * that m = rint(|v|·10^d) < 10^15 and m / 10^d is |v| exactly. Both m and
 * 10^d are exact doubles, so the IEEE quotient is the correctly rounded
 * value of the decimal m·10^-d, which is what strtod returns for its
 * text; and a decimal of at most 15 digits within half an ulp of v is the
 * nearest 15-digit decimal to v (a double's ulp is below 10^-14 of its
 * leading decade), so %.15g prints exactly it. Returns the length, or 0
 * when v needs the slow path.
 */
static int fmt_short(double v, char *out) {
  static const double pow10[23] = {
      1e0,  1e1,  1e2,  1e3,  1e4,  1e5,  1e6,  1e7,  1e8,  1e9,  1e10, 1e11,
      1e12, 1e13, 1e14, 1e15, 1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22};
  double a = fabs(v);

  if (!(a >= 1e-22))
    return 0;
  for (int d = 1; d <= 22; d++) {
    double s = a * pow10[d];
    if (!(s < 1e15))
      return 0;
    /* signed conversions: s < 10^15, and x86's unsigned ones branch */
    uint64_t m = (uint64_t)(int64_t)(s + 0.5);
    if (m != 0 && (double)(int64_t)m / pow10[d] == a) {
      /* a trailing zero would mean d - 1 matched already; kept so the
       * text is %g's whatever the rounding of s */
      while (m % 10 == 0) {
        m /= 10;
        d--;
      }
      if (d <= 0)
        return 0;
      return put_g15(v < 0, m, digits_u64(m), d, (uint64_t)(int64_t)a, out);
    }
  }
  return 0;
}

/*
 * u (< 10^8) as eight digit values 0..9 in the bytes of a word, the most
 * significant in the lowest byte (the first in memory): u / 10^4 and
 * u % 10^4 in two 32-bit lanes, each split by 100 and then by 10 in
 * 16- and 8-bit lanes with multiply-and-shift divisions (exact for lanes
 * below 10^4 and 100; checked against printf for every u < 10^8 when
 * written, and by test_numfmt's sweep).
 */
static inline uint64_t swar8(uint32_t u) {
  uint64_t x = (uint64_t)(u / 10000) | (uint64_t)(u % 10000) << 32;
  uint64_t h = ((x * 10486) >> 20) & UINT64_C(0x0000007F0000007F);
  uint64_t y = ((x - h * 100) << 16) | h;
  uint64_t t = ((y * 103) >> 10) & UINT64_C(0x000F000F000F000F);

  return ((y - t * 10) << 8) | t;
}

#define ASCII8 UINT64_C(0x3030303030303030)

/* u (< 10^8) without leading zeros at out; writes 8 bytes (the caller has
 * room), returns the digits. */
static inline int put_u32_swar(uint32_t u, char *out) {
  uint64_t z = swar8(u);
  int lz = u ? __builtin_ctzll(z) >> 3 : 7;

  z = (z + ASCII8) >> (8 * lz);
  memcpy(out, &z, 8);
  return 8 - lz;
}

/* u (< 10^8) without leading zeros at out, as put_u32_swar, with the
 * small values gauges mostly hold (below 10^4) from the pair table. */
static inline int put_u32_small(uint32_t u, char *out) {
  uint32_t hi = u / 100, lo = u % 100;

  if (u < 100) {
    memcpy(out, core_fmt_digit_pairs + 2 * u + (u < 10), 2);
    return 1 + (u >= 10);
  }
  if (u < 10000) {
    int h2 = hi >= 10;
    memcpy(out, core_fmt_digit_pairs + 2 * hi + 1 - h2, 2);
    memcpy(out + 1 + h2, core_fmt_digit_pairs + 2 * lo, 2);
    return 3 + h2;
  }
  return put_u32_swar(u, out);
}

/* The last k (1..8) digits of u (< 10^k), zero-padded, at out; writes 8
 * bytes. */
static inline void put_last_swar(uint32_t u, int k, char *out) {
  uint64_t z;

  if (k <= 2) {
    memcpy(out, core_fmt_digit_pairs + 2 * u + (2 - k), 2);
    return;
  }
  z = (swar8(u) + ASCII8) >> (8 * (8 - k));
  memcpy(out, &z, 8);
}

/* 5^0 .. 5^8: the decimal digits of a binary fraction f / 2^k are
 * f * 5^k over 10^k. */
static const uint32_t pow5_u32[9] = {1u,    5u,     25u,     125u,   625u,
                                     3125u, 15625u, 78125u, 390625u};

/*
 * The fast path for a finite v with |v| < 10^8 that is an integer or a
 * short binary fraction (0.5, 12.25, 3.375: gauges of halves and
 * quarters): |v| = ip + f / 2^k exactly, f odd, k <= 8. An integer is its
 * digits (the contract's rule below 2^53). A fraction's exact decimal is
 * ip "." then the k digits of f * 5^k, with no trailing zero (f is odd, so
 * the last digit is 5). With ip's digits plus k at most 15 the value has at
 * most 15 significant digits and is at least 2^-8 (above 10^-4), so %.15g
 * prints exactly that decimal: its rounding to 15 digits rounds nothing,
 * %g drops only trailing zeros and keeps fixed notation, and exact text
 * reads back as the same bits. Returns the length, or 0 (-0, NaN, a value
 * off the 2^-8 grid or too large).
 */
static inline int fmt_small(double v, char *out) {
  double a = fabs(v), s = a * 256.0; /* exact: a power of two */
  uint64_t n;
  uint32_t f;
  int k;
  char *o = out + (v < 0);

  if (!(a < 1e8))
    return 0;
  n = (uint64_t)(int64_t)s; /* s < 2^35: in range, and the signed
                             * conversion is one instruction */
  if ((double)n != s || (n == 0 && signbit(v)))
    return 0;
  out[0] = '-';
  o += put_u32_small((uint32_t)(n >> 8), o);
  if ((f = (uint32_t)n & 0xff) == 0) {
    *o = '\0';
    return (int)(o - out);
  }
  k = 8 - __builtin_ctz(f);
  if (o - out + k > 15 + (v < 0))
    return 0;
  *o++ = '.';
  put_last_swar((f >> (8 - k)) * pow5_u32[k], k, o);
  o[k] = '\0';
  return (int)(o + k - out);
}

/* core_fmt_double past fmt_small, out of line so that the fast path
 * saves no registers. */
__attribute__((noinline)) static int fmt_double_slow(double v, char *out) {
  int n;

  if (isnan(v))
    return (int)(memcpy(out, "NaN", 4), 3);
  if (isinf(v))
    return (int)(memcpy(out, v > 0 ? "+Inf" : "-Inf", 5), 4);
  /* range first: casting a double outside int64_t's range is undefined */
  if (fabs(v) < 9007199254740992.0 && v == (double)(int64_t)v &&
      !(v == 0 && signbit(v)))
    return core_fmt_i64((int64_t)v, out);
  if ((n = fmt_short(v, out)) > 0)
    return n;
  for (int prec = 15; prec <= 17; prec++) {
    n = snprintf(out, CORE_FMT_NUM_BYTES, "%.*g", prec, v);
    if (prec == 17 || strtod(out, NULL) == v)
      return n;
  }
  return 0; /* not reached */
}

int core_fmt_double(double v, char *out) {
  int n = fmt_small(v, out);

  return n > 0 ? n : fmt_double_slow(v, out);
}

/* "00" "01" .. "ff": one lookup and one two-byte store a byte. */
static const char hex_pairs[513] =
    "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f"
    "202122232425262728292a2b2c2d2e2f303132333435363738393a3b3c3d3e3f"
    "404142434445464748494a4b4c4d4e4f505152535455565758595a5b5c5d5e5f"
    "606162636465666768696a6b6c6d6e6f707172737475767778797a7b7c7d7e7f"
    "808182838485868788898a8b8c8d8e8f909192939495969798999a9b9c9d9e9f"
    "a0a1a2a3a4a5a6a7a8a9aaabacadaeafb0b1b2b3b4b5b6b7b8b9babbbcbdbebf"
    "c0c1c2c3c4c5c6c7c8c9cacbcccdcecfd0d1d2d3d4d5d6d7d8d9dadbdcdddedf"
    "e0e1e2e3e4e5e6e7e8e9eaebecedeeeff0f1f2f3f4f5f6f7f8f9fafbfcfdfeff";

/*
 * 8 bytes as 16 hex digits in a handful of SSE2 operations (part of the
 * x86-64 baseline, so no run-time dispatch): high and low nibbles
 * interleaved, then '0' or 'a' - 10 added per digit. Without SSE2 every
 * byte takes the hex_pairs path, which also writes the tails.
 */
#if defined(__SSE2__)
static void hex8_sse2(const uint8_t *p, char *out) {
  const __m128i nib = _mm_set1_epi8(0x0f);
  __m128i x = _mm_loadl_epi64((const __m128i *)(const void *)p);
  __m128i hi = _mm_and_si128(_mm_srli_epi16(x, 4), nib);
  __m128i d = _mm_unpacklo_epi8(hi, _mm_and_si128(x, nib));
  __m128i af = _mm_cmpgt_epi8(d, _mm_set1_epi8(9));

  d = _mm_add_epi8(d, _mm_set1_epi8('0'));
  d = _mm_add_epi8(d, _mm_and_si128(af, _mm_set1_epi8('a' - '0' - 10)));
  _mm_storeu_si128((__m128i *)(void *)out, d);
}
#endif

void core_fmt_hex(const uint8_t *p, size_t n, char *out) {
  size_t i = 0;

#if defined(__SSE2__)
  for (; i + 8 <= n; i += 8)
    hex8_sse2(p + i, out + 2 * i);
#endif
  for (; i < n; i++)
    memcpy(out + 2 * i, hex_pairs + 2 * p[i], 2);
}
