/*
 * tests/unit/core/ingest/test_otlpmap.c - OTLP requests into series, the
 * head and the log head (core_pipe_otlp; rules in docs/otlp.md "Mapping").
 *
 * The fixtures are the JS SDK's serializer output (tests/fixtures/otlp:
 * metrics.bin with metrics.json describing it); the expected keys below
 * were derived by hand from metrics.json (values there are IEEE bits).
 * Hand-built requests (../parse/otlp_wr.h) cover what the SDK does not
 * send: summaries, bad bounds, corrupt bodies, the label options.
 */
#include <criterion/criterion.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../parse/otlp_wr.h"
#include "core/ingest/otlpmap.h"
#include "core/ingest/pipe.h"
#include "core/ingest/series.h"
#include "storage/block_types.h"
#include "storage/logblock.h"
#include "core/ingest/loghead.h"

static struct core_ingest_stats st;
static struct core_pipe p;
static struct core_otlp_result res;
static const int64_t NOW = 1700000000123;

static void setup_n(uint32_t max_series) {
  memset(&st, 0, sizeof(st));
  cr_assert_eq(core_pipe_init(&p, &st, max_series, 256, NULL, NULL), 0);
  cr_assert_eq(core_pipe_logs_init(&p, 65536, NULL, NULL), 0);
}
static void setup(void) { setup_n(1000); }
static void teardown(void) { core_pipe_free(&p); }

TestSuite(otlpmap, .init = setup, .fini = teardown);

static char *slurp(const char *name, size_t *len) {
  char path[512];
  FILE *f;
  char *buf;
  long n;

  snprintf(path, sizeof path, "%s/%s", OTLP_FIXTURE_DIR, name);
  f = fopen(path, "rb");
  cr_assert_not_null(f, "fixture %s", path);
  fseek(f, 0, SEEK_END);
  n = ftell(f);
  fseek(f, 0, SEEK_SET);
  buf = malloc((size_t)n + 1);
  cr_assert_eq(fread(buf, 1, (size_t)n, f), (size_t)n);
  fclose(f);
  *len = (size_t)n;
  return buf;
}

/* Point i of the head as "KEY TYPE TS VALUE", the key's NULs as '|'. */
static const char *point(uint32_t i) {
  static char out[8192];
  uint32_t id = p.head.series_id[i], klen;
  const char *k = core_series_key_of(&p.series, id, &klen);
  char v[32];
  size_t n = 0;

  cr_assert_not_null(k);
  for (uint32_t j = 0; j < klen; j++)
    out[n++] = k[j] ? k[j] : '|';
  core_fmt_double(p.head.value[i], v);
  snprintf(out + n, sizeof(out) - n, " %u %lld %s",
           p.series.entries[id].type, (long long)p.head.ts_ms[i], v);
  return out;
}

static int metrics(const void *b, size_t n) {
  return core_pipe_otlp(&p, CORE_OTLP_METRICS, CORE_OTLP_ENC_PROTO, b, n, NOW,
                        &res);
}

/* ---- the SDK fixture ------------------------------------------------------ */

#define ATTRS "ok:true|ratio:0.25|retries:-3|route:/api/cart"
#define RES "host.name:web-1"
#define SVC "service.name:checkout"
#define TS " 1765000001987 "

Test(otlpmap, sdk_fixture_every_kind) {
  static const char *const want[] = {
      "temp|" RES "|" ATTRS "|" SVC "|tags:[\"a\",\"b\"] 6" TS "21.5",
      "temp|" RES "|room:b|" SVC " 6" TS "-0.1",
      "requests|" RES "|" ATTRS "|" SVC "|tags:[\"a\",\"b\"] 7" TS "1234567",
      "queue.delta|" RES "|" SVC " 10" TS "-7",
      "latency_bucket|" RES "|le:1|" ATTRS "|" SVC "|tags:[\"a\",\"b\"] 11" TS "3",
      "latency_bucket|" RES "|le:2.5|" ATTRS "|" SVC "|tags:[\"a\",\"b\"] 11" TS "3",
      "latency_bucket|" RES "|le:10|" ATTRS "|" SVC "|tags:[\"a\",\"b\"] 11" TS "8",
      "latency_bucket|" RES "|le:+Inf|" ATTRS "|" SVC "|tags:[\"a\",\"b\"] 11" TS "9",
      "latency_count|" RES "|" ATTRS "|" SVC "|tags:[\"a\",\"b\"] 11" TS "9",
      "latency_sum|" RES "|" ATTRS "|" SVC "|tags:[\"a\",\"b\"] 11" TS "41.75",
      "latency_min|" RES "|" ATTRS "|" SVC "|tags:[\"a\",\"b\"] 11" TS "0.5",
      "latency_max|" RES "|" ATTRS "|" SVC "|tags:[\"a\",\"b\"] 11" TS "12",
      "size_bucket|" RES "|ok:true|otel_index:-2|otel_scale:3|ratio:0.25|"
      "retries:-3|route:/api/cart|" SVC "|tags:[\"a\",\"b\"] 14" TS "1",
      "size_bucket|" RES "|ok:true|otel_index:0|otel_scale:3|ratio:0.25|"
      "retries:-3|route:/api/cart|" SVC "|tags:[\"a\",\"b\"] 14" TS "3",
      "size_negative_bucket|" RES "|ok:true|otel_index:5|otel_scale:3|"
      "ratio:0.25|retries:-3|route:/api/cart|" SVC "|tags:[\"a\",\"b\"] 14" TS
      "1",
      "size_zero_count|" RES "|" ATTRS "|" SVC "|tags:[\"a\",\"b\"] 14" TS "1",
      "size_count|" RES "|" ATTRS "|" SVC "|tags:[\"a\",\"b\"] 14" TS "6",
      "size_sum|" RES "|" ATTRS "|" SVC "|tags:[\"a\",\"b\"] 14" TS "100.5",
      "size_min|" RES "|" ATTRS "|" SVC "|tags:[\"a\",\"b\"] 14" TS "-2",
      "size_max|" RES "|" ATTRS "|" SVC "|tags:[\"a\",\"b\"] 14" TS "64",
  };
  size_t n;
  char *b = slurp("metrics.bin", &n);

  cr_assert_eq(metrics(b, n), 0, "%s", res.why);
  cr_assert_eq(res.accepted, 6);
  cr_assert_eq(res.rejected, 0);
  cr_assert_str_empty(res.message);
  cr_assert_eq(p.head.count, sizeof(want) / sizeof(want[0]));
  for (uint32_t i = 0; i < p.head.count; i++)
    cr_assert_str_eq(point(i), want[i], "point %u", i);
  cr_assert_eq(st.points_otlp[CORE_OTLP_PK_GAUGE], 2);
  cr_assert_eq(st.points_otlp[CORE_OTLP_PK_SUM], 2);
  cr_assert_eq(st.points_otlp[CORE_OTLP_PK_HISTOGRAM], 1);
  cr_assert_eq(st.points_otlp[CORE_OTLP_PK_EXP_HISTOGRAM], 1);
  free(b);
}

