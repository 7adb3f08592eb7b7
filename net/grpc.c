/*
 * net/grpc.c - the OTLP/gRPC HTTP/2 engine over nghttp2 (see net/grpc.h).
 * Pure: no I/O, so tests and the fuzzer drive it with bytes alone.
 *
 * nghttp2 does HTTP/2 (framing, HPACK, flow control, stream states, the
 * RFC 9113 header checks); this file does gRPC on top: the method and
 * its headers, the one length-prefixed request message of a unary call
 * (its length checked before a byte of it is buffered), grpc-encoding,
 * and the answers (Trailers-Only for errors; HEADERS, DATA, trailers for
 * OK). Every allocation, nghttp2's included, is counted against the
 * connection's bound and the shard's budget.
 */
#include "net/grpc.h"

#include <errno.h>
#include <nghttp2/nghttp2.h>
#include <stdalign.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "core/base/assert.h"
#include "core/base/heap.h"
#include "core/base/stat.h"
#include "net/gzip.h"
#include "net/http.h"
#include "storage/encode.h"

#define PREFIX_BYTES 5
#define MSG_CAP_MIN_BYTES 65536 /* first buffer of a message */
#define CODE_NONE (-1)

static const char *const paths[CORE_OTLP_SIGNALS] = {
    [CORE_OTLP_METRICS] =
        "/opentelemetry.proto.collector.metrics.v1.MetricsService/Export",
    [CORE_OTLP_LOGS] = "/opentelemetry.proto.collector.logs.v1.LogsService/Export",
    [CORE_OTLP_TRACES] =
        "/opentelemetry.proto.collector.trace.v1.TraceService/Export",
};

enum {
  ST_HEADERS = 0, /* request headers arriving */
  ST_BODY,        /* headers accepted: the message arriving */
  ST_WAIT,        /* handed to on_request: the answer is awaited */
  ST_REPLIED,     /* answer queued (or the call refused): input ignored */
};

/* One request stream; nghttp2's stream user data, on the connection's list
 * too (nghttp2_session_del frees its streams without telling us). */
struct net_grpc_stream {
  struct net_grpc_stream *prev, *next;
  int32_t id;
  uint8_t state;
  uint8_t sig;           /* enum core_otlp_signal or NET_GRPC_SIGNAL_NONE */
  uint8_t post, te_ok, ct_seen, ct_ok, gzip, enc_bad, list_over;
  uint8_t prefix_len;
  uint8_t prefix[PREFIX_BYTES];
  uint32_t header_bytes; /* RFC 9113 size of the header list so far */
  uint32_t msg_len, msg_got, msg_cap;
  uint8_t *msg;          /* msg_cap bytes (grown to msg_len), counted */
  uint8_t *reply;        /* prefix + response, then the trailer's text */
  size_t reply_len, reply_off;
  size_t reply_text_len; /* %-encoded grpc-message after the response */
  uint8_t reply_code;
};

/* ---- counting allocator ------------------------------------------------- */
/* Blocks come from the budget's heap: on a shard, the shard's own mimalloc
 * heap (core/base/heap.h), so nghttp2 never allocates from the process's. */

/* Room before each block for its size, keeping malloc's alignment. */
#define HDR_BYTES alignof(max_align_t)

/* Take n bytes of c's bound and of the shard's budget. */
static bool mem_take(struct net_grpc_conn *c, size_t n) {
  if (n > c->srv->conn_memory_bytes_max - c->mem_bytes) {
    c->refused = 1;
    return false;
  }
  if (net_http_budget_take(c->srv->budget, n) < 0) {
    c->refused = 2;
    return false;
  }
  c->mem_bytes += n;
  if (c->mem_bytes > c->mem_peak_bytes)
    c->mem_peak_bytes = c->mem_bytes;
  return true;
}

static void mem_give(struct net_grpc_conn *c, size_t n) {
  ASSERT(n <= c->mem_bytes);
  c->mem_bytes -= n;
  net_http_budget_give(c->srv->budget, n);
}

static void *mem_alloc(struct net_grpc_conn *c, size_t n, bool zero) {
  size_t total = n + HDR_BYTES;
  char *b;

  if (n > SIZE_MAX / 2 || !mem_take(c, total))
    return NULL;
  b = core_heap_alloc(c->srv->budget->heap, total, zero);
  if (!b) {
    mem_give(c, total);
    return NULL;
  }
  memcpy(b, &total, sizeof(total));
  return b + HDR_BYTES;
}

static void mem_free(struct net_grpc_conn *c, void *p) {
  char *b;
  size_t total;

  if (!p)
    return;
  b = (char *)p - HDR_BYTES;
  memcpy(&total, b, sizeof(total));
  mem_give(c, total);
  core_heap_free(c->srv->budget->heap, b);
}

static void *mem_realloc(struct net_grpc_conn *c, void *p, size_t n) {
  char *b, *nb;
  size_t old, total = n + HDR_BYTES;

  if (!p)
    return mem_alloc(c, n, false);
  if (n == 0) {
    mem_free(c, p);
    return NULL;
  }
  if (n > SIZE_MAX / 2)
    return NULL;
  b = (char *)p - HDR_BYTES;
  memcpy(&old, b, sizeof(old));
  if (total > old && !mem_take(c, total - old))
    return NULL;
  nb = core_heap_realloc(c->srv->budget->heap, b, total);
  if (!nb) {
    if (total > old)
      mem_give(c, total - old);
    return NULL;
  }
  if (total < old)
    mem_give(c, old - total);
  memcpy(nb, &total, sizeof(total));
  return nb + HDR_BYTES;
}

