/*
 * core/parse/syslog_frame.c - the syslog TCP framer (RFC 6587).
 *
 * A state machine over the chunks a connection delivers. Frames that lie
 * whole inside one chunk are handed out in place; only a frame spanning
 * chunks is copied, into the caller's buffer of max_bytes, which is also
 * why an oversize frame can only be reported by its first max_bytes.
 */
#include "core/parse/syslog_frame.h"

#include <string.h>

#include "core/base/assert.h"

/* Emit one frame; returns 1 (the count feed adds up). */
static size_t emit(core_syslog_frame_fn fn, void *ctx, const char *data,
                   size_t len, enum core_syslog_err err,
                   enum core_syslog_framing framing) {
  struct core_syslog_frame fr = {data, (uint32_t)len, err, framing};
  fn(ctx, &fr);
  return 1;
}

void core_syslog_framer_init(struct core_syslog_framer *f, char *buf,
                             uint32_t max_bytes) {
  ASSERT(buf != NULL);
  ASSERT(max_bytes >= CORE_SYSLOG_BYTES_MIN_LIMIT &&
         max_bytes <= CORE_SYSLOG_BYTES_MAX_LIMIT);
  f->buf = buf;
  f->cap = max_bytes;
  f->len = 0;
  f->mode = CORE_SYSLOG_FRAMING_UNKNOWN;
  f->state = CORE_SYSLOG_FS_START;
  f->count = 0;
  f->digits = 0;
}

/* At a frame boundary: choose how the frame at byte c is delimited. */
static void start_frame(struct core_syslog_framer *f, char c) {
  f->len = 0;
  if (f->mode != CORE_SYSLOG_FRAMING_LF && c >= '1' && c <= '9') {
    f->state = CORE_SYSLOG_FS_COUNT;
    f->count = 0;
    f->digits = 0;
    return;
  }
  if (f->mode == CORE_SYSLOG_FRAMING_UNKNOWN)
    f->mode = CORE_SYSLOG_FRAMING_LF;
  f->state = CORE_SYSLOG_FS_LF;
}

/*
 * Octet count digits, kept in buf as well: if no SP ends them, they are
 * the start of an LF frame. Returns bytes consumed (the SP included).
 */
static size_t count_digits(struct core_syslog_framer *f, const char *p,
                           const char *end) {
  const char *q = p;
  while (q < end && *q >= '0' && *q <= '9' &&
         f->digits < CORE_SYSLOG_FRAME_COUNT_DIGITS_MAX) {
    f->count = f->count * 10 + (uint64_t)(*q - '0');
    f->buf[f->len++] = *q++;
    f->digits++;
  }
  if (q == end)
    return (size_t)(q - p);
  if (*q == ' ') {
    if (f->mode == CORE_SYSLOG_FRAMING_UNKNOWN)
      f->mode = CORE_SYSLOG_FRAMING_OCTET;
    f->state = CORE_SYSLOG_FS_OCTET;
    f->len = 0;
    return (size_t)(q - p) + 1;
  }
  /* Not a count: too many digits or another byte. */
  if (f->mode == CORE_SYSLOG_FRAMING_UNKNOWN)
    f->mode = CORE_SYSLOG_FRAMING_LF;
  f->state = CORE_SYSLOG_FS_LF;
  return (size_t)(q - p);
}

/* Inside an octet-counted frame (f->count bytes still due). */
static size_t octet_body(struct core_syslog_framer *f, const char **pp,
                         const char *end, core_syslog_frame_fn fn, void *ctx) {
  const char *p = *pp;
  size_t avail = (size_t)(end - p);
  if (f->len == 0 && f->count <= f->cap && avail >= f->count) {
    *pp = p + f->count;
    f->state = CORE_SYSLOG_FS_START;
    return emit(fn, ctx, p, f->count, CORE_SYSLOG_OK,
                CORE_SYSLOG_FRAMING_OCTET);
  }
  size_t take = f->cap - f->len;
  if (take > avail)
    take = avail;
  if (take > f->count)
    take = (size_t)f->count;
  memcpy(f->buf + f->len, p, take);
  f->len += (uint32_t)take;
  f->count -= take;
  *pp = p + take;
  if (f->count == 0) {
    f->state = CORE_SYSLOG_FS_START;
    return emit(fn, ctx, f->buf, f->len, CORE_SYSLOG_OK,
                CORE_SYSLOG_FRAMING_OCTET);
  }
  if (f->len == f->cap) {
    f->state = CORE_SYSLOG_FS_SKIP_OCTET;
    return emit(fn, ctx, f->buf, f->len, CORE_SYSLOG_ERR_TOO_LONG,
                CORE_SYSLOG_FRAMING_OCTET);
  }
  return 0;
}

