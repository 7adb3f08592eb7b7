/*
 * net/io.c - set-up and completion dispatch of a shard's receive side.
 */
#include "net/io.h"

#include <errno.h>
#include <string.h>
#include <unistd.h>

#include "core/base/limits.h"
#include "net/bufring.h"
#include "net/io_internal.h"

static void close_listeners(struct net_io *io) {
  for (int i = 0; i < NET_PROTOS; i++) {
    if (io->udp_fd[i] >= 0)
      close(io->udp_fd[i]);
    if (io->tcp_fd[i] >= 0)
      close(io->tcp_fd[i]);
    io->udp_fd[i] = io->tcp_fd[i] = -1;
  }
}

static void complete(void *ctx, const struct io_uring_cqe *cqe,
                     int64_t now_ms);

int net_io_init(struct net_io *io, struct core_ring *ring,
                struct core_pipe *pipe, struct net_rx_stats *stats,
                const struct net_io_cfg *cfg) {
  int rc;

  memset(io, 0, sizeof(*io));
  for (int i = 0; i < NET_PROTOS; i++)
    io->udp_fd[i] = io->tcp_fd[i] = -1;
  io->line_bytes_max = cfg->line_bytes_max;
  io->syslog_bytes_max = cfg->syslog_bytes_max;
  io->pipe = pipe;
  io->stats = stats;
  rc = core_ring_register(ring, complete, io);
  if (rc < 0)
    return rc;
  io->ring = ring;
  io->tag = rc;
  rc = net_bufring_init(&io->udp_bufs, &ring->uring, NET_BGID_UDP,
                        NET_UDP_BUFS_COUNT, NET_UDP_BUF_BYTES);
  if (rc < 0)
    goto fail;
  rc = net_bufring_init(&io->tcp_bufs, &ring->uring, NET_BGID_TCP,
                        NET_TCP_BUFS_COUNT, NET_TCP_BUF_BYTES);
  if (rc < 0)
    goto fail;
  rc = net_tcp_init(io, cfg->conns_max, cfg->syslog_tcp_fd >= 0);
  if (rc < 0)
    goto fail;
  io->udp_fd[NET_PROTO_STATSD] = cfg->udp_fd;
  io->tcp_fd[NET_PROTO_STATSD] = cfg->tcp_fd;
  io->udp_fd[NET_PROTO_SYSLOG] = cfg->syslog_udp_fd;
  io->tcp_fd[NET_PROTO_SYSLOG] = cfg->syslog_tcp_fd;
  return 0;
fail:
  net_io_free(io);
  return rc;
}

void net_io_free(struct net_io *io) {
  net_tcp_free(io);
  close_listeners(io);
  if (io->ring != NULL) {
    net_bufring_free(&io->udp_bufs, &io->ring->uring);
    net_bufring_free(&io->tcp_bufs, &io->ring->uring);
    io->ring = NULL;
  }
}

void net_io_arm(struct net_io *io) {
  for (int i = 0; i < NET_PROTOS; i++) {
    if (io->udp_fd[i] >= 0)
      net_udp_arm(io, (enum net_proto)i);
    if (io->tcp_fd[i] >= 0)
      net_tcp_arm_accept(io, (enum net_proto)i);
  }
}

/* The receive side's handler on the ring. */
static void complete(void *ctx, const struct io_uring_cqe *cqe,
                     int64_t now_ms) {
  struct net_io *io = ctx;

  switch (core_ring_ud_op(cqe->user_data)) {
  case NET_OP_UDP_RECV:
    net_udp_complete(io, cqe, now_ms);
    break;
  case NET_OP_TCP_ACCEPT:
    net_tcp_complete_accept(io, cqe);
    break;
  case NET_OP_TCP_RECV:
    net_tcp_complete_recv(io, cqe, now_ms);
    break;
  case NET_OP_TCP_CLOSE:
    net_tcp_complete_close(io, cqe);
    break;
  default:
    break;
  }
}

void net_io_stop(struct net_io *io, struct net_drain *d) {
  if (io->stopping)
    return;
  io->stopping = 1;
  io->drain = d;
  d->reads = d->left_bytes = d->left_datagrams = 0;
  d->cut = 0;
  for (int proto = 0; proto < NET_PROTOS; proto++)
    if (io->udp_armed[proto])
      net_io_cancel(io, net_io_ud(io, NET_OP_UDP_RECV, (uint64_t)proto));
  net_tcp_cancel(io);
  io_uring_submit(&io->ring->uring);
}

int net_io_may_ingest(struct net_io *io) {
  struct net_drain *d = io->drain;

  if (!io->stopping)
    return 1;
  if (core_ring_now_ms() < d->deadline_ms && d->keeping_up(d->ctx))
    return 1;
  d->cut = 1;
  return 0;
}

void net_io_drain(struct net_io *io) {
  struct net_drain *d = io->drain;
  int64_t now = core_ring_now_ms();

  /* A UDP flood must not leave TCP's buffered bytes no time. */
  net_udp_drain(io, now + (d->deadline_ms - now) / 2, d);
  net_tcp_drain(io, d);
}