static void *ng_malloc(size_t n, void *ud) { return mem_alloc(ud, n, false); }
static void ng_free(void *p, void *ud) { mem_free(ud, p); }
static void *ng_realloc(void *p, size_t n, void *ud) {
  return mem_realloc(ud, p, n);
}
static void *ng_calloc(size_t k, size_t n, void *ud) {
  if (n && k > SIZE_MAX / 2 / n)
    return NULL;
  return mem_alloc(ud, k * n, true);
}

/* ---- protobuf and text helpers for the answers ------------------------- */

/* Append field's tag with wire type wt and, for LEN, the length n. */
static size_t pb_tag(uint8_t *p, unsigned field, unsigned wt) {
  return stor_varint_put(p, (uint64_t)field << 3 | wt);
}

static size_t pb_bytes(uint8_t *p, unsigned field, const void *v, size_t n) {
  size_t k = pb_tag(p, field, 2);

  k += stor_varint_put(p + k, n);
  memcpy(p + k, v, n);
  return k + n;
}

static size_t pb_varint(uint8_t *p, unsigned field, uint64_t v) {
  size_t k = pb_tag(p, field, 0);

  return k + stor_varint_put(p + k, v);
}

/*
 * grpc-message: bytes outside 0x20..0x7e and '%' as %XX
 * (PROTOCOL-HTTP2.md), message cut at NET_GRPC_STATUS_TEXT_BYTES_MAX.
 * out has 3 * NET_GRPC_STATUS_TEXT_BYTES_MAX + 1 bytes.
 */
static size_t pct_encode(const char *msg, char *out) {
  static const char hex[] = "0123456789ABCDEF";
  size_t i, k = 0;

  for (i = 0; msg && msg[i] && i < NET_GRPC_STATUS_TEXT_BYTES_MAX; i++) {
    unsigned char ch = (unsigned char)msg[i];

    if (ch >= 0x20 && ch <= 0x7e && ch != '%') {
      out[k++] = (char)ch;
    } else {
      out[k++] = '%';
      out[k++] = hex[ch >> 4];
      out[k++] = hex[ch & 15];
    }
  }
  out[k] = '\0';
  return k;
}

/* Base64 (padded) of in into out (room for 4 * ceil(n / 3) + 1). */
static size_t base64(const uint8_t *in, size_t n, char *out) {
  static const char tab[] =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  size_t i, k = 0;

  for (i = 0; i + 2 < n; i += 3) {
    uint32_t v = (uint32_t)in[i] << 16 | (uint32_t)in[i + 1] << 8 | in[i + 2];

    out[k++] = tab[v >> 18];
    out[k++] = tab[v >> 12 & 63];
    out[k++] = tab[v >> 6 & 63];
    out[k++] = tab[v & 63];
  }
  if (i < n) {
    uint32_t v = (uint32_t)in[i] << 16 | (i + 1 < n ? (uint32_t)in[i + 1] << 8 : 0);

    out[k++] = tab[v >> 18];
    out[k++] = tab[v >> 12 & 63];
    out[k++] = i + 1 < n ? tab[v >> 6 & 63] : '=';
    out[k++] = '=';
  }
  out[k] = '\0';
  return k;
}

#define RETRY_TYPE_URL "type.googleapis.com/google.rpc.RetryInfo"
/* google.rpc.Status with the text and a RetryInfo, at most: */
#define STATUS_PB_BYTES (NET_GRPC_STATUS_TEXT_BYTES_MAX + 128)

/*
 * google.rpc.Status { code = 1; message = 2; details = 3 (Any { type_url
 * = 1; value = 2: RetryInfo { retry_delay = 1: Duration { seconds = 1;
 * nanos = 2 } } }) }, base64 for grpc-status-details-bin.
 */
static size_t retry_details(const char *msg, uint32_t retry_ms, char *out) {
  uint8_t dur[32], info[40], any[128], st[STATUS_PB_BYTES];
  size_t nd = 0, ni, na, ns = 0, mlen = msg ? strlen(msg) : 0;

  if (mlen > NET_GRPC_STATUS_TEXT_BYTES_MAX)
    mlen = NET_GRPC_STATUS_TEXT_BYTES_MAX;
  if (retry_ms / 1000)
    nd += pb_varint(dur + nd, 1, retry_ms / 1000);
  if (retry_ms % 1000)
    nd += pb_varint(dur + nd, 2, (uint64_t)(retry_ms % 1000) * 1000000);
  ni = pb_bytes(info, 1, dur, nd);
  na = pb_bytes(any, 1, RETRY_TYPE_URL, strlen(RETRY_TYPE_URL));
  na += pb_bytes(any + na, 2, info, ni);
  ns += pb_varint(st + ns, 1, NET_GRPC_UNAVAILABLE);
  if (mlen)
    ns += pb_bytes(st + ns, 2, msg, mlen);
  ns += pb_bytes(st + ns, 3, any, na);
  return base64(st, ns, out);
}

