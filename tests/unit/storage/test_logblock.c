/*
 * tests/unit/storage/test_logblock.c - log blocks (kind 2): round trips,
 * corruption at every offset, truncation, decompression bombs; layout 2's
 * template coder at its edges, layout 1 still read, and the pack
 * (compaction's re-encoding).
 */
#include <criterion/criterion.h>
#include <errno.h>
#include <isa-l/igzip_lib.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zstd.h>

#include "core/base/limits.h"
#include "storage/block.h"
#include "storage/logblock.h"
#include "storage/logblock_pack.h"

#define NREC 600
#define OUT_CAP (8u << 20)

static struct stor_logenc enc;
static struct stor_logdec dec;
static uint8_t *out;
static struct stor_log_rec recs[NREC];
static struct core_syslog_attr attr_pool[NREC * 8];
static char pool[4u << 20];
static size_t pool_len;
static uint64_t rng = 0x9e3779b97f4a7c15u;

static uint64_t rnd(void) {
  rng ^= rng << 13;
  rng ^= rng >> 7;
  rng ^= rng << 17;
  return rng;
}

static void setup(void) {
  cr_assert_eq(stor_logenc_init(&enc, NREC), 0);
  /* layout 2 with the template coder (compaction's form) unless a test
   * says not */
  cr_assert_eq(stor_logenc_set_layout(&enc, STOR_LOG_LAYOUT2), 0);
  stor_logenc_set_templates(&enc, 1);
  cr_assert_eq(stor_logdec_init(&dec), 0);
  out = malloc(OUT_CAP);
  cr_assert(out);
  pool_len = 0;
}

static void teardown(void) {
  stor_logenc_free(&enc);
  stor_logdec_free(&dec);
  free(out);
}

TestSuite(logblock, .init = setup, .fini = teardown);

/* Random bytes (any value, so invalid UTF-8 too), len 0 half the time. */
static struct core_syslog_str rstr(uint32_t maxlen, int binary) {
  uint32_t n = rnd() % 2 ? 0 : (uint32_t)(rnd() % (maxlen + 1));
  char *p = pool + pool_len;

  cr_assert(pool_len + n <= sizeof(pool));
  for (uint32_t i = 0; i < n; i++)
    p[i] = binary ? (char)rnd() : (char)('a' + rnd() % 4);
  pool_len += n;
  return (struct core_syslog_str){p, n};
}

static void gen(uint32_t n, int64_t t0) {
  static const char *hosts[] = {"web-1", "web-2", "db"};
  size_t ai = 0;

  for (uint32_t i = 0; i < n; i++) {
    struct stor_log_rec *r = &recs[i];
    const char *h = hosts[rnd() % 3];
    *r = (struct stor_log_rec){
        .time_ns = t0 + (int64_t)(rnd() % 5000000000u),
        .recv_ms = t0 / 1000000 + (int64_t)(rnd() % 100000) - 50000,
        .facility = (uint8_t)(i % 24),
        .severity = (uint8_t)(i % 8),
        .flags = (uint32_t)(rnd() % 32),
        .host = {h, (uint32_t)strlen(h)},
        .app = rstr(8, 0),
        .procid = rstr(6, 1),
        .msgid = rstr(5, 0),
        .msg = rstr(i % 50 == 0 ? 70000 : 300, 1),
        .attr_count = (uint32_t)(rnd() % 9),
        .attrs = &attr_pool[ai]};
    for (uint32_t k = 0; k < r->attr_count; k++)
      attr_pool[ai++] = (struct core_syslog_attr){
          .sdid = rstr(4, 0), .name = rstr(4, 0), .value = rstr(20, 1)};
  }
}

static int str_eq(struct core_syslog_str a, struct core_syslog_str b) {
  return a.len == b.len && (a.len == 0 || memcmp(a.ptr, b.ptr, a.len) == 0);
}

static void check_rec(const struct stor_log_rec *a, const struct stor_log_rec *b) {
  cr_assert_eq(a->time_ns, b->time_ns);
  cr_assert_eq(a->recv_ms, b->recv_ms);
  cr_assert_eq(a->facility, b->facility);
  cr_assert_eq(a->severity, b->severity);
  cr_assert_eq(a->flags, b->flags);
  cr_assert(str_eq(a->host, b->host) && str_eq(a->app, b->app));
  cr_assert(str_eq(a->procid, b->procid) && str_eq(a->msgid, b->msgid));
  cr_assert(str_eq(a->msg, b->msg));
  cr_assert_eq(a->attr_count, b->attr_count);
  for (uint32_t k = 0; k < a->attr_count; k++) {
    cr_assert(str_eq(a->attrs[k].sdid, b->attrs[k].sdid));
    cr_assert(str_eq(a->attrs[k].name, b->attrs[k].name));
    cr_assert(str_eq(a->attrs[k].value, b->attrs[k].value));
  }
}

