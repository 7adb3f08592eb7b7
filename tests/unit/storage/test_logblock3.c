/*
 * tests/unit/storage/test_logblock3.c - log block layout 3 (binary OTLP
 * observed time, trace and span ids): round trips against an independent
 * text rendering (snprintf), every field present or absent, times equal,
 * out of order and far apart, the served position among attributes,
 * syslog-only blocks still layout 1, the bounds the encoder refuses, a
 * hostile OTLP column, and compaction's pack reading layout 3. Layout 4
 * (the same with the stream in zstd, the live default) runs the same
 * tests, and carries what layout 3 carries byte for byte; its frame is
 * zstd's at STOR_LOG4_ZLEVEL with hashLog STOR_LOG4_HASH_LOG.
 */
#include <criterion/criterion.h>
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zstd.h>

#include "core/base/limits.h"
#include "storage/block.h"
#include "storage/logblock.h"
#include "storage/logblock_pack.h"

#define NREC 500
#define OUT_CAP (8u << 20)

static struct stor_logenc enc;
static struct stor_logdec dec;
static uint8_t *out;
static struct stor_log_rec recs[NREC];
static struct core_syslog_attr attr_pool[NREC * CORE_SYSLOG_SD_ATTRS_MAX];
static char pool[2u << 20];
static size_t pool_len;
static uint64_t rng = 0x2545f4914f6cdd1du;
static unsigned want = STOR_LOG_OTLP_LAYOUT_LIVE; /* what enc writes */

/* Write OTLP blocks in layout l (3 or 4) from now on. */
static void use(unsigned l) {
  cr_assert_eq(stor_logenc_set_layout(&enc, l), 0);
  want = l;
}

static uint64_t rnd(void) {
  rng ^= rng << 13;
  rng ^= rng >> 7;
  rng ^= rng << 17;
  return rng;
}

static void setup(void) {
  cr_assert_eq(stor_logenc_init(&enc, NREC), 0);
  cr_assert_eq(stor_logdec_init(&dec), 0);
  out = malloc(OUT_CAP);
  cr_assert(out);
  pool_len = 0;
  want = STOR_LOG_OTLP_LAYOUT_LIVE;
}

static void teardown(void) {
  stor_logenc_free(&enc);
  stor_logdec_free(&dec);
  free(out);
}

TestSuite(logblock3, .init = setup, .fini = teardown);

static struct core_syslog_str pstr(const char *fmt, uint64_t v) {
  char *p = pool + pool_len;
  int n = snprintf(p, sizeof(pool) - pool_len, fmt, v);

  cr_assert(n > 0 && (size_t)n < sizeof(pool) - pool_len);
  pool_len += (size_t)n;
  return (struct core_syslog_str){p, (uint32_t)n};
}

static struct core_syslog_str lit(const char *s) {
  return (struct core_syslog_str){s, (uint32_t)strlen(s)};
}

/* Observed times: equal to the event time, near, before it, far apart,
 * past 2^63, tiny. */
static uint64_t observed(int64_t t) {
  switch (rnd() % 6) {
  case 0: return (uint64_t)t;
  case 1: return (uint64_t)t + rnd() % 1000000;
  case 2: return (uint64_t)t - rnd() % 5000000000u;
  case 3: return rnd() | 1;
  case 4: return (uint64_t)INT64_MAX + 1 + rnd() % 1000;
  default: return 1 + rnd() % 9;
  }
}

/* Record i: syslog-like or OTLP with a random subset of binary fields at
 * a random position among up to 12 attributes (61 for a few). */
