/*
 * core/shard/compactor_types.h - background compaction inside `sluice run`
 * (core/shard/compactor.h): its configuration and counters.
 */
#ifndef SLUICE_CORE_SHARD_COMPACTOR_TYPES_H
#define SLUICE_CORE_SHARD_COMPACTOR_TYPES_H

#include <pthread.h>
#include <stdint.h>

#include "core/base/limits.h"

struct net_fwd;

/* What the compactor is given; the pointers outlive it. */
struct core_compactor_cfg {
  const char *data_dir;
  unsigned shard_count;
  uint64_t after_ms;            /* --compact-after: a closed segment this
                                   long untouched is compacted (0: off) */
  const uint64_t *active_seg[CORE_SHARDS_MAX]; /* writer's active segment */
  const uint64_t *durable_seq[CORE_SHARDS_MAX]; /* blocks <= are fsynced */
  uint64_t first_seg[CORE_SHARDS_MAX]; /* the shard's first segment this
                                   run: every older one is closed */
  const struct net_fwd *const *fwd; /* forward targets' cursors (or NULL) */
};

/* Counters, written by the compactor thread, read by /metrics (relaxed). */
struct core_compactor_stats {
  uint64_t passes;              /* compacted segments written */
  uint64_t failures;            /* shard rounds that failed (originals kept) */
  uint64_t segments_in;         /* original segments replaced */
  uint64_t bytes_in, bytes_out;
  uint64_t points;
  uint64_t skipped;             /* segments left as written (log blocks, a
                                   bad block, over a pass's bounds) */
  uint64_t last_duration_ms;    /* gauge: the last round that compacted */
  uint64_t last_round_unix_ms;  /* gauge: when it ended */
};

struct core_compactor {
  struct core_compactor_cfg cfg;
  struct core_compactor_stats stats;
  pthread_t thread;
  pthread_mutex_t lock;
  pthread_cond_t wake;
  int stop;                     /* set under lock; a pass reads it
                                   atomically (stor_compact_opts.cancel) */
  int started;
  uint8_t cleanup_due[CORE_SHARDS_MAX]; /* a shard's pass failed: tidy
                                   up before its next */
  uint64_t settled[CORE_SHARDS_MAX]; /* per shard: segments below it are
                                   compacted or left for good */
};

#endif
