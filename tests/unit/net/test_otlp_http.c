/*
 * tests/unit/net/test_otlp_http.c - the OTLP/HTTP listener: what it reads
 * of a request's head and the bytes of its replies (net/otlp_http_reply.c:
 * routes, media types, Export responses with and without partial_success
 * in protobuf, decoded back field by field, and JSON, google.rpc.Status
 * bodies, whole responses), then the listener itself on a real ring with
 * the writer faked (net/otlp_http.c: a reply waits for its own flush
 * generation, lost data is 503, busy writer, back-pressure 429/503;
 * bodies received straight into the body buffer, cut anywhere, chunked,
 * gzip, pipelined after them, over the bound).
 */
#include <criterion/criterion.h>
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "net/otlp_http.h"

Test(otlp_http, routes) {
  enum core_otlp_signal sig;

  cr_assert_eq(net_otlp_route("/v1/metrics", &sig), 0);
  cr_assert_eq(sig, CORE_OTLP_METRICS);
  cr_assert_eq(net_otlp_route("/v1/logs", &sig), 0);
  cr_assert_eq(sig, CORE_OTLP_LOGS);
  cr_assert_eq(net_otlp_route("/v1/traces", &sig), 0);
  cr_assert_eq(sig, CORE_OTLP_TRACES);
  cr_assert_eq(net_otlp_route("/v1/metrics/", &sig), -ENOENT);
  cr_assert_eq(net_otlp_route("/V1/metrics", &sig), -ENOENT);
  cr_assert_eq(net_otlp_route("/v1/span", &sig), -ENOENT);
  cr_assert_eq(net_otlp_route(NULL, &sig), -ENOENT);
}

Test(otlp_http, content_types) {
  enum core_otlp_enc enc;

  cr_assert_eq(net_otlp_content_type("application/x-protobuf", &enc), 0);
  cr_assert_eq(enc, CORE_OTLP_ENC_PROTO);
  cr_assert_eq(net_otlp_content_type("Application/JSON; charset=utf-8", &enc),
               0);
  cr_assert_eq(enc, CORE_OTLP_ENC_JSON);
  cr_assert_eq(net_otlp_content_type("application/json ;x=1", &enc), 0);
  cr_assert_eq(enc, CORE_OTLP_ENC_JSON);
  cr_assert_eq(net_otlp_content_type("application/x-protobufs", &enc), -EINVAL);
  cr_assert_eq(net_otlp_content_type("application/grpc", &enc), -EINVAL);
  cr_assert_eq(net_otlp_content_type("text/plain", &enc), -EINVAL);
  cr_assert_eq(net_otlp_content_type("", &enc), -EINVAL);
  cr_assert_eq(net_otlp_content_type(NULL, &enc), -EINVAL);
}

/* A varint at b[*i]. */
static uint64_t varint(const uint8_t *b, size_t *i) {
  uint64_t v = 0;
  int shift = 0;

  while (b[*i] & 0x80) {
    v |= (uint64_t)(b[(*i)++] & 0x7f) << shift;
    shift += 7;
  }
  return v | (uint64_t)b[(*i)++] << shift;
}

Test(otlp_http, export_response_proto) {
  char out[512];
  const uint8_t *b = (const uint8_t *)out;
  size_t n, i = 0, inner, end;

  cr_assert_eq(net_otlp_export_response(CORE_OTLP_METRICS, CORE_OTLP_ENC_PROTO,
                                        0, "", out, sizeof(out)), 0,
               "full success: an empty message");
  n = net_otlp_export_response(CORE_OTLP_LOGS, CORE_OTLP_ENC_PROTO, 300,
                               "3 over --max-series", out, sizeof(out));
  cr_assert_eq(b[i++], 0x0a, "field 1, length-delimited");
  inner = varint(b, &i);
  cr_assert_eq(i + inner, n);
  end = i + inner;
  cr_assert_eq(b[i++], 0x08, "rejected: field 1 varint");
  cr_assert_eq(varint(b, &i), 300);
  cr_assert_eq(b[i++], 0x12, "error_message: field 2");
  cr_assert_eq(varint(b, &i), 19);
  cr_assert(memcmp(out + i, "3 over --max-series", 19) == 0);
  cr_assert_eq(i + 19, end);
}

