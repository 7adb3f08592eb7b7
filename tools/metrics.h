/*
 * tools/metrics.h - read sluice's /metrics into per-shard counts.
 */
#ifndef SLUICE_TOOLS_METRICS_H
#define SLUICE_TOOLS_METRICS_H

#include <stddef.h>

#include "tools/metrics_types.h"

/*
 * Sum the families listed in metrics_types.h from a Prometheus text into m
 * (zeroed first). Malformed lines are skipped and counted in m->malformed;
 * unknown families are ignored.
 * Returns the number of samples used.
 */
unsigned tools_metrics_collect(const char *text, size_t len,
                               struct tools_metrics *m);

/*
 * Lines of protocol p that sluice accounted for: ingested + parse errors
 * (+ DogStatsD events and samples over --max-series, for StatsD). This is
 * what `bench --check` compares with lines sent.
 */
double tools_metrics_accounted(const struct tools_counts *c,
                               enum tools_proto p);

/*
 * What sluice did not store, counted as it counts them: datagrams the
 * kernel dropped (sluice_rx_dropped_total), StatsD lines rejected, samples
 * over --max-series, and points and log records storage gave up. A syslog
 * message that does not parse is stored (flagged), so it is no loss.
 */
double tools_metrics_lost(const struct tools_counts *c);

/*
 * GET url (sluice's /metrics) and collect it into m.
 * Returns 0, or the -errno of tools_http_get with err set.
 */
int tools_metrics_fetch(const char *url, struct tools_metrics *m, char *err,
                        size_t errlen);

#endif
