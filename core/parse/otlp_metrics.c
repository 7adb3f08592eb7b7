/*
 * core/parse/otlp_metrics.c - ExportMetricsServiceRequest
 * (opentelemetry/proto/metrics/v1/metrics.proto) into data points.
 *
 * Field numbers of the four data point messages are the proto's; the
 * repeated numbers (bucket_counts, explicit_bounds, Buckets.bucket_counts)
 * are accepted packed (proto3's default) and unpacked, as the spec asks of
 * every parser.
 */
#include <errno.h>
#include <string.h>

#include "core/parse/otlp.h"
#include "core/parse/otlp_int.h"

/* Append a repeated fixed64/double field to arr[*n] (8-byte elements,
 * stored as read), packed (LEN) or one by one (I64). */
static int rep_fixed64(struct core_pb *r, enum core_pb_wire wt, void *arr,
                       uint32_t *n) {
  struct core_pb_bytes b;
  struct core_pb p;
  uint64_t v;
  if (wt == CORE_PB_I64) {
    if (*n >= CORE_OTLP_BUCKETS_MAX)
      return core_pb_fail(r, -E2BIG, "too many buckets");
    OTLP_TRY(core_pb_fixed64(r, &v));
    memcpy((char *)arr + 8 * (*n)++, &v, 8);
    return 0;
  }
  OTLP_TRY(core_pb_want(r, wt, CORE_PB_LEN));
  OTLP_TRY(core_pb_bytes(r, &b));
  if (b.len % 8)
    return core_pb_fail(r, -EBADMSG, "packed fixed64 not whole");
  if (b.len / 8 > CORE_OTLP_BUCKETS_MAX - *n)
    return core_pb_fail(r, -E2BIG, "too many buckets");
  core_pb_init(&p, b.ptr, b.len, r->why);
  while (core_pb_left(&p)) {
    OTLP_TRY(core_pb_fixed64(&p, &v));
    memcpy((char *)arr + 8 * (*n)++, &v, 8);
  }
  return 0;
}

/* Append a repeated uint64 (varint) field, packed or not. */
static int rep_varint(struct core_pb *r, enum core_pb_wire wt, uint64_t *arr,
                      uint32_t *n) {
  struct core_pb_bytes b;
  struct core_pb p;
  if (wt == CORE_PB_VARINT) {
    if (*n >= CORE_OTLP_BUCKETS_MAX)
      return core_pb_fail(r, -E2BIG, "too many buckets");
    return core_pb_varint(r, &arr[(*n)++]);
  }
  OTLP_TRY(core_pb_want(r, wt, CORE_PB_LEN));
  OTLP_TRY(core_pb_bytes(r, &b));
  core_pb_init(&p, b.ptr, b.len, r->why);
  while (core_pb_left(&p)) {
    if (*n >= CORE_OTLP_BUCKETS_MAX)
      return core_pb_fail(r, -E2BIG, "too many buckets");
    OTLP_TRY(core_pb_varint(&p, &arr[(*n)++]));
  }
  return 0;
}

/* sint32: zigzag in a varint. */
static int sint32(struct core_pb *r, enum core_pb_wire wt, int32_t *v) {
  uint64_t u;
  OTLP_TRY(otlp_varint(r, wt, &u));
  uint32_t z = (uint32_t)u;
  *v = (int32_t)(z >> 1) ^ -(int32_t)(z & 1);
  return 0;
}

/* ExponentialHistogramDataPoint.Buckets: 1 offset, 2 bucket_counts. */
static int ebuckets(struct core_pb *r, enum core_pb_wire wt,
                    struct core_otlp_ebuckets *e, uint64_t *arr) {
  uint32_t f;
  enum core_pb_wire w;
  struct core_pb c;
  int rc;
  OTLP_TRY(core_pb_sub(r, wt, &c));
  e->offset = 0;
  e->n = 0;
  e->counts = arr;
  while ((rc = core_pb_tag(&c, &f, &w)) > 0) {
    if (f == 1)
      rc = sint32(&c, w, &e->offset);
    else if (f == 2)
      rc = rep_varint(&c, w, arr, &e->n);
    else
      rc = core_pb_skip(&c, w);
    if (rc)
      return rc;
  }
  return rc;
}

