/*
 * net/forward/forward_types.h - forwarding to Prometheus remote-write
 * targets: the options of each target, the durable cursor of a target on
 * one shard, the per-target counters. See net/forward/forward.h and
 * docs/forwarding.md.
 */
#ifndef SLUICE_NET_FORWARD_FORWARD_TYPES_H
#define SLUICE_NET_FORWARD_FORWARD_TYPES_H

#include <stdint.h>

#include "core/base/limits.h"

/* A parsed target URL: http:// or https://, host, port, path (+ query). */
struct net_fwd_url {
  int tls;                          /* https */
  char host[256];                   /* name or address, without brackets */
  uint16_t port;                    /* 80 / 443 when absent */
  char path[NET_FWD_URL_BYTES_MAX]; /* "/api/v1/write", query included */
  char authority[300];              /* Host header: host[:port] as given */
};

/* One --remote-write target as configured (the options after it). */
struct net_fwd_target_cfg {
  char url[NET_FWD_URL_BYTES_MAX];
  char headers[NET_FWD_HEADERS_MAX][NET_FWD_HEADER_BYTES_MAX]; /* "N: v" */
  unsigned header_count;
  char basic_user[256];                        /* --remote-write-basic-auth */
  char basic_pass_file[NET_FWD_PATH_BYTES_MAX];
  char bearer_file[NET_FWD_PATH_BYTES_MAX];    /* ...-bearer-token-file */
  char ca_file[NET_FWD_PATH_BYTES_MAX];        /* --remote-write-ca-file */
};

/* Every forwarding option of `sluice run`. */
struct net_fwd_config {
  unsigned count;                              /* remote-write targets */
  struct net_fwd_target_cfg t[NET_FWD_TARGETS_MAX];
  unsigned syslog_count;                       /* --forward-syslog */
  char syslog[NET_FWD_TARGETS_MAX][300];       /* HOST:PORT */
  unsigned otlp_count;                         /* --otlp-export */
  char otlp[NET_FWD_TARGETS_MAX][NET_FWD_URL_BYTES_MAX]; /* base URL */
  uint32_t batch_samples;                      /* send at this many */
  uint32_t batch_age_ms;                       /* ... or this old */
};

/*
 * Where a target stands on one shard: the next block to send is the one
 * at byte `offset` of segment `segment`, and its first `points` points
 * (in the block's run order) are sent already. `block` is the sequence
 * number of the last block sent whole (0: none yet), a check on the
 * offset. Saved as <data-dir>/forward/<target-id>/shard-<K>.cursor.
 */
struct net_fwd_cursor {
  uint64_t segment;
  uint64_t offset;
  uint64_t block;
  uint64_t points;
};

/*
 * A target's counters: one writer (the target's thread), read by the
 * query thread for /metrics (core/base/stat.h).
 */
struct net_fwd_stats {
  uint64_t sent_samples;        /* acknowledged with a 2xx (syslog: log
                                   records written to the connection) */
  uint64_t sent_requests;
  uint64_t failed_requests;     /* no 2xx: connection error, 5xx, 4xx */
  uint64_t retries;             /* requests sent again after a failure */
  uint64_t rejected_samples;    /* in batches answered 4xx (not 429) */
  uint64_t dropped_by_retention;/* segments deleted before they were sent */
  uint64_t lag_seconds;         /* gauge: 0 when caught up */
  uint64_t pending_bytes;       /* gauge: segment bytes after the cursors */
};

#endif
