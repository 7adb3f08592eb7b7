/*
 * tests/unit/storage/test_scan_room.c - a compacted run decoded into the
 * caller's room (stor_scan.room): the points a scan serves are the same
 * whether the caller gives room or declines (the scan's own buffers),
 * they lie in the room given, and a range that starts inside the run
 * serves its tail of that room; a room error stops the scan.
 */
#include <criterion/criterion.h>
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "storage/block.h"
#include "storage/compact.h"
#include "storage/scan.h"

#include "segment_test_util.h"

#define N 5000u
#define T0 1700000000000

/* One series "m": N points 10 ms apart, then compacted. */
static void write_compacted(void) {
  static uint32_t ids[N];
  static int64_t ts[N];
  static double val[N];
  struct stor_dict_entry d = {.id = 0, .type = 1, .key = "m", .key_len = 1};
  struct stor_block_in in = {.shard = 0, .seq = 1, .count = N,
                             .series_id = ids, .ts_ms = ts, .value = val,
                             .dict_count = 1, .dict = &d};
  struct stor_compact_stats st = {0};
  struct stor_encoder e;
  size_t cap = stor_block_bytes_max(N, 1, 64);
  uint8_t *out = malloc(cap);
  char path[128];
  long len;
  int fd;

  for (uint32_t i = 0; i < N; i++) {
    ts[i] = T0 + (int64_t)i * 10;
    val[i] = i * 0.5;
  }
  cr_assert_eq(stor_encoder_init(&e, N), 0);
  cr_assert_gt(len = stor_block_encode(&e, &in, out, cap), 0);
  seg_append_bytes(0, 1, out, (size_t)len);
  stor_encoder_free(&e);
  free(out);
  snprintf(path, sizeof(path), "%s/shard-0", seg_dir);
  cr_assert_geq(fd = open(path, O_RDONLY | O_DIRECTORY), 0);
  cr_assert_eq(stor_compact_dir(fd, path, 0, &st, NULL), 0);
  close(fd);
  cr_assert_gt(st.passes, 0);
}

struct got {
  int mode;           /* 0: decline, 1: give room, 2: fail */
  int64_t room_ts[N];
  double room_v[N];
  uint32_t rooms, calls, in_room, n;
  int64_t ts[N];
  double v[N];
};

static int want_all(void *ctx, const struct stor_dict_entry *e,
                    uint32_t *h) {
  (void)ctx, (void)e;
  *h = 0;
  return 1;
}

static int room(void *ctx, uint32_t h, uint32_t n, int64_t **ts, double **v) {
  struct got *g = ctx;

  (void)h;
  g->rooms++;
  if (g->mode == 2)
    return -EIO;
  if (g->mode == 0)
    return 1;
  cr_assert_leq(n, N);
  *ts = g->room_ts;
  *v = g->room_v;
  return 0;
}

static int take(void *ctx, uint32_t h, const int64_t *ts, const double *v,
                uint32_t n) {
  struct got *g = ctx;
  uintptr_t at = (uintptr_t)ts, r0 = (uintptr_t)g->room_ts;

  (void)h;
  cr_assert_leq(g->n + n, N);
  g->calls++;
  if (at >= r0 && at + n * sizeof(*ts) <= r0 + sizeof(g->room_ts))
    g->in_room += v == g->room_v + (ts - g->room_ts);
  memcpy(g->ts + g->n, ts, n * sizeof(*ts));
  memcpy(g->v + g->n, v, n * sizeof(*v));
  g->n += n;
  return 0;
}

static int scan(struct got *g, int mode, int64_t start) {
  struct stor_scan_stats st = {0};
  struct stor_scan q = {.data_dir = seg_dir, .start_ms = start,
                        .end_ms = INT64_MAX, .series = want_all,
                        .points = take, .room = room, .ctx = g};

  memset(g, 0, sizeof(*g));
  g->mode = mode;
  return stor_scan_run(&q, &st);
}

Test(scan_room, same_points_in_the_room_or_not) {
  static struct got a, b;
  static const int64_t starts[] = {INT64_MIN, T0, T0 + 5, T0 + 12340,
                                   T0 + (N - 1) * 10};

  seg_dir_make();
  write_compacted();
  for (size_t s = 0; s < sizeof(starts) / sizeof(starts[0]); s++) {
    uint32_t skip = starts[s] <= T0 ? 0 : (uint32_t)((starts[s] - T0 + 9) / 10);
    cr_assert_eq(scan(&a, 0, starts[s]), 0);
    cr_assert_eq(scan(&b, 1, starts[s]), 0);
    cr_assert_gt(b.rooms, 0);
    cr_assert_eq(a.in_room, 0);
    cr_assert_gt(b.calls, 0);
    cr_assert_eq(b.in_room, b.calls, "every run served from its room");
    cr_assert_eq(a.n, N - skip);
    cr_assert_eq(b.n, a.n);
    cr_assert(memcmp(a.ts, b.ts, a.n * sizeof(*a.ts)) == 0);
    cr_assert(memcmp(a.v, b.v, a.n * sizeof(*a.v)) == 0);
    cr_assert_eq(a.ts[0], T0 + (int64_t)skip * 10);
  }
  cr_assert_eq(scan(&a, 2, INT64_MIN), -EIO);
  cr_assert_eq(a.n, 0);
  seg_dir_remove();
}
