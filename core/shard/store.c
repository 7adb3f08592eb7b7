/*
 * core/shard/store.c - sealed heads to the segment writer, one path for
 * `run` and `import`.
 */
#include "core/shard/store.h"

#include <errno.h>
#include <string.h>

#include "core/base/ring.h"
#include "core/base/stat.h"
#include "core/ingest/loghead.h"
#include "core/ingest/series_types.h"
#include "core/parse/statsd_types.h"
#include "storage/block_types.h"
#include "storage/writer.h"

/* A series' type byte in a block is its StatsD type: both enums agree. */
_Static_assert((int)CORE_STATSD_COUNTER == (int)STOR_SERIES_COUNTER &&
                   (int)CORE_STATSD_GAUGE == (int)STOR_SERIES_GAUGE &&
                   (int)CORE_STATSD_TIMER == (int)STOR_SERIES_TIMER &&
                   (int)CORE_STATSD_HISTOGRAM == (int)STOR_SERIES_HISTOGRAM &&
                   (int)CORE_STATSD_DISTRIBUTION == (int)STOR_SERIES_DISTRIBUTION &&
                   (int)CORE_STATSD_SET == (int)STOR_SERIES_SET &&
                   (int)CORE_STATSD_TYPE_COUNT == (int)STOR_SERIES_OTLP_GAUGE,
               "the format's first series types are the StatsD types");

void core_store_init(struct core_store *s, struct core_ring *ring,
                     struct core_stats *stats) {
  memset(s, 0, sizeof(*s));
  s->ring = ring;
  s->stats = stats;
}

/* The writer's view of the shard's dictionary (stor_series_src). */
static void series_entry(const void *ctx, uint32_t id,
                         struct stor_dict_entry *out) {
  const struct core_series *d = ctx;
  const struct core_series_entry *e = &d->entries[id];

  *out = (struct stor_dict_entry){.id = e->id,
                                  .type = e->type,
                                  .key = d->arena + e->key_off,
                                  .key_len = e->key_len};
}

struct stor_series_src core_store_series_src(const struct core_series *series) {
  return (struct stor_series_src){series_entry, series};
}

int core_store_open(struct core_store *s, const struct core_series *series,
                    const struct stor_writer_cfg *cfg, uint64_t *active_pub) {
  struct stor_writer_cfg c = *cfg;
  int rc;

  c.series = core_store_series_src(series);
  rc = stor_writer_init(&s->writer, s->ring, &s->stats->stor, &c, active_pub);
  s->on = rc == 0;
  return rc;
}

void core_store_log_encoder(struct core_store *s, struct core_loghead *h) {
  core_loghead_set_encoder(h, s->on ? stor_writer_log_encoder(&s->writer)
                                    : NULL);
}

void core_store_free(struct core_store *s) {
  stor_writer_free(&s->writer);
  s->on = 0;
}

/* A sealed head of any kind, as the writer takes it. */
struct sealed {
  const struct core_head *metrics;     /* or NULL */
  const struct core_loghead *logs;     /* or NULL */
  const struct core_spanhead *spans;   /* or NULL */
  uint32_t count;                      /* points, records or spans */
};

static int seal_once(struct core_store *s, const struct sealed *b) {
  int64_t t = core_ring_now_ms();

  if (b->metrics != NULL)
    return stor_writer_seal(&s->writer,
                            &(struct stor_points){b->metrics->series_id,
                                                  b->metrics->ts_ms,
                                                  b->metrics->value,
                                                  b->metrics->count},
                            t);
  if (b->spans != NULL)
    return stor_writer_seal_spans(&s->writer, b->spans->spans, b->spans->count,
                                  b->spans->res, b->spans->res_count, t);
  if (core_loghead_encoded(b->logs)) /* its columns built as it filled */
    return stor_writer_seal_logs_built(&s->writer, b->logs->count, t);
  return stor_writer_seal_logs(&s->writer, b->logs->recs, b->logs->count, t);
}

static void keep(struct core_store *s, const struct sealed *b) {
  while (seal_once(s, b) == -ENOBUFS) {
    core_stat_add(&s->stats->store_waits, 1);
    if (core_ring_wait_owner(s->ring, s->writer.tag) < 0) {
      core_stat_add(&s->stats->store_dropped, 1);
      core_stat_add(b->metrics ? &s->stats->stor.points_lost
                    : b->spans ? &s->stats->stor.spans_lost
                               : &s->stats->stor.logs_lost,
                    b->count);
      return;
    }
    stor_writer_tick(&s->writer, core_ring_now_ms());
  }
}

void core_store_head_sink(struct core_head *h, void *ctx) {
  struct core_store *s = ctx;

  core_stat_add(&s->stats->ingest.head_sealed_blocks, 1);
  core_stat_add(&s->stats->ingest.head_sealed_points, h->count);
  if (s->on)
    keep(s, &(struct sealed){.metrics = h, .count = h->count});
}

void core_store_loghead_sink(struct core_loghead *h, void *ctx) {
  struct core_store *s = ctx;

  core_stat_add(&s->stats->ingest.loghead_sealed_blocks, 1);
  core_stat_add(&s->stats->ingest.loghead_sealed_records, h->count);
  if (s->on)
    keep(s, &(struct sealed){.logs = h, .count = h->count});
}

void core_store_spanhead_sink(struct core_spanhead *h, void *ctx) {
  struct core_store *s = ctx;

  core_stat_add(&s->stats->ingest.spanhead_sealed_blocks, 1);
  core_stat_add(&s->stats->ingest.spanhead_sealed_spans, h->count);
  if (s->on)
    keep(s, &(struct sealed){.spans = h, .count = h->count});
}

int core_store_flush(struct core_store *s, uint64_t gen) {
  if (!s->on)
    return 1;
  return stor_writer_flush(&s->writer, gen, core_ring_now_ms());
}

void core_store_set_limits(struct core_store *s, uint32_t fsync_interval_ms,
                           uint64_t segment_bytes_max,
                           uint64_t segment_age_ms_max) {
  /* The writer reads its cfg at each decision (storage/writer.c). */
  s->writer.cfg.fsync_interval_ms = fsync_interval_ms;
  s->writer.cfg.segment_bytes_max = segment_bytes_max;
  s->writer.cfg.segment_age_ms_max = segment_age_ms_max;
}

int core_store_keeping_up(void *ctx) {
  struct core_store *s = ctx;

  if (!s->on)
    return 1;
  /* Writes that completed free their buffers (no wait). */
  if (core_ring_poll_owner(s->ring, s->writer.tag) == 0)
    stor_writer_tick(&s->writer, core_ring_now_ms());
  return s->writer.order_len < STOR_WRITE_BUFS_COUNT / 2;
}

void core_store_tick(struct core_store *s) {
  if (s->on)
    stor_writer_tick(&s->writer, core_ring_now_ms());
}

int core_store_drain(struct core_store *s, int64_t deadline_ms) {
  if (!s->on)
    return 1;
  stor_writer_flush(&s->writer, 0, core_ring_now_ms());
  while (!stor_writer_idle(&s->writer)) {
    int64_t left = deadline_ms - core_ring_now_ms();
    if (left <= 0)
      return 0;
    core_ring_wait(s->ring, left < CORE_TICK_MS ? (unsigned)left
                                                : CORE_TICK_MS);
    core_ring_reap(s->ring);
    stor_writer_tick(&s->writer, core_ring_now_ms());
  }
  return 1;
}