Test(otlpmap, corrupt_body_stores_nothing) {
  size_t n;
  char *b = slurp("metrics.bin", &n);

  /* every truncation: nothing stored, a 400 reason */
  for (size_t cut = 1; cut < n; cut += 7) {
    int rc = metrics(b, n - cut);
    if (rc == 0)
      continue; /* a cut on a message boundary is a valid, shorter request */
    cr_assert(rc == -EBADMSG || rc == -E2BIG);
    cr_assert_not_null(res.why);
    cr_assert_eq(p.head.count, 0, "cut %zu stored points", cut);
    cr_assert_eq(p.series.count, 0, "cut %zu made series", cut);
  }
  free(b);
}

/* The JSON twin of each SDK fixture stores exactly what the protobuf one
 * does: the same series keys, times and values, point for point. */
Test(otlpmap, json_stores_what_protobuf_stores) {
  static const char *const names[][2] = {{"metrics.bin", "metrics.json-request"},
                                         {"logs.bin", "logs.json-request"}};
  for (int k = 0; k < 2; k++) {
    enum core_otlp_signal sig = k == 0 ? CORE_OTLP_METRICS : CORE_OTLP_LOGS;
    size_t n, jn;
    char *b = slurp(names[k][0], &n), *j = slurp(names[k][1], &jn);
    cr_assert_eq(core_pipe_otlp(&p, sig, CORE_OTLP_ENC_PROTO, b, n, NOW, &res),
                 0, "%s", res.why ? res.why : "");
    uint64_t acc = res.accepted, pts = p.head.count, logs = p.loghead.count;
    uint64_t first = k == 0 ? 0 : pts; /* logs add no points */
    cr_assert_gt(acc, 0);
    cr_assert_eq(core_pipe_otlp(&p, sig, CORE_OTLP_ENC_JSON, j, jn, NOW, &res),
                 0, "%s: %s", names[k][1], res.why ? res.why : "");
    cr_assert_eq(res.accepted, acc);
    cr_assert_eq(res.rejected, 0);
    cr_assert_eq(p.head.count - pts, pts - first, "every point twice");
    cr_assert_eq(p.loghead.count - logs, k == 0 ? 0 : logs);
    for (uint32_t i = (uint32_t)first; i < pts; i++) {
      uint32_t d = (uint32_t)(pts - first);
      cr_assert_eq(p.head.series_id[d + i], p.head.series_id[i], "pt %u", i);
      cr_assert_eq(p.head.ts_ms[d + i], p.head.ts_ms[i]);
      cr_assert(p.head.value[d + i] == p.head.value[i] ||
                (isnan(p.head.value[i]) && isnan(p.head.value[d + i])));
    }
    free(b);
    free(j);
  }
  cr_assert_eq(core_pipe_otlp(&p, CORE_OTLP_METRICS, CORE_OTLP_ENC_JSON,
                              "{\"resourceMetrics\":[", 20, NOW, &res),
               -EBADMSG);
  cr_assert_not_null(res.why);
}

Test(otlpmap, traces_unsupported_without_a_span_head) {
  size_t n;
  char *b = slurp("traces.bin", &n);

  cr_assert_eq(core_pipe_otlp(&p, CORE_OTLP_TRACES, CORE_OTLP_ENC_PROTO, b, n,
                              NOW, &res), 0);
  cr_assert_eq(res.accepted, 0);
  cr_assert_gt(res.rejected, 0);
  cr_assert(strstr(res.message, "unsupported") != NULL, "%s", res.message);
  cr_assert_eq(st.otlp_rejected[CORE_OTLP_REJ_UNSUPPORTED], res.rejected);
  free(b);
}

/* ---- hand-built requests -------------------------------------------------- */

/* Wrap one Metric into a request whose resource has the given string
 * attributes (pairs, NULL-terminated). */
static void request(struct wr *out, const char *const *res_kv,
                    const struct wr *metric) {
  struct wr r = {.n = 0}, sm = {.n = 0}, rm = {.n = 0};

  for (int i = 0; res_kv && res_kv[i]; i += 2)
    wr_kv_str(&r, 1, res_kv[i], res_kv[i + 1]);
  wr_msg(&sm, 2, metric);
  wr_msg(&rm, 1, &r);
  wr_msg(&rm, 2, &sm);
  out->n = 0;
  wr_msg(out, 1, &rm);
}

/* A NumberDataPoint with a double value (or none when isnan(v) and
 * !with_nan), attributes k=v pairs. */
static void number_point(struct wr *dp, double v, int has_value,
                         uint64_t time_ns, const char *const *kv) {
  dp->n = 0;
  for (int i = 0; kv && kv[i]; i += 2)
    wr_kv_str(dp, 7, kv[i], kv[i + 1]);
  wr_f64(dp, 3, time_ns);
  if (has_value)
    wr_dbl(dp, 4, v);
}

/* Metric NAME with a sum (temporality, monotonic) of one point. */
static void sum_metric(struct wr *m, const char *name, double v,
                       unsigned temporality, int monotonic) {
  struct wr dp, sum = {.n = 0};
  static const char *const kv[] = {"k", "v", NULL};

  number_point(&dp, v, 1, UINT64_C(1700000000999999999), kv);
  wr_msg(&sum, 1, &dp);
  wr_u(&sum, 2, temporality);
  wr_u(&sum, 3, (uint64_t)monotonic);
  m->n = 0;
  wr_str(m, 1, name);
  wr_msg(m, 7, &sum);
}

