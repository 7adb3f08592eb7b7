/*
 * perf/bench_block.c - block encode/decode speed and bytes per point.
 *
 * Workload (fixed seed): a fleet of --series series, each reporting every
 * 10 s; a block holds --points points of every series (arrival order:
 * round by round, series shuffled within a round). Series kinds:
 *   40% counters: integer counts per interval around a per-series rate
 *       (log-uniform 1..5000, +-10% noise);
 *   40% gauges: a slow 2-decimal random walk (steps of 0..0.50);
 *   20% timers: random latencies with 3 decimals (0.1 .. 2000 ms).
 * Timestamp variants:
 *   exact     client |T timestamps, whole seconds: 10 000 ms steps;
 *   jitter    the client's 10 s flush with +-J ms of scheduling jitter
 *             (--jitter-ms, default 5);
 *   receive   sluice's receive time in ms: +-25 ms send jitter and 0..20
 *             ms of network and queueing delay;
 *   1/block   one point per series per block (what the default 1 s
 *             block age gives a 10 s reporter), 64k series.
 * Blocks carry no dictionary (steady state: a segment's later blocks);
 * the first block's dictionary cost is printed separately.
 * Prints encode and decode points/s (best of --passes), bytes per point
 * and the split by column and by series kind.
 *
 *   bench_block [--series N] [--points N] [--jitter-ms J] [--passes N]
 */
#include <getopt.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/base/limits.h"
#include "storage/block.h"
#include "storage/encode.h"

enum kind { COUNTER, GAUGE, TIMER, KINDS };

enum variant { V_EXACT, V_JITTER, V_RECEIVE, V_ONE, VARIANTS };
static const char *const variant_name[VARIANTS] = {"exact", "jitter",
                                                   "receive", "1/block"};

static uint64_t rng_state = 0x2545f4914f6cdd1dULL;

static uint64_t rnd(void) {
  uint64_t z = (rng_state += 0x9e3779b97f4a7c15u);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9u;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebu;
  return z ^ (z >> 31);
}

static double unit(void) { return (double)(rnd() >> 11) / 9007199254740992.0; }
static int64_t span(int64_t lo, int64_t hi) {
  return lo + (int64_t)(rnd() % (uint64_t)(hi - lo + 1));
}

struct series {
  enum kind kind;
  double rate, gauge;
  int64_t phase_ms;
};

struct work {
  uint32_t series, rounds, count;
  struct series *s;
  uint32_t *id;
  int64_t *ts;
  double *val;
};

static double sample(struct series *s) {
  switch (s->kind) {
  case COUNTER:
    return round(s->rate * (0.9 + 0.2 * unit()));
  case GAUGE:
    s->gauge += (double)span(-50, 50) / 100;
    return round(s->gauge * 100) / 100;
  default:
    return round((0.1 + 2000 * unit() * unit()) * 1000) / 1000;
  }
}

static int64_t stamp(const struct series *s, uint32_t round_no, enum variant v,
                     int64_t jitter_ms) {
  int64_t t = INT64_C(1700000000000) + s->phase_ms + INT64_C(10000) * round_no;

  switch (v) {
  case V_EXACT:
    return t / 1000 * 1000;
  case V_JITTER:
  case V_ONE:
    return t + span(-jitter_ms, jitter_ms);
  default:
    return t + span(-25, 25) + span(0, 20);
  }
}