Test(otlp_http, export_response_json) {
  char out[512];
  size_t n;

  n = net_otlp_export_response(CORE_OTLP_METRICS, CORE_OTLP_ENC_JSON, 0, "",
                               out, sizeof(out));
  cr_assert_eq(n, 2);
  cr_assert(memcmp(out, "{}", 2) == 0);
  n = net_otlp_export_response(CORE_OTLP_METRICS, CORE_OTLP_ENC_JSON, 2,
                               "bad \"name\"\n", out, sizeof(out));
  out[n] = '\0';
  cr_assert_str_eq(out, "{\"partialSuccess\":{\"rejectedDataPoints\":\"2\","
                        "\"errorMessage\":\"bad \\\"name\\\"\\u000a\"}}");
  n = net_otlp_export_response(CORE_OTLP_LOGS, CORE_OTLP_ENC_JSON, 1, "x",
                               out, sizeof(out));
  out[n] = '\0';
  cr_assert(strstr(out, "\"rejectedLogRecords\":\"1\"") != NULL, "%s", out);
  n = net_otlp_export_response(CORE_OTLP_TRACES, CORE_OTLP_ENC_JSON, 5, "x",
                               out, sizeof(out));
  out[n] = '\0';
  cr_assert(strstr(out, "\"rejectedSpans\":\"5\"") != NULL, "%s", out);
}

Test(otlp_http, long_messages_are_cut_to_fit) {
  char msg[1000], out[200];
  size_t n;

  memset(msg, '"', sizeof(msg) - 1);
  msg[sizeof(msg) - 1] = '\0';
  n = net_otlp_export_response(CORE_OTLP_METRICS, CORE_OTLP_ENC_JSON, 1, msg,
                               out, sizeof(out));
  cr_assert(n > 0 && n <= sizeof(out));
  cr_assert_eq(out[n - 1], '}');
  cr_assert_eq(out[n - 3], '"', "the string ends whole, not mid-escape");
  n = net_otlp_export_response(CORE_OTLP_METRICS, CORE_OTLP_ENC_PROTO, 1, msg,
                               out, sizeof(out));
  cr_assert(n > 0 && n <= sizeof(out));
  n = net_otlp_status_body(CORE_OTLP_ENC_PROTO, 400, msg, out, sizeof(out));
  cr_assert(n > 0 && n <= sizeof(out));
}

Test(otlp_http, status_bodies) {
  char out[256];
  size_t n, i = 0;
  const uint8_t *b = (const uint8_t *)out;

  n = net_otlp_status_body(CORE_OTLP_ENC_PROTO, 400, "does not decode", out,
                           sizeof(out));
  cr_assert_eq(b[i++], 0x08);
  cr_assert_eq(varint(b, &i), 3, "400: INVALID_ARGUMENT");
  cr_assert_eq(b[i++], 0x12);
  cr_assert_eq(varint(b, &i), 15);
  cr_assert_eq(i + 15, n);
  n = net_otlp_status_body(CORE_OTLP_ENC_PROTO, 503, "", out, sizeof(out));
  cr_assert_eq(n, 2);
  cr_assert_eq(b[1], 14, "503: UNAVAILABLE");
  n = net_otlp_status_body(CORE_OTLP_ENC_PROTO, 429, "", out, sizeof(out));
  cr_assert_eq(b[1], 8, "429: RESOURCE_EXHAUSTED");
  n = net_otlp_status_body(CORE_OTLP_ENC_JSON, 415, "bad type", out,
                           sizeof(out));
  out[n] = '\0';
  cr_assert_str_eq(out, "{\"code\":3,\"message\":\"bad type\"}");
}

