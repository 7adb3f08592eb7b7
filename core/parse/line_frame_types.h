/*
 * core/parse/line_frame_types.h - the line framer's state and what it hands
 * out (StatsD over TCP: lines ended by '\n', of at most --max-line-bytes).
 */
#ifndef SLUICE_CORE_PARSE_LINE_FRAME_TYPES_H
#define SLUICE_CORE_PARSE_LINE_FRAME_TYPES_H

#include <stddef.h>
#include <stdint.h>

/* The framer's verdict on what it hands out. */
enum core_line_err {
  CORE_LINE_OK = 0,       /* lines to parse */
  CORE_LINE_ERR_TOO_LONG, /* one line outgrew the bound before its '\n' */
};

/*
 * What the callback gets. err is
 *   CORE_LINE_OK            data holds one or more lines separated by '\n'
 *                           (or "\r\n"); the last may lack its '\n'. It
 *                           points into the bytes being fed (complete
 *                           lines of one read, never copied) or into the
 *                           framer's buffer (the one line that spanned
 *                           reads); either way it is valid only during the
 *                           callback. Lines in it are not checked against
 *                           the bound, nor empty ones dropped: that is the
 *                           parser's job, as for a datagram.
 *   CORE_LINE_ERR_TOO_LONG  a line that spanned reads is longer than the
 *                           bound (a final '\r' not counted); data is NULL,
 *                           len 0, and the rest of that line is skipped.
 */
struct core_line_chunk {
  const char *data;
  size_t len;
  enum core_line_err err;
};

/* Called once per chunk, in stream order. */
typedef void (*core_line_chunk_fn)(void *ctx,
                                   const struct core_line_chunk *chunk);

/*
 * Per-connection framer. Memory is bounded by the buffer the caller gives
 * (core_line_framer_buf_bytes): only the unfinished line at the end of a
 * read is copied there. Set up with core_line_framer_init; fields are private.
 */
struct core_line_framer {
  char *buf;          /* caller's buffer of cap + 1 bytes */
  uint32_t cap;       /* max_bytes: the line length bound */
  uint32_t len;       /* bytes of the unfinished line held in buf */
  uint8_t discarding; /* the line outgrew the bound: skip to its '\n' */
};

#endif
