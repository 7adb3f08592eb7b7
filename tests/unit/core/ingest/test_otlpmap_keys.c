/*
 * tests/unit/core/ingest/test_otlpmap_keys.c - the OTLP log mapping's
 * keys_prev hint (storage/logblock_types.h): set only when a record's sd
 * ids and names equal the head's previous record's, and the blocks
 * encoded with the hints the bytes encoded without them.
 */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../parse/otlp_wr.h"
#include "core/ingest/loghead.h"
#include "core/ingest/otlpmap.h"
#include "core/ingest/pipe.h"
#include "storage/logblock.h"

static struct core_ingest_stats st;
static struct core_pipe p;
static struct core_otlp_result res;
static const int64_t NOW = 1700000000123;

static void setup(void) {
  memset(&st, 0, sizeof(st));
  cr_assert_eq(core_pipe_init(&p, &st, 1000, 256, NULL, NULL), 0);
  cr_assert_eq(core_pipe_logs_init(&p, 65536, NULL, NULL), 0);
}
static void teardown(void) { core_pipe_free(&p); }

TestSuite(otlpmap_keys, .init = setup, .fini = teardown);

/* A record: attributes "k=v;k=v" (a value "#5": the int 5), an optional
 * severity text. */
static void record(struct wr *sl, uint32_t i, const char *kvs,
                   const char *sevtext) {
  struct wr lr = {.n = 0}, body = {.n = 0};
  char buf[256], *save = NULL;

  wr_f64(&lr, 1, UINT64_C(1765000000000000000) + i);
  wr_u(&lr, 2, 9);
  if (sevtext)
    wr_str(&lr, 3, sevtext);
  snprintf(buf, sizeof(buf), "m%u", i);
  wr_str(&body, 1, buf);
  wr_msg(&lr, 5, &body);
  snprintf(buf, sizeof(buf), "%s", kvs);
  for (char *t = strtok_r(buf, ";", &save); t; t = strtok_r(NULL, ";", &save)) {
    char *eq = strchr(t, '=');
    cr_assert_not_null(eq);
    *eq = 0;
    if (eq[1] == '#') {
      struct wr any = {.n = 0}, kv = {.n = 0};
      wr_u(&any, 3, (uint64_t)atoi(eq + 2));
      wr_str(&kv, 1, t);
      wr_msg(&kv, 2, &any);
      wr_msg(&lr, 6, &kv);
    } else {
      wr_kv_str(&lr, 6, t, eq + 1);
    }
  }
  wr_msg(sl, 2, &lr);
}

/* A ResourceLogs of resource attributes res ("k=v;...", string values)
 * and the scope's records in sl. */
static void resource_logs(struct wr *req, const char *res_kv,
                          const struct wr *sl) {
  struct wr rl = {.n = 0}, rs = {.n = 0};
  char buf[256], *save = NULL;

  snprintf(buf, sizeof(buf), "%s", res_kv);
  for (char *t = strtok_r(buf, ";", &save); t; t = strtok_r(NULL, ";", &save)) {
    char *eq = strchr(t, '=');
    cr_assert_not_null(eq);
    *eq = 0;
    wr_kv_str(&rs, 1, t, eq + 1);
  }
  wr_msg(&rl, 1, &rs);
  wr_msg(&rl, 2, sl);
  wr_msg(req, 1, &rl);
}

/* 1 when head records i - 1 and i have the same sd ids and names. */
static int keys_equal(const struct core_loghead *h, uint32_t i) {
  const struct stor_log_rec *a = &h->recs[i - 1], *b = &h->recs[i];

  if (a->attr_count != b->attr_count)
    return 0;
  for (uint32_t k = 0; k < a->attr_count; k++) {
    const struct core_syslog_attr *x = &a->attrs[k], *y = &b->attrs[k];
    if (x->sdid.len != y->sdid.len || x->name.len != y->name.len ||
        memcmp(x->sdid.ptr, y->sdid.ptr, x->sdid.len) != 0 ||
        memcmp(x->name.ptr, y->name.ptr, x->name.len) != 0)
      return 0;
  }
  return 1;
}

static void send(const struct wr *req, uint32_t accepted) {
  cr_assert_eq(core_pipe_otlp(&p, CORE_OTLP_LOGS, CORE_OTLP_ENC_PROTO, req->b,
                              req->n, NOW, &res), 0, "%s", res.why);
  cr_assert_eq(res.accepted, accepted);
}

