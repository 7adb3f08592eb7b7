/*
 * tests/unit/storage/test_logscan.c - reading segments that hold metric and
 * log blocks: the segment reader's kinds, metric scans passing over log
 * blocks, and stor_logscan_run (window, order, fields, early stop, errors,
 * skips, bad blocks never served in part).
 */
#include <criterion/criterion.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "segment_test_util.h"
#include "storage/block.h"
#include "storage/logblock.h"
#include "storage/logscan.h"
#include "storage/reader.h"
#include "storage/recover.h"
#include "storage/scan.h"

#define T0 INT64_C(1700000000000000000)
#define NREC 40

static struct stor_log_rec recs[NREC];

static void setup(void) {
  seg_dir_make();
  for (uint32_t i = 0; i < NREC; i++)
    recs[i] = test_rec(i, T0);
  /* Block order is arrival order, not time order: swap two records. */
  struct stor_log_rec t = recs[3];
  recs[3] = recs[4];
  recs[4] = t;
}

static void teardown(void) { seg_dir_remove(); }

TestSuite(logscan, .init = setup, .fini = teardown);

/*
 * shard-0/1.seg: metric (seq 1, ms 1000..1900), log recs[0..10) (2),
 * metric (3, ms 2000..2900), log recs[10..20) (4);
 * shard-0/2.seg: log recs[20..30) (5);
 * shard-1/1.seg: metric (1), log recs[30..40) (2).
 */
static void mixed_dir(void) {
  append_metric(0, 1, 1, 7, "cpu", 10, 1000, 100, 0);
  append_log(0, 1, 2, recs, 10);
  append_metric(0, 1, 3, 7, NULL, 10, 2000, 100, 10);
  append_log(0, 1, 4, recs + 10, 10);
  append_log(0, 2, 5, recs + 20, 10);
  append_metric(1, 1, 1, 3, "mem", 5, 1500, 10, 100);
  append_log(1, 1, 2, recs + 30, 10);
}

/* What a log scan saw. */
struct got {
  const struct stor_log_rec *want[NREC];  /* expected, in order */
  unsigned want_shard[NREC];
  unsigned nwant, n;
  int stop_after;     /* > 0: return 1 after this many */
  int fail_after;     /* > 0: return -ECANCELED after this many */
};

static int on_rec(void *ctx, unsigned shard, const struct stor_log_rec *r) {
  struct got *g = ctx;

  cr_assert_lt(g->n, g->nwant, "more records than expected");
  assert_rec_eq(r, g->want[g->n]);
  cr_assert_eq(shard, g->want_shard[g->n]);
  g->n++;
  if (g->stop_after && g->n == (unsigned)g->stop_after)
    return 1;
  if (g->fail_after && g->n == (unsigned)g->fail_after)
    return -ECANCELED;
  return 0;
}

/* Expect recs[from..to) of shard, those in [lo, hi], in order. */
static void expect(struct got *g, unsigned shard, unsigned from, unsigned to,
                   int64_t lo, int64_t hi) {
  for (unsigned i = from; i < to; i++)
    if (recs[i].time_ns >= lo && recs[i].time_ns <= hi) {
      g->want_shard[g->nwant] = shard;
      g->want[g->nwant++] = &recs[i];
    }
}

static int logscan(struct got *g, int64_t lo, int64_t hi,
                   struct stor_scan_stats *st) {
  struct stor_logscan q = {.data_dir = seg_dir, .start_ns = lo, .end_ns = hi,
                           .fn = on_rec, .ctx = g};

  memset(st, 0, sizeof(*st));
  return stor_logscan_run(&q, st);
}

