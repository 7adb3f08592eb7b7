/*
 * tools/grpc_client.c - blocking OTLP/gRPC calls over nghttp2 for the
 * bench (tools only: blocking sockets, malloc; nothing here runs in
 * sluice's data path).
 */
#include "tools/grpc_client.h"

#include <errno.h>
#include <nghttp2/nghttp2.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#define GRPC_PREFIX_BYTES 5
#define READ_BYTES 16384

struct tools_grpc {
  nghttp2_session *s;
  int fd;
  const char *authority;
  /* the call in flight */
  uint8_t prefix[GRPC_PREFIX_BYTES];
  const uint8_t *msg;
  uint32_t len, sent;     /* bytes of prefix + msg sent */
  int32_t stream;
  int status;             /* grpc-status, -1 until seen */
  int done;               /* the stream closed */
  int err;                /* -errno of the socket */
};

static ssize_t on_send(nghttp2_session *s, const uint8_t *data, size_t len,
                       int flags, void *ud) {
  struct tools_grpc *g = ud;
  (void)s, (void)flags;
  ssize_t n = send(g->fd, data, len, MSG_NOSIGNAL);
  if (n < 0) {
    g->err = -errno;
    return errno == EAGAIN ? NGHTTP2_ERR_WOULDBLOCK
                           : NGHTTP2_ERR_CALLBACK_FAILURE;
  }
  return n;
}

static int on_header(nghttp2_session *s, const nghttp2_frame *f,
                     const uint8_t *name, size_t nlen, const uint8_t *value,
                     size_t vlen, uint8_t flags, void *ud) {
  struct tools_grpc *g = ud;
  (void)s, (void)flags;
  if (f->hd.stream_id == g->stream && nlen == 11 &&
      memcmp(name, "grpc-status", 11) == 0 && vlen > 0 && vlen < 4) {
    char v[4] = {0};
    memcpy(v, value, vlen);
    g->status = atoi(v);
  }
  return 0;
}

static int on_close(nghttp2_session *s, int32_t stream, uint32_t code,
                    void *ud) {
  struct tools_grpc *g = ud;
  (void)s, (void)code;
  if (stream == g->stream)
    g->done = 1;
  return 0;
}

/* The request body: the 5-byte prefix, then the message. */
static ssize_t read_body(nghttp2_session *s, int32_t stream, uint8_t *buf,
                         size_t len, uint32_t *flags, nghttp2_data_source *src,
                         void *ud) {
  struct tools_grpc *g = ud;
  uint32_t total = GRPC_PREFIX_BYTES + g->len;
  size_t n = 0;
  (void)s, (void)stream, (void)src;
  while (n < len && g->sent < total) {
    size_t k;
    if (g->sent < GRPC_PREFIX_BYTES) {
      k = GRPC_PREFIX_BYTES - g->sent;
      k = k < len - n ? k : len - n;
      memcpy(buf + n, g->prefix + g->sent, k);
    } else {
      k = total - g->sent;
      k = k < len - n ? k : len - n;
      memcpy(buf + n, g->msg + (g->sent - GRPC_PREFIX_BYTES), k);
    }
    n += k;
    g->sent += (uint32_t)k;
  }
  if (g->sent == total)
    *flags |= NGHTTP2_DATA_FLAG_EOF;
  return (ssize_t)n;
}

struct tools_grpc *tools_grpc_open(int fd, const char *authority) {
  nghttp2_session_callbacks *cb;
  struct tools_grpc *g = calloc(1, sizeof(*g));
  if (g == NULL || nghttp2_session_callbacks_new(&cb) != 0) {
    free(g);
    return NULL;
  }
  nghttp2_session_callbacks_set_send_callback(cb, on_send);
  nghttp2_session_callbacks_set_on_header_callback(cb, on_header);
  nghttp2_session_callbacks_set_on_stream_close_callback(cb, on_close);
  g->fd = fd;
  g->authority = authority;
  int rc = nghttp2_session_client_new(&g->s, cb, g);
  nghttp2_session_callbacks_del(cb);
  if (rc != 0 ||
      nghttp2_submit_settings(g->s, NGHTTP2_FLAG_NONE, NULL, 0) != 0) {
    tools_grpc_close(g);
    return NULL;
  }
  return g;
}

void tools_grpc_close(struct tools_grpc *g) {
  if (g == NULL)
    return;
  if (g->s)
    nghttp2_session_del(g->s);
  free(g);
}

/* Send what nghttp2 has, read and feed until the call is done. */
static int pump(struct tools_grpc *g) {
  uint8_t buf[READ_BYTES];
  while (!g->done) {
    if (nghttp2_session_send(g->s) != 0)
      return g->err ? g->err : -EPROTO;
    ssize_t n = recv(g->fd, buf, sizeof(buf), 0);
    if (n <= 0)
      return n < 0 ? -errno : -EPIPE;
    if (nghttp2_session_mem_recv(g->s, buf, (size_t)n) < 0)
      return -EPROTO;
  }
  return nghttp2_session_send(g->s) == 0 ? 0 : -EPROTO;
}

#define HDR(n, v)                                                              \
  {(uint8_t *)(n), (uint8_t *)(v), sizeof(n) - 1, strlen(v),                   \
   NGHTTP2_NV_FLAG_NONE}

int tools_grpc_call(struct tools_grpc *g, const char *path, const void *msg,
                    uint32_t len, int gzip) {
  nghttp2_nv h[] = {HDR(":method", "POST"), HDR(":scheme", "http"),
                    HDR(":path", path), HDR(":authority", g->authority),
                    HDR("content-type", "application/grpc"),
                    HDR("te", "trailers"),
                    HDR("grpc-encoding", gzip ? "gzip" : "identity")};
  nghttp2_data_provider body = {.read_callback = read_body};
  int rc;

  g->prefix[0] = gzip ? 1 : 0;
  g->prefix[1] = (uint8_t)(len >> 24);
  g->prefix[2] = (uint8_t)(len >> 16);
  g->prefix[3] = (uint8_t)(len >> 8);
  g->prefix[4] = (uint8_t)len;
  g->msg = msg;
  g->len = len;
  g->sent = 0;
  g->status = -1;
  g->done = 0;
  g->stream = nghttp2_submit_request(g->s, NULL, h, sizeof(h) / sizeof(h[0]),
                                     &body, NULL);
  if (g->stream < 0)
    return -EPROTO;
  if ((rc = pump(g)) < 0)
    return rc;
  return g->status < 0 ? -EPROTO : g->status;
}
