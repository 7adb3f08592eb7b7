/*
 * tests/unit/net/query/test_query_traces.c - GET /api/v1/traces/ID and
 * /api/v1/spans end to end below the HTTP server: the JS SDK trace fixture
 * and hand-made spans go through the OTLP decoder, the span callbacks, the
 * span head, the store and the real segment writer (io_uring) into two
 * shard directories; the routes then scan them and reply. Then one span's
 * JSON (net_query_span_json), its attribute values as the log mapping
 * renders them (core_otlp_value_json).
 */
#include <criterion/criterion.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/base/ring.h"
#include "core/base/strbuf.h"
#include "core/ingest/pipe.h"
#include "core/ingest/spanhead.h"
#include "core/ingest/spanmap.h"
#include "core/parse/otlp.h"
#include "core/parse/otlp_render.h"
#include "core/shard/store.h"
#include "net/http.h"
#include "net/query/query_api.h"
#include "tests/unit/core/parse/otlp_wr.h"

#define SHARDS 2
#define FIX_TRACE "5b8efff798038103d269b633813fc60c"
#define T0 INT64_C(1765000000123456789)

struct shard {
  struct core_ring ring;
  struct core_stats st;
  struct core_pipe pipe;
  struct core_store store;
  int dir_fd;
};

static struct shard sh[SHARDS];
static char dir[64];

static void no_answer(void *ctx, uint64_t gen, int failed) {
  (void)ctx;
  (void)gen;
  (void)failed;
}

static void open_shard(unsigned k) {
  struct shard *s = &sh[k];
  char path[128];
  int rc = core_ring_init(&s->ring, 256);

  if (rc < 0)
    cr_skip("io_uring unavailable: %s", strerror(-rc));
  snprintf(path, sizeof(path), "%s/shard-%u", dir, k);
  cr_assert_eq(mkdir(path, 0755), 0);
  s->dir_fd = open(path, O_RDONLY | O_DIRECTORY);
  cr_assert_geq(s->dir_fd, 0);
  core_store_init(&s->store, &s->ring, &s->st);
  cr_assert_eq(core_pipe_init(&s->pipe, &s->st.ingest, 64, 8192,
                              core_store_head_sink, &s->store), 0);
  cr_assert_eq(core_pipe_spans_init(&s->pipe, core_store_spanhead_sink,
                                    &s->store), 0);
  struct stor_writer_cfg c = {.shard = (uint16_t)k, .dir_fd = s->dir_fd,
                              .next_seg_seq = 1, .next_block_seq = 1,
                              .fsync_interval_ms = 10,
                              .segment_bytes_max = 64 << 20,
                              .segment_age_ms_max = 3600000,
                              .series_max = 64, .spans = 1,
                              .answer = no_answer};
  cr_assert_eq(core_store_open(&s->store, &s->pipe.series, &c, NULL), 0);
}

/* Seal what the head holds and wait until it is on disk. */
static void flush_shard(unsigned k) {
  core_spanhead_seal(&sh[k].pipe.spanhead);
  cr_assert_eq(core_store_drain(&sh[k].store, core_ring_now_ms() + 5000), 1);
}

static void setup(void) {
  snprintf(dir, sizeof(dir), "/tmp/sluice-traces-XXXXXX");
  cr_assert_not_null(mkdtemp(dir));
  for (unsigned k = 0; k < SHARDS; k++)
    sh[k].dir_fd = -1;
  for (unsigned k = 0; k < SHARDS; k++)
    open_shard(k);
}

static void teardown(void) {
  char cmd[128];

  for (unsigned k = 0; k < SHARDS; k++) {
    core_store_free(&sh[k].store);
    core_pipe_free(&sh[k].pipe);
    core_ring_free(&sh[k].ring);
    if (sh[k].dir_fd >= 0)
      close(sh[k].dir_fd);
  }
  snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
  cr_assert_eq(system(cmd), 0);
}

TestSuite(traces, .init = setup, .fini = teardown);