Test(otlpmap, delta_and_cumulative_sums_have_their_types) {
  static const struct {
    unsigned temporality;
    int monotonic;
    unsigned type;
  } cases[] = {{2, 1, STOR_SERIES_OTLP_SUM_CUMULATIVE},
               {1, 1, STOR_SERIES_OTLP_SUM_DELTA},
               {2, 0, STOR_SERIES_OTLP_UPDOWN_CUMULATIVE},
               {1, 0, STOR_SERIES_OTLP_UPDOWN_DELTA},
               {0, 1, STOR_SERIES_OTLP_SUM_CUMULATIVE}};
  struct wr m, req;
  char name[16];

  for (unsigned i = 0; i < 5; i++) {
    snprintf(name, sizeof(name), "s%u", i);
    sum_metric(&m, name, 2.5 + i, cases[i].temporality, cases[i].monotonic);
    request(&req, NULL, &m);
    cr_assert_eq(metrics(req.b, req.n), 0);
    cr_assert_eq(res.accepted, 1);
    char want[64];
    snprintf(want, sizeof(want), "%s|k:v %u 1700000000999 %g", name,
             cases[i].type, 2.5 + i);
    cr_assert_str_eq(point(i), want);
  }
  /* the same key as another type is refused */
  sum_metric(&m, "s0", 1, 1, 1);
  request(&req, NULL, &m);
  cr_assert_eq(metrics(req.b, req.n), 0);
  cr_assert_eq(res.rejected, 1);
  cr_assert_eq(st.otlp_rejected[CORE_OTLP_REJ_TYPE_MISMATCH], 1);
  cr_assert_str_eq(res.message,
                   "1 data points rejected; first: type_mismatch (metric "
                   "\"s0\")");
}

Test(otlpmap, resource_labels_option) {
  static const char *const rkv[] = {"service.name", "api", "host.name", "h1",
                                    "region", "eu", NULL};
  struct wr m, req;

  sum_metric(&m, "c", 1, 2, 1);
  request(&req, rkv, &m);
  cr_assert_eq(metrics(req.b, req.n), 0);
  cr_assert_str_eq(point(0), "c|host.name:h1|k:v|service.name:api 7 "
                             "1700000000999 1");
  cr_assert_eq(core_pipe_otlp_resource_labels(&p, "none"), 0);
  cr_assert_eq(metrics(req.b, req.n), 0);
  cr_assert_str_eq(point(1), "c|k:v 7 1700000000999 1");
  cr_assert_eq(core_pipe_otlp_resource_labels(&p, "all"), 0);
  cr_assert_eq(metrics(req.b, req.n), 0);
  cr_assert_str_eq(point(2), "c|host.name:h1|k:v|region:eu|service.name:api "
                             "7 1700000000999 1");
  cr_assert_eq(core_pipe_otlp_resource_labels(&p, "region"), 0);
  cr_assert_eq(metrics(req.b, req.n), 0);
  cr_assert_str_eq(point(3), "c|k:v|region:eu 7 1700000000999 1");
  cr_assert_eq(core_pipe_otlp_resource_labels(&p, "a,,b"), -EINVAL);
  cr_assert_eq(core_otlp_resource_labels_check(""), -EINVAL);
  cr_assert_eq(core_otlp_resource_labels_check("service.name,host.name"), 0);
}

Test(otlpmap, point_attribute_wins_over_resource_label) {
  static const char *const rkv[] = {"k", "from-resource", NULL};
  struct wr m, req;

  cr_assert_eq(core_pipe_otlp_resource_labels(&p, "k"), 0);
  sum_metric(&m, "c", 1, 2, 1);
  request(&req, rkv, &m);
  cr_assert_eq(metrics(req.b, req.n), 0);
  cr_assert_str_eq(point(0), "c|k:v 7 1700000000999 1");
}

/* A histogram metric of one point with n bounds and m counts. */
static void histogram(struct wr *out, const char *name, const double *bounds,
                      unsigned nb, const uint64_t *counts, unsigned nc,
                      unsigned temporality) {
  struct wr dp = {.n = 0}, h = {.n = 0};
  uint64_t total = 0;

  for (unsigned i = 0; i < nc; i++)
    total += counts[i];
  wr_f64(&dp, 3, UINT64_C(1700000000500000000));
  wr_f64(&dp, 4, total);
  wr_dbl(&dp, 5, 12.5);
  if (nc)
    wr_bytes(&dp, 6, counts, nc * 8);
  if (nb)
    wr_bytes(&dp, 7, bounds, nb * 8);
  wr_msg(&h, 1, &dp);
  wr_u(&h, 2, temporality);
  out->n = 0;
  wr_str(out, 1, name);
  wr_msg(out, 9, &h);
}

Test(otlpmap, histogram_buckets_cumulate_to_inf) {
  static const double bounds[] = {0.005, 0.1, 1e6};
  static const uint64_t counts[] = {2, 0, 7, 1};
  static const char *const want[] = {
      "h_bucket|le:0.005 12 1700000000500 2",
      "h_bucket|le:0.1 12 1700000000500 2",
      "h_bucket|le:1000000 12 1700000000500 9",
      "h_bucket|le:+Inf 12 1700000000500 10",
      "h_count 12 1700000000500 10",
      "h_sum 12 1700000000500 12.5"};
  struct wr m, req;

  histogram(&m, "h", bounds, 3, counts, 4, 1);
  request(&req, NULL, &m);
  cr_assert_eq(metrics(req.b, req.n), 0);
  cr_assert_eq(res.accepted, 1);
  cr_assert_eq(p.head.count, 6);
  for (uint32_t i = 0; i < 6; i++)
    cr_assert_str_eq(point(i), want[i]);
  /* the same bounds again (cached le texts), cumulative temporality is
   * another type: another name needed */
  histogram(&m, "h2", bounds, 3, counts, 4, 2);
  request(&req, NULL, &m);
  cr_assert_eq(metrics(req.b, req.n), 0);
  cr_assert_str_eq(point(8), "h2_bucket|le:1000000 11 1700000000500 9");
}

Test(otlpmap, histogram_rejections) {
  double nan_bounds[] = {1, NAN};
  double down[] = {2, 1};
  double ok[] = {1, 2};
  uint64_t counts[] = {1, 2, 3};
  struct wr m, req;

  histogram(&m, "a", nan_bounds, 2, counts, 3, 2);
  request(&req, NULL, &m);
  cr_assert_eq(metrics(req.b, req.n), 0);
  histogram(&m, "b", down, 2, counts, 3, 2);
  request(&req, NULL, &m);
  cr_assert_eq(metrics(req.b, req.n), 0);
  histogram(&m, "c", ok, 2, counts, 2, 2);
  request(&req, NULL, &m);
  cr_assert_eq(metrics(req.b, req.n), 0);
  cr_assert_eq(st.otlp_rejected[CORE_OTLP_REJ_BAD_BOUNDS], 2);
  cr_assert_eq(st.otlp_rejected[CORE_OTLP_REJ_BAD_BUCKETS], 1);
  cr_assert_str_eq(res.message,
                   "1 data points rejected; first: bad_buckets (metric \"c\")");
  cr_assert_eq(p.head.count, 0);
  cr_assert_eq(p.series.count, 0);
  /* no buckets at all: count and sum only */
  histogram(&m, "d", NULL, 0, NULL, 0, 2);
  request(&req, NULL, &m);
  cr_assert_eq(metrics(req.b, req.n), 0);
  cr_assert_eq(res.accepted, 1);
  cr_assert_str_eq(point(0), "d_count 11 1700000000500 0");
}

