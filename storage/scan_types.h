/*
 * storage/scan_types.h - what a metric scan visits and the callbacks it
 * calls; see storage/scan.h.
 */
#ifndef SLUICE_STORAGE_SCAN_TYPES_H
#define SLUICE_STORAGE_SCAN_TYPES_H

#include <stddef.h>
#include <stdint.h>

#include "storage/block_types.h"

/*
 * A dictionary entry met during a scan. Return 1 to receive the series'
 * points (set *handle: it comes back with them), 0 to ignore the series,
 * or a negative errno to stop the scan (stor_scan returns it).
 */
typedef int (*stor_scan_series_fn)(void *ctx, const struct stor_dict_entry *e,
                                   uint32_t *handle);

/*
 * n > 0 points of a wanted series, timestamps ascending, all within the
 * scan's range. Return 0, or a negative errno to stop the scan.
 */
typedef int (*stor_scan_points_fn)(void *ctx, uint32_t handle,
                                   const int64_t *ts_ms, const double *value,
                                   uint32_t n);

/*
 * Optional: before the points of a wanted series of a compacted segment,
 * how many its runs in range hold (an upper bound on what q->points will
 * bring of it from that segment), so that the caller sizes its storage
 * once instead of growing it run by run. Return 0, or a negative errno to
 * stop the scan.
 */
typedef int (*stor_scan_expect_fn)(void *ctx, uint32_t handle, uint64_t n);

/*
 * Optional: room for the n points of a wanted series' compacted run,
 * which the scan then decodes in place instead of into its own buffers
 * (the caller's copy is saved): set *ts_ms and *value to arrays of n and
 * return 0; return 1 to decline (the scan uses its buffers), or a
 * negative errno to stop the scan. The run's points in range, if any,
 * then come in the next q->points call for that handle, as a part of
 * that room (the front is cut when the range starts inside the run).
 */
typedef int (*stor_scan_room_fn)(void *ctx, uint32_t handle, uint32_t n,
                                 int64_t **ts_ms, double **value);

/* What to scan. */
struct stor_scan {
  const char *data_dir;     /* holds shard-<K>/ directories */
  int64_t start_ms, end_ms; /* inclusive */
  stor_scan_series_fn series;
  stor_scan_points_fn points; /* NULL: series only (see stor_scan) */
  stor_scan_expect_fn expect; /* NULL: none */
  stor_scan_room_fn room;     /* NULL: none */
  void *ctx;
  int64_t deadline_ms;      /* CLOCK_MONOTONIC, ms; 0: none */
  /* Optional, a hint: when name_len > 0, q->series wants only keys of
   * metric name[0, name_len) (the key is that or has a NUL after it), so
   * a compacted segment offers just that range of its sorted dictionary;
   * other segments offer every key as before. */
  const char *name;
  size_t name_len;
};

#endif
