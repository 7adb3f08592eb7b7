/*
 * tests/unit/storage/test_recover.c - start-up recovery of segments that
 * hold metric and log blocks: good mixes kept whole, torn and damaged log
 * blocks cut like metric ones, unknown kinds refused; the shared frame.
 */
#include <criterion/criterion.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "segment_test_util.h"
#include "span_test_util.h"
#include "storage/block.h"
#include "storage/logblock.h"
#include "storage/spanblock.h"
#include "storage/recover.h"

#define T0 INT64_C(1700000000000000000)

static struct stor_log_rec recs[16];
static size_t blen[4];  /* sizes of the four blocks of the mixed segment */

static void setup(void) {
  seg_dir_make();
  for (uint32_t i = 0; i < 16; i++)
    recs[i] = test_rec(i, T0);
}

static void teardown(void) { seg_dir_remove(); }

TestSuite(recover, .init = setup, .fini = teardown);

/* shard-0/1.seg: metric (seq 1), log (2), metric (3), log (4). */
static void mixed_segment(void) {
  blen[0] = append_metric(0, 1, 1, 7, "cpu", 10, 1700000000000, 100, 0);
  blen[1] = append_log(0, 1, 2, recs, 8);
  blen[2] = append_metric(0, 1, 3, 7, NULL, 10, 1700000001000, 100, 10);
  blen[3] = append_log(0, 1, 4, recs + 8, 8);
}

/* Run recovery on shard-0; the log it writes goes to msg. */
static void recover(struct stor_recovery *r, char *msg, size_t len) {
  char path[256];
  FILE *log = fmemopen(msg, len, "w");
  int fd;

  snprintf(path, sizeof(path), "%s/shard-0", seg_dir);
  fd = open(path, O_RDONLY | O_DIRECTORY);
  cr_assert_geq(fd, 0);
  cr_assert_not_null(log);
  memset(msg, 0, len);
  cr_assert_eq(stor_recover_dir(fd, path, r, log), 0);
  fclose(log);
  close(fd);
}

/* Replace bytes [off, off + n) of shard-0/1.seg. */
static void patch(uint64_t off, const uint8_t *p, size_t n) {
  char path[256];
  int fd;

  seg_file(path, sizeof(path), 0, 1);
  fd = open(path, O_WRONLY);
  cr_assert_geq(fd, 0);
  cr_assert_eq(pwrite(fd, p, n, (off_t)off), (ssize_t)n);
  close(fd);
}

Test(recover, keeps_every_block_of_a_good_mixed_segment) {
  struct stor_recovery r;
  char msg[512];
  uint64_t size;

  mixed_segment();
  size = seg_size(0, 1);
  recover(&r, msg, sizeof(msg));
  cr_assert_eq(r.segments, 1);
  cr_assert_eq(r.blocks, 4);
  cr_assert_eq(r.max_block_seq, 4);
  cr_assert_eq(r.max_seg_seq, 1);
  cr_assert_eq(r.truncated_bytes, 0);
  cr_assert_eq(seg_size(0, 1), size);
  cr_assert_eq(msg[0], '\0');
}

Test(recover, cuts_a_torn_log_block_tail) {
  struct stor_recovery r;
  char path[256], msg[512];
  uint64_t good = 0;

  mixed_segment();
  for (int i = 0; i < 3; i++)
    good += blen[i];
  seg_file(path, sizeof(path), 0, 1);
  /* Mid-payload, and then mid-header of the last block. */
  cr_assert_eq(truncate(path, (off_t)(good + blen[3] / 2)), 0);
  recover(&r, msg, sizeof(msg));
  cr_assert_eq(r.blocks, 3);
  cr_assert_eq(r.max_block_seq, 3);
  cr_assert_eq(r.truncated_bytes, blen[3] / 2);
  cr_assert_eq(seg_size(0, 1), good);
  cr_assert_not_null(strstr(msg, "bad block length"), "%s", msg);

  append_log(0, 1, 4, recs + 8, 8);
  cr_assert_eq(truncate(path, (off_t)(good + 30)), 0);
  recover(&r, msg, sizeof(msg));
  cr_assert_eq(r.blocks, 3);
  cr_assert_eq(r.truncated_bytes, 30);
  cr_assert_eq(seg_size(0, 1), good);
  cr_assert_not_null(strstr(msg, "bad block header"), "%s", msg);
}

