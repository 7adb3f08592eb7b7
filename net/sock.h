/*
 * net/sock.h - listening sockets for the shards (start-up only).
 */
#ifndef SLUICE_NET_SOCK_H
#define SLUICE_NET_SOCK_H

#include "core/base/addr_types.h"

/*
 * Whether a socket starts a listener's port group or joins the one this
 * process started. NET_SOCK_NEW fails with -EADDRINUSE when any process
 * (another sluice too) already serves the port: sluice never joins a
 * SO_REUSEPORT group it did not create. NET_SOCK_JOIN binds at once: use
 * it for shards 1..N-1 with the port shard 0 got.
 */
enum net_sock_group { NET_SOCK_NEW = 0, NET_SOCK_JOIN };

/*
 * Open a UDP socket bound to addr with SO_REUSEPORT (one per shard: the
 * kernel spreads datagrams over them by flow hash), SO_RXQ_OVFL (the drop
 * count arrives with each datagram) and SO_RCVBUF of rcvbuf_bytes (capped by
 * net.core.rmem_max; see `sluice tune check`).
 * Returns the fd, or -errno (-EADDRINUSE: see enum net_sock_group).
 */
int net_sock_udp(const struct core_addr *addr, int rcvbuf_bytes,
                 enum net_sock_group group);

/*
 * Open a listening TCP socket bound to addr with SO_REUSEPORT.
 * Returns the fd, or -errno (-EADDRINUSE: see enum net_sock_group).
 */
int net_sock_tcp_listen(const struct core_addr *addr,
                        enum net_sock_group group);

/* Port a socket is bound to (useful when asked for port 0), or -errno. */
int net_sock_port(int fd);

#endif