Test(otlpmap, summary_quantiles) {
  struct wr dp = {.n = 0}, s = {.n = 0}, m = {.n = 0}, q, req;
  static const double qs[][2] = {{0.5, 3.25}, {0.99, 9}};
  static const char *const want[] = {
      "rt|quantile:0.5 15 1700000000001 3.25",
      "rt|quantile:0.99 15 1700000000001 9",
      "rt_count 15 1700000000001 42",
      "rt_sum 15 1700000000001 100.5"};

  wr_f64(&dp, 3, UINT64_C(1700000000001000000));
  wr_f64(&dp, 4, 42);
  wr_dbl(&dp, 5, 100.5);
  for (int i = 0; i < 2; i++) {
    q.n = 0;
    wr_dbl(&q, 1, qs[i][0]);
    wr_dbl(&q, 2, qs[i][1]);
    wr_msg(&dp, 6, &q);
  }
  wr_msg(&s, 1, &dp);
  wr_str(&m, 1, "rt");
  wr_msg(&m, 11, &s);
  request(&req, NULL, &m);
  cr_assert_eq(metrics(req.b, req.n), 0);
  cr_assert_eq(res.accepted, 1);
  cr_assert_eq(st.points_otlp[CORE_OTLP_PK_SUMMARY], 1);
  cr_assert_eq(p.head.count, 4);
  for (uint32_t i = 0; i < 4; i++)
    cr_assert_str_eq(point(i), want[i]);
}

Test(otlpmap, no_value_no_name_and_receive_time) {
  struct wr dp, g = {.n = 0}, m = {.n = 0}, req;

  number_point(&dp, 0, 0, 0, NULL); /* no value, no time */
  wr_msg(&g, 1, &dp);
  wr_str(&m, 1, "g");
  wr_msg(&m, 5, &g);
  request(&req, NULL, &m);
  cr_assert_eq(metrics(req.b, req.n), 0);
  cr_assert_eq(st.otlp_rejected[CORE_OTLP_REJ_NO_VALUE], 1);
  number_point(&dp, 4, 1, 0, NULL);
  g.n = m.n = 0;
  wr_msg(&g, 1, &dp);
  wr_msg(&m, 5, &g); /* no name */
  request(&req, NULL, &m);
  cr_assert_eq(metrics(req.b, req.n), 0);
  cr_assert_eq(st.otlp_rejected[CORE_OTLP_REJ_BAD_NAME], 1);
  m.n = 0;
  wr_str(&m, 1, "g");
  wr_msg(&m, 5, &g);
  request(&req, NULL, &m);
  cr_assert_eq(metrics(req.b, req.n), 0);
  cr_assert_eq(res.accepted, 1);
  cr_assert_eq(p.head.ts_ms[0], NOW); /* time 0: the receive time */
}

Test(otlpmap, max_series_and_key_bound) {
  struct wr m, req;
  char name[8];
  static char big[CORE_SERIES_KEY_BYTES_MAX + 1];

  teardown();
  setup_n(2);
  for (int i = 0; i < 3; i++) {
    snprintf(name, sizeof(name), "m%d", i);
    sum_metric(&m, name, 1, 2, 1);
    request(&req, NULL, &m);
    cr_assert_eq(metrics(req.b, req.n), 0);
  }
  cr_assert_eq(st.otlp_rejected[CORE_OTLP_REJ_MAX_SERIES], 1);
  cr_assert_eq(st.series_rejected, 1);
  cr_assert_eq(p.head.count, 2);
  memset(big, 'x', sizeof(big) - 1);
  m.n = 0;
  struct wr dp, g = {.n = 0};
  number_point(&dp, 1, 1, 1, NULL);
  wr_msg(&g, 1, &dp);
  wr_str(&m, 1, big);
  wr_msg(&m, 5, &g);
  request(&req, NULL, &m);
  cr_assert_eq(metrics(req.b, req.n), 0);
  cr_assert_eq(st.otlp_rejected[CORE_OTLP_REJ_KEY_TOO_LONG], 1);
}

/* ---- logs ----------------------------------------------------------------- */

/* Attribute sdid.name of r as readers serve it (binary OTLP fields of a
 * head record formatted, as the block reader does). */
static const char *attr(const struct stor_log_rec *r0, const char *key) {
  static char k[256], v[4096], t[STOR_LOTEL_TEXT_BYTES_MAX];
  static struct core_syslog_attr served[CORE_SYSLOG_SD_ATTRS_MAX];
  struct stor_log_rec copy = *r0, *r = &copy;

  cr_assert_geq(stor_log_otel_serve(r, served, CORE_SYSLOG_SD_ATTRS_MAX, t),
                0);
  for (uint32_t i = 0; i < r->attr_count; i++) {
    const struct core_syslog_attr *a = &r->attrs[i];
    snprintf(k, sizeof(k), "%.*s.%.*s", (int)a->sdid.len, a->sdid.ptr,
             (int)a->name.len, a->name.ptr);
    if (strcmp(k, key) == 0) {
      snprintf(v, sizeof(v), "%.*s", (int)a->value.len, a->value.ptr);
      return v;
    }
  }
  return NULL;
}

static const char *str(const struct core_syslog_str *s) {
  static char v[4][4096];
  static int i;

  i = (i + 1) % 4;
  snprintf(v[i], sizeof(v[i]), "%.*s", (int)s->len, s->ptr ? s->ptr : "");
  return v[i];
}

