/*
 * net/tcp.c - StatsD and syslog over TCP: multishot accept, then one
 * multishot recv per connection from the shared TCP buffer ring.
 * StatsD connections go through a line framer each (core/parse/line_frame.h):
 * the complete lines of a read go to the batch parser as one buffer, and
 * the unfinished tail is carried in a buffer of --max-line-bytes (and its
 * '\r') until its '\n' arrives. Syslog connections go through an RFC 6587
 * framer each (core/parse/syslog_frame.h), whose buffer of
 * --syslog-max-bytes plays the same part.
 */
#include <errno.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <unistd.h>

#include "core/base/assert.h"
#include "core/base/limits.h"
#include "core/ingest/pipe.h"
#include "core/base/stat.h"
#include "core/parse/line_frame.h"
#include "core/parse/syslog_frame.h"
#include "net/bufring.h"
#include "net/io_internal.h"

static void *map_bytes(size_t n) {
  void *p = mmap(NULL, n, PROT_READ | PROT_WRITE,
                 MAP_ANONYMOUS | MAP_PRIVATE | MAP_NORESERVE, -1, 0);
  return p == MAP_FAILED ? NULL : p;
}

static size_t frame_bufs_bytes(const struct net_io *io) {
  return (size_t)io->conns_max * io->syslog_bytes_max;
}

/* One StatsD connection's carry: a line of --max-line-bytes and its '\r'. */
static size_t carry_bytes(const struct net_io *io) {
  return core_line_framer_buf_bytes(io->line_bytes_max);
}

/* Memory is reserved, not committed: a connection's pages are touched
 * only as far as its frames span reads. */
int net_tcp_init(struct net_io *io, uint32_t conns_max, int syslog) {
  ASSERT(conns_max > 0 && conns_max <= NET_TCP_CONNS_PER_SHARD_MAX);
  io->conns_max = conns_max;
  if (syslog) {
    ASSERT(io->syslog_bytes_max >= CORE_SYSLOG_BYTES_MIN_LIMIT);
    io->framers = map_bytes(sizeof(*io->framers) * conns_max);
    io->frame_bufs = map_bytes(frame_bufs_bytes(io));
    if (!io->framers || !io->frame_bufs)
      return -ENOMEM;
  }
  io->conns = map_bytes(sizeof(*io->conns) * conns_max);
  io->free_slots = map_bytes(sizeof(*io->free_slots) * conns_max);
  io->line_framers = map_bytes(sizeof(*io->line_framers) * conns_max);
  io->carry = map_bytes(conns_max * carry_bytes(io));
  io->scratch = map_bytes(NET_UDP_BUF_BYTES);
  if (!io->conns || !io->free_slots || !io->line_framers || !io->carry ||
      !io->scratch)
    return -ENOMEM;
  for (uint32_t i = 0; i < conns_max; i++) {
    io->conns[i].fd = -1;
    io->free_slots[i] = conns_max - 1 - i;
  }
  io->free_count = conns_max;
  return 0;
}

void net_tcp_free(struct net_io *io) {
  for (uint32_t i = 0; io->conns && i < io->conns_max; i++)
    if (io->conns[i].in_use && io->conns[i].fd >= 0)
      close(io->conns[i].fd);
  if (io->conns)
    munmap(io->conns, sizeof(*io->conns) * io->conns_max);
  if (io->free_slots)
    munmap(io->free_slots, sizeof(*io->free_slots) * io->conns_max);
  if (io->line_framers)
    munmap(io->line_framers, sizeof(*io->line_framers) * io->conns_max);
  if (io->carry)
    munmap(io->carry, io->conns_max * carry_bytes(io));
  if (io->scratch)
    munmap(io->scratch, NET_UDP_BUF_BYTES);
  if (io->framers)
    munmap(io->framers, sizeof(*io->framers) * io->conns_max);
  if (io->frame_bufs)
    munmap(io->frame_bufs, frame_bufs_bytes(io));
  io->framers = NULL;
  io->frame_bufs = NULL;
  io->conns = NULL;
  io->free_slots = NULL;
  io->line_framers = NULL;
  io->carry = io->scratch = NULL;
}

