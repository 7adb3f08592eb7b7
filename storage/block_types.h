/*
 * storage/block_types.h - the on-disk block of a segment (format v1).
 *
 * A segment file is a sequence of blocks back to back, with no file header.
 * A block is a fixed 64-byte header followed by its payload (four columns
 * in this order: dictionary, series runs, timestamps, values). Every
 * integer of the header is little-endian. The byte tables, column
 * encodings and a worked example are in docs/segment-format.md; this
 * header is the authority for field offsets.
 *
 *   off size field
 *   0   4    magic "SLB1" (0x53 0x4c 0x42 0x31)
 *   4   1    format version (1)
 *   5   1    kind: 1 = metrics, 2 = logs (storage/logblock_types.h);
 *            any other kind is a bad block to every reader
 *   6   2    shard id
 *   8   4    point count (1 .. STOR_BLOCK_POINTS_MAX)
 *   12  4    series runs (1 .. point count)
 *   16  6    block sequence number within the shard (1 .. 2^48 - 1)
 *   22  2    header check: low 16 bits of the CRC32C of bytes 0..59 with
 *            bytes 22..23 zero (every single-byte error of the header is
 *            caught before its lengths are trusted)
 *   24  8    min timestamp, ms since the epoch (signed)
 *   32  8    max timestamp, ms since the epoch (signed)
 *   40  4    payload bytes (after the header)
 *   44  4    dictionary entries (0 .. series runs)
 *   48  4    dictionary column bytes
 *   52  4    series runs column bytes
 *   56  4    timestamps column bytes
 *   60  4    CRC32C of bytes 0..59, four zero bytes, then the payload
 *
 * The values column takes the rest of the payload: payload bytes minus the
 * three column lengths. Why a header check besides the CRC: a reader that
 * holds fewer bytes than the header claims (a segment still being written,
 * a torn tail) must tell "not all here yet" (-EAGAIN) from "corrupt"
 * (-EBADMSG), which needs a header it can trust on its own.
 * CRC32C is the Castagnoli CRC (iSCSI, RFC 3720: reflected, polynomial
 * 0x1EDC6F41, initial value and final XOR 0xFFFFFFFF; "123456789" gives
 * 0xE3069283). With isa-l: crc32_iscsi(buf, len, 0xFFFFFFFF) ^ 0xFFFFFFFF,
 * chained across pieces by passing the raw (un-XORed) value on.
 */
#ifndef SLUICE_STORAGE_BLOCK_TYPES_H
#define SLUICE_STORAGE_BLOCK_TYPES_H

#include <stddef.h>
#include <stdint.h>

#include "storage/encode_types.h"

#define STOR_BLOCK_MAGIC UINT32_C(0x31424c53) /* "SLB1" read little-endian */
#define STOR_BLOCK_VERSION 1
#define STOR_BLOCK_HEADER_BYTES 64
#define STOR_BLOCK_SEQ_MAX ((UINT64_C(1) << 48) - 1) /* 6-byte field */

/* Header field offsets (see the table above). */
#define STOR_HDR_OFF_MAGIC 0
#define STOR_HDR_OFF_VERSION 4
#define STOR_HDR_OFF_KIND 5
#define STOR_HDR_OFF_SHARD 6
#define STOR_HDR_OFF_POINTS 8
#define STOR_HDR_OFF_RUNS 12
#define STOR_HDR_OFF_SEQ 16
#define STOR_HDR_OFF_CHECK 22
#define STOR_HDR_OFF_MIN_TS 24
#define STOR_HDR_OFF_MAX_TS 32
#define STOR_HDR_OFF_PAYLOAD 40
#define STOR_HDR_OFF_DICT_COUNT 44
#define STOR_HDR_OFF_DICT_BYTES 48
#define STOR_HDR_OFF_RUNS_BYTES 52
#define STOR_HDR_OFF_TS_BYTES 56
#define STOR_HDR_OFF_CRC 60

/*
 * Worst-case bytes, used by stor_block_bytes_max and by the header check
 * (a payload larger than its counts allow is corrupt):
 *   dictionary entry: id varint (5) + type (1) + key length varint (5);
 *   run entry: id delta (5) + count (5): 10;
 *   timestamps of a run of n: offset, mode byte and two varints (31),
 *   then up to 69 bits a point (a delta-of-delta escape): <= 31 n;
 *   values of a run of n: mode byte, three varint/width bytes (13), then up
 *   to 78 bits a point (XOR): <= 23 n.
 * So 10 + 31 + 23 = 64 bytes a point bound every block.
 */
#define STOR_DICT_ENTRY_OVERHEAD_BYTES 11
#define STOR_POINT_BYTES_MAX 64

enum stor_block_kind {
  STOR_KIND_METRICS = 1,
  STOR_KIND_LOGS = 2,
};