/* Decode the whole block; returns the first error or the record count. */
static long read_all(const uint8_t *b, size_t len, uint32_t n, int compare) {
  struct stor_logblock_reader r;
  struct stor_log_rec got;
  struct core_syslog_attr attrs[CORE_SYSLOG_SD_ATTRS_MAX];
  long count = 0;
  int rc = stor_logblock_reader_init(&r, &dec, b, len);

  if (rc < 0)
    return rc;
  while ((rc = stor_logblock_next(&r, &got, attrs, CORE_SYSLOG_SD_ATTRS_MAX)) == 1) {
    if (compare && (uint32_t)count < n)
      check_rec(&got, &recs[count]);
    count++;
  }
  return rc < 0 ? rc : count;
}

Test(logblock, round_trip_random) {
  gen(NREC, INT64_C(1700000000000000000));
  long len = stor_logblock_encode(&enc, 3, 9, recs, NREC, out, OUT_CAP);
  cr_assert_gt(len, 0);
  struct stor_logblock_hdr h;
  cr_assert_eq(stor_logblock_hdr_read(out, (size_t)len, &h), 0);
  cr_assert_eq(h.count, NREC);
  cr_assert_eq(h.shard, 3);
  cr_assert_eq(h.seq, 9);
  cr_assert_eq(read_all(out, (size_t)len, NREC, 1), NREC);
  size_t text = 0, attrs = 0;
  for (uint32_t i = 0; i < NREC; i++) {
    text += stor_logblock_rec_text_bytes(&recs[i]);
    attrs += recs[i].attr_count;
  }
  cr_assert_leq((size_t)len, stor_logblock_bytes_max(NREC, attrs, text));
  /* A metric reader refuses a log block. */
  struct stor_block_hdr mh;
  cr_assert_eq(stor_block_hdr_read(out, (size_t)len, &mh), -EBADMSG);
}

Test(logblock, round_trip_edges) {
  static char big[CORE_SYSLOG_BYTES_MAX_LIMIT];
  static struct core_syslog_attr many[CORE_SYSLOG_SD_ATTRS_MAX];
  memset(big, 0xff, sizeof(big));
  for (uint32_t k = 0; k < CORE_SYSLOG_SD_ATTRS_MAX; k++)
    many[k] = (struct core_syslog_attr){{"origin", 6}, {"ip", 2}, {"\x80\xfe", 2}};
  recs[0] = (struct stor_log_rec){.time_ns = INT64_MIN, .recv_ms = INT64_MAX};
  recs[1] = (struct stor_log_rec){.time_ns = INT64_MAX, .recv_ms = INT64_MIN,
                                  .facility = 23, .severity = 7,
                                  .flags = UINT32_MAX,
                                  .msg = {big, sizeof(big)},
                                  .attr_count = CORE_SYSLOG_SD_ATTRS_MAX,
                                  .attrs = many};
  recs[2] = recs[0];
  long len = stor_logblock_encode(&enc, 0, 1, recs, 3, out, OUT_CAP);
  cr_assert_gt(len, 0);
  cr_assert_lt(len, 20000, "a megabyte of one byte compresses");
  cr_assert_eq(read_all(out, (size_t)len, 3, 1), 3);
  /* Seconds-only times use the 10^9 unit: one byte a record. */
  for (int i = 0; i < 3; i++)
    recs[i] = (struct stor_log_rec){.time_ns = INT64_C(1700000000000000000) +
                                               i * INT64_C(1000000000)};
  len = stor_logblock_encode(&enc, 0, 1, recs, 3, out, OUT_CAP);
  cr_assert_gt(len, 0);
  struct stor_logblock_reader r;
  cr_assert_eq(stor_logblock_reader_init(&r, &dec, out, (size_t)len), 0);
  cr_assert_eq(r.time_exp, 9);
  cr_assert_eq(read_all(out, (size_t)len, 3, 1), 3);
}

