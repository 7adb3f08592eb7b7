/*
 * tests/unit/net/query/test_remote_read.c - the pure parts of remote-read:
 * ReadRequest decoding (with hostile bytes), the labels Prometheus sees
 * for a series key and matchers on them, and the XOR chunk encoder,
 * checked against a decoder written here from the format (docs/query-
 * api.md "Remote read") and against a chunk Prometheus 2.42 encoded.
 */
#include <criterion/criterion.h>
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "core/base/strbuf.h"
#include "net/http_types.h"
#include "net/prompb.h"
#include "net/query/query_types.h"
#include "net/query/remote_read.h"
#include "net/query/selector.h"
#include "net/query/strset_types.h"

/* ---- request decoding ---------------------------------------------------- */

static struct core_strbuf buf;
static struct net_prompb_w w;
static struct net_rread_request req;

static void fini(void) { core_strbuf_free(&buf); }

TestSuite(rread, .fini = fini);

static void start(void) {
  core_strbuf_init(&buf, 1 << 24);
  net_prompb_w_init(&w, &buf);
}

static void matcher(int type, const char *name, const char *value) {
  net_prompb_begin(&w, NET_PROMPB_QUERY_MATCHERS);
  if (type)
    net_prompb_varint(&w, NET_PROMPB_MATCHER_TYPE, (uint64_t)type);
  net_prompb_bytes(&w, NET_PROMPB_MATCHER_NAME, name, strlen(name));
  net_prompb_bytes(&w, NET_PROMPB_MATCHER_VALUE, value, strlen(value));
  net_prompb_end(&w);
}

static int decode(const char **why) {
  cr_assert_eq(net_prompb_w_status(&w), 0);
  return net_rread_decode(buf.data, buf.len, &req, why);
}

static bool is(struct core_pb_bytes b, const char *s) {
  return b.len == strlen(s) && memcmp(b.ptr, s, b.len) == 0;
}

Test(rread, decode_request) {
  const char *why;

  start();
  net_prompb_begin(&w, NET_PROMPB_READ_QUERIES);
  net_prompb_varint(&w, NET_PROMPB_QUERY_START_MS, 1000);
  net_prompb_varint(&w, NET_PROMPB_QUERY_END_MS, (uint64_t)-5);
  matcher(NET_PROMPB_MATCH_EQ, "__name__", "web_requests");
  matcher(NET_PROMPB_MATCH_NRE, "env", "dev|test");
  net_prompb_begin(&w, NET_PROMPB_QUERY_HINTS); /* skipped */
  net_prompb_varint(&w, 1, 15000);
  net_prompb_bytes(&w, 2, "rate", 4);
  net_prompb_end(&w);
  net_prompb_end(&w);
  net_prompb_begin(&w, NET_PROMPB_READ_QUERIES);
  matcher(NET_PROMPB_MATCH_RE, "host", "a.*");
  net_prompb_end(&w);
  net_prompb_bytes(&w, 99, "unknown field", 13);
  net_prompb_varint(&w, NET_PROMPB_READ_ACCEPTED_TYPES, 1);
  net_prompb_varint(&w, NET_PROMPB_READ_ACCEPTED_TYPES, 0);
  cr_assert_eq(decode(&why), 0);
  cr_assert_eq(req.count, 2);
  cr_assert_eq(req.q[0].start_ms, 1000);
  cr_assert_eq(req.q[0].end_ms, -5);
  cr_assert_eq(req.q[0].count, 2);
  cr_assert_eq(req.q[0].m[0].type, NET_PROMPB_MATCH_EQ);
  cr_assert(is(req.q[0].m[0].name, "__name__"));
  cr_assert(is(req.q[0].m[0].value, "web_requests"));
  cr_assert_eq(req.q[0].m[1].type, NET_PROMPB_MATCH_NRE);
  cr_assert(is(req.q[0].m[1].value, "dev|test"));
  cr_assert_eq(req.q[1].count, 1);
  cr_assert_eq(req.q[1].m[0].type, NET_PROMPB_MATCH_RE);
  cr_assert_eq(req.q[1].start_ms, 0);
  cr_assert_eq(req.type, NET_PROMPB_RESP_STREAMED_XOR_CHUNKS);
}

