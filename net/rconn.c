/*
 * net/rconn.c - TCP connections on a shard's io_uring (see net/rconn.h).
 *
 * A connection's recv writes into the connection's own buffer and its send
 * reads from its own out buffer, so a slot is reused only after the close
 * completed with neither in flight: a completion that arrives later
 * (cancelled recv, stale generation) never lands in the next user's
 * memory. user_data arg: slot in the low 16 bits, generation above, as for
 * net/tcp.c.
 */
#include "net/rconn.h"

#include <errno.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "core/base/assert.h"
#include "core/base/heap.h"
#include "core/base/limits.h"
#include "core/base/ring.h"
#include "core/base/stat.h"

static void complete(void *ctx, const struct io_uring_cqe *cqe,
                     int64_t now_ms);

int net_rconn_init(struct net_rconn *t, struct core_ring *ring,
                   const struct net_rconn_cfg *cfg,
                   const struct net_rconn_ops *ops, void *ctx,
                   struct net_rconn_stats *stats) {
  uint32_t n = cfg->conns_max;
  int rc;

  memset(t, 0, sizeof(*t));
  t->listen_fd = cfg->listen_fd;
  ASSERT(n > 0 && n <= NET_OTLP_HTTP_CONNS_MAX);
  t->conns_max = n;
  t->in_bytes = cfg->in_bytes;
  t->out_bytes = cfg->out_bytes;
  t->ops = ops;
  t->ctx = ctx;
  t->stats = stats;
  t->conns = core_map_bytes(sizeof(*t->conns) * n);
  t->free_slots = core_map_bytes(sizeof(*t->free_slots) * n);
  t->in = core_map_bytes((size_t)n * t->in_bytes);
  t->out = core_map_bytes((size_t)n * t->out_bytes);
  if (!t->conns || !t->free_slots || !t->in || !t->out)
    return -ENOMEM;
  for (uint32_t i = 0; i < n; i++) {
    t->conns[i].fd = -1;
    t->free_slots[i] = n - 1 - i;
  }
  t->free_count = n;
  rc = core_ring_register(ring, complete, t);
  if (rc < 0)
    return rc;
  t->ring = ring;
  t->tag = rc;
  return 0;
}

void net_rconn_free(struct net_rconn *t) {
  /* A close already submitted is the ring's (its fd number may be
   * another thread's by now). */
  for (uint32_t i = 0; t->conns != NULL && i < t->conns_max; i++)
    if (t->conns[i].in_use && t->conns[i].fd >= 0 && !t->conns[i].close_sent)
      close(t->conns[i].fd);
  if (t->listen_fd >= 0)
    close(t->listen_fd);
  t->listen_fd = -1;
  core_unmap_bytes(t->conns, sizeof(*t->conns) * t->conns_max);
  core_unmap_bytes(t->free_slots, sizeof(*t->free_slots) * t->conns_max);
  core_unmap_bytes(t->in, (size_t)t->conns_max * t->in_bytes);
  core_unmap_bytes(t->out, (size_t)t->conns_max * t->out_bytes);
  t->conns = NULL;
  t->free_slots = NULL;
  t->in = t->out = NULL;
  t->ring = NULL;
}

static uint64_t conn_ud(const struct net_rconn *t, enum net_rconn_op op,
                        uint32_t slot) {
  return core_ring_ud(t->tag, op,
                      slot | ((uint64_t)t->conns[slot].gen << 16));
}

/* The connection a completion is for, or NULL for a stale one. */
static struct net_rconn_conn *conn_of(struct net_rconn *t, uint64_t ud,
                                      uint32_t *slot) {
  uint64_t arg = core_ring_ud_arg(ud);
  struct net_rconn_conn *c;

  *slot = (uint32_t)(arg & 0xffff);
  if (*slot >= t->conns_max)
    return NULL;
  c = &t->conns[*slot];
  if (!c->in_use || c->gen != (uint32_t)(arg >> 16))
    return NULL;
  return c;
}

void net_rconn_arm(struct net_rconn *t) {
  struct io_uring_sqe *sqe;

  if (t->listen_fd < 0 || t->accept_armed || t->stopping)
    return;
  sqe = core_ring_sqe(t->ring);
  io_uring_prep_multishot_accept(sqe, t->listen_fd, NULL, NULL, SOCK_CLOEXEC);
  io_uring_sqe_set_data64(sqe, core_ring_ud(t->tag, NET_RCONN_OP_ACCEPT, 0));
  t->accept_armed = 1;
}

/* A request whose result nobody needs (tag 0). */
static void fire_and_forget_close(struct net_rconn *t, int fd) {
  struct io_uring_sqe *sqe = core_ring_sqe(t->ring);

  io_uring_prep_close(sqe, fd);
  io_uring_sqe_set_data64(sqe, 0);
}

