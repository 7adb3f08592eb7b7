/*
 * tests/fuzz/fuzz_rawkey.c - libFuzzer target for the StatsD raw key cache
 * and the lazy tags it relies on (core/ingest/rawkey.c, pipe.c,
 * core_statsd_parse_buf_lazy + core_statsd_tags_resolve).
 *
 * Built with CORE_RAWKEY_TEST_HASH_BITS=3: every raw key hashes to one of
 * 8 values in one set, so equal hashes of other bytes, full sets, ageing
 * and replacement are the common case, not the rare one.
 *
 * The input's lines are fed three times (the second time each tag field
 * with its tags reversed, the third as sent), so raw keys repeat, in
 * other orders too, to two pipes: A with its cache, B with its cache
 * unmapped (the dictionary for every line). Checks: the same counters
 * (points by type, rejections by reason, series), the same dictionary
 * (keys by id) and the same points (series id, time, value bits) in the
 * same order. And each line alone: the lazy parse then the resolve gives
 * what core_statsd_parse_line gives (reason; name, type, values, rate,
 * tags, tag field).
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/ingest/pipe.h"
#include "core/ingest/rawkey.h"
#include "core/ingest/series.h"
#include "core/parse/statsd.h"

#define CHECK(cond)                                                        \
  do {                                                                     \
    if (!(cond)) {                                                         \
      fprintf(stderr, "fuzz_rawkey: %s (line %d)\n", #cond, __LINE__);     \
      abort();                                                             \
    }                                                                      \
  } while (0)

enum { INPUT_MAX = 4096, SERIES = 256 };

static struct core_ingest_stats sa, sb;
static struct core_pipe pa, pb;
static int ready;
static char buf[3 * (INPUT_MAX + 1)];
static struct core_statsd_msg lazy, eager;
static enum core_statsd_err lazy_err;
static int lazy_lines;

/* [s, e) reversed piece by piece at ',' into d; returns d's end. */
static char *reverse_tags(char *d, const char *s, const char *e) {
  const char *end = e;

  while (end > s) {
    const char *c = end;
    while (c > s && c[-1] != ',')
      c--;
    memcpy(d, c, (size_t)(end - c));
    d += end - c;
    if (c > s)
      *d++ = ',';
    end = c > s ? c - 1 : s;
  }
  return d;
}

/* The line [s, e) with its first tag field's tags reversed, into d. */
static char *reversed_line(char *d, const char *s, const char *e) {
  const char *t = NULL, *te;

  for (const char *q = s; q + 1 < e; q++)
    if (q[0] == '|' && q[1] == '#') {
      t = q + 2;
      break;
    }
  if (t == NULL) {
    memcpy(d, s, (size_t)(e - s));
    return d + (e - s);
  }
  te = memchr(t, '|', (size_t)(e - t));
  te = te ? te : e;
  memcpy(d, s, (size_t)(t - s));
  d = reverse_tags(d + (t - s), t, te);
  memcpy(d, te, (size_t)(e - te));
  return d + (e - te);
}

static void same_msg(const struct core_statsd_msg *x,
                     const struct core_statsd_msg *y) {
  CHECK(x->kind == y->kind);
  if (x->kind != CORE_STATSD_METRIC)
    return;
  CHECK(x->type == y->type && x->name == y->name &&
        x->name_len == y->name_len && x->value_count == y->value_count);
  CHECK(memcmp(&x->sample_rate, &y->sample_rate, sizeof(double)) == 0);
  if (x->type != CORE_STATSD_SET)
    CHECK(memcmp(x->values, y->values, x->value_count * sizeof(double)) == 0);
  CHECK(x->tag_count == y->tag_count && x->tags_raw_len == y->tags_raw_len &&
        x->tags_raw == y->tags_raw && !x->tags_lazy && !y->tags_lazy);
  for (uint32_t i = 0; i < x->tag_count; i++)
    CHECK(x->tags[i].key == y->tags[i].key &&
          x->tags[i].key_len == y->tags[i].key_len &&
          x->tags[i].val == y->tags[i].val &&
          x->tags[i].val_len == y->tags[i].val_len);
}

static struct core_statsd_msg *on_lazy(void *ctx, enum core_statsd_err err,
                                       const struct core_statsd_msg *m) {
  (void)ctx;
  (void)m;
  lazy_err = err;
  lazy_lines++;
  return NULL;
}

