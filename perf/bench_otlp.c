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
 *       write itself is `sluice import`'s, perf/RESULTS.md); (c) decodes
 *       each body where the file was loaded (read cold from memory);
 *   (c') received: each body copied into one reused buffer first, as
 *       recv writes a body into a connection's buffer, then (c): the
 *       server's case (the body hot in cache, the copy counted);
 *   (d) gzip: each request gzip'ed (isa-l level 1) at load, then
 *       net_gzip_inflate + (c), as an OTLP/HTTP body with
 *       Content-Encoding: gzip is handled;
 *   (e) the same with each request gzip'ed by zlib at level 6 (--zlib N:
 *       at level N), as real senders make their bodies: the OpenTelemetry
 *       JS exporters (Node's zlib.createGzip(), Z_DEFAULT_COMPRESSION),
 *       the Go SDK and the Collector's otlphttp exporter (Go's
 *       compress/gzip, DefaultCompression) and Java's (GZIPOutputStream)
 *       all gzip at the default level, 6;
 *   (f) net_gzip_inflate alone over the bodies of (d) and of (e).
 * Prints items/s of each and the shares: decode, mapping (series, head),
 * block encoding and inflate; for metrics also the requests decoded twice
 * (a staging bound passed) and the series id cache's hit rate.
 *
 *   bench_otlp metrics|logs FILE [--passes N] [--zlib LEVEL (0: off)]
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

#ifdef SLUICE_HAVE_ZLIB
#include "tests/fuzz/gzip_deflate_zlib.h"
#endif

#define REQS_MAX (1u << 20)

/* The requests gzip'ed, one body each. */
struct gzbodies {
  uint8_t *data;
  size_t off[REQS_MAX], n[REQS_MAX], len;
};

enum { GZ_ISAL1, GZ_ZLIB, GZ_KINDS };