/*
 * The type byte of a dictionary entry: what kind of samples a series holds,
 * as the format defines it (the StatsD parser's enum core_statsd_type has
 * the same values for 0..5; core/shard/store.c asserts they agree). 6..15
 * are OTLP series (core/ingest/otlpmap.c, docs/otlp.md "Mapping"): every
 * series an OTLP histogram, exponential histogram or summary point feeds
 * (_bucket, _count, _sum, ...) carries its metric's type.
 */
enum stor_series_type {
  STOR_SERIES_COUNTER = 0,
  STOR_SERIES_GAUGE,
  STOR_SERIES_TIMER,
  STOR_SERIES_HISTOGRAM,
  STOR_SERIES_DISTRIBUTION,
  STOR_SERIES_SET,
  STOR_SERIES_OTLP_GAUGE = 6,         /* values as sent */
  STOR_SERIES_OTLP_SUM_CUMULATIVE,    /* monotonic sum, running totals */
  STOR_SERIES_OTLP_SUM_DELTA,         /* monotonic sum, increments */
  STOR_SERIES_OTLP_UPDOWN_CUMULATIVE, /* non-monotonic sum, running totals */
  STOR_SERIES_OTLP_UPDOWN_DELTA,      /* non-monotonic sum, increments */
  STOR_SERIES_OTLP_HIST_CUMULATIVE,   /* explicit-bucket histogram */
  STOR_SERIES_OTLP_HIST_DELTA,
  STOR_SERIES_OTLP_EXPHIST_CUMULATIVE,/* exponential histogram */
  STOR_SERIES_OTLP_EXPHIST_DELTA,
  STOR_SERIES_OTLP_SUMMARY,
  STOR_SERIES_TYPES_COUNT
};

/*
 * The fields every kind of block shares (the "frame"), decoded: what a
 * segment reader needs to learn a block's kind, sequence number, time range
 * and length before dispatching to the kind's own header rules.
 */
struct stor_frame {
  uint8_t version;
  uint8_t kind;            /* enum stor_block_kind */
  uint16_t shard;
  uint32_t count;          /* points (metrics) or records (logs) */
  uint64_t seq;
  int64_t min, max;        /* ms for metrics, ns for logs */
  uint32_t payload_bytes;
  uint32_t crc;
};

/* The header, decoded. */
struct stor_block_hdr {
  uint32_t magic;
  uint16_t version;
  uint8_t kind;
  uint16_t shard;
  uint32_t point_count;
  uint64_t seq;
  uint16_t hdr_check;
  int64_t min_ts_ms;
  int64_t max_ts_ms;
  uint32_t payload_bytes;
  uint32_t dict_count;
  uint32_t run_count;
  uint32_t dict_bytes;   /* column lengths; they sum to payload_bytes */
  uint32_t runs_bytes;
  uint32_t ts_bytes;
  uint32_t values_bytes; /* derived: payload_bytes minus the other three */
  uint32_t crc;
};

/*
 * A series dictionary entry. A block carries the entries of the series it
 * uses that no earlier block of the same segment carried, so a reader that
 * scans a segment from its first block knows every id it meets.
 */
struct stor_dict_entry {
  uint32_t id;        /* the shard's series id */
  uint8_t type;       /* enum stor_series_type */
  const char *key;    /* canonical key (core_series_key), not NUL-terminated */
  uint32_t key_len;
};

/* What a writer hands to the encoder: a sealed head, in arrival order. */
struct stor_block_in {
  uint16_t shard;
  uint64_t seq;
  uint32_t count;
  const uint32_t *series_id;
  const int64_t *ts_ms;
  const double *value;
  uint32_t dict_count;
  const struct stor_dict_entry *dict;
};

/* One run of points of one series, as decoded. */
struct stor_run {
  uint32_t series_id;
  uint32_t count;
};

/*
 * Scratch of one encoder, sized at stor_encoder_init for points_max points
 * so that encoding allocates nothing.
 */
struct stor_encoder {
  uint32_t points_max;
  uint32_t *order;     /* point indexes, grouped by series then time */
  uint32_t *tmp;       /* sort scratch */
  uint32_t *run_ids;   /* series id of each run */
  uint8_t *dict_seen;  /* per run: a dictionary entry names it */
  int64_t *ts;         /* one run's timestamps, gathered */
  double *val;         /* one run's values, gathered */
  int64_t *ints;       /* one run's values on the integer path */
  uint8_t *cols;       /* runs, timestamps and values columns */
  size_t runs_cap, ts_cap, val_cap;
};

/*
 * A block opened for reading. The dictionary and the runs are read
 * independently (stor_block_next_dict, stor_block_next_run); the runs,
 * timestamps and values columns advance together.
 */
struct stor_block_reader {
  struct stor_block_hdr hdr;
  const uint8_t *block;
  const uint8_t *dict_p, *dict_end;
  uint32_t dict_left;
  struct stor_bitr runs, ts, val;
  uint32_t runs_left;
  uint32_t points_left;
  int64_t prev_id;            /* -1 before the first run */
  int64_t seen_min, seen_max; /* must meet the header's range at the end */
  int failed;                 /* sticky: every later call is -EBADMSG */
};

#endif
