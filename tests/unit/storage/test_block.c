/*
 * tests/unit/storage/test_block.c - whole blocks: grouping by series and
 * time, the dictionary, header checks, CRC, every flipped byte and bit,
 * truncation, -ENOSPC and -EINVAL.
 */
#include <criterion/criterion.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/base/limits.h"
#include "core/parse/statsd_types.h"
#include "storage/block.h"
#include "storage_test_util.h"

#define PTS_MAX 65536
#define SERIES_MAX 4096

static struct stor_encoder enc;
static uint32_t ids[PTS_MAX];
static int64_t ts[PTS_MAX], got_ts[PTS_MAX];
static double val[PTS_MAX], got_val[PTS_MAX];
static uint32_t order[PTS_MAX];
static uint8_t blk[PTS_MAX * STOR_POINT_BYTES_MAX + (1 << 20)];
static struct stor_dict_entry dict[SERIES_MAX];
static char keys[SERIES_MAX][32];

static void setup(void) {
  cr_assert_eq(stor_encoder_init(&enc, PTS_MAX), 0);
}

static void teardown(void) {
  stor_encoder_free(&enc);
}

TestSuite(block, .init = setup, .fini = teardown);

/* Expected order: by series, then time, then arrival (a stable sort). */
static int cmp_point(const void *a, const void *b) {
  uint32_t i = *(const uint32_t *)a, j = *(const uint32_t *)b;
  if (ids[i] != ids[j])
    return ids[i] < ids[j] ? -1 : 1;
  if (ts[i] != ts[j])
    return ts[i] < ts[j] ? -1 : 1;
  return (i > j) - (i < j);
}

static uint32_t make_dict(uint32_t n, uint32_t stride) {
  for (uint32_t i = 0; i < n; i++) {
    int len = snprintf(keys[i], sizeof(keys[i]), "m.%u%chost:h%u", i, '\0',
                       i % 7);
    dict[i] = (struct stor_dict_entry){.id = i * stride,
                                       .type = (uint8_t)(i % 6),
                                       .key = keys[i],
                                       .key_len = (uint32_t)len};
  }
  return n;
}

static struct stor_block_in input(uint32_t count, uint32_t dict_count) {
  return (struct stor_block_in){.shard = 3, .seq = 77, .count = count,
                                .series_id = ids, .ts_ms = ts, .value = val,
                                .dict_count = dict_count, .dict = dict};
}

static long encode(uint32_t count, uint32_t dict_count) {
  struct stor_block_in in = input(count, dict_count);
  long n = stor_block_encode(&enc, &in, blk, sizeof(blk));
  cr_assert_gt(n, 0, "encode: %ld", n);
  return n;
}

/* Decodes blk and compares with the input, point by point. */
static void check_decode(long len, uint32_t count, uint32_t dict_count) {
  struct stor_block_reader r;
  struct stor_dict_entry d;
  struct stor_run run;
  uint32_t at = 0, runs = 0;
  int rc;

  for (uint32_t i = 0; i < count; i++)
    order[i] = i;
  qsort(order, count, sizeof(order[0]), cmp_point);
  cr_assert_eq(stor_block_reader_init(&r, blk, (size_t)len), 0);
  cr_assert_eq(r.hdr.point_count, count);
  cr_assert_eq(r.hdr.shard, 3);
  cr_assert_eq(r.hdr.seq, 77);
  cr_assert_eq(stor_block_total_bytes(&r.hdr), (size_t)len);
  for (uint32_t i = 0; i < dict_count; i++) {
    cr_assert_eq(stor_block_next_dict(&r, &d), 1);
    cr_assert_eq(d.id, dict[i].id);
    cr_assert_eq(d.type, dict[i].type);
    cr_assert_eq(d.key_len, dict[i].key_len);
    cr_assert_eq(memcmp(d.key, dict[i].key, d.key_len), 0);
    cr_assert((const uint8_t *)d.key > blk && (const uint8_t *)d.key < blk + len);
  }
  cr_assert_eq(stor_block_next_dict(&r, &d), 0);
  while ((rc = stor_block_next_run(&r, &run, got_ts, got_val, count)) == 1) {
    runs++;
    for (uint32_t k = 0; k < run.count; k++, at++) {
      uint32_t p = order[at];
      cr_assert_eq(run.series_id, ids[p]);
      cr_assert_eq(got_ts[k], ts[p], "point %u", at);
      cr_assert_eq(double_bits(got_val[k]), double_bits(val[p]), "point %u",
                   at);
    }
  }
  cr_assert_eq(rc, 0);
  cr_assert_eq(at, count);
  cr_assert_eq(runs, r.hdr.run_count);
  cr_assert_eq(stor_block_next_run(&r, &run, got_ts, got_val, count), 0);
}

