/*
 * storage/scan.c - the metric scan (see storage/scan.h): series and points
 * of a time range over every segment of a data directory, for the query
 * port. It reads segments through storage/reader.h and walks them with
 * storage/reader_internal.h; it holds only what decoding metric blocks
 * needs, apart from the log scan, which needs none of it.
 *
 * Memory is bounded: one block buffer (grown up to the largest block a
 * writer writes), one decode area (grown up to STOR_BLOCK_POINTS_MAX
 * points) and, per segment, a map from the ids of wanted series to the
 * caller's handles (only wanted ids are kept, so the caller's own series
 * bound bounds it).
 */
#include "storage/scan.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "storage/block.h"
#include "storage/compact.h"
#include "storage/reader.h"
#include "storage/reader_internal.h"
#include "storage/recover.h"

/* Wanted series of the segment being read: id -> the caller's handle. */
struct idslot {
  uint32_t id1;     /* id + 1; 0: empty */
  uint32_t handle;
};

struct scan_state {
  const struct stor_scan *q;
  struct stor_scan_stats *st;
  struct stor_seg_reader seg;
  struct idslot *map;
  uint32_t map_mask, map_count;
  int64_t *ts;              /* one block's points, decoded */
  double *val;
  struct stor_run *runs;
  uint32_t pts_cap, runs_cap;
};

static uint32_t slot_of(const struct scan_state *s, uint32_t id) {
  return (uint32_t)((id * UINT64_C(0x9E3779B97F4A7C15)) >> 32) & s->map_mask;
}

static void map_reset(struct scan_state *s) {
  if (s->map_count)
    memset(s->map, 0, ((size_t)s->map_mask + 1) * sizeof(*s->map));
  s->map_count = 0;
}

static int map_grow(struct scan_state *s) {
  uint32_t old_n = s->map ? s->map_mask + 1 : 0, n = old_n ? old_n * 2 : 1024;
  struct idslot *old = s->map;

  s->map = calloc(n, sizeof(*s->map));
  if (s->map == NULL) {
    s->map = old;
    return -ENOMEM;
  }
  s->map_mask = n - 1;
  for (uint32_t i = 0; i < old_n; i++) {
    uint32_t j = old[i].id1 ? slot_of(s, old[i].id1 - 1) : 0;
    while (old[i].id1 && s->map[j].id1)
      j = (j + 1) & s->map_mask;
    if (old[i].id1)
      s->map[j] = old[i];
  }
  free(old);
  return 0;
}

static int map_put(struct scan_state *s, uint32_t id, uint32_t handle) {
  uint32_t j;
  int rc;

  if (id == UINT32_MAX)
    return 0;   /* no writer makes such an id; its points are ignored */
  if ((s->map_count + 1) * 2 > (s->map ? s->map_mask + 1 : 0) &&
      (rc = map_grow(s)) < 0)
    return rc;
  for (j = slot_of(s, id); s->map[j].id1 && s->map[j].id1 != id + 1;)
    j = (j + 1) & s->map_mask;
  s->map_count += s->map[j].id1 == 0;
  s->map[j] = (struct idslot){id + 1, handle};
  return 0;
}

static int map_get(const struct scan_state *s, uint32_t id, uint32_t *handle) {
  if (s->map_count == 0)
    return 0;
  for (uint32_t j = slot_of(s, id); s->map[j].id1; j = (j + 1) & s->map_mask)
    if (s->map[j].id1 == id + 1) {
      *handle = s->map[j].handle;
      return 1;
    }
  return 0;
}

/* A block failed a check after its header: the segment ends there. */
static int bad_block(struct scan_state *s) {
  return stor_seg_bad(s->st, &s->seg);
}

/* Hand the block's dictionary to q->series; keep the wanted ids. */
static int read_dict(struct scan_state *s, struct stor_seg_block *b) {
  struct stor_dict_entry e;
  int rc;

  while ((rc = stor_block_next_dict(&b->rd, &e)) == 1) {
    uint32_t handle = 0;
    rc = s->q->series(s->q->ctx, &e, &handle);
    if (rc < 0)
      return rc;
    if (rc == 1 && s->q->points && (rc = map_put(s, e.id, handle)) < 0)
      return rc;
  }
  return rc;
}

