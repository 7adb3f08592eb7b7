/*
 * tests/unit/net/test_prompb.c - the prompb writer, the name mapping and
 * the snappy wrappers.
 *
 * What the writer encodes is decoded back with the project's wire reader
 * (core/parse/pb.h) field by field, against the numbers of prompb's
 * types.proto and remote.proto; known bytes pin the encoding itself. The
 * snappy wrappers are checked for round trips and for refusing, from the
 * header alone, a block that would inflate past the bound.
 */
#include <criterion/criterion.h>
#include <errno.h>
#include <math.h>
#include <snappy-c.h>
#include <stdlib.h>
#include <string.h>

#include "core/base/strbuf.h"
#include "core/parse/pb.h"
#include "net/prompb.h"

static struct core_strbuf buf;
static struct net_prompb_w w;

static void start(size_t max) {
  core_strbuf_init(&buf, max);
  net_prompb_w_init(&w, &buf);
}

static void finish(void) { core_strbuf_free(&buf); }

TestSuite(prompb, .fini = finish);

Test(prompb, known_bytes) {
  static const uint8_t want[] = {
      0x0a, 0x0b,                         /* Label in field 1, 11 bytes */
      0x0a, 0x03, 'a', '_', 'b',          /* name */
      0x12, 0x04, 'p', 'r', 'o', 'd',     /* value */
      0x12, 0x0b,                         /* Sample in field 2, 11 bytes */
      0x09, 0, 0, 0, 0, 0, 0, 0xf0, 0x3f, /* value 1.0 */
      0x10, 0x01};                        /* timestamp 1 */
  start(1 << 20);
  net_prompb_label(&w, 1, "a_b", 3, "prod", 4);
  net_prompb_sample(&w, 2, 1.0, 1);
  cr_assert_eq(net_prompb_w_status(&w), 0);
  cr_assert_eq(buf.len, sizeof(want));
  cr_assert_eq(memcmp(buf.data, want, sizeof(want)), 0);
}

/* Read the next tag and check it. */
static void want_tag(struct core_pb *r, uint32_t field, enum core_pb_wire wt) {
  uint32_t f;
  enum core_pb_wire t;

  cr_assert_eq(core_pb_tag(r, &f, &t), 1);
  cr_assert_eq(f, field);
  cr_assert_eq(t, wt);
}

static void want_str(struct core_pb *r, uint32_t field, const char *s) {
  struct core_pb_bytes b = {0};

  want_tag(r, field, CORE_PB_LEN);
  cr_assert_eq(core_pb_bytes(r, &b), 0);
  cr_assert_eq(b.len, strlen(s));
  cr_assert_eq(memcmp(b.ptr, s, b.len), 0);
}

static uint64_t want_varint(struct core_pb *r, uint32_t field) {
  uint64_t v;

  want_tag(r, field, CORE_PB_VARINT);
  cr_assert_eq(core_pb_varint(r, &v), 0);
  return v;
}

static double want_double(struct core_pb *r, uint32_t field) {
  uint64_t u = 0;
  double d;

  want_tag(r, field, CORE_PB_I64);
  cr_assert_eq(core_pb_fixed64(r, &u), 0);
  memcpy(&d, &u, sizeof(d));
  return d;
}

/* ReadResponse{results: [QueryResult{timeseries: [TimeSeries{labels,
 * samples}]}]}, with a sample long enough that its message lengths need
 * two-byte varints, decoded back. */
