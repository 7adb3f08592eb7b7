/*
 * simd/number.h - decimal number parsing for the parsers' hot path.
 *
 * simd_parse_double returns exactly what glibc's strtod returns for the
 * same text (correct rounding, ties to even), without calling it except on
 * the rare inputs the fast paths cannot decide: the Clinger fast path
 * (mantissa < 2^53, |exponent| <= 22), then Eisel-Lemire with a 128-bit
 * table of powers of five, then strtod on a bounded, NUL-terminated copy.
 *
 * Accepted text, all of [s, s + len) and nothing else:
 *   [+-] digits [ '.' [digits] ] [ (e|E) [+-] digits ]
 *   [+-] '.' digits [ (e|E) [+-] digits ]
 * Rejected (what StatsD rejects): empty text, whitespace anywhere, "nan",
 * "inf"/"infinity", hexadecimal ("0x1p3"), a bare sign or dot, an exponent
 * marker without digits, and text longer than SIMD_NUMBER_BYTES_MAX.
 */
#ifndef SLUICE_SIMD_NUMBER_H
#define SLUICE_SIMD_NUMBER_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "core/base/limits.h"

/*
 * Parse a decimal floating-point number.
 *   s, len  the text; no terminator needed, nothing outside is read.
 *   out     the value, as strtod would return it.
 * Returns 0; -ERANGE when the magnitude overflows (*out is then +-HUGE_VAL,
 * as strtod sets it); -EINVAL for rejected text (*out untouched).
 * Underflow to a subnormal or to +-0 is not an error (returns 0).
 */
int simd_parse_double(const char *s, size_t len, double *out);

/*
 * Parse a decimal integer: [+-] digits, nothing else.
 * Returns 0, -ERANGE when it does not fit an int64_t, -EINVAL otherwise
 * (*out is set only on success).
 */
int simd_parse_i64(const char *s, size_t len, int64_t *out);

/* As simd_parse_i64 for digits only (no sign) into a uint64_t. */
int simd_parse_u64(const char *s, size_t len, uint64_t *out);

/*
 * SWAR: the decimal value of the 8 digit values (0..9) in the bytes of x,
 * the first digit in the lowest byte; zero bytes below the first digit
 * are leading zeros, so k < 8 digits go in as x << 8 * (8 - k). Three
 * multiplies. For ASCII digits subtract '0' from every byte first.
 */
static inline uint64_t simd_swar8_value(uint64_t x) {
  x = x * 10 + (x >> 8);
  return ((x & UINT64_C(0x000000FF000000FF)) * UINT64_C(0x000F424000000064) +
          ((x >> 16) & UINT64_C(0x000000FF000000FF)) *
              UINT64_C(0x0000271000000001)) >> 32;
}

/*
 * SWAR fast path for the short decimals most StatsD values and rates are:
 * "ddd" or "ddd.ddd", 1 to 8 bytes with at least one digit and no sign or
 * exponent ("1." and ".5" included). At most 8 digits are below 10^8 and
 * at most 7 decimals make 10^frac exact, so the value is one correctly
 * rounded division: strtod's result, bit for bit.
 *   s, n  the token, 1 <= n <= 8; the 8 bytes at s must be readable (the
 *         n - 8 after the token are ignored).
 *   out   the value on success.
 * Returns 0, or -1 when the token is not of that form (out untouched).
 * About 40 instructions and no branch on where the dot is.
 */
static inline int simd_short_decimal(const char *s, size_t n, double *out) {
  static const double pow10[8] = {1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7};
  const uint64_t ones = UINT64_C(0x0101010101010101);
  const uint64_t highs = UINT64_C(0x8080808080808080);
  uint64_t w, t, big, y, dm, has, bit, below, upto, x;

  memcpy(&w, s, sizeof(w));
  /* digits become 0..9, '.' 0x1e; the token moves to the top bytes and
   * zero bytes (leading zeros for simd_swar8_value) fill in below it */
  t = (w ^ (ones * '0')) << (8 * (8 - n));
  big = (((t & ~highs) + ones * (0x80 - 10)) | t) & highs; /* bytes >= 10 */
  y = t ^ (ones * 0x1e);
  dm = ~(((y & ~highs) + ~highs) | y) & highs; /* bytes == '.' ^ '0' */
  if (big != dm || (dm & (dm - 1)) || n == (dm != 0))
    return -1;
  /* cut the dot out: the bytes below it move up one */
  has = 0 - (uint64_t)(dm != 0);
  bit = dm & (0 - dm);               /* bit 7 of the dot's byte j */
  below = ((bit >> 7) - 1) & has;    /* bytes below j */
  upto = ((bit << 1) - 1) & has;     /* bytes up to j */
  x = (t & ~upto) | ((t & below) << 8);
  *out = (double)simd_swar8_value(x) /
         pow10[((unsigned)(63 - __builtin_ctzll(dm | (UINT64_C(1) << 63))) >> 3) &
               (unsigned)has];
  return 0;
}

#endif
