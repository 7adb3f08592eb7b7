/*
 * perf/bench_statsd_parse.c - throughput of the scalar StatsD parser.
 *
 * Builds a fleet-like DogStatsD workload in memory (about 100 bytes a
 * line, types c/g/ms/h/d/s, 2-5 tags, some sample rates, about 10k
 * distinct series, fixed PRNG seed so every run sees the same bytes),
 * then times over several passes:
 *   (a) memchr counting the newlines: the floor any line parser pays;
 *   (b) splitting into lines and core_statsd_parse_line on each;
 *   (c) the parser alone on lines split beforehand (what (b) costs
 *       beyond the framing).
 * Prints bytes, lines, best and median time, GB/s and lines/s of each,
 * and the ratio (b)/(a).
 *
 *   bench_statsd_parse [--mb N] [--passes N]
 */
#include <getopt.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/statsd.h"

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
    if (core_statsd_parse_line(p, (size_t)(e - p), &msg) == CORE_STATSD_OK) {
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
    if (core_statsd_parse_line(buf + starts[i], len, &msg) == CORE_STATSD_OK) {
      ok++;
      *work += msg.value_count + msg.tag_count + msg.name_len;
    }
  }
  return ok;
}

static int cmp_double(const void *a, const void *b) {
  double x = *(const double *)a, y = *(const double *)b;
  return (x > y) - (x < y);
}

static void report(const char *what, double *t, int passes, size_t bytes,
                   size_t lines) {
  qsort(t, (size_t)passes, sizeof(*t), cmp_double);
  printf("%-18s best %.4f s  median %.4f s  %6.2f GB/s  %7.2f M lines/s "
         "(best)  %6.2f GB/s (median)\n",
         what, t[0], t[passes / 2], (double)bytes / t[0] / 1e9,
         (double)lines / t[0] / 1e6, (double)bytes / t[passes / 2] / 1e9);
}

static int usage(const char *argv0) {
  fprintf(stderr, "usage: %s [--mb N (1-4096, default 64)] "
                  "[--passes N (1-%d, default 7)]\n", argv0, PASSES_MAX);
  return 2;
}

int main(int argc, char **argv) {
  static const struct option opts[] = {
      {"mb", required_argument, NULL, 'm'},
      {"passes", required_argument, NULL, 'p'},
      {"help", no_argument, NULL, 'h'},
      {NULL, 0, NULL, 0},
  };
  long mb = 64, passes = 7;
  double t_scan[PASSES_MAX], t_parse[PASSES_MAX], t_only[PASSES_MAX];
  size_t len, lines, ok = 0, ok_only = 0, *starts;
  uint64_t work = 0, nl = 0;
  char *buf;
  int c;

  while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
    if (c == 'm')
      mb = strtol(optarg, NULL, 10);
    else if (c == 'p')
      passes = strtol(optarg, NULL, 10);
    else
      return usage(argv[0]);
  }
  if (optind != argc || mb < 1 || mb > 4096 || passes < 1 ||
      passes > PASSES_MAX)
    return usage(argv[0]);
  buf = make_workload((size_t)mb << 20, &len, &lines);
  if (buf == NULL) {
    fprintf(stderr, "bench_statsd_parse: out of memory for %ld MiB\n", mb);
    return 1;
  }
  starts = line_starts(buf, len, lines);
  if (starts == NULL) {
    fprintf(stderr, "bench_statsd_parse: out of memory for line offsets\n");
    free(buf);
    return 1;
  }
  for (int i = 0; i < passes; i++) {
    double t0 = now_s();
    nl += count_newlines(buf, len);
    double t1 = now_s();
    ok = parse_all(buf, len, &work);
    double t2 = now_s();
    ok_only = parse_split(buf, starts, lines, &work);
    double t3 = now_s();
    t_scan[i] = t1 - t0;
    t_parse[i] = t2 - t1;
    t_only[i] = t3 - t2;
  }
  printf("workload: %zu bytes, %zu lines (%.1f bytes/line), %d series, "
         "%zu accepted, %ld passes\n", len, lines, (double)len / (double)lines,
         SERIES_COUNT, ok, passes);
  report("memchr newlines", t_scan, (int)passes, len, lines);
  report("split + parse", t_parse, (int)passes, len, lines);
  report("parse (pre-split)", t_only, (int)passes, len, lines);
  printf("ratio parse/memchr (best): %.1fx   [check %llu %llu]\n",
         t_parse[0] / t_scan[0], (unsigned long long)(nl / (uint64_t)passes),
         (unsigned long long)work);
  free(starts);
  free(buf);
  return ok == lines && ok_only == lines ? 0 : 1;
}