/* The fixture (two spans of FIX_TRACE, service checkout) into shard k. */
static void feed_fixture(unsigned k) {
  static uint8_t req[4096];
  static struct core_otlp_scratch scratch;
  struct core_otlp_sink sink = {.span = core_pipe_otlp_span,
                                .event = core_pipe_otlp_event,
                                .link = core_pipe_otlp_link,
                                .ctx = &sh[k].pipe};
  const char *why = NULL;
  FILE *f = fopen(OTLP_FIXTURE_DIR "/traces.bin", "rb");
  cr_assert(f);
  size_t len = fread(req, 1, sizeof(req), f);
  fclose(f);
  cr_assert_eq(core_otlp_traces_decode(req, len, &scratch, &sink, &why), 0);
}

/* n spans of service svc into shard k: span i starts at T0 + start0 + i,
 * trace id bytes all `trace`, the first one a child of the fixture's root
 * when child_of_fixture. */
static void feed_spans(unsigned k, const char *svc, uint8_t trace, int n,
                       int64_t start0, int child_of_fixture) {
  static const uint8_t fix_trace[16] = {0x5b, 0x8e, 0xff, 0xf7, 0x98, 0x03,
                                        0x81, 0x03, 0xd2, 0x69, 0xb6, 0x33,
                                        0x81, 0x3f, 0xc6, 0x0c};
  static const uint8_t fix_root[8] = {0xee, 0xe1, 0x9b, 0x7e,
                                      0xc3, 0xc1, 0xb1, 0x74};
  struct core_otlp_attr ra = {{"service.name", 12},
                              {.type = CORE_OTLP_V_STRING,
                               .s = {svc, (uint32_t)strlen(svc)}}};
  struct core_otlp_origin o = {.resource = {&ra, 1}};
  uint8_t tid[16], sid[8];

  memset(tid, trace, sizeof(tid));
  for (int i = 0; i < n; i++) {
    memset(sid, 0, sizeof(sid));
    sid[0] = (uint8_t)k;
    sid[7] = (uint8_t)i;
    sid[6] = trace;
    struct core_otlp_span s = {
        .origin = &o, .trace_id = child_of_fixture ? fix_trace : tid,
        .span_id = sid, .parent_span_id = child_of_fixture ? fix_root : NULL,
        .name = {i % 2 ? "odd" : "even", i % 2 ? 3 : 4}, .kind = 1,
        .start_ns = (uint64_t)(T0 + start0 + i),
        .end_ns = (uint64_t)(T0 + start0 + i + 1000)};
    core_pipe_otlp_span(&sh[k].pipe, &s);
  }
}

static struct net_http_response resp;

static int get(const char *path, const char *qs) {
  struct net_http_request req = {.method = "GET", .path = path, .query = qs};

  core_strbuf_free(&resp.body);
  memset(&resp, 0, sizeof(resp));
  resp.status = 200;
  core_strbuf_init(&resp.body, NET_HTTP_RESPONSE_BYTES_MAX);
  if (strncmp(path, "/api/v1/traces/", 15) == 0)
    net_query_trace_dir(dir, &req, &resp);
  else
    net_query_spans_dir(dir, &req, &resp);
  core_strbuf_append(&resp.body, "", 1); /* NUL for strstr */
  return resp.status;
}

static int count(const char *needle) {
  int n = 0;
  for (const char *p = resp.body.data; (p = strstr(p, needle)); p++)
    n++;
  return n;
}

/* The body is JSON (python3's parser, when there is one). */
static void valid_json(void) {
  char path[128], cmd[256];
  snprintf(path, sizeof(path), "%s/body.json", dir);
  FILE *f = fopen(path, "w");
  cr_assert(f);
  fwrite(resp.body.data, 1, resp.body.len - 1, f);
  fclose(f);
  snprintf(cmd, sizeof(cmd), "command -v python3 >/dev/null || exit 0; "
           "python3 -c 'import json,sys; json.load(open(sys.argv[1]))' %s",
           path);
  cr_assert_eq(system(cmd), 0, "not JSON: %s", resp.body.data);
}

