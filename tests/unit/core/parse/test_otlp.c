/*
 * tests/unit/core/parse/test_otlp.c - the OTLP protobuf decoders.
 *
 * Oracle: tests/fixtures/otlp/{metrics,logs,traces}.bin, written by the
 * OpenTelemetry JS SDK's serializer (gen.mjs), with one canonical JSON
 * line per item in the .json next to them; each decoded item is rendered
 * the same way here and must equal its line. Then hostile inputs: every
 * truncation of each fixture (exact-size copies, so ASan sees any
 * over-read), bad varints and lengths, ids of the wrong length, deep
 * AnyValues, bounds, and hand-built messages (tests/unit/core/parse/
 * otlp_wr.h) for what the JS SDK does not send: summaries, unpacked
 * repeated fields, unknown and repeated fields.
 */
#include <criterion/criterion.h>
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/parse/otlp.h"
#include "tests/unit/core/parse/otlp_wr.h"

#define OUT_BYTES (1 << 16)

/* The rendered lines of one decode. */
struct out {
  char b[OUT_BYTES];
  size_t n;
  char ev[4096], ln[4096]; /* the current span's events and links */
  size_t evn, lnn;
  int open; /* a span line waits for its events and links */
};

static struct core_otlp_scratch scratch;
static struct out o;

static void put(char *b, size_t *n, size_t cap, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  int k = vsnprintf(b + *n, cap - *n, fmt, ap);
  va_end(ap);
  cr_assert(k >= 0 && (size_t)k < cap - *n, "render buffer full");
  *n += (size_t)k;
}
#define P(...) put(o.b, &o.n, sizeof o.b, __VA_ARGS__)

static void pstr(char *b, size_t *n, size_t cap, struct core_otlp_str s) {
  put(b, n, cap, "\"%.*s\"", (int)s.len, s.ptr);
}

static uint64_t bits(double d) {
  uint64_t u;
  memcpy(&u, &d, 8);
  return u;
}

/* A value as the fixtures write it: type letter, then the value. */
static void pvalue(char *b, size_t *n, size_t cap,
                   const struct core_otlp_value *v) {
  static const char type[] = "?sbidaky";
  put(b, n, cap, "\"%c\"", type[v->type]);
  switch (v->type) {
  case CORE_OTLP_V_STRING:
    put(b, n, cap, ",");
    pstr(b, n, cap, v->s);
    break;
  case CORE_OTLP_V_BOOL:
  case CORE_OTLP_V_INT:
    put(b, n, cap, ",\"%" PRId64 "\"", v->i);
    break;
  case CORE_OTLP_V_DOUBLE:
    put(b, n, cap, ",\"0x%016" PRIx64 "\"", bits(v->d));
    break;
  default:
    break;
  }
}

static void pattrs(char *b, size_t *n, size_t cap, struct core_otlp_attrs a) {
  put(b, n, cap, "[");
  for (uint32_t i = 0; i < a.n; i++) {
    put(b, n, cap, "%s[", i ? "," : "");
    pstr(b, n, cap, a.v[i].key);
    put(b, n, cap, ",");
    pvalue(b, n, cap, &a.v[i].value);
    put(b, n, cap, "]");
  }
  put(b, n, cap, "]");
}
#define PA(a) pattrs(o.b, &o.n, sizeof o.b, a)
#define PS(s) pstr(o.b, &o.n, sizeof o.b, s)

static void porigin(const struct core_otlp_origin *g) {
  P("{\"res\":");
  PA(g->resource);
  P(",\"scope\":");
  PS(g->scope_name);
}

static void pdbl(const char *k, double d) {
  P(",\"%s\":\"0x%016" PRIx64 "\"", k, bits(d));
}

static void pu64s(const uint64_t *v, uint32_t n) {
  P("[");
  for (uint32_t i = 0; i < n; i++)
    P("%s\"%" PRIu64 "\"", i ? "," : "", v[i]);
  P("]");
}

