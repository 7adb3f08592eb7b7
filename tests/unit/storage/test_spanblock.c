/*
 * tests/unit/storage/test_spanblock.c - span blocks (kind 3): round trips
 * of random spans with events, links and attributes, every flipped byte
 * and truncation refused, forged streams (CRC made right) decoded within
 * bounds or refused, the trace table filter.
 */
#include <criterion/criterion.h>
#include <errno.h>
#include <isa-l/igzip_lib.h>
#include <stdlib.h>
#include <string.h>

#include "core/base/limits.h"
#include "storage/block.h"
#include "storage/logblock.h"
#include "storage/spanblock.h"
#include "storage/zcol.h"
#include "span_test_util.h"

#define OUT_CAP (16u << 20)

static struct stor_spanenc enc;
static struct stor_spandec dec;
static struct span_gen *g;
static uint8_t *out, *work;

static void setup(void) {
  cr_assert_eq(stor_spanenc_init(&enc, GEN_SPANS_MAX), 0);
  cr_assert_eq(stor_spandec_init(&dec), 0);
  g = calloc(1, sizeof(*g));
  out = malloc(OUT_CAP);
  work = malloc(OUT_CAP);
  cr_assert(g && out && work);
  g->rng = 42;
}

static void teardown(void) {
  stor_spanenc_free(&enc);
  stor_spandec_free(&dec);
  free(g);
  free(out);
  free(work);
}

TestSuite(spanblock, .init = setup, .fini = teardown);

/* Decode the whole block; the first error or the span count. */
static long read_all(const uint8_t *b, size_t len, uint32_t n, int compare) {
  struct stor_spanblock_reader r;
  struct stor_span got;
  long count = 0;
  int rc = stor_spanblock_reader_init(&r, &dec, b, len);

  if (rc < 0)
    return rc;
  while ((rc = stor_spanblock_next(&r, &got)) == 1) {
    if (compare && (uint32_t)count < n)
      check_span(&got, &g->spans[count]);
    count++;
  }
  return rc < 0 ? rc : count;
}

static long encode(uint32_t n) {
  return stor_spanblock_encode(&enc, 5, 77, g->spans, n, g->res, GEN_RES, out,
                               OUT_CAP);
}

Test(spanblock, round_trip_random) {
  for (int round = 0; round < 4; round++) {
    uint32_t n = round == 0 ? 1 : (uint32_t)rng_below(&g->rng, GEN_SPANS_MAX) + 1;
    gen_spans(g, n, INT64_C(1700000000000000000));
    long len = encode(n);
    cr_assert_gt(len, 0);
    struct stor_spanblock_hdr h;
    cr_assert_eq(stor_spanblock_hdr_read(out, (size_t)len, &h), 0);
    cr_assert_eq(h.count, n);
    cr_assert_eq(h.shard, 5);
    cr_assert_eq(h.seq, 77);
    cr_assert_eq(read_all(out, (size_t)len, n, 1), n);
    cr_assert_leq((size_t)len, stor_spanblock_bytes_max());
    /* other kinds' readers refuse it; the frame reader takes it */
    struct stor_block_hdr mh;
    struct stor_logblock_hdr lh;
    struct stor_frame f;
    cr_assert_eq(stor_block_hdr_read(out, (size_t)len, &mh), -EBADMSG);
    cr_assert_eq(stor_logblock_hdr_read(out, (size_t)len, &lh), -EBADMSG);
    cr_assert_eq(stor_frame_read(out, (size_t)len, &f), 0);
    cr_assert_eq(f.kind, STOR_KIND_SPANS);
  }
}

