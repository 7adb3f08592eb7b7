/*
 * core/shard/stats_types.h - shard-local counters.
 *
 * Each shard owns one struct core_stats and is its only writer; the query
 * thread reads it for /metrics. Both sides go through core_stat_* (relaxed
 * atomics), so a reader sees whole 64-bit values without any lock.
 */
#ifndef SLUICE_CORE_SHARD_STATS_TYPES_H
#define SLUICE_CORE_SHARD_STATS_TYPES_H

#include <stdint.h>

#include "core/parse/statsd_types.h"
#include "core/parse/syslog_types.h"

/* Receive paths, the `listener` label. */
enum core_listener {
  CORE_LISTENER_STATSD_UDP = 0,
  CORE_LISTENER_STATSD_TCP,
  CORE_LISTENER_SYSLOG_UDP,
  CORE_LISTENER_SYSLOG_TCP,
  CORE_LISTENER_COUNT
};

struct core_stats {
  /* sluice_points_ingested_total{proto="statsd",type} */
  uint64_t points_statsd[CORE_STATSD_TYPE_COUNT];
  /* sluice_parse_errors_total{proto="statsd",reason} */
  uint64_t parse_errors_statsd[CORE_STATSD_ERR_COUNT];
  /* sluice_statsd_events_total{kind="event"|"service_check"} */
  uint64_t statsd_events;
  uint64_t statsd_service_checks;
  /* sluice_logs_ingested_total{proto="syslog"}: records stored in the head */
  uint64_t logs_syslog;
  /* sluice_parse_errors_total{proto="syslog",reason} (stored anyway) */
  uint64_t parse_errors_syslog[CORE_SYSLOG_ERR_COUNT];
  /* sluice_rx_*_total{listener} */
  uint64_t rx_datagrams[CORE_LISTENER_COUNT]; /* UDP datagrams, TCP reads */
  uint64_t rx_bytes[CORE_LISTENER_COUNT];
  uint64_t rx_dropped;      /* kernel UDP overflow, from SO_RXQ_OVFL */
  uint64_t rx_truncated;    /* datagrams larger than a provided buffer */
  uint64_t rx_nobufs;       /* multishot recv ran out of provided buffers */
  uint64_t rx_errors;       /* failed recv completions */
  /* sluice_series_* */
  uint64_t series_active;
  uint64_t series_rejected; /* over --max-series or the key arena */
  /* sluice_tcp_* */
  uint64_t tcp_connections;          /* open now (gauge) */
  uint64_t tcp_accepted;             /* total accepted */
  uint64_t tcp_rejected;             /* over the per-shard bound */
  /* sluice_head_* : the open block */
  uint64_t head_points;              /* points in the open block (gauge) */
  uint64_t head_sealed_blocks;
  uint64_t head_sealed_points;
  uint64_t loghead_records;          /* records in the open log block (gauge) */
  uint64_t loghead_sealed_blocks;
  uint64_t loghead_sealed_records;
  /* sluice_storage_* : segment writer */
  uint64_t stor_blocks_written;
  uint64_t stor_bytes_written;
  uint64_t stor_segments_opened;
  uint64_t stor_fsyncs;
  uint64_t stor_write_errors;        /* failed block writes (retried) */
  uint64_t stor_fsync_errors;
  uint64_t stor_blocks_lost;         /* given up after retries */
  uint64_t stor_points_lost;
  uint64_t stor_logs_lost;           /* log records in blocks given up */
  uint64_t stor_backpressure_waits;  /* seals that waited for a buffer */
  uint64_t stor_deferred_dropped;    /* blocks dropped: parking space full */
  uint64_t recovery_truncated_bytes; /* torn tails cut at start-up */
  uint64_t recovery_segments;        /* segments checked at start-up */
} __attribute__((aligned(64)));

#endif