static void gen_rec(uint32_t i, size_t *ai, int otel_share) {
  struct stor_log_rec *r = &recs[i];
  int64_t t = INT64_C(1765000000000000000) +
              (int64_t)(rnd() % 3 == 0 ? 0 : rnd() % 100000000000u) -
              (int64_t)(i % 7 == 0 ? 90000000000 : 0);
  uint32_t na = i % 97 == 5 ? 61 : (uint32_t)(rnd() % 13);

  *r = (struct stor_log_rec){.time_ns = t, .recv_ms = t / 1000000,
                             .facility = 1, .severity = (uint8_t)(i % 8),
                             .flags = 32, .host = lit("h"), .app = lit("svc"),
                             .msg = pstr("message %" PRIu64, rnd() % 1000),
                             .attr_count = na, .attrs = &attr_pool[*ai]};
  for (uint32_t k = 0; k < na; k++)
    attr_pool[(*ai)++] = (struct core_syslog_attr){
        .sdid = lit(k < 2 ? "otel" : "attr"), .name = pstr("k%" PRIu64, k),
        .value = pstr("%" PRIu64, rnd() % 50)};
  if ((int)(rnd() % 100) >= otel_share)
    return;
  r->otel.has = (uint8_t)(rnd() % 8);
  r->otel.at = (uint8_t)(r->otel.has ? rnd() % (na + 1) : 0);
  r->otel.observed_ns = observed(t);
  /* ids: new, or those of the last record that had any (a request's
   * records share them; the column codes a repeat in its bits) */
  static uint8_t trace[16], span[8];
  if (rnd() % 2)
    for (int b = 0; b < 16; b++)
      trace[b] = (uint8_t)rnd();
  if (rnd() % 2)
    for (int b = 0; b < 8; b++)
      span[b] = (uint8_t)rnd();
  memcpy(r->otel.trace_id, trace, 16);
  memcpy(r->otel.span_id, span, 8);
  if (na == 61 && r->otel.has == 7) /* 64 in all: the bound */
    r->otel.at = 61;
}

static void gen(uint32_t n, int otel_share) {
  size_t ai = 0;

  pool_len = 0;
  for (uint32_t i = 0; i < n; i++)
    gen_rec(i, &ai, otel_share);
}

static int str_eq(struct core_syslog_str a, struct core_syslog_str b) {
  return a.len == b.len && (a.len == 0 || memcmp(a.ptr, b.ptr, a.len) == 0);
}

/* The attributes a reader must serve for r: its own with the binary
 * fields rendered by snprintf at r->otel.at (independent of the code's
 * core_fmt_* path). */
static uint32_t expect_attrs(const struct stor_log_rec *r,
                             struct core_syslog_attr *a, char *txt) {
  uint32_t n = 0;

  for (uint32_t k = 0; k <= r->attr_count; k++) {
    if (k == r->otel.at && r->otel.has) {
      if (r->otel.has & STOR_LOTEL_OBS) {
        int len = snprintf(txt, 32, "%" PRIu64, r->otel.observed_ns);
        a[n++] = (struct core_syslog_attr){lit("otel"),
                                           lit("observed_time_unix_nano"),
                                           {txt, (uint32_t)len}};
        txt += 32;
      }
      if (r->otel.has & STOR_LOTEL_TRACE) {
        for (int b = 0; b < 16; b++)
          snprintf(txt + 2 * b, 3, "%02x", r->otel.trace_id[b]);
        a[n++] = (struct core_syslog_attr){lit("otel"), lit("trace_id"),
                                           {txt, 32}};
        txt += 33;
      }
      if (r->otel.has & STOR_LOTEL_SPAN) {
        for (int b = 0; b < 8; b++)
          snprintf(txt + 2 * b, 3, "%02x", r->otel.span_id[b]);
        a[n++] = (struct core_syslog_attr){lit("otel"), lit("span_id"),
                                           {txt, 16}};
        txt += 17;
      }
    }
    if (k < r->attr_count)
      a[n++] = r->attrs[k];
  }
  return n;
}