/* Inside an LF-delimited frame. */
static size_t lf_body(struct core_syslog_framer *f, const char **pp,
                      const char *end, core_syslog_frame_fn fn, void *ctx) {
  const char *p = *pp;
  const char *nl = memchr(p, '\n', (size_t)(end - p));
  size_t seg = (size_t)((nl ? nl : end) - p);
  size_t room = f->cap - f->len;
  if (seg > room) {
    memcpy(f->buf + f->len, p, room);
    f->len = f->cap;
    *pp = p + room;
    f->state = CORE_SYSLOG_FS_SKIP_LF;
    return emit(fn, ctx, f->buf, f->len, CORE_SYSLOG_ERR_TOO_LONG,
                CORE_SYSLOG_FRAMING_LF);
  }
  if (nl == NULL) {
    memcpy(f->buf + f->len, p, seg);
    f->len += (uint32_t)seg;
    *pp = end;
    return 0;
  }
  *pp = nl + 1;
  f->state = CORE_SYSLOG_FS_START;
  if (f->len == 0)
    return seg ? emit(fn, ctx, p, seg, CORE_SYSLOG_OK, CORE_SYSLOG_FRAMING_LF)
               : 0;
  memcpy(f->buf + f->len, p, seg);
  f->len += (uint32_t)seg;
  return emit(fn, ctx, f->buf, f->len, CORE_SYSLOG_OK, CORE_SYSLOG_FRAMING_LF);
}

/* Discarding the rest of an oversize frame. */
static void skip(struct core_syslog_framer *f, const char **pp,
                 const char *end) {
  const char *p = *pp;
  if (f->state == CORE_SYSLOG_FS_SKIP_OCTET) {
    size_t take = (size_t)(end - p);
    if (take > f->count)
      take = (size_t)f->count;
    f->count -= take;
    *pp = p + take;
    if (f->count == 0)
      f->state = CORE_SYSLOG_FS_START;
    return;
  }
  const char *nl = memchr(p, '\n', (size_t)(end - p));
  *pp = nl ? nl + 1 : end;
  if (nl)
    f->state = CORE_SYSLOG_FS_START;
}

size_t core_syslog_framer_feed(struct core_syslog_framer *f, const char *data,
                               size_t len, core_syslog_frame_fn fn, void *ctx) {
  const char *p = data, *end = data + len;
  size_t frames = 0;
  while (p < end) {
    switch (f->state) {
    case CORE_SYSLOG_FS_START:
      start_frame(f, *p);
      break;
    case CORE_SYSLOG_FS_COUNT:
      p += count_digits(f, p, end);
      break;
    case CORE_SYSLOG_FS_OCTET:
      frames += octet_body(f, &p, end, fn, ctx);
      break;
    case CORE_SYSLOG_FS_LF:
      frames += lf_body(f, &p, end, fn, ctx);
      break;
    default:
      skip(f, &p, end);
      break;
    }
  }
  return frames;
}

size_t core_syslog_framer_finish(struct core_syslog_framer *f,
                                 core_syslog_frame_fn fn, void *ctx) {
  size_t frames = 0;
  switch (f->state) {
  case CORE_SYSLOG_FS_COUNT:
  case CORE_SYSLOG_FS_OCTET:
    frames = emit(fn, ctx, f->buf, f->len, CORE_SYSLOG_ERR_FRAME_TRUNCATED,
                  CORE_SYSLOG_FRAMING_OCTET);
    break;
  case CORE_SYSLOG_FS_LF:
    if (f->len)
      frames = emit(fn, ctx, f->buf, f->len, CORE_SYSLOG_OK,
                    CORE_SYSLOG_FRAMING_LF);
    break;
  default:
    break;
  }
  core_syslog_framer_init(f, f->buf, f->cap);
  return frames;
}