Test(otlp_http, whole_responses) {
  char out[512];
  size_t n;

  n = net_otlp_response(200, CORE_OTLP_ENC_PROTO, 0, 0, "", 0, out,
                        sizeof(out));
  out[n] = '\0';
  cr_assert_str_eq(out, "HTTP/1.1 200 OK\r\nContent-Type: "
                        "application/x-protobuf\r\nContent-Length: 0\r\n\r\n");
  n = net_otlp_response(503, CORE_OTLP_ENC_JSON, 1, 1, "{}", 2, out,
                        sizeof(out));
  out[n] = '\0';
  cr_assert_str_eq(out, "HTTP/1.1 503 Service Unavailable\r\nContent-Type: "
                        "application/json\r\nContent-Length: 2\r\n"
                        "Retry-After: 1\r\nConnection: close\r\n\r\n{}");
  n = net_otlp_response(405, CORE_OTLP_ENC_PROTO, 0, 0, "", 0, out,
                        sizeof(out));
  out[n] = '\0';
  cr_assert(strstr(out, "\r\nAllow: POST\r\n") != NULL);
  cr_assert_eq(net_otlp_response(200, CORE_OTLP_ENC_PROTO, 0, 0, out, 100,
                                 out + 100, 120), 0, "does not fit: 0");
}

/* ---- the listener on a real ring, durability faked ------------------------
 * The writer is replaced by a fake: it records the generations asked for
 * and answers only when the test says, so what a request waits for and
 * what its reply says are checked exactly. Clients are plain sockets of
 * this thread; the ring runs on this thread too (pump). */

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "core/base/ring.h"
#include "core/ingest/pipe.h"
#include "fake_writer.h"
#include "tools/otlp_gen.h"

static struct core_ring ring;
static struct core_pipe pipe_;
static struct core_ingest_stats ist;
static struct net_otlp_http_stats ost;
static struct net_otlp_http lis;
static struct fake fk;
static uint16_t port;

static uint32_t conns_max = 512;

static void ring_setup(void) {
  int fd = fake_listener(&port);

  memset(&fk, 0, sizeof(fk));
  fk.keeping_up = 1;
  fk.flag = NET_OTLP_HTTP_GEN_FLAG;
  cr_assert_eq(core_ring_init(&ring, 256), 0);
  cr_assert_eq(core_pipe_init(&pipe_, &ist, 1000, 256, NULL, NULL), 0);
  cr_assert_eq(core_pipe_logs_init(&pipe_, 65536, NULL, NULL), 0);
  cr_assert_eq(net_otlp_http_init(
                   &lis, &ring, &pipe_, &ost,
                   &(struct net_otlp_http_cfg){.fd = fd,
                                               .conns_max = conns_max},
                   &(struct net_otlp_durable_ops){fake_flush, fake_keeping_up,
                                                   &fk}),
               0);
  net_otlp_http_arm(&lis);
}

static void ring_teardown(void) {
  net_otlp_http_free(&lis);
  core_pipe_free(&pipe_);
  core_ring_free(&ring);
}

/* What the shard loop does, for ms milliseconds. */
static void pump(int ms) {
  int64_t end = core_ring_now_ms() + ms;

  do {
    core_ring_wait(&ring, 5);
    core_ring_reap(&ring);
    net_otlp_http_commit(&lis);
    net_otlp_http_tick(&lis, core_ring_now_ms());
  } while (core_ring_now_ms() < end);
}

