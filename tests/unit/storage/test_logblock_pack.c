/*
 * tests/unit/storage/test_logblock_pack.c - what makes packing log records
 * cheap must not change what is stored: layout 2's key and value memos
 * (struct stor_lkmemo, stor_lvmemo) and the pack's shared keys decide by
 * bytes, so a block's bytes do not depend on where its strings lie, and
 * every record reads back as it went in; a pack's keys from one block are
 * never taken for another block's at the same decoder addresses.
 */
#include <criterion/criterion.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/base/limits.h"
#include "storage/logblock.h"
#include "storage/logblock_pack.h"
#include "tests/unit/test_util.h"

#define NREC 3000
#define NATTR 6
#define CAP (16u << 20)

static struct stor_logenc enc;
static struct stor_logdec dec;
static struct stor_logpack pack;
static uint8_t *a, *b;
static struct stor_log_rec recs[NREC];
static struct core_syslog_attr attrs[NREC * NATTR];
static char *pool;
static size_t pool_len;
static uint64_t rng = 0x243f6a8885a308d3u;
static struct core_syslog_str tab[1u << 16]; /* put's shared strings */

static uint64_t rnd(void) { return test_xorshift64(&rng); }

static void setup(void) {
  cr_assert_eq(stor_logenc_init(&enc, NREC), 0);
  cr_assert_eq(stor_logenc_set_layout(&enc, STOR_LOG_LAYOUT2), 0);
  stor_logenc_set_templates(&enc, 1);
  cr_assert_eq(stor_logenc_set_level(&enc, STOR_LOG2_ZLEVEL_PACK), 0);
  cr_assert_eq(stor_logdec_init(&dec), 0);
  cr_assert_eq(stor_logpack_init(&pack, 0), 0);
  a = malloc(CAP);
  b = malloc(CAP);
  pool = malloc(8u << 20);
  cr_assert(a && b && pool);
  pool_len = 0;
  memset(tab, 0, sizeof(tab));
}

static void teardown(void) {
  stor_logenc_free(&enc);
  stor_logdec_free(&dec);
  stor_logpack_free(&pack);
  free(a);
  free(b);
  free(pool);
}

TestSuite(logpack, .init = setup, .fini = teardown);

/* s at a new address (own = 1), or at the one address all its equal
 * strings share (an open-addressing table over the pool). */
static struct core_syslog_str put(const char *s, int own) {
  size_t n = strlen(s);
  uint32_t h = 2166136261u;
  char *p = pool + pool_len;

  for (size_t i = 0; !own && i < n; i++)
    h = (h ^ (uint8_t)s[i]) * 16777619u;
  for (h &= 0xffff; !own && tab[h].ptr; h = (h + 1) & 0xffff)
    if (tab[h].len == n && memcmp(tab[h].ptr, s, n) == 0)
      return tab[h];
  memcpy(p, s, n);
  pool_len += n;
  if (!own)
    tab[h] = (struct core_syslog_str){p, (uint32_t)n};
  return (struct core_syslog_str){p, (uint32_t)n};
}

/* A string of text, once in every few records a new one: words that
 * repeat, numbers (zero-led too), hex ids, a few bytes templates refuse. */
static const char *text(uint32_t i, uint32_t k, char *buf, size_t cap) {
  static const char *w[] = {"GET /api/v%u ok", "user u-%u", "id %08x%08x",
                            "%u", "0%u", "eu-west-%u", "\x01hold %u"};
  uint32_t v = (uint32_t)(rnd() % 4 ? i / 7 : rnd() % 100000);
  int n = snprintf(buf, cap, w[(k + i / 50) % 7], v, v * 2654435761u);

  cr_assert(n > 0 && (size_t)n < cap);
  return buf;
}

/* Records with many keys (past the string table's bound, so some are
 * inline) and values that repeat; own: every string at its own address,
 * else equal strings of a record share the literal or buffer. */
