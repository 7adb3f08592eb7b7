/*
 * tests/unit/storage/test_reader.c - scanning segment files: dictionary
 * across blocks, time-range skips, torn tails, bad blocks, shards.
 * Segments are built in a temporary directory with the real encoder.
 */
#include <criterion/criterion.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "storage/block.h"
#include "storage/reader.h"
#include "storage/recover.h"
#include "storage/scan.h"

static char dir[64];

static void setup(void) {
  snprintf(dir, sizeof(dir), "/tmp/sluice-reader-XXXXXX");
  cr_assert_not_null(mkdtemp(dir));
}

static void teardown(void) {
  char cmd[128];
  snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
  cr_assert_eq(system(cmd), 0);
}

TestSuite(reader, .init = setup, .fini = teardown);

/* Points of one block: n points of series ids[i], ts t0 + i*step. */
struct blk {
  uint16_t shard;
  uint64_t seq;
  uint32_t n;
  uint32_t ids[64];
  int64_t ts[64];
  double val[64];
  uint32_t ndict;
  struct stor_dict_entry dict[8];
};

static void seg_path(char *out, size_t len, unsigned shard, uint64_t seq) {
  char name[32];

  snprintf(out, len, "%s/shard-%u", dir, shard);
  mkdir(out, 0755);
  stor_segment_name(seq, name, sizeof(name));
  snprintf(out + strlen(out), len - strlen(out), "/%s", name);
}

/* Append the encoded block to segment seq of its shard; returns its size. */
static long append(const struct blk *b, uint64_t seg) {
  struct stor_encoder e = {0};
  struct stor_block_in in = {.shard = b->shard, .seq = b->seq, .count = b->n,
                             .series_id = b->ids, .ts_ms = b->ts,
                             .value = b->val, .dict_count = b->ndict,
                             .dict = b->dict};
  size_t cap = stor_block_bytes_max(b->n, b->ndict, 4096);
  uint8_t *out = malloc(cap);
  char path[256];
  long len;
  int fd;

  cr_assert_eq(stor_encoder_init(&e, 64), 0);
  len = stor_block_encode(&e, &in, out, cap);
  cr_assert_gt(len, 0);
  seg_path(path, sizeof(path), b->shard, seg);
  fd = open(path, O_WRONLY | O_CREAT | O_APPEND, 0644);
  cr_assert_geq(fd, 0);
  cr_assert_eq(write(fd, out, (size_t)len), len);
  close(fd);
  free(out);
  stor_encoder_free(&e);
  return len;
}

static struct stor_dict_entry entry(uint32_t id, const char *key) {
  return (struct stor_dict_entry){.id = id, .type = 1, .key = key,
                                  .key_len = (uint32_t)strlen(key)};
}

/* n points of series id from t0 by step, values v0 + i. */
static void fill(struct blk *b, uint32_t id, uint32_t n, int64_t t0,
                 int64_t step, double v0) {
  for (uint32_t i = 0; i < n; i++, b->n++) {
    b->ids[b->n] = id;
    b->ts[b->n] = t0 + (int64_t)i * step;
    b->val[b->n] = v0 + i;
  }
}

/* What a scan saw: series by handle, points per handle. */
struct seen {
  unsigned nseries;
  char keys[16][64];
  unsigned npoints[16];
  int64_t ts[16][256];
  double val[16][256];
  int want_all;
  int fail_on_points;
};

static int on_series(void *ctx, const struct stor_dict_entry *e,
                     uint32_t *handle) {
  struct seen *s = ctx;

  cr_assert_lt(s->nseries, 16);
  cr_assert_lt(e->key_len, 64);
  memcpy(s->keys[s->nseries], e->key, e->key_len);
  s->keys[s->nseries][e->key_len] = '\0';
  *handle = s->nseries++;
  return s->want_all || e->key[0] != 'x';
}

static int on_points(void *ctx, uint32_t h, const int64_t *ts,
                     const double *v, uint32_t n) {
  struct seen *s = ctx;

  if (s->fail_on_points)
    return -ECANCELED;
  cr_assert_lt(h, s->nseries);
  for (uint32_t i = 0; i < n; i++) {
    cr_assert_lt(s->npoints[h], 256);
    if (i)
      cr_assert_gt(ts[i], ts[i - 1]);
    s->ts[h][s->npoints[h]] = ts[i];
    s->val[h][s->npoints[h]++] = v[i];
  }
  return 0;
}

