/*
 * core/parse/otlp_json_walk.c - the OTLP JSON requests (see otlp_json.h):
 * the walk over Resource{Metrics,Logs,Spans} and Scope{Metrics,Logs,Spans}
 * and the items under them, field for field as the protobuf decoders
 * (otlp*.c) read them, into the same items.
 *
 * A level's context (resource, scope, a metric's name, a sum's
 * temporality) may come after its children in a JSON object. Its
 * children are read in place when the context came first (every SDK
 * sends it so); otherwise they are skipped (checked) and read from a
 * saved reader once the object is done. Duplicate fields are refused, so
 * a context read before the children cannot change after them.
 */
#include <errno.h>
#include <string.h>

#include "core/parse/otlp_json.h"
#include "core/parse/otlp_json_int.h"

#define TRACE_ID_BYTES 16
#define SPAN_ID_BYTES 8
#define BIT(id) (1u << (id))

struct jdec;
typedef int (*jitem_fn)(struct jdec *d, struct jr *r);

/* What differs between the three signals: their level names and items. */
struct jsig {
  struct jfield req, res_child, scope_child;
  jitem_fn item;
};

/* One decode in progress. */
struct jdec {
  struct core_otlp_scratch *s;
  const struct core_otlp_sink *sink;
  const struct jsig *sig;
  struct core_otlp_point tmpl; /* the current metric's fields */
};

/* Each element of the array at r to fn. */
static int each(struct jdec *d, struct jr *r, jitem_fn fn) {
  uint32_t n = 0;
  int rc;
  JR_TRY(jr_arr(r));
  while ((rc = jr_elem(r, &n)) > 0)
    JR_TRY(fn(d, r));
  return rc;
}

static int count_item(struct jdec *d, struct jr *r) {
  if (d->s->items >= CORE_OTLP_ITEMS_MAX)
    return jr_fail(r, -E2BIG, "too many items in request");
  d->s->items++;
  return 0;
}

/* Resource: attributes. */
static int rd_resource(struct jdec *d, struct jr *r) {
  static const struct jfield t[] = {JF("attributes", "attributes")};
  uint32_t n = 0, k = 0, seen = 0;
  unsigned id;
  int rc;
  JR_TRY(jr_obj(r));
  while ((rc = jr_member(r, &k, t, 1, &seen, &id)) > 0)
    JR_TRY(jr_attrs(r, d->s->resource, &n));
  d->s->origin.resource.v = d->s->resource;
  d->s->origin.resource.n = n;
  return rc;
}

/* InstrumentationScope: name, version (its attributes skipped). */
static int rd_scope(struct jdec *d, struct jr *r) {
  static const struct jfield t[] = {JF("name", "name"),
                                    JF("version", "version")};
  uint32_t k = 0, seen = 0;
  unsigned id;
  int rc;
  JR_TRY(jr_obj(r));
  while ((rc = jr_member(r, &k, t, 2, &seen, &id)) > 0)
    JR_TRY(jr_str(r, id == 1 ? &d->s->origin.scope_name
                             : &d->s->origin.scope_version));
  return rc;
}

/*
 * A ResourceX or ScopeX object, fields t: 1 its context (to ctx), 2 its
 * children (each to child), read in place once the context came.
 */
static int level(struct jdec *d, struct jr *r, const struct jfield *t,
                 jitem_fn ctx, jitem_fn child) {
  uint32_t n = 0, seen = 0;
  unsigned id;
  int rc, later = 0;
  struct jr at;
  JR_TRY(jr_obj(r));
  while ((rc = jr_member(r, &n, t, 2, &seen, &id)) > 0) {
    if (id == 1) {
      rc = ctx(d, r);
    } else if (seen & BIT(1)) {
      rc = each(d, r, child);
    } else {
      at = *r;
      later = 1;
      rc = jr_skip(r);
    }
    if (rc)
      return rc;
  }
  if (rc || !later)
    return rc;
  return each(d, &at, child);
}

