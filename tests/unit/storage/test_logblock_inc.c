/*
 * tests/unit/storage/test_logblock_inc.c - log blocks built record by
 * record (stor_logenc_open/_add/_mark/_rewind/_finish): for the same
 * records, the block stor_logblock_encode_v1 writes (logenc_same.h:
 * byte for byte in layout 4). The
 * records are made as the OTLP mapping makes them (a request's resource
 * strings shared by address, values repeated by address or only by
 * bytes, keys as the last record's), in requests kept or rewound at
 * random; the bytes of a rewound request are written over by the next
 * one (same addresses, other content: the address caches must not
 * answer for them). Also: finishing twice, layout 1 (no OTLP fields),
 * -EAGAIN for a first OTLP record in a layout-1 block, the bounds.
 */
#include <criterion/criterion.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/base/limits.h"
#include "storage/block.h"
#include "storage/logblock.h"
#include "tests/unit/test_util.h"
#include "tests/unit/storage/logenc_same.h"

#define NREC 600
#define OUT_CAP (16u << 20)

static struct stor_logenc inc, ref;
static struct stor_logdec dec;
static uint8_t *out_inc, *out_ref;
static struct stor_log_rec recs[NREC + 64];
static struct core_syslog_attr
    attr_pool[(NREC + 64) * CORE_SYSLOG_SD_ATTRS_MAX];
static char pool[8u << 20];
static size_t pool_len, attrs_used;
static uint64_t rng;

static uint64_t rnd(void) { return test_xorshift64(&rng); }

static void setup(void) {
  cr_assert_eq(stor_logenc_init(&inc, NREC), 0);
  cr_assert_eq(stor_logenc_init(&ref, NREC), 0);
  cr_assert_eq(stor_logdec_init(&dec), 0);
  out_inc = malloc(OUT_CAP);
  out_ref = malloc(OUT_CAP);
  cr_assert(out_inc && out_ref);
  rng = 0x2545f4914f6cdd1du;
}

static void teardown(void) {
  stor_logenc_free(&inc);
  stor_logenc_free(&ref);
  stor_logdec_free(&dec);
  free(out_inc);
  free(out_ref);
}

TestSuite(logblock_inc, .init = setup, .fini = teardown);

/* A copy of a vocabulary word (k of few: equal bytes, new address). */
static struct core_syslog_str word(const char *prefix, uint64_t k) {
  char *p = pool + pool_len;
  int n = snprintf(p, sizeof(pool) - pool_len, "%s-%llu", prefix,
                   (unsigned long long)k);

  cr_assert(n > 0 && (size_t)n < sizeof(pool) - pool_len);
  pool_len += (size_t)n;
  return (struct core_syslog_str){p, (uint32_t)n};
}

static const struct core_syslog_str sd_attr = {"attr", 4},
                                    sd_res = {"resource", 8},
                                    no_str = {NULL, 0};

/* A request's resource: its attributes, shared by address. */
struct res {
  struct core_syslog_attr a[8];
  uint32_t n;
  struct core_syslog_str host, app;
};

static void gen_res(struct res *r, uint64_t salt) {
  r->n = (uint32_t)(rnd() % 6);
  for (uint32_t i = 0; i < r->n; i++)
    r->a[i] = (struct core_syslog_attr){sd_res, word("rk", i),
                                        word("rv", (salt + i) % 3)};
  r->host = rnd() % 4 ? word("host", salt % 2) : no_str;
  r->app = word("app", salt % 3);
}

/* Record i of a request, the last record (prev) given: as the OTLP
 * mapping makes them. otel: 0 none, 1 some, 2 all records. */
