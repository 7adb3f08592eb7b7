/*
 * core/base/heap.h - per-shard heaps (DESIGN.md: "Allocation happens at
 * start-up or in per-shard mimalloc heaps"). What a shard allocates after
 * start-up (OTLP/HTTP request bodies, nghttp2 sessions and gRPC messages)
 * comes from its own mi_heap_t, made on the shard's thread at start-up and
 * destroyed when the shard ends; never from the process heap, never from
 * another shard's. Byte bounds stay with the callers (their budgets); the
 * heap counts blocks and refusals.
 *
 * Every call on a heap runs on the thread that made it. A NULL heap means
 * libc's malloc (for code that runs off the shards, or in tests).
 */
#ifndef SLUICE_CORE_BASE_HEAP_H
#define SLUICE_CORE_BASE_HEAP_H

#include <stddef.h>

#include "core/base/heap_types.h"

/*
 * Make the calling thread's heap, counting into st. fail_every: refuse
 * every Nth allocation (0: never; SLUICE_FAULT heap_fail).
 * Returns 0 or -ENOMEM.
 */
int core_heap_init(struct core_heap *h, struct core_heap_stats *st,
                   uint32_t fail_every);

/* Destroy the heap and every block still in it. Safe after a failed init,
 * or twice. */
void core_heap_destroy(struct core_heap *h);

/* n bytes (zeroed if zero), aligned as malloc's. Returns NULL, counted as
 * refused, when there is no memory (or the fault injection says so). */
void *core_heap_alloc(struct core_heap *h, size_t n, int zero);

/* p (from this heap, or NULL) grown or shrunk to n > 0 bytes. Returns the
 * block, or NULL (counted as refused) leaving p as it was. */
void *core_heap_realloc(struct core_heap *h, void *p, size_t n);

/* Give p (from this heap, or NULL) back. */
void core_heap_free(struct core_heap *h, void *p);

/* 1 when this build serves heaps from mimalloc, 0 when from libc. */
int core_heap_is_mimalloc(void);

/*
 * Start-up allocation of n zeroed bytes for tables and buffers that live
 * as long as their owner: anonymous memory reserved with MAP_NORESERVE,
 * so a large bound costs only the pages used. Returns NULL on failure.
 */
void *core_map_bytes(size_t n);

/* Give back what core_map_bytes(n) returned (NULL: nothing). */
void core_unmap_bytes(void *p, size_t n);

#endif
