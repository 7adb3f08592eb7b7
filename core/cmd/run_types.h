/*
 * core/cmd/run_types.h - the running daemon: its configuration and shards.
 */
#ifndef SLUICE_CORE_CMD_RUN_TYPES_H
#define SLUICE_CORE_CMD_RUN_TYPES_H

#include "core/cmd/config_types.h"
#include "core/shard/shard_types.h"
#include "core/shard/stats_types.h"
#include "net/query/query_types.h"
#include "storage/retention.h"

struct core_runtime {
  struct core_config cfg;
  int lock_fd;                     /* holds <data-dir>/LOCK (datadir.h) */
  unsigned shard_count;
  struct core_shard *shards;                 /* shard_count, cache aligned */
  const struct core_stats *stats[CORE_SHARDS_MAX]; /* &shards[i].stats */
  struct net_query_env query;      /* what the query port is given */
  int flush_efd;                   /* shards poke it when a flush is done */
  uint64_t flush_gen;              /* last flush asked (query thread only) */
  const uint64_t *active_seg[CORE_SHARDS_MAX]; /* &shards[i].active_seg */
  struct stor_retention_stats retention; /* main thread writes, relaxed */
};

#endif
