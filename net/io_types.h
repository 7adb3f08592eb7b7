/*
 * net/io_types.h - everything a shard's receive side owns: its ring, its
 * buffer rings, its sockets and its TCP connections.
 */
#ifndef SLUICE_NET_IO_TYPES_H
#define SLUICE_NET_IO_TYPES_H

#include <liburing.h>
#include <stdint.h>
#include <sys/socket.h>

#include "core/parse/line_frame_types.h"
#include "core/parse/syslog_frame_types.h"
#include "net/uring_types.h"

/* What a listener speaks; the low bits of its receive/accept user_data. */
enum net_proto { NET_PROTO_STATSD = 0, NET_PROTO_SYSLOG, NET_PROTOS };

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
  struct io_uring ring;
  int ring_ok;
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
};

#endif
