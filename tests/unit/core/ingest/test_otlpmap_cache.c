/*
 * tests/unit/core/ingest/test_otlpmap_cache.c - the OTLP mapping's series
 * id cache (core/ingest/otlpmap_cache.c) and the staging of a metrics
 * request (decoded once, committed when whole; decoded twice past a
 * staging bound): every point must land on the series the slow way gives,
 * whatever the cache holds.
 */
#include <criterion/criterion.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "../parse/otlp_wr.h"
#include "core/ingest/head.h"
#include "core/ingest/loghead.h"
#include "core/ingest/otlpmap.h"
#include "core/ingest/otlpmap_cache.h"
#include "core/ingest/pipe.h"
#include "core/ingest/series.h"
#include "storage/block_types.h"

static struct core_ingest_stats st;
static struct core_pipe p;
static struct core_otlp_result res;
static const int64_t NOW = 1700000000123;

static void setup(void) {
  memset(&st, 0, sizeof(st));
  cr_assert_eq(core_pipe_init(&p, &st, 200000, 256, NULL, NULL), 0);
}
static void teardown(void) { core_pipe_free(&p); }

TestSuite(otlpmap_cache, .init = setup, .fini = teardown);

/* A growable buffer for requests past struct wr's 8 KiB. */
struct big {
  uint8_t *b;
  size_t n, cap;
};

static void big_put(struct big *w, const void *p, size_t n) {
  if (w->n + n > w->cap) {
    w->cap = 2 * (w->n + n) + 4096;
    w->b = realloc(w->b, w->cap);
    cr_assert_not_null(w->b);
  }
  memcpy(w->b + w->n, p, n);
  w->n += n;
}

/* Field `field` (length-delimited) holding n bytes of p. */
static void big_field(struct big *w, uint32_t field, const void *p, size_t n) {
  struct wr h = {.n = 0};

  wr_tag(&h, field, 2);
  wr_varint(&h, n);
  big_put(w, h.b, h.n);
  big_put(w, p, n);
}

/* A request of one resource (service.name svc) and one scope holding the
 * metrics already framed in ms (each a field 2 of ScopeMetrics). */
static void big_request(struct big *out, const char *svc,
                        const struct big *ms) {
  struct wr r = {.n = 0}, head = {.n = 0};
  struct big rm = {0};

  wr_kv_str(&r, 1, "service.name", svc);
  wr_msg(&head, 1, &r);
  big_put(&rm, head.b, head.n);
  big_field(&rm, 2, ms->b, ms->n);
  out->n = 0;
  big_field(out, 1, rm.b, rm.n);
  free(rm.b);
}

/* Metric NAME, a gauge (kind 5) or a cumulative sum (7), of one point of
 * value v with attributes kv (pairs, NULL-terminated), into ms. */
static void add_metric(struct big *ms, const char *name, int kind, double v,
                       const char *const *kv) {
  struct wr dp = {.n = 0}, data = {.n = 0}, m = {.n = 0};

  for (int i = 0; kv[i]; i += 2)
    wr_kv_str(&dp, 7, kv[i], kv[i + 1]);
  wr_f64(&dp, 3, UINT64_C(1700000000999999999));
  wr_dbl(&dp, 4, v);
  wr_msg(&data, 1, &dp);
  if (kind == 7) {
    wr_u(&data, 2, 2);
    wr_u(&data, 3, 1);
  }
  wr_str(&m, 1, name);
  wr_msg(&m, (uint32_t)kind, &data);
  big_field(ms, 2, m.b, m.n);
}

static int send(const struct big *req) {
  return core_pipe_otlp(&p, CORE_OTLP_METRICS, CORE_OTLP_ENC_PROTO, req->b,
                        req->n, NOW, &res);
}