/* An ExportMetricsServiceRequest of one gauge point "t" = 1 at now. */
static size_t one_point(char *out) {
  struct timespec ts;
  uint64_t t;
  double v = 1;
  size_t n = 0;
  static const char head[] = {0x0a, 29, 0x12, 27, 0x12, 25, 0x0a, 1, 't',
                              0x2a, 20, 0x0a, 18, 0x19};

  clock_gettime(CLOCK_REALTIME, &ts);
  t = (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
  memcpy(out, head, sizeof(head));
  n = sizeof(head);
  memcpy(out + n, &t, 8);
  n += 8;
  out[n++] = 0x21;
  memcpy(out + n, &v, 8);
  return n + 8;
}

/* A client connection, nothing sent. */
static int connect_only(void) {
  struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons(port),
                          .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
  int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);

  cr_assert(fd >= 0);
  cr_assert_eq(connect(fd, (struct sockaddr *)&a, sizeof(a)), 0);
  return fd;
}

/* 1 when the peer closed fd (EOF or reset), 0 while it is open. */
static int closed_by_peer(int fd) {
  char c;
  ssize_t r = recv(fd, &c, 1, MSG_DONTWAIT);

  return r == 0 || (r < 0 && errno != EAGAIN);
}

/* A client connection that sent one request. */
static int client(void) {
  struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons(port),
                          .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
  char body[64], req[256];
  size_t blen = one_point(body);
  int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  int n = snprintf(req, sizeof(req),
                   "POST /v1/metrics HTTP/1.1\r\nHost: x\r\nContent-Type: "
                   "application/x-protobuf\r\nContent-Length: %zu\r\n\r\n",
                   blen);

  cr_assert(fd >= 0);
  cr_assert_eq(connect(fd, (struct sockaddr *)&a, sizeof(a)), 0);
  memcpy(req + n, body, blen);
  cr_assert_eq(send(fd, req, (size_t)n + blen, 0), (ssize_t)((size_t)n + blen));
  return fd;
}

/* What arrived on fd so far ("" if nothing). */
static const char *got(int fd) {
  static char buf[4096];
  ssize_t r = recv(fd, buf, sizeof(buf) - 1, MSG_DONTWAIT);

  buf[r > 0 ? r : 0] = '\0';
  return buf;
}

/* The reply on fd has this status. */
static void expect(int fd, int status) {
  char line[32];
  const char *r = got(fd);

  snprintf(line, sizeof(line), "HTTP/1.1 %d ", status);
  cr_assert(strncmp(r, line, strlen(line)) == 0, "want %d: %s", status, r);
}

TestSuite(otlp_http_ring, .init = ring_setup, .fini = ring_teardown);

Test(otlp_http_ring, reply_waits_for_its_generation) {
  int a = client(), b = client();

  pump(100);
  cr_assert_eq(got(a)[0], '\0', "no reply before durability");
  cr_assert_eq(got(b)[0], '\0');
  cr_assert_eq(ost.waiting, 2);
  cr_assert_geq(fk.n, 1, "a generation was asked for");
  for (int i = 0; i < fk.n; i++)
    net_otlp_http_answer(&lis, fk.gens[i], 0);
  pump(50);
  expect(a, 200);
  expect(b, 200);
  cr_assert_eq(ost.waiting, 0);
  cr_assert_eq(lis.dur.flushes_inflight, 0);
  cr_assert_eq(ost.requests[CORE_OTLP_METRICS][CORE_OTLP_ENC_PROTO]
                           [NET_OTLP_CODE_200], 2);
  close(a);
  close(b);
}

Test(otlp_http_ring, a_later_generation_does_not_answer_an_earlier_one) {
  int a = client(), b;

  pump(50);
  cr_assert_eq(fk.n, 1);
  b = client();
  pump(50);
  cr_assert_eq(fk.n, 2, "the second request has its own generation");
  net_otlp_http_answer(&lis, fk.gens[1], 0);
  pump(30);
  cr_assert_eq(got(a)[0], '\0', "a waits for its own generation");
  expect(b, 200);
  net_otlp_http_answer(&lis, fk.gens[0], 0);
  pump(30);
  expect(a, 200);
  close(a);
  close(b);
}