Test(traces, a_trace_from_every_shard) {
  feed_fixture(0);
  feed_spans(1, "billing", 0, 3, 5, 1);  /* children in the other shard */
  feed_spans(1, "billing", 7, 4, 0, 0);  /* another trace */
  flush_shard(0);
  flush_shard(1);
  cr_assert_eq(sh[0].st.ingest.spans_otlp, 2);
  cr_assert_eq(sh[1].st.ingest.spans_otlp, 7);
  cr_assert_eq(get("/api/v1/traces/" FIX_TRACE, ""), 200, "%s", resp.body.data);
  valid_json();
  const char *b = resp.body.data;
  cr_assert_eq(count("\"spanId\":"), 5 + 1, "%s", b); /* 5 spans, 1 link */
  cr_assert(strstr(b, "\"traceId\":\"" FIX_TRACE "\",\"spans\":[{"));
  cr_assert(strstr(b, "\"spanId\":\"eee19b7ec3c1b174\",\"parentSpanId\":\"\","
                      "\"service\":\"checkout\",\"name\":\"GET /api/cart\","
                      "\"kind\":\"SPAN_KIND_SERVER\","
                      "\"startTimeUnixNano\":\"1765000000123456789\","
                      "\"endTimeUnixNano\":\"1765000001987654321\","
                      "\"status\":{\"code\":\"STATUS_CODE_ERROR\","
                      "\"message\":\"upstream timeout\"}"), "%s", b);
  cr_assert(strstr(b, "\"attributes\":{\"http.method\":\"GET\","
                      "\"http.status_code\":500}"), "%s", b);
  cr_assert(strstr(b, "\"events\":[{\"timeUnixNano\":\"1765000000123456789\","
                      "\"name\":\"retry\",\"attributes\":{\"attempt\":2}},"),
            "%s", b);
  cr_assert(strstr(b, "\"links\":[{\"traceId\":\"0af7651916cd43dd8448eb211c80319c\","
                      "\"spanId\":\"53995c3f42cd8ad8\",\"traceState\":\"\","),
            "%s", b);
  cr_assert(strstr(b, "\"parentSpanId\":\"eee19b7ec3c1b174\",\"service\":\"billing\""));
  cr_assert(strstr(b, "\"scope\":{\"name\":\"sluice.fixture\""), "%s", b);
  /* ordered by start: the fixture's two (T0) before billing's (T0 + 5..) */
  cr_assert_lt(strstr(b, "\"checkout\""), strstr(b, "\"billing\""));
  /* upper-case hex is the same id */
  cr_assert_eq(get("/api/v1/traces/5B8EFFF798038103D269B633813FC60C", ""), 200);
  cr_assert_eq(get("/api/v1/traces/" "07070707070707070707070707070707", ""),
               200);
  cr_assert_eq(count("\"spanId\":"), 4);
}

Test(traces, unknown_and_bad_ids) {
  feed_fixture(0);
  flush_shard(0);
  cr_assert_eq(get("/api/v1/traces/00000000000000000000000000000001", ""), 404);
  cr_assert(strstr(resp.body.data, "\"errorType\":\"not_found\""));
  cr_assert_eq(get("/api/v1/traces/xyz", ""), 400);
  cr_assert(strstr(resp.body.data, "invalid trace ID \\\"xyz\\\""), "%s",
            resp.body.data);
  cr_assert_eq(get("/api/v1/traces/" FIX_TRACE "/", ""), 400);
  cr_assert_eq(get("/api/v1/traces/", ""), 400);
  cr_assert_eq(get("/api/v1/traces/5b8efff798038103d269b633813fc60g", ""), 400);
}