Test(rread, accepted_types) {
  const char *why;
  const uint8_t packed_unknown_then_samples[] = {0x12, 0x02, 0x05, 0x00};
  const uint8_t only_unknown[] = {0x10, 0x07};

  start();
  cr_assert_eq(decode(&why), 0); /* empty request: SAMPLES */
  cr_assert_eq(req.count, 0);
  cr_assert_eq(req.type, NET_PROMPB_RESP_SAMPLES);
  cr_assert_eq(net_rread_decode(packed_unknown_then_samples,
                                sizeof(packed_unknown_then_samples), &req,
                                &why), 0);
  cr_assert_eq(req.type, NET_PROMPB_RESP_SAMPLES);
  cr_assert_eq(net_rread_decode(only_unknown, sizeof(only_unknown), &req,
                                &why), -ENOTSUP);
  cr_assert_not_null(strstr(why, "accepted_response_types"));
}

Test(rread, decode_refusals) {
  const char *why;
  char big[NET_SELECTOR_BYTES_MAX + 2];

  start();
  net_prompb_begin(&w, NET_PROMPB_READ_QUERIES);
  matcher(4, "a", "b");
  net_prompb_end(&w);
  cr_assert_eq(decode(&why), -EBADMSG);
  cr_assert_not_null(strstr(why, "unknown matcher type"), "%s", why);
  fini();

  start();
  net_prompb_begin(&w, NET_PROMPB_READ_QUERIES);
  for (int i = 0; i <= NET_REMOTE_READ_MATCHERS_MAX; i++)
    matcher(0, "a", "b");
  net_prompb_end(&w);
  cr_assert_eq(decode(&why), -E2BIG);
  fini();

  start();
  for (int i = 0; i <= NET_REMOTE_READ_QUERIES_MAX; i++) {
    net_prompb_begin(&w, NET_PROMPB_READ_QUERIES);
    net_prompb_end(&w);
  }
  cr_assert_eq(decode(&why), -E2BIG);
  fini();

  memset(big, 'x', sizeof(big) - 1);
  big[sizeof(big) - 1] = '\0';
  start();
  net_prompb_begin(&w, NET_PROMPB_READ_QUERIES);
  matcher(0, "a", big);
  net_prompb_end(&w);
  cr_assert_eq(decode(&why), -E2BIG);
  fini();

  start(); /* a matcher name with the wrong wire type */
  net_prompb_begin(&w, NET_PROMPB_READ_QUERIES);
  net_prompb_begin(&w, NET_PROMPB_QUERY_MATCHERS);
  net_prompb_varint(&w, NET_PROMPB_MATCHER_NAME, 3);
  net_prompb_end(&w);
  net_prompb_end(&w);
  cr_assert_eq(decode(&why), -EBADMSG);
}

/* Every prefix of a valid request decodes or is refused, never past it. */
Test(rread, truncations) {
  const char *why;

  start();
  net_prompb_begin(&w, NET_PROMPB_READ_QUERIES);
  net_prompb_varint(&w, NET_PROMPB_QUERY_START_MS, 1700000000000);
  net_prompb_varint(&w, NET_PROMPB_QUERY_END_MS, 1700000600000);
  matcher(NET_PROMPB_MATCH_RE, "__name__", "web_.*");
  net_prompb_end(&w);
  net_prompb_varint(&w, NET_PROMPB_READ_ACCEPTED_TYPES, 1);
  cr_assert_eq(net_prompb_w_status(&w), 0);
  for (size_t n = 0; n < buf.len; n++) {
    char *copy = malloc(n + 1); /* exact size: ASan sees any overread */
    memcpy(copy, buf.data, n);
    int rc = net_rread_decode(copy, n, &req, &why);
    cr_assert(rc == 0 || rc == -EBADMSG, "prefix %zu: %d", n, rc);
    free(copy);
  }
}

