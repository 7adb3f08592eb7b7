/*
 * net/io.c - set-up and completion dispatch of a shard's receive side.
 */
#include "net/io.h"

#include <errno.h>
#include <string.h>
#include <unistd.h>

#include "core/base/limits.h"
#include "net/io_internal.h"
#include "net/uring.h"

static void close_listeners(struct net_io *io) {
  for (int i = 0; i < NET_PROTOS; i++) {
    if (io->udp_fd[i] >= 0)
      close(io->udp_fd[i]);
    if (io->tcp_fd[i] >= 0)
      close(io->tcp_fd[i]);
    io->udp_fd[i] = io->tcp_fd[i] = -1;
  }
}

int net_io_init(struct net_io *io, const struct net_io_cfg *cfg) {
  int rc;

  memset(io, 0, sizeof(*io));
  for (int i = 0; i < NET_PROTOS; i++)
    io->udp_fd[i] = io->tcp_fd[i] = -1;
  io->line_bytes_max = cfg->line_bytes_max;
  io->syslog_bytes_max = cfg->syslog_bytes_max;
  rc = net_uring_init(&io->ring, NET_RING_ENTRIES);
  if (rc < 0)
    return rc;
  io->ring_ok = 1;
  rc = net_bufring_init(&io->udp_bufs, &io->ring, NET_BGID_UDP,
                        NET_UDP_BUFS_COUNT, NET_UDP_BUF_BYTES);
  if (rc < 0)
    goto fail;
  rc = net_bufring_init(&io->tcp_bufs, &io->ring, NET_BGID_TCP,
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
  if (io->ring_ok) {
    net_bufring_free(&io->udp_bufs, &io->ring);
    net_bufring_free(&io->tcp_bufs, &io->ring);
    io_uring_queue_exit(&io->ring);
    io->ring_ok = 0;
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

int net_io_complete(struct net_io *io, struct core_pipe *p,
                    const struct io_uring_cqe *cqe, int64_t now_ms) {
  switch (net_ud_op(cqe->user_data)) {
  case NET_OP_UDP_RECV:
    net_udp_complete(io, p, cqe, now_ms);
    return 1;
  case NET_OP_TCP_ACCEPT:
    net_tcp_complete_accept(io, p, cqe);
    return 1;
  case NET_OP_TCP_RECV:
    net_tcp_complete_recv(io, p, cqe, now_ms);
    return 1;
  case NET_OP_TCP_CLOSE:
    net_tcp_complete_close(io, p, cqe);
    return 1;
  default:
    return 0;
  }
}

uint64_t net_io_drain(struct net_io *io, struct core_pipe *p, int64_t now_ms) {
  io->stopping = 1;
  return net_udp_drain(io, p, now_ms) + net_tcp_drain(io, p, now_ms);
}
