/*
 * tests/unit/storage/test_spanscan.c - the span scan over segment files:
 * every span of a window in storage order, other kinds passed over, a
 * lookup by trace id that decodes only the blocks whose trace table holds
 * it, a bad block ending its segment and serving nothing, early stops and
 * errors from the callback.
 */
#include <criterion/criterion.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "segment_test_util.h"
#include "span_test_util.h"
#include "storage/block.h"
#include "storage/spanblock.h"
#include "storage/spanscan.h"

#define T0 INT64_C(1700000000000000000)
#define SEC INT64_C(1000000000)

static struct span_gen *g;
static struct stor_spanenc enc;
static uint8_t *buf;
static size_t cap;

static void setup(void) {
  seg_dir_make();
  g = calloc(1, sizeof(*g));
  cr_assert_not_null(g);
  g->rng = 3;
  cr_assert_eq(stor_spanenc_init(&enc, 256), 0);
  cap = stor_spanblock_bytes_max();
  buf = malloc(cap);
  cr_assert_not_null(buf);
}

static void teardown(void) {
  stor_spanenc_free(&enc);
  free(buf);
  free(g);
  seg_dir_remove();
}

TestSuite(spanscan, .init = setup, .fini = teardown);

/* n fresh spans starting at t0 .. t0 + 5 s as block seq of shard/seg;
 * their trace ids are g's (spans[0] a root of a trace of its own). */
static size_t put_spans(unsigned shard, uint64_t seg, uint64_t seq, uint32_t n,
                        int64_t t0) {
  gen_spans(g, n, t0);
  long len = stor_spanblock_encode(&enc, (uint16_t)shard, seq, g->spans, n,
                                   g->res, GEN_RES, buf, cap);
  cr_assert_gt(len, 0);
  seg_append_bytes(shard, seg, buf, (size_t)len);
  return (size_t)len;
}

struct seen {
  unsigned n, stop_at;
  int err;
  int64_t last_start;
  unsigned shards[2];
  uint8_t want[16];
};

static int count(void *ctx, unsigned shard, const struct stor_span *s) {
  struct seen *x = ctx;

  x->n++;
  x->shards[shard]++;
  x->last_start = s->start_ns;
  if (x->err)
    return x->err;
  return x->stop_at && x->n == x->stop_at;
}

static int run(struct seen *x, const uint8_t *trace, int64_t start, int64_t end,
               struct stor_scan_stats *st) {
  struct stor_spanscan q = {.data_dir = seg_dir, .trace_id = trace,
                            .start_ns = start, .end_ns = end, .fn = count,
                            .ctx = x};
  memset(st, 0, sizeof(*st));
  return stor_spanscan_run(&q, st);
}

Test(spanscan, window_kinds_and_shards) {
  struct stor_scan_stats st;
  struct seen x = {0};

  put_spans(0, 1, 1, 40, T0);
  append_metric(0, 1, 2, 7, "cpu", 10, T0 / 1000000, 100, 0);
  put_spans(0, 2, 3, 50, T0 + 100 * SEC);
  put_spans(1, 1, 1, 30, T0);
  cr_assert_eq(run(&x, NULL, INT64_MIN, INT64_MAX, &st), 0);
  cr_assert_eq(x.n, 120);
  cr_assert_eq(x.shards[0], 90);
  cr_assert_eq(x.shards[1], 30);
  cr_assert_eq(st.spans, 120);
  cr_assert_eq(st.blocks_read, 3);
  cr_assert_eq(st.segments, 3);
  /* a window holding only the second segment's block */
  memset(&x, 0, sizeof(x));
  cr_assert_eq(run(&x, NULL, T0 + 50 * SEC, INT64_MAX, &st), 0);
  cr_assert_eq(x.n, 50);
  cr_assert_eq(st.blocks_read, 1);
  cr_assert_eq(st.blocks_skipped, 2);
}