Test(traces, spans_by_service_name_and_time) {
  feed_fixture(0);
  feed_spans(1, "billing", 9, 10, 10, 0);
  flush_shard(0);
  flush_shard(1);
  cr_assert_eq(get("/api/v1/spans", "service=checkout"), 200);
  valid_json();
  cr_assert_eq(count("\"spanId\":") - count("\"links\":[{"), 2);
  cr_assert(strstr(resp.body.data, "\"truncated\":false"));
  cr_assert_eq(get("/api/v1/spans", "service=checkout&name=db.query"), 200);
  cr_assert_eq(count("\"name\":\"db.query\""), 1);
  cr_assert_eq(get("/api/v1/spans", "service=billing&name=odd"), 200);
  cr_assert_eq(count("\"spanId\":"), 5);
  cr_assert_eq(get("/api/v1/spans", "service=nobody"), 200);
  cr_assert(strstr(resp.body.data, "\"spans\":[]"));
  /* a window in ms (the fixture starts at 1765000000123 ms) */
  cr_assert_eq(get("/api/v1/spans", "start=1765000000124&end=1765000000200"),
               200);
  cr_assert_eq(count("\"spanId\":"), 0, "%s", resp.body.data);
  cr_assert_eq(get("/api/v1/spans", "start=1765000000123&end=1765000000123"),
               200);
  cr_assert_eq(count("\"service\":\"billing\""), 10);
  cr_assert_eq(count("\"service\":\"checkout\""), 2);
}

/* The newest `limit` by start time, oldest first, from both scans. */
Test(traces, limit_keeps_the_newest) {
  feed_spans(0, "svc", 1, 30, 0, 0);
  feed_spans(1, "svc", 2, 30, 100, 0);
  feed_spans(0, "svc", 3, 30, 50, 0);
  flush_shard(0);
  flush_shard(1);
  cr_assert_eq(get("/api/v1/spans", "limit=5"), 200);
  valid_json();
  cr_assert(strstr(resp.body.data, "\"truncated\":true"));
  cr_assert(strstr(resp.headers, "X-Sluice-Spans-Truncated: true\r\n"));
  cr_assert_eq(count("\"spanId\":"), 5);
  const char *p = resp.body.data;
  for (int i = 125; i < 130; i++) {
    char want[64];
    snprintf(want, sizeof(want), "\"startTimeUnixNano\":\"%lld\"",
             (long long)(T0 + i));
    const char *q = strstr(p, want);
    cr_assert_not_null(q, "start %d missing or out of order: %s", i,
                       resp.body.data);
    p = q;
  }
  cr_assert_eq(get("/api/v1/spans", "limit=90"), 200);
  cr_assert(strstr(resp.body.data, "\"truncated\":false"));
  cr_assert_eq(count("\"spanId\":"), 90);
}

Test(traces, bad_parameters_are_named) {
  cr_assert_eq(get("/api/v1/spans", "limit=0"), 400);
  cr_assert(strstr(resp.body.data, "\\\"limit\\\""));
  cr_assert_eq(get("/api/v1/spans", "limit=10001"), 400);
  cr_assert_eq(get("/api/v1/spans", "start=yesterday"), 400);
  cr_assert(strstr(resp.body.data, "\\\"start\\\""));
  cr_assert_eq(get("/api/v1/spans", "start=2000&end=1000"), 400);
  cr_assert(strstr(resp.body.data, "\\\"end\\\""));
  char q[1200] = "service=";
  memset(q + 8, 'x', 1100);
  q[1108] = '\0';
  cr_assert_eq(get("/api/v1/spans", q), 400);
  cr_assert(strstr(resp.body.data, "\\\"service\\\""));
  /* an empty data directory is no error */
  cr_assert_eq(get("/api/v1/spans", ""), 200);
  cr_assert(strstr(resp.body.data, "\"spans\":[]"));
}

/* ---- one span's JSON ------------------------------------------------------ */

static const char *span_json(const struct stor_span *s) {
  static struct core_strbuf b;
  core_strbuf_free(&b);
  core_strbuf_init(&b, 1 << 20);
  cr_assert_eq(net_query_span_json(&b, s), 0);
  core_strbuf_append(&b, "", 1);
  return b.data;
}

