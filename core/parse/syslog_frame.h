/*
 * core/parse/syslog_frame.h - the syslog TCP framer (RFC 6587).
 *
 * A connection's framing is decided by its first frame: a digit 1-9, more
 * digits and a space start octet counting ("LEN SP MSG"); anything else is
 * LF-delimited ("MSG LF"). An octet-counting connection whose next frame
 * does not start with a count (a sender out of step) has that frame read
 * up to the next LF, which puts it back in step; an LF connection stays
 * LF. See docs/syslog.md.
 *
 * Usage, per connection:
 *   core_syslog_framer_init(&f, buf, max_bytes);
 *   on every read:  core_syslog_framer_feed(&f, data, n, on_frame, ctx);
 *   at EOF:         core_syslog_framer_finish(&f, on_frame, ctx);
 */
#ifndef SLUICE_CORE_PARSE_SYSLOG_FRAME_H
#define SLUICE_CORE_PARSE_SYSLOG_FRAME_H

#include <stddef.h>
#include <stdint.h>

#include "core/parse/syslog_frame_types.h"

/*
 * Start a connection.
 *   buf        max_bytes of the caller's memory; the framer keeps the part
 *              of a frame that spans reads there, and nothing else.
 *   max_bytes  the frame length bound (--syslog-max-bytes), between
 *              CORE_SYSLOG_BYTES_MIN_LIMIT and CORE_SYSLOG_BYTES_MAX_LIMIT.
 *              A frame of exactly max_bytes (LF or count excluded) passes.
 */
void core_syslog_framer_init(struct core_syslog_framer *f, char *buf,
                             uint32_t max_bytes);

/*
 * Feed the next bytes of the stream, of any length (0 included), split
 * anywhere. Calls fn for each frame completed by these bytes, in order: a
 * complete frame, or the first max_bytes of an oversize one (err
 * CORE_SYSLOG_ERR_TOO_LONG; its remaining bytes are skipped, in either
 * framing). Empty LF frames (blank lines) are skipped. A frame not yet
 * complete waits in the framer's buffer for the next call.
 * Returns the number of frames passed to fn.
 */
size_t core_syslog_framer_feed(struct core_syslog_framer *f, const char *data,
                               size_t len, core_syslog_frame_fn fn, void *ctx);

/*
 * The connection ended. A final LF frame without its LF is passed to fn as
 * complete; a frame cut short (an octet count, or its data, not all
 * received) is passed with err CORE_SYSLOG_ERR_FRAME_TRUNCATED and what
 * arrived of it. Then the framer is as after init (same buffer and bound).
 * Returns the number of frames passed to fn (0 or 1).
 */
size_t core_syslog_framer_finish(struct core_syslog_framer *f,
                                 core_syslog_frame_fn fn, void *ctx);

/* The connection's framing so far (UNKNOWN before its first byte). */
static inline enum core_syslog_framing
core_syslog_framer_mode(const struct core_syslog_framer *f) {
  return f->mode;
}

#endif