Test(otlpmap, sdk_log_records) {
  size_t n;
  char *b = slurp("logs.bin", &n);
  const struct stor_log_rec *r;

  cr_assert_eq(core_pipe_otlp(&p, CORE_OTLP_LOGS, CORE_OTLP_ENC_PROTO, b, n,
                              NOW, &res), 0, "%s", res.why);
  cr_assert_eq(res.accepted, 3);
  cr_assert_eq(st.logs_otlp, 3);
  cr_assert_eq(p.loghead.count, 3);
  r = &p.loghead.recs[0];
  cr_assert_eq(r->time_ns, INT64_C(1765000001987654321));
  cr_assert_eq(r->recv_ms, NOW);
  cr_assert_eq(r->flags, CORE_SYSLOG_F_OTLP);
  cr_assert_eq(r->facility, 1);
  cr_assert_eq(r->severity, 3); /* ERROR (17) */
  cr_assert_str_eq(str(&r->host), "web-1");
  cr_assert_str_eq(str(&r->app), "checkout");
  cr_assert_str_eq(str(&r->msg), "payment failed");
  cr_assert_str_eq(attr(r, "otel.severity_number"), "17");
  cr_assert_str_eq(attr(r, "otel.severity_text"), "ERROR");
  cr_assert_str_eq(attr(r, "otel.trace_id"),
                   "5b8efff798038103d269b633813fc60c");
  cr_assert_str_eq(attr(r, "otel.span_id"), "eee19b7ec3c1b174");
  cr_assert_str_eq(attr(r, "otel.flags"), "1");
  cr_assert_str_eq(attr(r, "otel.observed_time_unix_nano"),
                   "1765000000123456789");
  cr_assert_str_eq(attr(r, "attr.code"), "402");
  cr_assert_str_eq(attr(r, "resource.pid"), "4242");
  cr_assert_str_eq(attr(r, "otel.scope.name"), "sluice.fixture");
  /* kept binary in the head (layout 3), after severity number and text */
  cr_assert_eq(r->otel.has,
               STOR_LOTEL_OBS | STOR_LOTEL_TRACE | STOR_LOTEL_SPAN);
  cr_assert_eq(r->otel.at, 2);
  cr_assert_eq(r->otel.observed_ns, UINT64_C(1765000000123456789));
  cr_assert_eq(r->otel.span_id[0], 0xee);
  r = &p.loghead.recs[1];
  cr_assert_eq(r->severity, 6); /* INFO (9) */
  cr_assert_str_eq(str(&r->msg), "{\"nested\":\"map\",\"n\":1}");
  cr_assert_str_eq(attr(r, "otel.body_type"), "kvlist");
  r = &p.loghead.recs[2];
  cr_assert_eq(r->severity, 7); /* DEBUG (5) */
  cr_assert_str_eq(str(&r->msg), "3.5");
  cr_assert_str_eq(attr(r, "attr.list"), "[1,2]");
  cr_assert_null(attr(r, "otel.trace_id"));
  free(b);
}

/* A logs request of one record with n string attributes and a body. */
static void log_request(struct wr *out, unsigned nattrs, uint64_t time_ns,
                        uint32_t sev) {
  static struct wr lr, sl, rl;
  char k[16];

  lr.n = sl.n = rl.n = 0;
  if (time_ns)
    wr_f64(&lr, 1, time_ns);
  wr_u(&lr, 2, sev);
  for (unsigned i = 0; i < nattrs; i++) {
    snprintf(k, sizeof(k), "a%u", i);
    wr_kv_str(&lr, 6, k, "v");
  }
  struct wr body = {.n = 0};
  wr_str(&body, 1, "hello");
  if (sev != 0) /* severity 0: no body either */
    wr_msg(&lr, 5, &body);
  wr_msg(&sl, 2, &lr);
  wr_msg(&rl, 2, &sl);
  out->n = 0;
  wr_msg(out, 1, &rl);
}

Test(otlpmap, log_attributes_past_64_go_to_otel_more) {
  static struct wr req;
  const struct stor_log_rec *r;

  log_request(&req, 100, 0, 0);
  cr_assert_eq(core_pipe_otlp(&p, CORE_OTLP_LOGS, CORE_OTLP_ENC_PROTO, req.b,
                              req.n, NOW, &res), 0, "%s", res.why);
  cr_assert_eq(res.accepted, 1);
  r = &p.loghead.recs[0];
  cr_assert_eq(r->attr_count, CORE_SYSLOG_SD_ATTRS_MAX);
  cr_assert_eq(r->flags, CORE_SYSLOG_F_OTLP | CORE_SYSLOG_F_NO_TIME);
  cr_assert_eq(r->time_ns, NOW * 1000000);
  cr_assert_eq(r->severity, 5); /* unspecified: notice */
  cr_assert_eq(r->msg.len, 0);  /* no body: no message (not "null") */
  cr_assert_str_eq(attr(r, "attr.a0"), "v");
  cr_assert_str_eq(attr(r, "attr.a62"), "v");
  cr_assert_null(attr(r, "attr.a63"));
  const char *more = attr(r, "otel.more");
  cr_assert_not_null(more);
  cr_assert(strncmp(more, "{\"attr.a63\":\"v\",", 16) == 0, "%s", more);
  cr_assert(strstr(more, "\"attr.a99\":\"v\"}") != NULL, "%s", more);
}

Test(otlpmap, logs_without_a_log_head_are_refused) {
  static struct wr req;

  teardown();
  memset(&st, 0, sizeof(st));
  cr_assert_eq(core_pipe_init(&p, &st, 10, 256, NULL, NULL), 0);
  log_request(&req, 1, 5, 9);
  cr_assert_eq(core_pipe_otlp(&p, CORE_OTLP_LOGS, CORE_OTLP_ENC_PROTO, req.b,
                              req.n, NOW, &res), 0);
  cr_assert_eq(res.rejected, 1);
  cr_assert_eq(st.otlp_rejected[CORE_OTLP_REJ_UNSUPPORTED], 1);
}

Test(otlpmap, empty_values_are_tags_not_bare) {
  struct wr dp, g = {.n = 0}, m = {.n = 0}, req;
  static const char *const kv[] = {"e", "", "k", "v", NULL};

  number_point(&dp, 1, 1, 1000000, kv);
  wr_msg(&g, 1, &dp);
  wr_str(&m, 1, "g");
  wr_msg(&m, 5, &g);
  request(&req, NULL, &m);
  cr_assert_eq(metrics(req.b, req.n), 0);
  cr_assert_str_eq(point(0), "g|e:|k:v 6 1 1");
}

Test(otlpmap, no_recorded_value_is_a_stale_marker) {
  struct wr dp, g = {.n = 0}, m = {.n = 0}, req;
  uint64_t bits;

  number_point(&dp, 0, 0, 2000000, NULL);
  wr_u(&dp, 8, 1); /* flags: FLAG_NO_RECORDED_VALUE */
  wr_msg(&g, 1, &dp);
  wr_str(&m, 1, "g");
  wr_msg(&m, 5, &g);
  request(&req, NULL, &m);
  cr_assert_eq(metrics(req.b, req.n), 0);
  cr_assert_eq(res.accepted, 1);
  memcpy(&bits, &p.head.value[0], 8);
  cr_assert_eq(bits, UINT64_C(0x7ff0000000000002));
}

