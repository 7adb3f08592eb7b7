/*
 * tools/otlp_gen.h - OTLP request bodies for `sluice bench otlp`.
 */
#ifndef SLUICE_TOOLS_OTLP_GEN_H
#define SLUICE_TOOLS_OTLP_GEN_H

#include "tools/otlp_gen_types.h"

/*
 * Build spec->requests request bodies into pool (allocated here).
 * Metrics: points grouped ten to a Metric, even metrics gauges (double),
 * odd ones cumulative monotonic sums (int), one Resource per request
 * (service.name, host.name); series = metric name x attribute set cycle
 * through spec->series. Logs: records with a string body, severity,
 * attributes and trace/span ids. Traces: spans eight to a trace (random
 * 16-byte trace ids, 8-byte span ids, parents forming a binary tree), a
 * name from a small set, kind, start/end, status, attributes; one span in
 * 16 ends in error with an "exception" event; pool->trace_id is the first
 * trace of request 0. Item times advance 1 s per request.
 * Returns 0, -EINVAL (spec out of range) or -ENOMEM.
 */
int tools_otlp_gen(const struct tools_otlp_spec *spec,
                   struct tools_otlp_pool *pool);

/* Free what tools_otlp_gen allocated. Safe on a zeroed pool. */
void tools_otlp_pool_free(struct tools_otlp_pool *pool);

#endif