static int reserve_points(struct scan_state *s, uint32_t points) {
  if (points > s->pts_cap) {
    int64_t *ts = realloc(s->ts, (size_t)points * sizeof(*ts));
    double *val = ts ? realloc(s->val, (size_t)points * sizeof(*val)) : NULL;
    struct stor_run *runs =
        val ? realloc(s->runs, (size_t)points * sizeof(*runs)) : NULL;
    s->ts = ts ? ts : s->ts;
    s->val = val ? val : s->val;
    s->runs = runs ? runs : s->runs;
    if (runs == NULL)
      return -ENOMEM;
    s->pts_cap = s->runs_cap = points;
  }
  return 0;
}

/* Decode every run of the block before serving any (a bad one spoils all). */
static int decode_runs(struct scan_state *s, struct stor_seg_block *b,
                       uint32_t *nruns) {
  uint32_t at = 0, n = 0;
  int rc;

  if ((rc = reserve_points(s, b->hdr.point_count)) < 0)
    return rc;
  for (;;) {
    struct stor_run extra;
    /* With runs_cap runs read (one point each), one more call must
     * report the end: with no room left, a further run is -ENOSPC. */
    struct stor_run *run = n < s->runs_cap ? &s->runs[n] : &extra;
    rc = stor_block_next_run(&b->rd, run, s->ts + at, s->val + at,
                             s->pts_cap - at);
    if (rc != 1)
      break;
    if (run == &extra) {
      rc = -EBADMSG; /* more runs than points */
      break;
    }
    at += s->runs[n++].count;
  }
  if (rc == -ENOSPC)
    rc = -EBADMSG;
  *nruns = n;
  return rc;
}

/* First index in ts[0..n) (ascending) with ts >= t. */
static uint32_t lower_bound(const int64_t *ts, uint32_t n, int64_t t) {
  uint32_t lo = 0, hi = n;

  while (lo < hi) {
    uint32_t mid = lo + (hi - lo) / 2;
    if (ts[mid] < t)
      lo = mid + 1;
    else
      hi = mid;
  }
  return lo;
}

/* Serve the in-range points of the wanted runs of a decoded block. */
static int serve(struct scan_state *s, uint32_t nruns) {
  const struct stor_scan *q = s->q;
  uint32_t at = 0;

  for (uint32_t i = 0; i < nruns; at += s->runs[i++].count) {
    uint32_t handle, n = s->runs[i].count, lo, hi;
    if (!map_get(s, s->runs[i].series_id, &handle))
      continue;
    lo = lower_bound(s->ts + at, n, q->start_ms);
    hi = q->end_ms == INT64_MAX ? n : lower_bound(s->ts + at, n, q->end_ms + 1);
    if (lo >= hi)
      continue;
    int rc = q->points(q->ctx, handle, s->ts + at + lo, s->val + at + lo,
                       hi - lo);
    if (rc < 0)
      return rc;
    s->st->points += hi - lo;
  }
  return 0;
}

static int overlaps(const struct stor_scan *q, const struct stor_block_hdr *h) {
  return h->max_ts_ms >= q->start_ms && h->min_ts_ms <= q->end_ms;
}

/* One block of a points scan. */
static int points_block(struct scan_state *s, struct stor_seg_block *b) {
  int in = overlaps(s->q, &b->hdr);
  uint32_t nruns;
  int rc;

  if (!in && b->hdr.dict_count == 0) {
    s->st->blocks_skipped++;
    s->st->bytes_read += STOR_BLOCK_HEADER_BYTES;
    return 0;
  }
  rc = stor_seg_load(&s->seg, b);
  if (rc == -EBADMSG)
    return bad_block(s);
  if (rc < 0)
    return rc;
  s->st->bytes_read += b->bytes;
  if ((rc = read_dict(s, b)) == -EBADMSG)
    return bad_block(s);
  if (rc < 0)
    return rc;
  if (!in) {
    s->st->blocks_skipped++;
    return 0;
  }
  if ((rc = decode_runs(s, b, &nruns)) == -EBADMSG)
    return bad_block(s);
  if (rc < 0)
    return rc;
  s->st->blocks_read++;
  return serve(s, nruns);
}

