/*
 * core/ingest/spanmap.h - OTLP spans into a shard's span head: the sink
 * callbacks of core_otlp_traces_decode (core/parse/otlp.h), with ctx the
 * shard's struct core_pipe. core_pipe_otlp (otlpmap.c) passes them for
 * the traces signal.
 */
#ifndef SLUICE_CORE_INGEST_SPANMAP_H
#define SLUICE_CORE_INGEST_SPANMAP_H

#include "core/ingest/pipe_types.h"
#include "core/ingest/spanhead_types.h"
#include "core/parse/otlp_types.h"

/*
 * Let the pipeline take spans (at start-up, after core_pipe_init): a span
 * head whose sealed blocks go to sink (ctx), and p->spans (the traces
 * hook of core_pipe_otlp) set to the three callbacks below. Stored spans
 * are counted in p->stats->spans_otlp. Returns 0 or -ENOMEM.
 */
int core_pipe_spans_init(struct core_pipe *p, core_spanhead_sink_fn sink,
                         void *ctx);

/*
 * sink->span: store span s in the span head (its events and links follow
 * through the two calls below). A span over a bound (limits.h CORE_SPAN_*)
 * is refused whole and counted in p->stats->spans_rejected[reason]; that
 * is not an error. A span counts in spans_otlp once its parts are in (at
 * the next span, the seal or the shard's tick). Before
 * core_pipe_spans_init, spans are ignored.
 * Returns 0 (go on).
 */
int core_pipe_otlp_span(void *pipe, const struct core_otlp_span *s);

/* sink->event and sink->link of span s (the last one given). Returns 0. */
int core_pipe_otlp_event(void *pipe, const struct core_otlp_span *s,
                         const struct core_otlp_event *e);
int core_pipe_otlp_link(void *pipe, const struct core_otlp_span *s,
                        const struct core_otlp_link *l);

/*
 * Spans the span head refused so far, all reasons together (read before
 * and after a request: core_pipe_otlp's partial_success counts a span
 * accepted when it hands it over, before a later event or link can have
 * it refused).
 */
uint64_t core_pipe_spans_refused(const struct core_pipe *p);

/* The reason label of sluice_otlp_rejected_spans_total. */
const char *core_span_reject_name(enum core_span_reject r);

#endif