static void on_accept(struct net_rconn *t, const struct io_uring_cqe *cqe,
                      int64_t now_ms) {
  struct net_rconn_conn *c;
  uint32_t slot;

  if (!(cqe->flags & IORING_CQE_F_MORE)) {
    t->accept_armed = 0;
    net_rconn_arm(t);
  }
  if (cqe->res < 0)
    return;
  if (t->free_count == 0 || t->stopping) {
    core_stat_add(&t->stats->rejected, 1);
    fire_and_forget_close(t, cqe->res);
    return;
  }
  slot = t->free_slots[--t->free_count];
  c = &t->conns[slot];
  c->fd = cqe->res;
  c->gen = (c->gen + 1) & 0xffffffffu;
  c->in_len = c->out_len = c->out_off = 0;
  c->recv_inflight = c->send_inflight = 0;
  c->closing = c->close_sent = c->cancel_sent = 0;
  c->delivering = c->recv_wanted = c->recv_direct = 0;
  c->in_use = 1;
  core_stat_add(&t->stats->accepted, 1);
  core_stat_set(&t->stats->open, t->conns_max - t->free_count);
  t->ops->opened(t->ctx, slot, now_ms);
}

void net_rconn_recv(struct net_rconn *t, uint32_t slot) {
  struct net_rconn_conn *c = &t->conns[slot];
  struct io_uring_sqe *sqe;
  char *dst = NULL;
  size_t room = 0;

  if (c->delivering) {
    c->recv_wanted = 1;
    return;
  }
  if (!c->in_use || c->closing || c->recv_inflight || c->in_len >= t->in_bytes)
    return;
  /* An empty in buffer and a body under way: the bytes go straight to
   * the body (no copy, and as many a recv as the socket holds). */
  if (c->in_len == 0 && t->ops->direct_room != NULL)
    dst = t->ops->direct_room(t->ctx, slot, &room);
  c->recv_direct = dst != NULL && room > 0;
  if (!c->recv_direct) {
    dst = t->in + (size_t)slot * t->in_bytes + c->in_len;
    room = t->in_bytes - c->in_len;
  }
  sqe = core_ring_sqe(t->ring);
  io_uring_prep_recv(sqe, c->fd, dst,
                     room > UINT32_MAX ? UINT32_MAX : (uint32_t)room, 0);
  io_uring_sqe_set_data64(sqe, conn_ud(t, NET_RCONN_OP_RECV, slot));
  c->recv_inflight = 1;
}

/* Hand what the in buffer holds to the protocol; keep what it left. */
static void deliver(struct net_rconn *t, uint32_t slot, int64_t now_ms) {
  struct net_rconn_conn *c = &t->conns[slot];
  char *buf = t->in + (size_t)slot * t->in_bytes;
  size_t took;

  c->delivering = 1;
  c->recv_wanted = 0;
  took = t->ops->data(t->ctx, slot, buf, c->in_len, now_ms);
  c->delivering = 0;
  ASSERT(took <= c->in_len);
  if (took > 0 && took < c->in_len)
    memmove(buf, buf + took, c->in_len - took);
  c->in_len -= (uint32_t)took;
  if (c->recv_wanted) /* now at the right offset of the buffer */
    net_rconn_recv(t, slot);
}

/* Submit the close once nothing of the ring points into the slot. */
static void maybe_close(struct net_rconn *t, uint32_t slot) {
  struct net_rconn_conn *c = &t->conns[slot];
  struct io_uring_sqe *sqe;

  if (!c->closing || c->close_sent || c->send_inflight || c->recv_inflight)
    return;
  sqe = core_ring_sqe(t->ring);
  io_uring_prep_close(sqe, c->fd);
  io_uring_sqe_set_data64(sqe, conn_ud(t, NET_RCONN_OP_CLOSE, slot));
  c->close_sent = 1;
}

static void on_recv(struct net_rconn *t, const struct io_uring_cqe *cqe,
                    int64_t now_ms) {
  uint32_t slot;
  struct net_rconn_conn *c = conn_of(t, cqe->user_data, &slot);
  int direct;

  if (c == NULL)
    return;
  c->recv_inflight = 0;
  direct = c->recv_direct;
  c->recv_direct = 0;
  if (c->closing) {
    maybe_close(t, slot);
    return;
  }
  if (cqe->res <= 0) {
    if (cqe->res < 0 && cqe->res != -ECONNRESET)
      core_stat_add(&t->stats->errors, 1);
    t->ops->eof(t->ctx, slot, cqe->res, now_ms);
    return;
  }
  if (direct) {
    t->ops->direct(t->ctx, slot, (size_t)cqe->res, now_ms);
    return;
  }
  c->in_len += (uint32_t)cqe->res;
  deliver(t, slot, now_ms);
}

static void submit_send(struct net_rconn *t, uint32_t slot) {
  struct net_rconn_conn *c = &t->conns[slot];
  struct io_uring_sqe *sqe = core_ring_sqe(t->ring);

  io_uring_prep_send(sqe, c->fd,
                     t->out + (size_t)slot * t->out_bytes + c->out_off,
                     c->out_len - c->out_off, MSG_NOSIGNAL);
  io_uring_sqe_set_data64(sqe, conn_ud(t, NET_RCONN_OP_SEND, slot));
  c->send_inflight = 1;
}