Test(logscan, segment_reader_tells_the_kinds) {
  static const uint8_t kinds[] = {STOR_KIND_METRICS, STOR_KIND_LOGS,
                                  STOR_KIND_METRICS, STOR_KIND_LOGS};
  struct stor_seg_reader r;
  struct stor_seg_block b;
  struct stor_logdec dec;
  struct stor_log_rec got;
  struct core_syslog_attr attrs[CORE_SYSLOG_SD_ATTRS_MAX];
  char path[256];
  unsigned n = 0;

  mixed_dir();
  cr_assert_eq(stor_logdec_init(&dec), 0);
  seg_file(path, sizeof(path), 0, 1);
  cr_assert_eq(stor_seg_open(&r, AT_FDCWD, path), 0);
  while (stor_seg_next(&r, &b) == 1) {
    cr_assert_eq(b.status, STOR_BLK_OK);
    cr_assert_eq(b.kind, kinds[n]);
    cr_assert_eq(b.frame.seq, n + 1);
    if (b.kind == STOR_KIND_METRICS) {
      cr_assert_eq(b.hdr.point_count, 10);
      cr_assert_eq(stor_seg_load(&r, &b), 0);
    } else {
      cr_assert_eq(b.lhdr.count, 10);
      cr_assert_eq(b.lhdr.seq, n + 1);
      cr_assert_eq(stor_seg_load_log(&r, &b, &dec), 0);
      cr_assert_eq(stor_logblock_next(&b.lrd, &got, attrs,
                                      CORE_SYSLOG_SD_ATTRS_MAX), 1);
      assert_rec_eq(&got, &recs[n == 1 ? 0 : 10]);
    }
    n++;
  }
  cr_assert_eq(n, 4);
  cr_assert_eq(r.off, r.size);
  stor_seg_close(&r);
  stor_logdec_free(&dec);
}

/* Metric scans serve exactly the metric points of a mixed directory. */
struct pts {
  unsigned nseries, n[4];
  char key[4][8];
  int64_t ts[4][32];
  double val[4][32];
};

static int on_series(void *ctx, const struct stor_dict_entry *e,
                     uint32_t *handle) {
  struct pts *p = ctx;

  cr_assert_lt(p->nseries, 4);
  cr_assert_lt(e->key_len, 8);
  memcpy(p->key[p->nseries], e->key, e->key_len);
  *handle = p->nseries++;
  return 1;
}

static int on_points(void *ctx, uint32_t h, const int64_t *ts,
                     const double *v, uint32_t n) {
  struct pts *p = ctx;

  for (uint32_t i = 0; i < n; i++) {
    cr_assert_lt(p->n[h], 32);
    p->ts[h][p->n[h]] = ts[i];
    p->val[h][p->n[h]++] = v[i];
  }
  return 0;
}

Test(logscan, metric_scan_passes_over_log_blocks) {
  static struct pts p;
  struct stor_scan_stats st = {0};
  struct stor_scan q = {.data_dir = seg_dir, .start_ms = INT64_MIN,
                        .end_ms = INT64_MAX, .series = on_series,
                        .points = on_points, .ctx = &p};

  mixed_dir();
  cr_assert_eq(stor_scan_run(&q, &st), 0);
  cr_assert_eq(st.blocks_bad, 0);
  cr_assert_eq(st.blocks_partial, 0);
  cr_assert_eq(st.blocks_read, 3);
  cr_assert_eq(st.blocks_skipped, 0);
  cr_assert_eq(st.points, 25);
  cr_assert_eq(st.records, 0);
  cr_assert_eq(p.nseries, 2);
  cr_assert_str_eq(p.key[0], "cpu");
  cr_assert_str_eq(p.key[1], "mem");
  cr_assert_eq(p.n[0], 20);
  cr_assert_eq(p.n[1], 5);
  for (unsigned i = 0; i < 20; i++) {
    cr_assert_eq(p.ts[0][i], (i < 10 ? 1000 : 2000) + (int64_t)(i % 10) * 100);
    cr_assert_float_eq(p.val[0][i], (double)i, 0);
  }
  /* Series only: a log block's ns range never counts as overlapping a ms
   * window (here [T0 / 10^6, ...] in ms would match nothing metric). */
  memset(&p, 0, sizeof(p));
  memset(&st, 0, sizeof(st));
  q.points = NULL;
  q.start_ms = 5000;
  q.end_ms = INT64_MAX;
  cr_assert_eq(stor_scan_run(&q, &st), 0);
  cr_assert_eq(p.nseries, 0);
  cr_assert_eq(st.blocks_bad, 0);
}

