/*
 * tests/unit/net/test_grpc.c - the OTLP/gRPC engine driven by a real
 * nghttp2 client session, in process: client bytes go to net_grpc_feed,
 * the engine's output to the client, until neither has more to say.
 */
#include <criterion/criterion.h>
#include <errno.h>
#include <nghttp2/nghttp2.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "net/grpc.h"
#include "net/gzip.h"
#include "net/otlp_http.h"
#include "tests/fuzz/gzip_deflate.h"

#define RESULTS_MAX 512
#define BODY_CAP (1u << 20)

static const char *const paths[] = {
    "/opentelemetry.proto.collector.metrics.v1.MetricsService/Export",
    "/opentelemetry.proto.collector.logs.v1.LogsService/Export",
    "/opentelemetry.proto.collector.trace.v1.TraceService/Export",
};

/* What the client saw of one stream. */
struct result {
  int32_t id;
  int http;             /* :status */
  int grpc;             /* grpc-status, -1 when none */
  char message[2048];   /* grpc-message as sent (%-encoded) */
  char details[2048];   /* grpc-status-details-bin */
  char accept_enc[2048]; /* grpc-accept-encoding */
  uint8_t data[8192];
  size_t data_len;
  int closed;
  uint32_t close_code;
  /* request body for the data provider */
  const uint8_t *req;
  size_t req_len, req_off;
  int stall;            /* after req_len bytes: wait, no END_STREAM */
};

/* What the engine handed out. */
struct call {
  net_grpc_stream_id stream;
  enum core_otlp_signal sig;
  uint8_t *body;
  size_t len;
};

static struct net_grpc_server srv;
static struct net_grpc_stats stats;
static struct net_http_budget budget;
static struct net_gzip *gz;
static void *inflate_buf;
static struct net_grpc_conn *conn;
static nghttp2_session *cli;
static struct result results[RESULTS_MAX];
static int nresults;
static struct call calls[RESULTS_MAX];
static int ncalls;
static int defer;             /* 0: answer OK at once; 1: leave pending */
static int feed_rc;
static int one_byte;          /* feed the client's bytes one at a time */

/* ---- the engine's side -------------------------------------------------- */

static void on_request(void *ctx, struct net_grpc_conn *c,
                       net_grpc_stream_id stream, enum core_otlp_signal sig,
                       const void *body, size_t len) {
  struct call *k = &calls[ncalls++];

  (void)ctx;
  cr_assert(ncalls <= RESULTS_MAX);
  k->stream = stream;
  k->sig = sig;
  k->len = len;
  k->body = malloc(len + 1);
  memcpy(k->body, body, len);
  if (!defer)
    cr_assert_eq(net_grpc_reply(c, stream, NET_GRPC_OK, NULL, NULL, 0), 0);
}

static void server_setup(size_t msg_max, size_t conn_mem, uint32_t streams,
                         size_t inflated_max, uint64_t budget_max) {
  memset(&stats, 0, sizeof(stats));
  memset(&srv, 0, sizeof(srv));
  budget = (struct net_http_budget){.bytes_max = budget_max};
  gz = malloc(sizeof(*gz));
  net_gzip_init(gz);
  inflate_buf = malloc(inflated_max);
  srv.on_request = on_request;
  srv.stats = &stats;
  srv.budget = &budget;
  srv.gzip = gz;
  srv.inflate_buf = inflate_buf;
  srv.inflated_bytes_max = inflated_max;
  srv.message_bytes_max = msg_max;
  srv.conn_memory_bytes_max = conn_mem;
  srv.streams_max = streams;
  cr_assert_eq(net_grpc_server_init(&srv), 0);
  conn = malloc(sizeof(*conn));
  cr_assert_eq(net_grpc_conn_init(conn, &srv, NULL), 0);
}

/* ---- the client's side -------------------------------------------------- */

static struct result *result_of(int32_t id) {
  for (int i = 0; i < nresults; i++)
    if (results[i].id == id)
      return &results[i];
  return NULL;
}

static ssize_t cli_send(nghttp2_session *s, const uint8_t *data, size_t len,
                        int flags, void *ud) {
  (void)s, (void)flags, (void)ud;
  for (size_t i = 0; feed_rc == 0 && one_byte && i < len; i++)
    feed_rc = net_grpc_feed(conn, data + i, 1);
  if (feed_rc == 0 && !one_byte)
    feed_rc = net_grpc_feed(conn, data, len);
  return (ssize_t)len;
}

static int cli_header(nghttp2_session *s, const nghttp2_frame *f,
                      const uint8_t *name, size_t nlen, const uint8_t *value,
                      size_t vlen, uint8_t flags, void *ud) {
  struct result *r = result_of(f->hd.stream_id);
  char v[2048];

  (void)s, (void)flags, (void)ud;
  if (!r)
    return 0;
  snprintf(v, sizeof(v), "%.*s", (int)vlen, (const char *)value);
  if (nlen == 7 && !memcmp(name, ":status", 7))
    r->http = atoi(v);
  else if (nlen == 11 && !memcmp(name, "grpc-status", 11))
    r->grpc = atoi(v);
  else if (nlen == 12 && !memcmp(name, "grpc-message", 12))
    snprintf(r->message, sizeof(r->message), "%s", v);
  else if (nlen == 23 && !memcmp(name, "grpc-status-details-bin", 23))
    snprintf(r->details, sizeof(r->details), "%s", v);
  else if (nlen == 20 && !memcmp(name, "grpc-accept-encoding", 20))
    snprintf(r->accept_enc, sizeof(r->accept_enc), "%s", v);
  return 0;
}