const char *net_grpc_code_name(enum net_grpc_code code) {
  static const char *const names[NET_GRPC_CODES] = {
      "OK", "CANCELLED", "UNKNOWN", "INVALID_ARGUMENT", "DEADLINE_EXCEEDED",
      "NOT_FOUND", "ALREADY_EXISTS", "PERMISSION_DENIED", "RESOURCE_EXHAUSTED",
      "FAILED_PRECONDITION", "ABORTED", "OUT_OF_RANGE", "UNIMPLEMENTED",
      "INTERNAL", "UNAVAILABLE", "DATA_LOSS", "UNAUTHENTICATED",
  };

  return (unsigned)code < NET_GRPC_CODES ? names[code] : "UNKNOWN";
}

const char *net_grpc_reject_name(enum net_grpc_reject r) {
  static const char *const names[NET_GRPC_REJS] = {
      [NET_GRPC_REJ_METHOD] = "method",
      [NET_GRPC_REJ_CONTENT_TYPE] = "content_type",
      [NET_GRPC_REJ_HEADERS] = "headers",
      [NET_GRPC_REJ_ENCODING] = "encoding",
      [NET_GRPC_REJ_FRAMING] = "framing",
      [NET_GRPC_REJ_TOO_BIG] = "too_big",
      [NET_GRPC_REJ_INFLATED_TOO_BIG] = "inflated_too_big",
      [NET_GRPC_REJ_GZIP] = "gzip",
      [NET_GRPC_REJ_MEMORY] = "memory",
  };

  return (unsigned)r < NET_GRPC_REJS ? names[r] : "unknown";
}

/* ---- streams ------------------------------------------------------------ */

static nghttp2_session *sess(const struct net_grpc_conn *c) {
  return c->session;
}

static struct net_grpc_stream *stream_get(struct net_grpc_conn *c, int32_t id) {
  return c->session ? nghttp2_session_get_stream_user_data(sess(c), id) : NULL;
}

static void stream_free(struct net_grpc_conn *c, struct net_grpc_stream *s) {
  if (s->state == ST_WAIT) {
    ASSERT(c->pending > 0);
    c->pending--;
    core_stat_add(&c->srv->stats->resets, 1);
  }
  if (s->prev)
    s->prev->next = s->next;
  else
    c->streams = s->next;
  if (s->next)
    s->next->prev = s->prev;
  mem_free(c, s->msg);
  mem_free(c, s->reply);
  mem_free(c, s);
}

#define NV(n, v)                                                         \
  {                                                                      \
    (uint8_t *)(n), (uint8_t *)(v), sizeof(n) - 1, strlen(v),            \
        NGHTTP2_NV_FLAG_NONE                                             \
  }

static void count_reply(struct net_grpc_conn *c, const struct net_grpc_stream *s,
                        enum net_grpc_code code) {
  core_stat_add(&c->srv->stats->replies[s->sig][code], 1);
}

/*
 * Trailers-Only answer (one HEADERS with END_STREAM): :status http,
 * grpc-status code, grpc-message msg, and details_b64 in
 * grpc-status-details-bin when not NULL. Returns 0 or -ENOMEM.
 */
static int send_trailers_only(struct net_grpc_conn *c, struct net_grpc_stream *s,
                              int http, enum net_grpc_code code,
                              const char *msg, const char *details_b64) {
  char text[3 * NET_GRPC_STATUS_TEXT_BYTES_MAX + 1], st[4], num[4];
  nghttp2_nv nva[7];
  size_t n = 0;

  snprintf(num, sizeof(num), "%d", http);
  snprintf(st, sizeof(st), "%d", (int)code);
  nva[n++] = (nghttp2_nv)NV(":status", num);
  nva[n++] = (nghttp2_nv)NV("content-type", "application/grpc");
  nva[n++] = (nghttp2_nv)NV("grpc-status", st);
  if (pct_encode(msg, text) > 0)
    nva[n++] = (nghttp2_nv)NV("grpc-message", text);
  if (details_b64)
    nva[n++] = (nghttp2_nv)NV("grpc-status-details-bin", details_b64);
  if (code == NET_GRPC_UNIMPLEMENTED && s->enc_bad)
    nva[n++] = (nghttp2_nv)NV("grpc-accept-encoding",
                              c->srv->gzip ? "identity,gzip" : "identity");
  if (nghttp2_submit_response(sess(c), s->id, nva, n, NULL) != 0)
    return -ENOMEM;
  if (s->state == ST_WAIT) {
    ASSERT(c->pending > 0);
    c->pending--;
  }
  s->state = ST_REPLIED;
  mem_free(c, s->msg);
  s->msg = NULL;
  count_reply(c, s, code);
  return 0;
}

/* The engine refuses a call itself: count why, answer Trailers-Only. */
static void refuse(struct net_grpc_conn *c, struct net_grpc_stream *s,
                   enum net_grpc_reject why, int http, enum net_grpc_code code,
                   const char *msg) {
  char details[(STATUS_PB_BYTES + 2) / 3 * 4 + 1];

  core_stat_add(&c->srv->stats->rejected[why], 1);
  c->calls_done++;
  if (code == NET_GRPC_UNAVAILABLE)
    retry_details(msg, c->srv->retry_after_ms, details);
  if (send_trailers_only(c, s, http, code, msg,
                         code == NET_GRPC_UNAVAILABLE ? details : NULL) < 0)
    nghttp2_submit_rst_stream(sess(c), NGHTTP2_FLAG_NONE, s->id,
                              NGHTTP2_INTERNAL_ERROR);
  s->state = ST_REPLIED;
}

