/*
 * tests/unit/storage/test_compact_direct.c - direct compaction
 * (stor_direct_*, storage/compact.h): sealed heads fed straight to it give
 * the very bytes that writing them as original segments (one block a head,
 * rolled where the writer rolls) and compacting those give; a head over
 * the key bounds is refused whole after what came before is written; a
 * failed write counts its points lost.
 */
#include <criterion/criterion.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "storage/block.h"
#include "storage/compact.h"

#include "segment_test_util.h"

#define IDS 500
#define HEAD_POINTS_MAX 3000
#define SEG_POINTS 10000 /* the segment (and pass) bound of the test */

static char keys[IDS][48];


/* id -> key: ids i and i + 250 share a key with types of their own (two
 * series). Every id is a (key, type) of its own, as in a shard's
 * dictionary (one id a key): the original blocks order a block's points
 * by id, so two ids of one series would interleave there otherwise. */
static void key_of(const void *ctx, uint32_t id, struct stor_dict_entry *e) {
  (void)ctx;
  *e = (struct stor_dict_entry){.id = id,
                                .type = (uint8_t)(id / 250),
                                .key = keys[id % 250],
                                .key_len = (uint32_t)strlen(keys[id % 250])};
}

struct head {
  uint32_t n;
  uint32_t ids[HEAD_POINTS_MAX];
  int64_t ts[HEAD_POINTS_MAX];
  double val[HEAD_POINTS_MAX];
};

/* Random points: times jittered (out of order, duplicates), the value
 * shapes the codecs treat apart. */
static void make_head(struct head *h, unsigned b) {
  h->n = 1 + (uint32_t)(seg_rnd() % HEAD_POINTS_MAX);
  for (uint32_t i = 0; i < h->n; i++) {
    uint32_t id = (uint32_t)(seg_rnd() % IDS);
    h->ids[i] = id;
    h->ts[i] = 1700000000000 + (int64_t)b * 10000 +
               (int64_t)(seg_rnd() % 30000) - 5000;
    if (id % 4 == 0)
      h->ts[i] = h->ts[i] / 1000 * 1000; /* whole seconds */
    if (i > 0 && seg_rnd() % 50 == 0) {
      h->ids[i] = h->ids[i - 1];
      h->ts[i] = h->ts[i - 1];
    }
    h->val[i] = id % 3 == 0   ? (double)(i * 3 + id)
                : id % 3 == 1 ? (double)(int64_t)(seg_rnd() % 2001 - 1000) / 10.0
                              : (double)seg_rnd() / 3.0e7;
  }
}

/* What the writer does with a head: one block (dictionary: the ids new
 * to the segment), the segment rolled before SEG_POINTS would pass. */
struct orig {
  struct stor_encoder e;
  uint8_t *out;
  size_t cap;
  uint64_t seg, seg_points, block_seq;
  uint8_t in_seg[IDS];
};

static void orig_add(struct orig *o, const struct head *h) {
  static struct stor_dict_entry dict[IDS];
  uint32_t nd = 0;

  if (o->seg == 0 || o->seg_points + h->n > SEG_POINTS) {
    o->seg++;
    o->seg_points = 0;
    memset(o->in_seg, 0, sizeof(o->in_seg));
  }
  for (uint32_t i = 0; i < h->n; i++)
    if (!o->in_seg[h->ids[i]]) {
      o->in_seg[h->ids[i]] = 1;
      key_of(NULL, h->ids[i], &dict[nd++]);
    }
  struct stor_block_in in = {.shard = 3, .seq = o->block_seq++,
                             .count = h->n, .series_id = h->ids,
                             .ts_ms = h->ts, .value = h->val,
                             .dict_count = nd, .dict = dict};
  long len = stor_block_encode(&o->e, &in, o->out, o->cap);
  cr_assert_gt(len, 0);
  seg_append_bytes(0, o->seg, o->out, (size_t)len);
  o->seg_points += h->n;
}

static int shard_dir(const char *root) {
  char path[128];

  snprintf(path, sizeof(path), "%s/shard-0", root);
  mkdir(path, 0755);
  return open(path, O_RDONLY | O_DIRECTORY);
}

/* The bytes of file name of dir_fd into *len (malloc'ed). */
static uint8_t *slurp(int dir_fd, const char *name, size_t *len) {
  int fd = openat(dir_fd, name, O_RDONLY);
  uint8_t *p;
  off_t n;

  cr_assert_geq(fd, 0, "%s missing", name);
  n = lseek(fd, 0, SEEK_END);
  p = malloc((size_t)n + 1);
  cr_assert_eq(pread(fd, p, (size_t)n, 0), n);
  close(fd);
  *len = (size_t)n;
  return p;
}