/* A KeyValue whose AnyValue is the raw message any (built by the caller). */
static void kv_any(struct wr *w, uint32_t field, const char *k,
                   const struct wr *any) {
  struct wr kv = {.n = 0};

  wr_str(&kv, 1, k);
  wr_msg(&kv, 2, any);
  wr_msg(w, field, &kv);
}

Test(otlpmap, label_values_of_every_type) {
  struct wr dp = {.n = 0}, g = {.n = 0}, m = {.n = 0}, req, any, arr, kvl,
            inner;
  static const uint8_t raw[] = {0xde, 0xad, 0x01};

  any.n = 0;
  wr_bytes(&any, 7, raw, sizeof(raw)); /* bytes: hex */
  kv_any(&dp, 7, "b", &any);
  any.n = 0;
  wr_u(&any, 2, 0); /* bool false */
  kv_any(&dp, 7, "f", &any);
  any.n = 0;
  wr_dbl(&any, 4, 1e21);
  kv_any(&dp, 7, "d", &any);
  arr.n = inner.n = 0; /* array [1, "x\"y", null-ish empty] */
  wr_u(&inner, 3, 1);
  wr_msg(&arr, 1, &inner);
  inner.n = 0;
  wr_str(&inner, 1, "x\"y");
  wr_msg(&arr, 1, &inner);
  inner.n = 0;
  wr_msg(&arr, 1, &inner);
  any.n = 0;
  wr_msg(&any, 5, &arr);
  kv_any(&dp, 7, "a", &any);
  kvl.n = 0; /* kvlist {"k":2.5} */
  inner.n = 0;
  wr_dbl(&inner, 4, 2.5);
  kv_any(&kvl, 1, "k", &inner);
  any.n = 0;
  wr_msg(&any, 6, &kvl);
  kv_any(&dp, 7, "m", &any);
  wr_kv_str(&dp, 7, "c:o:l", "v"); /* ':' in a key becomes '_' */
  wr_f64(&dp, 3, 5000000);
  wr_dbl(&dp, 4, 1);
  wr_msg(&g, 1, &dp);
  wr_str(&m, 1, "g");
  wr_msg(&m, 5, &g);
  request(&req, NULL, &m);
  cr_assert_eq(metrics(req.b, req.n), 0, "%s", res.why);
  cr_assert_eq(res.accepted, 1);
  cr_assert_str_eq(point(0), "g|a:[1,\"x\\\"y\",null]|b:dead01|c_o_l:v|"
                             "d:1e+21|f:false|m:{\"k\":2.5} 6 5 1");
}

Test(otlpmap, exponential_histogram_scales_and_offsets) {
  struct wr dp = {.n = 0}, h = {.n = 0}, m = {.n = 0}, pos = {.n = 0},
            packed = {.n = 0}, req;
  static const uint64_t counts[] = {0, 4, 0, 0, 2};
  static const char *const want[] = {
      "e_bucket|otel_index:-1000001|otel_scale:-2 13 7 4",
      "e_bucket|otel_index:-999998|otel_scale:-2 13 7 2",
      "e_zero_count 13 7 0",
      "e_count 13 7 6"};

  wr_u(&pos, 1, 2000003); /* offset: sint32 -1000002, zigzag */
  for (unsigned i = 0; i < 5; i++)
    wr_varint(&packed, counts[i]);
  wr_bytes(&pos, 2, packed.b, packed.n); /* bucket_counts: packed varints */
  wr_f64(&dp, 3, 7000000);
  wr_f64(&dp, 4, 6);
  wr_u(&dp, 6, 3); /* scale: sint32 -2 */
  wr_msg(&dp, 8, &pos);
  wr_msg(&h, 1, &dp);
  wr_u(&h, 2, 2);
  wr_str(&m, 1, "e");
  wr_msg(&m, 10, &h);
  request(&req, NULL, &m);
  cr_assert_eq(metrics(req.b, req.n), 0, "%s", res.why);
  cr_assert_eq(res.accepted, 1, "%s", res.message);
  cr_assert_eq(p.head.count, 4);
  for (uint32_t i = 0; i < 4; i++)
    cr_assert_str_eq(point(i), want[i]);
}

/* ---- logs: strings shared between records, read back from the block ------ */

/* Records of one request share keys and many values with the record
 * before (the mapping then references the earlier bytes, the live block
 * encoder finds them by address); each sealed head is encoded as the
 * writer does and read back, every record compared with what was sent.
 * Four requests of 3,000 records: the head seals mid-request (records
 * moved and their references rebased). */
enum { SHARED_RECS = 3000, SHARED_REQS = 4 };
static uint64_t shared_seen, shared_bad;
static struct stor_logenc shared_enc;
static struct stor_logdec shared_dec;
static uint8_t *shared_blk;

static void big_ld(uint8_t **b, size_t *n, uint32_t field, const void *p,
                   size_t len) {
  struct wr h = {.n = 0};

  wr_tag(&h, field, 2);
  wr_varint(&h, len);
  *b = realloc(*b, *n + h.n + len);
  cr_assert_not_null(*b);
  memcpy(*b + *n, h.b, h.n);
  memcpy(*b + *n + h.n, p, len);
  *n += h.n + len;
}

static void shared_expect(uint32_t i, char out[7][32]) {
  snprintf(out[0], 32, "u-%u", i / 3 % 4);      /* changes every third */
  snprintf(out[1], 32, "eu-west-1");             /* always the same */
  snprintf(out[2], 32, "%u", 200 + i % 2);       /* alternates */
  snprintf(out[3], 32, i % 5 ? "x" : "y");       /* key x or y */
  snprintf(out[4], 32, i % 7 < 3 ? "INFO" : "WARN");
  snprintf(out[5], 32, "m%u", i);
  snprintf(out[6], 32, "%u", i % 7 < 3 ? 9 : 13); /* severity_number */
}

