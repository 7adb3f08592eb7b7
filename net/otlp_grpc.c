/*
 * net/otlp_grpc.c - OTLP/gRPC on a shard's connections (see
 * net/otlp_grpc.h): the bytes come and go through net/rconn.c, HTTP/2 and
 * gRPC are net/grpc.c, storing is core_pipe_otlp.
 *
 * Unlike HTTP/1.1, a connection carries many calls at once: a call
 * waiting for its fsync holds only its stream (and an entry of the
 * shard's table of waiting calls), and the connection goes on reading.
 * Input is held back (left in rconn's buffer, so TCP's window slows the
 * client) only while the engine's output cannot be queued.
 */
#include "net/otlp_grpc.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "core/base/assert.h"
#include "core/base/heap.h"
#include "core/base/limits.h"
#include "core/base/ring.h"
#include "core/base/stat.h"
#include "core/ingest/otlpmap.h"
#include "net/grpc.h"
#include "net/gzip.h"
#include "net/otlp_durable.h"
#include "net/otlp_listen.h"
#include "net/otlp_http.h"
#include "net/rconn.h"

static const struct net_rconn_ops conn_ops;

static int live(const struct net_otlp_grpc *o, uint32_t slot) {
  const struct net_rconn_conn *c = &o->rc.conns[slot];

  return c->in_use && !c->closing && o->conns[slot].h2.session != NULL;
}

/* The slot of an engine connection (the first member of its slot's). */
static uint32_t slot_of(const struct net_otlp_grpc *o,
                        const struct net_grpc_conn *h2) {
  const struct net_otlp_grpc_conn *c = (const struct net_otlp_grpc_conn *)h2;

  ASSERT(c >= o->conns && c < o->conns + o->rc.conns_max);
  return (uint32_t)(c - o->conns);
}

/*
 * Move what the engine has to send into the slot's send queue, as much as
 * fits; close the connection once the engine is finished (or closing was
 * asked) and every byte is out.
 */
static void flush_out(struct net_otlp_grpc *o, uint32_t slot) {
  struct net_otlp_grpc_conn *c = &o->conns[slot];
  const struct net_rconn_conn *rcn = &o->rc.conns[slot];

  if (!live(o, slot))
    return;
  for (;;) {
    const void *p;
    size_t n = net_grpc_output(&c->h2, &p);
    size_t room = o->rc.out_bytes - rcn->out_len;

    if (n == 0 || room == 0)
      break;
    n = n < room ? n : room;
    if (net_rconn_send(&o->rc, slot, p, n) < 0) {
      net_rconn_close(&o->rc, slot);
      return;
    }
    net_grpc_consume(&c->h2, n);
  }
  if (net_rconn_unsent(&o->rc, slot) > 0 || c->h2.out_len > 0) {
    if (c->unsent_since_ms == 0)
      c->unsent_since_ms = o->now_ms;
    return;
  }
  c->unsent_since_ms = 0;
  if (net_grpc_done(&c->h2) || (c->closing && c->h2.pending == 0))
    net_rconn_close(&o->rc, slot);
}

/* ---- calls --------------------------------------------------------------- */

/* Refuse a call with UNAVAILABLE and RetryInfo, counted. */
static void call_retry(struct net_otlp_grpc *o, struct net_grpc_conn *h2,
                       net_grpc_stream_id stream,
                       enum net_otlp_grpc_reject why, const char *msg) {
  core_stat_add(&o->stats->rejected[why], 1);
  net_grpc_reply_retry(h2, stream, msg, NET_GRPC_RETRY_AFTER_MS);
}