static int cli_data(nghttp2_session *s, uint8_t flags, int32_t id,
                    const uint8_t *data, size_t len, void *ud) {
  struct result *r = result_of(id);

  (void)s, (void)flags, (void)ud;
  if (r && r->data_len + len <= sizeof(r->data)) {
    memcpy(r->data + r->data_len, data, len);
    r->data_len += len;
  }
  return 0;
}

static int cli_close(nghttp2_session *s, int32_t id, uint32_t code,
                     void *ud) {
  struct result *r = result_of(id);

  (void)s, (void)ud;
  if (r) {
    r->closed = 1;
    r->close_code = code;
  }
  return 0;
}

static void client_setup(void) {
  nghttp2_session_callbacks *cb;

  cr_assert_eq(nghttp2_session_callbacks_new(&cb), 0);
  nghttp2_session_callbacks_set_send_callback(cb, cli_send);
  nghttp2_session_callbacks_set_on_header_callback(cb, cli_header);
  nghttp2_session_callbacks_set_on_data_chunk_recv_callback(cb, cli_data);
  nghttp2_session_callbacks_set_on_stream_close_callback(cb, cli_close);
  cr_assert_eq(nghttp2_session_client_new(&cli, cb, NULL), 0);
  nghttp2_session_callbacks_del(cb);
  cr_assert_eq(nghttp2_submit_settings(cli, NGHTTP2_FLAG_NONE, NULL, 0), 0);
}

static void setup_with(size_t msg_max, size_t conn_mem, uint32_t streams,
                       size_t inflated_max, uint64_t budget_max) {
  nresults = ncalls = defer = feed_rc = one_byte = 0;
  memset(results, 0, sizeof(results));
  server_setup(msg_max, conn_mem, streams, inflated_max, budget_max);
  client_setup();
}

static void setup(void) {
  setup_with(0, 0, 0, 64u << 20, 1ull << 30);
}

static void teardown(void) {
  nghttp2_session_del(cli);
  net_grpc_conn_free(conn);
  cr_assert_eq(conn->mem_bytes, 0);
  cr_assert_eq(budget.bytes, 0, "budget given back: %lu",
               (unsigned long)budget.bytes);
  cr_assert_eq(stats.conns, 0);
  net_grpc_server_free(&srv);
  free(conn);
  free(gz);
  free(inflate_buf);
  for (int i = 0; i < ncalls; i++)
    free(calls[i].body);
}

/* Move bytes both ways until neither side has more. */
static void pump(void) {
  for (int round = 0; round < 100000; round++) {
    const void *out;
    size_t n;
    int progress = 0;

    if (nghttp2_session_want_write(cli)) {
      cr_assert_eq(nghttp2_session_send(cli), 0);
    }
    n = net_grpc_output(conn, &out);
    if (n) {
      ssize_t rv = nghttp2_session_mem_recv(cli, out, n);

      cr_assert(rv == (ssize_t)n, "client recv: %s",
                nghttp2_strerror((int)rv));
      net_grpc_consume(conn, n);
      progress = 1;
    }
    if (!progress && !nghttp2_session_want_write(cli))
      return;
  }
  cr_assert_fail("pump did not settle");
}

static ssize_t req_read(nghttp2_session *s, int32_t id, uint8_t *buf,
                        size_t length, uint32_t *flags,
                        nghttp2_data_source *src, void *ud) {
  struct result *r = src->ptr;
  size_t n = r->req_len - r->req_off;

  (void)s, (void)id, (void)ud;
  if (n == 0 && r->stall)
    return NGHTTP2_ERR_DEFERRED;
  if (n > length)
    n = length;
  memcpy(buf, r->req + r->req_off, n);
  r->req_off += n;
  if (r->req_off == r->req_len && !r->stall)
    *flags |= NGHTTP2_DATA_FLAG_EOF;
  return (ssize_t)n;
}

/* A framed gRPC message of body (flag: compressed) in a fresh buffer. */
static uint8_t *frame(const void *body, size_t len, int flag, size_t *out) {
  uint8_t *b = malloc(len + 5);

  b[0] = (uint8_t)flag;
  b[1] = (uint8_t)(len >> 24);
  b[2] = (uint8_t)(len >> 16);
  b[3] = (uint8_t)(len >> 8);
  b[4] = (uint8_t)len;
  memcpy(b + 5, body, len);
  *out = len + 5;
  return b;
}

/* Submit a request with headers hdr (name, value pairs; NULL ends) and
 * body req (not copied: must outlive the pump). */
static struct result *request_hdrs(const char *const *hdr, const uint8_t *req,
                                   size_t req_len) {
  nghttp2_nv nva[32];
  size_t n = 0;
  struct result *r = &results[nresults++];
  nghttp2_data_provider prd = {.source.ptr = r, .read_callback = req_read};
  int32_t id;

  cr_assert(nresults <= RESULTS_MAX);
  for (; hdr[0]; hdr += 2, n++)
    nva[n] = (nghttp2_nv){(uint8_t *)hdr[0], (uint8_t *)hdr[1], strlen(hdr[0]),
                          strlen(hdr[1]), NGHTTP2_NV_FLAG_NONE};
  r->grpc = -1;
  r->req = req;
  r->req_len = req_len;
  id = nghttp2_submit_request(cli, NULL, nva, n, req ? &prd : NULL, r);
  cr_assert_gt(id, 0);
  r->id = id;
  return r;
}

