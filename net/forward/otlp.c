/*
 * net/forward/otlp.c - what --otlp-export sends: OTLP/HTTP protobuf
 * ExportMetricsServiceRequest and ExportLogsServiceRequest bodies
 * (opentelemetry/proto/{collector,metrics,logs,common}/v1), written with
 * the bounded protobuf writer of net/prompb.h. docs/forwarding.md has the
 * mapping.
 *
 *   Export*ServiceRequest 1 resource_metrics|resource_logs (L)
 *   Resource{Metrics,Logs} 2 scope_metrics|scope_logs (L; no resource)
 *   Scope{Metrics,Logs}   1 scope {1 name} (L)  2 metrics|log_records (L)
 *   Metric                1 name (L)  5 gauge | 7 sum (L)
 *   Gauge / Sum           1 data_points (L); Sum: 2 temporality (V, 1
 *                         delta), 3 is_monotonic (V)
 *   NumberDataPoint       2 start_time_unix_nano, 3 time_unix_nano
 *                         (fixed64), 4 as_double (I64), 7 attributes (L)
 *   LogRecord             1 time_unix_nano (fixed64), 2 severity_number
 *                         (V), 3 severity_text (L), 5 body (L),
 *                         6 attributes (L), 11 observed_time_unix_nano
 *   KeyValue              1 key (L), 2 value: AnyValue {1 string_value}
 *
 *   ExportTraceServiceRequest 1 resource_spans (L)
 *   ResourceSpans         1 resource {1 attributes (L)} (L), 2 scope_spans
 *   ScopeSpans            1 scope {1 name, 2 version} (L), 2 spans (L)
 *   Span                  1 trace_id, 2 span_id, 3 trace_state, 4
 *                         parent_span_id, 5 name (L), 6 kind (V), 7 start,
 *                         8 end (fixed64), 9 attributes, 11 events, 13
 *                         links, 15 status {2 message, 3 code} (L), 16
 *                         flags (fixed32)
 *   Span.Event            1 time (fixed64), 2 name, 3 attributes
 *   Span.Link             1 trace_id, 2 span_id, 3 trace_state, 4
 *                         attributes, 6 flags (fixed32)
 *   AnyValue              1 string, 2 bool (V), 3 int (V), 4 double (I64),
 *                         5 array, 6 kvlist (L: the stored encoding),
 *                         7 bytes
 */
#include <stdio.h>
#include <string.h>

#include "core/base/strbuf.h"
#include "core/parse/syslog.h"
#include "net/forward/forward_internal.h"
#include "net/prompb.h"
#include "net/query/logmatch.h"
#include "net/query/selector.h"
#include "storage/block_types.h"

enum {
  F_RESOURCE_ITEMS = 1, /* resource_metrics / resource_logs */
  F_SCOPE_ITEMS = 2,    /* scope_metrics / scope_logs */
  F_SCOPE = 1,
  F_SCOPE_NAME = 1,
  F_ITEMS = 2,          /* metrics / log_records */
  F_METRIC_NAME = 1,
  F_METRIC_GAUGE = 5,
  F_METRIC_SUM = 7,
  F_DATA_POINTS = 1,
  F_SUM_TEMPORALITY = 2,
  F_SUM_MONOTONIC = 3,
  F_DP_START = 2,
  F_DP_TIME = 3,
  F_DP_DOUBLE = 4,
  F_DP_ATTRS = 7,
  F_LOG_TIME = 1,
  F_LOG_SEVERITY = 2,
  F_LOG_SEVERITY_TEXT = 3,
  F_LOG_BODY = 5,
  F_LOG_ATTRS = 6,
  F_LOG_OBSERVED = 11,
  F_KV_KEY = 1,
  F_KV_VALUE = 2,
  F_ANY_STRING = 1,
  TEMPORALITY_DELTA = 1,
  F_RS_RESOURCE = 1,
  F_RESOURCE_ATTRS = 1,
  F_SCOPE_VERSION = 2,
  F_SPAN_TRACE = 1,
  F_SPAN_ID = 2,
  F_SPAN_STATE = 3,
  F_SPAN_PARENT = 4,
  F_SPAN_NAME = 5,
  F_SPAN_KIND = 6,
  F_SPAN_START = 7,
  F_SPAN_END = 8,
  F_SPAN_ATTRS = 9,
  F_SPAN_EVENTS = 11,
  F_SPAN_LINKS = 13,
  F_SPAN_STATUS = 15,
  F_SPAN_FLAGS = 16,
  F_EVENT_TIME = 1,
  F_EVENT_NAME = 2,
  F_EVENT_ATTRS = 3,
  F_LINK_TRACE = 1,
  F_LINK_SPAN = 2,
  F_LINK_STATE = 3,
  F_LINK_ATTRS = 4,
  F_LINK_FLAGS = 6,
  F_STATUS_MESSAGE = 2,
  F_STATUS_CODE = 3,
};