Test(logblock, bad_arguments) {
  gen(4, 1000);
  cr_assert_eq(stor_logblock_encode(&enc, 0, 0, recs, 4, out, OUT_CAP), -EINVAL);
  cr_assert_eq(stor_logblock_encode(&enc, 0, 1, recs, 0, out, OUT_CAP), -EINVAL);
  cr_assert_eq(stor_logblock_encode(&enc, 0, 1, recs, NREC + 1, out, OUT_CAP),
               -EINVAL);
  recs[1].severity = 8;
  cr_assert_eq(stor_logblock_encode(&enc, 0, 1, recs, 4, out, OUT_CAP), -EINVAL);
  recs[1].severity = 0;
  cr_assert_eq(stor_logblock_encode(&enc, 0, 1, recs, 4, out, 100), -ENOSPC);
}

Test(logblock, every_flipped_byte_fails) {
  gen(6, 5000000000);
  recs[0].msg.len = recs[0].msg.len > 40 ? 40 : recs[0].msg.len;
  long len = stor_logblock_encode(&enc, 1, 2, recs, 6, out, OUT_CAP);
  cr_assert_gt(len, 0);
  cr_assert_lt(len, 4096);
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

Test(logblock, truncation) {
  gen(20, 5000000000);
  long len = stor_logblock_encode(&enc, 1, 2, recs, 20, out, OUT_CAP);
  cr_assert_gt(len, 0);
  for (long n = 0; n < len; n++)
    cr_assert_eq(read_all(out, (size_t)n, 20, 0), -EAGAIN, "len %ld", n);
  cr_assert_eq(read_all(out, (size_t)len + 10, 20, 1), 20);
}

/* A block whose text column inflates to more than its header's U. */
Test(logblock, decompression_bomb) {
  static uint8_t zeros[1u << 16];
  static uint8_t z[1u << 16];
  static uint8_t lvl[ISAL_DEF_LVL1_DEFAULT];
  static struct isal_zstream zs;
  recs[0] = (struct stor_log_rec){.time_ns = 7, .msg = {"x", 1}};
  long len = stor_logblock_encode(&enc, 1, 2, recs, 1, out, OUT_CAP);
  cr_assert_gt(len, 0);
  size_t pre = (size_t)len - out[56] - ((size_t)out[57] << 8);

  isal_deflate_stateless_init(&zs);
  zs.level = 1;
  zs.level_buf = lvl;
  zs.level_buf_size = sizeof(lvl);
  zs.end_of_stream = 1;
  zs.next_in = zeros;
  zs.avail_in = sizeof(zeros);
  zs.next_out = z;
  zs.avail_out = sizeof(z);
  cr_assert_eq(isal_deflate_stateless(&zs), COMP_OK);
  memcpy(out + pre, z, zs.total_out);
  size_t total = pre + zs.total_out;
  uint32_t zl = zs.total_out, pay = (uint32_t)(total - STOR_BLOCK_HEADER_BYTES);
  for (int i = 0; i < 4; i++) {
    out[56 + i] = (uint8_t)(zl >> (8 * i));
    out[40 + i] = (uint8_t)(pay >> (8 * i));
  }
  /* U claims 2 bytes (the real record's text) while the stream holds 64 KiB;
   * then a U at the bound with far too few bytes behind it. */
  stor_block_reseal(out, total);
  cr_assert_eq(read_all(out, total, 1, 0), -EBADMSG);
  for (int i = 0; i < 4; i++)
    out[12 + i] = (uint8_t)(STOR_LOGBLOCK_TEXT_BYTES_MAX >> (8 * i));
  stor_block_reseal(out, total);
  cr_assert_eq(read_all(out, total, 1, 0), -EBADMSG);
}

Test(logblock, dictionary_overflow_goes_inline) {
  static char names[NREC][8][8];
  for (uint32_t i = 0; i < NREC; i++) {
    for (uint32_t k = 0; k < 8; k++) {
      int n = snprintf(names[i][k], sizeof(names[i][k]), "%u.%u", i, k);
      attr_pool[i * 8 + k] = (struct core_syslog_attr){
          .sdid = {names[i][k], (uint32_t)n}, .name = {names[i][k], (uint32_t)n}};
    }
    recs[i] = (struct stor_log_rec){.time_ns = i, .host = attr_pool[i * 8].sdid,
                                    .app = attr_pool[i * 8 + 1].sdid,
                                    .attr_count = 8, .attrs = &attr_pool[i * 8]};
  }
  long len = stor_logblock_encode(&enc, 1, 2, recs, NREC, out, OUT_CAP);
  cr_assert_gt(len, 0);
  uint32_t d = out[44] | (uint32_t)out[45] << 8;
  cr_assert_eq(d, STOR_LOGBLOCK_DICT_MAX, "the table filled up: %u", d);
  cr_assert_eq(read_all(out, (size_t)len, NREC, 1), NREC);
}

/* ---- layout 2 (issue 14) and the layout-1 blocks still read ------------- */

static struct stor_log_rec one(const char *msg, uint32_t len, int64_t t) {
  return (struct stor_log_rec){.time_ns = t, .recv_ms = t / 1000000,
                               .facility = 1, .severity = 6,
                               .host = {"h", 1}, .msg = {msg, len}};
}

Test(logblock, writes_layout2_reads_layout1) {
  gen(NREC, INT64_C(1700000000000000000));
  long len = stor_logblock_encode(&enc, 3, 9, recs, NREC, out, OUT_CAP);
  struct stor_logblock_hdr h;
  cr_assert_gt(len, 0);
  cr_assert_eq(stor_logblock_hdr_read(out, (size_t)len, &h), 0);
  cr_assert_eq(h.layout, 2);
  cr_assert_eq(out[15] >> 4, 2, "layout in the top bits of offset 12");
  long len1 = stor_logblock_encode_v1(&enc, 3, 10, recs, NREC, out, OUT_CAP);
  cr_assert_gt(len1, 0);
  cr_assert_eq(stor_logblock_hdr_read(out, (size_t)len1, &h), 0);
  cr_assert_eq(h.layout, 1);
  cr_assert_eq(out[15], 0);
  cr_assert_eq(read_all(out, (size_t)len1, NREC, 1), NREC);
}

/* Strings at the template coder's edges: numbers of every width, leading
 * zeros, past 19 digits and past 2^64, hex words at and beyond their
 * bounds, uppercase hex, placeholder bytes, binary, 8 KiB of numbers. */
Test(logblock, template_coder_edges) {
  static const char *const cases[] = {
      "0", "00", "007", "10", "x0y", "a1b2", "9999999999999999999",
      "10000000000000000000", "18446744073709551615",
      "18446744073709551616", "0000000000000000000000000123",
      "123456789012345678901234567890", "port 0 id 00 n 000001",
      "deadbeef", "deadbee", "deadbeef0", "0123abcd", "0123ABCD",
      "abcdefab", "x0123abcd", "0123abcd-4567-89ab-cdef-0123456789ab",
      "trace_id=4bf92f3577b34da6a3ce929d0e0e4736 span=00f067aa0ba902b7",
      "\x01", "a\x02" "1", "\x03\x03", "1.2.3.4:5", "-5 +6 1e9 0x1F",
      "\xff\xfe 12 \x80", "\n\t\r 1", "", "1", "a",
  };
  static char hexes[3][300], longnum[8192], longword[2100];
  uint32_t n = 0;
  for (int k = 0; k < 3; k++) { /* 254 digits, 256 (too long), 253 (odd) */
    uint32_t w = k == 0 ? 254 : k == 1 ? 256 : 253;
    for (uint32_t i = 0; i < w; i++)
      hexes[k][i] = "0123456789abcdef"[(i * 7 + 3) % 16];
    recs[n] = one(hexes[k], w, (int64_t)n * 1000);
    n++;
  }
  for (uint32_t i = 0; i < sizeof(longnum); i++)
    longnum[i] = i % 3 == 2 ? ' ' : (char)('0' + i % 10);
  recs[n] = one(longnum, sizeof(longnum), (int64_t)n * 1000);
  n++;
  memset(longword, 'q', sizeof(longword));
  recs[n] = one(longword, sizeof(longword), (int64_t)n * 1000);
  n++;
  for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++, n++)
    recs[n] = one(cases[i], (uint32_t)strlen(cases[i]), (int64_t)n * 1000);
  /* each again, so that templates are found as well as added; and as an
   * attribute value */
  uint32_t first = n;
  for (uint32_t i = 0; i < first; i++, n++) {
    recs[n] = recs[i];
    recs[n].time_ns = (int64_t)n * 1000;
    attr_pool[i] = (struct core_syslog_attr){{"a", 1}, {"v", 1}, recs[i].msg};
    recs[n].attr_count = 1;
    recs[n].attrs = &attr_pool[i];
  }
  long len = stor_logblock_encode(&enc, 0, 1, recs, n, out, OUT_CAP);
  cr_assert_gt(len, 0);
  struct stor_logblock_hdr h;
  cr_assert_eq(stor_logblock_hdr_read(out, (size_t)len, &h), 0);
  cr_assert_gt(h.tpl_count, 5);
  cr_assert_lt(h.tpl_count, n);
  cr_assert_eq(read_all(out, (size_t)len, n, 1), n);
}

