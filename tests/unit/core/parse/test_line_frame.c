/*
 * tests/unit/core/parse/test_line_frame.c - the line framer (StatsD over
 * TCP).
 *
 * What the framer promises is stated in terms of the lines the batch
 * parser will see (tests/fuzz/line_ref.h): the chunks of a run cut into
 * lines the parser's way, a TOO_LONG chunk being one too-long line. That
 * list is the one the parser finds in the stream itself, however the
 * stream was cut into reads.
 */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/base/limits.h"
#include "core/parse/line_frame.h"
#include "tests/fuzz/line_ref.h"

#define CAP CORE_LINE_BYTES_MIN_LIMIT
#define LINES_MAX 64
#define CHUNKS_MAX 256
#define TEXT_BYTES_MAX 4096

/* One chunk as the framer handed it out. */
struct chunk {
  const char *ptr;
  size_t len;
  enum core_line_err err;
};

/* What one run gave: its lines, the parser's way, and its chunks. */
struct sink {
  struct line_ref ref;
  struct line_ref_line line[LINES_MAX];
  char arena[TEXT_BYTES_MAX];
  struct chunk c[CHUNKS_MAX];
  size_t chunks;
};

static char fbuf[CAP + 1]; /* core_line_framer_buf_bytes(CAP) */

static void sink_start(struct sink *s) {
  s->ref = (struct line_ref){s->line, LINES_MAX, 0, s->arena, TEXT_BYTES_MAX,
                             0, CAP};
  s->chunks = 0;
}

static void on_chunk(void *ctx, const struct core_line_chunk *c) {
  struct sink *s = ctx;
  cr_assert_lt(s->chunks, CHUNKS_MAX);
  s->c[s->chunks++] = (struct chunk){c->data, c->len, c->err};
  if (c->err == CORE_LINE_ERR_TOO_LONG) {
    cr_assert(c->data == NULL && c->len == 0);
    cr_assert_eq(line_ref_add(&s->ref, "", 0, 1), 0);
    return;
  }
  cr_assert_eq(c->err, CORE_LINE_OK);
  cr_assert_gt(c->len, 0, "no empty chunks");
  if (c->data == fbuf)
    cr_assert_leq(c->len, CAP + 1);
  cr_assert_eq(line_ref_add_all(&s->ref, c->data, c->len), 0);
}

static struct core_line_framer fr;

/* Feed `len` bytes of s cut at the sorted positions cuts[0..ncuts), then
 * finish; lines into *out. */
static void feed_cuts(const char *s, size_t len, const size_t *cuts,
                      size_t ncuts, struct sink *out) {
  sink_start(out);
  core_line_framer_init(&fr, fbuf, CAP);
  size_t at = 0, chunks = 0;
  for (size_t i = 0; i <= ncuts; i++) {
    size_t to = i < ncuts ? cuts[i] : len;
    /* a heap copy of exactly the chunk: reads past it show under ASan */
    char *read = malloc(to - at + 1);
    memcpy(read, s + at, to - at);
    size_t k = core_line_framer_feed(&fr, read, to - at, on_chunk, out);
    cr_assert_leq(k, 3);
    chunks += k;
    free(read);
    at = to;
  }
  size_t k = core_line_framer_finish(&fr, on_chunk, out);
  cr_assert_leq(k, 1);
  chunks += k;
  cr_assert_eq(chunks, out->chunks, "feed/finish counts match the callbacks");
}

static void feed_whole(const char *s, size_t len, struct sink *out) {
  feed_cuts(s, len, NULL, 0, out);
}

static void same(const struct sink *a, const struct sink *b, const char *how) {
  long i = line_ref_diff(&a->ref, &b->ref);
  cr_assert_eq(i, -1, "%s: line %ld differs (%zu lines vs %zu)", how, i,
               a->ref.n, b->ref.n);
}

/* Fed whole, and cut byte by byte, at every position and at every pair of
 * positions (a stride of them for long s), s gives the lines the parser
 * finds in s itself. */