/* Random block: series ids spread over [0, id_span), shuffled arrival. */
static uint32_t random_block(uint64_t *s, uint32_t count, uint32_t series,
                             uint32_t stride) {
  enum ts_shape tsh = (enum ts_shape)rng_below(s, TS_SHAPE_COUNT);
  enum val_shape vsh = (enum val_shape)rng_below(s, VS_COUNT);

  gen_ts(s, tsh, ts, count);
  gen_values(s, vsh, val, count);
  for (uint32_t i = 0; i < count; i++)
    ids[i] = (uint32_t)rng_below(s, series) * stride;
  return series;
}

Test(block, round_trip_random_blocks) {
  uint64_t s = 11;

  for (int rep = 0; rep < 200; rep++) {
    uint32_t count = 1 + (uint32_t)rng_below(&s, 3000);
    uint32_t series = 1 + (uint32_t)rng_below(&s, 300);
    uint32_t stride = rep % 3 == 0 ? 1 : 1 + (uint32_t)rng_below(&s, 1u << 20);
    random_block(&s, count, series, stride);
    /* keep the dictionary to series that have a point */
    for (uint32_t i = 0; i < series && i < count; i++)
      ids[i] = i * stride;
    make_dict(series < count ? series : count, stride);
    check_decode(encode(count, series < count ? series : count), count,
                 series < count ? series : count);
  }
}

Test(block, single_point_block) {
  ids[0] = 5;
  ts[0] = -1;
  val[0] = -0.0;
  check_decode(encode(1, 0), 1, 0);
}

Test(block, one_point_per_series) {
  uint64_t s = 12;

  gen_ts(&s, TS_JITTER, ts, 4000);
  gen_values(&s, VS_MIXED, val, 4000);
  for (uint32_t i = 0; i < 4000; i++)
    ids[i] = 3999 - i;
  check_decode(encode(4000, 0), 4000, 0);
}

Test(block, one_series_65536_points_out_of_order) {
  uint64_t s = 13;

  gen_ts(&s, TS_SHUFFLED, ts, PTS_MAX);
  gen_values(&s, VS_DECIMALS, val, PTS_MAX);
  memset(ids, 0, sizeof(ids));
  ids[0] = 0;
  make_dict(1, 1);
  check_decode(encode(PTS_MAX, 1), PTS_MAX, 1);
}

Test(block, extreme_timestamps_and_equal_times_keep_arrival_order) {
  uint64_t s = 14;

  for (uint32_t i = 0; i < 1000; i++) {
    ids[i] = (uint32_t)rng_below(&s, 4);
    ts[i] = i % 3 == 0 ? INT64_MIN : i % 3 == 1 ? INT64_MAX : 0;
    val[i] = (double)i; /* distinct: arrival order is visible */
  }
  check_decode(encode(1000, 0), 1000, 0);
}

Test(block, ids_up_to_uint32_max) {
  ids[0] = UINT32_MAX;
  ids[1] = 0;
  ids[2] = UINT32_MAX - 1;
  ids[3] = 1u << 31;
  for (int i = 0; i < 4; i++) {
    ts[i] = 1000 + i;
    val[i] = 0.5 * i;
  }
  check_decode(encode(4, 0), 4, 0);
}

Test(block, encode_rejects_bad_input) {
  struct stor_block_in in;

  ids[0] = 1;
  ts[0] = 0;
  val[0] = 1;
  make_dict(2, 1);
  in = input(0, 0);
  cr_assert_eq(stor_block_encode(&enc, &in, blk, sizeof(blk)), -EINVAL);
  in = input(PTS_MAX + 1, 0);
  cr_assert_eq(stor_block_encode(&enc, &in, blk, sizeof(blk)), -EINVAL);
  in = input(1, 0);
  in.seq = 0;
  cr_assert_eq(stor_block_encode(&enc, &in, blk, sizeof(blk)), -EINVAL);
  in.seq = STOR_BLOCK_SEQ_MAX + 1;
  cr_assert_eq(stor_block_encode(&enc, &in, blk, sizeof(blk)), -EINVAL);
  in = input(1, 1); /* dict[0] names series 0: not in the block */
  cr_assert_eq(stor_block_encode(&enc, &in, blk, sizeof(blk)), -EINVAL);
  dict[0].id = 1;
  dict[0].key_len = 0;
  cr_assert_eq(stor_block_encode(&enc, &in, blk, sizeof(blk)), -EINVAL);
  dict[0].key_len = 3;
  dict[0].type = STOR_SERIES_TYPES_COUNT; /* OTLP types end at 15 */
  cr_assert_eq(stor_block_encode(&enc, &in, blk, sizeof(blk)), -EINVAL);
  dict[0].type = 0;
  cr_assert_gt(stor_block_encode(&enc, &in, blk, sizeof(blk)), 0);
  ids[1] = 1;
  ts[1] = ts[0];
  val[1] = 1;
  dict[1] = dict[0];
  in = input(2, 2); /* the same series twice */
  cr_assert_eq(stor_block_encode(&enc, &in, blk, sizeof(blk)), -EINVAL);
}