/* The live default (layout 1) and layout 2 without templates (zstd 1)
 * round trip too, and template-coded blocks are smaller on log-like
 * text. */
static void gen_loglike(uint32_t n);

Test(logblock, live_default_round_trips) {
  struct stor_logenc live;
  struct stor_logblock_hdr h;
  cr_assert_eq(stor_logenc_init(&live, NREC), 0);
  gen(NREC, INT64_C(1700000000000000000));
  long len = stor_logblock_encode(&live, 0, 1, recs, NREC, out, OUT_CAP);
  cr_assert_gt(len, 0);
  cr_assert_eq(stor_logblock_hdr_read(out, (size_t)len, &h), 0);
  cr_assert_eq(h.layout, STOR_LOG_LAYOUT_LIVE);
  cr_assert_eq(read_all(out, (size_t)len, NREC, 1), NREC);
  cr_assert_eq(stor_logenc_set_layout(&live, 0), -EINVAL);
  cr_assert_eq(stor_logenc_set_layout(&live, STOR_LOG_LAYOUT4 + 1), -EINVAL);
  cr_assert_eq(stor_logenc_set_layout(&live, STOR_LOG_LAYOUT2), 0);
  len = stor_logblock_encode(&live, 0, 1, recs, NREC, out, OUT_CAP);
  cr_assert_gt(len, 0);
  cr_assert_eq(read_all(out, (size_t)len, NREC, 1), NREC);
  gen_loglike(NREC);
  len = stor_logblock_encode(&live, 0, 1, recs, NREC, out, OUT_CAP);
  cr_assert_gt(len, 0);
  cr_assert_eq(stor_logblock_hdr_read(out, (size_t)len, &h), 0);
  cr_assert_eq(h.tpl_count, 0);
  cr_assert_eq(read_all(out, (size_t)len, NREC, 1), NREC);
  long tlen = stor_logblock_encode(&enc, 0, 1, recs, NREC, out, OUT_CAP);
  cr_assert_lt(tlen, len, "templates %ld, inline %ld", tlen, len);
  stor_logenc_free(&live);
}

