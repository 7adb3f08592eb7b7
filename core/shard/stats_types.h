/*
 * core/shard/stats_types.h - shard-local counters.
 *
 * Each shard owns one struct core_stats and is its only writer; the query
 * thread reads it for /metrics. Both sides go through core_stat_*
 * (core/base/stat.h). Each part of the shard owns its counters' struct
 * (the pipeline, the receive side, storage) and is handed a pointer to
 * its own; this block only gathers them, beside the store's two.
 */
#ifndef SLUICE_CORE_SHARD_STATS_TYPES_H
#define SLUICE_CORE_SHARD_STATS_TYPES_H

#include <stdint.h>

#include "core/base/heap_types.h"
#include "core/ingest/pipe_types.h"
#include "net/dpdk_types.h"
#include "net/io_types.h"
#include "net/otlp_grpc_types.h"
#include "net/otlp_http_types.h"
#include "storage/writer_types.h"

struct core_stats {
  struct core_ingest_stats ingest;   /* the pipeline's (core/ingest) */
  struct net_rx_stats rx;            /* the receive side's (net/io) */
  struct net_otlp_http_stats otlp_http; /* OTLP/HTTP (net/otlp_http) */
  struct net_otlp_grpc_stats otlp_grpc; /* OTLP/gRPC (net/otlp_grpc) */
  /* sluice_storage_* : the store (head -> writer), core/shard/store.h */
  uint64_t store_waits;              /* seals that waited for a buffer */
  uint64_t store_dropped;            /* blocks dropped: parking space full */
  /* sluice_storage_*, sluice_recovery_*: the segment writer's own */
  struct stor_stats stor;
  /* sluice_dpdk_*: the DPDK queue's (net/dpdk.h), active == 0 without */
  struct net_dpdk_stats dpdk;
  /* sluice_shard_heap_*: the shard's own heap (core/base/heap.h) */
  struct core_heap_stats heap;
} __attribute__((aligned(64)));

#endif