static int scope_x(struct jdec *d, struct jr *r) {
  const struct jfield t[] = {JF("scope", "scope"), d->sig->scope_child};
  memset(&d->s->origin.scope_name, 0, sizeof d->s->origin.scope_name);
  memset(&d->s->origin.scope_version, 0, sizeof d->s->origin.scope_version);
  return level(d, r, t, rd_scope, d->sig->item);
}

static int resource_x(struct jdec *d, struct jr *r) {
  const struct jfield t[] = {JF("resource", "resource"), d->sig->res_child};
  d->s->origin.resource.n = 0;
  return level(d, r, t, rd_resource, scope_x);
}

static int decode(const void *buf, size_t len, struct core_otlp_scratch *s,
                  struct core_otlp_jscratch *js,
                  const struct core_otlp_sink *sink, const char **why,
                  const struct jsig *sig) {
  struct jdec d = {.s = s, .sink = sink, .sig = sig};
  struct jr r = {
      .p = buf, .end = (const uint8_t *)buf + len, .why = why, .js = js};
  uint32_t n = 0, seen = 0;
  unsigned id;
  int rc;
  *why = NULL;
  js->used = 0;
  memset(&s->origin, 0, sizeof s->origin);
  s->items = 0;
  if (len == 0)
    return jr_fail(&r, -EBADMSG, "empty JSON body");
  if (len > UINT32_MAX) /* lengths handed out are 32-bit */
    return jr_fail(&r, -E2BIG, "JSON body over 4 GiB");
  JR_TRY(jr_obj(&r));
  while ((rc = jr_member(&r, &n, &sig->req, 1, &seen, &id)) > 0)
    JR_TRY(each(&d, &r, resource_x));
  JR_TRY(rc);
  return jr_end(&r);
}

/* ---- metrics ---------------------------------------------------------- */

static const char *const temporality_names[] = {
    "AGGREGATION_TEMPORALITY_UNSPECIFIED", "AGGREGATION_TEMPORALITY_DELTA",
    "AGGREGATION_TEMPORALITY_CUMULATIVE"};
static const struct jenum temporality = {temporality_names, 3};

/* Append the array of uint64 at r to arr[*n]. */
static int rep_u64(struct jr *r, uint64_t *arr, uint32_t *n) {
  uint32_t k = 0;
  int rc;
  JR_TRY(jr_arr(r));
  while ((rc = jr_elem(r, &k)) > 0) {
    if (*n >= CORE_OTLP_BUCKETS_MAX)
      return jr_fail(r, -E2BIG, "too many buckets");
    JR_TRY(jr_u64(r, &arr[(*n)++]));
  }
  return rc;
}

/* Append the array of doubles at r to arr[*n]. */
static int rep_double(struct jr *r, double *arr, uint32_t *n) {
  uint32_t k = 0;
  int rc;
  JR_TRY(jr_arr(r));
  while ((rc = jr_elem(r, &k)) > 0) {
    if (*n >= CORE_OTLP_BUCKETS_MAX)
      return jr_fail(r, -E2BIG, "too many buckets");
    JR_TRY(jr_double(r, &arr[(*n)++]));
  }
  return rc;
}

/* ExponentialHistogramDataPoint.Buckets: offset, bucketCounts. */
static int ebuckets(struct jr *r, struct core_otlp_ebuckets *e, uint64_t *arr) {
  static const struct jfield t[] = {JF("offset", "offset"),
                                    JF("bucketCounts", "bucket_counts")};
  uint32_t k = 0, seen = 0;
  unsigned id;
  int rc;
  JR_TRY(jr_obj(r));
  e->offset = 0;
  e->n = 0;
  e->counts = arr;
  while ((rc = jr_member(r, &k, t, 2, &seen, &id)) > 0)
    JR_TRY(id == 1 ? jr_i32(r, &e->offset) : rep_u64(r, arr, &e->n));
  return rc;
}

