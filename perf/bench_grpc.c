/*
 * perf/bench_grpc.c - the OTLP/gRPC engine's cost per call and per byte.
 *
 * A real nghttp2 client session makes N unary Export calls against the
 * engine in process, answered at once; its bytes are recorded. Then only
 * the engine is timed: the recorded bytes are fed to fresh connections
 * (in 64 KiB reads, as a socket would give them), every call answered,
 * every output byte taken. Three workloads: the JS SDK metrics fixture
 * (about 1 KiB a call), a 1 MiB message, and the 1 MiB message gzip'ed
 * (inflate included).
 *
 *   ninja -C build perf/bench_grpc
 *   ./build/perf/bench_grpc tests/fixtures/otlp/metrics.bin
 */
#include <nghttp2/nghttp2.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "net/grpc.h"
#include "net/gzip.h"
#include "tests/fuzz/gzip_deflate.h"

#define READ_BYTES 65536

static struct net_grpc_server srv;
static struct net_grpc_stats stats;
static struct net_http_budget budget = {.bytes_max = 1ull << 32};
static struct net_gzip gz;
static struct net_grpc_conn conn;
static uint8_t *rec;
static size_t rec_len, rec_cap;
static const uint8_t *body;
static size_t body_len, body_off;
static uint64_t calls;

static void on_request(void *ctx, struct net_grpc_conn *c,
                       net_grpc_stream_id stream, enum core_otlp_signal sig,
                       const void *b, size_t len) {
  (void)ctx, (void)sig, (void)b, (void)len;
  calls++;
  net_grpc_reply(c, stream, NET_GRPC_OK, NULL, NULL, 0);
}

static ssize_t cli_send(nghttp2_session *s, const uint8_t *d, size_t n,
                        int flags, void *ud) {
  (void)s, (void)flags, (void)ud;
  if (rec_len + n > rec_cap) {
    rec_cap = (rec_len + n) * 2;
    rec = realloc(rec, rec_cap);
  }
  memcpy(rec + rec_len, d, n);
  rec_len += n;
  net_grpc_feed(&conn, d, n);
  return (ssize_t)n;
}

static ssize_t cli_read(nghttp2_session *s, int32_t id, uint8_t *buf,
                        size_t length, uint32_t *flags,
                        nghttp2_data_source *src, void *ud) {
  size_t n = body_len - body_off;

  (void)s, (void)id, (void)src, (void)ud;
  n = n < length ? n : length;
  memcpy(buf, body + body_off, n);
  body_off += n;
  if (body_off == body_len)
    *flags |= NGHTTP2_DATA_FLAG_EOF;
  return (ssize_t)n;
}

static void drain(nghttp2_session *cli) {
  const void *out;
  size_t n;

  while ((n = net_grpc_output(&conn, &out)) > 0) {
    if (cli)
      nghttp2_session_mem_recv(cli, out, n);
    net_grpc_consume(&conn, n);
  }
}

/* Record n calls of message msg (framed), gzip or not. */
static void record(const uint8_t *msg, size_t len, int n, int gzip) {
  nghttp2_session_callbacks *cb;
  nghttp2_session *cli;
  nghttp2_nv nva[7] = {
#define H(k, v) {(uint8_t *)(k), (uint8_t *)(v), sizeof(k) - 1, sizeof(v) - 1, 0}
      H(":method", "POST"), H(":scheme", "http"),
      H(":path", "/opentelemetry.proto.collector.metrics.v1.MetricsService/Export"),
      H(":authority", "localhost"), H("content-type", "application/grpc"),
      H("te", "trailers"), H("grpc-encoding", "gzip")};
#undef H
  nghttp2_data_provider prd = {.read_callback = cli_read};

  body = msg;
  body_len = len;
  rec_len = 0;
  nghttp2_session_callbacks_new(&cb);
  nghttp2_session_callbacks_set_send_callback(cb, cli_send);
  nghttp2_session_client_new(&cli, cb, NULL);
  nghttp2_session_callbacks_del(cb);
  net_grpc_conn_init(&conn, &srv, NULL);
  nghttp2_submit_settings(cli, NGHTTP2_FLAG_NONE, NULL, 0);
  for (int i = 0; i < n; i++) {
    body_off = 0;
    nghttp2_submit_request(cli, NULL, nva, gzip ? 7 : 6, &prd, NULL);
    nghttp2_session_send(cli);
    drain(cli);
    nghttp2_session_send(cli);
  }
  nghttp2_session_del(cli);
  net_grpc_conn_free(&conn);
}

