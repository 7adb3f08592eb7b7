/*
 * core/base/numfmt.c - numbers as text (see numfmt.h).
 *
 * The query routes print hundreds of thousands of numbers a reply, so the
 * common cases avoid snprintf: a double below 10^8 that is an integer or a
 * multiple of 2^-8 (0.5, 12.25) is written from its exact binary digits,
 * eight decimal digits at a time in one word; other integers two digits
 * at a time; a double with at most 15 significant decimal digits and 6
 * places (what telemetry mostly holds: 0.1, 1e-06) is found by scaling
 * with powers of ten and one exact check; every other normal double gets
 * its shortest digits from Schubfach (core/base/dtoa.c) and is written as
 * %g would. Only subnormals and 16- or 17-digit powers of two take the
 * snprintf + strtod path, and all paths print the same bytes.
 */
#include "core/base/numfmt.h"

#include "core/base/dtoa.h"

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

/* Four digits as a little-endian word: the first digit in the lowest
 * byte, so that a 4-byte store writes them in order. */
#if !defined(__BYTE_ORDER__) || __BYTE_ORDER__ != __ORDER_LITTLE_ENDIAN__
#error "numfmt.c's digit words (core_fmt_digits4_tab, swar8) are little-endian"
#endif
#define D4(a, b, c, d)                                                     \
  ((uint32_t)('0' + (a)) | (uint32_t)('0' + (b)) << 8 |                    \
   (uint32_t)('0' + (c)) << 16 | (uint32_t)('0' + (d)) << 24)
#define D4_10(a, b, c)                                                     \
  D4(a, b, c, 0), D4(a, b, c, 1), D4(a, b, c, 2), D4(a, b, c, 3),          \
      D4(a, b, c, 4), D4(a, b, c, 5), D4(a, b, c, 6), D4(a, b, c, 7),      \
      D4(a, b, c, 8), D4(a, b, c, 9)
#define D4_100(a, b)                                                       \
  D4_10(a, b, 0), D4_10(a, b, 1), D4_10(a, b, 2), D4_10(a, b, 3),          \
      D4_10(a, b, 4), D4_10(a, b, 5), D4_10(a, b, 6), D4_10(a, b, 7),      \
      D4_10(a, b, 8), D4_10(a, b, 9)
#define D4_1000(a)                                                         \
  D4_100(a, 0), D4_100(a, 1), D4_100(a, 2), D4_100(a, 3), D4_100(a, 4),    \
      D4_100(a, 5), D4_100(a, 6), D4_100(a, 7), D4_100(a, 8), D4_100(a, 9)

const uint32_t core_fmt_digits4_tab[10000] = {
    D4_1000(0), D4_1000(1), D4_1000(2), D4_1000(3), D4_1000(4),
    D4_1000(5), D4_1000(6), D4_1000(7), D4_1000(8), D4_1000(9)};

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

/* d.ddde+XX (printf's %g exponent form) of the nd digits dig, decimal
 * exponent x, at out; returns the bytes written. */
