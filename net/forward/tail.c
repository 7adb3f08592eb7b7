/*
 * net/forward/tail.c - one target's reader of one shard's segments: from
 * its cursor, the durable metric blocks in order, point by point, across
 * segment files as the shard moves on (docs/forwarding.md, "Tailing").
 *
 * Only blocks with a sequence number at most the shard's durable one are
 * read: they are fsynced, so recovery after a power loss can never cut a
 * block that was forwarded, and the cursor never points past the data.
 * A shard moves to a new segment only after its older blocks are written;
 * the tailer moves on once the next segment holds a durable block.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "net/forward/forward_internal.h"
#include "storage/block.h"
#include "storage/logblock.h"
#include "storage/reader.h"
#include "storage/spanblock.h"
#include "storage/recover.h"

void net_fwd_tail_init(struct net_fwd_tail *t, unsigned shard, uint8_t kind,
                       const char *dir_path, int dir_fd, int cur_fd,
                       const uint64_t *durable_seq,
                       const struct net_fwd_cursor *saved) {
  memset(t, 0, sizeof(*t));
  t->shard = shard;
  t->kind = kind;
  snprintf(t->dir_path, sizeof(t->dir_path), "%s", dir_path);
  t->dir_fd = dir_fd;
  t->cur_fd = cur_fd;
  t->durable_seq = durable_seq;
  t->saved = t->pos = *saved;
  __atomic_store_n(&t->saved_segment, saved->segment, __ATOMIC_RELEASE);
  t->seg.fd = -1;
  snprintf(t->cursor_name, sizeof(t->cursor_name), "shard-%u.cursor", shard);
}

/* ---- the open segment's dictionary --------------------------------------- */

static uint32_t slot_of(const struct net_fwd_tail *t, uint32_t id) {
  return (uint32_t)((id * UINT64_C(0x9E3779B97F4A7C15)) >> 32) & t->dict_mask;
}

static void dict_reset(struct net_fwd_tail *t) {
  if (t->dict_count)
    memset(t->dict, 0, ((size_t)t->dict_mask + 1) * sizeof(*t->dict));
  t->dict_count = 0;
  t->keys_len = 0;
}

static int dict_grow(struct net_fwd_tail *t) {
  uint32_t old_n = t->dict ? t->dict_mask + 1 : 0, n = old_n ? old_n * 2 : 1024;
  struct net_fwd_dslot *old = t->dict, *nw = calloc(n, sizeof(*nw));

  if (nw == NULL)
    return -ENOMEM;
  t->dict = nw;
  t->dict_mask = n - 1;
  for (uint32_t i = 0; i < old_n; i++) {
    if (old[i].id1 == 0)
      continue;
    uint32_t j = slot_of(t, old[i].id1 - 1);
    while (nw[j].id1)
      j = (j + 1) & t->dict_mask;
    nw[j] = old[i];
  }
  free(old);
  return 0;
}

static int dict_put(struct net_fwd_tail *t, const struct stor_dict_entry *e) {
  uint32_t j;
  int rc;

  if (e->id == UINT32_MAX)
    return 0;
  if ((t->dict_count + 1) * 2 > (t->dict ? t->dict_mask + 1 : 0) &&
      (rc = dict_grow(t)) < 0)
    return rc;
  if (t->keys_len + e->key_len > t->keys_cap) {
    size_t cap = t->keys_cap ? t->keys_cap * 2 : 65536;
    while (cap < t->keys_len + e->key_len)
      cap *= 2;
    char *k = realloc(t->keys, cap);
    if (k == NULL)
      return -ENOMEM;
    t->keys = k;
    t->keys_cap = cap;
  }
  for (j = slot_of(t, e->id); t->dict[j].id1 && t->dict[j].id1 != e->id + 1;)
    j = (j + 1) & t->dict_mask;
  memcpy(t->keys + t->keys_len, e->key, e->key_len);
  t->dict_count += t->dict[j].id1 == 0;
  t->dict[j] = (struct net_fwd_dslot){e->id + 1, e->type,
                                      (uint32_t)t->keys_len, e->key_len};
  t->keys_len += e->key_len;
  return 0;
}

static int dict_get(const struct net_fwd_tail *t, uint32_t id,
                    struct stor_dict_entry *e) {
  if (t->dict_count == 0)
    return 0;
  for (uint32_t j = slot_of(t, id); t->dict[j].id1; j = (j + 1) & t->dict_mask)
    if (t->dict[j].id1 == id + 1) {
      *e = (struct stor_dict_entry){id, t->dict[j].type,
                                    t->keys + t->dict[j].key_off,
                                    t->dict[j].key_len};
      return 1;
    }
  return 0;
}

