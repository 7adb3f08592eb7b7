/*
 * net/io_internal.h - shared between net/io.c, net/udp.c and net/tcp.c.
 */
#ifndef SLUICE_NET_IO_INTERNAL_H
#define SLUICE_NET_IO_INTERNAL_H

#include <liburing.h>
#include <stdint.h>

#include "core/base/ring.h"
#include "core/ingest/pipe_types.h"
#include "net/io_types.h"

/* user_data of a receive-side request. */
static inline uint64_t net_io_ud(const struct net_io *io, enum net_op op,
                                 uint64_t arg) {
  return core_ring_ud(io->tag, op, arg);
}

void net_udp_arm(struct net_io *io, enum net_proto proto);
void net_udp_complete(struct net_io *io, const struct io_uring_cqe *cqe, int64_t now_ms);
void net_udp_drain(struct net_io *io, int64_t deadline_ms,
                   struct net_drain *d);

int net_tcp_init(struct net_io *io, uint32_t conns_max, int syslog);
void net_tcp_free(struct net_io *io);
void net_tcp_arm_accept(struct net_io *io, enum net_proto proto);
void net_tcp_complete_accept(struct net_io *io, const struct io_uring_cqe *cqe);
void net_tcp_complete_recv(struct net_io *io, const struct io_uring_cqe *cqe, int64_t now_ms);
void net_tcp_complete_close(struct net_io *io, const struct io_uring_cqe *cqe);
void net_tcp_drain(struct net_io *io, struct net_drain *d);
void net_tcp_cancel(struct net_io *io);
void net_io_cancel(struct net_io *io, uint64_t cancel_ud);

/* 1 while received data is ingested: always before the stop; after it,
 * while the stop's bounds allow (else 0, and the drain's cut is set). */
int net_io_may_ingest(struct net_io *io);

#endif