/* The head's records encoded as they are and with every hint cleared:
 * the same bytes. Returns how many hints were set. */
static uint32_t same_blocks(void) {
  static struct stor_log_rec plain[64];
  struct core_loghead *h = &p.loghead;
  struct stor_logenc enc;
  size_t cap = 4u << 20;
  uint8_t *a = malloc(cap), *b = malloc(cap);
  uint32_t hints = 0;
  long na, nb;

  cr_assert(a && b && h->count <= 64);
  cr_assert_eq(stor_logenc_init(&enc, 64), 0);
  for (uint32_t i = 0; i < h->count; i++) {
    plain[i] = h->recs[i];
    hints += plain[i].keys_prev;
    plain[i].keys_prev = 0;
  }
  na = stor_logblock_encode(&enc, 0, 1, h->recs, h->count, a, cap);
  nb = stor_logblock_encode(&enc, 0, 1, plain, h->count, b, cap);
  cr_assert_gt(na, 0);
  cr_assert_eq(na, nb);
  cr_assert_eq(memcmp(a, b, (size_t)na), 0, "a hint changed the block");
  stor_logenc_free(&enc);
  free(a);
  free(b);
  return hints;
}

Test(otlpmap_keys, hint_only_where_the_keys_are_the_last_records) {
  static struct wr req, sl1, sl2;
  /* want: the hint each record must get */
  static const struct {
    const char *kv, *sevtext;
    int want;
  } r1[] = {
      {"user=a;region=eu", NULL, 0},  /* the request's first */
      {"user=b;region=us", NULL, 1},  /* values differ, keys equal */
      {"user=b;regioN=us", NULL, 0},  /* a key differs in one byte */
      {"user=b;regioN=us", NULL, 1},
      {"user=b;region=#5", NULL, 0},  /* an int value: the other path */
      {"user=c;region=#6", NULL, 1},
      {"user=c;region=#6", "INFO", 0}, /* one more otel field */
      {"user=c;region=#6", "WARN", 1},
      {"user=c;region=#6;x=1", "WARN", 0}, /* one more attribute */
      {"user=c;region=#6", "WARN", 0},
      {"user=c", "WARN", 0},
      {"user=c", "WARN", 1},
  };
  uint32_t n1 = sizeof(r1) / sizeof(r1[0]);
  const struct core_loghead *h = &p.loghead;

  req.n = sl1.n = sl2.n = 0;
  for (uint32_t i = 0; i < n1; i++)
    record(&sl1, i, r1[i].kv, r1[i].sevtext);
  /* then a resource whose key is the last record's attribute key: the
   * names are the same ("user" at 1), their sd ids not (attr, resource) */
  record(&sl2, 100, "", "WARN");
  record(&sl2, 101, "", "WARN");
  resource_logs(&req, "", &sl1);
  resource_logs(&req, "user=c", &sl2);
  send(&req, n1 + 2);
  cr_assert_eq(h->count, n1 + 2);
  for (uint32_t i = 0; i < n1; i++)
    cr_assert_eq(h->recs[i].keys_prev, r1[i].want, "record %u", i);
  cr_assert_eq(h->recs[n1].keys_prev, 0, "attr.user then resource.user");
  cr_assert_eq(h->recs[n1 + 1].keys_prev, 1, "resource keys referenced");
  for (uint32_t i = 1; i < h->count; i++)
    cr_assert(!h->recs[i].keys_prev || keys_equal(h, i), "record %u", i);
  cr_assert_eq(same_blocks(), 6);
  /* a next request's first record: the encoder compares */
  send(&req, n1 + 2);
  cr_assert_eq(h->recs[n1 + 2].keys_prev, 0);
  cr_assert_eq(h->recs[n1 + 3].keys_prev, 1);
}

/* A resource's keys written again (another ResourceLogs with the same
 * key) are equal by bytes: the hint holds, and the block is the same. */