Test(span_json, value_types_and_unknown_enums) {
  struct core_otlp_attr a[] = {
      {{"s", 1}, {.type = CORE_OTLP_V_STRING, .s = {"q\"\n\xff", 4}}},
      {{"t", 1}, {.type = CORE_OTLP_V_BOOL, .i = 1}},
      {{"f", 1}, {.type = CORE_OTLP_V_BOOL, .i = 0}},
      {{"i", 1}, {.type = CORE_OTLP_V_INT, .i = INT64_MIN}},
      {{"d", 1}, {.type = CORE_OTLP_V_DOUBLE, .d = 0.25}},
      {{"nan", 3}, {.type = CORE_OTLP_V_DOUBLE, .d = __builtin_nan("")}},
      {{"inf", 3}, {.type = CORE_OTLP_V_DOUBLE, .d = -__builtin_inf()}},
      {{"b1", 2}, {.type = CORE_OTLP_V_BYTES, .s = {"\x01", 1}}},
      {{"b2", 2}, {.type = CORE_OTLP_V_BYTES, .s = {"ab", 2}}},
      {{"b3", 2}, {.type = CORE_OTLP_V_BYTES, .s = {"abc", 3}}},
      {{"arr", 3}, {.type = CORE_OTLP_V_ARRAY, .s = {"\x0a\x02\x0a\x00", 4}}},
      {{"kv", 2}, {.type = CORE_OTLP_V_KVLIST, .s = {"", 0}}},
      {{"none", 4}, {.type = CORE_OTLP_V_NONE}},
  };
  struct stor_span_res res = {.service = {"svc", 3},
                              .scope_name = {"sc", 2}};
  struct stor_span s = {.kind = 9, .status_code = 7, .start_ns = -1,
                        .end_ns = INT64_MAX, .attrs = {a, 13}, .res = &res};
  memset(s.trace_id, 0xab, 16);
  memset(s.span_id, 0x01, 8);
  const char *j = span_json(&s);
  cr_assert(strstr(j, "\"traceId\":\"abababababababababababababababab\","
                      "\"spanId\":\"0101010101010101\",\"parentSpanId\":\"\","
                      "\"service\":\"svc\",\"name\":\"\",\"kind\":9,"
                      "\"startTimeUnixNano\":\"18446744073709551615\","
                      "\"endTimeUnixNano\":\"9223372036854775807\","
                      "\"status\":{\"code\":7,\"message\":\"\"}"), "%s", j);
  cr_assert(strstr(j, "\"attributes\":{\"s\":\"q\\\"\\n\\ufffd\",\"t\":true,"
                      "\"f\":false,\"i\":-9223372036854775808,\"d\":0.25,"
                      "\"nan\":\"NaN\",\"inf\":\"-Inf\",\"b1\":\"01\","
                      "\"b2\":\"6162\",\"b3\":\"616263\","
                      "\"arr\":[\"\"],\"kv\":{},\"none\":null}"),
            "%s", j);
  cr_assert(strstr(j, "\"events\":[],\"links\":[],\"resource\":{},"
                      "\"scope\":{\"name\":\"sc\",\"version\":\"\"}}"), "%s", j);
}

Test(span_json, bound_reported) {
  struct stor_span_res res = {0};
  struct stor_span s = {.res = &res};
  struct core_strbuf small;
  core_strbuf_init(&small, 40);
  cr_assert_eq(net_query_span_json(&small, &s), -ENOMEM);
  core_strbuf_free(&small);
}

/* ---- arrays and kvlists: JSON, as the log mapping renders them ----------- */

/* AnyValue a appended to ArrayValue l (field 1). */
static void el(struct wr *l, const struct wr *a) { wr_msg(l, 1, a); }

/* KeyValue {k, a} appended to KeyValueList l (field 1). */
static void kv_el(struct wr *l, const char *k, const struct wr *a) {
  struct wr kv = {.n = 0};
  wr_str(&kv, 1, k);
  wr_msg(&kv, 2, a);
  wr_msg(l, 1, &kv);
}

/* An array (t CORE_OTLP_V_ARRAY) or kvlist value of raw encoding l. */
static struct core_otlp_value list(enum core_otlp_vtype t,
                                   const struct wr *l) {
  return (struct core_otlp_value){
      .type = t, .s = {(const char *)l->b, (uint32_t)l->n}};
}

