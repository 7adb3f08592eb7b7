/*
 * core/ingest/head.c - the open block: three columns filled by core_head_append
 * (an inline in head.h) and handed to the sink when full or old.
 */
#include "core/ingest/head.h"

#include <errno.h>
#include <string.h>
#include <sys/mman.h>

#include "core/base/assert.h"

/*
 * One mapping holds the three columns, 8-byte columns first so each starts
 * aligned. Mapped at start-up by the shard thread, so first touch puts the
 * pages on that shard's NUMA node.
 */
static size_t columns_bytes(uint32_t cap) {
  return (size_t)cap * (sizeof(int64_t) + sizeof(double) + sizeof(uint32_t));
}

int core_head_init(struct core_head *h, uint32_t cap, core_head_sink_fn sink,
                   void *ctx) {
  void *p;

  memset(h, 0, sizeof(*h));
  if (cap == 0)
    return -EINVAL;
  p = mmap(NULL, columns_bytes(cap), PROT_READ | PROT_WRITE,
           MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (p == MAP_FAILED)
    return -ENOMEM;
  h->ts_ms = p;
  h->value = (double *)(h->ts_ms + cap);
  h->series_id = (uint32_t *)(h->value + cap);
  h->cap = cap;
  h->gen = 1;
  h->sink = sink;
  h->sink_ctx = ctx;
  return 0;
}

void core_head_free(struct core_head *h) {
  if (h->ts_ms != NULL)
    munmap(h->ts_ms, columns_bytes(h->cap));
  memset(h, 0, sizeof(*h));
}

void core_head_seal(struct core_head *h) {
  ASSERT(h->count <= h->cap);
  if (h->count == 0)
    return;
  if (h->sink != NULL)
    h->sink(h, h->sink_ctx);
  h->sealed_blocks++;
  h->sealed_points += h->count;
  h->count = 0;
  h->opened_ms = 0;
  h->gen++;
  h->key_bytes = 0;
}

void core_head_tick(struct core_head *h, int64_t now_ms, int64_t max_age_ms) {
  if (h->count == 0)
    return;
  /*
   * A wall clock stepped back would otherwise hold the block (and keep its
   * data from queries) for as long as the step; sealing early is harmless.
   */
  if (now_ms - h->opened_ms >= max_age_ms || now_ms < h->opened_ms)
    core_head_seal(h);
}
