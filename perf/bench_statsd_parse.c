/*
 * perf/bench_statsd_parse.c - throughput of the StatsD parsers.
 *
 * Builds a fleet-like DogStatsD workload in memory (about 100 bytes a
 * line, types c/g/ms/h/d/s, 2-5 tags, some sample rates, about 10k
 * distinct series, fixed PRNG seed so every run sees the same bytes),
 * then times over several passes:
 *   (a) memchr counting the newlines: the floor any line parser pays;
 *   (b) splitting into lines and the scalar twin
 *       (core_statsd_parse_line_scalar) on each;
 *   (c) the scalar twin alone on lines split beforehand (what (b) costs
 *       beyond the framing);
 *   (d) core_statsd_parse_buf on the whole buffer at each SIMD level the
 *       CPU supports (at level scalar it is (b) behind the batch API).
 * Prints bytes, lines, best and median time, GB/s and lines/s of each,
 * and the ratio of each parse to (a).
 *
 *   bench_statsd_parse [--mb N] [--passes N] [--simd LEVEL]
 */
#include <getopt.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/parse/statsd.h"
#include "simd/simd.h"

#define SERIES_COUNT 10000
#define SERIES_BYTES_MAX 160
#define PASSES_MAX 100

struct series {
  char name_and_tags[SERIES_BYTES_MAX]; /* "%s" name, then "|#tags" after */
  int name_len;
  const char *type;
};

static uint64_t rng_state = 0x9e3779b97f4a7c15u;

/* splitmix64: small, fast, and the same sequence everywhere. */
static uint64_t rnd(void) {
  uint64_t z = (rng_state += 0x9e3779b97f4a7c15u);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9u;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebu;
  return z ^ (z >> 31);
}

static uint32_t below(uint32_t n) { return (uint32_t)(rnd() % n); }

#define PICK(arr) (arr[below(sizeof(arr) / sizeof(arr[0]))])

static const char *const svc[] = {"web", "api", "db", "cache", "queue",
                                  "worker", "auth", "search", "payments",
                                  "cdn"};
static const char *const obj[] = {"request", "query", "job", "conn",
                                  "message", "session", "upload", "render"};
static const char *const what[] = {"latency", "count", "errors", "size",
                                   "duration", "bytes", "active", "retries"};
static const char *const env[] = {"prod", "staging", "canary"};
static const char *const region[] = {"us-east-1", "eu-west-1", "ap-south-1"};
static const char *const route[] = {"/api/v1/users", "/api/v2/orders",
                                    "/health", "/api/v1/search"};

/* One tag of kind k into buf; returns its length. */
static int tag(char *buf, size_t cap, int k, const char *service) {
  switch (k) {
  case 0: return snprintf(buf, cap, "env:%s", PICK(env));
  case 1: return snprintf(buf, cap, "region:%s", PICK(region));
  case 2: return snprintf(buf, cap, "host:ip-10-0-%u-%u.ec2.internal",
                          below(64), below(256));
  case 3: return snprintf(buf, cap, "route:%s", PICK(route));
  case 4: return snprintf(buf, cap, "version:1.%u.%u", below(9), below(20));
  case 5: return snprintf(buf, cap, "service:%s-svc", service);
  default: return snprintf(buf, cap, "availability-zone:us-east-1%c",
                           'a' + (int)below(3));
  }
}

/* Types follow the name, as real clients do: latencies are timers... */
static const char *type_of(const char *what_name) {
  static const char *const timing[] = {"ms", "ms", "h", "d"};
  static const char *const sizes[] = {"h", "d"};

  if (below(100) < 5)
    return "s";
  if (strcmp(what_name, "latency") == 0 || strcmp(what_name, "duration") == 0)
    return PICK(timing);
  if (strcmp(what_name, "size") == 0 || strcmp(what_name, "bytes") == 0)
    return PICK(sizes);
  return strcmp(what_name, "active") == 0 ? "g" : "c";
}

/* A series: name, then env and 1-4 more distinct tag kinds. */
static void make_series(struct series *s) {
  size_t cap = sizeof(s->name_and_tags);
  const char *service = PICK(svc), *w = PICK(what);
  int n = snprintf(s->name_and_tags, cap, "acme.%s.%s.%s", service, PICK(obj),
                   w);
  int kinds[6] = {1, 2, 3, 4, 5, 6}, tags = 2 + (int)below(4);

  s->name_len = n;
  n += snprintf(s->name_and_tags + n, cap - (size_t)n, "|#");
  n += tag(s->name_and_tags + n, cap - (size_t)n, 0, service);
  for (int k = 0; k + 1 < tags; k++) { /* partial Fisher-Yates */
    int j = k + (int)below(6 - (uint32_t)k), kind = kinds[j];
    kinds[j] = kinds[k];
    kinds[k] = kind;
    s->name_and_tags[n++] = ',';
    n += tag(s->name_and_tags + n, cap - (size_t)n, kind, service);
  }
  s->type = type_of(w);
}

