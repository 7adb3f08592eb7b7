/*
 * tools/stats.h - the table of `sluice stats`.
 */
#ifndef SLUICE_TOOLS_STATS_H
#define SLUICE_TOOLS_STATS_H

#include <stdio.h>

#include "tools/metrics_types.h"

/* How long sluice has run, as far as `stats` can tell. */
struct tools_stats_uptime {
  double seconds;   /* < 0: unknown */
  int lower_bound;  /* seconds since this view's first sample, not since
                       the process started (no process_start_time_seconds) */
};

/*
 * Uptime at now_s (Unix seconds) from m's process_start_time_seconds; when
 * m has none, seen_s (time since the first sample, < 0: none) as a lower
 * bound.
 */
struct tools_stats_uptime tools_stats_uptime(const struct tools_metrics *m,
                                             double now_s, double seen_s);

/*
 * Print one table: a header line, a row per shard and a `total` row, with
 * no escape sequences (the caller clears a terminal).
 *   prev  NULL: absolute counts in wide integer columns (the --once
 *         snapshot, for scripts; uptime in seconds); else counters as rates
 *         over dt_s seconds since prev, short numbers (12.3k), uptime as
 *         3h04m.
 * Gauges (series, tcp, segments) are shown as they are in both forms;
 * loss is tools_metrics_lost().
 */
void tools_stats_print(FILE *f, const struct tools_metrics *cur,
                       const struct tools_metrics *prev, double dt_s,
                       struct tools_stats_uptime uptime);

#endif
