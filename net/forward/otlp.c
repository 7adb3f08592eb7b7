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