/* SummaryDataPoint.quantileValues: [{quantile, value}]. */
static int quantiles(struct jdec *d, struct jr *r, struct core_otlp_point *pt) {
  static const struct jfield t[] = {JF("quantile", "quantile"),
                                    JF("value", "value")};
  uint32_t n = 0, k, seen;
  unsigned id;
  int rc;
  JR_TRY(jr_arr(r));
  while ((rc = jr_elem(r, &n)) > 0) {
    if (pt->quantile_n >= CORE_OTLP_BUCKETS_MAX)
      return jr_fail(r, -E2BIG, "too many quantiles");
    double *q = &d->s->bounds[pt->quantile_n];
    double *v = &d->s->qvalues[pt->quantile_n];
    *q = *v = 0;
    k = seen = 0;
    JR_TRY(jr_obj(r));
    while ((rc = jr_member(r, &k, t, 2, &seen, &id)) > 0)
      JR_TRY(jr_double(r, id == 1 ? q : v));
    JR_TRY(rc);
    pt->quantile_n++;
  }
  return rc;
}

/* An optional double of a histogram point: the value and its has bit. */
static int opt_double(struct jr *r, double *v, uint32_t *has, uint32_t bit) {
  *has |= bit;
  return jr_double(r, v);
}

/* The fields of each point kind after the common 1 attributes,
 * 2 startTimeUnixNano, 3 timeUnixNano. */
#define POINT_COMMON                                                           \
  JF("attributes", "attributes"),                                              \
      JF("startTimeUnixNano", "start_time_unix_nano"),                         \
      JF("timeUnixNano", "time_unix_nano")
static const struct jfield number_fields[] = {
    POINT_COMMON, JF("asDouble", "as_double"), JF("asInt", "as_int"),
    JF("flags", "flags")};
static const struct jfield hist_fields[] = {
    POINT_COMMON,
    JF("count", "count"),
    JF("sum", "sum"),
    JF("bucketCounts", "bucket_counts"),
    JF("explicitBounds", "explicit_bounds"),
    JF("flags", "flags"),
    JF("min", "min"),
    JF("max", "max")};
static const struct jfield exp_fields[] = {POINT_COMMON,
                                           JF("count", "count"),
                                           JF("sum", "sum"),
                                           JF("scale", "scale"),
                                           JF("zeroCount", "zero_count"),
                                           JF("positive", "positive"),
                                           JF("negative", "negative"),
                                           JF("flags", "flags"),
                                           JF("min", "min"),
                                           JF("max", "max")};
static const struct jfield summary_fields[] = {
    POINT_COMMON, JF("count", "count"), JF("sum", "sum"),
    JF("quantileValues", "quantile_values"), JF("flags", "flags")};

/* NumberDataPoint: 4 asDouble, 5 asInt (a oneof), 6 flags. */
static int number_field(struct jdec *d, struct jr *r, unsigned id,
                        uint32_t seen, struct core_otlp_point *pt) {
  (void)d;
  if (id == 6)
    return jr_u32(r, &pt->flags);
  if ((seen & (BIT(4) | BIT(5))) == (BIT(4) | BIT(5)))
    return jr_fail(r, -EBADMSG, "NumberDataPoint with more than one value");
  pt->num = id == 4 ? CORE_OTLP_NUM_DOUBLE : CORE_OTLP_NUM_INT;
  return id == 4 ? jr_double(r, &pt->as_double) : jr_i64(r, &pt->as_int);
}

/* HistogramDataPoint: 4 count, 5 sum, 6 bucketCounts, 7 explicitBounds,
 * 8 flags, 9 min, 10 max. */
static int hist_field(struct jdec *d, struct jr *r, unsigned id, uint32_t seen,
                      struct core_otlp_point *pt) {
  (void)seen;
  switch (id) {
  case 4:
    return jr_u64(r, &pt->count);
  case 5:
    return opt_double(r, &pt->sum, &pt->has, CORE_OTLP_HAS_SUM);
  case 6:
    return rep_u64(r, d->s->counts, &pt->bucket_n);
  case 7:
    return rep_double(r, d->s->bounds, &pt->bounds_n);
  case 8:
    return jr_u32(r, &pt->flags);
  case 9:
    return opt_double(r, &pt->min, &pt->has, CORE_OTLP_HAS_MIN);
  }
  return opt_double(r, &pt->max, &pt->has, CORE_OTLP_HAS_MAX);
}