static struct result *request(const char *path, const char *enc,
                              const uint8_t *req, size_t req_len) {
  const char *h[] = {":method", "POST", ":scheme", "http", ":path", path,
                     ":authority", "localhost", "content-type",
                     "application/grpc", "te", "trailers",
                     enc ? "grpc-encoding" : NULL, enc, NULL};

  return request_hdrs(h, req, req_len);
}

static uint8_t *fixture(const char *name, size_t *len) {
  char path[512];
  FILE *f;
  uint8_t *b = malloc(BODY_CAP);

  snprintf(path, sizeof(path), "%s/%s", OTLP_FIXTURE_DIR, name);
  f = fopen(path, "rb");
  cr_assert(f, "open %s", path);
  *len = fread(b, 1, BODY_CAP, f);
  fclose(f);
  cr_assert_gt(*len, 0);
  return b;
}

/* gzip of n bytes of src; returns a fresh buffer. */
static uint8_t *gzip_of(const void *src, size_t n, size_t *out) {
  size_t cap = n + n / 2 + 1024;
  uint8_t *dst = malloc(cap);

  *out = test_gzip_deflate(src, n, dst, cap);
  cr_assert_gt(*out, 0);
  return dst;
}

TestSuite(grpc, .init = setup, .fini = teardown);

/* ---- unary calls ---------------------------------------------------------- */

static const char *const fixtures[] = {"metrics.bin", "logs.bin", "traces.bin"};

Test(grpc, three_services_see_the_fixtures_intact) {
  uint8_t *body[3], *req[3];
  size_t len[3], req_len[3];
  struct result *r[3];

  for (int i = 0; i < 3; i++) {
    body[i] = fixture(fixtures[i], &len[i]);
    req[i] = frame(body[i], len[i], 0, &req_len[i]);
    r[i] = request(paths[i], NULL, req[i], req_len[i]);
  }
  pump();
  cr_assert_eq(feed_rc, 0);
  cr_assert_eq(ncalls, 3);
  for (int i = 0; i < 3; i++) {
    cr_assert_eq(calls[i].sig, (enum core_otlp_signal)i);
    cr_assert_eq(calls[i].stream, r[i]->id);
    cr_assert_eq(calls[i].len, len[i]);
    cr_assert(memcmp(calls[i].body, body[i], len[i]) == 0);
    cr_assert_eq(r[i]->http, 200);
    cr_assert_eq(r[i]->grpc, 0);
    cr_assert(r[i]->closed);
    cr_assert_eq(r[i]->close_code, NGHTTP2_NO_ERROR);
    /* one empty response message: the prefix alone */
    cr_assert_eq(r[i]->data_len, 5);
    cr_assert(memcmp(r[i]->data, "\0\0\0\0\0", 5) == 0);
    cr_assert_eq(stats.replies[i][NET_GRPC_OK], 1);
    free(body[i]);
    free(req[i]);
  }
  cr_assert_eq(conn->pending, 0);
}

Test(grpc, one_byte_at_a_time) {
  size_t len, req_len;
  uint8_t *body = fixture("traces.bin", &len);
  uint8_t *req = frame(body, len, 0, &req_len);
  struct result *r;

  one_byte = 1;
  r = request(paths[2], NULL, req, req_len);
  pump();
  cr_assert_eq(feed_rc, 0);
  cr_assert_eq(ncalls, 1);
  cr_assert_eq(calls[0].len, len);
  cr_assert(memcmp(calls[0].body, body, len) == 0);
  cr_assert_eq(r->grpc, 0);
  free(req);
  free(body);
}

/* One call with body framed by flag, answered at once; the result. */
static struct result *unary(int sig, const char *enc, const void *body,
                            size_t len, int flag) {
  size_t req_len;
  static uint8_t *req[RESULTS_MAX];
  static int nreq;
  struct result *r;

  req[nreq % RESULTS_MAX] = frame(body, len, flag, &req_len);
  r = request(paths[sig], enc, req[nreq % RESULTS_MAX], req_len);
  pump();
  free(req[nreq++ % RESULTS_MAX]);
  cr_assert(defer || r->closed, "stream %d closed", r->id);
  return r;
}

Test(grpc, gzip_messages_inflate_to_the_fixtures) {
  for (int i = 0; i < 3; i++) {
    size_t len, zlen;
    uint8_t *body = fixture(fixtures[i], &len);
    uint8_t *z = gzip_of(body, len, &zlen);
    struct result *r = unary(i, "gzip", z, zlen, 1);

    cr_assert_eq(r->grpc, 0);
    cr_assert_eq(ncalls, i + 1);
    cr_assert_eq(calls[i].len, len);
    cr_assert(memcmp(calls[i].body, body, len) == 0);
    free(z);
    free(body);
  }
  /* grpc-encoding gzip with an uncompressed message is allowed too */
  cr_assert_eq(unary(0, "gzip", "\x0a\x00", 2, 0)->grpc, 0);
  cr_assert_eq(calls[3].len, 2);
  /* identity spelled out */
  cr_assert_eq(unary(1, "identity", "", 0, 0)->grpc, 0);
  cr_assert_eq(calls[4].len, 0);
}

