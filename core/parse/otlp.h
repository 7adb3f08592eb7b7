/*
 * core/parse/otlp.h - decoders of the OTLP v1 Export*ServiceRequest
 * protobuf messages (opentelemetry-proto collector/{metrics,logs,trace}/v1).
 *
 * Each walks the request once per level, zero-copy, and hands every data
 * point, log record or span, with its resource and scope, to the sink's
 * callback. Unknown fields are skipped; a known field with the wrong wire
 * type, a truncation or a bad id is -EBADMSG; a bound of limits.h
 * (CORE_OTLP_*) is -E2BIG. *why then holds a short static reason for a
 * 400 reply. Items already handed out before an error stay handed out: the
 * caller that wants all or nothing decodes twice (once with a NULL sink).
 */
#ifndef SLUICE_CORE_PARSE_OTLP_H
#define SLUICE_CORE_PARSE_OTLP_H

#include <stddef.h>

#include "core/parse/otlp_types.h"

/*
 * Decode an ExportMetricsServiceRequest of len bytes at buf: sink->point
 * per data point (gauge, sum, histogram, exponential histogram, summary).
 *   s    the caller's scratch (attributes and buckets of the current point)
 *   why  set to a static reason on failure
 * Returns 0, -EBADMSG, -E2BIG, or a callback's non-zero return.
 */
int core_otlp_metrics_decode(const void *buf, size_t len,
                             struct core_otlp_scratch *s,
                             const struct core_otlp_sink *sink,
                             const char **why);

/*
 * Decode an ExportLogsServiceRequest: sink->log per log record. Arguments
 * and returns as core_otlp_metrics_decode; a trace_id not of 16 bytes or a
 * span_id not of 8 (when not empty) is -EBADMSG.
 */
int core_otlp_logs_decode(const void *buf, size_t len,
                          struct core_otlp_scratch *s,
                          const struct core_otlp_sink *sink,
                          const char **why);

/*
 * Decode an ExportTraceServiceRequest: sink->span per span, then
 * sink->event per event and sink->link per link of that span. Arguments
 * and returns as core_otlp_metrics_decode; ids of the wrong length (a
 * span's trace_id and span_id are required) are -EBADMSG.
 */
int core_otlp_traces_decode(const void *buf, size_t len,
                            struct core_otlp_scratch *s,
                            const struct core_otlp_sink *sink,
                            const char **why);

#endif