Test(otlp_http_ring, lost_data_is_503_with_retry_after) {
  int a = client();

  pump(50);
  cr_assert_eq(fk.n, 1);
  net_otlp_http_answer(&lis, fk.gens[0], 1);
  pump(30);
  expect(a, 503);
  cr_assert_eq(ost.rejected[NET_OTLP_REJ_NOT_DURABLE], 1);
  close(a);
}

Test(otlp_http_ring, no_store_answers_at_once) {
  int a;

  fk.no_store = 1;
  a = client();
  pump(50);
  expect(a, 200);
  close(a);
}

Test(otlp_http_ring, busy_writer_is_asked_again_next_pass) {
  int a;

  fk.busy_left = 3;
  a = client();
  pump(100);
  cr_assert_eq(fk.busy_left, 0);
  cr_assert_eq(fk.n, 1, "asked again until taken");
  net_otlp_http_answer(&lis, fk.gens[0], 0);
  pump(30);
  expect(a, 200);
  close(a);
}

Test(otlp_http_ring, writer_behind_is_503) {
  int a;

  fk.keeping_up = 0;
  a = client();
  pump(50);
  expect(a, 503);
  cr_assert_eq(ost.rejected[NET_OTLP_REJ_WRITER_BEHIND], 1);
  cr_assert_eq(fk.n, 0, "nothing stored, nothing to flush");
  close(a);
}

Test(otlp_http_ring, too_many_waiting_is_429) {
  static int fds[NET_OTLP_HTTP_WAITING_MAX + 1];
  const char *r;

  for (int i = 0; i < NET_OTLP_HTTP_WAITING_MAX; i++) {
    fds[i] = client();
    if (i % 32 == 31)
      pump(10);
  }
  pump(50);
  cr_assert_eq(ost.waiting, NET_OTLP_HTTP_WAITING_MAX);
  fds[NET_OTLP_HTTP_WAITING_MAX] = client();
  pump(50);
  r = got(fds[NET_OTLP_HTTP_WAITING_MAX]);
  cr_assert(strncmp(r, "HTTP/1.1 429 ", 13) == 0, "%s", r);
  cr_assert(strstr(r, "\r\nRetry-After: 1\r\n") != NULL);
  cr_assert_eq(ost.rejected[NET_OTLP_REJ_BACKPRESSURE], 1);
  cr_assert_leq(lis.dur.flushes_inflight, NET_OTLP_HTTP_FLUSHES_MAX);
  for (int i = 0; i < fk.n; i++)
    net_otlp_http_answer(&lis, fk.gens[i], 0);
  for (int k = 0; k < 10 && ost.waiting > 0; k++) {
    pump(20);
    for (int i = fk.n - 1; i >= 0; i--) /* generations asked since */
      net_otlp_http_answer(&lis, fk.gens[i], 0);
    fk.n = 0;
  }
  pump(20);
  cr_assert_eq(ost.waiting, 0);
  for (int i = 0; i <= NET_OTLP_HTTP_WAITING_MAX; i++)
    close(fds[i]);
}

Test(otlp_http_ring, stop_answers_waiting_and_closes_the_rest) {
  int a = client(), idle = connect_only(), b;

  pump(50);
  cr_assert_eq(fk.n, 1);
  net_otlp_http_stop(&lis);
  pump(30);
  cr_assert(closed_by_peer(idle), "an idle connection is closed at stop");
  cr_assert_eq(got(a)[0], '\0', "a request waiting is not dropped");
  cr_assert_eq(net_otlp_http_finish(&lis, 0), 1, "its reply goes out");
  pump(30);
  {
    const char *r = got(a);
    cr_assert(strncmp(r, "HTTP/1.1 200 ", 13) == 0, "%s", r);
    cr_assert(strstr(r, "\r\nConnection: close\r\n") != NULL, "%s", r);
  }
  pump(30);
  cr_assert(closed_by_peer(a));
  cr_assert_eq(net_otlp_http_unsent(&lis), 0);
  b = connect_only(); /* the listening socket still queues it: never served */
  pump(30);
  cr_assert_eq(ost.conns.accepted, 2, "no accept after the stop");
  close(a);
  close(idle);
  close(b);
}

