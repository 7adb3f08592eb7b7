/*
 * core/parse/statsd_types.h - what the StatsD parser produces.
 *
 * A parsed line points into the caller's buffer (no copies): every
 * const char * below stays valid only while that buffer does.
 */
#ifndef SLUICE_CORE_PARSE_STATSD_TYPES_H
#define SLUICE_CORE_PARSE_STATSD_TYPES_H

#include <stdint.h>

#include "core/base/limits.h"

/* What a line is. Events and service checks are counted, not stored. */
enum core_statsd_kind {
  CORE_STATSD_METRIC = 0,
  CORE_STATSD_EVENT,         /* _e{title_len,text_len}:title|text|... */
  CORE_STATSD_SERVICE_CHECK, /* _sc|name|status|... */
};

/* Metric types, in the order of their labels in /metrics. */
enum core_statsd_type {
  CORE_STATSD_COUNTER = 0, /* c  */
  CORE_STATSD_GAUGE,       /* g  */
  CORE_STATSD_TIMER,       /* ms */
  CORE_STATSD_HISTOGRAM,   /* h  */
  CORE_STATSD_DISTRIBUTION,/* d  */
  CORE_STATSD_SET,         /* s  */
  CORE_STATSD_TYPE_COUNT
};

/*
 * Why a line was rejected. 0 is success; the rest are the `reason` label of
 * sluice_parse_errors_total{proto="statsd"} (see core_statsd_reason_name).
 */
enum core_statsd_err {
  CORE_STATSD_OK = 0,
  CORE_STATSD_ERR_EMPTY_NAME,     /* ":1|c" or a line without a name */
  CORE_STATSD_ERR_NAME_TOO_LONG,  /* name over CORE_STATSD_NAME_BYTES_MAX */
  CORE_STATSD_ERR_NO_VALUE,       /* "name" or "name:|c": no ':' or empty value */
  CORE_STATSD_ERR_NO_TYPE,        /* "name:1": no '|type' */
  CORE_STATSD_ERR_BAD_TYPE,       /* "name:1|x" */
  CORE_STATSD_ERR_BAD_VALUE,      /* value is not a finite number, or a
                                     counter's value / rate is not */
  CORE_STATSD_ERR_BAD_RATE,       /* "@x", "@0", "@-1", "@2", "@1e-320":
                                     outside [CORE_STATSD_RATE_MIN, 1] */
  CORE_STATSD_ERR_BAD_TAGS,       /* "#" with an empty tag, or tag too long */
  CORE_STATSD_ERR_TOO_MANY_TAGS,  /* over CORE_STATSD_TAGS_MAX */
  CORE_STATSD_ERR_TOO_MANY_VALUES,/* over CORE_STATSD_VALUES_MAX packed values */
  CORE_STATSD_ERR_BAD_TIMESTAMP,  /* "|Tx" or a negative timestamp */
  CORE_STATSD_ERR_BAD_FIELD,      /* unknown or repeated '|' field */
  CORE_STATSD_ERR_BAD_EVENT,      /* malformed _e{..} */
  CORE_STATSD_ERR_BAD_SERVICE_CHECK, /* malformed _sc| */
  CORE_STATSD_ERR_LINE_TOO_LONG,  /* over --max-line-bytes (set by the framer) */
  CORE_STATSD_ERR_BAD_BYTE,       /* NUL or control byte in the line */
  CORE_STATSD_ERR_SERIES_KEY_TOO_LONG, /* canonical key over the bound */
  CORE_STATSD_ERR_TYPE_MISMATCH,  /* series exists with another type */
  CORE_STATSD_ERR_BAD_NAME,       /* '@' or '#' in a metric name */
  CORE_STATSD_ERR_COUNT
};

/* One DogStatsD tag: "key:value" or a bare "key" (val == NULL, val_len 0). */
struct core_statsd_tag {
  const char *key;
  const char *val;
  uint32_t key_len;
  uint32_t val_len;
};

/* One set member (sets carry strings, not numbers). */
struct core_statsd_str {
  const char *ptr;
  uint32_t len;
};

/*
 * One parsed line. For kind != METRIC only `kind` and `name` (the event
 * title or the check name) are meaningful.
 */
struct core_statsd_msg {
  enum core_statsd_kind kind;
  enum core_statsd_type type;
  const char *name;
  uint32_t name_len;
  uint32_t value_count;          /* >= 1 for a metric */
  uint64_t delta_mask;           /* gauges: bit i set if values[i] had +/- */
  double values[CORE_STATSD_VALUES_MAX];          /* numeric types */
  struct core_statsd_str members[CORE_STATSD_VALUES_MAX]; /* sets */
  double sample_rate;            /* 1.0 when absent; else in
                                    [CORE_STATSD_RATE_MIN, 1] */
  uint32_t tag_count;
  struct core_statsd_tag tags[CORE_STATSD_TAGS_MAX];
  /* The tag field as sent: its bytes after '#' up to the '|' or line end
   * (NULL, 0: no tag field). Set by both parsers, with tags or without. */
  const char *tags_raw;
  uint32_t tags_raw_len;
  /* 1: tags and tag_count are not filled yet (core_statsd_parse_buf_lazy
   * left them to core_statsd_tags_resolve, which needs the line: it
   * starts at name and is line_len bytes long). */
  uint32_t tags_lazy;
  uint32_t line_len;
  const char *container;         /* |c:ID, NULL when absent */
  uint32_t container_len;
  int has_timestamp;             /* |T<seconds> present */
  int64_t timestamp_s;
};

/*
 * What core_statsd_parse_buf calls for each non-empty line: err is the
 * outcome; msg holds the parsed line when err is CORE_STATSD_OK (its
 * pointers refer into the caller's buffer, valid until parse_buf returns)
 * and is unspecified otherwise. Returns the scratch to parse the next line
 * into, or NULL to reuse msg: a caller that keeps several parsed lines
 * (the pipe's lookup window) hands out a fresh one.
 */
typedef struct core_statsd_msg *(*core_statsd_line_fn)(
    void *ctx, enum core_statsd_err err, const struct core_statsd_msg *msg);

/*
 * What core_statsd_parse_buf_batch calls for each batch of up to its cap
 * lines: the lines are in the caller's msgs[0, n), in order; errs[i] is
 * line i's outcome (msgs[i] is unspecified when it is not CORE_STATSD_OK).
 * Pointers in msgs stay valid until parse_buf_batch returns.
 */
typedef void (*core_statsd_batch_fn)(void *ctx,
                                     const enum core_statsd_err *errs,
                                     uint32_t n);

#endif
