/*
 * core/base/strbuf.h - a bounded, growable byte buffer for building replies off
 * the data path (query thread, CLI). Never used on a shard's hot path.
 */
#ifndef SLUICE_CORE_BASE_STRBUF_H
#define SLUICE_CORE_BASE_STRBUF_H

#include <stdarg.h>
#include <stddef.h>

struct core_strbuf {
  char *data;
  size_t len;
  size_t cap;
  size_t max;   /* growth bound in bytes */
  int failed;   /* set once an append did not fit: the content is cut */
};

/* Start an empty buffer that grows up to max bytes. */
void core_strbuf_init(struct core_strbuf *b, size_t max);
/* Release the memory; the buffer is empty and reusable afterwards. */
void core_strbuf_free(struct core_strbuf *b);
/* Grow the capacity once to hold n more bytes (clamped to max), so that a
 * long reply is not copied at every doubling. Only a hint: without memory
 * nothing changes and a later append grows as usual. */
void core_strbuf_presize(struct core_strbuf *b, size_t n);

/* Room for n more bytes at the end of b, to be filled in place and then
 * counted by core_strbuf_commit: a pointer, or NULL when n more bytes
 * would pass max (failed is not set: appending what fits reports it) or
 * memory is short (failed set, as an append does). */
char *core_strbuf_room(struct core_strbuf *b, size_t n);

/* Count n bytes written at core_strbuf_room's pointer as appended; n is
 * at most what the room was asked for. */
void core_strbuf_commit(struct core_strbuf *b, size_t n);

/* Append bytes. Returns 0, or -ENOMEM (and sets failed) past max. */
int core_strbuf_append(struct core_strbuf *b, const char *p, size_t n);
/* Append formatted text (vsnprintf). Returns 0 or -ENOMEM. */
int core_strbuf_appendf(struct core_strbuf *b, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

#endif