void net_tcp_arm_accept(struct net_io *io, enum net_proto proto) {
  struct io_uring_sqe *sqe = core_ring_sqe(io->ring);

  io_uring_prep_multishot_accept(sqe, io->tcp_fd[proto], NULL, NULL,
                                 SOCK_CLOEXEC);
  io_uring_sqe_set_data64(sqe, net_io_ud(io, NET_OP_TCP_ACCEPT, proto));
  io->accept_armed[proto] = 1;
}

/* A connection's arg: slot in the low 16 bits, its generation above, so
 * a completion for an earlier user of the slot is recognised as stale. */
#define CONN_GEN_MASK UINT32_C(0xffffffff)
_Static_assert(NET_TCP_CONNS_PER_SHARD_MAX <= 1u << 16,
               "a connection slot fits the low 16 bits of its arg");

static uint64_t conn_ud(const struct net_io *io, enum net_op op,
                        uint32_t slot, const struct net_tcp_conn *c) {
  return net_io_ud(io, op, slot | ((uint64_t)(c->gen & CONN_GEN_MASK) << 16));
}

/* The connection a completion is for, or NULL for a stale one. */
static struct net_tcp_conn *conn_of(struct net_io *io, uint64_t ud,
                                    uint32_t *slot) {
  uint64_t arg = core_ring_ud_arg(ud);
  struct net_tcp_conn *c;

  *slot = (uint32_t)(arg & 0xffff);
  if (*slot >= io->conns_max)
    return NULL;
  c = &io->conns[*slot];
  if (!c->in_use || (c->gen & CONN_GEN_MASK) != (uint32_t)(arg >> 16))
    return NULL;
  return c;
}

static void arm_recv(struct net_io *io, uint32_t slot) {
  struct net_tcp_conn *c = &io->conns[slot];
  struct io_uring_sqe *sqe = core_ring_sqe(io->ring);

  io_uring_prep_recv_multishot(sqe, c->fd, NULL, 0, 0);
  sqe->flags |= IOSQE_BUFFER_SELECT;
  sqe->buf_group = NET_BGID_TCP;
  io_uring_sqe_set_data64(sqe, conn_ud(io, NET_OP_TCP_RECV, slot, c));
}

/* Put a fresh connection of listener proto in slot. */
static void conn_open(struct net_io *io, uint32_t slot, int fd,
                      enum net_proto proto) {
  struct net_tcp_conn *c = &io->conns[slot];

  c->fd = fd;
  c->gen++;
  c->closing = 0;
  c->proto = (uint8_t)proto;
  c->in_use = 1;
  if (proto == NET_PROTO_SYSLOG)
    core_syslog_framer_init(&io->framers[slot],
                            io->frame_bufs + (size_t)slot * io->syslog_bytes_max,
                            io->syslog_bytes_max);
  else
    core_line_framer_init(&io->line_framers[slot],
                          io->carry + slot * carry_bytes(io),
                          io->line_bytes_max);
}

void net_tcp_complete_accept(struct net_io *io,
                             const struct io_uring_cqe *cqe) {
  enum net_proto proto = (enum net_proto)core_ring_ud_arg(cqe->user_data);
  struct net_rx_stats *st = io->stats;
  uint32_t slot;

  ASSERT(proto < NET_PROTOS);
  if (!(cqe->flags & IORING_CQE_F_MORE)) {
    io->accept_armed[proto] = 0;
    if (!io->stopping)
      net_tcp_arm_accept(io, proto);
  }
  if (cqe->res < 0)
    return;
  if (io->free_count == 0 || io->stopping) {
    struct io_uring_sqe *sqe = core_ring_sqe(io->ring);
    core_stat_add(&st->tcp_rejected, 1);
    io_uring_prep_close(sqe, cqe->res);
    io_uring_sqe_set_data64(sqe, 0); /* tag 0: no one needs the result */
    return;
  }
  slot = io->free_slots[--io->free_count];
  conn_open(io, slot, cqe->res, proto);
  io->conns_open++;
  core_stat_add(&st->tcp_accepted, 1);
  core_stat_set(&st->tcp_connections, io->conns_open);
  arm_recv(io, slot);
}

