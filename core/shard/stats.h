/*
 * core/shard/stats.h - writing and reading shard counters.
 */
#ifndef SLUICE_CORE_SHARD_STATS_H
#define SLUICE_CORE_SHARD_STATS_H

#include <stddef.h>
#include <stdint.h>

#include "core/base/stat.h"
#include "core/shard/stats_types.h"

struct core_strbuf;

/*
 * Render the Prometheus text exposition of `n` shards' counters into `out`.
 *   stats  n pointers to shard counter blocks, index = shard id.
 * Returns 0, or -ENOMEM when `out` cannot grow.
 */
int core_stats_render(const struct core_stats *const *stats, unsigned n,
                      struct core_strbuf *out);

#endif
