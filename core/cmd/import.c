/*
 * core/cmd/import.c - `sluice import`: push files through the same pipeline as
 * `sluice run` (parse -> series -> head) on N pinned shard threads, for
 * backfill and for measuring the pipeline without the network.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <pthread.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "core/cmd/cli.h"
#include "core/cmd/config.h"
#include "core/cmd/compact.h"
#include "core/cmd/datadir.h"
#include "core/cmd/progress.h"
#include "core/base/fault.h"
#include "core/ingest/head.h"
#include "core/ingest/loghead.h"
#include "core/ingest/otlpmap.h"
#include "core/ingest/otlpmap_cache.h"
#include "core/ingest/pipe.h"
#include "core/ingest/series.h"
#include "core/ingest/spanhead.h"
#include "core/ingest/spanmap.h"
#include "core/base/ring.h"
#include "core/parse/syslog_frame.h"
#include "core/shard/stats.h"
#include "core/shard/store.h"
#include "simd/simd.h"
#include "storage/compact.h"
#include "storage/reader.h"
#include "storage/recover.h"

#define IMPORT_FILES_MAX 1024
#define IMPORT_CHUNK_BYTES (4u << 20) /* fed at once; progress counts these */

enum import_proto {
  PROTO_NONE = 0,
  PROTO_STATSD,
  PROTO_SYSLOG,
  PROTO_OTLP_METRICS, /* --otlp metrics */
  PROTO_OTLP_LOGS,    /* --otlp logs */
  PROTO_OTLP_TRACES,  /* --otlp traces */
};

static int is_otlp(enum import_proto p) {
  return p == PROTO_OTLP_METRICS || p == PROTO_OTLP_LOGS ||
         p == PROTO_OTLP_TRACES;
}

/* What the summary line counts. */
static const char *items_of(enum import_proto p) {
  return p == PROTO_OTLP_TRACES ? "spans"
         : p == PROTO_SYSLOG || p == PROTO_OTLP_LOGS ? "records" : "points";
}

static const char import_help[] =
    "Usage: sluice import --proto statsd|syslog [OPTION]... FILE...\n"
    "       sluice import --otlp metrics|logs|traces [OPTION]... FILE...\n"
    "Push FILEs through the ingest pipeline of `sluice run` (parse, series\n"
    "dictionary or log head, block encoding, segment writes through\n"
    "io_uring) on N shards, then print one summary line:\n"
    "  statsd: points N errors N rejected N seconds S points/s R "
    "bytes/point B\n"
    "  syslog: records N errors N seconds S records/s R bytes/record B "
    "stored/raw F\n"
    "Meanwhile, when stderr is a terminal, a progress line there shows\n"
    "the bytes done of the total and the rate (nothing otherwise).\n"
    "StatsD: each file is cut at line ends into N parts, part k going to\n"
    "shard k; samples without |T get the time of the import. Syslog: a file\n"
    "is a stream as a TCP sender writes it (octet-counted or one message a\n"
    "line, RFC 6587), file i goes to shard i mod N; messages without a\n"
    "timestamp get the time of the import. OTLP: a file is a sequence of\n"
    "protobuf Export{Metrics,Logs,Trace}ServiceRequest messages, each preceded\n"
    "by its length as a varint (docs/otlp.md, \"sluice import --otlp\");\n"
    "file i goes to shard i mod N, each request through the mapping of\n"
    "the OTLP listeners; an undecodable request is counted in errors and\n"
    "stores nothing. The data directory belongs to\n"
    "one process at a time (DIR/LOCK): importing into the directory of a\n"
    "running `sluice run` is refused (exit 1) rather than mixing writers.\n"
    "\n"
    "  --proto P                input protocol: statsd (one line per sample)\n"
    "                           or syslog (RFC 5424 and RFC 3164)\n"
    "  --otlp SIGNAL            OTLP protobuf requests: metrics, logs or\n"
    "                           traces\n"
    "  --otlp-resource-labels L resource attributes that become labels\n"
    "                           (LIST, all, none), as for `sluice run`\n"
    "  --data-dir DIR           where segments go [./sluice-data]\n"
    "  --no-store               parse and index only: write nothing\n"
    "  --no-compact             leave the segments as written (by default\n"
    "                           they are compacted, as `sluice compact`\n"
    "                           does: StatsD straight from memory, counted\n"
    "                           in the summary's seconds and bytes/point;\n"
    "                           other input at the end, after the summary)\n"
    "  --cores N|LIST           shards, as for `sluice run` [all CPUs]\n"
    "  --max-series N           series of all shards together [1048576]\n"
    "  --max-line-bytes N       longest StatsD line [8192]\n"
    "  --syslog-max-bytes N     longest syslog message kept whole [64K]\n"
    "  --simd LEVEL             parser kernels: auto, avx512, avx2, sse42\n"
    "                           or scalar [auto: the best this CPU has]\n"
    "  --config FILE            read these options from FILE\n"
    "  -h, --help               show this help\n"
    "Exit codes: 0 ok, 1 a file could not be read or stored, or the data\n"
    "directory is in use, 2 usage error.\n";

