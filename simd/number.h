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

#endif