Test(prompb, read_response_roundtrip) {
  struct core_pb r = {0}, res = {0}, ts = {0}, x = {0};
  const char *why = NULL;
  char big[300];

  memset(big, 'v', sizeof(big) - 1);
  big[sizeof(big) - 1] = '\0';
  start(1 << 20);
  net_prompb_begin(&w, NET_PROMPB_READRESP_RESULTS);
  net_prompb_begin(&w, NET_PROMPB_RESULT_TIMESERIES);
  net_prompb_label(&w, NET_PROMPB_TS_LABELS, "__name__", 8, "web_req", 7);
  net_prompb_label(&w, NET_PROMPB_TS_LABELS, "big", 3, big, strlen(big));
  net_prompb_sample(&w, NET_PROMPB_TS_SAMPLES, -2.5, 1700000000123);
  net_prompb_sample(&w, NET_PROMPB_TS_SAMPLES, NAN, -5);
  net_prompb_end(&w);
  net_prompb_end(&w);
  cr_assert_eq(net_prompb_w_status(&w), 0);

  core_pb_init(&r, buf.data, buf.len, &why);
  want_tag(&r, NET_PROMPB_READRESP_RESULTS, CORE_PB_LEN);
  cr_assert_eq(core_pb_sub(&r, CORE_PB_LEN, &res), 0);
  cr_assert_eq(core_pb_left(&r), 0);
  want_tag(&res, NET_PROMPB_RESULT_TIMESERIES, CORE_PB_LEN);
  cr_assert_eq(core_pb_sub(&res, CORE_PB_LEN, &ts), 0);
  cr_assert_eq(core_pb_left(&res), 0);
  want_tag(&ts, NET_PROMPB_TS_LABELS, CORE_PB_LEN);
  cr_assert_eq(core_pb_sub(&ts, CORE_PB_LEN, &x), 0);
  want_str(&x, NET_PROMPB_LABEL_NAME, "__name__");
  want_str(&x, NET_PROMPB_LABEL_VALUE, "web_req");
  cr_assert_eq(core_pb_left(&x), 0);
  want_tag(&ts, NET_PROMPB_TS_LABELS, CORE_PB_LEN);
  cr_assert_eq(core_pb_sub(&ts, CORE_PB_LEN, &x), 0);
  want_str(&x, NET_PROMPB_LABEL_NAME, "big");
  want_str(&x, NET_PROMPB_LABEL_VALUE, big);
  want_tag(&ts, NET_PROMPB_TS_SAMPLES, CORE_PB_LEN);
  cr_assert_eq(core_pb_sub(&ts, CORE_PB_LEN, &x), 0);
  cr_assert_eq(want_double(&x, NET_PROMPB_SAMPLE_VALUE), -2.5);
  cr_assert_eq(want_varint(&x, NET_PROMPB_SAMPLE_TIMESTAMP), 1700000000123);
  want_tag(&ts, NET_PROMPB_TS_SAMPLES, CORE_PB_LEN);
  cr_assert_eq(core_pb_sub(&ts, CORE_PB_LEN, &x), 0);
  cr_assert(isnan(want_double(&x, NET_PROMPB_SAMPLE_VALUE)));
  cr_assert_eq((int64_t)want_varint(&x, NET_PROMPB_SAMPLE_TIMESTAMP), -5);
  cr_assert_eq(core_pb_left(&ts), 0);
}

Test(prompb, chunked_series_roundtrip) {
  struct core_pb r, cs, ch;
  struct core_pb_bytes b = {0};
  const char *why = NULL;
  const uint8_t data[] = {0, 1, 0x80, 0xff};

  start(1 << 20);
  net_prompb_begin(&w, NET_PROMPB_CHUNKED_SERIES);
  net_prompb_label(&w, NET_PROMPB_CSERIES_LABELS, "k", 1, "v", 1);
  net_prompb_chunk(&w, NET_PROMPB_CSERIES_CHUNKS, 10, 20,
                   NET_PROMPB_CHUNK_XOR, data, sizeof(data));
  net_prompb_end(&w);
  net_prompb_varint(&w, NET_PROMPB_CHUNKED_QUERY_INDEX, 3);
  cr_assert_eq(net_prompb_w_status(&w), 0);
  core_pb_init(&r, buf.data, buf.len, &why);
  want_tag(&r, NET_PROMPB_CHUNKED_SERIES, CORE_PB_LEN);
  cr_assert_eq(core_pb_sub(&r, CORE_PB_LEN, &cs), 0);
  cr_assert_eq(want_varint(&r, NET_PROMPB_CHUNKED_QUERY_INDEX), 3);
  want_tag(&cs, NET_PROMPB_CSERIES_LABELS, CORE_PB_LEN);
  cr_assert_eq(core_pb_skip(&cs, CORE_PB_LEN), 0);
  want_tag(&cs, NET_PROMPB_CSERIES_CHUNKS, CORE_PB_LEN);
  cr_assert_eq(core_pb_sub(&cs, CORE_PB_LEN, &ch), 0);
  cr_assert_eq(want_varint(&ch, NET_PROMPB_CHUNK_MIN_TIME_MS), 10);
  cr_assert_eq(want_varint(&ch, NET_PROMPB_CHUNK_MAX_TIME_MS), 20);
  cr_assert_eq(want_varint(&ch, NET_PROMPB_CHUNK_TYPE), 1);
  want_tag(&ch, NET_PROMPB_CHUNK_DATA, CORE_PB_LEN);
  cr_assert_eq(core_pb_bytes(&ch, &b), 0);
  cr_assert_eq(b.len, sizeof(data));
  cr_assert_eq(memcmp(b.ptr, data, sizeof(data)), 0);
}

/* A message of 2^21 bytes needs a 4-byte length: the slot shrinks by 1. */
Test(prompb, long_message_length) {
  struct core_pb r = {0}, ts = {0};
  const char *why = NULL;
  char *v = malloc(1 << 21);

  cr_assert_not_null(v);
  memset(v, 'x', 1 << 21);
  start(4 << 20);
  net_prompb_begin(&w, NET_PROMPB_WRITE_TIMESERIES);
  net_prompb_label(&w, NET_PROMPB_TS_LABELS, "k", 1, v, 1 << 21);
  net_prompb_end(&w);
  cr_assert_eq(net_prompb_w_status(&w), 0);
  core_pb_init(&r, buf.data, buf.len, &why);
  want_tag(&r, NET_PROMPB_WRITE_TIMESERIES, CORE_PB_LEN);
  cr_assert_eq(core_pb_sub(&r, CORE_PB_LEN, &ts), 0);
  cr_assert_eq(core_pb_left(&r), 0);
  cr_assert_eq(core_pb_left(&ts), (1 << 21) + 1 + 3 + 3 + 1 + 4 + 1);
  free(v);
}

