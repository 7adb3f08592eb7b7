/*
 * perf/bench_otlp.c - OTLP metrics and logs through the mapping on one
 * core, split into its parts.
 *
 * Reads a file of length-delimited Export{Metrics,Logs}ServiceRequest
 * messages (perf/gen_otlp.py writes realistic ones) into memory, then
 * times over several passes, in thread CPU time (the machine is shared:
 * wall time would measure the neighbours):
 *   (a) decode: the decoder with a NULL sink, once per request (what the
 *       all-or-nothing validation pass costs);
 *   (b) pipe: core_pipe_otlp (validation, decode into the mapping, series
 *       keys, dictionary, head appends; sealed heads dropped).
 * Prints items/s of each and the share of (b) spent decoding (two
 * decodes). Storage (encoding, writes) is measured by `sluice import
 * --otlp` with and without --no-store (perf/RESULTS.md).
 *
 *   bench_otlp metrics|logs FILE [--passes N]
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/ingest/otlpmap.h"
#include "core/ingest/pipe.h"
#include "core/parse/otlp.h"

#define REQS_MAX (1u << 20)

struct reqs {
  char *data;
  size_t len;
  size_t off[REQS_MAX], n[REQS_MAX];
  uint32_t count;
};

static double cpu_s(void) {
  struct timespec t;

  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t);
  return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

static int load(struct reqs *r, const char *path) {
  FILE *f = fopen(path, "rb");
  long n;

  if (f == NULL)
    return -1;
  fseek(f, 0, SEEK_END);
  n = ftell(f);
  fseek(f, 0, SEEK_SET);
  r->data = malloc((size_t)n);
  if (r->data == NULL || fread(r->data, 1, (size_t)n, f) != (size_t)n) {
    fclose(f);
    return -1;
  }
  fclose(f);
  r->len = (size_t)n;
  for (size_t at = 0; at < r->len && r->count < REQS_MAX;) {
    uint64_t v = 0;
    for (unsigned s = 0; at < r->len; s += 7) {
      uint8_t b = (uint8_t)r->data[at++];
      v |= (uint64_t)(b & 0x7f) << s;
      if (!(b & 0x80))
        break;
    }
    if (v > r->len - at)
      return -1;
    r->off[r->count] = at;
    r->n[r->count++] = v;
    at += v;
  }
  return 0;
}

int main(int argc, char **argv) {
  static struct reqs r;
  static struct core_otlp_scratch scratch;
  static struct core_ingest_stats st;
  static struct core_pipe p;
  struct core_otlp_result res;
  int logs, passes = 5;
  double best_dec = 1e30, best_pipe = 1e30;
  uint64_t items = 0;
  const char *why;

  if (argc < 3 || (strcmp(argv[1], "metrics") && strcmp(argv[1], "logs"))) {
    fprintf(stderr, "usage: bench_otlp metrics|logs FILE [--passes N]\n");
    return 2;
  }
  if (argc == 5 && strcmp(argv[3], "--passes") == 0)
    passes = atoi(argv[4]);
  logs = argv[1][0] == 'l';
  if (load(&r, argv[2]) < 0) {
    fprintf(stderr, "bench_otlp: cannot read %s\n", argv[2]);
    return 1;
  }
  if (core_pipe_init(&p, &st, 1u << 20, 8192, NULL, NULL) < 0 ||
      (logs && core_pipe_logs_init(&p, 65536, NULL, NULL) < 0))
    return 1;
  for (int pass = 0; pass < passes; pass++) {
    double t0 = cpu_s(), t1, t2;
    for (uint32_t i = 0; i < r.count; i++)
      (logs ? core_otlp_logs_decode : core_otlp_metrics_decode)(
          r.data + r.off[i], r.n[i], &scratch, NULL, &why);
    t1 = cpu_s();
    items = 0;
    for (uint32_t i = 0; i < r.count; i++) {
      core_pipe_otlp(&p, logs ? CORE_OTLP_LOGS : CORE_OTLP_METRICS,
                     CORE_OTLP_ENC_PROTO, r.data + r.off[i], r.n[i],
                     1765000000000, &res);
      items += res.accepted;
    }
    t2 = cpu_s();
    if (t1 - t0 < best_dec)
      best_dec = t1 - t0;
    if (t2 - t1 < best_pipe)
      best_pipe = t2 - t1;
  }
  printf("%s: %u requests, %llu items a pass, %u series\n", argv[1], r.count,
         (unsigned long long)items, p.series.count);
  printf("decode only (NULL sink): %.0f items/s\n", (double)items / best_dec);
  printf("core_pipe_otlp:          %.0f items/s (%.0f ns an item)\n",
         (double)items / best_pipe, best_pipe * 1e9 / (double)items);
  printf("share decoding (2 passes): %.0f%%, mapping+series+head: %.0f%%\n",
         200.0 * best_dec / best_pipe, 100.0 - 200.0 * best_dec / best_pipe);
  core_pipe_free(&p);
  free(r.data);
  return 0;
}
