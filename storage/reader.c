/*
 * storage/reader.c - reading segments for queries and inspection (see
 * storage/reader.h).
 *
 * Memory is bounded: one block buffer (grown up to the largest block a
 * writer writes), one decode area (grown up to STOR_BLOCK_POINTS_MAX
 * points) and, per segment, a map from the ids of wanted series to the
 * caller's handles (only wanted ids are kept, so the caller's own series
 * bound bounds it). A log scan holds one log decoder instead
 * (STOR_LOGBLOCK_TEXT_BYTES_MAX bytes of inflated stream), allocated once.
 */
#include "storage/reader.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "core/base/assert.h"
#include "core/base/limits.h"
#include "storage/block.h"
#include "storage/logblock.h"
#include "storage/recover.h"

/* ---- one segment --------------------------------------------------------- */

int stor_seg_open(struct stor_seg_reader *r, int dir_fd, const char *name) {
  struct stat st;

  memset(r, 0, sizeof(*r));
  r->fd = openat(dir_fd, name, O_RDONLY | O_CLOEXEC);
  if (r->fd < 0)
    return -errno;
  if (fstat(r->fd, &st) < 0) {
    int rc = -errno;
    close(r->fd);
    r->fd = -1;
    return rc;
  }
  r->size = (uint64_t)st.st_size;
  r->cap_max = stor_block_buf_bytes();
  return 0;
}

void stor_seg_close(struct stor_seg_reader *r) {
  if (r->fd >= 0)
    close(r->fd);
  free(r->buf);
  memset(r, 0, sizeof(*r));
  r->fd = -1;
}

/* pread exactly n bytes at off. Returns 0, -EIO on a short read, -errno. */
static int pread_all(int fd, void *buf, size_t n, uint64_t off) {
  size_t got = 0;

  while (got < n) {
    ssize_t k = pread(fd, (char *)buf + got, n - got, (off_t)(off + got));
    if (k < 0 && errno == EINTR)
      continue;
    if (k < 0)
      return -errno;
    if (k == 0)
      return -EIO;
    got += (size_t)k;
  }
  return 0;
}

static int reserve(struct stor_seg_reader *r, size_t n) {
  uint8_t *p;

  if (n <= r->cap)
    return 0;
  p = realloc(r->buf, n);
  if (p == NULL)
    return -ENOMEM;
  r->buf = p;
  r->cap = n;
  return 0;
}

/* The end of a segment: nothing after b is read. */
static int stop(struct stor_seg_reader *r, struct stor_seg_block *b,
                enum stor_blk_status why) {
  b->status = why;
  r->done = true;
  return 1;
}

/* The header rules of b's kind (the frame is already checked). */
static int kind_hdr_read(const uint8_t *h, struct stor_seg_block *b) {
  if (b->kind == STOR_KIND_METRICS)
    return stor_block_hdr_read(h, STOR_BLOCK_HEADER_BYTES, &b->hdr);
  return stor_logblock_hdr_read(h, STOR_BLOCK_HEADER_BYTES, &b->lhdr);
}

int stor_seg_next(struct stor_seg_reader *r, struct stor_seg_block *b) {
  uint8_t h[STOR_BLOCK_HEADER_BYTES];
  uint64_t left = r->size - r->off;
  int rc;

  if (r->done || left == 0)
    return 0;
  b->kind = 0;
  memset(&b->frame, 0, sizeof(b->frame));
  memset(&b->hdr, 0, sizeof(b->hdr));
  memset(&b->lhdr, 0, sizeof(b->lhdr));
  b->offset = r->off;
  b->bytes = left;
  if (left < STOR_BLOCK_HEADER_BYTES)
    return stop(r, b, STOR_BLK_TRUNCATED);
  if ((rc = pread_all(r->fd, h, sizeof(h), r->off)) < 0)
    return rc;
  if (stor_frame_read(h, sizeof(h), &b->frame) < 0)
    return stop(r, b, STOR_BLK_BAD_HEADER);
  b->kind = b->frame.kind;
  if (kind_hdr_read(h, b) < 0)
    return stop(r, b, STOR_BLK_BAD_HEADER);
  b->bytes = stor_frame_total_bytes(&b->frame);
  if (b->bytes > r->cap_max)
    return stop(r, b, STOR_BLK_TOO_BIG);
  if (b->bytes > left)
    return stop(r, b, STOR_BLK_TRUNCATED);
  b->status = STOR_BLK_OK;
  r->off += b->bytes;
  return 1;
}

/* The whole block b into r->buf. */
static int read_block(struct stor_seg_reader *r, const struct stor_seg_block *b,
                      uint8_t kind) {
  int rc;

  ASSERT(b->status == STOR_BLK_OK && b->kind == kind &&
         b->bytes <= r->cap_max);
  if ((rc = reserve(r, b->bytes)) < 0)
    return rc;
  return pread_all(r->fd, r->buf, b->bytes, b->offset);
}

