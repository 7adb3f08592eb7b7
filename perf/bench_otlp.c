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
 *   (c) store: the same with every sealed head encoded into a block
 *       (metrics: stor_block_encode; logs: stor_logblock_encode in the
 *       live layout, as the shard's writer does before the write; the
 *       write itself is `sluice import`'s, perf/RESULTS.md);
 *   (d) gzip: each request gzip'ed (isa-l level 1) at load, then
 *       net_gzip_inflate + (c), as an OTLP/HTTP body with
 *       Content-Encoding: gzip is handled.
 * Prints items/s of each and the shares: decode, mapping (series, head),
 * block encoding and inflate; for metrics also the requests decoded twice
 * (a staging bound passed) and the series id cache's hit rate.
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
#include "core/ingest/loghead.h"
#include "core/parse/otlp.h"
#include "net/gzip.h"
#include "storage/block.h"
#include "storage/logblock.h"
#include "tests/fuzz/gzip_deflate.h"

#define REQS_MAX (1u << 20)

struct reqs {
  char *data;
  size_t len;
  size_t off[REQS_MAX], n[REQS_MAX];
  uint32_t count;
  uint8_t *gz;                   /* (d): the requests gzip'ed */
  size_t gz_off[REQS_MAX], gz_n[REQS_MAX], gz_len;
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

/* Log block encoding of sealed log heads (c), as the writer does it. */
static struct stor_logenc lenc;
static uint64_t lseq, lstream_bytes, lfields_bytes, lrecs;

static void log_encode_sink(struct core_loghead *h, void *ctx) {
  long n = stor_logblock_encode(&lenc, 0, ++lseq, h->recs, h->count, blk,
                                blk_cap);

  (void)ctx;
  if (n < 0) {
    fprintf(stderr, "bench_otlp: log encode: %ld\n", n);
    exit(1);
  }
  encoded_bytes += (uint64_t)n;
  lstream_bytes += lenc.stream_len; /* what deflate read */
  lfields_bytes += lenc.fields_len;
  lrecs += h->count;
}

/* Each request gzip'ed (isa-l level 1, as test_gzip.c makes them). */
static int gzip_all(struct reqs *r) {
  size_t cap = r->len + 1024u * r->count + 1024, n;

  r->gz = malloc(cap);
  if (r->gz == NULL)
    return -1;
  for (uint32_t i = 0; i < r->count; i++) {
    n = test_gzip_deflate(r->data + r->off[i], r->n[i], r->gz + r->gz_len,
                          cap - r->gz_len);
    if (n == 0)
      return -1;
    r->gz_off[i] = r->gz_len;
    r->gz_n[i] = n;
    r->gz_len += n;
  }
  return 0;
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

/* One pass of core_pipe_otlp over every request (gz: inflated first);
 * the head sealed at the end. Returns the items accepted. */
static uint64_t run_pipe(struct core_pipe *p, const struct reqs *r, int logs,
                         int gz, struct net_gzip *g, uint8_t *body) {
  struct core_otlp_result res;
  uint64_t items = 0;

  for (uint32_t i = 0; i < r->count; i++) {
    const void *in = r->data + r->off[i];
    size_t n = r->n[i];
    if (gz) {
      if (net_gzip_inflate(g, r->gz + r->gz_off[i], r->gz_n[i], body,
                           CORE_OTLP_BODY_BYTES_MAX, &n) < 0) {
        fprintf(stderr, "bench_otlp: inflate failed\n");
        exit(1);
      }
      in = body;
    }
    core_pipe_otlp(p, logs ? CORE_OTLP_LOGS : CORE_OTLP_METRICS,
                   CORE_OTLP_ENC_PROTO, in, n, 1765000000000, &res);
    items += res.accepted;
  }
  if (logs)
    core_loghead_seal(&p->loghead);
  else
    core_head_seal(&p->head);
  return items;
}

/* Route sealed heads to the block encoders (on) or drop them. */
static void set_store(struct core_pipe *p, int on) {
  p->head.sink = on ? encode_sink : NULL;
  p->head.sink_ctx = on ? &p->series : NULL;
  p->loghead.sink = on ? log_encode_sink : NULL;
  p->loghead.sink_ctx = NULL;
}

static void report(const char *sig, const struct reqs *r, uint64_t items,
                   const struct core_pipe *p, int passes,
                   const double best[5]) {
  const struct core_otlp_map *m = p->otlp;
  int logs = sig[0] == 'l';
  double per = (double)r->count * (logs ? 1.0 : 2.0) * passes * 3;
  double decodes = 1.0 + (double)m->stage.twice / per;
  double dec = decodes * best[0], pipe = best[1], store = best[2];

  printf("%s: %u requests, %llu items a pass, %u series, body %.1f bytes "
         "an item (gzip %.1f)\n", sig, r->count, (unsigned long long)items,
         p->series.count, (double)r->len / (double)items,
         (double)r->gz_len / (double)items);
  printf("decode only (NULL sink): %.0f items/s\n", (double)items / best[0]);
  printf("core_pipe_otlp:          %.0f items/s (%.0f ns an item)\n",
         (double)items / pipe, pipe * 1e9 / (double)items);
  printf("with block encoding:     %.0f items/s (%.0f ns an item, "
         "%.2f bytes an item)\n", (double)items / store,
         store * 1e9 / (double)items,
         (double)encoded_bytes / (double)items / (passes * 2));
  if (logs && lrecs)
    printf("live log blocks: stream before compression (zstd or deflate) %.1f bytes a record (fields "
           "%.1f, text %.1f)\n", (double)lstream_bytes / (double)lrecs,
           (double)lfields_bytes / (double)lrecs,
           (double)(lstream_bytes - lfields_bytes) / (double)lrecs);
  printf("gzip body, inflate+store: %.0f items/s (%.0f ns an item)\n",
         (double)items / best[3], best[3] * 1e9 / (double)items);
  printf("shares of store: decode (%.2f a request) %.0f%%, mapping+%s "
         "%.0f%%, block encoding %.0f%%; of gzip: inflate %.0f%%\n", decodes,
         100.0 * dec / store, logs ? "log head" : "series+head",
         100.0 * (pipe - dec) / store, 100.0 * (store - pipe) / store,
         100.0 * (best[3] - store) / best[3]);
  printf("requests decoded twice: %llu of %.0f", 
         (unsigned long long)m->stage.twice, per);
  if (!logs)
    printf("; series id cache hits %.1f%%",
           100.0 * (double)m->sid.hits /
               (double)(m->sid.hits + m->sid.misses + 1));
  printf("\n");
}

int main(int argc, char **argv) {
  static struct reqs r;
  static struct core_otlp_scratch scratch;
  static struct core_ingest_stats st;
  static struct core_pipe p;
  static struct net_gzip g;
  int logs, passes = 5;
  double best[5] = {1e30, 1e30, 1e30, 1e30, 1e30};
  uint64_t items = 0;
  const char *why;
  uint8_t *body;

  if (argc < 3 || (strcmp(argv[1], "metrics") && strcmp(argv[1], "logs"))) {
    fprintf(stderr, "usage: bench_otlp metrics|logs FILE [--passes N]\n");
    return 2;
  }
  if (argc == 5 && strcmp(argv[3], "--passes") == 0)
    passes = atoi(argv[4]);
  logs = argv[1][0] == 'l';
  if (load(&r, argv[2]) < 0 || gzip_all(&r) < 0) {
    fprintf(stderr, "bench_otlp: cannot read %s\n", argv[2]);
    return 1;
  }
  net_gzip_init(&g);
  body = malloc(CORE_OTLP_BODY_BYTES_MAX);
  blk_cap = stor_block_bytes_max(CORE_HEAD_POINTS_MAX, CORE_HEAD_POINTS_MAX,
                                 CORE_HEAD_KEY_BYTES_MAX);
  if (logs)
    blk_cap = stor_logblock_bytes_max(CORE_LOGHEAD_RECORDS_MAX,
                                      CORE_LOGHEAD_ATTRS_MAX,
                                      CORE_LOGHEAD_TEXT_BYTES_MAX);
  blk = malloc(blk_cap);
  dict = calloc(CORE_HEAD_POINTS_MAX, sizeof(*dict));
  seen = calloc(1u << 20, sizeof(*seen));
  if (body == NULL || blk == NULL || dict == NULL || seen == NULL ||
      stor_encoder_init(&enc, CORE_HEAD_POINTS_MAX) < 0 ||
      stor_logenc_init(&lenc, CORE_LOGHEAD_RECORDS_MAX) < 0 ||
      core_pipe_init(&p, &st, 1u << 20, 8192, NULL, NULL) < 0 ||
      (logs && core_pipe_logs_init(&p, 65536, NULL, NULL) < 0))
    return 1;
  for (int pass = 0; pass < passes; pass++) {
    double t[6];
    t[0] = cpu_s();
    for (uint32_t i = 0; i < r.count; i++)
      (logs ? core_otlp_logs_decode : core_otlp_metrics_decode)(
          r.data + r.off[i], r.n[i], &scratch, NULL, &why);
    t[1] = cpu_s();
    items = run_pipe(&p, &r, logs, 0, &g, body); /* (b): heads dropped */
    t[2] = cpu_s();
    set_store(&p, 1);
    run_pipe(&p, &r, logs, 0, &g, body); /* (c) */
    t[3] = cpu_s();
    run_pipe(&p, &r, logs, 1, &g, body); /* (d) */
    t[4] = cpu_s();
    set_store(&p, 0);
    for (int k = 0; k < 4; k++)
      if (t[k + 1] - t[k] < best[k])
        best[k] = t[k + 1] - t[k];
  }
  report(argv[1], &r, items, &p, passes, best);
  core_pipe_free(&p);
  stor_encoder_free(&enc);
  stor_logenc_free(&lenc);
  free(body);
  free(blk);
  free(dict);
  free(seen);
  free(r.gz);
  free(r.data);
  return 0;
}