static unsigned count_files(int dir_fd) {
  DIR *d = fdopendir(dup(dir_fd));
  struct dirent *de;
  unsigned n = 0;

  rewinddir(d);
  while ((de = readdir(d)) != NULL)
    n += de->d_name[0] != '.';
  closedir(d);
  return n;
}

static struct stor_direct_cfg cfg_for(int dir_fd,
                                      struct stor_compact_stats *st) {
  return (struct stor_direct_cfg){.dir_fd = dir_fd, .shard = 3,
                                  .next_seg_seq = 1, .next_block_seq = 1,
                                  .series_max = IDS,
                                  .points_max = SEG_POINTS,
                                  .series = {key_of, NULL}, .st = st};
}

Test(compact_direct, same_bytes_as_compacting_the_originals) {
  static struct head h;
  struct orig o = {.block_seq = 1};
  struct stor_compact_stats st_a = {0}, st_b = {0};
  struct stor_direct *d;
  char root_b[80];
  int a_fd, b_fd;
  unsigned heads = 40;

  seg_rng_state = 0x2545F4914F6CDD1Dull;
  for (unsigned k = 0; k < 250; k++)
    snprintf(keys[k], sizeof(keys[k]), "m%u.name%s", k,
             k % 2 ? "\001env:prod" : "");
  seg_dir_make();
  snprintf(root_b, sizeof(root_b), "%s/b", seg_dir);
  mkdir(root_b, 0755);
  a_fd = shard_dir(seg_dir);
  b_fd = shard_dir(root_b);
  o.cap = stor_block_bytes_max(HEAD_POINTS_MAX, IDS, IDS * 48);
  o.out = malloc(o.cap);
  cr_assert_eq(stor_encoder_init(&o.e, HEAD_POINTS_MAX), 0);
  struct stor_direct_cfg c = cfg_for(b_fd, &st_b);
  cr_assert_eq(stor_direct_open(&d, &c), 0);
  for (unsigned b = 0; b < heads; b++) {
    make_head(&h, b);
    orig_add(&o, &h);
    cr_assert_eq(stor_direct_add(d, &(struct stor_points){h.ids, h.ts, h.val,
                                                          h.n}), 0);
  }
  cr_assert_eq(stor_direct_flush(d), 0);
  uint64_t seg, blk;
  stor_direct_next(d, &seg, &blk);
  cr_assert_eq(seg, o.seg + 1, "one compacted segment an original");
  cr_assert_eq(blk, heads + 1);
  stor_direct_free(d);
  cr_assert_gt(o.seg, 2, "the test rolls segments");
  cr_assert_eq(stor_compact_dir(a_fd, seg_dir, SEG_POINTS, &st_a, stderr), 0);
  cr_assert_eq(st_a.passes, o.seg);
  cr_assert_eq(st_b.passes, o.seg);
  cr_assert_eq(st_b.points, st_a.points);
  cr_assert_eq(st_b.bytes_out, st_a.bytes_out);
  cr_assert_eq(st_b.points_lost, 0);
  cr_assert_eq(count_files(b_fd), (unsigned)o.seg);
  for (uint64_t s = 1; s <= o.seg; s++) {
    char name[32];
    size_t la, lb;
    stor_segment_name(s, name, sizeof(name));
    uint8_t *pa = slurp(a_fd, name, &la), *pb = slurp(b_fd, name, &lb);
    cr_assert_eq(la, lb, "%s: %zu vs %zu bytes", name, la, lb);
    cr_assert_eq(memcmp(pa, pb, la), 0, "%s differs", name);
    free(pa);
    free(pb);
  }
  stor_encoder_free(&o.e);
  free(o.out);
  close(a_fd);
  close(b_fd);
  seg_dir_remove();
}

/* Series 0: n points in falling time, pairs of equal times (the local
 * sort's fallback); series 1: neighbours swapped (its insertion sort);
 * read back from the compacted segment: rising time, equal times in
 * arrival order. */