static int put_exp_form(char *out, const char *dig, int nd, int x) {
  int ax = x < 0 ? -x : x, k = 0;

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
  return k + 2;
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
    put_u64(m, nd, dig);
    k += put_exp_form(out + k, dig, nd, x);
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
 * The fast path for a finite, non-integer v: the smallest d (1..6) such
 * that m = rint(|v|·10^d) < 10^15 and m / 10^d is |v| exactly. Both m and
 * 10^d are exact doubles, so the IEEE quotient is the correctly rounded
 * value of the decimal m·10^-d, which is what strtod returns for its
 * text; and a decimal of at most 15 digits within half an ulp of v is the
 * nearest 15-digit decimal to v (a double's ulp is below 10^-14 of its
 * leading decade), so %.15g prints exactly it. Returns the length, or 0
 * when v needs the slow path. Past SHORT_PLACES_MAX places fmt_shortest
 * prints the same text for less than the remaining tries cost (callgrind
 * on bench_export, perf/RESULTS.md); up to it, for less than
 * fmt_shortest (thousandths: 360 against 565 instructions a point).
 */
#define SHORT_PLACES_MAX 6

static int fmt_short(double v, char *out) {
  static const double pow10[23] = {
      1e0,  1e1,  1e2,  1e3,  1e4,  1e5,  1e6,  1e7,  1e8,  1e9,  1e10, 1e11,
      1e12, 1e13, 1e14, 1e15, 1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22};
  double a = fabs(v);

  if (!(a >= 1e-22))
    return 0;
  for (int d = 1; d <= SHORT_PLACES_MAX; d++) {
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

/* f / 256 (f = 0..255) to eight decimal places, exact: the eight digits
 * of f * 5^8, zero-padded. Its last nonzero digit is the k-th, k = 8 -
 * ctz(f) (f / 256 is g / 2^k with g odd, whose decimal ends in a 5 at
 * the k-th place). test_numfmt checks every entry. */
static const char frac256_digits[256][8] = {
    "00000000", "00390625", "00781250", "01171875", "01562500", "01953125",
    "02343750", "02734375", "03125000", "03515625", "03906250", "04296875",
    "04687500", "05078125", "05468750", "05859375", "06250000", "06640625",
    "07031250", "07421875", "07812500", "08203125", "08593750", "08984375",
    "09375000", "09765625", "10156250", "10546875", "10937500", "11328125",
    "11718750", "12109375", "12500000", "12890625", "13281250", "13671875",
    "14062500", "14453125", "14843750", "15234375", "15625000", "16015625",
    "16406250", "16796875", "17187500", "17578125", "17968750", "18359375",
    "18750000", "19140625", "19531250", "19921875", "20312500", "20703125",
    "21093750", "21484375", "21875000", "22265625", "22656250", "23046875",
    "23437500", "23828125", "24218750", "24609375", "25000000", "25390625",
    "25781250", "26171875", "26562500", "26953125", "27343750", "27734375",
    "28125000", "28515625", "28906250", "29296875", "29687500", "30078125",
    "30468750", "30859375", "31250000", "31640625", "32031250", "32421875",
    "32812500", "33203125", "33593750", "33984375", "34375000", "34765625",
    "35156250", "35546875", "35937500", "36328125", "36718750", "37109375",
    "37500000", "37890625", "38281250", "38671875", "39062500", "39453125",
    "39843750", "40234375", "40625000", "41015625", "41406250", "41796875",
    "42187500", "42578125", "42968750", "43359375", "43750000", "44140625",
    "44531250", "44921875", "45312500", "45703125", "46093750", "46484375",
    "46875000", "47265625", "47656250", "48046875", "48437500", "48828125",
    "49218750", "49609375", "50000000", "50390625", "50781250", "51171875",
    "51562500", "51953125", "52343750", "52734375", "53125000", "53515625",
    "53906250", "54296875", "54687500", "55078125", "55468750", "55859375",
    "56250000", "56640625", "57031250", "57421875", "57812500", "58203125",
    "58593750", "58984375", "59375000", "59765625", "60156250", "60546875",
    "60937500", "61328125", "61718750", "62109375", "62500000", "62890625",
    "63281250", "63671875", "64062500", "64453125", "64843750", "65234375",
    "65625000", "66015625", "66406250", "66796875", "67187500", "67578125",
    "67968750", "68359375", "68750000", "69140625", "69531250", "69921875",
    "70312500", "70703125", "71093750", "71484375", "71875000", "72265625",
    "72656250", "73046875", "73437500", "73828125", "74218750", "74609375",
    "75000000", "75390625", "75781250", "76171875", "76562500", "76953125",
    "77343750", "77734375", "78125000", "78515625", "78906250", "79296875",
    "79687500", "80078125", "80468750", "80859375", "81250000", "81640625",
    "82031250", "82421875", "82812500", "83203125", "83593750", "83984375",
    "84375000", "84765625", "85156250", "85546875", "85937500", "86328125",
    "86718750", "87109375", "87500000", "87890625", "88281250", "88671875",
    "89062500", "89453125", "89843750", "90234375", "90625000", "91015625",
    "91406250", "91796875", "92187500", "92578125", "92968750", "93359375",
    "93750000", "94140625", "94531250", "94921875", "95312500", "95703125",
    "96093750", "96484375", "96875000", "97265625", "97656250", "98046875",
    "98437500", "98828125", "99218750", "99609375",
};

/*
 * The fast path for a finite v with |v| < 10^8 that is an integer or a
 * short binary fraction (0.5, 12.25, 3.375: gauges of halves and
 * quarters): |v| = ip + f / 256 exactly (f < 256). An integer is its
 * digits (the contract's rule below 2^53). A fraction's exact decimal is
 * ip "." then the k digits of frac256_digits, with no trailing zero (the
 * last digit is 5). With ip's digits plus k at most 15 (always so below
 * 10^4) the value has at most 15 significant digits and is at least 2^-8
 * (above 10^-4), so %.15g prints exactly that decimal: its rounding to 15
 * digits rounds nothing, %g drops only trailing zeros and keeps fixed
 * notation, and exact text reads back as the same bits. Writes up to 18
 * bytes, not NUL-terminated. Returns the length, or 0 (-0, NaN, a value
 * off the 2^-8 grid or too large).
 */
static inline int fmt_small(double v, char *out) {
  double a = fabs(v), s = a * 256.0; /* exact: a power of two */
  int neg = signbit(v) != 0, k;
  uint64_t n;
  uint32_t ip, f;
  char *o = out + neg;

  if (!(a < 1e8))
    return 0;
  n = (uint64_t)(int64_t)s; /* s < 2^35: in range, and the signed
                             * conversion is one instruction */
  if ((double)n != s || (n == 0 && neg))
    return 0;
  out[0] = '-';
  ip = (uint32_t)(n >> 8);
  f = (uint32_t)n & 0xff;
  k = f ? 8 - __builtin_ctz(f) : 0;
  if (ip < 10000) {
    /* the table's word past its leading zeros ('0' bytes, the last kept) */
    uint32_t z = core_fmt_digits4_tab[ip];
    int lz = __builtin_ctz((z - 0x30303030u) | 0x01000000u) >> 3;
    z >>= 8 * lz;
    memcpy(o, &z, 4);
    o += 4 - lz;
  } else {
    o += put_u32_swar(ip, o);
    if (o - out - neg + k > 15)
      return 0;
  }
  if (f == 0)
    return (int)(o - out);
  *o = '.';
  memcpy(o + 1, frac256_digits[f], 8);
  return (int)(o + 1 + k - out);
}

/*
 * What printf's %.{prec}g prints for the decimal m * 10^x / 10^(nd - 1)
 * (m with nd digits, no trailing zero, nd <= prec): fixed notation when
 * the exponent x is in [-4, prec), else d.ddde±XX. Returns the length.
 */
static int put_g(int neg, uint64_t m, int nd, int x, int prec, char *out) {
  char dig[24];
  int k = 0;

  if (neg)
    out[k++] = '-';
  put_u64(m, nd, dig);
  if (x < -4 || x >= prec) {
    k += put_exp_form(out + k, dig, nd, x);
  } else if (x < 0) { /* 0.000ddd */
    memcpy(out + k, "0.0000", (size_t)(1 - x));
    k += 1 - x;
    memcpy(out + k, dig, (size_t)nd);
    k += nd;
  } else if (nd <= x + 1) { /* an integer: ddd000 */
    memcpy(out + k, dig, (size_t)nd);
    memset(out + k + nd, '0', (size_t)(x + 1 - nd));
    k += x + 1;
  } else { /* ddd.ddd */
    memcpy(out + k, dig, (size_t)x + 1);
    out[k + x + 1] = '.';
    memcpy(out + k + x + 2, dig + x + 1, (size_t)(nd - x - 1));
    k += nd + 1;
  }
  out[k] = '\0';
  return k;
}

/*
 * A finite v as the contract's text from its shortest round-trip digits
 * (core_dtoa_shortest), without snprintf. Up to 15 digits they are what
 * %.15g prints: a double's rounding interval is narrower than the gap
 * between 15-digit decimals, so the one inside is the nearest. With 16 or
 * 17 they are the nearest decimal of that length, %.16g's or %.17g's,
 * and the shorter precisions do not read back - except for a power of
 * two, whose interval is lopsided (its lower neighbour is nearer): there
 * %.16g's nearest decimal may fall outside where a farther one is inside,
 * so those (2046 doubles) return 0 for the snprintf path. So do zero
 * and the subnormals: fewer than 15 digits can tell them apart, and %.15g
 * prints 15 all the same (the nearest, which the shortest digits are
 * not), so they would need the exact decimal; telemetry has none.
 */
static int fmt_shortest(double v, char *out) {
  uint64_t m, bits;
  int x, nd;

  memcpy(&bits, &v, sizeof(bits));
  if (((bits >> 52) & 0x7ff) == 0)
    return 0;
  core_dtoa_shortest(v, &m, &x);
  nd = digits_u64(m);
  if (nd > 15 && (bits << 12) == 0)
    return 0;
  return put_g(v < 0, m, nd, x + nd - 1, nd > 15 ? nd : 15, out);
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
  if ((n = fmt_shortest(v, out)) > 0)
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

  if (n == 0)
    return fmt_double_slow(v, out);
  out[n] = '\0';
  return n;
}

char *core_fmt_double_list(const double *v, size_t stride, size_t n,
                           char sep, char *out) {
  const char *p = (const char *)v;

  for (size_t i = 0; i < n; i++, p += stride) {
    double x;
    int len;
    memcpy(&x, p, sizeof(x));
    len = fmt_small(x, out);
    if (len == 0)
      len = fmt_double_slow(x, out);
    out[len] = sep;
    out += len + 1;
  }
  return out;
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