Test(logscan, serves_every_record_in_order_with_all_fields) {
  static struct got g;
  struct stor_scan_stats st;

  mixed_dir();
  expect(&g, 0, 0, 30, INT64_MIN, INT64_MAX);
  expect(&g, 1, 30, 40, INT64_MIN, INT64_MAX);
  cr_assert_eq(logscan(&g, INT64_MIN, INT64_MAX, &st), 0);
  cr_assert_eq(g.n, NREC);
  cr_assert_eq(st.records, NREC);
  cr_assert_eq(st.blocks_read, 4);
  cr_assert_eq(st.blocks_skipped, 0);
  cr_assert_eq(st.blocks_bad, 0);
  cr_assert_eq(st.shards, 2);
  cr_assert_eq(st.segments, 3);
  cr_assert_eq(st.points, 0);
}

Test(logscan, serves_exactly_the_window_and_skips_blocks_outside) {
  static struct got g;
  struct stor_scan_stats st;
  /* From inside the first block (its records 5.. with 3/4 swapped) to
   * inside the second: blocks of shard-0/2.seg and shard 1 are after. */
  int64_t lo = recs[5].time_ns, hi = recs[14].time_ns;

  mixed_dir();
  expect(&g, 0, 0, 40, lo, hi);
  cr_assert_eq(g.nwant, 10);
  cr_assert_eq(logscan(&g, lo, hi, &st), 0);
  cr_assert_eq(g.n, g.nwant);
  cr_assert_eq(st.records, 10);
  cr_assert_eq(st.blocks_read, 2);
  cr_assert_eq(st.blocks_skipped, 2);
  /* A window between two records of a block serves nothing of it. */
  memset(&g, 0, sizeof(g));
  cr_assert_eq(logscan(&g, recs[5].time_ns + 1, recs[6].time_ns - 1, &st), 0);
  cr_assert_eq(g.n, 0);
  cr_assert_eq(st.blocks_read, 1);
  cr_assert_eq(st.blocks_skipped, 3);
  /* Inclusive edges: exactly one record. */
  memset(&g, 0, sizeof(g));
  expect(&g, 1, 30, 40, recs[33].time_ns, recs[33].time_ns);
  cr_assert_eq(logscan(&g, recs[33].time_ns, recs[33].time_ns, &st), 0);
  cr_assert_eq(g.n, 1);
}

Test(logscan, stops_early_and_propagates_errors) {
  static struct got g;
  struct stor_scan_stats st;

  mixed_dir();
  expect(&g, 0, 0, 30, INT64_MIN, INT64_MAX);
  g.stop_after = 12;
  cr_assert_eq(logscan(&g, INT64_MIN, INT64_MAX, &st), 0);
  cr_assert_eq(g.n, 12);
  cr_assert_eq(st.records, 12);
  cr_assert_eq(st.blocks_read, 2);
  g.n = 0;
  g.stop_after = 0;
  g.fail_after = 25;
  cr_assert_eq(logscan(&g, INT64_MIN, INT64_MAX, &st), -ECANCELED);
  cr_assert_eq(g.n, 25);
}

Test(logscan, deadline_missing_dir_and_empty_dir) {
  static struct got g;
  struct stor_scan_stats st = {0};
  struct stor_logscan q = {.data_dir = seg_dir, .start_ns = INT64_MIN,
                           .end_ns = INT64_MAX, .fn = on_rec, .ctx = &g,
                           .deadline_ms = 1 /* long past */};

  cr_assert_eq(stor_logscan_run(&q, &st), 0);   /* nothing to read */
  mixed_dir();
  cr_assert_eq(stor_logscan_run(&q, &st), -ETIME);
  cr_assert_eq(g.n, 0);
  q.data_dir = "/nonexistent/sluice";
  q.deadline_ms = 0;
  cr_assert_eq(stor_logscan_run(&q, &st), 0);
}

/*
 * A sealed log block whose header claims a max time no record has: every
 * record decodes, and only the end of the block shows it is bad. None of
 * its records may be served, nor the good block after it in the segment;
 * the next segment is read.
 */