Test(spanblock, edges_and_service) {
  static char big[CORE_SPAN_VALUE_BYTES_MAX];
  static struct core_otlp_attr many[CORE_SPAN_ATTRS_MAX];
  struct core_otlp_attr svc[2] = {
      {{"service.name", 12}, {.type = CORE_OTLP_V_STRING, .s = {"first", 5}}},
      {{"service.name", 12}, {.type = CORE_OTLP_V_STRING, .s = {"checkout", 8}}}};
  memset(big, 0xff, sizeof(big));
  for (uint32_t k = 0; k < CORE_SPAN_ATTRS_MAX; k++)
    many[k] = (struct core_otlp_attr){{"k", 1},
                                      {.type = CORE_OTLP_V_BYTES, .s = {big, 100}}};
  g->res[0] = (struct stor_span_res){.attrs = {svc, 2}};
  g->spans[0] = (struct stor_span){.start_ns = INT64_MIN, .end_ns = INT64_MAX,
                                   .kind = UINT32_MAX, .flags = UINT32_MAX,
                                   .name = {big, sizeof(big)},
                                   .attrs = {many, CORE_SPAN_ATTRS_MAX},
                                   .res = &g->res[0]};
  g->spans[1] = (struct stor_span){.start_ns = INT64_MAX, .end_ns = INT64_MIN,
                                   .has_parent = true, .res = &g->res[0]};
  memset(g->spans[1].span_id, 1, 8);
  memcpy(g->spans[1].parent_id, g->spans[0].span_id, 8); /* a ref */
  long len = stor_spanblock_encode(&enc, 0, 1, g->spans, 2, g->res, 1, out,
                                   OUT_CAP);
  cr_assert_gt(len, 0);
  cr_assert_lt(len, 20000, "repeated bytes compress");
  cr_assert_eq(read_all(out, (size_t)len, 2, 1), 2);
  struct stor_spanblock_reader r;
  struct stor_span s;
  cr_assert_eq(stor_spanblock_reader_init(&r, &dec, out, (size_t)len), 0);
  cr_assert_eq(stor_spanblock_next(&r, &s), 1);
  cr_assert_eq(s.res->service.len, 8);
  cr_assert(memcmp(s.res->service.ptr, "checkout", 8) == 0);
  /* one attribute over the per-span bound is refused */
  g->spans[0].attrs.n = CORE_SPAN_ATTRS_MAX + 0;
  g->spans[0].event_count = 1;
  struct stor_span_event ev = {.attrs = {many, 1}};
  g->spans[0].events = &ev;
  cr_assert_eq(stor_spanblock_encode(&enc, 0, 1, g->spans, 2, g->res, 1, out,
                                     OUT_CAP), -EINVAL);
}

Test(spanblock, bad_arguments) {
  gen_spans(g, 4, 1000);
  cr_assert_eq(stor_spanblock_encode(&enc, 0, 0, g->spans, 4, g->res, GEN_RES,
                                     out, OUT_CAP), -EINVAL);
  cr_assert_eq(stor_spanblock_encode(&enc, 0, 1, g->spans, 0, g->res, GEN_RES,
                                     out, OUT_CAP), -EINVAL);
  cr_assert_eq(stor_spanblock_encode(&enc, 0, 1, g->spans, GEN_SPANS_MAX + 1,
                                     g->res, GEN_RES, out, OUT_CAP), -EINVAL);
  /* a resource outside the array given */
  cr_assert_eq(stor_spanblock_encode(&enc, 0, 1, g->spans, 4, g->res + 1, 1,
                                     out, OUT_CAP) == -EINVAL ||
                   g->spans[0].res == &g->res[1],
               1);
  g->spans[2].event_count = CORE_SPAN_EVENTS_MAX + 1;
  cr_assert_eq(stor_spanblock_encode(&enc, 0, 1, g->spans, 4, g->res, GEN_RES,
                                     out, OUT_CAP), -EINVAL);
  g->spans[2].event_count = 0;
  cr_assert_eq(stor_spanblock_encode(&enc, 0, 1, g->spans, 4, g->res, GEN_RES,
                                     out, 100), -ENOSPC);
}

Test(spanblock, every_flipped_byte_fails) {
  gen_spans(g, 6, 5000000000);
  long len = encode(6);
  cr_assert_gt(len, 0);
  cr_assert_lt(len, 8192);
  for (long i = 0; i < len; i++) {
    for (int bit = 0; bit < 8; bit += 3) {
      out[i] ^= (uint8_t)(1u << bit);
      long rc = read_all(out, (size_t)len, 6, 0);
      cr_assert(rc == -EBADMSG || (i >= 8 && rc == -EAGAIN),
                "offset %ld bit %d: %ld", i, bit, rc);
      out[i] ^= (uint8_t)(1u << bit);
    }
  }
  cr_assert_eq(read_all(out, (size_t)len, 6, 1), 6);
}