static double now_s(void) {
  struct timespec ts;

  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void replay(const char *name, size_t msg_bytes, int n, int reps) {
  double best = 1e30;

  for (int r = 0; r < reps; r++) {
    double t0 = now_s();

    calls = 0;
    net_grpc_conn_init(&conn, &srv, NULL);
    for (size_t off = 0; off < rec_len; off += READ_BYTES) {
      size_t k = rec_len - off < READ_BYTES ? rec_len - off : READ_BYTES;

      if (net_grpc_feed(&conn, rec + off, k) < 0) {
        fprintf(stderr, "replay failed: %s\n", conn.error);
        exit(1);
      }
      drain(NULL);
    }
    net_grpc_conn_free(&conn);
    t0 = now_s() - t0;
    if (calls != (uint64_t)n) {
      fprintf(stderr, "%s: %lu calls of %d\n", name, (unsigned long)calls, n);
      exit(1);
    }
    best = t0 < best ? t0 : best;
  }
  printf("| %s | %zu | %d | %.0f | %.2f | %.0f |\n", name, msg_bytes, n,
         n / best, (double)rec_len / best / 1e6, best / n * 1e9);
}

int main(int argc, char **argv) {
  size_t fx_len, big_len = 1u << 20, z_len;
  uint8_t *fx = malloc(1 << 20), *big = malloc(big_len), *z;
  FILE *f;

  if (argc != 2 || !(f = fopen(argv[1], "rb"))) {
    fprintf(stderr, "usage: %s tests/fixtures/otlp/metrics.bin\n", argv[0]);
    return 2;
  }
  fx_len = fread(fx, 1, 1 << 20, f);
  fclose(f);
  for (size_t i = 0; i < big_len; i++)  /* a protobuf-like, compressible mix */
    big[i] = fx[i % fx_len] ^ (uint8_t)(i / fx_len);
  z = malloc(big_len * 2);
  z_len = test_gzip_deflate(big, big_len, z, big_len * 2);
  net_gzip_init(&gz);
  srv = (struct net_grpc_server){.on_request = on_request, .stats = &stats,
                                 .budget = &budget, .gzip = &gz,
                                 .inflate_buf = malloc(NET_GRPC_INFLATED_BYTES_MAX),
                                 .inflated_bytes_max = NET_GRPC_INFLATED_BYTES_MAX};
  net_grpc_server_init(&srv);
  printf("| workload | message bytes | calls | calls/s | wire MB/s | ns/call |\n");
  printf("|---|---|---|---|---|---|\n");
  {
    size_t n = fx_len + 5;
    uint8_t *m = malloc(n);

    m[0] = 0, m[1] = (uint8_t)(fx_len >> 24), m[2] = (uint8_t)(fx_len >> 16);
    m[3] = (uint8_t)(fx_len >> 8), m[4] = (uint8_t)fx_len;
    memcpy(m + 5, fx, fx_len);
    record(m, n, 20000, 0);
    replay("SDK metrics fixture", fx_len, 20000, 10);
    free(m);
  }
  {
    uint8_t *m = malloc(big_len + 5);

    m[0] = 0, m[1] = 0, m[2] = 0x10, m[3] = 0, m[4] = 0;
    memcpy(m + 5, big, big_len);
    record(m, big_len + 5, 200, 0);
    replay("1 MiB message", big_len, 200, 5);
    m[0] = 1, m[1] = (uint8_t)(z_len >> 24), m[2] = (uint8_t)(z_len >> 16);
    m[3] = (uint8_t)(z_len >> 8), m[4] = (uint8_t)z_len;
    memcpy(m + 5, z, z_len);
    record(m, z_len + 5, 200, 1);
    replay("1 MiB message, gzip", z_len, 200, 5);
    free(m);
  }
  net_grpc_server_free(&srv);
  return 0;
}
