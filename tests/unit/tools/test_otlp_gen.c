/*
 * tests/unit/tools/test_otlp_gen.c - the requests of `sluice bench otlp`
 * decode with sluice's own OTLP decoders (and gzip ones inflate back to
 * the same bytes) into exactly the items the spec asks for; spans form
 * trees of eight under shared trace ids.
 */
#include <criterion/criterion.h>
#include <errno.h>
#include <isa-l/igzip_lib.h>
#include <stdlib.h>
#include <string.h>

#include "core/parse/otlp.h"
#include "tools/otlp_gen.h"

struct seen {
  uint64_t points, gauges, sums, logs, attrs, bad;
  uint64_t first_ns, last_ns;
};

static int on_point(void *ctx, const struct core_otlp_point *p) {
  struct seen *s = ctx;
  s->points++;
  s->attrs += p->attrs.n;
  if (p->kind == CORE_OTLP_GAUGE && p->num == CORE_OTLP_NUM_DOUBLE)
    s->gauges++;
  else if (p->kind == CORE_OTLP_SUM && p->num == CORE_OTLP_NUM_INT &&
           p->temporality == 2 && p->monotonic)
    s->sums++;
  else
    s->bad++;
  if (p->origin->resource.n != 2 || p->name.len < 13 ||
      memcmp(p->name.ptr, "bench.metric.", 13) != 0)
    s->bad++;
  if (s->first_ns == 0)
    s->first_ns = p->time_ns;
  s->last_ns = p->time_ns;
  return 0;
}

static int on_log(void *ctx, const struct core_otlp_log *l) {
  struct seen *s = ctx;
  s->logs++;
  s->attrs += l->attrs.n;
  if (l->body.type != CORE_OTLP_V_STRING || l->severity_number != 9 ||
      l->trace_id == NULL || l->span_id == NULL)
    s->bad++;
  return 0;
}

static struct core_otlp_scratch scratch;

/* Every request of pool through the server's decoder of signal. */
static void decode_all(enum tools_otlp_signal signal,
                       const struct tools_otlp_pool *pool,
                       const struct core_otlp_sink *sink) {
  int (*const dec[])(const void *, size_t, struct core_otlp_scratch *,
                     const struct core_otlp_sink *, const char **) = {
      [TOOLS_OTLP_METRICS] = core_otlp_metrics_decode,
      [TOOLS_OTLP_LOGS] = core_otlp_logs_decode,
      [TOOLS_OTLP_TRACES] = core_otlp_traces_decode};
  const char *why = NULL;
  for (uint32_t r = 0; r < pool->count; r++) {
    int rc = dec[signal](pool->buf + pool->reqs[r].off, pool->reqs[r].len,
                         &scratch, sink, &why);
    cr_assert_eq(rc, 0, "request %u: %s", r, why ? why : "?");
  }
}

static void decode_pool(const struct tools_otlp_spec *sp,
                        const struct tools_otlp_pool *pool, struct seen *s) {
  struct core_otlp_sink sink = {.point = on_point, .log = on_log, .ctx = s};
  decode_all(sp->signal, pool, &sink);
}

Test(otlp_gen, metrics_decode_to_the_spec) {
  struct tools_otlp_spec sp = {.signal = TOOLS_OTLP_METRICS, .items = 1000,
                               .attrs = 8, .series = 10000, .requests = 12,
                               .seed = 3, .now_ns = 1700000000000000000};
  struct tools_otlp_pool pool;
  struct seen s = {0};
  cr_assert_eq(tools_otlp_gen(&sp, &pool), 0);
  cr_assert_eq(pool.count, 12);
  decode_pool(&sp, &pool, &s);
  cr_expect_eq(s.points, 12000);
  cr_expect_eq(s.attrs, 12000 * 8);
  cr_expect_eq(s.bad, 0);
  cr_expect_eq(s.gauges, s.sums); /* metrics alternate, 10 points each */
  cr_expect_eq(s.first_ns, 1700000000000000000);
  cr_expect_eq(s.last_ns, 1700000000000000000 + 11 * 1000000000ll);
  tools_otlp_pool_free(&pool);
}

