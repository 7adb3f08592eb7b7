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

#include <stddef.h>
#include <stdint.h>

#include "core/parse/statsd_types.h"

/*
 * Parse one line, on the SIMD kernels at the level simd/ runs at (the
 * scalar twin below at SIMD_LEVEL_SCALAR, and for lines over
 * CORE_STATSD_SCAN_BYTES). Same result as the scalar twin, field by field.
 *   line, len  the line without its terminator ('\r' before '\n' already
 *              removed by the caller is not required: a trailing '\r' is
 *              ignored here).
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
 *                   its '\n'. Empty lines are skipped.
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

/* Set the fields a line may leave out to "absent": a counter with no
 * values, rate 1, no tags, container or timestamp. */
static inline void core_statsd_msg_reset(struct core_statsd_msg *m) {
  m->kind = CORE_STATSD_METRIC;
  m->type = CORE_STATSD_COUNTER;
  m->value_count = 0;
  m->delta_mask = 0;
  m->sample_rate = 1.0;
  m->tag_count = 0;
  m->container = NULL;
  m->container_len = 0;
  m->has_timestamp = 0;
  m->timestamp_s = 0;
}

/* Label value of a reason, e.g. "bad_value". Never NULL. */
const char *core_statsd_reason_name(enum core_statsd_err err);

/* Label value of a type, e.g. "counter". Never NULL. */
const char *core_statsd_type_name(enum core_statsd_type type);

#endif