/* Key of series id, NULs as '|'. */
static const char *key_of_id(uint32_t id) {
  static char out[4096];
  uint32_t klen;
  const char *k = core_series_key_of(&p.series, id, &klen);

  cr_assert_not_null(k);
  cr_assert_lt(klen, sizeof(out));
  for (uint32_t j = 0; j < klen; j++)
    out[j] = k[j] ? k[j] : '|';
  out[klen] = '\0';
  return out;
}

/* Key of head point i. */
static const char *key_of(uint32_t i) {
  return key_of_id(p.head.series_id[i]);
}

/* A head sink checking that each point of series "m" names its value. */
static uint64_t checked;
static void check_sink(struct core_head *h, void *ctx) {
  (void)ctx;
  for (uint32_t i = 0; i < h->count; i++) {
    char want[96];
    uint32_t s = (uint32_t)h->value[i];
    snprintf(want, sizeof want,
             "m|region:eu|route:/r%u|series:%u|service.name:svc", s % 97, s);
    cr_assert_str_eq(key_of_id(h->series_id[i]), want, "point %u", i);
    checked++;
  }
}

Test(otlpmap_cache, reordered_attributes_map_to_one_series) {
  static const char *const ab[] = {"a", "1", "b", "2", NULL};
  static const char *const ba[] = {"b", "2", "a", "1", NULL};
  struct big ms = {0}, req = {0};

  for (int round = 0; round < 3; round++) {
    ms.n = 0;
    add_metric(&ms, "g", 5, round, ab);
    add_metric(&ms, "g", 5, 10 + round, ba);
    big_request(&req, "svc", &ms);
    cr_assert_eq(send(&req), 0, "%s", res.why ? res.why : "");
    cr_assert_eq(res.accepted, 2);
  }
  cr_assert_eq(p.series.count, 1);
  cr_assert_eq(p.head.count, 6);
  for (uint32_t i = 0; i < 6; i++)
    cr_assert_str_eq(key_of(i), "g|a:1|b:2|service.name:svc");
  cr_assert_gt(p.otlp->sid.hits, 0, "the second round hits the cache");
  free(ms.b);
  free(req.b);
}

Test(otlpmap_cache, resource_name_and_type_tell_series_apart) {
  static const char *const kv[] = {"route", "/x", NULL};
  static const char *const want[] = {
      "g|route:/x|service.name:one", "g|route:/x|service.name:two",
      "h|route:/x|service.name:one"};
  struct big ms = {0}, req = {0};

  for (int round = 0; round < 2; round++) {
    for (int s = 0; s < 2; s++) { /* same attribute bytes, two services */
      ms.n = 0;
      add_metric(&ms, "g", 5, s, kv);
      if (s == 0)
        add_metric(&ms, "h", 5, 7, kv);
      big_request(&req, s ? "two" : "one", &ms);
      cr_assert_eq(send(&req), 0);
    }
    /* the same name and bytes as a sum: another type, refused */
    ms.n = 0;
    add_metric(&ms, "g", 7, 1, kv);
    big_request(&req, "one", &ms);
    cr_assert_eq(send(&req), 0);
    cr_assert_eq(res.accepted, 0);
    cr_assert_eq(res.rejected, 1);
    cr_assert(strstr(res.message, "type_mismatch") != NULL, "%s", res.message);
  }
  cr_assert_eq(p.series.count, 3);
  cr_assert_eq(p.head.count, 6);
  for (uint32_t i = 0; i < 6; i++) {
    const char *w = i % 3 == 0 ? want[0] : i % 3 == 1 ? want[2] : want[1];
    cr_assert_str_eq(key_of(i), w, "point %u", i);
  }
  free(ms.b);
  free(req.b);
}

/* A cached attribute run that more attributes follow, after another
 * field: the decoder skipped the run, then decodes it after all; the
 * point keeps every attribute. */