/* A fixed64 field: the writer's I64 field with the integer's bits. */
static void fixed64(struct net_prompb_w *w, uint32_t field, uint64_t v) {
  double d;

  memcpy(&d, &v, sizeof(d));
  net_prompb_double(w, field, d);
}

static void kv(struct net_prompb_w *w, uint32_t field, const char *k,
               size_t kn, const char *v, size_t vn) {
  net_prompb_begin(w, field);
  net_prompb_bytes(w, F_KV_KEY, k, kn);
  net_prompb_begin(w, F_KV_VALUE);
  net_prompb_bytes(w, F_ANY_STRING, v, vn);
  net_prompb_end(w);
  net_prompb_end(w);
}

void net_fwd_otlp_open(struct net_prompb_w *w) {
  net_prompb_begin(w, F_RESOURCE_ITEMS);
  net_prompb_begin(w, F_SCOPE_ITEMS);
  net_prompb_begin(w, F_SCOPE);
  net_prompb_bytes(w, F_SCOPE_NAME, "sluice", 6);
  net_prompb_end(w);
}

void net_fwd_otlp_close(struct net_prompb_w *w) {
  net_prompb_end(w);
  net_prompb_end(w);
}

static uint64_t ms_to_ns(int64_t ms) {
  return ms < 0 ? 0 : (uint64_t)ms * 1000000u;
}

void net_fwd_otlp_metric(struct net_prompb_w *w, struct core_label_iter *it,
                         const struct stor_dict_entry *e, const int64_t *ts,
                         const double *val, uint32_t n) {
  struct core_label l;
  int sum = e->type == 0; /* a StatsD counter: increments */

  core_label_iter_init(it, e->key, e->key_len);
  net_prompb_begin(w, F_ITEMS);
  if (core_label_next(it, &l)) /* __name__ first: the name as stored */
    net_prompb_bytes(w, F_METRIC_NAME, l.value, l.value_len);
  net_prompb_begin(w, sum ? F_METRIC_SUM : F_METRIC_GAUGE);
  for (uint32_t i = 0; i < n; i++) {
    net_prompb_begin(w, F_DATA_POINTS);
    fixed64(w, F_DP_START, ms_to_ns(ts[i]));
    fixed64(w, F_DP_TIME, ms_to_ns(ts[i]));
    net_prompb_double(w, F_DP_DOUBLE, val[i]);
    core_label_iter_init(it, e->key, e->key_len);
    core_label_next(it, &l); /* skip the name */
    while (core_label_next(it, &l))
      kv(w, F_DP_ATTRS, l.name, l.name_len, l.value, l.value_len);
    net_prompb_end(w);
  }
  if (sum) {
    net_prompb_varint(w, F_SUM_TEMPORALITY, TEMPORALITY_DELTA);
    net_prompb_varint(w, F_SUM_MONOTONIC, 1);
  }
  net_prompb_end(w);
  net_prompb_end(w);
}