static void check_served(const struct stor_log_rec *want,
                         const struct stor_log_rec *got) {
  static struct core_syslog_attr a[CORE_SYSLOG_SD_ATTRS_MAX + 3];
  static char txt[128];
  uint32_t n = expect_attrs(want, a, txt);

  cr_assert_eq(got->time_ns, want->time_ns);
  cr_assert_eq(got->recv_ms, want->recv_ms);
  cr_assert_eq(got->severity, want->severity);
  cr_assert_eq(got->flags, want->flags);
  cr_assert(str_eq(got->msg, want->msg) && str_eq(got->app, want->app));
  cr_assert_eq(got->otel.has, 0, "readers serve, never hand, binary fields");
  cr_assert_eq(got->attr_count, n);
  for (uint32_t k = 0; k < n; k++) {
    cr_assert(str_eq(got->attrs[k].sdid, a[k].sdid), "attr %u", k);
    cr_assert(str_eq(got->attrs[k].name, a[k].name), "attr %u", k);
    cr_assert(str_eq(got->attrs[k].value, a[k].value), "attr %u: %.*s", k,
              (int)got->attrs[k].value.len, got->attrs[k].value.ptr);
  }
}

/* Read the block and compare every record; returns the layout. */
static unsigned read_check(const uint8_t *b, long len, uint32_t n) {
  struct stor_logblock_reader r;
  struct stor_log_rec got;
  struct core_syslog_attr attrs[CORE_SYSLOG_SD_ATTRS_MAX];

  cr_assert_gt(len, 0, "encode: %ld", len);
  cr_assert_eq(stor_logblock_reader_init(&r, &dec, b, (size_t)len), 0);
  for (uint32_t i = 0; i < n; i++) {
    cr_assert_eq(stor_logblock_next(&r, &got, attrs, CORE_SYSLOG_SD_ATTRS_MAX),
                 1, "record %u", i);
    check_served(&recs[i], &got);
  }
  cr_assert_eq(stor_logblock_next(&r, &got, attrs, CORE_SYSLOG_SD_ATTRS_MAX),
               0);
  return r.hdr.layout;
}

static long encode(uint32_t n) {
  return stor_logblock_encode(&enc, 3, 9, recs, n, out, OUT_CAP);
}

Test(logblock3, round_trip_every_field_and_position) {
  for (int round = 0; round < 40; round++) {
    uint32_t n = 1 + (uint32_t)(rnd() % NREC);
    use(round % 2 ? STOR_LOG_LAYOUT3 : STOR_LOG_LAYOUT4);
    gen(n, round % 4 < 2 ? 100 : 60);
    cr_assert_eq(read_check(out, encode(n), n), want);
  }
}

Test(logblock3, one_record_each_subset) {
  for (unsigned l = STOR_LOG_LAYOUT3; l <= STOR_LOG_LAYOUT4; l++)
    for (uint8_t has = 1; has <= STOR_LOTEL_ALL; has++)
      for (uint32_t at = 0; at <= 3; at++) {
        use(l);
        gen(1, 0);
        recs[0].attr_count = 3;
        recs[0].otel.has = has;
        recs[0].otel.at = (uint8_t)at;
        recs[0].otel.observed_ns = (uint64_t)recs[0].time_ns; /* equal */
        cr_assert_eq(read_check(out, encode(1), 1), want);
      }
}

Test(logblock3, without_binary_fields_layout1_as_before) {
  long a, b;

  gen(NREC, 0);
  a = encode(NREC);
  cr_assert_eq(read_check(out, a, NREC), 1);
  /* the same records through the layout-1 entry point: the same bytes */
  uint8_t *copy = malloc((size_t)a);
  cr_assert(copy);
  memcpy(copy, out, (size_t)a);
  b = stor_logblock_encode_v1(&enc, 3, 9, recs, NREC, out, OUT_CAP);
  cr_assert_eq(a, b);
  cr_assert_eq(memcmp(copy, out, (size_t)a), 0);
  free(copy);
}

Test(logblock3, served_text_bytes_count_as_before) {
  struct core_syslog_attr a[CORE_SYSLOG_SD_ATTRS_MAX];
  char t[STOR_LOTEL_TEXT_BYTES_MAX];

  gen(NREC, 100);
  for (uint32_t i = 0; i < NREC; i++) {
    struct stor_log_rec s = recs[i];
    size_t bin = stor_logblock_rec_text_bytes(&recs[i]);
    cr_assert_geq(stor_log_otel_serve(&s, a, CORE_SYSLOG_SD_ATTRS_MAX, t), 0);
    cr_assert_eq(stor_logblock_rec_text_bytes(&s), bin, "record %u", i);
  }
}

