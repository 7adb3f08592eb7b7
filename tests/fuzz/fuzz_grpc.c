/*
 * tests/fuzz/fuzz_grpc.c - libFuzzer target for the OTLP/gRPC engine
 * (net/grpc.c): HTTP/2 framing, HPACK, gRPC message framing, gzip.
 *
 * Input: byte 0 chooses how the stream is cut into reads (whole, byte by
 * byte, at random lengths: fuzz_split.h) and how requests are answered
 * (at once, later, never); byte 1 sizes the shard's memory budget; the
 * rest is what a client sends after the connection preface (the preface
 * itself is sent first). Bounds are small so that every refusal is
 * reachable. After the input, the answers left are given, the connection
 * shut down and freed: every byte of memory must be back, the peak within
 * the connection's bound, and nothing may crash or hang.
 */
#include <errno.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz_split.h"
#include "net/grpc.h"
#include "net/gzip.h"
#include "net/otlp_http.h"

#define CHECK(c)        \
  do {                  \
    if (!(c))           \
      __builtin_trap(); \
  } while (0)

#define MSG_MAX 4096
#define INFLATED_MAX 16384
#define CONN_MEM (NET_GRPC_SESSION_RESERVE_BYTES + 256 * 1024)
#define DEFERRED_MAX 64

static const char preface[] = "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n";

static struct net_grpc_server srv;
static struct net_grpc_stats stats;
static struct net_http_budget budget;
static struct net_gzip gz;
static uint8_t inflate_buf[INFLATED_MAX];
static struct net_grpc_conn conn;
static int answer_mode;   /* 0 at once, 1 later, 2 never */
static net_grpc_stream_id deferred[DEFERRED_MAX];
static int ndeferred;
static unsigned ncalls;

static void on_request(void *ctx, struct net_grpc_conn *c,
                       net_grpc_stream_id stream, enum core_otlp_signal sig,
                       const void *body, size_t len) {
  char resp[64];
  size_t n;

  (void)ctx;
  CHECK((unsigned)sig < CORE_OTLP_SIGNALS && len <= INFLATED_MAX);
  CHECK(len == 0 || body != NULL);
  if (len)  /* every byte of the body is readable */
    CHECK(((const volatile uint8_t *)body)[len - 1] ==
          ((const uint8_t *)body)[len - 1]);
  ncalls++;
  if (answer_mode == 0) {
    n = net_otlp_export_response(sig, CORE_OTLP_ENC_PROTO, len,
                                 "some points were rejected", resp,
                                 sizeof(resp));
    CHECK(n > 0);
    switch (ncalls % 3) {
    case 0: CHECK(net_grpc_reply(c, stream, NET_GRPC_OK, NULL, resp, n) !=
                  -E2BIG); break;
    case 1: net_grpc_reply(c, stream, NET_GRPC_INVALID_ARGUMENT,
                           "bad \x01\xff%", NULL, 0); break;
    default: net_grpc_reply_retry(c, stream, "busy", 1500); break;
    }
  } else if (answer_mode == 1 && ndeferred < DEFERRED_MAX) {
    deferred[ndeferred++] = stream;
  }
}

static void drain(void) {
  for (int i = 0; i < 1000; i++) {
    const void *out;
    size_t n = net_grpc_output(&conn, &out);

    if (n == 0)
      return;
    net_grpc_consume(&conn, n % 3 == 0 ? n : n - n / 3);
  }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  static int once;
  size_t off = 2;
  int mode;

  if (!once) {
    net_gzip_init(&gz);
    once = 1;
  }
  if (size < 2)
    return 0;
  fuzz_split_seed(data, size);
  mode = data[0] % 3;
  answer_mode = (data[0] / 3) % 3;
  ndeferred = 0;
  ncalls = 0;
  memset(&stats, 0, sizeof(stats));
  memset(&srv, 0, sizeof(srv));
  budget = (struct net_http_budget){.bytes_max = 65536 + (uint64_t)data[1] *
                                                             16384};
  srv.on_request = on_request;
  srv.stats = &stats;
  srv.budget = &budget;
  srv.gzip = &gz;
  srv.inflate_buf = inflate_buf;
  srv.inflated_bytes_max = INFLATED_MAX;
  srv.message_bytes_max = MSG_MAX;
  srv.conn_memory_bytes_max = CONN_MEM;
  srv.streams_max = 8;
  srv.header_list_bytes_max = 1024;
  CHECK(net_grpc_server_init(&srv) == 0);
  if (net_grpc_conn_init(&conn, &srv, NULL) != 0) {
    CHECK(budget.bytes == 0);
    net_grpc_server_free(&srv);
    return 0;
  }
  if (net_grpc_feed(&conn, preface, sizeof(preface) - 1) == 0) {
    while (off < size) {
      size_t n = fuzz_split_len(mode, size - off, 16384);

      drain();
      if (net_grpc_feed(&conn, data + off, n) < 0) {
        CHECK(conn.error != NULL);
        break;
      }
      off += n;
    }
  }
  drain();
  for (int i = 0; i < ndeferred; i++)
    net_grpc_reply(&conn, deferred[i], i % 2 ? NET_GRPC_OK : NET_GRPC_DATA_LOSS,
                   "later", NULL, 0);
  drain();
  net_grpc_shutdown(&conn);
  drain();
  CHECK(conn.mem_peak_bytes <= CONN_MEM);
  CHECK(stats.conns == 1);
  net_grpc_conn_free(&conn);
  CHECK(conn.mem_bytes == 0 && budget.bytes == 0 && stats.conns == 0);
  net_grpc_server_free(&srv);
  return 0;
}