/* SummaryDataPoint.ValueAtQuantile: 1 quantile, 2 value. */
static int quantile(struct otlp_dec *d, struct core_pb *r,
                    enum core_pb_wire wt, struct core_otlp_point *pt) {
  uint32_t f;
  enum core_pb_wire w;
  struct core_pb c;
  int rc;
  if (pt->quantile_n >= CORE_OTLP_BUCKETS_MAX)
    return core_pb_fail(r, -E2BIG, "too many quantiles");
  OTLP_TRY(core_pb_sub(r, wt, &c));
  double *q = &d->s->bounds[pt->quantile_n];
  double *v = &d->s->qvalues[pt->quantile_n];
  *q = *v = 0;
  while ((rc = core_pb_tag(&c, &f, &w)) > 0) {
    if (f == 1 || f == 2)
      rc = otlp_double(&c, w, f == 1 ? q : v);
    else
      rc = core_pb_skip(&c, w);
    if (rc)
      return rc;
  }
  pt->quantile_n++;
  return rc;
}

/* A flags field (uint32 varint). */
static int flags32(struct core_pb *r, enum core_pb_wire wt, uint32_t *v) {
  uint64_t u;
  OTLP_TRY(otlp_varint(r, wt, &u));
  *v = (uint32_t)u;
  return 0;
}

/* An optional double of a histogram point: the value and its has bit. */
static int opt_double(struct core_pb *r, enum core_pb_wire wt, double *v,
                      uint32_t *has, uint32_t bit) {
  *has |= bit;
  return otlp_double(r, wt, v);
}

/* NumberDataPoint: 4 as_double, 6 as_int, 7 attributes, 8 flags. */
static int number_field(struct otlp_dec *d, struct core_pb *r, uint32_t f,
                        enum core_pb_wire wt, struct core_otlp_point *pt,
                        uint32_t *nattr) {
  uint64_t u;
  switch (f) {
  case 4: /* a oneof: the member sent last is the only one set */
    pt->num = CORE_OTLP_NUM_DOUBLE;
    pt->as_int = 0;
    return otlp_double(r, wt, &pt->as_double);
  case 6: /* sfixed64 */
    pt->num = CORE_OTLP_NUM_INT;
    pt->as_double = 0;
    OTLP_TRY(otlp_fixed64(r, wt, &u));
    pt->as_int = (int64_t)u;
    return 0;
  case 7:
    return otlp_attr(r, wt, d->s->item, nattr);
  case 8:
    return flags32(r, wt, &pt->flags);
  }
  return core_pb_skip(r, wt);
}

/* HistogramDataPoint: 4 count, 5 sum, 6 bucket_counts, 7 explicit_bounds,
 * 9 attributes, 10 flags, 11 min, 12 max. */
static int hist_field(struct otlp_dec *d, struct core_pb *r, uint32_t f,
                      enum core_pb_wire wt, struct core_otlp_point *pt,
                      uint32_t *nattr) {
  switch (f) {
  case 4:
    return otlp_fixed64(r, wt, &pt->count);
  case 5:
    return opt_double(r, wt, &pt->sum, &pt->has, CORE_OTLP_HAS_SUM);
  case 6:
    return rep_fixed64(r, wt, d->s->counts, &pt->bucket_n);
  case 7:
    return rep_fixed64(r, wt, d->s->bounds, &pt->bounds_n);
  case 9:
    return otlp_attr(r, wt, d->s->item, nattr);
  case 10:
    return flags32(r, wt, &pt->flags);
  case 11:
    return opt_double(r, wt, &pt->min, &pt->has, CORE_OTLP_HAS_MIN);
  case 12:
    return opt_double(r, wt, &pt->max, &pt->has, CORE_OTLP_HAS_MAX);
  }
  return core_pb_skip(r, wt);
}