Test(compact_direct, runs_come_out_in_time_then_arrival_order) {
  enum { N = 3000 };
  static uint32_t ids[2 * N];
  static int64_t ts[2 * N], got_ts[N];
  static double val[2 * N], got_v[N];
  struct stor_compact_stats st = {0};
  struct stor_direct *d;
  struct stor_cseg c;
  int fd;

  for (unsigned k = 0; k < 250; k++)
    snprintf(keys[k], sizeof(keys[k]), "m%u", k);
  for (uint32_t i = 0; i < N; i++) {
    ids[i] = 0;
    ts[i] = (int64_t)(N - i / 2) * 1000 + 7;
    val[i] = i;
    ids[N + i] = 1;
    ts[N + i] = (int64_t)(i ^ 1) * 10;
    val[N + i] = -(double)i;
  }
  seg_dir_make();
  fd = shard_dir(seg_dir);
  struct stor_direct_cfg cfg = cfg_for(fd, &st);
  cr_assert_eq(stor_direct_open(&d, &cfg), 0);
  cr_assert_eq(stor_direct_add(d, &(struct stor_points){ids, ts, val,
                                                        2 * N}), 0);
  cr_assert_eq(stor_direct_flush(d), 0);
  stor_direct_free(d);
  cr_assert_eq(stor_cseg_open(&c, fd, "0000000000000001.seg"), 1);
  cr_assert_eq(c.series, 2);
  cr_assert_eq(c.runs, 2);
  for (uint32_t r = 0; r < 2; r++) {
    /* keys "m0" < "m1": the run's series is its id */
    cr_assert_eq(c.run[r].count, N);
    cr_assert_eq(stor_cseg_read_run(&c, r, got_ts, got_v), 0);
    for (uint32_t i = 0; i < N; i++) {
      /* series 0: pair j (points 2j, 2j + 1) at (N - j) * 1000 + 7, so
       * the last pair first, each in arrival order; series 1: i ^ 1 */
      uint32_t want = r == 0 ? N - 2 - (i & ~1u) + (i & 1) : i ^ 1;
      cr_assert_eq(got_ts[i], ts[r * N + want], "run %u point %u", r, i);
      cr_assert_eq(got_v[i], val[r * N + want], "run %u point %u", r, i);
    }
  }
  stor_cseg_close(&c);
  close(fd);
  seg_dir_remove();
}

/* Keys with ids over STOR_COMPACT_SERIES_MAX: distinct keys, one a point. */
static char big_key[16];
static void key_many(const void *ctx, uint32_t id, struct stor_dict_entry *e) {
  (void)ctx;
  snprintf(big_key, sizeof(big_key), "k%u", id);
  *e = (struct stor_dict_entry){.id = id, .type = 1, .key = big_key,
                                .key_len = (uint32_t)strlen(big_key)};
}

Test(compact_direct, head_over_the_key_bounds_refused_whole) {
  uint32_t n = STOR_COMPACT_SERIES_MAX + 1;
  uint32_t *ids = malloc(n * sizeof(*ids));
  int64_t *ts = malloc(n * sizeof(*ts));
  double *val = malloc(n * sizeof(*val));
  struct stor_compact_stats st = {0};
  struct stor_direct *d;
  uint64_t seg, blk;
  int fd;

  for (uint32_t i = 0; i < n; i++) {
    ids[i] = i;
    ts[i] = 1000 * (int64_t)i;
    val[i] = i;
  }
  seg_dir_make();
  fd = shard_dir(seg_dir);
  struct stor_direct_cfg c = cfg_for(fd, &st);
  c.series_max = n;
  c.points_max = 0; /* the segment bound */
  c.series = (struct stor_series_src){key_many, NULL};
  cr_assert_eq(stor_direct_open(&d, &c), 0);
  cr_assert_eq(stor_direct_add(d, &(struct stor_points){ids, ts, val, 10}),
               0);
  cr_assert_eq(stor_direct_add(d, &(struct stor_points){ids, ts, val, n}),
               -E2BIG);
  stor_direct_next(d, &seg, &blk);
  cr_assert_eq(seg, 2, "what came before was written");
  cr_assert_eq(blk, 2, "the refused head took no block seq");
  cr_assert_eq(st.points, 10);
  cr_assert_eq(count_files(fd), 1);
  /* and it goes on: a head within the bounds is taken */
  cr_assert_eq(stor_direct_add(d, &(struct stor_points){ids + 5, ts, val,
                                                        100}),
               0);
  cr_assert_eq(stor_direct_flush(d), 0);
  cr_assert_eq(st.points, 110);
  cr_assert_eq(st.passes, 2);
  cr_assert_eq(st.points_lost, 0);
  stor_direct_free(d);
  close(fd);
  free(ids);
  free(ts);
  free(val);
  seg_dir_remove();
}