Test(prompb, bounds) {
  start(16);
  net_prompb_bytes(&w, 1, "0123456789abcdef", 16);
  cr_assert_eq(net_prompb_w_status(&w), -ENOMEM);
  net_prompb_varint(&w, 1, 1); /* sticks */
  cr_assert_eq(net_prompb_w_status(&w), -ENOMEM);
  finish();

  start(1 << 20);
  for (int i = 0; i <= NET_PROMPB_DEPTH_MAX; i++)
    net_prompb_begin(&w, 1);
  cr_assert_eq(net_prompb_w_status(&w), -E2BIG);
  finish();

  start(1 << 20);
  net_prompb_begin(&w, 1);
  cr_assert_eq(net_prompb_w_status(&w), -EINVAL); /* still open */
  net_prompb_end(&w);
  cr_assert_eq(net_prompb_w_status(&w), 0);
  net_prompb_end(&w);
  cr_assert_eq(net_prompb_w_status(&w), -EINVAL); /* end without begin */
}

static void want_map(const char *in, bool metric, const char *want) {
  char out[64];
  size_t n = net_prompb_name_map(in, strlen(in), metric, out);

  cr_assert_eq(n, strlen(want), "%s -> %.*s", in, (int)n, out);
  cr_assert_eq(memcmp(out, want, n), 0, "%s -> %.*s", in, (int)n, out);
}

Test(prompb, name_map) {
  want_map("web.requests", true, "web_requests");
  want_map("api-v2/latency.p99", true, "api_v2_latency_p99");
  want_map("ns:sub_x9", true, "ns:sub_x9");
  want_map("ns:sub", false, "ns_sub");
  want_map("kube.ns", false, "kube_ns");
  want_map("9lives", true, "_9lives");
  want_map("9", false, "_9");
  want_map(":x", true, ":x");
  want_map(":x", false, "_x");
  want_map("caf\xc3\xa9", false, "caf__");
  want_map("__weight__", false, "__weight__");
  want_map("", true, "");
}

Test(prompb, snappy_roundtrip) {
  char in[5000], *z, *out;
  size_t zn, n;

  for (size_t i = 0; i < sizeof(in); i++)
    in[i] = (char)(i % 7 == 0 ? i : 'a');
  cr_assert_eq(net_prompb_snappy_compress(in, sizeof(in), &z, &zn), 0);
  cr_assert_lt(zn, sizeof(in));
  cr_assert_eq(net_prompb_snappy_uncompress(z, zn, sizeof(in), &out, &n), 0);
  cr_assert_eq(n, sizeof(in));
  cr_assert_eq(memcmp(in, out, n), 0);
  cr_assert_eq(out[n], '\0');
  free(out);
  /* one byte over the bound: refused from the header */
  cr_assert_eq(net_prompb_snappy_uncompress(z, zn, sizeof(in) - 1, &out, &n),
               -EFBIG);
  /* a cut body */
  cr_assert_eq(net_prompb_snappy_uncompress(z, zn / 2, sizeof(in), &out, &n),
               -EBADMSG);
  free(z);
  cr_assert_eq(net_prompb_snappy_compress("", 0, &z, &zn), 0);
  cr_assert_eq(net_prompb_snappy_uncompress(z, zn, 0, &out, &n), 0);
  cr_assert_eq(n, 0);
  free(out);
  free(z);
}

Test(prompb, snappy_hostile) {
  /* a header claiming 2^32 - 1 bytes followed by nothing */
  const uint8_t huge[] = {0xff, 0xff, 0xff, 0xff, 0x0f};
  const uint8_t badvarint[] = {0xff, 0xff, 0xff, 0xff, 0xff, 0xff};
  /* 3 bytes announced, a copy reaching before the start */
  const uint8_t badcopy[] = {0x03, 0x01, 0x05};
  char *out = NULL;
  size_t n;

  cr_assert_eq(net_prompb_snappy_uncompress(huge, sizeof(huge), 1 << 20,
                                            &out, &n), -EFBIG);
  cr_assert_eq(net_prompb_snappy_uncompress(badvarint, sizeof(badvarint),
                                            1 << 20, &out, &n), -EBADMSG);
  cr_assert_eq(net_prompb_snappy_uncompress(badcopy, sizeof(badcopy),
                                            1 << 20, &out, &n), -EBADMSG);
  cr_assert_eq(net_prompb_snappy_uncompress("", 0, 1 << 20, &out, &n),
               -EBADMSG);
  cr_assert_null(out);
  cr_assert_eq(net_prompb_snappy_uncompress("not snappy at all", 17, 1 << 20,
                                            &out, &n), -EBADMSG);
}
