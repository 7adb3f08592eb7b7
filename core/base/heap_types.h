/*
 * core/base/heap_types.h - a shard's own heap (core/base/heap.h).
 */
#ifndef SLUICE_CORE_BASE_HEAP_TYPES_H
#define SLUICE_CORE_BASE_HEAP_TYPES_H

#include <pthread.h>
#include <stdint.h>

/* Counters of one heap (one writer: its thread; core/base/stat.h). */
struct core_heap_stats {
  uint64_t allocs;        /* sluice_shard_heap_allocations_total */
  uint64_t refused;       /* sluice_shard_heap_refused_total: no memory
                             (or SLUICE_FAULT heap_fail) */
  uint64_t blocks;        /* gauge: blocks held now */
};

/*
 * One thread's heap: a mimalloc mi_heap_t made on that thread and used by
 * it alone (mimalloc heaps are not thread-safe), or libc's malloc where
 * mimalloc is not used (ASan builds, so that ASan sees every block; or a
 * NULL heap, for callers off the shards). Every block is counted.
 */
struct core_heap {
  void *mi;               /* mi_heap_t *, NULL: libc */
  struct core_heap_stats *stats;
  uint32_t fail_every;    /* refuse every Nth allocation (fault injection) */
  uint64_t nth;           /* allocations asked for, for fail_every */
  pthread_t owner;        /* the thread that made it: the only one that
                             may allocate from it */
};

#endif