Test(compact_direct, failed_write_counts_points_lost) {
  struct stor_compact_stats st = {0};
  struct stor_direct *d;
  uint32_t ids[4] = {1, 2, 1, 3};
  int64_t ts[4] = {1, 2, 3, 4};
  double val[4] = {1, 2, 3, 4};
  int fd = open("/dev/null", O_RDONLY); /* not a directory */

  for (unsigned k = 0; k < 250; k++)
    snprintf(keys[k], sizeof(keys[k]), "m%u", k);
  struct stor_direct_cfg c = cfg_for(fd, &st);
  cr_assert_eq(stor_direct_open(&d, &c), 0);
  cr_assert_eq(stor_direct_add(d, &(struct stor_points){ids, ts, val, 4}), 0);
  cr_assert_lt(stor_direct_flush(d), 0);
  cr_assert_eq(st.points_lost, 4);
  cr_assert_eq(st.passes, 0);
  /* the pass was dropped: an empty flush writes nothing */
  cr_assert_eq(stor_direct_flush(d), 0);
  cr_assert_eq(st.points_lost, 4);
  stor_direct_free(d);
  close(fd);
}

Test(compact_direct, bad_config_refused) {
  struct stor_compact_stats st = {0};
  struct stor_direct *d = (struct stor_direct *)1;
  struct stor_direct_cfg c = cfg_for(0, &st);

  c.series_max = 0;
  cr_assert_eq(stor_direct_open(&d, &c), -EINVAL);
  cr_assert_null(d);
  c = cfg_for(0, &st);
  c.next_seg_seq = 0;
  cr_assert_eq(stor_direct_open(&d, &c), -EINVAL);
  stor_direct_free(NULL);
}

/* The runs of c read back into ts, v (room for every point); returns the
 * points read. */
/* Free the columns of a test's points and of what it read back. */
static void free_points(uint32_t *ids, int64_t *ts, double *val,
                        int64_t *got_ts, double *got_v) {
  free(ids);
  free(ts);
  free(val);
  free(got_ts);
  free(got_v);
}

static uint32_t read_all(struct stor_cseg *c, int64_t *ts, double *v) {
  uint32_t n = 0;

  for (uint32_t r = 0; r < c->runs; r++) {
    cr_assert_eq(stor_cseg_read_run(c, r, ts + n, v + n), 0);
    n += c->run[r].count;
  }
  return n;
}

/* The n points (ids, ts, val) through one direct pass of at most
 * points_max points into fd, flushed: segment 1. */
static void direct_one(int fd, uint32_t points_max, uint32_t *ids,
                       int64_t *ts, double *val, uint32_t n,
                       struct stor_compact_stats *st) {
  struct stor_direct *d;
  struct stor_direct_cfg cfg = cfg_for(fd, st);

  cfg.points_max = points_max;
  cr_assert_eq(stor_direct_open(&d, &cfg), 0);
  cr_assert_eq(stor_direct_add(d, &(struct stor_points){ids, ts, val, n}), 0);
  cr_assert_eq(stor_direct_flush(d), 0);
  stor_direct_free(d);
}

/* All points of one series, more than a run holds, in falling time with
 * equal pairs (encode_long's whole-series sort): read back in rising time,
 * equal times in arrival order, over runs of at most a run's bound. */
Test(compact_direct, one_series_over_runs_sorted_whole) {
  enum { N = 2 * STOR_COMPACT_RUN_POINTS_MAX + 5 };
  uint32_t *ids = calloc(N, sizeof(*ids));
  int64_t *ts = malloc(N * sizeof(*ts)), *got_ts = malloc(N * sizeof(*ts));
  double *val = malloc(N * sizeof(*val)), *got_v = malloc(N * sizeof(*val));
  struct stor_compact_stats st = {0};
  struct stor_cseg c;
  int fd;

  for (unsigned k = 0; k < 250; k++)
    snprintf(keys[k], sizeof(keys[k]), "m%u", k);
  for (uint32_t i = 0; i < N; i++) {
    ts[i] = (int64_t)(N - i / 2) * 1000;
    val[i] = i;
  }
  seg_dir_make();
  fd = shard_dir(seg_dir);
  direct_one(fd, N, ids, ts, val, N, &st);
  cr_assert_eq(stor_cseg_open(&c, fd, "0000000000000001.seg"), 1);
  cr_assert_eq(c.series, 1);
  cr_assert_eq(c.runs, 3);
  for (uint32_t r = 0; r < c.runs; r++)
    cr_assert_leq(c.run[r].count, STOR_COMPACT_RUN_POINTS_MAX);
  cr_assert_eq(read_all(&c, got_ts, got_v), N);
  for (uint32_t i = 0; i < N; i++) {
    /* N odd: point N - 1 alone is the earliest, then pairs in order */
    uint32_t want = i == 0 ? N - 1 : N - 1 - 2 * ((i + 1) / 2) + !(i & 1);
    cr_assert_eq(got_ts[i], ts[want], "point %u", i);
    cr_assert_eq(got_v[i], val[want], "point %u", i);
  }
  stor_cseg_close(&c);
  close(fd);
  free_points(ids, ts, val, got_ts, got_v);
  seg_dir_remove();
}