/* The engine's on_request: decode and store; the answer waits. */
static void on_call(void *ctx, struct net_grpc_conn *h2,
                    net_grpc_stream_id stream, enum core_otlp_signal sig,
                    const void *body, size_t len) {
  struct net_otlp_grpc *o = ctx;
  struct core_otlp_result res;
  char msg[256];
  int rc;

  if (o->stopping) {
    call_retry(o, h2, stream, NET_OTLP_GRPC_REJ_STOPPING,
               "the server is stopping; retry");
    return;
  }
  switch (net_otlp_durable_admit(&o->dur)) {
  case NET_OTLP_ADMIT_FULL:
    call_retry(o, h2, stream, NET_OTLP_GRPC_REJ_BACKPRESSURE,
               "too many calls wait for the disk; retry later");
    return;
  case NET_OTLP_ADMIT_BEHIND:
    call_retry(o, h2, stream, NET_OTLP_GRPC_REJ_WRITER_BEHIND,
               "the disk does not keep up; retry later");
    return;
  case NET_OTLP_ADMIT_OK:
    break;
  }
  memset(&res, 0, sizeof(res));
  rc = core_pipe_otlp(o->pipe, sig, CORE_OTLP_ENC_PROTO, body, len, o->now_ms,
                      &res);
  if (rc < 0) {
    if (rc == -E2BIG)
      core_stat_add(&o->stats->bounds[net_otlp_bound_of(res.why)], 1);
    snprintf(msg, sizeof(msg), "the Export request does not decode: %s",
             res.why != NULL ? res.why : "malformed");
    core_stat_add(&o->stats->rejected[NET_OTLP_GRPC_REJ_DECODE_ERROR], 1);
    net_grpc_reply(h2, stream, NET_GRPC_INVALID_ARGUMENT, msg, NULL, 0);
    return;
  }
  rc = net_otlp_durable_add(&o->dur, slot_of(o, h2), stream, (uint8_t)sig,
                            res.rejected, res.message);
  ASSERT(rc == 0); /* admitted above: there was room */
}

/* net_otlp_durable's reply: the call k waited for its generation, which
 * is durable now (OK) or lost (failed: UNAVAILABLE with RetryInfo). */
static void answer_call(void *ctx, const struct net_otlp_wait *k,
                        int failed) {
  struct net_otlp_grpc *o = ctx;
  struct net_otlp_grpc_conn *c = &o->conns[k->slot];
  char resp[NET_GRPC_REPLY_BYTES_MAX];
  uint32_t slot = k->slot;
  size_t n;

  o->now_ms = core_ring_now_ms();
  if (failed) {
    call_retry(o, &c->h2, k->stream, NET_OTLP_GRPC_REJ_NOT_DURABLE,
               "the data was not made durable (a write or fsync failed); "
               "retry");
  } else {
    n = net_otlp_export_response((enum core_otlp_signal)k->sig,
                                 CORE_OTLP_ENC_PROTO, k->rejected, k->message,
                                 resp, sizeof(resp));
    if (net_grpc_reply(&c->h2, k->stream, NET_GRPC_OK, NULL, resp, n) ==
        -ENOMEM) /* the connection's memory is full: an answer that needs
                    none of ours, so that the client retries */
      call_retry(o, &c->h2, k->stream, NET_OTLP_GRPC_REJ_SESSION,
                 "server memory for answers is full; retry");
  }
  c->since_ms = o->now_ms;
  flush_out(o, slot);
}

/* ---- connection events (net/rconn.h) ------------------------------------- */

static void on_opened(void *ctx, uint32_t slot, int64_t now_ms) {
  struct net_otlp_grpc *o = ctx;
  struct net_otlp_grpc_conn *c = &o->conns[slot];

  c->since_ms = c->progress_ms = now_ms;
  c->unsent_since_ms = 0;
  c->calls_seen = 0;
  c->closing = 0;
  o->now_ms = now_ms;
  if (net_grpc_conn_init(&c->h2, &o->srv, NULL) < 0) {
    core_stat_add(&o->stats->rejected[NET_OTLP_GRPC_REJ_SESSION], 1);
    net_rconn_close(&o->rc, slot);
    return;
  }
  flush_out(o, slot); /* the server's SETTINGS */
  net_rconn_recv(&o->rc, slot);
}

static size_t on_data(void *ctx, uint32_t slot, const char *data, size_t n,
                      int64_t now_ms) {
  struct net_otlp_grpc *o = ctx;
  struct net_otlp_grpc_conn *c = &o->conns[slot];

  if (!live(o, slot) || c->closing)
    return n; /* nothing new is taken from a connection that ends */
  if (c->h2.out_len > 0)
    return 0; /* the engine's output waits: so does the input (on_sent) */
  o->now_ms = now_ms;
  c->since_ms = now_ms;
  if (net_grpc_feed(&c->h2, data, n) < 0)
    c->closing = 1; /* a GOAWAY is queued: send it, then close */
  flush_out(o, slot);
  if (!c->closing)
    net_rconn_recv(&o->rc, slot);
  return n;
}