int net_rconn_send(struct net_rconn *t, uint32_t slot, const void *p,
                   size_t n) {
  struct net_rconn_conn *c = &t->conns[slot];

  if (!c->in_use || c->closing)
    return -EPIPE;
  if (n > t->out_bytes - c->out_len)
    return -ENOSPC;
  memcpy(t->out + (size_t)slot * t->out_bytes + c->out_len, p, n);
  c->out_len += (uint32_t)n;
  if (!c->send_inflight && c->out_off < c->out_len)
    submit_send(t, slot);
  return 0;
}

uint32_t net_rconn_unsent(const struct net_rconn *t, uint32_t slot) {
  const struct net_rconn_conn *c = &t->conns[slot];

  return c->out_len - c->out_off;
}

static void on_send(struct net_rconn *t, const struct io_uring_cqe *cqe,
                    int64_t now_ms) {
  uint32_t slot;
  struct net_rconn_conn *c = conn_of(t, cqe->user_data, &slot);

  if (c == NULL)
    return;
  c->send_inflight = 0;
  if (c->closing) { /* aborted (net_rconn_close): the rest is not sent */
    maybe_close(t, slot);
    return;
  }
  if (cqe->res < 0) {
    if (cqe->res != -EPIPE && cqe->res != -ECONNRESET)
      core_stat_add(&t->stats->errors, 1);
    net_rconn_close(t, slot);
    maybe_close(t, slot);
    return;
  }
  c->out_off += (uint32_t)cqe->res;
  if (c->out_off < c->out_len) { /* a partial send: the rest */
    submit_send(t, slot);
    return;
  }
  c->out_len = c->out_off = 0;
  t->ops->sent(t->ctx, slot, now_ms);
}

void net_rconn_shutdown_write(struct net_rconn *t, uint32_t slot) {
  struct net_rconn_conn *c = &t->conns[slot];
  struct io_uring_sqe *sqe;

  if (!c->in_use || c->closing)
    return;
  sqe = core_ring_sqe(t->ring);
  io_uring_prep_shutdown(sqe, c->fd, SHUT_WR);
  io_uring_sqe_set_data64(sqe, 0);
}

void net_rconn_close(struct net_rconn *t, uint32_t slot) {
  struct net_rconn_conn *c = &t->conns[slot];
  struct io_uring_sqe *sqe;

  if (!c->in_use || c->closing)
    return;
  c->closing = 1;
  if (c->recv_inflight && !c->cancel_sent) {
    sqe = core_ring_sqe(t->ring);
    io_uring_prep_cancel64(sqe, conn_ud(t, NET_RCONN_OP_RECV, slot), 0);
    io_uring_sqe_set_data64(sqe, 0);
    c->cancel_sent = 1;
  }
  if (c->send_inflight) { /* a peer that reads nothing must not hold it */
    sqe = core_ring_sqe(t->ring);
    io_uring_prep_shutdown(sqe, c->fd, SHUT_RDWR);
    io_uring_sqe_set_data64(sqe, 0);
  }
  maybe_close(t, slot);
}

void net_rconn_resume(struct net_rconn *t, uint32_t slot, int64_t now_ms) {
  struct net_rconn_conn *c = &t->conns[slot];

  if (!c->in_use || c->closing)
    return;
  if (c->in_len > 0)
    deliver(t, slot, now_ms);
  else
    net_rconn_recv(t, slot);
}

static void on_close(struct net_rconn *t, const struct io_uring_cqe *cqe) {
  uint32_t slot;
  struct net_rconn_conn *c = conn_of(t, cqe->user_data, &slot);

  if (c == NULL)
    return;
  t->ops->closed(t->ctx, slot);
  c->in_use = 0;
  c->fd = -1;
  t->free_slots[t->free_count++] = slot;
  core_stat_set(&t->stats->open, t->conns_max - t->free_count);
}

void net_rconn_stop(struct net_rconn *t) {
  struct io_uring_sqe *sqe;

  if (t->stopping)
    return;
  t->stopping = 1;
  if (!t->accept_armed)
    return;
  sqe = core_ring_sqe(t->ring);
  io_uring_prep_cancel64(sqe, core_ring_ud(t->tag, NET_RCONN_OP_ACCEPT, 0), 0);
  io_uring_sqe_set_data64(sqe, 0);
}

/* The table's handler on the ring. */
static void complete(void *ctx, const struct io_uring_cqe *cqe,
                     int64_t now_ms) {
  struct net_rconn *t = ctx;

  switch (core_ring_ud_op(cqe->user_data)) {
  case NET_RCONN_OP_ACCEPT:
    on_accept(t, cqe, now_ms);
    break;
  case NET_RCONN_OP_RECV:
    on_recv(t, cqe, now_ms);
    break;
  case NET_RCONN_OP_SEND:
    on_send(t, cqe, now_ms);
    break;
  case NET_RCONN_OP_CLOSE:
    on_close(t, cqe);
    break;
  default:
    break;
  }
}
