/*
 * tests/unit/core/shard/test_store.c - the store on a real io_uring and a
 * real directory: sealed heads are counted, kept, waited for when every
 * write buffer is busy, made durable by drain, and lost blocks counted.
 */
#include <criterion/criterion.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/base/fault.h"
#include "core/base/ring.h"
#include "core/ingest/head.h"
#include "core/ingest/series.h"
#include "core/shard/store.h"
#include "storage/recover.h"

static struct core_ring ring;
static struct core_stats st;
static struct core_series series;
static struct core_head head;
static struct core_store store;
static char dir[64];
static int dir_fd = -1;

static void no_answer(void *ctx, uint64_t gen, int failed) {
  (void)ctx;
  (void)gen;
  (void)failed;
}

static void setup(void) {
  int rc = core_ring_init(&ring, 256);

  if (rc < 0)
    cr_skip("io_uring unavailable: %s", strerror(-rc));
  memset(&st, 0, sizeof(st));
  core_store_init(&store, &ring, &st);
  cr_assert_eq(core_series_init(&series, 1000), 0);
  cr_assert_eq(core_head_init(&head, 1000, core_store_head_sink, &store), 0);
}

static void open_store(void) {
  struct stor_writer_cfg c = {.next_seg_seq = 1, .next_block_seq = 1,
                              .fsync_interval_ms = 10,
                              .segment_bytes_max = 64 << 20,
                              .segment_age_ms_max = 3600000,
                              .series_max = 1000, .answer = no_answer};

  snprintf(dir, sizeof(dir), "/tmp/sluice-store-XXXXXX");
  cr_assert_not_null(mkdtemp(dir));
  dir_fd = open(dir, O_RDONLY | O_DIRECTORY);
  c.dir_fd = dir_fd;
  cr_assert_eq(core_store_open(&store, &series, &c, NULL), 0);
}

static void teardown(void) {
  char cmd[128];

  core_store_free(&store);
  core_head_free(&head);
  core_series_free(&series);
  core_ring_free(&ring);
  if (dir_fd >= 0) {
    close(dir_fd);
    dir_fd = -1;
    snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
    cr_assert_eq(system(cmd), 0);
  }
  memset(&core_fault, 0, sizeof(core_fault));
}

/* n points over 10 series, then seal. */
static void seal_points(uint32_t n) {
  char key[32];
  struct core_series_entry *e;

  for (uint32_t i = 0; i < n; i++) {
    int len = snprintf(key, sizeof(key), "m.%u", i % 10);
    cr_assert_geq(core_series_upsert(&series, key, (size_t)len,
                                     core_series_hash(key, (size_t)len), 0,
                                     &e), 0);
    core_head_append(&head, e->id, 1000 + i, (double)i, 1000);
  }
  core_head_seal(&head);
}

static uint64_t blocks_on_disk(void) {
  struct stor_recovery r;

  cr_assert_eq(stor_recover_dir(dir_fd, dir, &r, NULL), 0);
  cr_assert_eq(r.truncated_bytes, 0);
  return r.blocks;
}

Test(store, without_a_writer_counts_only, .init = setup, .fini = teardown) {
  seal_points(30);
  seal_points(20);
  cr_assert_eq(st.ingest.head_sealed_blocks, 2);
  cr_assert_eq(st.ingest.head_sealed_points, 50);
  cr_assert_eq(core_store_flush(&store, 5), 1, "answered: nothing kept");
  cr_assert_eq(core_store_drain(&store, 0), 1);
}

Test(store, keeps_every_block_and_waits_for_buffers, .init = setup,
     .fini = teardown) {
  open_store();
  /* more seals in a row than write buffers: the store must wait */
  for (int i = 0; i < 4 * STOR_WRITE_BUFS_COUNT; i++)
    seal_points(100);
  cr_assert_eq(core_store_drain(&store, core_ring_now_ms() + 10000), 1);
  cr_assert_gt(st.store_waits, 0);
  cr_assert_eq(st.store_dropped, 0);
  cr_assert_eq(st.stor.blocks_written, 4 * STOR_WRITE_BUFS_COUNT);
  cr_assert_eq(st.stor.points_lost, 0);
  cr_assert_eq(blocks_on_disk(), 4 * STOR_WRITE_BUFS_COUNT);
}

Test(store, lost_blocks_are_counted, .init = setup, .fini = teardown) {
  open_store();
  core_fault.write_eio = 1; /* every write fails: retried, then given up */
  seal_points(40);
  cr_assert_eq(core_store_drain(&store, core_ring_now_ms() + 10000), 1);
  cr_assert_eq(st.stor.blocks_lost, 1);
  cr_assert_eq(st.stor.points_lost, 40);
  cr_assert_eq(blocks_on_disk(), 0);
}