static void on_eof(void *ctx, uint32_t slot, int res, int64_t now_ms) {
  struct net_otlp_grpc *o = ctx;

  (void)res;
  (void)now_ms;
  net_rconn_close(&o->rc, slot); /* calls still waiting are dropped */
}

static void on_sent(void *ctx, uint32_t slot, int64_t now_ms) {
  struct net_otlp_grpc *o = ctx;

  o->now_ms = now_ms;
  o->conns[slot].unsent_since_ms = 0; /* the peer reads: the send deadline
                                         restarts with what is left */
  flush_out(o, slot);
  if (live(o, slot) && !o->conns[slot].closing)
    net_rconn_resume(&o->rc, slot, now_ms);
}

static void on_closed(void *ctx, uint32_t slot) {
  struct net_otlp_grpc *o = ctx;

  net_otlp_durable_drop_slot(&o->dur, slot); /* stored; no one to tell */
  net_grpc_conn_free(&o->conns[slot].h2);
}

static const struct net_rconn_ops conn_ops = {
    .opened = on_opened,
    .data = on_data,
    .eof = on_eof,
    .sent = on_sent,
    .closed = on_closed,
};

/* ---- durability (net/otlp_durable.c) ----------------------------------- */

void net_otlp_grpc_commit(struct net_otlp_grpc *o) {
  if (o->on)
    net_otlp_durable_commit(&o->dur);
}

void net_otlp_grpc_answer(struct net_otlp_grpc *o, uint64_t gen, int failed) {
  if (o->on)
    net_otlp_durable_answer(&o->dur, gen, failed);
}

/* ---- deadlines and stop -------------------------------------------------- */

/* A request arriving while none finishes (a stalled upload holding its
 * buffer), or no connection preface, for body_timeout_ms: the connection
 * is closed. */
static int stalled(struct net_otlp_grpc *o, struct net_otlp_grpc_conn *c,
                   int64_t now_ms) {
  if (!net_grpc_settled(&c->h2)) /* no preface yet: it holds a slot for
                                    nothing, so the body's deadline holds */
    return now_ms - c->progress_ms > o->body_timeout_ms;
  if (net_grpc_receiving(&c->h2) == 0 || c->h2.calls_done != c->calls_seen) {
    c->calls_seen = c->h2.calls_done;
    c->progress_ms = now_ms;
    return 0;
  }
  return now_ms - c->progress_ms > o->body_timeout_ms;
}

void net_otlp_grpc_tick(struct net_otlp_grpc *o, int64_t now_ms) {
  if (!o->on)
    return;
  o->now_ms = now_ms;
  for (uint32_t i = 0; i < o->rc.conns_max; i++) {
    struct net_otlp_grpc_conn *c = &o->conns[i];

    if (!live(o, i))
      continue;
    if (c->unsent_since_ms != 0 &&
        now_ms - c->unsent_since_ms > NET_OTLP_GRPC_SEND_TIMEOUT_MS) {
      net_rconn_close(&o->rc, i); /* a peer that reads nothing */
    } else if (stalled(o, c, now_ms)) {
      core_stat_add(&o->stats->rejected[NET_OTLP_GRPC_REJ_TIMEOUT], 1);
      net_rconn_close(&o->rc, i);
    } else if (!c->closing && c->h2.pending == 0 &&
               now_ms - c->since_ms > NET_OTLP_GRPC_IDLE_TIMEOUT_MS) {
      core_stat_add(&o->stats->idle_closed, 1);
      net_grpc_shutdown(&c->h2);
      c->closing = 1;
      flush_out(o, i);
    }
  }
  core_stat_set(&o->stats->memory_bytes, core_stat_get(&o->budget.bytes));
}

void net_otlp_grpc_stop(struct net_otlp_grpc *o) {
  if (!o->on || o->stopping)
    return;
  o->stopping = 1;
  o->now_ms = core_ring_now_ms();
  net_rconn_stop(&o->rc);
  for (uint32_t i = 0; i < o->rc.conns_max; i++) {
    if (!live(o, i))
      continue;
    net_grpc_shutdown(&o->conns[i].h2);
    o->conns[i].closing = 1; /* once no call waits and the output is out */
    flush_out(o, i);
  }
}

