/*
 * core/run_types.h - the running daemon: its configuration and shards.
 */
#ifndef SLUICE_CORE_RUN_TYPES_H
#define SLUICE_CORE_RUN_TYPES_H

#include "core/config_types.h"
#include "core/shard_types.h"
#include "core/stats_types.h"

struct net_http_server;

struct core_runtime {
  struct core_config cfg;
  unsigned shard_count;
  struct core_shard *shards;                 /* shard_count, cache aligned */
  const struct core_stats *stats[CORE_SHARDS_MAX]; /* &shards[i].stats */
  struct net_http_server *http;
};

#endif
