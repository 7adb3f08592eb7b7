/*
 * tests/fuzz/fuzz_syslog_frame.c - libFuzzer target for the syslog TCP
 * framer.
 *
 * Feeds the input whole, then byte by byte and in random chunkings (a PRNG
 * seeded from the input), each chunk an exact-size heap copy so ASan sees
 * any read past it, and requires the same frames every time. Checks what a
 * frame promises: within the bound, an oversize one exactly the bound, an
 * LF frame free of LF, at most one frame from finish.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/parse/syslog_frame.h"
#include "tests/fuzz/fuzz_split.h"

#define CHECK(cond)                                                        \
  do {                                                                     \
    if (!(cond)) {                                                         \
      fprintf(stderr, "fuzz_syslog_frame: %s (line %d)\n", #cond,         \
              __LINE__);                                                   \
      abort();                                                             \
    }                                                                      \
  } while (0)

#define INPUT_BYTES_MAX (1 << 14)
#define CAP CORE_SYSLOG_BYTES_MIN_LIMIT
#define CHUNKINGS 4

struct frame_rec {
  uint32_t off, len; /* bytes in the arena */
  enum core_syslog_err err;
  enum core_syslog_framing framing;
};

/* The frames of one run. Frame bytes are input bytes (the digits of a
 * failed count included), so the arena never needs more than the input. */
struct run {
  struct frame_rec f[INPUT_BYTES_MAX + 1];
  size_t n;
  char arena[INPUT_BYTES_MAX];
  size_t used;
};

static struct run want, got;
static char buf[CAP];

static void on_frame(void *ctx, const struct core_syslog_frame *fr) {
  struct run *r = ctx;
  CHECK(fr->len <= CAP);
  CHECK(r->n < INPUT_BYTES_MAX + 1 && r->used + fr->len <= INPUT_BYTES_MAX);
  CHECK(fr->err == CORE_SYSLOG_OK || fr->err == CORE_SYSLOG_ERR_TOO_LONG ||
        fr->err == CORE_SYSLOG_ERR_FRAME_TRUNCATED);
  CHECK(fr->framing == CORE_SYSLOG_FRAMING_OCTET ||
        fr->framing == CORE_SYSLOG_FRAMING_LF);
  if (fr->err == CORE_SYSLOG_ERR_TOO_LONG)
    CHECK(fr->len == CAP);
  if (fr->framing == CORE_SYSLOG_FRAMING_LF) {
    CHECK(fr->err != CORE_SYSLOG_ERR_FRAME_TRUNCATED);
    CHECK(memchr(fr->data, '\n', fr->len) == NULL);
    if (fr->err == CORE_SYSLOG_OK)
      CHECK(fr->len > 0);
  }
  memcpy(r->arena + r->used, fr->data, fr->len);
  r->f[r->n++] = (struct frame_rec){(uint32_t)r->used, fr->len, fr->err,
                                    fr->framing};
  r->used += fr->len;
}

/* Feed data in chunks: whole (mode 0), byte by byte (1), random (2). */
static void feed(const uint8_t *data, size_t size, int mode, struct run *r) {
  struct core_syslog_framer f;
  r->n = r->used = 0;
  core_syslog_framer_init(&f, buf, CAP);
  size_t at = 0, frames = 0;
  while (at < size) {
    size_t n = fuzz_split_len(mode, size - at, CAP);
    char *chunk = malloc(n);
    memcpy(chunk, data + at, n);
    frames += core_syslog_framer_feed(&f, chunk, n, on_frame, r);
    free(chunk);
    at += n;
  }
  size_t before = r->n;
  frames += core_syslog_framer_finish(&f, on_frame, r);
  CHECK(r->n - before <= 1);
  CHECK(frames == r->n);
}

static void same(void) {
  CHECK(got.n == want.n && got.used == want.used);
  for (size_t i = 0; i < want.n; i++) {
    CHECK(got.f[i].len == want.f[i].len && got.f[i].err == want.f[i].err &&
          got.f[i].framing == want.f[i].framing);
    CHECK(memcmp(got.arena + got.f[i].off, want.arena + want.f[i].off,
                 want.f[i].len) == 0);
  }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  if (size > INPUT_BYTES_MAX)
    return 0;
  fuzz_split_seed(data, size);
  feed(data, size, 0, &want);
  CHECK(want.used <= size);
  feed(data, size, 1, &got);
  same();
  for (int i = 0; i < CHUNKINGS; i++) {
    feed(data, size, 2, &got);
    same();
  }
  return 0;
}