Test(otlp_gen, series_wrap_inside_a_request) {
  /* 37 series, 100 points a request: the cycle wraps mid-metric. */
  struct tools_otlp_spec sp = {.signal = TOOLS_OTLP_METRICS, .items = 100,
                               .attrs = 1, .series = 37, .requests = 5,
                               .seed = 1, .now_ns = 1};
  struct tools_otlp_pool pool;
  struct seen s = {0};
  cr_assert_eq(tools_otlp_gen(&sp, &pool), 0);
  decode_pool(&sp, &pool, &s);
  cr_expect_eq(s.points, 500);
  cr_expect_eq(s.bad, 0);
  tools_otlp_pool_free(&pool);
}

Test(otlp_gen, logs_and_gzip) {
  struct tools_otlp_spec sp = {.signal = TOOLS_OTLP_LOGS, .items = 200,
                               .attrs = 5, .series = 50, .requests = 4,
                               .seed = 9, .now_ns = 1700000000000000000};
  struct tools_otlp_pool raw, gz;
  struct seen s = {0};
  cr_assert_eq(tools_otlp_gen(&sp, &raw), 0);
  sp.gzip = 1;
  cr_assert_eq(tools_otlp_gen(&sp, &gz), 0);
  cr_expect_eq(gz.raw_bytes, raw.raw_bytes);
  cr_expect_lt(gz.len, raw.len);
  for (uint32_t r = 0; r < raw.count; r++) {
    struct inflate_state st;
    uint8_t *out = malloc(raw.reqs[r].len + 1);
    isal_inflate_init(&st);
    st.crc_flag = ISAL_GZIP;
    st.next_in = gz.buf + gz.reqs[r].off;
    st.avail_in = gz.reqs[r].len;
    st.next_out = out;
    st.avail_out = raw.reqs[r].len + 1;
    cr_assert_eq(isal_inflate(&st), ISAL_DECOMP_OK);
    cr_assert_eq(st.block_state, ISAL_BLOCK_FINISH);
    cr_assert_eq(raw.reqs[r].len + 1 - st.avail_out, raw.reqs[r].len);
    cr_assert(memcmp(out, raw.buf + raw.reqs[r].off, raw.reqs[r].len) == 0);
    free(out);
  }
  sp.gzip = 0;
  decode_pool(&sp, &raw, &s);
  cr_expect_eq(s.logs, 800);
  cr_expect_eq(s.attrs, 800 * 5);
  cr_expect_eq(s.bad, 0);
  tools_otlp_pool_free(&raw);
  tools_otlp_pool_free(&gz);
}

/* What the spans of one pool decode to: ids checked against the spans
 * seen before in the same trace (spans of a trace arrive in order). */
struct spans_seen {
  uint64_t spans, roots, errors, events, attrs, bad, traces;
  uint8_t first_trace[16];
  uint8_t trace[16];
  uint8_t ids[64][8];       /* span ids of the current trace */
  uint32_t in_trace;
};

static int on_span(void *ctx, const struct core_otlp_span *sp) {
  struct spans_seen *s = ctx;
  if (s->spans == 0)
    memcpy(s->first_trace, sp->trace_id, 16);
  if (s->spans == 0 || memcmp(s->trace, sp->trace_id, 16) != 0) {
    memcpy(s->trace, sp->trace_id, 16);
    s->traces++;
    s->in_trace = 0;
  }
  s->spans++;
  s->attrs += sp->attrs.n;
  if (sp->parent_span_id == NULL) {
    s->roots++;
    if (s->in_trace != 0 || sp->kind != 2)
      s->bad++;  /* a root opens its trace, a server span */
  } else {
    int found = 0;
    for (uint32_t i = 0; i < s->in_trace; i++)
      found |= memcmp(s->ids[i], sp->parent_span_id, 8) == 0;
    s->bad += !found;
  }
  for (uint32_t i = 0; i < s->in_trace; i++)
    s->bad += memcmp(s->ids[i], sp->span_id, 8) == 0;
  if (s->in_trace < 64)
    memcpy(s->ids[s->in_trace++], sp->span_id, 8);
  if (sp->end_ns <= sp->start_ns || sp->name.len == 0 ||
      sp->origin->resource.n != 2)
    s->bad++;
  s->errors += sp->status_code == 2;
  if ((sp->status_code == 2) != (sp->events_n == 1))
    s->bad++;
  return 0;
}

