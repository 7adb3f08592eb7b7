/*
 * storage/compact_types.h - compacted segments (kind 4): the series-major
 * form sealed segments are rewritten into (storage/compact.h). Byte tables
 * here and in docs/segment-format.md, "Compacted segments".
 *
 * A compacted segment is a segment file (same name form, <seq>.seg, named
 * after the highest segment it replaces) whose blocks are of kind 4, in
 * the shared 64-byte frame (storage/block_types.h: magic, version 1,
 * kind, shard, count, seq, header check, min/max ms, payload bytes, CRC32C
 * mean the same). Its first block is the directory, then data blocks,
 * then the carried blocks: the log and span blocks of the segments it
 * replaces, whole, which the directory does not list (readers of logs and
 * spans walk the file block by block).
 *
 * Kind-specific header bytes (the frame's are unchanged):
 *   off size  directory (role 1)          data block (role 2)
 *   12  4     index entries R             runs in the block
 *   44  1     role = 1                    role = 2
 *   45  3     zero                        zero
 *   48  4     series S                    first index entry of the block
 *   52  4     deflated dictionary bytes C block number (0 = first)
 *   56  4     index bytes X               zero
 * count (8) is the segment's points (directory) or the block's points;
 * a directory of count 0 holds no series (segments with only log and span
 * blocks): R, S, C, X, B, K and U all 0, payload exactly 28 bytes, min/max
 * the carried blocks' event times floored to ms; the one block of any kind
 * whose frame may count 0 (storage/block.c, stor_frame_read);
 * seq (16) is the highest block seq of the replaced segments (recovery
 * resumes after it); min/max (24, 32) are ms over the segment or block.
 *
 * Directory payload:
 *   off size
 *   0   8    lo: the lowest segment seq replaced (the file is hi's)
 *   8   8    hi: the highest, = the file's own seq
 *   16  4    data blocks B
 *   20  4    key bytes K: the series keys' total length, uncompressed
 *   24  4    front-coded dictionary bytes U (inflated size)
 *   28  C    the dictionary, raw DEFLATE (igzip), inflating to exactly U:
 *            S entries in ascending key order (memcmp, a prefix first):
 *            varint shared prefix with the previous key, varint suffix
 *            length, the suffix, one type byte (enum stor_series_type)
 *   28+C X   the index: R entries in series order, then time order:
 *            varint series delta (0 or 1; the first entry's series is 0;
 *            every series 0..S-1 has an entry), varint points n
 *            (1..STOR_COMPACT_RUN_POINTS_MAX), varint run bytes,
 *            varint first ts - directory min, varint last ts - first ts
 *            (both modulo 2^64, within the directory's range)
 *   28+C+X   the block table, to the end: B times varint block bytes
 *            (header and payload), varint runs in the block
 * Runs fill data blocks in index order: block b holds the entries after
 * those of blocks 0..b-1; its payload is those runs back to back, each a
 * unit byte x (0..STOR_CSEG_UNIT_MAX: every timestamp of the run is a
 * multiple of 10^x ms), the timestamps divided by 10^x as a timestamp run
 * (storage/encode.h, base = the first of them), then a value run. Data block b starts at the directory's end plus the bytes of
 * blocks 0..b-1.
 */
#ifndef SLUICE_STORAGE_COMPACT_TYPES_H
#define SLUICE_STORAGE_COMPACT_TYPES_H

#include <stdint.h>

#include "storage/block_types.h"
#include "storage/writer_types.h"

enum stor_cseg_role {
  STOR_CSEG_DIRECTORY = 1,
  STOR_CSEG_DATA = 2,
};

/* Kind 4's own header offsets (see the table above). */
#define STOR_CHDR_OFF_ROLE 44
#define STOR_CHDR_OFF_A 48 /* series S | first entry */
#define STOR_CHDR_OFF_B 52 /* dictionary bytes C | block number */
#define STOR_CHDR_OFF_C 56 /* index bytes X | zero */
#define STOR_CDIR_FIXED_BYTES 28
#define STOR_CSEG_UNIT_MAX 9 /* a run's time unit: 10^x ms, x <= this */

/* The fields of a kind-4 header, decoded. */
struct stor_chdr {
  struct stor_frame f;
  uint8_t role;      /* enum stor_cseg_role */
  uint32_t runs;     /* offset 12 */
  uint32_t a, b, c;  /* offsets 48, 52, 56 */
};

/* One index entry, decoded. */
struct stor_cseg_run {
  uint32_t series;    /* dictionary ordinal */
  uint32_t count;
  uint32_t block;     /* data block number */
  uint32_t offset;    /* in the block's payload */
  uint32_t bytes;
  int64_t min_ts, max_ts;
};

