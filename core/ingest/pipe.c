/*
 * core/ingest/pipe.c - parse -> series -> head for one shard.
 */
#include "core/ingest/pipe.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>

#include "core/ingest/head.h"
#include "core/ingest/loghead.h"
#include "core/ingest/otlpmap.h"
#include "core/ingest/rawkey.h"
#include "core/ingest/series.h"
#include "core/base/assert.h"
#include "core/ingest/spanhead.h"
#include "core/base/stat.h"
#include "core/parse/statsd.h"
#include "core/parse/syslog.h"

int core_pipe_init(struct core_pipe *p, struct core_ingest_stats *stats,
                   uint32_t max_series, uint32_t line_bytes_max,
                   core_head_sink_fn sink, void *ctx) {
  int rc;

  memset(p, 0, sizeof(*p));
  if (line_bytes_max < CORE_LINE_BYTES_MIN_LIMIT ||
      line_bytes_max > CORE_LINE_BYTES_MAX_LIMIT)
    return -EINVAL;
  p->stats = stats;
  p->line_bytes_max = line_bytes_max;
  rc = core_series_init(&p->series, max_series);
  if (rc < 0)
    goto fail;
  rc = core_rawkey_init(&p->rawkey);
  if (rc < 0)
    goto fail;
  rc = core_head_init(&p->head, CORE_HEAD_POINTS_MAX, sink, ctx);
  if (rc < 0)
    goto fail;
  rc = core_pipe_otlp_init(p);
  if (rc < 0)
    goto fail;
  return 0;
fail:
  core_pipe_free(p);
  return rc;
}

void core_pipe_free(struct core_pipe *p) {
  core_pipe_otlp_free(p);
  core_head_free(&p->head);
  core_series_free(&p->series);
  core_rawkey_free(&p->rawkey);
  core_loghead_free(&p->loghead);
  core_spanhead_free(&p->spanhead);
  memset(&p->spans, 0, sizeof(p->spans));
  if (p->syslog_scratch)
    munmap(p->syslog_scratch, p->syslog_bytes_max);
  p->syslog_scratch = NULL;
  p->logs = 0;
}