static void all_splits(const char *s, size_t len) {
  static struct sink ref, whole, cut;
  size_t *bytes = calloc(len + 1, sizeof(*bytes));

  sink_start(&ref);
  cr_assert_eq(line_ref_add_all(&ref.ref, s, len), 0);
  feed_whole(s, len, &whole);
  same(&ref, &whole, "whole");
  for (size_t i = 0; i < len; i++)
    bytes[i] = i;
  feed_cuts(s, len, bytes, len, &cut);
  same(&whole, &cut, "byte by byte");
  free(bytes);
  for (size_t i = 0; i <= len; i++) {
    feed_cuts(s, len, &i, 1, &cut);
    same(&whole, &cut, "one cut");
  }
  for (size_t i = 0; i <= len; i += 1 + len / 61)
    for (size_t j = i; j <= len; j++) {
      size_t cuts[2] = {i, j};
      feed_cuts(s, len, cuts, 2, &cut);
      same(&whole, &cut, "two cuts");
    }
}

static void all_splits_str(const char *s) { all_splits(s, strlen(s)); }

/* Line i of s is `want` (too_long: a too-long line). */
static void line_is(const struct sink *s, size_t i, const char *want,
                    int too_long) {
  cr_assert_lt(i, s->ref.n, "line %zu missing", i);
  const struct line_ref_line *l = &s->ref.line[i];
  cr_assert_eq(l->too_long, too_long, "line %zu too_long", i);
  if (too_long)
    return;
  cr_assert_eq(l->len, strlen(want), "line %zu: \"%.*s\" want \"%s\"", i,
               (int)l->len, s->arena + l->off, want);
  cr_assert(memcmp(s->arena + l->off, want, l->len) == 0, "line %zu", i);
}

/* "x" repeated n times, then tail. */
static char *repeat(size_t n, const char *tail) {
  char *s = malloc(n + strlen(tail) + 1);
  memset(s, 'x', n);
  memcpy(s + n, tail, strlen(tail) + 1);
  return s;
}

Test(line_frame, complete_lines_are_one_chunk_in_place) {
  static struct sink s;
  const char *in = "a:1|c\nb:2|c\nc:3";
  sink_start(&s);
  core_line_framer_init(&fr, fbuf, CAP);
  cr_assert_eq(core_line_framer_feed(&fr, in, strlen(in), on_chunk, &s), 1);
  cr_assert_eq(s.c[0].ptr, in, "not copied");
  cr_assert_eq(s.c[0].len, 12, "up to and with the last '\\n'");
  cr_assert_eq(core_line_framer_finish(&fr, on_chunk, &s), 1);
  cr_assert_eq(s.c[1].ptr, fbuf, "the tail was carried");
  cr_assert_eq(s.ref.n, 3);
  line_is(&s, 2, "c:3", 0);
}

Test(line_frame, carried_line_then_the_rest_of_the_read) {
  static struct sink s;
  sink_start(&s);
  core_line_framer_init(&fr, fbuf, CAP);
  cr_assert_eq(core_line_framer_feed(&fr, "a:", 2, on_chunk, &s), 0);
  cr_assert_eq(core_line_framer_feed(&fr, "1|c\nb:2|c\nc", 11, on_chunk, &s),
               2);
  cr_assert_eq(s.c[0].ptr, fbuf);
  cr_assert_eq(s.c[0].len, 5);
  cr_assert_eq(s.c[1].len, 6);
  cr_assert_eq(core_line_framer_finish(&fr, on_chunk, &s), 1);
  cr_assert_eq(s.ref.n, 3);
  line_is(&s, 0, "a:1|c", 0);
  line_is(&s, 1, "b:2|c", 0);
  line_is(&s, 2, "c", 0);
}

Test(line_frame, splits_give_the_lines_of_one_read) {
  all_splits_str("a:1|c\nb:2|g\n\nc:3|ms|@0.5|#t:1\n");
  all_splits_str("a:1|c\r\nb:2|g\r\n\r\n\rc:3|c\r");
  all_splits_str("\n\n\r\n");
  all_splits_str("no newline at all");
  all_splits_str("");
}