/* ---- blocks -------------------------------------------------------------- */

static int reserve(struct net_fwd_tail *t, uint32_t points) {
  if (points <= t->cap)
    return 0;
  int64_t *ts = realloc(t->ts, (size_t)points * sizeof(*ts));
  if (ts != NULL)
    t->ts = ts;
  double *val = ts ? realloc(t->val, (size_t)points * sizeof(*val)) : NULL;
  if (val != NULL)
    t->val = val;
  struct stor_run *runs =
      val ? realloc(t->runs, (size_t)points * sizeof(*runs)) : NULL;
  if (runs == NULL)
    return -ENOMEM;
  t->runs = runs;
  t->cap = points;
  return 0;
}

/* The loaded block's dictionary into the map. */
static int read_dict(struct net_fwd_tail *t, struct stor_seg_block *b) {
  struct stor_dict_entry e;
  int rc;

  while ((rc = stor_block_next_dict(&b->rd, &e)) == 1)
    if ((rc = dict_put(t, &e)) < 0)
      return rc;
  return rc;
}

/* Every run of the loaded block (after its dictionary). */
static int decode_runs(struct net_fwd_tail *t, struct stor_seg_block *b) {
  uint32_t at = 0, n = 0;
  int rc;

  if ((rc = reserve(t, b->hdr.point_count)) < 0)
    return rc;
  for (;;) {
    struct stor_run extra, *run = n < t->cap ? &t->runs[n] : &extra;
    rc = stor_block_next_run(&b->rd, run, t->ts + at, t->val + at,
                             t->cap - at);
    if (rc != 1)
      break;
    if (run == &extra)
      return -EBADMSG; /* more runs than points */
    at += t->runs[n++].count;
  }
  if (rc < 0)
    return rc == -ENOSPC ? -EBADMSG : rc;
  t->blk_nruns = n;
  t->blk_points = at;
  return 0;
}

static void seg_close(struct net_fwd_tail *t) {
  if (t->seg_open)
    stor_seg_close(&t->seg);
  t->seg.fd = -1;
  t->seg_open = 0;
  t->blk_loaded = 0;
  dict_reset(t);
}

/* The file grew since it was opened: read to its current end. */
static void seg_refresh(struct net_fwd_tail *t) {
  struct stat st;

  if (fstat(t->seg.fd, &st) == 0)
    t->seg.size = (uint64_t)st.st_size;
  t->seg.off = t->pos.offset;
  t->seg.done = false;
}

/*
 * Re-read the dictionaries of the blocks before pos.offset (a segment
 * opened in the middle). A cursor that does not fall on a block start is
 * moved to the next one.
 */
static int catch_up_dict(struct net_fwd_tail *t) {
  struct stor_seg_block b;
  int rc;

  t->seg.off = 0;
  while (t->seg.off < t->pos.offset &&
         (rc = stor_seg_next(&t->seg, &b)) == 1 && b.status == STOR_BLK_OK) {
    if (b.offset + b.bytes > t->pos.offset && b.offset != t->pos.offset) {
      fprintf(stderr, "sluice: forward: shard %u: the cursor's offset %llu "
              "is inside a block; going on at the next one\n", t->shard,
              (unsigned long long)t->pos.offset);
      t->pos.offset = b.offset + b.bytes;
      t->pos.points = 0;
    }
    if (b.kind != STOR_KIND_METRICS || b.hdr.dict_count == 0 ||
        t->kind != STOR_KIND_METRICS)
      continue;
    if ((rc = stor_seg_load(&t->seg, &b)) == 0)
      rc = read_dict(t, &b);
    if (rc == -ENOMEM || (rc < 0 && rc != -EBADMSG))
      return rc;
  }
  return 0;
}

/* The smallest segment seq after `after` in the shard's directory, or 0. */
static uint64_t next_segment(const struct net_fwd_tail *t, uint64_t after) {
  int fd = dup(t->dir_fd);
  DIR *d = fd >= 0 ? fdopendir(fd) : NULL;
  struct dirent *de;
  uint64_t best = 0, seq;

  if (d == NULL) {
    if (fd >= 0)
      close(fd);
    return 0;
  }
  rewinddir(d);
  while ((de = readdir(d)) != NULL)
    if (stor_segment_seq(de->d_name, &seq) && seq > after &&
        (best == 0 || seq < best))
      best = seq;
  closedir(d);
  return best;
}