/* ExponentialHistogramDataPoint: 1 attributes, 4 count, 5 sum, 6 scale,
 * 7 zero_count, 8 positive, 9 negative, 10 flags, 12 min, 13 max. */
static int exp_field(struct otlp_dec *d, struct core_pb *r, uint32_t f,
                     enum core_pb_wire wt, struct core_otlp_point *pt,
                     uint32_t *nattr) {
  switch (f) {
  case 1:
    return otlp_attr(r, wt, d->s->item, nattr);
  case 4:
    return otlp_fixed64(r, wt, &pt->count);
  case 5:
    return opt_double(r, wt, &pt->sum, &pt->has, CORE_OTLP_HAS_SUM);
  case 6:
    return sint32(r, wt, &pt->scale);
  case 7:
    return otlp_fixed64(r, wt, &pt->zero_count);
  case 8:
    return ebuckets(r, wt, &pt->positive, d->s->counts);
  case 9:
    return ebuckets(r, wt, &pt->negative, d->s->neg_counts);
  case 10:
    return flags32(r, wt, &pt->flags);
  case 12:
    return opt_double(r, wt, &pt->min, &pt->has, CORE_OTLP_HAS_MIN);
  case 13:
    return opt_double(r, wt, &pt->max, &pt->has, CORE_OTLP_HAS_MAX);
  }
  return core_pb_skip(r, wt);
}

/* SummaryDataPoint: 4 count, 5 sum, 6 quantile_values, 7 attributes,
 * 8 flags. */
static int summary_field(struct otlp_dec *d, struct core_pb *r, uint32_t f,
                         enum core_pb_wire wt, struct core_otlp_point *pt,
                         uint32_t *nattr) {
  switch (f) {
  case 4:
    return otlp_fixed64(r, wt, &pt->count);
  case 5: /* not optional in the proto: no has bit (a zero is not sent) */
    return otlp_double(r, wt, &pt->sum);
  case 6:
    return quantile(d, r, wt, pt);
  case 7:
    return otlp_attr(r, wt, d->s->item, nattr);
  case 8:
    return flags32(r, wt, &pt->flags);
  }
  return core_pb_skip(r, wt);
}

typedef int (*field_fn)(struct otlp_dec *, struct core_pb *, uint32_t,
                        enum core_pb_wire, struct core_otlp_point *,
                        uint32_t *);

/* skip_known's run past its usual fields: field by field from p, while
 * they are attributes (number fattr) and the bound allows (n so far).
 * Returns the end of the run. */
__attribute__((noinline)) static const uint8_t *
skim_slow(const struct core_pb *r, const uint8_t *p, uint32_t fattr,
          uint32_t n) {
  struct core_pb q = *r;
  struct core_pb_bytes b;
  uint32_t f;
  enum core_pb_wire wt;
  q.p = p;
  while (core_pb_tag(&q, &f, &wt) > 0 && f == fattr && wt == CORE_PB_LEN &&
         n < CORE_OTLP_ATTRS_MAX && core_pb_bytes(&q, &b) == 0) {
    p = q.p;
    n++;
  }
  return p;
}

/*
 * At the first attribute field of a point (at, r past its tag): the run
 * of attribute fields (number fattr) from there, offered to the sink's
 * attrs_known. Returns 1 with r past the run when the sink took it, else
 * 0 with r as it was (a run that does not read well is left to the
 * ordinary decoding, which says why).
 */
