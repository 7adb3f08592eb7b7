/*
 * core/ingest/head.h - appending to and sealing the open block.
 */
#ifndef SLUICE_CORE_INGEST_HEAD_H
#define SLUICE_CORE_INGEST_HEAD_H

#include <stdint.h>

#include "core/ingest/head_types.h"

/*
 * Allocate columns for cap points (at start-up). sink may be NULL (points
 * are then dropped at seal: used by tests).
 * Returns 0, -EINVAL for cap 0, or -ENOMEM.
 */
int core_head_init(struct core_head *h, uint32_t cap, core_head_sink_fn sink,
                   void *ctx);

/* Release the columns. Safe on a zeroed struct. */
void core_head_free(struct core_head *h);

/*
 * Hand the points to the sink and empty the head; sealed_blocks and
 * sealed_points count the seal (also with a NULL sink). No-op when empty.
 */
void core_head_seal(struct core_head *h);

/*
 * Seal when the head holds points and now_ms - opened_ms >= max_age_ms, or
 * when now_ms is before opened_ms (the wall clock stepped back).
 */
void core_head_tick(struct core_head *h, int64_t now_ms, int64_t max_age_ms);

/* Append one point, sealing first when the head is full. */
static inline void core_head_append(struct core_head *h, uint32_t series_id,
                                    int64_t ts_ms, double value,
                                    int64_t now_ms) {
  if (h->count == h->cap)
    core_head_seal(h);
  if (h->count == 0)
    h->opened_ms = now_ms;
  h->series_id[h->count] = series_id;
  h->ts_ms[h->count] = ts_ms;
  h->value[h->count] = value;
  h->count++;
}

#endif
