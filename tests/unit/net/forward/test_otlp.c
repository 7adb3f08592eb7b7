/*
 * tests/unit/net/forward/test_otlp.c - what --otlp-export sends, read back
 * with sluice's OTLP decoders (core/parse/otlp.c, themselves checked
 * against the OpenTelemetry JS serializer's output): counters as delta
 * monotonic sums, other types as gauges, tags as attributes, times in ns;
 * log records with severity, body, host/app/procid/msgid and SD
 * attributes served as the query port serves them; spans with their
 * resource, scope, typed attributes, events, links, status and flags.
 */
#include <criterion/criterion.h>
#include <string.h>

#include "core/base/strbuf.h"
#include "core/parse/otlp.h"
#include "net/forward/forward_internal.h"
#include "net/prompb.h"
#include "net/query/selector_types.h"

static struct core_otlp_scratch scratch;
static struct core_label_iter it;

struct seen {
  int n;
  struct core_otlp_point p[8];
  char names[8][64];
  char attrs[8][256];
  struct core_otlp_log l;
  char body[64], lattrs[512], sev[16];
};

static void attrs_text(char *out, size_t cap, struct core_otlp_attrs a) {
  size_t n = 0;

  out[0] = '\0';
  for (uint32_t i = 0; i < a.n; i++)
    n += (size_t)snprintf(out + n, cap - n, "%.*s=%.*s;",
                          (int)a.v[i].key.len, a.v[i].key.ptr,
                          (int)a.v[i].value.s.len, a.v[i].value.s.ptr);
}

static int on_point(void *ctx, const struct core_otlp_point *p) {
  struct seen *s = ctx;

  cr_assert_lt(s->n, 8);
  s->p[s->n] = *p;
  snprintf(s->names[s->n], 64, "%.*s", (int)p->name.len, p->name.ptr);
  attrs_text(s->attrs[s->n], 256, p->attrs);
  cr_assert_eq(p->origin->scope_name.len, 6);
  cr_assert(memcmp(p->origin->scope_name.ptr, "sluice", 6) == 0);
  s->n++;
  return 0;
}

static int on_log(void *ctx, const struct core_otlp_log *l) {
  struct seen *s = ctx;

  s->n++;
  s->l = *l;
  snprintf(s->body, sizeof(s->body), "%.*s", (int)l->body.s.len,
           l->body.s.ptr);
  snprintf(s->sev, sizeof(s->sev), "%.*s", (int)l->severity_text.len,
           l->severity_text.ptr);
  attrs_text(s->lattrs, sizeof(s->lattrs), l->attrs);
  return 0;
}

Test(otlp_export, metrics_read_back) {
  static const char ckey[] = "api.requests\0env:prod\0host:a";
  static const char gkey[] = "cpu.temp";
  struct stor_dict_entry c = {7, 0, ckey, sizeof(ckey) - 1};
  struct stor_dict_entry g = {9, 1, gkey, sizeof(gkey) - 1};
  int64_t ts[2] = {1700000000000, 1700000010000};
  double v[2] = {12, 15.5};
  struct core_strbuf b;
  struct net_prompb_w w;
  struct seen s = {0};
  struct core_otlp_sink sink = {.point = on_point, .ctx = &s};
  const char *why = NULL;

  core_strbuf_init(&b, 1 << 20);
  net_prompb_w_init(&w, &b);
  net_fwd_otlp_open(&w);
  net_fwd_otlp_metric(&w, &it, &c, ts, v, 2);
  net_fwd_otlp_metric(&w, &it, &g, ts, v, 1);
  net_fwd_otlp_close(&w);
  cr_assert_eq(net_prompb_w_status(&w), 0);
  cr_assert_eq(core_otlp_metrics_decode(b.data, b.len, &scratch, &sink, &why),
               0, "%s", why ? why : "");
  cr_assert_eq(s.n, 3);
  cr_assert_str_eq(s.names[0], "api.requests");
  cr_assert_eq(s.p[0].kind, CORE_OTLP_SUM);
  cr_assert_eq(s.p[0].temporality, 1, "delta");
  cr_assert(s.p[0].monotonic);
  cr_assert_eq(s.p[0].time_ns, 1700000000000ull * 1000000);
  cr_assert_eq(s.p[0].as_double, 12);
  cr_assert_str_eq(s.attrs[0], "env=prod;host=a;");
  cr_assert_eq(s.p[1].time_ns, 1700000010000ull * 1000000);
  cr_assert_eq(s.p[1].as_double, 15.5);
  cr_assert_str_eq(s.names[2], "cpu.temp");
  cr_assert_eq(s.p[2].kind, CORE_OTLP_GAUGE);
  cr_assert_str_eq(s.attrs[2], "");
  core_strbuf_free(&b);
}