/* ExponentialHistogramDataPoint: 4 count, 5 sum, 6 scale, 7 zeroCount,
 * 8 positive, 9 negative, 10 flags, 11 min, 12 max. */
static int exp_field(struct jdec *d, struct jr *r, unsigned id, uint32_t seen,
                     struct core_otlp_point *pt) {
  (void)seen;
  switch (id) {
  case 4:
    return jr_u64(r, &pt->count);
  case 5:
    return opt_double(r, &pt->sum, &pt->has, CORE_OTLP_HAS_SUM);
  case 6:
    return jr_i32(r, &pt->scale);
  case 7:
    return jr_u64(r, &pt->zero_count);
  case 8:
    return ebuckets(r, &pt->positive, d->s->counts);
  case 9:
    return ebuckets(r, &pt->negative, d->s->neg_counts);
  case 10:
    return jr_u32(r, &pt->flags);
  case 11:
    return opt_double(r, &pt->min, &pt->has, CORE_OTLP_HAS_MIN);
  }
  return opt_double(r, &pt->max, &pt->has, CORE_OTLP_HAS_MAX);
}

/* SummaryDataPoint: 4 count, 5 sum, 6 quantileValues, 7 flags. */
static int summary_field(struct jdec *d, struct jr *r, unsigned id,
                         uint32_t seen, struct core_otlp_point *pt) {
  (void)seen;
  switch (id) {
  case 4:
    return jr_u64(r, &pt->count);
  case 5: /* not optional in the proto: no has bit */
    return jr_double(r, &pt->sum);
  case 6:
    return quantiles(d, r, pt);
  }
  return jr_u32(r, &pt->flags);
}

typedef int (*point_fn)(struct jdec *, struct jr *, unsigned, uint32_t,
                        struct core_otlp_point *);

/* A point kind's fields and the reader of those after the common three. */
struct point_kind {
  const struct jfield *t;
  unsigned nt;
  point_fn fn;
};

static const struct point_kind number_kind = {number_fields, 6, number_field};
static const struct point_kind hist_kind = {hist_fields, 10, hist_field};
static const struct point_kind exp_kind = {exp_fields, 12, exp_field};
static const struct point_kind summary_kind = {summary_fields, 7,
                                               summary_field};

/* One data point of the current metric (d->tmpl), to the sink. */
static int rd_point(struct jdec *d, struct jr *r) {
  struct core_otlp_point pt = d->tmpl;
  enum core_otlp_kind k = d->tmpl.kind;
  const struct point_kind *pk = k == CORE_OTLP_HISTOGRAM       ? &hist_kind
                                : k == CORE_OTLP_EXP_HISTOGRAM ? &exp_kind
                                : k == CORE_OTLP_SUMMARY       ? &summary_kind
                                                               : &number_kind;
  uint32_t n = 0, seen = 0, nattr = 0;
  unsigned id;
  int rc;
  JR_TRY(count_item(d, r));
  JR_TRY(jr_obj(r));
  while ((rc = jr_member(r, &n, pk->t, pk->nt, &seen, &id)) > 0)
    JR_TRY(id == 1   ? jr_attrs(r, d->s->item, &nattr)
           : id <= 3 ? jr_u64(r, id == 2 ? &pt.start_ns : &pt.time_ns)
                     : pk->fn(d, r, id, seen, &pt));
  JR_TRY(rc);
  pt.attrs.v = d->s->item;
  pt.attrs.n = nattr;
  pt.bucket_counts = d->s->counts;
  pt.bounds = d->s->bounds;
  pt.quantiles = d->s->bounds;
  pt.quantile_values = d->s->qvalues;
  if (d->sink && d->sink->point)
    return d->sink->point(d->sink->ctx, &pt);
  return 0;
}

/* Gauge/Sum/Histogram/ExponentialHistogram/Summary: 1 dataPoints, and
 * 2 aggregationTemporality (not gauge, summary), 3 isMonotonic (sum). */