static int open_at(struct net_fwd_tail *t, uint64_t seq) {
  char name[32];

  stor_segment_name(seq, name, sizeof(name));
  return stor_seg_open(&t->seg, t->dir_fd, name);
}

/*
 * Open pos.segment. A segment that is gone while a later one exists was
 * deleted by retention before it was sent: counted, and the tailer goes
 * on with the next. Returns 1 when open, 0 when there is nothing yet.
 */
static int seg_open(struct net_fwd_tail *t) {
  int rc = open_at(t, t->pos.segment);

  while (rc == -ENOENT) {
    uint64_t next = next_segment(t, t->pos.segment);
    if (next == 0)
      return 0;
    t->dropped_segments += next - t->pos.segment;
    t->pos = (struct net_fwd_cursor){next, 0, t->pos.block, 0};
    rc = open_at(t, next);
  }
  if (rc < 0)
    return rc;
  t->seg_open = 1;
  /* log blocks carry no dictionary, but a cursor inside a block moves on */
  if (t->pos.offset > 0 && (rc = catch_up_dict(t)) < 0)
    return rc;
  return 1;
}

/* The first block of segment seq is durable: the shard has left the older
 * segments, and what they hold is all written. */
static int segment_started(struct net_fwd_tail *t, uint64_t seq,
                           uint64_t durable) {
  struct stor_seg_reader r;
  struct stor_seg_block b;
  char name[32];
  int ok;

  stor_segment_name(seq, name, sizeof(name));
  if (stor_seg_open(&r, t->dir_fd, name) < 0)
    return 0;
  ok = stor_seg_next(&r, &b) == 1 && b.status == STOR_BLK_OK &&
       b.frame.seq <= durable;
  stor_seg_close(&r);
  return ok;
}

/* At the end of the open segment: move to the next once it has begun. */
static int maybe_advance(struct net_fwd_tail *t, uint64_t durable) {
  uint64_t next = next_segment(t, t->pos.segment);

  if (next == 0 || !segment_started(t, next, durable))
    return 0;
  seg_refresh(t);
  if (t->seg.size > t->pos.offset && !t->seg.done) {
    struct stor_seg_block b;
    if (stor_seg_next(&t->seg, &b) == 1 && b.status == STOR_BLK_OK)
      return 1; /* more blocks came in before the shard moved on */
  }
  seg_close(t);
  /* segment numbers follow each other: a gap is what retention deleted
   * while this one was being read (its open file still served it) */
  t->dropped_segments += next - t->pos.segment - 1;
  t->pos = (struct net_fwd_cursor){next, 0, t->pos.block, 0};
  return 1;
}

/* Step over the block at pos (a log block, or one that fails its CRC). */
static void skip_block(struct net_fwd_tail *t, const struct stor_seg_block *b) {
  t->pos.offset = b->offset + b->bytes;
  t->pos.block = b->frame.seq;
  t->pos.points = 0;
}

/* Every record of the log block b (a block that fails any check, even at
 * its last record, serves none). */
static int decode_log(struct net_fwd_tail *t, struct stor_seg_block *b) {
  uint32_t n = 0, na = 0;
  int rc;

  if (!t->ldec_on) {
    if ((rc = stor_logdec_init(&t->ldec)) < 0)
      return rc;
    t->ldec_on = 1;
  }
  if ((rc = stor_seg_load_log(&t->seg, b, &t->ldec)) < 0)
    return rc;
  for (;;) {
    if (n == t->recs_cap) {
      uint32_t cap = t->recs_cap ? t->recs_cap * 2 : 1024;
      struct stor_log_rec *r = realloc(t->recs, cap * sizeof(*r));
      if (r == NULL)
        return -ENOMEM;
      t->recs = r;
      t->recs_cap = cap;
    }
    if (t->attrs_cap - na < CORE_SYSLOG_SD_ATTRS_MAX) {
      uint32_t cap = t->attrs_cap ? t->attrs_cap * 2 : 4096;
      struct core_syslog_attr *a = realloc(t->attrs, cap * sizeof(*a));
      if (a == NULL)
        return -ENOMEM;
      t->attrs = a;
      t->attrs_cap = cap;
    }
    rc = stor_logblock_next(&b->lrd, &t->recs[n], t->attrs + na,
                            t->attrs_cap - na);
    if (rc != 1)
      break;
    /* attrs may move when the pool grows: keep offsets until the end */
    t->recs[n].attrs = (const void *)(uintptr_t)na;
    na += t->recs[n++].attr_count;
  }
  if (rc < 0)
    return rc == -ENOSPC ? -EBADMSG : rc;
  for (uint32_t i = 0; i < n; i++)
    t->recs[i].attrs = t->attrs + (uintptr_t)t->recs[i].attrs;
  t->blk_points = n;
  return 0;
}