Test(otlpmap_cache, known_run_split_by_another_field_is_decoded) {
  static const char *const ab[] = {"a", "1", "b", "2", NULL};
  struct big ms = {0}, req = {0};
  struct wr dp = {.n = 0}, data = {.n = 0}, m = {.n = 0};

  add_metric(&ms, "g", 5, 1, ab);
  big_request(&req, "svc", &ms);
  cr_assert_eq(send(&req), 0);
  cr_assert_eq(send(&req), 0); /* a, b cached now */
  wr_kv_str(&dp, 7, "a", "1");
  wr_kv_str(&dp, 7, "b", "2");
  wr_f64(&dp, 3, UINT64_C(1700000000999999999));
  wr_kv_str(&dp, 7, "c", "3");
  wr_dbl(&dp, 4, 3);
  wr_msg(&data, 1, &dp);
  wr_str(&m, 1, "g");
  wr_msg(&m, 5, &data);
  ms.n = 0;
  big_field(&ms, 2, m.b, m.n);
  add_metric(&ms, "g", 5, 4, ab);
  big_request(&req, "svc", &ms);
  cr_assert_eq(send(&req), 0);
  cr_assert_eq(res.accepted, 2);
  cr_assert_eq(p.head.count, 4);
  cr_assert_str_eq(key_of(0), "g|a:1|b:2|service.name:svc");
  cr_assert_str_eq(key_of(2), "g|a:1|b:2|c:3|service.name:svc");
  cr_assert_str_eq(key_of(3), "g|a:1|b:2|service.name:svc");
  cr_assert_eq(p.series.count, 2);
  free(ms.b);
  free(req.b);
}

/* More series than the cache has entries, sent three times in another
 * order each time: every point's key names its own value. */
Test(otlpmap_cache, past_the_cache_every_point_keeps_its_series) {
  enum { SERIES = 40000, PER_REQ = 1000 };
  struct big ms = {0}, req = {0};
  char sv[16], rv[16];
  const char *kv[] = {"series", sv, "route", rv, "region", "eu", NULL};

  p.head.sink = check_sink;
  checked = 0;
  for (int round = 0; round < 3; round++) {
    for (uint32_t r0 = 0; r0 < SERIES; r0 += PER_REQ) {
      ms.n = 0;
      for (uint32_t j = 0; j < PER_REQ; j++) {
        uint32_t s = (r0 + j) * (round == 1 ? 7919u : 1u) % SERIES;
        snprintf(sv, sizeof sv, "%u", s);
        snprintf(rv, sizeof rv, "/r%u", s % 97);
        add_metric(&ms, "m", 5, s, kv);
      }
      big_request(&req, "svc", &ms);
      cr_assert_eq(send(&req), 0);
      cr_assert_eq(res.accepted, PER_REQ);
    }
    cr_assert_eq(p.series.count, SERIES);
  }
  core_head_seal(&p.head);
  cr_assert_eq(checked, 3 * SERIES);
  /* both ways taken: hits, and misses of evicted entries */
  cr_assert_gt(p.otlp->sid.hits, 0);
  cr_assert_gt(p.otlp->sid.misses, SERIES);
  cr_assert_eq(p.otlp->stage.twice, 0);
  free(ms.b);
  free(req.b);
}

/* A body that breaks after points of known and of new series stores
 * nothing and makes no series. */
Test(otlpmap_cache, undecodable_after_staged_points_stores_nothing) {
  static const char *const kv[] = {"a", "1", NULL};
  static const char *const kv2[] = {"a", "2", NULL};
  struct big ms = {0}, req = {0};

  add_metric(&ms, "g", 5, 1, kv);
  big_request(&req, "svc", &ms);
  cr_assert_eq(send(&req), 0);
  cr_assert_eq(send(&req), 0); /* cached now */
  add_metric(&ms, "g", 5, 2, kv2); /* a new series */
  add_metric(&ms, "g", 5, 3, kv);
  big_request(&req, "svc", &ms);
  big_put(&req, "\x0f", 1); /* then a field of wire type 7 */
  cr_assert_eq(send(&req), -EBADMSG);
  cr_assert_eq(p.head.count, 2);
  cr_assert_eq(p.series.count, 1);
  cr_assert_eq(res.accepted, 0);
  free(ms.b);
  free(req.b);
}