static void shared_sink(struct core_loghead *h, void *ctx) {
  struct stor_logblock_reader r;
  struct stor_log_rec got;
  struct core_syslog_attr attrs[CORE_SYSLOG_SD_ATTRS_MAX];
  char want[7][32], key[8];
  long len = stor_logblock_encode(&shared_enc, 0, 1, h->recs, h->count,
                                  shared_blk, 64u << 20);

  (void)ctx;
  cr_assert_gt(len, 0);
  cr_assert_eq(stor_logblock_reader_init(&r, &shared_dec, shared_blk,
                                         (size_t)len), 0);
  for (uint32_t k = 0; k < h->count; k++) {
    uint32_t i = (uint32_t)(shared_seen++ % SHARED_RECS);
    cr_assert_eq(stor_logblock_next(&r, &got, attrs, CORE_SYSLOG_SD_ATTRS_MAX),
                 1);
    shared_expect(i, want);
    snprintf(key, sizeof(key), "attr.%s", i % 5 ? "x" : "y");
    shared_bad += strcmp(attr(&got, "attr.user"), want[0]) != 0 ||
                  strcmp(attr(&got, "attr.region"), want[1]) != 0 ||
                  strcmp(attr(&got, "attr.code"), want[2]) != 0 ||
                  strcmp(attr(&got, key), want[3]) != 0 ||
                  strcmp(attr(&got, "otel.severity_text"), want[4]) != 0 ||
                  strcmp(attr(&got, "otel.severity_number"), want[6]) != 0 ||
                  strcmp(str(&got.msg), want[5]) != 0 ||
                  strcmp(str(&got.app), "svc") != 0 ||
                  got.attr_count != h->recs[k].attr_count;
  }
  cr_assert_eq(stor_logblock_next(&r, &got, attrs, CORE_SYSLOG_SD_ATTRS_MAX),
               0);
}

Test(otlpmap, logs_shared_strings_read_back_from_blocks) {
  struct wr res_attrs = {.n = 0}, lr, body, scope = {.n = 0};
  uint8_t *sl = NULL, *rls = NULL, *req = NULL;
  size_t nsl = 0, nrls = 0, nreq = 0;
  char want[7][32];

  teardown();
  memset(&st, 0, sizeof(st));
  shared_blk = malloc(64u << 20);
  cr_assert_not_null(shared_blk);
  cr_assert_eq(stor_logenc_init(&shared_enc, CORE_LOGHEAD_RECORDS_MAX), 0);
  cr_assert_eq(stor_logdec_init(&shared_dec), 0);
  cr_assert_eq(core_pipe_init(&p, &st, 1000, 256, NULL, NULL), 0);
  cr_assert_eq(core_pipe_logs_init(&p, 65536, shared_sink, NULL), 0);
  wr_str(&scope, 1, "perf");
  big_ld(&sl, &nsl, 1, scope.b, scope.n);
  for (uint32_t i = 0; i < SHARED_RECS; i++) {
    shared_expect(i, want);
    lr.n = body.n = 0;
    wr_f64(&lr, 1, UINT64_C(1765000000000000000) + i);
    wr_u(&lr, 2, (uint64_t)atoi(want[6]));
    wr_str(&lr, 3, want[4]);
    wr_str(&body, 1, want[5]);
    wr_msg(&lr, 5, &body);
    wr_kv_str(&lr, 6, "user", want[0]);
    wr_kv_str(&lr, 6, "region", want[1]);
    wr_kv_str(&lr, 6, "code", want[2]);
    wr_kv_str(&lr, 6, want[3], want[3]);
    big_ld(&sl, &nsl, 2, lr.b, lr.n);
  }
  wr_kv_str(&res_attrs, 1, "service.name", "svc"); /* the Resource */
  big_ld(&rls, &nrls, 1, res_attrs.b, res_attrs.n);
  big_ld(&rls, &nrls, 2, sl, nsl);
  big_ld(&req, &nreq, 1, rls, nrls);
  for (uint32_t k = 0; k < SHARED_REQS; k++) {
    cr_assert_eq(core_pipe_otlp(&p, CORE_OTLP_LOGS, CORE_OTLP_ENC_PROTO, req,
                                nreq, NOW, &res), 0, "%s", res.why);
    cr_assert_eq(res.accepted, SHARED_RECS);
  }
  cr_assert_gt(p.loghead.sealed_blocks, 0, "sealed mid-request");
  core_loghead_seal(&p.loghead);
  cr_assert_eq(shared_seen, SHARED_RECS * SHARED_REQS);
  cr_assert_eq(shared_bad, 0);
  stor_logenc_free(&shared_enc);
  stor_logdec_free(&shared_dec);
  free(shared_blk);
  free(sl);
  free(rls);
  free(req);
}

/* A request of records of the given body sizes under one resource whose
 * one attribute is res_bytes long. */
static uint8_t *big_res_request(size_t res_bytes, const size_t *bodies,
                                uint32_t n, size_t *len) {
  uint8_t *big = malloc(res_bytes > 500000 ? res_bytes : 500000);
  uint8_t *any = NULL, *kv, *resm = NULL, *sl = NULL, *rls = NULL,
          *req = NULL;
  size_t nany = 0, nkv, nres = 0, nsl = 0, nrls = 0;
  struct wr key = {.n = 0};

  cr_assert_not_null(big);
  memset(big, 'r', res_bytes);
  big_ld(&any, &nany, 1, big, res_bytes);
  wr_str(&key, 1, "big");
  kv = malloc(key.n);
  memcpy(kv, key.b, key.n);
  nkv = key.n;
  big_ld(&kv, &nkv, 2, any, nany);
  big_ld(&resm, &nres, 1, kv, nkv);
  for (uint32_t i = 0; i < n; i++) {
    uint8_t *lr, *body = NULL;
    size_t nlr, nbody = 0;
    struct wr t = {.n = 0};

    memset(big, 'b', bodies[i]);
    wr_f64(&t, 1, UINT64_C(1765000000000000000) + i);
    big_ld(&body, &nbody, 1, big, bodies[i]);
    lr = malloc(t.n);
    memcpy(lr, t.b, t.n);
    nlr = t.n;
    big_ld(&lr, &nlr, 5, body, nbody);
    big_ld(&sl, &nsl, 2, lr, nlr);
    free(lr);
    free(body);
  }
  big_ld(&rls, &nrls, 1, resm, nres);
  big_ld(&rls, &nrls, 2, sl, nsl);
  *len = 0;
  big_ld(&req, len, 1, rls, nrls);
  free(big);
  free(any);
  free(kv);
  free(resm);
  free(sl);
  free(rls);
  return req;
}

/* The resource's strings count against CORE_OTLP_LOG_BYTES_MAX in every
 * record: written (the request's first record) or referenced from the
 * request's earlier record (the others) alike. */
