/*
 * perf/bench_otlp_decode.c - throughput of the OTLP decoders, protobuf and
 * JSON, on one core.
 *
 * Builds in memory, from a fixed PRNG seed, an ExportMetricsServiceRequest
 * as an SDK batches it: ITEMS gauge points of 8 string attributes each
 * (route, method, status, host, region, ...), start and end times, a
 * double value; in protobuf and in OTLP JSON (the JS SDK's shape:
 * camelCase, int64 times as strings). Decodes each, with a sink that
 * touches every point, over several passes; prints the best pass in MB/s
 * and points/s.
 *
 * With --metrics or --logs, decodes instead the requests of a file of
 * length-delimited Export{Metrics,Logs}ServiceRequest messages
 * (perf/gen_otlp.py) in protobuf, the decoder alone: (a) with a NULL sink
 * (every attribute decoded), (b) metrics only, with a sink whose attrs_known
 * vouches for every attribute run (as the mapping's series id cache does on a
 * hit: the runs skimmed, not decoded). Short enough for callgrind.
 *
 *   bench_otlp_decode [--items N] [--passes N]
 *   bench_otlp_decode --metrics FILE | --logs FILE [--passes N]
 */
#include <getopt.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/parse/otlp.h"
#include "core/parse/otlp_json.h"

#define PASSES_MAX 100

struct buf {
  uint8_t *b;
  size_t n, cap;
};

static void put(struct buf *w, const void *p, size_t n) {
  if (w->n + n > w->cap) {
    w->cap = 2 * (w->n + n);
    w->b = realloc(w->b, w->cap);
    if (!w->b)
      abort();
  }
  memcpy(w->b + w->n, p, n);
  w->n += n;
}

static void jput(struct buf *w, const char *s) { put(w, s, strlen(s)); }

static void varint(struct buf *w, uint64_t v) {
  uint8_t b[10];
  size_t n = 0;
  while (v >= 0x80) {
    b[n++] = (uint8_t)(v | 0x80);
    v >>= 7;
  }
  b[n++] = (uint8_t)v;
  put(w, b, n);
}

static void pb_bytes(struct buf *w, uint32_t f, const void *p, size_t n) {
  varint(w, (uint64_t)f << 3 | 2);
  varint(w, n);
  put(w, p, n);
}

static void pb_msg(struct buf *w, uint32_t f, struct buf *m) {
  pb_bytes(w, f, m->b, m->n);
  m->n = 0;
}

static void pb_f64(struct buf *w, uint32_t f, uint64_t v) {
  varint(w, (uint64_t)f << 3 | 1);
  put(w, &v, 8); /* little-endian host */
}

static uint64_t rs = 88172645463325252ull;
static uint64_t rnd(void) {
  rs ^= rs << 13;
  rs ^= rs >> 7;
  rs ^= rs << 17;
  return rs;
}

static const char *const keys[] = {
    "http.route",   "http.method",     "http.status_code",       "host.name",
    "cloud.region", "service.version", "deployment.environment", "rpc.system"};
static const char *const vals[] = {"/api/v1/cart", "GET",       "200",
                                   "web-042",      "eu-west-1", "1.7.3",
                                   "production",   "grpc"};

/* One KeyValue with a string value, in both encodings. */
static void attr(struct buf *pb, struct buf *js, int i, int first) {
  struct buf any = {0}, kv = {0};
  char v[64];
  snprintf(v, sizeof v, "%s-%u", vals[i], (unsigned)(rnd() % 50));
  pb_bytes(&any, 1, v, strlen(v));
  pb_bytes(&kv, 1, keys[i], strlen(keys[i]));
  pb_msg(&kv, 2, &any);
  pb_msg(pb, 7, &kv); /* NumberDataPoint.attributes / LogRecord uses 6 */
  free(any.b);
  free(kv.b);
  char j[256];
  snprintf(j, sizeof j, "%s{\"key\":\"%s\",\"value\":{\"stringValue\":\"%s\"}}",
           first ? "" : ",", keys[i], v);
  jput(js, j);
}