/* ---- answers ------------------------------------------------------------ */

/* DATA of an OK answer: the prefixed response, then the trailers. */
static ssize_t reply_read(nghttp2_session *session, int32_t id, uint8_t *buf,
                          size_t length, uint32_t *flags,
                          nghttp2_data_source *src, void *ud) {
  struct net_grpc_stream *s = src->ptr;
  size_t n = s->reply_len - s->reply_off;
  char st[4];
  nghttp2_nv tr[2];
  size_t k = 0;

  (void)ud;
  if (n > length)
    n = length;
  memcpy(buf, s->reply + s->reply_off, n);
  s->reply_off += n;
  if (s->reply_off < s->reply_len)
    return (ssize_t)n;
  *flags |= NGHTTP2_DATA_FLAG_EOF | NGHTTP2_DATA_FLAG_NO_END_STREAM;
  snprintf(st, sizeof(st), "%d", (int)s->reply_code);
  tr[k++] = (nghttp2_nv)NV("grpc-status", st);
  if (s->reply_text_len)
    tr[k++] = (nghttp2_nv){(uint8_t *)"grpc-message", s->reply + s->reply_len,
                           sizeof("grpc-message") - 1, s->reply_text_len,
                           NGHTTP2_NV_FLAG_NONE};
  if (nghttp2_submit_trailer(session, id, tr, k) != 0)
    return NGHTTP2_ERR_TEMPORAL_CALLBACK_FAILURE;
  return (ssize_t)n;
}

/* Find the stream an answer is for; NULL (counted) when it is gone. */
static struct net_grpc_stream *reply_stream(struct net_grpc_conn *c, int32_t id) {
  struct net_grpc_stream *s = c->dead ? NULL : stream_get(c, id);

  if (!s || s->state != ST_WAIT) {
    core_stat_add(&c->srv->stats->abandoned, 1);
    return NULL;
  }
  return s;
}

int net_grpc_reply(struct net_grpc_conn *c, net_grpc_stream_id stream,
                   enum net_grpc_code code, const char *message,
                   const void *resp, size_t len) {
  char text[3 * NET_GRPC_STATUS_TEXT_BYTES_MAX + 1];
  nghttp2_data_provider prd;
  nghttp2_nv hd[2];
  struct net_grpc_stream *s;
  size_t tlen;

  ASSERT((unsigned)code < NET_GRPC_CODES);
  if (len > NET_GRPC_REPLY_BYTES_MAX)
    return -E2BIG;
  s = reply_stream(c, stream);
  if (!s)
    return -ENOENT;
  if (code != NET_GRPC_OK)
    return send_trailers_only(c, s, 200, code, message, NULL);
  tlen = pct_encode(message, text);
  s->reply = mem_alloc(c, PREFIX_BYTES + len + tlen, false);
  if (!s->reply)
    return -ENOMEM;
  s->reply[0] = 0;
  s->reply[1] = (uint8_t)(len >> 24);
  s->reply[2] = (uint8_t)(len >> 16);
  s->reply[3] = (uint8_t)(len >> 8);
  s->reply[4] = (uint8_t)len;
  if (len)
    memcpy(s->reply + PREFIX_BYTES, resp, len);
  s->reply_len = PREFIX_BYTES + len;
  s->reply_off = 0;
  memcpy(s->reply + s->reply_len, text, tlen);
  s->reply_text_len = tlen;
  s->reply_code = (uint8_t)code;
  hd[0] = (nghttp2_nv)NV(":status", "200");
  hd[1] = (nghttp2_nv)NV("content-type", "application/grpc");
  prd.source.ptr = s;
  prd.read_callback = reply_read;
  if (nghttp2_submit_response(sess(c), s->id, hd, 2, &prd) != 0) {
    mem_free(c, s->reply);
    s->reply = NULL;
    return -ENOMEM;
  }
  ASSERT(c->pending > 0);
  c->pending--;
  s->state = ST_REPLIED;
  count_reply(c, s, code);
  return 0;
}

int net_grpc_reply_retry(struct net_grpc_conn *c, net_grpc_stream_id stream,
                         const char *message, uint32_t retry_after_ms) {
  char details[(STATUS_PB_BYTES + 2) / 3 * 4 + 1];
  struct net_grpc_stream *s = reply_stream(c, stream);

  if (!s)
    return -ENOENT;
  retry_details(message, retry_after_ms, details);
  return send_trailers_only(c, s, 200, NET_GRPC_UNAVAILABLE, message, details);
}

/* ---- requests ----------------------------------------------------------- */

