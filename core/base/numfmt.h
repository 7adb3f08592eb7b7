/*
 * core/base/numfmt.h - numbers as text, exactly and without allocation:
 * usable on a shard's data path (OTLP label values) and by the query
 * routes (values in replies).
 */
#ifndef SLUICE_CORE_BASE_NUMFMT_H
#define SLUICE_CORE_BASE_NUMFMT_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

/* Bytes core_fmt_double and core_fmt_i64 may write, NUL included. */
#define CORE_FMT_NUM_BYTES 32

/*
 * The shortest decimal text that reads back as v's exact bits (strtod):
 * integers below 2^53 without a point or exponent ("1000000", "-3"),
 * others as %.15g, %.16g or %.17g, whichever is the first to round-trip;
 * "NaN", "+Inf", "-Inf"; -0.0 as "-0". out holds CORE_FMT_NUM_BYTES and
 * is NUL-terminated. Returns the length.
 */
int core_fmt_double(double v, char *out);

/* v in decimal at out (CORE_FMT_NUM_BYTES, NUL-terminated); its length. */
int core_fmt_i64(int64_t v, char *out);

/* "00" "01" .. "99": the digit pairs the formatters copy. */
extern const char core_fmt_digit_pairs[201];

/* u (< 10^4) as exactly four digits, zero-padded, at out (not
 * NUL-terminated): the low digits of numbers whose high digits repeat. */
static inline void core_fmt_digits4(uint32_t u, char *out) {
  memcpy(out, core_fmt_digit_pairs + 2 * (u / 100), 2);
  memcpy(out + 2, core_fmt_digit_pairs + 2 * (u % 100), 2);
}

/* n bytes as 2n lowercase hex digits at out (not NUL-terminated). */
void core_fmt_hex(const uint8_t *p, size_t n, char *out);

#endif
