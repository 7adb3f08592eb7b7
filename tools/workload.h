/*
 * tools/workload.h - generate bench workloads.
 *
 * StatsD: series i is (metric name i mod N, host i / N): the name fixes the
 * type (a series never changes type, or sluice would reject it), the host
 * fixes every tag, so exactly `series` distinct series appear across all
 * pools. Every line is one valid metric with one value (no DogStatsD 1.1
 * packing), so lines sent == points sluice should ingest.
 * Syslog: alternates RFC 3164 and RFC 5424 (with structured data) messages.
 */
#ifndef SLUICE_TOOLS_WORKLOAD_H
#define SLUICE_TOOLS_WORKLOAD_H

#include "tools/workload_types.h"

/*
 * Build a pool: lines for series thread, thread + threads, ... packed whole
 * into chunks of at most spec->chunk_bytes.
 * Returns 0, -EINVAL for an impossible spec (zero series or chunk smaller
 * than a line), -ENOMEM. On failure w is left empty.
 */
int tools_workload_build(const struct tools_workload_spec *spec,
                         struct tools_workload *w);

/* Release a pool; w is empty afterwards. */
void tools_workload_free(struct tools_workload *w);

/* Protocol name ("statsd", "syslog") as used on the command line. */
const char *tools_proto_name(enum tools_proto p);

#endif