/* One line for series s into buf (cap > 256); returns its length. */
static int make_line(char *buf, size_t cap, const struct series *s) {
  int n;

  if (s->type[0] == 's')
    n = snprintf(buf, cap, "%.*s:user%u|s", s->name_len, s->name_and_tags,
                 below(5000));
  else if (s->type[0] == 'g')
    n = snprintf(buf, cap, "%.*s:%u.%02u|g", s->name_len, s->name_and_tags,
                 below(100000), below(100));
  else if (s->type[0] == 'c')
    n = snprintf(buf, cap, "%.*s:%u|c%s", s->name_len, s->name_and_tags,
                 1 + below(10), below(10) == 0 ? "|@0.1" : "");
  else
    n = snprintf(buf, cap, "%.*s:%u.%u|%s", s->name_len, s->name_and_tags,
                 below(2000), below(1000), s->type);
  return n + snprintf(buf + n, cap - (size_t)n, "%s\n",
                      s->name_and_tags + s->name_len);
}

static char *make_workload(size_t target, size_t *len, size_t *lines) {
  static struct series series[SERIES_COUNT];
  char *buf = malloc(target + 512);
  size_t n = 0;

  if (buf == NULL)
    return NULL;
  for (int i = 0; i < SERIES_COUNT; i++)
    make_series(&series[i]);
  *lines = 0;
  while (n < target) {
    n += (size_t)make_line(buf + n, 512, &series[below(SERIES_COUNT)]);
    (*lines)++;
  }
  *len = n;
  return buf;
}