/* Syslog severity (0 emerg .. 7 debug) as OTLP SeverityNumber and text. */
static const struct {
  uint8_t number;
  const char *text;
} severity[8] = {{24, "emerg"}, {23, "alert"}, {21, "crit"}, {17, "err"},
                 {13, "warning"}, {10, "notice"}, {9, "info"}, {5, "debug"}};

static void str_attr(struct net_prompb_w *w, const char *k,
                     const struct core_syslog_str *v) {
  if (v->len)
    kv(w, F_LOG_ATTRS, k, strlen(k), v->ptr, v->len);
}

void net_fwd_otlp_log(struct net_prompb_w *w, const struct stor_log_rec *r,
                      struct core_strbuf *scratch) {
  char key[2 * CORE_SYSLOG_SD_NAME_BYTES_MAX + 1], fac[4];
  unsigned sev = r->severity < 8 ? r->severity : 7;

  net_prompb_begin(w, F_ITEMS);
  fixed64(w, F_LOG_TIME, r->time_ns < 0 ? 0 : (uint64_t)r->time_ns);
  fixed64(w, F_LOG_OBSERVED, ms_to_ns(r->recv_ms));
  net_prompb_varint(w, F_LOG_SEVERITY, severity[sev].number);
  net_prompb_bytes(w, F_LOG_SEVERITY_TEXT, severity[sev].text,
                   strlen(severity[sev].text));
  net_prompb_begin(w, F_LOG_BODY);
  net_prompb_bytes(w, F_ANY_STRING, r->msg.ptr, r->msg.len);
  net_prompb_end(w);
  str_attr(w, "host.name", &r->host);
  str_attr(w, "syslog.appname", &r->app);
  str_attr(w, "syslog.procid", &r->procid);
  str_attr(w, "syslog.msgid", &r->msgid);
  kv(w, F_LOG_ATTRS, "syslog.facility", 15, fac,
     (size_t)snprintf(fac, sizeof(fac), "%u", r->facility % 100u));
  for (uint32_t i = 0; i < r->attr_count; i++) {
    const char *v;
    size_t kn = core_syslog_attr_key(&r->attrs[i], key, sizeof(key)), vn;
    if (kn > sizeof(key) || !core_logattr_first(r, i))
      continue;
    vn = core_logattr_value(r, i, scratch, &v);
    kv(w, F_LOG_ATTRS, key, kn, v, vn);
  }
  net_prompb_end(w);
}

/* ---- spans --------------------------------------------------------------- */

/* A field of bytes, left out when empty (proto3's default). */
static void opt_bytes(struct net_prompb_w *w, uint32_t field, const void *p,
                      size_t n) {
  if (n)
    net_prompb_bytes(w, field, p, n);
}

/* Typed attributes as KeyValues in field `field`: each AnyValue as the
 * OTLP decoder handed it over (arrays and kvlists: their encoding). */
static void any_attrs(struct net_prompb_w *w, uint32_t field,
                      const struct core_otlp_attrs *a) {
  for (uint32_t i = 0; i < a->n; i++) {
    const struct core_otlp_value *v = &a->v[i].value;
    net_prompb_begin(w, field);
    net_prompb_bytes(w, F_KV_KEY, a->v[i].key.ptr, a->v[i].key.len);
    net_prompb_begin(w, F_KV_VALUE);
    switch (v->type) {
    case CORE_OTLP_V_BOOL:
    case CORE_OTLP_V_INT:
      net_prompb_varint(w, v->type, (uint64_t)v->i);
      break;
    case CORE_OTLP_V_DOUBLE:
      net_prompb_double(w, v->type, v->d);
      break;
    case CORE_OTLP_V_STRING:
    case CORE_OTLP_V_ARRAY:
    case CORE_OTLP_V_KVLIST:
    case CORE_OTLP_V_BYTES:
      net_prompb_bytes(w, v->type, v->s.ptr, v->s.len);
      break;
    case CORE_OTLP_V_NONE:
      break; /* an empty AnyValue */
    }
    net_prompb_end(w);
    net_prompb_end(w);
  }
}