static int on_event(void *ctx, const struct core_otlp_span *sp,
                    const struct core_otlp_event *e) {
  struct spans_seen *s = ctx;
  (void)sp;
  s->events++;
  if (e->name.len != 9 || memcmp(e->name.ptr, "exception", 9) != 0)
    s->bad++;
  return 0;
}

static void decode_spans(const struct tools_otlp_pool *pool,
                         struct spans_seen *s) {
  struct core_otlp_sink sink = {.span = on_span, .event = on_event, .ctx = s};
  decode_all(TOOLS_OTLP_TRACES, pool, &sink);
}

Test(otlp_gen, traces_decode_to_trees) {
  struct tools_otlp_spec sp = {.signal = TOOLS_OTLP_TRACES, .items = 512,
                               .attrs = 8, .series = 10000, .requests = 6,
                               .seed = 5, .now_ns = 1700000000000000000};
  struct tools_otlp_pool pool;
  struct spans_seen s = {0};
  cr_assert_eq(tools_otlp_gen(&sp, &pool), 0);
  cr_assert_eq(pool.count, 6);
  decode_spans(&pool, &s);
  cr_expect_eq(s.spans, 6 * 512);
  cr_expect_eq(s.traces, 6 * 512 / 8, "eight spans share a trace id");
  cr_expect_eq(s.roots, s.traces, "one root a trace");
  cr_expect_eq(s.attrs, 6 * 512 * 8);
  cr_expect_eq(s.errors, 6 * 512 / 16);
  cr_expect_eq(s.events, s.errors);
  cr_expect_eq(s.bad, 0);
  cr_expect(memcmp(pool.trace_id, s.first_trace, 16) == 0,
            "pool.trace_id is the first span's trace");
  tools_otlp_pool_free(&pool);
}

Test(otlp_gen, traces_cut_short_and_gzip) {
  /* 20 spans: two whole traces and one of four; gzip bodies are smaller */
  struct tools_otlp_spec sp = {.signal = TOOLS_OTLP_TRACES, .items = 20,
                               .attrs = 5, .series = 7, .requests = 3,
                               .seed = 2, .now_ns = 1};
  struct tools_otlp_pool raw, gz;
  struct spans_seen s = {0};
  cr_assert_eq(tools_otlp_gen(&sp, &raw), 0);
  decode_spans(&raw, &s);
  cr_expect_eq(s.spans, 60);
  cr_expect_eq(s.traces, 9);
  cr_expect_eq(s.roots, 9);
  cr_expect_eq(s.bad, 0);
  sp.gzip = 1;
  cr_assert_eq(tools_otlp_gen(&sp, &gz), 0);
  cr_expect_eq(gz.raw_bytes, raw.raw_bytes);
  cr_expect_lt(gz.len, raw.len);
  tools_otlp_pool_free(&raw);
  tools_otlp_pool_free(&gz);
}

Test(otlp_gen, bad_spec) {
  struct tools_otlp_spec sp = {.items = 0, .attrs = 1, .series = 1,
                               .requests = 1};
  struct tools_otlp_pool pool;
  cr_expect_eq(tools_otlp_gen(&sp, &pool), -EINVAL);
  sp.items = 1;
  sp.attrs = 17;
  cr_expect_eq(tools_otlp_gen(&sp, &pool), -EINVAL);
}