/* Series of one point each beside a long one, the ones first, last and
 * between in arrival: each its own run of its one point. */
Test(compact_direct, series_of_one_point) {
  enum { N = 1000 };
  static uint32_t ids[N];
  static int64_t ts[N], got_ts[N];
  static double val[N], got_v[N];
  struct stor_compact_stats st = {0};
  struct stor_cseg c;
  int fd;

  for (unsigned k = 0; k < 250; k++)
    snprintf(keys[k], sizeof(keys[k]), "m%03u", k);
  for (uint32_t i = 0; i < N; i++) {
    ids[i] = 5;
    ts[i] = 1000 + i;
    val[i] = i;
  }
  ids[0] = 9;  /* "m009": after "m005" */
  ids[500] = 0;
  ids[N - 1] = 7;
  seg_dir_make();
  fd = shard_dir(seg_dir);
  direct_one(fd, SEG_POINTS, ids, ts, val, N, &st);
  cr_assert_eq(stor_cseg_open(&c, fd, "0000000000000001.seg"), 1);
  cr_assert_eq(c.series, 4);
  cr_assert_eq(c.runs, 4);
  cr_assert_eq(read_all(&c, got_ts, got_v), N);
  /* keys m000, m005, m007, m009 */
  uint32_t counts[4] = {1, N - 3, 1, 1};
  for (uint32_t r = 0; r < 4; r++)
    cr_assert_eq(c.run[r].count, counts[r], "run %u", r);
  cr_assert_eq(got_v[0], 500);
  for (uint32_t i = 1; i < N - 2; i++)
    cr_assert_eq(got_v[i], i < 500 ? i : i + 1, "point %u", i);
  cr_assert_eq(got_v[N - 2], N - 1);
  cr_assert_eq(got_v[N - 1], 0);
  cr_assert_eq(got_ts[N - 1], 1000);
  stor_cseg_close(&c);
  close(fd);
  seg_dir_remove();
}

/* An empty pass writes nothing: a flush before any point, a head of no
 * point, a flush after a flush. */
Test(compact_direct, empty_pass_writes_nothing) {
  struct stor_compact_stats st = {0};
  struct stor_direct *d;
  uint32_t ids[1] = {1};
  int64_t ts[1] = {1};
  double val[1] = {1};
  uint64_t seg, blk;
  int fd;

  seg_dir_make();
  fd = shard_dir(seg_dir);
  struct stor_direct_cfg cfg = cfg_for(fd, &st);
  cr_assert_eq(stor_direct_open(&d, &cfg), 0);
  cr_assert_eq(stor_direct_flush(d), 0);
  cr_assert_eq(stor_direct_add(d, &(struct stor_points){ids, ts, val, 0}), 0);
  cr_assert_eq(stor_direct_flush(d), 0);
  stor_direct_next(d, &seg, &blk);
  cr_assert_eq(seg, 1);
  cr_assert_eq(blk, 1, "a head of no point takes no block seq");
  cr_assert_eq(count_files(fd), 0);
  cr_assert_eq(stor_direct_add(d, &(struct stor_points){ids, ts, val, 1}), 0);
  cr_assert_eq(stor_direct_flush(d), 0);
  cr_assert_eq(stor_direct_flush(d), 0);
  stor_direct_next(d, &seg, &blk);
  cr_assert_eq(seg, 2);
  cr_assert_eq(count_files(fd), 1);
  cr_assert_eq(st.passes, 1);
  cr_assert_eq(st.points, 1);
  stor_direct_free(d);
  close(fd);
  seg_dir_remove();
}

/* Stable reference: the indexes of series id's points among ids[0..n) in
 * time order, arrival order among equal times. Returns how many. */
