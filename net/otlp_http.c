/*
 * net/otlp_http.c - the OTLP/HTTP protocol on a shard's connections (see
 * net/otlp_http.h); the bytes come and go through net/rconn.c.
 *
 * A connection reads one request at a time: while its request waits for
 * durability or its reply goes out, it takes no bytes (they stay in its
 * buffer, and TCP's window holds the sender back), so replies keep the
 * order of pipelined requests and each connection holds one body at most.
 */
#include "net/otlp_http.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "core/base/assert.h"
#include "core/base/heap.h"
#include "core/base/limits.h"
#include "core/base/ring.h"
#include "core/base/stat.h"
#include "core/ingest/otlpmap.h"
#include "net/gzip.h"
#include "net/http.h"
#include "net/http_internal.h"
#include "net/otlp_durable.h"
#include "net/otlp_listen.h"
#include "net/rconn.h"

static const struct net_rconn_ops conn_ops;

static int live(const struct net_otlp_http *o, uint32_t slot) {
  const struct net_rconn_conn *c = &o->rc.conns[slot];

  return c->in_use && !c->closing;
}

/* ---- replies ------------------------------------------------------------- */

static enum net_otlp_code code_of(int status) {
  switch (status) {
  case 200: return NET_OTLP_CODE_200;
  case 408: return NET_OTLP_CODE_408;
  case 413: return NET_OTLP_CODE_413;
  case 415: return NET_OTLP_CODE_415;
  case 429: return NET_OTLP_CODE_429;
  case 503: return NET_OTLP_CODE_503;
  case 500: return NET_OTLP_CODE_500;
  default: return NET_OTLP_CODE_400;
  }
}

/*
 * Queue a final reply on slot. close: the connection ends after it;
 * linger: unread input may follow (drop it a while before closing, so
 * the peer reads the reply rather than a reset).
 */
static void reply(struct net_otlp_http *o, uint32_t slot, int status,
                  const char *body, size_t len, int close, int linger,
                  int64_t now_ms) {
  struct net_otlp_conn *c = &o->conns[slot];
  char buf[NET_OTLP_HTTP_OUT_BYTES];
  int retry = status == 429 || status == 503 ? NET_OTLP_HTTP_RETRY_AFTER_S : 0;
  size_t n, room = NET_OTLP_HTTP_OUT_BYTES - net_rconn_unsent(&o->rc, slot);

  if (o->stopping) { /* the last replies: then the process exits */
    close = 1;
    linger = 0;
  }
  if (c->routed)
    core_stat_add(&o->stats->requests[c->sig][c->enc][code_of(status)], 1);
  n = net_otlp_response(status, (enum core_otlp_enc)c->enc, retry, close,
                        body, len, buf, room < sizeof(buf) ? room : sizeof(buf));
  c->state = NET_OTLP_ST_SEND;
  c->since_ms = now_ms;
  c->close_after = (uint8_t)close;
  c->linger_after = (uint8_t)linger;
  if (n == 0 || net_rconn_send(&o->rc, slot, buf, n) < 0)
    net_rconn_close(&o->rc, slot);
}

/* An error reply with a google.rpc.Status body naming why; counted. */
static void fail(struct net_otlp_http *o, uint32_t slot, int status,
                 enum net_otlp_reject why, const char *msg, int close,
                 int64_t now_ms) {
  char body[512];
  size_t n = net_otlp_status_body((enum core_otlp_enc)o->conns[slot].enc,
                                  status, msg, body, sizeof(body));

  core_stat_add(&o->stats->rejected[why], 1);
  reply(o, slot, status, body, n, close, close, now_ms);
}

/* net_otlp_durable's reply: the request of w->slot waited for its
 * generation, which is durable now (200) or lost (failed: 503). */
