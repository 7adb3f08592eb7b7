/*
 * tools/otlp_gen.c - OTLP/protobuf export requests for `sluice bench
 * otlp` (field numbers of opentelemetry-proto v1, as docs/otlp.md lists
 * them), built once before the senders start.
 */
#include <errno.h>
#include <isa-l/igzip_lib.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tools/otlp_gen.h"

#define WT_VARINT 0
#define WT_I64 1
#define WT_LEN 2
#define WT_I32 5
#define LEN_HOLE 5          /* bytes reserved for a nested length */
#define POINTS_PER_METRIC 10
#define SPANS_PER_TRACE 8   /* a root and its descendants in one request */
#define SPAN_ERROR_EVERY 16 /* one span in this many ends in error */
#define GZIP_SLACK 1024     /* igzip output beyond the input, stored blocks */

/* ---- protobuf writer ------------------------------------------------- */

static void put(struct tools_pbw *w, const void *p, size_t n) {
  if (w->overflow || n > w->cap - w->len) {
    w->overflow = 1;
    return;
  }
  memcpy(w->buf + w->len, p, n);
  w->len += n;
}

static size_t varint_enc(uint8_t *out, uint64_t v) {
  size_t n = 0;
  while (v >= 0x80) {
    out[n++] = (uint8_t)(v | 0x80);
    v >>= 7;
  }
  out[n++] = (uint8_t)v;
  return n;
}

static void varint(struct tools_pbw *w, uint64_t v) {
  uint8_t b[10];
  put(w, b, varint_enc(b, v));
}

static void tag(struct tools_pbw *w, unsigned field, unsigned wt) {
  varint(w, (uint64_t)field << 3 | wt);
}

static void f_varint(struct tools_pbw *w, unsigned field, uint64_t v) {
  tag(w, field, WT_VARINT);
  varint(w, v);
}

static void f_fixed64(struct tools_pbw *w, unsigned field, uint64_t v) {
  uint8_t b[8];
  for (int i = 0; i < 8; i++)
    b[i] = (uint8_t)(v >> (8 * i));
  tag(w, field, WT_I64);
  put(w, b, 8);
}

static void f_double(struct tools_pbw *w, unsigned field, double d) {
  uint64_t v;
  memcpy(&v, &d, 8);
  f_fixed64(w, field, v);
}

static void f_bytes(struct tools_pbw *w, unsigned field, const void *p,
                    size_t n) {
  tag(w, field, WT_LEN);
  varint(w, n);
  put(w, p, n);
}

static void f_str(struct tools_pbw *w, unsigned field, const char *s) {
  f_bytes(w, field, s, strlen(s));
}

/* Open a nested message: its length is written when it closes. */
static void open_msg(struct tools_pbw *w, unsigned field) {
  tag(w, field, WT_LEN);
  if (w->depth == TOOLS_PBW_DEPTH_MAX || w->overflow) {
    w->overflow = 1;
    return;
  }
  w->open[w->depth++] = w->len;
  uint8_t hole[LEN_HOLE] = {0};
  put(w, hole, LEN_HOLE);
}

static void close_msg(struct tools_pbw *w) {
  if (w->overflow || w->depth == 0) {
    w->overflow = 1;
    return;
  }
  size_t at = w->open[--w->depth], body = at + LEN_HOLE;
  size_t n = w->len - body;
  uint8_t b[10];
  size_t k = varint_enc(b, n);
  memcpy(w->buf + at, b, k);
  memmove(w->buf + at + k, w->buf + body, n);
  w->len = at + k + n;
}

/* KeyValue with a string AnyValue. */
static void f_attr(struct tools_pbw *w, unsigned field, const char *k,
                   const char *v) {
  open_msg(w, field);
  f_str(w, 1, k);
  open_msg(w, 2);
  f_str(w, 1, v);
  close_msg(w);
  close_msg(w);
}

/* ---- requests -------------------------------------------------------- */

static uint64_t rnd(uint64_t *s) { /* splitmix64 */
  uint64_t z = (*s += 0x9e3779b97f4a7c15ull);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
  return z ^ (z >> 31);
}