Test(spanscan, trace_lookup_reads_trace_tables_only) {
  struct stor_scan_stats st;
  struct seen x = {0};
  uint8_t want[16];

  put_spans(0, 1, 1, 60, T0);
  put_spans(0, 1, 2, 60, T0 + SEC);
  memcpy(want, g->spans[10].trace_id, 16);
  unsigned in_block = 0;
  for (int i = 0; i < 60; i++)
    in_block += memcmp(g->spans[i].trace_id, want, 16) == 0;
  put_spans(0, 1, 3, 60, T0 + 2 * SEC);
  put_spans(1, 1, 1, 60, T0);
  cr_assert_eq(run(&x, want, INT64_MIN, INT64_MAX, &st), 0);
  cr_assert_eq(x.n, in_block);
  cr_assert_gt(in_block, 0);
  cr_assert_eq(st.blocks_read, 1, "only the block holding the trace");
  cr_assert_eq(st.blocks_skipped, 3);
  uint8_t none[16] = {0};
  memset(&x, 0, sizeof(x));
  cr_assert_eq(run(&x, none, INT64_MIN, INT64_MAX, &st), 0);
  cr_assert_eq(x.n, 0);
  cr_assert_eq(st.blocks_read, 0);
}

Test(spanscan, a_bad_block_ends_its_segment_and_serves_nothing) {
  struct stor_scan_stats st;
  struct seen x = {0};
  size_t a = put_spans(0, 1, 1, 20, T0);
  size_t b = put_spans(0, 1, 2, 20, T0 + SEC);

  put_spans(0, 1, 3, 20, T0 + 2 * SEC);
  put_spans(0, 2, 4, 20, T0 + 3 * SEC);
  /* flip a byte inside the second block's stream */
  char path[256];
  uint8_t v;
  seg_file(path, sizeof(path), 0, 1);
  FILE *f = fopen(path, "r+b");
  cr_assert_not_null(f);
  fseek(f, (long)(a + b - 3), SEEK_SET);
  v = (uint8_t)fgetc(f);
  fseek(f, (long)(a + b - 3), SEEK_SET);
  fputc(v ^ 0x40, f);
  fclose(f);
  cr_assert_eq(run(&x, NULL, INT64_MIN, INT64_MAX, &st), 0);
  cr_assert_eq(x.n, 40, "the first block and the next segment's");
  cr_assert_eq(st.blocks_bad, 1);
  cr_assert_eq(st.blocks_read, 2);
}

Test(spanscan, stops_and_errors) {
  struct stor_scan_stats st;
  struct seen x = {.stop_at = 7};

  put_spans(0, 1, 1, 20, T0);
  put_spans(0, 1, 2, 20, T0 + SEC);
  cr_assert_eq(run(&x, NULL, INT64_MIN, INT64_MAX, &st), 0);
  cr_assert_eq(x.n, 7);
  memset(&x, 0, sizeof(x));
  x.err = -E2BIG;
  cr_assert_eq(run(&x, NULL, INT64_MIN, INT64_MAX, &st), -E2BIG);
  cr_assert_eq(x.n, 1);
  struct stor_spanscan q = {.data_dir = "/nonexistent/sluice", .fn = count,
                            .ctx = &x, .start_ns = INT64_MIN,
                            .end_ns = INT64_MAX};
  cr_assert_eq(stor_spanscan_run(&q, &st), 0, "a missing dir is empty");
}

static int64_t fixed_floor(void *ctx) {
  const struct seen *x = ctx;
  return x->n ? T0 + 8 * SEC : INT64_MIN; /* rises after the first span */
}

/* Newest first: blocks last first (segments by descending seq); a floor
 * passes over blocks whose newest span is older, not inflated. */
Test(spanscan, newest_first_with_a_floor) {
  struct stor_scan_stats st = {0};
  struct seen x = {0};

  for (int i = 0; i < 5; i++)
    put_spans(0, 1 + (uint64_t)i / 3, (uint64_t)i + 1, 10,
              T0 + i * 10 * SEC); /* block i: its spans start in [10i, 10i+5) s */
  struct stor_spanscan q = {.data_dir = seg_dir, .start_ns = INT64_MIN,
                            .end_ns = INT64_MAX, .fn = count, .ctx = &x,
                            .newest_first = 1};
  cr_assert_eq(stor_spanscan_run(&q, &st), 0);
  cr_assert_eq(x.n, 50);
  cr_assert_lt(x.last_start, T0 + 10 * SEC, "the oldest block comes last");
  memset(&x, 0, sizeof(x));
  memset(&st, 0, sizeof(st));
  q.floor = fixed_floor;
  cr_assert_eq(stor_spanscan_run(&q, &st), 0);
  cr_assert_eq(st.blocks_read, 4, "blocks 4, 3, 2, 1 reach the floor");
  cr_assert_eq(st.blocks_skipped, 1);
  cr_assert_eq(x.n, 40);
}