Test(logblock3, encoder_refuses_bad_fields) {
  gen(4, 0);
  recs[1].otel.has = 8;
  recs[1].otel.at = 0;
  cr_assert_eq(encode(4), -EINVAL);
  recs[1].otel.has = 1;
  recs[1].otel.at = (uint8_t)(recs[1].attr_count + 1);
  cr_assert_eq(encode(4), -EINVAL);
  recs[1].otel.at = 0;
  recs[1].attr_count = CORE_SYSLOG_SD_ATTRS_MAX;
  recs[1].otel.has = 1;
  cr_assert_eq(encode(4), -EINVAL); /* 65 served attributes */
  recs[1].attr_count = 0;
  cr_assert_gt(encode(4), 0);
  /* layout 2 has no OTLP column */
  cr_assert_eq(stor_logenc_set_layout(&enc, STOR_LOG_LAYOUT2), 0);
  cr_assert_eq(encode(4), -EINVAL);
}

Test(logblock3, reader_cap_too_small) {
  struct stor_logblock_reader r;
  struct stor_log_rec got;
  struct core_syslog_attr attrs[4];
  long len;

  gen(1, 0);
  recs[0].attr_count = 2;
  recs[0].otel.has = 7;
  len = encode(1);
  cr_assert_eq(stor_logblock_reader_init(&r, &dec, out, (size_t)len), 0);
  cr_assert_eq(stor_logblock_next(&r, &got, attrs, 4), -ENOSPC);
}

/* Rewrite the OTLP column of a one-record block (bytes after the string
 * table) and reseal: the reader must refuse it. */
static void hostile(const uint8_t *col, uint32_t o, int ok) {
  struct stor_logblock_hdr h;
  struct stor_logblock_reader r;
  struct stor_log_rec got;
  struct core_syslog_attr attrs[CORE_SYSLOG_SD_ATTRS_MAX];
  static uint8_t b[1 << 16];
  long len;
  uint32_t old;
  size_t at, z;
  int rc;

  gen(1, 0);
  recs[0].attr_count = 2;
  recs[0].otel.has = 7;
  len = encode(1);
  cr_assert_eq(stor_logblock_hdr_read(out, (size_t)len, &h), 0);
  at = 64 + h.dict_bytes;
  old = (uint32_t)out[at] | (uint32_t)out[at + 1] << 8;
  z = (size_t)len - at - 4 - old;
  memcpy(b, out, at);
  b[at] = (uint8_t)o;
  b[at + 1] = (uint8_t)(o >> 8);
  b[at + 2] = b[at + 3] = 0;
  memcpy(b + at + 4, col, o);
  memcpy(b + at + 4 + o, out + at + 4 + old, z);
  len = (long)(at + 4 + o + z);
  uint32_t payload = (uint32_t)len - 64;
  memcpy(b + 40, &payload, 4);
  stor_block_reseal(b, (size_t)len);
  rc = stor_logblock_reader_init(&r, &dec, b, (size_t)len);
  if (rc == 0) {
    rc = stor_logblock_next(&r, &got, attrs, CORE_SYSLOG_SD_ATTRS_MAX);
    if (rc == 1)
      rc = stor_logblock_next(&r, &got, attrs, CORE_SYSLOG_SD_ATTRS_MAX);
  }
  if (ok)
    cr_assert_eq(rc, 0);
  else
    cr_assert_lt(rc, 0, "column of %u bytes read", o);
}

static void hostile_columns(void);

Test(logblock3, hostile_column) {
  for (unsigned l = STOR_LOG_LAYOUT3; l <= STOR_LOG_LAYOUT4; l++) {
    use(l);
    hostile_columns();
  }
}