Test(grpc, gzip_bomb_and_bad_gzip_are_refused) {
  size_t zlen, n = 2u << 20;
  uint8_t *zeros = calloc(1, n), *z;
  struct result *r;

  teardown();
  setup_with(0, 0, 0, 1u << 20, 1ull << 30);
  z = gzip_of(zeros, n, &zlen);
  cr_assert_lt(zlen, 64 * 1024);
  r = unary(0, "gzip", z, zlen, 1);
  cr_assert_eq(r->grpc, NET_GRPC_RESOURCE_EXHAUSTED);
  cr_assert(strstr(r->message, "inflated message over 1048576 bytes"));
  cr_assert_eq(stats.rejected[NET_GRPC_REJ_INFLATED_TOO_BIG], 1);
  free(z);
  z = gzip_of("hello hello hello", 17, &zlen);
  z[zlen - 6] ^= 0x55;  /* the CRC32 */
  r = unary(0, "gzip", z, zlen, 1);
  cr_assert_eq(r->grpc, NET_GRPC_INVALID_ARGUMENT);
  r = unary(0, "gzip", "not gzip", 8, 1);
  cr_assert_eq(r->grpc, NET_GRPC_INVALID_ARGUMENT);
  cr_assert_eq(stats.rejected[NET_GRPC_REJ_GZIP], 2);
  cr_assert_eq(ncalls, 0);
  cr_assert_eq(stats.replies[0][NET_GRPC_INVALID_ARGUMENT], 2);
  free(z);
  free(zeros);
}

Test(grpc, compressed_flag_without_encoding_is_internal) {
  struct result *r = unary(0, NULL, "abc", 3, 1);

  cr_assert_eq(r->grpc, NET_GRPC_INTERNAL);
  r = unary(0, NULL, "abc", 3, 2);
  cr_assert_eq(r->grpc, NET_GRPC_INVALID_ARGUMENT);
  cr_assert_eq(stats.rejected[NET_GRPC_REJ_FRAMING], 2);
  cr_assert_eq(ncalls, 0);
}

/* ---- answers -------------------------------------------------------------- */

Test(grpc, partial_success_and_message_encoding) {
  char resp[256];
  size_t n = net_otlp_export_response(CORE_OTLP_METRICS, CORE_OTLP_ENC_PROTO,
                                      3, "bad", resp, sizeof(resp));
  static const uint8_t want[] = {0x0a, 0x07, 0x08, 0x03, 0x12, 0x03,
                                 'b',  'a',  'd'};
  struct result *r;

  cr_assert_eq(n, sizeof(want));
  cr_assert(memcmp(resp, want, sizeof(want)) == 0);
  defer = 1;
  r = unary(0, NULL, "", 0, 0);
  cr_assert_eq(ncalls, 1);
  cr_assert_not(r->closed);
  cr_assert_eq(conn->pending, 1);
  cr_assert_eq(net_grpc_reply(conn, calls[0].stream, NET_GRPC_OK,
                              "\xc3\xbcnicode 100%\n", resp, n), 0);
  pump();
  cr_assert(r->closed);
  cr_assert_eq(r->grpc, 0);
  cr_assert_str_eq(r->message, "%C3%BCnicode 100%25%0A");
  cr_assert_eq(r->data_len, 5 + sizeof(want));
  cr_assert(memcmp(r->data, "\0\0\0\0\x09", 5) == 0);
  cr_assert(memcmp(r->data + 5, want, sizeof(want)) == 0);
  /* answered once: a second answer finds nothing */
  cr_assert_eq(net_grpc_reply(conn, calls[0].stream, NET_GRPC_OK, NULL, NULL,
                              0), -ENOENT);
  cr_assert_eq(net_grpc_reply(conn, 999, NET_GRPC_OK, NULL, NULL, 0), -ENOENT);
  cr_assert_eq(stats.abandoned, 2);
  cr_assert_eq(net_grpc_reply(conn, 1, NET_GRPC_OK, NULL, resp,
                              NET_GRPC_REPLY_BYTES_MAX + 1), -E2BIG);
}

/* Base64 decode (padded) for checking grpc-status-details-bin. */
static size_t unbase64(const char *in, uint8_t *out) {
  static const char tab[] =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  size_t n = 0;
  uint32_t acc = 0;
  int bits = 0;

  for (; *in && *in != '='; in++) {
    const char *p = strchr(tab, *in);

    cr_assert(p, "base64 char %c", *in);
    acc = acc << 6 | (uint32_t)(p - tab);
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out[n++] = (uint8_t)(acc >> bits);
    }
  }
  return n;
}