/* One read of a connection into its protocol's framing. */
static void ingest(struct net_io *io, struct core_pipe *p, uint32_t slot,
                   const char *buf, size_t len, int64_t now_ms) {
  struct core_pipe_frame_ctx ctx = {p, now_ms};

  if (io->conns[slot].proto == NET_PROTO_SYSLOG)
    core_syslog_framer_feed(&io->framers[slot], buf, len,
                            core_pipe_syslog_frame, &ctx);
  else
    core_line_framer_feed(&io->line_framers[slot], buf, len,
                          core_pipe_statsd_chunk, &ctx);
}

static enum net_listener listener_of(const struct net_tcp_conn *c) {
  return c->proto == NET_PROTO_SYSLOG ? NET_LISTENER_SYSLOG_TCP
                                      : NET_LISTENER_STATSD_TCP;
}

static void conn_close(struct net_io *io, uint32_t slot) {
  struct net_tcp_conn *c = &io->conns[slot];
  struct io_uring_sqe *sqe;

  if (c->closing)
    return;
  c->closing = 1;
  sqe = core_ring_sqe(io->ring);
  io_uring_prep_close(sqe, c->fd);
  io_uring_sqe_set_data64(sqe, conn_ud(io, NET_OP_TCP_CLOSE, slot, c));
}

/* At end of stream a last line without '\n' is still a line (a syslog
 * frame cut short is stored and counted by the framer's finish). */
static void conn_eof(struct net_io *io, struct core_pipe *p, uint32_t slot,
                     int64_t now_ms) {
  struct net_tcp_conn *c = &io->conns[slot];
  struct core_pipe_frame_ctx ctx = {p, now_ms};

  if (c->proto == NET_PROTO_SYSLOG)
    core_syslog_framer_finish(&io->framers[slot], core_pipe_syslog_frame,
                              &ctx);
  else
    core_line_framer_finish(&io->line_framers[slot], core_pipe_statsd_chunk,
                            &ctx);
  conn_close(io, slot);
}

void net_tcp_complete_recv(struct net_io *io, const struct io_uring_cqe *cqe,
                           int64_t now_ms) {
  struct core_pipe *p = io->pipe;
  struct net_rx_stats *st = io->stats;
  uint32_t slot, bid = cqe->flags >> IORING_CQE_BUFFER_SHIFT;
  struct net_tcp_conn *c = conn_of(io, cqe->user_data, &slot);

  if (c != NULL && cqe->res > 0 && (cqe->flags & IORING_CQE_F_BUFFER)) {
    core_stat_add(&st->rx_datagrams[listener_of(c)], 1);
    core_stat_add(&st->rx_bytes[listener_of(c)], (uint64_t)cqe->res);
    if (net_io_may_ingest(io))
      ingest(io, p, slot, net_bufring_buf(&io->tcp_bufs, bid),
             (size_t)cqe->res, now_ms);
    else
      io->drain->left_bytes += (uint64_t)cqe->res; /* past the stop's bounds */
  }
  if (cqe->flags & IORING_CQE_F_BUFFER)
    net_bufring_recycle(&io->tcp_bufs, bid);
  if (c == NULL || c->closing || (cqe->flags & IORING_CQE_F_MORE))
    return;
  if (io->stopping && cqe->res < 0)
    return; /* cancelled at stop (net_tcp_cancel), or out of buffers: the
               drain reads the rest, and the connection closes at free */
  if (cqe->res == 0 || (cqe->res < 0 && cqe->res != -ENOBUFS)) {
    if (cqe->res < 0)
      core_stat_add(&st->rx_errors, 1);
    conn_eof(io, p, slot, now_ms);
  } else {
    if (cqe->res == -ENOBUFS)
      core_stat_add(&st->rx_nobufs, 1);
    arm_recv(io, slot); /* multishot ended (buffers ran out): re-arm */
  }
}

