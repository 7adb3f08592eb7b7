/*
 * storage/compact_direct.c - direct compaction (storage/compact.h,
 * stor_direct_*): the points of sealed heads go straight into a
 * compaction pass in memory (series ids to key indexes through a flat
 * array), which is written as a compacted segment (stor_cpass_emit) where
 * the writer would have rolled its segment, byte for byte what writing
 * original segments and compacting them gives.
 *
 * Memory: the pass's (storage/compact.c) plus 8 bytes a series id of
 * cfg->series_max. A pass holds its times as 32-bit offsets from its
 * first time while they fit (ps->t32), the exact 64-bit times from the
 * first that does not.
 */
#include "storage/compact.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "core/base/assert.h"
#include "core/base/limits.h"
#include "storage/compact_pass.h"

struct stor_direct {
  struct stor_cpass ps;
  struct stor_compact_opts o; /* what cancelled() reads: never cancelled */
  struct stor_direct_cfg cfg;
  uint32_t *kmap;   /* series id -> its key index in the pass + 1; 0: none */
  uint32_t *seen;   /* the ids with a kmap entry, to clear them */
  uint32_t nseen;
  uint64_t seg_seq, block_seq; /* the next to use */
};

int stor_direct_open(struct stor_direct **dp,
                     const struct stor_direct_cfg *cfg) {
  struct stor_direct *d;
  uint32_t pmax = cfg->points_max && cfg->points_max < STOR_SEGMENT_POINTS_MAX
                      ? cfg->points_max : STOR_SEGMENT_POINTS_MAX;

  *dp = NULL;
  if (cfg->series_max == 0 || cfg->series.entry == NULL || cfg->st == NULL ||
      cfg->next_seg_seq == 0)
    return -EINVAL;
  if ((d = calloc(1, sizeof(*d))) == NULL)
    return -ENOMEM;
  d->cfg = *cfg;
  d->cfg.points_max = pmax;
  d->o = (struct stor_compact_opts){.points_max = pmax};
  d->ps = (struct stor_cpass){.dir_fd = cfg->dir_fd, .st = cfg->st,
                              .o = &d->o, .points_max = pmax,
                              .shard = cfg->shard};
  d->seg_seq = cfg->next_seg_seq;
  d->block_seq = cfg->next_block_seq;
  d->kmap = calloc(cfg->series_max, sizeof(*d->kmap));
  d->seen = malloc((size_t)cfg->series_max * sizeof(*d->seen));
  if (d->kmap == NULL || d->seen == NULL || stor_cpass_init(&d->ps) < 0) {
    stor_direct_free(d);
    return -ENOMEM;
  }
  d->ps.ready = 1;
  stor_cpass_reset(&d->ps);
  *dp = d;
  return 0;
}

void stor_direct_free(struct stor_direct *d) {
  if (d == NULL)
    return;
  stor_cpass_free(&d->ps);
  free(d->kmap);
  free(d->seen);
  free(d);
}

void stor_direct_next(const struct stor_direct *d, uint64_t *seg_seq,
                      uint64_t *block_seq) {
  *seg_seq = d->seg_seq;
  *block_seq = d->block_seq;
}

/* An empty pass (its key slots too: keys taken back leave stale slots). */
static void direct_reset(struct stor_direct *d) {
  for (uint32_t i = 0; i < d->nseen; i++)
    d->kmap[d->seen[i]] = 0;
  d->nseen = 0;
  stor_cpass_reset(&d->ps);
}

/* The pass back to n points, nkeys keys, kb key bytes and nseen ids. */
static void direct_undo(struct stor_direct *d, uint32_t n, uint32_t nkeys,
                        size_t kb, uint32_t nseen) {
  for (uint32_t i = nseen; i < d->nseen; i++)
    d->kmap[d->seen[i]] = 0;
  for (uint32_t i = n; i < d->ps.n; i++)
    d->ps.kcount[d->ps.pkey[i]]--;
  d->nseen = nseen;
  d->ps.n = n;
  d->ps.nkeys = nkeys;
  d->ps.arena.len = kb;
}

/* Key index + 1 of series id, new to the pass at point m: interned as
 * load_block does, so one key of two ids stays one. Returns it, or
 * -E2BIG / -ENOMEM. */
static long direct_key(struct stor_direct *d, uint32_t id, uint32_t m) {
  struct stor_dict_entry e;
  long r;

  d->ps.n = m;
  d->cfg.series.entry(d->cfg.series.ctx, id, &e);
  if ((r = stor_cpass_key_intern(&d->ps, &e)) < 0)
    return r;
  d->kmap[id] = (uint32_t)r + 1;
  d->seen[d->nseen++] = id;
  return r + 1;
}

/* The pass's first m times from offsets to whole times: a time that does
 * not fit an offset came (hostile |T times, or a pass whose times stray
 * more than 24 days from its first). */
static void direct_widen(struct stor_cpass *ps, uint32_t m) {
  /* in place, last first: time i overwrites offsets 2i and 2i + 1, read
   * already (memcpy: the two views of one memory, in this order) */
  unsigned char *b = (unsigned char *)ps->pts;

  for (uint32_t i = m; i-- > 0;) {
    uint32_t off;
    memcpy(&off, b + 4 * (size_t)i, sizeof(off));
    int64_t t = (int64_t)(ps->tb + off);
    memcpy(b + 8 * (size_t)i, &t, sizeof(t));
  }
  ps->t32 = 0;
}

/* Offsets span 2^32 ms centred on a pass's first time. */
#define DIRECT_TB_BACK_MS (1ull << 31)