Test(grpc, unavailable_carries_retry_info) {
  uint8_t st[1024];
  size_t n;
  struct result *r;
  /* Status{code 14, message "full", details Any{url, RetryInfo{Duration{
   * seconds 2, nanos 500000000}}}} */
  static const char url[] = "type.googleapis.com/google.rpc.RetryInfo";
  static const uint8_t dur[] = {0x0a, 0x08, 0x08, 0x02, 0x10,
                                0x80, 0xca, 0xb5, 0xee, 0x01};

  defer = 1;
  r = unary(1, NULL, "", 0, 0);
  cr_assert_eq(net_grpc_reply_retry(conn, calls[0].stream, "full", 2500), 0);
  pump();
  cr_assert_eq(r->http, 200);
  cr_assert_eq(r->grpc, NET_GRPC_UNAVAILABLE);
  cr_assert_str_eq(r->message, "full");
  n = unbase64(r->details, st);
  cr_assert_gt(n, 10);
  cr_assert(memcmp(st, "\x08\x0e\x12\x04" "full\x1a", 9) == 0);
  cr_assert(memmem(st, n, url, sizeof(url) - 1));
  cr_assert(memmem(st, n, dur, sizeof(dur)), "RetryInfo{2.5 s}");
  cr_assert_eq(stats.replies[1][NET_GRPC_UNAVAILABLE], 1);
  cr_assert_eq(conn->pending, 0);
}

Test(grpc, error_answers_are_trailers_only) {
  struct result *r;

  defer = 1;
  r = unary(2, NULL, "", 0, 0);
  cr_assert_eq(net_grpc_reply(conn, calls[0].stream, NET_GRPC_INVALID_ARGUMENT,
                              "span_id not 8 bytes", NULL, 0), 0);
  pump();
  cr_assert_eq(r->http, 200);
  cr_assert_eq(r->grpc, NET_GRPC_INVALID_ARGUMENT);
  cr_assert_str_eq(r->message, "span_id not 8 bytes");
  cr_assert_eq(r->data_len, 0);
  cr_assert_str_eq(net_grpc_code_name(NET_GRPC_INVALID_ARGUMENT),
                   "INVALID_ARGUMENT");
  cr_assert_str_eq(net_grpc_reject_name(NET_GRPC_REJ_TOO_BIG), "too_big");
}

/* ---- refusals ------------------------------------------------------------- */

Test(grpc, over_bound_message_is_refused_before_buffering) {
  size_t n = 4096, base;
  uint8_t *big = calloc(1, n);
  struct result *r;

  teardown();
  setup_with(1024, 0, 0, 64u << 20, 1ull << 30);
  base = conn->mem_bytes;
  r = unary(0, NULL, big, 1024, 0);
  cr_assert_eq(r->grpc, 0);
  r = unary(0, NULL, big, n, 0);
  cr_assert_eq(r->http, 200);
  cr_assert_eq(r->grpc, NET_GRPC_RESOURCE_EXHAUSTED);
  cr_assert_str_eq(r->message, "message of 4096 bytes over 1024");
  cr_assert_eq(stats.rejected[NET_GRPC_REJ_TOO_BIG], 1);
  cr_assert_eq(ncalls, 1);
  /* nothing of it was kept (within nghttp2's own churn) */
  cr_assert_lt(conn->mem_peak_bytes - base, n + 1024 + 65536);
  free(big);
}

Test(grpc, over_bound_message_mid_stream_stops_the_client) {
  /* The prefix says 64 MiB; the client is told before sending it. */
  static uint8_t req[5 + 200000] = {0, 0x04, 0, 0, 0};
  struct result *r = request(paths[0], NULL, req, sizeof(req));

  pump();
  cr_assert(r->closed);
  cr_assert_eq(r->grpc, NET_GRPC_RESOURCE_EXHAUSTED);
  cr_assert_eq(ncalls, 0);
  cr_assert_lt(r->req_off, sizeof(req), "the reset stopped the upload");
}

Test(grpc, unknown_path_is_unimplemented) {
  const char *h[] = {":method", "POST", ":scheme", "http", ":path",
                     "/opentelemetry.proto.collector.profiles.v1development."
                     "ProfilesService/Export",
                     ":authority", "x", "content-type", "application/grpc",
                     "te", "trailers", NULL};
  uint8_t req[5] = {0};
  struct result *r = request_hdrs(h, req, 5);

  pump();
  cr_assert_eq(r->http, 200);
  cr_assert_eq(r->grpc, NET_GRPC_UNIMPLEMENTED);
  cr_assert_eq(stats.rejected[NET_GRPC_REJ_METHOD], 1);
  cr_assert_eq(stats.replies[NET_GRPC_SIGNAL_NONE][NET_GRPC_UNIMPLEMENTED], 1);
  cr_assert_eq(ncalls, 0);
}

Test(grpc, bad_content_type_is_415) {
  const char *h[] = {":method", "POST", ":scheme", "http", ":path", paths[0],
                     ":authority", "x", "content-type", "application/json",
                     "te", "trailers", NULL};
  const char *h2[] = {":method", "POST", ":scheme", "http", ":path", paths[0],
                      ":authority", "x", "content-type",
                      "application/grpc+json", "te", "trailers", NULL};
  const char *h3[] = {":method", "POST", ":scheme", "http", ":path", paths[0],
                      ":authority", "x", "content-type",
                      "application/grpc+proto", "te", "trailers", NULL};
  uint8_t req[5] = {0};
  struct result *r = request_hdrs(h, req, 5), *r2 = request_hdrs(h2, req, 5);
  struct result *r3 = request_hdrs(h3, req, 5);

  pump();
  cr_assert_eq(r->http, 415);
  cr_assert_eq(r2->http, 415);
  cr_assert_eq(r3->http, 200);
  cr_assert_eq(r3->grpc, 0);
  cr_assert_eq(stats.rejected[NET_GRPC_REJ_CONTENT_TYPE], 2);
  cr_assert_eq(ncalls, 1);
}

