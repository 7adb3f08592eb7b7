/*
 * core/ingest/otlpmap_types.h - what an OTLP export request becomes in a
 * shard's pipeline: its signal and encoding in, a verdict out.
 */
#ifndef SLUICE_CORE_INGEST_OTLPMAP_TYPES_H
#define SLUICE_CORE_INGEST_OTLPMAP_TYPES_H

#include <stdint.h>

#include "core/base/limits.h"
#include "core/base/numfmt.h"
#include "core/parse/otlp_json_types.h"
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

/* Point kinds: the type label of sluice_points_ingested_total{proto="otlp"}. */
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
 * The series id cache (core/ingest/otlpmap_cache.h): an SDK sends a
 * series' attributes as the same bytes every time, so a gauge or sum point
 * whose metric name, series type, resource labels and raw attribute bytes
 * were seen before maps to the series id found then, without building,
 * sorting and hashing its key. Entries are checked byte for byte; the
 * dictionary never forgets a series, so a cached id stays right.
 */
struct core_otlp_sid_ent {
  uint64_t hash;     /* of the identity; 0: empty */
  uint64_t rgen;     /* the resource label set (core_otlp_sid_rset) */
  uint32_t id;       /* the series */
  uint8_t name_len;  /* its ident (the same index in idents): the name,
                        then ... */
  uint8_t attr_len;  /* ... the raw attribute fields */
  uint8_t type;      /* enum stor_series_type */
  uint8_t used;      /* hit since it was made or last aged */
  uint32_t next;     /* the entry hit after this entry's last hit:
                        SDKs send their series in the same order, so it is
                        prefetched at the next hit ... */
  uint32_t next2;    /* ... and the one after it: prefetched two points
                        ahead, the memory's latency is covered */
};

/* An entry's identity bytes, apart: a set's entries share a cache line. */
struct core_otlp_sid_ident {
  char b[CORE_OTLP_SID_IDENT_BYTES_MAX];
};

/* One resource label set as rendered (tags' keys and values, with their
 * lengths), numbered: points of equal sets share cache entries. */
struct core_otlp_sid_rset {
  uint64_t gen; /* never reused; 0: slot empty */
  uint32_t len;
  char bytes[CORE_OTLP_SID_RSET_BYTES_MAX];
};

/* A point's identity: everything its series key is made from. */
struct core_otlp_sid_key {
  struct core_otlp_str name;
  struct core_otlp_str attrs; /* raw attribute fields (len 0: none) */
  uint64_t rgen;              /* core_otlp_sid_rset; 0: not cacheable */
  uint8_t type;
  uint64_t name_hash;         /* core_series_hash_bytes of name, or 0:
                                 computed */
  uint64_t hash;              /* set by core_otlp_sid_lookup */
};

struct core_otlp_sid_cache {
  struct core_otlp_sid_ent *ents; /* SETS * WAYS, mapped at init ... */
  struct core_otlp_sid_ident *idents; /* ... each one's bytes */
  struct core_otlp_sid_rset rsets[CORE_OTLP_SID_RSETS];
  char rscratch[CORE_OTLP_SID_RSET_BYTES_MAX];
  uint32_t rset_next;  /* the slot a new set replaces */
  uint32_t prev;       /* entry hit last + 1 (0: none): its next is set */
  uint32_t prev2;      /* the entry hit before it + 1: its next2 is set */
  uint64_t gen_last;   /* the last set number given */
  uint64_t hits, misses; /* lookups (read by perf/bench_otlp) */
  /* keys whose series is made at the commit (core_otlp_sid_hold) */
  struct core_otlp_sid_key held[CORE_OTLP_SID_HELD_MAX];
  uint32_t nheld, settled;
};

/*
 * A request's metrics (decoded once into staging) or logs (written in
 * place in the log head, their refusals staged), committed (series made,
 * values appended, records kept, verdicts counted, in the order sent)
 * only when the whole request decoded: an undecodable body leaves
 * nothing behind.
 */
struct core_otlp_stage_series {
  double v;
  uint32_t id;      /* the series, when key_len is 0 */
  uint32_t key_off; /* else a key new to the dictionary, in keys */
  uint32_t key_len;
};

