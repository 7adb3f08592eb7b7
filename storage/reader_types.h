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

/* One block as the segment reader found it. */
struct stor_seg_block {
  uint64_t offset;      /* in the file */
  uint64_t bytes;       /* header + payload (as the header says) */
  enum stor_blk_status status;
  struct stor_block_hdr hdr;     /* valid unless BAD_HEADER */
  struct stor_block_reader rd;   /* after stor_seg_load returned 0 */
};

/* Counters of one scan (added to, never reset by the scan). */
struct stor_scan_stats {
  uint64_t shards;          /* shard directories read */
  uint64_t segments;        /* segment files opened */
  uint64_t blocks_read;     /* blocks whose points were decoded */
  uint64_t blocks_skipped;  /* outside the time range: points not decoded */
  uint64_t blocks_bad;      /* failed a check: their segment ends there */
  uint64_t blocks_partial;  /* a segment's last block not all written yet */
  uint64_t bytes_read;      /* bytes read from segment files */
  uint64_t points;          /* points handed to the caller */
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

#endif
