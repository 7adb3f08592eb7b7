/*
 * tests/unit/core/base/test_heap.c - the per-shard heap (core/base/heap.c):
 * blocks come from the heap, not the process's malloc (mimalloc builds);
 * they are counted; fault injection refuses allocations, counted, with
 * NULL and the old block left as it was, never a crash; destroy frees
 * what is left.
 */
#include <criterion/criterion.h>
#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>

#include "core/base/heap.h"

#if defined(__SANITIZE_ADDRESS__)
#define MI 0
#else
#define MI 1
#include <mimalloc.h>
#endif

Test(heap, blocks_come_from_the_heap_and_are_counted) {
  struct core_heap_stats st = {0};
  struct core_heap h;
  char *a, *b;

  cr_assert_eq(core_heap_init(&h, &st, 0), 0);
  cr_assert_eq(core_heap_is_mimalloc(), MI);
  a = core_heap_alloc(&h, 100, 1);
  cr_assert_not_null(a);
  for (int i = 0; i < 100; i++)
    cr_assert_eq(a[i], 0, "zeroed");
  memset(a, 'x', 100);
  b = core_heap_realloc(&h, a, 1 << 20);
  cr_assert_not_null(b);
  cr_assert_eq(b[99], 'x', "realloc keeps the bytes");
#if MI
  {
    void *g = malloc(64);
    cr_assert(mi_heap_check_owned(h.mi, b), "from the shard's heap");
    cr_assert_not(mi_heap_check_owned(h.mi, g), "malloc is not the heap");
    free(g);
  }
#endif
  cr_assert_eq(st.allocs, 2);
  cr_assert_eq(st.blocks, 1);
  core_heap_free(&h, b);
  cr_assert_eq(st.blocks, 0);
  cr_assert_eq(st.refused, 0);
  core_heap_free(&h, NULL);
  core_heap_destroy(&h);
  core_heap_destroy(&h);
}

Test(heap, fault_injection_refuses_counted_and_keeps_the_block) {
  struct core_heap_stats st = {0};
  struct core_heap h;
  void *p[9];
  int got = 0;
  char *q, *r;

  cr_assert_eq(core_heap_init(&h, &st, 3), 0);
  for (int i = 0; i < 9; i++) {
    p[i] = core_heap_alloc(&h, 32, 0);
    got += p[i] != NULL;
  }
  cr_assert_eq(got, 6, "every 3rd refused");
  cr_assert_eq(st.refused, 3);
  cr_assert_null(p[2]);
  q = p[0];
  memcpy(q, "kept", 5);
  r = core_heap_realloc(&h, q, 4096); /* the 10th: allowed */
  cr_assert_not_null(r);
  q = core_heap_realloc(&h, r, 8192); /* the 11th: allowed */
  cr_assert_not_null(q);
  r = core_heap_realloc(&h, q, 1 << 16); /* the 12th: refused */
  cr_assert_null(r);
  cr_assert_str_eq(q, "kept", "a refused realloc leaves the block");
  cr_assert_eq(st.refused, 4);
  p[0] = q;
  /* destroy takes what is left (no leak under ASan: freed one by one) */
  for (int i = 0; i < 9; i++)
    core_heap_free(&h, p[i]);
  cr_assert_eq(st.blocks, 0);
  core_heap_destroy(&h);
}

Test(heap, a_null_heap_is_malloc) {
  void *p = core_heap_alloc(NULL, 10, 0);

  cr_assert_not_null(p);
  p = core_heap_realloc(NULL, p, 100);
  cr_assert_not_null(p);
  core_heap_free(NULL, p);
}

static void *alloc_elsewhere(void *h) { return core_heap_alloc(h, 16, 0); }

/* Another thread (another shard) allocating from this heap is a bug that
 * mimalloc would not see: the always-on assertion stops it. */
Test(heap, a_heap_is_its_threads_alone, .signal = SIGABRT) {
  static struct core_heap_stats st;
  static struct core_heap h;
  pthread_t t;

  cr_assert_eq(core_heap_init(&h, &st, 0), 0);
  cr_assert_eq(pthread_create(&t, NULL, alloc_elsewhere, &h), 0);
  pthread_join(t, NULL);
}