Test(otlp_export, log_read_back) {
  static const char sd[] = "zoo@123", n1[] = "tiger", v1[] = "hungry",
                    v2[] = "sleepy";
  struct core_syslog_attr a[2] = {
      {{sd, 7}, {n1, 5}, {v1, 6}}, {{sd, 7}, {n1, 5}, {v2, 6}}};
  struct stor_log_rec r = {.time_ns = 1700000000123456789,
                           .recv_ms = 1700000001000,
                           .facility = 20,
                           .severity = 3,
                           .host = {"web1", 4},
                           .app = {"myapp", 5},
                           .procid = {"42", 2},
                           .msg = {"disk full", 9},
                           .attr_count = 2,
                           .attrs = a};
  struct core_strbuf b, scr;
  struct net_prompb_w w;
  struct seen s = {0};
  struct core_otlp_sink sink = {.log = on_log, .ctx = &s};
  const char *why = NULL;

  core_strbuf_init(&b, 1 << 20);
  core_strbuf_init(&scr, 1 << 16);
  net_prompb_w_init(&w, &b);
  net_fwd_otlp_open(&w);
  net_fwd_otlp_log(&w, &r, &scr);
  net_fwd_otlp_close(&w);
  cr_assert_eq(core_otlp_logs_decode(b.data, b.len, &scratch, &sink, &why), 0,
               "%s", why ? why : "");
  cr_assert_eq(s.n, 1);
  cr_assert_eq(s.l.time_ns, 1700000000123456789ull);
  cr_assert_eq(s.l.observed_ns, 1700000001000ull * 1000000);
  cr_assert_eq(s.l.severity_number, 17, "err is ERROR");
  cr_assert_str_eq(s.sev, "err");
  cr_assert_str_eq(s.body, "disk full");
  cr_assert_str_eq(s.lattrs, "host.name=web1;syslog.appname=myapp;"
                             "syslog.procid=42;syslog.facility=20;"
                             "zoo@123.tiger=hungry,sleepy;");
  core_strbuf_free(&b);
  core_strbuf_free(&scr);
}

/* ---- spans --------------------------------------------------------------- */

struct seen_spans {
  int spans, events, links;
  struct core_otlp_span s;
  struct core_otlp_link l;
  char res[128], scope[32], attrs[256], ev[64], lattrs[64];
  double d;
  int64_t neg;
  int bool_v, types[8];
};

static int on_span(void *ctx, const struct core_otlp_span *sp) {
  struct seen_spans *s = ctx;

  s->spans++;
  s->s = *sp;
  attrs_text(s->res, sizeof(s->res), sp->origin->resource);
  snprintf(s->scope, sizeof(s->scope), "%.*s/%.*s",
           (int)sp->origin->scope_name.len, sp->origin->scope_name.ptr,
           (int)sp->origin->scope_version.len, sp->origin->scope_version.ptr);
  attrs_text(s->attrs, sizeof(s->attrs), sp->attrs);
  for (uint32_t i = 0; i < sp->attrs.n && i < 8; i++) {
    const struct core_otlp_value *v = &sp->attrs.v[i].value;
    s->types[i] = v->type;
    if (v->type == CORE_OTLP_V_DOUBLE)
      s->d = v->d;
    if (v->type == CORE_OTLP_V_INT)
      s->neg = v->i;
    if (v->type == CORE_OTLP_V_BOOL)
      s->bool_v = (int)v->i;
  }
  return 0;
}

static int on_event(void *ctx, const struct core_otlp_span *sp,
                    const struct core_otlp_event *e) {
  struct seen_spans *s = ctx;

  (void)sp;
  s->events++;
  snprintf(s->ev, sizeof(s->ev), "%.*s@%llu", (int)e->name.len, e->name.ptr,
           (unsigned long long)e->time_ns);
  return 0;
}

static int on_link(void *ctx, const struct core_otlp_span *sp,
                   const struct core_otlp_link *l) {
  struct seen_spans *s = ctx;

  (void)sp;
  s->links++;
  s->l = *l;
  attrs_text(s->lattrs, sizeof(s->lattrs), l->attrs);
  return 0;
}