static void reply_durable(void *ctx, const struct net_otlp_wait *w,
                          int failed) {
  struct net_otlp_http *o = ctx;
  struct net_otlp_conn *c = &o->conns[w->slot];
  int64_t now_ms = core_ring_now_ms();
  char body[512];
  size_t n;

  if (!live(o, w->slot))
    return; /* closing: on_closed follows, no one reads a reply */
  ASSERT(c->state == NET_OTLP_ST_WAIT);
  if (failed) {
    fail(o, w->slot, 503, NET_OTLP_REJ_NOT_DURABLE,
         "the data was not made durable (a write or fsync failed); retry",
         c->close_after, now_ms);
    return;
  }
  n = net_otlp_export_response((enum core_otlp_signal)c->sig,
                               (enum core_otlp_enc)c->enc, w->rejected,
                               w->message, body, sizeof(body));
  reply(o, w->slot, 200, body, n, c->close_after, 0, now_ms);
}

/* ---- requests ------------------------------------------------------------ */

/* Signal and encoding of the request's head, when both are known. */
static void classify(struct net_otlp_conn *c) {
  const struct net_http_request *req = &c->parser.req;
  enum core_otlp_signal sig;
  enum core_otlp_enc enc;

  c->routed = 0;
  c->enc = CORE_OTLP_ENC_PROTO;
  if (net_otlp_content_type(req->content_type, &enc) == 0)
    c->enc = (uint8_t)enc;
  if (net_otlp_route(req->path, &sig) == 0 &&
      req->method_id == NET_HTTP_METHOD_POST &&
      net_otlp_content_type(req->content_type, &enc) == 0) {
    c->sig = (uint8_t)sig;
    c->routed = 1;
  }
}

/*
 * What the head alone decides: route, method, media type, coding. Sets
 * *gzip. Returns 0, or -1 after queueing the error reply.
 */
static int check_head(struct net_otlp_http *o, uint32_t slot, int close,
                      int *gzip, int64_t now_ms) {
  struct net_otlp_conn *c = &o->conns[slot];
  const struct net_http_request *req = &c->parser.req;
  const char *ce = req->content_encoding;
  enum core_otlp_signal sig;
  enum core_otlp_enc enc;

  classify(c);
  if (net_otlp_route(req->path, &sig) < 0) {
    fail(o, slot, 404, NET_OTLP_REJ_NOT_FOUND, "no such OTLP path; POST to "
         "/v1/metrics, /v1/logs or /v1/traces", close, now_ms);
    return -1;
  }
  if (req->method_id != NET_HTTP_METHOD_POST) {
    fail(o, slot, 405, NET_OTLP_REJ_METHOD, "OTLP/HTTP takes POST only",
         close, now_ms);
    return -1;
  }
  if (net_otlp_content_type(req->content_type, &enc) < 0) {
    fail(o, slot, 415, NET_OTLP_REJ_BAD_CONTENT_TYPE, "Content-Type must be "
         "application/x-protobuf or application/json", close, now_ms);
    return -1;
  }
  *gzip = ce != NULL && net_http_ieq(ce, "gzip");
  if (ce != NULL && !*gzip && !net_http_ieq(ce, "identity")) {
    fail(o, slot, 415, NET_OTLP_REJ_BAD_ENCODING, "Content-Encoding must be "
         "gzip or identity", close, now_ms);
    return -1;
  }
  return 0;
}

/* Decode and store one whole request; its reply waits for durability. */
static void ingest(struct net_otlp_http *o, uint32_t slot, const void *body,
                   size_t len, int close, int64_t now_ms) {
  struct net_otlp_conn *c = &o->conns[slot];
  struct core_otlp_result res;
  char msg[256];
  int rc;

  memset(&res, 0, sizeof(res));
  rc = core_pipe_otlp(o->pipe, (enum core_otlp_signal)c->sig,
                      (enum core_otlp_enc)c->enc, body, len, now_ms, &res);
  if (rc < 0) {
    if (rc == -E2BIG)
      core_stat_add(&o->stats->bounds[net_otlp_bound_of(res.why)], 1);
    snprintf(msg, sizeof(msg), "the Export request does not decode: %s",
             res.why != NULL ? res.why : "malformed");
    fail(o, slot, 400, NET_OTLP_REJ_DECODE_ERROR, msg, close, now_ms);
    return;
  }
  rc = net_otlp_durable_add(&o->dur, slot, 0, c->sig, res.rejected,
                            res.message);
  ASSERT(rc == 0); /* admitted in on_request: there was room */
  c->state = NET_OTLP_ST_WAIT;
  c->since_ms = now_ms;
  c->close_after = (uint8_t)close;
}

