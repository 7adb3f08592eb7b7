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
 * and store what it carries, received at now_ms. The request is decoded
 * once without storing (all or nothing: an undecodable body stores
 * nothing), then stored; items the mapping refuses (over --max-series, a
 * NaN bucket bound, ...) are counted by reason and reported in res.
 * Runs on the shard's thread; allocates nothing.
 * Returns res->rc (0, -EBADMSG or -E2BIG).
 */
int core_pipe_otlp(struct core_pipe *p, enum core_otlp_signal sig,
                   enum core_otlp_enc enc, const void *body, size_t len,
                   int64_t now_ms, struct core_otlp_result *res);

#endif