static void phist(const struct core_otlp_point *p) {
  P(",\"count\":\"%" PRIu64 "\"", p->count);
  pdbl("sum", p->sum);
  pdbl("min", p->min);
  pdbl("max", p->max);
  if (p->kind == CORE_OTLP_HISTOGRAM) {
    P(",\"counts\":");
    pu64s(p->bucket_counts, p->bucket_n);
    P(",\"bounds\":[");
    for (uint32_t i = 0; i < p->bounds_n; i++)
      P("%s\"0x%016" PRIx64 "\"", i ? "," : "", bits(p->bounds[i]));
    P("]");
    return;
  }
  P(",\"scale\":%d,\"zero\":\"%" PRIu64 "\",\"pos\":[%d,", (int)p->scale,
    p->zero_count, (int)p->positive.offset);
  pu64s(p->positive.counts, p->positive.n);
  P("],\"neg\":[%d,", (int)p->negative.offset);
  pu64s(p->negative.counts, p->negative.n);
  P("]");
}

static int on_point(void *ctx, const struct core_otlp_point *p) {
  (void)ctx;
  porigin(p->origin);
  P(",\"ver\":");
  PS(p->origin->scope_version);
  P(",\"name\":");
  PS(p->name);
  P(",\"desc\":");
  PS(p->description);
  P(",\"unit\":");
  PS(p->unit);
  P(",\"kind\":%d,\"temp\":%u,\"mono\":%d,\"start\":\"%" PRIu64
    "\",\"time\":\"%" PRIu64 "\",\"attrs\":",
    (int)p->kind, p->temporality, (int)p->monotonic, p->start_ns, p->time_ns);
  PA(p->attrs);
  if (p->num == CORE_OTLP_NUM_INT)
    P(",\"num\":\"i:%" PRId64 "\"", p->as_int);
  else if (p->num == CORE_OTLP_NUM_DOUBLE)
    P(",\"num\":\"d:0x%016" PRIx64 "\"", bits(p->as_double));
  if (p->kind == CORE_OTLP_HISTOGRAM || p->kind == CORE_OTLP_EXP_HISTOGRAM)
    phist(p);
  P("}\n");
  return 0;
}

static void pid(const uint8_t *id, size_t len) {
  P("\"");
  for (size_t i = 0; id && i < len; i++)
    P("%02x", id[i]);
  P("\"");
}

static int on_log(void *ctx, const struct core_otlp_log *l) {
  (void)ctx;
  porigin(l->origin);
  P(",\"time\":\"%" PRIu64 "\",\"observed\":\"%" PRIu64 "\",\"sev\":%u,"
    "\"sevtext\":",
    l->time_ns, l->observed_ns, l->severity_number);
  PS(l->severity_text);
  P(",\"body\":[");
  pvalue(o.b, &o.n, sizeof o.b, &l->body);
  P("],\"attrs\":");
  PA(l->attrs);
  P(",\"trace\":");
  pid(l->trace_id, 16);
  P(",\"span\":");
  pid(l->span_id, 8);
  P(",\"flags\":%u}\n", l->flags);
  return 0;
}

static void close_span(void) {
  if (!o.open)
    return;
  P(",\"events\":[%.*s],\"links\":[%.*s]}\n", (int)o.evn, o.ev, (int)o.lnn,
    o.ln);
  o.open = 0;
}

static int on_span(void *ctx, const struct core_otlp_span *s) {
  (void)ctx;
  close_span();
  porigin(s->origin);
  P(",\"trace\":");
  pid(s->trace_id, 16);
  P(",\"span\":");
  pid(s->span_id, 8);
  P(",\"parent\":");
  pid(s->parent_span_id, 8);
  P(",\"name\":");
  PS(s->name);
  P(",\"kind\":%u,\"start\":\"%" PRIu64 "\",\"end\":\"%" PRIu64
    "\",\"attrs\":",
    s->kind, s->start_ns, s->end_ns);
  PA(s->attrs);
  P(",\"status\":%u,\"msg\":", s->status_code);
  PS(s->status_message);
  o.evn = o.lnn = 0;
  o.open = 1;
  return 0;
}

