/*
 * storage/writer_types.h - a shard's segment writer.
 *
 * Sealed head blocks are encoded into one of STOR_WRITE_BUFS_COUNT
 * registered buffers and written, one at a time and in seal order, at the
 * end of the shard's current segment file through the shard's io_uring.
 * Writes are serialized so that the file only ever grows by whole blocks:
 * a failed write is retried at the same offset, and a torn tail can only
 * be the last block. When the writer gives up on a block that a short
 * write left partly in the file, it cuts the file back to its last whole
 * block, so that no segment holds a torn tail while the daemon runs.
 */
#ifndef SLUICE_STORAGE_WRITER_TYPES_H
#define SLUICE_STORAGE_WRITER_TYPES_H

#include <liburing.h>
#include <stdint.h>

#include "core/base/limits.h"
#include "core/base/ring_types.h"
#include "storage/block_types.h"
#include "storage/logblock_types.h"
#include "storage/spanblock_types.h"

/* The writer's ops on the shard's ring (its own user_data op byte). */
enum stor_op {
  STOR_OP_OPEN = 1,   /* openat of a new segment file; arg: segment seq */
  STOR_OP_WRITE,      /* write of one block; arg: buffer index */
  STOR_OP_FSYNC,      /* fdatasync of the current segment */
  STOR_OP_DIRSYNC,    /* fsync of the shard directory (new file names) */
  STOR_OP_CLOSE_FSYNC,/* fdatasync of a segment being retired; arg: covers */
  STOR_OP_CLOSE,      /* close of a retired segment */
  STOR_OP_TRUNCATE,   /* ftruncate of the current segment to seg_off after
                         its queue was given up (IORING_OP_FTRUNCATE) */
};

/*
 * Storage's counters (sluice_storage_*, sluice_recovery_*), one block per
 * shard, written by that shard only (core/base/stat.h), read by /metrics.
 */
struct stor_stats {
  uint64_t blocks_written;
  uint64_t bytes_written;
  uint64_t segments_opened;
  uint64_t fsyncs;
  uint64_t write_errors;             /* failed block writes (retried) */
  uint64_t fsync_errors;
  uint64_t blocks_lost;              /* given up after retries */
  uint64_t points_lost;              /* points in blocks given up */
  uint64_t logs_lost;                /* log records in blocks given up */
  uint64_t spans_lost;               /* spans in blocks given up */
  uint64_t tail_truncations;         /* abandoned partial blocks cut off */
  uint64_t tail_truncated_bytes;     /* ... their bytes */
  uint64_t recovery_truncated_bytes; /* torn tails cut at start-up */
  uint64_t recovery_segments;        /* segments checked at start-up */
  uint64_t durable_seq;              /* gauge: blocks <= this are fsynced
                                        (or lost); the forwarder sends
                                        only those (net/forward) */
};

enum stor_buf_state {
  STOR_BUF_FREE = 0,
  STOR_BUF_QUEUED,    /* encoded, waiting for its turn (or a retry) */
  STOR_BUF_WRITING,   /* write submitted */
};

struct stor_wbuf {
  uint8_t *data;      /* mapped at start-up, resident as used */
  size_t cap;
  size_t len;         /* encoded block bytes */
  uint64_t seq;       /* block sequence number */
  uint64_t seg_seq;   /* segment this block was encoded for */
  uint32_t points;     /* points, or records of a log block */
  uint8_t logs;        /* a log block */
  uint8_t spans;       /* a span block (points: its spans) */
  uint32_t state;     /* enum stor_buf_state */
  uint32_t tries;     /* failed writes so far */
  int fault;          /* injected result of the write in flight, or 0 */
  int64_t retry_at_ms;
};

/* A flush request waiting until every block <= target is durable. */
struct stor_flush_wait {
  uint64_t target;
  uint64_t gen;       /* the requester's flush generation, echoed back */
  int failed;         /* a block <= target was lost */
};