/* ITEMS gauge points (metrics) in both encodings. */
static void build_metrics(struct buf *pb, struct buf *js, unsigned items) {
  struct buf dp = {0}, data = {0}, m = {0}, sm = {0}, rm = {0}, res = {0};
  char t[256];
  jput(js, "{\"resourceMetrics\":[{\"resource\":{\"attributes\":[{\"key\":"
           "\"service.name\",\"value\":{\"stringValue\":\"checkout\"}}]},"
           "\"scopeMetrics\":[{\"scope\":{\"name\":\"bench\",\"version\":"
           "\"1\"},\"metrics\":[");
  for (unsigned i = 0; i < items; i++) {
    uint64_t t0 = 1765000000000000000ull + rnd() % 1000000000;
    double v = (double)(rnd() % 100000) / 8;
    snprintf(t, sizeof t,
             "%s{\"name\":\"http.server.duration\",\"description\":\"\","
             "\"unit\":\"ms\",\"gauge\":{\"dataPoints\":[{\"attributes\":[",
             i ? "," : "");
    jput(js, t);
    for (int a = 0; a < 8; a++)
      attr(&dp, js, a, a == 0);
    snprintf(t, sizeof t,
             "],\"startTimeUnixNano\":\"%llu\",\"timeUnixNano\":\"%llu\","
             "\"asDouble\":%.17g}]}}",
             (unsigned long long)t0, (unsigned long long)t0 + 10, v);
    jput(js, t);
    pb_f64(&dp, 2, t0);
    pb_f64(&dp, 3, t0 + 10);
    uint64_t bits;
    memcpy(&bits, &v, 8);
    pb_f64(&dp, 4, bits);
    pb_msg(&data, 1, &dp);
    pb_bytes(&m, 1, "http.server.duration", 20);
    pb_bytes(&m, 3, "ms", 2);
    pb_msg(&m, 5, &data);
    pb_msg(&sm, 2, &m);
  }
  jput(js, "]}]}]}");
  struct buf scope = {0}, kv = {0}, any = {0};
  pb_bytes(&scope, 1, "bench", 5);
  pb_msg(&sm, 1, &scope); /* after the metrics: context read first anyway */
  pb_bytes(&any, 1, "checkout", 8);
  pb_bytes(&kv, 1, "service.name", 12);
  pb_msg(&kv, 2, &any);
  pb_msg(&res, 1, &kv);
  pb_msg(&rm, 1, &res);
  pb_msg(&rm, 2, &sm);
  pb_msg(pb, 1, &rm);
  free(dp.b), free(data.b), free(m.b), free(sm.b), free(rm.b), free(res.b);
  free(scope.b), free(kv.b), free(any.b);
}

static unsigned long seen;
static int on_point(void *c, const struct core_otlp_point *p) {
  (void)c;
  seen += p->attrs.n + p->name.len;
  return 0;
}

static int on_known(void *c, const struct core_otlp_point *m,
                    struct core_otlp_str raw) {
  (void)c;
  seen += m->name.len + raw.len;
  return 1;
}

static int on_log(void *c, const struct core_otlp_log *l) {
  (void)c;
  seen += l->attrs.n + l->body.s.len;
  return 0;
}

static double now(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return ts.tv_sec + ts.tv_nsec / 1e9;
}

/* The requests of a length-delimited file, read whole into *w. Returns
 * their count (offsets and lengths in off[], len[]), 0 on error. */
#define FILE_REQS_MAX 4096
static size_t off[FILE_REQS_MAX], len[FILE_REQS_MAX];

static unsigned load(const char *path, struct buf *w) {
  FILE *f = fopen(path, "rb");
  char chunk[65536];
  size_t n, at = 0;
  unsigned k = 0;
  if (!f)
    return 0;
  while ((n = fread(chunk, 1, sizeof chunk, f)) > 0)
    put(w, chunk, n);
  fclose(f);
  while (at < w->n && k < FILE_REQS_MAX) {
    uint64_t v = 0;
    for (unsigned sh = 0; at < w->n && sh < 64; sh += 7) {
      uint8_t b = w->b[at++];
      v |= (uint64_t)(b & 0x7f) << sh;
      if (!(b & 0x80))
        break;
    }
    if (v > w->n - at)
      return 0;
    off[k] = at;
    len[k++] = v;
    at += v;
  }
  return k;
}

typedef int (*decode_fn)(const void *, size_t, struct core_otlp_scratch *,
                         const struct core_otlp_sink *, const char **);

/* The two modes apart, for callgrind's --toggle-collect. */
__attribute__((noinline)) static int
decode_null(decode_fn dec, const void *b, size_t n, struct core_otlp_scratch *s,
            const struct core_otlp_sink *sink, const char **why) {
  (void)sink;
  return dec(b, n, s, NULL, why);
}

__attribute__((noinline)) static int
decode_known(decode_fn dec, const void *b, size_t n,
             struct core_otlp_scratch *s, const struct core_otlp_sink *sink,
             const char **why) {
  return dec(b, n, s, sink, why);
}

