/*
 * net/udp.c - StatsD and syslog over UDP: one multishot recvmsg per shard
 * socket, with datagrams landing in the shard's provided-buffer ring (one
 * ring for every UDP listener: a buffer holds any datagram).
 *
 * Each buffer holds an io_uring_recvmsg_out header, the SO_RXQ_OVFL control
 * message (the socket's cumulative kernel drop count) and the payload.
 */
#include <errno.h>
#include <string.h>
#include <sys/socket.h>

#include "core/base/assert.h"
#include "core/base/limits.h"
#include "core/ingest/pipe.h"
#include "core/base/stat.h"
#include "net/bufring.h"
#include "net/io_internal.h"

#define OVFL_CMSG_BYTES CMSG_SPACE(sizeof(uint32_t))

void net_udp_arm(struct net_io *io, enum net_proto proto) {
  struct io_uring_sqe *sqe = core_ring_sqe(io->ring);

  memset(&io->udp_msg, 0, sizeof(io->udp_msg));
  io->udp_msg.msg_controllen = OVFL_CMSG_BYTES;
  io_uring_prep_recvmsg_multishot(sqe, io->udp_fd[proto], &io->udp_msg, 0);
  sqe->flags |= IOSQE_BUFFER_SELECT;
  sqe->buf_group = NET_BGID_UDP;
  io_uring_sqe_set_data64(sqe, net_io_ud(io, NET_OP_UDP_RECV, proto));
  io->udp_armed[proto] = 1;
}

void net_io_ingest_datagram(struct core_pipe *pipe, struct net_rx_stats *stats,
                            int syslog, const char *buf, size_t n,
                            int64_t now_ms) {
  enum net_listener l = syslog ? NET_LISTENER_SYSLOG_UDP
                               : NET_LISTENER_STATSD_UDP;

  core_stat_add(&stats->rx_datagrams[l], 1);
  core_stat_add(&stats->rx_bytes[l], n);
  if (syslog)
    core_pipe_syslog(pipe, buf, n, CORE_SYSLOG_OK, now_ms);
  else
    core_pipe_statsd_buf(pipe, buf, n, now_ms);
}

/* The kernel's drop counter for this socket, if the datagram carried it. */
static void read_overflow(struct io_uring_recvmsg_out *o, struct msghdr *msg,
                          struct net_rx_stats *st) {
  struct cmsghdr *c = io_uring_recvmsg_cmsg_firsthdr(o, msg);

  for (; c != NULL; c = io_uring_recvmsg_cmsg_nexthdr(o, msg, c)) {
    if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SO_RXQ_OVFL) {
      uint32_t drops;
      memcpy(&drops, CMSG_DATA(c), sizeof(drops));
      core_stat_set(&st->rx_dropped, drops);
    }
  }
}

static void one_datagram(struct net_io *io, enum net_proto proto, char *buf, int len,
                         int64_t now_ms) {
  struct net_rx_stats *st = io->stats;
  struct io_uring_recvmsg_out *o =
      io_uring_recvmsg_validate(buf, len, &io->udp_msg);
  const char *payload;
  size_t n;

  if (o == NULL) {
    core_stat_add(&st->rx_errors, 1);
    return;
  }
  read_overflow(o, &io->udp_msg, st);
  if (o->flags & MSG_TRUNC) {
    core_stat_add(&st->rx_truncated, 1);
    return;
  }
  payload = io_uring_recvmsg_payload(o, &io->udp_msg);
  n = io_uring_recvmsg_payload_length(o, len, &io->udp_msg);
  if (net_io_may_ingest(io))
    net_io_ingest_datagram(io->pipe, io->stats, proto == NET_PROTO_SYSLOG,
                           payload, n, now_ms);
  else
    io->drain->left_datagrams++; /* received after the stop's bounds */
}

void net_udp_complete(struct net_io *io, const struct io_uring_cqe *cqe, int64_t now_ms) {
  enum net_proto proto = (enum net_proto)core_ring_ud_arg(cqe->user_data);

  ASSERT(proto < NET_PROTOS);
  if (!(cqe->flags & IORING_CQE_F_MORE))
    io->udp_armed[proto] = 0;
  if (cqe->res == -ENOBUFS)
    core_stat_add(&io->stats->rx_nobufs, 1);
  else if (cqe->res < 0 && !(io->stopping && cqe->res == -ECANCELED))
    core_stat_add(&io->stats->rx_errors, 1);
  if (cqe->flags & IORING_CQE_F_BUFFER) {
    uint32_t bid = cqe->flags >> IORING_CQE_BUFFER_SHIFT;
    if (cqe->res > 0)
      one_datagram(io, proto, net_bufring_buf(&io->udp_bufs, bid),
                   cqe->res, now_ms);
    net_bufring_recycle(&io->udp_bufs, bid);
  }
  if (!io->udp_armed[proto] && !io->stopping)
    net_udp_arm(io, proto);
}

void net_udp_drain(struct net_io *io, int64_t deadline_ms,
                   struct net_drain *d) {
  char *buf = io->scratch;
  int64_t now = core_ring_now_ms();

  for (int proto = 0; proto < NET_PROTOS; proto++) {
    if (io->udp_fd[proto] < 0)
      continue;
    for (;;) {
      ssize_t r;
      if (d->reads >= NET_DRAIN_DATAGRAMS_MAX || now >= deadline_ms ||
          !net_io_may_ingest(io)) {
        d->cut = 1;
        return;
      }
      r = recv(io->udp_fd[proto], buf, NET_UDP_BUF_BYTES,
               MSG_DONTWAIT | MSG_TRUNC);
      if (r < 0)
        break;
      d->reads++;
      if ((size_t)r > NET_UDP_BUF_BYTES)
        core_stat_add(&io->stats->rx_truncated, 1);
      else
        net_io_ingest_datagram(io->pipe, io->stats, proto == NET_PROTO_SYSLOG,
                               buf, (size_t)r, now);
      now = core_ring_now_ms();
    }
  }
}
