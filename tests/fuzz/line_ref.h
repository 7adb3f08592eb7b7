/*
 * tests/fuzz/line_ref.h - the lines the StatsD batch parser finds in bytes:
 * the reference the line framer's unit tests and fuzz target hold its
 * chunks to. The parser's way: split on '\n'; one final '\r' is the
 * line's end and is dropped (exactly one: a second is a byte of the line);
 * skip empty lines; a line over the bound is too long (its bytes are not
 * kept).
 */
#ifndef SLUICE_TESTS_FUZZ_LINE_REF_H
#define SLUICE_TESTS_FUZZ_LINE_REF_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

struct line_ref_line {
  uint32_t off, len; /* bytes in the arena */
  int too_long;
};

/* A list of lines; the caller provides both arrays and zeroes n, used. */
struct line_ref {
  struct line_ref_line *line;
  size_t lines_max, n;
  char *arena;
  size_t arena_bytes, used;
  uint32_t bound; /* --max-line-bytes */
};

/* Add one line without its '\n' (too_long: one the framer found too long,
 * p and n ignored). Returns 0, or -1 when r is full. */
static inline int line_ref_add(struct line_ref *r, const char *p, size_t n,
                               int too_long) {
  if (n > 0 && p[n - 1] == '\r')
    n--;
  if (n == 0 && !too_long)
    return 0;
  too_long |= n > r->bound;
  if (too_long)
    n = 0;
  if (r->n == r->lines_max || r->used + n > r->arena_bytes)
    return -1;
  memcpy(r->arena + r->used, p, n);
  r->line[r->n++] = (struct line_ref_line){(uint32_t)r->used, (uint32_t)n,
                                           too_long};
  r->used += n;
  return 0;
}

/* Add the lines of [p, p + len): separated by '\n', the last one maybe
 * without. Returns 0, or -1 when r is full. */
static inline int line_ref_add_all(struct line_ref *r, const char *p,
                                   size_t len) {
  for (const char *end = p + len; p < end;) {
    const char *nl = memchr(p, '\n', (size_t)(end - p));
    if (line_ref_add(r, p, (size_t)((nl ? nl : end) - p), 0) < 0)
      return -1;
    p = nl ? nl + 1 : end;
  }
  return 0;
}

/* The index of the first line where a and b differ (a->n or b->n when one
 * ends first), or -1 when they are the same. */
static inline long line_ref_diff(const struct line_ref *a,
                                 const struct line_ref *b) {
  size_t i = 0;
  for (; i < a->n && i < b->n; i++) {
    const struct line_ref_line *x = &a->line[i], *y = &b->line[i];
    if (x->too_long != y->too_long || x->len != y->len ||
        memcmp(a->arena + x->off, b->arena + y->off, x->len) != 0)
      return (long)i;
  }
  return a->n == b->n ? -1 : (long)i;
}

#endif
