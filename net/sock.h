/*
 * net/sock.h - listening sockets for the shards (start-up only).
 */
#ifndef SLUICE_NET_SOCK_H
#define SLUICE_NET_SOCK_H

#include "core/base/addr_types.h"

/*
 * Open a UDP socket bound to addr with SO_REUSEPORT (one per shard: the
 * kernel spreads datagrams over them by flow hash), SO_RXQ_OVFL (the drop
 * count arrives with each datagram) and SO_RCVBUF of rcvbuf_bytes (capped by
 * net.core.rmem_max; see `sluice tune check`).
 * Returns the fd, or -errno.
 */
int net_sock_udp(const struct core_addr *addr, int rcvbuf_bytes);

/*
 * Open a listening TCP socket bound to addr with SO_REUSEPORT.
 * Returns the fd, or -errno.
 */
int net_sock_tcp_listen(const struct core_addr *addr);

/* Port a socket is bound to (useful when asked for port 0), or -errno. */
int net_sock_port(int fd);

#endif