static void build(struct work *w, enum variant v, int64_t jitter_ms) {
  uint32_t *perm = malloc(w->series * sizeof(*perm)), n = 0;

  for (uint32_t i = 0; i < w->series; i++) {
    uint64_t k = rnd() % 10;
    w->s[i] = (struct series){.kind = k < 4 ? COUNTER : k < 8 ? GAUGE : TIMER,
                              .rate = exp(unit() * log(5000.0)),
                              .gauge = (double)span(0, 10000) / 100,
                              .phase_ms = span(0, 9999)};
    perm[i] = i;
  }
  for (uint32_t r = 0; r < w->rounds; r++) {
    for (uint32_t i = w->series; i > 1; i--) {
      uint32_t j = (uint32_t)(rnd() % i), t = perm[i - 1];
      perm[i - 1] = perm[j];
      perm[j] = t;
    }
    for (uint32_t i = 0; i < w->series; i++, n++) {
      w->id[n] = perm[i];
      w->ts[n] = stamp(&w->s[perm[i]], r, v, jitter_ms);
      w->val[n] = sample(&w->s[perm[i]]);
    }
  }
  free(perm);
}

static double now_s(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return (double)t.tv_sec + (double)t.tv_nsec * 1e-9;
}

/* Values bytes by series kind, re-encoding each decoded run alone. */
static void by_kind(const struct work *w, const uint8_t *blk, long len,
                    double out[KINDS], uint64_t pts[KINDS]) {
  struct stor_block_reader r;
  struct stor_run run;
  static int64_t ts[STOR_BLOCK_POINTS_MAX], scratch[STOR_BLOCK_POINTS_MAX];
  static double val[STOR_BLOCK_POINTS_MAX];
  static uint8_t tmp[1 << 20];

  memset(out, 0, KINDS * sizeof(double));
  memset(pts, 0, KINDS * sizeof(uint64_t));
  stor_block_reader_init(&r, blk, (size_t)len);
  while (stor_block_next_run(&r, &run, ts, val, STOR_BLOCK_POINTS_MAX) == 1) {
    struct stor_bitw bw;
    enum kind k = w->s[run.series_id].kind;
    stor_bitw_init(&bw, tmp, sizeof(tmp));
    stor_val_encode(&bw, val, run.count, scratch, STOR_MODE_AUTO);
    out[k] += (double)bw.len;
    pts[k] += run.count;
  }
}

static void run_variant(struct work *w, enum variant v, int64_t jitter_ms,
                        int passes, struct stor_encoder *enc, uint8_t *blk,
                        size_t cap) {
  struct stor_block_in in;
  struct stor_block_reader r;
  struct stor_run run;
  static int64_t ts[STOR_BLOCK_POINTS_MAX];
  static double val[STOR_BLOCK_POINTS_MAX];
  double enc_best = 1e9, dec_best = 1e9, kb[KINDS];
  uint64_t kp[KINDS], check = 0;
  long len = 0;

  build(w, v, jitter_ms);
  in = (struct stor_block_in){.shard = 0, .seq = 1, .count = w->count,
                              .series_id = w->id, .ts_ms = w->ts,
                              .value = w->val};
  for (int p = 0; p < passes; p++) {
    double t0 = now_s(), t1;
    len = stor_block_encode(enc, &in, blk, cap);
    t1 = now_s();
    enc_best = t1 - t0 < enc_best ? t1 - t0 : enc_best;
    if (len <= 0) {
      fprintf(stderr, "bench_block: encode failed: %ld\n", len);
      exit(1);
    }
    t0 = now_s();
    if (stor_block_reader_init(&r, blk, (size_t)len) != 0)
      exit(1);
    while (stor_block_next_run(&r, &run, ts, val, STOR_BLOCK_POINTS_MAX) == 1)
      check += run.count + (uint64_t)ts[0];
    t1 = now_s();
    dec_best = t1 - t0 < dec_best ? t1 - t0 : dec_best;
  }
  by_kind(w, blk, len, kb, kp);
  printf("| %s | %u x %u | %.1f | %.1f | %.3f | %.3f | %.3f | %.3f | %.2f / "
         "%.2f / %.2f |\n",
         variant_name[v], w->series, w->rounds, w->count / enc_best / 1e6,
         w->count / dec_best / 1e6, (double)len / w->count,
         (double)(r.hdr.runs_bytes + STOR_BLOCK_HEADER_BYTES) / w->count,
         (double)r.hdr.ts_bytes / w->count,
         (double)r.hdr.values_bytes / w->count, kb[COUNTER] / (double)kp[COUNTER],
         kb[GAUGE] / (double)kp[GAUGE], kb[TIMER] / (double)kp[TIMER]);
  if (check == 42)
    puts("");
}