static const char *const import_names[] = {
    "cores", "max-series", "max-line-bytes", "syslog-max-bytes", "data-dir",
    "fsync-interval-ms",
    "segment-max-bytes", "segment-max-age", "simd", "otlp-resource-labels",
    NULL};

struct file_map {
  const char *path;
  const char *data;
  size_t len;
};

struct import_shard {
  struct core_stats stats;
  struct core_pipe pipe;
  struct core_ring ring;
  struct core_store store;
  int dir_fd, no_store;
  int direct_on;            /* compacting directly (statsd, compacting) */
  int fresh;                /* its directory held no segment at the start */
  struct stor_direct *direct; /* while compacting directly */
  struct stor_compact_stats cst; /* what direct compaction wrote */
  struct stor_writer_cfg wc;   /* the writer's, for a hand-over */
  enum import_proto proto;
  const struct file_map *files;
  unsigned nfiles, id, count;
  int cpu, rc;
  uint64_t otlp_errors;     /* undecodable requests (or cut files) */
  const struct core_config *cfg;
  struct core_series_budget *series_budget; /* --max-series, all shards */
  struct core_progress *progress;
  pthread_t thread;
} __attribute__((aligned(64)));

/* [begin, end) of part k of n of a buffer, cut just after a '\n'. */
static size_t cut(const char *d, size_t len, unsigned k, unsigned n) {
  size_t at = len / n * k;
  const char *nl;

  if (k == 0 || k >= n)
    return k == 0 ? 0 : len;
  nl = memchr(d + at, '\n', len - at);
  return nl ? (size_t)(nl - d) + 1 : len;
}

