/*
 * storage/reader_types.h - reading segment files off the data path
 * (query port, `sluice inspect`); see storage/reader.h.
 */
#ifndef SLUICE_STORAGE_READER_TYPES_H
#define SLUICE_STORAGE_READER_TYPES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "storage/block_types.h"
#include "storage/logblock_types.h"

/* What reading one block found. Anything but OK ends its segment. */
enum stor_blk_status {
  STOR_BLK_OK = 0,
  STOR_BLK_BAD_HEADER,  /* magic, version, kind, header check or a field */
  STOR_BLK_TRUNCATED,   /* the file ends inside the block (a torn tail, or
                           the active segment's block being written) */
  STOR_BLK_TOO_BIG,     /* larger than any block a writer writes */
  STOR_BLK_BAD_CRC,     /* the CRC32C does not match */
  STOR_BLK_BAD_DATA,    /* a column does not decode */
};

/* One segment file, read block by block with pread into one buffer. */
struct stor_seg_reader {
  int fd;
  uint64_t size;        /* file size when opened: later appends are unseen */
  uint64_t off;         /* offset of the next block */
  bool done;            /* a bad block was met: nothing more is read */
  uint8_t *buf;         /* the current block (grown up to cap_max) */
  size_t cap, cap_max;
};

/*
 * One block as the segment reader found it. A segment holds metric and
 * log blocks in any mix; kind says which header and reader apply.
 */
struct stor_seg_block {
  uint64_t offset;      /* in the file */
  uint64_t bytes;       /* header + payload (as the header says) */
  enum stor_blk_status status;
  uint8_t kind;                  /* enum stor_block_kind; valid unless
                                    BAD_HEADER */
  struct stor_frame frame;       /* shared fields; valid unless BAD_HEADER */
  struct stor_block_hdr hdr;     /* kind METRICS: valid unless BAD_HEADER */
  struct stor_logblock_hdr lhdr; /* kind LOGS: valid unless BAD_HEADER */
  struct stor_block_reader rd;   /* after stor_seg_load returned 0 */
  struct stor_logblock_reader lrd; /* after stor_seg_load_log returned 0 */
};

/* Counters of one scan (added to, never reset by the scan). */
struct stor_scan_stats {
  uint64_t shards;          /* shard directories read */
  uint64_t segments;        /* segment files opened */
  uint64_t blocks_read;     /* blocks of the scan's kind decoded */
  uint64_t blocks_skipped;  /* of the scan's kind but outside the time
                               range: not decoded (blocks of the other
                               kind are passed over uncounted) */
  uint64_t blocks_bad;      /* failed a check: their segment ends there */
  uint64_t blocks_partial;  /* a segment's last block not all written yet */
  uint64_t bytes_read;      /* bytes read from segment files */
  uint64_t points;          /* points handed to the caller */
  uint64_t records;         /* log records handed to the caller */
};

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

/* What to scan. */
struct stor_scan {
  const char *data_dir;     /* holds shard-<K>/ directories */
  int64_t start_ms, end_ms; /* inclusive */
  stor_scan_series_fn series;
  stor_scan_points_fn points; /* NULL: series only (see stor_scan) */
  void *ctx;
  int64_t deadline_ms;      /* CLOCK_MONOTONIC, ms; 0: none */
};

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