static int rd_data(struct jdec *d, struct jr *r) {
  static const struct jfield t[] = {
      JF("dataPoints", "data_points"),
      JF("aggregationTemporality", "aggregation_temporality"),
      JF("isMonotonic", "is_monotonic")};
  enum core_otlp_kind k = d->tmpl.kind;
  unsigned nt = k == CORE_OTLP_SUM                               ? 3
                : k == CORE_OTLP_GAUGE || k == CORE_OTLP_SUMMARY ? 1
                                                                 : 2;
  uint32_t n = 0, seen = 0, ctx = (BIT(nt + 1) - 1) & ~(BIT(0) | BIT(1));
  unsigned id;
  int rc, later = 0, mono;
  struct jr at;
  JR_TRY(jr_obj(r));
  while ((rc = jr_member(r, &n, t, nt, &seen, &id)) > 0) {
    if (id == 2) {
      rc = jr_enum(r, &temporality, &d->tmpl.temporality);
    } else if (id == 3) {
      rc = jr_bool(r, &mono);
      d->tmpl.monotonic = mono;
    } else if ((seen & ctx) == ctx) {
      rc = each(d, r, rd_point);
    } else {
      at = *r;
      later = 1;
      rc = jr_skip(r);
    }
    if (rc)
      return rc;
  }
  if (rc || !later)
    return rc;
  return each(d, &at, rd_point);
}

/* Metric: 1 name, 2 description, 3 unit, then one of 4 gauge, 5 sum,
 * 6 histogram, 7 exponentialHistogram, 8 summary, read in place once
 * the three strings came. */
static int rd_metric(struct jdec *d, struct jr *r) {
  static const struct jfield t[] = {
      JF("name", "name"),
      JF("description", "description"),
      JF("unit", "unit"),
      JF("gauge", "gauge"),
      JF("sum", "sum"),
      JF("histogram", "histogram"),
      JF("exponentialHistogram", "exponential_histogram"),
      JF("summary", "summary")};
  static const enum core_otlp_kind kinds[] = {
      CORE_OTLP_GAUGE, CORE_OTLP_SUM, CORE_OTLP_HISTOGRAM,
      CORE_OTLP_EXP_HISTOGRAM, CORE_OTLP_SUMMARY};
  const uint32_t strs = BIT(1) | BIT(2) | BIT(3);
  uint32_t n = 0, seen = 0;
  unsigned id;
  int rc, later = 0;
  struct jr at;
  memset(&d->tmpl, 0, sizeof d->tmpl);
  d->tmpl.origin = &d->s->origin;
  JR_TRY(jr_obj(r));
  while ((rc = jr_member(r, &n, t, 8, &seen, &id)) > 0) {
    if (id <= 3) {
      rc = jr_str(r, id == 1   ? &d->tmpl.name
                     : id == 2 ? &d->tmpl.description
                               : &d->tmpl.unit);
    } else if (seen & ~strs & ~BIT(id)) {
      rc = jr_fail(r, -EBADMSG, "Metric with more than one data kind");
    } else {
      d->tmpl.kind = kinds[id - 4];
      if ((seen & strs) == strs) {
        rc = rd_data(d, r);
      } else {
        at = *r;
        later = 1;
        rc = jr_skip(r);
      }
    }
    if (rc)
      return rc;
  }
  if (rc || !later)
    return rc;
  return rd_data(d, &at);
}

int core_otlp_json_metrics_decode(const void *buf, size_t len,
                                  struct core_otlp_scratch *s,
                                  struct core_otlp_jscratch *js,
                                  const struct core_otlp_sink *sink,
                                  const char **why) {
  static const struct jsig sig = {JF("resourceMetrics", "resource_metrics"),
                                  JF("scopeMetrics", "scope_metrics"),
                                  JF("metrics", "metrics"), rd_metric};
  return decode(buf, len, s, js, sink, why, &sig);
}

/* ---- logs ------------------------------------------------------------- */