static int scan(struct seen *s, int64_t start, int64_t end, int points,
                struct stor_scan_stats *st) {
  struct stor_scan q = {.data_dir = dir, .start_ms = start, .end_ms = end,
                        .series = on_series,
                        .points = points ? on_points : NULL, .ctx = s};

  memset(st, 0, sizeof(*st));
  return stor_scan_run(&q, st);
}

/* Three blocks of one segment: dictionary in the first only (a block
 * names only series it uses: ids 7 and 9 in the first, both in the
 * second, 7 alone in the third). */
static void three_blocks(unsigned shard, uint64_t seg) {
  struct blk b = {.shard = (uint16_t)shard, .seq = 1};

  b.dict[b.ndict++] = entry(7, "a");
  b.dict[b.ndict++] = entry(9, "b\0env:prod");
  b.dict[1].key_len = 10;
  fill(&b, 7, 10, 1000, 100, 0);
  fill(&b, 9, 2, 1000, 100, 200);
  append(&b, seg);
  memset(&b, 0, sizeof(b));
  b.shard = (uint16_t)shard;
  b.seq = 2;
  fill(&b, 9, 10, 2000, 100, 100);
  fill(&b, 7, 10, 2000, 100, 10);
  append(&b, seg);
  memset(&b, 0, sizeof(b));
  b.shard = (uint16_t)shard;
  b.seq = 3;
  fill(&b, 7, 10, 3000, 100, 20);
  append(&b, seg);
}

Test(reader, dictionary_across_blocks) {
  struct seen s = {0};
  struct stor_scan_stats st;

  three_blocks(0, 1);
  cr_assert_eq(scan(&s, INT64_MIN, INT64_MAX, 1, &st), 0);
  cr_assert_eq(s.nseries, 2);
  cr_assert_str_eq(s.keys[0], "a");
  cr_assert_eq(memcmp(s.keys[1], "b\0env:prod", 10), 0);
  cr_assert_eq(s.npoints[0], 30);
  cr_assert_eq(s.npoints[1], 12);
  for (unsigned i = 0; i < 30; i++) {
    cr_assert_eq(s.ts[0][i], 1000 + (i / 10) * 1000 + (i % 10) * 100);
    cr_assert_eq(s.val[0][i], (double)i);
  }
  cr_assert_eq(s.val[1][0], 200.0);
  cr_assert_eq(s.val[1][11], 109.0);
  cr_assert_eq(st.blocks_read, 3);
  cr_assert_eq(st.blocks_skipped, 0);
  cr_assert_eq(st.points, 42);
  cr_assert_eq(st.segments, 1);
  cr_assert_eq(st.shards, 1);
}

Test(reader, time_range_skips_blocks_but_keeps_dictionary) {
  struct seen s = {0};
  struct stor_scan_stats st;

  three_blocks(0, 1);
  cr_assert_eq(scan(&s, 2000, 2999, 1, &st), 0);
  cr_assert_eq(st.blocks_read, 1);
  cr_assert_eq(st.blocks_skipped, 2);
  cr_assert_eq(s.npoints[0], 10);  /* its key came from the skipped block */
  cr_assert_eq(s.ts[0][0], 2000);
  cr_assert_eq(s.val[0][0], 10.0);
  cr_assert_eq(s.npoints[1], 10);

  memset(&s, 0, sizeof(s));
  cr_assert_eq(scan(&s, 2250, 2450, 1, &st), 0);
  cr_assert_eq(s.npoints[0], 2);   /* 2300, 2400 */
  cr_assert_eq(s.ts[0][0], 2300);
  cr_assert_eq(s.ts[0][1], 2400);
  cr_assert_eq(st.points, 4);

  memset(&s, 0, sizeof(s));
  cr_assert_eq(scan(&s, 5000, 6000, 1, &st), 0);
  cr_assert_eq(st.points, 0);
  cr_assert_eq(st.blocks_read, 0);
  cr_assert_eq(st.blocks_skipped, 3);
}

Test(reader, unwanted_series_get_no_points) {
  struct seen s = {0};
  struct stor_scan_stats st;
  struct blk b = {.shard = 0, .seq = 1};

  b.dict[b.ndict++] = entry(1, "x.skip");
  b.dict[b.ndict++] = entry(2, "keep");
  fill(&b, 1, 5, 100, 1, 0);
  fill(&b, 2, 5, 100, 1, 0);
  append(&b, 1);
  cr_assert_eq(scan(&s, INT64_MIN, INT64_MAX, 1, &st), 0);
  cr_assert_eq(s.nseries, 2);
  cr_assert_eq(s.npoints[0], 0);
  cr_assert_eq(s.npoints[1], 5);
}

