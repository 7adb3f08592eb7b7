/*
 * storage/spanscan_types.h - what a span scan visits and the callback it
 * calls; see storage/spanscan.h.
 */
#ifndef SLUICE_STORAGE_SPANSCAN_TYPES_H
#define SLUICE_STORAGE_SPANSCAN_TYPES_H

#include <stdint.h>

#include "storage/spanblock_types.h"

/*
 * One stored span met by a span scan. s and everything it points at are
 * valid only during the call. Return 0 to go on, 1 to stop the scan early
 * (stor_spanscan_run then returns 0), or a negative errno to stop it with
 * that error.
 */
typedef int (*stor_spanscan_fn)(void *ctx, unsigned shard,
                                const struct stor_span *s);

/* What a span scan visits. */
struct stor_spanscan {
  const char *data_dir;      /* holds shard-<K>/ directories */
  const uint8_t *trace_id;   /* 16 bytes: only this trace's spans (blocks
                                whose trace table lacks it are not
                                inflated); NULL: every span */
  int64_t start_ns, end_ns;  /* inclusive, on stor_span.start_ns */
  stor_spanscan_fn fn;
  void *ctx;
  int64_t deadline_ms;       /* CLOCK_MONOTONIC, ms; 0: none */
  /* optional */
  int newest_first;          /* segments by descending seq, a segment's
                                span blocks last first (spans of a block
                                still in block order) */
  int64_t (*floor)(void *ctx); /* NULL, or the current floor: spans that
                                start before it, and blocks whose newest
                                start is before it, are passed over; it
                                may only rise during a scan */
};

#endif