/* Inflate if compressed and hand the message out. */
static void deliver(struct net_grpc_conn *c, struct net_grpc_stream *s) {
  struct net_grpc_server *srv = c->srv;
  const void *body = s->msg ? (const void *)s->msg : "";
  size_t len = s->msg_len;
  char why[96];

  if (s->prefix[0] == 1) {
    int rc = net_gzip_inflate(srv->gzip, s->msg, s->msg_len, srv->inflate_buf,
                              srv->inflated_bytes_max, &len);

    if (rc == -E2BIG) {
      snprintf(why, sizeof(why), "inflated message over %zu bytes",
               srv->inflated_bytes_max);
      refuse(c, s, NET_GRPC_REJ_INFLATED_TOO_BIG, 200,
             NET_GRPC_RESOURCE_EXHAUSTED, why);
      return;
    }
    if (rc < 0) {
      refuse(c, s, NET_GRPC_REJ_GZIP, 200, NET_GRPC_INVALID_ARGUMENT,
             "message is not valid gzip");
      return;
    }
    body = srv->inflate_buf;
  }
  s->state = ST_WAIT;
  c->pending++;
  c->calls_done++;
  srv->on_request(srv->ctx, c, s->id, (enum core_otlp_signal)s->sig, body,
                  len);
  mem_free(c, s->msg);  /* the body lived for the callback only */
  s->msg = NULL;
}

/* The client ended its side: exactly one whole message must have come. */
static void request_end(struct net_grpc_conn *c, struct net_grpc_stream *s) {
  if (s->state != ST_BODY)
    return;
  if (s->prefix_len == 0) {
    refuse(c, s, NET_GRPC_REJ_FRAMING, 200, NET_GRPC_INVALID_ARGUMENT,
           "no request message");
    return;
  }
  if (s->prefix_len < PREFIX_BYTES || s->msg_got < s->msg_len) {
    refuse(c, s, NET_GRPC_REJ_FRAMING, 200, NET_GRPC_INVALID_ARGUMENT,
           "request message truncated");
    return;
  }
  deliver(c, s);
}

/* Validate the request headers; refuse the call or start its body. */
static void headers_end(struct net_grpc_conn *c, struct net_grpc_stream *s) {
  char why[96];

  if (!s->ct_ok) {
    refuse(c, s, NET_GRPC_REJ_CONTENT_TYPE, 415, NET_GRPC_INTERNAL,
           s->ct_seen ? "content-type is not application/grpc"
                      : "no content-type");
  } else if (!s->post || s->sig == NET_GRPC_SIGNAL_NONE) {
    refuse(c, s, NET_GRPC_REJ_METHOD, 200, NET_GRPC_UNIMPLEMENTED,
           s->post ? "unknown method" : "method must be POST");
  } else if (s->list_over) {
    snprintf(why, sizeof(why), "header list over %u bytes",
             c->srv->header_list_bytes_max);
    refuse(c, s, NET_GRPC_REJ_HEADERS, 200, NET_GRPC_RESOURCE_EXHAUSTED, why);
  } else if (!s->te_ok) {
    refuse(c, s, NET_GRPC_REJ_HEADERS, 200, NET_GRPC_INVALID_ARGUMENT,
           "te: trailers missing");
  } else if (s->enc_bad) {
    refuse(c, s, NET_GRPC_REJ_ENCODING, 200, NET_GRPC_UNIMPLEMENTED,
           "grpc-encoding not supported");
  } else {
    s->state = ST_BODY;
  }
}

/* The 5-byte prefix is in: check it and make room for the message. */
static int prefix_done(struct net_grpc_conn *c, struct net_grpc_stream *s) {
  const uint8_t *p = s->prefix;
  uint32_t len = (uint32_t)p[1] << 24 | (uint32_t)p[2] << 16 |
                 (uint32_t)p[3] << 8 | p[4];
  char why[96];

  if (p[0] > 1) {
    refuse(c, s, NET_GRPC_REJ_FRAMING, 200, NET_GRPC_INVALID_ARGUMENT,
           "bad compressed flag");
    return -1;
  }
  if (p[0] == 1 && !s->gzip) {
    /* grpc/doc/compression.md: INTERNAL */
    refuse(c, s, NET_GRPC_REJ_FRAMING, 200, NET_GRPC_INTERNAL,
           "compressed flag set without grpc-encoding");
    return -1;
  }
  if (len > c->srv->message_bytes_max) {
    snprintf(why, sizeof(why), "message of %u bytes over %zu", len,
             c->srv->message_bytes_max);
    refuse(c, s, NET_GRPC_REJ_TOO_BIG, 200, NET_GRPC_RESOURCE_EXHAUSTED, why);
    return -1;
  }
  s->msg_len = len;
  s->msg_got = 0;
  return 0;
}

/*
 * Room for n more message bytes. The buffer grows as bytes arrive
 * (doubling, up to the declared length), so a stream holds what its
 * client sent, not what it declared; nghttp2's reserve is left alone, so
 * a full connection answers UNAVAILABLE instead of dying.
 * Returns 0, or -1 after refusing the call.
 */
static int msg_room(struct net_grpc_conn *c, struct net_grpc_stream *s,
                    size_t n) {
  size_t need = (size_t)s->msg_got + n, cap;
  uint8_t *m;

  if (need <= s->msg_cap)
    return 0;
  cap = s->msg_cap ? (size_t)s->msg_cap * 2 : MSG_CAP_MIN_BYTES;
  cap = cap < need ? need : cap;
  cap = cap > s->msg_len ? s->msg_len : cap;
  if (c->mem_bytes + (cap - s->msg_cap) + HDR_BYTES +
              NET_GRPC_SESSION_RESERVE_BYTES >
          c->srv->conn_memory_bytes_max ||
      !(m = mem_realloc(c, s->msg, cap))) {
    c->refused = 0;  /* answered: not the connection's failure */
    refuse(c, s, NET_GRPC_REJ_MEMORY, 200, NET_GRPC_UNAVAILABLE,
           "server memory for requests is full, retry later");
    return -1;
  }
  s->msg = m;
  s->msg_cap = (uint32_t)cap;
  return 0;
}