static void gen_rec(struct stor_log_rec *r, const struct stor_log_rec *prev,
                    const struct res *res, int64_t t0, int otel) {
  struct core_syslog_attr *a = &attr_pool[attrs_used];
  uint32_t n = (uint32_t)(rnd() % 7), k = 0;

  *r = (struct stor_log_rec){
      .time_ns = t0 + (int64_t)(rnd() % 5) * (rnd() % 2 ? 1000 : 1000000) -
                 (rnd() % 16 == 0 ? 7 : 0),
      .recv_ms = t0 / 1000000 + (int64_t)(rnd() % 3),
      .facility = 1, .severity = (uint8_t)(rnd() % 8),
      .flags = (uint32_t)(rnd() % 3),
      .host = res->host, .app = res->app,
      .procid = rnd() % 8 ? no_str : word("pid", rnd() % 2),
      .msgid = rnd() % 8 ? no_str : word("msgid", 1),
      .msg = rnd() % 16 ? word("message body", rnd() % 50) : no_str};
  for (uint32_t i = 0; i < n; i++, k++) {
    const struct core_syslog_attr *p =
        prev && k < prev->attr_count ? &prev->attrs[k] : NULL;
    struct core_syslog_str name = p && rnd() % 8 ? p->name : word("key", i);
    struct core_syslog_str v;
    uint64_t c = rnd() % 8;

    if (p && c < 4 && p->value.len) /* the last record's, by address */
      v = p->value;
    else if (c < 5)
      v = no_str;
    else
      v = word("val", rnd() % 4); /* equal bytes, another address */
    a[k] = (struct core_syslog_attr){sd_attr, name, v};
  }
  for (uint32_t i = 0; i < res->n; i++)
    a[k++] = res->a[i];
  r->attrs = a;
  r->attr_count = k;
  attrs_used += k;
  if (otel == 2 || (otel == 1 && rnd() % 3 == 0)) {
    r->otel.has = (uint8_t)(1 + rnd() % 7);
    r->otel.at = (uint8_t)(rnd() % (k + 1));
    r->otel.observed_ns = (uint64_t)r->time_ns + rnd() % 100;
    memset(r->otel.trace_id, (int)(rnd() % 2), 16);
    memset(r->otel.span_id, (int)(rnd() % 3), 8);
  }
}

/* Both encoders agree on recs[0..n) (logenc_same.h: layout 4 byte for
 * byte; layouts 1 and 3 the stream before deflate, table, OTLP column
 * and header), and inc finishes the same block twice. */
static void same_block(uint32_t n, uint64_t seq) {
  long a, b, c;

  b = stor_logblock_encode_v1(&ref, 3, seq, recs, n, out_ref, OUT_CAP);
  a = stor_logenc_finish(&inc, 3, seq, out_inc, OUT_CAP);
  cr_assert_gt(b, 0, "reference: %ld", b);
  cr_assert(logenc_same_block(&ref, out_ref, b, &inc, out_inc, a),
            "sizes %ld vs %ld (n %u)", a, b, n);
  c = stor_logenc_finish(&inc, 3, seq, out_inc, OUT_CAP);
  cr_assert(logenc_same_block(&ref, out_ref, b, &inc, out_inc, c));
}

/*
 * Blocks of requests, each kept or rewound; the block sealed at random
 * or when full. A rewound request's records, strings and attributes are
 * dropped and their memory written again by the next request.
 */
static void run(int otel, unsigned blocks) {
  struct stor_logmark *m = malloc(sizeof(*m));
  int64_t t = 1765000000000000000;

  cr_assert(m);
  for (unsigned b = 0; b < blocks; b++) {
    uint32_t n = 0;
    int opened = 0;

    pool_len = attrs_used = 0;
    for (;;) {
      uint32_t k = 1 + (uint32_t)(rnd() % 40), n0 = n;
      size_t p0 = pool_len, a0 = attrs_used;
      struct res res;
      int drop = rnd() % 4 == 0;

      if (n + k > NREC)
        break;
      gen_res(&res, rnd());
      for (uint32_t i = 0; i < k; i++) {
        gen_rec(&recs[n], i ? &recs[n - 1] : NULL, &res, t, otel);
        t += (int64_t)(rnd() % 3) * 1000000;
        if (!opened) {
          stor_logenc_open(&inc, recs[n].otel.has != 0);
          opened = 1;
        }
        if (i == 0)
          stor_logenc_mark(&inc, m);
        int rc = stor_logenc_add(&inc, &recs[n]);
        if (rc == -EAGAIN) { /* a layout-1 block met an OTLP record */
          cr_assert(otel == 1 && recs[n].otel.has);
          drop = 1;
          break;
        }
        cr_assert_eq(rc, 0);
        n++;
      }
      if (drop) {
        stor_logenc_rewind(&inc, m);
        n = n0;
        pool_len = p0;
        attrs_used = a0;
      }
      cr_assert_eq(stor_logenc_count(&inc), n);
      if (rnd() % 8 == 0)
        break;
    }
    if (n == 0)
      continue;
    same_block(n, b + 1);
  }
  free(m);
}