Test(reader, torn_tail_stops_the_segment) {
  struct seen s = {0};
  struct stor_scan_stats st;
  char path[256];
  struct stat sb;
  long len;

  three_blocks(0, 1);
  seg_path(path, sizeof(path), 0, 1);
  cr_assert_eq(stat(path, &sb), 0);
  len = sb.st_size;
  /* a fourth block, of which only part reached the file */
  struct blk b = {.shard = 0, .seq = 4};
  fill(&b, 7, 10, 4000, 100, 30);
  long l4 = append(&b, 1);
  cr_assert_eq(truncate(path, len + l4 - 5), 0);
  cr_assert_eq(scan(&s, INT64_MIN, INT64_MAX, 1, &st), 0);
  cr_assert_eq(s.npoints[0], 30);
  cr_assert_eq(st.blocks_partial, 1);
  cr_assert_eq(st.blocks_bad, 0);
  /* only part of the header */
  cr_assert_eq(truncate(path, len + 10), 0);
  memset(&s, 0, sizeof(s));
  cr_assert_eq(scan(&s, INT64_MIN, INT64_MAX, 1, &st), 0);
  cr_assert_eq(s.npoints[0], 30);
  cr_assert_eq(st.blocks_partial, 1);
}

/* Flip one byte at off of segment (shard 0, seg 1). */
static void flip(long off) {
  char path[256];
  unsigned char c;
  int fd;

  seg_path(path, sizeof(path), 0, 1);
  fd = open(path, O_RDWR);
  cr_assert_eq(pread(fd, &c, 1, off), 1);
  c ^= 0x20;
  cr_assert_eq(pwrite(fd, &c, 1, off), 1);
  close(fd);
}

Test(reader, bad_block_is_never_served) {
  struct seen s = {0};
  struct stor_scan_stats st;
  struct blk b = {.shard = 0, .seq = 1};
  long l1, l2;

  b.dict[b.ndict++] = entry(7, "a");
  fill(&b, 7, 10, 1000, 100, 0);
  l1 = append(&b, 1);
  b.seq = 2;
  b.ndict = 0;
  b.n = 0;
  fill(&b, 7, 10, 2000, 100, 10);
  l2 = append(&b, 1);
  b.seq = 3;
  b.n = 0;
  fill(&b, 7, 10, 3000, 100, 20);
  append(&b, 1);
  flip(l1 + l2 - 3);   /* in the second block's payload */
  cr_assert_eq(scan(&s, INT64_MIN, INT64_MAX, 1, &st), 0);
  cr_assert_eq(s.npoints[0], 10);
  cr_assert_eq(s.val[0][9], 9.0);
  cr_assert_eq(st.blocks_bad, 1);
  cr_assert_eq(st.blocks_read, 1);
  flip(l1 + l2 - 3);
  flip(l1 + 30);       /* in the second block's header */
  memset(&s, 0, sizeof(s));
  cr_assert_eq(scan(&s, INT64_MIN, INT64_MAX, 1, &st), 0);
  cr_assert_eq(s.npoints[0], 10);
  cr_assert_eq(st.blocks_bad, 1);
}

Test(reader, shards_and_segments) {
  struct seen s = {0};
  struct stor_scan_stats st;
  struct blk b = {.shard = 3, .seq = 1};

  three_blocks(0, 1);
  /* shard 3: the same key "a" under another id */
  b.dict[b.ndict++] = entry(0, "a");
  fill(&b, 0, 4, 500, 1, 50);
  append(&b, 1);
  /* shard 3, next segment: ids restart their meaning */
  memset(&b, 0, sizeof(b));
  b.shard = 3;
  b.seq = 2;
  b.dict[b.ndict++] = entry(0, "c");
  fill(&b, 0, 3, 600, 1, 60);
  append(&b, 2);
  cr_assert_eq(scan(&s, INT64_MIN, INT64_MAX, 1, &st), 0);
  cr_assert_eq(st.shards, 2);
  cr_assert_eq(st.segments, 3);
  cr_assert_eq(s.nseries, 4);
  cr_assert_str_eq(s.keys[2], "a");
  cr_assert_eq(s.npoints[2], 4);
  cr_assert_eq(s.val[2][0], 50.0);
  cr_assert_str_eq(s.keys[3], "c");
  cr_assert_eq(s.npoints[3], 3);
  cr_assert_eq(s.val[3][0], 60.0);
}

