/*
 * core/ingest/head_types.h - the open block of a shard: column buffers that fill
 * with points until a size or age bound seals them.
 */
#ifndef SLUICE_CORE_INGEST_HEAD_TYPES_H
#define SLUICE_CORE_INGEST_HEAD_TYPES_H

#include <stdint.h>

struct core_head;

/*
 * Called with a full or aged head. It must consume the columns before it
 * returns: the head is emptied right after. (Until storage lands the runtime
 * installs a sink that counts sealed blocks only.)
 */
typedef void (*core_head_sink_fn)(struct core_head *h, void *ctx);

struct core_head {
  uint32_t *series_id;  /* column: series id per point */
  int64_t *ts_ms;       /* column: timestamp, ms since the epoch */
  double *value;        /* column: value (counters already scaled by 1/rate) */
  uint32_t count;
  uint32_t cap;
  int64_t opened_ms;    /* time of the first point; 0 when empty */
  uint32_t gen;         /* bumped at every seal (starts at 1) */
  uint64_t key_bytes;   /* distinct series key bytes in the open block:
                           bounds the block's dictionary */
  core_head_sink_fn sink;
  void *sink_ctx;
  uint64_t sealed_blocks;
  uint64_t sealed_points;
};

#endif