/* A complete request in c->parser.req. */
static void on_request(struct net_otlp_http *o, uint32_t slot,
                       int64_t now_ms) {
  struct net_otlp_conn *c = &o->conns[slot];
  const struct net_http_request *req = &c->parser.req;
  int close = !req->keep_alive, gzip = 0, rc;
  const char *body = req->body;
  size_t len = req->body_len;

  if (check_head(o, slot, close, &gzip, now_ms) < 0)
    return;
  switch (net_otlp_durable_admit(&o->dur)) {
  case NET_OTLP_ADMIT_FULL:
    fail(o, slot, 429, NET_OTLP_REJ_BACKPRESSURE, "too many requests wait "
         "for the disk; retry after Retry-After", close, now_ms);
    return;
  case NET_OTLP_ADMIT_BEHIND:
    fail(o, slot, 503, NET_OTLP_REJ_WRITER_BEHIND, "the disk does not keep "
         "up; retry after Retry-After", close, now_ms);
    return;
  case NET_OTLP_ADMIT_OK:
    break;
  }
  if (gzip) {
    rc = net_gzip_inflate(o->gz, body, len, o->inflated,
                          NET_OTLP_HTTP_INFLATED_BYTES_MAX, &len);
    if (rc == -E2BIG) {
      fail(o, slot, 413, NET_OTLP_REJ_INFLATED_TOO_LARGE, "the gzip body "
           "inflates past 64 MiB", close, now_ms);
      return;
    }
    if (rc < 0) {
      fail(o, slot, 400, NET_OTLP_REJ_BAD_GZIP, "Content-Encoding is gzip "
           "but the body is not valid gzip (corrupt, cut short or followed "
           "by other bytes)", close, now_ms);
      return;
    }
    body = o->inflated;
  }
  ingest(o, slot, body, len, close, now_ms);
}

/* The parser refused the request (p->status). */
static void on_parse_error(struct net_otlp_http *o, uint32_t slot,
                           int64_t now_ms) {
  struct net_otlp_conn *c = &o->conns[slot];
  int status = c->parser.status;
  char msg[128];

  if (net_http_parser_head_done(&c->parser))
    classify(c);
  else
    c->routed = 0;
  if (status == 413) {
    fail(o, slot, 413, NET_OTLP_REJ_BODY_TOO_LARGE, "the body is over 16 "
         "MiB; send smaller batches", 1, now_ms);
  } else if (status == 503 || status == 500) { /* budget full, or the
                                                   shard's heap refused */
    fail(o, slot, 503, NET_OTLP_REJ_MEMORY, "too many request bodies held "
         "at once; retry after Retry-After", 1, now_ms);
  } else {
    snprintf(msg, sizeof(msg), "malformed HTTP request (%d %s)", status,
             net_http_reason(status));
    fail(o, slot, status, NET_OTLP_REJ_BAD_REQUEST, msg, 1, now_ms);
  }
}

/* Expect: 100-continue: the head alone may refuse; else ask for the body. */
static void on_continue(struct net_otlp_http *o, uint32_t slot,
                        int64_t now_ms) {
  static const char cont[] = "HTTP/1.1 100 Continue\r\n\r\n";
  int gzip;

  if (check_head(o, slot, 1, &gzip, now_ms) < 0)
    return;
  if (net_rconn_send(&o->rc, slot, cont, sizeof(cont) - 1) < 0)
    net_rconn_close(&o->rc, slot);
}

static void set_phase(struct net_otlp_conn *c, int64_t now_ms) {
  enum net_otlp_phase ph = !net_http_parser_started(&c->parser)
                               ? NET_OTLP_PH_IDLE
                               : !net_http_parser_head_done(&c->parser)
                                     ? NET_OTLP_PH_HEADER
                                     : NET_OTLP_PH_BODY;

  if (ph != c->phase) {
    c->phase = (uint8_t)ph;
    c->since_ms = now_ms;
  }
}