/* Attributes of attribute set a: k0 names the set, the others vary. */
static void point_attrs(struct tools_pbw *w, unsigned field, uint32_t attrs,
                        uint32_t a) {
  char k[16], v[32];
  for (uint32_t i = 0; i < attrs; i++) {
    snprintf(k, sizeof(k), "k%u", i);
    snprintf(v, sizeof(v), i == 0 ? "set-%u" : "value-%u",
             i == 0 ? a : a % (3 + i));
    f_attr(w, field, k, v);
  }
}

static void resource(struct tools_pbw *w, uint32_t r) {
  char host[32];
  snprintf(host, sizeof(host), "bench-%u", r % 4);
  open_msg(w, 1);
  f_attr(w, 1, "service.name", "sluice-bench");
  f_attr(w, 1, "host.name", host);
  close_msg(w);
}

/* One NumberDataPoint of series s at t_ns. */
static void number_point(struct tools_pbw *w, const struct tools_otlp_spec *sp,
                         uint32_t s, int64_t t_ns, uint64_t *seed) {
  open_msg(w, 1);
  point_attrs(w, 7, sp->attrs, s % POINTS_PER_METRIC);
  f_fixed64(w, 2, (uint64_t)sp->now_ns);
  f_fixed64(w, 3, (uint64_t)t_ns);
  if ((s / POINTS_PER_METRIC) % 2 == 0) {
    f_double(w, 4, (double)(rnd(seed) % 100000) / 100.0);
  } else {
    tag(w, 6, WT_I64);
    uint64_t v = (uint64_t)(t_ns - sp->now_ns) / 1000000000u * 7 + s;
    uint8_t b[8];
    for (int i = 0; i < 8; i++)
      b[i] = (uint8_t)(v >> (8 * i));
    put(w, b, 8);
  }
  close_msg(w);
}

/* Open the Metric of series s (a gauge or a cumulative monotonic sum). */
static void open_metric(struct tools_pbw *w, uint32_t s) {
  char name[48];
  uint32_t m = s / POINTS_PER_METRIC;
  snprintf(name, sizeof(name), "bench.metric.%u", m);
  open_msg(w, 2);
  f_str(w, 1, name);
  open_msg(w, m % 2 == 0 ? 5 : 7);
}

static void close_metric(struct tools_pbw *w, uint32_t s) {
  if ((s / POINTS_PER_METRIC) % 2 == 1) {
    f_varint(w, 2, 2);  /* AGGREGATION_TEMPORALITY_CUMULATIVE */
    f_varint(w, 3, 1);  /* is_monotonic */
  }
  close_msg(w);         /* gauge or sum */
  close_msg(w);         /* metric */
}

static void metrics_req(struct tools_pbw *w, const struct tools_otlp_spec *sp,
                        uint32_t r, uint64_t *seed) {
  int64_t t_ns = sp->now_ns + (int64_t)r * 1000000000;
  uint32_t first = (uint32_t)(((uint64_t)r * sp->items) % sp->series);
  open_msg(w, 1);  /* ResourceMetrics */
  resource(w, r);
  open_msg(w, 2);  /* ScopeMetrics */
  open_msg(w, 1);
  f_str(w, 1, "sluice-bench");
  close_msg(w);
  for (uint32_t j = 0; j < sp->items; j++) {
    uint32_t s = (first + j) % sp->series;
    if (j == 0 || s % POINTS_PER_METRIC == 0)
      open_metric(w, s);
    number_point(w, sp, s, t_ns, seed);
    if (j + 1 == sp->items || (s + 1) % POINTS_PER_METRIC == 0 ||
        s + 1 == sp->series)
      close_metric(w, s);
  }
  close_msg(w);
  close_msg(w);
}

