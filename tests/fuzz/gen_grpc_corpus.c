/*
 * tests/fuzz/gen_grpc_corpus.c - writes the seed corpus of fuzz_grpc:
 * what a real nghttp2 client session sends after the connection preface
 * (OTLP Export calls with the JS SDK fixtures, gzip, several streams, a
 * reset, bad headers, PING and GOAWAY), behind fuzz_grpc's two option
 * bytes.
 *
 *   cc -O2 -I. tests/fuzz/gen_grpc_corpus.c -lnghttp2 -lisal \
 *      -o /tmp/gen_grpc_corpus
 *   /tmp/gen_grpc_corpus tests/fixtures/otlp tests/fuzz/corpus/grpc
 */
#include <nghttp2/nghttp2.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tests/fuzz/gzip_deflate.h"

static uint8_t wire[1 << 20];
static size_t wire_len;
static const char *fixtures_dir;

static ssize_t on_send(nghttp2_session *s, const uint8_t *d, size_t n,
                       int flags, void *ud) {
  (void)s, (void)flags, (void)ud;
  if (wire_len + n > sizeof(wire))
    abort();
  memcpy(wire + wire_len, d, n);
  wire_len += n;
  return (ssize_t)n;
}

struct body {
  uint8_t *b;
  size_t len, off;
};

static ssize_t on_read(nghttp2_session *s, int32_t id, uint8_t *buf,
                       size_t length, uint32_t *flags,
                       nghttp2_data_source *src, void *ud) {
  struct body *b = src->ptr;
  size_t n = b->len - b->off;

  (void)s, (void)id, (void)ud;
  n = n < length ? n : length;
  memcpy(buf, b->b + b->off, n);
  b->off += n;
  if (b->off == b->len)
    *flags |= NGHTTP2_DATA_FLAG_EOF;
  return (ssize_t)n;
}

static nghttp2_session *start(void) {
  nghttp2_session_callbacks *cb;
  nghttp2_session *s;

  nghttp2_session_callbacks_new(&cb);
  nghttp2_session_callbacks_set_send_callback(cb, on_send);
  nghttp2_session_client_new(&s, cb, NULL);
  nghttp2_session_callbacks_del(cb);
  nghttp2_submit_settings(s, NGHTTP2_FLAG_NONE, NULL, 0);
  wire_len = 0;
  return s;
}

static struct body *message(const char *fixture, int gz, size_t cut) {
  static struct body bodies[16];
  static int next;
  struct body *b = &bodies[next++ % 16];
  uint8_t *raw = malloc(1 << 16);
  size_t n = 0;
  char path[512];
  FILE *f;

  if (fixture) {
    snprintf(path, sizeof(path), "%s/%s", fixtures_dir, fixture);
    f = fopen(path, "rb");
    if (!f)
      abort();
    n = fread(raw, 1, 1 << 16, f);
    fclose(f);
  }
  if (cut && cut < n)
    n = cut;
  free(b->b);
  b->b = malloc(n + n / 2 + 1024);
  b->off = 0;
  if (gz) {
    n = test_gzip_deflate(raw, n, b->b + 5, n + n / 2 + 1000);
  } else {
    memcpy(b->b + 5, raw, n);
  }
  b->b[0] = (uint8_t)(gz != 0);
  b->b[1] = (uint8_t)(n >> 24);
  b->b[2] = (uint8_t)(n >> 16);
  b->b[3] = (uint8_t)(n >> 8);
  b->b[4] = (uint8_t)n;
  b->len = n + 5;
  free(raw);
  return b;
}

static int32_t call(nghttp2_session *s, const char *svc, const char *ctype,
                    const char *enc, struct body *b) {
  char path[160];
  nghttp2_nv nva[8];
  size_t n = 0;
  nghttp2_data_provider prd = {.source.ptr = b, .read_callback = on_read};

  snprintf(path, sizeof(path), "/opentelemetry.proto.collector.%s/Export",
           svc);
#define H(k, v)                                                           \
  nva[n++] = (nghttp2_nv){(uint8_t *)(k), (uint8_t *)(v), strlen(k),      \
                          strlen(v), NGHTTP2_NV_FLAG_NONE}
  H(":method", "POST");
  H(":scheme", "http");
  H(":path", path);
  H(":authority", "localhost:4317");
  H("content-type", ctype);
  H("te", "trailers");
  H("user-agent", "OTel-OTLP-Exporter-JavaScript/0.57.2 grpc-node-js/1.12");
  if (enc)
    H("grpc-encoding", enc);
#undef H
  return nghttp2_submit_request(s, NULL, nva, n, b ? &prd : NULL, NULL);
}

static void save(const char *dir, const char *name, nghttp2_session *s,
                 uint8_t mode, uint8_t budget) {
  char path[512];
  FILE *f;

  nghttp2_session_send(s);
  nghttp2_session_del(s);
  snprintf(path, sizeof(path), "%s/%s", dir, name);
  f = fopen(path, "wb");
  if (!f)
    abort();
  fputc(mode, f);
  fputc(budget, f);
  fwrite(wire + 24, 1, wire_len - 24, f);  /* after the preface */
  fclose(f);
}

int main(int argc, char **argv) {
  static const char *const svc[] = {"metrics.v1.MetricsService",
                                    "logs.v1.LogsService",
                                    "trace.v1.TraceService"};
  static const char *const fx[] = {"metrics.bin", "logs.bin", "traces.bin"};
  uint8_t ping[8] = "sluice!";
  nghttp2_session *s;
  int32_t id;

  if (argc != 3) {
    fprintf(stderr, "usage: %s FIXTURE_DIR OUT_DIR\n", argv[0]);
    return 2;
  }
  fixtures_dir = argv[1];
  for (int i = 0; i < 3; i++) {
    char name[32];

    s = start();
    call(s, svc[i], "application/grpc", NULL, message(fx[i], 0, 0));
    snprintf(name, sizeof(name), "unary_%d", i);
    save(argv[2], name, s, 0, 255);
    s = start();
    call(s, svc[i], "application/grpc+proto", "gzip", message(fx[i], 1, 0));
    snprintf(name, sizeof(name), "gzip_%d", i);
    save(argv[2], name, s, 3 + 2, 255);
  }
  s = start();
  for (int i = 0; i < 10; i++)
    call(s, svc[i % 3], "application/grpc", NULL, message(fx[i % 3], 0, 100));
  save(argv[2], "streams", s, 3 + 2, 40);
  s = start();
  id = call(s, svc[0], "application/grpc", NULL, message(fx[0], 0, 0));
  nghttp2_session_send(s);
  nghttp2_submit_rst_stream(s, NGHTTP2_FLAG_NONE, id, NGHTTP2_CANCEL);
  call(s, svc[1], "application/json", NULL, message(fx[1], 0, 0));
  call(s, "profiles.v1development.ProfilesService", "application/grpc",
       "snappy", message(NULL, 0, 0));
  save(argv[2], "reset_and_refusals", s, 2, 255);
  s = start();
  nghttp2_submit_ping(s, NGHTTP2_FLAG_NONE, ping);
  nghttp2_submit_window_update(s, NGHTTP2_FLAG_NONE, 0, 1 << 20);
  call(s, svc[2], "application/grpc", NULL, message(fx[2], 0, 0));
  nghttp2_submit_goaway(s, NGHTTP2_FLAG_NONE, 0, NGHTTP2_NO_ERROR, NULL, 0);
  save(argv[2], "ping_goaway", s, 6, 255);
  return 0;
}