int stor_seg_load(struct stor_seg_reader *r, struct stor_seg_block *b) {
  int rc = read_block(r, b, STOR_KIND_METRICS);

  if (rc < 0)
    return rc;
  if (stor_block_reader_init(&b->rd, r->buf, b->bytes) < 0) {
    stop(r, b, STOR_BLK_BAD_CRC);
    return -EBADMSG;
  }
  return 0;
}

int stor_seg_load_log(struct stor_seg_reader *r, struct stor_seg_block *b,
                      struct stor_logdec *dec) {
  int rc = read_block(r, b, STOR_KIND_LOGS);

  if (rc < 0)
    return rc;
  if (stor_logblock_reader_init(&b->lrd, dec, r->buf, b->bytes) < 0) {
    /* Only on failure: tell a damaged block from a bad stream. */
    stop(r, b, stor_block_crc(r->buf, b->bytes) != b->frame.crc
                   ? STOR_BLK_BAD_CRC : STOR_BLK_BAD_DATA);
    return -EBADMSG;
  }
  return 0;
}

/* ---- directories --------------------------------------------------------- */

/* K of a "shard-<K>" name (decimal, no sign, below CORE_SHARDS_MAX); -1. */
static int shard_of(const char *name) {
  long k = 0;

  if (strncmp(name, "shard-", 6) != 0 || name[6] == '\0')
    return -1;
  for (const char *p = name + 6; *p; p++) {
    if (*p < '0' || *p > '9' || k >= CORE_SHARDS_MAX)
      return -1;
    k = k * 10 + (*p - '0');
  }
  return k < CORE_SHARDS_MAX ? (int)k : -1;
}

int stor_shard_ids(const char *data_dir, unsigned *ids) {
  unsigned char seen[CORE_SHARDS_MAX] = {0};
  struct dirent *de;
  DIR *d = opendir(data_dir);
  int n = 0;

  if (d == NULL)
    return -errno;
  while ((de = readdir(d)) != NULL) {
    int k = shard_of(de->d_name);
    if (k >= 0)
      seen[k] = 1;
  }
  closedir(d);
  for (unsigned k = 0; k < CORE_SHARDS_MAX; k++)
    if (seen[k])
      ids[n++] = k;
  return n;
}

static int cmp_u64(const void *a, const void *b) {
  uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

  return (x > y) - (x < y);
}

long stor_segment_seqs(const char *path, uint64_t **seqs) {
  struct dirent *de;
  DIR *d = opendir(path);
  uint64_t *v = NULL, seq;
  size_t n = 0, cap = 0;

  *seqs = NULL;
  if (d == NULL)
    return -errno;
  while ((de = readdir(d)) != NULL) {
    if (!stor_segment_seq(de->d_name, &seq))
      continue;
    if (n == STOR_SEGMENTS_MAX) {
      free(v);
      closedir(d);
      return -E2BIG;
    }
    if (n == cap) {
      uint64_t *p = realloc(v, (cap = cap ? cap * 2 : 64) * sizeof(*v));
      if (p == NULL) {
        free(v);
        closedir(d);
        return -ENOMEM;
      }
      v = p;
    }
    v[n++] = seq;
  }
  closedir(d);
  if (n > 1)
    qsort(v, n, sizeof(*v), cmp_u64);
  *seqs = v;
  return (long)n;
}

/* ---- scan ---------------------------------------------------------------- */

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

static int past_deadline(int64_t deadline_ms) {
  struct timespec t;

  if (deadline_ms == 0)
    return 0;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return (int64_t)t.tv_sec * 1000 + t.tv_nsec / 1000000 > deadline_ms;
}

/* A block failed a check after its header: the segment ends there. */
static int seg_bad(struct stor_scan_stats *st, struct stor_seg_reader *seg) {
  st->blocks_bad++;
  seg->done = true;
  return 0;
}

static int bad_block(struct scan_state *s) {
  return seg_bad(s->st, &s->seg);
}