Test(block, enospc_for_every_short_cap) {
  uint64_t s = 15;
  struct stor_block_in in;
  long n;
  static uint8_t small[4096];

  random_block(&s, 50, 5, 1);
  in = input(50, 0);
  n = stor_block_encode(&enc, &in, small, sizeof(small));
  cr_assert_gt(n, 0);
  cr_assert_leq((size_t)n, stor_block_bytes_max(50, 0, 0));
  for (long cap = 0; cap < n; cap++)
    cr_assert_eq(stor_block_encode(&enc, &in, small, (size_t)cap), -ENOSPC);
  cr_assert_eq(stor_block_encode(&enc, &in, small, (size_t)n), n);
}

Test(block, bytes_max_bounds_worst_case_blocks) {
  uint64_t s = 16;

  /* random bit patterns and random ids: the least compressible input */
  for (int rep = 0; rep < 20; rep++) {
    uint32_t count = 1 + (uint32_t)rng_below(&s, 20000);
    gen_ts(&s, TS_EXTREMES, ts, count);
    gen_values(&s, VS_RANDOM_BITS, val, count);
    for (uint32_t i = 0; i < count; i++)
      ids[i] = (uint32_t)rng_next(&s);
    cr_assert_leq((size_t)encode(count, 0), stor_block_bytes_max(count, 0, 0));
  }
}

Test(block, header_read_rejects_bad_fields) {
  struct stor_block_hdr h;
  long n;

  ids[0] = 1;
  ts[0] = 5;
  val[0] = 2;
  n = encode(1, 0);
  cr_assert_eq(stor_block_hdr_read(blk, STOR_BLOCK_HEADER_BYTES - 1, &h),
               -EAGAIN);
  cr_assert_eq(stor_block_hdr_read(blk, (size_t)n, &h), 0);
  cr_assert_eq(h.magic, STOR_BLOCK_MAGIC);
  cr_assert_eq(h.version, STOR_BLOCK_VERSION);
  cr_assert_eq(h.kind, STOR_KIND_METRICS);
  cr_assert_eq(h.point_count, 1);
  cr_assert_eq(h.min_ts_ms, 5);
  cr_assert_eq(h.max_ts_ms, 5);
  cr_assert_eq(h.dict_bytes + h.runs_bytes + h.ts_bytes + h.values_bytes,
               h.payload_bytes);
}

static void put_le(uint8_t *p, uint64_t v, unsigned n) {
  for (unsigned i = 0; i < n; i++)
    p[i] = (uint8_t)(v >> (8 * i));
}

/* Header fields edited and resealed: the field checks must catch them. */
Test(block, resealed_impossible_headers_are_rejected) {
  static const struct {
    unsigned off, n;
    uint64_t v;
  } edits[] = {
      {STOR_HDR_OFF_VERSION, 1, 2},          {STOR_HDR_OFF_KIND, 1, 2},
      {STOR_HDR_OFF_KIND, 1, 0},             {STOR_HDR_OFF_POINTS, 4, 0},
      {STOR_HDR_OFF_POINTS, 4, STOR_BLOCK_POINTS_MAX + 1},
      {STOR_HDR_OFF_RUNS, 4, 0},             {STOR_HDR_OFF_RUNS, 4, 11},
      {STOR_HDR_OFF_DICT_COUNT, 4, 3},       {STOR_HDR_OFF_SEQ, 6, 0},
      {STOR_HDR_OFF_MIN_TS, 8, 2000},        {STOR_HDR_OFF_PAYLOAD, 4, 5},
      {STOR_HDR_OFF_RUNS_BYTES, 4, 1},       {STOR_HDR_OFF_TS_BYTES, 4, 0},
      {STOR_HDR_OFF_DICT_BYTES, 4, 1 << 20}, {STOR_HDR_OFF_MAGIC, 4, 0},
  };
  struct stor_block_hdr h;
  static uint8_t copy[4096];
  long n;

  for (int i = 0; i < 10; i++) {
    ids[i] = (uint32_t)i % 2;
    ts[i] = 1000 + i;
    val[i] = i;
  }
  make_dict(2, 1);
  n = encode(10, 2);
  for (unsigned e = 0; e < sizeof(edits) / sizeof(edits[0]); e++) {
    memcpy(copy, blk, (size_t)n);
    put_le(copy + edits[e].off, edits[e].v, edits[e].n);
    stor_block_reseal(copy, (size_t)n);
    cr_assert_eq(stor_block_hdr_read(copy, (size_t)n, &h), -EBADMSG,
                 "edit %u", e);
  }
  memcpy(copy, blk, (size_t)n);
  stor_block_reseal(copy, (size_t)n);
  cr_assert_eq(memcmp(copy, blk, (size_t)n), 0, "reseal is what encode did");
}