/* Check the span block b whole (a block that fails any check, even at
 * its last span, serves none), then set the reader at its first span
 * not sent yet (pos.points). */
static int decode_spans(struct net_fwd_tail *t, struct stor_seg_block *b) {
  struct stor_spanblock_reader first;
  uint32_t n = 0;
  int rc;

  if (!t->sdec_on) {
    if ((rc = stor_spandec_init(&t->sdec)) < 0)
      return rc;
    t->sdec_on = 1;
  }
  if ((rc = stor_seg_load_spans(&t->seg, b, &t->sdec)) < 0)
    return rc;
  first = b->srd;
  while ((rc = stor_spanblock_next(&b->srd, &t->span)) == 1)
    n++;
  if (rc < 0)
    return -EBADMSG;
  t->srd = first; /* decoding is repeatable */
  for (uint64_t i = 0; i < t->pos.points && i < n; i++)
    stor_spanblock_next(&t->srd, &t->span);
  t->span_held = 0;
  t->blk_points = n;
  return 0;
}

/* Load the next durable metric block. 1 loaded, 0 none yet, or -errno. */
static int next_block(struct net_fwd_tail *t) {
  for (;;) {
    uint64_t durable = __atomic_load_n(t->durable_seq, __ATOMIC_ACQUIRE);
    struct stor_seg_block b;
    int rc;

    if (!t->seg_open && (rc = seg_open(t)) <= 0)
      return rc;
    seg_refresh(t);
    rc = stor_seg_next(&t->seg, &b);
    if (rc < 0)
      return rc;
    if (rc == 0 || b.status != STOR_BLK_OK) {
      /* the end, a block still being written, or damage: wait for the
       * shard to move on (what is past damage is never served) */
      if ((rc = maybe_advance(t, durable)) <= 0)
        return rc;
      continue;
    }
    if (b.frame.seq > durable)
      return 0;
    if (b.kind != t->kind ||
        (b.frame.seq <= t->pos.block && t->pos.points == 0)) {
      skip_block(t, &b); /* the other kind, or a block sent already */
      continue;
    }
    if (t->kind == STOR_KIND_LOGS) {
      rc = decode_log(t, &b);
    } else if (t->kind == STOR_KIND_SPANS) {
      rc = decode_spans(t, &b);
    } else {
      rc = stor_seg_load(&t->seg, &b);
      if (rc == 0 && (rc = read_dict(t, &b)) == 0)
        rc = decode_runs(t, &b);
    }
    if (rc == -EBADMSG) {
      fprintf(stderr, "sluice: forward: shard %u: block %llu of segment "
              "%llu fails its checks; stepped over\n", t->shard,
              (unsigned long long)b.frame.seq,
              (unsigned long long)t->pos.segment);
      skip_block(t, &b);
      continue;
    }
    if (rc < 0)
      return rc;
    t->blk_loaded = 1;
    t->blk_seq = b.frame.seq;
    t->blk_next_off = b.offset + b.bytes;
    return 1;
  }
}

/*
 * Hand the loaded block's points from pos.points on, up to budget, run by
 * run; pos.points follows each run handed. Stops early when fn says the
 * batch is full (returns 1). Returns the points handed, or fn's error.
 */
static long emit(struct net_fwd_tail *t, uint64_t budget, net_fwd_points_fn fn,
                 void *ctx) {
  uint64_t skip = t->pos.points, at = 0;
  long got = 0;

  for (uint32_t i = 0; i < t->blk_nruns && (uint64_t)got < budget;
       at += t->runs[i++].count) {
    struct stor_dict_entry e;
    uint64_t n = t->runs[i].count, from;
    int rc = 0;
    if (skip >= n) {
      skip -= n;
      continue;
    }
    from = skip;
    skip = 0;
    if (n - from > budget - (uint64_t)got)
      n = from + (budget - (uint64_t)got);
    if (dict_get(t, t->runs[i].series_id, &e))
      rc = fn(ctx, &e, t->ts + at + from, t->val + at + from,
              (uint32_t)(n - from));
    if (rc < 0)
      return rc;
    if (rc > 0)
      break; /* full: this run waits for the next batch */
    got += (long)(n - from);
    t->pos.points += n - from;
  }
  return got;
}