Test(line_frame, crlf) {
  static struct sink s;
  const char *in = "a:1|c\r\nb:2|c\r\nc:3|c\r";
  all_splits_str(in);
  feed_whole(in, strlen(in), &s);
  cr_assert_eq(s.ref.n, 3);
  line_is(&s, 0, "a:1|c", 0);
  line_is(&s, 1, "b:2|c", 0);
  line_is(&s, 2, "c:3|c", 0);
}

Test(line_frame, too_long_counted_once) {
  static struct sink s;
  char *in = repeat(5 * CAP, ":1|c\nok:1|c\n");
  all_splits_str(in);
  size_t cuts[8];
  for (size_t i = 0; i < 8; i++)
    cuts[i] = 1 + i * CAP / 2; /* the line outgrows the bound mid-way */
  feed_cuts(in, strlen(in), cuts, 8, &s);
  cr_assert_eq(s.ref.n, 2);
  line_is(&s, 0, NULL, 1);
  line_is(&s, 1, "ok:1|c", 0);
  size_t too_long = 0;
  for (size_t i = 0; i < s.chunks; i++)
    too_long += s.c[i].err == CORE_LINE_ERR_TOO_LONG;
  cr_assert_eq(too_long, 1);
  free(in);
}

Test(line_frame, bound_is_the_parsers) {
  static struct sink s;
  const char *tails[] = {"\n", "\r\n", "\r", "", "y\n", "\r\r\n", "yy\n"};
  for (size_t t = 0; t < sizeof(tails) / sizeof(tails[0]); t++) {
    for (size_t k = CAP - 4; k <= CAP + 1; k++) { /* runs of '\r' */
      char *in = repeat(k, "\r\r\r\r....");
      memcpy(in + k + 4, tails[t], strlen(tails[t]) + 1);
      all_splits_str(in);
      free(in);
    }
    char *in = repeat(CAP, tails[t]);
    all_splits_str(in);
    feed_whole(in, strlen(in), &s);
    cr_assert_eq(s.ref.n, 1);
    cr_assert_eq(s.ref.line[0].too_long, t >= 4, "tail %zu", t);
    free(in);
    in = repeat(CAP - 1, tails[t]);
    all_splits_str(in);
    feed_whole(in, strlen(in), &s);
    cr_assert_eq(s.ref.n, 1);
    cr_assert_eq(s.ref.line[0].too_long, t == 6, "tail %zu, one byte less", t);
    free(in);
  }
}

Test(line_frame, finish) {
  static struct sink s;
  sink_start(&s);
  core_line_framer_init(&fr, fbuf, CAP);
  cr_assert_eq(core_line_framer_finish(&fr, on_chunk, &s), 0, "nothing held");
  cr_assert_eq(core_line_framer_feed(&fr, "a:1|c", 5, on_chunk, &s), 0);
  cr_assert_eq(core_line_framer_feed(&fr, "", 0, on_chunk, &s), 0);
  cr_assert_eq(core_line_framer_finish(&fr, on_chunk, &s), 1);
  line_is(&s, 0, "a:1|c", 0);
  cr_assert_eq(core_line_framer_finish(&fr, on_chunk, &s), 0, "reset");
  /* a line being skipped was reported when it outgrew the bound */
  char *in = repeat(CAP + 1, "");
  cr_assert_eq(core_line_framer_feed(&fr, in, CAP + 1, on_chunk, &s), 1);
  cr_assert_eq(core_line_framer_finish(&fr, on_chunk, &s), 0);
  free(in);
  /* after finish the framer starts a fresh stream */
  cr_assert_eq(core_line_framer_feed(&fr, "b:1|c\n", 6, on_chunk, &s), 1);
  cr_assert_eq(s.ref.n, 3);
  line_is(&s, 1, NULL, 1);
  line_is(&s, 2, "b:1|c", 0);
}