Test(logblock_inc, otlp_records_same_bytes) { run(2, 60); }

Test(logblock_inc, syslog_records_same_bytes) { run(0, 60); }

Test(logblock_inc, mixed_records_same_bytes) { run(1, 60); }

/* A block that decodes: the records come back (the reader's checks). */
Test(logblock_inc, decodes) {
  struct stor_logblock_reader rd;
  struct stor_log_rec r;
  struct core_syslog_attr a[CORE_SYSLOG_SD_ATTRS_MAX + 3];
  struct res res;
  uint32_t got = 0;
  long len;

  gen_res(&res, 1);
  for (uint32_t i = 0; i < 100; i++)
    gen_rec(&recs[i], i ? &recs[i - 1] : NULL, &res,
            1765000000000000000 + i, 2);
  stor_logenc_open(&inc, 1);
  for (uint32_t i = 0; i < 100; i++)
    cr_assert_eq(stor_logenc_add(&inc, &recs[i]), 0);
  len = stor_logenc_finish(&inc, 0, 1, out_inc, OUT_CAP);
  cr_assert_gt(len, 0);
  cr_assert_eq(stor_logblock_reader_init(&rd, &dec, out_inc, (size_t)len), 0);
  while (stor_logblock_next(&rd, &r, a, CORE_SYSLOG_SD_ATTRS_MAX + 3) == 1) {
    cr_assert_eq(r.time_ns, recs[got].time_ns);
    cr_assert_eq(r.recv_ms, recs[got].recv_ms);
    got++;
  }
  cr_assert_eq(got, 100);
}

/* What the encoder refuses, it refuses as stor_logblock_encode_v1 does;
 * the block is closed after (finish refuses it). */
Test(logblock_inc, bounds) {
  struct stor_log_rec r = {.time_ns = 1, .facility = 1, .msg = {"m", 1}};
  struct stor_log_rec bad = r;

  cr_assert_eq(stor_logenc_finish(&inc, 0, 1, out_inc, OUT_CAP), -EINVAL);
  stor_logenc_open(&inc, 0);
  cr_assert_eq(stor_logenc_finish(&inc, 0, 1, out_inc, OUT_CAP), -EINVAL);
  cr_assert_eq(stor_logenc_add(&inc, &r), 0);
  cr_assert_eq(stor_logenc_finish(&inc, 0, 0, out_inc, OUT_CAP), -EINVAL);
  bad.severity = 8;
  cr_assert_eq(stor_logenc_add(&inc, &bad), -EINVAL);
  cr_assert_eq(stor_logblock_encode_v1(&ref, 0, 1, &bad, 1, out_ref, OUT_CAP),
               -EINVAL);
  cr_assert_eq(stor_logenc_add(&inc, &r), -EINVAL);
  cr_assert_eq(stor_logenc_count(&inc), 0);
  /* records_max */
  stor_logenc_open(&inc, 0);
  for (uint32_t i = 0; i < NREC; i++)
    cr_assert_eq(stor_logenc_add(&inc, &r), 0);
  cr_assert_eq(stor_logenc_add(&inc, &r), -E2BIG);
  cr_assert_eq(stor_logenc_finish(&inc, 0, 1, out_inc, OUT_CAP), -EINVAL);
  /* too small a buffer, then room: the same block */
  stor_logenc_open(&inc, 0);
  cr_assert_eq(stor_logenc_add(&inc, &r), 0);
  cr_assert_eq(stor_logenc_finish(&inc, 0, 1, out_inc, 70), -ENOSPC);
  recs[0] = r;
  same_block(1, 1);
  /* a whole-block encode in between takes the columns: closed */
  cr_assert_gt(stor_logblock_encode_v1(&inc, 0, 1, recs, 1, out_inc, OUT_CAP),
               0);
  cr_assert_eq(stor_logenc_finish(&inc, 0, 1, out_inc, OUT_CAP), -EINVAL);
}
