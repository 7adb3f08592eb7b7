/*
 * core/shard/stats_types.h - shard-local counters.
 *
 * Each shard owns one struct core_stats and is its only writer; the query
 * thread reads it for /metrics. Both sides go through core_stat_*
 * (core/base/stat.h). Storage's counters are storage's struct, embedded.
 */
#ifndef SLUICE_CORE_SHARD_STATS_TYPES_H
#define SLUICE_CORE_SHARD_STATS_TYPES_H

#include <stdint.h>

#include "core/parse/statsd_types.h"
#include "core/parse/syslog_types.h"
#include "storage/writer_types.h"

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
  /* sluice_storage_* : the store (head -> writer), core/shard/store.h */
  uint64_t store_waits;              /* seals that waited for a buffer */
  uint64_t store_dropped;            /* blocks dropped: parking space full */
  /* sluice_storage_*, sluice_recovery_*: the segment writer's own */
  struct stor_stats stor;
} __attribute__((aligned(64)));

#endif
