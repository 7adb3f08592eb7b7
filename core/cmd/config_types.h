/*
 * core/cmd/config_types.h - the options of `sluice run` (and `import`).
 */
#ifndef SLUICE_CORE_CMD_CONFIG_TYPES_H
#define SLUICE_CORE_CMD_CONFIG_TYPES_H

#include <stdint.h>

#include "core/base/addr_types.h"
#include "core/base/limits.h"
#include "net/forward/forward_types.h"

struct core_config {
  unsigned shard_count;
  int cpus[CORE_SHARDS_MAX];     /* CPU of shard i */
  struct core_addr statsd_udp;   /* --statsd-udp, default 0.0.0.0:8125 */
  struct core_addr statsd_tcp;   /* --statsd-tcp, default 0.0.0.0:8125 */
  struct core_addr syslog_udp;   /* --syslog-udp, default 0.0.0.0:5514 */
  struct core_addr syslog_tcp;   /* --syslog-tcp, default 0.0.0.0:5514 */
  struct core_addr http;         /* --http, default 127.0.0.1:9400 */
  struct core_addr otlp_http;    /* --otlp-http, default 0.0.0.0:4318 */
  struct core_addr otlp_grpc;    /* --otlp-grpc, default 0.0.0.0:4317 */
  char data_dir[4096];           /* --data-dir, default ./sluice-data */
  uint32_t max_series;           /* --max-series (per shard) */
  uint32_t line_bytes_max;       /* --max-line-bytes */
  uint32_t syslog_bytes_max;     /* --syslog-max-bytes */
  uint32_t block_max_age_ms;     /* --block-max-age-ms */
  uint32_t udp_rcvbuf_bytes;     /* --udp-rcvbuf-bytes */
  uint32_t tcp_conns_max;        /* --max-tcp-connections (per shard) */
  uint32_t http_memory_bytes_max;/* --http-memory-bytes (query port) */
  uint32_t fsync_interval_ms;    /* --fsync-interval-ms */
  uint32_t segment_bytes_max;    /* --segment-max-bytes */
  uint64_t segment_age_ms_max;   /* --segment-max-age (a duration) */
  uint64_t retention_ms;         /* --retention (a duration; 0 = forever) */
  uint64_t disk_bytes_max;       /* --max-disk-bytes (0 = no bound) */
  uint64_t compact_after_ms;     /* --compact-after (0 = off) */
  char simd[16];                 /* --simd: auto|avx512|avx2|sse42|scalar */
  char otlp_resource_labels[CORE_OTLP_RESOURCE_LABELS_BYTES_MAX];
                                 /* --otlp-resource-labels LIST|all|none */
  struct net_fwd_config forward; /* --remote-write and its options */
  /* DPDK receive back end (docs/dpdk.md); dpdk_eal[0] == 0: kernel path */
  char dpdk_eal[NET_DPDK_EAL_ARGS_BYTES]; /* --dpdk 'EAL ARGS' */
  uint32_t dpdk_port;            /* --dpdk-port, default 0 */
  uint32_t dpdk_ip;              /* --dpdk-ip, host order; 0: not given */
};

#endif