static const char *const severity_names[] = {
    "SEVERITY_NUMBER_UNSPECIFIED", "SEVERITY_NUMBER_TRACE",
    "SEVERITY_NUMBER_TRACE2",      "SEVERITY_NUMBER_TRACE3",
    "SEVERITY_NUMBER_TRACE4",      "SEVERITY_NUMBER_DEBUG",
    "SEVERITY_NUMBER_DEBUG2",      "SEVERITY_NUMBER_DEBUG3",
    "SEVERITY_NUMBER_DEBUG4",      "SEVERITY_NUMBER_INFO",
    "SEVERITY_NUMBER_INFO2",       "SEVERITY_NUMBER_INFO3",
    "SEVERITY_NUMBER_INFO4",       "SEVERITY_NUMBER_WARN",
    "SEVERITY_NUMBER_WARN2",       "SEVERITY_NUMBER_WARN3",
    "SEVERITY_NUMBER_WARN4",       "SEVERITY_NUMBER_ERROR",
    "SEVERITY_NUMBER_ERROR2",      "SEVERITY_NUMBER_ERROR3",
    "SEVERITY_NUMBER_ERROR4",      "SEVERITY_NUMBER_FATAL",
    "SEVERITY_NUMBER_FATAL2",      "SEVERITY_NUMBER_FATAL3",
    "SEVERITY_NUMBER_FATAL4"};
static const struct jenum severity = {severity_names, 25};

/* LogRecord: 1 time, 2 observed time, 3 severityNumber, 4 severityText,
 * 5 body, 6 attributes, 7 flags, 8 traceId, 9 spanId, 10 eventName. */
static int log_field(struct jdec *d, struct jr *r, unsigned id,
                     struct core_otlp_log *l, uint32_t *nattr) {
  switch (id) {
  case 1:
    return jr_u64(r, &l->time_ns);
  case 2:
    return jr_u64(r, &l->observed_ns);
  case 3:
    return jr_enum(r, &severity, &l->severity_number);
  case 4:
    return jr_str(r, &l->severity_text);
  case 5:
    return jr_any(r, &l->body, 0);
  case 6:
    return jr_attrs(r, d->s->item, nattr);
  case 7:
    return jr_u32(r, &l->flags);
  case 8:
    return jr_id(r, &l->trace_id, TRACE_ID_BYTES, "trace_id not 32 hex digits");
  case 9:
    return jr_id(r, &l->span_id, SPAN_ID_BYTES, "span_id not 16 hex digits");
  }
  return jr_str(r, &l->event_name);
}

static int rd_log(struct jdec *d, struct jr *r) {
  static const struct jfield t[] = {
      JF("timeUnixNano", "time_unix_nano"),
      JF("observedTimeUnixNano", "observed_time_unix_nano"),
      JF("severityNumber", "severity_number"),
      JF("severityText", "severity_text"),
      JF("body", "body"),
      JF("attributes", "attributes"),
      JF("flags", "flags"),
      JF("traceId", "trace_id"),
      JF("spanId", "span_id"),
      JF("eventName", "event_name")};
  struct core_otlp_log l;
  uint32_t n = 0, seen = 0, nattr = 0;
  unsigned id;
  int rc;
  JR_TRY(count_item(d, r));
  memset(&l, 0, sizeof l);
  l.origin = &d->s->origin;
  JR_TRY(jr_obj(r));
  while ((rc = jr_member(r, &n, t, 10, &seen, &id)) > 0)
    JR_TRY(log_field(d, r, id, &l, &nattr));
  JR_TRY(rc);
  l.attrs.v = d->s->item;
  l.attrs.n = nattr;
  if (d->sink && d->sink->log)
    return d->sink->log(d->sink->ctx, &l);
  return 0;
}

int core_otlp_json_logs_decode(const void *buf, size_t len,
                               struct core_otlp_scratch *s,
                               struct core_otlp_jscratch *js,
                               const struct core_otlp_sink *sink,
                               const char **why) {
  static const struct jsig sig = {JF("resourceLogs", "resource_logs"),
                                  JF("scopeLogs", "scope_logs"),
                                  JF("logRecords", "log_records"), rd_log};
  return decode(buf, len, s, js, sink, why, &sig);
}

