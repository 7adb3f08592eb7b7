/*
 * tests/unit/core/ingest/test_spanhead.c - the span head and the OTLP span
 * callbacks: the JS SDK fixture decoded by core_otlp_traces_decode into a
 * pipeline, sealed, encoded as a span block and read back field by field;
 * every bound refusing a span whole (and counted by reason); sealing at
 * the count bound and by age.
 */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/base/limits.h"
#include "core/ingest/pipe.h"
#include "core/ingest/spanhead.h"
#include "core/ingest/spanmap.h"
#include "core/parse/otlp.h"
#include "storage/spanblock.h"

static struct core_ingest_stats stats;
static struct core_pipe pipe_;
static struct stor_spanenc enc;
static struct stor_spandec dec;
static uint8_t *blk;
static size_t blk_len;
static unsigned sealed, sealed_spans;

#define BLK_CAP (16u << 20)

/* The sink: encode the sealed head as a real block (kept in blk). */
static void sink(struct core_spanhead *h, void *ctx) {
  (void)ctx;
  long n = stor_spanblock_encode(&enc, 0, sealed + 1, h->spans, h->count,
                                 h->res, h->res_count, blk, BLK_CAP);
  cr_assert_gt(n, 0, "encode: %ld", n);
  blk_len = (size_t)n;
  sealed++;
  sealed_spans += h->count;
}

static void setup(void) {
  memset(&stats, 0, sizeof(stats));
  cr_assert_eq(core_pipe_init(&pipe_, &stats, 1024, 8192, NULL, NULL), 0);
  cr_assert_eq(core_pipe_spans_init(&pipe_, sink, NULL), 0);
  cr_assert_eq(stor_spanenc_init(&enc, CORE_SPANHEAD_SPANS_MAX), 0);
  cr_assert_eq(stor_spandec_init(&dec), 0);
  blk = malloc(BLK_CAP);
  cr_assert(blk);
  sealed = sealed_spans = 0;
}

static void teardown(void) {
  core_pipe_free(&pipe_);
  stor_spanenc_free(&enc);
  stor_spandec_free(&dec);
  free(blk);
}

TestSuite(spanhead, .init = setup, .fini = teardown);

static const struct core_otlp_sink span_sink = {
    .span = core_pipe_otlp_span,
    .event = core_pipe_otlp_event,
    .link = core_pipe_otlp_link,
    .ctx = &pipe_};

static size_t slurp(const char *name, uint8_t *buf, size_t cap) {
  char path[512];
  snprintf(path, sizeof path, "%s/%s", OTLP_FIXTURE_DIR, name);
  FILE *f = fopen(path, "rb");
  cr_assert(f, "open %s", path);
  size_t n = fread(buf, 1, cap, f);
  fclose(f);
  return n;
}

static int hex_eq(const uint8_t *id, size_t n, const char *hex) {
  char s[40];
  for (size_t i = 0; i < n; i++)
    snprintf(s + 2 * i, 3, "%02x", id[i]);
  return strcmp(s, hex) == 0;
}

static int str_is(struct core_otlp_str s, const char *want) {
  return s.len == strlen(want) && memcmp(s.ptr, want, s.len) == 0;
}