Test(recover, cuts_at_a_log_block_with_a_flipped_payload_byte) {
  struct stor_recovery r;
  char msg[512];
  uint8_t x;
  char path[256];
  int fd;

  mixed_segment();
  seg_file(path, sizeof(path), 0, 1);
  fd = open(path, O_RDONLY);
  cr_assert_eq(pread(fd, &x, 1, (off_t)(blen[0] + blen[1] - 5)), 1);
  close(fd);
  x ^= 0x10;
  patch(blen[0] + blen[1] - 5, &x, 1);
  recover(&r, msg, sizeof(msg));
  /* Only the first metric block survives: the cut takes all after it. */
  cr_assert_eq(r.blocks, 1);
  cr_assert_eq(r.max_block_seq, 1);
  cr_assert_eq(seg_size(0, 1), blen[0]);
  cr_assert_eq(r.truncated_bytes, blen[1] + blen[2] + blen[3]);
  cr_assert_not_null(strstr(msg, "bad block checksum"), "%s", msg);
}

/* A sealed block (header check and CRC good) whose stream does not
 * inflate: only the log decoder can tell, and recovery runs it. */
Test(recover, cuts_at_a_sealed_log_block_that_does_not_inflate) {
  struct stor_recovery r;
  struct stor_logblock_hdr h;
  char msg[512];
  uint8_t *b;
  size_t len;

  blen[0] = append_metric(0, 1, 1, 7, "cpu", 10, 1700000000000, 100, 0);
  len = log_block(0, 2, recs, 16, &b);
  cr_assert_eq(stor_logblock_hdr_read(b, len, &h), 0);
  /* The deflated stream starts after the string table: spoil it whole. */
  memset(b + STOR_BLOCK_HEADER_BYTES + h.dict_bytes, 0xff, h.ztext_bytes);
  stor_block_reseal(b, len);
  seg_append_bytes(0, 1, b, len);
  free(b);
  recover(&r, msg, sizeof(msg));
  cr_assert_eq(r.blocks, 1);
  cr_assert_eq(r.max_block_seq, 1);
  cr_assert_eq(seg_size(0, 1), blen[0]);
  cr_assert_not_null(strstr(msg, "bad block log stream"), "%s", msg);
}

Test(recover, refuses_an_unknown_kind) {
  struct stor_recovery r;
  char msg[512];
  uint8_t *b;
  size_t len;

  blen[0] = append_metric(0, 1, 1, 7, "cpu", 10, 1700000000000, 100, 0);
  len = log_block(0, 2, recs, 4, &b);
  b[STOR_HDR_OFF_KIND] = 4; /* after metrics, logs and spans */
  stor_block_reseal(b, len);
  seg_append_bytes(0, 1, b, len);
  free(b);
  recover(&r, msg, sizeof(msg));
  cr_assert_eq(r.blocks, 1);
  cr_assert_eq(seg_size(0, 1), blen[0]);
  cr_assert_not_null(strstr(msg, "bad block header"), "%s", msg);
}

Test(recover, a_segment_of_log_blocks_only) {
  struct stor_recovery r;
  char msg[512];

  append_log(0, 1, 5, recs, 3);
  append_log(0, 1, 9, recs + 3, 13);
  recover(&r, msg, sizeof(msg));
  cr_assert_eq(r.blocks, 2);
  cr_assert_eq(r.max_block_seq, 9);
  cr_assert_eq(r.truncated_bytes, 0);
}