/* ---- traces ----------------------------------------------------------- */

static const char *const kind_names[] = {
    "SPAN_KIND_UNSPECIFIED", "SPAN_KIND_INTERNAL", "SPAN_KIND_SERVER",
    "SPAN_KIND_CLIENT",      "SPAN_KIND_PRODUCER", "SPAN_KIND_CONSUMER"};
static const struct jenum span_kind = {kind_names, 6};
static const char *const status_names[] = {
    "STATUS_CODE_UNSET", "STATUS_CODE_OK", "STATUS_CODE_ERROR"};
static const struct jenum status_code = {status_names, 3};

/* Span.Status: 1 message, 2 code. */
static int rd_status(struct jr *r, struct core_otlp_span *s) {
  static const struct jfield t[] = {JF("message", "message"),
                                    JF("code", "code")};
  uint32_t n = 0, seen = 0;
  unsigned id;
  int rc;
  JR_TRY(jr_obj(r));
  while ((rc = jr_member(r, &n, t, 2, &seen, &id)) > 0)
    JR_TRY(id == 1 ? jr_str(r, &s->status_message)
                   : jr_enum(r, &status_code, &s->status_code));
  return rc;
}

/* A span's events and links, skipped (counted) while its fields are read,
 * read after its callback in the order their keys came. */
struct children {
  struct jr at[2];
  unsigned first, n; /* which came first (0 events, 1 links), how many */
};

/* Span: 1 traceId, 2 spanId, 3 traceState, 4 parentSpanId, 5 name,
 * 6 kind, 7 start, 8 end, 9 attributes, 10 events, 11 links, 12 status,
 * 13 flags. */
static int span_field(struct jdec *d, struct jr *r, unsigned id,
                      struct core_otlp_span *s, uint32_t *nattr,
                      struct children *c) {
  switch (id) {
  case 1:
    return jr_id(r, &s->trace_id, TRACE_ID_BYTES, "trace_id not 32 hex digits");
  case 2:
    return jr_id(r, &s->span_id, SPAN_ID_BYTES, "span_id not 16 hex digits");
  case 3:
  case 5:
    return jr_str(r, id == 3 ? &s->trace_state : &s->name);
  case 4:
    return jr_id(r, &s->parent_span_id, SPAN_ID_BYTES,
                 "parent_span_id not 16 hex digits");
  case 6:
    return jr_enum(r, &span_kind, &s->kind);
  case 7:
  case 8:
    return jr_u64(r, id == 7 ? &s->start_ns : &s->end_ns);
  case 9:
    return jr_attrs(r, d->s->item, nattr);
  case 10:
  case 11:
    if (c->n++ == 0)
      c->first = id - 10;
    c->at[id - 10] = *r;
    return jr_skip_count(r, id == 10 ? &s->events_n : &s->links_n);
  case 12:
    return rd_status(r, s);
  }
  return jr_u32(r, &s->flags);
}

/* Span.Event: 1 time, 2 name, 3 attributes. */
static int rd_event(struct jdec *d, struct jr *r,
                    const struct core_otlp_span *s) {
  static const struct jfield t[] = {JF("timeUnixNano", "time_unix_nano"),
                                    JF("name", "name"),
                                    JF("attributes", "attributes")};
  struct core_otlp_event e;
  uint32_t n = 0, seen = 0, na = 0;
  unsigned id;
  int rc;
  memset(&e, 0, sizeof e);
  JR_TRY(jr_obj(r));
  while ((rc = jr_member(r, &n, t, 3, &seen, &id)) > 0)
    JR_TRY(id == 1   ? jr_u64(r, &e.time_ns)
           : id == 2 ? jr_str(r, &e.name)
                     : jr_attrs(r, d->s->sub, &na));
  JR_TRY(rc);
  e.attrs.v = d->s->sub;
  e.attrs.n = na;
  if (d->sink && d->sink->event)
    return d->sink->event(d->sink->ctx, s, &e);
  return 0;
}

/* Span.Link: 1 traceId, 2 spanId (both required), 3 traceState,
 * 4 attributes, 5 flags. */
