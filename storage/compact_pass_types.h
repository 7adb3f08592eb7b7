/*
 * storage/compact_pass_types.h - the state of a compaction pass, shared by
 * the passes over a shard directory (storage/compact.c) and the direct
 * passes over sealed heads (storage/compact_direct.c). Internal to
 * storage/compact*.c.
 *
 * Memory is bounded by the pass bounds of core/base/limits.h (see
 * storage/compact.c).
 */
#ifndef SLUICE_STORAGE_COMPACT_PASS_TYPES_H
#define SLUICE_STORAGE_COMPACT_PASS_TYPES_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <time.h>

#include "core/base/limits.h"
#include "storage/compact_types.h"
#include "storage/logblock_pack_types.h"
#include "storage/logblock_types.h"

/* A growable byte buffer (realloc'ed as it fills). */
struct stor_cbuf {
  uint8_t *p;
  size_t len, cap;
};

/* One distinct (key, type) of a pass: its bytes in the arena. */
struct stor_ckey {
  uint32_t off, len;
  uint8_t type;
};

/* Up to STOR_COMPACT_CHUNK_POINTS points of one series, in arrival order,
 * time beside value: an arriving point writes one line of its series. */
struct stor_cchunk {
  struct {
    int64_t ts;
    double val;
  } p[STOR_COMPACT_CHUNK_POINTS];
};

/* A key's points in a pass: how many, its last chunk (together: the one
 * line an arriving point reads of its key). */
struct stor_ckeypts {
  uint32_t count, tail;
};

/* Where stor_cadd_point puts points: a copy of a pass's chunk state in
 * locals, so that the stores of a batch need not reload it. */
struct stor_cadd {
  struct stor_cchunk *chunk;
  uint32_t *cnext, *khead;
  struct stor_ckeypts *kpts;
  uint32_t chunks_max, nchunks, n, points_max, nkeys;
  int64_t tmin, tmax;
};

/* One compaction pass: its keys, its points (each key's chain of chunks,
 * arrival order), scratch for decoding and encoding, the blocks it carries
 * and the segment it writes. */
struct stor_cpass {
  int dir_fd;
  const char *path;
  FILE *log;
  struct stor_compact_stats *st;
  uint32_t points_max;  /* a pass's bound */
  const struct stor_compact_opts *o; /* which originals it may take */
  int admitted_all;     /* 0: planning met a segment o does not admit */
  int ready;            /* stor_cpass_init done */
  /* distinct (key, type) of the pass; slots hash them */
  struct stor_cbuf arena;
  struct stor_ckey *keys;
  struct stor_ckeypts *kpts; /* each key's points: count, last chunk */
  uint32_t nkeys, keys_cap;
  uint32_t *slot, slot_mask;
  /* per segment: dictionary id -> key index */
  uint32_t *idmap_id, *idmap_key, idmap_mask, idmap_n;
  /* the points: key k's first and last chunk are khead[k] and
   * kpts[k].tail (kpts[k].count points, the last chunk holding what is
   * past the full ones), each chunk's next cnext[c]; chunks are
   * taken in order from a pool of chunks_max (0 before stor_cpass_init:
   * enough for points_max points over STOR_COMPACT_SERIES_MAX keys), whose
   * pages later passes reuse */
  struct stor_cchunk *chunk;
  uint32_t *cnext, *khead;
  uint32_t chunks_max, nchunks;
  uint32_t n;
  int64_t tmin, tmax;   /* the points' time bounds */
  /* one series gathered from its chunks (gcap points: a run's, grown for
   * a longer series) */
  int64_t *gts;
  double *gval;
  uint32_t gcap;
  /* decode scratch for one block */
  int64_t *dts;
  double *dval;
  int64_t *ints;     /* value encoder scratch */
  uint32_t *ridx;    /* a run's local sort: order and merge scratch */
  /* log and span blocks carried into the compacted segment: span blocks
   * whole, log blocks re-encoded by the pack into large ones */
  struct stor_cbuf carry;
  struct stor_logpack pack;
  struct stor_logdec dec;
  uint64_t pack_seq;     /* the highest block seq in the pack */
  uint64_t log_in, log_out; /* log blocks read, written by this attempt */
  /* the run being compacted */
  uint64_t lo, hi, max_block_seq;
  uint16_t shard;
  struct timespec mtime;
};

#endif