static void hostile_columns(void) {
  uint8_t c[64] = {0};

  hostile(c, 1, 1); /* no fields: a valid block */
  c[0] = 8;
  hostile(c, 2, 0); /* unknown bit */
  c[0] = 2;
  c[1] = 3;
  hostile(c, 18, 0); /* at past the two attributes */
  c[1] = 2;
  hostile(c, 18, 1); /* trace id at the end: fine */
  hostile(c, 17, 0); /* trace id cut short */
  hostile(c, 19, 0); /* a byte left over */
  c[0] = 1;
  c[2] = 0x80;
  hostile(c, 3, 0); /* observed varint cut */
  c[0] = 0;
  hostile(c, 0, 0); /* no entry for the record */
  c[0] = STOR_LOTEL_TRACE | STOR_LOTEL_TRACE_SAME;
  c[1] = 0;
  hostile(c, 2, 0); /* a repeat with no id before it */
  c[0] = STOR_LOTEL_SPAN_SAME;
  hostile(c, 2, 0); /* a repeat of an absent id */
}

/* Two records, the second's ids a repeat in the column: read back, and
 * the column is shorter by the 24 id bytes. */
static void repeated_ids(void);

Test(logblock3, repeated_ids_coded_once) {
  for (unsigned l = STOR_LOG_LAYOUT3; l <= STOR_LOG_LAYOUT4; l++) {
    use(l);
    repeated_ids();
  }
}

static void repeated_ids(void) {
  struct stor_logblock_hdr h;
  uint32_t with_new;
  long len;

  gen(2, 0);
  for (int i = 0; i < 2; i++) {
    recs[i].otel.has = STOR_LOTEL_TRACE | STOR_LOTEL_SPAN;
    recs[i].otel.at = 0;
    memset(recs[i].otel.trace_id, 0xab, 16);
    memset(recs[i].otel.span_id, 0xcd, 8);
  }
  len = encode(2);
  cr_assert_eq(read_check(out, len, 2), want);
  cr_assert_eq(stor_logblock_hdr_read(out, (size_t)len, &h), 0);
  cr_assert_eq(out[64 + h.dict_bytes], (2 + 24) + 2); /* O */
  recs[1].otel.trace_id[15] = 1;
  recs[1].otel.span_id[0] = 1;
  len = encode(2);
  cr_assert_eq(read_check(out, len, 2), want);
  cr_assert_eq(stor_logblock_hdr_read(out, (size_t)len, &h), 0);
  with_new = (uint32_t)out[64 + h.dict_bytes];
  cr_assert_eq(with_new, 2 * (2 + 24));
}

Test(logblock3, corruption_and_truncation_never_crash) {
  struct stor_logblock_reader r;
  struct stor_log_rec got;
  struct core_syslog_attr attrs[CORE_SYSLOG_SD_ATTRS_MAX];
  long len;

  for (unsigned l = STOR_LOG_LAYOUT3; l <= STOR_LOG_LAYOUT4; l++) {
    use(l);
    gen(40, 80);
    len = encode(40);
    cr_assert_gt(len, 0);
    for (long i = 0; i < len; i++) {
      out[i] ^= 0x41;
      if (stor_logblock_reader_init(&r, &dec, out, (size_t)len) == 0)
        while (stor_logblock_next(&r, &got, attrs,
                                  CORE_SYSLOG_SD_ATTRS_MAX) == 1)
          ;
      out[i] ^= 0x41;
    }
    for (long cut = 0; cut < len; cut += 7)
      cr_assert_neq(stor_logblock_reader_init(&r, &dec, out, (size_t)cut), 0);
  }
}

Test(logblock3, pack_reads_layout3_into_layout2) {
  static struct stor_logpack pk;
  long len, plen;
  uint8_t *packed = malloc(OUT_CAP);

  cr_assert(packed);
  gen(NREC, 70);
  cr_assert_eq(stor_logpack_init(&pk, NREC), 0);
  use(STOR_LOG_LAYOUT3); /* one block of each: both read by the pack */
  len = encode(NREC / 2);
  cr_assert_eq(stor_logpack_add_block(&pk, &dec, out, (size_t)len), 0);
  use(STOR_LOG_LAYOUT4);
  len = stor_logblock_encode(&enc, 3, 10, recs + NREC / 2, NREC - NREC / 2,
                             out, OUT_CAP);
  cr_assert_gt(len, 0);
  cr_assert_eq(stor_logpack_add_block(&pk, &dec, out, (size_t)len), 0);
  plen = stor_logpack_encode(&pk, 3, 10, packed, OUT_CAP);
  cr_assert_eq(read_check(packed, plen, NREC), STOR_LOG_LAYOUT2);
  /* a record with binary fields added directly is served, then packed */
  recs[0].otel.has = STOR_LOTEL_ALL;
  recs[0].otel.at = 0;
  cr_assert_eq(stor_logpack_add(&pk, &recs[0]), 0);
  plen = stor_logpack_encode(&pk, 3, 11, packed, OUT_CAP);
  cr_assert_eq(read_check(packed, plen, 1), STOR_LOG_LAYOUT2);
  stor_logpack_free(&pk);
  free(packed);
}