/* Mutated requests (bytes flipped, inserted, cut) decode or are refused,
 * and what decodes compiles as a selector or is refused: never a crash,
 * an overread (ASan) or an answer outside the contract. */
Test(rread, mutations) {
  struct net_selector *sel = calloc(1, sizeof(*sel));
  char text[NET_SELECTOR_BYTES_MAX + 1];
  struct core_sel_error err;
  uint64_t x = 0x9E3779B97F4A7C15ull;
  const char *why;

  start();
  for (int q = 0; q < 2; q++) {
    net_prompb_begin(&w, NET_PROMPB_READ_QUERIES);
    net_prompb_varint(&w, NET_PROMPB_QUERY_START_MS, 1700000000000);
    matcher(NET_PROMPB_MATCH_RE, "__name__", "web_(a|b)+.*");
    matcher(NET_PROMPB_MATCH_NEQ, "env", "dev\"x");
    net_prompb_end(&w);
  }
  net_prompb_varint(&w, NET_PROMPB_READ_ACCEPTED_TYPES, 1);
  cr_assert_eq(net_prompb_w_status(&w), 0);
  for (int round = 0; round < 20000; round++) {
    size_t n = buf.len + 8;
    uint8_t *m = malloc(n);
    memcpy(m, buf.data, buf.len);
    n = buf.len;
    for (int k = 0; k < 1 + round % 4; k++) {
      x ^= x << 13, x ^= x >> 7, x ^= x << 17;
      size_t at = x % n;
      if (x >> 60 == 0 && n > 1)
        n = at + 1;                       /* cut */
      else
        m[at] = (uint8_t)(x >> 32);       /* flip */
    }
    int rc = net_rread_decode(m, n, &req, &why);
    cr_assert(rc == 0 || rc == -EBADMSG || rc == -E2BIG || rc == -ENOTSUP,
              "round %d: %d", round, rc);
    cr_assert(rc == 0 || why != NULL, "a refusal names its reason");
    for (unsigned i = 0; rc == 0 && i < req.count; i++) {
      int r2 = net_rread_selector(&req.q[i], sel, &err, text, sizeof(text));
      cr_assert(r2 == 0 || r2 == -EINVAL || r2 == -E2BIG ||
                r2 == -EMSGSIZE, "round %d: selector %d", round, r2);
      net_selector_free(sel);
    }
    free(m);
  }
  free(sel);
}

/* ---- labels and matchers ------------------------------------------------- */

static void want_labels(const char *key, size_t len, const char *want,
                        size_t want_len) {
  struct net_rread_labels *s = malloc(sizeof(*s));
  int n = net_rread_labels(s, key, len);

  cr_assert_eq(n, (int)want_len, "got %d bytes", n);
  cr_assert_eq(memcmp(s->out, want, want_len), 0);
  free(s);
}

#define KEY(s) s, sizeof(s) - 1

Test(rread, labels_mapped_and_sorted) {
  want_labels(KEY("web.requests\0env:prod\0kube.ns:default"),
              KEY("__name__\0web_requests\0env\0prod\0kube_ns\0default\0"));
  /* uppercase sorts before '_', a bare tag gets its stand-in value */
  want_labels(KEY("9lives\0Zone:eu\0canary\0z:1"),
              KEY("Zone\0eu\0__name__\0_9lives\0canary\0no_label_value\0"
                  "z\0" "1\0"));
  /* two names mapping to one: one label, values in key order */
  want_labels(KEY("m\0a-b:2\0a.b:1\0a_b:3"),
              KEY("__name__\0m\0a_b\0" "2,1,3\0"));
  /* a tag that maps to __name__ is dropped; an empty value is absent */
  want_labels(KEY("m\0__name..:x\0e:"), KEY("__name__\0m\0"));
}