Test(reader, series_only_by_segment_range) {
  struct seen s = {.want_all = 1};
  struct stor_scan_stats st;
  struct blk b = {.shard = 0, .seq = 4};

  three_blocks(0, 1);       /* 1000 .. 3900 */
  b.dict[b.ndict++] = entry(1, "late");
  fill(&b, 1, 3, 9000, 1, 0);
  append(&b, 2);            /* 9000 .. 9002 */
  cr_assert_eq(scan(&s, 9000, 9500, 0, &st), 0);
  cr_assert_eq(s.nseries, 1);
  cr_assert_str_eq(s.keys[0], "late");
  cr_assert_eq(st.points, 0);
  memset(&s, 0, sizeof(s));
  cr_assert_eq(scan(&s, 3500, 3600, 0, &st), 0);
  cr_assert_eq(s.nseries, 2);     /* both keys of segment 1 */
  memset(&s, 0, sizeof(s));
  cr_assert_eq(scan(&s, INT64_MIN, INT64_MAX, 0, &st), 0);
  cr_assert_eq(s.nseries, 3);
}

Test(reader, missing_dir_deadline_and_callback_errors) {
  struct seen s = {0};
  struct stor_scan_stats st = {0};
  struct stor_scan q = {.data_dir = "/nonexistent/sluice", .start_ms = 0,
                        .end_ms = INT64_MAX, .series = on_series,
                        .points = on_points, .ctx = &s};

  cr_assert_eq(stor_scan_run(&q, &st), 0);
  three_blocks(0, 1);
  q.data_dir = dir;
  q.deadline_ms = 1;   /* long past */
  cr_assert_eq(stor_scan_run(&q, &st), -ETIME);
  q.deadline_ms = 0;
  s.fail_on_points = 1;
  cr_assert_eq(stor_scan_run(&q, &st), -ECANCELED);
}

Test(reader, segment_reader_reports_blocks) {
  struct stor_seg_reader r;
  struct stor_seg_block b;
  struct stor_dict_entry e;
  char path[256];
  int n = 0;

  three_blocks(0, 1);
  seg_path(path, sizeof(path), 0, 1);
  cr_assert_eq(stor_seg_open(&r, AT_FDCWD, path), 0);
  while (stor_seg_next(&r, &b) == 1) {
    cr_assert_eq(b.status, STOR_BLK_OK);
    cr_assert_eq(b.hdr.seq, (uint64_t)n + 1);
    cr_assert_eq(stor_seg_load(&r, &b), 0);
    if (n == 0) {
      cr_assert_eq(b.offset, 0);
      cr_assert_eq(stor_block_next_dict(&b.rd, &e), 1);
      cr_assert_eq(e.id, 7);
    }
    n++;
  }
  cr_assert_eq(n, 3);
  cr_assert_eq(r.off, r.size);
  stor_seg_close(&r);
  cr_assert_eq(stor_seg_open(&r, AT_FDCWD, "/nonexistent"), -ENOENT);
  stor_seg_close(&r);
}

/* Regression: a block whose every run holds one point (each series reports
 * once per block: the common case with 1 s blocks) was refused as "more
 * runs than points", so export served nothing. */
Test(reader, one_point_per_series_blocks_are_served) {
  struct stor_scan_stats st;
  static struct seen s;
  struct blk b = {.shard = 0, .seq = 1};

  b.dict[b.ndict++] = entry(1, "p");
  b.dict[b.ndict++] = entry(2, "q");
  fill(&b, 1, 1, 1000, 1, 5);
  fill(&b, 2, 1, 1000, 1, 6);
  append(&b, 1);
  memset(&b, 0, sizeof(b));
  b.seq = 2;
  fill(&b, 1, 1, 2000, 1, 7);
  append(&b, 1);
  memset(&s, 0, sizeof(s));
  s.want_all = 1;
  cr_assert_eq(scan(&s, INT64_MIN, INT64_MAX, 1, &st), 0);
  cr_assert_eq(st.blocks_bad, 0);
  cr_assert_eq(s.nseries, 2);
  cr_assert_eq(s.npoints[0], 2);
  cr_assert_eq(s.npoints[1], 1);
  cr_assert_float_eq(s.val[0][1], 7.0, 0);
}
