/*
 * perf/bench_otlp.c - OTLP metrics and logs through the mapping on one
 * core, split into its parts.
 *
 * Reads a file of length-delimited Export{Metrics,Logs}ServiceRequest
 * messages (perf/gen_otlp.py writes realistic ones) into memory, then
 * times over several passes, in thread CPU time (the machine is shared:
 * wall time would measure the neighbours):
 *   (a) decode: the decoder with a NULL sink, once per request (the
 *       decoding alone);
 *   (b) pipe: core_pipe_otlp (metrics: one decode into staging, the
 *       series id cache or series keys and dictionary, the commit's head
 *       appends; logs: one decode, the mapping writing each record in
 *       place in the log head, the commit; sealed heads dropped);
 *   (c) store (metrics): the same with every sealed head encoded into a
 *       block (stor_block_encode: what the shard's store does before the
 *       write; the write itself is `sluice import`'s, perf/RESULTS.md).
 * Prints items/s of each and the shares: decode, mapping (series, head)
 * and block encoding; for metrics also the requests decoded twice (a
 * staging bound passed) and the series id cache's hit rate.
 *
 *   bench_otlp metrics|logs FILE [--passes N]
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/ingest/head.h"
#include "core/ingest/otlpmap.h"
#include "core/ingest/pipe.h"
#include "core/parse/otlp.h"
#include "storage/block.h"

#define REQS_MAX (1u << 20)

struct reqs {
  char *data;
  size_t len;
  size_t off[REQS_MAX], n[REQS_MAX];
  uint32_t count;
};

/* Block encoding of sealed heads (c): dictionary entries for every series
 * of the block (as a new segment's first block carries them). */
static struct stor_encoder enc;
static struct stor_dict_entry *dict;
static uint32_t *seen;
static uint32_t seen_gen;
static uint8_t *blk;
static size_t blk_cap;
static uint64_t encoded_bytes;

static void encode_sink(struct core_head *h, void *ctx) {
  const struct core_series *s = ctx;
  struct stor_block_in in = {.shard = 0, .seq = 1, .count = h->count,
                             .series_id = h->series_id, .ts_ms = h->ts_ms,
                             .value = h->value, .dict = dict};
  long n;

  seen_gen++;
  for (uint32_t i = 0; i < h->count; i++) {
    uint32_t id = h->series_id[i];
    if (seen[id] == seen_gen)
      continue;
    seen[id] = seen_gen;
    dict[in.dict_count++] = (struct stor_dict_entry){
        .id = id, .type = s->entries[id].type,
        .key = s->arena + s->entries[id].key_off,
        .key_len = s->entries[id].key_len};
  }
  n = stor_block_encode(&enc, &in, blk, blk_cap);
  if (n < 0) {
    fprintf(stderr, "bench_otlp: encode: %ld\n", n);
    exit(1);
  }
  encoded_bytes += (uint64_t)n;
}

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
  double best_dec = 1e30, best_pipe = 1e30, best_store = 1e30;
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
  blk_cap = stor_block_bytes_max(CORE_HEAD_POINTS_MAX, CORE_HEAD_POINTS_MAX,
                                 CORE_HEAD_KEY_BYTES_MAX);
  blk = malloc(blk_cap);
  dict = calloc(CORE_HEAD_POINTS_MAX, sizeof(*dict));
  seen = calloc(1u << 20, sizeof(*seen));
  if (blk == NULL || dict == NULL || seen == NULL ||
      stor_encoder_init(&enc, CORE_HEAD_POINTS_MAX) < 0 ||
      core_pipe_init(&p, &st, 1u << 20, 8192, NULL, NULL) < 0 ||
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
    if (logs)
      continue;
    core_head_seal(&p.head); /* (b)'s rest, dropped */
    t2 = cpu_s();
    p.head.sink = encode_sink; /* (c): the same, blocks encoded */
    p.head.sink_ctx = &p.series;
    for (uint32_t i = 0; i < r.count; i++)
      core_pipe_otlp(&p, CORE_OTLP_METRICS, CORE_OTLP_ENC_PROTO,
                     r.data + r.off[i], r.n[i], 1765000000000, &res);
    core_head_seal(&p.head);
    t0 = cpu_s();
    if (t0 - t2 < best_store)
      best_store = t0 - t2;
    p.head.sink = NULL;
  }
  printf("%s: %u requests, %llu items a pass, %u series\n", argv[1], r.count,
         (unsigned long long)items, p.series.count);
  printf("decode only (NULL sink): %.0f items/s\n", (double)items / best_dec);
  printf("core_pipe_otlp:          %.0f items/s (%.0f ns an item)\n",
         (double)items / best_pipe, best_pipe * 1e9 / (double)items);
  const struct core_otlp_map *m = p.otlp;
  double decodes = 1.0 + (double)m->stage.twice /
                             ((double)r.count * (logs ? 1.0 : 2.0) * passes);
  if (logs) {
    printf("shares: decode (%.2f a request) %.0f%%, mapping+log head "
           "%.0f%%\n", decodes, 100.0 * decodes * best_dec / best_pipe,
           100.0 - 100.0 * decodes * best_dec / best_pipe);
    printf("requests decoded twice: %llu of %llu\n",
           (unsigned long long)m->stage.twice,
           (unsigned long long)r.count * passes);
  } else {
    printf("with block encoding:     %.0f items/s (%.0f ns an item, "
           "%.2f bytes a point)\n", (double)items / best_store,
           best_store * 1e9 / (double)items,
           (double)encoded_bytes / (double)items / passes);
    printf("shares: decode (%.2f a request) %.0f%%, mapping+series+head "
           "%.0f%%, block encoding %.0f%%\n", decodes,
           100.0 * decodes * best_dec / best_store,
           100.0 * (best_pipe - decodes * best_dec) / best_store,
           100.0 * (best_store - best_pipe) / best_store);
    printf("requests decoded twice: %llu of %llu; series id cache hits "
           "%.1f%%\n", (unsigned long long)m->stage.twice,
           (unsigned long long)r.count * 2 * passes,
           100.0 * (double)m->sid.hits /
               (double)(m->sid.hits + m->sid.misses + 1));
  }
  core_pipe_free(&p);
  stor_encoder_free(&enc);
  free(blk);
  free(dict);
  free(seen);
  free(r.data);
  return 0;
}
