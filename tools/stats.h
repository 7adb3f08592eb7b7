/*
 * tools/stats.h - the table of `sluice stats`.
 */
#ifndef SLUICE_TOOLS_STATS_H
#define SLUICE_TOOLS_STATS_H

#include <stdio.h>

#include "tools/metrics_types.h"

/*
 * Print one table: a row per shard and a total row.
 *   prev  NULL: absolute counts (the --once snapshot, plain columns for
 *         scripts); else counters as rates over dt_s seconds since prev.
 * Gauges (series, tcp) are shown as they are in both forms.
 */
void tools_stats_print(FILE *f, const struct tools_metrics *cur,
                       const struct tools_metrics *prev, double dt_s);

#endif
