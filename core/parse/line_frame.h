/*
 * core/parse/line_frame.h - the line framer: StatsD over TCP.
 *
 * A stream of lines ended by '\n' arrives in reads cut anywhere. Each read
 * is handed on as few buffers as possible: the line carried over from the
 * previous read (completed by the bytes up to the first '\n'), then every
 * complete line up to the read's last '\n' as ONE buffer, for the batch
 * parser (core_statsd_parse_buf), which frames lines itself. Only the
 * unfinished tail is copied, into the caller's buffer, and a line that
 * outgrows it is reported once and skipped to its '\n'. Whatever the cuts,
 * the parser sees the lines it would see in the stream fed in one piece.
 *
 * Usage, per connection (buf of core_line_framer_buf_bytes(max_bytes)):
 *   core_line_framer_init(&f, buf, max_bytes);
 *   on every read:  core_line_framer_feed(&f, data, n, on_chunk, ctx);
 *   at EOF:         core_line_framer_finish(&f, on_chunk, ctx);
 */
#ifndef SLUICE_CORE_PARSE_LINE_FRAME_H
#define SLUICE_CORE_PARSE_LINE_FRAME_H

#include <stddef.h>
#include <stdint.h>

#include "core/parse/line_frame_types.h"

/*
 * The bytes of buffer a framer with bound max_bytes needs: the longest
 * line that passes (max_bytes, then a '\r' the parser drops).
 */
static inline size_t core_line_framer_buf_bytes(uint32_t max_bytes) {
  return (size_t)max_bytes + 1;
}

/*
 * Start a connection.
 *   buf        core_line_framer_buf_bytes(max_bytes) of the caller's
 *              memory; the framer keeps the line that spans reads there,
 *              and nothing else.
 *   max_bytes  the line length bound (--max-line-bytes), between
 *              CORE_LINE_BYTES_MIN_LIMIT and CORE_LINE_BYTES_MAX_LIMIT, as
 *              the parser applies it: a line of max_bytes passes, and so
 *              does one of max_bytes and a final '\r'.
 */
void core_line_framer_init(struct core_line_framer *f, char *buf,
                           uint32_t max_bytes);

/*
 * Feed the next bytes of the stream, of any length (0 included), split
 * anywhere. Calls fn, in stream order: with the carried line once its '\n'
 * arrives (or CORE_LINE_ERR_TOO_LONG, once, as soon as it outgrows the
 * bound); then with every complete line of these bytes as one chunk. The
 * unfinished tail waits in the framer's buffer for the next call.
 * Returns the number of chunks passed to fn (0 to 3).
 */
size_t core_line_framer_feed(struct core_line_framer *f, const char *data,
                             size_t len, core_line_chunk_fn fn, void *ctx);

/*
 * The connection ended: a carried line without its '\n' is still a line
 * and is passed to fn (a line being skipped was already reported). Then
 * the framer is as after init (same buffer and bound).
 * Returns the number of chunks passed to fn (0 or 1).
 */
size_t core_line_framer_finish(struct core_line_framer *f,
                               core_line_chunk_fn fn, void *ctx);

#endif