uint32_t net_otlp_grpc_finish(struct net_otlp_grpc *o, int lost) {
  uint32_t n = 0;

  if (!o->on)
    return 0;
  o->now_ms = core_ring_now_ms();
  net_otlp_durable_finish(&o->dur, lost);
  for (uint32_t i = 0; i < o->rc.conns_max; i++) {
    if (!live(o, i))
      continue;
    o->conns[i].closing = 1;
    flush_out(o, i);
    n += live(o, i) && (net_rconn_unsent(&o->rc, i) > 0 ||
                        o->conns[i].h2.out_len > 0);
  }
  return n;
}

/* ---- set-up -------------------------------------------------------------- */

/* This listener for net/otlp_listen.c. */
static const struct net_otlp_listen_kind kind = {
    .in_bytes = NET_OTLP_GRPC_IN_BYTES, .out_bytes = NET_OTLP_GRPC_OUT_BYTES,
    .conn_bytes = sizeof(struct net_otlp_grpc_conn), .inflated_bytes = NET_GRPC_INFLATED_BYTES_MAX,
    .ops = &conn_ops, .reply = answer_call, .gen_flag = NET_OTLP_GRPC_GEN_FLAG,
    .waits_max = NET_OTLP_GRPC_WAITING_MAX};

int net_otlp_grpc_init(struct net_otlp_grpc *o, struct core_ring *ring,
                       struct core_pipe *pipe, struct net_otlp_grpc_stats *st,
                       const struct net_otlp_grpc_cfg *cfg,
                       const struct net_otlp_durable_ops *ops) {
  struct net_otlp_listen_mem m;
  int rc;

  memset(o, 0, sizeof(*o));
  o->rc.listen_fd = -1;
  if (cfg->fd < 0)
    return 0;
  ASSERT(cfg->conns_max <= NET_OTLP_GRPC_CONNS_MAX);
  o->pipe = pipe;
  o->stats = st;
  o->body_timeout_ms = NET_OTLP_GRPC_BODY_TIMEOUT_MS;
  o->budget.bytes_max = NET_GRPC_SHARD_MEMORY_BYTES_MAX;
  o->budget.heap = cfg->heap;
  rc = net_otlp_listen_init(&o->rc, &o->dur, &m, &kind,
                            &(struct net_otlp_listen_cfg){
                                ring, cfg->fd, cfg->conns_max, o, *ops,
                                &st->conns, &st->waiting, &st->flushes});
  o->conns = m.conns;
  o->inflated = m.inflated;
  o->gz = m.gz;
  if (rc < 0)
    goto fail;
  o->srv = (struct net_grpc_server){.on_request = on_call,
                                    .ctx = o,
                                    .stats = &st->grpc,
                                    .budget = &o->budget,
                                    .gzip = o->gz,
                                    .inflate_buf = o->inflated,
                                    .inflated_bytes_max =
                                        NET_GRPC_INFLATED_BYTES_MAX};
  if ((rc = net_grpc_server_init(&o->srv)) < 0)
    goto fail;
  o->on = 1;
  return 0;
fail:
  net_otlp_grpc_free(o);
  return rc;
}

void net_otlp_grpc_free(struct net_otlp_grpc *o) {
  uint32_t n = o->rc.conns_max;

  for (uint32_t i = 0; o->conns != NULL && i < n; i++)
    net_grpc_conn_free(&o->conns[i].h2);
  if (o->srv.callbacks != NULL)
    net_grpc_server_free(&o->srv);
  net_otlp_listen_free(&o->rc, &o->dur,
                       &(struct net_otlp_listen_mem){o->conns, o->inflated,
                                                     o->gz},
                       sizeof(*o->conns) * n, NET_GRPC_INFLATED_BYTES_MAX);
  o->conns = NULL;
  o->inflated = NULL;
  o->gz = NULL;
  o->on = 0;
}

void net_otlp_grpc_arm(struct net_otlp_grpc *o) {
  if (o->on)
    net_rconn_arm(&o->rc);
}
