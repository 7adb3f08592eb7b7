/*
 * core/ingest/otlpmap.h - OTLP export requests into a shard's pipeline:
 * data points into series and the metric head, log records into the log
 * head, spans into the span head (mapping in docs/otlp.md).
 */
#ifndef SLUICE_CORE_INGEST_OTLPMAP_H
#define SLUICE_CORE_INGEST_OTLPMAP_H

#include <stddef.h>
#include <stdint.h>

#include "core/ingest/otlpmap_types.h"
#include "core/ingest/pipe_types.h"

/*
 * Decode one Export*ServiceRequest body (inflated already) of len bytes
 * and store what it carries, received at now_ms, all or nothing: an
 * undecodable body stores nothing and makes no series (metrics are
 * decoded once into staging, logs written in place in the log head, both
 * committed when the whole body decoded; spans, and a request past a
 * staging bound or filling the log head, are decoded once without
 * storing, then stored); items the mapping refuses (over --max-series, a
 * NaN bucket bound, ...) are counted by reason and reported in res.
 * Runs on the shard's thread; allocates nothing. Metrics go to series
 * and the head, logs to the log head (refused as "unsupported" without
 * core_pipe_logs_init), spans to p->spans (refused as "unsupported" while
 * p->spans.span is NULL). enc selects the decoder: protobuf or the OTLP
 * JSON mapping (core/parse/otlp_json.h), both into the same sinks.
 * Returns res->rc (0, -EBADMSG or -E2BIG, or a span hook's non-zero).
 */
int core_pipe_otlp(struct core_pipe *p, enum core_otlp_signal sig,
                   enum core_otlp_enc enc, const void *body, size_t len,
                   int64_t now_ms, struct core_otlp_result *res);

/*
 * Map the pipeline's OTLP state (done by core_pipe_init, with the default
 * resource labels). Returns 0 or -ENOMEM.
 */
int core_pipe_otlp_init(struct core_pipe *p);

/* Release it. Safe when never mapped. */
void core_pipe_otlp_free(struct core_pipe *p);

/*
 * Check an --otlp-resource-labels value: "all", "none", or a
 * comma-separated list of at most CORE_OTLP_RESOURCE_LABELS_MAX non-empty
 * keys, under CORE_OTLP_RESOURCE_LABELS_BYTES_MAX bytes. Returns 0 or
 * -EINVAL.
 */
int core_otlp_resource_labels_check(const char *list);

/*
 * Make the resource attributes of list (as core_otlp_resource_labels_check
 * takes) the labels of every OTLP series of the pipeline (at start-up).
 * Returns 0, or -EINVAL (the default list stays).
 */
int core_pipe_otlp_resource_labels(struct core_pipe *p, const char *list);

/* Label value of a rejection reason, e.g. "max_series". Never NULL. */
const char *core_otlp_reason_name(enum core_otlp_reject r);

/* Label value of a point kind, e.g. "exponential_histogram". Never NULL. */
const char *core_otlp_pkind_name(enum core_otlp_pkind k);

#endif
