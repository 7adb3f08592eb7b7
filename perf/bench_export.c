/*
 * perf/bench_export.c - latency of a one-hour single-series export.
 *
 * Writes one hour of one series (a point every 10 ms: 360,000 points) into
 * a temporary data directory the way a shard does with the default 1 s
 * block age (100 points a block, one 64 MiB segment), plus 99 other
 * series in the same blocks as noise, then times GET /api/v1/export of
 * that series through the real handler (scan, decode, merge, JSON).
 *
 * With --compact the segment is compacted first (storage/compact.h): the
 * series is then one run of 360,000 points in its own data blocks, and
 * the noise is never decoded.
 *
 * With --gap-ms G the queries are G ms apart, as a dashboard's are: long
 * enough for the allocator to give freed memory back to the kernel, so
 * that a query which does not keep its memory faults its pages in again.
 *
 * SLUICE_BENCH_VALUES=milli makes the series' values thousandths
 * (123.457: what a latency in seconds looks like), =full uniform doubles
 * of 17 significant digits (the slow way of the number writer); unset,
 * multiples of 0.5 (the figures in perf/RESULTS.md before 2026-12-07).
 *
 * usage: bench_export [--compact] [--gap-ms G] [REPEATS]
 */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "core/base/limits.h"
#include "net/query/query_types.h"
#include "net/http_types.h"
#include "net/query/query_api.h"
#include "storage/block.h"
#include "storage/compact.h"
#include "storage/scan.h"
#include "storage/recover.h"

#define POINTS 360000u
#define STEP_MS 10
#define PER_BLOCK 100u /* 1 s of the series */
#define NOISE 99u      /* other series, one point each a block */