static int skip_known(struct otlp_dec *d, struct core_pb *r, const uint8_t *at,
                      uint32_t fattr) {
  const uint8_t tag = (uint8_t)(fattr << 3 | CORE_PB_LEN);
  const uint8_t *end;
  uint32_t n = 0;

  if (d->sink == NULL || d->sink->attrs_known == NULL)
    return 0;
  /* the usual fields: a one-byte tag, a one- or two-byte length */
  end = otlp_skim_run(at, r->end, tag, &n, CORE_OTLP_ATTRS_MAX);
  /* then any other spelling of the attributes' tag (a longer varint
   * starts with tag | 0x80) or length */
  if (end < r->end && (*end | 0x80) == (tag | 0x80))
    end = skim_slow(r, end, fattr, n);
  if (end == at ||
      !d->sink->attrs_known(
          d->sink->ctx, &d->tmpl,
          (struct core_otlp_str){(const char *)at, (uint32_t)(end - at)}))
    return 0;
  r->p = end;
  return 1;
}

/* Decode the attribute run [a0, a1) skipped before (more attributes
 * followed another field). Returns 0 or -errno. */
static int decode_run(struct otlp_dec *d, const struct core_pb *r,
                      const uint8_t *a0, const uint8_t *a1, uint32_t *nattr) {
  struct core_pb c = *r;
  uint32_t f;
  enum core_pb_wire wt;
  int rc;

  c.p = a0;
  c.end = a1;
  while ((rc = core_pb_tag(&c, &f, &wt)) > 0)
    OTLP_TRY(otlp_attr(&c, wt, d->s->item, nattr));
  return rc;
}

/*
 * The point to decode into: a gauge or sum point reuses d->npt, with the
 * fields rd_point and number_field set cleared (the others stay the
 * metric's, copied from tmpl in rd_data); other kinds copy the template.
 */
static struct core_otlp_point *point_of(struct otlp_dec *d,
                                        struct core_otlp_point *full) {
  struct core_otlp_point *pt = &d->npt;

  if (d->tmpl.kind != CORE_OTLP_GAUGE && d->tmpl.kind != CORE_OTLP_SUM) {
    *full = d->tmpl;
    return full;
  }
  pt->start_ns = pt->time_ns = 0;
  pt->flags = 0;
  pt->num = CORE_OTLP_NUM_NONE;
  pt->as_double = 0;
  pt->as_int = 0;
  pt->attrs_raw = (struct core_otlp_str){0};
  return pt;
}

/*
 * The fixed64 fields of a point as sent (one-byte tag, 8 bytes): 2 start
 * and 3 time of every kind, and of a gauge or sum point (num) 4 as_double
 * and 6 as_int. Returns 1 with the field read as number_field would read
 * it, else 0 with nothing read.
 */
static inline int point_fast(struct core_pb *r, struct core_otlp_point *pt,
                             int num) {
  const uint8_t *p = r->p;
  uint64_t u;
  if (r->end - p < 9)
    return 0;
  memcpy(&u, p + 1, 8);
  switch (*p) {
  case 2 << 3 | CORE_PB_I64:
    pt->start_ns = u;
    break;
  case 3 << 3 | CORE_PB_I64:
    pt->time_ns = u;
    break;
  case 4 << 3 | CORE_PB_I64:
    if (!num)
      return 0;
    pt->num = CORE_OTLP_NUM_DOUBLE;
    pt->as_int = 0;
    memcpy(&pt->as_double, &u, 8);
    break;
  case 6 << 3 | CORE_PB_I64:
    if (!num)
      return 0;
    pt->num = CORE_OTLP_NUM_INT;
    pt->as_double = 0;
    pt->as_int = (int64_t)u;
    break;
  default:
    return 0;
  }
  r->p = p + 9;
  return 1;
}

/* Where a point's attribute fields lie: [a0, a1) from the first to the
 * end of the last, split when another field came between two. */
struct attr_run {
  const uint8_t *a0, *a1;
  int split, skipped;
};