/* The fixture through decode -> callbacks -> head -> block -> reader. */
Test(spanhead, fixture_round_trip) {
  static uint8_t req[4096];
  static struct core_otlp_scratch scratch;
  const char *why = NULL;
  size_t len = slurp("traces.bin", req, sizeof req);

  cr_assert_eq(core_otlp_traces_decode(req, len, &scratch, &span_sink, &why),
               0, "%s", why ? why : "");
  cr_assert_eq(pipe_.spanhead.count, 2);
  cr_assert_eq(pipe_.spanhead.res_count, 1, "the shared resource is kept once");
  /* the second span is open until a tick, a seal or the next span */
  cr_assert_eq(stats.spans_otlp, 1);
  core_spanhead_tick(&pipe_.spanhead, 0, 1000000);
  cr_assert_eq(stats.spans_otlp, 2);
  core_spanhead_seal(&pipe_.spanhead);
  cr_assert_eq(sealed, 1);
  cr_assert_eq(pipe_.spanhead.count, 0);

  struct stor_spanblock_reader r;
  struct stor_span s;
  cr_assert_eq(stor_spanblock_reader_init(&r, &dec, blk, blk_len), 0);
  cr_assert_eq(stor_spanblock_next(&r, &s), 1);
  cr_assert(hex_eq(s.trace_id, 16, "5b8efff798038103d269b633813fc60c"));
  cr_assert(hex_eq(s.span_id, 8, "eee19b7ec3c1b174"));
  cr_assert_not(s.has_parent);
  cr_assert(str_is(s.name, "GET /api/cart"));
  cr_assert_eq(s.kind, 2);
  cr_assert_eq(s.start_ns, INT64_C(1765000000123456789));
  cr_assert_eq(s.end_ns, INT64_C(1765000001987654321));
  cr_assert_eq(s.status_code, 2);
  cr_assert(str_is(s.status_message, "upstream timeout"));
  cr_assert_eq(s.attrs.n, 2);
  cr_assert(str_is(s.attrs.v[0].key, "http.method"));
  cr_assert(str_is(s.attrs.v[0].value.s, "GET"));
  cr_assert_eq(s.attrs.v[1].value.type, CORE_OTLP_V_INT);
  cr_assert_eq(s.attrs.v[1].value.i, 500);
  cr_assert_eq(s.event_count, 2);
  cr_assert(str_is(s.events[0].name, "retry"));
  cr_assert_eq(s.events[0].time_ns, INT64_C(1765000000123456789));
  cr_assert_eq(s.events[0].attrs.n, 1);
  cr_assert_eq(s.events[0].attrs.v[0].value.i, 2);
  cr_assert(str_is(s.events[1].name, "give up"));
  cr_assert_eq(s.events[1].attrs.n, 0);
  cr_assert_eq(s.link_count, 1);
  cr_assert(hex_eq(s.links[0].trace_id, 16, "0af7651916cd43dd8448eb211c80319c"));
  cr_assert(hex_eq(s.links[0].span_id, 8, "53995c3f42cd8ad8"));
  cr_assert(str_is(s.links[0].attrs.v[0].value.s, "batch"));
  cr_assert(str_is(s.res->service, "checkout"));
  cr_assert(str_is(s.res->scope_name, "sluice.fixture"));
  cr_assert_eq(s.res->attrs.n, 3);
  cr_assert_eq(stor_spanblock_next(&r, &s), 1);
  cr_assert(hex_eq(s.span_id, 8, "53995c3f42cd8ad8"));
  cr_assert(s.has_parent);
  cr_assert(hex_eq(s.parent_id, 8, "eee19b7ec3c1b174"));
  cr_assert(str_is(s.name, "db.query"));
  cr_assert_eq(s.kind, 3);
  cr_assert_eq(s.status_code, 1);
  cr_assert_eq(s.event_count + s.link_count + s.attrs.n, 0);
  cr_assert_eq(stor_spanblock_next(&r, &s), 0);
}

/* ---- hand-made spans for the bounds -------------------------------------- */

static uint8_t tid[16] = {1}, sid[8] = {2};
static struct core_otlp_origin origin;

static struct core_otlp_span span(uint32_t events, uint32_t links) {
  return (struct core_otlp_span){.origin = &origin, .trace_id = tid,
                                 .span_id = sid, .name = {"op", 2},
                                 .start_ns = 100, .end_ns = 200,
                                 .events_n = events, .links_n = links};
}

static uint64_t rejected(enum core_span_reject r) {
  return stats.spans_rejected[r];
}

