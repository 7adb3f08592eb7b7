/*
 * tests/unit/net/test_otlp_grpc.c - the OTLP/gRPC listener on a real ring
 * with the writer faked (net/otlp_grpc.c): an answer waits for its own
 * flush generation, lost data is UNAVAILABLE with RetryInfo, a busy
 * writer is asked again, a writer behind and a full table of waiting
 * calls are UNAVAILABLE, an undecodable call is INVALID_ARGUMENT, a
 * connection that goes away while its calls wait, and the stop. Clients
 * are nghttp2 client sessions on real sockets of this thread; the ring
 * runs on this thread too (pump).
 */
#include <criterion/criterion.h>
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <nghttp2/nghttp2.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "core/base/ring.h"
#include "core/ingest/pipe.h"
#include "fake_writer.h"
#include "net/otlp_grpc.h"

#define CLIENTS_MAX 16
#define CALLS_MAX 2048

/* One call as the client saw it. */
struct call {
  int client;
  int32_t id;
  int grpc;        /* grpc-status, -1 until the answer */
  int closed;
  char details[1024];
};

struct client {
  int fd;
  nghttp2_session *s;
};

static struct core_ring ring;
static struct core_pipe pipe_;
static struct core_ingest_stats ist;
static struct net_otlp_grpc_stats gst;
static struct net_otlp_grpc lis;
static struct fake fk;
static uint16_t port;
static struct client clients[CLIENTS_MAX];
static int nclients;
static struct call calls[CALLS_MAX];
static int ncalls;
static uint8_t body[1 << 16];
static size_t body_len;

static void setup(void) {
  int fd;
  char path[512];
  FILE *f;

  memset(&fk, 0, sizeof(fk));
  memset(&gst, 0, sizeof(gst));
  fk.keeping_up = 1;
  fk.flag = NET_OTLP_GRPC_GEN_FLAG;
  nclients = ncalls = 0;
  snprintf(path, sizeof(path), "%s/metrics.bin", OTLP_FIXTURE_DIR);
  f = fopen(path, "rb");
  cr_assert(f, "open %s", path);
  body_len = fread(body + 5, 1, sizeof(body) - 5, f);
  fclose(f);
  body[0] = 0;
  body[1] = (uint8_t)(body_len >> 24);
  body[2] = (uint8_t)(body_len >> 16);
  body[3] = (uint8_t)(body_len >> 8);
  body[4] = (uint8_t)body_len;
  fd = fake_listener(&port);
  cr_assert_eq(core_ring_init(&ring, 256), 0);
  cr_assert_eq(core_pipe_init(&pipe_, &ist, 100000, 4096, NULL, NULL), 0);
  cr_assert_eq(core_pipe_logs_init(&pipe_, 65536, NULL, NULL), 0);
  cr_assert_eq(net_otlp_grpc_init(
                   &lis, &ring, &pipe_, &gst,
                   &(struct net_otlp_grpc_cfg){.fd = fd, .conns_max = 64},
                   &(struct net_otlp_durable_ops){fake_flush,
                                                   fake_keeping_up, &fk}),
               0);
  net_otlp_grpc_arm(&lis);
}

static void teardown(void) {
  for (int i = 0; i < nclients; i++) {
    if (clients[i].s)
      nghttp2_session_del(clients[i].s);
    if (clients[i].fd >= 0)
      close(clients[i].fd);
  }
  net_otlp_grpc_free(&lis);
  core_pipe_free(&pipe_);
  core_ring_free(&ring);
}

static struct call *call_of(int client, int32_t id) {
  for (int i = 0; i < ncalls; i++)
    if (calls[i].client == client && calls[i].id == id)
      return &calls[i];
  return NULL;
}

static ssize_t cli_send(nghttp2_session *s, const uint8_t *d, size_t n,
                        int flags, void *ud) {
  struct client *c = ud;
  ssize_t w = send(c->fd, d, n, MSG_DONTWAIT | MSG_NOSIGNAL);

  (void)s, (void)flags;
  if (w < 0)
    return errno == EAGAIN ? NGHTTP2_ERR_WOULDBLOCK : NGHTTP2_ERR_CALLBACK_FAILURE;
  return w;
}

static int cli_header(nghttp2_session *s, const nghttp2_frame *f,
                      const uint8_t *name, size_t nlen, const uint8_t *value,
                      size_t vlen, uint8_t flags, void *ud) {
  struct call *k = call_of((int)((struct client *)ud - clients),
                           f->hd.stream_id);

  (void)s, (void)flags;
  if (k && nlen == 11 && memcmp(name, "grpc-status", 11) == 0)
    k->grpc = atoi((const char *)value);
  if (k && nlen == 23 && memcmp(name, "grpc-status-details-bin", 23) == 0)
    snprintf(k->details, sizeof(k->details), "%.*s", (int)vlen, value);
  return 0;
}