/* The attribute field (or fields) [at, end) were read: note the run. */
static inline void run_add(struct attr_run *ar, const uint8_t *at,
                           const uint8_t *end) {
  ar->split |= ar->a1 != NULL && ar->a1 != at;
  ar->a0 = ar->a0 ? ar->a0 : at;
  ar->a1 = end;
}

/* A point's arrays: in the scratch (a gauge or sum point's stay there
 * from its metric on: rd_data). */
static void point_arrays(struct otlp_dec *d, struct core_otlp_point *pt) {
  pt->bucket_counts = d->s->counts;
  pt->bounds = d->s->bounds;
  pt->quantiles = d->s->bounds;
  pt->quantile_values = d->s->qvalues;
}

/* One data point of the current metric (d->tmpl), to the sink. All four
 * kinds have 2 start_time_unix_nano and 3 time_unix_nano. */
static int rd_point(struct otlp_dec *d, struct core_pb *r) {
  struct core_otlp_point full, *pt = point_of(d, &full);
  enum core_otlp_kind kind = d->tmpl.kind;
  int num = kind == CORE_OTLP_GAUGE || kind == CORE_OTLP_SUM;
  field_fn fn = kind == CORE_OTLP_HISTOGRAM       ? hist_field
                : kind == CORE_OTLP_EXP_HISTOGRAM ? exp_field
                : kind == CORE_OTLP_SUMMARY       ? summary_field
                                                  : number_field;
  uint32_t f, nattr = 0;
  /* the attributes' field number by kind, and where their run lies */
  uint32_t fattr = kind == CORE_OTLP_HISTOGRAM       ? 9
                   : kind == CORE_OTLP_EXP_HISTOGRAM ? 1
                                                     : 7;
  const uint8_t tattr = (uint8_t)(fattr << 3 | CORE_PB_LEN), *at, *q;
  /* attribute runs are offered to the sink before they are decoded */
  int known = d->known, offered = 0;
  struct attr_run ar = {0};
  enum core_pb_wire wt;
  int rc;
  OTLP_TRY(otlp_count_item(d, r));
  for (;;) {
    at = r->p;
    if (OTLP_FAST && at < r->end) {
      if (point_fast(r, pt, num))
        continue;
      if (*at == tattr && ar.a0 == NULL && known && !offered) {
        offered = 1; /* the sink is asked once a point */
        r->p = at + 1;
        if (skip_known(d, r, at, fattr)) {
          ar = (struct attr_run){.a0 = at, .a1 = r->p, .skipped = 1};
          continue;
        }
        r->p = at;
      }
      if (*at == tattr && !ar.skipped &&
          (q = otlp_attrs_fast(r, at, tattr, d->s->item, &nattr)) != at) {
        run_add(&ar, at, q);
        r->p = q;
        continue;
      }
    }
    if ((rc = core_pb_tag(r, &f, &wt)) <= 0)
      break;
    if (f == fattr && ar.a0 == NULL && !offered &&
        skip_known(d, r, at, fattr)) {
      ar = (struct attr_run){.a0 = at, .a1 = r->p, .skipped = 1};
      continue;
    }
    if (f == fattr && ar.skipped) { /* split after all: decode the run */
      OTLP_TRY(decode_run(d, r, ar.a0, ar.a1, &nattr));
      ar.skipped = 0;
    }
    if (f == 2 || f == 3)
      rc = otlp_fixed64(r, wt, f == 2 ? &pt->start_ns : &pt->time_ns);
    else if (num)
      rc = number_field(d, r, f, wt, pt, &nattr);
    else
      rc = fn(d, r, f, wt, pt, &nattr);
    if (rc)
      return rc;
    if (f == fattr)
      run_add(&ar, at, r->p);
  }
  if (rc)
    return rc;
  pt->attrs.v = d->s->item;
  pt->attrs.n = nattr;
  if (ar.a0 != NULL && !ar.split)
    pt->attrs_raw =
        (struct core_otlp_str){(const char *)ar.a0, (uint32_t)(ar.a1 - ar.a0)};
  pt->attrs_skipped = ar.skipped;
  if (!num)
    point_arrays(d, pt);
  if (d->sink && d->sink->point)
    return d->sink->point(d->sink->ctx, pt);
  return 0;
}