/* One data block, from the block table. */
struct stor_cseg_block {
  uint64_t file_off;
  uint32_t bytes;     /* header and payload */
  uint32_t first_run, runs;
  uint32_t points;
};

/* A compacted segment opened for reading (storage/compact_read.c). */
struct stor_cseg {
  int fd;
  struct stor_chdr dir;
  uint64_t lo, hi;        /* segment seqs it replaces */
  uint32_t series, runs, blocks;
  uint8_t *keys;          /* every key back to back (K bytes) */
  uint32_t *key_off;      /* S + 1 offsets into keys */
  uint8_t *types;         /* S types */
  uint32_t *first_run;    /* S + 1: runs of series s are [first, next) */
  struct stor_cseg_run *run;
  struct stor_cseg_block *block;
  uint8_t *buf;           /* the loaded data block */
  size_t buf_cap;
  int64_t loaded;         /* block number in buf, -1: none */
  uint64_t blocks_loaded, bytes_read;
};

/* What compacting one shard directory did (added to, never reset). */
struct stor_compact_stats {
  uint64_t passes;          /* compacted segments written */
  uint64_t segments_in;     /* original segments replaced */
  uint64_t bytes_in, bytes_out;
  uint64_t points;
  uint64_t series;
  uint64_t ts_bytes, val_bytes, dict_bytes, index_bytes; /* of bytes_out */
  uint64_t carried_bytes;   /* of bytes_out: log and span blocks after the
                               data blocks */
  uint64_t log_blocks_in, log_blocks_out; /* log blocks read, written (the
                               records of many in one: storage/logblock_pack.h) */
  uint64_t skipped;         /* segments left as they are: an unknown or bad
                               block, nothing in the pass, or over a
                               pass's bounds alone */
  uint64_t leftovers_deleted; /* replaced originals or temp files removed
                                 after an interrupted pass */
  uint64_t points_lost;     /* direct compaction: points dropped with a
                               pass that could not be written */
  uint64_t settled_seq;     /* set, not added to, by each call: every
                               segment below it is compacted or left as it
                               is for good; the next live call starts there
                               (stor_compact_opts.seq_from) */
};

/*
 * Which originals a pass may take (stor_compact_dir_opts): in a live
 * directory only closed, durable, old enough segments that every reader
 * by cursor (forward targets) has left behind.
 */
struct stor_compact_opts {
  uint32_t points_max;    /* a pass's bound; 0: STOR_COMPACT_POINTS_MAX */
  uint64_t seq_from;      /* only segments from this seq on (what an
                             earlier call settled, see settled_seq) */
  uint64_t seq_below;     /* only segments with a lower seq (the active
                             segment, forward cursors); UINT64_MAX: all */
  uint64_t block_seq_max; /* only segments whose blocks all have a seq at
                             most this (durable); UINT64_MAX: any */
  int64_t mtime_max_ms;   /* only segments last written at or before this
                             (ms since the epoch); INT64_MAX: any */
  int cleanup;            /* stor_compact_cleanup first (1 offline) */
  const int *cancel;      /* non-zero (read atomically): the pass gives up
                             before its next segment or its swap; NULL */
};

/*
 * A reader's view of one shard directory (storage/compact_swap.c): the
 * segments listed and opened at one moment, so that no swap is seen half.
 */
struct stor_snap {
  int dir_fd;             /* the directory (not owned) */
  long n;
  uint64_t *seqs;         /* n, ascending */
  int *fds;               /* n open files (-1: gone before the opening);
                             NULL when descriptors ran short: then locked */
  uint8_t *skip;          /* n: 1 = replaced by a compacted segment */
  int locked;             /* the swap lock is held shared until freed */
};

/*
 * Direct compaction (stor_direct_open): sealed heads straight into
 * compacted segments, for `sluice import`, with no original segment
 * written or read back. The segments come out as a compaction of the
 * originals the writer would have written would make them: the same
 * bytes when each original is compacted alone (lo = hi).
 */
struct stor_direct_cfg {
  int dir_fd;               /* <data-dir>/shard-K, recovered, not written
                               by anyone else meanwhile */
  uint16_t shard;
  uint64_t next_seg_seq;    /* first segment to create */
  uint64_t next_block_seq;  /* seq of the first head added (one a head, as
                               the writer numbers its blocks) */
  uint32_t series_max;      /* series ids are below it */
  uint32_t points_max;      /* points of one segment; 0 (and the bound):
                               STOR_SEGMENT_POINTS_MAX, where the writer
                               rolls */
  struct stor_series_src series; /* the ids' keys */
  struct stor_compact_stats *st; /* added to */
};

struct stor_direct; /* storage/compact_direct.c */

#endif
