/*
 * core/ingest/spanhead.c - the open span block.
 *
 * A decoded span points into the request buffer and the decoder's
 * scratch, both reused for the next request; the head copies every byte
 * it keeps into its arena and every attribute into its arrays, so a span
 * costs copies and no allocation. Resources repeat across the spans of a
 * request: one equal to the last kept is shared, not copied again.
 */
#include "core/ingest/spanhead.h"

#include <errno.h>
#include <string.h>
#include <sys/mman.h>

#include "core/base/assert.h"
#include "core/base/limits.h"
#include "core/base/stat.h"
#include "storage/spanblock.h"

#define ARRAY_BYTES(p, n) (sizeof(*(p)) * (size_t)(n))

static void *map(size_t n) {
  void *p = mmap(NULL, n, PROT_READ | PROT_WRITE,
                 MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
  return p == MAP_FAILED ? NULL : p;
}

static void unmap(void *p, size_t n) {
  if (p)
    munmap(p, n);
}

void core_spanhead_free(struct core_spanhead *h) {
  unmap(h->spans, ARRAY_BYTES(h->spans, CORE_SPANHEAD_SPANS_MAX));
  unmap(h->events, ARRAY_BYTES(h->events, CORE_SPANHEAD_EVENTS_MAX));
  unmap(h->links, ARRAY_BYTES(h->links, CORE_SPANHEAD_LINKS_MAX));
  unmap(h->attrs, ARRAY_BYTES(h->attrs, CORE_SPANHEAD_ATTRS_MAX));
  unmap(h->res, ARRAY_BYTES(h->res, CORE_SPANHEAD_RESOURCES_MAX));
  unmap(h->res_attrs, ARRAY_BYTES(h->res_attrs, CORE_SPANHEAD_RES_ATTRS_MAX));
  unmap(h->arena, CORE_SPANHEAD_ARENA_BYTES);
  memset(h, 0, sizeof(*h));
}

int core_spanhead_init(struct core_spanhead *h, core_spanhead_sink_fn sink,
                       void *ctx, uint64_t *stored) {
  memset(h, 0, sizeof(*h));
  h->spans = map(ARRAY_BYTES(h->spans, CORE_SPANHEAD_SPANS_MAX));
  h->events = map(ARRAY_BYTES(h->events, CORE_SPANHEAD_EVENTS_MAX));
  h->links = map(ARRAY_BYTES(h->links, CORE_SPANHEAD_LINKS_MAX));
  h->attrs = map(ARRAY_BYTES(h->attrs, CORE_SPANHEAD_ATTRS_MAX));
  h->res = map(ARRAY_BYTES(h->res, CORE_SPANHEAD_RESOURCES_MAX));
  h->res_attrs = map(ARRAY_BYTES(h->res_attrs, CORE_SPANHEAD_RES_ATTRS_MAX));
  h->arena = map(CORE_SPANHEAD_ARENA_BYTES);
  if (!h->spans || !h->events || !h->links || !h->attrs || !h->res ||
      !h->res_attrs || !h->arena) {
    core_spanhead_free(h);
    return -ENOMEM;
  }
  h->sink = sink;
  h->sink_ctx = ctx;
  h->stored = stored;
  return 0;
}

/* ---- sealing ------------------------------------------------------------ */

void core_spanhead_close(struct core_spanhead *h) {
  if (h->open && h->stored)
    core_stat_add(h->stored, 1);
  h->open = false;
}

void core_spanhead_seal(struct core_spanhead *h) {
  core_spanhead_close(h);
  if (h->count == 0)
    return;
  if (h->sink != NULL)
    h->sink(h, h->sink_ctx);
  h->sealed_blocks++;
  h->sealed_spans += h->count;
  h->count = h->event_count = h->link_count = h->attr_count = 0;
  h->res_count = h->res_attr_count = 0;
  h->arena_len = 0;
  h->opened_ms = 0;
}

void core_spanhead_tick(struct core_spanhead *h, int64_t now_ms,
                        int64_t max_age_ms) {
  core_spanhead_close(h);
  if (h->count == 0)
    return;
  if (now_ms - h->opened_ms >= max_age_ms || now_ms < h->opened_ms)
    core_spanhead_seal(h);
}

/* ---- bounds ------------------------------------------------------------- */

/* Bytes of attribute list a as copied; sets *why for one over a bound. */
static size_t attrs_bytes(const struct core_otlp_attrs *a,
                          enum core_span_reject *why) {
  size_t n = 0;

  for (uint32_t i = 0; i < a->n; i++) {
    const struct core_otlp_attr *x = &a->v[i];
    uint32_t v = x->value.type == CORE_OTLP_V_NONE ||
                         x->value.type == CORE_OTLP_V_INT ||
                         x->value.type == CORE_OTLP_V_BOOL ||
                         x->value.type == CORE_OTLP_V_DOUBLE
                     ? 0 : x->value.s.len;
    if (x->key.len > CORE_SPAN_NAME_BYTES_MAX)
      *why = CORE_SPAN_REJ_NAME_BYTES;
    else if (v > CORE_SPAN_VALUE_BYTES_MAX)
      *why = CORE_SPAN_REJ_VALUE_BYTES;
    n += x->key.len + v;
  }
  return n;
}

/* The span's own bytes and bounds (its parts come later). */
static enum core_span_reject span_check(const struct core_otlp_span *s,
                                        size_t *bytes) {
  enum core_span_reject why = CORE_SPAN_OK;
  size_t n = attrs_bytes(&s->attrs, &why);

  if (s->events_n > CORE_SPAN_EVENTS_MAX)
    return CORE_SPAN_REJ_EVENTS;
  if (s->links_n > CORE_SPAN_LINKS_MAX)
    return CORE_SPAN_REJ_LINKS;
  if (s->attrs.n > CORE_SPAN_ATTRS_MAX)
    return CORE_SPAN_REJ_ATTRS;
  if (s->name.len > CORE_SPAN_NAME_BYTES_MAX)
    return CORE_SPAN_REJ_NAME_BYTES;
  if (s->status_message.len > CORE_SPAN_VALUE_BYTES_MAX ||
      s->trace_state.len > CORE_SPAN_VALUE_BYTES_MAX)
    return CORE_SPAN_REJ_VALUE_BYTES;
  if (why != CORE_SPAN_OK)
    return why;
  n += s->name.len + s->status_message.len + s->trace_state.len;
  *bytes = n;
  return n > CORE_SPAN_BYTES_MAX ? CORE_SPAN_REJ_SPAN_BYTES : CORE_SPAN_OK;
}

static enum core_span_reject res_check(const struct core_otlp_origin *o,
                                       size_t *bytes) {
  enum core_span_reject why = CORE_SPAN_OK;
  size_t n = attrs_bytes(&o->resource, &why) + o->scope_name.len +
             o->scope_version.len;

  *bytes = n;
  return why != CORE_SPAN_OK || n > CORE_SPAN_RESOURCE_BYTES_MAX ||
                 o->resource.n > CORE_OTLP_ATTRS_MAX
             ? CORE_SPAN_REJ_RESOURCE_BYTES : CORE_SPAN_OK;
}

/* Room for one more span of the worst size with its announced parts. */
static bool room(const struct core_spanhead *h, const struct core_otlp_span *s) {
  return h->count < CORE_SPANHEAD_SPANS_MAX &&
         h->event_count + s->events_n <= CORE_SPANHEAD_EVENTS_MAX &&
         h->link_count + s->links_n <= CORE_SPANHEAD_LINKS_MAX &&
         h->attr_count + CORE_SPAN_ATTRS_MAX <= CORE_SPANHEAD_ATTRS_MAX &&
         h->res_count < CORE_SPANHEAD_RESOURCES_MAX &&
         h->res_attr_count + CORE_OTLP_ATTRS_MAX <=
             CORE_SPANHEAD_RES_ATTRS_MAX &&
         h->arena_len + CORE_SPAN_BYTES_MAX + CORE_SPAN_RESOURCE_BYTES_MAX <=
             CORE_SPANHEAD_ARENA_BYTES;
}

/* ---- copying ------------------------------------------------------------ */

static struct core_otlp_str copy_str(struct core_spanhead *h,
                                     struct core_otlp_str s) {
  char *dst = h->arena + h->arena_len;

  if (s.len == 0)
    return (struct core_otlp_str){"", 0};
  ASSERT(h->arena_len + s.len <= CORE_SPANHEAD_ARENA_BYTES);
  memcpy(dst, s.ptr, s.len);
  h->arena_len += s.len;
  return (struct core_otlp_str){dst, s.len};
}

static bool has_bytes(enum core_otlp_vtype t) {
  return t != CORE_OTLP_V_NONE && t != CORE_OTLP_V_INT &&
         t != CORE_OTLP_V_BOOL && t != CORE_OTLP_V_DOUBLE;
}

/* Copy a's attributes to dst (room checked by the caller). */
static struct core_otlp_attrs copy_attrs(struct core_spanhead *h,
                                         struct core_otlp_attr *dst,
                                         const struct core_otlp_attrs *a) {
  for (uint32_t i = 0; i < a->n; i++) {
    dst[i].key = copy_str(h, a->v[i].key);
    dst[i].value = a->v[i].value;
    if (has_bytes(a->v[i].value.type))
      dst[i].value.s = copy_str(h, a->v[i].value.s);
    else
      dst[i].value.s = (struct core_otlp_str){"", 0};
  }
  return (struct core_otlp_attrs){dst, a->n};
}

static bool str_eq(struct core_otlp_str a, struct core_otlp_str b) {
  return a.len == b.len && (a.len == 0 || memcmp(a.ptr, b.ptr, a.len) == 0);
}

static bool attrs_eq(const struct core_otlp_attrs *a,
                     const struct core_otlp_attrs *b) {
  if (a->n != b->n)
    return false;
  for (uint32_t i = 0; i < a->n; i++) {
    const struct core_otlp_value *x = &a->v[i].value, *y = &b->v[i].value;
    if (!str_eq(a->v[i].key, b->v[i].key) || x->type != y->type)
      return false;
    if (x->type == CORE_OTLP_V_DOUBLE
            ? memcmp(&x->d, &y->d, sizeof(x->d)) != 0
            : has_bytes(x->type) ? !str_eq(x->s, y->s) : x->i != y->i)
      return false;
  }
  return true;
}

/* The head's entry for o: the last one when equal, else a new copy. */
static const struct stor_span_res *take_res(struct core_spanhead *h,
                                            const struct core_otlp_origin *o) {
  struct stor_span_res *r = h->res_count ? &h->res[h->res_count - 1] : NULL;

  if (r && attrs_eq(&r->attrs, &o->resource) &&
      str_eq(r->scope_name, o->scope_name) &&
      str_eq(r->scope_version, o->scope_version))
    return r;
  r = &h->res[h->res_count++];
  r->attrs = copy_attrs(h, h->res_attrs + h->res_attr_count, &o->resource);
  h->res_attr_count += o->resource.n;
  r->scope_name = copy_str(h, o->scope_name);
  r->scope_version = copy_str(h, o->scope_version);
  r->service = stor_span_service(&r->attrs);
  return r;
}

/* ---- spans, events, links ---------------------------------------------- */

static struct core_spanhead_mark mark_of(const struct core_spanhead *h) {
  return (struct core_spanhead_mark){
      .count = h->count, .event_count = h->event_count,
      .link_count = h->link_count, .attr_count = h->attr_count,
      .res_count = h->res_count, .res_attr_count = h->res_attr_count,
      .arena_len = h->arena_len};
}

/* Take the open span back out: the head is as before it came. */
static void undo(struct core_spanhead *h) {
  const struct core_spanhead_mark *m = &h->mark;

  h->count = m->count;
  h->event_count = m->event_count;
  h->link_count = m->link_count;
  h->attr_count = m->attr_count;
  h->res_count = m->res_count;
  h->res_attr_count = m->res_attr_count;
  h->arena_len = m->arena_len;
  h->open = false;
}

static struct stor_span *fill(struct core_spanhead *h,
                              const struct core_otlp_span *s) {
  struct stor_span *d = &h->spans[h->count++];

  *d = (struct stor_span){
      .has_parent = s->parent_span_id != NULL,
      .kind = s->kind, .status_code = s->status_code, .flags = s->flags,
      .start_ns = (int64_t)s->start_ns, .end_ns = (int64_t)s->end_ns,
      .events = h->events + h->event_count,
      .links = h->links + h->link_count};
  memcpy(d->trace_id, s->trace_id, STOR_TRACE_ID_BYTES);
  memcpy(d->span_id, s->span_id, STOR_SPAN_ID_BYTES);
  if (s->parent_span_id)
    memcpy(d->parent_id, s->parent_span_id, STOR_SPAN_ID_BYTES);
  d->res = take_res(h, s->origin);
  d->name = copy_str(h, s->name);
  d->status_message = copy_str(h, s->status_message);
  d->trace_state = copy_str(h, s->trace_state);
  d->attrs = copy_attrs(h, h->attrs + h->attr_count, &s->attrs);
  h->attr_count += s->attrs.n;
  return d;
}

enum core_span_reject core_spanhead_span(struct core_spanhead *h,
                                         const struct core_otlp_span *s,
                                         int64_t now_ms) {
  size_t bytes = 0, rbytes = 0;
  enum core_span_reject why;

  ASSERT(s->origin != NULL && s->trace_id != NULL && s->span_id != NULL);
  core_spanhead_close(h);
  why = span_check(s, &bytes);
  if (why == CORE_SPAN_OK)
    why = res_check(s->origin, &rbytes);
  if (why != CORE_SPAN_OK)
    return why; /* no span is open: its parts are dropped */
  if (!room(h, s))
    core_spanhead_seal(h);
  ASSERT(room(h, s));
  if (h->count == 0)
    h->opened_ms = now_ms;
  h->mark = mark_of(h);
  fill(h, s);
  h->open = true;
  h->open_attrs = s->attrs.n;
  h->open_bytes = bytes;
  h->open_events_max = s->events_n;
  h->open_links_max = s->links_n;
  return CORE_SPAN_OK;
}

/* A part of the open span: its bounds, then the span's running totals. */
static enum core_span_reject part_check(struct core_spanhead *h,
                                        const struct core_otlp_attrs *a,
                                        size_t own) {
  enum core_span_reject why = CORE_SPAN_OK;
  size_t n = attrs_bytes(a, &why) + own;

  if (why == CORE_SPAN_OK && h->open_attrs + a->n > CORE_SPAN_ATTRS_MAX)
    why = CORE_SPAN_REJ_ATTRS;
  if (why == CORE_SPAN_OK && h->open_bytes + n > CORE_SPAN_BYTES_MAX)
    why = CORE_SPAN_REJ_SPAN_BYTES;
  if (why != CORE_SPAN_OK) {
    undo(h);
    return why;
  }
  h->open_attrs += a->n;
  h->open_bytes += n;
  return CORE_SPAN_OK;
}

enum core_span_reject core_spanhead_event(struct core_spanhead *h,
                                          const struct core_otlp_event *e) {
  struct stor_span *s;
  struct stor_span_event *d;
  enum core_span_reject why;

  if (!h->open)
    return CORE_SPAN_OK; /* a part of a refused span */
  s = &h->spans[h->count - 1];
  if (s->event_count == h->open_events_max) {
    undo(h); /* more than announced: cannot happen with otlp.c */
    return CORE_SPAN_REJ_EVENTS;
  }
  if (e->name.len > CORE_SPAN_NAME_BYTES_MAX) {
    undo(h);
    return CORE_SPAN_REJ_NAME_BYTES;
  }
  if ((why = part_check(h, &e->attrs, e->name.len)) != CORE_SPAN_OK)
    return why;
  d = &h->events[h->event_count++];
  d->time_ns = (int64_t)e->time_ns;
  d->name = copy_str(h, e->name);
  d->attrs = copy_attrs(h, h->attrs + h->attr_count, &e->attrs);
  h->attr_count += e->attrs.n;
  s->event_count++;
  return CORE_SPAN_OK;
}

enum core_span_reject core_spanhead_link(struct core_spanhead *h,
                                         const struct core_otlp_link *l) {
  struct stor_span *s;
  struct stor_span_link *d;
  enum core_span_reject why;

  if (!h->open)
    return CORE_SPAN_OK;
  s = &h->spans[h->count - 1];
  if (s->link_count == h->open_links_max) {
    undo(h);
    return CORE_SPAN_REJ_LINKS;
  }
  if (l->trace_state.len > CORE_SPAN_VALUE_BYTES_MAX) {
    undo(h);
    return CORE_SPAN_REJ_VALUE_BYTES;
  }
  if ((why = part_check(h, &l->attrs, l->trace_state.len)) != CORE_SPAN_OK)
    return why;
  d = &h->links[h->link_count++];
  memcpy(d->trace_id, l->trace_id, STOR_TRACE_ID_BYTES);
  memcpy(d->span_id, l->span_id, STOR_SPAN_ID_BYTES);
  d->trace_state = copy_str(h, l->trace_state);
  d->flags = l->flags;
  d->attrs = copy_attrs(h, h->attrs + h->attr_count, &l->attrs);
  h->attr_count += l->attrs.n;
  s->link_count++;
  return CORE_SPAN_OK;
}