/* Gauge/Sum/Histogram/ExponentialHistogram/Summary: first 2
 * aggregation_temporality and 3 is_monotonic (Sum only), then each
 * 1 data_points. */
static int rd_data(struct otlp_dec *d, struct core_pb *r) {
  uint32_t f;
  enum core_pb_wire wt;
  struct core_pb p = *r, c;
  uint64_t u;
  int rc, temporal = d->tmpl.kind != CORE_OTLP_GAUGE &&
                     d->tmpl.kind != CORE_OTLP_SUMMARY;
  for (;;) {
    if (OTLP_FAST) { /* the data points: skipped here */
      uint32_t n = 0;
      p.p = otlp_skim_run(p.p, p.end, 1 << 3 | CORE_PB_LEN, &n, UINT32_MAX);
    }
    if ((rc = core_pb_tag(&p, &f, &wt)) <= 0)
      break;
    if (f == 2 && temporal) {
      rc = otlp_varint(&p, wt, &u);
      d->tmpl.temporality = (uint32_t)u;
    } else if (f == 3 && d->tmpl.kind == CORE_OTLP_SUM) {
      rc = otlp_varint(&p, wt, &u);
      d->tmpl.monotonic = u != 0;
    } else {
      rc = core_pb_skip(&p, wt);
    }
    if (rc)
      return rc;
  }
  if (rc)
    return rc;
  d->npt = d->tmpl;
  point_arrays(d, &d->npt);
  for (;;) {
    if (OTLP_FAST && otlp_sub_fast(r, 1 << 3 | CORE_PB_LEN, &c)) {
      OTLP_TRY(rd_point(d, &c));
      continue;
    }
    if ((rc = core_pb_tag(r, &f, &wt)) <= 0)
      break;
    if (f == 1) {
      if (!(rc = core_pb_sub(r, wt, &c)))
        rc = rd_point(d, &c);
    } else {
      rc = core_pb_skip(r, wt);
    }
    if (rc)
      return rc;
  }
  return rc;
}

/* Metric: 1 name, 2 description, 3 unit, then one of 5 gauge, 7 sum,
 * 9 histogram, 10 exponential_histogram, 11 summary (the last sent wins,
 * as for any oneof). A metric with no data has no points to hand out. */
static int rd_metric(struct otlp_dec *d, struct core_pb *r) {
  uint32_t f;
  enum core_pb_wire wt;
  struct core_pb data;
  int rc;
  memset(&d->tmpl, 0, sizeof d->tmpl);
  d->tmpl.origin = &d->s->origin;
  while ((rc = core_pb_tag(r, &f, &wt)) > 0) {
    if (f == 1 || f == 2 || f == 3) {
      rc = otlp_str(r, wt, f == 1   ? &d->tmpl.name
                           : f == 2 ? &d->tmpl.description
                                    : &d->tmpl.unit);
    } else if (f == 5 || f == 7 || f == 9 || f == 10 || f == 11) {
      rc = core_pb_sub(r, wt, &data);
      d->tmpl.kind = (enum core_otlp_kind)f;
    } else {
      rc = core_pb_skip(r, wt);
    }
    if (rc)
      return rc;
  }
  if (rc || d->tmpl.kind == CORE_OTLP_NONE)
    return rc;
  return rd_data(d, &data);
}

int core_otlp_metrics_decode(const void *buf, size_t len,
                             struct core_otlp_scratch *s,
                             const struct core_otlp_sink *sink,
                             const char **why) {
  return otlp_walk(buf, len, s, sink, why, rd_metric);
}