/* Histogram points of 512 buckets: more series values than staging
 * holds, so the request is decoded twice, and stored all the same. */
Test(otlpmap_cache, past_the_staging_bound_decodes_twice) {
  enum { POINTS = 700, NB = 400 };
  static double bounds[NB];
  static uint64_t counts[NB + 1];
  struct big ms = {0}, req = {0};
  uint64_t stored;

  for (uint32_t i = 0; i < NB; i++) {
    bounds[i] = i + 1;
    counts[i] = 1;
  }
  counts[NB] = 1;
  for (uint32_t i = 0; i < POINTS; i++) {
    struct wr dp = {.n = 0}, h = {.n = 0}, m = {.n = 0};
    char v[16];
    snprintf(v, sizeof v, "%u", i % 2);
    wr_kv_str(&dp, 9, "pod", v);
    wr_f64(&dp, 3, UINT64_C(1700000000500000000) + i * UINT64_C(1000000));
    wr_f64(&dp, 4, NB + 1);
    wr_dbl(&dp, 5, 1.5);
    wr_bytes(&dp, 6, counts, sizeof counts);
    wr_bytes(&dp, 7, bounds, sizeof bounds);
    wr_msg(&h, 1, &dp);
    wr_u(&h, 2, 2);
    wr_str(&m, 1, "lat");
    wr_msg(&m, 9, &h);
    big_field(&ms, 2, m.b, m.n);
  }
  big_request(&req, "svc", &ms);
  cr_assert_eq(send(&req), 0, "%s", res.why ? res.why : "");
  cr_assert_eq(res.accepted, POINTS);
  cr_assert_eq(res.rejected, 0);
  cr_assert_eq(p.otlp->stage.twice, 1);
  stored = p.head.count + p.head.sealed_points;
  cr_assert_eq(stored, (uint64_t)POINTS * (NB + 3), "buckets, count, sum");
  cr_assert_eq(p.series.count, 2 * (NB + 3));
  /* cut short: refused at the first decode, nothing more stored */
  req.n -= 5;
  cr_assert_neq(send(&req), 0);
  cr_assert_eq(p.head.count + p.head.sealed_points, stored);
  cr_assert_eq(p.otlp->stage.twice, 1);
  free(ms.b);
  free(req.b);
}

/* ---- logs ----------------------------------------------------------------- */

/* A LogRecord (as field 2 of ScopeLogs) with body text and nattr
 * attributes k0=v0 ..., into ls. */
static void add_log(struct big *ls, const char *text, uint32_t nattr) {
  struct wr rec = {.n = 0}, body = {.n = 0};

  wr_f64(&rec, 1, UINT64_C(1700000000999999999));
  wr_u(&rec, 2, 9);
  wr_str(&body, 1, text);
  wr_msg(&rec, 5, &body);
  for (uint32_t i = 0; i < nattr; i++) {
    char k[16], v[16];
    snprintf(k, sizeof k, "k%u", i);
    snprintf(v, sizeof v, "v%u", i);
    wr_kv_str(&rec, 6, k, v);
  }
  big_field(ls, 2, rec.b, rec.n);
}

static int send_logs(const struct big *req) {
  return core_pipe_otlp(&p, CORE_OTLP_LOGS, CORE_OTLP_ENC_PROTO, req->b,
                        req->n, NOW, &res);
}

Test(otlpmap_cache, logs_undecodable_after_staged_records_store_nothing) {
  struct big ls = {0}, req = {0};

  cr_assert_eq(core_pipe_logs_init(&p, 65536, NULL, NULL), 0);
  add_log(&ls, "one", 2);
  add_log(&ls, "two", 3);
  big_request(&req, "svc", &ls);
  cr_assert_eq(send_logs(&req), 0, "%s", res.why ? res.why : "");
  cr_assert_eq(res.accepted, 2);
  cr_assert_eq(p.loghead.count, 2);
  cr_assert_eq(st.logs_otlp, 2);
  big_put(&req, "\x0f", 1);
  cr_assert_eq(send_logs(&req), -EBADMSG);
  cr_assert_eq(p.loghead.count, 2);
  cr_assert_eq(st.logs_otlp, 2);
  cr_assert_eq(res.accepted, 0);
  cr_assert_eq(p.otlp->stage.twice, 0);
  free(ls.b);
  free(req.b);
}