/* Times 1970 and 2260 in one block (hostile requests): layout 2's time
 * column holds gaps of 62 bits, so the pack writes such a block in layout
 * 1; before, it wrote a layout-2 block no reader could decode. */
Test(logblock3, layout2_too_wide_times_fall_back_to_layout1) {
  long len;

  gen(50, 0);
  recs[3].time_ns = 1;
  recs[9].time_ns = INT64_C(9182122459060574639);
  recs[20].time_ns = 7;
  cr_assert_eq(stor_logenc_set_layout(&enc, STOR_LOG_LAYOUT2), 0);
  len = encode(50);
  cr_assert_eq(read_check(out, len, 50), 1);
  recs[9].time_ns = INT64_C(1765000000000000000); /* back in range */
  len = encode(50);
  cr_assert_eq(read_check(out, len, 50), STOR_LOG_LAYOUT2);
}

Test(logblock3, dec_digits_against_printf) {
  char t[32];

  for (int i = 0; i < 200000; i++) {
    uint64_t v = rnd() >> (rnd() % 64);
    cr_assert_eq(stor_log_dec_digits(v),
                 (unsigned)snprintf(t, sizeof(t), "%" PRIu64, v), "%" PRIu64,
                 v);
  }
  for (uint64_t p = 1; p <= UINT64_C(10000000000000000000); p *= 10) {
    cr_assert_eq(stor_log_dec_digits(p),
                 (unsigned)snprintf(t, sizeof(t), "%" PRIu64, p));
    cr_assert_eq(stor_log_dec_digits(p - 1),
                 (unsigned)snprintf(t, sizeof(t), "%" PRIu64, p - 1));
    if (p == UINT64_C(10000000000000000000))
      break;
  }
  cr_assert_eq(stor_log_dec_digits(UINT64_MAX), 20);
}

/* Encode recs[0..n), check what reads back: the block's fields bytes. */
static uint32_t fields_bytes(uint32_t n) {
  struct stor_logblock_hdr h;
  long len = encode(n);

  cr_assert_eq(read_check(out, len, n), want);
  cr_assert_eq(stor_logblock_hdr_read(out, (size_t)len, &h), 0);
  return h.fields_bytes;
}

/* Records whose attribute keys are the last record's (by content: the
 * pointers differ) write them once: one bit instead of two refs an
 * attribute; a key that differs (sd id or name) writes them again. */
static uint32_t fields_with_keys(int vary) {
  size_t ai = 0;

  rng = 0x2545f4914f6cdd1du; /* both calls: the same records */
  gen(50, 100);
  for (uint32_t i = 0; i < 50; i++) {
    recs[i].attr_count = 5;
    recs[i].attrs = &attr_pool[ai];
    for (uint32_t k = 0; k < 5; k++)
      attr_pool[ai++] = (struct core_syslog_attr){
          .sdid = lit(vary && k == 0 && i % 2 ? "resource" : "attr"),
          .name = pstr("key%" PRIu64, vary && k == 4 && i % 4 == 2 ? 9 : k),
          .value = pstr("%" PRIu64, i % 7)};
    recs[i].otel.at = recs[i].otel.has ? (uint8_t)(i % 6) : 0;
  }
  return fields_bytes(50);
}

