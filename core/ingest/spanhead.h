/*
 * core/ingest/spanhead.h - appending OTLP spans, their events and links to
 * the open span block and sealing it (see spanhead_types.h).
 *
 * A span arrives in parts (core/parse/otlp.h: the span, then each event
 * and link): the head takes the span, keeps it open to its parts, and
 * closes it at the next span, the seal or the tick. A part over a bound
 * refuses the whole span, which is taken back out of the head.
 */
#ifndef SLUICE_CORE_INGEST_SPANHEAD_H
#define SLUICE_CORE_INGEST_SPANHEAD_H

#include <stdint.h>

#include "core/ingest/spanhead_types.h"

/*
 * Allocate the head's arrays and arena (at start-up, on the thread that
 * will use it). sink may be NULL (spans are then dropped at seal: tests).
 * stored, when not NULL, is added one per span closed (core/base/stat.h).
 * Returns 0 or -ENOMEM.
 */
int core_spanhead_init(struct core_spanhead *h, core_spanhead_sink_fn sink,
                       void *ctx, uint64_t *stored);

/* Release the memory. Safe on a zeroed struct. */
void core_spanhead_free(struct core_spanhead *h);

/*
 * Take span s (with its resource and scope), copying every byte it points
 * at, and keep it open for its events and links; closes the previous one.
 * Seals first when an empty head is needed to be sure the span and its
 * announced parts fit. now_ms opens the block's age.
 * Returns CORE_SPAN_OK, or the reason it was refused (nothing kept; its
 * parts are then dropped).
 */
enum core_span_reject core_spanhead_span(struct core_spanhead *h,
                                         const struct core_otlp_span *s,
                                         int64_t now_ms);

/*
 * An event or link of the open span. Returns CORE_SPAN_OK; the reason
 * when it puts the span over a bound (the span is taken out: the caller
 * counts one refusal); or CORE_SPAN_OK when there is no open span (the
 * part of a refused span: already counted) - see core_spanhead_dropping.
 */
enum core_span_reject core_spanhead_event(struct core_spanhead *h,
                                          const struct core_otlp_event *e);
enum core_span_reject core_spanhead_link(struct core_spanhead *h,
                                         const struct core_otlp_link *l);

/* Close the open span (it counts as stored). No-op when none is open. */
void core_spanhead_close(struct core_spanhead *h);

/* Close the open span, hand the spans to the sink, empty the head. */
void core_spanhead_seal(struct core_spanhead *h);

/*
 * Close the open span; seal when the head holds spans and now_ms -
 * opened_ms >= max_age_ms, or when the wall clock stepped back.
 */
void core_spanhead_tick(struct core_spanhead *h, int64_t now_ms,
                        int64_t max_age_ms);

#endif