/* The "attributes" object (and what follows it) of a span holding a. */
static const char *attrs_json(const struct core_otlp_attr *a, uint32_t n) {
  static struct stor_span_res res;
  struct stor_span s = {.attrs = {a, n}, .res = &res};
  const char *j = span_json(&s), *at = strstr(j, ",\"attributes\":");

  cr_assert(at, "%s", j);
  return at + 14;
}

static void starts_with(const char *got, const char *want) {
  cr_assert(strncmp(got, want, strlen(want)) == 0, "got  %s\nwant %s", got,
            want);
}

/* [-3,"a\"b\n",true,2.5,1e21,NaN,bytes de ad,(empty),[],INT64_MIN,
 *  {"k":[1,{"x":"y"}],"e":{}}] into arr */
static void mixed_array(struct wr *arr) {
  static const uint8_t dead[] = {0xde, 0xad};
  struct wr e = {.n = 0}, inner = {.n = 0}, kvl = {.n = 0}, m = {.n = 0};

  arr->n = 0;
  wr_u(&e, 3, (uint64_t)-3);
  el(arr, &e);
  e.n = 0;
  wr_str(&e, 1, "a\"b\n");
  el(arr, &e);
  e.n = 0;
  wr_u(&e, 2, 1);
  el(arr, &e);
  e.n = 0;
  wr_dbl(&e, 4, 2.5);
  el(arr, &e);
  e.n = 0;
  wr_dbl(&e, 4, 1e21);
  el(arr, &e);
  e.n = 0;
  wr_dbl(&e, 4, __builtin_nan(""));
  el(arr, &e);
  e.n = 0;
  wr_bytes(&e, 7, dead, sizeof(dead));
  el(arr, &e);
  e.n = 0;
  el(arr, &e); /* an AnyValue without a value */
  wr_bytes(&e, 5, "", 0);
  el(arr, &e); /* an empty array */
  e.n = 0;
  wr_u(&e, 3, (uint64_t)INT64_MIN);
  el(arr, &e);
  e.n = 0; /* {"k":[1,{"x":"y"}],"e":{}} */
  wr_u(&e, 3, 1);
  el(&inner, &e);
  e.n = 0;
  wr_str(&e, 1, "y");
  kv_el(&kvl, "x", &e);
  e.n = 0;
  wr_msg(&e, 6, &kvl);
  el(&inner, &e);
  e.n = 0;
  wr_msg(&e, 5, &inner);
  kv_el(&m, "k", &e);
  e.n = 0;
  wr_bytes(&e, 6, "", 0);
  kv_el(&m, "e", &e);
  e.n = 0;
  wr_msg(&e, 6, &m);
  el(arr, &e);
}

Test(span_json, arrays_and_kvlists_as_json) {
  static struct wr arr, deep, empty, a1, k1;
  struct wr e = {.n = 0};
  char t[1024], want[1100];

  mixed_array(&arr);
  wr_u(&e, 2, 1); /* {"n":{"deep":[true]}} */
  el(&a1, &e);
  e.n = 0;
  wr_msg(&e, 5, &a1);
  kv_el(&k1, "deep", &e);
  e.n = 0;
  wr_msg(&e, 6, &k1);
  kv_el(&deep, "n", &e);
  struct core_otlp_attr a[] = {
      {{"arr", 3}, list(CORE_OTLP_V_ARRAY, &arr)},
      {{"empty", 5}, list(CORE_OTLP_V_ARRAY, &empty)},
      {{"none", 4}, list(CORE_OTLP_V_KVLIST, &empty)},
      {{"deep", 4}, list(CORE_OTLP_V_KVLIST, &deep)},
  };
  const char *j = attrs_json(a, 4);

  starts_with(j, "{\"arr\":[-3,\"a\\\"b\\u000a\",true,2.5,1e+21,\"NaN\","
                 "\"dead\",null,[],-9223372036854775808,"
                 "{\"k\":[1,{\"x\":\"y\"}],\"e\":{}}],"
                 "\"empty\":[],\"none\":{},"
                 "\"deep\":{\"n\":{\"deep\":[true]}}},\"events\":");
  /* each value exactly as a log body or otel.more holds it */
  for (unsigned i = 0; i < 4; i++) {
    size_t n = core_otlp_value_json(&a[i].value, t, sizeof(t));
    cr_assert_lt(n, sizeof(t));
    snprintf(want, sizeof(want), "\"%s\":%.*s", a[i].key.ptr, (int)n, t);
    cr_assert(strstr(j, want), "%s not in %s", want, j);
  }
}