static int on_event(void *ctx, const struct core_otlp_span *s,
                    const struct core_otlp_event *e) {
  (void)ctx;
  (void)s;
  size_t cap = sizeof o.ev;
  put(o.ev, &o.evn, cap, "%s[", o.evn ? "," : "");
  pstr(o.ev, &o.evn, cap, e->name);
  put(o.ev, &o.evn, cap, ",\"%" PRIu64 "\",", e->time_ns);
  pattrs(o.ev, &o.evn, cap, e->attrs);
  put(o.ev, &o.evn, cap, "]");
  return 0;
}

static int on_link(void *ctx, const struct core_otlp_span *s,
                   const struct core_otlp_link *l) {
  (void)ctx;
  (void)s;
  size_t cap = sizeof o.ln;
  put(o.ln, &o.lnn, cap, "%s[\"", o.lnn ? "," : "");
  for (int i = 0; i < 16; i++)
    put(o.ln, &o.lnn, cap, "%02x", l->trace_id[i]);
  put(o.ln, &o.lnn, cap, "\",\"");
  for (int i = 0; i < 8; i++)
    put(o.ln, &o.lnn, cap, "%02x", l->span_id[i]);
  put(o.ln, &o.lnn, cap, "\",");
  pattrs(o.ln, &o.lnn, cap, l->attrs);
  put(o.ln, &o.lnn, cap, "]");
  return 0;
}

static const struct core_otlp_sink sink = {
    .point = on_point, .log = on_log, .span = on_span,
    .event = on_event, .link = on_link};

typedef int (*decode_fn)(const void *, size_t, struct core_otlp_scratch *,
                         const struct core_otlp_sink *, const char **);

static const char *why;

/* Decode len bytes from an exact-size copy; renders into o. */
static int run(decode_fn fn, const void *buf, size_t len) {
  void *copy = malloc(len ? len : 1);
  cr_assert(copy);
  memcpy(copy, buf, len);
  o.n = 0;
  o.open = 0;
  int rc = fn(copy, len, &scratch, &sink, &why);
  close_span();
  o.b[o.n] = 0;
  free(copy);
  return rc;
}

static char *slurp(const char *name, size_t *len) {
  char path[512];
  snprintf(path, sizeof path, "%s/%s", OTLP_FIXTURE_DIR, name);
  FILE *f = fopen(path, "rb");
  cr_assert(f, "open %s", path);
  static char buf[4][OUT_BYTES];
  static int next;
  char *b = buf[next++ % 4];
  *len = fread(b, 1, OUT_BYTES - 1, f);
  b[*len] = 0;
  fclose(f);
  return b;
}

static void fixture(const char *stem, decode_fn fn) {
  char name[64];
  size_t len, jlen;
  snprintf(name, sizeof name, "%s.bin", stem);
  const char *bin = slurp(name, &len);
  snprintf(name, sizeof name, "%s.json", stem);
  const char *json = slurp(name, &jlen);
  cr_assert_eq(run(fn, bin, len), 0, "%s: %s", stem, why ? why : "");
  cr_assert_str_eq(o.b, json, "%s decoded:\n%s\nexpected:\n%s", stem, o.b,
                   json);
  /* every truncation is malformed: one top-level field, cut inside */
  for (size_t n = 1; n < len; n++) {
    int rc = run(fn, bin, n);
    cr_assert_eq(rc, -EBADMSG, "%s cut at %zu: %d", stem, n, rc);
    cr_assert(why && *why);
  }
  cr_assert_eq(run(fn, bin, 0), 0);
}

Test(otlp, metrics_fixture) { fixture("metrics", core_otlp_metrics_decode); }

/* A request of one resource and one scope holding `item` as field 2 of the
 * scope; junk adds unknown fields of every wire type at every level. */