static bool sel_matches(const char *key, size_t len, int type,
                        const char *name, const char *value) {
  struct net_rread_query q = {.count = 1};
  struct net_selector *sel = calloc(1, sizeof(*sel));
  struct core_sel_error err;
  char text[NET_SELECTOR_BYTES_MAX + 1];
  struct net_rread_labels *labels = malloc(sizeof(*labels));
  int n = net_rread_labels(labels, key, len);
  bool hit;

  q.m[0].type = (enum net_prompb_matcher_type)type;
  q.m[0].name = (struct core_pb_bytes){(const uint8_t *)name,
                                       (uint32_t)strlen(name)};
  q.m[0].value = (struct core_pb_bytes){(const uint8_t *)value,
                                        (uint32_t)strlen(value)};
  cr_assert_eq(net_rread_selector(&q, sel, &err, text, sizeof(text)), 0,
               "%s: %s", text, err.msg);
  hit = net_rread_match(sel, labels->out, (size_t)n);
  net_selector_free(sel);
  free(sel);
  free(labels);
  return hit;
}

Test(rread, matchers_on_mapped_names) {
  static const char k[] = "web.requests\0env:prod\0kube.ns:default";
  size_t n = sizeof(k) - 1;

  cr_assert(sel_matches(k, n, NET_PROMPB_MATCH_EQ, "__name__",
                        "web_requests"));
  cr_assert(!sel_matches(k, n, NET_PROMPB_MATCH_EQ, "__name__",
                         "web.requests"));
  cr_assert(sel_matches(k, n, NET_PROMPB_MATCH_EQ, "kube_ns", "default"));
  cr_assert(!sel_matches(k, n, NET_PROMPB_MATCH_EQ, "kube.ns", "default"));
  cr_assert(sel_matches(k, n, NET_PROMPB_MATCH_NEQ, "env", "dev"));
  cr_assert(!sel_matches(k, n, NET_PROMPB_MATCH_RE, "env", "pro"));
  cr_assert(sel_matches(k, n, NET_PROMPB_MATCH_RE, "env", "pro.*"));
  cr_assert(sel_matches(k, n, NET_PROMPB_MATCH_RE, "__name__", "web_.*"));
  cr_assert(!sel_matches(k, n, NET_PROMPB_MATCH_NRE, "__name__",
                         "web_req.*"));
  /* an absent label is "" */
  cr_assert(sel_matches(k, n, NET_PROMPB_MATCH_EQ, "host", ""));
  cr_assert(sel_matches(k, n, NET_PROMPB_MATCH_NRE, "host", ".+"));
  /* quotes, backslashes and newlines in values reach the parser intact */
  cr_assert(sel_matches(KEY("m\0q:a\"b\\c"), NET_PROMPB_MATCH_EQ, "q",
                        "a\"b\\c"));
}

Test(rread, selector_refusals) {
  struct net_rread_query q = {.count = 1};
  struct net_selector *sel = calloc(1, sizeof(*sel));
  struct core_sel_error err;
  char text[NET_SELECTOR_BYTES_MAX + 1];
  static char big[NET_SELECTOR_BYTES_MAX];

  q.m[0].type = NET_PROMPB_MATCH_RE;
  q.m[0].name = (struct core_pb_bytes){(const uint8_t *)"a", 1};
  q.m[0].value = (struct core_pb_bytes){(const uint8_t *)"(a*)*", 5};
  cr_assert_eq(net_rread_selector(&q, sel, &err, text, sizeof(text)),
               -E2BIG);
  net_selector_free(sel);
  q.m[0].value = (struct core_pb_bytes){(const uint8_t *)"\\d", 2};
  cr_assert_eq(net_rread_selector(&q, sel, &err, text, sizeof(text)),
               -EINVAL);
  net_selector_free(sel);
  memset(big, '"', sizeof(big)); /* doubles once escaped */
  q.m[0].value = (struct core_pb_bytes){(const uint8_t *)big, 3000};
  cr_assert_eq(net_rread_selector(&q, sel, &err, text, sizeof(text)),
               -EMSGSIZE);
  net_selector_free(sel);
  free(sel);
}

/* ---- XOR chunks -------------------------------------------------------- */