Test(span_json, nested_bytes_that_are_not_utf8_as_ufffd) {
  static struct wr kvl, arr;
  struct wr e = {.n = 0};

  wr_str(&e, 1, "v\xc3");
  kv_el(&kvl, "k\xff", &e);
  e.n = 0;
  wr_str(&e, 1, "\xc3\xa9"); /* valid: copied */
  kv_el(&kvl, "ok", &e);
  e.n = 0;
  wr_str(&e, 1, "\xe2\x82"); /* a cut sequence: two bad bytes */
  el(&arr, &e);
  struct core_otlp_attr a[] = {
      {{"m", 1}, list(CORE_OTLP_V_KVLIST, &kvl)},
      {{"a", 1}, list(CORE_OTLP_V_ARRAY, &arr)},
  };
  starts_with(attrs_json(a, 2),
              "{\"m\":{\"k\\ufffd\":\"v\\ufffd\",\"ok\":\"\xc3\xa9\"},"
              "\"a\":[\"\\ufffd\\ufffd\"]},");
}

/* levels nested arrays (or kvlists {"k":...}) around the int 1, into w. */
static void nested(struct wr *w, int levels, int kv) {
  static struct wr tmp;
  struct wr e = {.n = 0};

  wr_u(&e, 3, 1);
  w->n = 0;
  for (int i = 0; i < levels; i++) {
    tmp.n = 0;
    if (kv)
      kv_el(&tmp, "k", &e);
    else
      el(&tmp, &e);
    e.n = 0;
    wr_msg(&e, kv ? 6 : 5, &tmp);
  }
  memcpy(w->b, tmp.b, tmp.n);
  w->n = tmp.n;
}

/* Bytes the decoder would have refused (read back from a segment):
 * nesting past CORE_OTLP_ANY_DEPTH_MAX and cut encodings are null or
 * end the list, and the JSON stays JSON. */
Test(span_json, stored_bytes_that_do_not_decode) {
  static struct wr at_bound, past, kv_past;
  static const uint8_t cut[] = {0x0a, 0x05, 0x0a};
  struct wr cutw = {.n = sizeof(cut)};

  _Static_assert(CORE_OTLP_ANY_DEPTH_MAX == 8, "the nesting below");
  memcpy(cutw.b, cut, sizeof(cut));
  nested(&at_bound, 8, 0);
  nested(&past, 9, 0);
  nested(&kv_past, 9, 1);
  struct core_otlp_attr a[] = {
      {{"at", 2}, list(CORE_OTLP_V_ARRAY, &at_bound)},
      {{"past", 4}, list(CORE_OTLP_V_ARRAY, &past)},
      {{"kv", 2}, list(CORE_OTLP_V_KVLIST, &kv_past)},
      {{"cut", 3}, list(CORE_OTLP_V_ARRAY, &cutw)},
  };
  starts_with(attrs_json(a, 4), "{\"at\":[[[[[[[[1]]]]]]]],"
                                "\"past\":[null],\"kv\":{\"k\":null},"
                                "\"cut\":[]},");
}

/* A value's JSON past the reply's bound fails the reply (a 422), never
 * a cut value. */