/* Series only: 1 when a good-looking block of the segment overlaps. */
static int segment_overlaps(struct scan_state *s) {
  struct stor_seg_block b;
  int rc, hit = 0;

  while (!hit && (rc = stor_seg_next(&s->seg, &b)) == 1)
    hit = b.status == STOR_BLK_OK && b.kind == STOR_KIND_METRICS &&
          overlaps(s->q, &b.hdr);
  s->seg.off = 0;
  s->seg.done = false;
  return hit ? 1 : rc;
}

/* One block of a series-only scan: its dictionary. */
static int series_block(struct scan_state *s, struct stor_seg_block *b) {
  int rc;

  if (b->hdr.dict_count == 0) {
    s->st->blocks_skipped++;
    return 0;
  }
  if ((rc = stor_seg_load(&s->seg, b)) == -EBADMSG)
    return bad_block(s);
  if (rc < 0)
    return rc;
  s->st->bytes_read += b->bytes;
  s->st->blocks_read++;
  rc = read_dict(s, b);
  return rc == -EBADMSG ? bad_block(s) : rc;
}

/* Serve the in-range points of index entry r of a compacted segment. */
static int compacted_run(struct scan_state *s, struct stor_cseg *c,
                         uint32_t r, uint32_t handle) {
  const struct stor_scan *q = s->q;
  uint32_t n = c->run[r].count, lo, hi;
  int64_t *ts = NULL;
  double *val = NULL;
  int rc = q->room ? q->room(q->ctx, handle, n, &ts, &val) : 1;

  if (rc == 1 && (rc = reserve_points(s, n)) == 0) { /* declined */
    ts = s->ts;
    val = s->val;
  }
  if (rc < 0 || (rc = stor_cseg_read_run(c, r, ts, val)) < 0)
    return rc;
  lo = lower_bound(ts, n, q->start_ms);
  hi = q->end_ms == INT64_MAX ? n : lower_bound(ts, n, q->end_ms + 1);
  if (lo >= hi)
    return 0;
  if ((rc = q->points(q->ctx, handle, ts + lo, val + lo, hi - lo)) < 0)
    return rc;
  s->st->points += hi - lo;
  return 0;
}

static int run_overlaps(const struct stor_scan *q,
                        const struct stor_cseg_run *r) {
  return r->max_ts >= q->start_ms && r->min_ts <= q->end_ms;
}

/* Points of the runs [r, r1) of c that overlap q's range. */
static uint64_t run_points(const struct stor_scan *q, const struct stor_cseg *c,
                           uint32_t r, uint32_t r1) {
  uint64_t n = 0;

  for (; r < r1; r++)
    n += run_overlaps(q, &c->run[r]) ? c->run[r].count : 0;
  return n;
}

/* key of series i of c compared with p[0, n): <0, 0 (p is a prefix of
 * the key, or equal) or >0. */
static int key_vs(const struct stor_cseg *c, uint32_t i, const char *p,
                  size_t n) {
  size_t len = c->key_off[i + 1] - c->key_off[i];
  int d = memcmp(c->keys + c->key_off[i], p, len < n ? len : n);

  return d != 0 ? d : len < n ? -1 : 0;
}

/* Series [*s0, *s1) of c that may be of metric q->name: keys are in
 * ascending byte order, so they are one range, found by binary search. */
static void name_range(const struct stor_scan *q, const struct stor_cseg *c,
                       uint32_t *s0, uint32_t *s1) {
  uint32_t lo = 0, hi = c->series;

  *s0 = 0;
  *s1 = c->series;
  if (q->name == NULL || q->name_len == 0)
    return;
  while (lo < hi) {
    uint32_t mid = lo + (hi - lo) / 2;
    if (key_vs(c, mid, q->name, q->name_len) < 0)
      lo = mid + 1;
    else
      hi = mid;
  }
  *s0 = lo;
  while (lo < c->series && key_vs(c, lo, q->name, q->name_len) == 0 &&
         (c->key_off[lo + 1] - c->key_off[lo] == q->name_len ||
          c->keys[c->key_off[lo] + q->name_len] == '\0'))
    lo++;
  *s1 = lo;
}

