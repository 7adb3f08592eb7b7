/*
 * core/parse/syslog_frame_types.h - the syslog TCP framer's state and frames
 * (RFC 6587: octet counting and non-transparent LF framing).
 */
#ifndef SLUICE_CORE_PARSE_SYSLOG_FRAME_TYPES_H
#define SLUICE_CORE_PARSE_SYSLOG_FRAME_TYPES_H

#include <stdint.h>

#include "core/parse/syslog_types.h"

/* How a connection frames its messages, decided by its first byte. */
enum core_syslog_framing {
  CORE_SYSLOG_FRAMING_UNKNOWN = 0, /* nothing received yet */
  CORE_SYSLOG_FRAMING_OCTET,       /* "LEN SP MSG" (RFC 6587 3.4.1) */
  CORE_SYSLOG_FRAMING_LF,          /* "MSG LF" (RFC 6587 3.4.2) */
};

/*
 * One frame handed to the caller. data points into the chunk being fed
 * (a frame that arrived whole) or into the framer's buffer (one that was
 * assembled across chunks); either way it is valid only during the
 * callback. err is
 *   CORE_SYSLOG_OK                   a complete frame;
 *   CORE_SYSLOG_ERR_TOO_LONG         the frame exceeded max_bytes: data is
 *                                    its first max_bytes bytes, the rest
 *                                    of it is skipped;
 *   CORE_SYSLOG_ERR_FRAME_TRUNCATED  the connection ended inside a frame
 *                                    (core_syslog_framer_finish): data is
 *                                    what arrived of it.
 */
struct core_syslog_frame {
  const char *data;
  uint32_t len;
  enum core_syslog_err err;
  enum core_syslog_framing framing; /* how this frame was delimited */
};

/* Called once per frame, in stream order. */
typedef void (*core_syslog_frame_fn)(void *ctx,
                                     const struct core_syslog_frame *frame);

/* Where the framer is within the stream. */
enum core_syslog_frame_state {
  CORE_SYSLOG_FS_START = 0, /* at a frame boundary */
  CORE_SYSLOG_FS_COUNT,     /* reading the digits of an octet count */
  CORE_SYSLOG_FS_OCTET,     /* inside an octet-counted frame */
  CORE_SYSLOG_FS_LF,        /* inside an LF-delimited frame */
  CORE_SYSLOG_FS_SKIP_OCTET,/* discarding the rest of an oversize counted frame */
  CORE_SYSLOG_FS_SKIP_LF,   /* discarding the rest of an oversize LF frame */
};

/*
 * Per-connection framer. Memory is bounded by the buffer the caller gives
 * (max_bytes); a frame that arrives whole inside one chunk is never
 * copied. Set up with core_syslog_framer_init; fields are private.
 */
struct core_syslog_framer {
  char *buf;                  /* caller's buffer of cap bytes */
  uint32_t cap;               /* max_bytes: the frame length bound */
  uint32_t len;               /* bytes of the current frame held in buf */
  enum core_syslog_framing mode;       /* the connection's framing */
  enum core_syslog_frame_state state;
  uint64_t count;             /* FS_COUNT: value so far; FS_OCTET and
                                 FS_SKIP_OCTET: bytes of the frame still due */
  uint32_t digits;            /* FS_COUNT: digits read */
};

#endif