Test(logscan, a_bad_block_ends_its_segment_and_is_never_served_in_part) {
  static struct got g;
  struct stor_scan_stats st;
  uint8_t *b;
  size_t len = log_block(0, 2, recs, 10, &b);
  int64_t max;

  append_metric(0, 1, 1, 7, "cpu", 10, 1000, 100, 0);
  memcpy(&max, b + STOR_HDR_OFF_MAX_TS, 8);   /* little-endian host */
  max += 1000;
  memcpy(b + STOR_HDR_OFF_MAX_TS, &max, 8);
  stor_block_reseal(b, len);
  seg_append_bytes(0, 1, b, len);
  free(b);
  append_log(0, 1, 3, recs + 10, 10);
  append_log(0, 2, 4, recs + 20, 10);
  expect(&g, 0, 20, 30, INT64_MIN, INT64_MAX);
  cr_assert_eq(logscan(&g, INT64_MIN, INT64_MAX, &st), 0);
  cr_assert_eq(g.n, 10);
  cr_assert_eq(st.records, 10);
  cr_assert_eq(st.blocks_bad, 1);
  cr_assert_eq(st.blocks_read, 1);
}

Test(logscan, torn_and_damaged_log_blocks_are_counted_not_served) {
  static struct got g;
  struct stor_scan_stats st;
  char path[256];
  uint64_t good;
  uint8_t *b;
  size_t len = log_block(0, 2, recs + 10, 10, &b);

  append_log(0, 1, 1, recs, 10);
  good = seg_size(0, 1);
  b[len - 3] ^= 0x40;                          /* CRC no longer matches */
  seg_append_bytes(0, 1, b, len);
  expect(&g, 0, 0, 10, INT64_MIN, INT64_MAX);
  cr_assert_eq(logscan(&g, INT64_MIN, INT64_MAX, &st), 0);
  cr_assert_eq(g.n, 10);
  cr_assert_eq(st.blocks_bad, 1);
  /* Torn: the file ends inside the block. */
  seg_file(path, sizeof(path), 0, 1);
  cr_assert_eq(truncate(path, (off_t)(good + len / 2)), 0);
  g.n = 0;
  cr_assert_eq(logscan(&g, INT64_MIN, INT64_MAX, &st), 0);
  cr_assert_eq(g.n, 10);
  cr_assert_eq(st.blocks_bad, 0);
  cr_assert_eq(st.blocks_partial, 1);
  free(b);
}

Test(logscan, load_log_tells_crc_from_stream) {
  struct stor_seg_reader r;
  struct stor_seg_block b;
  struct stor_logdec dec;
  struct stor_logblock_hdr h;
  char path[256];
  uint8_t *blk;
  size_t len = log_block(0, 1, recs, 10, &blk);

  cr_assert_eq(stor_logblock_hdr_read(blk, len, &h), 0);
  memset(blk + STOR_BLOCK_HEADER_BYTES + h.dict_bytes, 0xff, h.ztext_bytes);
  stor_block_reseal(blk, len);
  seg_append_bytes(0, 1, blk, len);
  free(blk);
  cr_assert_eq(stor_logdec_init(&dec), 0);
  seg_file(path, sizeof(path), 0, 1);
  cr_assert_eq(stor_seg_open(&r, AT_FDCWD, path), 0);
  cr_assert_eq(stor_seg_next(&r, &b), 1);
  cr_assert_eq(b.status, STOR_BLK_OK);
  cr_assert_eq(stor_seg_load_log(&r, &b, &dec), -EBADMSG);
  cr_assert_eq(b.status, STOR_BLK_BAD_DATA);
  cr_assert_eq(stor_seg_next(&r, &b), 0);
  stor_seg_close(&r);
  stor_logdec_free(&dec);
}

/* ---- newest first, positions, floor --------------------------------------- */

struct seen {
  int64_t t[NREC];
  struct stor_logpos at[NREC];
  struct stor_logpos pos;      /* the scan writes here */
  unsigned n;
  int64_t floor;               /* what floor_fn returns */
};

static int on_seen(void *ctx, unsigned shard, const struct stor_log_rec *r) {
  struct seen *s = ctx;

  cr_assert_lt(s->n, NREC);
  cr_assert_eq(s->pos.shard, shard);
  s->t[s->n] = r->time_ns;
  s->at[s->n++] = s->pos;
  return 0;
}

static int64_t floor_fn(void *ctx) { return ((struct seen *)ctx)->floor; }