/* Log-like random records: templates repeat, variables vary. */
static void gen_loglike(uint32_t n) {
  static char buf[NREC][160];
  for (uint32_t i = 0; i < n; i++) {
    int k = snprintf(buf[i], sizeof(buf[i]),
                     rnd() % 2 ? "GET /api/%u HTTP/1.1 %u %u rt=0.%03u id=%016llx"
                               : "Accepted key for u%u from 10.0.%u.%u port %u",
                     (unsigned)(rnd() % 100000), (unsigned)(rnd() % 600),
                     (unsigned)(rnd() % 99999), (unsigned)(rnd() % 1000),
                     (unsigned long long)rnd());
    recs[i] = one(buf[i], (uint32_t)k,
                  INT64_C(1700000000000000000) + (int64_t)(rnd() % 3) *
                      (rnd() % 2 ? 1000000000 : 1234567));
  }
}

Test(logblock, layout2_templates_shrink) {
  gen_loglike(NREC);
  long len = stor_logblock_encode(&enc, 0, 1, recs, NREC, out, OUT_CAP);
  long len1 = stor_logblock_encode_v1(&enc, 0, 1, recs, NREC, out + OUT_CAP / 2,
                                      OUT_CAP / 2);
  cr_assert_gt(len, 0);
  cr_assert_lt(len, len1, "layout 2 %ld, layout 1 %ld", len, len1);
  cr_assert_eq(read_all(out, (size_t)len, NREC, 1), NREC);
}

/* A byte of the decompressed stream changed and the block made valid
 * again (zstd, sizes, CRC): the reader returns an error or records, never
 * reads out of bounds (ASan). */
