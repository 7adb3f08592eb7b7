/*
 * core/base/heap.c - per-shard heaps over mimalloc (see core/base/heap.h).
 *
 * Under AddressSanitizer the heaps are libc's malloc: mimalloc's blocks
 * would hide overflows and leaks from ASan, and the sanitizer build is
 * where those are looked for. The counters and the fault injection are
 * the same either way, so the tests see the same behaviour.
 */
#include "core/base/heap.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "core/base/assert.h"
#include "core/base/stat.h"

#if defined(__SANITIZE_ADDRESS__)
#define USE_MIMALLOC 0
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define USE_MIMALLOC 0
#endif
#endif
#ifndef USE_MIMALLOC
#define USE_MIMALLOC 1
#endif

#if USE_MIMALLOC
#include <mimalloc.h>
#endif

int core_heap_is_mimalloc(void) { return USE_MIMALLOC; }

void *core_map_bytes(size_t n) {
  void *p = mmap(NULL, n, PROT_READ | PROT_WRITE,
                 MAP_ANONYMOUS | MAP_PRIVATE | MAP_NORESERVE, -1, 0);
  return p == MAP_FAILED ? NULL : p;
}

void core_unmap_bytes(void *p, size_t n) {
  if (p != NULL)
    munmap(p, n);
}

int core_heap_init(struct core_heap *h, struct core_heap_stats *st,
                   uint32_t fail_every) {
  memset(h, 0, sizeof(*h));
  h->stats = st;
  h->fail_every = fail_every;
  h->owner = pthread_self();
#if USE_MIMALLOC
  h->mi = mi_heap_new();
  if (h->mi == NULL)
    return -ENOMEM;
#endif
  return 0;
}

void core_heap_destroy(struct core_heap *h) {
#if USE_MIMALLOC
  if (h->mi != NULL)
    mi_heap_destroy(h->mi);
#endif
  h->mi = NULL;
  if (h->stats != NULL)
    core_stat_set(&h->stats->blocks, 0);
}

/* 1 when this allocation is refused by the fault injection (counted). */
static int refuse(struct core_heap *h) {
  /* a heap is its thread's: another shard's would be a data race */
  ASSERT(pthread_equal(h->owner, pthread_self()));
  h->nth++;
  if (h->fail_every != 0 && h->nth % h->fail_every == 0) {
    core_stat_add(&h->stats->refused, 1);
    return 1;
  }
  return 0;
}

/* Count what the allocator gave: p, or NULL (refused). */
static void *counted(struct core_heap *h, void *p, int new_block) {
  if (p == NULL) {
    core_stat_add(&h->stats->refused, 1);
    return NULL;
  }
  core_stat_add(&h->stats->allocs, 1);
  if (new_block)
    core_stat_add(&h->stats->blocks, 1);
  return p;
}

void *core_heap_alloc(struct core_heap *h, size_t n, int zero) {
  void *p;

  if (h == NULL)
    return zero ? calloc(1, n) : malloc(n);
  if (refuse(h))
    return NULL;
#if USE_MIMALLOC
  p = zero ? mi_heap_zalloc(h->mi, n) : mi_heap_malloc(h->mi, n);
#else
  p = zero ? calloc(1, n) : malloc(n);
#endif
  return counted(h, p, 1);
}

void *core_heap_realloc(struct core_heap *h, void *p, size_t n) {
  void *q;

  if (h == NULL)
    return realloc(p, n);
  if (refuse(h))
    return NULL;
#if USE_MIMALLOC
  q = mi_heap_realloc(h->mi, p, n);
#else
  q = realloc(p, n);
#endif
  return counted(h, q, p == NULL);
}

void core_heap_free(struct core_heap *h, void *p) {
  if (p == NULL)
    return;
  if (h == NULL) {
    free(p);
    return;
  }
  core_stat_set(&h->stats->blocks, core_stat_get(&h->stats->blocks) - 1);
#if USE_MIMALLOC
  mi_free(p);
#else
  free(p);
#endif
}