/* A reader of the chunk's bit stream, most significant bit first. */
struct bitr {
  const uint8_t *p;
  size_t pos, len_bits;
};

static uint64_t bits(struct bitr *r, unsigned n) {
  uint64_t v = 0;

  for (unsigned i = 0; i < n; i++, r->pos++) {
    cr_assert_lt(r->pos, r->len_bits, "read past the chunk");
    v = v << 1 | ((r->p[r->pos >> 3] >> (7 - (r->pos & 7))) & 1);
  }
  return v;
}

static uint64_t uvarint(struct bitr *r) {
  uint64_t v = 0;

  for (unsigned shift = 0;; shift += 7) {
    uint64_t b = bits(r, 8);
    v |= (b & 0x7f) << shift;
    if (b < 0x80)
      return v;
  }
}

static int64_t signed_bits(uint64_t v, unsigned n) {
  return v > (1ull << (n - 1)) ? (int64_t)v - (int64_t)(1ull << n)
                               : (int64_t)v;
}

/* Decode a chunk as described in remote_read.h into ts/vbits. */
static unsigned xor_decode(const uint8_t *c, size_t len, int64_t *ts,
                           uint64_t *vb) {
  struct bitr r = {c + 2, 0, (len - 2) * 8};
  unsigned n = (unsigned)(c[0] << 8 | c[1]), lead = 0, trail = 0;
  int64_t delta = 0;

  for (unsigned i = 0; i < n; i++) {
    if (i == 0) {
      uint64_t z = uvarint(&r);
      ts[0] = (int64_t)(z >> 1) ^ -(int64_t)(z & 1);
      vb[0] = bits(&r, 64);
      continue;
    }
    if (i == 1) {
      delta = (int64_t)uvarint(&r);
    } else if (bits(&r, 1)) {
      static const unsigned widths[] = {14, 17, 20};
      unsigned k = 0;
      while (k < 3 && bits(&r, 1))
        k++;
      delta += k < 3 ? signed_bits(bits(&r, widths[k]), widths[k])
                     : (int64_t)bits(&r, 64);
    }
    ts[i] = ts[i - 1] + delta;
    vb[i] = vb[i - 1];
    if (bits(&r, 1)) {
      if (bits(&r, 1)) {
        unsigned sig;
        lead = (unsigned)bits(&r, 5);
        sig = (unsigned)bits(&r, 6);
        trail = 64 - lead - (sig ? sig : 64);
      }
      vb[i] ^= bits(&r, 64 - lead - trail) << trail;
    }
  }
  return n;
}

static uint64_t vbits(double v) {
  uint64_t u;
  memcpy(&u, &v, 8);
  return u;
}

static void roundtrip(const struct net_qpoint *p, unsigned n) {
  uint8_t *c = malloc(NET_RREAD_XOR_BYTES_MAX(n));
  int64_t *ts = malloc(n * sizeof(*ts));
  uint64_t *vb = malloc(n * sizeof(*vb));
  size_t len = net_rread_xor_chunk(p, n, c);

  cr_assert_leq(len, NET_RREAD_XOR_BYTES_MAX(n));
  cr_assert_eq(xor_decode(c, len, ts, vb), n);
  for (unsigned i = 0; i < n; i++) {
    cr_assert_eq(ts[i], p[i].ts, "sample %u time", i);
    cr_assert_eq(vb[i], vbits(p[i].v), "sample %u value", i);
  }
  free(c);
  free(ts);
  free(vb);
}

