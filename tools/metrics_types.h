/*
 * tools/metrics_types.h - sluice's /metrics, summed per shard.
 *
 * Families read (see docs in DESIGN.md and core/stats.c):
 *   sluice_points_ingested_total{shard,proto,type}  -> ingested[proto], points
 *   sluice_logs_ingested_total{shard,proto}         -> ingested[proto]
 *   sluice_parse_errors_total{shard,proto,reason}   -> parse_errors[proto]
 *   sluice_statsd_events_total{shard,kind}          -> statsd_events
 *   sluice_series_rejected_total{shard}             -> series_rejected
 *   sluice_rx_datagrams_total / rx_bytes_total{shard,listener}
 *   sluice_rx_dropped_total{shard}, sluice_series_active{shard},
 *   sluice_tcp_connections{shard}
 *   sluice_storage_bytes_written_total{shard}       -> storage_bytes
 *   sluice_storage_segments_opened_total{shard}     -> segments
 *   sluice_storage_points_lost_total{shard},
 *   sluice_storage_logs_lost_total{shard}           -> storage_lost
 *   process_start_time_seconds (no shard label)     -> total.start_time
 */
#ifndef SLUICE_TOOLS_METRICS_TYPES_H
#define SLUICE_TOOLS_METRICS_TYPES_H

#include "core/base/limits.h"
#include "tools/workload_types.h"

struct tools_counts {
  double ingested[TOOLS_PROTO_COUNT];     /* points or log records */
  double parse_errors[TOOLS_PROTO_COUNT];
  double points;                          /* StatsD points ingested */
  double errors;                          /* parse errors, every protocol */
  double statsd_events;                   /* events + service checks */
  double series_rejected;
  double rx_datagrams;
  double rx_bytes;
  double rx_dropped;
  double series_active;
  double tcp_connections;
  double storage_bytes;                   /* bytes written to segments */
  double segments;                        /* segment files opened */
  double storage_lost;                    /* points + records given up */
  double start_time;                      /* Unix s; total only, 0: absent */
};

struct tools_metrics {
  unsigned shard_count;                   /* highest shard label + 1 */
  unsigned samples;                       /* samples that were used */
  unsigned malformed;                     /* lines skipped as malformed */
  struct tools_counts shard[CORE_SHARDS_MAX];
  struct tools_counts total;              /* every sample, shard or not */
};

#endif