Test(logblock, layout2_stream_corruption) {
  static uint8_t stream[1u << 20], blk[1u << 20];
  gen_loglike(40);
  recs[3].attr_count = 2;
  recs[3].attrs = attr_pool;
  attr_pool[0] = (struct core_syslog_attr){{"m", 1}, {"n", 1}, {"v 12", 4}};
  attr_pool[1] = (struct core_syslog_attr){{"m", 1}, {"k", 1}, {"", 0}};
  long len = stor_logblock_encode(&enc, 0, 1, recs, 40, out, OUT_CAP);
  cr_assert_gt(len, 0);
  struct stor_logblock_hdr h;
  cr_assert_eq(stor_logblock_hdr_read(out, (size_t)len, &h), 0);
  size_t u = ZSTD_decompress(stream, sizeof(stream), out + 64, h.ztext_bytes);
  cr_assert_eq(u, h.text_bytes);
  for (size_t i = 0; i < u; i++) {
    for (int d = 1; d < 256; d += 127) {
      stream[i] = (uint8_t)(stream[i] + d);
      memcpy(blk, out, 64);
      size_t z = ZSTD_compress(blk + 64, sizeof(blk) - 64, stream, u, 1);
      cr_assert(!ZSTD_isError(z));
      for (int b = 0; b < 4; b++) {
        blk[56 + b] = (uint8_t)(z >> (8 * b));
        blk[40 + b] = (uint8_t)(z >> (8 * b));
      }
      stor_block_reseal(blk, 64 + z);
      long rc = read_all(blk, 64 + z, 40, 0);
      cr_assert(rc == -EBADMSG || rc == 40, "stream byte %zu: %ld", i, rc);
      stream[i] = (uint8_t)(stream[i] - d);
    }
  }
}

/* A zstd frame that yields more than U, or fewer. */
Test(logblock, layout2_zstd_bomb) {
  static uint8_t zeros[1u << 20], z[1u << 16];
  recs[0] = one("x", 1, 7);
  long len = stor_logblock_encode(&enc, 1, 2, recs, 1, out, OUT_CAP);
  cr_assert_gt(len, 0);
  size_t zn = ZSTD_compress(z, sizeof(z), zeros, sizeof(zeros), 1);
  cr_assert(!ZSTD_isError(zn));
  memcpy(out + 64, z, zn);
  for (int b = 0; b < 4; b++) {
    out[56 + b] = (uint8_t)(zn >> (8 * b));
    out[40 + b] = (uint8_t)(zn >> (8 * b));
  }
  stor_block_reseal(out, 64 + zn);
  cr_assert_eq(read_all(out, 64 + zn, 1, 0), -EBADMSG);
  uint32_t w = 2u << 28 | (STOR_LOGBLOCK_TEXT_BYTES_MAX - 1);
  for (int b = 0; b < 4; b++)
    out[12 + b] = (uint8_t)(w >> (8 * b));
  stor_block_reseal(out, 64 + zn);
  cr_assert_eq(read_all(out, 64 + zn, 1, 0), -EBADMSG);
}

/* Compaction's re-encoding: blocks of both layouts merged into one, in
 * order, all or nothing per block. */
Test(logblock, pack_merges_blocks) {
  static uint8_t blocks[4][1u << 20];
  static struct stor_logpack pk;
  long lens[4];
  gen(NREC, INT64_C(1700000000000000000));
  for (int b = 0; b < 4; b++) {
    const struct stor_log_rec *r = recs + b * (NREC / 4);
    lens[b] = b % 2 ? stor_logblock_encode_v1(&enc, 0, 1 + b, r, NREC / 4,
                                              blocks[b], sizeof(blocks[b]))
                    : stor_logblock_encode(&enc, 0, 1 + b, r, NREC / 4,
                                           blocks[b], sizeof(blocks[b]));
    cr_assert_gt(lens[b], 0);
  }
  cr_assert_eq(stor_logpack_init(&pk, NREC / 2 + 10), 0);
  cr_assert_eq(stor_logpack_add_block(&pk, &dec, blocks[0], (size_t)lens[0]), 0);
  cr_assert_eq(stor_logpack_add_block(&pk, &dec, blocks[1], (size_t)lens[1]), 0);
  cr_assert_eq(stor_logpack_add_block(&pk, &dec, blocks[2], (size_t)lens[2]),
               -ENOSPC);
  cr_assert_eq(pk.count, NREC / 2, "the refused block left nothing behind");
  blocks[3][100] ^= 1;
  cr_assert_eq(stor_logpack_add_block(&pk, &dec, blocks[3], (size_t)lens[3]),
               -EBADMSG);
  cr_assert_leq(stor_logpack_bytes_max(&pk), OUT_CAP);
  long len = stor_logpack_encode(&pk, 5, 77, out, OUT_CAP);
  cr_assert_gt(len, 0);
  cr_assert_eq(pk.count, 0);
  cr_assert_eq(stor_logpack_encode(&pk, 5, 78, out + len, OUT_CAP), 0);
  cr_assert_eq(read_all(out, (size_t)len, NREC / 2, 1), NREC / 2);
  cr_assert_eq(stor_logpack_add_block(&pk, &dec, blocks[2], (size_t)lens[2]), 0);
  stor_logpack_free(&pk);
}