/*
 * The points of p from *i into the pass at *m while their times fit an
 * offset (ps->t32), stopping at one that does not (*i < p->count then).
 * Returns 0, or -E2BIG / -ENOMEM (*m: the points taken so far).
 */
static int take_t32(struct stor_direct *d, const struct stor_points *p,
                    uint32_t *i, uint32_t *m) {
  struct stor_cpass *ps = &d->ps;
  uint32_t *kmap = d->kmap, *kcount = ps->kcount, *pkey = ps->pkey;
  uint32_t *pt32 = ps->pt32, j = *i, at = *m, n = p->count;
  uint32_t smax = d->cfg.series_max;
  const uint32_t *ids = p->series_id;
  const int64_t *ts = p->ts_ms;
  const double *val = p->value;
  double *pval = ps->pval;
  uint64_t tb = ps->tb;
  long k = 0;

  /* locals: the stores through pkey, kcount and pt32 could alias p's and
   * ps's fields; a new id leaves the inner loop (no call in it: the
   * locals stay in registers) */
  while (j < n) {
    for (; j < n; j++) {
      uint32_t id = ids[j];
      uint64_t off = (uint64_t)ts[j] - tb; /* modulo 2^64 */
      ASSERT(id < smax);
      if (off > UINT32_MAX || (k = kmap[id]) == 0)
        break;
      kcount[k - 1]++;
      pt32[at] = (uint32_t)off;
      pval[at] = val[j];
      pkey[at++] = (uint32_t)k - 1;
    }
    if (j == n || (uint64_t)ts[j] - tb > UINT32_MAX ||
        (k = direct_key(d, ids[j], at)) < 0)
      break;
  }
  *i = j;
  *m = at;
  return k < 0 ? (int)k : 0;
}

/* As take_t32 with whole times (ps->t32 clear): all of p from *i. */
static int take_t64(struct stor_direct *d, const struct stor_points *p,
                    uint32_t *i, uint32_t *m) {
  struct stor_cpass *ps = &d->ps;
  uint32_t *kmap = d->kmap, *kcount = ps->kcount, *pkey = ps->pkey;
  uint32_t j = *i, at = *m, n = p->count, smax = d->cfg.series_max;
  const uint32_t *ids = p->series_id;
  const int64_t *ts = p->ts_ms;
  const double *val = p->value;
  int64_t *pts = ps->pts;
  double *pval = ps->pval;
  long k = 0;

  while (j < n) {
    for (; j < n; j++) {
      uint32_t id = ids[j];
      ASSERT(id < smax);
      if ((k = kmap[id]) == 0)
        break;
      kcount[k - 1]++;
      pts[at] = ts[j];
      pval[at] = val[j];
      pkey[at++] = (uint32_t)k - 1;
    }
    if (j == n || (k = direct_key(d, ids[j], at)) < 0)
      break;
  }
  *i = j;
  *m = at;
  return k < 0 ? (int)k : 0;
}

/*
 * The points of p into the pass, series ids to key indexes. Returns 0, or
 * -E2BIG / -ENOMEM with the pass as it was but for stale key slots
 * (direct_reset before interning again) and its times perhaps widened.
 */
static int direct_take(struct stor_direct *d, const struct stor_points *p) {
  struct stor_cpass *ps = &d->ps;
  uint32_t n = ps->n, nkeys = ps->nkeys, nseen = d->nseen, m = n, i = 0;
  size_t kb = ps->arena.len;
  int rc = 0;

  ASSERT(n + p->count <= ps->points_max); /* stor_direct_add flushed */
  if (n == 0) {
    ps->t32 = 1;
    ps->tb = (uint64_t)p->ts_ms[0] - DIRECT_TB_BACK_MS;
  }
  if (ps->t32) {
    rc = take_t32(d, p, &i, &m);
    if (rc == 0 && i < p->count)
      direct_widen(ps, m);
  }
  if (rc == 0 && i < p->count)
    rc = take_t64(d, p, &i, &m);
  if (rc < 0) {
    direct_undo(d, n, nkeys, kb, nseen);
    return rc;
  }
  ps->n = m;
  return 0;
}

int stor_direct_flush(struct stor_direct *d) {
  struct stor_cpass *ps = &d->ps;
  int rc;

  if (ps->n == 0) {
    direct_reset(d);
    return 0;
  }
  ps->lo = ps->hi = d->seg_seq;
  ps->mtime = (struct timespec){0}; /* the file's own: written now */
  rc = stor_cpass_emit(ps);
  if (rc == 0)
    d->seg_seq++;
  else
    ps->st->points_lost += ps->n;
  direct_reset(d);
  return rc;
}

int stor_direct_add(struct stor_direct *d, const struct stor_points *p) {
  int rc = 0;

  if (p->count == 0)
    return 0;
  /* where the writer would roll its segment */
  if (d->ps.n + p->count > d->cfg.points_max)
    rc = stor_direct_flush(d);
  if (rc == 0)
    rc = direct_take(d, p);
  if (rc == -E2BIG && d->ps.n > 0 && /* the keys of a pass are full */
      (rc = stor_direct_flush(d)) == 0)
    rc = direct_take(d, p);
  if (rc == -E2BIG) {
    direct_reset(d); /* empty, but for stale slots */
    return rc;
  }
  if (rc < 0) {
    d->ps.st->points_lost += d->ps.n + p->count;
    direct_reset(d);
    return rc;
  }
  d->ps.max_block_seq = d->block_seq++;
  return 0;
}