static double clock_s(clockid_t id) {
  struct timespec t;
  clock_gettime(id, &t);
  return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

static double now_s(void) { return clock_s(CLOCK_MONOTONIC); }

/* This thread's CPU time: a query's own cost, without the time other
 * processes held the CPU (on a shared machine, most of the spread). */
static double cpu_s(void) { return clock_s(CLOCK_THREAD_CPUTIME_ID); }

/* Point k's value of the exported series (see SLUICE_BENCH_VALUES). */
static double series_value(uint64_t k) {
  static int mode = -1;
  uint64_t x = (k + 1) * 0x9E3779B97F4A7C15ull;

  if (mode < 0) {
    const char *m = getenv("SLUICE_BENCH_VALUES");
    mode = m == NULL ? 0 : strcmp(m, "milli") == 0 ? 1 : strcmp(m, "full") == 0 ? 2 : 0;
  }
  x ^= x >> 29;
  if (mode == 1)
    return (double)(x % 1000000u) / 1000.0;
  if (mode == 2)
    return (double)(x >> 11) * 0x1p-53 * 1000.0;
  return (double)(k % 1000) * 0.5;
}

/* One block: PER_BLOCK points of series 0, one of each noise series. */
static long block(struct stor_encoder *e, uint64_t seq, int64_t t0,
                  uint8_t *out, size_t cap, char keys[][32]) {
  static uint32_t ids[PER_BLOCK + NOISE];
  static int64_t ts[PER_BLOCK + NOISE];
  static double val[PER_BLOCK + NOISE];
  struct stor_dict_entry dict[NOISE + 1];
  uint32_t n = 0;

  for (uint32_t i = 0; i < PER_BLOCK; i++, n++) {
    ids[n] = 0;
    ts[n] = t0 + (int64_t)i * STEP_MS;
    val[n] = series_value(seq * PER_BLOCK + i);
  }
  for (uint32_t k = 1; k <= NOISE; k++, n++) {
    ids[n] = k;
    ts[n] = t0;
    val[n] = k;
  }
  for (uint32_t k = 0; k <= NOISE && seq == 1; k++)
    dict[k] = (struct stor_dict_entry){k, 1, keys[k], (uint32_t)strlen(keys[k])};
  struct stor_block_in in = {.shard = 0, .seq = seq, .count = n,
                             .series_id = ids, .ts_ms = ts, .value = val,
                             .dict_count = seq == 1 ? NOISE + 1 : 0,
                             .dict = dict};
  return stor_block_encode(e, &in, out, cap);
}

static int write_data(const char *dir) {
  static char keys[NOISE + 1][32];
  struct stor_encoder e = {0};
  size_t cap = stor_block_bytes_max(PER_BLOCK + NOISE, NOISE + 1, 4096);
  uint8_t *out = malloc(cap);
  char path[256];
  int fd;
  int64_t t0 = 1700000000000;

  snprintf(path, sizeof(path), "%s/shard-0", dir);
  mkdir(path, 0755);
  snprintf(path, sizeof(path), "%s/shard-0/0000000000000001.seg", dir);
  fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
  if (fd < 0 || out == NULL || stor_encoder_init(&e, PER_BLOCK + NOISE) < 0)
    return -1;
  snprintf(keys[0], sizeof(keys[0]), "web.requests%cenv:prod", '\0');
  for (uint32_t k = 1; k <= NOISE; k++)
    snprintf(keys[k], sizeof(keys[k]), "noise.%u", k);
  for (uint64_t seq = 1; seq <= POINTS / PER_BLOCK; seq++) {
    long len = block(&e, seq, t0 + (int64_t)(seq - 1) * PER_BLOCK * STEP_MS,
                     out, cap, keys);
    if (len <= 0 || write(fd, out, (size_t)len) != len)
      return -1;
  }
  close(fd);
  stor_encoder_free(&e);
  free(out);
  return 0;
}

/* The scan alone (storage's share of an export): the series' points. */
static int want(void *ctx, const struct stor_dict_entry *e, uint32_t *h) {
  (void)ctx;
  *h = 0;
  return e->key_len >= 12 && memcmp(e->key, "web.requests", 12) == 0;
}

static int take(void *ctx, uint32_t h, const int64_t *ts, const double *v,
                uint32_t n) {
  (void)h, (void)ts, (void)v;
  *(uint64_t *)ctx += n;
  return 0;
}

static double scan_best_ms(const char *dir, int repeats) {
  double best = 1e9;

  for (int i = 0; i < repeats; i++) {
    uint64_t n = 0;
    struct stor_scan_stats st = {0};
    struct stor_scan q = {.data_dir = dir, .start_ms = INT64_MIN,
                          .end_ms = INT64_MAX, .series = want,
                          .points = take, .ctx = &n};
    double t = now_s();
    int rc = stor_scan_run(&q, &st);
    if (rc < 0 || n != POINTS) {
      fprintf(stderr, "bench_export: scan: %d, %llu points\n", rc,
              (unsigned long long)n);
      return -1;
    }
    t = now_s() - t;
    best = t < best ? t : best;
  }
  return best * 1e3;
}

/* What a scan of [start, end] for the series named want_name (or, with
 * points 0, its series alone, as /api/v1/series and labels scan) reads:
 * the check that a query touches only the blocks and runs it needs. */
static void scan_touch(const char *dir, const char *what, int64_t start,
                       int64_t end, int points) {
  uint64_t n = 0;
  struct stor_scan_stats st = {0};
  struct stor_scan q = {.data_dir = dir, .start_ms = start, .end_ms = end,
                        .series = want, .points = points ? take : NULL,
                        .ctx = &n};
  int rc = stor_scan_run(&q, &st);

  printf("  %-34s rc %d: points %llu, blocks read %llu, skipped %llu, "
         "bytes read %llu\n", what, rc, (unsigned long long)n,
         (unsigned long long)st.blocks_read,
         (unsigned long long)st.blocks_skipped,
         (unsigned long long)st.bytes_read);
}

static void touch_report(const char *dir) {
  int64_t t0 = 1700000000000, mid = t0 + 1800000;

  printf("what each scan reads (the series of 360,000 points):\n");
  scan_touch(dir, "points, whole hour", INT64_MIN, INT64_MAX, 1);
  scan_touch(dir, "points, one minute mid-hour", mid, mid + 59999, 1);
  scan_touch(dir, "points, an hour later (none)", t0 + 3600000,
             t0 + 7200000, 1);
  scan_touch(dir, "series only, whole hour", INT64_MIN, INT64_MAX, 0);
  scan_touch(dir, "series only, one minute", mid, mid + 59999, 0);
}

static int compact(const char *dir) {
  struct stor_compact_stats st = {0};
  char path[256];
  int fd, rc;

  snprintf(path, sizeof(path), "%s/shard-0", dir);
  if ((fd = open(path, O_RDONLY | O_DIRECTORY)) < 0)
    return -1;
  rc = stor_compact_dir(fd, path, 0, &st, stderr);
  close(fd);
  printf("compacted: %llu -> %llu bytes\n", (unsigned long long)st.bytes_in,
         (unsigned long long)st.bytes_out);
  return rc;
}

/* Minor page faults of this process so far (fresh pages touched). */
static long minflt(void) {
  struct rusage ru;
  return getrusage(RUSAGE_SELF, &ru) == 0 ? ru.ru_minflt : 0;
}

static int cmp_double(const void *a, const void *b) {
  double x = *(const double *)a, y = *(const double *)b;
  return (x > y) - (x < y);
}

int main(int argc, char **argv) {
  static struct net_query_env env;
  static struct net_http_request req;
  static struct net_http_response resp;
  char dir[] = "/tmp/sluice-bench-export-XXXXXX", cmd[128];
  int compacted = argc > 1 && strcmp(argv[1], "--compact") == 0;
  int gap = argc > 2 + compacted && strcmp(argv[1 + compacted], "--gap-ms") == 0
                ? atoi(argv[2 + compacted])
                : 0;
  int arg = 1 + compacted + (gap > 0 ? 2 : 0);
  int repeats = argc > arg ? atoi(argv[arg]) : 5;
  long flt_first = 0, flt_rest = 0;
  double best = 1e9, sum = 0, *all = calloc(repeats > 0 ? repeats : 1,
                                            sizeof(double)),
         *cpu = calloc(repeats > 0 ? repeats : 1, sizeof(double));

  if (mkdtemp(dir) == NULL || write_data(dir) < 0 ||
      (compacted && compact(dir) < 0)) {
    fprintf(stderr, "bench_export: cannot write test data in %s\n", dir);
    return 1;
  }
  env.data_dir = dir;
  req.method = "GET";
  req.path = "/api/v1/export";
  req.query = "match[]=web.requests";
  for (int i = 0; i < repeats; i++) {
    memset(&resp, 0, sizeof(resp));
    core_strbuf_init(&resp.body, NET_HTTP_RESPONSE_BYTES_MAX);
    if (gap > 0 && i > 0)
      usleep((useconds_t)gap * 1000);
    long flt = minflt();
    double t = now_s(), c = cpu_s();
    net_query_export(&env, &req, &resp);
    t = now_s() - t;
    cpu[i] = cpu_s() - c;
    flt = minflt() - flt;
    if (i == 0)
      flt_first = flt;
    else
      flt_rest += flt;
    if (resp.status != 0 && resp.status != 200) {
      fprintf(stderr, "bench_export: status %d: %s\n", resp.status,
              resp.body.data);
      return 1;
    }
    best = t < best ? t : best;
    sum += t;
    all[i] = t;
    if (i == repeats - 1 && getenv("SLUICE_BENCH_OUT")) {
      /* the reply's bytes, to compare builds with cmp */
      FILE *f = fopen(getenv("SLUICE_BENCH_OUT"), "w");
      if (f == NULL || fwrite(resp.body.data, 1, resp.body.len, f) !=
                           resp.body.len || fclose(f) != 0)
        return 1;
    }
    if (i == repeats - 1)
      printf("export of 1 h, 1 series, %u points (%u blocks of %u + %u "
             "noise points%s): %zu bytes of NDJSON\n",
             POINTS, POINTS / PER_BLOCK, PER_BLOCK, NOISE,
             compacted ? ", compacted" : "", resp.body.len);
    core_strbuf_free(&resp.body);
  }
  qsort(all, (size_t)repeats, sizeof(double), cmp_double);
  printf("latency: best %.1f ms, median %.1f ms, mean %.1f ms over %d runs "
         "%d ms apart; %.1f M points/s\n", best * 1e3,
         all[repeats / 2] * 1e3, sum / repeats * 1e3, repeats, gap,
         POINTS / best / 1e6);
  qsort(cpu, (size_t)repeats, sizeof(double), cmp_double);
  printf("cpu time: best %.1f ms, median %.1f ms\n", cpu[0] * 1e3,
         cpu[repeats / 2] * 1e3);
  free(all);
  free(cpu);
  /* The reply is freed as the HTTP server frees it once sent. */
  printf("page faults a query: first %ld, then %.1f on average\n",
         flt_first, repeats > 1 ? (double)flt_rest / (repeats - 1) : 0.0);
  printf("scan alone (decode, no JSON): best %.2f ms over %d runs\n",
         scan_best_ms(dir, repeats), repeats);
  touch_report(dir);
  snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
  return system(cmd) == 0 ? 0 : 1;
}
