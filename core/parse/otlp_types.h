/*
 * core/parse/otlp_types.h - what the OTLP protobuf decoders hand out.
 *
 * Every string and raw value points into the request buffer (valid while
 * the caller holds it); arrays of attributes and histogram buckets live
 * in the caller's struct core_otlp_scratch and are valid only during the
 * callback that receives them.
 */
#ifndef SLUICE_CORE_PARSE_OTLP_TYPES_H
#define SLUICE_CORE_PARSE_OTLP_TYPES_H

#include <stdbool.h>
#include <stdint.h>

#include "core/base/limits.h"

/* Bytes inside the request: a string (not NUL-terminated) or raw bytes. */
struct core_otlp_str {
  const char *ptr;
  uint32_t len;
};

/* The type of an AnyValue (common/v1 oneof value, by field number). */
enum core_otlp_vtype {
  CORE_OTLP_V_NONE = 0, /* no value set */
  CORE_OTLP_V_STRING = 1,
  CORE_OTLP_V_BOOL = 2,
  CORE_OTLP_V_INT = 3,
  CORE_OTLP_V_DOUBLE = 4,
  CORE_OTLP_V_ARRAY = 5,  /* raw: the encoded ArrayValue (checked) */
  CORE_OTLP_V_KVLIST = 6, /* raw: the encoded KeyValueList (checked) */
  CORE_OTLP_V_BYTES = 7,  /* raw bytes */
};

/* An AnyValue: s for string and raw types, i for int and bool, d. */
struct core_otlp_value {
  enum core_otlp_vtype type;
  struct core_otlp_str s;
  int64_t i;
  double d;
};

/* One KeyValue. */
struct core_otlp_attr {
  struct core_otlp_str key;
  struct core_otlp_value value;
};

/* A list of attributes, in the order sent (a repeated key is kept). */
struct core_otlp_attrs {
  const struct core_otlp_attr *v;
  uint32_t n;
};

/* Resource and scope, shared by every item under them. */
struct core_otlp_origin {
  struct core_otlp_attrs resource;
  struct core_otlp_str scope_name;
  struct core_otlp_str scope_version;
};

/* Metric kinds (metrics/v1 Metric oneof data, by field number). */
enum core_otlp_kind {
  CORE_OTLP_NONE = 0,
  CORE_OTLP_GAUGE = 5,
  CORE_OTLP_SUM = 7,
  CORE_OTLP_HISTOGRAM = 9,
  CORE_OTLP_EXP_HISTOGRAM = 10,
  CORE_OTLP_SUMMARY = 11,
};

/* NumberDataPoint value (oneof: last one sent wins). */
enum core_otlp_num { CORE_OTLP_NUM_NONE = 0, CORE_OTLP_NUM_DOUBLE, CORE_OTLP_NUM_INT };

/* Which optional doubles of a histogram or exponential histogram point
 * were sent (a summary's sum is not optional: never set for it). */
#define CORE_OTLP_HAS_SUM 1u
#define CORE_OTLP_HAS_MIN 2u
#define CORE_OTLP_HAS_MAX 4u

/* Exponential histogram buckets (positive or negative). */
struct core_otlp_ebuckets {
  int32_t offset;
  const uint64_t *counts;
  uint32_t n;
};

/*
 * One data point with everything it needs from above it. Fields not of
 * its kind are zero.
 *   gauge, sum:     num, as_double or as_int
 *   sum:            temporality (1 delta, 2 cumulative), monotonic
 *   histogram:      count, sum/min/max (has), bucket_counts, bounds
 *   exp histogram:  count, sum/min/max, scale, zero_count, positive, negative
 *   summary:        count, sum, quantiles[i] with quantile_values[i]
 */