Test(grpc, te_get_and_unknown_encoding) {
  const char *no_te[] = {":method", "POST", ":scheme", "http", ":path",
                         paths[0], ":authority", "x", "content-type",
                         "application/grpc", NULL};
  const char *get[] = {":method", "GET", ":scheme", "http", ":path", paths[0],
                       ":authority", "x", "content-type", "application/grpc",
                       "te", "trailers", NULL};
  uint8_t req[5] = {0};
  struct result *a = request_hdrs(no_te, req, 5);
  struct result *b = request_hdrs(get, NULL, 0);
  struct result *c = request(paths[0], "snappy", req, 5);

  pump();
  cr_assert_eq(a->grpc, NET_GRPC_INVALID_ARGUMENT);
  cr_assert_str_eq(a->message, "te: trailers missing");
  cr_assert_eq(b->grpc, NET_GRPC_UNIMPLEMENTED);
  cr_assert_eq(c->grpc, NET_GRPC_UNIMPLEMENTED);
  cr_assert_str_eq(c->accept_enc, "identity,gzip");
  cr_assert_eq(stats.rejected[NET_GRPC_REJ_ENCODING], 1);
  cr_assert_eq(ncalls, 0);
}

Test(grpc, header_list_over_its_bound) {
  static char big[20000];
  const char *h[] = {":method", "POST", ":scheme", "http", ":path", paths[1],
                     ":authority", "x", "content-type", "application/grpc",
                     "te", "trailers", "x-big", big, NULL};
  uint8_t req[5] = {0};
  struct result *r;

  memset(big, 'a', sizeof(big) - 1);
  r = request_hdrs(h, req, 5);
  pump();
  cr_assert(r->closed);
  cr_assert_eq(r->grpc, NET_GRPC_RESOURCE_EXHAUSTED);
  cr_assert_eq(stats.rejected[NET_GRPC_REJ_HEADERS], 1);
  cr_assert_eq(ncalls, 0);
}

Test(grpc, framing_errors) {
  static uint8_t two[10] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0};
  static uint8_t cut[8] = {0, 0, 0, 0, 9, 1, 2, 3};
  static uint8_t half_prefix[3] = {0, 0, 0};
  struct result *a = request(paths[0], NULL, two, sizeof(two));
  struct result *b = request(paths[0], NULL, cut, sizeof(cut));
  struct result *c = request(paths[0], NULL, half_prefix, 3);
  struct result *d = request(paths[0], NULL, NULL, 0);

  pump();
  cr_assert_eq(a->grpc, NET_GRPC_INVALID_ARGUMENT);
  cr_assert_str_eq(a->message, "more than one request message in a unary call");
  cr_assert_eq(b->grpc, NET_GRPC_INVALID_ARGUMENT);
  cr_assert_str_eq(b->message, "request message truncated");
  cr_assert_eq(c->grpc, NET_GRPC_INVALID_ARGUMENT);
  cr_assert_eq(d->grpc, NET_GRPC_INVALID_ARGUMENT);
  cr_assert_str_eq(d->message, "no request message");
  cr_assert_eq(stats.rejected[NET_GRPC_REJ_FRAMING], 4);
  cr_assert_eq(ncalls, 0);
}

/* ---- concurrency, resets, connection errors ------------------------------- */

Test(grpc, many_concurrent_streams_answered_out_of_order) {
  static uint8_t req[RESULTS_MAX][5 + 16];
  int n = 300;

  defer = 1;
  for (int i = 0; i < n; i++) {
    req[i][4] = 16;
    memset(req[i] + 5, i & 0xff, 16);
    request(paths[i % 3], NULL, req[i], sizeof(req[i]));
  }
  pump();
  /* the client holds back what passes SETTINGS_MAX_CONCURRENT_STREAMS */
  cr_assert_eq(ncalls, NET_GRPC_STREAMS_MAX);
  cr_assert_eq(conn->pending, NET_GRPC_STREAMS_MAX);
  for (int answered = 0; answered < n;) {
    int upto = ncalls;

    for (int i = upto - 1; i >= answered; i--)
      cr_assert_eq(net_grpc_reply(conn, calls[i].stream, NET_GRPC_OK, NULL,
                                  NULL, 0), 0);
    answered = upto;
    pump();
  }
  cr_assert_eq(ncalls, n);
  for (int i = 0; i < n; i++) {
    struct result *r = result_of(calls[i].stream);

    cr_assert(r && r->closed && r->grpc == 0);
    cr_assert_eq(calls[i].len, 16);
    cr_assert_eq(calls[i].body[0], (uint8_t)((r - results) & 0xff));
  }
  cr_assert_eq(conn->pending, 0);
}

Test(grpc, streams_past_the_bound_are_refused) {
  static uint8_t req[5];
  struct result *r[12];
  int refused = 0;

  teardown();
  setup_with(0, 0, 4, 1u << 20, 1ull << 30);
  defer = 1;
  /* 12 streams at once, before the client has seen the server's SETTINGS */
  for (int i = 0; i < 12; i++)
    r[i] = request(paths[0], NULL, req, 5);
  pump();
  cr_assert_eq(ncalls, 4);
  for (int i = 0; i < 12; i++)
    if (r[i]->closed && r[i]->close_code == NGHTTP2_REFUSED_STREAM)
      refused++;
  cr_assert_eq(refused, 8);
}

