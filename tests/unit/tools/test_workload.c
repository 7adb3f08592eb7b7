/*
 * tests/unit/tools/test_workload.c - bench workloads: every line is one
 * valid StatsD point, chunks hold whole lines, the series set is exact.
 */
#include <criterion/criterion.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/parse/statsd.h"
#include "tools/workload.h"

static struct tools_workload_spec statsd_spec(uint32_t series, uint32_t tags) {
  return (struct tools_workload_spec){
      .proto = TOOLS_PROTO_STATSD, .series = series, .tags = tags,
      .chunk_bytes = 1432, .pool_lines = 5000, .thread = 0, .threads = 1,
      .seed = 7, .now_s = 1714564800};
}

/* Each chunk: within the bound, exactly `lines` LF-terminated lines. */
static void check_chunks(const struct tools_workload *w, uint32_t bound) {
  uint64_t lines = 0;
  for (uint32_t i = 0; i < w->chunk_count; i++) {
    const struct tools_chunk *c = &w->chunks[i];
    uint32_t nl = 0;
    cr_assert_leq(c->len, bound);
    cr_assert_eq(w->buf[c->off + c->len - 1], '\n');
    for (uint32_t k = 0; k < c->len; k++)
      nl += w->buf[c->off + k] == '\n';
    cr_assert_eq(nl, c->lines, "chunk %u: %u LFs, %u lines", i, nl, c->lines);
    if (i + 1 < w->chunk_count)
      cr_assert_eq(w->chunks[i + 1].off, c->off + c->len, "contiguous");
    lines += c->lines;
  }
  cr_assert_eq(lines, w->lines);
}

/* Each line parses: one metric, one value, `tags` tags, name:value|type. */
static void check_lines(const struct tools_workload *w, uint32_t tags) {
  static struct core_statsd_msg m;
  const char *p = w->buf, *end = w->buf + w->len;
  uint64_t n = 0;
  while (p < end) {
    const char *nl = memchr(p, '\n', (size_t)(end - p));
    cr_assert_not_null(nl);
    size_t len = (size_t)(nl - p);
    cr_assert_leq(len, TOOLS_BENCH_LINE_BYTES_MAX);
    cr_assert_eq(core_statsd_parse_line(p, len, &m), CORE_STATSD_OK,
                 "line %.*s", (int)len, p);
    cr_assert_eq(m.kind, CORE_STATSD_METRIC);
    cr_assert_eq(m.value_count, 1, "one point per line: %.*s", (int)len, p);
    cr_assert_eq(m.tag_count, tags);
    const char *colon = memchr(p, ':', len), *bar = memchr(p, '|', len);
    cr_assert(colon && bar && colon > p && bar > colon + 1,
              "name:value|type: %.*s", (int)len, p);
    p = nl + 1;
    n++;
  }
  cr_assert_eq(n, w->lines);
}

Test(workload, statsd_lines_are_valid_points) {
  struct tools_workload_spec sp = statsd_spec(1000, 4);
  struct tools_workload w;
  cr_assert_eq(tools_workload_build(&sp, &w), 0);
  cr_assert_eq(w.lines, 5000);
  check_chunks(&w, 1432);
  check_lines(&w, 4);
  tools_workload_free(&w);
}

Test(workload, statsd_without_tags_and_with_all_tags) {
  struct tools_workload_spec sp = statsd_spec(300, 0);
  struct tools_workload w;
  cr_assert_eq(tools_workload_build(&sp, &w), 0);
  check_lines(&w, 0);
  tools_workload_free(&w);
  /* the longest lines: every tag, the highest host numbers */
  sp = statsd_spec(TOOLS_BENCH_SERIES_MAX, TOOLS_BENCH_TAGS_MAX);
  sp.thread = TOOLS_BENCH_SERIES_MAX - 3000;
  sp.pool_lines = 3000;
  cr_assert_eq(tools_workload_build(&sp, &w), 0);
  check_chunks(&w, 1432);
  check_lines(&w, TOOLS_BENCH_TAGS_MAX);
  tools_workload_free(&w);
}

Test(workload, types_mix_and_sample_rates) {
  static struct core_statsd_msg m;
  struct tools_workload_spec sp = statsd_spec(2000, 2);
  struct tools_workload w;
  unsigned types[CORE_STATSD_TYPE_COUNT] = {0}, sampled = 0;
  cr_assert_eq(tools_workload_build(&sp, &w), 0);
  for (const char *p = w.buf; p < w.buf + w.len;) {
    const char *nl = strchr(p, '\n');
    cr_assert_eq(core_statsd_parse_line(p, (size_t)(nl - p), &m), 0);
    types[m.type]++;
    sampled += m.sample_rate < 1.0;
    p = nl + 1;
  }
  for (int t = 0; t < CORE_STATSD_TYPE_COUNT; t++)
    cr_assert_gt(types[t], 0, "type %d present", t);
  cr_assert_gt(types[CORE_STATSD_COUNTER], types[CORE_STATSD_SET]);
  cr_assert_gt(sampled, 0);
  tools_workload_free(&w);
}