int core_pipe_logs_init(struct core_pipe *p, uint32_t syslog_bytes_max,
                        core_loghead_sink_fn sink, void *ctx) {
  void *m;
  int rc;

  if (syslog_bytes_max < CORE_SYSLOG_BYTES_MIN_LIMIT ||
      syslog_bytes_max > CORE_SYSLOG_BYTES_MAX_LIMIT)
    return -EINVAL;
  m = mmap(NULL, syslog_bytes_max, PROT_READ | PROT_WRITE,
           MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (m == MAP_FAILED)
    return -ENOMEM;
  p->syslog_scratch = m;
  p->syslog_bytes_max = syslog_bytes_max;
  rc = core_loghead_init(&p->loghead, sink, ctx);
  if (rc < 0)
    return rc; /* core_pipe_free releases the scratch */
  p->logs = 1;
  return 0;
}

void core_pipe_syslog(struct core_pipe *p, const char *msg, size_t len,
                      enum core_syslog_err frame_err, int64_t now_ms) {
  struct core_syslog_rec *r = &p->srec;
  enum core_syslog_err err;

  if (!p->logs)
    return;
  if (len > p->syslog_bytes_max) {
    len = p->syslog_bytes_max;
    frame_err = CORE_SYSLOG_ERR_TOO_LONG;
  }
  err = core_syslog_parse(msg, len, now_ms, p->syslog_scratch, r);
  if (err == CORE_SYSLOG_ERR_EMPTY && frame_err == CORE_SYSLOG_OK)
    return; /* a blank datagram or frame: nothing to store */
  if (frame_err != CORE_SYSLOG_OK) {
    /* The parse of a cut message may have succeeded: keep its fields, but
     * the record says it is incomplete. */
    r->err = err = frame_err;
    r->flags |= CORE_SYSLOG_F_PARSE_ERROR;
  }
  if (err != CORE_SYSLOG_OK)
    core_stat_add(&p->stats->parse_errors_syslog[err], 1);
  core_stat_add(&p->stats->logs_syslog, 1);
  core_loghead_append(&p->loghead, r, now_ms);
}

void core_pipe_statsd_reject(struct core_pipe *p, enum core_statsd_err err) {
  core_stat_add(&p->stats->parse_errors_statsd[err], 1);
}

/*
 * Members of a set are stored as the low 32 bits of their hash (before
 * issue 14: 53 bits). A random 53-bit number costs 7 bytes a point in any
 * codec; 32 bits cost 4, and two of n distinct members in an interval
 * share a value with probability about n^2 / 2^33 (docs/statsd.md, "What
 * is stored per sample", gives the rate; test_pipe checks it).
 */
#define SET_HASH_BITS 32

static double set_member_value(const struct core_statsd_str *m) {
  uint64_t h = core_series_hash_bytes(m->ptr, m->len);
  return (double)(h & ((UINT64_C(1) << SET_HASH_BITS) - 1));
}

/*
 * The value sample i of m stores (docs/statsd.md, "What is stored per
 * sample"); g is the gauge's value before it and becomes the value after.
 */
static inline double point_value(const struct core_statsd_msg *m, uint32_t i,
                                 double *g) {
  switch (m->type) {
  case CORE_STATSD_COUNTER:
    return core_statsd_counter_value(m, i);
  case CORE_STATSD_GAUGE:
    *g = (m->delta_mask & (UINT64_C(1) << i)) ? *g + m->values[i]
                                              : m->values[i];
    return *g;
  case CORE_STATSD_SET:
    return set_member_value(&m->members[i]);
  default:
    return m->values[i];
  }
}

/*
 * The values m's samples store into out[0, m->value_count), and a gauge's
 * resulting last value into *gauge. The series is not changed, so a
 * rejected line leaves no trace. Returns 0, or -1 when a value is not
 * finite: a gauge delta that overflows the series' last value, which only
 * the pipe knows (the parsers refuse every other non-finite value,
 * counters' value / rate included; checking all of them here costs a
 * compare a point and keeps +Inf and NaN out of storage whatever the
 * parser does).
 */
static int point_values(const struct core_statsd_msg *m,
                        const struct core_series_hot *e, double *out,
                        double *gauge) {
  double g = e->gauge_set ? e->gauge : 0.0;
  int finite = 1;

  for (uint32_t i = 0; i < m->value_count; i++) {
    double v = point_value(m, i, &g);
    finite &= isfinite(v) != 0;
    out[i] = v;
  }
  *gauge = g;
  return finite ? 0 : -1;
}

/*
 * Count series id's key (key_len bytes) once per open block: a block
 * carries dictionary entries, and this keeps their bytes under
 * CORE_HEAD_KEY_BYTES_MAX by sealing early. Seals first when the head is
 * full, so the mark is always for the block the next point lands in. The
 * marks are a bitmap by id (core_series_mark), and key_len comes with
 * the id (from the raw key cache's entry or the dictionary's), so no
 * per-series line is read here. The marks must be the open block's
 * (core_series_marks_for on entry to the pipe: the shard may have sealed
 * since); a seal here makes them so again.
 */
static void make_room(struct core_head *h, struct core_series *s, uint32_t id,
                      uint32_t key_len) {
  if (h->count == h->cap) {
    core_head_seal(h);
    core_series_marks_for(s, h->gen);
  }
  if (core_series_marked(s, id))
    return;
  if (h->key_bytes + key_len > CORE_HEAD_KEY_BYTES_MAX) {
    core_head_seal(h);
    core_series_marks_for(s, h->gen);
  }
  core_series_mark(s, id);
  h->key_bytes += key_len;
}

/* core_pipe_append of series id, inlined into the StatsD loop. */
static inline void append_point(struct core_pipe *p, uint32_t id,
                                uint32_t key_len, int64_t ts_ms, double v,
                                int64_t now_ms) {
  make_room(&p->head, &p->series, id, key_len);
  core_head_append(&p->head, id, ts_ms, v, now_ms);
}

void core_pipe_append(struct core_pipe *p, struct core_series_entry *e,
                      int64_t ts_ms, double v, int64_t now_ms) {
  core_series_marks_for(&p->series, p->head.gen);
  append_point(p, e->id, e->key_len, ts_ms, v, now_ms);
}

/*
 * A timer, histogram or distribution sample sent with @r (r < 1) stands for
 * 1/r samples. Its weight is kept in the series key as the extra tag
 * __weight__:<1/r> (docs/statsd.md), so the stored value stays the sample.
 * Returns r's bits when m gets that tag, else 0 (a rate is never 0).
 */
static uint64_t weight_bits(const struct core_statsd_msg *m) {
  uint64_t b;

  if (m->sample_rate >= 1.0 || m->type == CORE_STATSD_COUNTER ||
      m->type == CORE_STATSD_GAUGE || m->type == CORE_STATSD_SET)
    return 0;
  memcpy(&b, &m->sample_rate, sizeof(b));
  return b;
}

/*
 * Add the __weight__ tag to the windowed line i when it gets one.
 * Returns 0, or -1 when the line has no room for one more tag.
 */
static int add_weight_tag(struct core_pipe *p, struct core_statsd_msg *m,
                          uint32_t i) {
  char *w;
  int n;

  if (weight_bits(m) == 0)
    return 0;
  if (m->tag_count == CORE_STATSD_TAGS_MAX)
    return -1;
  /* Senders use one or two rates: format 1/r only when it changes, so the
   * data path calls snprintf once per rate, not once per line. 1/r is
   * finite: the parser takes no rate below CORE_STATSD_RATE_MIN. */
  if (m->sample_rate != p->weight_rate || p->weight_len == 0) {
    n = snprintf(p->weight, sizeof(p->weight), "%.6g", 1.0 / m->sample_rate);
    p->weight_rate = m->sample_rate;
    p->weight_len = (uint32_t)n;
  }
  /* "k:v" in one piece, as a parsed tag is: hashed and compared there */
  w = p->win_weight[i];
  _Static_assert(sizeof(p->win_weight[0]) >= 11 + sizeof(p->weight),
                 "room for __weight__: and the value");
  memcpy(w, "__weight__:", 11);
  memcpy(w + 11, p->weight, p->weight_len);
  m->tags[m->tag_count++] = (struct core_statsd_tag){
      .key = w, .key_len = 10, .val = w + 11, .val_len = p->weight_len};
  return 0;
}

/* What the window does with a pending line (core_pipe_pending.state). */
enum {
  PEND_PROBED = 0, /* the raw key cache has an entry of its hash */
  PEND_MISS,       /* none: its dictionary lookup is prepared */
  PEND_DROP,       /* rejected (counted) */
};

/*
 * Prepare the dictionary lookup of windowed line i, which the raw key
 * cache did not answer: tokenise its tags (left by the lazy parse), add
 * its weight tag, describe its series (core_series_line_init) and
 * prefetch its dictionary slot. Returns 0, or -1 when the line is
 * rejected (counted here): a bad tag (the reason the parser gives the
 * whole line), no room for the weight tag, or the key is too long.
 */
static inline __attribute__((always_inline)) int miss_key(struct core_pipe *p,
                                                           uint32_t i) {
  struct core_statsd_msg *m = &p->win[i];
  struct core_pipe_pending *q = &p->pend[i];
  enum core_statsd_err err =
      m->tags_lazy ? core_statsd_tags_resolve(m) : CORE_STATSD_OK;

  if (err != CORE_STATSD_OK) {
    core_pipe_statsd_reject(p, err);
    return -1;
  }
  if (add_weight_tag(p, m, i) < 0) {
    core_pipe_statsd_reject(p, CORE_STATSD_ERR_TOO_MANY_TAGS);
    return -1;
  }
  core_series_line_init(&q->line, m->name, m->name_len, m->tags,
                        m->tag_count);
  if (q->line.key_len > CORE_SERIES_KEY_BYTES_MAX) {
    core_pipe_statsd_reject(p, CORE_STATSD_ERR_SERIES_KEY_TOO_LONG);
    return -1;
  }
  core_series_prefetch(&p->series, q->line.hash, 0);
  return 0;
}

/* miss_key out of line: a probe that found a hash but not the bytes. */
static __attribute__((noinline)) int miss_key_rare(struct core_pipe *p,
                                                   uint32_t i) {
  return miss_key(p, i);
}

/*
 * The series id of windowed line i, prepared by miss_key, added when new,
 * and its key's length in *key_len; its raw key is then cached with the
 * line's type, so a hit is a series of that type. Returns
 * CORE_RAWKEY_NONE when the line is rejected (counted here):
 * --max-series reached, or the series has another type.
 */
static inline __attribute__((always_inline)) uint32_t
find_series(struct core_pipe *p, uint32_t i, uint32_t *key_len) {
  const struct core_statsd_msg *m = &p->win[i];
  const struct core_pipe_pending *q = &p->pend[i];
  struct core_series_entry *e;
  int rc = core_series_upsert_line(&p->series, m->name, m->name_len, m->tags,
                                   m->tag_count, &q->line, (uint8_t)m->type,
                                   p->key, &e);

  if (rc < 0) {
    core_stat_add(&p->stats->series_rejected, m->value_count);
    return CORE_RAWKEY_NONE;
  }
  if (rc == 1)
    core_stat_set(&p->stats->series_active, p->series.count);
  if (e->type != (uint8_t)m->type) {
    core_pipe_statsd_reject(p, CORE_STATSD_ERR_TYPE_MISMATCH);
    return CORE_RAWKEY_NONE;
  }
  _Static_assert(CORE_SERIES_KEY_BYTES_MAX <= UINT16_MAX,
                 "a key's length fits the raw key cache's aux");
  if (q->raw.hash != 0)
    core_rawkey_insert(&p->rawkey, &q->raw, e->id, (uint16_t)e->key_len);
  *key_len = e->key_len;
  return e->id;
}

/*
 * The series id of windowed line i and its key's length (*key_len): from
 * the raw key cache when its entry holds the line's raw key and type
 * byte for byte (a known series of that type: no tags tokenised, no
 * dictionary, no per-series line), else from the dictionary.
 * CORE_RAWKEY_NONE when the line is rejected (counted).
 */
static uint32_t window_series(struct core_pipe *p, uint32_t i,
                              uint32_t *key_len) {
  struct core_pipe_pending *q = &p->pend[i];
  uint32_t idx;

  if (q->state == PEND_DROP)
    return CORE_RAWKEY_NONE;
  if (q->state == PEND_PROBED) {
    idx = core_rawkey_confirm(&p->rawkey, q->raw_idx, &q->raw);
    if (idx != CORE_RAWKEY_NONE) {
      *key_len = p->rawkey.ents[idx].aux;
      return p->rawkey.ents[idx].id;
    }
    if (miss_key_rare(p, i) < 0)
      return CORE_RAWKEY_NONE;
  }
  return find_series(p, i, key_len);
}

/* gauge ? a : b, as a mask rather than a branch (pointers of any type). */
static inline const void *gauge_select(int gauge, const void *a,
                                       const void *b) {
  uintptr_t m = (uintptr_t)0 - (uintptr_t)(gauge != 0);

  return (const void *)(((uintptr_t)a & m) | ((uintptr_t)b & ~m));
}

/* Append the samples of metric m, whose series is id: any line (the
 * general case of ingest_line). */
static __attribute__((noinline)) void ingest_metric(
    struct core_pipe *p, const struct core_statsd_msg *m, uint32_t id,
    uint32_t key_len, int64_t now_ms) {
  struct core_series_hot *e = &p->series.hot[id];
  double vals[CORE_STATSD_VALUES_MAX], gauge;
  int64_t ts_ms;

  if (m->has_timestamp &&
      (m->timestamp_s < 0 || m->timestamp_s > INT64_MAX / 1000)) {
    core_pipe_statsd_reject(p, CORE_STATSD_ERR_BAD_TIMESTAMP);
    return;
  }
  if (point_values(m, e, vals, &gauge) < 0) {
    core_pipe_statsd_reject(p, CORE_STATSD_ERR_BAD_VALUE);
    return;
  }
  if (m->type == CORE_STATSD_GAUGE) {
    e->gauge = gauge;
    e->gauge_set = 1;
  }
  ts_ms = m->has_timestamp ? m->timestamp_s * 1000 : now_ms;
  for (uint32_t i = 0; i < m->value_count; i++)
    append_point(p, id, key_len, ts_ms, vals[i], now_ms);
  core_stat_add(&p->stats->points_statsd[m->type], m->value_count);
}

/*
 * Append the samples of metric m, whose series is id (key_len key bytes).
 * Nearly every line has one value and no |T: that case is
 * ingest_metric's without the values array and its loops (the same
 * value, checks and order). Only a gauge reads its series' hot fields.
 */
static inline void ingest_line(struct core_pipe *p,
                               const struct core_statsd_msg *m, uint32_t id,
                               uint32_t key_len, int64_t now_ms) {
  struct core_series_hot *e = &p->series.hot[id];
  double g = 0.0, v;

  if (m->value_count != 1 || m->has_timestamp) {
    ingest_metric(p, m, id, key_len, now_ms);
    return;
  }
  if (m->type == CORE_STATSD_GAUGE && e->gauge_set)
    g = e->gauge;
  v = point_value(m, 0, &g);
  if (!isfinite(v)) {
    core_pipe_statsd_reject(p, CORE_STATSD_ERR_BAD_VALUE);
    return;
  }
  if (m->type == CORE_STATSD_GAUGE) {
    e->gauge = g;
    e->gauge_set = 1;
  }
  append_point(p, id, key_len, now_ms, v, now_ms);
  core_stat_add(&p->stats->points_statsd[m->type], 1);
}

/*
 * Prefetch what a raw key cache hit of windowed line i will read beside
 * the entry: a gauge's hot fields (its last value); any other type's,
 * nothing (the entry's line again). A select, not a branch: the types
 * come mixed, and a branch on them here would be mispredicted.
 */
static inline void prefetch_hot(const struct core_pipe *p, uint32_t i,
                                uint32_t idx) {
  const struct core_rawkey_ent *ent = &p->rawkey.ents[idx];

  __builtin_prefetch(gauge_select(p->win[i].type == CORE_STATSD_GAUGE,
                                  &p->series.hot[ent->id], ent));
}

/*
 * Look up and ingest the windowed lines, in the order they came. The raw
 * key cache's sets were prefetched as the lines were parsed; a first pass
 * probes them (prefetching a candidate's bytes and, for a gauge, hot fields) and
 * prepares a dictionary lookup for each line they cannot answer, whose
 * slot, entry and key bytes two more passes prefetch, each pass issuing
 * the whole window's loads before the next pass needs them.
 */
static void window_flush(struct core_pipe *p, int64_t now_ms) {
  uint32_t n = p->win_n, raw_n = p->win_raw ? n : 0;

  for (uint32_t i = 0; i < raw_n; i++) {
    struct core_pipe_pending *q = &p->pend[i];
    if (q->raw.hash == 0)
      continue; /* prepared by consume */
    q->raw_idx = core_rawkey_probe(&p->rawkey, &q->raw, NULL, 0);
    q->state = PEND_PROBED;
    if (q->raw_idx != CORE_RAWKEY_NONE) {
      prefetch_hot(p, i, q->raw_idx);
    } else {
      p->rawkey.misses++;
      q->state = miss_key_rare(p, i) == 0 ? PEND_MISS : PEND_DROP;
    }
  }
  for (uint32_t i = 0; i < n; i++)
    if (p->pend[i].state == PEND_MISS)
      core_series_prefetch(&p->series, p->pend[i].line.hash, 1);
  for (uint32_t i = 0; i < n; i++)
    if (p->pend[i].state == PEND_MISS)
      core_series_prefetch(&p->series, p->pend[i].line.hash, 2);
  core_series_marks_for(&p->series, p->head.gen);
  for (uint32_t i = 0; i < n; i++) {
    uint32_t key_len = 0, id = window_series(p, i, &key_len);
    if (id != CORE_RAWKEY_NONE)
      ingest_line(p, &p->win[i], id, key_len, now_ms);
  }
  /* once a window, not once a line: read by /metrics */
  core_stat_set(&p->stats->head_points, p->head.count);
  core_stat_set(&p->stats->rawkey_hits, p->rawkey.hits);
  core_stat_set(&p->stats->rawkey_misses, p->rawkey.misses);
  p->win_n = 0;
  p->win_raw = 0;
}

/*
 * Count line i of the window (parsed into p->win[i], outcome err) or
 * prepare its lookup: a tagged line gets its raw key, whose cache set is
 * prefetched; an untagged one its dictionary lookup. Sets whether the
 * window holds raw keys (p->win_raw).
 */
static inline __attribute__((always_inline)) void
window_line(struct core_pipe *p, uint32_t i, enum core_statsd_err err) {
  struct core_statsd_msg *m = &p->win[i];
  struct core_pipe_pending *q = &p->pend[i];

  q->raw.hash = 0; /* not cached: prepared here or dropped */
  if (__builtin_expect(err == CORE_STATSD_OK && m->kind == CORE_STATSD_METRIC &&
                           m->tags_raw != NULL,
                       1)) {
    /* the tag field from its '#': no field and an empty one differ */
    core_rawkey_key_init(&q->raw, m->name, m->name_len, m->tags_raw - 1,
                         m->tags_raw_len + 1, weight_bits(m),
                         (uint8_t)m->type);
    core_rawkey_prefetch(&p->rawkey, q->raw.hash);
    p->win_raw = 1;
    return;
  }
  q->state = PEND_DROP;
  if (err != CORE_STATSD_OK) {
    core_pipe_statsd_reject(p, err);
  } else if (m->kind == CORE_STATSD_EVENT) {
    core_stat_add(&p->stats->statsd_events, 1);
  } else if (m->kind == CORE_STATSD_SERVICE_CHECK) {
    core_stat_add(&p->stats->statsd_service_checks, 1);
  } else if (miss_key(p, i) == 0) {
    /* no tags: the dictionary hashes and compares the name alone, for
     * less than the cache would cost; its lookup is prepared now */
    q->state = PEND_MISS;
  }
}

void core_pipe_syslog_frame(void *ctx, const struct core_syslog_frame *f) {
  struct core_pipe_frame_ctx *c = ctx;

  core_pipe_syslog(c->p, f->data, f->len, f->err, c->now_ms);
}

/* What core_statsd_parse_buf_batch's callback needs. */
struct buf_ctx {
  struct core_pipe *p;
  int64_t now_ms;
};

/* A batch of parsed lines (p->win[0, n)) is one lookup window. */
static void on_lines(void *ctx, const enum core_statsd_err *errs, uint32_t n) {
  struct buf_ctx *c = ctx;
  struct core_pipe *p = c->p;

  for (uint32_t i = 0; i < n; i++)
    window_line(p, i, errs[i]);
  p->win_n = n;
  window_flush(p, c->now_ms);
}

uint64_t core_pipe_statsd_buf(struct core_pipe *p, const char *buf,
                              size_t len, int64_t now_ms) {
  struct buf_ctx c = {p, now_ms};

  ASSERT(p->win_n == 0);
  /* The window's lines point into buf: each batch is ingested before the
   * parse goes on, all before buf goes. */
  return core_statsd_parse_buf_batch(buf, len, p->line_bytes_max, p->win,
                                     CORE_PIPE_WINDOW_LINES, on_lines, &c);
}

void core_pipe_statsd_chunk(void *ctx, const struct core_line_chunk *chunk) {
  struct core_pipe_frame_ctx *c = ctx;

  if (chunk->err == CORE_LINE_ERR_TOO_LONG)
    core_pipe_statsd_reject(c->p, CORE_STATSD_ERR_LINE_TOO_LONG);
  else
    core_pipe_statsd_buf(c->p, chunk->data, chunk->len, c->now_ms);
}
