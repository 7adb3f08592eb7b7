/*
 * core/shard/stats.h - writing and reading shard counters.
 */
#ifndef SLUICE_CORE_SHARD_STATS_H
#define SLUICE_CORE_SHARD_STATS_H

#include <stddef.h>
#include <stdint.h>

#include "core/shard/stats_types.h"

/* Add n to a counter. Only the owning shard calls this. */
static inline void core_stat_add(uint64_t *c, uint64_t n) {
  __atomic_store_n(c, __atomic_load_n(c, __ATOMIC_RELAXED) + n,
                   __ATOMIC_RELAXED);
}

/* Set a gauge. Only the owning shard calls this. */
static inline void core_stat_set(uint64_t *c, uint64_t v) {
  __atomic_store_n(c, v, __ATOMIC_RELAXED);
}

/* Read a counter or gauge from any thread. */
static inline uint64_t core_stat_get(const uint64_t *c) {
  return __atomic_load_n(c, __ATOMIC_RELAXED);
}

struct core_strbuf;

/*
 * Render the Prometheus text exposition of `n` shards' counters into `out`.
 *   stats  n pointers to shard counter blocks, index = shard id.
 * Returns 0, or -ENOMEM when `out` cannot grow.
 */
int core_stats_render(const struct core_stats *const *stats, unsigned n,
                      struct core_strbuf *out);

#endif
