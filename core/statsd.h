/*
 * core/statsd.h - the StatsD / DogStatsD line parser.
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
#ifndef SLUICE_CORE_STATSD_H
#define SLUICE_CORE_STATSD_H

#include <stddef.h>

#include "core/statsd_types.h"

/*
 * Parse one line.
 *   line, len  the line without its terminator ('\r' before '\n' already
 *              removed by the caller is not required: a trailing '\r' is
 *              ignored here).
 *   out        filled on success; its pointers refer into `line`.
 * Returns CORE_STATSD_OK, or the reason the line was rejected (out is then
 * unspecified). Never reads outside [line, line + len).
 */
enum core_statsd_err core_statsd_parse_line(const char *line, size_t len,
                                            struct core_statsd_msg *out);

/* Label value of a reason, e.g. "bad_value". Never NULL. */
const char *core_statsd_reason_name(enum core_statsd_err err);

/* Label value of a type, e.g. "counter". Never NULL. */
const char *core_statsd_type_name(enum core_statsd_type type);

#endif