static int alloc_work(struct work *w, uint32_t series, uint32_t rounds) {
  w->series = series;
  w->rounds = rounds;
  w->count = series * rounds;
  w->s = calloc(series, sizeof(*w->s));
  w->id = calloc(w->count, sizeof(*w->id));
  w->ts = calloc(w->count, sizeof(*w->ts));
  w->val = calloc(w->count, sizeof(*w->val));
  return w->s && w->id && w->ts && w->val ? 0 : -1;
}

static void free_work(struct work *w) {
  free(w->s);
  free(w->id);
  free(w->ts);
  free(w->val);
}

/* Dictionary bytes of a first block: keys like the parser bench's. */
static void dict_cost(uint32_t series) {
  size_t bytes = 0;
  for (uint32_t i = 0; i < series; i++) {
    char key[256];
    int n = snprintf(key, sizeof(key),
                     "acme.api.request.latency%c env:prod%c host:ip-10-0-%u-%u"
                     ".ec2.internal%c region:us-east-1%c service:api-svc",
                     0, 0, i / 256, i % 256, 0, 0);
    bytes += stor_varint_len(i) + 1 + stor_varint_len((uint64_t)n) + (size_t)n;
  }
  printf("\nfirst block of a segment: + %zu dictionary bytes for %u series "
         "(%.1f bytes a series, once per segment)\n",
         bytes, series, (double)bytes / series);
}

int main(int argc, char **argv) {
  uint32_t series = 2000, rounds = 32;
  int64_t jitter_ms = 5;
  int passes = 10, c;
  struct stor_encoder enc;
  struct work w;
  uint8_t *blk;
  size_t cap;

  while ((c = getopt_long(argc, argv, "", (struct option[]){
              {"series", 1, 0, 's'}, {"points", 1, 0, 'p'},
              {"jitter-ms", 1, 0, 'j'}, {"passes", 1, 0, 'n'}, {0, 0, 0, 0}},
                          NULL)) != -1) {
    if (c == 's')
      series = (uint32_t)atoi(optarg);
    else if (c == 'p')
      rounds = (uint32_t)atoi(optarg);
    else if (c == 'j')
      jitter_ms = atoi(optarg);
    else if (c == 'n')
      passes = atoi(optarg);
    else
      return 2;
  }
  if (series == 0 || rounds == 0 || passes < 1 ||
      (uint64_t)series * rounds > 65536 || jitter_ms < 0) {
    fprintf(stderr, "bench_block: need series x points <= 65536\n");
    return 2;
  }
  cap = stor_block_bytes_max(65536, 0, 0);
  blk = malloc(cap);
  if (blk == NULL || stor_encoder_init(&enc, 65536) != 0)
    return 1;
  printf("bench_block: %u series x %u points a block, 10 s interval, jitter "
         "+-%lld ms, best of %d passes\n\n",
         series, rounds, (long long)jitter_ms, passes);
  printf("| timestamps | series x points | encode M pts/s | decode M pts/s | "
         "bytes/pt | runs+hdr | ts | values | values by kind: counters / "
         "gauges / timers |\n|---|---|---|---|---|---|---|---|---|\n");
  for (int v = 0; v < VARIANTS; v++) {
    if (v == V_ONE ? alloc_work(&w, 65536, 1) : alloc_work(&w, series, rounds))
      return 1;
    run_variant(&w, (enum variant)v, jitter_ms, passes, &enc, blk, cap);
    free_work(&w);
  }
  dict_cost(series);
  stor_encoder_free(&enc);
  free(blk);
  return 0;
}
