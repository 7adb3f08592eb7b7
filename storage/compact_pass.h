/*
 * storage/compact_pass.h - what the directory passes (storage/compact.c)
 * and the direct passes (storage/compact_direct.c) share of a compaction
 * pass: its set-up, its keys and its output. Internal to storage/compact*.c.
 */
#ifndef SLUICE_STORAGE_COMPACT_PASS_H
#define SLUICE_STORAGE_COMPACT_PASS_H

#include <errno.h>

#include "core/base/assert.h"
#include "storage/block_types.h"
#include "storage/compact_pass_types.h"

/* Allocate ps's chunk pool and scratch for ps->points_max points (set
 * before; ps->chunks_max too, or 0 for the pool the pass bounds need).
 * Returns 0 or -ENOMEM (stor_cpass_free then releases what was taken). */
int stor_cpass_init(struct stor_cpass *ps);

/* Release what stor_cpass_init took (a zeroed ps too). */
void stor_cpass_free(struct stor_cpass *ps);

/* An empty pass: no key, point or carried block (keeps the memory). */
void stor_cpass_reset(struct stor_cpass *ps);

/* The index of (e->key, e->type) among ps's keys, added when new. Returns
 * it, or -ENOMEM, or -E2BIG past STOR_COMPACT_SERIES_MAX keys or
 * STOR_COMPACT_KEY_BYTES_MAX key bytes. */
long stor_cpass_key_intern(struct stor_cpass *ps,
                           const struct stor_dict_entry *e);

/* ps's chunk state into locals (stor_cadd_point), for a batch of points. */
static inline struct stor_cadd stor_cadd_begin(const struct stor_cpass *ps) {
  return (struct stor_cadd){.chunk = ps->chunk, .cnext = ps->cnext,
                            .khead = ps->khead, .kpts = ps->kpts,
                            .chunks_max = ps->chunks_max,
                            .nchunks = ps->nchunks, .n = ps->n,
                            .points_max = ps->points_max,
                            .nkeys = ps->nkeys, .tmin = ps->tmin,
                            .tmax = ps->tmax};
}

/* The batch's points back into ps (no key interned since the begin). */
static inline void stor_cadd_end(struct stor_cpass *ps,
                                 const struct stor_cadd *a) {
  ps->nchunks = a->nchunks;
  ps->n = a->n;
  ps->tmin = a->tmin;
  ps->tmax = a->tmax;
}

/* Point (t, v) onto key k's chain (k < a->nkeys, a->n < points_max).
 * Returns 0, or -E2BIG when the pool has no chunk left (nothing taken;
 * stor_cpass_init's pool never runs out within the pass bounds). Inline:
 * the direct pass calls it for every point. */
static inline int stor_cadd_point(struct stor_cadd *a, uint32_t k, int64_t t,
                                  double v) {
  struct stor_ckeypts *kp = &a->kpts[k];
  uint32_t c = kp->count, at = c % STOR_COMPACT_CHUNK_POINTS, ch = kp->tail;

  ASSERT(k < a->nkeys && a->n < a->points_max);
  if (at == 0) {
    if (a->nchunks == a->chunks_max)
      return -E2BIG;
    if (c == 0)
      a->khead[k] = a->nchunks;
    else
      a->cnext[ch] = a->nchunks;
    ch = kp->tail = a->nchunks++;
  }
  a->chunk[ch].p[at].ts = t;
  a->chunk[ch].p[at].val = v;
  kp->count = c + 1;
  a->n++;
  a->tmin = t < a->tmin ? t : a->tmin;
  a->tmax = t > a->tmax ? t : a->tmax;
  return 0;
}

/* Sort, encode and swap in the points and carried blocks ps holds (ps->lo,
 * hi, max_block_seq, shard and mtime set) as segment ps->hi. Returns 0
 * (counted in ps->st but for segments_in and bytes_in) or -errno (nothing
 * swapped in). */
int stor_cpass_emit(struct stor_cpass *ps);

#endif