Test(spanhead, bounds_refuse_the_whole_span) {
  static char big[CORE_SPAN_VALUE_BYTES_MAX + 1];
  struct core_otlp_attr a = {{"k", 1},
                             {.type = CORE_OTLP_V_STRING, .s = {big, sizeof(big)}}};
  struct core_otlp_span s = span(CORE_SPAN_EVENTS_MAX + 1, 0);

  cr_assert_eq(core_pipe_otlp_span(&pipe_, &s), 0);
  cr_assert_eq(rejected(CORE_SPAN_REJ_EVENTS), 1);
  s = span(0, CORE_SPAN_LINKS_MAX + 1);
  core_pipe_otlp_span(&pipe_, &s);
  cr_assert_eq(rejected(CORE_SPAN_REJ_LINKS), 1);
  s = span(0, 0);
  s.name.len = CORE_SPAN_NAME_BYTES_MAX + 1;
  s.name.ptr = big;
  core_pipe_otlp_span(&pipe_, &s);
  cr_assert_eq(rejected(CORE_SPAN_REJ_NAME_BYTES), 1);
  s = span(0, 0);
  s.attrs = (struct core_otlp_attrs){&a, 1};
  core_pipe_otlp_span(&pipe_, &s);
  cr_assert_eq(rejected(CORE_SPAN_REJ_VALUE_BYTES), 1);
  /* many values each within their bound, together over the span's */
  static struct core_otlp_attr sixteen[16];
  for (int i = 0; i < 16; i++)
    sixteen[i] = (struct core_otlp_attr){
        {"k", 1}, {.type = CORE_OTLP_V_STRING, .s = {big, sizeof(big) - 1}}};
  s = span(0, 0);
  s.attrs = (struct core_otlp_attrs){sixteen, 16};
  core_pipe_otlp_span(&pipe_, &s);
  cr_assert_eq(rejected(CORE_SPAN_REJ_SPAN_BYTES), 1);
  cr_assert_eq(pipe_.spanhead.count, 0, "nothing of them is kept");
  cr_assert_eq(pipe_.spanhead.arena_len, 0);
  /* a resource over its bound */
  struct core_otlp_attr ra[CORE_OTLP_ATTRS_MAX];
  for (int i = 0; i < CORE_OTLP_ATTRS_MAX; i++)
    ra[i] = (struct core_otlp_attr){{"r", 1},
                                    {.type = CORE_OTLP_V_BYTES, .s = {big, 4096}}};
  origin.resource = (struct core_otlp_attrs){ra, CORE_OTLP_ATTRS_MAX};
  s = span(0, 0);
  core_pipe_otlp_span(&pipe_, &s);
  cr_assert_eq(rejected(CORE_SPAN_REJ_RESOURCE_BYTES), 1);
  cr_assert_eq(core_pipe_spans_refused(&pipe_), 6);
  origin.resource = (struct core_otlp_attrs){NULL, 0};
  core_spanhead_close(&pipe_.spanhead);
  cr_assert_eq(stats.spans_otlp, 0);
}

/* Events that put a span over its attribute bound take it back out, with
 * everything it had copied; the span before it stays. */
Test(spanhead, a_part_over_a_bound_takes_the_span_out) {
  static struct core_otlp_attr many[CORE_OTLP_ATTRS_MAX];
  for (int i = 0; i < CORE_OTLP_ATTRS_MAX; i++)
    many[i] = (struct core_otlp_attr){{"key", 3},
                                      {.type = CORE_OTLP_V_STRING, .s = {"v", 1}}};
  struct core_otlp_span s = span(0, 0);
  core_pipe_otlp_span(&pipe_, &s);
  size_t arena = pipe_.spanhead.arena_len;
  uint32_t attrs = pipe_.spanhead.attr_count;

  s = span(CORE_SPAN_EVENTS_MAX, 1);
  s.attrs = (struct core_otlp_attrs){many, CORE_OTLP_ATTRS_MAX};
  core_pipe_otlp_span(&pipe_, &s);
  cr_assert_eq(stats.spans_otlp, 1, "the first is closed by the second");
  struct core_otlp_event e = {.time_ns = 150, .name = {"ev", 2},
                              .attrs = {many, CORE_OTLP_ATTRS_MAX}};
  int n = 0;
  while (rejected(CORE_SPAN_REJ_ATTRS) == 0 && n < CORE_SPAN_EVENTS_MAX) {
    cr_assert_eq(core_pipe_otlp_event(&pipe_, &s, &e), 0);
    n++;
  }
  cr_assert_eq(n, CORE_SPAN_ATTRS_MAX / CORE_OTLP_ATTRS_MAX,
               "refused at the event passing %d attributes", CORE_SPAN_ATTRS_MAX);
  /* later parts of the refused span are dropped, not counted again */
  struct core_otlp_link l = {.trace_id = tid, .span_id = sid};
  core_pipe_otlp_link(&pipe_, &s, &l);
  core_pipe_otlp_event(&pipe_, &s, &e);
  cr_assert_eq(rejected(CORE_SPAN_REJ_ATTRS), 1);
  cr_assert_eq(pipe_.spanhead.count, 1);
  cr_assert_eq(pipe_.spanhead.arena_len, arena);
  cr_assert_eq(pipe_.spanhead.attr_count, attrs);
  cr_assert_eq(pipe_.spanhead.event_count, 0);
  cr_assert_eq(pipe_.spanhead.link_count, 0);
  core_spanhead_seal(&pipe_.spanhead);
  cr_assert_eq(stats.spans_otlp, 1);
  cr_assert_eq(sealed_spans, 1);
  /* more parts than the span announced: refused too */
  s = span(1, 0);
  core_pipe_otlp_span(&pipe_, &s);
  e.attrs.n = 0;
  core_pipe_otlp_event(&pipe_, &s, &e);
  core_pipe_otlp_event(&pipe_, &s, &e);
  cr_assert_eq(rejected(CORE_SPAN_REJ_EVENTS), 1);
  cr_assert_eq(pipe_.spanhead.count, 0);
}