Test(logblock3, same_keys_written_once) {
  for (unsigned l = STOR_LOG_LAYOUT3; l <= STOR_LOG_LAYOUT4; l++) {
    use(l);
    uint32_t same = fields_with_keys(0), differ = fields_with_keys(1);

    cr_assert_eq(differ - same, 49 * 5 * 2, "same %u differ %u", same, differ);
  }
}

/* Keys at the same addresses as the last record's (what the OTLP mapping
 * hands): "same keys" without reading their bytes, and not "same" when
 * only a length differs (a prefix at the same address) or one address
 * differs with other bytes. The attributes' padding is garbage: it must
 * not decide. */
static uint32_t fields_shared_keys(int vary) {
  static const char keys[] = "attrresourcekey0key1key2key3key4";
  size_t ai = 0;

  rng = 0x2545f4914f6cdd1du;
  gen(50, 100);
  for (uint32_t i = 0; i < 50; i++) {
    recs[i].attr_count = 5;
    recs[i].attrs = &attr_pool[ai];
    for (uint32_t k = 0; k < 5; k++) {
      struct core_syslog_attr *a = &attr_pool[ai++];
      uint32_t odd = vary && i % 2;

      memset(a, (int)(rnd() | 1), sizeof(*a));
      a->sdid.ptr = keys;
      a->sdid.len = odd && k == 0 ? 3 : 4; /* "att": a prefix, same address */
      a->name.ptr = vary == 2 && odd && k == 4 ? keys + 4 : keys + 12 + 4 * k;
      a->name.len = 4;
      a->value = pstr("%" PRIu64, i % 7);
    }
    recs[i].otel.at = recs[i].otel.has ? (uint8_t)(i % 6) : 0;
  }
  return fields_bytes(50);
}

Test(logblock3, same_keys_by_address) {
  for (unsigned l = STOR_LOG_LAYOUT3; l <= STOR_LOG_LAYOUT4; l++) {
    use(l);
    uint32_t same = fields_shared_keys(0), len = fields_shared_keys(1),
             addr = fields_shared_keys(2);

    /* every record after the first varies from the one before it */
    cr_assert_eq(len - same, 49 * 5 * 2, "same %u len %u", same, len);
    cr_assert_eq(addr - same, 49 * 5 * 2, "same %u addr %u", same, addr);
  }
}

/* The same records in layouts 3 and 4: the same header words but the
 * layout and C, the same string table and OTLP column bytes (only the
 * stream's compression differs), and both read back. */
Test(logblock3, layout4_is_layout3_in_zstd) {
  struct stor_logblock_hdr h3, h4;
  long len3, len4;
  uint8_t *copy = malloc(OUT_CAP);

  cr_assert(copy);
  gen(NREC, 70);
  use(STOR_LOG_LAYOUT3);
  len3 = encode(NREC);
  cr_assert_eq(read_check(out, len3, NREC), STOR_LOG_LAYOUT3);
  memcpy(copy, out, (size_t)len3);
  use(STOR_LOG_LAYOUT4);
  len4 = encode(NREC);
  cr_assert_eq(read_check(out, len4, NREC), STOR_LOG_LAYOUT4);
  cr_assert_eq(stor_logblock_hdr_read(copy, (size_t)len3, &h3), 0);
  cr_assert_eq(stor_logblock_hdr_read(out, (size_t)len4, &h4), 0);
  cr_assert_eq(out[15] >> 4, STOR_LOG_LAYOUT4); /* the word at 12 */
  cr_assert_eq(copy[15] >> 4, STOR_LOG_LAYOUT3);
  cr_assert_eq(h4.text_bytes, h3.text_bytes);
  cr_assert_eq(h4.dict_count, h3.dict_count);
  cr_assert_eq(h4.dict_bytes, h3.dict_bytes);
  cr_assert_eq(h4.fields_bytes, h3.fields_bytes);
  uint32_t o;
  memcpy(&o, out + 64 + h4.dict_bytes, 4); /* O, little-endian */
  cr_assert_eq(memcmp(out + 64, copy + 64, h3.dict_bytes + 4 + o), 0);
  cr_assert_eq((size_t)len4, 64 + h4.dict_bytes + 4 + o + h4.ztext_bytes);
  cr_assert_eq(memcmp(out + len4 - h4.ztext_bytes, "\x28\xb5\x2f\xfd", 4),
               0, "a zstd frame");
  free(copy);
}