Test(grpc, client_resets_while_the_answer_waits) {
  static uint8_t req[5];
  struct result *r;

  defer = 1;
  r = unary(0, NULL, "", 0, 0);
  cr_assert_eq(conn->pending, 1);
  cr_assert_eq(nghttp2_submit_rst_stream(cli, NGHTTP2_FLAG_NONE, r->id,
                                         NGHTTP2_CANCEL), 0);
  pump();
  cr_assert_eq(conn->pending, 0);
  cr_assert_eq(stats.resets, 1);
  cr_assert_eq(net_grpc_reply(conn, calls[0].stream, NET_GRPC_OK, NULL, NULL,
                              0), -ENOENT);
  cr_assert_eq(net_grpc_reply_retry(conn, calls[0].stream, "x", 1), -ENOENT);
  cr_assert_eq(stats.abandoned, 2);
  /* the connection goes on */
  defer = 0;
  cr_assert_eq(unary(1, NULL, req, 0, 0)->grpc, 0);
}

Test(grpc, client_resets_mid_message_frees_it) {
  static uint8_t req[5 + 100000] = {0, 0, 0x01, 0x86, 0xa0};
  struct result *r;
  size_t base = conn->mem_bytes;

  r = request(paths[0], NULL, req, 5 + 50000);  /* half of it */
  r->stall = 1;  /* then nothing, and no END_STREAM */
  pump();
  cr_assert_eq(ncalls, 0);
  cr_assert_not(r->closed);
  cr_assert_eq(net_grpc_receiving(conn), 1);
  cr_assert_gt(conn->mem_bytes, base + 50000, "the half is held");
  cr_assert_eq(nghttp2_submit_rst_stream(cli, NGHTTP2_FLAG_NONE, r->id,
                                         NGHTTP2_CANCEL), 0);
  pump();
  cr_assert_lt(conn->mem_bytes, base + 8192);
  cr_assert_eq(stats.resets, 0);
  cr_assert_eq(net_grpc_receiving(conn), 0);
}

Test(grpc, a_declared_length_is_not_held_before_it_arrives) {
  /* 16 MiB declared, 1000 bytes sent, then a stall */
  static uint8_t req[5 + 1000] = {0, 0x01, 0, 0, 0};
  struct result *r = request(paths[1], NULL, req, sizeof(req));
  uint64_t done = conn->calls_done;

  r->stall = 1;
  pump();
  cr_assert_not(r->closed);
  cr_assert_lt(conn->mem_bytes, 512 * 1024, "held: %zu", conn->mem_bytes);
  cr_assert_eq(net_grpc_receiving(conn), 1);
  cr_assert_eq(conn->calls_done, done, "no progress: the listener's clock");
}

Test(grpc, garbage_preface_ends_the_connection) {
  const char junk[] = "POST /v1/metrics HTTP/1.1\r\nHost: x\r\n\r\n";
  const void *out;
  size_t n;
  const uint8_t *p;
  int goaway = 0;

  cr_assert_eq(net_grpc_feed(conn, junk, sizeof(junk) - 1), -EPROTO);
  cr_assert_not_null(conn->error);
  cr_assert_eq(net_grpc_feed(conn, "x", 1), -EPROTO);
  cr_assert_eq(stats.conn_errors, 1);
  n = net_grpc_output(conn, &out);
  /* SETTINGS then GOAWAY frames */
  for (p = out; p + 9 <= (const uint8_t *)out + n;
       p += 9 + ((size_t)p[0] << 16 | (size_t)p[1] << 8 | p[2]))
    if (p[3] == NGHTTP2_GOAWAY)
      goaway = 1;
  cr_assert(goaway);
  cr_assert_not(net_grpc_done(conn));
  net_grpc_consume(conn, n);
  n = net_grpc_output(conn, &out);
  net_grpc_consume(conn, n);
  cr_assert(net_grpc_done(conn));
}

/* A protocol error nghttp2 answers by itself (mem_recv succeeds): a frame
 * over SETTINGS_MAX_FRAME_SIZE after a good preface still ends the
 * connection with a GOAWAY and is counted like a bad preface. */
Test(grpc, protocol_error_after_the_preface_is_counted) {
  static const char preface[] = "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n";
  static const uint8_t settings[9] = {0, 0, 0, NGHTTP2_SETTINGS, 0, 0, 0, 0, 0};
  static const uint8_t huge[9] = {0xff, 0xff, 0xff, NGHTTP2_DATA, 0,
                                  0, 0, 0, 1};
  const void *out;
  const uint8_t *p;
  size_t n;
  int goaway = 0;

  cr_assert_eq(net_grpc_feed(conn, preface, sizeof(preface) - 1), 0);
  cr_assert_eq(net_grpc_feed(conn, settings, sizeof(settings)), 0);
  net_grpc_feed(conn, huge, sizeof(huge));
  n = net_grpc_output(conn, &out);
  for (p = out; p + 9 <= (const uint8_t *)out + n;
       p += 9 + ((size_t)p[0] << 16 | (size_t)p[1] << 8 | p[2]))
    goaway |= p[3] == NGHTTP2_GOAWAY;
  cr_assert(goaway);
  cr_assert_eq(stats.conn_errors, 1);
  cr_assert_not_null(conn->error);
  cr_assert_eq(net_grpc_feed(conn, "x", 1), -EPROTO);
  net_grpc_consume(conn, n);
  n = net_grpc_output(conn, &out);
  net_grpc_consume(conn, n);
  cr_assert(net_grpc_done(conn));
  cr_assert_eq(stats.conn_errors, 1, "one GOAWAY, one count");
}