/* Feed what arrived while reading requests; stop at a reply. */
static size_t feed(struct net_otlp_http *o, uint32_t slot, const char *data,
                   size_t n, int64_t now_ms) {
  struct net_otlp_conn *c = &o->conns[slot];
  size_t took = 0;

  while (took < n && c->state == NET_OTLP_ST_READ && live(o, slot)) {
    size_t used = 0;
    enum net_http_parse r =
        net_http_parser_feed(&c->parser, data + took, n - took, &used);
    took += used;
    if (r == NET_HTTP_PARSE_CONTINUE) {
      on_continue(o, slot, now_ms);
    } else if (r == NET_HTTP_PARSE_DONE) {
      on_request(o, slot, now_ms);
      net_http_parser_reset(&c->parser); /* the body's memory goes back */
    } else if (r == NET_HTTP_PARSE_ERROR) {
      on_parse_error(o, slot, now_ms);
      return n; /* the connection ends: nothing more is read */
    }
  }
  if (c->state == NET_OTLP_ST_READ) {
    set_phase(c, now_ms);
    net_rconn_recv(&o->rc, slot);
  }
  return took;
}

/* ---- connection events (net/rconn.h) ------------------------------------- */

/* Unread bytes after a final reply: dropped a while, then the close. */
static void drain(struct net_otlp_http *o, uint32_t slot, size_t n) {
  struct net_otlp_conn *c = &o->conns[slot];

  c->linger_bytes += (uint32_t)n;
  if (c->linger_bytes > NET_OTLP_HTTP_LINGER_BYTES_MAX)
    net_rconn_close(&o->rc, slot);
  else
    net_rconn_recv(&o->rc, slot);
}

/* A body's bytes go straight into the parser's body buffer when there are
 * at least NET_OTLP_HTTP_DIRECT_BYTES_MIN of them to come. */
static char *direct_room(void *ctx, uint32_t slot, size_t *room) {
  struct net_otlp_http *o = ctx;
  struct net_otlp_conn *c = &o->conns[slot];
  char *d;

  *room = 0;
  if (c->state != NET_OTLP_ST_READ || o->stopping)
    return NULL;
  d = net_http_parser_body_room(&c->parser, room);
  return *room >= NET_OTLP_HTTP_DIRECT_BYTES_MIN ? d : NULL;
}

static void on_direct(void *ctx, uint32_t slot, size_t n, int64_t now_ms) {
  struct net_otlp_http *o = ctx;
  struct net_otlp_conn *c = &o->conns[slot];

  if (c->state == NET_OTLP_ST_LINGER) {
    drain(o, slot, n);
    return;
  }
  if (o->stopping || c->state != NET_OTLP_ST_READ)
    return; /* the request already failed (408): its reply goes out */
  if (net_http_parser_body_wrote(&c->parser, n) == NET_HTTP_PARSE_DONE) {
    on_request(o, slot, now_ms);
    net_http_parser_reset(&c->parser);
  }
  if (c->state == NET_OTLP_ST_READ && live(o, slot)) {
    set_phase(c, now_ms);
    net_rconn_recv(&o->rc, slot);
  }
}

static void on_opened(void *ctx, uint32_t slot, int64_t now_ms) {
  struct net_otlp_http *o = ctx;
  struct net_otlp_conn *c = &o->conns[slot];

  c->state = NET_OTLP_ST_READ;
  c->phase = NET_OTLP_PH_IDLE;
  c->since_ms = now_ms;
  c->close_after = c->linger_after = c->routed = 0;
  net_rconn_recv(&o->rc, slot);
}

static size_t on_data(void *ctx, uint32_t slot, const char *data, size_t n,
                      int64_t now_ms) {
  struct net_otlp_http *o = ctx;
  struct net_otlp_conn *c = &o->conns[slot];

  if (c->state == NET_OTLP_ST_LINGER) {
    drain(o, slot, n);
    return n;
  }
  if (o->stopping)
    return n; /* nothing new is ingested once the stop began */
  if (c->state != NET_OTLP_ST_READ)
    return 0; /* kept until this connection's reply went out */
  return feed(o, slot, data, n, now_ms);
}

