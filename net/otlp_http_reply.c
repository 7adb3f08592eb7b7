/*
 * net/otlp_http_reply.c - what the OTLP/HTTP listener reads of a request's
 * head and the replies it writes (see net/otlp_http.h). Pure: tested byte
 * for byte without sockets.
 *
 * Wire forms (opentelemetry/proto/collector/<signal>/v1, google/rpc):
 *   Export<signal>ServiceResponse  1: partial_success (message)
 *     Export<signal>PartialSuccess 1: rejected_<items> (int64)
 *                                  2: error_message (string)
 *   google.rpc.Status              1: code (int32)  2: message (string)
 * JSON (proto3 mapping): lowerCamelCase names, int64 as a string.
 */
#include "net/otlp_http.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "net/http.h"
#include "net/http_internal.h"

int net_otlp_route(const char *path, enum core_otlp_signal *sig) {
  static const char *const paths[CORE_OTLP_SIGNALS] = {
      [CORE_OTLP_METRICS] = "/v1/metrics",
      [CORE_OTLP_LOGS] = "/v1/logs",
      [CORE_OTLP_TRACES] = "/v1/traces",
  };

  for (int i = 0; i < CORE_OTLP_SIGNALS; i++)
    if (path != NULL && strcmp(path, paths[i]) == 0) {
      *sig = (enum core_otlp_signal)i;
      return 0;
    }
  return -ENOENT;
}

int net_otlp_content_type(const char *ct, enum core_otlp_enc *enc) {
  size_t n;

  if (ct == NULL)
    return -EINVAL;
  n = strcspn(ct, ";");
  while (n > 0 && (ct[n - 1] == ' ' || ct[n - 1] == '\t'))
    n--;
  if (net_http_ieq_n(ct, n, "application/x-protobuf"))
    *enc = CORE_OTLP_ENC_PROTO;
  else if (net_http_ieq_n(ct, n, "application/json"))
    *enc = CORE_OTLP_ENC_JSON;
  else
    return -EINVAL;
  return 0;
}

/* ---- protobuf ------------------------------------------------------------ */

static size_t put_varint(char *out, uint64_t v) {
  size_t n = 0;

  while (v >= 0x80) {
    out[n++] = (char)(v | 0x80);
    v >>= 7;
  }
  out[n++] = (char)v;
  return n;
}

/* Field 1 varint, then field 2 string: both messages have this shape.
 * The message is cut so that the whole fits cap (with the outer tag). */
static size_t pb_num_str(uint64_t num, int num_present, const char *msg,
                         char *out, size_t cap) {
  size_t n = 0, mlen = strlen(msg);

  if (cap < 32)
    return 0;
  if (mlen > cap - 32)
    mlen = cap - 32;
  if (num_present) {
    out[n++] = 0x08;
    n += put_varint(out + n, num);
  }
  if (mlen > 0) {
    out[n++] = 0x12;
    n += put_varint(out + n, mlen);
    memcpy(out + n, msg, mlen);
    n += mlen;
  }
  return n;
}

/* ---- JSON ---------------------------------------------------------------- */

/* msg as a JSON string (quotes included) into out; cut to fit cap.
 * Returns the length, or 0 if not even "" fits. */
static size_t json_str(const char *msg, char *out, size_t cap) {
  size_t n = 0;

  if (cap < 2)
    return 0;
  out[n++] = '"';
  for (const unsigned char *p = (const unsigned char *)msg; *p; p++) {
    char esc[8];
    size_t e = 0;
    if (*p == '"' || *p == '\\') {
      esc[e++] = '\\';
      esc[e++] = (char)*p;
    } else if (*p < 0x20 || *p == 0x7f) {
      e = (size_t)snprintf(esc, sizeof(esc), "\\u%04x", *p);
    } else {
      esc[e++] = (char)*p;
    }
    if (n + e + 1 > cap)
      break;
    memcpy(out + n, esc, e);
    n += e;
  }
  out[n++] = '"';
  return n;
}

size_t net_otlp_export_response(enum core_otlp_signal sig,
                                 enum core_otlp_enc enc, uint64_t rejected,
                                 const char *msg, char *out, size_t cap) {
  static const char *const field[CORE_OTLP_SIGNALS] = {
      [CORE_OTLP_METRICS] = "rejectedDataPoints",
      [CORE_OTLP_LOGS] = "rejectedLogRecords",
      [CORE_OTLP_TRACES] = "rejectedSpans",
  };
  size_t n, inner;
  int w;

  if (rejected == 0 && msg[0] == '\0') {
    if (enc == CORE_OTLP_ENC_PROTO || cap < 2)
      return 0;
    memcpy(out, "{}", 2);
    return 2;
  }
  if (enc == CORE_OTLP_ENC_PROTO) {
    if (cap < 40)
      return 0;
    inner = pb_num_str(rejected, 1, msg, out + 12, cap - 12);
    out[0] = 0x0a;
    n = 1 + put_varint(out + 1, inner);
    memmove(out + n, out + 12, inner);
    return n + inner;
  }
  w = snprintf(out, cap, "{\"partialSuccess\":{\"%s\":\"%" PRIu64
               "\",\"errorMessage\":", field[sig], rejected);
  if (w < 0 || (size_t)w + 4 > cap)
    return 0;
  n = (size_t)w;
  n += json_str(msg, out + n, cap - n - 2);
  out[n++] = '}';
  out[n++] = '}';
  return n;
}

/* The gRPC code an HTTP status stands for (google.rpc.Code). */
static int grpc_code(int status) {
  switch (status) {
  case 400: case 413: case 415: case 417: case 431:
    return 3;  /* INVALID_ARGUMENT */
  case 404:
    return 5;  /* NOT_FOUND */
  case 405: case 501: case 505:
    return 12; /* UNIMPLEMENTED */
  case 408:
    return 4;  /* DEADLINE_EXCEEDED */
  case 429:
    return 8;  /* RESOURCE_EXHAUSTED */
  case 503:
    return 14; /* UNAVAILABLE */
  default:
    return 13; /* INTERNAL */
  }
}

size_t net_otlp_status_body(enum core_otlp_enc enc, int http_status,
                            const char *msg, char *out, size_t cap) {
  size_t n;
  int w;

  if (enc == CORE_OTLP_ENC_PROTO)
    return pb_num_str((uint64_t)grpc_code(http_status), 1, msg, out, cap);
  w = snprintf(out, cap, "{\"code\":%d,\"message\":", grpc_code(http_status));
  if (w < 0 || (size_t)w + 3 > cap)
    return 0;
  n = (size_t)w;
  n += json_str(msg, out + n, cap - n - 1);
  out[n++] = '}';
  return n;
}

size_t net_otlp_response(int status, enum core_otlp_enc enc, int retry_after_s,
                         int close, const char *body, size_t body_len,
                         char *out, size_t cap) {
  char retry[48] = "";
  int w;

  if (retry_after_s > 0)
    snprintf(retry, sizeof(retry), "Retry-After: %d\r\n", retry_after_s);
  w = snprintf(out, cap,
               "HTTP/1.1 %d %s\r\nContent-Type: %s\r\nContent-Length: %zu\r\n"
               "%s%s%s\r\n",
               status, net_http_reason(status),
               enc == CORE_OTLP_ENC_JSON ? "application/json"
                                         : "application/x-protobuf",
               body_len, retry, status == 405 ? "Allow: POST\r\n" : "",
               close ? "Connection: close\r\n" : "");
  if (w < 0 || (size_t)w + body_len > cap)
    return 0;
  memcpy(out + w, body, body_len);
  return (size_t)w + body_len;
}