static double now_s(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static size_t count_newlines(const char *buf, size_t len) {
  const char *p = buf, *end = buf + len;
  size_t n = 0;

  while ((p = memchr(p, '\n', (size_t)(end - p))) != NULL) {
    n++;
    p++;
  }
  return n;
}

/* Parse every line; returns the lines accepted, *work sums their fields. */
static size_t parse_all(const char *buf, size_t len, uint64_t *work) {
  static struct core_statsd_msg msg;
  const char *p = buf, *end = buf + len;
  size_t ok = 0;

  while (p < end) {
    const char *nl = memchr(p, '\n', (size_t)(end - p));
    const char *e = nl ? nl : end;
    if (core_statsd_parse_line_scalar(p, (size_t)(e - p), &msg) == CORE_STATSD_OK) {
      ok++;
      *work += msg.value_count + msg.tag_count + msg.name_len;
    }
    p = nl ? nl + 1 : end;
  }
  return ok;
}

/* Line starts (plus one past the end), so (c) times the parser alone. */
static size_t *line_starts(const char *buf, size_t len, size_t lines) {
  size_t *starts = malloc((lines + 1) * sizeof(*starts));
  const char *p = buf, *end = buf + len;
  size_t n = 0;

  if (starts == NULL)
    return NULL;
  while (p < end && n < lines) {
    const char *nl = memchr(p, '\n', (size_t)(end - p));
    starts[n++] = (size_t)(p - buf);
    p = nl ? nl + 1 : end;
  }
  starts[n] = len;
  return starts;
}

/* Parse the pre-split lines; returns the lines accepted. */
static size_t parse_split(const char *buf, const size_t *starts,
                          size_t lines, uint64_t *work) {
  static struct core_statsd_msg msg;
  size_t ok = 0;

  for (size_t i = 0; i < lines; i++) {
    size_t len = starts[i + 1] - starts[i] - 1; /* without its '\n' */
    if (core_statsd_parse_line_scalar(buf + starts[i], len, &msg) == CORE_STATSD_OK) {
      ok++;
      *work += msg.value_count + msg.tag_count + msg.name_len;
    }
  }
  return ok;
}

/* What parse_buf's callback adds up. */
struct tally {
  size_t ok;
  uint64_t work;
};

static struct core_statsd_msg *on_line(void *ctx, enum core_statsd_err err,
                    const struct core_statsd_msg *msg) {
  struct tally *t = ctx;

  if (err == CORE_STATSD_OK) {
    t->ok++;
    t->work += msg->value_count + msg->tag_count + msg->name_len;
  }
  return NULL;
}

/* (d) at the current level: returns the lines accepted. */
static size_t parse_buf(const char *buf, size_t len, uint64_t *work) {
  static struct core_statsd_msg msg;
  struct tally t = {0, 0};

  core_statsd_parse_buf(buf, len, CORE_LINE_BYTES_MAX_DEFAULT, &msg, on_line,
                        &t);
  *work += t.work;
  return t.ok;
}

static int cmp_double(const void *a, const void *b) {
  double x = *(const double *)a, y = *(const double *)b;
  return (x > y) - (x < y);
}

/* One markdown row: best and median over the passes, ratio to memchr. */
static void report(const char *what, double *t, int passes, size_t bytes,
                   size_t lines, double memchr_best) {
  qsort(t, (size_t)passes, sizeof(*t), cmp_double);
  printf("| %-26s | %.4f | %.4f | %6.2f | %7.2f | %6.2f | %4.1fx |\n", what,
         t[0], t[passes / 2], (double)bytes / t[0] / 1e9,
         (double)lines / t[0] / 1e6, (double)bytes / t[passes / 2] / 1e9,
         t[0] / memchr_best);
}

static int usage(const char *argv0) {
  fprintf(stderr, "usage: %s [--mb N (1-4096, default 64)] "
                  "[--passes N (1-%d, default 7)] "
                  "[--simd auto|avx512|avx2|sse42|scalar (memchr and that "
                  "level only; default: the scalar twin and every supported "
                  "level)]\n", argv0, PASSES_MAX);
  return 2;
}

enum { ROW_MEMCHR, ROW_SPLIT, ROW_ONLY, ROW_LEVEL0, ROWS = ROW_LEVEL0 + SIMD_LEVEL_COUNT };

/* The rows timed: the three fixed ones and the chosen levels. */
static bool row_on(int row, int only_level) {
  int lv = row - ROW_LEVEL0;

  if (row < ROW_LEVEL0)
    return row == ROW_MEMCHR || only_level < 0;
  return simd_level_supported((enum simd_level)lv) &&
         (only_level < 0 || lv == only_level);
}

/* Time one pass of row; returns the lines accepted. */
static size_t run_row(int row, const char *buf, size_t len,
                      const size_t *starts, size_t lines, uint64_t *work) {
  if (row == ROW_MEMCHR)
    return count_newlines(buf, len);
  if (row == ROW_SPLIT)
    return parse_all(buf, len, work);
  if (row == ROW_ONLY)
    return parse_split(buf, starts, lines, work);
  simd_set_level((enum simd_level)(row - ROW_LEVEL0));
  return parse_buf(buf, len, work);
}

static void print_rows(double t[ROWS][PASSES_MAX], int passes, int only_level,
                       size_t len, size_t lines) {
  double memchr_best;
  char what[64];

  printf("| parse | best s | median s | GB/s | M lines/s | GB/s (median) "
         "| time / memchr |\n|---|---|---|---|---|---|---|\n");
  qsort(t[ROW_MEMCHR], (size_t)passes, sizeof(double), cmp_double);
  memchr_best = t[ROW_MEMCHR][0];
  report("memchr newline count", t[ROW_MEMCHR], passes, len, lines,
         memchr_best);
  if (only_level < 0) {
    report("memchr + scalar twin", t[ROW_SPLIT], passes, len, lines,
           memchr_best);
    report("scalar twin (pre-split)", t[ROW_ONLY], passes, len, lines,
           memchr_best);
  }
  for (int row = ROW_LEVEL0; row < ROWS; row++) {
    if (!row_on(row, only_level))
      continue;
    snprintf(what, sizeof(what), "parse_buf %s",
             simd_level_name((enum simd_level)(row - ROW_LEVEL0)));
    report(what, t[row], passes, len, lines, memchr_best);
  }
}

int main(int argc, char **argv) {
  static const struct option opts[] = {
      {"mb", required_argument, NULL, 'm'},
      {"passes", required_argument, NULL, 'p'},
      {"simd", required_argument, NULL, 's'},
      {"help", no_argument, NULL, 'h'},
      {NULL, 0, NULL, 0},
  };
  static double t[ROWS][PASSES_MAX];
  long mb = 64, passes = 7;
  size_t len, lines, *starts;
  uint64_t work = 0;
  enum simd_level best = simd_level_best(), lv;
  int c, only_level = -1, bad = 0;
  char *buf;

  while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
    if (c == 'm')
      mb = strtol(optarg, NULL, 10);
    else if (c == 'p')
      passes = strtol(optarg, NULL, 10);
    else if (c == 's' && simd_parse_level(optarg, &lv) == 0)
      only_level = (int)lv;
    else
      return usage(argv[0]);
  }
  if (optind != argc || mb < 1 || mb > 4096 || passes < 1 ||
      passes > PASSES_MAX)
    return usage(argv[0]);
  if (only_level >= 0 && !simd_level_supported((enum simd_level)only_level)) {
    fprintf(stderr, "bench_statsd_parse: this CPU lacks --simd %s\n",
            simd_level_name((enum simd_level)only_level));
    return 2;
  }
  buf = make_workload((size_t)mb << 20, &len, &lines);
  starts = buf ? line_starts(buf, len, lines) : NULL;
  if (starts == NULL) {
    fprintf(stderr, "bench_statsd_parse: out of memory for %ld MiB\n", mb);
    free(buf);
    return 1;
  }
  for (int i = 0; i < passes; i++)
    for (int row = 0; row < ROWS; row++) {
      if (!row_on(row, only_level))
        continue;
      double t0 = now_s();
      size_t n = run_row(row, buf, len, starts, lines, &work);
      t[row][i] = now_s() - t0;
      bad |= n != lines;
    }
  simd_set_level(best);
  printf("workload: %zu bytes, %zu lines (%.1f bytes/line), %d series, "
         "%ld passes, best level %s\n\n", len, lines,
         (double)len / (double)lines, SERIES_COUNT, passes,
         simd_level_name(best));
  print_rows(t, (int)passes, only_level, len, lines);
  printf("\n[check %llu]%s\n", (unsigned long long)work,
         bad ? "  SOME LINES WERE NOT ACCEPTED" : "");
  free(starts);
  free(buf);
  return bad;
}