static void on_eof(void *ctx, uint32_t slot, int res, int64_t now_ms) {
  struct net_otlp_http *o = ctx;
  struct net_otlp_conn *c = &o->conns[slot];

  (void)res;
  (void)now_ms;
  if (c->state == NET_OTLP_ST_WAIT || c->state == NET_OTLP_ST_SEND) {
    c->close_after = 1; /* half-closed: the reply still goes out */
    c->linger_after = 0;
    return;
  }
  net_rconn_close(&o->rc, slot);
}

static void on_sent(void *ctx, uint32_t slot, int64_t now_ms) {
  struct net_otlp_http *o = ctx;
  struct net_otlp_conn *c = &o->conns[slot];

  if (c->state != NET_OTLP_ST_SEND)
    return; /* a 100 Continue went out */
  if (c->close_after && c->linger_after) {
    c->state = NET_OTLP_ST_LINGER;
    c->since_ms = now_ms;
    c->linger_bytes = 0;
    net_rconn_shutdown_write(&o->rc, slot);
    net_rconn_recv(&o->rc, slot);
    return;
  }
  if (c->close_after) {
    net_rconn_close(&o->rc, slot);
    return;
  }
  c->state = NET_OTLP_ST_READ;
  c->phase = NET_OTLP_PH_IDLE;
  c->since_ms = now_ms;
  net_rconn_resume(&o->rc, slot, now_ms);
}

static void on_closed(void *ctx, uint32_t slot) {
  struct net_otlp_http *o = ctx;
  struct net_otlp_conn *c = &o->conns[slot];

  if (c->state == NET_OTLP_ST_WAIT) /* stored; no one to tell */
    net_otlp_durable_drop_slot(&o->dur, slot);
  c->state = NET_OTLP_ST_READ;
  net_http_parser_reset(&c->parser);
}

static const struct net_rconn_ops conn_ops = {
    .opened = on_opened,
    .data = on_data,
    .eof = on_eof,
    .sent = on_sent,
    .closed = on_closed,
    .direct_room = direct_room,
    .direct = on_direct,
};

/* ---- durability (net/otlp_durable.c) ----------------------------------- */

void net_otlp_http_commit(struct net_otlp_http *o) {
  if (o->on)
    net_otlp_durable_commit(&o->dur);
}

void net_otlp_http_answer(struct net_otlp_http *o, uint64_t gen, int failed) {
  if (o->on)
    net_otlp_durable_answer(&o->dur, gen, failed);
}

/* ---- deadlines and stop -------------------------------------------------- */

static void expire(struct net_otlp_http *o, uint32_t slot, int64_t now_ms) {
  struct net_otlp_conn *c = &o->conns[slot];
  int64_t age = now_ms - c->since_ms;

  if (c->state == NET_OTLP_ST_SEND && age > NET_OTLP_HTTP_SEND_TIMEOUT_MS) {
    net_rconn_close(&o->rc, slot);
  } else if (c->state == NET_OTLP_ST_LINGER && age > NET_OTLP_HTTP_LINGER_MS) {
    net_rconn_close(&o->rc, slot);
  } else if (c->state == NET_OTLP_ST_READ) {
    if (c->phase == NET_OTLP_PH_IDLE && age > NET_OTLP_HTTP_IDLE_TIMEOUT_MS) {
      core_stat_add(&o->stats->idle_closed, 1);
      net_rconn_close(&o->rc, slot);
    } else if ((c->phase == NET_OTLP_PH_HEADER &&
                age > NET_OTLP_HTTP_HEADER_TIMEOUT_MS) ||
               (c->phase == NET_OTLP_PH_BODY &&
                age > NET_OTLP_HTTP_BODY_TIMEOUT_MS)) {
      if (c->phase == NET_OTLP_PH_BODY)
        classify(c);
      else
        c->routed = 0;
      fail(o, slot, 408, NET_OTLP_REJ_TIMEOUT, c->phase == NET_OTLP_PH_BODY
           ? "the body did not arrive in time" : "the request head did not "
           "arrive in time", 1, now_ms);
    }
  }
}