static uint32_t ref_order(const uint32_t *ids, const int64_t *ts, uint32_t n,
                          uint32_t id, uint32_t *out) {
  uint32_t m = 0;

  for (uint32_t i = 0; i < n; i++) {
    if (ids[i] != id)
      continue;
    uint32_t k = m++;
    for (; k > 0 && ts[out[k - 1]] > ts[i]; k--)
      out[k] = out[k - 1];
    out[k] = i;
  }
  return m;
}

/* Segment 1 of fd holds series 0..S-1 (ids, keys m000.., every one with
 * a point) of the n points (ids, ts, val): each its own run, in time then
 * arrival order. */
static void check_series(int fd, const uint32_t *ids, const int64_t *ts,
                         const double *val, uint32_t n, uint32_t S) {
  uint32_t *ord = malloc(n * sizeof(*ord)), got = 0;
  int64_t *got_ts = malloc(n * sizeof(*got_ts));
  double *got_v = malloc(n * sizeof(*got_v));
  struct stor_cseg c;

  cr_assert_eq(stor_cseg_open(&c, fd, "0000000000000001.seg"), 1);
  cr_assert_eq(c.series, S);
  cr_assert_eq(c.runs, S);
  cr_assert_eq(read_all(&c, got_ts, got_v), n);
  for (uint32_t s = 0; s < S; s++) { /* keys m000..: run s, id s */
    uint32_t m = ref_order(ids, ts, n, s, ord);
    cr_assert_eq(c.run[s].count, m, "series %u", s);
    for (uint32_t i = 0; i < m; i++, got++) {
      cr_assert_eq(got_ts[got], ts[ord[i]], "series %u point %u: %lld",
                   s, i, (long long)got_ts[got]);
      cr_assert_eq(got_v[got], val[ord[i]], "series %u point %u", s, i);
    }
  }
  stor_cseg_close(&c);
  free(ord);
  free(got_ts);
  free(got_v);
}

/* Series of sizes around powers of two (1, C - 1, C, C + 1, 2C, 2C + 1:
 * the boundaries of a pass that would hold a series in chunks of C),
 * arriving interleaved with falling and equal times: each read back whole,
 * in time then arrival order. */
Test(compact_direct, series_across_chunk_boundaries) {
  enum { C = 32, S = 6 };
  const uint32_t want[S] = {1, C - 1, C, C + 1, 2 * C, 2 * C + 1};
  static uint32_t ids[16 * C], ord[16 * C];
  static int64_t ts[16 * C];
  static double val[16 * C];
  uint32_t left[S], n = 0;
  struct stor_compact_stats st = {0};
  int fd;

  for (unsigned k = 0; k < 250; k++)
    snprintf(keys[k], sizeof(keys[k]), "m%03u", k);
  memcpy(left, want, sizeof(left));
  for (int more = 1; more;) { /* round robin over the series left */
    more = 0;
    for (uint32_t s = 0; s < S; s++) {
      if (left[s] == 0)
        continue;
      ids[n] = s;
      ts[n] = 5000 - (int64_t)(n / 3) * 7 + (int64_t)(n % 5);
      val[n] = (double)n + 0.5;
      n++;
      more |= --left[s] > 0;
    }
  }
  for (uint32_t s = 0; s < S; s++)
    cr_assert_eq(ref_order(ids, ts, n, s, ord), want[s]);
  seg_dir_make();
  fd = shard_dir(seg_dir);
  direct_one(fd, SEG_POINTS, ids, ts, val, n, &st);
  check_series(fd, ids, ts, val, n, S);
  close(fd);
  seg_dir_remove();
}

/* Every series a pass may hold (STOR_COMPACT_SERIES_MAX) with one point,
 * then one series with 1280 more: all taken in one pass, every point read
 * back. */
