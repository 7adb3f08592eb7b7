/*
 * net/io_types.h - everything a shard's receive side owns: its buffer
 * rings, its sockets and its TCP connections (the ring is the shard's).
 */
#ifndef SLUICE_NET_IO_TYPES_H
#define SLUICE_NET_IO_TYPES_H

#include <liburing.h>
#include <stdint.h>
#include <sys/socket.h>

#include "core/base/ring_types.h"
#include "core/parse/line_frame_types.h"
#include "core/parse/syslog_frame_types.h"
#include "net/bufring_types.h"

struct core_pipe;

/* The receive side's ops on the shard's ring (its own user_data op byte). */
enum net_op {
  NET_OP_UDP_RECV = 1, /* multishot recvmsg on a UDP socket; arg: listener */
  NET_OP_TCP_ACCEPT,   /* multishot accept; arg: listener */
  NET_OP_TCP_RECV,     /* multishot recv on a connection; arg: conn_arg() */
  NET_OP_TCP_CLOSE,    /* close of a connection; arg: conn_arg() */
};

/* Receive paths, the `listener` label of sluice_rx_*. */
enum net_listener {
  NET_LISTENER_STATSD_UDP = 0,
  NET_LISTENER_STATSD_TCP,
  NET_LISTENER_SYSLOG_UDP,
  NET_LISTENER_SYSLOG_TCP,
  NET_LISTENER_COUNT
};

/* The receive side's counters (one writer: the shard; see core/base/stat.h). */
struct net_rx_stats {
  /* sluice_rx_*_total{listener} */
  uint64_t rx_datagrams[NET_LISTENER_COUNT]; /* UDP datagrams, TCP reads */
  uint64_t rx_bytes[NET_LISTENER_COUNT];
  uint64_t rx_dropped;      /* kernel UDP overflow, from SO_RXQ_OVFL */
  uint64_t rx_truncated;    /* datagrams larger than a provided buffer */
  uint64_t rx_nobufs;       /* multishot recv ran out of provided buffers */
  uint64_t rx_errors;       /* failed recv completions */
  /* sluice_tcp_* */
  uint64_t tcp_connections; /* open now (gauge) */
  uint64_t tcp_accepted;    /* total accepted */
  uint64_t tcp_rejected;    /* over the per-shard bound */
};

/* What a listener speaks; the low bits of its receive/accept user_data. */
enum net_proto { NET_PROTO_STATSD = 0, NET_PROTO_SYSLOG, NET_PROTOS };

/* A stop (net_io_stop, net_io_drain): the bounds of what is still
 * ingested, in; what became of the rest, out. */
struct net_drain {
  int64_t deadline_ms;   /* in: ingest until then (core_ring_now_ms time) */
  /* in: 1 while what is ingested can still be stored in time (the
   * storage is not behind); asked before each read or completion */
  int (*keeping_up)(void *ctx);
  void *ctx;
  uint64_t reads;        /* out: UDP datagrams and TCP reads the drain took */
  uint64_t left_bytes;   /* out: TCP bytes received or buffered at the
                            stop and not ingested */
  uint64_t left_datagrams; /* out: UDP datagrams received, not ingested */
  int cut;               /* out: a bound left data not ingested */
};

/* What net_io_init needs: listening sockets (-1: off) and bounds. */
struct net_io_cfg {
  int udp_fd, tcp_fd;               /* StatsD */
  int syslog_udp_fd, syslog_tcp_fd; /* syslog */
  uint32_t conns_max;               /* --max-tcp-connections */
  uint32_t line_bytes_max;          /* --max-line-bytes */
  uint32_t syslog_bytes_max;        /* --syslog-max-bytes */
};

/* One TCP connection (StatsD or syslog). */
struct net_tcp_conn {
  int fd;
  uint32_t gen;        /* bumped on reuse: stale completions are ignored */
  uint8_t in_use;
  uint8_t closing;     /* close submitted */
  uint8_t proto;       /* enum net_proto of its listener */
};

struct net_io {
  struct core_ring *ring;       /* the shard's */
  int tag;                      /* this side's owner tag on it */
  struct core_pipe *pipe;       /* where received bytes go */
  struct net_rx_stats *stats;   /* the shard's receive counters */
  struct net_bufring udp_bufs;
  struct net_bufring tcp_bufs;
  int udp_fd[NET_PROTOS];       /* -1 when the listener is off */
  int tcp_fd[NET_PROTOS];       /* -1 when the listener is off */
  int udp_armed[NET_PROTOS];    /* multishot recvmsg in flight */
  int accept_armed[NET_PROTOS]; /* multishot accept in flight */
  struct msghdr udp_msg;        /* template for multishot recvmsg (the
                                   same for every UDP listener) */
  uint32_t line_bytes_max;
  uint32_t syslog_bytes_max;
  /* syslog TCP framing (only with a syslog TCP listener): one framer per
   * connection slot, each with syslog_bytes_max bytes of frame buffer */
  struct core_syslog_framer *framers;
  char *frame_bufs;
  /* TCP connections: a fixed table, allocated at start-up. */
  struct net_tcp_conn *conns;
  /* StatsD TCP framing: one line framer per connection slot, each with
   * core_line_framer_buf_bytes(line_bytes_max) bytes of carry */
  struct core_line_framer *line_framers;
  char *carry;
  char *scratch;                /* NET_UDP_BUF_BYTES for reads at stop */
  uint32_t *free_slots;
  uint32_t free_count;
  uint32_t conns_max;
  uint32_t conns_open;
  int stopping;                 /* no new accepts, no re-arms */
  struct net_drain *drain;      /* the stop's bounds (net_io_stop) */
};

#endif