static int cli_close(nghttp2_session *s, int32_t id, uint32_t code,
                     void *ud) {
  struct call *k = call_of((int)((struct client *)ud - clients), id);

  (void)s, (void)code;
  if (k)
    k->closed = 1;
  return 0;
}

/* A client connection with its HTTP/2 session. */
static int client(void) {
  struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons(port),
                          .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
  struct client *c = &clients[nclients];
  nghttp2_session_callbacks *cb;

  cr_assert_lt(nclients, CLIENTS_MAX);
  c->fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  cr_assert(c->fd >= 0);
  cr_assert_eq(connect(c->fd, (struct sockaddr *)&a, sizeof(a)), 0);
  cr_assert_eq(nghttp2_session_callbacks_new(&cb), 0);
  nghttp2_session_callbacks_set_send_callback(cb, cli_send);
  nghttp2_session_callbacks_set_on_header_callback(cb, cli_header);
  nghttp2_session_callbacks_set_on_stream_close_callback(cb, cli_close);
  cr_assert_eq(nghttp2_session_client_new(&c->s, cb, c), 0);
  nghttp2_session_callbacks_del(cb);
  cr_assert_eq(nghttp2_submit_settings(c->s, NGHTTP2_FLAG_NONE, NULL, 0), 0);
  return nclients++;
}

/* A request message being sent. */
struct upload {
  const uint8_t *p;
  size_t len, off;
  int stall;       /* after len bytes: wait, no END_STREAM */
};

static ssize_t req_read(nghttp2_session *s, int32_t id, uint8_t *buf,
                        size_t length, uint32_t *flags,
                        nghttp2_data_source *src, void *ud) {
  struct upload *u = src->ptr;
  size_t n = u->len - u->off;

  (void)s, (void)id, (void)ud;
  if (n == 0 && u->stall)
    return NGHTTP2_ERR_DEFERRED;
  n = n < length ? n : length;
  memcpy(buf, u->p + u->off, n);
  u->off += n;
  if (u->off == u->len && !u->stall)
    *flags |= NGHTTP2_DATA_FLAG_EOF;
  return (ssize_t)n;
}

/* Start an Export call on client ci: the fixture (bad 0), a message that
 * frames well and does not decode (1), half the fixture then a stall (2). */
static struct call *export(int ci, int bad) {
  static const uint8_t undecodable[] = {0, 0, 0, 0, 3, 0x0a, 0x05, 0x01};
  static struct upload ups[CALLS_MAX];
  nghttp2_nv nva[] = {
#define H(k, v) {(uint8_t *)(k), (uint8_t *)(v), sizeof(k) - 1, sizeof(v) - 1, 0}
      H(":method", "POST"), H(":scheme", "http"),
      H(":path", "/opentelemetry.proto.collector.metrics.v1.MetricsService/Export"),
      H(":authority", "localhost"), H("content-type", "application/grpc"),
      H("te", "trailers")};
#undef H
  struct call *k = &calls[ncalls];
  nghttp2_data_provider prd = {.source.ptr = &ups[ncalls],
                               .read_callback = req_read};

  cr_assert_lt(ncalls, CALLS_MAX);
  ups[ncalls] = bad == 1 ? (struct upload){.p = undecodable,
                                           .len = sizeof(undecodable)}
                         : (struct upload){.p = body, .len = 5 + body_len};
  if (bad == 2) {
    ups[ncalls].len = 5 + body_len / 2;
    ups[ncalls].stall = 1;
  }
  k->client = ci;
  k->grpc = -1;
  k->id = nghttp2_submit_request(clients[ci].s, NULL, nva, 6, &prd, NULL);
  cr_assert_gt(k->id, 0);
  ncalls++;
  return k;
}

/* What the shard loop does, and the clients, for ms milliseconds. */
static void pump(int ms) {
  int64_t end = core_ring_now_ms() + ms;

  do {
    core_ring_wait(&ring, 2);
    core_ring_reap(&ring);
    net_otlp_grpc_commit(&lis);
    net_otlp_grpc_tick(&lis, core_ring_now_ms());
    for (int i = 0; i < nclients; i++) {
      uint8_t buf[65536];
      ssize_t r;

      if (!clients[i].s)
        continue;
      nghttp2_session_send(clients[i].s);
      while ((r = recv(clients[i].fd, buf, sizeof(buf), MSG_DONTWAIT)) > 0)
        cr_assert_eq(nghttp2_session_mem_recv(clients[i].s, buf, (size_t)r),
                     r);
    }
  } while (core_ring_now_ms() < end);
}

