/*
 * core/base/strbuf.c - bounded growable byte buffer (see core/strbuf.h).
 *
 * The content is always NUL-terminated when data != NULL, so a caller may
 * hand it to a C string function; len never counts that NUL.
 */
#include "core/base/strbuf.h"

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define STRBUF_CAP_MIN 256

void core_strbuf_init(struct core_strbuf *b, size_t max) {
  b->data = NULL;
  b->len = 0;
  b->cap = 0;
  b->max = max;
  b->failed = 0;
}

void core_strbuf_free(struct core_strbuf *b) {
  free(b->data);
  core_strbuf_init(b, b->max);
}

/* Make room for n more bytes plus the NUL; -ENOMEM past max. */
static int reserve(struct core_strbuf *b, size_t n) {
  size_t need, cap;
  char *p;

  if (b->failed || n > b->max - b->len) {
    b->failed = 1;
    return -ENOMEM;
  }
  need = b->len + n + 1;
  if (need <= b->cap)
    return 0;
  cap = b->cap ? b->cap : STRBUF_CAP_MIN;
  while (cap < need)
    cap = cap > SIZE_MAX / 2 ? need : cap * 2;
  if (cap > b->max + 1)
    cap = b->max + 1;
  p = realloc(b->data, cap);
  if (!p) {
    b->failed = 1;
    return -ENOMEM;
  }
  b->data = p;
  b->cap = cap;
  return 0;
}

void core_strbuf_presize(struct core_strbuf *b, size_t n) {
  size_t cap;
  char *p;

  if (b->failed || b->len > b->max)
    return;
  cap = b->len + (n < b->max - b->len ? n : b->max - b->len) + 1;
  if (cap <= b->cap || (p = realloc(b->data, cap)) == NULL)
    return;
  if (b->data == NULL)
    p[0] = '\0';
  b->data = p;
  b->cap = cap;
}

char *core_strbuf_room(struct core_strbuf *b, size_t n) {
  if (b->failed || n > b->max - b->len || reserve(b, n) < 0)
    return NULL;
  return b->data + b->len;
}

void core_strbuf_commit(struct core_strbuf *b, size_t n) {
  b->len += n;
  b->data[b->len] = '\0';
}

int core_strbuf_append(struct core_strbuf *b, const char *p, size_t n) {
  int rc = reserve(b, n);

  if (rc < 0)
    return rc;
  if (n)
    memcpy(b->data + b->len, p, n);
  b->len += n;
  b->data[b->len] = '\0';
  return 0;
}

int core_strbuf_appendf(struct core_strbuf *b, const char *fmt, ...) {
  va_list ap;
  size_t room = b->cap > b->len ? b->cap - b->len : 0;
  int n, rc;

  if (b->failed)
    return -ENOMEM;
  va_start(ap, fmt);
  n = vsnprintf(room ? b->data + b->len : NULL, room, fmt, ap);
  va_end(ap);
  if (n < 0) {
    b->failed = 1;
    return -ENOMEM;
  }
  if ((size_t)n < room) {
    b->len += (size_t)n;
    return 0;
  }
  /* It did not fit: grow to the exact size and format again. */
  rc = reserve(b, (size_t)n);
  if (rc < 0) {
    if (b->data)
      b->data[b->len] = '\0';
    return rc;
  }
  va_start(ap, fmt);
  vsnprintf(b->data + b->len, (size_t)n + 1, fmt, ap);
  va_end(ap);
  b->len += (size_t)n;
  return 0;
}