struct reqs {
  char *data;
  size_t len;
  size_t off[REQS_MAX], n[REQS_MAX];
  uint32_t count;
  struct gzbodies gz[GZ_KINDS]; /* (d): isa-l level 1; (e): zlib */
  int zlib_level;                /* (e)'s; 0: (e) not run (no zlib) */
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
  /* as core/shard/store.c: the columns built as the head filled, or not */
  long n = core_loghead_encoded(h)
               ? stor_logenc_finish(&lenc, 0, ++lseq, blk, blk_cap)
               : stor_logblock_encode(&lenc, 0, ++lseq, h->recs, h->count,
                                      blk, blk_cap);

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

/* gzip with zlib at level; 0 without zlib (e is then not run). */
static size_t zlib_gzip(const void *src, size_t n, uint8_t *dst, size_t cap,
                        int level) {
#ifdef SLUICE_HAVE_ZLIB
  return test_gzip_deflate_zlib(src, n, dst, cap, level, 0);
#else
  (void)src, (void)n, (void)dst, (void)cap, (void)level;
  return 0;
#endif
}

/* Each request gzip'ed: (d) by isa-l at level 1 (as test_gzip.c makes
 * them), (e) by zlib at r->zlib_level. */
static int gzip_all(struct reqs *r) {
  size_t cap = r->len + 1024u * r->count + 1024, n;

  for (int k = 0; k < (r->zlib_level ? GZ_KINDS : 1); k++) {
    struct gzbodies *b = &r->gz[k];
    if ((b->data = malloc(cap)) == NULL)
      return -1;
    for (uint32_t i = 0; i < r->count; i++) {
      const char *src = r->data + r->off[i];
      n = k == GZ_ISAL1
              ? test_gzip_deflate(src, r->n[i], b->data + b->len, cap - b->len)
              : zlib_gzip(src, r->n[i], b->data + b->len, cap - b->len,
                          r->zlib_level);
      if (n == 0)
        return -1;
      b->off[i] = b->len;
      b->n[i] = n;
      b->len += n;
    }
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

/* Request i of b inflated into body; its length. */
static size_t inflate_one(struct net_gzip *g, const struct gzbodies *b,
                          uint32_t i, uint8_t *body) {
  size_t n;

  if (net_gzip_inflate(g, b->data + b->off[i], b->n[i], body,
                       CORE_OTLP_BODY_BYTES_MAX, &n) < 0) {
    fprintf(stderr, "bench_otlp: inflate failed\n");
    exit(1);
  }
  return n;
}

/* (f): every request of b inflated, nothing else. */
static void inflate_all(struct net_gzip *g, const struct reqs *r,
                        const struct gzbodies *b, uint8_t *body) {
  for (uint32_t i = 0; i < r->count; i++)
    inflate_one(g, b, i, body);
}

/* gz for run_pipe: each body copied into the receive buffer first (g). */
static const struct gzbodies recv_copy;

/* One pass of core_pipe_otlp over every request (gz &recv_copy: copied
 * into body first, as recv writes a body into a connection's buffer;
 * another gz: inflated from it into body); the head sealed at the end.
 * Returns the items accepted. */
static uint64_t run_pipe(struct core_pipe *p, const struct reqs *r, int logs,
                         const struct gzbodies *gz, struct net_gzip *g,
                         uint8_t *body) {
  struct core_otlp_result res;
  uint64_t items = 0;

  for (uint32_t i = 0; i < r->count; i++) {
    const void *in = r->data + r->off[i];
    size_t n = r->n[i];
    if (gz == &recv_copy)
      memcpy(body, in, n);
    else if (gz)
      n = inflate_one(g, gz, i, body);
    if (gz)
      in = body;
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
  if (p->logs) /* between stages: the head is empty */
    core_loghead_set_encoder(&p->loghead,
                             on && !getenv("BENCH_NO_INC") ? &lenc : NULL);
}

/* The sections timed: best[k] is the best pass of each. */
enum { T_DECODE, T_PIPE, T_STORE, T_RECV, T_GZ_ISAL1, T_GZ_ZLIB, T_INFL_ISAL1,
       T_INFL_ZLIB, T_COUNT };

/* (e) and (f): what the senders' bodies cost against (d)'s. */
static void report_gzip(const struct reqs *r, uint64_t items,
                        const double best[T_COUNT]) {
  double it = (double)items;

  printf("inflate alone, isa-l level 1 bodies: %.0f ns an item (%.0f MB/s "
         "out)\n", best[T_INFL_ISAL1] * 1e9 / it,
         (double)r->len / best[T_INFL_ISAL1] / 1e6);
  if (!r->zlib_level) {
    printf("zlib level N bodies: not built (no zlib)\n");
    return;
  }
  printf("gzip body zlib level %d (gzip %.1f bytes an item), inflate+store: "
         "%.0f items/s (%.0f ns an item)\n", r->zlib_level,
         (double)r->gz[GZ_ZLIB].len / it, it / best[T_GZ_ZLIB],
         best[T_GZ_ZLIB] * 1e9 / it);
  printf("inflate alone, zlib level %d bodies: %.0f ns an item (%.0f MB/s "
         "out)\n", r->zlib_level, best[T_INFL_ZLIB] * 1e9 / it,
         (double)r->len / best[T_INFL_ZLIB] / 1e6);
}

static void report(const char *sig, const struct reqs *r, uint64_t items,
                   const struct core_pipe *p, int passes,
                   const double best[T_COUNT]) {
  const struct core_otlp_map *m = p->otlp;
  int logs = sig[0] == 'l', stored = r->zlib_level ? 4 : 3;
  double per = (double)r->count * (logs ? 1.0 : 2.0) * passes * (stored + 1);
  double decodes = 1.0 + (double)m->stage.twice / per;
  double dec = decodes * best[T_DECODE], pipe = best[T_PIPE];
  double store = best[T_STORE];

  printf("%s: %u requests, %llu items a pass, %u series, body %.1f bytes "
         "an item (gzip %.1f)\n", sig, r->count, (unsigned long long)items,
         p->series.count, (double)r->len / (double)items,
         (double)r->gz[GZ_ISAL1].len / (double)items);
  printf("decode only (NULL sink): %.0f items/s\n",
         (double)items / best[T_DECODE]);
  printf("core_pipe_otlp:          %.0f items/s (%.0f ns an item)\n",
         (double)items / pipe, pipe * 1e9 / (double)items);
  printf("with block encoding:     %.0f items/s (%.0f ns an item, "
         "%.2f bytes an item)\n", (double)items / store,
         store * 1e9 / (double)items,
         (double)encoded_bytes / (double)items / (passes * stored));
  if (logs && lrecs)
    printf("live log blocks: stream before compression (zstd or deflate) %.1f bytes a record (fields "
           "%.1f, text %.1f)\n", (double)lstream_bytes / (double)lrecs,
           (double)lfields_bytes / (double)lrecs,
           (double)(lstream_bytes - lfields_bytes) / (double)lrecs);
  printf("received body, copy+store: %.0f items/s (%.0f ns an item)\n",
         (double)items / best[T_RECV], best[T_RECV] * 1e9 / (double)items);
  printf("gzip body, inflate+store: %.0f items/s (%.0f ns an item)\n",
         (double)items / best[T_GZ_ISAL1],
         best[T_GZ_ISAL1] * 1e9 / (double)items);
  /* Inflate's share is (f) over (d), not (d) less (c): (c) decodes the
   * bodies where the file was loaded (cold: 200 B an item from memory),
   * (d) where they were just inflated (hot). */
  printf("shares of store: decode (%.2f a request) %.0f%%, mapping+%s "
         "%.0f%%, block encoding %.0f%%; of gzip: inflate %.0f%%\n", decodes,
         100.0 * dec / store, logs ? "log head" : "series+head",
         100.0 * (pipe - dec) / store, 100.0 * (store - pipe) / store,
         100.0 * best[T_INFL_ISAL1] / best[T_GZ_ISAL1]);
  report_gzip(r, items, best);
  printf("requests decoded twice: %llu of %.0f",
         (unsigned long long)m->stage.twice, per);
  if (!logs)
    printf("; series id cache hits %.1f%%",
           100.0 * (double)m->sid.hits /
               (double)(m->sid.hits + m->sid.misses + 1));
  printf("\n");
}

/* One pass of (a) to (f); best[] keeps each one's best time. Returns the
 * items of a pass. */
static uint64_t one_pass(struct core_pipe *p, const struct reqs *r, int logs,
                         struct net_gzip *g, uint8_t *body,
                         double best[T_COUNT]) {
  static struct core_otlp_scratch scratch;
  double t[T_COUNT + 1];
  const char *why;
  uint64_t items;
  int k = 0;

  t[k++] = cpu_s();
  for (uint32_t i = 0; i < r->count; i++)
    (logs ? core_otlp_logs_decode : core_otlp_metrics_decode)(
        r->data + r->off[i], r->n[i], &scratch, NULL, &why);
  t[k++] = cpu_s();
  items = run_pipe(p, r, logs, NULL, g, body); /* (b): heads dropped */
  t[k++] = cpu_s();
  set_store(p, 1);
  run_pipe(p, r, logs, NULL, g, body); /* (c) */
  t[k++] = cpu_s();
  run_pipe(p, r, logs, &recv_copy, g, body); /* (c') */
  t[k++] = cpu_s();
  run_pipe(p, r, logs, &r->gz[GZ_ISAL1], g, body); /* (d) */
  t[k++] = cpu_s();
  if (r->zlib_level)
    run_pipe(p, r, logs, &r->gz[GZ_ZLIB], g, body); /* (e) */
  t[k++] = cpu_s();
  set_store(p, 0);
  inflate_all(g, r, &r->gz[GZ_ISAL1], body); /* (f) */
  t[k++] = cpu_s();
  if (r->zlib_level)
    inflate_all(g, r, &r->gz[GZ_ZLIB], body);
  t[k++] = cpu_s();
  for (k = 0; k < T_COUNT; k++)
    if (t[k + 1] - t[k] < best[k])
      best[k] = t[k + 1] - t[k];
  return items;
}

int main(int argc, char **argv) {
  static struct reqs r;
  static struct core_ingest_stats st;
  static struct core_pipe p;
  static struct net_gzip g;
  int logs, passes = 5;
  double best[T_COUNT];
  uint64_t items = 0;
  uint8_t *body;

  if (argc < 3 || (strcmp(argv[1], "metrics") && strcmp(argv[1], "logs"))) {
    fprintf(stderr, "usage: bench_otlp metrics|logs FILE [--passes N] "
            "[--zlib LEVEL]\n");
    return 2;
  }
#ifdef SLUICE_HAVE_ZLIB
  r.zlib_level = 6;
#endif
  for (int a = 3; a + 1 < argc; a += 2) {
    if (strcmp(argv[a], "--passes") == 0)
      passes = atoi(argv[a + 1]);
    else if (strcmp(argv[a], "--zlib") == 0 && r.zlib_level)
      r.zlib_level = atoi(argv[a + 1]);
  }
  if (r.zlib_level < 0 || r.zlib_level > 9) {
    fprintf(stderr, "bench_otlp: --zlib takes a level 1 to 9 (0: no zlib "
            "bodies)\n");
    return 2;
  }
  for (int k = 0; k < T_COUNT; k++)
    best[k] = 1e30;
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
  for (int pass = 0; pass < passes; pass++)
    items = one_pass(&p, &r, logs, &g, body, best);
  report(argv[1], &r, items, &p, passes, best);
  core_pipe_free(&p);
  stor_encoder_free(&enc);
  stor_logenc_free(&lenc);
  free(body);
  free(blk);
  free(dict);
  free(seen);
  free(r.gz[GZ_ISAL1].data);
  free(r.gz[GZ_ZLIB].data);
  free(r.data);
  return 0;
}