Test(span_json, reply_bound_holds_for_values) {
  static struct wr arr;
  struct wr e = {.n = 0};
  struct stor_span_res res = {0};
  struct core_strbuf b;

  wr_str(&e, 1, "0123456789");
  for (int i = 0; i < 100; i++)
    el(&arr, &e);
  struct core_otlp_attr a = {{"a", 1}, list(CORE_OTLP_V_ARRAY, &arr)};
  struct stor_span s = {.attrs = {&a, 1}, .res = &res};
  core_strbuf_init(&b, 1 << 20);
  cr_assert_eq(net_query_span_json(&b, &s), 0);
  size_t whole = b.len;
  core_strbuf_free(&b);
  core_strbuf_init(&b, whole - 1);
  cr_assert_eq(net_query_span_json(&b, &s), -ENOMEM);
  core_strbuf_free(&b);
  core_strbuf_init(&b, whole);
  cr_assert_eq(net_query_span_json(&b, &s), 0);
  cr_assert_eq(b.len, whole);
  core_strbuf_free(&b);
}

/* Through the span head and a segment and back: the span block keeps an
 * array's or kvlist's bytes, so the span, its event and link, and its
 * resource serve them as JSON. */
Test(traces, arrays_and_kvlists_stored_then_served_as_json) {
  static struct wr arr, kvl, inner;
  static const uint8_t tid[16] = {0x11}, sid[8] = {0x22}, lsid[8] = {0x33};
  struct wr e = {.n = 0};

  wr_str(&e, 1, "x"); /* ["x",2] */
  el(&arr, &e);
  e.n = 0;
  wr_u(&e, 3, 2);
  el(&arr, &e);
  e.n = 0; /* {"k":[true]} */
  wr_u(&e, 2, 1);
  el(&inner, &e);
  e.n = 0;
  wr_msg(&e, 5, &inner);
  kv_el(&kvl, "k", &e);
  struct core_otlp_attr ra[] = {
      {{"service.name", 12}, {.type = CORE_OTLP_V_STRING, .s = {"lists", 5}}},
      {{"r", 1}, list(CORE_OTLP_V_ARRAY, &arr)}};
  struct core_otlp_attr sa[] = {{{"a", 1}, list(CORE_OTLP_V_ARRAY, &arr)},
                                {{"m", 1}, list(CORE_OTLP_V_KVLIST, &kvl)}};
  struct core_otlp_attr ea = {{"e", 1}, list(CORE_OTLP_V_KVLIST, &kvl)};
  struct core_otlp_attr la = {{"l", 1}, list(CORE_OTLP_V_ARRAY, &arr)};
  struct core_otlp_origin o = {.resource = {ra, 2}};
  struct core_otlp_span sp = {.origin = &o, .trace_id = tid, .span_id = sid,
                              .name = {"s", 1}, .start_ns = (uint64_t)T0,
                              .end_ns = (uint64_t)T0 + 1,
                              .attrs = {sa, 2}, .events_n = 1, .links_n = 1};
  struct core_otlp_event ev = {.time_ns = (uint64_t)T0, .name = {"ev", 2},
                               .attrs = {&ea, 1}};
  struct core_otlp_link ln = {.trace_id = tid, .span_id = lsid,
                              .attrs = {&la, 1}};

  core_pipe_otlp_span(&sh[0].pipe, &sp);
  core_pipe_otlp_event(&sh[0].pipe, &sp, &ev);
  core_pipe_otlp_link(&sh[0].pipe, &sp, &ln);
  flush_shard(0);
  cr_assert_eq(get("/api/v1/traces/11000000000000000000000000000000", ""),
               200, "%s", resp.body.data);
  valid_json();
  cr_assert(strstr(resp.body.data,
                   "\"attributes\":{\"a\":[\"x\",2],\"m\":{\"k\":[true]}},"
                   "\"events\":[{\"timeUnixNano\":\"1765000000123456789\","
                   "\"name\":\"ev\",\"attributes\":{\"e\":{\"k\":[true]}}}],"),
            "%s", resp.body.data);
  cr_assert(strstr(resp.body.data, "\"attributes\":{\"l\":[\"x\",2]}}],"
                                   "\"resource\":{\"service.name\":\"lists\","
                                   "\"r\":[\"x\",2]},"),
            "%s", resp.body.data);
}