/* --metrics, --logs: the decoder alone over the file's requests (see the top).
 */
static int run_file(int logs, const char *path, unsigned passes) {
  const char *kind = logs ? "logs" : "metrics";
  decode_fn dec = logs ? core_otlp_logs_decode : core_otlp_metrics_decode;
  static struct core_otlp_scratch s;
  struct core_otlp_sink known = {
      .point = on_point, .attrs_known = on_known, .log = on_log};
  struct buf w = {0};
  unsigned k = load(path, &w);
  double best[2] = {1e9, 1e9};
  uint64_t items = 0;
  const char *why;
  if (!k)
    return fprintf(stderr, "bench_otlp_decode: cannot read %s\n", path), 2;
  for (unsigned p = 0; p < passes; p++)
    for (int m = 0; m < 2 - logs; m++) {
      double t = now();
      items = 0;
      for (unsigned i = 0; i < k; i++) {
        if ((m ? decode_known : decode_null)(dec, w.b + off[i], len[i], &s,
                                             &known, &why))
          return fprintf(stderr, "request %u: %s\n", i, why), 1;
        items += s.items;
      }
      t = now() - t;
      best[m] = t < best[m] ? t : best[m];
    }
  printf("bench_otlp_decode %s: %u requests, %llu items, best of %u passes\n",
         kind, k, (unsigned long long)items, passes);
  printf("decode alone (NULL sink): %.2fM items/s (%.1f ns an item)\n",
         items / best[0] / 1e6, best[0] * 1e9 / items);
  if (!logs)
    printf("decode, attribute runs vouched for: %.2fM items/s (%.1f ns an "
           "item)\n",
           items / best[1] / 1e6, best[1] * 1e9 / items);
  printf("(checksum %lu)\n", seen);
  free(w.b);
  return 0;
}

int main(int argc, char **argv) {
  unsigned items = 1000, passes = 20;
  const char *file = NULL;
  int logs = 0;
  static const struct option opts[] = {{"items", 1, 0, 'i'},
                                       {"passes", 1, 0, 'p'},
                                       {"metrics", 1, 0, 'm'},
                                       {"logs", 1, 0, 'l'},
                                       {0, 0, 0, 0}};
  int c;
  while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1)
    if (c == 'i')
      items = (unsigned)atoi(optarg);
    else if (c == 'p')
      passes = (unsigned)atoi(optarg);
    else if (c == 'm' || c == 'l')
      file = optarg, logs = c == 'l';
    else
      return 2;
  if (passes > PASSES_MAX || !passes || !items || items > 60000)
    return 2;
  if (file)
    return run_file(logs, file, passes);
  struct buf pb = {0}, js = {0};
  build_metrics(&pb, &js, items);
  static struct core_otlp_scratch s;
  struct core_otlp_jscratch jsc;
  size_t cap = CORE_OTLP_JSON_ARENA_BYTES(js.n);
  core_otlp_json_scratch_init(&jsc, malloc(cap), cap);
  struct core_otlp_sink sink = {.point = on_point};
  const char *why;
  double best_pb = 1e9, best_js = 1e9;
  unsigned reps = 1 + 2000000 / (unsigned)js.n;
  for (unsigned p = 0; p < passes; p++) {
    double t = now();
    for (unsigned r = 0; r < reps; r++)
      if (core_otlp_metrics_decode(pb.b, pb.n, &s, &sink, &why))
        return fprintf(stderr, "pb: %s\n", why), 1;
    t = (now() - t) / reps;
    best_pb = t < best_pb ? t : best_pb;
    t = now();
    for (unsigned r = 0; r < reps; r++)
      if (core_otlp_json_metrics_decode(js.b, js.n, &s, &jsc, &sink, &why))
        return fprintf(stderr, "json: %s\n", why), 1;
    t = (now() - t) / reps;
    best_js = t < best_js ? t : best_js;
  }
  printf("bench_otlp_decode: %u gauge points of 8 attributes a request; "
         "best of %u passes\n\n",
         items, passes);
  printf("| encoding | request bytes | MB/s | points/s |\n|---|---|---|---|\n");
  printf("| protobuf | %zu | %.0f | %.2f M |\n", pb.n, pb.n / best_pb / 1e6,
         items / best_pb / 1e6);
  printf("| JSON | %zu | %.0f | %.2f M |\n", js.n, js.n / best_js / 1e6,
         items / best_js / 1e6);
  printf("\n(checksum %lu)\n", seen);
  free(pb.b);
  free(js.b);
  free(jsc.arena);
  return 0;
}