/* More attributes than log staging holds: decoded twice, every record
 * stored, the same records as a request that fits. */
Test(otlpmap_cache, logs_past_the_staging_bound_decode_twice) {
  enum { RECS = CORE_OTLP_STAGE_LOG_ATTRS / 60 + 100 };
  struct big ls = {0}, req = {0};
  uint64_t before;

  cr_assert_eq(core_pipe_logs_init(&p, 65536, NULL, NULL), 0);
  for (uint32_t i = 0; i < RECS; i++)
    add_log(&ls, "many attributes", 60);
  big_request(&req, "svc", &ls);
  cr_assert_eq(send_logs(&req), 0, "%s", res.why ? res.why : "");
  cr_assert_eq(res.accepted, RECS);
  cr_assert_eq(p.otlp->stage.twice, 1);
  cr_assert_eq(p.loghead.count + p.loghead.sealed_records, RECS);
  cr_assert_eq(st.logs_otlp, RECS);
  /* cut short: refused whole by the first decode */
  before = p.loghead.count + p.loghead.sealed_records;
  req.n -= 3;
  cr_assert_neq(send_logs(&req), 0);
  cr_assert_eq(p.loghead.count + p.loghead.sealed_records, before);
  cr_assert_eq(p.otlp->stage.twice, 1);
  free(ls.b);
  free(req.b);
}

/* Every sealed record's resource strings (written once a request, shared
 * by its records) and its own, checked as the head seals mid-request. */
static uint32_t lsealed, lbad;

static int sstr_is(struct core_syslog_str s, const char *want) {
  return s.len == strlen(want) && memcmp(s.ptr, want, s.len) == 0;
}

static void check_log_sink(struct core_loghead *h, void *ctx) {
  (void)ctx;
  for (uint32_t i = 0; i < h->count; i++) {
    const struct stor_log_rec *r = &h->recs[i];
    const struct core_syslog_attr *a = r->attrs + r->attr_count - 1;
    lsealed++;
    lbad += !sstr_is(r->app, "svc-shared") || !sstr_is(r->msg, "body") ||
            !sstr_is(a->sdid, "resource") || !sstr_is(a->name, "service.name") ||
            !sstr_is(a->value, "svc-shared") ||
            !sstr_is(r->attrs[1].name, "k0") || !sstr_is(r->attrs[1].value, "v0");
  }
}

Test(otlpmap_cache, logs_resource_shared_across_head_seals) {
  enum { RECS = 700, REQS = 30 };
  struct big ls = {0}, req = {0};

  cr_assert_eq(core_pipe_logs_init(&p, 65536, check_log_sink, NULL), 0);
  for (uint32_t i = 0; i < RECS; i++)
    add_log(&ls, "body", 3);
  big_request(&req, "svc-shared", &ls);
  for (uint32_t i = 0; i < REQS; i++) {
    cr_assert_eq(send_logs(&req), 0, "%s", res.why ? res.why : "");
    cr_assert_eq(res.accepted, RECS);
  }
  cr_assert_gt(p.loghead.sealed_blocks, 1, "the head sealed mid-request");
  core_loghead_seal(&p.loghead);
  cr_assert_eq(lsealed, RECS * REQS);
  cr_assert_eq(lbad, 0);
  cr_assert_eq(p.otlp->stage.twice, 0);
  free(ls.b);
  free(req.b);
}