/* DATA bytes of a request: prefix, then the message. */
static void body_bytes(struct net_grpc_conn *c, struct net_grpc_stream *s,
                       const uint8_t *in, size_t len) {
  while (len > 0 && s->state == ST_BODY) {
    size_t n;

    if (s->prefix_len == PREFIX_BYTES && s->msg_got == s->msg_len) {
      refuse(c, s, NET_GRPC_REJ_FRAMING, 200, NET_GRPC_INVALID_ARGUMENT,
             "more than one request message in a unary call");
      return;
    }
    if (s->prefix_len < PREFIX_BYTES) {
      n = PREFIX_BYTES - s->prefix_len;
      n = n < len ? n : len;
      memcpy(s->prefix + s->prefix_len, in, n);
      s->prefix_len = (uint8_t)(s->prefix_len + n);
      if (s->prefix_len == PREFIX_BYTES && prefix_done(c, s) < 0)
        return;
    } else {
      n = s->msg_len - s->msg_got;
      n = n < len ? n : len;
      if (msg_room(c, s, n) < 0)
        return;
      memcpy(s->msg + s->msg_got, in, n);
      s->msg_got += (uint32_t)n;
    }
    in += n;
    len -= n;
  }
}

/* ---- nghttp2 callbacks --------------------------------------------------- */

static ssize_t on_send(nghttp2_session *session, const uint8_t *data,
                       size_t length, int flags, void *ud) {
  struct net_grpc_conn *c = ud;
  size_t room = sizeof(c->out) - c->out_len;

  (void)session;
  (void)flags;
  if (room == 0)
    return NGHTTP2_ERR_WOULDBLOCK;
  if (length > room)
    length = room;
  memcpy(c->out + c->out_len, data, length);
  c->out_len += length;
  return (ssize_t)length;
}

static int on_begin_headers(nghttp2_session *session, const nghttp2_frame *f,
                            void *ud) {
  struct net_grpc_conn *c = ud;
  struct net_grpc_stream *s;

  if (f->hd.type != NGHTTP2_HEADERS || f->headers.cat != NGHTTP2_HCAT_REQUEST)
    return 0;
  s = mem_alloc(c, sizeof(*s), true);
  if (!s) {
    c->refused = 0;
    core_stat_add(&c->srv->stats->rejected[NET_GRPC_REJ_MEMORY], 1);
    return NGHTTP2_ERR_TEMPORAL_CALLBACK_FAILURE;  /* RST_STREAM */
  }
  s->id = f->hd.stream_id;
  s->sig = NET_GRPC_SIGNAL_NONE;
  s->next = c->streams;
  if (s->next)
    s->next->prev = s;
  c->streams = s;
  if (nghttp2_session_set_stream_user_data(session, s->id, s) != 0) {
    stream_free(c, s);
    return NGHTTP2_ERR_TEMPORAL_CALLBACK_FAILURE;
  }
  return 0;
}

static bool eq(const uint8_t *a, size_t alen, const char *lit) {
  return alen == strlen(lit) && memcmp(a, lit, alen) == 0;
}

static bool eq_nocase(const uint8_t *a, size_t alen, const char *lit) {
  return alen == strlen(lit) && strncasecmp((const char *)a, lit, alen) == 0;
}

static void request_header(struct net_grpc_conn *c, struct net_grpc_stream *s,
                           const uint8_t *name, size_t nlen,
                           const uint8_t *value, size_t vlen) {
  unsigned i;

  if (eq(name, nlen, ":method")) {
    s->post = eq(value, vlen, "POST");
  } else if (eq(name, nlen, ":path")) {
    for (i = 0; i < CORE_OTLP_SIGNALS; i++)
      if (eq(value, vlen, paths[i]))
        s->sig = (uint8_t)i;
  } else if (eq(name, nlen, "content-type")) {
    s->ct_seen = 1;
    s->ct_ok = eq_nocase(value, vlen, "application/grpc") ||
               eq_nocase(value, vlen, "application/grpc+proto");
  } else if (eq(name, nlen, "te")) {
    s->te_ok = eq(value, vlen, "trailers");
  } else if (eq(name, nlen, "grpc-encoding")) {
    s->gzip = eq(value, vlen, "gzip") && c->srv->gzip;
    s->enc_bad = !s->gzip && !eq(value, vlen, "identity");
  }
}

static int on_header(nghttp2_session *session, const nghttp2_frame *f,
                     const uint8_t *name, size_t nlen, const uint8_t *value,
                     size_t vlen, uint8_t flags, void *ud) {
  struct net_grpc_conn *c = ud;
  struct net_grpc_stream *s = nghttp2_session_get_stream_user_data(session,
                                                          f->hd.stream_id);

  (void)flags;
  if (!s)
    return 0;
  /* RFC 9113 6.5.2: name + value + 32 per field, trailers included */
  if (s->header_bytes + nlen + vlen + 32 > c->srv->header_list_bytes_max) {
    s->list_over = 1;
    return 0;
  }
  s->header_bytes += (uint32_t)(nlen + vlen + 32);
  if (f->hd.type == NGHTTP2_HEADERS && f->headers.cat == NGHTTP2_HCAT_REQUEST)
    request_header(c, s, name, nlen, value, vlen);
  return 0;
}

