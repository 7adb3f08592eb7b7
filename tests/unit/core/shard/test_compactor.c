/*
 * tests/unit/core/shard/test_compactor.c - the background compactor's
 * rules (core/shard/compactor.h): a segment is compacted only once it is
 * below the shard's active segment, all its blocks are durable, and it is
 * --compact-after old; an idle shard's segments below its first one are
 * closed; the counters render.
 */
#include <criterion/criterion.h>
#include <stdint.h>
#include <string.h>
#include <time.h>

#include "../../storage/segment_test_util.h"
#include "core/base/strbuf.h"
#include "core/shard/compactor.h"

static int64_t now_ms(void) {
  struct timespec t;

  clock_gettime(CLOCK_REALTIME, &t);
  return (int64_t)t.tv_sec * 1000 + t.tv_nsec / 1000000;
}

Test(compactor, follows_active_durable_and_age) {
  static struct core_compactor c;
  const struct net_fwd *no_fwd = NULL;
  uint64_t active = 4, durable = 4;
  struct core_strbuf out;

  core_strbuf_init(&out, 1 << 20);
  seg_dir_make();
  for (uint64_t s = 1; s <= 4; s++) /* segment s holds block s */
    append_metric(0, s, s, 1, "cpu\001host:a", 10, (int64_t)s * 100000,
                  1000, (double)s);
  memset(&c, 0, sizeof(c));
  c.cfg = (struct core_compactor_cfg){.data_dir = seg_dir, .shard_count = 1,
                                      .after_ms = 60000, .fwd = &no_fwd};
  c.cfg.active_seg[0] = &active;
  c.cfg.durable_seq[0] = &durable;
  c.cfg.first_seg[0] = 5;
  /* just written: younger than --compact-after */
  cr_assert_eq(core_compactor_round(&c, now_ms()), 0);
  /* old enough, but block 3 is not durable: 1..2 */
  durable = 2;
  cr_assert_eq(core_compactor_round(&c, now_ms() + 120000), 1);
  cr_assert_eq(c.stats.segments_in, 2);
  /* durable: 3, not 4 (the active segment) */
  durable = 4;
  cr_assert_eq(core_compactor_round(&c, now_ms() + 120000), 1);
  cr_assert_eq(c.stats.segments_in, 3);
  cr_assert_eq(core_compactor_round(&c, now_ms() + 120000), 0);
  /* no segment opened this run: everything below the first one is closed */
  active = 0;
  cr_assert_eq(core_compactor_round(&c, now_ms() + 120000), 1);
  cr_assert_eq(c.stats.passes, 3);
  cr_assert_eq(c.stats.segments_in, 4);
  cr_assert_eq(c.stats.points, 40);
  cr_assert_eq(c.stats.failures, 0);
  core_compactor_render(&c, &out);
  cr_assert_not_null(strstr(out.data, "\nsluice_compaction_passes_total 3\n"));
  cr_assert_not_null(strstr(out.data,
                            "\nsluice_compaction_segments_in_total 4\n"));
  core_strbuf_free(&out);
  seg_dir_remove();
}