struct key {
  char k[TOOLS_BENCH_LINE_BYTES_MAX + 1];
  char type[4];
};

static int cmp_key(const void *a, const void *b) {
  return strcmp(((const struct key *)a)->k, ((const struct key *)b)->k);
}

/* Name + tags of a line, and its type. */
static void key_of(const char *p, size_t len, struct key *k) {
  const char *colon = memchr(p, ':', len), *bar = memchr(p, '|', len);
  const char *tags = memmem(p, len, "|#", 2);
  size_t nlen = (size_t)(colon - p);
  size_t tlen = tags ? (size_t)(p + len - tags) : 0;
  const char *tend = memchr(bar + 1, '|', (size_t)(p + len - bar - 1));
  memcpy(k->k, p, nlen);
  memcpy(k->k + nlen, tags ? tags : "", tlen);
  k->k[nlen + tlen] = '\0';
  size_t ty = (size_t)((tend ? tend : p + len) - bar - 1);
  snprintf(k->type, sizeof(k->type), "%.*s", (int)ty, bar + 1);
}

static void count_series(uint32_t series, uint32_t tags, unsigned threads) {
  struct key *keys = calloc(threads * 5000u, sizeof(*keys));
  size_t n = 0;
  for (unsigned t = 0; t < threads; t++) {
    struct tools_workload_spec sp = statsd_spec(series, tags);
    struct tools_workload w;
    sp.thread = t;
    sp.threads = threads;
    cr_assert_eq(tools_workload_build(&sp, &w), 0);
    for (const char *p = w.buf; p < w.buf + w.len; n++) {
      const char *nl = strchr(p, '\n');
      key_of(p, (size_t)(nl - p), &keys[n]);
      p = nl + 1;
    }
    tools_workload_free(&w);
  }
  qsort(keys, n, sizeof(*keys), cmp_key);
  size_t distinct = n ? 1 : 0;
  for (size_t i = 1; i < n; i++) {
    if (strcmp(keys[i].k, keys[i - 1].k) != 0)
      distinct++;
    else
      cr_assert_str_eq(keys[i].type, keys[i - 1].type, "series %s keeps its type",
                       keys[i].k);
  }
  cr_assert_eq(distinct, series, "tags %u threads %u: %zu series, want %u",
               tags, threads, distinct, series);
  free(keys);
}

Test(workload, series_count_is_exact) {
  count_series(1000, 4, 1);
  count_series(1000, 0, 1);
  count_series(999, 3, 2); /* two pools share the series between them */
}

Test(workload, syslog_mixes_rfc3164_and_rfc5424) {
  struct tools_workload_spec sp = statsd_spec(100, 0);
  struct tools_workload w;
  unsigned v5424 = 0, v3164 = 0;
  sp.proto = TOOLS_PROTO_SYSLOG;
  sp.one_per_chunk = 1;
  sp.pool_lines = 1000;
  cr_assert_eq(tools_workload_build(&sp, &w), 0);
  cr_assert_eq(w.chunk_count, 1000);
  for (uint32_t i = 0; i < w.chunk_count; i++) {
    const char *p = w.buf + w.chunks[i].off;
    cr_assert_eq(w.chunks[i].lines, 1);
    cr_assert_eq(p[0], '<');
    cr_assert_neq(p[w.chunks[i].len - 1], '\n', "no LF inside a datagram");
    cr_assert_null(memchr(p, '\n', w.chunks[i].len));
    const char *gt = strchr(p, '>');
    if (gt[1] == '1' && gt[2] == ' ') {
      v5424++;
      cr_assert_not_null(memmem(p, w.chunks[i].len, "[meta@32473 ", 12));
    } else {
      v3164++;
      cr_assert_not_null(memmem(p, w.chunks[i].len, "]: ", 3));
    }
  }
  cr_assert_eq(v5424, 500);
  cr_assert_eq(v3164, 500);
  tools_workload_free(&w);
}

Test(workload, rejects_impossible_specs) {
  struct tools_workload w;
  struct tools_workload_spec sp = statsd_spec(0, 1);
  cr_assert_eq(tools_workload_build(&sp, &w), -EINVAL);
  sp = statsd_spec(10, 1);
  sp.chunk_bytes = TOOLS_BENCH_LINE_BYTES_MAX;
  cr_assert_eq(tools_workload_build(&sp, &w), -EINVAL);
  sp = statsd_spec(10, TOOLS_BENCH_TAGS_MAX + 1);
  cr_assert_eq(tools_workload_build(&sp, &w), -EINVAL);
  cr_assert_null(w.buf);
}