/* Decodes the whole block; returns 0 or the first error. */
static int decode_all(const uint8_t *b, size_t len, uint32_t cap) {
  struct stor_block_reader r;
  struct stor_dict_entry d;
  struct stor_run run;
  int rc = stor_block_reader_init(&r, b, len);

  while (rc == 0 && (rc = stor_block_next_dict(&r, &d)) == 1)
    ;
  if (rc < 0)
    return rc;
  while ((rc = stor_block_next_run(&r, &run, got_ts, got_val, cap)) == 1)
    ;
  return rc;
}

/* Payload bytes edited and resealed: decoding fails cleanly or succeeds. */
Test(block, resealed_payload_edits_decode_or_fail_cleanly) {
  uint64_t s = 19;
  static uint8_t copy[1 << 16];
  uint32_t bad = 0;

  for (int rep = 0; rep < 6; rep++) {
    uint32_t count = 1 + (uint32_t)rng_below(&s, 300);
    long n;
    random_block(&s, count, 1 + (uint32_t)rng_below(&s, 30), 1);
    for (uint32_t i = 0; i < 3 && i < count; i++)
      ids[i] = i;
    make_dict(count < 3 ? count : 3, 1);
    n = encode(count, count < 3 ? count : 3);
    for (long off = STOR_BLOCK_HEADER_BYTES; off < n; off++)
      for (int p = 0; p < 8; p++) {
        int rc;
        memcpy(copy, blk, (size_t)n);
        copy[off] ^= (uint8_t)(1u << p);
        stor_block_reseal(copy, (size_t)n);
        rc = decode_all(copy, (size_t)n, count);
        cr_assert(rc == 0 || rc == -EBADMSG, "rc %d", rc);
        bad += rc == -EBADMSG;
      }
  }
  cr_assert_gt(bad, 0);
}

/* Every byte flipped (three patterns) in a few blocks fails the check. */
Test(block, every_flipped_byte_is_caught) {
  uint64_t s = 17;
  static uint8_t copy[1 << 16];
  static const uint8_t pats[] = {0x01, 0x80, 0xff};

  for (int rep = 0; rep < 4; rep++) {
    struct stor_block_reader r;
    uint32_t count = 1 + (uint32_t)rng_below(&s, 200);
    long n;
    random_block(&s, count, 1 + (uint32_t)rng_below(&s, 20), 1);
    n = encode(count, 0);
    cr_assert_lt((size_t)n, sizeof(copy));
    memcpy(copy, blk, (size_t)n);
    for (long off = 0; off < n; off++)
      for (unsigned p = 0; p < sizeof(pats); p++) {
        copy[off] ^= pats[p];
        cr_assert_eq(stor_block_reader_init(&r, copy, (size_t)n), -EBADMSG,
                     "block %d byte %ld ^ %02x", rep, off, pats[p]);
        copy[off] ^= pats[p];
      }
    cr_assert_eq(stor_block_reader_init(&r, copy, (size_t)n), 0);
  }
}

Test(block, every_flipped_bit_of_a_small_block_is_caught) {
  struct stor_block_reader r;
  long n;

  for (int i = 0; i < 6; i++) {
    ids[i] = (uint32_t)i % 2;
    ts[i] = 1700000000000 + 10000 * i;
    val[i] = i * 1.5;
  }
  make_dict(2, 1);
  n = encode(6, 2);
  for (long bit = 0; bit < 8 * n; bit++) {
    blk[bit / 8] ^= (uint8_t)(1u << (bit % 8));
    cr_assert_eq(stor_block_reader_init(&r, blk, (size_t)n), -EBADMSG,
                 "bit %ld", bit);
    blk[bit / 8] ^= (uint8_t)(1u << (bit % 8));
  }
  check_decode(n, 6, 2);
}

