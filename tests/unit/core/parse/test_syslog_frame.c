/*
 * tests/unit/core/parse/test_syslog_frame.c - the syslog TCP framer (RFC 6587).
 */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/parse/syslog_frame.h"

#define CAP CORE_SYSLOG_BYTES_MIN_LIMIT
#define FRAMES_MAX 64

struct got {
  char data[CAP + 1];
  uint32_t len;
  enum core_syslog_err err;
  enum core_syslog_framing framing;
  const char *ptr; /* where the frame pointed */
};

struct sink {
  struct got f[FRAMES_MAX];
  size_t n;
};

static void on_frame(void *ctx, const struct core_syslog_frame *fr) {
  struct sink *s = ctx;
  cr_assert_lt(s->n, FRAMES_MAX);
  cr_assert_leq(fr->len, CAP);
  struct got *g = &s->f[s->n++];
  memcpy(g->data, fr->data, fr->len);
  g->data[fr->len] = 0;
  g->len = fr->len;
  g->err = fr->err;
  g->framing = fr->framing;
  g->ptr = fr->data;
}

static char fbuf[CAP];
static struct core_syslog_framer fr;

/* Feed `len` bytes of s cut at the sorted positions cuts[0..ncuts), then
 * finish; frames into *out. */
static void feed_cuts(const char *s, size_t len, const size_t *cuts,
                      size_t ncuts, struct sink *out) {
  memset(out, 0, sizeof(*out));
  core_syslog_framer_init(&fr, fbuf, CAP);
  size_t at = 0, frames = 0;
  for (size_t i = 0; i <= ncuts; i++) {
    size_t to = i < ncuts ? cuts[i] : len;
    /* a heap copy of exactly the chunk: reads past it show under ASan */
    char *chunk = malloc(to - at + 1);
    memcpy(chunk, s + at, to - at);
    frames += core_syslog_framer_feed(&fr, chunk, to - at, on_frame, out);
    free(chunk);
    at = to;
  }
  frames += core_syslog_framer_finish(&fr, on_frame, out);
  cr_assert_eq(frames, out->n, "feed/finish counts match the callbacks");
}

static void feed_whole(const char *s, size_t len, struct sink *out) {
  feed_cuts(s, len, NULL, 0, out);
}

static void feed_bytes(const char *s, size_t len, struct sink *out) {
  size_t *cuts = malloc(len * sizeof(*cuts) + 1);
  for (size_t i = 0; i < len; i++)
    cuts[i] = i;
  feed_cuts(s, len, cuts, len, out);
  free(cuts);
}

static void same(const struct sink *a, const struct sink *b, const char *how) {
  cr_assert_eq(a->n, b->n, "%s: %zu frames vs %zu", how, a->n, b->n);
  for (size_t i = 0; i < a->n; i++) {
    cr_assert_eq(a->f[i].len, b->f[i].len, "%s: frame %zu", how, i);
    cr_assert(memcmp(a->f[i].data, b->f[i].data, a->f[i].len) == 0,
              "%s: frame %zu", how, i);
    cr_assert_eq(a->f[i].err, b->f[i].err, "%s: frame %zu", how, i);
    cr_assert_eq(a->f[i].framing, b->f[i].framing, "%s: frame %zu", how, i);
  }
}

static void frame_is(const struct sink *s, size_t i, const char *data,
                     enum core_syslog_err err,
                     enum core_syslog_framing framing) {
  cr_assert_lt(i, s->n);
  cr_assert_eq(s->f[i].len, strlen(data), "frame %zu: \"%s\" want \"%s\"", i,
               s->f[i].data, data);
  cr_assert(memcmp(s->f[i].data, data, s->f[i].len) == 0,
            "frame %zu: \"%s\" want \"%s\"", i, s->f[i].data, data);
  cr_assert_eq(s->f[i].err, err, "frame %zu err", i);
  cr_assert_eq(s->f[i].framing, framing, "frame %zu framing", i);
}

/* Every way of cutting s in two and in three, and byte by byte, gives
 * what feeding it whole gives. */
static void all_splits(const char *s, size_t len) {
  struct sink whole, cut;
  feed_whole(s, len, &whole);
  feed_bytes(s, len, &cut);
  same(&whole, &cut, "byte by byte");
  for (size_t i = 0; i <= len; i++) {
    feed_cuts(s, len, &i, 1, &cut);
    same(&whole, &cut, "one cut");
  }
  for (size_t i = 0; i <= len; i += 1 + len / 97)
    for (size_t j = i; j <= len; j++) {
      size_t cuts[2] = {i, j};
      feed_cuts(s, len, cuts, 2, &cut);
      same(&whole, &cut, "two cuts");
    }
}

#define O CORE_SYSLOG_FRAMING_OCTET
#define L CORE_SYSLOG_FRAMING_LF
#define OK CORE_SYSLOG_OK