static void gen(int own, uint64_t seed) {
  static char keys[5000][8];
  char buf[NATTR + 1][64];

  rng = seed;
  for (uint32_t j = 0; j < 5000; j++)
    snprintf(keys[j], sizeof(keys[j]), "k%u", j);
  for (uint32_t i = 0, ai = 0; i < NREC; i++) {
    struct stor_log_rec *r = &recs[i];
    *r = (struct stor_log_rec){
        .time_ns = 1765000000000000000 + (int64_t)i * 1000000,
        .recv_ms = 1765000000000 + i / 10, .facility = 1, .severity = 6,
        .host = put(i % 100 ? "web-7" : "db-1", own),
        .app = put("checkout", own), .procid = put("", own),
        .msgid = put(i % 3 ? "" : "req", own),
        .msg = put(text(i, NATTR, buf[NATTR], 64), own),
        .attr_count = (uint32_t)(i % 11 == 0 ? NATTR - 2 : NATTR),
        .attrs = &attrs[ai]};
    for (uint32_t k = 0; k < r->attr_count; k++)
      attrs[ai++] = (struct core_syslog_attr){
          .sdid = put(k % 2 ? "attr" : "otel", own),
          .name = put(keys[(k == 3 ? i : k) % 5000], own),
          .value = put(text(i, k, buf[k], 64), own)};
  }
}

#define S(s) (int)(s).len, (s).len ? (s).ptr : "" /* for "%.*s" */

/* Record r's fields, printed one after another (a compare of bytes). */
static size_t dump(const struct stor_log_rec *r, char *o, size_t cap) {
  const struct core_syslog_str *f[] = {&r->host, &r->app, &r->procid,
                                       &r->msgid, &r->msg};
  int n = snprintf(o, cap, "%lld %lld %u %u %u %u|", (long long)r->time_ns,
                   (long long)r->recv_ms, r->facility, r->severity, r->flags,
                   r->attr_count);
  size_t at = (size_t)n;

  for (int i = 0; i < 5; i++)
    at += (size_t)snprintf(o + at, cap - at, "%.*s|", S(*f[i]));
  for (uint32_t i = 0; i < r->attr_count; i++)
    at += (size_t)snprintf(o + at, cap - at, "%.*s.%.*s=%.*s|",
                           S(r->attrs[i].sdid), S(r->attrs[i].name),
                           S(r->attrs[i].value));
  cr_assert_lt(at, cap);
  return at;
}

/* Block blk reads back as recs[0..n). */
static void check(const uint8_t *blk, long len, uint32_t n) {
  struct stor_logblock_reader rd;
  struct core_syslog_attr got_attrs[CORE_SYSLOG_SD_ATTRS_MAX];
  struct stor_log_rec got;
  static char x[8192], y[8192];
  uint32_t i = 0;
  int rc;

  cr_assert_eq(stor_logblock_reader_init(&rd, &dec, blk, (size_t)len), 0);
  while ((rc = stor_logblock_next(&rd, &got, got_attrs,
                                  CORE_SYSLOG_SD_ATTRS_MAX)) == 1) {
    cr_assert_lt(i, n);
    size_t nx = dump(&recs[i++], x, sizeof(x)), ny = dump(&got, y, sizeof(y));
    cr_assert(nx == ny && memcmp(x, y, nx) == 0, "record %u: %s != %s",
              i - 1, x, y);
  }
  cr_assert_eq(rc, 0);
  cr_assert_eq(i, n);
}

Test(logpack, bytes_do_not_depend_on_addresses) {
  long na, nb, np;

  gen(1, 7);
  na = stor_logblock_encode(&enc, 1, 9, recs, NREC, a, CAP);
  cr_assert_gt(na, 0);
  check(a, na, NREC);
  gen(0, 7);
  nb = stor_logblock_encode(&enc, 1, 9, recs, NREC, b, CAP);
  cr_assert_eq(nb, na);
  cr_assert(memcmp(a, b, (size_t)na) == 0, "shared addresses changed bytes");
  for (uint32_t i = 0; i < NREC; i++)
    cr_assert_eq(stor_logpack_add(&pack, &recs[i]), 0);
  np = stor_logpack_encode(&pack, 1, 9, b, CAP);
  cr_assert_eq(np, na);
  cr_assert(memcmp(a, b, (size_t)np) == 0, "the pack changed bytes");
}