/* ---- layout 1's address front, attribute memo and repeated values ------- */

/* Records whose strings share addresses the way OTLP's mapping makes them
 * (literal sd ids and names, values referenced by the next record), mixed
 * with equal bytes at other addresses, prefixes of one address (same
 * pointer, shorter length), attribute positions that change names, and
 * more than 128 names (two-byte refs): every record reads back as
 * written, across blocks encoded one after the other with one encoder
 * (the table generation changes: nothing of a block is reused by the
 * next) and across the generation's wrap; values at the last record's
 * address went to the string table. */
static void gen_shared(uint32_t n, uint32_t salt) {
  static char names[300][12], vals[40][16], copies[NREC][16];
  static const char *sd[] = {"otel", "attr", "resource"};
  size_t ai = 0;

  for (uint32_t k = 0; k < 300; k++)
    snprintf(names[k], sizeof(names[k]), "n%u.%u", (k * 7 + salt) % 300, k);
  for (uint32_t k = 0; k < 40; k++)
    snprintf(vals[k], sizeof(vals[k]), "value-%u-%u", k, salt);
  for (uint32_t i = 0; i < n; i++) {
    struct stor_log_rec *r = &recs[i];
    *r = (struct stor_log_rec){.time_ns = INT64_C(1700000000000000000) + i,
                               .recv_ms = 1700000000000, .facility = 1,
                               .severity = 6, .host = {vals[0], 7},
                               .app = {vals[1], (uint32_t)(3 + i % 4)},
                               .msg = {vals[2 + i % 5], 9},
                               .attr_count = 8, .attrs = &attr_pool[ai]};
    memcpy(copies[i], vals[i % 40], sizeof(copies[i]));
    for (uint32_t k = 0; k < 8; k++) {
      uint32_t nm = k < 4 ? k : (i % 3 == 0 ? 4 + (i + k) % 296 : k);
      /* the same address as the last record's (most), alternating (3),
       * a copy (5), a prefix of varying length (6), two in three (7) */
      uint32_t vk = k * 3 + (k == 3 ? i % 2 : 0) + (k == 7 && i % 3 == 0);
      const char *v = k == 5 ? copies[i] : vals[vk % 40];
      attr_pool[ai++] = (struct core_syslog_attr){
          .sdid = {sd[(k + salt) % 3], (uint32_t)strlen(sd[(k + salt) % 3])},
          .name = {names[nm], (uint32_t)strlen(names[nm]) - (i % 2)},
          .value = {v, (uint32_t)(strlen(v) - (k == 6 ? i % 3 : 0))}};
    }
  }
}

Test(logblock, layout1_shared_addresses_round_trip) {
  struct stor_logblock_hdr h;

  for (uint32_t b = 0; b < 4; b++) {
    if (b == 3)
      enc.tab.gen = UINT32_MAX; /* the next reset wraps to 1 */
    gen_shared(NREC, b);
    long len = stor_logblock_encode_v1(&enc, 0, 1 + b, recs, NREC, out,
                                       OUT_CAP);
    cr_assert_gt(len, 0);
    cr_assert_eq(stor_logblock_hdr_read(out, (size_t)len, &h), 0);
    /* names, sd ids and the values seen twice at one address: over 128 */
    cr_assert_gt(h.dict_count, 300, "dict %u", h.dict_count);
    cr_assert_eq(read_all(out, (size_t)len, NREC, 1), NREC);
  }
  /* The same values each at an address of its own stay inline: the
   * shared ones above went to the table (a smaller inflated stream). */
  uint32_t shared = h.text_bytes;
  pool_len = 0;
  for (uint32_t i = 0; i < NREC * 8; i++) {
    struct core_syslog_str *v = &attr_pool[i].value;
    cr_assert(pool_len + v->len <= sizeof(pool));
    memcpy(pool + pool_len, v->ptr, v->len);
    v->ptr = pool + pool_len;
    pool_len += v->len;
  }
  long len = stor_logblock_encode_v1(&enc, 0, 9, recs, NREC, out, OUT_CAP);
  cr_assert_gt(len, 0);
  cr_assert_eq(stor_logblock_hdr_read(out, (size_t)len, &h), 0);
  cr_assert_gt(h.text_bytes, shared + NREC * 5, "%u vs %u", h.text_bytes,
               shared);
  cr_assert_eq(read_all(out, (size_t)len, NREC, 1), NREC);
}