/* Cancel cancel_ud's request; the cancel's own result is no one's. */
void net_io_cancel(struct net_io *io, uint64_t cancel_ud) {
  struct io_uring_sqe *sqe = core_ring_sqe(io->ring);

  io_uring_prep_cancel64(sqe, cancel_ud, 0);
  io_uring_sqe_set_data64(sqe, 0);
}

void net_tcp_cancel(struct net_io *io) {
  for (int proto = 0; proto < NET_PROTOS; proto++)
    if (io->accept_armed[proto])
      net_io_cancel(io, net_io_ud(io, NET_OP_TCP_ACCEPT, (uint64_t)proto));
  for (uint32_t i = 0; i < io->conns_max; i++) {
    const struct net_tcp_conn *c = &io->conns[i];
    if (c->in_use && !c->closing)
      net_io_cancel(io, conn_ud(io, NET_OP_TCP_RECV, i, c));
  }
}

void net_tcp_complete_close(struct net_io *io,
                            const struct io_uring_cqe *cqe) {
  uint32_t slot;
  struct net_tcp_conn *c = conn_of(io, cqe->user_data, &slot);

  if (c == NULL)
    return;
  c->in_use = 0;
  c->fd = -1;
  io->free_slots[io->free_count++] = slot;
  io->conns_open--;
  core_stat_set(&io->stats->tcp_connections, io->conns_open);
}

/* Bytes connection c holds in the kernel now (0 when closed or unknown). */
static uint32_t queued(const struct net_tcp_conn *c) {
  int n = 0;

  if (!c->in_use || c->closing || ioctl(c->fd, FIONREAD, &n) < 0 || n < 0)
    return 0;
  return (uint32_t)n;
}

/* One read of at most *left bytes of connection i; *left becomes 0 when
 * the connection has nothing more. */
static void drain_read(struct net_io *io, uint32_t i, uint32_t *left,
                       int64_t now_ms, struct net_drain *d) {
  struct net_tcp_conn *c = &io->conns[i];
  size_t want = *left < NET_UDP_BUF_BYTES ? *left : NET_UDP_BUF_BYTES;
  ssize_t r = recv(c->fd, io->scratch, want, MSG_DONTWAIT);

  if (r <= 0) {
    *left = 0;
    return;
  }
  *left -= (uint32_t)r;
  d->reads++;
  core_stat_add(&io->stats->rx_bytes[listener_of(c)], (uint64_t)r);
  ingest(io, io->pipe, i, io->scratch, (size_t)r, now_ms);
}

void net_tcp_drain(struct net_io *io, struct net_drain *d) {
  uint32_t left[NET_TCP_CONNS_PER_SHARD_MAX];
  uint64_t pending = 0;
  int64_t now = core_ring_now_ms();

  for (uint32_t i = 0; i < io->conns_max; i++)
    pending += left[i] = queued(&io->conns[i]);
  while (pending > 0 && net_io_may_ingest(io)) {
    for (uint32_t i = 0; i < io->conns_max && net_io_may_ingest(io); i++) {
      uint32_t before = left[i];
      if (before == 0)
        continue;
      drain_read(io, i, &left[i], now, d);
      pending -= before - left[i];
      now = core_ring_now_ms();
    }
  }
  d->left_bytes += pending;
  d->cut |= pending > 0;
  for (uint32_t i = 0; i < io->conns_max; i++) {
    struct net_tcp_conn *c = &io->conns[i];
    /* A syslog frame still open at stop is stored as cut short. */
    if (c->in_use && !c->closing && c->proto == NET_PROTO_SYSLOG) {
      struct core_pipe_frame_ctx ctx = {io->pipe, now};
      core_syslog_framer_finish(&io->framers[i], core_pipe_syslog_frame,
                                &ctx);
    }
  }
}
