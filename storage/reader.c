/*
 * storage/reader.c - reading segment files (see storage/reader.h): open a
 * segment, step through its block headers, load and check a block; list
 * a data directory's shards and segments, and walk them in order for the
 * scans (storage/scan.c, storage/logscan.c, via storage/reader_internal.h).
 *
 * Memory is bounded: one block buffer per open segment, grown up to the
 * largest block a writer writes.
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
#include "storage/compact.h"
#include "storage/logblock.h"
#include "storage/spanblock.h"
#include "storage/reader_internal.h"
#include "storage/recover.h"

/* ---- one segment --------------------------------------------------------- */

int stor_seg_open(struct stor_seg_reader *r, int dir_fd, const char *name) {
  struct stat st;

  memset(r, 0, sizeof(*r));
  r->fd = stor_snap_openat(dir_fd, name); /* a walk's snapshot, or openat */
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
  struct stor_chdr ch;

  if (b->kind == STOR_KIND_METRICS)
    return stor_block_hdr_read(h, STOR_BLOCK_HEADER_BYTES, &b->hdr);
  if (b->kind == STOR_KIND_SPANS)
    return stor_spanblock_hdr_read(h, STOR_BLOCK_HEADER_BYTES, &b->shdr);
  if (b->kind == STOR_KIND_SERIES) /* read through storage/compact.h */
    return stor_chdr_read(h, STOR_BLOCK_HEADER_BYTES, &ch);
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
  memset(&b->shdr, 0, sizeof(b->shdr));
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

int stor_seg_load_spans(struct stor_seg_reader *r, struct stor_seg_block *b,
                        struct stor_spandec *dec) {
  int rc = read_block(r, b, STOR_KIND_SPANS);

  if (rc < 0)
    return rc;
  if (stor_spanblock_reader_init(&b->srd, dec, r->buf, b->bytes) < 0) {
    stop(r, b, stor_block_crc(r->buf, b->bytes) != b->frame.crc
                   ? STOR_BLK_BAD_CRC : STOR_BLK_BAD_DATA);
    return -EBADMSG;
  }
  return 0;
}

int stor_seg_read_part(struct stor_seg_reader *r,
                       const struct stor_seg_block *b, size_t n) {
  int rc;

  ASSERT(b->status == STOR_BLK_OK && n <= b->bytes && b->bytes <= r->cap_max);
  if ((rc = reserve(r, n)) < 0)
    return rc;
  return pread_all(r->fd, r->buf, n, b->offset);
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

/* ---- for the scans (storage/reader_internal.h) --------------------------- */

int stor_deadline_passed(int64_t deadline_ms) {
  struct timespec t;

  if (deadline_ms == 0)
    return 0;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return (int64_t)t.tv_sec * 1000 + t.tv_nsec / 1000000 > deadline_ms;
}

int stor_seg_bad(struct stor_scan_stats *st, struct stor_seg_reader *seg) {
  st->blocks_bad++;
  seg->done = true;
  return 0;
}

void stor_count_stop(struct stor_scan_stats *st,
                     const struct stor_seg_block *b) {
  if (b->status == STOR_BLK_TRUNCATED)
    st->blocks_partial++;
  else
    st->blocks_bad++;
}

int stor_seg_each(struct stor_seg_reader *seg, unsigned shard, uint8_t kind,
                  int64_t deadline_ms, struct stor_scan_stats *st,
                  stor_block_fn fn, void *arg) {
  struct stor_seg_block b;
  int rc;

  while ((rc = stor_seg_next(seg, &b)) == 1) {
    if (stor_deadline_passed(deadline_ms))
      return -ETIME;
    if (b.status != STOR_BLK_OK)
      stor_count_stop(st, &b);
    else if (b.kind == kind && (rc = fn(arg, shard, &b)) != 0)
      return rc;
  }
  return rc;
}

/* The segment's good block offsets of kind, in file order. */
static int collect_offsets(struct stor_seg_reader *seg, uint8_t kind,
                           struct stor_scan_stats *st, struct stor_offsets *o) {
  struct stor_seg_block b;
  int rc;

  o->n = 0;
  while ((rc = stor_seg_next(seg, &b)) == 1) {
    if (b.status != STOR_BLK_OK) {
      stor_count_stop(st, &b);
      return 0; /* the blocks before it are read */
    }
    if (b.kind != kind)
      continue;
    if (o->n == o->cap) {
      size_t cap = o->cap ? 2 * o->cap : 256;
      uint64_t *p = realloc(o->v, cap * sizeof(*p));
      if (p == NULL)
        return -ENOMEM;
      o->v = p;
      o->cap = cap;
    }
    o->v[o->n++] = b.offset;
  }
  return rc;
}

int stor_seg_each_backward(struct stor_seg_reader *seg, unsigned shard,
                           uint8_t kind, int64_t deadline_ms,
                           struct stor_scan_stats *st, struct stor_offsets *o,
                           stor_block_fn fn, void *arg) {
  struct stor_seg_block b;
  int rc = collect_offsets(seg, kind, st, o);

  for (size_t i = o->n; i-- > 0 && rc == 0;) {
    if (stor_deadline_passed(deadline_ms))
      return -ETIME;
    seg->off = o->v[i];
    seg->done = false;
    if ((rc = stor_seg_next(seg, &b)) != 1)
      return rc < 0 ? rc : 0; /* the file shrank: retention or a cut */
    if (b.status == STOR_BLK_OK)
      rc = fn(arg, shard, &b);
  }
  return rc;
}

/*
 * Every segment of one shard directory, in w's order, read through one
 * snapshot (storage/compact.h): a compaction swapping segments meanwhile
 * is seen whole or not at all, and the segments a compacted segment
 * replaces (a pass's originals not deleted yet) are never read.
 */
static int walk_shard(const struct stor_walk *w, unsigned shard) {
  char path[4096 + 32];
  struct stor_snap snap;
  int dir_fd, rc;

  snprintf(path, sizeof(path), "%s/shard-%u", w->data_dir, shard);
  dir_fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dir_fd < 0)
    return errno == ENOENT ? 0 : -errno;
  if ((rc = stor_snap_take(&snap, dir_fd, path)) < 0) {
    close(dir_fd);
    return rc == -ENOENT ? 0 : rc;
  }
  w->st->shards++;
  stor_snap_use(&snap);
  for (long i = 0; i < snap.n && rc == 0; i++) {
    long k = w->reverse ? snap.n - 1 - i : i;
    if (snap.skip[k])
      continue;
    rc = stor_deadline_passed(w->deadline_ms)
             ? -ETIME
             : w->fn(w->arg, shard, dir_fd, snap.seqs[k]);
  }
  stor_snap_use(NULL);
  stor_snap_free(&snap);
  close(dir_fd);
  return rc;
}

int stor_walk_run(const struct stor_walk *w) {
  unsigned ids[CORE_SHARDS_MAX];
  int n = stor_shard_ids(w->data_dir, ids), rc = 0;

  if (n < 0)
    return n == -ENOENT ? 0 : n;
  for (int i = 0; i < n && rc == 0; i++)
    rc = walk_shard(w, ids[i]);
  return rc;
}