Test(otlpmap_keys, resources_written_again) {
  static struct wr req, sl1, sl2, sl3;
  const struct core_loghead *h = &p.loghead;

  req.n = sl1.n = sl2.n = sl3.n = 0;
  record(&sl1, 0, "k=1", NULL);
  record(&sl1, 1, "k=2", NULL);
  record(&sl2, 2, "k=3", NULL);
  record(&sl2, 3, "k=4", NULL);
  record(&sl3, 4, "k=5", NULL);
  resource_logs(&req, "service.name=a;zone=z", &sl1);
  resource_logs(&req, "service.name=b;zone=z", &sl2);
  resource_logs(&req, "service.name=b;zonE=z", &sl3);
  send(&req, 5);
  cr_assert_eq(h->recs[1].keys_prev, 1);
  cr_assert_eq(h->recs[2].keys_prev, 1, "keys written again, equal");
  cr_assert_eq(h->recs[3].keys_prev, 1);
  cr_assert_eq(h->recs[4].keys_prev, 0, "a resource key differs");
  cr_assert_eq(same_blocks(), 3);
}

/* Records read back carry no hint, whatever the caller's struct held. */
Test(otlpmap_keys, reader_returns_no_hint) {
  static struct wr req, sl;
  struct stor_logenc enc;
  struct stor_logdec dec;
  struct stor_logblock_reader rd;
  struct stor_log_rec got;
  struct core_syslog_attr attrs[CORE_SYSLOG_SD_ATTRS_MAX];
  size_t cap = 1u << 20;
  uint8_t *blk = malloc(cap);
  long n;
  int rc, seen = 0;

  req.n = sl.n = 0;
  record(&sl, 0, "k=1", NULL);
  record(&sl, 1, "k=2", NULL);
  resource_logs(&req, "", &sl);
  send(&req, 2);
  cr_assert_eq(p.loghead.recs[1].keys_prev, 1);
  cr_assert_eq(stor_logenc_init(&enc, 64), 0);
  cr_assert_eq(stor_logdec_init(&dec), 0);
  n = stor_logblock_encode(&enc, 0, 1, p.loghead.recs, p.loghead.count, blk,
                           cap);
  cr_assert_gt(n, 0);
  cr_assert_eq(stor_logblock_reader_init(&rd, &dec, blk, (size_t)n), 0);
  for (;;) {
    memset(&got, 0xff, sizeof(got));
    if ((rc = stor_logblock_next(&rd, &got, attrs,
                                 CORE_SYSLOG_SD_ATTRS_MAX)) != 1)
      break;
    cr_assert_eq(got.keys_prev, 0);
    seen++;
  }
  cr_assert_eq(rc, 0);
  cr_assert_eq(seen, 2);
  stor_logenc_free(&enc);
  stor_logdec_free(&dec);
  free(blk);
}

/* Two resources in one request: each record stores its own resource's
 * attributes (the decoder hands every resource at one address: the
 * mapping's resource strings are told apart by where the first
 * attribute sits, as the metrics' resource labels are). */
Test(otlpmap_keys, second_resource_of_a_request_is_its_own) {
  static struct wr req, sl1, sl2;
  const struct core_loghead *h = &p.loghead;
  const struct stor_log_rec *r;

  req.n = sl1.n = sl2.n = 0;
  record(&sl1, 0, "k=1", NULL);
  record(&sl1, 1, "k=2", NULL);
  record(&sl2, 2, "k=3", NULL);
  record(&sl2, 3, "k=4", NULL);
  resource_logs(&req, "service.name=a;zone=z", &sl1);
  resource_logs(&req, "service.name=b;zonE=y", &sl2);
  send(&req, 4);
  for (uint32_t i = 0; i < 4; i++) {
    r = &h->recs[i];
    cr_assert_eq(r->attr_count, 4);
    cr_assert_eq(r->app.len, 1);
    cr_assert_eq(r->app.ptr[0], i < 2 ? 'a' : 'b', "record %u", i);
    cr_assert_eq(memcmp(r->attrs[3].name.ptr, i < 2 ? "zone" : "zonE", 4), 0,
                 "record %u", i);
    cr_assert_eq(r->attrs[3].value.ptr[0], i < 2 ? 'z' : 'y', "record %u", i);
  }
  cr_assert_eq(h->recs[1].keys_prev, 1);
  cr_assert_eq(h->recs[2].keys_prev, 0);
  cr_assert_eq(h->recs[3].keys_prev, 1);
  cr_assert_eq(same_blocks(), 2);
}