struct core_otlp_stage_point {
  int64_t ts_ms;
  const char *name;   /* in the request (the rejection's item) */
  uint32_t name_len;
  uint32_t first;     /* its series: ser[first, first + n) */
  uint16_t n;
  uint8_t type;       /* enum stor_series_type */
  uint8_t pkind;      /* enum core_otlp_pkind */
  uint8_t rej;        /* 0, or the refusal (a reason + 1) found while
                         decoding, reported after its series are made */
  uint8_t held;       /* its series id cache key is held
                         (core_otlp_sid_hold) for the commit */
};

/* A log record refused while decoding (the records stored are written
 * in the log head in place: core/ingest/loghead.h), counted at commit. */
struct core_otlp_stage_log {
  uint8_t rej;                        /* a refusal (a reason + 1) */
  struct core_otlp_str item;          /* the refusal's item */
};

/* The strings of the current request's resource in the log head (for
 * origin, in request req, while the head's moves is unchanged). The
 * decoder hands every resource of a request at one origin: a resource
 * is told apart by where its first attribute sits (first, nsrc). */
struct core_otlp_lres {
  const void *origin;
  const void *first;                 /* its first key's bytes, or NULL */
  uint32_t nsrc;                     /* its attributes */
  uint64_t req, moves;
  struct core_syslog_str host, app;
  uint32_t n;
  uint64_t gen;                      /* a[] rewritten (each write) */
  struct core_syslog_attr a[CORE_SYSLOG_SD_ATTRS_MAX];
  size_t bytes[CORE_SYSLOG_SD_ATTRS_MAX + 1]; /* host, app and a[0..i)'s
                                                 strings: bytes[i] */
};

/* The attributes of the last record stored (valid in request req while
 * the head's moves is unchanged: the request's bytes stay in the head,
 * and core_loghead_make_room moves and rebases them together): a next
 * record's key or string value equal to the one at the same position
 * references it instead of a copy (SDK batches repeat their keys and
 * many values; the log block encoder then finds them by address). */
struct core_otlp_lkeys {
  uint64_t req, moves;
  uint32_t sev;                     /* its severity_number */
  const struct core_syslog_attr *a;
  uint32_t n;
  uint32_t shape;                   /* its sd ids' order (build_log) */
  uint64_t rgen;                    /* lres.gen its resource keys had */
};

struct core_otlp_stage {
  struct core_otlp_stage_point *pts;  /* CORE_OTLP_ITEMS_MAX */
  struct core_otlp_stage_series *ser; /* CORE_OTLP_STAGE_SERIES_MAX */
  char *keys;                         /* CORE_OTLP_STAGE_KEY_BYTES */
  uint32_t npts, nser, key_used;
  struct core_otlp_stage_log *logs;   /* CORE_OTLP_ITEMS_MAX */
  uint32_t nlogs;                     /* refused log records */
  int full;                           /* a bound passed: decode twice */
  uint64_t twice;                     /* requests that did (perf) */
};

/*
 * A shard's OTLP mapping state (core_pipe_otlp): allocated once with the
 * pipeline, reused by every request. Private to core/ingest/otlpmap.c.
 */
struct core_loghead;

struct core_otlp_map {
  struct core_otlp_scratch scratch; /* the decoders' */
  struct core_otlp_jscratch jscratch; /* the JSON decoders' arena ... */
  void *jarena;                     /* ... CORE_OTLP_JSON_ARENA_BYTES(
                                       CORE_OTLP_BODY_BYTES_MAX), mapped
                                       without reserve: pages as used */
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
  /* metrics: staged (0) or stored as decoded (1: the second decode of
   * a request that passed a staging bound), and the id cache */
  int direct;
  uint64_t rgen;                    /* the current resource's label set */
  const char *nh_ptr;               /* the last metric name hashed (in
                                       this request: NULL at its start) */
  uint64_t nh;                      /* ... and its hash */
  const char *known_raw;            /* attributes the decoder skipped ... */
  uint32_t known_id;                /* ... for this cached series */
  struct core_otlp_stage stage;
  struct core_otlp_sid_cache sid;
  /* logs: the log head written in place, the request's number, its
   * records accepted, its resource's strings */
  struct core_loghead *lhead;
  uint64_t lreq, lacc;
  int lres_pending;
  struct core_otlp_lres lres;
  struct core_otlp_lkeys lkeys;     /* the last record's attributes */
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
