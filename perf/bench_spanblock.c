/*
 * perf/bench_spanblock.c - span block size and speed on fixture-like
 * spans: bytes a span, encode and decode rates, and what the trace table
 * saves a lookup by trace id.
 *
 * Spans are generated from a fixed PRNG seed the way a small service mesh
 * sends them (12 services over 4 hosts, traces of 1 server span and 2..12
 * children: HTTP server and client spans, database queries and queue
 * operations, with the attributes of the OpenTelemetry semantic
 * conventions the JS SDK fixture carries, µs-precision times, one span in
 * eight with an event, one in fifty with a link, one in twenty an error
 * with a message), the way the span head keeps them (resources shared),
 * and stored in blocks of --block spans. Prints bytes a span, and spans/s
 * of encode and of decode (reader_init + every span) on one core, best of
 * --passes; then the time of a lookup of one trace id over every block:
 * reading each trace table and decoding only the block that has it,
 * against decoding every block.
 *
 *   bench_spanblock [--count N] [--block N] [--passes N]
 */
#include <getopt.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/base/limits.h"
#include "storage/spanblock.h"

#define T0_NS INT64_C(1795284000000000000)
#define SERVICES 12
#define STR_BYTES 96

static uint64_t rng_state = 0x2545f4914f6cdd1du;

static uint64_t rnd(void) {
  uint64_t z = (rng_state += 0x9e3779b97f4a7c15u);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9u;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebu;
  return z ^ (z >> 31);
}

static unsigned below(unsigned n) { return (unsigned)(rnd() % n); }

static const char *const svc_names[SERVICES] = {
    "frontend", "checkout", "cart",    "payment",  "shipping", "email",
    "currency", "catalog",  "ads",     "recommend", "quote",   "accounting"};
static const char *const routes[] = {"/api/cart", "/api/checkout",
                                     "/api/products/{id}", "/healthz",
                                     "/api/currency/convert", "/api/ads"};
static const char *const tables[] = {"orders", "carts", "products", "users"};

/* Everything the generated spans point at. */
struct gen {
  struct stor_span *spans;
  struct stor_span_res res[SERVICES];
  struct core_otlp_attr res_attrs[SERVICES][4];
  struct stor_span_event *events;
  struct stor_span_link *links;
  struct core_otlp_attr *attrs;
  char *strs;
  size_t nattrs, nev, nlinks, nstr;
};

