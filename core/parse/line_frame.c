/*
 * core/parse/line_frame.c - the line framer (StatsD over TCP).
 *
 * A read is cut in at most three parts: the end of the line carried from
 * the previous read (up to the first '\n'), the complete lines (up to the
 * last '\n', handed out in place as one chunk), and the unfinished tail
 * (copied into the caller's buffer). The bound is the parser's: a line is
 * too long when, without one final '\r', it exceeds max_bytes. So the
 * buffer holds max_bytes and one byte more, for that '\r': a carried line
 * reaches the parser byte for byte as it would in one read. Dropping the
 * '\r' here would not do: the parser would take a second one (of
 * "\r\r\n", which it refuses as BAD_BYTE) for the line's end.
 */
#include "core/parse/line_frame.h"

#include <string.h>

#include "core/base/assert.h"
#include "core/base/limits.h"

/* Emit one chunk; returns 1 (the count feed adds up). */
static size_t emit(core_line_chunk_fn fn, void *ctx, const char *data,
                   size_t len, enum core_line_err err) {
  struct core_line_chunk c = {data, len, err};
  fn(ctx, &c);
  return 1;
}

void core_line_framer_init(struct core_line_framer *f, char *buf,
                           uint32_t max_bytes) {
  ASSERT(buf != NULL);
  ASSERT(max_bytes >= CORE_LINE_BYTES_MIN_LIMIT &&
         max_bytes <= CORE_LINE_BYTES_MAX_LIMIT);
  f->buf = buf;
  f->cap = max_bytes;
  f->len = 0;
  f->discarding = 0;
}

/* A line of total > max_bytes bytes so far, the last n of them at s, may
 * still pass: it is max_bytes and a final '\r' (if '\n' follows). */
static int cr_slack(const struct core_line_framer *f, const char *s, size_t n,
                    size_t total) {
  char last = n ? s[n - 1] : f->buf[f->len - 1];
  return total == (size_t)f->cap + 1 && last == '\r';
}

/*
 * Add [s, s + n) to the carried line; ends: its '\n' follows them. A line
 * that fits is passed to fn when it ends; one that outgrows the bound is
 * reported at once and skipped to its '\n'. Returns the chunks passed.
 */
static size_t carry(struct core_line_framer *f, const char *s, size_t n,
                    int ends, core_line_chunk_fn fn, void *ctx) {
  size_t total = (size_t)f->len + n;

  if (f->discarding) {
    f->discarding = !ends;
    return 0;
  }
  if (total > f->cap && !cr_slack(f, s, n, total)) {
    f->len = 0;
    f->discarding = !ends;
    return emit(fn, ctx, NULL, 0, CORE_LINE_ERR_TOO_LONG);
  }
  memcpy(f->buf + f->len, s, n);
  f->len = (uint32_t)total;
  if (!ends)
    return 0;
  emit(fn, ctx, f->buf, f->len, CORE_LINE_OK);
  f->len = 0;
  return 1;
}

size_t core_line_framer_feed(struct core_line_framer *f, const char *data,
                             size_t len, core_line_chunk_fn fn, void *ctx) {
  const char *p = data, *end = data + len, *nl;
  size_t chunks = 0;

  if (len == 0)
    return 0;
  if (f->len > 0 || f->discarding) {
    nl = memchr(p, '\n', len);
    chunks += carry(f, p, nl ? (size_t)(nl - p) : len, nl != NULL, fn, ctx);
    if (nl == NULL)
      return chunks;
    p = nl + 1;
  }
  nl = p < end ? memrchr(p, '\n', (size_t)(end - p)) : NULL;
  if (nl != NULL) {
    chunks += emit(fn, ctx, p, (size_t)(nl + 1 - p), CORE_LINE_OK);
    p = nl + 1;
  }
  if (p < end)
    chunks += carry(f, p, (size_t)(end - p), 0, fn, ctx);
  return chunks;
}

size_t core_line_framer_finish(struct core_line_framer *f,
                               core_line_chunk_fn fn, void *ctx) {
  size_t chunks = 0;

  if (!f->discarding && f->len > 0)
    chunks = emit(fn, ctx, f->buf, f->len, CORE_LINE_OK);
  core_line_framer_init(f, f->buf, f->cap);
  return chunks;
}