static int64_t wall_ms(void) {
  struct timespec ts;

  clock_gettime(CLOCK_REALTIME, &ts);
  return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void no_answer(void *ctx, uint64_t gen, int failed) {
  (void)ctx;
  (void)gen;
  (void)failed;
}

/* The points of a pass were lost (counted in cst.points_lost). */
static void direct_failed(const struct import_shard *s, int rc) {
  fprintf(stderr, "sluice import: shard %u: cannot write a compacted "
          "segment: %s\n", s->id, strerror(-rc));
}

/*
 * A sealed head straight into compacted segments (no original segment
 * written then read back: issue 13). A head whose keys alone exceed a
 * compacted segment's bounds hands the shard over to the segment writer,
 * whose segments the end of the import compacts as before.
 */
static void direct_sink(struct core_head *h, void *ctx) {
  struct import_shard *s = ctx;
  struct stor_writer_cfg wc = s->wc;
  int rc;

  if (s->direct != NULL) {
    rc = stor_direct_add(s->direct, &(struct stor_points){
                                        h->series_id, h->ts_ms, h->value,
                                        h->count});
    if (rc < 0 && rc != -E2BIG) /* at most once a segment's points */
      direct_failed(s, rc);
    if (rc != -E2BIG) {
      core_stat_add(&s->stats.ingest.head_sealed_blocks, 1);
      core_stat_add(&s->stats.ingest.head_sealed_points, h->count);
      return; /* stored, or counted in cst.points_lost */
    }
    stor_direct_next(s->direct, &wc.next_seg_seq, &wc.next_block_seq);
    stor_direct_free(s->direct);
    s->direct = NULL;
    if ((rc = core_store_open(&s->store, &s->pipe.series, &wc, NULL)) < 0)
      fprintf(stderr, "sluice import: shard %u: cannot open the segment "
              "writer: %s\n", s->id, strerror(-rc));
  }
  if (!s->store.on)
    s->cst.points_lost += h->count;
  core_store_head_sink(h, &s->store);
}

static int storage_setup(struct import_shard *s) {
  struct stor_recovery r;
  struct stor_writer_cfg wc;
  char path[sizeof(s->cfg->data_dir) + 32];
  int rc;

  snprintf(path, sizeof(path), "%s/shard-%u", s->cfg->data_dir, s->id);
  if ((mkdir(s->cfg->data_dir, 0755) < 0 && errno != EEXIST) ||
      (mkdir(path, 0755) < 0 && errno != EEXIST))
    return -errno;
  s->dir_fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (s->dir_fd < 0)
    return -errno;
  if ((rc = stor_recover_dir(s->dir_fd, path, &r, stderr)) < 0)
    return rc;
  s->fresh = r.segments == 0;
  wc = (struct stor_writer_cfg){.shard = (uint16_t)s->id,
                                .dir_fd = s->dir_fd,
                                .next_seg_seq = r.max_seg_seq + 1,
                                .next_block_seq = r.max_block_seq + 1,
                                .fsync_interval_ms = s->cfg->fsync_interval_ms,
                                .segment_bytes_max = s->cfg->segment_bytes_max,
                                .segment_age_ms_max =
                                    s->cfg->segment_age_ms_max,
                                .series_max = s->cfg->max_series,
                                .logs = s->proto == PROTO_SYSLOG ||
                                        s->proto == PROTO_OTLP_LOGS,
                                .spans = s->proto == PROTO_OTLP_TRACES,
                                .answer = no_answer};
  if (!s->direct_on) {
    rc = core_store_open(&s->store, &s->pipe.series, &wc, NULL);
    if (rc == 0 && s->pipe.logs) /* log blocks built as records arrive */
      core_store_log_encoder(&s->store, &s->pipe.loghead);
    return rc;
  }
  s->wc = wc; /* for a hand-over (direct_sink) */
  wc.series = core_store_series_src(&s->pipe.series);
  return stor_direct_open(&s->direct,
                          &(struct stor_direct_cfg){
                              .dir_fd = s->dir_fd, .shard = wc.shard,
                              .next_seg_seq = wc.next_seg_seq,
                              .next_block_seq = wc.next_block_seq,
                              .series_max = wc.series_max,
                              .series = wc.series, .st = &s->cst});
}

/* Make every block durable (no deadline: the writer bounds each block's
 * retries), then release the ring and directory. */
static void storage_finish(struct import_shard *s) {
  int rc = s->direct != NULL ? stor_direct_flush(s->direct) : 0;

  if (rc < 0)
    direct_failed(s, rc);
  stor_direct_free(s->direct);
  s->direct = NULL;
  core_store_drain(&s->store, INT64_MAX);
  core_store_free(&s->store);
  core_ring_free(&s->ring);
  if (s->dir_fd >= 0)
    close(s->dir_fd);
}

/* End of the chunk of d starting at b: IMPORT_CHUNK_BYTES on, just after
 * a '\n' (the lines a TCP read would carry), or e. */
static size_t chunk_end(const char *d, size_t b, size_t e) {
  const char *nl;

  if (e - b <= IMPORT_CHUNK_BYTES)
    return e;
  nl = memchr(d + b + IMPORT_CHUNK_BYTES, '\n', e - b - IMPORT_CHUNK_BYTES);
  return nl ? (size_t)(nl - d) + 1 : e;
}

/* Part s->id of every file, cut at line ends, fed a chunk at a time. */
static void feed_statsd(struct import_shard *s) {
  /* One receive time for the whole import, as one batch call had: the
   * chunks are for progress only and must not change what is stored. */
  int64_t t = wall_ms();

  for (unsigned f = 0; f < s->nfiles; f++) {
    const struct file_map *m = &s->files[f];
    size_t b = cut(m->data, m->len, s->id, s->count);
    size_t e = cut(m->data, m->len, s->id + 1, s->count);
    for (size_t end; b < e; b = end) {
      end = chunk_end(m->data, b, e);
      core_pipe_statsd_buf(&s->pipe, m->data + b, end - b, t);
      core_progress_add(s->progress, end - b);
    }
  }
  core_head_seal(&s->pipe.head);
}

/* Files s->id, s->id + count, ...: each one stream through a framer. */
static int feed_syslog(struct import_shard *s) {
  struct core_syslog_framer fr;
  char *buf = malloc(s->cfg->syslog_bytes_max);

  if (buf == NULL)
    return -ENOMEM;
  for (unsigned f = s->id; f < s->nfiles; f += s->count) {
    struct core_pipe_frame_ctx ctx = {&s->pipe, wall_ms()};
    const struct file_map *m = &s->files[f];
    core_syslog_framer_init(&fr, buf, s->cfg->syslog_bytes_max);
    for (size_t b = 0, n; b < m->len; b += n) { /* a stream, cut anywhere */
      n = m->len - b < IMPORT_CHUNK_BYTES ? m->len - b : IMPORT_CHUNK_BYTES;
      core_syslog_framer_feed(&fr, m->data + b, n, core_pipe_syslog_frame,
                              &ctx);
      core_progress_add(s->progress, n);
    }
    core_syslog_framer_finish(&fr, core_pipe_syslog_frame, &ctx);
  }
  core_loghead_seal(&s->pipe.loghead);
  free(buf);
  return 0;
}

/* The varint at d[*at, len) into *v; 0, or -1 when cut or over 64 bits. */
static int read_len(const char *d, size_t len, size_t *at, uint64_t *v) {
  *v = 0;
  for (unsigned shift = 0; *at < len && shift < 64; shift += 7) {
    uint8_t b = (uint8_t)d[(*at)++];
    *v |= (uint64_t)(b & 0x7f) << shift;
    if (!(b & 0x80))
      return 0;
  }
  return -1;
}

/* Files s->id, s->id + count, ...: length-delimited OTLP requests. */
static void feed_otlp(struct import_shard *s) {
  enum core_otlp_signal sig = s->proto == PROTO_OTLP_LOGS ? CORE_OTLP_LOGS
                              : s->proto == PROTO_OTLP_TRACES
                                  ? CORE_OTLP_TRACES
                                  : CORE_OTLP_METRICS;
  struct core_otlp_result res;

  for (unsigned f = s->id; f < s->nfiles; f += s->count) {
    const struct file_map *m = &s->files[f];
    size_t at = 0, done = 0;
    uint64_t n;
    while (at < m->len) {
      size_t start = at;
      if (read_len(m->data, m->len, &at, &n) < 0 || n > m->len - at) {
        fprintf(stderr, "sluice import: %s: offset %zu: request length %s\n",
                m->path, start, n > m->len - at ? "past the end of the file"
                                                : "is not a varint");
        s->otlp_errors++;
        break;
      }
      if (core_pipe_otlp(&s->pipe, sig, CORE_OTLP_ENC_PROTO, m->data + at, n,
                         wall_ms(), &res) < 0) {
        fprintf(stderr, "sluice import: %s: offset %zu: request not stored: "
                "%s\n", m->path, start, res.why ? res.why : "undecodable");
        s->otlp_errors++;
      }
      at += n;
      if (at - done >= IMPORT_CHUNK_BYTES) {
        core_progress_add(s->progress, at - done);
        done = at;
      }
    }
    core_progress_add(s->progress, m->len - done);
  }
  core_head_seal(&s->pipe.head);
  if (s->pipe.logs)
    core_loghead_seal(&s->pipe.loghead);
  core_spanhead_seal(&s->pipe.spanhead);
}

static void *import_main(void *arg) {
  struct import_shard *s = arg;
  cpu_set_t set;

  CPU_ZERO(&set);
  CPU_SET(s->cpu, &set);
  pthread_setaffinity_np(pthread_self(), sizeof(set), &set);
  s->dir_fd = -1;
  /* the ring serves storage only: --no-store needs none */
  s->rc = s->no_store ? 0 : core_ring_init(&s->ring, CORE_RING_ENTRIES);
  core_store_init(&s->store, &s->ring, &s->stats);
  if (s->rc == 0)
    s->rc = s->direct_on
                ? core_pipe_init(&s->pipe, &s->stats.ingest,
                                 s->cfg->max_series, s->cfg->line_bytes_max,
                                 direct_sink, s)
                : core_pipe_init(&s->pipe, &s->stats.ingest,
                                 s->cfg->max_series, s->cfg->line_bytes_max,
                                 core_store_head_sink, &s->store);
  if (s->rc == 0)
    core_series_set_budget(&s->pipe.series, s->series_budget);
  if (s->rc == 0 &&
      (s->proto == PROTO_SYSLOG || s->proto == PROTO_OTLP_LOGS))
    s->rc = core_pipe_logs_init(&s->pipe, s->cfg->syslog_bytes_max,
                                core_store_loghead_sink, &s->store);
  if (s->rc == 0 && s->proto == PROTO_OTLP_TRACES)
    s->rc = core_pipe_spans_init(&s->pipe, core_store_spanhead_sink,
                                 &s->store);
  if (s->rc == 0)
    s->rc = core_pipe_otlp_resource_labels(&s->pipe,
                                           s->cfg->otlp_resource_labels);
  if (s->rc == 0 && !s->no_store)
    s->rc = storage_setup(s);
  if (s->rc == 0) {
    if (s->proto == PROTO_SYSLOG)
      s->rc = feed_syslog(s);
    else if (is_otlp(s->proto))
      feed_otlp(s);
    else
      feed_statsd(s);
  }
  storage_finish(s);
  core_pipe_free(&s->pipe);
  return NULL;
}

static int map_file(struct file_map *m, const char *path) {
  struct stat st;
  int fd = open(path, O_RDONLY | O_CLOEXEC);

  m->path = path;
  m->data = NULL;
  m->len = 0;
  if (fd < 0)
    return -errno;
  if (fstat(fd, &st) < 0) {
    int rc = -errno;
    close(fd);
    return rc;
  }
  m->len = (size_t)st.st_size;
  if (m->len > 0) {
    void *p = mmap(NULL, m->len, PROT_READ, MAP_PRIVATE | MAP_POPULATE, fd, 0);
    if (p == MAP_FAILED) {
      int rc = -errno;
      close(fd);
      return rc;
    }
    m->data = p;
  }
  close(fd);
  return 0;
}

struct import_totals {
  uint64_t points, errors, rejected, bytes, lost; /* points: or records */
  uint64_t otlp_rejected; /* OTLP items refused (over --max-series too) */
};

static void sum(const struct import_shard *s, unsigned n,
                struct import_totals *t) {
  memset(t, 0, sizeof(*t));
  for (unsigned i = 0; i < n; i++) {
    for (int k = 0; k < CORE_STATSD_TYPE_COUNT; k++)
      t->points += core_stat_get(&s[i].stats.ingest.points_statsd[k]);
    for (int k = 0; k < CORE_STATSD_ERR_COUNT; k++)
      t->errors += core_stat_get(&s[i].stats.ingest.parse_errors_statsd[k]);
    t->points += core_stat_get(&s[i].stats.ingest.logs_syslog);
    for (int k = 0; k < CORE_SYSLOG_ERR_COUNT; k++)
      t->errors += core_stat_get(&s[i].stats.ingest.parse_errors_syslog[k]);
    t->rejected += core_stat_get(&s[i].stats.ingest.series_rejected);
    for (int k = 0; k < CORE_OTLP_PK_COUNT; k++)
      t->points += core_stat_get(&s[i].stats.ingest.points_otlp[k]);
    t->points += core_stat_get(&s[i].stats.ingest.logs_otlp);
    t->points += core_stat_get(&s[i].stats.ingest.spans_otlp);
    for (int k = 1; k < CORE_SPAN_REJ_COUNT; k++)
      t->otlp_rejected +=
          core_stat_get(&s[i].stats.ingest.spans_rejected[k]);
    t->errors += s[i].otlp_errors;
    for (int k = 0; k < CORE_OTLP_REJ_COUNT; k++)
      t->otlp_rejected += core_stat_get(&s[i].stats.ingest.otlp_rejected[k]);
    t->bytes += core_stat_get(&s[i].stats.stor.bytes_written) +
                s[i].cst.bytes_out;
    t->lost += core_stat_get(&s[i].stats.stor.points_lost) +
               core_stat_get(&s[i].stats.stor.logs_lost) +
               core_stat_get(&s[i].stats.stor.spans_lost) +
               s[i].cst.points_lost;
  }
}

/* CLOCK_REALTIME one progress period from now, for pthread_timedjoin_np. */
static struct timespec next_draw(void) {
  struct timespec t;

  clock_gettime(CLOCK_REALTIME, &t);
  t.tv_nsec += CORE_PROGRESS_PERIOD_MS * 1000000l;
  t.tv_sec += t.tv_nsec / 1000000000l;
  t.tv_nsec %= 1000000000l;
  return t;
}

/*
 * Wait for every shard thread; on a terminal, redraw the progress line
 * meanwhile (an import shorter than one period draws nothing).
 */
static void join_shards(struct import_shard *s, unsigned n,
                        struct core_progress *p) {
  for (unsigned i = 0; i < n; i++) {
    if (p->out == NULL) {
      pthread_join(s[i].thread, NULL);
      continue;
    }
    struct timespec until = next_draw();
    while (pthread_timedjoin_np(s[i].thread, NULL, &until) == ETIMEDOUT) {
      core_progress_draw(p);
      until = next_draw();
    }
  }
  core_progress_clear(p);
}

static int run_shards(struct import_shard *s, const struct core_config *cfg,
                      const struct file_map *files, unsigned nfiles,
                      int no_store, int compact, enum import_proto proto) {
  unsigned n = cfg->shard_count;
  struct core_progress progress;
  struct core_series_budget budget = {.max = cfg->max_series};
  uint64_t total = 0;

  for (unsigned i = 0; i < nfiles; i++)
    total += files[i].len;
  core_progress_init(&progress, "import", total, stderr);

  for (unsigned i = 0; i < n; i++) {
    s[i].no_store = no_store;
    s[i].direct_on = !no_store && compact && proto == PROTO_STATSD;
    s[i].proto = proto;
    s[i].files = files;
    s[i].nfiles = nfiles;
    s[i].id = i;
    s[i].count = n;
    s[i].cpu = cfg->cpus[i];
    s[i].cfg = cfg;
    s[i].series_budget = &budget;
    s[i].progress = &progress;
    if (pthread_create(&s[i].thread, NULL, import_main, &s[i]) != 0) {
      for (unsigned j = 0; j < i; j++)
        pthread_join(s[j].thread, NULL);
      return core_cli_fail("import", "cannot start shard thread %u", i);
    }
  }
  join_shards(s, n, &progress);
  for (unsigned i = 0; i < n; i++)
    if (s[i].rc < 0)
      return core_cli_fail("import", "shard %u: cannot set up its pipeline: "
                           "%s", i, strerror(-s[i].rc));
  return 0;
}

/* 1 when the end of the import has segments to compact: a shard that did
 * not compact directly (or handed over to the writer, or found segments
 * at its start), or a shard directory this import did not write. */
static int compact_left(const struct import_shard *s, unsigned n,
                        const char *data_dir) {
  unsigned ids[CORE_SHARDS_MAX];

  for (unsigned i = 0; i < n; i++)
    if (!s[i].direct_on || s[i].store.on || !s[i].fresh)
      return 1;
  return stor_shard_ids(data_dir, ids) != (int)n;
}

static double seconds_since(const struct timespec *t0) {
  struct timespec t1;

  clock_gettime(CLOCK_MONOTONIC, &t1);
  return (double)(t1.tv_sec - t0->tv_sec) +
         (double)(t1.tv_nsec - t0->tv_nsec) / 1e9;
}

static void summary(enum import_proto proto, const struct import_totals *t,
                    double secs, uint64_t raw_bytes) {
  double rate = secs > 0 ? (double)t->points / secs : 0.0;
  double per = t->points ? (double)t->bytes / (double)t->points : 0.0;

  if (is_otlp(proto)) {
    const char *what = items_of(proto);
    printf("%s %" PRIu64 " errors %" PRIu64 " rejected %" PRIu64
           " seconds %.3f %s/s %.0f bytes/%.*s %.3f\n",
           what, t->points, t->errors, t->otlp_rejected, secs, what, rate,
           (int)strlen(what) - 1, what, per);
  }
  else if (proto == PROTO_SYSLOG)
    printf("records %" PRIu64 " errors %" PRIu64 " seconds %.3f records/s "
           "%.0f bytes/record %.3f stored/raw %.4f\n",
           t->points, t->errors, secs, rate, per,
           raw_bytes ? (double)t->bytes / (double)raw_bytes : 0.0);
  else
    printf("points %" PRIu64 " errors %" PRIu64 " rejected %" PRIu64
           " seconds %.3f points/s %.0f bytes/point %.3f\n",
           t->points, t->errors, t->rejected, secs, rate, per);
}

static int import_files(const struct core_config *cfg, char **paths,
                        unsigned nfiles, int no_store, int compact,
                        enum import_proto proto) {
  static struct file_map files[IMPORT_FILES_MAX];
  struct import_shard *s;
  struct import_totals t;
  struct timespec t0;
  double secs;
  int rc = 0, lock_fd = -1, left;

  /* Every pipeline maps an OTLP series id cache; only OTLP input uses
   * it (issue 13, step 12: 16 MiB zeroed a shard for nothing). */
  core_otlp_sid_prefault(is_otlp(proto));
  if (simd_select(cfg->simd) < 0) /* before any shard parses */
    return core_cli_usage("import", "--simd %s: this CPU lacks it (its best "
                          "is %s)", cfg->simd,
                          simd_level_name(simd_level_best()));
  /* Held until the end: a `sluice run` on the directory would write the
   * same shards' segment numbers. */
  if (!no_store && (lock_fd = core_datadir_lock("import", cfg->data_dir)) < 0)
    return CORE_EXIT_FAIL;
  for (unsigned i = 0; i < nfiles; i++) {
    int e = map_file(&files[i], paths[i]);
    if (e < 0) {
      rc = core_cli_fail("import", "cannot read \"%s\": %s", paths[i],
                         strerror(-e));
      nfiles = i;
      goto out;
    }
  }
  s = aligned_alloc(64, sizeof(*s) * cfg->shard_count);
  if (s == NULL) {
    rc = core_cli_fail("import", "out of memory");
    goto out;
  }
  memset(s, 0, sizeof(*s) * cfg->shard_count);
  clock_gettime(CLOCK_MONOTONIC, &t0);
  rc = run_shards(s, cfg, files, nfiles, no_store, compact, proto);
  secs = seconds_since(&t0);
  if (rc == 0) {
    uint64_t raw = 0;
    for (unsigned i = 0; i < nfiles; i++)
      raw += files[i].len;
    sum(s, cfg->shard_count, &t);
    summary(proto, &t, secs, raw);
    if (t.lost)
      rc = core_cli_fail("import", "%" PRIu64 " %s could not be written; "
                         "see the messages above", t.lost,
                         items_of(proto));
  }
  left = rc == 0 && compact && compact_left(s, cfg->shard_count,
                                             cfg->data_dir);
  free(s);
  if (left && core_compact_data_dir(cfg->data_dir, NULL) < 0)
    rc = core_cli_fail("import", "compaction failed; the segments are "
                       "intact: run `sluice compact` to retry");
out:
  for (unsigned i = 0; i < nfiles; i++)
    if (files[i].data)
      munmap((void *)files[i].data, files[i].len);
  if (lock_fd >= 0)
    close(lock_fd);
  return rc;
}

struct import_opts {
  enum import_proto proto;
  int no_store;
  int no_compact;
};

static int take_extra(int opt, const char *arg, void *ctx) {
  struct import_opts *o = ctx;

  if (opt == 'n') {
    o->no_store = 1;
    return 0;
  }
  if (opt == 'C') {
    o->no_compact = 1;
    return 0;
  }
  if (opt == 'o') {
    if (strcmp(arg, "metrics") == 0)
      o->proto = PROTO_OTLP_METRICS;
    else if (strcmp(arg, "logs") == 0)
      o->proto = PROTO_OTLP_LOGS;
    else if (strcmp(arg, "traces") == 0)
      o->proto = PROTO_OTLP_TRACES;
    else {
      core_cli_usage("import", "--otlp: \"%s\" is not a signal; use "
                     "--otlp metrics, logs or traces", arg);
      return -EINVAL;
    }
    return 0;
  }
  if (strcmp(arg, "statsd") == 0)
    o->proto = PROTO_STATSD;
  else if (strcmp(arg, "syslog") == 0)
    o->proto = PROTO_SYSLOG;
  else {
    core_cli_usage("import", "--proto: \"%s\" is not supported; use "
                   "--proto statsd or --proto syslog", arg);
    return -EINVAL;
  }
  return 0;
}

int core_import_main(int argc, char **argv) {
  static const struct option extra[] = {
      {"proto", required_argument, NULL, 'p'},
      {"no-store", no_argument, NULL, 'n'},
      {"otlp", required_argument, NULL, 'o'},
      {"no-compact", no_argument, NULL, 'C'},
      {NULL, 0, NULL, 0}};
  struct core_config cfg;
  struct import_opts o = {0};
  int first, rc;

  core_config_defaults(&cfg);
  rc = core_cli_parse(&(struct core_cli_spec){.cmd = "import",
                                               .help = import_help,
                                               .names = import_names,
                                               .extra_opts = extra,
                                               .extra = take_extra,
                                               .ctx = &o},
                      argc, argv, &cfg, &first);
  if (rc == 1)
    return CORE_EXIT_OK;
  if (rc != 0)
    return rc;
  if (core_fault_parse(getenv("SLUICE_FAULT")) < 0)
    return core_cli_usage("import", "SLUICE_FAULT=\"%s\" is not understood; "
                          "see docs/storage.md", getenv("SLUICE_FAULT"));
  if (!o.proto)
    return core_cli_usage("import", "--proto is required: use --proto statsd "
                          "or --proto syslog (or --otlp metrics|logs|traces)");
  if (first >= argc)
    return core_cli_usage("import", "no FILE given");
  if (argc - first > IMPORT_FILES_MAX)
    return core_cli_usage("import", "at most %d files at once",
                          IMPORT_FILES_MAX);
  return import_files(&cfg, argv + first, (unsigned)(argc - first),
                      o.no_store, !o.no_store && !o.no_compact, o.proto);
}