Test(rread, xor_every_width) {
  /* delta-of-deltas at each bucket's edges; values with every XOR shape */
  static const int64_t dods[] = {0, 1, -1, 8192, -8191, 8193, -8192,
                                 65536, -65535, 65537, 524288, -524287,
                                 524289, 1ll << 40, -(1ll << 40), 0, 0};
  static const double vals[] = {1.5, 1.5, 2, NAN, -0.0, 0.0, 1.0,
                                1.0000000000000002, 1.0000000000000004,
                                1e300, -1e-300, INFINITY, -INFINITY, 42,
                                42, 3.25, 0.1};
  enum { N = sizeof(dods) / sizeof(dods[0]) };
  struct net_qpoint p[N + 1];
  int64_t delta = 1000;

  p[0] = (struct net_qpoint){-1700000000000, 7};  /* negative time */
  for (unsigned i = 0; i < N; i++) {
    delta += dods[i];
    p[i + 1] = (struct net_qpoint){p[i].ts + delta, vals[i]};
  }
  roundtrip(p, N + 1);
  roundtrip(p, 1);
  roundtrip(p, 2);
}

Test(rread, xor_random_full_chunks) {
  struct net_qpoint p[NET_REMOTE_READ_CHUNK_SAMPLES_MAX];
  uint64_t x = 88172645463325252ull;

  for (int round = 0; round < 200; round++) {
    int64_t t = 1700000000000;
    for (unsigned i = 0; i < NET_REMOTE_READ_CHUNK_SAMPLES_MAX; i++) {
      uint64_t u;
      double v;
      x ^= x << 13, x ^= x >> 7, x ^= x << 17;
      t += (int64_t)(x % (round % 4 == 0 ? 3 : 2000000));
      u = x * 0x9E3779B97F4A7C15ull;
      memcpy(&v, &u, 8);
      p[i] = (struct net_qpoint){t, round % 2 ? v : (double)(x % 100)};
    }
    roundtrip(p, NET_REMOTE_READ_CHUNK_SAMPLES_MAX);
  }
}

/* Prometheus 2.42 (Debian) given these samples over remote-write read
 * them back over its own /api/v1/read as this XOR chunk. */
Test(rread, xor_bytes_of_prometheus) {
  static const uint8_t want[] = {
      0x00, 0x0b, 0x80, 0xa0, 0xab, 0xfe, 0xf9, 0x62, 0x3f, 0xf8, 0x00,
      0x00, 0x00, 0x00, 0x00, 0x00, 0xe8, 0x07, 0x30, 0x99, 0xff, 0xe9,
      0xff, 0xe4, 0x18, 0xa8, 0x01, 0x8f, 0x9f, 0xff, 0x08, 0x00, 0x00,
      0x00, 0x07, 0x84, 0x7b, 0x32, 0x00, 0x00, 0x00, 0x01, 0xee, 0x75,
      0xde, 0x1f, 0xa0, 0xe3, 0xf2, 0x1e, 0x44, 0x00, 0x3a, 0xcf, 0xe2,
      0x71, 0x00, 0xc0, 0x07, 0xfc, 0x94, 0x51, 0x1a, 0x57, 0xc4, 0x36,
      0x2f, 0x63, 0xec, 0x8d, 0xfc, 0xaa, 0xdc, 0x3f, 0x85, 0xf1, 0xe6,
      0xb3, 0xe0, 0x00, 0x00, 0x00, 0x00, 0x03, 0x0d, 0x3f, 0xd1, 0xfd,
      0xa8, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00};
  const int64_t t = 1700000000000;
  uint64_t nan_bits = 0x7ff8000000000000ull;
  struct net_qpoint p[11] = {
      {t, 1.5}, {t + 1000, 1.5}, {t + 2000, 2.0}, {t + 3000, 0},
      {t + 8194, 1.0}, {t + 17387, 1.0000000000000002},
      {t + 100000, 1.0000000000000004}, {t + 170000, 1e300},
      {t + 400000, -1e-300}, {t + 400001, INFINITY}, {t + 2000000, 42}};
  uint8_t c[NET_RREAD_XOR_BYTES_MAX(11)];
  size_t len;

  memcpy(&p[3].v, &nan_bits, 8);
  len = net_rread_xor_chunk(p, 11, c);
  cr_assert_eq(len, sizeof(want));
  cr_assert_eq(memcmp(c, want, len), 0);
}

/* ---- the route, over an empty data directory ----------------------------- */

static struct net_query_env qenv = {.data_dir = "/nonexistent-sluice-dir"};

