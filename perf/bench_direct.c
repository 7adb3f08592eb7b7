/*
 * perf/bench_direct.c - the store side of `sluice import` alone: heads of
 * Zipf-skewed series (the shape of perf/gen_zipf.py) through one direct
 * compaction pass (stor_direct_*, storage/compact.h) into a directory,
 * timed from open to free (page faults of the pass included), per pass.
 *
 *   bench_direct [--points N] [--series S] [--zipf Z] [--passes P]
 *                [--jitter MS] [--dir D]
 *
 * Prints each pass's ns a point and their median. D defaults to a fresh
 * directory under /dev/shm (no disk in the figure); it is emptied after
 * each pass.
 */
#include <dirent.h>
#include <fcntl.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "storage/block.h"
#include "storage/compact.h"

#define HEAD 65536u

static char (*keys)[64];

static void key_of(const void *ctx, uint32_t id, struct stor_dict_entry *e) {
  (void)ctx;
  *e = (struct stor_dict_entry){.id = id, .type = (uint8_t)(1 + id % 3),
                                .key = keys[id],
                                .key_len = (uint32_t)strlen(keys[id])};
}

static uint64_t rng = 0x9E3779B97F4A7C15ull;
static uint64_t rnd(void) {
  rng ^= rng << 13;
  rng ^= rng >> 7;
  rng ^= rng << 17;
  return rng;
}

static double now_s(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

static int cmp_d(const void *a, const void *b) {
  double x = *(const double *)a, y = *(const double *)b;
  return (x > y) - (x < y);
}

static void empty_dir(const char *path) {
  DIR *d = opendir(path);
  struct dirent *de;
  char p[512];

  while (d && (de = readdir(d)) != NULL) {
    if (de->d_name[0] == '.')
      continue;
    snprintf(p, sizeof(p), "%s/%s", path, de->d_name);
    unlink(p);
  }
  if (d)
    closedir(d);
}

/* Zipf ids (rank r drawn with weight 1/r^z, ranks shuffled over ids),
 * arrival times, values by the id's type. */
static void make_points(uint32_t n, uint32_t s, double z, int64_t jitter,
                        uint32_t *ids, int64_t *ts, double *val) {
  double *cdf = malloc(s * sizeof(*cdf)), sum = 0;
  uint32_t *perm = malloc(s * sizeof(*perm));

  for (uint32_t r = 0; r < s; r++) {
    sum += 1.0 / pow(r + 1, z);
    cdf[r] = sum;
    perm[r] = r;
  }
  for (uint32_t r = s - 1; r > 0; r--) {
    uint32_t j = (uint32_t)(rnd() % (r + 1)), t = perm[r];
    perm[r] = perm[j];
    perm[j] = t;
  }
  for (uint32_t i = 0; i < n; i++) {
    double u = (double)(rnd() >> 11) / 9007199254740992.0 * sum;
    uint32_t lo = 0, hi = s - 1;
    while (lo < hi) {
      uint32_t mid = (lo + hi) / 2;
      if (cdf[mid] < u)
        lo = mid + 1;
      else
        hi = mid;
    }
    uint32_t id = perm[lo];
    ids[i] = id;
    ts[i] = 1765000000000 + i / 4000;
    if (jitter)
      ts[i] += (int64_t)(rnd() % (2 * (uint64_t)jitter + 1)) - jitter;
    val[i] = id % 3 == 0 ? (double)(i / 64 + id)
             : id % 3 == 1 ? (double)(int64_t)(rnd() % 20001) / 100.0
                          : (double)(rnd() % 1000);
  }
  free(cdf);
  free(perm);
}

int main(int argc, char **argv) {
  uint32_t n = 4000000, s = 50000, passes = 5;
  double z = 0.8;
  int64_t jitter = 0;
  char dir[256];

  snprintf(dir, sizeof(dir), "/dev/shm/bench_direct.%d", (int)getpid());
  for (int i = 1; i + 1 < argc; i += 2) {
    if (!strcmp(argv[i], "--points"))
      n = (uint32_t)strtoul(argv[i + 1], NULL, 10);
    else if (!strcmp(argv[i], "--series"))
      s = (uint32_t)strtoul(argv[i + 1], NULL, 10);
    else if (!strcmp(argv[i], "--zipf"))
      z = strtod(argv[i + 1], NULL);
    else if (!strcmp(argv[i], "--passes"))
      passes = (uint32_t)strtoul(argv[i + 1], NULL, 10);
    else if (!strcmp(argv[i], "--jitter"))
      jitter = strtoll(argv[i + 1], NULL, 10);
    else if (!strcmp(argv[i], "--dir"))
      snprintf(dir, sizeof(dir), "%s", argv[i + 1]);
    else {
      fprintf(stderr, "bench_direct: unknown option %s\n", argv[i]);
      return 2;
    }
  }
  if (n == 0 || s == 0 || passes == 0 || passes > 1000) {
    fprintf(stderr, "bench_direct: --points, --series, --passes 1..1000\n");
    return 2;
  }
  uint32_t *ids = malloc(n * sizeof(*ids));
  int64_t *ts = malloc(n * sizeof(*ts));
  double *val = malloc(n * sizeof(*val)), *ns = malloc(passes * sizeof(*ns));
  keys = malloc((size_t)s * sizeof(*keys));
  for (uint32_t i = 0; i < s; i++)
    snprintf(keys[i], sizeof(keys[i]), "app.request.latency_%u\001env:prod"
             "\001host:web-%04u\001region:eu-%u", i % 40, i / 40 % 5000, i % 7);
  make_points(n, s, z, jitter, ids, ts, val);
  mkdir(dir, 0755);
  int fd = open(dir, O_RDONLY | O_DIRECTORY);
  if (fd < 0) {
    perror(dir);
    return 1;
  }
  for (uint32_t p = 0; p < passes; p++) {
    struct stor_compact_stats st = {0};
    struct stor_direct *d;
    struct stor_direct_cfg cfg = {.dir_fd = fd, .shard = 0,
                                  .next_seg_seq = 1, .next_block_seq = 1,
                                  .series_max = s, .series = {key_of, NULL},
                                  .st = &st};
    double t0 = now_s();
    int rc = stor_direct_open(&d, &cfg);
    for (uint32_t at = 0; rc == 0 && at < n; at += HEAD) {
      uint32_t c = n - at < HEAD ? n - at : HEAD;
      rc = stor_direct_add(d, &(struct stor_points){ids + at, ts + at,
                                                    val + at, c});
    }
    if (rc == 0)
      rc = stor_direct_flush(d);
    stor_direct_free(d);
    ns[p] = (now_s() - t0) * 1e9 / n;
    if (rc < 0 || st.points != n) {
      fprintf(stderr, "bench_direct: pass failed (%d)\n", rc);
      return 1;
    }
    printf("pass %u: %.1f ns/point (%llu bytes out)\n", p, ns[p],
           (unsigned long long)st.bytes_out);
    empty_dir(dir);
  }
  qsort(ns, passes, sizeof(*ns), cmp_d);
  printf("median %.1f ns/point over %u passes, %u points, %u series\n",
         ns[passes / 2], passes, n, s);
  close(fd);
  rmdir(dir);
  return 0;
}
