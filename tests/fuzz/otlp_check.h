/*
 * tests/fuzz/otlp_check.h - what the OTLP decoder fuzz targets check of
 * every item a decoder hands its sink (fuzz_otlp.c: protobuf,
 * fuzz_otlp_json.c: JSON): every string and id lies where the decoder may
 * point (the includer's inside(): the input, and for JSON the arena's used
 * part), attributes and buckets within their bounds, kinds known. The
 * includer defines FUZZ_NAME, inside() and check_value_more().
 */
#ifndef SLUICE_TESTS_FUZZ_OTLP_CHECK_H
#define SLUICE_TESTS_FUZZ_OTLP_CHECK_H

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include "core/parse/otlp_types.h"

#define CHECK(cond)                                                        \
  do {                                                                     \
    if (!(cond)) {                                                         \
      fprintf(stderr, "%s: %s (line %d)\n", FUZZ_NAME, #cond, __LINE__);  \
      abort();                                                             \
    }                                                                      \
  } while (0)

#define INPUT_BYTES_MAX (1 << 20)

static struct core_otlp_scratch scratch;
static const uint8_t *lo; /* the input's exact-size copy */
static size_t lo_len;

/* p..p+n inside base..base+len. */
static inline int fuzz_otlp_in(const uint8_t *base, size_t len, const void *p,
                               size_t n) {
  const uint8_t *q = p;
  return q >= base && q <= base + len && n <= (size_t)(base + len - q);
}

/* Where the decoder may point what it hands out (the includer's). */
static int inside(const void *p, size_t n);
/* What the includer checks of a value beyond what is checked here. */
static void check_value_more(const struct core_otlp_value *v);

static void check_str(struct core_otlp_str s) { CHECK(inside(s.ptr, s.len)); }

static void check_value(const struct core_otlp_value *v) {
  CHECK(v->type <= CORE_OTLP_V_BYTES);
  if (v->type == CORE_OTLP_V_STRING || v->type >= CORE_OTLP_V_ARRAY)
    check_str(v->s);
  check_value_more(v);
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

static const struct core_otlp_sink sink = {
    .point = on_point, .log = on_log, .span = on_span,
    .event = on_event, .link = on_link};

#endif
