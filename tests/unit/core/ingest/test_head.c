/*
 * tests/unit/core/ingest/test_head.c - head columns, sealing by size and by age.
 */
#include <criterion/criterion.h>
#include <errno.h>
#include <string.h>

#include "core/ingest/head.h"
#include "core/base/limits.h"

#define SEEN_MAX 16

/* What the sink saw, copied at the call (the head empties right after). */
struct seen {
  int calls;
  uint32_t count[SEEN_MAX];
  uint32_t ids[SEEN_MAX][8];
  int64_t ts[SEEN_MAX][8];
  double vals[SEEN_MAX][8];
  void *ctx;
};

static void record(struct core_head *h, void *ctx) {
  struct seen *s = ctx;
  int c = s->calls++;

  cr_assert_lt(c, SEEN_MAX);
  s->ctx = ctx;
  s->count[c] = h->count;
  for (uint32_t i = 0; i < h->count && i < 8; i++) {
    s->ids[c][i] = h->series_id[i];
    s->ts[c][i] = h->ts_ms[i];
    s->vals[c][i] = h->value[i];
  }
}

Test(head, init_rejects_zero_cap_and_free_is_safe) {
  struct core_head h;

  cr_assert_eq(core_head_init(&h, 0, NULL, NULL), -EINVAL);
  core_head_free(&h);
  cr_assert_eq(core_head_init(&h, CORE_HEAD_POINTS_MAX, NULL, NULL), 0);
  cr_assert_eq(h.cap, CORE_HEAD_POINTS_MAX);
  cr_assert_eq(h.count, 0);
  /* every column is writable over its whole length */
  h.series_id[h.cap - 1] = 1;
  h.ts_ms[h.cap - 1] = 2;
  h.value[h.cap - 1] = 3.0;
  core_head_free(&h);
  core_head_free(&h);
}

Test(head, full_head_seals_once_on_the_next_append) {
  struct core_head h;
  struct seen s = {0};

  cr_assert_eq(core_head_init(&h, 4, record, &s), 0);
  for (uint32_t i = 0; i < 4; i++)
    core_head_append(&h, 10 + i, 1000 + i, 0.5 * i, 5000);
  cr_assert_eq(s.calls, 0, "a full head waits for the next point");
  cr_assert_eq(h.count, 4);
  core_head_append(&h, 99, 2000, 9.0, 6000);
  cr_assert_eq(s.calls, 1);
  cr_assert_eq(s.ctx, &s);
  cr_assert_eq(s.count[0], 4);
  for (uint32_t i = 0; i < 4; i++) {
    cr_assert_eq(s.ids[0][i], 10 + i);
    cr_assert_eq(s.ts[0][i], 1000 + i);
    cr_assert_float_eq(s.vals[0][i], 0.5 * i, 0);
  }
  cr_assert_eq(h.count, 1, "the fifth point opens the next block");
  cr_assert_eq(h.series_id[0], 99);
  cr_assert_eq(h.opened_ms, 6000);
  cr_assert_eq(h.sealed_blocks, 1);
  cr_assert_eq(h.sealed_points, 4);
  core_head_free(&h);
}

Test(head, counters_accumulate_over_seals) {
  struct core_head h;
  struct seen s = {0};

  cr_assert_eq(core_head_init(&h, 3, record, &s), 0);
  for (int i = 0; i < 10; i++)
    core_head_append(&h, 1, i, i, 100);
  cr_assert_eq(s.calls, 3);
  cr_assert_eq(h.count, 1);
  core_head_seal(&h);
  cr_assert_eq(s.calls, 4);
  cr_assert_eq(s.count[3], 1);
  cr_assert_eq(s.ts[3][0], 9);
  cr_assert_eq(h.sealed_blocks, 4);
  cr_assert_eq(h.sealed_points, 10);
  core_head_free(&h);
}

Test(head, seal_on_empty_is_a_no_op) {
  struct core_head h;
  struct seen s = {0};

  cr_assert_eq(core_head_init(&h, 4, record, &s), 0);
  core_head_seal(&h);
  core_head_append(&h, 1, 1, 1, 10);
  core_head_seal(&h);
  core_head_seal(&h);
  cr_assert_eq(s.calls, 1);
  cr_assert_eq(h.sealed_blocks, 1);
  cr_assert_eq(h.count, 0);
  cr_assert_eq(h.opened_ms, 0);
  core_head_free(&h);
}

Test(head, tick_seals_by_age_of_the_first_point) {
  struct core_head h;
  struct seen s = {0};

  cr_assert_eq(core_head_init(&h, 8, record, &s), 0);
  core_head_tick(&h, 1000000, 1000);
  cr_assert_eq(s.calls, 0, "an empty head never seals");
  core_head_append(&h, 1, 1, 1, 1000);
  core_head_append(&h, 2, 2, 2, 1900);
  cr_assert_eq(h.opened_ms, 1000, "the first point opens the block");
  core_head_tick(&h, 1999, 1000);
  cr_assert_eq(s.calls, 0);
  core_head_tick(&h, 2000, 1000);
  cr_assert_eq(s.calls, 1);
  cr_assert_eq(s.count[0], 2);
  core_head_tick(&h, 5000, 1000);
  cr_assert_eq(s.calls, 1, "nothing left to seal");
  core_head_free(&h);
}

Test(head, tick_seals_when_the_clock_steps_back) {
  struct core_head h;
  struct seen s = {0};

  cr_assert_eq(core_head_init(&h, 8, record, &s), 0);
  core_head_append(&h, 1, 1, 1, 50000);
  core_head_tick(&h, 50000, 1000);
  cr_assert_eq(s.calls, 0);
  core_head_tick(&h, 40000, 1000);
  cr_assert_eq(s.calls, 1);
  core_head_free(&h);
}

Test(head, null_sink_drops_but_counts) {
  struct core_head h;

  cr_assert_eq(core_head_init(&h, 2, NULL, NULL), 0);
  for (int i = 0; i < 5; i++)
    core_head_append(&h, 1, i, i, 7);
  cr_assert_eq(h.sealed_blocks, 2);
  cr_assert_eq(h.sealed_points, 4);
  core_head_tick(&h, 7 + 10, 10);
  cr_assert_eq(h.count, 0);
  cr_assert_eq(h.sealed_blocks, 3);
  cr_assert_eq(h.sealed_points, 5);
  core_head_free(&h);
}