Test(compact_direct, many_series_of_one_point_fill_a_pass) {
  uint32_t s = STOR_COMPACT_SERIES_MAX, n = s + 1280;
  uint32_t *ids = malloc(n * sizeof(*ids));
  int64_t *ts = malloc(n * sizeof(*ts)), *got_ts = malloc(n * sizeof(*ts));
  double *val = malloc(n * sizeof(*val)), *got_v = malloc(n * sizeof(*val));
  struct stor_compact_stats st = {0};
  struct stor_direct *d;
  struct stor_cseg c;
  double sum = 0, got_sum = 0;
  int fd;

  for (uint32_t i = 0; i < n; i++) {
    ids[i] = i < s ? i : s - 1;
    ts[i] = 1000 + i;
    val[i] = i;
    sum += i;
  }
  seg_dir_make();
  fd = shard_dir(seg_dir);
  struct stor_direct_cfg cfg = cfg_for(fd, &st);
  cfg.series_max = s;
  cfg.points_max = n;
  cfg.series = (struct stor_series_src){key_many, NULL};
  cr_assert_eq(stor_direct_open(&d, &cfg), 0);
  for (uint32_t at = 0; at < n; at += 4096) { /* heads of 4096 */
    uint32_t k = n - at < 4096 ? n - at : 4096;
    cr_assert_eq(stor_direct_add(d, &(struct stor_points){ids + at, ts + at,
                                                          val + at, k}), 0);
  }
  cr_assert_eq(stor_direct_flush(d), 0);
  stor_direct_free(d);
  cr_assert_eq(st.passes, 1);
  cr_assert_eq(st.points, n);
  cr_assert_eq(st.series, s);
  cr_assert_eq(stor_cseg_open(&c, fd, "0000000000000001.seg"), 1);
  cr_assert_eq(c.series, s);
  cr_assert_eq(read_all(&c, got_ts, got_v), n);
  for (uint32_t i = 0; i < n; i++) {
    cr_assert_eq(got_ts[i], 1000 + (int64_t)got_v[i], "point %u", i);
    got_sum += got_v[i];
  }
  cr_assert_eq(got_sum, sum);
  stor_cseg_close(&c);
  close(fd);
  free_points(ids, ts, val, got_ts, got_v);
  seg_dir_remove();
}

/* The points of the tests below. */
#define PB_POINTS 4000
static struct {
  uint32_t ids[PB_POINTS];
  int64_t ts[PB_POINTS];
  double val[PB_POINTS];
} pb;

/* The n points through one direct pass in heads of head points: segment 1,
 * checked by check_series. */
static void direct_heads_check(const uint32_t *ids, const int64_t *ts,
                               const double *val, uint32_t n, uint32_t head,
                               uint32_t S) {
  struct stor_compact_stats st = {0};
  struct stor_direct *d;
  int fd;

  for (unsigned k = 0; k < 250; k++)
    snprintf(keys[k], sizeof(keys[k]), "m%03u", k);
  seg_dir_make();
  fd = shard_dir(seg_dir);
  struct stor_direct_cfg cfg = cfg_for(fd, &st);
  cr_assert_eq(stor_direct_open(&d, &cfg), 0);
  for (uint32_t at = 0; at < n; at += head) {
    uint32_t k = n - at < head ? n - at : head;
    cr_assert_eq(stor_direct_add(d, &(struct stor_points){
                                        (uint32_t *)ids + at, (int64_t *)ts + at,
                                        (double *)val + at, k}), 0);
  }
  cr_assert_eq(stor_direct_flush(d), 0);
  stor_direct_free(d);
  cr_assert_eq(st.passes, 1);
  cr_assert_eq(st.points, n);
  check_series(fd, ids, ts, val, n, S);
  close(fd);
  seg_dir_remove();
}

/* Times at and just past the reach of a 32-bit offset from the pass's
 * first time (2^31 ms either side), the first beyond it in a later head
 * and mid-head, more points after it: every time read back exact, in time
 * then arrival order. */
Test(compact_direct, time_past_an_offset_read_back_exact) {
  enum { N = PB_POINTS, S = 7 };
  uint32_t *ids = pb.ids;
  int64_t *ts = pb.ts;
  double *val = pb.val;
  const int64_t t0 = 1765000000000, r = (int64_t)1 << 31;
  const int64_t edge[] = {t0 + r - 1, t0 - r, t0 - r - 1, t0 + r,
                          t0 + 3 * r, t0 - 5 * r};

  for (uint32_t i = 0; i < N; i++) {
    ids[i] = (i * 7 + i / 13) % S;
    ts[i] = t0 + (int64_t)(i % 97) * 1000 - 40000;
    val[i] = (double)i * 0.25;
  }
  ts[0] = t0;
  for (uint32_t e = 0; e < 6; e++) { /* in the 2nd of 3 heads, then after */
    ts[1500 + 300 * e] = edge[e];
    ts[1501 + 300 * e] = edge[e]; /* an equal pair */
  }
  direct_heads_check(ids, ts, val, N, 1400, S);
  ts[1500] = t0 + r - 1; /* ... and where every time fits */
  ts[1501] = t0 - r;
  for (uint32_t e = 2; e < 6; e++)
    ts[1500 + 300 * e] = ts[1501 + 300 * e] = t0 - r + e;
  direct_heads_check(ids, ts, val, N, 1400, S);
}