Test(otlp_http_ring, lost_at_stop_is_503) {
  int a = client();

  pump(50);
  net_otlp_http_stop(&lis);
  net_otlp_http_finish(&lis, 1);
  pump(30);
  expect(a, 503);
  close(a);
}

static void small_table(void) {
  conns_max = 2;
  ring_setup();
  conns_max = 512;
}

Test(otlp_http_ring_small, over_the_table_is_closed_and_counted,
     .init = small_table, .fini = ring_teardown) {
  int a = connect_only(), b = connect_only(), c = connect_only();

  pump(50);
  cr_assert_eq(ost.conns.accepted, 2);
  cr_assert_eq(ost.conns.rejected, 1);
  cr_assert_eq(ost.conns.open, 2);
  cr_assert(closed_by_peer(c), "the third is closed at once");
  cr_assert(!closed_by_peer(a) && !closed_by_peer(b));
  close(a);
  pump(50);
  cr_assert_eq(ost.conns.open, 1, "a closed slot is freed");
  close(b);
  close(c);
}

/* ---- bodies received straight into the body buffer ---------------------- */

/* Points the pipeline took from OTLP so far. */
static uint64_t points(void) {
  uint64_t n = 0;

  for (int i = 0; i < CORE_OTLP_PK_COUNT; i++)
    n += ist.points_otlp[i];
  return n;
}

/* Send all n bytes, serving the ring whenever the socket is full. */
static void send_pumping(int fd, const char *b, size_t n) {
  while (n > 0) {
    ssize_t r = send(fd, b, n, MSG_DONTWAIT | MSG_NOSIGNAL);

    if (r < 0) {
      cr_assert(errno == EAGAIN || errno == EWOULDBLOCK, "send: %d", errno);
      pump(1);
      continue;
    }
    b += r;
    n -= (size_t)r;
  }
}

/*
 * The bytes of a POST /v1/metrics of body (gzip: marked so), with its
 * Content-Length, or chunked in chunk-byte pieces when chunk > 0. *hl is
 * the length of the head. malloc'ed.
 */
static char *post_bytes(const uint8_t *body, size_t len, int gzip,
                        size_t chunk, size_t *n, size_t *hl) {
  char *b = malloc(len + len / (chunk ? chunk : len) * 16 + 512), *o = b;
  int h = sprintf(o, "POST /v1/metrics HTTP/1.1\r\nHost: x\r\nContent-Type: "
                     "application/x-protobuf\r\n%s",
                  gzip ? "Content-Encoding: gzip\r\n" : "");

  o += h;
  o += chunk ? sprintf(o, "Transfer-Encoding: chunked\r\n\r\n")
             : sprintf(o, "Content-Length: %zu\r\n\r\n", len);
  *hl = (size_t)(o - b);
  for (size_t off = 0; off < len;) {
    size_t k = chunk == 0 || len - off < chunk ? len - off : chunk;

    if (chunk)
      o += sprintf(o, "%zx\r\n", k);
    memcpy(o, body + off, k);
    o += k;
    off += k;
    if (chunk)
      o += sprintf(o, "\r\n");
  }
  if (chunk)
    o += sprintf(o, "0\r\n\r\n");
  *n = (size_t)(o - b);
  return b;
}

/* Pump until fd has `want` replies (or a second passed); their bytes. */
static const char *replies(int fd, int want) {
  static char buf[8192];
  size_t len = 0;
  int seen = 0;

  for (int i = 0; i < 100 && seen < want; i++) {
    ssize_t r;

    pump(10);
    r = recv(fd, buf + len, sizeof(buf) - 1 - len, MSG_DONTWAIT);
    if (r > 0)
      len += (size_t)r;
    buf[len] = '\0';
    seen = 0;
    for (const char *p = buf; (p = strstr(p, "HTTP/1.1 ")) != NULL; p++)
      seen++;
  }
  return buf;
}

