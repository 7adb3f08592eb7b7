/*
 * core/base/stat.h - counters with one writer and lock-free readers.
 *
 * Each counter has exactly one writing thread (its shard); the query
 * thread reads it for /metrics. Both sides go through these relaxed
 * atomics, so a reader sees whole 64-bit values without any lock and the
 * writer pays no locked instruction.
 */
#ifndef SLUICE_CORE_BASE_STAT_H
#define SLUICE_CORE_BASE_STAT_H

#include <stdint.h>

/* Add n to a counter. Only the owning thread calls this. */
static inline void core_stat_add(uint64_t *c, uint64_t n) {
  __atomic_store_n(c, __atomic_load_n(c, __ATOMIC_RELAXED) + n,
                   __ATOMIC_RELAXED);
}

/* Set a gauge. Only the owning thread calls this. */
static inline void core_stat_set(uint64_t *c, uint64_t v) {
  __atomic_store_n(c, v, __ATOMIC_RELAXED);
}

/* Read a counter or gauge from any thread. */
static inline uint64_t core_stat_get(const uint64_t *c) {
  return __atomic_load_n(c, __ATOMIC_RELAXED);
}

#endif