/* Times over the whole int64 range, the first of them the largest (an
 * offset modulo 2^64 would reach the smallest) and equal times among
 * them: read back exact, in time then arrival order. */
Test(compact_direct, times_over_the_whole_int64_range) {
  enum { N = 600, S = 3 };
  const int64_t pick[] = {INT64_MAX, INT64_MIN, 0, -1, 1, INT64_MIN + 1,
                          INT64_MAX - 1, INT64_MAX, INT64_MIN,
                          INT64_MIN + ((int64_t)1 << 31)};

  for (uint32_t first = 0; first < 2; first++) {
    for (uint32_t i = 0; i < N; i++) {
      pb.ids[i] = i % S;
      pb.ts[i] = pick[(i * 7 + first) % 10];
      pb.val[i] = (double)i;
    }
    direct_heads_check(pb.ids, pb.ts, pb.val, N, 64, S);
  }
}

/* Every point of a pass at one time (offset 0), across heads: read back in
 * arrival order. */
Test(compact_direct, equal_times_in_arrival_order) {
  enum { N = 3000, S = 5 };

  for (uint32_t i = 0; i < N; i++) {
    pb.ids[i] = (i / 3) % S;
    pb.ts[i] = -1234567;
    pb.val[i] = (double)(N - i);
  }
  direct_heads_check(pb.ids, pb.ts, pb.val, N, 700, S);
}

/* Every point of segment seq of fd into ts, v; returns how many. */
static uint32_t read_seg(int fd, uint64_t seq, int64_t *ts, double *v) {
  char name[32];
  struct stor_cseg c;
  uint32_t n;

  stor_segment_name(seq, name, sizeof(name));
  cr_assert_eq(stor_cseg_open(&c, fd, name), 1);
  n = read_all(&c, ts, v);
  stor_cseg_close(&c);
  return n;
}

/* A head whose first time does not fit an offset (the pass widened) and
 * whose keys then overflow the pass: the pass before it is written from
 * the widened times, the head taken whole by the next pass; every point
 * read back with its own time. */
Test(compact_direct, keys_full_after_a_widen) {
  uint32_t n = STOR_COMPACT_SERIES_MAX + 1, got;
  uint32_t *ids = malloc(n * sizeof(*ids));
  int64_t *ts = malloc(n * sizeof(*ts)), *got_ts = malloc(n * sizeof(*ts));
  double *val = malloc(n * sizeof(*val)), *got_v = malloc(n * sizeof(*val));
  struct stor_compact_stats st = {0};
  struct stor_direct *d;
  int fd;

  for (uint32_t i = 0; i < n; i++) {
    ids[i] = i;
    ts[i] = 1765000000000 - 3 * (int64_t)i;
    val[i] = i;
  }
  ts[10] = ts[0] + ((int64_t)1 << 40);
  ts[11] = INT64_MIN;
  seg_dir_make();
  fd = shard_dir(seg_dir);
  struct stor_direct_cfg c = cfg_for(fd, &st);
  c.series_max = n;
  c.points_max = 0;
  c.series = (struct stor_series_src){key_many, NULL};
  cr_assert_eq(stor_direct_open(&d, &c), 0);
  cr_assert_eq(stor_direct_add(d, &(struct stor_points){ids, ts, val, 10}),
               0);
  cr_assert_eq(stor_direct_add(d, &(struct stor_points){ids + 10, ts + 10,
                                                        val + 10, n - 10}),
               0);
  cr_assert_eq(st.passes, 1, "the keys overflowed: the first pass written");
  cr_assert_eq(stor_direct_flush(d), 0);
  stor_direct_free(d);
  cr_assert_eq(st.passes, 2);
  cr_assert_eq(st.points, n);
  got = read_seg(fd, 1, got_ts, got_v);
  cr_assert_eq(got, 10);
  got += read_seg(fd, 2, got_ts + got, got_v + got);
  cr_assert_eq(got, n);
  for (uint32_t i = 0; i < n; i++) {
    uint32_t at = (uint32_t)got_v[i];
    cr_assert_eq(got_ts[i], ts[at], "point %u (%u)", i, at);
    cr_assert_eq(i < 10, at < 10, "point %u in its pass", at);
  }
  close(fd);
  free_points(ids, ts, val, got_ts, got_v);
  seg_dir_remove();
}