/* zstd compresses past deflate's 1032:1 (records repeating one long
 * message): the writer's own header check and the reader accept it. */
Test(logblock3, layout4_past_deflate_ratio) {
  static char big[4000];
  struct stor_logblock_hdr h;
  long len;

  memset(big, 'x', sizeof(big));
  gen(NREC, 100);
  for (uint32_t i = 0; i < NREC; i++) {
    recs[i].time_ns = recs[0].time_ns;
    recs[i].recv_ms = recs[0].recv_ms;
    recs[i].severity = 0;
    recs[i].attr_count = 0;
    recs[i].msg = (struct core_syslog_str){big, sizeof(big)};
    recs[i].otel.has |= STOR_LOTEL_SPAN;
    recs[i].otel.at = 0;
  }
  use(STOR_LOG_LAYOUT4);
  len = encode(NREC);
  cr_assert_eq(read_check(out, len, NREC), STOR_LOG_LAYOUT4);
  cr_assert_eq(stor_logblock_hdr_read(out, (size_t)len, &h), 0);
  cr_assert_gt(h.text_bytes, 1032u * h.ztext_bytes, "U %u C %u",
               h.text_bytes, h.ztext_bytes);
}

/* Layout 4's frame is what zstd writes at STOR_LOG4_ZLEVEL with hashLog
 * STOR_LOG4_HASH_LOG (not level 1's own table, 14 bits past 256 KiB of
 * stream), its header with the content size, from the encoder's static
 * context: a 2 MB stream of messages that repeat in part, so the table's
 * size shows in the bytes. */
Test(logblock3, layout4_frame_at_its_parameters) {
  static char text[NREC][4000];
  struct stor_logblock_hdr h;
  long len;

  for (uint32_t i = 0; i < NREC; i++)
    for (uint32_t k = 0; k < sizeof(text[i]); k++)
      text[i][k] = (char)('a' + (rnd() % 7 ? k % 13 : rnd() % 16));
  gen(NREC, 70);
  for (uint32_t i = 0; i < NREC; i++)
    recs[i].msg = (struct core_syslog_str){text[i], sizeof(text[i])};
  use(STOR_LOG_LAYOUT4);
  len = encode(NREC);
  cr_assert_eq(read_check(out, len, NREC), STOR_LOG_LAYOUT4);
  cr_assert_eq(stor_logblock_hdr_read(out, (size_t)len, &h), 0);
  cr_assert_gt(h.text_bytes, 2000000u);
  const uint8_t *frame = out + len - h.ztext_bytes;
  size_t cap = ZSTD_compressBound(h.text_bytes);
  uint8_t *u = malloc(h.text_bytes), *z = malloc(cap);
  ZSTD_CCtx *c = ZSTD_createCCtx();
  cr_assert(u && z && c);
  cr_assert_eq(ZSTD_decompress(u, h.text_bytes, frame, h.ztext_bytes),
               h.text_bytes);
  /* level 1's own parameters: other bytes */
  size_t n = ZSTD_compressCCtx(c, z, cap, u, h.text_bytes, 1);
  cr_assert(!ZSTD_isError(n));
  cr_assert(n != h.ztext_bytes || memcmp(z, frame, n) != 0);
  ZSTD_CCtx_reset(c, ZSTD_reset_session_and_parameters);
  ZSTD_CCtx_setParameter(c, ZSTD_c_compressionLevel, STOR_LOG4_ZLEVEL);
  ZSTD_CCtx_setParameter(c, ZSTD_c_hashLog, STOR_LOG4_HASH_LOG);
  n = ZSTD_compress2(c, z, cap, u, h.text_bytes);
  cr_assert_eq(n, h.ztext_bytes, "%zu vs %u", n, h.ztext_bytes);
  cr_assert_eq(memcmp(z, frame, n), 0);
  ZSTD_freeCCtx(c);
  free(u);
  free(z);
}