static struct core_otlp_str keep(struct gen *g, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* A generated string, kept for the spans to point at. */
static struct core_otlp_str keep(struct gen *g, const char *fmt, ...) {
  char *p = g->strs + g->nstr * STR_BYTES;
  va_list ap;
  int n;

  va_start(ap, fmt);
  n = vsnprintf(p, STR_BYTES, fmt, ap);
  va_end(ap);
  g->nstr++;
  return (struct core_otlp_str){p, (uint32_t)(n < STR_BYTES ? n : STR_BYTES - 1)};
}

static struct core_otlp_str lit(const char *s) {
  return (struct core_otlp_str){s, (uint32_t)strlen(s)};
}

static struct core_otlp_attr sattr(const char *k, struct core_otlp_str v) {
  return (struct core_otlp_attr){lit(k), {.type = CORE_OTLP_V_STRING, .s = v}};
}

static struct core_otlp_attr iattr(const char *k, int64_t v) {
  return (struct core_otlp_attr){lit(k), {.type = CORE_OTLP_V_INT, .i = v}};
}

static void make_res(struct gen *g) {
  for (unsigned s = 0; s < SERVICES; s++) {
    struct core_otlp_attr *a = g->res_attrs[s];
    a[0] = sattr("service.name", lit(svc_names[s]));
    a[1] = sattr("host.name", keep(g, "node-%u.prod.internal", s % 4));
    a[2] = sattr("telemetry.sdk.language", lit("nodejs"));
    a[3] = iattr("process.pid", 1000 + s * 17);
    g->res[s] = (struct stor_span_res){.attrs = {a, 4},
                                       .scope_name = lit("@opentelemetry/instrumentation-http"),
                                       .scope_version = lit("0.57.1"),
                                       .service = lit(svc_names[s])};
  }
}

/* The attributes of one span by its role. */
static void span_attrs(struct gen *g, struct stor_span *s, unsigned role) {
  struct core_otlp_attr *a = g->attrs + g->nattrs;
  unsigned n = 0;

  if (role == 0) { /* HTTP server */
    a[n++] = sattr("http.method", lit(below(5) ? "GET" : "POST"));
    a[n++] = sattr("http.route", lit(routes[below(6)]));
    a[n++] = iattr("http.status_code", below(20) ? 200 : 500);
    a[n++] = sattr("net.peer.ip", keep(g, "10.0.%u.%u", below(4), below(256)));
    a[n++] = sattr("http.user_agent", lit("Mozilla/5.0 (X11; Linux x86_64)"));
  } else if (role == 1) { /* database */
    a[n++] = sattr("db.system", lit("postgresql"));
    a[n++] = sattr("db.statement", keep(g, "SELECT * FROM %s WHERE id = %u",
                                        tables[below(4)], below(100000)));
    a[n++] = iattr("db.rows", below(50));
  } else { /* HTTP client or queue */
    a[n++] = sattr("http.url", keep(g, "http://svc-%u:8080/v1/%u", below(12),
                                    below(1000)));
    a[n++] = iattr("http.status_code", 200);
  }
  s->attrs = (struct core_otlp_attrs){a, n};
  g->nattrs += n;
}

static void one_trace(struct gen *g, uint32_t *i, uint32_t n, int64_t t) {
  uint32_t root = *i, kids = 2 + below(11);
  uint8_t tid[16];

  for (int k = 0; k < 16; k++)
    tid[k] = (uint8_t)rnd();
  for (uint32_t c = 0; c <= kids && *i < n; c++, (*i)++) {
    struct stor_span *s = &g->spans[*i];
    unsigned role = c == 0 ? 0 : 1 + below(2);
    *s = (struct stor_span){.kind = c == 0 ? 2 : role == 1 ? 3 : 4,
                            .start_ns = t + c * 350000 + below(1000) * 1000,
                            .res = &g->res[c == 0 ? below(3) : below(SERVICES)]};
    s->end_ns = s->start_ns + 1000 * (20 + below(5000));
    memcpy(s->trace_id, tid, 16);
    for (int k = 0; k < 8; k++)
      s->span_id[k] = (uint8_t)rnd();
    s->has_parent = c > 0;
    if (c > 0)
      memcpy(s->parent_id, g->spans[root + (c > 3 ? below(3) : 0)].span_id, 8);
    s->name = c == 0 ? lit(routes[below(6)])
                     : lit(role == 1 ? "pg.query" : "HTTP GET");
    span_attrs(g, s, role);
    if (below(20) == 0) {
      s->status_code = 2;
      s->status_message = lit("upstream timeout");
    }
    s->events = g->events + g->nev;
    if (below(8) == 0) {
      g->events[g->nev++] = (struct stor_span_event){
          .time_ns = s->start_ns + 1000 * below(100), .name = lit("retry"),
          .attrs = {g->attrs + g->nattrs, 1}};
      g->attrs[g->nattrs++] = iattr("attempt", 1 + below(3));
      s->event_count = 1;
    }
    s->links = g->links + g->nlinks;
    if (below(50) == 0) {
      struct stor_span_link *l = &g->links[g->nlinks++];
      *l = (struct stor_span_link){.flags = 1};
      for (int k = 0; k < 16; k++)
        l->trace_id[k] = (uint8_t)rnd();
      memcpy(l->span_id, s->span_id, 8);
      s->link_count = 1;
    }
  }
}

static void generate(struct gen *g, uint32_t n) {
  int64_t t = T0_NS;

  make_res(g);
  for (uint32_t i = 0; i < n; t += 1000000 * (1 + below(3)))
    one_trace(g, &i, n, t);
}

static double now_s(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

struct blocks {
  uint8_t **b;
  size_t *len;
  uint32_t n;
};

static double encode_all(struct stor_spanenc *e, struct gen *g, uint32_t count,
                         uint32_t per, struct blocks *bl, size_t *bytes) {
  double t = now_s();

  *bytes = 0;
  for (uint32_t i = 0, k = 0; i < count; i += per, k++) {
    uint32_t n = count - i < per ? count - i : per;
    long len = stor_spanblock_encode(e, 0, k + 1, g->spans + i, n, g->res,
                                     SERVICES, bl->b[k],
                                     stor_spanblock_bytes_max());
    if (len <= 0) {
      fprintf(stderr, "encode: %ld\n", len);
      exit(1);
    }
    bl->len[k] = (size_t)len;
    *bytes += (size_t)len;
  }
  return now_s() - t;
}

static uint64_t decode_block(struct stor_spandec *d, const uint8_t *b,
                             size_t len, const uint8_t *want) {
  struct stor_spanblock_reader r;
  struct stor_span s;
  uint64_t hits = 0;

  if (stor_spanblock_reader_init(&r, d, b, len) < 0)
    exit(1);
  while (stor_spanblock_next(&r, &s) == 1)
    hits += want ? memcmp(s.trace_id, want, 16) == 0 : 1;
  return hits;
}

int main(int argc, char **argv) {
  uint32_t count = 200000, per = CORE_SPANHEAD_SPANS_MAX, passes = 3;
  static const struct option opts[] = {{"count", 1, NULL, 'c'},
                                       {"block", 1, NULL, 'b'},
                                       {"passes", 1, NULL, 'p'},
                                       {NULL, 0, NULL, 0}};
  int c;

  while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
    uint32_t v = (uint32_t)strtoul(optarg, NULL, 10);
    if (c == 'c')
      count = v;
    else if (c == 'b')
      per = v;
    else if (c == 'p')
      passes = v;
    else
      return 2;
  }
  if (per == 0 || per > CORE_SPANHEAD_SPANS_MAX || count == 0 || passes == 0)
    return 2;
  struct gen g = {0};
  g.spans = calloc(count + 16, sizeof(*g.spans));
  g.events = calloc(count + 16, sizeof(*g.events));
  g.links = calloc(count + 16, sizeof(*g.links));
  g.attrs = calloc((size_t)count * 8 + 64, sizeof(*g.attrs));
  g.strs = calloc((size_t)count * 4 + 64, STR_BYTES);
  generate(&g, count);

  struct stor_spanenc e;
  struct stor_spandec d;
  struct blocks bl = {.n = (count + per - 1) / per};
  if (stor_spanenc_init(&e, per) < 0 || stor_spandec_init(&d) < 0)
    return 1;
  bl.b = calloc(bl.n, sizeof(*bl.b));
  bl.len = calloc(bl.n, sizeof(*bl.len));
  for (uint32_t k = 0; k < bl.n; k++)
    bl.b[k] = malloc(stor_spanblock_bytes_max());
  size_t bytes = 0;
  double enc = 1e9, dec = 1e9;
  for (uint32_t p = 0; p < passes; p++) {
    double t = encode_all(&e, &g, count, per, &bl, &bytes);
    enc = t < enc ? t : enc;
    t = now_s();
    uint64_t seen = 0;
    for (uint32_t k = 0; k < bl.n; k++)
      seen += decode_block(&d, bl.b[k], bl.len[k], NULL);
    t = now_s() - t;
    dec = t < dec ? t : dec;
    if (seen != count)
      return 1;
  }
  printf("span blocks: %u spans, %u per block, %u blocks\n", count, per, bl.n);
  printf("stored %zu bytes (%.1f a span)\n", bytes, (double)bytes / count);
  double tt = 0, dt = 0, zt = 0, ut = 0;
  for (uint32_t k = 0; k < bl.n; k++) {
    struct stor_spanblock_hdr h;
    stor_spanblock_hdr_read(bl.b[k], bl.len[k], &h);
    tt += 16.0 * h.trace_count;
    dt += h.dict_bytes;
    zt += h.ztext_bytes;
    ut += h.text_bytes;
  }
  printf("a span: header %.2f, trace table %.2f, span ids 8.00, deflated "
         "stream %.2f (inflated: string table %.2f, rest %.2f)\n",
         64.0 * bl.n / count, tt / count, zt / count, dt / count,
         (ut - dt) / count);
  printf("encode %.2f M spans/s, decode %.2f M spans/s, best of %u\n",
         count / enc / 1e6, count / dec / 1e6, passes);

  /* a lookup of the trace of the last span: trace tables vs decode all */
  const uint8_t *want = g.spans[count - 1].trace_id;
  uint64_t hits = 0, hits_all = 0;
  double t = now_s();
  for (uint32_t k = 0; k < bl.n; k++) {
    struct stor_spanblock_hdr h;
    stor_spanblock_hdr_read(bl.b[k], bl.len[k], &h);
    if (stor_spanblock_has_trace(&h, bl.b[k] + 64, want))
      hits += decode_block(&d, bl.b[k], bl.len[k], want);
  }
  double filt = now_s() - t;
  t = now_s();
  for (uint32_t k = 0; k < bl.n; k++)
    hits_all += decode_block(&d, bl.b[k], bl.len[k], want);
  double all = now_s() - t;
  printf("trace lookup over %u blocks: %.3f ms with trace tables, %.3f ms "
         "decoding every block (%llu spans found both ways: %s)\n",
         bl.n, filt * 1e3, all * 1e3, (unsigned long long)hits,
         hits == hits_all ? "same" : "DIFFERENT");
  return hits == hits_all ? 0 : 1;
}