static void request(struct wr *req, const struct wr *item, int junk) {
  struct wr scope = {.n = 0}, sc = {.n = 0}, res = {.n = 0}, rs = {.n = 0};
  memset(req, 0, sizeof *req);
  wr_kv_str(&res, 1, "service.name", "svc");
  wr_str(&scope, 1, "lib");
  if (junk) {
    struct wr *lv[] = {&sc, &rs, req};
    for (int i = 0; i < 3; i++) {
      wr_u(lv[i], 99, 1u << 30);
      wr_f32(lv[i], 100, 7);
      wr_f64(lv[i], 101, 8);
      wr_str(lv[i], 102, "unknown");
    }
  }
  wr_msg(&sc, 2, item); /* before its scope: context comes first anyway */
  wr_msg(&sc, 1, &scope);
  wr_msg(&rs, 2, &sc);
  wr_msg(&rs, 1, &res);
  wr_msg(req, 1, &rs);
}

/* A Metric named m of kind (field) k holding data point dp. */
static void metric(struct wr *m, uint32_t k, const struct wr *dp) {
  struct wr data = {.n = 0};
  memset(m, 0, sizeof *m);
  wr_msg(&data, 1, dp);
  if (k == 7 || k == 9)
    wr_u(&data, 2, 2);
  wr_str(m, 1, "old.name");
  wr_msg(m, k, &data);
  wr_str(m, 1, "m"); /* a repeated singular field: the last wins */
}

static struct wr dp, m, req;

Test(otlp, summary_and_unpacked) {
  struct wr q = {.n = 0};
  memset(&dp, 0, sizeof dp);
  wr_f64(&dp, 3, 5);
  wr_f64(&dp, 3, 6); /* repeated: last wins */
  wr_f64(&dp, 4, 10);
  wr_dbl(&dp, 5, 2.5);
  wr_dbl(&q, 1, 0.5);
  wr_dbl(&q, 2, 1.25);
  wr_msg(&dp, 6, &q);
  wr_msg(&dp, 6, &q);
  wr_kv_str(&dp, 7, "k", "v");
  metric(&m, 11, &dp);
  request(&req, &m, 1);
  cr_assert_eq(run(core_otlp_metrics_decode, req.b, req.n), 0, "%s", why);
  cr_assert(strstr(o.b, "\"name\":\"m\",") && strstr(o.b, "\"kind\":11,"),
            "%s", o.b);
  cr_assert(strstr(o.b, "\"time\":\"6\""), "%s", o.b);
  cr_assert(strstr(o.b, "\"attrs\":[[\"k\",\"s\",\"v\"]]"), "%s", o.b);
  cr_assert(strstr(o.b, "\"res\":[[\"service.name\",\"s\",\"svc\"]],"
                        "\"scope\":\"lib\""), "%s", o.b);
  cr_assert_eq(scratch.items, 1);
  /* histogram with unpacked bucket_counts and explicit_bounds */
  memset(&dp, 0, sizeof dp);
  wr_f64(&dp, 6, 3);
  wr_f64(&dp, 6, 4);
  wr_dbl(&dp, 7, 1.5);
  wr_f64(&dp, 4, 7);
  metric(&m, 9, &dp);
  request(&req, &m, 0);
  cr_assert_eq(run(core_otlp_metrics_decode, req.b, req.n), 0, "%s", why);
  cr_assert(strstr(o.b, "\"counts\":[\"3\",\"4\"],\"bounds\":[\"0x3ff8"),
            "%s", o.b);
}

static int summary_point(void *ctx, const struct core_otlp_point *p) {
  (void)ctx;
  cr_assert_eq(p->quantile_n, 2);
  cr_assert(p->quantiles[1] == 0.5 && p->quantile_values[1] == 1.25);
  cr_assert(p->count == 10 && p->sum == 2.5 && p->time_ns == 6);
  return 42; /* stops the decode, returned as is */
}

Test(otlp, summary_values_and_stop) {
  struct wr q = {.n = 0};
  struct core_otlp_sink s = {.point = summary_point};
  memset(&dp, 0, sizeof dp);
  wr_f64(&dp, 3, 6);
  wr_f64(&dp, 4, 10);
  wr_dbl(&dp, 5, 2.5);
  wr_dbl(&q, 1, 0.5);
  wr_dbl(&q, 2, 1.25);
  wr_msg(&dp, 6, &q);
  wr_msg(&dp, 6, &q);
  metric(&m, 11, &dp);
  request(&req, &m, 0);
  cr_assert_eq(core_otlp_metrics_decode(req.b, req.n, &scratch, &s, &why),
               42);
}

