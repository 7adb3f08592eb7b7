/*
 * storage/reader_types.h - reading segment files off the data path
 * (query port, `sluice inspect`); see storage/reader.h. The counters both
 * scans fill are here too (storage/scan_types.h, storage/logscan_types.h
 * say what each scan visits).
 */
#ifndef SLUICE_STORAGE_READER_TYPES_H
#define SLUICE_STORAGE_READER_TYPES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "storage/block_types.h"
#include "storage/logblock_types.h"
#include "storage/spanblock_types.h"

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
  struct stor_spanblock_hdr shdr;  /* kind SPANS: valid unless BAD_HEADER */
  struct stor_spanblock_reader srd; /* after stor_seg_load_spans returned 0 */
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
  uint64_t spans;           /* spans handed to the caller */
};

#endif
