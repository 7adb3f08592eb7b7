/*
 * core/shard/shard_types.h - a shard: one pinned thread that owns one io_uring,
 * one pipeline, one store and one stats block, and shares nothing on the
 * data path. On its ring the shard is an owner too (control messages),
 * beside the receive side (net/io.h) and the writer.
 */
#ifndef SLUICE_CORE_SHARD_SHARD_TYPES_H
#define SLUICE_CORE_SHARD_SHARD_TYPES_H

#include <pthread.h>
#include <stdint.h>

#include "core/base/heap_types.h"
#include "core/base/limits.h"
#include "core/base/ring_types.h"
#include "core/ingest/pipe_types.h"
#include "core/ingest/series_types.h"
#include "core/shard/stats_types.h"
#include "core/shard/store_types.h"
#include "net/dpdk_types.h"
#include "net/io_types.h"
#include "net/otlp_grpc_types.h"
#include "net/otlp_http_types.h"

/* What a shard needs of the configuration (filled by `sluice run`). */
struct core_shard_cfg {
  uint32_t max_series;           /* --max-series: what one shard can hold */
  struct core_series_budget *series_budget; /* ... and all shards together */
  uint32_t line_bytes_max;       /* --max-line-bytes */
  uint32_t syslog_bytes_max;     /* --syslog-max-bytes */
  uint32_t tcp_conns_max;        /* --max-tcp-connections */
  uint32_t block_max_age_ms;     /* --block-max-age-ms */
  uint32_t fsync_interval_ms;    /* --fsync-interval-ms */
  uint64_t segment_bytes_max;    /* --segment-max-bytes */
  uint64_t segment_age_ms_max;   /* --segment-max-age */
  const char *otlp_resource_labels; /* --otlp-resource-labels (NULL:
                                       the default) */
  int dpdk;                      /* --dpdk: poll DPDK queue <id> */
};

/* Control messages from the main thread. */
enum core_ctl_op {
  CORE_CTL_STOP = 1,   /* drain what is buffered, seal, make durable, exit
                          the loop; arg: when the stop began
                          (core_ring_now_ms), deadlines count from it */
  CORE_CTL_SEAL,       /* seal the open block now */
  CORE_CTL_FLUSH,      /* seal, then answer when durable; arg: generation */
  /* SIGHUP: a new value (arg) for one of the options a shard takes live */
  CORE_CTL_SET_BLOCK_AGE,       /* --block-max-age-ms */
  CORE_CTL_SET_FSYNC_INTERVAL,  /* --fsync-interval-ms */
  CORE_CTL_SET_SEGMENT_BYTES,   /* --segment-max-bytes */
  CORE_CTL_SET_SEGMENT_AGE,     /* --segment-max-age (ms) */
};

struct core_ctl_msg {
  uint32_t op;
  uint32_t pad;
  uint64_t arg;
};

/*
 * Single-producer (main thread) single-consumer (shard) ring. head is
 * written by the consumer only, tail by the producer only.
 */
struct core_ctl_ring {
  struct core_ctl_msg msgs[CORE_CTL_RING_ENTRIES];
  uint32_t head __attribute__((aligned(64)));
  uint32_t tail __attribute__((aligned(64)));
};

enum core_shard_state {
  CORE_SHARD_STARTING = 0,
  CORE_SHARD_RUNNING,
  CORE_SHARD_FAILED,   /* start-up failed: start_rc holds -errno */
  CORE_SHARD_STOPPED,
};

/* The shard's own ops on its ring. */
enum core_shard_op {
  CORE_SHARD_OP_CTL = 1,   /* read of the control eventfd */
};

struct core_shard {
  struct core_stats stats;          /* first: cache-line aligned */
  unsigned id;
  int cpu;
  struct core_shard_cfg cfg;
  int udp_fd;                       /* handed to io at start, -1 when off */
  int tcp_fd;
  int syslog_udp_fd;                /* the same for --syslog-udp/-tcp */
  int syslog_tcp_fd;
  int otlp_http_fd;                 /* --otlp-http, -1 when off */
  int otlp_grpc_fd;                 /* --otlp-grpc, -1 when off */
  int efd;                          /* eventfd: wakes the shard for ctl */
  uint64_t efd_buf;                 /* target of the eventfd read */
  struct core_ctl_ring ctl;
  struct core_ring ring;            /* all of the shard's I/O */
  struct core_heap heap;            /* what it allocates after start-up */
  int tag;                          /* the shard's own owner tag on it */
  struct core_pipe pipe;
  struct net_io io;
  struct net_otlp_http otlp;        /* OTLP/HTTP on the same ring */
  struct net_dpdk_queue dpdk;       /* with cfg.dpdk: the shard's queue */
  struct net_otlp_grpc otlp_grpc;   /* OTLP/gRPC on the same ring */
  struct core_store store;
  int dir_fd;                       /* <data-dir>/shard-<id>, or -1 */
  uint64_t next_seg_seq;            /* from recovery */
  uint64_t next_block_seq;
  uint64_t active_seg;              /* published by the writer */
  uint64_t flush_answered;          /* last flush generation answered */
  int flush_failed;                 /* ... and whether it lost data */
  pthread_t thread;
  int started;                      /* thread was created */
  int state;                        /* enum core_shard_state (atomic) */
  int start_rc;
  const char *start_what;           /* what failed at start-up */
  int stop;                         /* loop exit requested */
  int stop_requested;               /* atomic, set by core_shard_request_stop:
                                       the ring's brake (seen between two
                                       completions, before CORE_CTL_STOP) */
  int64_t stop_t0;                  /* atomic: when the stop began */
  int64_t stop_began_ms;            /* the stop's t0, as the shard took it */
  struct net_drain drain;           /* the stop's bounds on receiving */
  int stop_lost;                    /* blocks were not durable within
                                       CORE_STOP_STORE_MS (read after join) */
};

#endif