struct want {
  const char *data;
  enum core_syslog_framing framing;
};

/* The stream s (a string literal) gives exactly the complete frames w,
 * fed whole and cut anywhere. */
#define STREAM_GIVES(s, ...)                                               \
  do {                                                                     \
    const struct want w_[] = {__VA_ARGS__};                                \
    stream_gives(s, sizeof(s) - 1, w_, sizeof(w_) / sizeof(w_[0]));        \
  } while (0)

static void stream_gives(const char *s, size_t len, const struct want *w,
                         size_t n) {
  struct sink k;
  feed_whole(s, len, &k);
  cr_assert_eq(k.n, n, "%zu frames, want %zu", k.n, n);
  for (size_t i = 0; i < n; i++)
    frame_is(&k, i, w[i].data, OK, w[i].framing);
  all_splits(s, len);
}

/* ---- octet counting ------------------------------------------------------ */

Test(syslog_frame, octet_counting) {
  STREAM_GIVES("3 abc11 <13>1 - - x1 z", {"abc", O}, {"<13>1 - - x", O},
               {"z", O});
  cr_assert_eq(core_syslog_framer_mode(&fr), CORE_SYSLOG_FRAMING_UNKNOWN,
               "finish resets the framer");
}

Test(syslog_frame, frames_inside_a_chunk_are_not_copied) {
  const char s[] = "3 abc4 defgxyz\n";
  struct sink k = {0};
  core_syslog_framer_init(&fr, fbuf, CAP);
  cr_assert_eq(core_syslog_framer_mode(&fr), CORE_SYSLOG_FRAMING_UNKNOWN);
  cr_assert_eq(core_syslog_framer_feed(&fr, s, 11, on_frame, &k), 2);
  cr_assert_eq(core_syslog_framer_mode(&fr), CORE_SYSLOG_FRAMING_OCTET);
  cr_assert_eq(k.f[0].ptr, s + 2);
  cr_assert_eq(k.f[1].ptr, s + 7);
  struct core_syslog_framer lf;
  char lbuf[CAP];
  core_syslog_framer_init(&lf, lbuf, CAP);
  cr_assert_eq(core_syslog_framer_feed(&lf, s + 11, 4, on_frame, &k), 1);
  cr_assert_eq(k.f[2].ptr, s + 11);
  cr_assert_eq(core_syslog_framer_mode(&lf), CORE_SYSLOG_FRAMING_LF);
}

Test(syslog_frame, lf_inside_counted_frame_is_data) {
  STREAM_GIVES("6 a\nb\nc\n3 xyz", {"a\nb\nc\n", O}, {"xyz", O});
}

Test(syslog_frame, every_split_of_a_counted_stream) {
  STREAM_GIVES(
      "75 <13>1 2026-11-21T18:14:09.015996+00:00 vm myapp - - [x y=\"1\"] "
      "hello tcp oc\n1 x12 <13>hello\n\n\n",
      {"<13>1 2026-11-21T18:14:09.015996+00:00 vm myapp - - [x y=\"1\"] "
       "hello tcp oc\n", O},
      {"x", O}, {"<13>hello\n\n\n", O});
}

Test(syslog_frame, every_split_of_an_lf_stream) {
  STREAM_GIVES("<13>Nov 21 18:14:12 vm myapp: hello tcp lf\n\n"
               "<14>second\r\n3 not a count\nlast without lf",
               {"<13>Nov 21 18:14:12 vm myapp: hello tcp lf", L},
               {"<14>second\r", L}, {"3 not a count", L},
               {"last without lf", L});
}

/* ---- mixed framing --------------------------------------------------------- */

Test(syslog_frame, counted_connection_resyncs_on_an_lf_frame) {
  STREAM_GIVES("3 abc<13>out of step\n\n4 defg12x\n5 hello", {"abc", O},
               {"<13>out of step", L}, {"defg", O}, {"12x", L},
               {"hello", O});
}

Test(syslog_frame, first_frame_decides) {
  STREAM_GIVES("12ab\n3 abc\n", {"12ab", L}, {"3 abc", L});
  STREAM_GIVES("0 x\n", {"0 x", L});
  /* 19 digits: not a count */
  STREAM_GIVES("1234567890123456789 x\n", {"1234567890123456789 x", L});
}

/* ---- the bound ---------------------------------------------------------- */

/* "N " + N bytes of `fill` (+ "\n" in LF framing). */
static size_t make_frame(char *out, size_t n, char fill, int lf) {
  size_t h = lf ? 0 : (size_t)sprintf(out, "%zu ", n);
  memset(out + h, fill, n);
  if (lf)
    out[h + n++] = '\n';
  return h + n;
}