static int rd_link(struct jdec *d, struct jr *r,
                   const struct core_otlp_span *s) {
  static const struct jfield t[] = {
      JF("traceId", "trace_id"), JF("spanId", "span_id"),
      JF("traceState", "trace_state"), JF("attributes", "attributes"),
      JF("flags", "flags")};
  struct core_otlp_link l;
  uint32_t n = 0, seen = 0, na = 0;
  unsigned id;
  int rc;
  memset(&l, 0, sizeof l);
  JR_TRY(jr_obj(r));
  while ((rc = jr_member(r, &n, t, 5, &seen, &id)) > 0)
    JR_TRY(id == 1   ? jr_id(r, &l.trace_id, TRACE_ID_BYTES,
                             "trace_id not 32 hex digits")
           : id == 2 ? jr_id(r, &l.span_id, SPAN_ID_BYTES,
                             "span_id not 16 hex digits")
           : id == 3 ? jr_str(r, &l.trace_state)
           : id == 4 ? jr_attrs(r, d->s->sub, &na)
                     : jr_u32(r, &l.flags));
  JR_TRY(rc);
  if (!l.trace_id || !l.span_id)
    return jr_fail(r, -EBADMSG, "link without trace_id or span_id");
  l.attrs.v = d->s->sub;
  l.attrs.n = na;
  if (d->sink && d->sink->link)
    return d->sink->link(d->sink->ctx, s, &l);
  return 0;
}

/* The span's events or links (which: 0, 1) from their saved reader. */
static int span_children(struct jdec *d, struct children *c, unsigned which,
                         const struct core_otlp_span *s) {
  uint32_t n = 0;
  int rc;
  struct jr *r = &c->at[which];
  JR_TRY(jr_arr(r));
  while ((rc = jr_elem(r, &n)) > 0)
    JR_TRY(which ? rd_link(d, r, s) : rd_event(d, r, s));
  return rc;
}

static int rd_span(struct jdec *d, struct jr *r) {
  static const struct jfield t[] = {
      JF("traceId", "trace_id"),
      JF("spanId", "span_id"),
      JF("traceState", "trace_state"),
      JF("parentSpanId", "parent_span_id"),
      JF("name", "name"),
      JF("kind", "kind"),
      JF("startTimeUnixNano", "start_time_unix_nano"),
      JF("endTimeUnixNano", "end_time_unix_nano"),
      JF("attributes", "attributes"),
      JF("events", "events"),
      JF("links", "links"),
      JF("status", "status"),
      JF("flags", "flags")};
  struct core_otlp_span s;
  struct children c = {.n = 0};
  uint32_t n = 0, seen = 0, nattr = 0;
  unsigned id;
  int rc;
  JR_TRY(count_item(d, r));
  memset(&s, 0, sizeof s);
  s.origin = &d->s->origin;
  JR_TRY(jr_obj(r));
  while ((rc = jr_member(r, &n, t, 13, &seen, &id)) > 0)
    JR_TRY(span_field(d, r, id, &s, &nattr, &c));
  JR_TRY(rc);
  if (!s.trace_id || !s.span_id)
    return jr_fail(r, -EBADMSG, "span without trace_id or span_id");
  s.attrs.v = d->s->item;
  s.attrs.n = nattr;
  if (d->sink && d->sink->span)
    JR_TRY(d->sink->span(d->sink->ctx, &s));
  for (unsigned i = 0; i < c.n; i++)
    JR_TRY(span_children(d, &c, i ? !c.first : c.first, &s));
  return 0;
}

int core_otlp_json_traces_decode(const void *buf, size_t len,
                                 struct core_otlp_scratch *s,
                                 struct core_otlp_jscratch *js,
                                 const struct core_otlp_sink *sink,
                                 const char **why) {
  static const struct jsig sig = {JF("resourceSpans", "resource_spans"),
                                  JF("scopeSpans", "scope_spans"),
                                  JF("spans", "spans"), rd_span};
  return decode(buf, len, s, js, sink, why, &sig);
}