Test(otlp_export, span_read_back) {
  /* an ArrayValue {values: [AnyValue{int_value: 1}]} as stored */
  static const char arr[] = {0x0a, 0x02, 0x18, 0x01};
  struct core_otlp_attr ra[1] = {{{"service.name", 12},
                                  {CORE_OTLP_V_STRING, {"checkout", 8}, 0, 0}}};
  struct core_otlp_attr sa[5] = {
      {{"s", 1}, {CORE_OTLP_V_STRING, {"x", 1}, 0, 0}},
      {{"d", 1}, {CORE_OTLP_V_DOUBLE, {0}, 0, 2.5}},
      {{"n", 1}, {CORE_OTLP_V_INT, {0}, -7, 0}},
      {{"b", 1}, {CORE_OTLP_V_BOOL, {0}, 1, 0}},
      {{"a", 1}, {CORE_OTLP_V_ARRAY, {arr, sizeof(arr)}, 0, 0}}};
  struct core_otlp_attr la[1] = {{{"why", 3},
                                  {CORE_OTLP_V_STRING, {"batch", 5}, 0, 0}}};
  struct stor_span_res res = {{ra, 1}, {"lib", 3}, {"1.2", 3}, {"checkout", 8}};
  struct stor_span_event ev = {1700000000000000123, {"retry", 5}, {NULL, 0}};
  struct stor_span_link ln = {{1, 2, 3}, {4, 5, 6}, {"k=v", 3}, 0x101, {la, 1}};
  struct stor_span sp = {.trace_id = {0xaa, 1}, .span_id = {0xbb, 2},
                         .parent_id = {0xcc, 3}, .has_parent = true,
                         .kind = 2, .status_code = 2, .flags = 0x301,
                         .start_ns = 1700000000000000000,
                         .end_ns = 1700000000000000999,
                         .name = {"GET /", 5},
                         .status_message = {"boom", 4},
                         .trace_state = {"a=b", 3},
                         .attrs = {sa, 5},
                         .events = &ev, .event_count = 1,
                         .links = &ln, .link_count = 1,
                         .res = &res};
  struct core_strbuf b;
  struct net_prompb_w w;
  struct seen_spans s = {0};
  struct core_otlp_sink sink = {.span = on_span, .event = on_event,
                                .link = on_link, .ctx = &s};
  const char *why = NULL;

  core_strbuf_init(&b, 1 << 20);
  net_prompb_w_init(&w, &b);
  net_fwd_otlp_spans_open(&w, &res);
  net_fwd_otlp_span(&w, &sp);
  net_fwd_otlp_close(&w);
  cr_assert_eq(net_prompb_w_status(&w), 0);
  cr_assert_eq(core_otlp_traces_decode(b.data, b.len, &scratch, &sink, &why),
               0, "%s", why ? why : "");
  cr_assert_eq(s.spans, 1);
  cr_assert_str_eq(s.res, "service.name=checkout;");
  cr_assert_str_eq(s.scope, "lib/1.2");
  cr_assert(memcmp(s.s.trace_id, sp.trace_id, 16) == 0);
  cr_assert(memcmp(s.s.span_id, sp.span_id, 8) == 0);
  cr_assert_not_null(s.s.parent_span_id);
  cr_assert(memcmp(s.s.parent_span_id, sp.parent_id, 8) == 0);
  cr_assert_eq(s.s.kind, 2);
  cr_assert_eq(s.s.status_code, 2);
  cr_assert_eq(s.s.status_message.len, 4);
  cr_assert_eq(s.s.flags, 0x301);
  cr_assert_eq(s.s.trace_state.len, 3);
  cr_assert_eq(s.s.start_ns, 1700000000000000000ull);
  cr_assert_eq(s.s.end_ns, 1700000000000000999ull);
  cr_assert_eq(s.types[0], CORE_OTLP_V_STRING);
  cr_assert_eq(s.types[1], CORE_OTLP_V_DOUBLE);
  cr_assert_eq(s.types[2], CORE_OTLP_V_INT);
  cr_assert_eq(s.types[3], CORE_OTLP_V_BOOL);
  cr_assert_eq(s.types[4], CORE_OTLP_V_ARRAY);
  cr_assert_eq(s.d, 2.5);
  cr_assert_eq(s.neg, -7);
  cr_assert_eq(s.bool_v, 1);
  cr_assert_eq(s.events, 1);
  cr_assert_str_eq(s.ev, "retry@1700000000000000123");
  cr_assert_eq(s.links, 1);
  cr_assert_eq(s.l.flags, 0x101);
  cr_assert_eq(s.l.trace_id[2], 3);
  cr_assert_eq(s.l.span_id[2], 6);
  cr_assert_str_eq(s.lattrs, "why=batch;");
  core_strbuf_free(&b);
}