/* One request of `items` points (8 attributes each), gzip or not. */
static void gen_request(struct tools_otlp_pool *pool, int gzip,
                        uint32_t items) {
  struct tools_otlp_spec sp = {.signal = TOOLS_OTLP_METRICS, .items = items,
                               .attrs = 8, .series = 50, .requests = 1,
                               .gzip = gzip, .seed = 1,
                               .now_ns = (int64_t)time(NULL) * 1000000000};

  cr_assert_eq(tools_otlp_gen(&sp, pool), 0);
  cr_assert_eq(pool->count, 1);
}

/* The request sent in two parts cut at `cut` (the first served before
 * the rest is sent): 200, and its `items` points taken. */
static void two_parts(const char *b, size_t n, size_t cut, uint32_t items) {
  uint64_t before = points();
  int fd = connect_only();
  const char *r;

  send_pumping(fd, b, cut);
  pump(5);
  send_pumping(fd, b + cut, n - cut);
  r = replies(fd, 1);
  cr_assert(strncmp(r, "HTTP/1.1 200 ", 13) == 0, "cut at %zu: %s", cut, r);
  cr_assert_eq(points() - before, items, "cut at %zu", cut);
  close(fd);
}

/* Cuts around the head's end, the direct recv's threshold and the end. */
static void every_cut(const char *b, size_t n, size_t hl, uint32_t items) {
  const size_t edges[] = {1, hl - 1, hl, hl + 1, hl + 100,
                          hl + NET_OTLP_HTTP_DIRECT_BYTES_MIN,
                          n - NET_OTLP_HTTP_DIRECT_BYTES_MIN - 1,
                          n - NET_OTLP_HTTP_DIRECT_BYTES_MIN,
                          n - NET_OTLP_HTTP_DIRECT_BYTES_MIN + 1, n - 1, n};

  for (size_t i = 0; i < sizeof(edges) / sizeof(edges[0]); i++)
    two_parts(b, n, edges[i], items);
  for (size_t cut = 2; cut < n; cut += 2999)
    two_parts(b, n, cut, items);
}

static void split_bodies(int gzip, size_t chunk) {
  struct tools_otlp_pool pool = {0};
  uint32_t items = gzip ? 4000 : 200; /* gzip: 20 KiB or so */
  size_t n, hl;
  char *b;

  fk.no_store = 1; /* durable at once: the 200 follows the ingest */
  gen_request(&pool, gzip, items);
  cr_assert_gt(pool.reqs[0].len, 4 * NET_OTLP_HTTP_DIRECT_BYTES_MIN,
               "a body long enough for recvs straight into it");
  b = post_bytes(pool.buf + pool.reqs[0].off, pool.reqs[0].len, gzip, chunk,
                 &n, &hl);
  every_cut(b, n, hl, items);
  cr_assert_eq(ost.rejected[NET_OTLP_REJ_DECODE_ERROR], 0);
  free(b);
  tools_otlp_pool_free(&pool);
}

Test(otlp_http_ring, content_length_body_cut_anywhere) {
  split_bodies(0, 0);
}

Test(otlp_http_ring, chunked_body_cut_anywhere) {
  split_bodies(0, 10000);
}

Test(otlp_http_ring, gzip_body_cut_anywhere) {
  split_bodies(1, 0);
  split_bodies(1, 3000);
}

