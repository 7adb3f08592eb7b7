/*
 * tests/unit/storage/span_test_util.h - random spans (with events, links,
 * attributes of every value type and shared resources) and a field-by-field
 * comparison, for the span block and span scan tests.
 */
#ifndef SLUICE_TESTS_SPAN_TEST_UTIL_H
#define SLUICE_TESTS_SPAN_TEST_UTIL_H

#include <criterion/criterion.h>
#include <string.h>

#include "storage/spanblock_types.h"
#include "storage_test_util.h"

#define GEN_SPANS_MAX 2000
#define GEN_RES 3

struct span_gen {
  uint64_t rng;
  struct stor_span spans[GEN_SPANS_MAX];
  struct stor_span_res res[GEN_RES];
  struct stor_span_event events[GEN_SPANS_MAX * 2];
  struct stor_span_link links[GEN_SPANS_MAX];
  struct core_otlp_attr attrs[GEN_SPANS_MAX * 12];
  char pool[4u << 20];
  size_t pool_len, attrs_n;
};

static inline struct core_otlp_str gen_str(struct span_gen *g, uint32_t max,
                                           int binary) {
  uint32_t n = rng_below(&g->rng, 3) == 0 ? 0
                                          : (uint32_t)rng_below(&g->rng, max + 1);
  char *p = g->pool + g->pool_len;

  cr_assert(g->pool_len + n <= sizeof(g->pool));
  for (uint32_t i = 0; i < n; i++)
    p[i] = binary ? (char)rng_next(&g->rng) : (char)('a' + rng_below(&g->rng, 5));
  g->pool_len += n;
  return (struct core_otlp_str){p, n};
}

static inline struct core_otlp_attrs gen_attrs(struct span_gen *g, uint32_t max) {
  uint32_t n = (uint32_t)rng_below(&g->rng, max + 1);
  struct core_otlp_attr *a = &g->attrs[g->attrs_n];

  cr_assert(g->attrs_n + n <= sizeof(g->attrs) / sizeof(g->attrs[0]));
  for (uint32_t i = 0; i < n; i++) {
    struct core_otlp_value v = {.type = (enum core_otlp_vtype)rng_below(&g->rng, 8)};
    if (v.type == CORE_OTLP_V_INT)
      v.i = (int64_t)rng_next(&g->rng);
    else if (v.type == CORE_OTLP_V_BOOL)
      v.i = (int64_t)rng_below(&g->rng, 2);
    else if (v.type == CORE_OTLP_V_DOUBLE)
      v.d = rng_below(&g->rng, 4) ? (double)rng_below(&g->rng, 1000) / 8
                                  : special_value(&g->rng);
    else if (v.type != CORE_OTLP_V_NONE)
      v.s = gen_str(g, rng_below(&g->rng, 10) ? 12 : 400, 1);
    a[i] = (struct core_otlp_attr){gen_str(g, 10, 0), v};
  }
  g->attrs_n += n;
  return (struct core_otlp_attrs){a, n};
}

static inline void gen_id(struct span_gen *g, uint8_t *id, size_t n) {
  for (size_t i = 0; i < n; i++)
    id[i] = (uint8_t)rng_next(&g->rng);
}

/* n random spans starting near t0, traces of about 5 spans, parents inside
 * the block mostly. */
static inline void gen_spans(struct span_gen *g, uint32_t n, int64_t t0) {
  size_t ev = 0, ln = 0;

  g->pool_len = g->attrs_n = 0;
  for (int r = 0; r < GEN_RES; r++) {
    g->res[r] = (struct stor_span_res){.attrs = gen_attrs(g, 5),
                                       .scope_name = gen_str(g, 8, 0),
                                       .scope_version = gen_str(g, 4, 0)};
  }
  cr_assert(n <= GEN_SPANS_MAX);
  for (uint32_t i = 0; i < n; i++) {
    struct stor_span *s = &g->spans[i];
    *s = (struct stor_span){
        .kind = (uint32_t)rng_below(&g->rng, 6),
        .status_code = (uint32_t)rng_below(&g->rng, 3),
        .flags = (uint32_t)rng_next(&g->rng),
        .start_ns = t0 + (int64_t)rng_below(&g->rng, 5000000000u),
        .name = gen_str(g, 20, 0),
        .status_message = gen_str(g, 30, 1),
        .trace_state = gen_str(g, 16, 0),
        .res = &g->res[rng_below(&g->rng, GEN_RES)]};
    s->end_ns = s->start_ns + (int64_t)rng_below(&g->rng, 1000000) -
                (rng_below(&g->rng, 50) == 0 ? 2000000 : 0);
    if (i % 5 && rng_below(&g->rng, 8))
      memcpy(s->trace_id, g->spans[i - 1].trace_id, 16);
    else
      gen_id(g, s->trace_id, 16);
    gen_id(g, s->span_id, 8);
    s->has_parent = i % 5 != 0;
    if (s->has_parent && rng_below(&g->rng, 4))
      memcpy(s->parent_id, g->spans[i - 1].span_id, 8);
    else
      gen_id(g, s->parent_id, 8);
    s->attrs = gen_attrs(g, 6);
    s->event_count = (uint32_t)rng_below(&g->rng, 3);
    s->events = &g->events[ev];
    for (uint32_t k = 0; k < s->event_count; k++)
      g->events[ev++] = (struct stor_span_event){
          .time_ns = s->start_ns + (int64_t)rng_below(&g->rng, 3000) - 1000,
          .name = gen_str(g, 10, 0), .attrs = gen_attrs(g, 2)};
    s->link_count = (uint32_t)rng_below(&g->rng, 2);
    s->links = &g->links[ln];
    for (uint32_t k = 0; k < s->link_count; k++) {
      struct stor_span_link *l = &g->links[ln++];
      *l = (struct stor_span_link){.trace_state = gen_str(g, 8, 0),
                                   .flags = (uint32_t)rng_next(&g->rng),
                                   .attrs = gen_attrs(g, 2)};
      gen_id(g, l->trace_id, 16);
      gen_id(g, l->span_id, 8);
    }
  }
}