Test(recover, frame_reads_both_kinds_and_refuses_others) {
  struct stor_frame f;
  uint8_t *m, *l;
  size_t mlen = metric_block(4, 11, 7, "cpu", 10, 1000, 10, 0, &m);
  size_t llen = log_block(5, 12, recs, 16, &l);

  cr_assert_eq(stor_frame_read(m, STOR_BLOCK_HEADER_BYTES - 1, &f), -EAGAIN);
  cr_assert_eq(stor_frame_read(m, mlen, &f), 0);
  cr_assert_eq(f.kind, STOR_KIND_METRICS);
  cr_assert_eq(f.shard, 4);
  cr_assert_eq(f.seq, 11);
  cr_assert_eq(f.count, 10);
  cr_assert_eq(f.min, 1000);
  cr_assert_eq(f.max, 1090);
  cr_assert_eq(stor_frame_total_bytes(&f), mlen);
  cr_assert_eq(stor_frame_read(l, llen, &f), 0);
  cr_assert_eq(f.kind, STOR_KIND_LOGS);
  cr_assert_eq(f.shard, 5);
  cr_assert_eq(f.seq, 12);
  cr_assert_eq(f.count, 16);
  cr_assert_eq(f.min, T0);
  cr_assert_eq(f.max, T0 + 15 * 1000003);
  cr_assert_eq(stor_frame_total_bytes(&f), llen);
  cr_assert_eq(f.crc, stor_block_crc(l, llen));
  /* Kinds 0 and 4..255, sealed: refused by the frame and every kind; a
   * log block called kind 3 passes the frame, not the span rules. */
  for (unsigned k = 0; k < 256; k++) {
    struct stor_block_hdr h;
    struct stor_logblock_hdr lh;
    struct stor_spanblock_hdr sh;
    if (k == STOR_KIND_METRICS || k == STOR_KIND_LOGS ||
        k == STOR_KIND_SERIES) /* kind 4: tests/unit/storage/test_compact.c */
      continue;
    l[STOR_HDR_OFF_KIND] = (uint8_t)k;
    stor_block_reseal(l, llen);
    cr_assert_eq(stor_spanblock_hdr_read(l, llen, &sh), -EBADMSG);
    cr_assert_eq(stor_frame_read(l, llen, &f),
                 k == STOR_KIND_SPANS ? 0 : -EBADMSG);
    cr_assert_eq(stor_block_hdr_read(l, llen, &h), -EBADMSG);
    cr_assert_eq(stor_logblock_hdr_read(l, llen, &lh), -EBADMSG);
  }
  /* Any single flipped header byte is refused. */
  for (unsigned i = 0; i < STOR_HDR_OFF_CRC; i++) {
    m[i] ^= 0x01;
    cr_assert_eq(stor_frame_read(m, mlen, &f), -EBADMSG, "byte %u", i);
    m[i] ^= 0x01;
  }
  free(m);
  free(l);
}

/* A span block of n generated spans as sequence number seq. */
static size_t span_block(uint64_t seq, uint32_t n, uint8_t **out) {
  static struct span_gen g = {.rng = 9};
  struct stor_spanenc e;
  size_t cap = stor_spanblock_bytes_max();
  long len;

  *out = malloc(cap);
  cr_assert_not_null(*out);
  cr_assert_eq(stor_spanenc_init(&e, 64), 0);
  gen_spans(&g, n, T0);
  len = stor_spanblock_encode(&e, 0, seq, g.spans, n, g.res, GEN_RES, *out,
                              cap);
  stor_spanenc_free(&e);
  cr_assert_gt(len, 0);
  return (size_t)len;
}

/* Metric, span, log and span blocks: all kept, the sequence resumes after
 * the last span block; a torn span block is cut, and so is a sealed one
 * whose stream does not inflate. */
Test(recover, span_blocks_are_kept_and_cut_like_the_others) {
  struct stor_recovery r;
  struct stor_spanblock_hdr h;
  char msg[512];
  uint8_t *b;
  size_t len, good;

  blen[0] = append_metric(0, 1, 1, 7, "cpu", 10, 1700000000000, 100, 0);
  len = span_block(2, 20, &b);
  seg_append_bytes(0, 1, b, len);
  free(b);
  blen[1] = append_log(0, 1, 3, recs, 8);
  len = span_block(4, 30, &b);
  seg_append_bytes(0, 1, b, len);
  good = seg_size(0, 1);
  recover(&r, msg, sizeof(msg));
  cr_assert_eq(r.blocks, 4);
  cr_assert_eq(r.max_block_seq, 4);
  cr_assert_eq(r.truncated_bytes, 0, "%s", msg);
  /* torn: half of a third span block */
  seg_append_bytes(0, 1, b, len / 2);
  recover(&r, msg, sizeof(msg));
  cr_assert_eq(r.blocks, 4);
  cr_assert_eq(r.truncated_bytes, len / 2);
  cr_assert_eq(seg_size(0, 1), good);
  /* sealed, but its stream is spoilt */
  cr_assert_eq(stor_spanblock_hdr_read(b, len, &h), 0);
  memset(b + stor_spanblock_traces_end(&h) + 8 * (size_t)h.count, 0xff,
         h.ztext_bytes);
  stor_block_reseal(b, len);
  seg_append_bytes(0, 1, b, len);
  free(b);
  recover(&r, msg, sizeof(msg));
  cr_assert_eq(r.blocks, 4);
  cr_assert_eq(seg_size(0, 1), good);
  cr_assert_not_null(strstr(msg, "bad block span stream"), "%s", msg);
}