static int scan_newest(struct seen *s, int with_floor,
                       struct stor_scan_stats *st) {
  struct stor_logscan q = {.data_dir = seg_dir, .start_ns = INT64_MIN,
                           .end_ns = INT64_MAX, .fn = on_seen, .ctx = s,
                           .newest_first = 1, .pos = &s->pos,
                           .floor = with_floor ? floor_fn : NULL};

  memset(st, 0, sizeof(*st));
  return stor_logscan_run(&q, st);
}

/* shard 0: 1.seg blocks recs[0..10) then [10..20), 2.seg [20..30); shard
 * 1: [30..40). Newest first: shard 0's 2.seg, its 1.seg second block, its
 * first; then shard 1; records of a block in block order. */
Test(logscan, newest_first_visits_segments_and_blocks_backwards) {
  static struct seen s;
  struct stor_scan_stats st;
  static const unsigned order[] = {20, 10, 0, 30};

  mixed_dir();
  cr_assert_eq(scan_newest(&s, 0, &st), 0);
  cr_assert_eq(s.n, NREC);
  cr_assert_eq(st.blocks_read, 4);
  for (unsigned b = 0; b < 4; b++)
    for (unsigned i = 0; i < 10; i++) {
      unsigned k = b * 10 + i;
      cr_assert_eq(s.t[k], recs[order[b] + i].time_ns, "record %u", k);
      cr_assert_eq(s.at[k].index, i);
      cr_assert_eq(s.at[k].shard, order[b] == 30 ? 1u : 0u);
      cr_assert_eq(s.at[k].segment, order[b] == 20 ? 2u : 1u);
    }
  /* offsets: within 1.seg of shard 0 the later block sits further on */
  cr_assert_gt(s.at[10].offset, s.at[20].offset);
}

Test(logscan, positions_are_storage_order_in_either_direction) {
  static struct got g;
  static struct seen s;
  struct stor_scan_stats st;
  struct stor_logscan q = {.data_dir = seg_dir, .start_ns = INT64_MIN,
                           .end_ns = INT64_MAX, .fn = on_rec, .ctx = &g,
                           .pos = &s.pos};

  mixed_dir();
  expect(&g, 0, 0, 30, INT64_MIN, INT64_MAX);
  expect(&g, 1, 30, 40, INT64_MIN, INT64_MAX);
  cr_assert_eq(stor_logscan_run(&q, &st), 0);
  /* the last record served forward is the last one stored */
  cr_assert_eq(s.pos.shard, 1);
  cr_assert_eq(s.pos.segment, 1);
  cr_assert_eq(s.pos.index, 9);
}

/* A floor passes over older records, and whole blocks without inflating. */
Test(logscan, floor_skips_older_records_and_blocks) {
  static struct seen s;
  struct stor_scan_stats st;

  mixed_dir();
  s.floor = recs[25].time_ns;
  cr_assert_eq(scan_newest(&s, 1, &st), 0);
  /* shard 0's 2.seg from recs[25], shard 1's block whole; both 1.seg
   * blocks of shard 0 end before the floor */
  cr_assert_eq(s.n, 5 + 10);
  cr_assert_eq(s.t[0], recs[25].time_ns);
  cr_assert_eq(st.blocks_read, 2);
  cr_assert_eq(st.blocks_skipped, 2);
}

/* Newest first, a block failing its CRC is counted and passed over; the
 * blocks of the segment before it are still read. */
Test(logscan, newest_first_passes_over_a_damaged_block) {
  static struct seen s;
  struct stor_scan_stats st;
  uint8_t *b;
  size_t len = log_block(0, 2, recs + 10, 10, &b);

  append_log(0, 1, 1, recs, 10);
  b[len - 1] ^= 0x40;             /* payload byte: the CRC catches it */
  seg_append_bytes(0, 1, b, len);
  free(b);
  append_log(0, 1, 3, recs + 20, 10);
  cr_assert_eq(scan_newest(&s, 0, &st), 0);
  cr_assert_eq(s.n, 20);
  cr_assert_eq(s.t[0], recs[20].time_ns);
  cr_assert_eq(s.t[10], recs[0].time_ns);
  cr_assert_eq(st.blocks_bad, 1);
  cr_assert_eq(st.blocks_read, 2);
}
