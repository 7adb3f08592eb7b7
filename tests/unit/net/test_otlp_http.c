/*
 * tests/unit/net/test_otlp_http.c - what the OTLP/HTTP listener reads of a
 * request's head and the bytes of its replies (net/otlp_http_reply.c):
 * routes, media types, Export responses with and without partial_success
 * in protobuf (decoded back field by field) and JSON, google.rpc.Status
 * bodies, and whole responses.
 */
#include <criterion/criterion.h>
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
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