static int on_frame_recv(nghttp2_session *session, const nghttp2_frame *f,
                         void *ud) {
  struct net_grpc_conn *c = ud;
  struct net_grpc_stream *s;

  if (f->hd.type == NGHTTP2_SETTINGS)
    c->settled = 1; /* nghttp2 checked the preface before it */
  if (f->hd.type != NGHTTP2_HEADERS && f->hd.type != NGHTTP2_DATA)
    return 0;
  s = nghttp2_session_get_stream_user_data(session, f->hd.stream_id);
  if (!s)
    return 0;
  if (f->hd.type == NGHTTP2_HEADERS && s->state == ST_HEADERS)
    headers_end(c, s);
  if (f->hd.flags & NGHTTP2_FLAG_END_STREAM)
    request_end(c, s);
  return 0;
}

static int on_data(nghttp2_session *session, uint8_t flags, int32_t id,
                   const uint8_t *data, size_t len, void *ud) {
  struct net_grpc_stream *s = nghttp2_session_get_stream_user_data(session, id);

  (void)flags;
  if (s)
    body_bytes(ud, s, data, len);
  return 0;
}

/* After an answer's END_STREAM, a client still sending is told to stop
 * (RST_STREAM NO_ERROR, PROTOCOL-HTTP2.md). */
static int on_frame_send(nghttp2_session *session, const nghttp2_frame *f,
                         void *ud) {
  struct net_grpc_conn *c = ud;

  /* A protocol error nghttp2 handled itself (a frame too large, DATA on
   * stream 0, a bad window update): mem_recv succeeded, so conn_fail did
   * not see it; count it here, where its GOAWAY goes out. */
  if (f->hd.type == NGHTTP2_GOAWAY &&
      f->goaway.error_code != NGHTTP2_NO_ERROR && !c->dead) {
    core_stat_add(&c->srv->stats->conn_errors, 1);
    c->error = nghttp2_http2_strerror(f->goaway.error_code);
    c->dead = 1;
  }
  if ((f->hd.type == NGHTTP2_HEADERS || f->hd.type == NGHTTP2_DATA) &&
      (f->hd.flags & NGHTTP2_FLAG_END_STREAM) &&
      nghttp2_session_get_stream_remote_close(session, f->hd.stream_id) == 0)
    nghttp2_submit_rst_stream(session, NGHTTP2_FLAG_NONE, f->hd.stream_id,
                              NGHTTP2_NO_ERROR);
  return 0;
}

static int on_stream_close(nghttp2_session *session, int32_t id,
                           uint32_t error_code, void *ud) {
  struct net_grpc_stream *s = nghttp2_session_get_stream_user_data(session, id);

  (void)error_code;
  if (s)
    stream_free(ud, s);
  return 0;
}

/* ---- server and connection ---------------------------------------------- */

int net_grpc_server_init(struct net_grpc_server *srv) {
  nghttp2_session_callbacks *cb;
  nghttp2_option *opt;

  ASSERT(srv->on_request && srv->stats && srv->budget);
  if (!srv->message_bytes_max)
    srv->message_bytes_max = NET_GRPC_MESSAGE_BYTES_MAX;
  if (!srv->conn_memory_bytes_max)
    srv->conn_memory_bytes_max = NET_GRPC_CONN_MEMORY_BYTES_MAX;
  if (!srv->streams_max)
    srv->streams_max = NET_GRPC_STREAMS_MAX;
  if (!srv->header_list_bytes_max)
    srv->header_list_bytes_max = NET_GRPC_HEADER_LIST_BYTES_MAX;
  if (!srv->retry_after_ms)
    srv->retry_after_ms = NET_GRPC_RETRY_AFTER_MS;
  ASSERT(!srv->gzip || (srv->inflate_buf && srv->inflated_bytes_max));
  if (nghttp2_session_callbacks_new(&cb) != 0)
    return -ENOMEM;
  if (nghttp2_option_new(&opt) != 0) {
    nghttp2_session_callbacks_del(cb);
    return -ENOMEM;
  }
  nghttp2_session_callbacks_set_send_callback(cb, on_send);
  nghttp2_session_callbacks_set_on_begin_headers_callback(cb, on_begin_headers);
  nghttp2_session_callbacks_set_on_header_callback(cb, on_header);
  nghttp2_session_callbacks_set_on_frame_recv_callback(cb, on_frame_recv);
  nghttp2_session_callbacks_set_on_data_chunk_recv_callback(cb, on_data);
  nghttp2_session_callbacks_set_on_frame_send_callback(cb, on_frame_send);
  nghttp2_session_callbacks_set_on_stream_close_callback(cb, on_stream_close);
  nghttp2_option_set_no_closed_streams(opt, 1);
  nghttp2_option_set_max_deflate_dynamic_table_size(opt, 256);
  nghttp2_option_set_stream_reset_rate_limit(opt, NET_GRPC_RESETS_BURST,
                                             NET_GRPC_RESETS_PER_S);
  srv->callbacks = cb;
  srv->option = opt;
  return 0;
}