Test(spanhead, seals_at_the_count_bound_and_by_age) {
  struct core_otlp_span s = span(0, 0);
  for (uint32_t i = 0; i < CORE_SPANHEAD_SPANS_MAX; i++)
    core_pipe_otlp_span(&pipe_, &s);
  cr_assert_eq(sealed, 0);
  core_pipe_otlp_span(&pipe_, &s);
  cr_assert_eq(sealed, 1);
  cr_assert_eq(sealed_spans, CORE_SPANHEAD_SPANS_MAX);
  cr_assert_eq(pipe_.spanhead.count, 1);
  int64_t t0 = pipe_.spanhead.opened_ms;
  core_spanhead_tick(&pipe_.spanhead, t0 + 999, 1000);
  cr_assert_eq(sealed, 1);
  core_spanhead_tick(&pipe_.spanhead, t0 + 1000, 1000);
  cr_assert_eq(sealed, 2);
  cr_assert_eq(stats.spans_otlp, CORE_SPANHEAD_SPANS_MAX + 1);
  /* a clock stepped back seals too */
  core_pipe_otlp_span(&pipe_, &s);
  core_spanhead_tick(&pipe_.spanhead, pipe_.spanhead.opened_ms - 5, 1000);
  cr_assert_eq(sealed, 3);
}

/* Many distinct resources and big spans: the head seals before a bound
 * would be passed, and every sealed block encodes. */
Test(spanhead, seals_before_arena_or_resources_run_out) {
  static char big[CORE_SPAN_VALUE_BYTES_MAX];
  static struct core_otlp_attr attrs[16];
  struct core_otlp_attr ra = {{"service.name", 12},
                              {.type = CORE_OTLP_V_INT}};
  memset(big, 'x', sizeof(big));
  for (int i = 0; i < 16; i++)
    attrs[i] = (struct core_otlp_attr){{"blob", 4},
                                       {.type = CORE_OTLP_V_STRING,
                                        .s = {big, sizeof(big)}}};
  origin.resource = (struct core_otlp_attrs){&ra, 1};
  for (int i = 0; i < 3000; i++) {
    struct core_otlp_span s = span(0, 0);
    ra.value.i = i; /* a new resource each span */
    s.attrs = (struct core_otlp_attrs){attrs, i % 7 == 0 ? 8 : 1};
    core_pipe_otlp_span(&pipe_, &s);
  }
  core_spanhead_seal(&pipe_.spanhead);
  origin.resource = (struct core_otlp_attrs){NULL, 0};
  cr_assert_gt(sealed, 3);
  cr_assert_eq(sealed_spans, 3000);
  cr_assert_eq(stats.spans_otlp, 3000);
  for (int r = 1; r < CORE_SPAN_REJ_COUNT; r++)
    cr_assert_eq(stats.spans_rejected[r], 0);
}

Test(spanhead, reason_names) {
  cr_assert_str_eq(core_span_reject_name(CORE_SPAN_REJ_ATTRS), "attributes");
  cr_assert_str_eq(core_span_reject_name(CORE_SPAN_REJ_COUNT), "?");
}

/* Parts with no span open (an empty head, or after a seal) are dropped. */
Test(spanhead, parts_without_an_open_span) {
  struct core_otlp_span s = span(1, 1);
  struct core_otlp_event e = {.time_ns = 1, .name = {"e", 1}};
  struct core_otlp_link l = {.trace_id = tid, .span_id = sid};

  cr_assert_eq(core_pipe_otlp_event(&pipe_, &s, &e), 0);
  cr_assert_eq(core_pipe_otlp_link(&pipe_, &s, &l), 0);
  core_pipe_otlp_span(&pipe_, &s);
  core_spanhead_seal(&pipe_.spanhead);
  cr_assert_eq(core_pipe_otlp_event(&pipe_, &s, &e), 0);
  cr_assert_eq(pipe_.spanhead.count + pipe_.spanhead.event_count, 0);
  for (int r = 1; r < CORE_SPAN_REJ_COUNT; r++)
    cr_assert_eq(stats.spans_rejected[r], 0);
  cr_assert_eq(stats.spans_otlp, 1);
}