static void bound(int lf) {
  enum core_syslog_framing m = lf ? L : O;
  char s[6 * CAP];
  size_t n = make_frame(s, CAP, 'a', lf);
  n += make_frame(s + n, CAP + 1, 'b', lf);
  n += make_frame(s + n, 3, 'c', lf);
  n += make_frame(s + n, 2 * CAP + 7, 'd', lf);
  n += make_frame(s + n, 1, 'e', lf);
  struct sink k;
  feed_whole(s, n, &k);
  cr_assert_eq(k.n, 5);
  char want[CAP + 1];
  memset(want, 'a', CAP);
  want[CAP] = 0;
  frame_is(&k, 0, want, OK, m);
  memset(want, 'b', CAP);
  frame_is(&k, 1, want, CORE_SYSLOG_ERR_TOO_LONG, m);
  frame_is(&k, 2, "ccc", OK, m);
  memset(want, 'd', CAP);
  frame_is(&k, 3, want, CORE_SYSLOG_ERR_TOO_LONG, m);
  frame_is(&k, 4, "e", OK, m);
  struct sink b;
  feed_bytes(s, n, &b);
  same(&k, &b, "byte by byte");
  for (size_t i = 0; i <= n; i++) {
    feed_cuts(s, n, &i, 1, &b);
    same(&k, &b, "one cut");
  }
}

Test(syslog_frame, exact_bound_and_one_over_counted) { bound(0); }
Test(syslog_frame, exact_bound_and_one_over_lf) { bound(1); }

/* ---- end of stream --------------------------------------------------------- */

Test(syslog_frame, huge_declared_count_waits_then_truncates) {
  const char s[] = "99999999999 abc";
  struct sink k = {0};
  core_syslog_framer_init(&fr, fbuf, CAP);
  cr_assert_eq(core_syslog_framer_feed(&fr, s, sizeof(s) - 1, on_frame, &k), 0);
  cr_assert_eq(core_syslog_framer_feed(&fr, "def", 3, on_frame, &k), 0);
  cr_assert_eq(core_syslog_framer_finish(&fr, on_frame, &k), 1);
  frame_is(&k, 0, "abcdef", CORE_SYSLOG_ERR_FRAME_TRUNCATED, O);
}

Test(syslog_frame, count_larger_than_data_sent_waits) {
  struct sink k = {0};
  core_syslog_framer_init(&fr, fbuf, CAP);
  cr_assert_eq(core_syslog_framer_feed(&fr, "10 01234", 8, on_frame, &k), 0);
  cr_assert_eq(core_syslog_framer_feed(&fr, "", 0, on_frame, &k), 0);
  cr_assert_eq(core_syslog_framer_feed(&fr, "56789", 5, on_frame, &k), 1);
  frame_is(&k, 0, "0123456789", OK, O);
  cr_assert_eq(k.f[0].ptr, fbuf, "assembled in the framer's buffer");
}

Test(syslog_frame, eof_inside_frames) {
  struct sink k;
  feed_whole("5 abc", 5, &k);
  cr_assert_eq(k.n, 1);
  frame_is(&k, 0, "abc", CORE_SYSLOG_ERR_FRAME_TRUNCATED, O);
  feed_whole("5 ", 2, &k);
  frame_is(&k, 0, "", CORE_SYSLOG_ERR_FRAME_TRUNCATED, O);
  feed_whole("3 abc12", 7, &k);
  cr_assert_eq(k.n, 2);
  frame_is(&k, 1, "12", CORE_SYSLOG_ERR_FRAME_TRUNCATED, O);
  feed_whole("x\npartial", 9, &k);
  cr_assert_eq(k.n, 2);
  frame_is(&k, 1, "partial", OK, L);
  feed_whole("x\n", 2, &k);
  cr_assert_eq(k.n, 1);
  feed_whole("", 0, &k);
  cr_assert_eq(k.n, 0);
  /* EOF while skipping an oversize frame: already counted */
  char s[2 * CAP];
  size_t n = make_frame(s, CAP + 10, 'z', 0);
  feed_whole(s, n - 5, &k);
  cr_assert_eq(k.n, 1);
  cr_assert_eq(k.f[0].err, CORE_SYSLOG_ERR_TOO_LONG);
}

Test(syslog_frame, finish_resets_for_a_new_connection) {
  struct sink k = {0};
  core_syslog_framer_init(&fr, fbuf, CAP);
  core_syslog_framer_feed(&fr, "x\n", 2, on_frame, &k);
  cr_assert_eq(core_syslog_framer_mode(&fr), CORE_SYSLOG_FRAMING_LF);
  core_syslog_framer_finish(&fr, on_frame, &k);
  cr_assert_eq(core_syslog_framer_mode(&fr), CORE_SYSLOG_FRAMING_UNKNOWN);
  core_syslog_framer_feed(&fr, "2 ab", 4, on_frame, &k);
  cr_assert_eq(k.n, 2);
  frame_is(&k, 1, "ab", OK, O);
}
