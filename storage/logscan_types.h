/*
 * storage/logscan_types.h - what a log scan visits, the callbacks it calls
 * and where a record it hands over is stored; see storage/logscan.h.
 */
#ifndef SLUICE_STORAGE_LOGSCAN_TYPES_H
#define SLUICE_STORAGE_LOGSCAN_TYPES_H

#include <stdint.h>

#include "storage/logblock_types.h"

/*
 * One stored log record met by a log scan (time_ns within the scan's
 * range). r's strings and attrs are valid only during the call.
 * Return 0 to go on, 1 to stop the scan early (stor_logscan_run then
 * returns 0), or a negative errno to stop it with that error.
 */
typedef int (*stor_logscan_fn)(void *ctx, unsigned shard,
                               const struct stor_log_rec *r);

/*
 * Where a record is stored: (shard, segment, offset, index) ordered
 * lexicographically is storage order, whatever order a scan visits in.
 */
struct stor_logpos {
  unsigned shard;
  uint64_t segment;          /* segment sequence number */
  uint64_t offset;           /* of the record's block in the segment file */
  uint32_t index;            /* of the record in its block */
};

/*
 * The scan's current time floor: records older than it, and blocks whose
 * newest record is older, are passed over (not inflated, not handed to
 * fn). It may only rise during a scan.
 */
typedef int64_t (*stor_logscan_floor_fn)(void *ctx);

/* What a log scan visits. */
struct stor_logscan {
  const char *data_dir;      /* holds shard-<K>/ directories */
  int64_t start_ns, end_ns;  /* inclusive, on stor_log_rec.time_ns */
  stor_logscan_fn fn;
  void *ctx;
  int64_t deadline_ms;       /* CLOCK_MONOTONIC, ms; 0: none */
  /* optional */
  int newest_first;          /* segments and blocks newest first (records
                                of a block still in block order) */
  stor_logscan_floor_fn floor; /* NULL: no floor */
  struct stor_logpos *pos;   /* set before every fn call when not NULL */
};

#endif
