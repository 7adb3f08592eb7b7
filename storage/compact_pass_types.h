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

/* One compaction pass: its keys, its points (arrival order), scratch for
 * decoding and encoding, the blocks it carries and the segment it
 * writes. */
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
  uint32_t *kcount;     /* points of each key */
  uint32_t nkeys, keys_cap;
  uint32_t *slot, slot_mask;
  /* per segment: dictionary id -> key index */
  uint32_t *idmap_id, *idmap_key, idmap_mask, idmap_n;
  /* the points: key index, time, value. While t32 is set (a direct pass
   * whose times all fit) a time is held in pt32 as its offset from tb,
   * modulo 2^64 (t = tb + pt32[i]): pt32 is the first half of pts's
   * memory, so half of it is never touched (4 bytes a point fewer to
   * fault in and stream). */
  uint32_t *pkey;
  int64_t *pts;
  uint32_t *pt32;
  uint64_t tb;
  int t32;
  double *pval;
  /* sorted by series, then storage order (stor_cpass_emit): the values
   * first into sval, then the times into sts, which is pval's memory */
  int64_t *sts;
  double *sval;
  uint32_t n;
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