/* Counts a block that ends its segment (stor_seg_next said so). */
static void count_stop(struct stor_scan_stats *st,
                       const struct stor_seg_block *b) {
  if (b->status == STOR_BLK_TRUNCATED)
    st->blocks_partial++;
  else
    st->blocks_bad++;
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

static int scan_segment(void *arg, unsigned shard, int dir_fd,
                        uint64_t seq) {
  struct scan_state *s = arg;
  struct stor_seg_block b;
  char name[32];
  int rc;

  (void)shard;
  stor_segment_name(seq, name, sizeof(name));
  if ((rc = stor_seg_open(&s->seg, dir_fd, name)) < 0)
    return rc == -ENOENT ? 0 : rc;  /* retention removed it meanwhile */
  s->st->segments++;
  map_reset(s);
  rc = s->q->points ? 1 : segment_overlaps(s);
  while (rc > 0 && (rc = stor_seg_next(&s->seg, &b)) == 1) {
    if (past_deadline(s->q->deadline_ms)) {
      rc = -ETIME;
      break;
    }
    if (b.status != STOR_BLK_OK)
      count_stop(s->st, &b);
    else if (b.kind == STOR_KIND_METRICS)
      rc = s->q->points ? points_block(s, &b) : series_block(s, &b);
    rc = rc < 0 ? rc : 1;
  }
  stor_seg_close(&s->seg);
  return rc;
}

/*
 * Walking a data directory: segment fn is called for every segment of
 * every shard in order; a non-zero return ends the walk with it.
 */
typedef int (*segment_fn)(void *arg, unsigned shard, int dir_fd,
                          uint64_t seq);

struct walk {
  const char *data_dir;
  int64_t deadline_ms;
  struct stor_scan_stats *st;
  segment_fn fn;
  void *arg;
  int reverse;               /* segments by descending seq */
};

static int walk_shard(const struct walk *w, unsigned shard) {
  char path[4096 + 32];
  uint64_t *seqs;
  long n;
  int dir_fd, rc = 0;

  snprintf(path, sizeof(path), "%s/shard-%u", w->data_dir, shard);
  if ((n = stor_segment_seqs(path, &seqs)) < 0)
    return n == -ENOENT ? 0 : (int)n;
  dir_fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dir_fd < 0) {
    free(seqs);
    return errno == ENOENT ? 0 : -errno;
  }
  w->st->shards++;
  for (long i = 0; i < n && rc == 0; i++) {
    uint64_t seq = seqs[w->reverse ? n - 1 - i : i];
    rc = past_deadline(w->deadline_ms) ? -ETIME
                                       : w->fn(w->arg, shard, dir_fd, seq);
  }
  close(dir_fd);
  free(seqs);
  return rc;
}

/* Returns 0 (a missing data_dir is empty) or the first non-zero return. */
static int walk_run(const struct walk *w) {
  unsigned ids[CORE_SHARDS_MAX];
  int n = stor_shard_ids(w->data_dir, ids), rc = 0;

  if (n < 0)
    return n == -ENOENT ? 0 : n;
  for (int i = 0; i < n && rc == 0; i++)
    rc = walk_shard(w, ids[i]);
  return rc;
}

int stor_scan_run(const struct stor_scan *q, struct stor_scan_stats *st) {
  struct scan_state s = {.q = q, .st = st};
  struct walk w = {.data_dir = q->data_dir, .deadline_ms = q->deadline_ms,
                   .st = st, .fn = scan_segment, .arg = &s};
  int rc;

  s.seg.fd = -1;
  rc = walk_run(&w);
  free(s.map);
  free(s.ts);
  free(s.val);
  free(s.runs);
  return rc;
}

/* ---- log scan ------------------------------------------------------------ */

struct logscan_state {
  const struct stor_logscan *q;
  struct stor_scan_stats *st;
  struct stor_seg_reader seg;
  struct stor_logdec dec;
  struct core_syslog_attr attrs[CORE_SYSLOG_SD_ATTRS_MAX];
  struct stor_logpos pos;    /* of the block being served */
  uint64_t *offs;            /* newest_first: log block offsets of a segment */
  size_t offs_n, offs_cap;
};

static int64_t floor_of(const struct stor_logscan *q) {
  return q->floor ? q->floor(q->ctx) : INT64_MIN;
}

/* Decode every record of the loaded block, serving none: 0 or -EBADMSG. */
static int check_records(struct logscan_state *s, struct stor_seg_block *b) {
  struct stor_log_rec r;
  int rc;

  while ((rc = stor_logblock_next(&b->lrd, &r, s->attrs,
                                  CORE_SYSLOG_SD_ATTRS_MAX)) == 1)
    ;
  return rc < 0 ? -EBADMSG : 0;
}

/* Hand the block's in-window records to q->fn: 0, 1 (stop) or fn's error. */
static int serve_records(struct logscan_state *s, unsigned shard,
                         struct stor_seg_block *b) {
  const struct stor_logscan *q = s->q;
  struct stor_log_rec r;
  int rc;

  s->pos.index = 0;
  for (; (rc = stor_logblock_next(&b->lrd, &r, s->attrs,
                                   CORE_SYSLOG_SD_ATTRS_MAX)) == 1;
       s->pos.index++) {
    if (r.time_ns < q->start_ns || r.time_ns > q->end_ns ||
        r.time_ns < floor_of(q))
      continue;
    s->st->records++;
    if (q->pos)
      *q->pos = s->pos;
    if ((rc = q->fn(q->ctx, shard, &r)) != 0)
      return rc < 0 ? rc : 1;
  }
  /* The same records just passed check_records: decoding is repeatable. */
  ASSERT(rc == 0);
  return 0;
}