/* Two blocks alike but for their sd ids ("otel" then "xtel"): the
 * decoder puts the second's keys where the first's were. */
Test(logpack, keys_of_another_block_are_not_taken) {
  const uint32_t h = NREC / 2;
  long n1, n2, np;
  uint8_t *c = malloc(CAP);

  cr_assert(c);
  gen(1, 11);
  n1 = stor_logblock_encode(&enc, 1, 1, recs, h, a, CAP);
  cr_assert_gt(n1, 0);
  for (uint32_t i = 0; i < h; i++) {
    struct core_syslog_attr *x = &attrs[(h + i) * NATTR];
    recs[h + i] = recs[i];
    recs[h + i].attrs = x;
    for (uint32_t k = 0; k < recs[i].attr_count; k++) {
      x[k] = recs[i].attrs[k];
      x[k].sdid = put(k % 2 ? "xttr" : "xtel", 1);
    }
  }
  n2 = stor_logblock_encode(&enc, 1, 2, recs + h, h, b, CAP);
  cr_assert_eq(n2, n1); /* the same layout: only key bytes differ */
  cr_assert_eq(stor_logpack_add_block(&pack, &dec, a, (size_t)n1), 0);
  cr_assert_eq(stor_logpack_add_block(&pack, &dec, b, (size_t)n2), 0);
  np = stor_logpack_encode(&pack, 1, 3, c, CAP);
  cr_assert_gt(np, 0);
  check(c, np, 2 * h);
  free(c);
}

/* Blocks 1 and 2 (of 1000 records each) into a pack of 1500: block 2 does
 * not fit, what was read of it waits past the pack's end; after the
 * encode it goes on, and the pack is as one that block 2 went into
 * whole. Then the same with block 3 added instead: block 2's records read
 * so far are dropped, a block goes whole into one pack. */
Test(logpack, a_block_that_did_not_fit_goes_on_after_the_encode) {
  static uint8_t blk[3][1u << 20];
  long n[3], np, nq;
  uint8_t *c = malloc(CAP);
  struct stor_logpack fresh;

  cr_assert(c);
  gen(1, 13);
  for (int i = 0; i < 3; i++) {
    n[i] = stor_logblock_encode(&enc, 1, (uint64_t)i + 1, recs + 1000 * i,
                                1000, blk[i], sizeof(blk[i]));
    cr_assert_gt(n[i], 0);
  }
  stor_logpack_free(&pack);
  cr_assert_eq(stor_logpack_init(&pack, 1500), 0);
  cr_assert_eq(stor_logpack_init(&fresh, 1500), 0);
  for (int pass = 0; pass < 2; pass++) {
    int next = pass == 0 ? 1 : 2; /* the block added after the encode */
    cr_assert_eq(stor_logpack_add_block(&pack, &dec, blk[0], (size_t)n[0]), 0);
    cr_assert_eq(stor_logpack_add_block(&pack, &dec, blk[1], (size_t)n[1]),
                 -ENOSPC);
    np = stor_logpack_encode(&pack, 1, 9, c, CAP); /* dec unused till: */
    cr_assert_eq(stor_logpack_add_block(&pack, &dec, blk[next],
                                        (size_t)n[next]), 0);
    check(c, np, 1000);
    np = stor_logpack_encode(&pack, 1, 9, a, CAP);
    cr_assert_eq(stor_logpack_add_block(&fresh, &dec, blk[next],
                                        (size_t)n[next]), 0);
    nq = stor_logpack_encode(&fresh, 1, 9, c, CAP);
    cr_assert(np == nq && memcmp(a, c, (size_t)np) == 0);
    memmove(recs, recs + 1000 * next, 1000 * sizeof(*recs));
    check(a, np, 1000);
    gen(1, 13);
  }
  stor_logpack_free(&fresh);
  free(c);
}
