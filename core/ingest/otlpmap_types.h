/*
 * core/ingest/otlpmap_types.h - what an OTLP export request becomes in a
 * shard's pipeline: its signal and encoding in, a verdict out.
 */
#ifndef SLUICE_CORE_INGEST_OTLPMAP_TYPES_H
#define SLUICE_CORE_INGEST_OTLPMAP_TYPES_H

#include <stdint.h>

#include "core/base/limits.h"
#include "core/base/numfmt.h"
#include "core/parse/otlp_types.h"
#include "core/parse/statsd_types.h"
#include "core/parse/syslog_types.h"

/* The three Export services, the `signal` label of sluice_otlp_*. */
enum core_otlp_signal {
  CORE_OTLP_METRICS = 0, /* POST /v1/metrics, MetricsService/Export */
  CORE_OTLP_LOGS,        /* POST /v1/logs, LogsService/Export */
  CORE_OTLP_TRACES,      /* POST /v1/traces, TraceService/Export */
  CORE_OTLP_SIGNALS
};

/* How the (already inflated) body is encoded, the `encoding` label. */
enum core_otlp_enc {
  CORE_OTLP_ENC_PROTO = 0, /* application/x-protobuf, application/grpc */
  CORE_OTLP_ENC_JSON,      /* application/json (OTLP JSON mapping) */
  CORE_OTLP_ENCS
};

/*
 * The verdict on one request (core_pipe_otlp). A request that decodes is
 * accepted even if some items were rejected (partial_success); one that
 * does not decode stores nothing.
 */
struct core_otlp_result {
  int rc;             /* 0, -EBADMSG (undecodable: 400/INVALID_ARGUMENT)
                         or -E2BIG (over a CORE_OTLP_* bound: 400) */
  const char *why;    /* static reason when rc < 0 */
  uint64_t accepted;  /* data points, log records or spans stored */
  uint64_t rejected;  /* ... refused (partial_success.rejected_*) */
  char message[160];  /* partial_success.error_message: names the first
                         reason and item ("" when rejected == 0) */
};

/* --otlp-resource-labels by default: the resource attributes that become
 * labels of every series. */
#define CORE_OTLP_RESOURCE_LABELS_DEFAULT \
  "service.name,service.namespace,service.instance.id,host.name"

/*
 * Why the mapping refused a data point or log record (the `reason` label of
 * sluice_otlp_rejected_points_total; core_otlp_reason_name).
 */
enum core_otlp_reject {
  CORE_OTLP_REJ_MAX_SERIES = 0, /* a new series past --max-series (or the
                                   key arena) */
  CORE_OTLP_REJ_TYPE_MISMATCH,  /* the key exists with another type */
  CORE_OTLP_REJ_NO_VALUE,       /* no value, or no metric kind */
  CORE_OTLP_REJ_BAD_BOUNDS,     /* a bound or quantile not finite, or
                                   bounds not strictly increasing */
  CORE_OTLP_REJ_BAD_BUCKETS,    /* bucket counts not bounds + 1 (nor 0) */
  CORE_OTLP_REJ_KEY_TOO_LONG,   /* series key over CORE_SERIES_KEY_BYTES_MAX */
  CORE_OTLP_REJ_BAD_NAME,       /* empty metric name, or a NUL byte in the
                                   name or a label */
  CORE_OTLP_REJ_LOG_TOO_LARGE,  /* a record's text over CORE_OTLP_LOG_BYTES_MAX */
  CORE_OTLP_REJ_UNSUPPORTED,    /* a signal this build does not store yet */
  CORE_OTLP_REJ_COUNT
};

/* Point kinds of sluice_points_ingested_total{proto="otlp",kind}. */
enum core_otlp_pkind {
  CORE_OTLP_PK_GAUGE = 0,
  CORE_OTLP_PK_SUM,
  CORE_OTLP_PK_HISTOGRAM,
  CORE_OTLP_PK_EXP_HISTOGRAM,
  CORE_OTLP_PK_SUMMARY,
  CORE_OTLP_PK_COUNT
};

/* Tags a series key may carry: resource labels, point attributes and the
 * one the mapping adds (le, quantile, or otel_scale and otel_index). */
#define CORE_OTLP_KEY_TAGS_MAX (2 * CORE_OTLP_ATTRS_MAX + 2)
/* Series one data point may feed: buckets (positive and negative),
 * count, sum, min, max, zero count. */
#define CORE_OTLP_POINT_SERIES_MAX (2 * CORE_OTLP_BUCKETS_MAX + 8)

/*
 * A shard's OTLP mapping state (core_pipe_otlp): allocated once with the
 * pipeline, reused by every request. Private to core/ingest/otlpmap.c.
 */
struct core_otlp_map {
  struct core_otlp_scratch scratch; /* the decoders' */
  /* --otlp-resource-labels */
  int res_all;                      /* "all" */
  uint32_t res_n;                   /* keys listed ("none": 0) */
  struct core_otlp_str res_keys[CORE_OTLP_RESOURCE_LABELS_MAX];
  char res_text[CORE_OTLP_RESOURCE_LABELS_BYTES_MAX];
  /* the request being stored */
  struct core_otlp_result *res;
  int64_t now_ms;
  enum core_otlp_reject first_why;
  char first_item[64];
  /* the labels of the current resource, rendered once a resource */
  const void *res_seen;             /* its first attribute, NULL: none yet */
  uint32_t res_seen_n;              /* UINT32_MAX: nothing cached */
  int res_rc;                       /* its verdict (0 or a reason + 1) */
  uint32_t rtag_n;
  struct core_statsd_tag rtags[CORE_OTLP_ATTRS_MAX];
  char rvals[CORE_SERIES_KEY_BYTES_MAX];
  /* the current point: its tags (resource ones first), an extra tag */
  struct core_statsd_tag tags[CORE_OTLP_KEY_TAGS_MAX];
  uint16_t order[CORE_OTLP_KEY_TAGS_MAX];  /* base and extra tags, sorted */
  uint16_t border[CORE_OTLP_KEY_TAGS_MAX]; /* base tags sorted (kept from
                                              point to point while valid) */
  uint32_t border_n;
  char pvals[CORE_SERIES_KEY_BYTES_MAX];
  char name[CORE_SERIES_KEY_BYTES_MAX];  /* NAME + a suffix */
  char extra[64];                        /* the extra tag's value(s) */
  char key[CORE_SERIES_KEY_BYTES_MAX];
  uint32_t ids[CORE_OTLP_POINT_SERIES_MAX];
  double vals[CORE_OTLP_POINT_SERIES_MAX];
  /* le values of the last explicit bounds seen (bounds repeat by metric) */
  uint32_t le_n;
  double le_bounds[CORE_OTLP_BUCKETS_MAX];
  uint32_t le_off[CORE_OTLP_BUCKETS_MAX + 1];
  char le_text[CORE_OTLP_BUCKETS_MAX * CORE_FMT_NUM_BYTES];
  /* logs: one record's strings, gathered (CORE_OTLP_LOG_BYTES_MAX) */
  char *logbuf;
  struct core_syslog_rec rec;
};

/* A pipeline's span hook (core/ingest/spanmap.h): the sink callbacks of
 * the traces signal, ctx = the pipe. NULL until the span head is wired. */
struct core_pipe_spans {
  int (*span)(void *ctx, const struct core_otlp_span *s);
  int (*event)(void *ctx, const struct core_otlp_span *s,
               const struct core_otlp_event *e);
  int (*link)(void *ctx, const struct core_otlp_span *s,
              const struct core_otlp_link *l);
};

#endif
