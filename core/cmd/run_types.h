/*
 * core/cmd/run_types.h - the running daemon: its configuration and shards.
 */
#ifndef SLUICE_CORE_CMD_RUN_TYPES_H
#define SLUICE_CORE_CMD_RUN_TYPES_H

#include <pthread.h>

#include "core/cmd/config_types.h"
#include "core/cmd/flush_types.h"
#include "core/shard/compactor_types.h"
#include "core/shard/shard_types.h"
#include "core/ingest/series_types.h"
#include "core/shard/stats_types.h"
#include "net/query/query_types.h"

struct net_fwd;
#include "storage/retention.h"

/* Where the daemon is in its life (core_runtime.phase; /-/ready). */
enum run_phase {
  RUN_STARTING = 0, /* query port up; recovery, listeners, shards starting */
  RUN_READY,        /* every shard recovered, listens and runs */
  RUN_STOPPING,     /* a stop signal came */
};

struct core_runtime {
  struct core_config cfg;          /* in force; ports bound (port 0 too) */
  struct core_config cfg_read;     /* as read from argv and --config files
                                      (SIGHUP compares the files with it) */
  int argc;                        /* `run`'s, for SIGHUP's re-read */
  char **argv;
  int lock_fd;                     /* holds <data-dir>/LOCK (datadir.h) */
  unsigned shard_count;
  struct core_shard *shards;                 /* shard_count, cache aligned */
  const struct core_stats *stats[CORE_SHARDS_MAX]; /* &shards[i].stats */
  struct net_query_env query;      /* what the query port is given */
  struct core_flush flush;         /* flush rounds (query thread only) */
  pthread_mutex_t ctl_lock;        /* one sender of control messages */
  int phase;                       /* enum run_phase (atomic) */
  int stopping;                    /* CORE_CTL_STOP sent (under ctl_lock) */
  int shards_down;                 /* 1: shards joined, all durable; 2: with
                                      losses (atomic: the watchdog reads) */
  const uint64_t *active_seg[CORE_SHARDS_MAX]; /* &shards[i].active_seg */
  struct stor_retention_stats retention; /* main thread writes, relaxed */
  struct core_series_budget series_budget; /* --max-series, all shards */
  struct net_fwd *fwd;             /* remote-write forwarder, or NULL */
  int dpdk_up;                     /* --dpdk: the port runs (net/dpdk.h) */
  struct core_compactor compactor; /* background compaction (--compact-after) */
};

#endif
