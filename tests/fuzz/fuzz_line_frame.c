/*
 * tests/fuzz/fuzz_line_frame.c - libFuzzer target for the line framer
 * (StatsD over TCP).
 *
 * Feeds the input whole, then byte by byte and in random chunkings (a PRNG
 * seeded from the input), each chunk an exact-size heap copy so ASan sees
 * any read past it. Every run's chunks, cut into lines the parser's way
 * (split on '\n', drop one final '\r', skip empty lines, over the bound is
 * too long, the line parser drops one more final '\r'; a TOO_LONG chunk is
 * one too-long line), must give the lines of that reference framing
 * applied to the input itself. Also checks what a chunk promises: never
 * empty, complete lines in place ending in '\n', a carried line within the
 * bound, at most three chunks a feed and one from finish.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/base/limits.h"
#include "core/parse/line_frame.h"
#include "tests/fuzz/fuzz_split.h"
#include "tests/fuzz/line_ref.h"

#define CHECK(cond)                                                        \
  do {                                                                     \
    if (!(cond)) {                                                         \
      fprintf(stderr, "fuzz_line_frame: %s (line %d)\n", #cond, __LINE__); \
      abort();                                                             \
    }                                                                      \
  } while (0)

#define INPUT_BYTES_MAX (1 << 14)
#define CAP CORE_LINE_BYTES_MIN_LIMIT
#define CHUNKINGS 4

/* The lines of one run, and the read being fed (for the in-place check).
 * Line bytes are input bytes, so the arena never needs more than the
 * input. */
struct run {
  struct line_ref ref;
  struct line_ref_line line[INPUT_BYTES_MAX + 1];
  char arena[INPUT_BYTES_MAX];
  const char *read;
  size_t read_len;
};

static struct run want, got;
static char buf[CAP + 1]; /* core_line_framer_buf_bytes(CAP) */

static void start(struct run *r) {
  r->ref = (struct line_ref){r->line, INPUT_BYTES_MAX + 1, 0, r->arena,
                             INPUT_BYTES_MAX, 0, CAP};
}

static void on_chunk(void *ctx, const struct core_line_chunk *c) {
  struct run *r = ctx;
  if (c->err == CORE_LINE_ERR_TOO_LONG) {
    CHECK(c->data == NULL && c->len == 0);
    CHECK(line_ref_add(&r->ref, "", 0, 1) == 0);
    return;
  }
  CHECK(c->err == CORE_LINE_OK && c->len > 0);
  if (c->data == buf) {
    CHECK(c->len <= CAP + 1 && memchr(c->data, '\n', c->len) == NULL);
  } else {
    CHECK(c->data >= r->read && c->data + c->len <= r->read + r->read_len);
    CHECK(c->data[c->len - 1] == '\n');
  }
  CHECK(line_ref_add_all(&r->ref, c->data, c->len) == 0);
}

/* Feed data in reads: whole (mode 0), byte by byte (1), random (2). */
static void feed(const uint8_t *data, size_t size, int mode, struct run *r) {
  struct core_line_framer f;
  start(r);
  core_line_framer_init(&f, buf, CAP);
  for (size_t at = 0, n; at < size; at += n) {
    n = fuzz_split_len(mode, size - at, CAP);
    char *read = malloc(n);
    memcpy(read, data + at, n);
    r->read = read;
    r->read_len = n;
    CHECK(core_line_framer_feed(&f, read, n, on_chunk, r) <= 3);
    free(read);
  }
  size_t before = r->ref.n;
  CHECK(core_line_framer_finish(&f, on_chunk, r) <= 1);
  CHECK(r->ref.n - before <= 1);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  if (size > INPUT_BYTES_MAX)
    return 0;
  fuzz_split_seed(data, size);
  start(&want);
  CHECK(line_ref_add_all(&want.ref, (const char *)data, size) == 0);
  for (int i = 0; i < 2 + CHUNKINGS; i++) { /* whole, bytes, random */
    feed(data, size, i < 2 ? i : 2, &got);
    CHECK(line_ref_diff(&want.ref, &got.ref) == -1);
  }
  return 0;
}