/* The line [s, e) alone: lazy + resolve against the eager parse. */
static void check_line(const char *s, size_t n) {
  enum core_statsd_err ee;

  lazy_lines = 0;
  if (core_statsd_parse_buf_lazy(s, n, CORE_LINE_BYTES_MAX_LIMIT, &lazy,
                                 on_lazy, NULL) != 1)
    return; /* empty, or holds a '\n' */
  CHECK(lazy_lines == 1);
  if (lazy_err == CORE_STATSD_OK && lazy.kind == CORE_STATSD_METRIC)
    lazy_err = core_statsd_tags_resolve(&lazy);
  ee = core_statsd_parse_line(s, n, &eager);
  CHECK(lazy_err == ee);
  if (ee == CORE_STATSD_OK)
    same_msg(&lazy, &eager);
}

static void same_pipes(void) {
  uint32_t la, lb;

  /* the lookups themselves differ (one pipe has no cache): not compared */
  sb.rawkey_hits = sa.rawkey_hits;
  sb.rawkey_misses = sa.rawkey_misses;
  for (size_t i = 0; i < sizeof(sa) / 8; i++)
    if (((const uint64_t *)&sa)[i] != ((const uint64_t *)&sb)[i])
      fprintf(stderr, "counter word %zu: %llu (cache) %llu (none)\n", i,
              (unsigned long long)((const uint64_t *)&sa)[i],
              (unsigned long long)((const uint64_t *)&sb)[i]);
  CHECK(memcmp(&sa, &sb, sizeof(sa)) == 0);
  CHECK(pa.series.count == pb.series.count);
  for (uint32_t id = 0; id < pa.series.count; id++) {
    const char *ka = core_series_key_of(&pa.series, id, &la);
    const char *kb = core_series_key_of(&pb.series, id, &lb);
    CHECK(la == lb && memcmp(ka, kb, la) == 0);
    CHECK(pa.series.entries[id].type == pb.series.entries[id].type);
  }
  CHECK(pa.head.count == pb.head.count);
  /* a hit takes the key's length from the cache's entry, a miss from the
   * dictionary's: the same bytes counted, the same seals */
  CHECK(pa.head.key_bytes == pb.head.key_bytes);
  CHECK(pa.head.gen == pb.head.gen);
  CHECK(memcmp(pa.head.series_id, pb.head.series_id,
               pa.head.count * sizeof(pa.head.series_id[0])) == 0);
  CHECK(memcmp(pa.head.ts_ms, pb.head.ts_ms,
               pa.head.count * sizeof(pa.head.ts_ms[0])) == 0);
  CHECK(memcmp(pa.head.value, pb.head.value,
               pa.head.count * sizeof(pa.head.value[0])) == 0);
}

static void reset(void) {
  if (ready) {
    core_pipe_free(&pa);
    core_pipe_free(&pb);
  }
  memset(&sa, 0, sizeof(sa));
  memset(&sb, 0, sizeof(sb));
  CHECK(core_pipe_init(&pa, &sa, SERIES, CORE_LINE_BYTES_MAX_LIMIT, NULL,
                       NULL) == 0);
  CHECK(core_pipe_init(&pb, &sb, SERIES, CORE_LINE_BYTES_MAX_LIMIT, NULL,
                       NULL) == 0);
  core_rawkey_free(&pb.rawkey); /* B: no cache */
  ready = 1;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  const char *in = (const char *)data, *end = in + size;
  char *d = buf;

  if (size > INPUT_MAX)
    return 0;
  reset();
  for (const char *s = in; s < end;) {
    const char *e = memchr(s, '\n', (size_t)(end - s));
    e = e ? e : end;
    check_line(s, (size_t)(e - s));
    s = e + 1;
  }
  memcpy(d, in, size);
  d += size;
  *d++ = '\n';
  for (const char *s = in; s < end;) {
    const char *e = memchr(s, '\n', (size_t)(end - s));
    e = e ? e : end;
    d = reversed_line(d, s, e);
    *d++ = '\n';
    s = e + 1;
  }
  memcpy(d, in, size);
  d += size;
  /* one buffer, then its parts line by line: windows cut elsewhere */
  core_pipe_statsd_buf(&pa, buf, (size_t)(d - buf), 1700000000000);
  core_pipe_statsd_buf(&pb, buf, (size_t)(d - buf), 1700000000000);
  same_pipes();
  for (const char *s = buf; s < d;) {
    const char *e = memchr(s, '\n', (size_t)(d - s));
    e = e ? e : d;
    core_pipe_statsd_buf(&pa, s, (size_t)(e - s), 1700000000001);
    core_pipe_statsd_buf(&pb, s, (size_t)(e - s), 1700000000001);
    s = e + 1;
  }
  same_pipes();
  return 0;
}