/* A loaded machine (the CI's) answers later than the pump's time: wait up
 * to 500 ms more for a call's status before asserting what it is. */
static void await_answer(struct call *k) {
  for (int w = 0; w < 100 && k->grpc == -1; w++)
    pump(5);
}

static void answer_all(int failed) {
  for (int i = 0; i < fk.n; i++)
    net_otlp_grpc_answer(&lis, fk.gens[i], failed);
  fk.n = 0;
}

TestSuite(otlp_grpc_ring, .init = setup, .fini = teardown);

Test(otlp_grpc_ring, answer_waits_for_its_generation) {
  int c = client();
  struct call *a = export(c, 0), *b;

  pump(60);
  cr_assert_eq(a->grpc, -1, "no answer before durability");
  cr_assert_eq(gst.waiting, 1);
  cr_assert_eq(fk.n, 1);
  b = export(c, 0);
  pump(60);
  cr_assert_eq(fk.n, 2, "the second call has its own generation");
  net_otlp_grpc_answer(&lis, fk.gens[1], 0);
  pump(30);
  cr_assert_eq(a->grpc, -1, "a waits for its own generation");
  await_answer(b);
  cr_assert_eq(b->grpc, 0);
  net_otlp_grpc_answer(&lis, fk.gens[0], 0);
  pump(30);
  await_answer(a);
  cr_assert_eq(a->grpc, 0);
  cr_assert(a->closed && b->closed);
  cr_assert_eq(gst.waiting, 0);
  cr_assert_eq(lis.dur.flushes_inflight, 0);
  cr_assert_eq(gst.grpc.replies[CORE_OTLP_METRICS][NET_GRPC_OK], 2);
  {
    uint64_t stored = 0;

    for (int k = 0; k < CORE_OTLP_PK_COUNT; k++)
      stored += ist.points_otlp[k];
    cr_assert_gt(stored, 0, "the fixture's points were stored");
  }
}

Test(otlp_grpc_ring, lost_data_is_unavailable_with_retry_info) {
  struct call *a = export(client(), 0);

  pump(60);
  cr_assert_eq(fk.n, 1);
  answer_all(1);
  pump(30);
  await_answer(a);
  cr_assert_eq(a->grpc, NET_GRPC_UNAVAILABLE);
  cr_assert_neq(a->details[0], '\0', "RetryInfo in grpc-status-details-bin");
  cr_assert_eq(gst.rejected[NET_OTLP_GRPC_REJ_NOT_DURABLE], 1);
}

Test(otlp_grpc_ring, no_store_answers_at_once) {
  struct call *a;

  fk.no_store = 1;
  a = export(client(), 0);
  pump(60);
  await_answer(a);
  cr_assert_eq(a->grpc, 0);
}

Test(otlp_grpc_ring, busy_writer_is_asked_again_next_pass) {
  struct call *a;

  fk.busy_left = 3;
  a = export(client(), 0);
  pump(100);
  cr_assert_eq(fk.busy_left, 0);
  cr_assert_eq(fk.n, 1, "asked again until taken");
  answer_all(0);
  pump(30);
  await_answer(a);
  cr_assert_eq(a->grpc, 0);
}

Test(otlp_grpc_ring, writer_behind_is_unavailable) {
  struct call *a;

  fk.keeping_up = 0;
  a = export(client(), 0);
  pump(60);
  await_answer(a);
  cr_assert_eq(a->grpc, NET_GRPC_UNAVAILABLE);
  cr_assert_eq(gst.rejected[NET_OTLP_GRPC_REJ_WRITER_BEHIND], 1);
  cr_assert_eq(fk.n, 0, "nothing stored, nothing to flush");
}

Test(otlp_grpc_ring, undecodable_is_invalid_argument) {
  struct call *a = export(client(), 1);

  pump(60);
  await_answer(a);
  cr_assert_eq(a->grpc, NET_GRPC_INVALID_ARGUMENT);
  cr_assert_eq(gst.rejected[NET_OTLP_GRPC_REJ_DECODE_ERROR], 1);
  cr_assert_eq(fk.n, 0);
}

