/*
 * storage/compact_direct.c - direct compaction (storage/compact.h,
 * stor_direct_*): the points of sealed heads go straight into a
 * compaction pass in memory (series ids to key indexes through a flat
 * array), which is written as a compacted segment (stor_cpass_emit) where
 * the writer would have rolled its segment, byte for byte what writing
 * original segments and compacting them gives.
 *
 * Memory: the pass's (storage/compact.c) plus 8 bytes a series id of
 * cfg->series_max.
 */
#include "storage/compact.h"

#include <errno.h>
#include <stdlib.h>

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

/*
 * The points of p into the pass, series ids to key indexes (a new id's
 * key interned as load_block does, so one key of two ids stays one).
 * Returns 0, or -E2BIG / -ENOMEM with the pass as it was but for stale
 * key slots (direct_reset before interning again).
 */
static int direct_take(struct stor_direct *d, const struct stor_points *p) {
  struct stor_cpass *ps = &d->ps;
  uint32_t n = ps->n, nkeys = ps->nkeys, nseen = d->nseen, m = n;
  uint32_t *kmap = d->kmap, *kcount = ps->kcount, *pkey = ps->pkey;
  int64_t *pts = ps->pts;
  double *pval = ps->pval;
  size_t kb = ps->arena.len;

  ASSERT(n + p->count <= ps->points_max); /* stor_direct_add flushed */
  /* locals: the stores through pkey and kcount could alias ps's fields */
  for (uint32_t i = 0; i < p->count; i++) {
    uint32_t id = p->series_id[i], k;
    ASSERT(id < d->cfg.series_max);
    if ((k = kmap[id]) == 0) {
      struct stor_dict_entry e;
      long r;
      ps->n = m;
      d->cfg.series.entry(d->cfg.series.ctx, id, &e);
      if ((r = stor_cpass_key_intern(ps, &e)) < 0) {
        direct_undo(d, n, nkeys, kb, nseen);
        return (int)r;
      }
      kmap[id] = k = (uint32_t)r + 1;
      d->seen[d->nseen++] = id;
    }
    kcount[k - 1]++;
    pts[m] = p->ts_ms[i];
    pval[m] = p->value[i];
    pkey[m++] = k - 1;
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