void net_otlp_http_tick(struct net_otlp_http *o, int64_t now_ms) {
  /* A busy shard ticks every pass: the slots are swept a few times a
   * second of deadlines, not every pass. */
  if (!o->on || (now_ms >= o->swept_ms &&
                 now_ms - o->swept_ms < NET_OTLP_HTTP_SWEEP_MS))
    return;
  o->swept_ms = now_ms;
  for (uint32_t i = 0; i < o->rc.conns_max; i++)
    if (live(o, i))
      expire(o, i, now_ms);
  core_stat_set(&o->stats->memory_bytes, core_stat_get(&o->budget.bytes));
}

void net_otlp_http_stop(struct net_otlp_http *o) {
  if (!o->on || o->stopping)
    return;
  o->stopping = 1;
  net_rconn_stop(&o->rc);
  for (uint32_t i = 0; i < o->rc.conns_max; i++) {
    if (!live(o, i) || o->conns[i].state == NET_OTLP_ST_WAIT)
      continue;
    if (o->conns[i].state == NET_OTLP_ST_READ &&
        net_http_parser_started(&o->conns[i].parser))
      core_stat_add(&o->stats->rejected[NET_OTLP_REJ_STOPPING], 1);
    net_rconn_close(&o->rc, i);
  }
}

uint32_t net_otlp_http_unsent(const struct net_otlp_http *o) {
  uint32_t n = 0;

  for (uint32_t i = 0; o->on && i < o->rc.conns_max; i++)
    n += live(o, i) && net_rconn_unsent(&o->rc, i) > 0;
  return n;
}

uint32_t net_otlp_http_finish(struct net_otlp_http *o, int lost) {
  if (o->on)
    net_otlp_durable_finish(&o->dur, lost);
  return net_otlp_http_unsent(o);
}

/* ---- set-up -------------------------------------------------------------- */

/* This listener for net/otlp_listen.c. */
static const struct net_otlp_listen_kind kind = {
    .in_bytes = NET_OTLP_HTTP_IN_BYTES, .out_bytes = NET_OTLP_HTTP_OUT_BYTES,
    .conn_bytes = sizeof(struct net_otlp_conn), .inflated_bytes = NET_OTLP_HTTP_INFLATED_BYTES_MAX,
    .ops = &conn_ops, .reply = reply_durable, .gen_flag = NET_OTLP_HTTP_GEN_FLAG,
    .waits_max = NET_OTLP_HTTP_WAITING_MAX};

int net_otlp_http_init(struct net_otlp_http *o, struct core_ring *ring,
                       struct core_pipe *pipe, struct net_otlp_http_stats *st,
                       const struct net_otlp_http_cfg *cfg,
                       const struct net_otlp_durable_ops *ops) {
  struct net_otlp_listen_mem m;
  int rc;

  memset(o, 0, sizeof(*o));
  o->rc.listen_fd = -1;
  if (cfg->fd < 0)
    return 0;
  o->pipe = pipe;
  o->stats = st;
  o->budget.bytes_max = NET_OTLP_HTTP_MEMORY_BYTES_MAX;
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
  rc = -ENOMEM;
  for (uint32_t i = 0; i < cfg->conns_max; i++) {
    struct net_http_parser *p = &o->conns[i].parser;
    if (net_http_parser_init(p, NET_HTTP_HEADER_BYTES_MAX,
                             NET_OTLP_HTTP_BODY_BYTES_MAX) < 0)
      goto fail;
    net_http_parser_set_budget(p, &o->budget);
  }
  o->on = 1;
  return 0;
fail:
  net_otlp_http_free(o);
  return rc;
}

void net_otlp_http_free(struct net_otlp_http *o) {
  uint32_t n = o->rc.conns_max;

  for (uint32_t i = 0; o->conns != NULL && i < n; i++)
    if (o->conns[i].parser.head != NULL)
      net_http_parser_free(&o->conns[i].parser);
  net_otlp_listen_free(&o->rc, &o->dur,
                       &(struct net_otlp_listen_mem){o->conns, o->inflated,
                                                     o->gz},
                       sizeof(*o->conns) * n, NET_OTLP_HTTP_INFLATED_BYTES_MAX);
  o->conns = NULL;
  o->inflated = NULL;
  o->gz = NULL;
  o->on = 0;
}

void net_otlp_http_arm(struct net_otlp_http *o) {
  if (o->on)
    net_rconn_arm(&o->rc);
}
