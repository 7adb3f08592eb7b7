/*
 * core/parse/statsd.h - the StatsD / DogStatsD line parser.
 *
 * Grammar (one line, without its '\n' or '\r\n'):
 *   metric  = name ':' values '|' type *( '|' field )
 *   values  = value *( ':' value )            ; DogStatsD 1.1 packing
 *   type    = "c" / "g" / "ms" / "h" / "d" / "s"
 *   field   = '@' rate / '#' tags / "c:" container / 'T' unix-seconds
 *   tags    = tag *( ',' tag ) ; tag = key [ ':' value ], value may hold ':'
 *   event   = "_e{" tlen ',' xlen "}:" title '|' text *( '|' field )
 *   check   = "_sc|" name '|' status *( '|' field )
 * A gauge value with a leading '+' or '-' is a delta.
 */
#ifndef SLUICE_CORE_PARSE_STATSD_H
#define SLUICE_CORE_PARSE_STATSD_H

#include <math.h>
#include <stddef.h>
#include <stdint.h>

#include "core/base/limits.h"
#include "core/parse/statsd_types.h"

/*
 * Parse one line, on the SIMD kernels at the level simd/ runs at (the
 * scalar twin below at SIMD_LEVEL_SCALAR, and for lines over
 * CORE_STATSD_SCAN_BYTES). Same result as the scalar twin, field by field.
 *   line, len  the line without its '\n'; one final '\r' (of "\r\n") is
 *              dropped here, a second one is refused (BAD_BYTE). The
 *              bound CORE_LINE_BYTES_MAX_LIMIT does not count that '\r'.
 *   out        filled on success; its pointers refer into `line`.
 * Returns CORE_STATSD_OK, or the reason the line was rejected (out is then
 * unspecified). Never reads outside [line, line + len).
 */
enum core_statsd_err core_statsd_parse_line(const char *line, size_t len,
                                            struct core_statsd_msg *out);

/*
 * The scalar twin of core_statsd_parse_line (SWAR, no SIMD kernels): the
 * reference the agreement tests hold the SIMD parser to. Same contract.
 */
enum core_statsd_err core_statsd_parse_line_scalar(const char *line,
                                                   size_t len,
                                                   struct core_statsd_msg *out);

/*
 * Parse every line of a buffer: one structural scan (simd_scan, in
 * CORE_STATSD_SCAN_BYTES windows), then a walk over its bitmaps. At
 * SIMD_LEVEL_SCALAR the lines are split with memchr and parsed by the
 * scalar twin. Either way each line gets what core_statsd_parse_line
 * gives it.
 *   buf, len        lines separated by '\n' or "\r\n"; the last may lack
 *                   its '\n' (and end in one '\r'). Empty lines ("\r"
 *                   alone too) are skipped. Only one '\r' ends a line:
 *                   "x:1|c\r\r\n" is the line "x:1|c\r", BAD_BYTE.
 *   line_bytes_max  a line longer than this (without "\r\n") is not
 *                   parsed but reported as CORE_STATSD_ERR_LINE_TOO_LONG;
 *                   at most CORE_LINE_BYTES_MAX_LIMIT.
 *   msg             scratch the parser fills and passes to fn.
 *   fn, ctx         called once per non-empty line, in order.
 * Returns the number of lines passed to fn.
 */
size_t core_statsd_parse_buf(const char *buf, size_t len,
                             uint32_t line_bytes_max,
                             struct core_statsd_msg *msg,
                             core_statsd_line_fn fn, void *ctx);

/*
 * core_statsd_parse_buf, but the tags of a metric line on the fast path
 * may be left for later: such a line reaches fn with tags_lazy set, its
 * tag field in tags_raw and tag_count 0, and CORE_STATSD_OK when the line
 * is good but for its tags (which are not checked yet). Before reading
 * tags, or to know that the line is good, call core_statsd_tags_resolve.
 * A caller that knows these tag bytes were good before (the pipe's raw
 * key cache) may skip that: equal bytes tokenise alike.
 */
size_t core_statsd_parse_buf_lazy(const char *buf, size_t len,
                                  uint32_t line_bytes_max,
                                  struct core_statsd_msg *msg,
                                  core_statsd_line_fn fn, void *ctx);

/*
 * core_statsd_parse_buf_lazy, but lines are handed over in batches rather
 * than one call a line: each non-empty line is parsed into the next of
 * msgs[0, cap), its outcome kept, and fn gets the batch when cap lines
 * are in it and once more for the last lines (no call for none).
 *   msgs, cap  the caller's array; 1 <= cap <= CORE_STATSD_BATCH_LINES_MAX.
 * Returns the number of lines handed to fn.
 */
size_t core_statsd_parse_buf_batch(const char *buf, size_t len,
                                   uint32_t line_bytes_max,
                                   struct core_statsd_msg *msgs, uint32_t cap,
                                   core_statsd_batch_fn fn, void *ctx);

/*
 * Tokenise the tags core_statsd_parse_buf_lazy left in m (nothing to do
 * when tags_lazy is 0). m's line must still be readable. Returns what
 * core_statsd_parse_line would have returned for the line: CORE_STATSD_OK
 * with the tags filled, or the reason it is rejected (m is then
 * unspecified). tags_lazy is 0 afterwards.
 */
enum core_statsd_err core_statsd_tags_resolve(struct core_statsd_msg *m);

/* Set the fields a line may leave out to "absent": a counter with no
 * values, rate 1, no tags, container or timestamp. */
static inline void core_statsd_msg_reset(struct core_statsd_msg *m) {
  m->kind = CORE_STATSD_METRIC;
  m->type = CORE_STATSD_COUNTER;
  m->value_count = 0;
  m->delta_mask = 0;
  m->sample_rate = 1.0;
  m->tag_count = 0;
  m->tags_raw = NULL;
  m->tags_raw_len = 0;
  m->tags_lazy = 0;
  m->container = NULL;
  m->container_len = 0;
  m->has_timestamp = 0;
  m->timestamp_s = 0;
}

/*
 * 1 when r is a rate the parsers accept: CORE_STATSD_RATE_MIN <= r <= 1
 * (NaN fails), so that 1/r, a counter's scale and a timer's weight, is
 * finite. Shared by both parsers so that they agree by construction.
 */
static inline int core_statsd_rate_ok(double r) {
  return r >= CORE_STATSD_RATE_MIN && r <= 1.0;
}

/* The value counter sample i stores: the value scaled by 1/rate
 * (docs/statsd.md, "What is stored per sample"). */
static inline double core_statsd_counter_value(const struct core_statsd_msg *m,
                                               uint32_t i) {
  return m->values[i] / m->sample_rate;
}

/*
 * 1 unless m is a counter one of whose stored values (each value scaled
 * by 1/rate) is not finite: `x:1e308|c|@0.1` would store +Inf, so the
 * parsers reject it as CORE_STATSD_ERR_BAD_VALUE. Only a counter with a
 * rate below 1 costs more than two compares.
 */
static inline int core_statsd_scaled_ok(const struct core_statsd_msg *m) {
  if (m->type != CORE_STATSD_COUNTER || m->sample_rate == 1.0)
    return 1;
  for (uint32_t i = 0; i < m->value_count; i++)
    if (!isfinite(core_statsd_counter_value(m, i)))
      return 0;
  return 1;
}

/* Label value of a reason, e.g. "bad_value". Never NULL. */
const char *core_statsd_reason_name(enum core_statsd_err err);

/* Label value of a type, e.g. "counter". Never NULL. */
const char *core_statsd_type_name(enum core_statsd_type type);

#endif
