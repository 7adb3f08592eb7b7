/*
 * tests/unit/storage/test_writer.c - the segment writer on a real io_uring
 * and a real directory: blocks land whole, retries, losses, rolls, flushes,
 * and start-up recovery of what it wrote.
 */
#include <criterion/criterion.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "core/base/fault.h"
#include "core/base/ring.h"
#include "core/ingest/head.h"
#include "core/ingest/series.h"
#include "storage/block.h"
#include "storage/compact.h"
#include "storage/logblock.h"
#include "storage/recover.h"
#include "storage/writer.h"

static struct core_ring ring;
static struct stor_stats st;
static struct core_series series;
static struct core_head head;
static struct stor_writer w;
static char dir[64];
static int dir_fd = -1;
static uint32_t seg_points_max; /* the next start()'s item bound; 0: default */
static uint64_t answered_gen;
static int answered_failed, answers;

static void on_answer(void *ctx, uint64_t gen, int failed) {
  (void)ctx;
  answered_gen = gen;
  answered_failed = failed;
  answers++;
}

static int64_t now(void) {
  struct timespec ts;
  clock_gettime(CLOCK_REALTIME, &ts);
  return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* The writer learns keys from the test's own dictionary. */
static void series_entry(const void *ctx, uint32_t id,
                         struct stor_dict_entry *out) {
  const struct core_series *d = ctx;
  const struct core_series_entry *e = &d->entries[id];

  *out = (struct stor_dict_entry){.id = id, .type = e->type,
                                  .key = d->arena + e->key_off,
                                  .key_len = e->key_len};
}

static int seal_head(int64_t t) {
  return stor_writer_seal(&w, &(struct stor_points){head.series_id,
                                                    head.ts_ms, head.value,
                                                    head.count}, t);
}

static void start(uint64_t seg_bytes) {
  struct stor_writer_cfg c = {.shard = 0, .next_seg_seq = 1,
                              .next_block_seq = 1, .fsync_interval_ms = 10,
                              .segment_bytes_max = seg_bytes,
                              .segment_age_ms_max = 3600000, .series_max = 1000,
                              .segment_points_max = seg_points_max,
                              .series = {series_entry, &series},
                              .logs = 1, .answer = on_answer};
  int rc;

  snprintf(dir, sizeof(dir), "/tmp/sluice-wtest-XXXXXX");
  cr_assert_not_null(mkdtemp(dir));
  dir_fd = open(dir, O_RDONLY | O_DIRECTORY);
  c.dir_fd = dir_fd;
  memset(&st, 0, sizeof(st));
  rc = core_ring_init(&ring, 256);
  if (rc < 0)
    cr_skip("io_uring unavailable: %s", strerror(-rc));
  cr_assert_eq(core_series_init(&series, 1000), 0);
  cr_assert_eq(core_head_init(&head, 1000, NULL, NULL), 0);
  cr_assert_eq(stor_writer_init(&w, &ring, &st, &c, NULL), 0);
  answers = 0;
}

static void stop(void) {
  char cmd[128];

  stor_writer_free(&w);
  core_head_free(&head);
  core_series_free(&series);
  core_ring_free(&ring);
  close(dir_fd);
  snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
  cr_assert_eq(system(cmd), 0);
  memset(&core_fault, 0, sizeof(core_fault));
  seg_points_max = 0;
}

/* Drive completions until the writer is idle (bounded). */
static void settle(void) {
  for (int i = 0; i < 500 && !stor_writer_idle(&w); i++) {
    core_ring_wait(&ring, 20);
    core_ring_reap(&ring); /* the writer's completions go to its handler */
    stor_writer_tick(&w, now());
  }
  cr_assert(stor_writer_idle(&w), "writer did not settle");
}

/* Fill the head with n points over `nseries` series and seal it. */
static void seal_points(uint32_t n, uint32_t nseries, int64_t ts0) {
  char key[32];
  struct core_series_entry *e;

  for (uint32_t i = 0; i < n; i++) {
    int len = snprintf(key, sizeof(key), "m.%u", i % nseries);
    cr_assert_geq(core_series_upsert(&series, key, (size_t)len,
                                     core_series_hash(key, (size_t)len), 0,
                                     &e), 0);
    core_head_append(&head, e->id, ts0 + i, (double)i, ts0);
  }
  while (seal_head(now()) == -ENOBUFS)
    settle();
  head.count = 0;
}

/* Seal n points (seal_points), ask for flush gen and wait for the answer:
 * returns whether the flush failed. */
static int seal_and_flush(uint32_t n, uint32_t nseries, int64_t ts0,
                          uint64_t gen) {
  seal_points(n, nseries, ts0);
  stor_writer_flush(&w, gen, now());
  settle();
  cr_assert_eq(answered_gen, gen);
  return answered_failed;
}

static struct stor_recovery recover(void) {
  struct stor_recovery r;
  cr_assert_eq(stor_recover_dir(dir_fd, dir, &r, NULL), 0);
  return r;
}

Test(writer, blocks_land_whole_and_recover_clean, .fini = stop) {
  start(64 << 20);
  for (int i = 0; i < 5; i++)
    seal_points(100, 10, 1000 * i);
  stor_writer_flush(&w, 7, now());
  settle();
  cr_assert_eq(answers, 1);
  cr_assert_eq(answered_gen, 7);
  cr_assert_eq(answered_failed, 0);
  cr_assert_eq(st.blocks_written, 5);
  struct stor_recovery r = recover();
  cr_assert_eq(r.segments, 1);
  cr_assert_eq(r.blocks, 5);
  cr_assert_eq(r.truncated_bytes, 0);
  cr_assert_eq(r.max_block_seq, 5);
}

Test(writer, flush_with_nothing_pending_answers_at_once, .fini = stop) {
  start(64 << 20);
  cr_assert_eq(stor_writer_flush(&w, 3, now()), 0);
  cr_assert_eq(answers, 1);
  cr_assert_eq(answered_gen, 3);
}

Test(writer, failed_writes_are_retried_in_place, .fini = stop) {
  start(64 << 20);
  core_fault.write_eio = 2;
  core_fault.write_short = 3;
  for (int i = 0; i < 6; i++)
    seal_points(50, 5, 1000 * i);
  stor_writer_flush(&w, 1, now());
  settle();
  cr_assert_eq(answered_failed, 0);
  cr_assert_geq(st.write_errors, 3);
  cr_assert_eq(st.blocks_lost, 0);
  cr_assert_eq(st.tail_truncations, 0, "retries overwrote the short writes");
  struct stor_recovery r = recover();
  cr_assert_eq(r.blocks, 6, "blocks %llu", (unsigned long long)r.blocks);
  cr_assert_eq(r.truncated_bytes, 0);
}

/* Size of segment seq on disk. */
static uint64_t segment_size(uint64_t seq) {
  char name[32];
  struct stat sb;

  stor_segment_name(seq, name, sizeof(name));
  cr_assert_eq(fstatat(dir_fd, name, &sb, 0), 0, "%s", name);
  return (uint64_t)sb.st_size;
}

/*
 * A disk filling up: a block's writes fail with ENOSPC, EIO, or land half
 * (short), until the writer gives it up. The half it wrote must not stay in
 * the segment: the writer cuts the file back to its last whole block while
 * it runs, so the live directory reads clean, without waiting for the next
 * start-up's recovery. ftruncate_op 0 takes the path of kernels without
 * IORING_OP_FTRUNCATE (a synchronous ftruncate).
 */
static void abandoned_partial_block_is_cut(int ftruncate_op) {
  uint64_t whole;
  struct stor_recovery r;

  start(64 << 20);
  w.ftruncate_op &= ftruncate_op;
  cr_assert_eq(seal_and_flush(100, 10, 0, 1), 0); /* write 1: whole */
  whole = st.bytes_written;
  cr_assert_eq(segment_size(1), whole);
  /* writes 2 ENOSPC, 3 short, 4 ENOSPC, 5 EIO: the block is given up */
  core_fault.write_enospc = 2;
  core_fault.write_short = 3;
  core_fault.write_eio = 5;
  cr_assert_eq(seal_and_flush(100, 10, 5000, 2), 1);
  cr_assert_eq(st.blocks_lost, 1);
  cr_assert_eq(st.write_errors, 4);
  cr_assert_eq(st.tail_truncations, 1);
  cr_assert_gt(st.tail_truncated_bytes, 0);
  cr_assert_eq(segment_size(1), whole, "size %llu, last whole block ends at %llu",
               (unsigned long long)segment_size(1), (unsigned long long)whole);
  r = recover(); /* on the live directory, as sluice inspect reads it */
  cr_assert_eq(r.truncated_bytes, 0, "a torn tail was left: %llu bytes",
               (unsigned long long)r.truncated_bytes);
  cr_assert_eq(r.blocks, 1);
  /* the writer goes on in a new segment (write 6 ENOSPC, 7 whole); the
   * abandoned one is retired at its last whole block */
  cr_assert_eq(seal_and_flush(10, 4, 9000, 3), 0);
  cr_assert_eq(st.tail_truncations, 1);
  cr_assert_eq(segment_size(1), whole);
  r = recover();
  cr_assert_eq(r.segments, 2, "segments %llu", (unsigned long long)r.segments);
  cr_assert_eq(r.blocks, 2);
  cr_assert_eq(r.truncated_bytes, 0);
}

Test(writer, abandoned_partial_block_is_cut_through_the_ring, .fini = stop) {
  abandoned_partial_block_is_cut(1);
}

Test(writer, abandoned_partial_block_is_cut_without_ring_op, .fini = stop) {
  abandoned_partial_block_is_cut(0);
}

/* Every write short: the first segment is given up whole, and cut to 0. */
Test(writer, abandoned_first_block_leaves_an_empty_segment, .fini = stop) {
  start(64 << 20);
  core_fault.write_short = 1;
  cr_assert_eq(seal_and_flush(50, 5, 0, 1), 1);
  cr_assert_eq(st.blocks_lost, 1);
  cr_assert_eq(st.tail_truncations, 1);
  cr_assert_eq(segment_size(1), 0);
  struct stor_recovery r = recover();
  cr_assert_eq(r.truncated_bytes, 0);
  cr_assert_eq(r.blocks, 0);
}

Test(writer, persistent_failure_loses_counted_blocks, .fini = stop) {
  start(64 << 20);
  core_fault.write_enospc = 1;
  seal_points(40, 4, 0);
  stor_writer_flush(&w, 9, now());
  settle();
  cr_assert_eq(answered_gen, 9);
  cr_assert_eq(answered_failed, 1);
  cr_assert_eq(st.blocks_lost, 1);
  cr_assert_eq(st.points_lost, 40);
  core_fault.write_enospc = 0;
  seal_points(10, 4, 5000); /* the writer goes on, in a new segment */
  stor_writer_flush(&w, 10, now());
  settle();
  cr_assert_eq(answered_failed, 0);
  struct stor_recovery r = recover();
  cr_assert_eq(r.blocks, 1);
  cr_assert_eq(r.truncated_bytes, 0);
}

/* Every segment can be read on its own: its first use of a series carries
 * the dictionary entry. */
Test(writer, every_segment_carries_its_dictionary, .fini = stop) {
  start(1); /* roll at every block */
  for (int i = 0; i < 4; i++)
    seal_points(30, 3, 100 * i);
  stor_writer_flush(&w, 1, now());
  settle();
  struct stor_recovery r = recover();
  cr_assert_eq(r.segments, 4);
  for (uint64_t seq = 1; seq <= 4; seq++) {
    char name[32];
    static uint8_t buf[1 << 20];
    struct stor_block_reader rd;
    struct stor_dict_entry e;
    int n = 0, fd;
    ssize_t len;

    stor_segment_name(seq, name, sizeof(name));
    fd = openat(dir_fd, name, O_RDONLY);
    cr_assert_geq(fd, 0);
    len = read(fd, buf, sizeof(buf));
    close(fd);
    cr_assert_eq(stor_block_reader_init(&rd, buf, (size_t)len), 0);
    while (stor_block_next_dict(&rd, &e) == 1)
      n++;
    cr_assert_eq(n, 3, "segment %llu has %d entries",
                 (unsigned long long)seq, n);
  }
}

Test(writer, torn_tail_is_cut_exactly, .fini = stop) {
  char path[128];
  FILE *f;

  start(64 << 20);
  seal_points(100, 10, 0);
  stor_writer_flush(&w, 1, now());
  settle();
  snprintf(path, sizeof(path), "%s/0000000000000001.seg", dir);
  f = fopen(path, "ab");
  cr_assert_not_null(f);
  fwrite("SLB1torn-block-tail", 1, 19, f);
  fclose(f);
  struct stor_recovery r = recover();
  cr_assert_eq(r.truncated_bytes, 19);
  cr_assert_eq(r.blocks, 1);
  r = recover(); /* idempotent; reads the directory again from its start */
  cr_assert_eq(r.truncated_bytes, 0);
  cr_assert_eq(r.segments, 1);
  cr_assert_eq(r.blocks, 1);
}

/* Seal n log records whose message is "log <i>" (i from first). */
static void seal_logs(uint32_t n, uint32_t first, int64_t t0_ns) {
  static struct stor_log_rec recs[64];
  static char text[64][32];

  cr_assert_leq(n, 64);
  for (uint32_t i = 0; i < n; i++) {
    int len = snprintf(text[i], sizeof(text[i]), "log %u", first + i);
    recs[i] = (struct stor_log_rec){
        .time_ns = t0_ns + i, .recv_ms = t0_ns / 1000000, .facility = 1,
        .severity = 5, .host = {"h", 1}, .app = {"a", 1},
        .msg = {text[i], (uint32_t)len}};
  }
  while (stor_writer_seal_logs(&w, recs, n, now()) == -ENOBUFS)
    settle();
}

/* The segment file's bytes (the test writes small ones). */
static size_t read_segment(uint8_t *buf, size_t cap) {
  char path[128];
  FILE *f;
  size_t n;

  snprintf(path, sizeof(path), "%s/0000000000000001.seg", dir);
  f = fopen(path, "rb");
  cr_assert_not_null(f);
  n = fread(buf, 1, cap, f);
  fclose(f);
  return n;
}

Test(writer, log_blocks_interleave_with_metric_blocks, .fini = stop) {
  static uint8_t buf[1 << 20];
  struct stor_logdec dec = {0};
  struct stor_logblock_reader rd;
  struct stor_log_rec rec;
  struct core_syslog_attr attrs[CORE_SYSLOG_SD_ATTRS_MAX];
  uint8_t kinds[3] = {0};
  size_t len, off = 0;
  int blocks = 0;

  start(64 << 20);
  seal_points(10, 2, 1000);
  seal_logs(7, 0, INT64_C(1700000000000000000));
  seal_points(10, 2, 2000);
  stor_writer_flush(&w, 1, now());
  settle();
  cr_assert_eq(answered_failed, 0);
  cr_assert_eq(st.blocks_written, 3);
  len = read_segment(buf, sizeof(buf));
  cr_assert_eq(stor_logdec_init(&dec), 0);
  while (off < len) {
    uint32_t payload;
    memcpy(&payload, buf + off + 40, 4); /* payload bytes, little-endian */
    cr_assert_lt(blocks, 3);
    kinds[blocks] = buf[off + 5];
    if (kinds[blocks] == 2) {
      cr_assert_eq(stor_logblock_reader_init(&rd, &dec, buf + off,
                                             len - off), 0);
      cr_assert_eq(rd.hdr.seq, 2);
      for (uint32_t i = 0; i < 7; i++) {
        char want[32];
        int n = snprintf(want, sizeof(want), "log %u", i);
        cr_assert_eq(stor_logblock_next(&rd, &rec, attrs,
                                        CORE_SYSLOG_SD_ATTRS_MAX), 1);
        cr_assert_eq(rec.msg.len, (uint32_t)n);
        cr_assert_eq(memcmp(rec.msg.ptr, want, (size_t)n), 0);
      }
      cr_assert_eq(stor_logblock_next(&rd, &rec, attrs,
                                      CORE_SYSLOG_SD_ATTRS_MAX), 0);
    }
    off += STOR_BLOCK_HEADER_BYTES + payload;
    blocks++;
  }
  cr_assert_eq(off, len);
  cr_assert_eq(blocks, 3);
  cr_assert_eq(kinds[0], 1);
  cr_assert_eq(kinds[1], 2);
  cr_assert_eq(kinds[2], 1);
  stor_logdec_free(&dec);
}

/* The blocks in segment seq and their items (points, records), from the
 * block headers (count at offset 8, payload bytes at 40, little-endian;
 * docs/segment-format.md). */
static uint64_t segment_items(uint64_t seq, uint32_t *blocks) {
  uint8_t hdr[STOR_BLOCK_HEADER_BYTES];
  char name[32];
  uint64_t items = 0, off = 0;
  struct stat sb;
  int fd;

  stor_segment_name(seq, name, sizeof(name));
  fd = openat(dir_fd, name, O_RDONLY);
  cr_assert_geq(fd, 0, "no segment %llu", (unsigned long long)seq);
  cr_assert_eq(fstat(fd, &sb), 0);
  *blocks = 0;
  while (off < (uint64_t)sb.st_size) {
    uint32_t count, payload;
    cr_assert_eq(pread(fd, hdr, sizeof(hdr), (off_t)off), (ssize_t)sizeof(hdr));
    memcpy(&count, hdr + 8, 4);
    memcpy(&payload, hdr + 40, 4);
    items += count;
    off += STOR_BLOCK_HEADER_BYTES + payload;
    ++*blocks;
  }
  close(fd);
  cr_assert_eq(off, (uint64_t)sb.st_size);
  return items;
}

Test(writer, segment_rolls_at_its_item_bound_logs_included, .fini = stop) {
  uint32_t blocks;

  seg_points_max = 100;
  start(64 << 20);
  seal_points(60, 5, 1000);
  seal_points(40, 5, 2000);  /* 100: exactly the bound, same segment */
  seal_points(1, 1, 3000);   /* 101 would pass it: segment 2 */
  seal_logs(60, 0, INT64_C(1700000000000000000)); /* 61 */
  seal_points(40, 5, 4000);  /* 101 would pass it: segment 3 */
  stor_writer_flush(&w, 1, now());
  settle();
  cr_assert_eq(answered_failed, 0);
  cr_assert_eq(recover().segments, 3);
  cr_assert_eq(segment_items(1, &blocks), 100);
  cr_assert_eq(blocks, 2);
  cr_assert_eq(segment_items(2, &blocks), 61);
  cr_assert_eq(blocks, 2);
  cr_assert_eq(segment_items(3, &blocks), 40);
  cr_assert_eq(blocks, 1);
}

/*
 * At the default bound, with a byte bound that never rolls: a segment
 * takes STOR_SEGMENT_POINTS_MAX points and no more, the next block starts
 * segment 2, and compaction takes both (before the bound, the first one
 * held more than a pass does and was skipped for good).
 */
Test(writer, default_point_bound_keeps_segments_compactable, .fini = stop,
     .timeout = 120) {
  enum { per = CORE_HEAD_POINTS_MAX };
  static uint32_t ids[per];
  static int64_t ts[per];
  static double val[per];
  uint32_t seals = STOR_SEGMENT_POINTS_MAX / per + 1;
  struct stor_compact_stats cs = {0};
  char key[32];
  struct core_series_entry *e;
  uint32_t blocks;

  start(STOR_SEGMENT_BYTES_MAX);
  for (uint32_t i = 0; i < per; i++) {
    int len = snprintf(key, sizeof(key), "m.%u", i % 500);
    cr_assert_geq(core_series_upsert(&series, key, (size_t)len,
                                     core_series_hash(key, (size_t)len), 0,
                                     &e), 0);
    ids[i] = e->id;
    ts[i] = 1000 + i;
    val[i] = (double)i;
  }
  for (uint32_t k = 0; k < seals; k++) {
    while (stor_writer_seal(&w, &(struct stor_points){ids, ts, val, per},
                            now()) == -ENOBUFS)
      settle();
    for (uint32_t i = 0; i < per; i++)
      ts[i] += per; /* later points, same series */
  }
  stor_writer_flush(&w, 1, now());
  settle();
  cr_assert_eq(answered_failed, 0);
  cr_assert_eq(recover().segments, 2);
  cr_assert_eq(segment_items(1, &blocks), STOR_SEGMENT_POINTS_MAX);
  cr_assert_eq(segment_items(2, &blocks), per);
  cr_assert_gt(STOR_SEGMENT_POINTS_MAX + (uint64_t)per, STOR_COMPACT_POINTS_MAX,
               "the points would not fit one segment compaction takes");
  cr_assert_eq(stor_compact_dir(dir_fd, dir, 0, &cs, NULL), 0);
  cr_assert_eq(cs.skipped, 0);
  cr_assert_eq(cs.segments_in, 2);
  cr_assert_eq(cs.points, (uint64_t)seals * per);
}

/* Log blocks built in the writer's encoder (stor_logenc_add, as the log
 * head does) and sealed with stor_writer_seal_logs_built, back to back:
 * past the write buffers the seal says -ENOBUFS (before it touches the
 * encoder) and, called again after writes completed, writes the block
 * the encoder still holds. Every block is read back with its records. */
Test(writer, built_log_blocks_survive_nobufs, .fini = stop) {
  static uint8_t buf[4 << 20];
  static char text[8][32];
  struct stor_logdec dec = {0};
  struct stor_logblock_reader rd;
  struct stor_log_rec rec, recs[8];
  struct core_syslog_attr attrs[CORE_SYSLOG_SD_ATTRS_MAX];
  uint32_t nobufs = 0, blocks = 0, seen = 0;
  size_t len, off = 0;
  int rc;

  start(64 << 20);
  for (uint32_t b = 0; b < 3 * STOR_WRITE_BUFS_COUNT; b++) {
    struct stor_logenc *e = stor_writer_log_encoder(&w);
    cr_assert_not_null(e);
    stor_logenc_open(e, 0);
    for (uint32_t i = 0; i < 8; i++) {
      int n = snprintf(text[i], sizeof(text[i]), "log %u", b * 8 + i);
      recs[i] = (struct stor_log_rec){
          .time_ns = INT64_C(1700000000000000000) + b * 8 + i,
          .recv_ms = INT64_C(1700000000000), .facility = 1, .severity = 5,
          .host = {"h", 1}, .msg = {text[i], (uint32_t)n}};
      cr_assert_eq(stor_logenc_add(e, &recs[i]), 0);
    }
    while ((rc = stor_writer_seal_logs_built(&w, 8, now())) == -ENOBUFS) {
      nobufs++;
      settle();
    }
    cr_assert_eq(rc, 0);
  }
  stor_writer_flush(&w, 1, now());
  settle();
  cr_assert_eq(answered_failed, 0);
  len = read_segment(buf, sizeof(buf));
  cr_assert_eq(stor_logdec_init(&dec), 0);
  while (off < len) {
    uint32_t payload;
    memcpy(&payload, buf + off + 40, 4);
    cr_assert_eq(stor_logblock_reader_init(&rd, &dec, buf + off, len - off),
                 0);
    while (stor_logblock_next(&rd, &rec, attrs, CORE_SYSLOG_SD_ATTRS_MAX) ==
           1) {
      char want[32];
      int n = snprintf(want, sizeof(want), "log %u", seen++);
      cr_assert_eq(rec.msg.len, (uint32_t)n);
      cr_assert_eq(memcmp(rec.msg.ptr, want, (size_t)n), 0);
    }
    off += STOR_BLOCK_HEADER_BYTES + payload;
    blocks++;
  }
  cr_assert_eq(blocks, 3 * STOR_WRITE_BUFS_COUNT);
  cr_assert_eq(seen, 3 * STOR_WRITE_BUFS_COUNT * 8);
  cr_log_info("-ENOBUFS %u times", nobufs);
  stor_logdec_free(&dec);
}