/* A sealed head's points, in arrival order (columns of count). */
struct stor_points {
  const uint32_t *series_id;
  const int64_t *ts_ms;
  const double *value;
  uint32_t count;
};

/*
 * Where the writer learns the dictionary entry (key, type) of a series id
 * the first time a segment holds it: the shard's dictionary, which storage
 * does not otherwise know. entry() fills out->id, type, key and key_len;
 * the key must stay valid until the next seal.
 */
struct stor_series_src {
  void (*entry)(const void *ctx, uint32_t id, struct stor_dict_entry *out);
  const void *ctx;
};

struct stor_writer_cfg {
  uint16_t shard;
  int dir_fd;                 /* <data-dir>/shard-K, opened by the caller */
  uint64_t next_seg_seq;      /* first segment to create (after recovery) */
  uint64_t next_block_seq;    /* first block sequence number */
  uint32_t fsync_interval_ms;
  uint64_t segment_bytes_max;
  uint64_t segment_age_ms_max;
  uint32_t segment_points_max; /* items a segment holds (points, log
                                  records, spans); 0 or above
                                  STOR_SEGMENT_POINTS_MAX: that bound */
  uint32_t series_max;        /* ids the series dictionary can hand out */
  struct stor_series_src series; /* their keys */
  int logs;                   /* set up the log block encoder too */
  int spans;                  /* set up the span block encoder too */
  /* called for every answered flush; failed: a covered block was lost */
  void (*answer)(void *ctx, uint64_t gen, int failed);
  void *answer_ctx;
};

struct stor_writer {
  struct core_ring *ring;
  int tag;                        /* its owner tag on the ring */
  struct stor_stats *stats;
  /* per series id: the segment (low 32 bits of its seq) whose dictionary
   * entries hold it already; a series new to a segment is written there */
  uint32_t *seg_mark;
  struct stor_writer_cfg cfg;
  struct stor_encoder enc;
  struct stor_logenc lenc;        /* log blocks (cfg.logs) */
  struct stor_spanenc senc;       /* span blocks (cfg.spans) */
  struct stor_dict_entry *dict;   /* scratch: dictionary of one block */
  struct stor_wbuf bufs[STOR_WRITE_BUFS_COUNT];
  uint8_t *buf_mem;
  size_t buf_bytes;
  uint32_t order[STOR_WRITE_BUFS_COUNT]; /* FIFO of buffer indexes */
  uint32_t order_head, order_len;
  /* the segment blocks are being encoded for */
  uint64_t enc_seg_seq;
  uint64_t enc_seg_bytes;         /* bytes encoded for it so far */
  uint64_t enc_seg_points;        /* items encoded for it so far */
  int64_t enc_seg_opened_ms;
  /* the segment file being written */
  int seg_fd;                     /* -1: none open */
  uint64_t seg_seq;
  uint64_t seg_off;               /* end of the last whole block */
  uint64_t seg_tail;              /* end of the bytes the file may hold:
                                     > seg_off after a short write */
  int truncating;                 /* the cut to seg_off is in flight */
  int ftruncate_op;               /* the kernel has IORING_OP_FTRUNCATE */
  int opening;                    /* openat in flight */
  char open_name[32];
  int closing_fd;                 /* old segment: fsync then close */
  /* progress */
  uint64_t block_seq;             /* last sequence number assigned */
  uint64_t written_seq;           /* blocks <= this are written (or lost) */
  uint64_t durable_seq;           /* blocks <= this are fsynced (or lost) */
  uint64_t lost_seq;              /* highest block given up on */
  int write_inflight;
  int fsync_inflight;
  uint64_t fsync_covers;          /* written_seq when that fsync started */
  int dir_sync_wanted;            /* a new file's name must reach disk */
  int64_t last_fsync_ms;
  uint64_t writes_done;           /* for fault injection */
  uint64_t fsyncs_done;
  struct stor_flush_wait waits[CORE_CTL_RING_ENTRIES];
  uint32_t wait_count;
  uint64_t *active_seg_pub;       /* seg_seq published for retention */
};

#endif
