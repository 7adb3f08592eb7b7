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

/*
 * The n doubles at v, v + stride bytes, v + 2 stride bytes, ... each as
 * core_fmt_double's text followed by sep, at out (not NUL-terminated): a
 * reply's list of values in one call, its fast path inline. out holds
 * n * CORE_FMT_NUM_BYTES bytes. Returns the end of what was written.
 */
char *core_fmt_double_list(const double *v, size_t stride, size_t n,
                           char sep, char *out);

/* "00" "01" .. "99": the digit pairs the formatters copy. */
extern const char core_fmt_digit_pairs[201];

/* "0000" .. "9999": entry u is u's four digits, zero-padded, in memory
 * order (40 KB, a constant), so that four digits are one load and one
 * store. */
extern const uint32_t core_fmt_digits4_tab[10000];

/* u (< 10^4) as exactly four digits, zero-padded, at out (not
 * NUL-terminated): the low digits of numbers whose high digits repeat. */
static inline void core_fmt_digits4(uint32_t u, char *out) {
  memcpy(out, &core_fmt_digits4_tab[u], 4);
}

/* n bytes as 2n lowercase hex digits at out (not NUL-terminated). */
void core_fmt_hex(const uint8_t *p, size_t n, char *out);

#endif