static void log_record(struct tools_pbw *w, const struct tools_otlp_spec *sp,
                       uint32_t s, int64_t t_ns, uint64_t *seed) {
  char body[96];
  uint8_t ids[24];
  for (int i = 0; i < 24; i += 8) {
    uint64_t v = rnd(seed);
    memcpy(ids + i, &v, 8);
  }
  open_msg(w, 2);
  f_fixed64(w, 1, (uint64_t)t_ns);
  f_varint(w, 2, 9);  /* SEVERITY_NUMBER_INFO */
  f_str(w, 3, "INFO");
  snprintf(body, sizeof(body), "request served path=/api/item/%u status=200 "
           "ms=%u", s, (unsigned)(rnd(seed) % 1000));
  open_msg(w, 5);
  f_str(w, 1, body);
  close_msg(w);
  point_attrs(w, 6, sp->attrs, s);
  f_bytes(w, 9, ids, 16);
  f_bytes(w, 10, ids + 16, 8);
  f_fixed64(w, 11, (uint64_t)t_ns);
  close_msg(w);
}

static void logs_req(struct tools_pbw *w, const struct tools_otlp_spec *sp,
                     uint32_t r, uint64_t *seed) {
  int64_t t_ns = sp->now_ns + (int64_t)r * 1000000000;
  open_msg(w, 1);  /* ResourceLogs */
  resource(w, r);
  open_msg(w, 2);  /* ScopeLogs */
  open_msg(w, 1);
  f_str(w, 1, "sluice-bench");
  close_msg(w);
  for (uint32_t j = 0; j < sp->items; j++)
    log_record(w, sp, (uint32_t)(((uint64_t)r * sp->items + j) % sp->series),
               t_ns + j * 1000, seed);
  close_msg(w);
  close_msg(w);
}

/* ---- traces ---------------------------------------------------------- */

static const char *const span_names[] = {
    "GET /api/cart", "POST /api/checkout", "SELECT items", "redis GET",
    "auth.check",    "render page"};

/* Span id k (0-based) of the trace whose ids start at base: never zero. */
static void span_id(uint8_t out[8], uint64_t base, uint32_t k) {
  uint64_t v = (base & ~(uint64_t)0xff) | (k + 1);
  memcpy(out, &v, 8);
}

/* Span k of a trace: span k's parent is span (k - 1) / 2, so each trace
 * is a small binary tree; a child's interval lies inside its parent's. */
static void span(struct tools_pbw *w, const struct tools_otlp_spec *sp,
                 const uint8_t trace[16], uint64_t base, uint32_t k,
                 uint32_t s, int64_t t_ns) {
  uint8_t id[8], parent[8];
  int64_t start = t_ns + (int64_t)k * 10000;
  int64_t end = t_ns + 1000000 - (int64_t)k * 10000;
  int error = s % SPAN_ERROR_EVERY == SPAN_ERROR_EVERY - 1;
  open_msg(w, 2);
  f_bytes(w, 1, trace, 16);
  span_id(id, base, k);
  f_bytes(w, 2, id, 8);
  if (k > 0) {
    span_id(parent, base, (k - 1) / 2);
    f_bytes(w, 4, parent, 8);
  }
  f_str(w, 5, span_names[(s + k) % (sizeof(span_names) /
                                    sizeof(span_names[0]))]);
  f_varint(w, 6, k == 0 ? 2 : k % 2 ? 3 : 1); /* server, client, internal */
  f_fixed64(w, 7, (uint64_t)start);
  f_fixed64(w, 8, (uint64_t)end);
  point_attrs(w, 9, sp->attrs, s);
  if (error) {
    open_msg(w, 11);   /* Event */
    f_fixed64(w, 1, (uint64_t)end);
    f_str(w, 2, "exception");
    f_attr(w, 3, "exception.type", "TimeoutError");
    close_msg(w);
  }
  if (error || k == 0) {
    open_msg(w, 15);   /* Status */
    if (error)
      f_str(w, 2, "upstream timeout");
    f_varint(w, 3, error ? 2 : 1);
    close_msg(w);
  }
  close_msg(w);
}

/* One ExportTraceServiceRequest of sp->items spans, SPANS_PER_TRACE to a
 * trace (the last one cut short); the first trace id goes to first if
 * not NULL. */