Test(otlp_grpc_ring, full_table_of_waiting_calls_is_unavailable) {
  int per = NET_GRPC_STREAMS_MAX, conns = NET_OTLP_GRPC_WAITING_MAX / per + 1;
  int unavailable = 0;

  cr_assert_leq(conns, CLIENTS_MAX);
  for (int c = 0; c < conns; c++) {
    int ci = client();

    for (int i = 0; i < per; i++)
      export(ci, 0);
    pump(20);
  }
  pump(300);
  cr_assert_eq(gst.waiting, NET_OTLP_GRPC_WAITING_MAX);
  for (int i = 0; i < ncalls; i++)
    unavailable += calls[i].grpc == NET_GRPC_UNAVAILABLE;
  cr_assert_eq(unavailable, conns * per - NET_OTLP_GRPC_WAITING_MAX);
  cr_assert_eq(gst.rejected[NET_OTLP_GRPC_REJ_BACKPRESSURE],
               (uint64_t)unavailable);
  for (int k = 0; k < 20 && gst.waiting > 0; k++) {
    answer_all(0);
    pump(20);
  }
  cr_assert_eq(gst.waiting, 0);
  pump(100);
  for (int i = 0; i < ncalls; i++)
    cr_assert(calls[i].grpc == 0 || calls[i].grpc == NET_GRPC_UNAVAILABLE,
              "call %d: grpc-status %d", i, calls[i].grpc);
}

Test(otlp_grpc_ring, a_connection_gone_while_its_calls_wait) {
  int c = client();

  export(c, 0);
  export(c, 0);
  pump(60);
  cr_assert_eq(gst.waiting, 2);
  nghttp2_session_del(clients[c].s);
  clients[c].s = NULL;
  close(clients[c].fd);
  clients[c].fd = -1;
  pump(60);
  cr_assert_eq(gst.waiting, 0, "the calls are dropped with the connection");
  cr_assert_eq(gst.conns.open, 0);
  answer_all(0); /* finds nothing */
  pump(20);
  cr_assert_eq(gst.grpc.replies[CORE_OTLP_METRICS][NET_GRPC_OK], 0);
}

Test(otlp_grpc_ring, stop_answers_the_waiting_then_closes) {
  struct call *a = export(client(), 0);

  pump(60);
  cr_assert_eq(gst.waiting, 1);
  net_otlp_grpc_stop(&lis);
  pump(30);
  cr_assert_eq(a->grpc, -1, "the stored call still waits");
  net_otlp_grpc_finish(&lis, 0);
  pump(60);
  await_answer(a);
  cr_assert_eq(a->grpc, 0);
  cr_assert_eq(gst.waiting, 0);
  cr_assert_eq(gst.conns.open, 0, "closed once answered");
}

Test(otlp_grpc_ring, a_stalled_upload_is_closed) {
  int c = client();
  struct call *a;

  lis.body_timeout_ms = 300;
  a = export(c, 2);
  pump(150);
  cr_assert_eq(gst.conns.open, 1, "still in time");
  pump(400);
  cr_assert_eq(gst.rejected[NET_OTLP_GRPC_REJ_TIMEOUT], 1);
  cr_assert_eq(gst.conns.open, 0, "closed");
  cr_assert_eq(a->grpc, -1);
  cr_assert_eq(lis.budget.bytes, 0, "its buffer given back");
}

/* A client that connects and says nothing (no preface) holds a slot of
 * NET_OTLP_GRPC_CONNS_MAX: it gets the body's deadline, not the idle one. */
Test(otlp_grpc_ring, a_silent_connection_is_closed) {
  struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons(port),
                          .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
  int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  int c = client();

  lis.body_timeout_ms = 300;
  cr_assert(fd >= 0);
  cr_assert_eq(connect(fd, (struct sockaddr *)&a, sizeof(a)), 0);
  pump(150);
  cr_assert_eq(gst.conns.open, 2, "still in time");
  pump(400);
  cr_assert_eq(gst.rejected[NET_OTLP_GRPC_REJ_TIMEOUT], 1);
  cr_assert_eq(gst.conns.open, 1, "the silent one closed, not the client");
  cr_assert_eq(clients[c].fd >= 0, 1);
  close(fd);
}

Test(otlp_grpc_ring, a_busy_connection_is_not_a_stalled_one) {
  int c = client();

  lis.body_timeout_ms = 300;
  fk.no_store = 1;
  for (int i = 0; i < 12; i++) { /* a call every 60 ms, for 720 ms */
    struct call *a = export(c, 0);

    pump(60);
    await_answer(a);
    cr_assert_eq(a->grpc, 0);
  }
  cr_assert_eq(gst.rejected[NET_OTLP_GRPC_REJ_TIMEOUT], 0);
  cr_assert_eq(gst.conns.open, 1);
}
