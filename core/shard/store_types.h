/*
 * core/shard/store_types.h - the store: where a shard's sealed heads go.
 *
 * One path from a sealed head (metrics, logs, spans) to the segment
 * writer, used by `sluice run` and `sluice import` alike: it counts the
 * sealed block, hands it to the writer, waits (bounded) when every write
 * buffer is busy, and counts what it could not keep.
 */
#ifndef SLUICE_CORE_SHARD_STORE_TYPES_H
#define SLUICE_CORE_SHARD_STORE_TYPES_H

#include "core/base/ring_types.h"
#include "core/shard/stats_types.h"
#include "storage/writer_types.h"

struct core_store {
  struct core_ring *ring;       /* the shard's */
  struct core_stats *stats;     /* the shard's */
  struct stor_writer writer;
  int on;                       /* the writer is set up: blocks are kept */
};

#endif