/*
 * A compacted segment: the series with a run in the range go to
 * q->series; only the data blocks of wanted runs are read. A run that
 * fails a check ends the segment, as a bad block does.
 */
static int scan_compacted(struct scan_state *s, struct stor_cseg *c) {
  const struct stor_scan *q = s->q;
  uint32_t s0, s1;
  int rc = 0;

  name_range(q, c, &s0, &s1);
  for (uint32_t ser = s0; ser < s1 && rc >= 0; ser++) {
    uint32_t r0 = c->first_run[ser], r1 = c->first_run[ser + 1], r, handle = 0;
    struct stor_dict_entry e;
    for (r = r0; r < r1 && !run_overlaps(q, &c->run[r]); r++)
      ;
    if (r == r1)
      continue;
    if (stor_deadline_passed(q->deadline_ms))
      return -ETIME;
    stor_cseg_key(c, ser, &e);
    if ((rc = q->series(q->ctx, &e, &handle)) != 1 || q->points == NULL)
      continue;
    if (q->expect &&
        (rc = q->expect(q->ctx, handle, run_points(q, c, r, r1))) < 0)
      break;
    for (rc = 0; r < r1 && rc == 0; r++)
      if (run_overlaps(q, &c->run[r]))
        rc = compacted_run(s, c, r, handle);
  }
  s->st->blocks_read += c->blocks_loaded;
  s->st->blocks_skipped += c->blocks - c->blocks_loaded;
  s->st->bytes_read += c->bytes_read;
  if (rc == -EBADMSG) {
    s->st->blocks_bad++;
    rc = 0;
  }
  return rc < 0 ? rc : 0;
}

/* One segment of the walk (a stor_walk_fn). */
static int scan_segment(void *arg, unsigned shard, int dir_fd,
                        uint64_t seq) {
  struct scan_state *s = arg;
  struct stor_cseg c;
  struct stor_seg_block b;
  char name[32];
  int rc;

  (void)shard;
  stor_segment_name(seq, name, sizeof(name));
  if ((rc = stor_cseg_open(&c, dir_fd, name)) != 0) {
    s->st->segments += rc > 0;
    s->st->blocks_bad += rc == -EBADMSG;
    if (rc > 0)
      rc = scan_compacted(s, &c);
    stor_cseg_close(&c);
    return rc == -EBADMSG || rc == -ENOENT ? 0 : rc;
  }
  if ((rc = stor_seg_open(&s->seg, dir_fd, name)) < 0)
    return rc == -ENOENT ? 0 : rc;  /* retention removed it meanwhile */
  s->st->segments++;
  map_reset(s);
  rc = s->q->points ? 1 : segment_overlaps(s);
  while (rc > 0 && (rc = stor_seg_next(&s->seg, &b)) == 1) {
    if (stor_deadline_passed(s->q->deadline_ms)) {
      rc = -ETIME;
      break;
    }
    if (b.status != STOR_BLK_OK)
      stor_count_stop(s->st, &b);
    else if (b.kind == STOR_KIND_METRICS)
      rc = s->q->points ? points_block(s, &b) : series_block(s, &b);
    rc = rc < 0 ? rc : 1;
  }
  stor_seg_close(&s->seg);
  return rc;
}

int stor_scan_run(const struct stor_scan *q, struct stor_scan_stats *st) {
  struct scan_state s = {.q = q, .st = st};
  struct stor_walk w = {.data_dir = q->data_dir,
                        .deadline_ms = q->deadline_ms,
                        .st = st, .fn = scan_segment, .arg = &s};
  int rc;

  s.seg.fd = -1;
  rc = stor_walk_run(&w);
  free(s.map);
  free(s.ts);
  free(s.val);
  free(s.runs);
  return rc;
}