static void expect_fail(decode_fn fn, const struct wr *w, int err,
                        const char *reason) {
  cr_assert_eq(run(fn, w->b, w->n), err, "want %d %s, got %s", err, reason,
               why ? why : "(none)");
  cr_assert_str_eq(why, reason);
}

Test(otlp, metrics_hostile) {
  struct wr bad = {.n = 0};
  const uint8_t huge[] = {0x0a, 0xff, 0xff, 0xff, 0xff, 0xff,
                          0xff, 0xff, 0xff, 0xff, 0x7f};
  memcpy(bad.b, huge, sizeof huge);
  bad.n = sizeof huge;
  expect_fail(core_otlp_metrics_decode, &bad, -EBADMSG,
              "varint over 64 bits");
  const uint8_t past[] = {0x0a, 0x05, 0x00};
  memcpy(bad.b, past, sizeof past);
  bad.n = sizeof past;
  expect_fail(core_otlp_metrics_decode, &bad, -EBADMSG, "length past end");
  /* as_double sent as a varint */
  memset(&dp, 0, sizeof dp);
  wr_u(&dp, 4, 1);
  metric(&m, 5, &dp);
  request(&req, &m, 0);
  expect_fail(core_otlp_metrics_decode, &req, -EBADMSG, "wrong wire type");
  /* packed fixed64 of 7 bytes */
  memset(&dp, 0, sizeof dp);
  wr_bytes(&dp, 6, "1234567", 7);
  metric(&m, 9, &dp);
  request(&req, &m, 0);
  expect_fail(core_otlp_metrics_decode, &req, -EBADMSG,
              "packed fixed64 not whole");
}

Test(otlp, metrics_bounds) {
  memset(&dp, 0, sizeof dp);
  for (int i = 0; i <= CORE_OTLP_ATTRS_MAX; i++)
    wr_kv_str(&dp, 7, "k", "v");
  metric(&m, 5, &dp);
  request(&req, &m, 0);
  expect_fail(core_otlp_metrics_decode, &req, -E2BIG, "too many attributes");
  /* one more bucket than the bound, packed */
  static uint8_t counts[8 * (CORE_OTLP_BUCKETS_MAX + 1)];
  memset(&dp, 0, sizeof dp);
  wr_bytes(&dp, 6, counts, sizeof counts);
  metric(&m, 9, &dp);
  request(&req, &m, 0);
  expect_fail(core_otlp_metrics_decode, &req, -E2BIG, "too many buckets");
}

/* An AnyValue that is a kvlist nested `levels` deep around a string. */
static void deep_any(struct wr *any, int levels) {
  static struct wr kv, list, inner;
  memset(any, 0, sizeof *any);
  wr_str(any, 1, "leaf");
  for (int i = 0; i < levels; i++) {
    memset(&kv, 0, sizeof kv);
    memset(&list, 0, sizeof list);
    inner = *any;
    wr_str(&kv, 1, "k");
    wr_msg(&kv, 2, &inner);
    wr_msg(&list, 1, &kv);
    memset(any, 0, sizeof *any);
    wr_msg(any, 6, &list);
  }
}

Test(otlp, any_depth) {
  static struct wr any, kv;
  for (int levels = CORE_OTLP_ANY_DEPTH_MAX;
       levels <= CORE_OTLP_ANY_DEPTH_MAX + 1; levels++) {
    deep_any(&any, levels);
    memset(&kv, 0, sizeof kv);
    wr_str(&kv, 1, "deep");
    wr_msg(&kv, 2, &any);
    memset(&dp, 0, sizeof dp);
    wr_msg(&dp, 7, &kv);
    metric(&m, 5, &dp);
    request(&req, &m, 0);
    if (levels == CORE_OTLP_ANY_DEPTH_MAX) {
      cr_assert_eq(run(core_otlp_metrics_decode, req.b, req.n), 0, "%s", why);
      cr_assert(strstr(o.b, "[\"deep\",\"k\"]"), "%s", o.b);
    } else {
      expect_fail(core_otlp_metrics_decode, &req, -E2BIG,
                  "AnyValue nested too deep");
    }
  }
}