Test(grpc, client_goaway_and_server_shutdown) {
  struct result *r;
  static uint8_t req[5];

  defer = 1;
  r = unary(0, NULL, "", 0, 0);
  net_grpc_shutdown(conn);
  pump();
  cr_assert_not(r->closed);
  /* a stream after the GOAWAY is not served */
  request(paths[0], NULL, req, 5);
  pump();
  cr_assert_eq(ncalls, 1);
  cr_assert_eq(net_grpc_reply(conn, calls[0].stream, NET_GRPC_OK, NULL, NULL,
                              0), 0);
  pump();
  cr_assert(r->closed);
  cr_assert_eq(r->grpc, 0);
  cr_assert_eq(nghttp2_session_terminate_session(cli, NGHTTP2_NO_ERROR), 0);
  pump();
  cr_assert(net_grpc_done(conn));
}

Test(grpc, a_flood_of_pings_stays_bounded) {
  uint8_t ping[17] = {0, 0, 8, NGHTTP2_PING, 0, 0, 0, 0, 0};
  const void *out;
  size_t peak = 0;
  int rc = 0;

  pump();
  /* the client never reads: pings pile ACKs up */
  for (int i = 0; i < 100000 && rc == 0; i++)
    rc = net_grpc_feed(conn, ping, sizeof(ping));
  net_grpc_output(conn, &out);
  peak = conn->mem_peak_bytes;
  cr_assert_eq(rc, -EPROTO, "flood ends the connection");
  cr_assert_leq(peak, srv.conn_memory_bytes_max);
}

/* ---- memory ----------------------------------------------------------------- */

Test(grpc, memory_bound_answers_unavailable) {
  size_t n = 300000;
  uint8_t *big = calloc(1, n);
  struct result *r[8];
  int unavailable = 0;

  teardown();
  /* room for two 300 KB messages beside nghttp2's reserve */
  setup_with(1u << 20, NET_GRPC_SESSION_RESERVE_BYTES + 700000, 0, 1u << 20,
             1ull << 30);
  defer = 1;
  {
    static uint8_t *req[8];
    size_t req_len;

    for (int i = 0; i < 8; i++) {
      req[i] = frame(big, n, 0, &req_len);
      r[i] = request(paths[0], NULL, req[i], req_len);
    }
    pump();
    for (int i = 0; i < 8; i++) {
      if (r[i]->grpc == NET_GRPC_UNAVAILABLE) {
        unavailable++;
        cr_assert(r[i]->details[0], "RetryInfo sent");
      }
    }
    cr_assert_leq(conn->mem_peak_bytes, srv.conn_memory_bytes_max);
    cr_assert_gt(unavailable, 0);
    cr_assert_eq(ncalls + unavailable, 8);
    cr_assert_eq(stats.rejected[NET_GRPC_REJ_MEMORY], (uint64_t)unavailable);
    for (int i = 0; i < ncalls; i++)
      net_grpc_reply(conn, calls[i].stream, NET_GRPC_OK, NULL, NULL, 0);
    pump();
    for (int i = 0; i < 8; i++)
      free(req[i]);
  }
  free(big);
}

Test(grpc, shard_budget_is_shared) {
  struct net_grpc_conn *c2 = malloc(sizeof(*c2));
  uint64_t used = budget.bytes;

  cr_assert_gt(used, 0, "the session counts against the budget");
  budget.bytes_max = used + 1000;
  cr_assert_eq(net_grpc_conn_init(c2, &srv, NULL), -ENOBUFS);
  cr_assert_eq(budget.bytes, used);
  budget.bytes_max = 1ull << 30;
  cr_assert_eq(net_grpc_conn_init(c2, &srv, NULL), 0);
  cr_assert_eq(stats.conns, 2);
  net_grpc_conn_free(c2);
  cr_assert_eq(budget.bytes, used);
  free(c2);
}

Test(grpc, a_maximal_message_passes_with_the_defaults) {
  size_t n = NET_GRPC_MESSAGE_BYTES_MAX, req_len;
  uint8_t *big = malloc(n), *req;
  struct result *r;

  for (size_t i = 0; i < n; i++)
    big[i] = (uint8_t)(i * 7);
  req = frame(big, n, 0, &req_len);
  r = request(paths[1], NULL, req, req_len);
  pump();
  cr_assert_eq(r->grpc, 0, "grpc-status %d: %s", r->grpc, r->message);
  cr_assert_eq(calls[0].len, n);
  cr_assert(memcmp(calls[0].body, big, n) == 0);
  cr_assert_leq(conn->mem_peak_bytes, NET_GRPC_CONN_MEMORY_BYTES_MAX);
  free(req);
  free(big);
}
