/*
 * net/io_types.h - everything a shard's receive side owns: its ring, its
 * buffer rings, its sockets and its TCP connections.
 */
#ifndef SLUICE_NET_IO_TYPES_H
#define SLUICE_NET_IO_TYPES_H

#include <liburing.h>
#include <stdint.h>
#include <sys/socket.h>

#include "net/uring_types.h"

/* One StatsD TCP connection. */
struct net_tcp_conn {
  int fd;
  uint32_t gen;        /* bumped on reuse: stale completions are ignored */
  uint32_t carry_len;  /* bytes of an unfinished line kept in carry */
  uint8_t in_use;
  uint8_t discarding;  /* the current line outgrew the bound: skip to '\n' */
  uint8_t closing;     /* close submitted */
};

struct net_io {
  struct io_uring ring;
  int ring_ok;
  struct net_bufring udp_bufs;
  struct net_bufring tcp_bufs;
  int udp_fd;                   /* -1 when the listener is off */
  int tcp_fd;                   /* -1 when the listener is off */
  int udp_armed;                /* multishot recvmsg in flight */
  int accept_armed;             /* multishot accept in flight */
  struct msghdr udp_msg;        /* template for multishot recvmsg */
  uint32_t line_bytes_max;
  /* TCP connections: a fixed table, allocated at start-up. */
  struct net_tcp_conn *conns;
  char *carry;                  /* conns_max * line_bytes_max bytes */
  char *scratch;                /* NET_UDP_BUF_BYTES for reads at stop */
  uint32_t *free_slots;
  uint32_t free_count;
  uint32_t conns_max;
  uint32_t conns_open;
  int stopping;                 /* no new accepts, no re-arms */
};

#endif