/* Pages of the n bytes at p that are in memory (mincore). */
static size_t resident(const void *p, size_t n) {
  size_t pg = (size_t)sysconf(_SC_PAGESIZE), np = (n + pg - 1) / pg, r = 0;
  unsigned char *v = malloc(np);

  cr_assert_not_null(v);
  cr_assert_eq(mincore((void *)p, n, v), 0);
  for (size_t i = 0; i < np; i++)
    r += v[i] & 1;
  free(v);
  return r;
}

/* A cache made by core_otlp_sid_init (prefault on or off) finds what was
 * put in it, and holds resident(entries) pages of its entries. */
static size_t sid_round_trip(int prefault) {
  struct core_otlp_sid_cache *c = calloc(1, sizeof(*c));
  struct core_otlp_sid_key k = {.name = {"m", 1}, .attrs = {"a=b", 3},
                                .rgen = 1, .type = 1};
  size_t r;

  cr_assert_not_null(c);
  core_otlp_sid_prefault(prefault);
  cr_assert_eq(core_otlp_sid_init(c), 0);
  core_otlp_sid_prefault(1);
  r = resident(c->ents, CORE_OTLP_SID_CACHE_SETS * CORE_OTLP_SID_CACHE_WAYS *
                            sizeof(*c->ents));
  cr_assert_eq(core_otlp_sid_lookup(c, &k), UINT32_MAX, "empty: a miss");
  core_otlp_sid_insert(c, &k, 42);
  cr_assert_eq(core_otlp_sid_lookup(c, &k), 42);
  core_otlp_sid_free(c);
  free(c);
  return r;
}

/* `sluice import` of StatsD turns the prefault off (issue 13, step 12):
 * the cache then works the same from untouched (zero) pages. */
Test(otlpmap_cache, prefault_off_touches_nothing_and_still_works) {
  size_t ents_pages = CORE_OTLP_SID_CACHE_SETS * CORE_OTLP_SID_CACHE_WAYS *
                      sizeof(struct core_otlp_sid_ent) /
                      (size_t)sysconf(_SC_PAGESIZE);

  cr_assert_eq(sid_round_trip(0), 0, "off: no page in memory at init");
  cr_assert_eq(sid_round_trip(1), ents_pages, "on: every page touched");
}

/* Identities of every attribute length up to past the hash's lanes (48
 * bytes) and steps (16): the same bytes from another buffer (the bytes
 * after them differ) hit with their own id, so the hash reads those bytes
 * only; one byte changed anywhere never takes another's id. */
Test(otlpmap_cache, identities_hash_their_bytes_only) {
  static struct core_otlp_sid_cache c;
  static char a[224], b[224];
  struct core_otlp_sid_key k;
  uint32_t id;

  cr_assert_eq(core_otlp_sid_init(&c), 0);
  for (uint32_t i = 0; i < sizeof(a); i++)
    a[i] = (char)(i * 7 + 1);
  for (uint32_t n = 0; n <= 200; n++) {
    k = (struct core_otlp_sid_key){.name = {"m", 1}, .attrs = {a, n},
                                   .rgen = 1, .type = 0};
    if (core_otlp_sid_lookup(&c, &k) == UINT32_MAX)
      core_otlp_sid_insert(&c, &k, n);
    memcpy(b, a, n);
    k.attrs.ptr = b;
    cr_assert_eq(core_otlp_sid_lookup(&c, &k), n, "length %u", n);
    for (uint32_t at = 0; at < n; at++) {
      b[at] ^= 0x20;
      id = core_otlp_sid_lookup(&c, &k);
      cr_assert(id == UINT32_MAX, "length %u, byte %u: id %u", n, at, id);
      b[at] ^= 0x20;
    }
  }
  core_otlp_sid_free(&c);
}

/* The JS SDK's fixture request (tests/fixtures/otlp/metrics.bin): three of
 * its four gauge and sum points carry an array attribute ("tags"). Sent
 * again, every one of them is found in the cache (their series were new
 * to the dictionary at the first send, made at its commit), on its series
 * of the first send. */