static void serve(const char *method, const void *body, size_t n,
                  struct net_http_response *resp) {
  struct net_http_request r = {.method = method, .path = "/api/v1/read",
                               .query = "", .body = body, .body_len = n,
                               .content_encoding = "snappy"};

  memset(resp, 0, sizeof(*resp));
  resp->status = 200;
  core_strbuf_init(&resp->body, NET_HTTP_RESPONSE_BYTES_MAX);
  net_query_remote_read(&qenv, &r, resp);
}

static uint64_t counted(const char *series) {
  struct core_strbuf m;
  const char *at;
  uint64_t v;

  core_strbuf_init(&m, 1 << 20);
  net_query_remote_read_render(&m);
  at = strstr(m.data, series);
  cr_assert_not_null(at, "%s", series);
  v = strtoull(at + strlen(series), NULL, 10);
  core_strbuf_free(&m);
  return v;
}

Test(rread, route_refusals) {
  struct net_http_response resp;
  uint64_t before405 = counted("{code=\"405\"} ");
  uint64_t before_snappy = counted("{reason=\"bad_snappy\"} ");
  char *big = calloc(1, NET_REMOTE_READ_BODY_BYTES_MAX + 1);

  serve("GET", "", 0, &resp);
  cr_assert_eq(resp.status, 405);
  cr_assert_not_null(strstr(resp.headers, "Allow: POST"));
  core_strbuf_free(&resp.body);
  cr_assert_eq(counted("{code=\"405\"} "), before405 + 1);

  serve("POST", "\x05xx", 3, &resp);
  cr_assert_eq(resp.status, 400);
  cr_assert_not_null(strstr(resp.body.data, "bad snappy"));
  core_strbuf_free(&resp.body);
  cr_assert_eq(counted("{reason=\"bad_snappy\"} "), before_snappy + 1);

  serve("POST", big, NET_REMOTE_READ_BODY_BYTES_MAX + 1, &resp);
  cr_assert_eq(resp.status, 413);
  core_strbuf_free(&resp.body);
  free(big);
}

/* Two queries over no data: SAMPLES answers two empty QueryResults;
 * STREAMED_XOR_CHUNKS answers no frame. */
Test(rread, route_empty_answers) {
  struct net_http_response resp;
  char *z, *plain;
  size_t zn, n;

  for (int accepted = -1; accepted <= 1; accepted += 2) {
    start();
    for (int q = 0; q < 2; q++) {
      net_prompb_begin(&w, NET_PROMPB_READ_QUERIES);
      net_prompb_varint(&w, NET_PROMPB_QUERY_END_MS, 1000);
      matcher(NET_PROMPB_MATCH_EQ, "__name__", "x");
      net_prompb_end(&w);
    }
    if (accepted > 0)
      net_prompb_varint(&w, NET_PROMPB_READ_ACCEPTED_TYPES, 1);
    cr_assert_eq(net_prompb_snappy_compress(buf.data, buf.len, &z, &zn), 0);
    serve("POST", z, zn, &resp);
    free(z);
    cr_assert_eq(resp.status, 200, "%s", resp.body.data);
    if (accepted > 0) {
      cr_assert_str_eq(resp.content_type, "application/x-streamed-protobuf;"
                                          " proto=prometheus."
                                          "ChunkedReadResponse");
      cr_assert_eq(resp.body.len, 0);
    } else {
      static const uint8_t two_empty[] = {0x0a, 0x00, 0x0a, 0x00};
      cr_assert_str_eq(resp.content_type, "application/x-protobuf");
      cr_assert_not_null(strstr(resp.headers, "Content-Encoding: snappy"));
      cr_assert_eq(net_prompb_snappy_uncompress(resp.body.data,
                                                resp.body.len, 1 << 20,
                                                &plain, &n), 0);
      cr_assert_eq(n, sizeof(two_empty));
      cr_assert_eq(memcmp(plain, two_empty, n), 0);
      free(plain);
    }
    core_strbuf_free(&resp.body);
    fini();
  }
}