/* Hand the loaded log block's records from pos.points on, up to budget. */
static long emit_logs(struct net_fwd_tail *t, uint64_t budget,
                      net_fwd_record_fn rfn, void *ctx) {
  long got = 0;

  while ((uint64_t)got < budget && t->pos.points < t->blk_points) {
    int rc = rfn(ctx, &t->recs[t->pos.points]);
    if (rc < 0)
      return rc;
    if (rc > 0)
      break;
    got++;
    t->pos.points++;
  }
  return got;
}

/* Hand the loaded span block's spans from pos.points on, up to budget;
 * a span the batch has no room for is held for the next one. */
static long emit_spans(struct net_fwd_tail *t, uint64_t budget,
                       net_fwd_span_fn sfn, void *ctx) {
  long got = 0;

  while ((uint64_t)got < budget && t->pos.points < t->blk_points) {
    int rc;
    if (!t->span_held &&
        stor_spanblock_next(&t->srd, &t->span) != 1)
      return -EBADMSG; /* cannot happen: the block was checked whole */
    t->span_held = 1;
    if ((rc = sfn(ctx, &t->span, t->blk_seq)) < 0)
      return rc;
    if (rc > 0)
      break;
    t->span_held = 0;
    got++;
    t->pos.points++;
  }
  return got;
}

long net_fwd_tail_fill(struct net_fwd_tail *t, uint64_t budget,
                       const struct net_fwd_sink *sink) {
  long got = 0;

  while ((uint64_t)got < budget) {
    uint64_t room = budget - (uint64_t)got;
    long n;
    int rc;
    if (!t->blk_loaded && (rc = next_block(t)) <= 0)
      return rc < 0 ? rc : got;
    n = t->kind == STOR_KIND_LOGS
            ? emit_logs(t, room, sink->record, sink->ctx)
        : t->kind == STOR_KIND_SPANS
            ? emit_spans(t, room, sink->span, sink->ctx)
            : emit(t, room, sink->points, sink->ctx);
    if (n < 0)
      return n;
    got += n;
    if (t->pos.points < t->blk_points) {
      if ((uint64_t)got < budget)
        break; /* the batch is full */
      continue;
    }
    t->pos.offset = t->blk_next_off;
    t->pos.block = t->blk_seq;
    t->pos.points = 0;
    t->blk_loaded = 0;
  }
  return got;
}

void net_fwd_tail_rewind(struct net_fwd_tail *t) {
  if (memcmp(&t->pos, &t->saved, sizeof(t->pos)) == 0)
    return;
  seg_close(t); /* reopened at the saved cursor, dictionary re-read */
  t->pos = t->saved;
}

uint64_t net_fwd_tail_pending_bytes(const struct net_fwd_tail *t,
                                    const struct net_fwd_cursor *from) {
  uint64_t total = 0, *seqs;
  long n = stor_segment_seqs(t->dir_path, &seqs);

  for (long i = 0; i < n; i++) {
    struct stat st;
    char name[32];
    if (seqs[i] < from->segment)
      continue;
    stor_segment_name(seqs[i], name, sizeof(name));
    if (fstatat(t->dir_fd, name, &st, 0) < 0)
      continue;
    if (seqs[i] > from->segment)
      total += (uint64_t)st.st_size;
    else if ((uint64_t)st.st_size > from->offset)
      total += (uint64_t)st.st_size - from->offset;
  }
  free(n > 0 ? seqs : NULL);
  return total;
}

void net_fwd_tail_free(struct net_fwd_tail *t) {
  seg_close(t);
  free(t->dict);
  free(t->keys);
  free(t->ts);
  free(t->val);
  free(t->runs);
  free(t->recs);
  free(t->attrs);
  if (t->ldec_on)
    stor_logdec_free(&t->ldec);
  t->ldec_on = 0;
  if (t->sdec_on)
    stor_spandec_free(&t->sdec);
  t->sdec_on = 0;
  t->recs = NULL;
  t->attrs = NULL;
  t->dict = NULL;
  t->keys = NULL;
  t->ts = NULL;
  t->val = NULL;
  t->runs = NULL;
}