/* A recv straight into a body takes no byte of the request after it. */
Test(otlp_http_ring, pipelined_after_a_body_received_in_place) {
  struct tools_otlp_pool pool = {0};
  uint64_t before = points();
  size_t n, hl;
  char *b, *two;
  const char *r;
  int fd = connect_only();

  fk.no_store = 1;
  gen_request(&pool, 0, 200);
  b = post_bytes(pool.buf + pool.reqs[0].off, pool.reqs[0].len, 0, 0, &n,
                 &hl);
  two = malloc(2 * n);
  memcpy(two, b, n);
  memcpy(two + n, b, n);
  send_pumping(fd, two, hl + 10);
  pump(5); /* the rest of the first body is now received in place */
  send_pumping(fd, two + hl + 10, 2 * n - hl - 10);
  r = replies(fd, 2);
  cr_assert(strncmp(r, "HTTP/1.1 200 ", 13) == 0, "%s", r);
  cr_assert(strstr(r + 13, "HTTP/1.1 200 ") != NULL, "%s", r);
  cr_assert_eq(points() - before, 400);
  close(fd);
  free(two);
  free(b);
  tools_otlp_pool_free(&pool);
}

/* The audit's attack: connections that declare the largest body and send
 * 5000 bytes of it hold a window each, not what they declared (8 of them
 * held the whole 128 MiB budget), and another client is served. */
Test(otlp_http_ring, slow_senders_hold_what_they_sent) {
  char head[256], *some = malloc(5000);
  int fds[8], c;
  const char *r;
  int h = snprintf(head, sizeof(head),
                   "POST /v1/metrics HTTP/1.1\r\nHost: x\r\nContent-Type: "
                   "application/x-protobuf\r\nContent-Length: %u\r\n\r\n",
                   NET_OTLP_HTTP_BODY_BYTES_MAX);

  fk.no_store = 1;
  memset(some, 0x0a, 5000);
  for (int i = 0; i < 8; i++) {
    fds[i] = connect_only();
    send_pumping(fds[i], head, (size_t)h);
    send_pumping(fds[i], some, 5000);
  }
  pump(50);
  cr_assert_eq(lis.budget.bytes, 8 * NET_HTTP_BODY_WINDOW_BYTES);
  c = client();
  r = replies(c, 1);
  cr_assert(strncmp(r, "HTTP/1.1 200 ", 13) == 0, "%s", r);
  cr_assert_eq(ost.rejected[NET_OTLP_REJ_MEMORY], 0);
  close(c);
  for (int i = 0; i < 8; i++)
    close(fds[i]);
  free(some);
}

/* Over the body bound: refused 413 by the declared length, or by the chunk
 * that passes it after 12 MiB were received in place; counted. */
Test(otlp_http_ring, body_over_the_bound_is_413_and_counted) {
  size_t big = 12u << 20;
  char head[256], *junk = calloc(1, big);
  const char *r;
  int a = connect_only(), c = connect_only();
  int h = snprintf(head, sizeof(head),
                   "POST /v1/metrics HTTP/1.1\r\nHost: x\r\nContent-Type: "
                   "application/x-protobuf\r\nContent-Length: %u\r\n\r\n",
                   NET_OTLP_HTTP_BODY_BYTES_MAX + 1);

  send_pumping(a, head, (size_t)h);
  r = replies(a, 1);
  cr_assert(strncmp(r, "HTTP/1.1 413 ", 13) == 0, "%s", r);
  cr_assert_eq(ost.rejected[NET_OTLP_REJ_BODY_TOO_LARGE], 1);
  h = snprintf(head, sizeof(head),
               "POST /v1/metrics HTTP/1.1\r\nHost: x\r\nContent-Type: "
               "application/x-protobuf\r\nTransfer-Encoding: chunked\r\n\r\n"
               "%zx\r\n", big);
  send_pumping(c, head, (size_t)h);
  send_pumping(c, junk, big);
  h = snprintf(head, sizeof(head), "\r\n%x\r\n",
               NET_OTLP_HTTP_BODY_BYTES_MAX - (unsigned)big + 1);
  send_pumping(c, head, (size_t)h);
  r = replies(c, 1);
  cr_assert(strncmp(r, "HTTP/1.1 413 ", 13) == 0, "%s", r);
  cr_assert_eq(ost.rejected[NET_OTLP_REJ_BODY_TOO_LARGE], 2);
  cr_assert_eq(points(), 0);
  close(a);
  close(c);
  free(junk);
}