Test(otlpmap_cache, fixture_sent_again_hits_every_number_point) {
  static uint8_t body[1 << 16];
  FILE *f = fopen(OTLP_FIXTURE_DIR "/metrics.bin", "rb");
  struct big req = {.b = body};
  uint32_t ids[64], n1, series;
  uint64_t misses;

  cr_assert_not_null(f);
  req.n = fread(body, 1, sizeof(body), f);
  fclose(f);
  cr_assert_gt(req.n, 0);
  cr_assert_eq(send(&req), 0, "%s", res.why ? res.why : "");
  n1 = p.head.count;
  series = p.series.count;
  cr_assert_leq(n1, 64);
  for (uint32_t i = 0; i < n1; i++)
    ids[i] = p.head.series_id[i];
  misses = p.otlp->sid.misses;
  cr_assert_eq(p.otlp->sid.hits, 0);
  cr_assert_gt(misses, 0);
  for (uint64_t round = 1; round < 4; round++) {
    cr_assert_eq(send(&req), 0, "%s", res.why ? res.why : "");
    /* temp (two points), requests and queue.delta */
    cr_assert_eq(p.otlp->sid.hits, 4 * round, "round %lu",
                 (unsigned long)round);
    cr_assert_eq(p.otlp->sid.misses, misses, "round %lu",
                 (unsigned long)round);
    for (uint32_t i = 0; i < n1; i++)
      cr_assert_eq(p.head.series_id[round * n1 + i], ids[i], "point %u", i);
  }
  cr_assert_eq(p.series.count, series);
}

/* A KeyValue k = [s0, s1] (an ArrayValue of strings) as field 7. */
static void kv_array(struct wr *dp, const char *k, const char *s0,
                     const char *s1) {
  struct wr e0 = {.n = 0}, e1 = {.n = 0}, arr = {.n = 0}, any = {.n = 0},
            kv = {.n = 0};

  wr_str(&e0, 1, s0);
  wr_str(&e1, 1, s1);
  wr_msg(&arr, 1, &e0);
  wr_msg(&arr, 1, &e1);
  wr_msg(&any, 5, &arr);
  wr_str(&kv, 1, k);
  wr_msg(&kv, 2, &any);
  wr_msg(dp, 7, &kv);
}

/* Gauge "g" of one point per array (pairs of strings, NULL-ended), each
 * with attributes route=/x and tags=[a, b], into ms. */
static void add_array_points(struct big *ms, const char *const *arrs) {
  struct wr data = {.n = 0}, m = {.n = 0};

  for (int i = 0; arrs[i]; i += 2) {
    struct wr dp = {.n = 0};
    wr_kv_str(&dp, 7, "route", "/x");
    kv_array(&dp, "tags", arrs[i], arrs[i + 1]);
    wr_f64(&dp, 3, UINT64_C(1700000000999999999));
    wr_dbl(&dp, 4, i);
    wr_msg(&data, 1, &dp);
  }
  wr_str(&m, 1, "g");
  wr_msg(&m, 5, &data);
  big_field(ms, 2, m.b, m.n);
}

/* Points differing only inside an array value are two series, cached
 * apart; the same arrays in the next request hit, on the same series. */
Test(otlpmap_cache, array_values_tell_series_apart_and_hit) {
  static const char *const arrs[] = {"a", "b", "a", "c", "a", "b", NULL};
  static const char *const want[] = {
      "g|route:/x|service.name:svc|tags:[\"a\",\"b\"]",
      "g|route:/x|service.name:svc|tags:[\"a\",\"c\"]",
      "g|route:/x|service.name:svc|tags:[\"a\",\"b\"]"};
  struct big ms = {0}, req = {0};
  uint32_t first[3];
  uint64_t misses = 0;

  add_array_points(&ms, arrs);
  big_request(&req, "svc", &ms);
  for (int round = 0; round < 3; round++) {
    cr_assert_eq(send(&req), 0, "%s", res.why ? res.why : "");
    cr_assert_eq(res.accepted, 3);
    for (uint32_t i = 0; i < 3; i++) {
      uint32_t id = p.head.series_id[3 * (uint32_t)round + i];
      cr_assert_str_eq(key_of_id(id), want[i], "round %d point %u", round, i);
      if (round == 0)
        first[i] = id;
      cr_assert_eq(id, first[i], "round %d point %u", round, i);
    }
    if (round == 0)
      misses = p.otlp->sid.misses;
  }
  cr_assert_eq(p.series.count, 2);
  cr_assert_neq(first[0], first[1]);
  /* the first request only misses (its third point's key is held twice,
   * kept once); the next two hit every point */
  cr_assert_gt(misses, 0);
  cr_assert_eq(p.otlp->sid.misses, misses);
  cr_assert_eq(p.otlp->sid.hits, 6);
  free(ms.b);
  free(req.b);
}