Test(otlpmap, log_resource_bytes_count_in_every_record) {
  const size_t first[1] = {500000}, all[3] = {1, 500000, 400000};
  size_t n;
  uint8_t *req = big_res_request(600000, first, 1, &n);

  cr_assert_eq(core_pipe_otlp(&p, CORE_OTLP_LOGS, CORE_OTLP_ENC_PROTO, req, n,
                              NOW, &res), 0, "%s", res.why);
  cr_assert_eq(res.accepted, 0, "written: over the bound");
  cr_assert_eq(res.rejected, 1);
  free(req);
  req = big_res_request(600000, all, 3, &n);
  cr_assert_eq(core_pipe_otlp(&p, CORE_OTLP_LOGS, CORE_OTLP_ENC_PROTO, req, n,
                              NOW, &res), 0, "%s", res.why);
  cr_assert_eq(res.accepted, 2);
  cr_assert_eq(res.rejected, 1, "referenced: over the bound as well");
  cr_assert_eq(st.otlp_rejected[CORE_OTLP_REJ_LOG_TOO_LARGE], 2);
  cr_assert_eq(p.loghead.count, 2);
  cr_assert_eq(p.loghead.recs[1].msg.len, 400000);
  cr_assert_eq(p.loghead.recs[1].attr_count, p.loghead.recs[0].attr_count);
  free(req);
}

/* The text bytes the mapping counts as it writes a record are those
 * stor_logblock_rec_text_bytes counts for it (the head's text bound and
 * the block encoder's buffer rest on them): records of every kind of
 * field, attributes past 64, and records referencing the last one's. */
Test(otlpmap, log_text_bytes_as_the_encoder_counts_them) {
  static struct wr req;
  size_t n, want = 0;
  char *b = slurp("logs.bin", &n);

  cr_assert_eq(core_pipe_otlp(&p, CORE_OTLP_LOGS, CORE_OTLP_ENC_PROTO, b, n,
                              NOW, &res), 0, "%s", res.why);
  log_request(&req, 100, 0, 0);
  cr_assert_eq(core_pipe_otlp(&p, CORE_OTLP_LOGS, CORE_OTLP_ENC_PROTO, req.b,
                              req.n, NOW, &res), 0, "%s", res.why);
  log_request(&req, 5, UINT64_C(1765000000000000000), 9);
  for (int i = 0; i < 3; i++)
    cr_assert_eq(core_pipe_otlp(&p, CORE_OTLP_LOGS, CORE_OTLP_ENC_PROTO,
                                req.b, req.n, NOW, &res), 0, "%s", res.why);
  cr_assert_eq(p.loghead.count, 3 + 1 + 3);
  for (uint32_t i = 0; i < p.loghead.count; i++)
    want += stor_logblock_rec_text_bytes(&p.loghead.recs[i]);
  cr_assert_eq(p.loghead.text_bytes, want);
  free(b);
}

/* Records of one string attribute "k" of vl[i] bytes each (no other
 * field but, from the second record on, a body "b" when body). */
static uint8_t *attr_requests(const size_t *vl, uint32_t n, int body,
                              size_t *len) {
  uint8_t *sl = NULL, *rls = NULL, *req = NULL;
  size_t nsl = 0, nrls = 0;

  for (uint32_t i = 0; i < n; i++) {
    uint8_t *big = malloc(vl[i] + 1), *any = NULL, *kv, *lr = NULL;
    size_t nany = 0, nkv, nlr = 0;
    struct wr key = {.n = 0};

    cr_assert_not_null(big);
    memset(big, 'v', vl[i]);
    big_ld(&any, &nany, 1, big, vl[i]);
    wr_str(&key, 1, "k");
    kv = malloc(key.n);
    cr_assert_not_null(kv);
    memcpy(kv, key.b, key.n);
    nkv = key.n;
    big_ld(&kv, &nkv, 2, any, nany);
    if (body && i > 0) {
      struct wr b = {.n = 0};
      wr_str(&b, 1, "b");
      big_ld(&lr, &nlr, 5, b.b, b.n);
    }
    big_ld(&lr, &nlr, 6, kv, nkv);
    big_ld(&sl, &nsl, 2, lr, nlr);
    free(big);
    free(any);
    free(kv);
    free(lr);
  }
  big_ld(&rls, &nrls, 2, sl, nsl);
  *len = 0;
  big_ld(&req, len, 1, rls, nrls);
  free(sl);
  free(rls);
  return req;
}

/* attr_requests' request into the pipe (decoded: res says what was
 * stored). */
static void attr_send(const size_t *vl, uint32_t n, int body) {
  size_t len;
  uint8_t *req = attr_requests(vl, n, body, &len);

  cr_assert_eq(core_pipe_otlp(&p, CORE_OTLP_LOGS, CORE_OTLP_ENC_PROTO, req,
                              len, NOW, &res), 0, "%s", res.why);
  free(req);
}

/* A string attribute's key and value are bounded together at
 * CORE_OTLP_LOG_BYTES_MAX, copied or referenced (the key the last
 * record's: only its value copied): the record's bytes are the three sd
 * ids (16), the key (1) and the value. */
Test(otlpmap, log_string_attribute_at_the_bound) {
  const size_t at[2] = {1, CORE_OTLP_LOG_BYTES_MAX - 17},
               past[2] = {1, CORE_OTLP_LOG_BYTES_MAX - 16};

  attr_send(at + 1, 1, 0);
  cr_assert_eq(res.accepted, 1, "at the bound");
  cr_assert_eq(p.loghead.recs[0].attrs[0].value.len,
               CORE_OTLP_LOG_BYTES_MAX - 17);
  attr_send(past + 1, 1, 0);
  cr_assert_eq(res.accepted, 0, "a byte past it");
  cr_assert_eq(res.rejected, 1);
  attr_send(at, 2, 0);
  cr_assert_eq(res.accepted, 2, "at the bound, the key referenced");
  attr_send(past, 2, 0);
  cr_assert_eq(res.accepted, 1);
  cr_assert_eq(res.rejected, 1, "a byte past it, the key referenced");
  cr_assert_eq(st.otlp_rejected[CORE_OTLP_REJ_LOG_TOO_LARGE], 2);
}

/* A value referenced from the last record counts as if copied: two equal
 * records at the bound, the second with a one-byte body besides. */
Test(otlpmap, log_referenced_value_counts_against_the_bound) {
  const size_t at[2] = {CORE_OTLP_LOG_BYTES_MAX - 17,
                        CORE_OTLP_LOG_BYTES_MAX - 17},
               below[2] = {CORE_OTLP_LOG_BYTES_MAX - 18,
                           CORE_OTLP_LOG_BYTES_MAX - 18};

  attr_send(below, 2, 1);
  cr_assert_eq(res.accepted, 2, "key, value and body at the bound");
  cr_assert_eq(p.loghead.recs[1].attrs[0].value.ptr,
               p.loghead.recs[0].attrs[0].value.ptr, "the value referenced");
  attr_send(at, 2, 1);
  cr_assert_eq(res.accepted, 1);
  cr_assert_eq(res.rejected, 1, "a byte past it, the value referenced");
}