Test(spanblock, truncation) {
  gen_spans(g, 30, 5000000000);
  long len = encode(30);
  cr_assert_gt(len, 0);
  for (long n = 0; n < len; n++)
    cr_assert_eq(read_all(out, (size_t)n, 30, 0), -EAGAIN, "len %ld", n);
  cr_assert_eq(read_all(out, (size_t)len + 10, 30, 1), 30);
}

/* The block's stream inflated into work; returns U. */
static uint32_t inflate_block(const uint8_t *b, struct stor_spanblock_hdr *h,
                              size_t *zoff) {
  cr_assert_eq(stor_spanblock_hdr_read(b, STOR_BLOCK_HEADER_BYTES, h), 0);
  *zoff = STOR_BLOCK_HEADER_BYTES + (size_t)h->trace_count * 16 +
          (size_t)h->count * 8;
  struct inflate_state *s = stor_zinflate_new();
  cr_assert_eq(stor_zinflate(s, b + *zoff, h->ztext_bytes, work,
                             h->text_bytes), 0);
  free(s);
  return h->text_bytes;
}

/* Rebuild out from its ids and table and the stream in work[0, u). */
static size_t forge(size_t zoff, uint32_t u) {
  struct stor_zdeflate z;
  cr_assert_eq(stor_zdeflate_init(&z), 0);
  long zn = stor_zdeflate(&z, work, u, out + zoff, OUT_CAP - zoff);
  stor_zdeflate_free(&z);
  cr_assert_gt(zn, 0);
  size_t total = zoff + (size_t)zn;
  uint32_t pay = (uint32_t)(total - STOR_BLOCK_HEADER_BYTES);
  for (int i = 0; i < 4; i++) {
    out[12 + i] = (uint8_t)(u >> (8 * i));
    out[56 + i] = (uint8_t)((uint32_t)zn >> (8 * i));
    out[40 + i] = (uint8_t)(pay >> (8 * i));
  }
  stor_block_reseal(out, total);
  return total;
}

/* Every byte of the stream changed, with a good CRC: the decoder refuses
 * the block or reads it within its bounds (ASan watches), never more. */
Test(spanblock, forged_streams_stay_in_bounds) {
  struct stor_spanblock_hdr h;
  size_t zoff;
  gen_spans(g, 12, 5000000000);
  long len = encode(12);
  cr_assert_gt(len, 0);
  uint32_t u = inflate_block(out, &h, &zoff);
  uint8_t *orig = malloc(u);
  cr_assert(orig);
  memcpy(orig, work, u);
  int refused = 0;
  for (uint32_t i = 0; i < u; i++) {
    static const uint8_t repl[] = {0x00, 0x01, 0x7f, 0x80, 0xff};
    for (size_t k = 0; k < sizeof(repl); k++) {
      if (orig[i] == repl[k])
        continue;
      memcpy(work, orig, u);
      work[i] = repl[k];
      size_t total = forge(zoff, u);
      long rc = read_all(out, total, 12, 0);
      cr_assert(rc == -EBADMSG || rc == 12, "offset %u: %ld", i, rc);
      refused += rc == -EBADMSG;
    }
  }
  cr_assert_gt(refused, (int)u / 2, "changes caught: %d, %u bytes", refused,
               u);
  /* a stream cut short by one byte, with the header's U to match */
  for (uint32_t cut = 1; cut < u; cut += cut < 64 ? 1 : 97) {
    memcpy(work, orig, u);
    size_t total = forge(zoff, u - cut);
    cr_assert_eq(read_all(out, total, 12, 0), -EBADMSG, "cut %u", cut);
  }
  free(orig);
}

Test(spanblock, trace_table_filter) {
  gen_spans(g, 50, 5000000000);
  long len = encode(50);
  struct stor_spanblock_hdr h;
  uint8_t other[16] = {0};
  cr_assert_eq(stor_spanblock_hdr_read(out, (size_t)len, &h), 0);
  cr_assert_lt(h.trace_count, 50);
  cr_assert_eq(stor_spanblock_traces_end(&h), 64 + 16 * (size_t)h.trace_count);
  for (int i = 0; i < 50; i++)
    cr_assert(stor_spanblock_has_trace(&h, out + 64, g->spans[i].trace_id));
  cr_assert_not(stor_spanblock_has_trace(&h, out + 64, other));
}