/* The encoder's memos of the last record's head refs (host, app, procid,
 * msgid) and value refs hold string table indexes of one block: a block
 * whose first records point at the addresses the last block ended with
 * must not reuse them (its table is another: the index would name
 * another string, or none). */
Test(logblock, layout1_memos_are_per_block) {
  static char s[8][8] = {"host-a", "app-b", "sd", "name", "value-v",
                         "pid-x", "mid-y", "extra"};
  struct core_syslog_str str[8];

  for (int k = 0; k < 8; k++)
    str[k] = (struct core_syslog_str){s[k], (uint32_t)strlen(s[k])};
  for (uint32_t b = 0; b < 2; b++) {
    for (uint32_t i = 0; i < 4; i++) {
      struct stor_log_rec *r = &recs[i];
      attr_pool[2 * i] = (struct core_syslog_attr){str[2], str[3], str[4]};
      attr_pool[2 * i + 1] =
          (struct core_syslog_attr){str[2], str[7], str[7]};
      /* block 1 adds the head strings in another order than block 0,
       * and two more before the value: other indexes for each */
      *r = (struct stor_log_rec){
          .time_ns = INT64_C(1700000000000000000) + i, .recv_ms = 1700000000000,
          .host = b == 0 || i > 0 ? str[0] : str[5],
          .app = str[1],
          .procid = b == 1 ? str[5] : (struct core_syslog_str){"", 0},
          .msgid = b == 1 ? str[6] : (struct core_syslog_str){"", 0},
          .msg = str[7], .attr_count = 2, .attrs = &attr_pool[2 * i]};
    }
    long len = stor_logblock_encode_v1(&enc, 0, 1 + b, recs, 4, out, OUT_CAP);
    cr_assert_gt(len, 0);
    cr_assert_eq(read_all(out, (size_t)len, 4, 1), 4, "block %u", b);
  }
}

/* The time unit is the largest 10^x (x <= 9) every time - min is a
 * multiple of, found and divided by without a division (5^-x mod 2^64):
 * each x, offsets up to 2^64 - 1, and one time off the grid. */
Test(logblock, layout1_time_units) {
  static const uint64_t p10[10] = {1, 10, 100, 1000, 10000, 100000, 1000000,
                                   10000000, 100000000, 1000000000};

  for (unsigned x = 0; x <= 9; x++)
    for (int pass = 0; pass < 3; pass++) {
      uint64_t base = (uint64_t)INT64_MIN + (pass == 1 ? 7 * p10[x] : 0);
      uint32_t n = 64;
      for (uint32_t i = 0; i < n; i++) {
        uint64_t kmax = (UINT64_MAX - (base - (uint64_t)INT64_MIN)) / p10[x];
        uint64_t k = i == 1 ? kmax : rnd() % (UINT64_C(1) << (i % 60)) % kmax;
        uint64_t t = base + k * p10[x];
        if (pass == 2 && i == 5 && x > 0) /* off the grid: x - 1 or less */
          t -= p10[x - 1] * 3;
        recs[i] = (struct stor_log_rec){.time_ns = (int64_t)t,
                                        .recv_ms = 1700000000000};
      }
      /* the reference: the % loop the encoder does without */
      int64_t min = recs[0].time_ns;
      for (uint32_t i = 1; i < n; i++)
        min = recs[i].time_ns < min ? recs[i].time_ns : min;
      unsigned want = 9;
      for (uint32_t i = 0; i < n; i++)
        while (want > 0 &&
               ((uint64_t)recs[i].time_ns - (uint64_t)min) % p10[want])
          want--;
      cr_assert_geq(want, pass == 2 ? 0 : x);
      long len = stor_logblock_encode_v1(&enc, 0, 1, recs, n, out, OUT_CAP);
      cr_assert_gt(len, 0, "x %u pass %d: %ld", x, pass, len);
      struct stor_logblock_reader r;
      cr_assert_eq(stor_logblock_reader_init(&r, &dec, out, (size_t)len), 0);
      cr_assert_eq(r.time_exp, want, "x %u pass %d", x, pass);
      cr_assert_eq(read_all(out, (size_t)len, n, 1), n);
    }
}