Test(block, truncated_blocks_are_incomplete_never_decoded) {
  struct stor_block_reader r;
  uint64_t s = 18;
  long n;

  random_block(&s, 300, 10, 1);
  n = encode(300, 0);
  for (long len = 0; len < n; len++)
    cr_assert_eq(stor_block_reader_init(&r, blk, (size_t)len), -EAGAIN,
                 "len %ld", len);
  /* bytes after the block are ignored */
  cr_assert_eq(stor_block_reader_init(&r, blk, (size_t)n + 100), 0);
}

Test(block, next_run_enospc_keeps_the_reader_usable) {
  struct stor_block_reader r;
  struct stor_run run;

  for (int i = 0; i < 10; i++) {
    ids[i] = 0;
    ts[i] = i;
    val[i] = i;
  }
  cr_assert_eq(stor_block_reader_init(&r, blk, (size_t)encode(10, 0)), 0);
  cr_assert_eq(stor_block_next_run(&r, &run, got_ts, got_val, 9), -ENOSPC);
  cr_assert_eq(stor_block_next_run(&r, &run, got_ts, got_val, 10), 1);
  cr_assert_eq(run.count, 10);
  cr_assert_eq(got_ts[9], 9);
  cr_assert_eq(stor_block_next_run(&r, &run, got_ts, got_val, 10), 0);
}

/* A count of 0 is refused in every kind and role but a compacted
 * directory (kind 4, role 1: a segment of carried log and span blocks
 * only); and there only with no runs, series, dictionary nor index and
 * exactly the fixed directory payload. */
#include "storage/compact.h"

static void zero_count_header(uint8_t *b, uint8_t kind, uint8_t role,
                              uint32_t payload) {
  stor_frame_write(b, &(struct stor_frame){.kind = kind, .count = 0,
                                           .seq = 7, .min = 1, .max = 2,
                                           .payload_bytes = payload});
  b[STOR_CHDR_OFF_ROLE] = role;
  stor_block_reseal(b, STOR_BLOCK_HEADER_BYTES);
}

Test(block, zero_count_only_in_a_compacted_directory) {
  uint8_t b[STOR_BLOCK_HEADER_BYTES];
  struct stor_frame f;
  struct stor_chdr h;
  const uint8_t kinds[] = {STOR_KIND_METRICS, STOR_KIND_LOGS,
                           STOR_KIND_SPANS};

  for (unsigned i = 0; i < sizeof(kinds); i++)
    for (uint8_t role = 0; role < 4; role++) {
      zero_count_header(b, kinds[i], role, STOR_CDIR_FIXED_BYTES);
      cr_assert_eq(stor_frame_read(b, sizeof(b), &f), -EBADMSG,
                   "kind %u role %u", kinds[i], role);
    }
  for (uint8_t role = 0; role < 4; role++) {
    zero_count_header(b, STOR_KIND_SERIES, role, STOR_CDIR_FIXED_BYTES);
    cr_assert_eq(stor_frame_read(b, sizeof(b), &f),
                 role == STOR_CSEG_DIRECTORY ? 0 : -EBADMSG, "role %u", role);
    cr_assert_eq(stor_chdr_read(b, sizeof(b), &h),
                 role == STOR_CSEG_DIRECTORY ? 0 : -EBADMSG, "role %u", role);
  }
  /* The directory of no series: any run, series, dictionary or index
   * byte, or another payload length, is refused. */
  const unsigned offs[] = {STOR_HDR_OFF_RUNS, STOR_CHDR_OFF_A,
                           STOR_CHDR_OFF_B, STOR_CHDR_OFF_C};
  for (unsigned i = 0; i < 4; i++) {
    zero_count_header(b, STOR_KIND_SERIES, STOR_CSEG_DIRECTORY,
                      STOR_CDIR_FIXED_BYTES);
    b[offs[i]] = 1;
    stor_block_reseal(b, STOR_BLOCK_HEADER_BYTES);
    cr_assert_eq(stor_chdr_read(b, sizeof(b), &h), -EBADMSG, "off %u",
                 offs[i]);
  }
  zero_count_header(b, STOR_KIND_SERIES, STOR_CSEG_DIRECTORY,
                    STOR_CDIR_FIXED_BYTES + 1);
  cr_assert_eq(stor_chdr_read(b, sizeof(b), &h), -EBADMSG);
}