static int log_block(struct logscan_state *s, unsigned shard,
                     struct stor_seg_block *b) {
  const struct stor_logscan *q = s->q;
  struct stor_logblock_reader first;
  int rc;

  if (b->lhdr.max_ns < q->start_ns || b->lhdr.min_ns > q->end_ns ||
      b->lhdr.max_ns < floor_of(q)) {
    s->st->blocks_skipped++;
    s->st->bytes_read += STOR_BLOCK_HEADER_BYTES;
    return 0;
  }
  s->pos.offset = b->offset;
  rc = stor_seg_load_log(&s->seg, b, &s->dec);
  if (rc == -EBADMSG)
    return seg_bad(s->st, &s->seg);
  if (rc < 0)
    return rc;
  s->st->bytes_read += b->bytes;
  /* A block is checked to its end before any record is served: the
   * reader's state right after opening is kept to read it again. */
  first = b->lrd;
  if (check_records(s, b) < 0)
    return seg_bad(s->st, &s->seg);
  b->lrd = first;
  s->st->blocks_read++;
  return serve_records(s, shard, b);
}

/* newest_first: the segment's good log block offsets, in file order. */
static int collect_offsets(struct logscan_state *s) {
  struct stor_seg_block b;
  int rc;

  s->offs_n = 0;
  while ((rc = stor_seg_next(&s->seg, &b)) == 1) {
    if (b.status != STOR_BLK_OK) {
      count_stop(s->st, &b);
      return 0; /* the blocks before it are read */
    }
    if (b.kind != STOR_KIND_LOGS)
      continue;
    if (s->offs_n == s->offs_cap) {
      size_t cap = s->offs_cap ? 2 * s->offs_cap : 256;
      uint64_t *p = realloc(s->offs, cap * sizeof(*p));
      if (p == NULL)
        return -ENOMEM;
      s->offs = p;
      s->offs_cap = cap;
    }
    s->offs[s->offs_n++] = b.offset;
  }
  return rc;
}

/* newest_first: the log blocks collected, last first. A block failing its
 * CRC or decode is counted (by log_block) and passed over. */
static int serve_backwards(struct logscan_state *s, unsigned shard) {
  struct stor_seg_block b;
  int rc = collect_offsets(s);

  for (size_t i = s->offs_n; i-- > 0 && rc == 0;) {
    if (past_deadline(s->q->deadline_ms))
      return -ETIME;
    s->seg.off = s->offs[i];
    s->seg.done = false;
    if ((rc = stor_seg_next(&s->seg, &b)) != 1)
      return rc < 0 ? rc : 0; /* the file shrank: retention or a cut */
    if (b.status == STOR_BLK_OK)
      rc = log_block(s, shard, &b);
  }
  return rc;
}

static int log_segment(void *arg, unsigned shard, int dir_fd, uint64_t seq) {
  struct logscan_state *s = arg;
  struct stor_seg_block b;
  char name[32];
  int rc;

  stor_segment_name(seq, name, sizeof(name));
  if ((rc = stor_seg_open(&s->seg, dir_fd, name)) < 0)
    return rc == -ENOENT ? 0 : rc;  /* retention removed it meanwhile */
  s->st->segments++;
  s->pos = (struct stor_logpos){.shard = shard, .segment = seq};
  if (s->q->newest_first) {
    rc = serve_backwards(s, shard);
    stor_seg_close(&s->seg);
    return rc;
  }
  while ((rc = stor_seg_next(&s->seg, &b)) == 1) {
    if (past_deadline(s->q->deadline_ms)) {
      rc = -ETIME;
      break;
    }
    if (b.status != STOR_BLK_OK)
      count_stop(s->st, &b);
    else if (b.kind == STOR_KIND_LOGS && (rc = log_block(s, shard, &b)) != 0)
      break;
  }
  stor_seg_close(&s->seg);
  return rc;
}

int stor_logscan_run(const struct stor_logscan *q, struct stor_scan_stats *st) {
  struct logscan_state *s = calloc(1, sizeof(*s));
  struct walk w = {.data_dir = q->data_dir, .deadline_ms = q->deadline_ms,
                   .st = st, .fn = log_segment, .arg = s,
                   .reverse = q->newest_first};
  int rc;

  if (s == NULL)
    return -ENOMEM;
  s->q = q;
  s->st = st;
  s->seg.fd = -1;
  rc = stor_logdec_init(&s->dec);
  if (rc == 0)
    rc = walk_run(&w);
  stor_logdec_free(&s->dec);
  free(s->offs);
  free(s);
  return rc > 0 ? 0 : rc;
}