struct core_otlp_point {
  const struct core_otlp_origin *origin;
  struct core_otlp_str name, description, unit;
  enum core_otlp_kind kind;
  uint32_t temporality;
  bool monotonic;
  uint64_t start_ns, time_ns;
  uint32_t flags;
  struct core_otlp_attrs attrs;
  /* the attribute fields as sent (tags included) when they follow each
   * other with no other field between: equal bytes, equal attributes.
   * ptr NULL when split, absent or not from protobuf (JSON) */
  struct core_otlp_str attrs_raw;
  /* the sink's attrs_known took attrs_raw: the attributes were skipped,
   * not decoded (attrs is empty) */
  bool attrs_skipped;
  enum core_otlp_num num;
  double as_double;
  int64_t as_int;
  uint64_t count;
  double sum, min, max;
  uint32_t has;
  const uint64_t *bucket_counts;
  uint32_t bucket_n;
  const double *bounds;
  uint32_t bounds_n;
  int32_t scale;
  uint64_t zero_count;
  struct core_otlp_ebuckets positive, negative;
  const double *quantiles, *quantile_values;
  uint32_t quantile_n;
};

/* One log record. trace_id/span_id are NULL when absent (empty). */
struct core_otlp_log {
  const struct core_otlp_origin *origin;
  uint64_t time_ns, observed_ns;
  uint32_t severity_number;
  struct core_otlp_str severity_text;
  struct core_otlp_value body;
  struct core_otlp_attrs attrs;
  const uint8_t *trace_id; /* 16 bytes */
  const uint8_t *span_id;  /* 8 bytes */
  uint32_t flags;
  struct core_otlp_str event_name;
};

/* One span; events and links follow it through their own callbacks. */
struct core_otlp_span {
  const struct core_otlp_origin *origin;
  const uint8_t *trace_id;       /* 16 bytes, never NULL */
  const uint8_t *span_id;        /* 8 bytes, never NULL */
  const uint8_t *parent_span_id; /* 8 bytes, NULL for a root span */
  struct core_otlp_str trace_state, name;
  uint32_t kind; /* SpanKind: 0 unspecified .. 5 consumer */
  uint64_t start_ns, end_ns;
  struct core_otlp_attrs attrs;
  uint32_t status_code; /* 0 unset, 1 ok, 2 error */
  struct core_otlp_str status_message;
  uint32_t flags;
  uint32_t events_n, links_n;
};

/* Span.Event. */
struct core_otlp_event {
  uint64_t time_ns;
  struct core_otlp_str name;
  struct core_otlp_attrs attrs;
};

/* Span.Link. span_id/trace_id never NULL. */
struct core_otlp_link {
  const uint8_t *trace_id;
  const uint8_t *span_id;
  struct core_otlp_str trace_state;
  struct core_otlp_attrs attrs;
  uint32_t flags;
};

/*
 * Where decoded items go. A callback returning non-zero stops the decode,
 * which returns that value. NULL callbacks are skipped.
 */
struct core_otlp_sink {
  int (*point)(void *ctx, const struct core_otlp_point *p);
  /* Optional, protobuf metrics only: the run of attribute fields raw
   * (tags included) that opens a data point of the metric m (a point
   * without its own fields yet). Returning 1 vouches that the sink saw
   * these very bytes decode before and needs no attributes from them:
   * the decoder skips them (point.attrs_skipped), unless more attribute
   * fields follow another field, when it decodes them after all. */
  int (*attrs_known)(void *ctx, const struct core_otlp_point *m,
                     struct core_otlp_str raw);
  int (*log)(void *ctx, const struct core_otlp_log *l);
  int (*span)(void *ctx, const struct core_otlp_span *s);
  int (*event)(void *ctx, const struct core_otlp_span *s,
               const struct core_otlp_event *e);
  int (*link)(void *ctx, const struct core_otlp_span *s,
              const struct core_otlp_link *l);
  void *ctx;
};

/*
 * The caller's memory for one decode (about 60 KiB; one per shard): the
 * decoder allocates nothing.
 */
struct core_otlp_scratch {
  struct core_otlp_origin origin;
  struct core_otlp_attr resource[CORE_OTLP_ATTRS_MAX];
  struct core_otlp_attr item[CORE_OTLP_ATTRS_MAX];
  struct core_otlp_attr sub[CORE_OTLP_ATTRS_MAX]; /* events, links */
  uint64_t counts[CORE_OTLP_BUCKETS_MAX];
  uint64_t neg_counts[CORE_OTLP_BUCKETS_MAX];
  double bounds[CORE_OTLP_BUCKETS_MAX];
  double qvalues[CORE_OTLP_BUCKETS_MAX];
  uint32_t items; /* points, records or spans so far in this request */
};

#endif