void net_grpc_server_free(struct net_grpc_server *srv) {
  nghttp2_session_callbacks_del(srv->callbacks);
  nghttp2_option_del(srv->option);
  srv->callbacks = srv->option = NULL;
}

int net_grpc_conn_init(struct net_grpc_conn *c, struct net_grpc_server *srv,
                       void *user) {
  nghttp2_settings_entry iv[] = {
      {NGHTTP2_SETTINGS_MAX_CONCURRENT_STREAMS, srv->streams_max},
      {NGHTTP2_SETTINGS_MAX_HEADER_LIST_SIZE, srv->header_list_bytes_max},
      {NGHTTP2_SETTINGS_INITIAL_WINDOW_SIZE, NET_GRPC_STREAM_WINDOW_BYTES},
  };
  nghttp2_mem mem;
  nghttp2_session *session;

  memset(c, 0, offsetof(struct net_grpc_conn, out));
  c->srv = srv;
  c->user = user;
  mem = (nghttp2_mem){c, ng_malloc, ng_free, ng_calloc, ng_realloc};
  if (nghttp2_session_server_new3(&session, srv->callbacks, c, srv->option,
                                  &mem) != 0)
    goto fail;
  c->session = session;
  if (nghttp2_submit_settings(session, NGHTTP2_FLAG_NONE, iv,
                              sizeof(iv) / sizeof(iv[0])) != 0 ||
      nghttp2_session_set_local_window_size(session, NGHTTP2_FLAG_NONE, 0,
                                            NET_GRPC_CONN_WINDOW_BYTES) != 0)
    goto fail;
  core_stat_add(&srv->stats->conns, 1);
  return 0;
fail:
  if (c->session)
    nghttp2_session_del(c->session);
  c->session = NULL;
  return c->refused ? -ENOBUFS : -ENOMEM;
}

void net_grpc_conn_free(struct net_grpc_conn *c) {
  if (!c->session)
    return;
  while (c->streams) {
    if (c->streams->state == ST_WAIT) {  /* its answer will find nothing */
      c->streams->state = ST_REPLIED;
      c->pending--;
      core_stat_add(&c->srv->stats->abandoned, 1);
    }
    stream_free(c, c->streams);
  }
  ASSERT(c->pending == 0);
  nghttp2_session_del(c->session);
  c->session = NULL;
  ASSERT(c->mem_bytes == 0);
  core_stat_set(&c->srv->stats->conns, core_stat_get(&c->srv->stats->conns) - 1);
}

/* A connection error: GOAWAY if nghttp2 can still send one, then done. */
static int conn_fail(struct net_grpc_conn *c, int rv) {
  if (!c->dead) {
    core_stat_add(&c->srv->stats->conn_errors, 1);
    c->error = c->refused == 1   ? "connection memory bound reached"
               : c->refused == 2 ? "shard memory budget for gRPC full"
                                 : nghttp2_strerror(rv);
    c->dead = 1;
    nghttp2_session_terminate_session(sess(c), rv == NGHTTP2_ERR_NOMEM
                                                   ? NGHTTP2_INTERNAL_ERROR
                                                   : NGHTTP2_PROTOCOL_ERROR);
  }
  return -EPROTO;
}

int net_grpc_feed(struct net_grpc_conn *c, const void *in, size_t len) {
  ssize_t rv;

  ASSERT(c->session);
  if (c->dead)
    return -EPROTO;
  rv = nghttp2_session_mem_recv(sess(c), in, len);
  if (rv < 0)
    return conn_fail(c, (int)rv);
  ASSERT((size_t)rv == len);
  return 0;
}

size_t net_grpc_output(struct net_grpc_conn *c, const void **out) {
  int rv;

  if (c->session && c->dead < 2 && c->out_len < sizeof(c->out)) {
    rv = nghttp2_session_send(sess(c));
    if (rv < 0) {
      conn_fail(c, rv);
      c->dead = 2;  /* nghttp2 cannot send any more: close after out[] */
    }
  }
  *out = c->out;
  return c->out_len;
}

void net_grpc_consume(struct net_grpc_conn *c, size_t n) {
  ASSERT(n <= c->out_len);
  memmove(c->out, c->out + n, c->out_len - n);
  c->out_len -= n;
}

bool net_grpc_done(const struct net_grpc_conn *c) {
  if (c->out_len > 0)
    return false;
  if (!c->session || c->dead == 2)
    return true;
  return !nghttp2_session_want_read(sess(c)) &&
         !nghttp2_session_want_write(sess(c));
}

bool net_grpc_settled(const struct net_grpc_conn *c) {
  return c->settled != 0;
}

uint32_t net_grpc_receiving(const struct net_grpc_conn *c) {
  uint32_t n = 0;

  for (const struct net_grpc_stream *s = c->streams; s; s = s->next)
    n += s->state == ST_HEADERS || s->state == ST_BODY;
  return n;
}

void net_grpc_shutdown(struct net_grpc_conn *c) {
  if (!c->session || c->dead)
    return;
  nghttp2_submit_goaway(sess(c), NGHTTP2_FLAG_NONE,
                        nghttp2_session_get_last_proc_stream_id(sess(c)),
                        NGHTTP2_NO_ERROR, NULL, 0);
}