/* A new series refused at the commit (--max-series) is not cached: sent
 * again, its point is refused again, never stored on another series. */
Test(otlpmap_cache, series_refused_at_commit_is_not_cached) {
  static const char *const a[] = {"k", "a", NULL};
  static const char *const b[] = {"k", "b", NULL};
  static const char *const c[] = {"k", "c", NULL};
  struct big ms = {0}, req = {0};

  core_pipe_free(&p);
  memset(&st, 0, sizeof(st));
  cr_assert_eq(core_pipe_init(&p, &st, 2, 256, NULL, NULL), 0);
  add_metric(&ms, "g", 5, 1, a);
  add_metric(&ms, "g", 5, 2, b);
  add_metric(&ms, "g", 5, 3, c);
  big_request(&req, "svc", &ms);
  for (int round = 0; round < 3; round++) {
    cr_assert_eq(send(&req), 0, "%s", res.why ? res.why : "");
    cr_assert_eq(res.accepted, 2, "round %d", round);
    cr_assert_eq(res.rejected, 1, "round %d", round);
  }
  cr_assert_eq(p.series.count, 2);
  cr_assert_eq(p.head.count, 6);
  for (uint32_t i = 0; i < 6; i++)
    cr_assert_str_eq(key_of(i), i % 2 ? "g|k:b|service.name:svc"
                                      : "g|k:a|service.name:svc");
  /* two points a resend hit; the refused one misses every time */
  cr_assert_eq(p.otlp->sid.hits, 4);
  free(ms.b);
  free(req.b);
}

/* More new series in a request than keys held for its commit: the first
 * CORE_OTLP_SID_HELD_MAX are cached at the commit, the others at their
 * next miss; every point keeps its series. */
Test(otlpmap_cache, past_the_held_bound_cached_at_the_next_miss) {
  enum { N = CORE_OTLP_SID_HELD_MAX + 904 };
  struct big ms = {0}, req = {0};
  uint64_t h[4];

  for (uint32_t s = 0; s < N; s++) {
    char v[16];
    const char *kv[] = {"series", v, NULL};
    snprintf(v, sizeof v, "%u", s);
    add_metric(&ms, "g", 5, s, kv);
  }
  big_request(&req, "svc", &ms);
  for (int round = 0; round < 3; round++) {
    cr_assert_eq(send(&req), 0, "%s", res.why ? res.why : "");
    cr_assert_eq(res.accepted, N);
    h[round] = p.otlp->sid.hits;
  }
  cr_assert_eq(p.series.count, N);
  for (uint32_t i = 0; i < 3 * N; i += 997) {
    char want[64];
    snprintf(want, sizeof want, "g|series:%u|service.name:svc", i % N);
    cr_assert_str_eq(key_of(i), want);
  }
  /* (a few held keys may lose their way to a third series of their set) */
  cr_assert_eq(h[0], 0);
  cr_assert_leq(h[1], CORE_OTLP_SID_HELD_MAX);
  cr_assert_geq(h[1], CORE_OTLP_SID_HELD_MAX * 95 / 100);
  cr_assert_geq(h[2] - h[1], N * 95 / 100);
  free(ms.b);
  free(req.b);
}