static void traces_req(struct tools_pbw *w, const struct tools_otlp_spec *sp,
                       uint32_t r, uint64_t *seed, uint8_t *first) {
  int64_t t_ns = sp->now_ns + (int64_t)r * 1000000000;
  uint8_t trace[16];
  uint64_t base = 0;
  open_msg(w, 1);  /* ResourceSpans */
  resource(w, r);
  open_msg(w, 2);  /* ScopeSpans */
  open_msg(w, 1);
  f_str(w, 1, "sluice-bench");
  close_msg(w);
  for (uint32_t j = 0; j < sp->items; j++) {
    uint32_t k = j % SPANS_PER_TRACE;
    if (k == 0) {
      for (int i = 0; i < 16; i += 8) {
        uint64_t v = rnd(seed);
        memcpy(trace + i, &v, 8);
      }
      base = rnd(seed);
      if (first != NULL && j == 0)
        memcpy(first, trace, 16);
    }
    span(w, sp, trace, base, k,
         (uint32_t)(((uint64_t)r * sp->items + j) % sp->series),
         t_ns + (int64_t)(j / SPANS_PER_TRACE) * 1000000);
  }
  close_msg(w);
  close_msg(w);
}

/* ---- pool ------------------------------------------------------------ */

static int pool_reserve(struct tools_otlp_pool *p, size_t n) {
  if (p->cap - p->len >= n)
    return 0;
  size_t cap = p->cap ? p->cap : (1u << 20);
  while (cap - p->len < n)
    cap *= 2;
  uint8_t *b = realloc(p->buf, cap);
  if (b == NULL)
    return -ENOMEM;
  p->buf = b;
  p->cap = cap;
  return 0;
}

/* Append the body w holds to the pool, gzip-compressed if asked. */
static int pool_add(struct tools_otlp_pool *p, const struct tools_pbw *w,
                    int gzip) {
  struct isal_zstream z;
  size_t room = w->len + GZIP_SLACK;
  if (pool_reserve(p, room) < 0)
    return -ENOMEM;
  struct tools_otlp_req *q = &p->reqs[p->count++];
  q->off = p->len;
  if (!gzip) {
    memcpy(p->buf + p->len, w->buf, w->len);
    q->len = (uint32_t)w->len;
  } else {
    isal_deflate_stateless_init(&z);
    z.gzip_flag = IGZIP_GZIP;
    z.next_in = w->buf;
    z.avail_in = (uint32_t)w->len;
    z.next_out = p->buf + p->len;
    z.avail_out = (uint32_t)room;
    z.end_of_stream = 1;
    if (isal_deflate_stateless(&z) != COMP_OK)
      return -EINVAL;
    q->len = (uint32_t)(room - z.avail_out);
  }
  p->len += q->len;
  p->raw_bytes += w->len;
  return 0;
}

int tools_otlp_gen(const struct tools_otlp_spec *sp,
                   struct tools_otlp_pool *pool) {
  struct tools_pbw w = {0};
  uint64_t seed = sp->seed;
  int rc = -ENOMEM;

  *pool = (struct tools_otlp_pool){0};
  if (sp->items == 0 || sp->attrs == 0 || sp->attrs > 16 || sp->series == 0 ||
      sp->requests == 0)
    return -EINVAL;
  w.cap = (size_t)sp->items * (192 + 40 * sp->attrs) + 4096;
  w.buf = malloc(w.cap);
  pool->reqs = calloc(sp->requests, sizeof(*pool->reqs));
  if (w.buf == NULL || pool->reqs == NULL)
    goto out;
  for (uint32_t r = 0; r < sp->requests; r++) {
    w.len = 0;
    w.depth = 0;
    if (sp->signal == TOOLS_OTLP_METRICS)
      metrics_req(&w, sp, r, &seed);
    else if (sp->signal == TOOLS_OTLP_LOGS)
      logs_req(&w, sp, r, &seed);
    else
      traces_req(&w, sp, r, &seed, r == 0 ? pool->trace_id : NULL);
    rc = w.overflow || w.depth ? -EINVAL : pool_add(pool, &w, sp->gzip);
    if (rc < 0)
      goto out;
    pool->reqs[r].items = sp->items;
  }
  rc = 0;
out:
  free(w.buf);
  if (rc < 0)
    tools_otlp_pool_free(pool);
  return rc;
}

void tools_otlp_pool_free(struct tools_otlp_pool *pool) {
  free(pool->buf);
  free(pool->reqs);
  *pool = (struct tools_otlp_pool){0};
}