Test(otlp, logs_fixture) { fixture("logs", core_otlp_logs_decode); }

Test(otlp, traces_fixture) { fixture("traces", core_otlp_traces_decode); }

/* A LogRecord or Span with one id field of len bytes. */
static void with_id(struct wr *item, uint32_t field, size_t len, int span) {
  static const uint8_t id[32];
  memset(item, 0, sizeof *item);
  if (span && field != 1)
    wr_bytes(item, 1, id, 16);
  if (span && field != 2)
    wr_bytes(item, 2, id, 8);
  wr_bytes(item, field, id, len);
}

Test(otlp, id_lengths) {
  static struct wr item;
  with_id(&item, 9, 15, 0);
  request(&req, &item, 1);
  expect_fail(core_otlp_logs_decode, &req, -EBADMSG, "trace_id not 16 bytes");
  with_id(&item, 10, 16, 0);
  request(&req, &item, 0);
  expect_fail(core_otlp_logs_decode, &req, -EBADMSG, "span_id not 8 bytes");
  with_id(&item, 9, 0, 0); /* empty: absent */
  request(&req, &item, 1);
  cr_assert_eq(run(core_otlp_logs_decode, req.b, req.n), 0, "%s", why);
  cr_assert(strstr(o.b, "\"trace\":\"\""), "%s", o.b);
  with_id(&item, 1, 17, 1);
  request(&req, &item, 0);
  expect_fail(core_otlp_traces_decode, &req, -EBADMSG,
              "trace_id not 16 bytes");
  with_id(&item, 4, 4, 1);
  request(&req, &item, 0);
  expect_fail(core_otlp_traces_decode, &req, -EBADMSG,
              "parent_span_id not 8 bytes");
  with_id(&item, 2, 0, 1); /* a span needs its span_id */
  request(&req, &item, 0);
  expect_fail(core_otlp_traces_decode, &req, -EBADMSG,
              "span without trace_id or span_id");
  with_id(&item, 5, 3, 1); /* name "\0\0\0": a fine span */
  wr_f32(&item, 99, 1);    /* unknown field */
  request(&req, &item, 1);
  cr_assert_eq(run(core_otlp_traces_decode, req.b, req.n), 0, "%s", why);
  cr_assert_eq(scratch.items, 1);
}

static size_t varint_len(size_t v) {
  size_t n = 1;
  while (v >= 0x80) {
    v >>= 7;
    n++;
  }
  return n;
}

/* Write v as a varint at p; returns its length. */
static size_t wr_len(uint8_t *p, size_t v) {
  struct wr w = {.n = 0};
  wr_varint(&w, v);
  memcpy(p, w.b, w.n);
  return w.n;
}

Test(otlp, items_bound) {
  /* CORE_OTLP_ITEMS_MAX + 1 empty log records in one scope */
  size_t n = CORE_OTLP_ITEMS_MAX + 1, len = 2 * n + 16;
  uint8_t *b = malloc(len);
  cr_assert(b);
  size_t k = 0, body = 2 * n;
  /* ExportLogs: 1 { ResourceLogs: 2 { ScopeLogs: 2 {} x n } } */
  b[k++] = 0x0a;
  k += (size_t)(wr_len(b + k, body + 1 + varint_len(body)));
  b[k++] = 0x12;
  k += (size_t)(wr_len(b + k, body));
  for (size_t i = 0; i < n; i++) {
    b[k++] = 0x12;
    b[k++] = 0;
  }
  cr_assert_eq(core_otlp_logs_decode(b, k, &scratch, NULL, &why), -E2BIG);
  cr_assert_str_eq(why, "too many items in request");
  free(b);
}
