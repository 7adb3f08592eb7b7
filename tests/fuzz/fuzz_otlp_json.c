/*
 * tests/fuzz/fuzz_otlp_json.c - libFuzzer target for the OTLP JSON
 * decoders (core/parse/otlp_json*.c).
 *
 * Runs the three decoders over the input (an exact-size copy, so ASan
 * catches any over-read, with an arena of exactly
 * CORE_OTLP_JSON_ARENA_BYTES(size), also an exact-size allocation) and
 * checks what they promise: the result is 0, -EBADMSG or -E2BIG with a
 * reason and never "JSON scratch full" (the arena bound holds for every
 * input), every string, id and raw value handed out lies inside the input
 * or the arena's used part, counts within their bounds, AnyValue arrays
 * and kvlists handed out are protobuf the protobuf reader walks, and
 * decoding without a sink gives the same result as with one. Seeds: the
 * JS SDK's JSON fixtures.
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/parse/otlp_json.h"
#include "core/parse/pb.h"

#define CHECK(cond)                                                            \
  do {                                                                         \
    if (!(cond)) {                                                             \
      fprintf(stderr, "fuzz_otlp_json: %s (line %d)\n", #cond, __LINE__);      \
      abort();                                                                 \
    }                                                                          \
  } while (0)

#define INPUT_BYTES_MAX (1 << 20)

static struct core_otlp_scratch scratch;
static struct core_otlp_jscratch js;
static const uint8_t *lo;
static size_t lo_len;

static int in(const uint8_t *base, size_t len, const void *p, size_t n) {
  const uint8_t *q = p;
  return q >= base && q <= base + len && n <= (size_t)(base + len - q);
}

static int inside(const void *p, size_t n) {
  return n == 0 || in(lo, lo_len, p, n) || in(js.arena, js.used, p, n);
}

static void check_str(struct core_otlp_str s) { CHECK(inside(s.ptr, s.len)); }

/* A transcoded list: protobuf whose every field the reader can skip. */
static void check_list(struct core_otlp_str s) {
  const char *why = NULL;
  struct core_pb r;
  uint32_t f;
  enum core_pb_wire wt;
  int rc;
  core_pb_init(&r, s.ptr, s.len, &why);
  while ((rc = core_pb_tag(&r, &f, &wt)) > 0)
    CHECK(f == 1 && wt == CORE_PB_LEN && core_pb_skip(&r, wt) == 0);
  CHECK(rc == 0);
}

static void check_value(const struct core_otlp_value *v) {
  CHECK(v->type <= CORE_OTLP_V_BYTES);
  if (v->type == CORE_OTLP_V_STRING || v->type >= CORE_OTLP_V_ARRAY)
    check_str(v->s);
  if (v->type == CORE_OTLP_V_ARRAY || v->type == CORE_OTLP_V_KVLIST)
    check_list(v->s);
  if (v->type == CORE_OTLP_V_BOOL)
    CHECK(v->i == 0 || v->i == 1);
}

static void check_attrs(struct core_otlp_attrs a) {
  CHECK(a.n <= CORE_OTLP_ATTRS_MAX);
  for (uint32_t i = 0; i < a.n; i++) {
    check_str(a.v[i].key);
    check_value(&a.v[i].value);
  }
}

static void check_origin(const struct core_otlp_origin *g) {
  check_attrs(g->resource);
  check_str(g->scope_name);
  check_str(g->scope_version);
}

static int on_point(void *ctx, const struct core_otlp_point *p) {
  (void)ctx;
  check_origin(p->origin);
  check_str(p->name);
  check_str(p->description);
  check_str(p->unit);
  check_attrs(p->attrs);
  CHECK(p->bucket_n <= CORE_OTLP_BUCKETS_MAX &&
        p->bounds_n <= CORE_OTLP_BUCKETS_MAX &&
        p->quantile_n <= CORE_OTLP_BUCKETS_MAX &&
        p->positive.n <= CORE_OTLP_BUCKETS_MAX &&
        p->negative.n <= CORE_OTLP_BUCKETS_MAX);
  CHECK(p->kind == CORE_OTLP_GAUGE || p->kind == CORE_OTLP_SUM ||
        p->kind == CORE_OTLP_HISTOGRAM || p->kind == CORE_OTLP_EXP_HISTOGRAM ||
        p->kind == CORE_OTLP_SUMMARY);
  return 0;
}

static int on_log(void *ctx, const struct core_otlp_log *l) {
  (void)ctx;
  check_origin(l->origin);
  check_str(l->severity_text);
  check_str(l->event_name);
  check_value(&l->body);
  check_attrs(l->attrs);
  CHECK(!l->trace_id || inside(l->trace_id, 16));
  CHECK(!l->span_id || inside(l->span_id, 8));
  return 0;
}

static int on_span(void *ctx, const struct core_otlp_span *s) {
  (void)ctx;
  check_origin(s->origin);
  CHECK(inside(s->trace_id, 16) && inside(s->span_id, 8));
  CHECK(!s->parent_span_id || inside(s->parent_span_id, 8));
  check_str(s->name);
  check_str(s->trace_state);
  check_str(s->status_message);
  check_attrs(s->attrs);
  return 0;
}

static int on_event(void *ctx, const struct core_otlp_span *s,
                    const struct core_otlp_event *e) {
  (void)ctx;
  (void)s;
  check_str(e->name);
  check_attrs(e->attrs);
  return 0;
}

static int on_link(void *ctx, const struct core_otlp_span *s,
                   const struct core_otlp_link *l) {
  (void)ctx;
  (void)s;
  CHECK(inside(l->trace_id, 16) && inside(l->span_id, 8));
  check_str(l->trace_state);
  check_attrs(l->attrs);
  return 0;
}

static const struct core_otlp_sink sink = {.point = on_point,
                                           .log = on_log,
                                           .span = on_span,
                                           .event = on_event,
                                           .link = on_link};

typedef int (*decode_fn)(const void *, size_t, struct core_otlp_scratch *,
                         struct core_otlp_jscratch *,
                         const struct core_otlp_sink *, const char **);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  static const decode_fn fns[] = {core_otlp_json_metrics_decode,
                                  core_otlp_json_logs_decode,
                                  core_otlp_json_traces_decode};
  if (size > INPUT_BYTES_MAX)
    return 0;
  uint8_t *buf = malloc(size ? size : 1);
  size_t cap = CORE_OTLP_JSON_ARENA_BYTES(size);
  void *arena = malloc(cap);
  CHECK(buf && arena);
  memcpy(buf, data, size);
  lo = buf;
  lo_len = size;
  for (int i = 0; i < 3; i++) {
    const char *why = NULL, *why2 = NULL;
    core_otlp_json_scratch_init(&js, arena, cap);
    int rc = fns[i](buf, size, &scratch, &js, &sink, &why);
    CHECK(rc == 0 || rc == -EBADMSG || rc == -E2BIG);
    CHECK((rc == 0) == (why == NULL));
    CHECK(!why || strcmp(why, "JSON scratch full"));
    CHECK(js.used <= cap);
    CHECK(scratch.items <= CORE_OTLP_ITEMS_MAX);
    CHECK(fns[i](buf, size, &scratch, &js, NULL, &why2) == rc);
    CHECK(why2 == why);
  }
  free(arena);
  free(buf);
  return 0;
}