void net_fwd_otlp_spans_open(struct net_prompb_w *w,
                             const struct stor_span_res *res) {
  net_prompb_begin(w, F_RESOURCE_ITEMS);
  net_prompb_begin(w, F_RS_RESOURCE);
  any_attrs(w, F_RESOURCE_ATTRS, &res->attrs);
  net_prompb_end(w);
  net_prompb_begin(w, F_SCOPE_ITEMS);
  net_prompb_begin(w, F_SCOPE);
  opt_bytes(w, F_SCOPE_NAME, res->scope_name.ptr, res->scope_name.len);
  opt_bytes(w, F_SCOPE_VERSION, res->scope_version.ptr,
            res->scope_version.len);
  net_prompb_end(w);
}

static void span_events(struct net_prompb_w *w, const struct stor_span *s) {
  for (uint32_t i = 0; i < s->event_count; i++) {
    const struct stor_span_event *e = &s->events[i];
    net_prompb_begin(w, F_SPAN_EVENTS);
    fixed64(w, F_EVENT_TIME, (uint64_t)e->time_ns);
    opt_bytes(w, F_EVENT_NAME, e->name.ptr, e->name.len);
    any_attrs(w, F_EVENT_ATTRS, &e->attrs);
    net_prompb_end(w);
  }
  for (uint32_t i = 0; i < s->link_count; i++) {
    const struct stor_span_link *l = &s->links[i];
    net_prompb_begin(w, F_SPAN_LINKS);
    net_prompb_bytes(w, F_LINK_TRACE, l->trace_id, sizeof(l->trace_id));
    net_prompb_bytes(w, F_LINK_SPAN, l->span_id, sizeof(l->span_id));
    opt_bytes(w, F_LINK_STATE, l->trace_state.ptr, l->trace_state.len);
    any_attrs(w, F_LINK_ATTRS, &l->attrs);
    if (l->flags)
      net_prompb_fixed32(w, F_LINK_FLAGS, l->flags);
    net_prompb_end(w);
  }
}

void net_fwd_otlp_span(struct net_prompb_w *w, const struct stor_span *s) {
  net_prompb_begin(w, F_ITEMS);
  net_prompb_bytes(w, F_SPAN_TRACE, s->trace_id, sizeof(s->trace_id));
  net_prompb_bytes(w, F_SPAN_ID, s->span_id, sizeof(s->span_id));
  opt_bytes(w, F_SPAN_STATE, s->trace_state.ptr, s->trace_state.len);
  if (s->has_parent)
    net_prompb_bytes(w, F_SPAN_PARENT, s->parent_id, sizeof(s->parent_id));
  opt_bytes(w, F_SPAN_NAME, s->name.ptr, s->name.len);
  if (s->kind)
    net_prompb_varint(w, F_SPAN_KIND, s->kind);
  fixed64(w, F_SPAN_START, (uint64_t)s->start_ns);
  fixed64(w, F_SPAN_END, (uint64_t)s->end_ns);
  any_attrs(w, F_SPAN_ATTRS, &s->attrs);
  span_events(w, s);
  if (s->status_code || s->status_message.len) {
    net_prompb_begin(w, F_SPAN_STATUS);
    opt_bytes(w, F_STATUS_MESSAGE, s->status_message.ptr,
              s->status_message.len);
    if (s->status_code)
      net_prompb_varint(w, F_STATUS_CODE, s->status_code);
    net_prompb_end(w);
  }
  if (s->flags)
    net_prompb_fixed32(w, F_SPAN_FLAGS, s->flags);
  net_prompb_end(w);
}