static inline int gen_str_eq(struct core_otlp_str a, struct core_otlp_str b) {
  return a.len == b.len && (a.len == 0 || memcmp(a.ptr, b.ptr, a.len) == 0);
}

static inline void check_attrs(const struct core_otlp_attrs *a,
                               const struct core_otlp_attrs *b) {
  cr_assert_eq(a->n, b->n);
  for (uint32_t i = 0; i < a->n; i++) {
    const struct core_otlp_value *x = &a->v[i].value, *y = &b->v[i].value;
    cr_assert(gen_str_eq(a->v[i].key, b->v[i].key));
    cr_assert_eq(x->type, y->type);
    if (x->type == CORE_OTLP_V_INT || x->type == CORE_OTLP_V_BOOL)
      cr_assert_eq(x->i, y->i);
    else if (x->type == CORE_OTLP_V_DOUBLE)
      cr_assert_eq(double_bits(x->d), double_bits(y->d));
    else if (x->type != CORE_OTLP_V_NONE)
      cr_assert(gen_str_eq(x->s, y->s));
  }
}

static inline void check_res(const struct stor_span_res *a,
                             const struct stor_span_res *b) {
  check_attrs(&a->attrs, &b->attrs);
  cr_assert(gen_str_eq(a->scope_name, b->scope_name));
  cr_assert(gen_str_eq(a->scope_version, b->scope_version));
}

/* got (decoded) against want (given to the encoder), every field. */
static inline void check_span(const struct stor_span *got,
                              const struct stor_span *want) {
  cr_assert(memcmp(got->trace_id, want->trace_id, 16) == 0);
  cr_assert(memcmp(got->span_id, want->span_id, 8) == 0);
  cr_assert_eq(got->has_parent, want->has_parent);
  if (want->has_parent)
    cr_assert(memcmp(got->parent_id, want->parent_id, 8) == 0);
  cr_assert_eq(got->kind, want->kind);
  cr_assert_eq(got->status_code, want->status_code);
  cr_assert_eq(got->flags, want->flags);
  cr_assert_eq(got->start_ns, want->start_ns);
  cr_assert_eq(got->end_ns, want->end_ns);
  cr_assert(gen_str_eq(got->name, want->name));
  cr_assert(gen_str_eq(got->status_message, want->status_message));
  cr_assert(gen_str_eq(got->trace_state, want->trace_state));
  check_attrs(&got->attrs, &want->attrs);
  cr_assert_eq(got->event_count, want->event_count);
  for (uint32_t k = 0; k < want->event_count; k++) {
    cr_assert_eq(got->events[k].time_ns, want->events[k].time_ns);
    cr_assert(gen_str_eq(got->events[k].name, want->events[k].name));
    check_attrs(&got->events[k].attrs, &want->events[k].attrs);
  }
  cr_assert_eq(got->link_count, want->link_count);
  for (uint32_t k = 0; k < want->link_count; k++) {
    const struct stor_span_link *x = &got->links[k], *y = &want->links[k];
    cr_assert(memcmp(x->trace_id, y->trace_id, 16) == 0);
    cr_assert(memcmp(x->span_id, y->span_id, 8) == 0);
    cr_assert(gen_str_eq(x->trace_state, y->trace_state));
    cr_assert_eq(x->flags, y->flags);
    check_attrs(&x->attrs, &y->attrs);
  }
  check_res(got->res, want->res);
}

#endif
