/*
 * core/ingest/otlpmap.c - OTLP export requests into a shard's pipeline
 * (the rules, with examples, are in docs/otlp.md "Mapping").
 *
 * A metrics request is decoded once into staging (the series each point
 * feeds, found or to be made, and its values), committed only when the
 * whole body decoded: an undecodable body stores nothing and makes no
 * series. A logs request's records are written in place in the log head
 * (loghead.h: no staging copy), kept at commit and rolled back when the
 * body does not decode. A request that passes a staging bound (or fills
 * the whole log head), and the traces signal, are
 * decoded twice instead: once without a sink, then into the callbacks
 * below. A data point becomes one
 * series (gauge, sum) or several (histogram: NAME_bucket{le}, NAME_count,
 * ...), each with a canonical key built like a StatsD one: the name, then
 * the tags sorted. A point's series are all found (or made) before any of
 * its values is appended, so a refused point leaves no values behind.
 * Everything is written into the struct core_otlp_map mapped at init: the
 * data path allocates nothing.
 */
#include "core/ingest/otlpmap.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>

#include "core/base/assert.h"
#include "core/base/numfmt.h"
#include "core/base/stat.h"
#include "core/ingest/loghead.h"
#include "core/ingest/otlpmap_cache.h"
#include "core/ingest/spanmap.h"
#include "core/ingest/pipe.h"
#include "core/ingest/series.h"
#include "core/parse/otlp.h"
#include "core/parse/otlp_json.h"
#include "core/parse/otlp_render.h"
#include "storage/block_types.h"
#include "storage/encode_types.h"
#include "storage/logblock.h"

/* A reason as a non-zero int: 0 is success in the helpers below. */
#define REJ(r) ((int)(r) + 1)
/* Not a refusal: staging is full, the request is decoded twice. */
#define STAGE_FULL REJ(CORE_OTLP_REJ_COUNT)

typedef int (*decode_fn)(const void *buf, size_t len,
                         struct core_otlp_scratch *s,
                         struct core_otlp_jscratch *js,
                         const struct core_otlp_sink *sink, const char **why);

/* The protobuf decoders take no arena: zero-copy throughout. */
#define PROTO_DECODER(name, fn)                                                \
  static int name(const void *buf, size_t len, struct core_otlp_scratch *s,    \
                  struct core_otlp_jscratch *js,                               \
                  const struct core_otlp_sink *sink, const char **why) {       \
    (void)js;                                                                  \
    return fn(buf, len, s, sink, why);                                         \
  }
PROTO_DECODER(pb_metrics, core_otlp_metrics_decode)
PROTO_DECODER(pb_logs, core_otlp_logs_decode)
PROTO_DECODER(pb_traces, core_otlp_traces_decode)

/* The decoders by encoding and signal: one sink, identical items. */
static const decode_fn decoders[CORE_OTLP_ENCS][CORE_OTLP_SIGNALS] = {
    [CORE_OTLP_ENC_PROTO] = {pb_metrics, pb_logs, pb_traces},
    [CORE_OTLP_ENC_JSON] = {core_otlp_json_metrics_decode,
                            core_otlp_json_logs_decode,
                            core_otlp_json_traces_decode},
};

/* ---- names --------------------------------------------------------------- */

const char *core_otlp_reason_name(enum core_otlp_reject r) {
  static const char *const names[CORE_OTLP_REJ_COUNT] = {
      "max_series",   "type_mismatch", "no_value",
      "bad_bounds",   "bad_buckets",   "key_too_long",
      "bad_name",     "log_too_large", "unsupported"};

  return (unsigned)r < CORE_OTLP_REJ_COUNT ? names[r] : "unknown";
}

const char *core_otlp_pkind_name(enum core_otlp_pkind k) {
  static const char *const names[CORE_OTLP_PK_COUNT] = {
      "gauge", "sum", "histogram", "exponential_histogram", "summary"};

  return (unsigned)k < CORE_OTLP_PK_COUNT ? names[k] : "unknown";
}

/* ---- set-up -------------------------------------------------------------- */

static void *map_bytes(size_t n) {
  void *p = mmap(NULL, n, PROT_READ | PROT_WRITE,
                 MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
  return p == MAP_FAILED ? NULL : p;
}

/* A parsed --otlp-resource-labels: keys point into text. */
struct labels {
  int all;
  uint32_t n;
  struct core_otlp_str *keys; /* CORE_OTLP_RESOURCE_LABELS_MAX */
  char *text;                 /* CORE_OTLP_RESOURCE_LABELS_BYTES_MAX */
};

/* Split list into l's keys; "all" and "none" are words. 0 or -EINVAL. */
static int split_labels(struct labels *l, const char *list) {
  size_t n = strlen(list);
  char *t = l->text;

  l->all = 0;
  l->n = 0;
  if (n == 0 || n >= CORE_OTLP_RESOURCE_LABELS_BYTES_MAX)
    return -EINVAL;
  if (strcmp(list, "all") == 0 || strcmp(list, "none") == 0) {
    l->all = list[0] == 'a';
    return 0;
  }
  memcpy(t, list, n + 1);
  for (char *k = t, *c; k <= t + n; k = c + 1) {
    c = strchr(k, ',');
    if (c == NULL)
      c = t + n;
    if (c == k || l->n == CORE_OTLP_RESOURCE_LABELS_MAX)
      return -EINVAL;
    l->keys[l->n++] = (struct core_otlp_str){k, (uint32_t)(c - k)};
  }
  return 0;
}

static int parse_labels(struct core_otlp_map *m, const char *list) {
  struct labels l = {.keys = m->res_keys, .text = m->res_text};
  int rc = split_labels(&l, list);

  m->res_all = rc == 0 && l.all;
  m->res_n = rc == 0 ? l.n : 0;
  return rc;
}

int core_otlp_resource_labels_check(const char *list) {
  struct core_otlp_str keys[CORE_OTLP_RESOURCE_LABELS_MAX];
  char text[CORE_OTLP_RESOURCE_LABELS_BYTES_MAX];
  struct labels l = {.keys = keys, .text = text};

  return split_labels(&l, list);
}

int core_pipe_otlp_resource_labels(struct core_pipe *p, const char *list) {
  if (p->otlp != NULL) /* the cached ids were made under the old labels */
    core_otlp_sid_forget(&p->otlp->sid);
  if (p->otlp == NULL || parse_labels(p->otlp, list) < 0) {
    if (p->otlp != NULL)
      parse_labels(p->otlp, CORE_OTLP_RESOURCE_LABELS_DEFAULT);
    return -EINVAL;
  }
  return 0;
}

/* The map's own mappings: where each is kept (a pointer field, written
 * and read with memcpy: the fields have their own pointer types), and its
 * size. */
struct region {
  void *at;
  size_t bytes;
};

#define REGIONS 5

static void regions(struct core_otlp_map *m, struct region *r) {
  struct core_otlp_stage *st = &m->stage;
  const struct region all[REGIONS] = {
      {&m->jarena, CORE_OTLP_JSON_ARENA_BYTES(CORE_OTLP_BODY_BYTES_MAX)},
      {&st->pts, CORE_OTLP_ITEMS_MAX * sizeof(*st->pts)},
      {&st->ser, CORE_OTLP_STAGE_SERIES_MAX * sizeof(*st->ser)},
      {&st->keys, CORE_OTLP_STAGE_KEY_BYTES},
      {&st->logs, CORE_OTLP_ITEMS_MAX * sizeof(*st->logs)},
  };

  memcpy(r, all, sizeof(all));
}

int core_pipe_otlp_init(struct core_pipe *p) {
  struct core_otlp_map *m = map_bytes(sizeof(*m));
  struct region r[REGIONS];
  int ok = 1;

  if (m == NULL)
    return -ENOMEM;
  p->otlp = m;
  regions(m, r);
  for (uint32_t i = 0; i < REGIONS; i++) {
    void *q = map_bytes(r[i].bytes);
    memcpy(r[i].at, &q, sizeof(q));
    ok &= q != NULL;
  }
  if (!ok || core_otlp_sid_init(&m->sid) < 0) {
    core_pipe_otlp_free(p);
    return -ENOMEM;
  }
  core_otlp_json_scratch_init(&m->jscratch, m->jarena,
                              CORE_OTLP_JSON_ARENA_BYTES(
                                  CORE_OTLP_BODY_BYTES_MAX));
  return core_pipe_otlp_resource_labels(p, CORE_OTLP_RESOURCE_LABELS_DEFAULT);
}

void core_pipe_otlp_free(struct core_pipe *p) {
  struct region r[REGIONS];

  if (p->otlp == NULL)
    return;
  regions(p->otlp, r);
  for (uint32_t i = 0; i < REGIONS; i++) {
    void *q;
    memcpy(&q, r[i].at, sizeof(q));
    if (q != NULL)
      munmap(q, r[i].bytes);
  }
  core_otlp_sid_free(&p->otlp->sid);
  munmap(p->otlp, sizeof(*p->otlp));
  p->otlp = NULL;
}

/* ---- verdicts ------------------------------------------------------------ */

static void reject(struct core_pipe *p, enum core_otlp_reject why,
                   const struct core_otlp_str *item) {
  struct core_otlp_map *m = p->otlp;
  size_t n = item->len < sizeof(m->first_item) - 1 ? item->len
                                                   : sizeof(m->first_item) - 1;

  m->res->rejected++;
  core_stat_add(&p->stats->otlp_rejected[why], 1);
  if (m->first_why != CORE_OTLP_REJ_COUNT)
    return;
  m->first_why = why;
  if (n)
    memcpy(m->first_item, item->ptr, n);
  m->first_item[n] = '\0';
}

/* ---- tags ---------------------------------------------------------------- */

/* The room left in a value buffer of cap bytes, *used so far. */
struct vbuf {
  char *p;
  size_t used, cap;
};

/*
 * Tag t from attribute a: the key as sent (a ':' in it becomes '_', since
 * a key splits at its first ':'), the value as text (core_otlp_value_text)
 * in b when not a string. Returns 0 or REJ(reason).
 */
static int attr_tag(const struct core_otlp_attr *a, struct vbuf *b,
                    struct core_statsd_tag *t) {
  const struct core_otlp_str *k = &a->key;
  int colon = 0;
  size_t n;

  for (uint32_t i = 0; i < k->len; i++) { /* keys are short: no memchr */
    if (k->ptr[i] == '\0')
      return REJ(CORE_OTLP_REJ_BAD_NAME);
    colon |= k->ptr[i] == ':';
  }
  /* an empty string may come without a pointer: "" keeps a tag with a
   * value (a NULL value would make it bare) */
  t->key = k->len ? k->ptr : "";
  t->key_len = k->len;
  if (colon) {
    if (k->len > b->cap - b->used)
      return REJ(CORE_OTLP_REJ_KEY_TOO_LONG);
    char *d = b->p + b->used;
    for (uint32_t i = 0; i < k->len; i++)
      d[i] = k->ptr[i] == ':' ? '_' : k->ptr[i];
    t->key = d;
    b->used += k->len;
  }
  if (a->value.type == CORE_OTLP_V_STRING) {
    if (a->value.s.len && memchr(a->value.s.ptr, '\0', a->value.s.len))
      return REJ(CORE_OTLP_REJ_BAD_NAME);
    t->val = a->value.s.len ? a->value.s.ptr : "";
    t->val_len = a->value.s.len;
    return 0;
  }
  n = core_otlp_value_text(&a->value, b->p + b->used, b->cap - b->used);
  if (n > b->cap - b->used)
    return REJ(CORE_OTLP_REJ_KEY_TOO_LONG);
  t->val = b->p + b->used;
  t->val_len = (uint32_t)n;
  b->used += n;
  return 0;
}

static int wanted(const struct core_otlp_map *m, const struct core_otlp_str *k) {
  if (m->res_all)
    return 1;
  for (uint32_t i = 0; i < m->res_n; i++)
    if (m->res_keys[i].len == k->len &&
        memcmp(m->res_keys[i].ptr, k->ptr, k->len) == 0)
      return 1;
  return 0;
}

/*
 * The resource labels of origin o into m->rtags, rendered once per
 * resource: the points of one resource follow each other, and a resource
 * is told apart by where its first attribute sits in the request.
 * Returns 0 or REJ(reason) (then every point of the resource is refused).
 */
static int resource_tags(struct core_otlp_map *m,
                         const struct core_otlp_origin *o) {
  const struct core_otlp_attrs *ra = &o->resource;
  const void *first = ra->n ? (const void *)ra->v[0].key.ptr : NULL;
  struct vbuf b = {m->rvals, 0, sizeof(m->rvals)};
  int rc = 0;

  /* (an empty first key may have no pointer: no cache for it) */
  if (m->res_seen_n == ra->n && m->res_seen == first &&
      (first != NULL || ra->n == 0))
    return m->res_rc;
  m->rtag_n = 0;
  for (uint32_t i = 0; i < ra->n && rc == 0 && (m->res_all || m->res_n); i++)
    if (wanted(m, &ra->v[i].key))
      rc = attr_tag(&ra->v[i], &b, &m->rtags[m->rtag_n++]);
  m->res_seen = first;
  m->res_seen_n = ra->n;
  m->res_rc = rc;
  m->rgen = rc == 0 ? core_otlp_sid_rset(&m->sid, m->rtags, m->rtag_n) : 0;
  return rc;
}

/*
 * The tags of point pt into m->tags: its attributes, then the resource
 * labels whose key no attribute has (the point's attribute wins).
 * Returns the count, or -REJ(reason).
 */
static int point_tags(struct core_otlp_map *m,
                      const struct core_otlp_point *pt) {
  struct vbuf b = {m->pvals, 0, sizeof(m->pvals)};
  uint32_t n = 0;
  int rc = resource_tags(m, pt->origin);

  for (uint32_t i = 0; i < pt->attrs.n && rc == 0; i++)
    rc = attr_tag(&pt->attrs.v[i], &b, &m->tags[n++]);
  if (rc != 0)
    return -rc;
  for (uint32_t i = 0; i < m->rtag_n; i++) {
    const struct core_statsd_tag *r = &m->rtags[i];
    uint32_t j = 0;
    while (j < pt->attrs.n && !(m->tags[j].key_len == r->key_len &&
                                memcmp(m->tags[j].key, r->key,
                                       r->key_len) == 0))
      j++;
    if (j == pt->attrs.n)
      m->tags[n++] = *r;
  }
  return (int)n;
}

/* ---- series -------------------------------------------------------------- */

/* One point's series being gathered. */
struct pt_series {
  const struct core_otlp_point *pt;
  uint32_t ntags;  /* base tags in m->tags */
  uint8_t type;    /* enum stor_series_type */
  uint32_t count;  /* series found so far (m->ids, m->vals; staged:
                      stage.ser[first, first + count)) */
  uint32_t first;
  int64_t ts_ms;
  uint8_t held;    /* its cache key held for the commit */
};

/*
 * Find or make the series of key (hash h) with type t: its id in *id.
 * Returns 0 or REJ(reason) (counted as core_series_upsert's callers do).
 */
static int upsert(struct core_pipe *p, const char *key, size_t klen,
                  uint64_t h, uint8_t t, uint32_t *id) {
  struct core_series_entry *e;
  int rc = core_series_upsert(&p->series, key, klen, h, t, &e);

  if (rc < 0) {
    core_stat_add(&p->stats->series_rejected, 1);
    return REJ(CORE_OTLP_REJ_MAX_SERIES);
  }
  if (rc == 1)
    core_stat_set(&p->stats->series_active, p->series.count);
  if (e->type != t)
    return REJ(CORE_OTLP_REJ_TYPE_MISMATCH);
  *id = e->id;
  return 0;
}

/*
 * Find the series of key without making it: core_series_upsert on a
 * dictionary held at its count refuses a new key (-ENOSPC) and changes
 * nothing. Returns 0 with *e set, or -ENOSPC (new).
 */
static int series_find(struct core_series *s, const char *key, size_t klen,
                       uint64_t h, uint8_t t, struct core_series_entry **e) {
  uint32_t max = s->max;
  int rc;

  s->max = s->count;
  rc = core_series_upsert(s, key, klen, h, t, e);
  s->max = max;
  return rc;
}

/* Record series id receiving v for the point: 0, or STAGE_FULL. */
static int put_id(struct core_pipe *p, struct pt_series *ps, uint32_t id,
                  double v) {
  struct core_otlp_map *m = p->otlp;
  struct core_otlp_stage *st = &m->stage;

  if (m->direct) {
    ASSERT(ps->count < CORE_OTLP_POINT_SERIES_MAX);
    m->ids[ps->count] = id;
    m->vals[ps->count++] = v;
    return 0;
  }
  if (st->nser == CORE_OTLP_STAGE_SERIES_MAX)
    return STAGE_FULL;
  st->ser[st->nser++] = (struct core_otlp_stage_series){.v = v, .id = id};
  ps->count++;
  return 0;
}

/* Stage the series of m->key (klen bytes, hash h): its id when known,
 * else the key, made at the commit. 0, REJ(reason) or STAGE_FULL. */
static int stage_series(struct core_pipe *p, struct pt_series *ps,
                        size_t klen, uint64_t h, double v) {
  struct core_otlp_map *m = p->otlp;
  struct core_otlp_stage *st = &m->stage;
  struct core_series_entry *e;

  if (series_find(&p->series, m->key, klen, h, ps->type, &e) == 0)
    return e->type == ps->type ? put_id(p, ps, e->id, v)
                               : REJ(CORE_OTLP_REJ_TYPE_MISMATCH);
  if (st->nser == CORE_OTLP_STAGE_SERIES_MAX ||
      klen > CORE_OTLP_STAGE_KEY_BYTES - st->key_used)
    return STAGE_FULL;
  memcpy(st->keys + st->key_used, m->key, klen);
  st->ser[st->nser++] = (struct core_otlp_stage_series){
      .v = v, .key_off = st->key_used, .key_len = (uint32_t)klen};
  st->key_used += (uint32_t)klen;
  ps->count++;
  return 0;
}

/*
 * Find or make the series NAME+suffix with the base tags and `extra` more
 * (already at m->tags[ntags...]), to receive value v; staged, a new
 * series is only recorded (stage_series).
 * Returns 0, REJ(reason) or STAGE_FULL.
 */
static int add_series(struct core_pipe *p, struct pt_series *ps,
                      const char *suffix, uint32_t extra, double v) {
  struct core_otlp_map *m = p->otlp;
  size_t nlen = ps->pt->name.len, slen = strlen(suffix), klen;
  const uint16_t *order = m->border;
  uint64_t h;
  uint32_t id;
  int rc;

  if (slen > sizeof(m->name) - nlen)
    return REJ(CORE_OTLP_REJ_KEY_TOO_LONG);
  memcpy(m->name + nlen, suffix, slen);
  if (extra) { /* the base order, then the extra tags put in place */
    memcpy(m->order, m->border, ps->ntags * sizeof(*m->order));
    for (uint32_t i = 0; i < extra; i++)
      m->order[ps->ntags + i] = (uint16_t)(ps->ntags + i);
    core_series_tags_sort(m->tags, ps->ntags + extra, m->order, ps->ntags);
    order = m->order;
  }
  klen = core_series_key_ordered(m->name, nlen + slen, m->tags, order,
                                 ps->ntags + extra, m->key, sizeof(m->key));
  if (klen == 0)
    return REJ(CORE_OTLP_REJ_KEY_TOO_LONG);
  h = core_series_hash(m->key, klen);
  if (!m->direct)
    return stage_series(p, ps, klen, h, v);
  if ((rc = upsert(p, m->key, klen, h, ps->type, &id)) != 0)
    return rc;
  return put_id(p, ps, id, v);
}

/* Set the extra tag i (after the base tags) to key = val. */
static void set_extra(struct core_otlp_map *m, const struct pt_series *ps,
                      uint32_t i, const char *key, const char *val,
                      size_t val_len) {
  m->tags[ps->ntags + i] = (struct core_statsd_tag){
      .key = key, .key_len = (uint32_t)strlen(key), .val = val,
      .val_len = (uint32_t)val_len};
}

/* The series type of a point (enum stor_series_type), or -1. */
static int series_type(const struct core_otlp_point *pt) {
  int delta = pt->temporality == 1; /* 0 (unspecified): cumulative */

  switch (pt->kind) {
  case CORE_OTLP_GAUGE:
    return STOR_SERIES_OTLP_GAUGE;
  case CORE_OTLP_SUM:
    if (pt->monotonic)
      return delta ? STOR_SERIES_OTLP_SUM_DELTA : STOR_SERIES_OTLP_SUM_CUMULATIVE;
    return delta ? STOR_SERIES_OTLP_UPDOWN_DELTA
                 : STOR_SERIES_OTLP_UPDOWN_CUMULATIVE;
  case CORE_OTLP_HISTOGRAM:
    return delta ? STOR_SERIES_OTLP_HIST_DELTA : STOR_SERIES_OTLP_HIST_CUMULATIVE;
  case CORE_OTLP_EXP_HISTOGRAM:
    return delta ? STOR_SERIES_OTLP_EXPHIST_DELTA
                 : STOR_SERIES_OTLP_EXPHIST_CUMULATIVE;
  case CORE_OTLP_SUMMARY:
    return STOR_SERIES_OTLP_SUMMARY;
  default:
    return -1;
  }
}

/* _sum, _min, _max as the point has them. Returns 0 or REJ(reason). */
static int add_stats(struct core_pipe *p, struct pt_series *ps) {
  const struct core_otlp_point *pt = ps->pt;
  int rc = add_series(p, ps, "_count", 0, (double)pt->count);

  if (rc == 0 && (pt->has & CORE_OTLP_HAS_SUM))
    rc = add_series(p, ps, "_sum", 0, pt->sum);
  if (rc == 0 && (pt->has & CORE_OTLP_HAS_MIN))
    rc = add_series(p, ps, "_min", 0, pt->min);
  if (rc == 0 && (pt->has & CORE_OTLP_HAS_MAX))
    rc = add_series(p, ps, "_max", 0, pt->max);
  return rc;
}

/* The le texts of bounds b[0, n), kept while the next point's bounds are
 * the same bits (the usual case: one metric, many points). */
static void le_texts(struct core_otlp_map *m, const double *b, uint32_t n) {
  uint32_t off = 0;

  if (n == 0 || (n == m->le_n && memcmp(b, m->le_bounds, n * sizeof(*b)) == 0))
    return; /* (no bounds: only le="+Inf", and b may be NULL) */
  for (uint32_t i = 0; i < n; i++) {
    m->le_off[i] = off;
    off += (uint32_t)core_fmt_double(b[i], m->le_text + off);
  }
  m->le_off[n] = off;
  memcpy(m->le_bounds, b, n * sizeof(*b));
  m->le_n = n;
}

static int check_bounds(const struct core_otlp_point *pt) {
  for (uint32_t i = 0; i < pt->bounds_n; i++)
    if (!isfinite(pt->bounds[i]) ||
        (i > 0 && !(pt->bounds[i] > pt->bounds[i - 1])))
      return REJ(CORE_OTLP_REJ_BAD_BOUNDS);
  if (pt->bucket_n != 0 && pt->bucket_n != pt->bounds_n + 1)
    return REJ(CORE_OTLP_REJ_BAD_BUCKETS);
  return 0;
}

/* NAME_bucket{le} (cumulative counts, "+Inf" last), then the stats. */
static int map_histogram(struct core_pipe *p, struct pt_series *ps) {
  struct core_otlp_map *m = p->otlp;
  const struct core_otlp_point *pt = ps->pt;
  uint64_t cum = 0;
  int rc = check_bounds(pt);

  if (rc != 0)
    return rc;
  le_texts(m, pt->bounds, pt->bounds_n);
  for (uint32_t i = 0; i < pt->bucket_n && rc == 0; i++) {
    if (pt->bucket_counts[i] > UINT64_MAX - cum)
      return REJ(CORE_OTLP_REJ_BAD_BUCKETS);
    cum += pt->bucket_counts[i];
    if (i < pt->bounds_n)
      set_extra(m, ps, 0, "le", m->le_text + m->le_off[i],
                m->le_off[i + 1] - m->le_off[i]);
    else
      set_extra(m, ps, 0, "le", "+Inf", 4);
    rc = add_series(p, ps, "_bucket", 1, (double)cum);
  }
  return rc ? rc : add_stats(p, ps);
}

/* The populated buckets of one side: NAME<suffix>{otel_scale,otel_index}. */
static int exp_side(struct core_pipe *p, struct pt_series *ps,
                    const struct core_otlp_ebuckets *b, const char *suffix) {
  struct core_otlp_map *m = p->otlp;
  char *scale = m->extra, *index = m->extra + CORE_FMT_NUM_BYTES;
  int sn = core_fmt_i64(ps->pt->scale, scale), rc = 0;

  _Static_assert(sizeof(m->extra) >= 2 * CORE_FMT_NUM_BYTES, "two numbers");
  for (uint32_t i = 0; i < b->n && rc == 0; i++) {
    if (b->counts[i] == 0)
      continue;
    int in = core_fmt_i64((int64_t)b->offset + i, index);
    set_extra(m, ps, 0, "otel_index", index, (size_t)in);
    set_extra(m, ps, 1, "otel_scale", scale, (size_t)sn);
    rc = add_series(p, ps, suffix, 2, (double)b->counts[i]);
  }
  return rc;
}

static int map_exp_histogram(struct core_pipe *p, struct pt_series *ps) {
  int rc = exp_side(p, ps, &ps->pt->positive, "_bucket");

  if (rc == 0)
    rc = exp_side(p, ps, &ps->pt->negative, "_negative_bucket");
  if (rc == 0)
    rc = add_series(p, ps, "_zero_count", 0, (double)ps->pt->zero_count);
  return rc ? rc : add_stats(p, ps);
}

/* NAME{quantile}, NAME_count, NAME_sum. */
static int map_summary(struct core_pipe *p, struct pt_series *ps) {
  struct core_otlp_map *m = p->otlp;
  const struct core_otlp_point *pt = ps->pt;
  int rc = 0;

  for (uint32_t i = 0; i < pt->quantile_n; i++)
    if (!isfinite(pt->quantiles[i]))
      return REJ(CORE_OTLP_REJ_BAD_BOUNDS);
  for (uint32_t i = 0; i < pt->quantile_n && rc == 0; i++) {
    int n = core_fmt_double(pt->quantiles[i], m->extra);
    set_extra(m, ps, 0, "quantile", m->extra, (size_t)n);
    rc = add_series(p, ps, "", 1, pt->quantile_values[i]);
  }
  if (rc == 0)
    rc = add_series(p, ps, "_count", 0, (double)pt->count);
  if (rc == 0)
    rc = add_series(p, ps, "_sum", 0, pt->sum);
  return rc;
}

/* Prometheus' staleness marker: a NaN with this payload. */
#define STALE_NAN_BITS UINT64_C(0x7ff0000000000002)

/* A gauge or sum point's value in *v. Returns 0 or REJ(reason). */
static int number_value(const struct core_otlp_point *pt, double *v) {
  if (pt->flags & 1u) { /* FLAG_NO_RECORDED_VALUE: the series went stale */
    uint64_t bits = STALE_NAN_BITS;
    memcpy(v, &bits, sizeof(*v));
    return 0;
  }
  if (pt->num == CORE_OTLP_NUM_DOUBLE)
    *v = pt->as_double;
  else if (pt->num == CORE_OTLP_NUM_INT)
    *v = (double)pt->as_int;
  else
    return REJ(CORE_OTLP_REJ_NO_VALUE);
  return 0;
}

static int map_number(struct core_pipe *p, struct pt_series *ps) {
  double v;
  int rc = number_value(ps->pt, &v);

  return rc ? rc : add_series(p, ps, "", 0, v);
}

/*
 * A gauge or sum point whose identity is in the series id cache: its id
 * recorded with its value (1), or 0 (k made ready for the insert after
 * the slow way; k->rgen 0: not to be cached), or STAGE_FULL.
 */
static int cached(struct core_pipe *p, struct pt_series *ps,
                  struct core_otlp_sid_key *k) {
  struct core_otlp_map *m = p->otlp;
  const struct core_otlp_point *pt = ps->pt;
  uint32_t id;
  double v;

  k->rgen = 0;
  if (pt->attrs_skipped) { /* on_attrs_known found it */
    ASSERT(pt->attrs_raw.ptr == m->known_raw);
    if (number_value(pt, &v) != 0)
      return REJ(CORE_OTLP_REJ_NO_VALUE); /* (name and tags are good) */
    return put_id(p, ps, m->known_id, v) ? STAGE_FULL : 1;
  }
  if ((pt->kind != CORE_OTLP_GAUGE && pt->kind != CORE_OTLP_SUM) ||
      pt->name.len == 0 || pt->name.len >= sizeof(m->name) ||
      (pt->attrs.n && pt->attrs_raw.ptr == NULL) || number_value(pt, &v) ||
      resource_tags(m, pt->origin) != 0)
    return 0; /* the slow way says why, or maps it */
  *k = (struct core_otlp_sid_key){.name = pt->name, .rgen = m->rgen,
                                  .type = ps->type};
  if (pt->attrs.n)
    k->attrs = pt->attrs_raw;
  if ((id = core_otlp_sid_lookup(&m->sid, k)) == UINT32_MAX)
    return 0;
  return put_id(p, ps, id, v) ? STAGE_FULL : 1;
}

/*
 * The decoder's attrs_known: a gauge or sum point of metric mt whose
 * attribute bytes raw are in the cache (so they decoded, and mapped,
 * before) needs them no more; its series is kept for cached().
 */
static int on_attrs_known(void *ctx, const struct core_otlp_point *mt,
                          struct core_otlp_str raw) {
  struct core_pipe *p = ctx;
  struct core_otlp_map *m = p->otlp;
  struct core_otlp_sid_key k;
  int type = series_type(mt);

  if ((mt->kind != CORE_OTLP_GAUGE && mt->kind != CORE_OTLP_SUM) ||
      type < 0 || mt->name.len == 0 || mt->name.len >= sizeof(m->name) ||
      resource_tags(m, mt->origin) != 0)
    return 0;
  if (mt->name.ptr != m->nh_ptr) { /* points of a metric share its name */
    m->nh = core_series_hash_bytes(mt->name.ptr, mt->name.len);
    m->nh_ptr = mt->name.ptr;
  }
  k = (struct core_otlp_sid_key){.name = mt->name, .attrs = raw,
                                 .rgen = m->rgen, .type = (uint8_t)type,
                                 .name_hash = m->nh};
  if ((m->known_id = core_otlp_sid_lookup(&m->sid, &k)) == UINT32_MAX)
    return 0;
  m->known_raw = raw.ptr;
  return 1;
}

/* After the slow way: cache the id of a gauge or sum point, now or (a
 * series new to the dictionary) at the commit. */
static void cache_id(struct core_pipe *p, struct pt_series *ps,
                     const struct core_otlp_sid_key *k) {
  struct core_otlp_map *m = p->otlp;
  const struct core_otlp_stage_series *s = &m->stage.ser[ps->first];

  if (k->rgen == 0 || ps->count != 1)
    return;
  if (m->direct)
    core_otlp_sid_insert(&m->sid, k, m->ids[0]);
  else if (s->key_len == 0)
    core_otlp_sid_insert(&m->sid, k, s->id);
  else
    ps->held = (uint8_t)core_otlp_sid_hold(&m->sid, k);
}

/* Append the point's values (staged: at the commit). Returns 0. */
static int append(struct core_pipe *p, const struct pt_series *ps) {
  struct core_otlp_map *m = p->otlp;

  for (uint32_t i = 0; i < ps->count && m->direct; i++)
    core_pipe_append(p, &p->series.entries[m->ids[i]], ps->ts_ms, m->vals[i],
                     m->now_ms);
  return 0;
}

/*
 * Map one point into its series (ps: pt and first set) and append its
 * values, or stage them. Returns 0, REJ(reason) or STAGE_FULL.
 */
static int map_point(struct core_pipe *p, struct pt_series *ps) {
  struct core_otlp_map *m = p->otlp;
  const struct core_otlp_point *pt = ps->pt;
  struct core_otlp_sid_key k;
  int type = series_type(pt), n, rc;

  if (type < 0)
    return REJ(CORE_OTLP_REJ_NO_VALUE);
  /* ns to ms, truncated; 0 (not sent) is the receive time */
  ps->ts_ms = pt->time_ns ? (int64_t)(pt->time_ns / 1000000u) : m->now_ms;
  ps->type = (uint8_t)type;
  if ((rc = cached(p, ps, &k)) != 0)
    return rc == 1 ? append(p, ps) : rc;
  if (pt->name.len == 0 || memchr(pt->name.ptr, '\0', pt->name.len) ||
      pt->name.len >= sizeof(m->name))
    return REJ(pt->name.len >= sizeof(m->name) ? CORE_OTLP_REJ_KEY_TOO_LONG
                                               : CORE_OTLP_REJ_BAD_NAME);
  if ((n = point_tags(m, pt)) < 0)
    return -n;
  memcpy(m->name, pt->name.ptr, pt->name.len);
  /* points of a metric usually share their attribute keys: the last
   * point's order is checked in n - 1 compares before sorting again */
  if ((uint32_t)n != m->border_n ||
      !core_series_tags_in_order(m->tags, (uint32_t)n, m->border)) {
    for (int i = 0; i < n; i++)
      m->border[i] = (uint16_t)i;
    core_series_tags_sort(m->tags, (uint32_t)n, m->border, 0);
    m->border_n = (uint32_t)n;
  }
  ps->ntags = (uint32_t)n;
  if (pt->kind == CORE_OTLP_HISTOGRAM)
    rc = map_histogram(p, ps);
  else if (pt->kind == CORE_OTLP_EXP_HISTOGRAM)
    rc = map_exp_histogram(p, ps);
  else if (pt->kind == CORE_OTLP_SUMMARY)
    rc = map_summary(p, ps);
  else
    rc = map_number(p, ps);
  if (rc != 0)
    return rc;
  cache_id(p, ps, &k);
  return append(p, ps);
}

static enum core_otlp_pkind pkind(enum core_otlp_kind k) {
  switch (k) {
  case CORE_OTLP_SUM:
    return CORE_OTLP_PK_SUM;
  case CORE_OTLP_HISTOGRAM:
    return CORE_OTLP_PK_HISTOGRAM;
  case CORE_OTLP_EXP_HISTOGRAM:
    return CORE_OTLP_PK_EXP_HISTOGRAM;
  case CORE_OTLP_SUMMARY:
    return CORE_OTLP_PK_SUMMARY;
  default:
    return CORE_OTLP_PK_GAUGE;
  }
}

/* A point mapped and stored (direct), or staged with its verdict. */
static int on_point(void *ctx, const struct core_otlp_point *pt) {
  struct core_pipe *p = ctx;
  struct core_otlp_stage *st = &p->otlp->stage;
  struct pt_series ps = {.pt = pt, .first = st->nser};
  int rc;

  if (st->full && !p->otlp->direct)
    return 0; /* the second decode maps it */
  rc = map_point(p, &ps);
  if (rc == STAGE_FULL) {
    st->full = 1;
    return 0;
  }
  if (!p->otlp->direct) {
    ASSERT(st->npts < CORE_OTLP_ITEMS_MAX && ps.count <= UINT16_MAX);
    st->pts[st->npts++] = (struct core_otlp_stage_point){
        .ts_ms = ps.ts_ms, .name = pt->name.ptr, .name_len = pt->name.len,
        .first = ps.first, .n = (uint16_t)ps.count, .type = ps.type,
        .pkind = (uint8_t)pkind(pt->kind), .rej = (uint8_t)rc,
        .held = ps.held};
    return 0;
  }
  if (rc != 0) {
    reject(p, (enum core_otlp_reject)(rc - 1), &pt->name);
    return 0;
  }
  p->otlp->res->accepted++;
  core_stat_add(&p->stats->points_otlp[pkind(pt->kind)], 1);
  return 0;
}

/*
 * Commit one staged point as on_point would have stored it: its series
 * made in order (the first refused stops it, those before stay made, as
 * when stored directly), then its refusal or its values.
 */
static void commit_point(struct core_pipe *p,
                         const struct core_otlp_stage_point *sp) {
  struct core_otlp_map *m = p->otlp;
  struct core_otlp_stage_series *ser = m->stage.ser + sp->first;
  int rc = 0;

  for (uint32_t i = 0; i < sp->n && rc == 0; i++)
    if (ser[i].key_len != 0) {
      const char *key = m->stage.keys + ser[i].key_off;
      rc = upsert(p, key, ser[i].key_len,
                  core_series_hash(key, ser[i].key_len), sp->type,
                  &ser[i].id);
      ser[i].key_len = 0;
    }
  if (sp->held) /* (one series: held by cache_id) */
    core_otlp_sid_settle(&m->sid, rc == 0 ? ser[0].id : UINT32_MAX);
  if (rc == 0)
    rc = sp->rej;
  if (rc != 0) {
    reject(p, (enum core_otlp_reject)(rc - 1),
           &(struct core_otlp_str){sp->name, sp->name_len});
    return;
  }
  for (uint32_t i = 0; i < sp->n; i++)
    core_pipe_append(p, &p->series.entries[ser[i].id], sp->ts_ms, ser[i].v,
                     m->now_ms);
  m->res->accepted++;
  core_stat_add(&p->stats->points_otlp[sp->pkind], 1);
}


/* ---- logs ---------------------------------------------------------------- */

/* Severity of syslog (RFC 5424: 2 crit .. 7 debug) for an OTLP severity
 * number: TRACE and DEBUG 1-8 debug, INFO 9-12 info, WARN 13-16 warning,
 * ERROR 17-20 err, FATAL 21-24 crit; 0 (unspecified) and others notice. */
static uint8_t syslog_severity(uint32_t n) {
  static const uint8_t by_range[6] = {7, 7, 6, 4, 3, 2};

  return n >= 1 && n <= 24 ? by_range[(n - 1) / 4] : 5;
}

/*
 * One record written in place in the log head (loghead.h): its strings at
 * the arena's end (cap bytes of room), its attributes at the head's
 * attribute end. Literal names (sd ids, otel.* field names) are not
 * copied and a resource's strings are written once a request (m->lres);
 * size counts them, so the CORE_OTLP_LOG_BYTES_MAX bound (lim) holds the
 * record's bytes as if all were copied.
 */
struct lw {
  struct core_otlp_map *m;
  char *buf;
  size_t used;    /* bytes written at buf */
  size_t wleft;   /* bytes that may still be written (arena and bound) */
  size_t lleft;   /* bytes the record may still count (the bound) */
  int over;
  struct core_syslog_attr *attrs;
  uint32_t nattrs;
  const struct core_syslog_attr *prev; /* the last record's attributes */
  uint32_t nprev;                      /* (m->lkeys), 0: none */
  struct stor_log_otel *otel;          /* the record's binary fields */
  uint32_t nbin;                       /* attributes they will be served as */
  uint32_t nk; /* attributes whose name is known equal to the last
                  record's at their position (the keys_prev hint) */
};

static const struct core_syslog_str sd_otel = {"otel", 4},
                                    sd_attr = {"attr", 4},
                                    sd_res = {"resource", 8};

/* n bytes from s to d: short strings, most keys and values, without a
 * call (two loads and stores each, overlapping, never past n). */
static inline void copy_bytes(char *d, const char *s, size_t n) {
  uint64_t x, y;
  uint32_t x4, y4;

  if (n >= 8 && n <= 16) {
    memcpy(&x, s, 8);
    memcpy(&y, s + n - 8, 8);
    memcpy(d, &x, 8);
    memcpy(d + n - 8, &y, 8);
  } else if (n >= 4 && n < 8) {
    memcpy(&x4, s, 4);
    memcpy(&y4, s + n - 4, 4);
    memcpy(d, &x4, 4);
    memcpy(d + n - 4, &y4, 4);
  } else if (n < 4 && n > 0) {
    char a = s[0], b = s[n / 2], c = s[n - 1];
    d[0] = a;
    d[n / 2] = b;
    d[n - 1] = c;
  } else if (n > 0) {
    memcpy(d, s, n);
  }
}

static struct core_syslog_str lw_put(struct lw *w, const char *s, size_t n) {
  char *d = w->buf + w->used;

  if (n == 0 || w->over)
    return (struct core_syslog_str){NULL, 0};
  if (n > w->wleft) {
    w->over = 1;
    return (struct core_syslog_str){NULL, 0};
  }
  copy_bytes(d, s, n);
  w->used += n;
  w->wleft -= n;
  w->lleft -= n;
  return (struct core_syslog_str){d, (uint32_t)n};
}

/* A string kept elsewhere (a literal, or the request's resource bytes). */
static struct core_syslog_str lw_ref(struct lw *w, struct core_syslog_str s) {
  if (w->over || s.len > w->lleft) {
    w->over = 1;
    return (struct core_syslog_str){NULL, 0};
  }
  w->lleft -= s.len;
  if (w->wleft > w->lleft)
    w->wleft = w->lleft;
  return s;
}

/* n bytes written at the writer's end by a renderer (n <= wleft). */
static struct core_syslog_str lw_wrote(struct lw *w, size_t n) {
  char *d = w->buf + w->used;

  w->used += n;
  w->wleft -= n;
  w->lleft -= n;
  return (struct core_syslog_str){n ? d : NULL, (uint32_t)n};
}

/* v as text (or JSON when json) at the writer's end. */
static struct core_syslog_str lw_value(struct lw *w,
                                       const struct core_otlp_value *v,
                                       int json) {
  char *d = w->buf + w->used;
  size_t n;

  if (!json && v->type == CORE_OTLP_V_STRING) /* most values: as sent */
    return lw_put(w, v->s.ptr, v->s.len);
  if (w->over)
    return (struct core_syslog_str){NULL, 0};
  n = json ? core_otlp_value_json(v, d, w->wleft)
           : core_otlp_value_text(v, d, w->wleft);
  if (n > w->wleft) {
    w->over = 1;
    return (struct core_syslog_str){NULL, 0};
  }
  return lw_wrote(w, n);
}

static void lw_attr(struct lw *w, struct core_syslog_str sdid,
                    struct core_syslog_str name,
                    struct core_syslog_str value) {
  ASSERT(w->nattrs < CORE_SYSLOG_SD_ATTRS_MAX);
  w->attrs[w->nattrs++] =
      (struct core_syslog_attr){.sdid = sdid, .name = name, .value = value};
}

/* n bytes at a and b equal (n >= 1). Short strings, the common case,
 * without a call: two loads each, overlapping, never past n. */
static inline int same_bytes(const char *a, const char *b, size_t n) {
  uint64_t x, y, u, v;
  uint32_t x4, y4, u4, v4;

  if (n >= 8 && n <= 16) {
    memcpy(&x, a, 8);
    memcpy(&y, b, 8);
    memcpy(&u, a + n - 8, 8);
    memcpy(&v, b + n - 8, 8);
    return ((x ^ y) | (u ^ v)) == 0;
  }
  if (n >= 4 && n < 8) {
    memcpy(&x4, a, 4);
    memcpy(&y4, b, 4);
    memcpy(&u4, a + n - 4, 4);
    memcpy(&v4, b + n - 4, 4);
    return ((x4 ^ y4) | (u4 ^ v4)) == 0;
  }
  if (n < 4)
    return a[0] == b[0] && a[n / 2] == b[n / 2] && a[n - 1] == b[n - 1];
  return memcmp(a, b, n) == 0;
}

/* The last record's attribute at the position being written, or NULL. */
static const struct core_syslog_attr *lw_prev(const struct lw *w) {
  return w->nattrs < w->nprev ? &w->prev[w->nattrs] : NULL;
}

/* Value v (n bytes) of the attribute named name (as stored): a reference
 * to the last record's value at this position when both name (by
 * address) and bytes are equal, else copied. */
static struct core_syslog_str lw_same(struct lw *w, struct core_syslog_str name,
                                      const char *v, size_t n) {
  const struct core_syslog_attr *p = lw_prev(w);

  if (p != NULL && n != 0 && p->name.ptr == name.ptr &&
      p->name.len == name.len && p->value.len == n &&
      same_bytes(p->value.ptr, v, n))
    return lw_ref(w, p->value);
  return lw_put(w, v, n);
}

/* (inline: the names are literals, their strlen folds) */
static inline __attribute__((always_inline)) void
lw_field(struct lw *w, const char *name, const char *v, size_t n) {
  const struct core_syslog_attr *p = lw_prev(w);
  struct core_syslog_str k = {name, (uint32_t)strlen(name)};
  int kref = p != NULL && p->name.ptr == name && p->name.len == k.len;

  w->nk += (uint32_t)kref;
  if (kref && n != 0 && p->value.len == n && same_bytes(p->value.ptr, v, n)) {
    /* name and value referenced (as lw_ref, lw_same): counted at once */
    lw_ref(w, (struct core_syslog_str){NULL, (uint32_t)(k.len + n)});
    lw_attr(w, sd_otel, k, p->value);
    return;
  }
  k = lw_ref(w, k);
  lw_attr(w, sd_otel, k, lw_same(w, k, v, n));
}

/* otel.severity_number n: the last record's text when its number was n
 * (no formatting: most batches repeat one severity). */
static const char k_sevnum[] = "severity_number";
static void lw_sevnum(struct lw *w, uint32_t n) {
  const struct core_syslog_attr *p = lw_prev(w);
  struct core_syslog_str k = {k_sevnum, sizeof(k_sevnum) - 1};
  char t[CORE_FMT_NUM_BYTES];

  int kref = p != NULL && p->name.ptr == k_sevnum && p->name.len == k.len;

  w->nk += (uint32_t)kref;
  if (kref && w->m->lkeys.sev == n) {
    /* name and value counted at once (as two lw_ref) */
    lw_ref(w, (struct core_syslog_str){NULL, k.len + p->value.len});
    lw_attr(w, sd_otel, k, p->value);
  } else {
    k = lw_ref(w, k);
    lw_attr(w, sd_otel, k, lw_put(w, t, (size_t)core_fmt_i64(n, t)));
  }
}

/* A binary OTLP field (bit: STOR_LOTEL_*) kept in the record, served by
 * readers as the otel attribute `name` of text_len bytes at this position
 * (layout 3): counted against the record's bound as that text. Returns
 * the bytes to count (the caller counts the fields' at once: the same
 * bound as one by one). */
static inline size_t lw_bin(struct lw *w, uint8_t bit, const char *name,
                            size_t text_len) {
  if (w->otel->has == 0)
    w->otel->at = (uint8_t)w->nattrs;
  w->otel->has |= bit;
  w->nbin++;
  return strlen(name) + text_len;
}

static inline void lw_num(struct lw *w, const char *name, int64_t v) {
  char t[CORE_FMT_NUM_BYTES];

  lw_field(w, name, t, (size_t)core_fmt_i64(v, t));
}

static const char *const value_types[] = {"", "string", "bool", "int",
                                          "double", "array", "kvlist",
                                          "bytes"};

/* otel.* fields of record l (what has no column of its own). */
static void log_fields(struct lw *w, const struct core_otlp_log *l) {
  const struct core_otlp_origin *o = l->origin;
  size_t bin = 0;

  if (l->severity_number)
    lw_sevnum(w, l->severity_number);
  if (l->severity_text.len)
    lw_field(w, "severity_text", l->severity_text.ptr, l->severity_text.len);
  /* observed time and ids stay binary (served as decimal and hex) */
  if (l->observed_ns) {
    w->otel->observed_ns = l->observed_ns;
    bin += lw_bin(w, STOR_LOTEL_OBS, "observed_time_unix_nano",
                  stor_log_dec_digits(l->observed_ns));
  }
  if (l->trace_id) {
    memcpy(w->otel->trace_id, l->trace_id, 16);
    bin += lw_bin(w, STOR_LOTEL_TRACE, "trace_id", 32);
  }
  if (l->span_id) {
    memcpy(w->otel->span_id, l->span_id, 8);
    bin += lw_bin(w, STOR_LOTEL_SPAN, "span_id", 16);
  }
  if (bin != 0)
    lw_ref(w, (struct core_syslog_str){NULL, (uint32_t)bin});
  if (l->flags)
    lw_num(w, "flags", l->flags);
  if (l->event_name.len)
    lw_field(w, "event_name", l->event_name.ptr, l->event_name.len);
  if (l->body.type != CORE_OTLP_V_NONE && l->body.type != CORE_OTLP_V_STRING &&
      (unsigned)l->body.type < sizeof(value_types) / sizeof(value_types[0]))
    lw_field(w, "body_type", value_types[l->body.type],
             strlen(value_types[l->body.type]));
  if (o->scope_name.len)
    lw_field(w, "scope.name", o->scope_name.ptr, o->scope_name.len);
  if (o->scope_version.len)
    lw_field(w, "scope.version", o->scope_version.ptr, o->scope_version.len);
}

/* Key k: a reference to the last record's key at this position when
 * equal, else copied. */
static struct core_syslog_str lw_key(struct lw *w,
                                     const struct core_otlp_str *k) {
  const struct core_syslog_attr *p = lw_prev(w);

  if (p != NULL && p->name.len == k->len && k->len != 0 &&
      same_bytes(p->name.ptr, k->ptr, k->len)) {
    w->nk++;
    return lw_ref(w, p->name);
  }
  return lw_put(w, k->ptr, k->len);
}

/*
 * From a[0], at most n attributes of string values and non-empty keys
 * stored under sdid as lw_key, lw_same and lw_attr store them, the two
 * strings of each bounded and counted at once (the same verdict: a
 * bound the two pass one by one their sum passes), the writer's state
 * in locals (the byte copies would make the compiler reload it). one:
 * the arena does not bind (wleft == lleft, which then stays so: a copy
 * takes from both, a reference clamps wleft to lleft), one count and one
 * check. same: it also stops (*miss = 1) before a name that is not the
 * last record's at its position, and counts the names stored in w->nk.
 * Returns how many: it stops before an attribute of another kind or one
 * passing a bound, for the caller to store string by string.
 */
static inline __attribute__((always_inline)) uint32_t
attrs_loop(struct lw *w, struct core_syslog_str sdid,
           const struct core_otlp_attr *a, uint32_t n, int one, int same,
           int *miss) {
  uint32_t i, k0 = w->nattrs, np = w->nprev > k0 ? w->nprev - k0 : 0;
  const struct core_syslog_attr *prev = np ? w->prev + k0 : NULL;
  struct core_syslog_attr *out = w->attrs + k0;
  size_t used = w->used, wleft = w->wleft, lleft = w->lleft;
  char *buf = w->buf;

  ASSERT(k0 + n <= CORE_SYSLOG_SD_ATTRS_MAX);
  for (i = 0; i < n; i++) {
    const char *key = a[i].key.ptr, *v = a[i].value.s.ptr;
    size_t kl = a[i].key.len, vl = a[i].value.s.len, need;
    const struct core_syslog_attr *p = i < np ? &prev[i] : NULL;
    struct core_syslog_str name, value = {NULL, 0};
    int kref = 0, vref = 0;
    char *d = buf + used;

    if (a[i].value.type != CORE_OTLP_V_STRING || kl == 0)
      break;
    if (p != NULL && p->name.len == kl && same_bytes(p->name.ptr, key, kl)) {
      kref = 1; /* then the name as stored is the last record's */
      vref = vl != 0 && p->value.len == vl && same_bytes(p->value.ptr, v, vl);
    }
    if (same && !kref) {
      *miss = 1;
      break;
    }
    need = (kref ? 0 : kl) + (vref ? 0 : vl);
    if (kl + vl > lleft || (!one && need > wleft))
      break;
    if (kref) {
      name = p->name;
    } else {
      copy_bytes(d, key, kl);
      name = (struct core_syslog_str){d, (uint32_t)kl};
      d += kl;
    }
    if (vref) {
      value = p->value;
    } else if (vl != 0) {
      copy_bytes(d, v, vl);
      value = (struct core_syslog_str){d, (uint32_t)vl};
    }
    used += need;
    lleft -= kl + vl;
    if (!one) {
      wleft -= need;
      wleft = wleft > lleft ? lleft : wleft;
    }
    out[i] = (struct core_syslog_attr){.sdid = sdid, .name = name,
                                       .value = value};
  }
  w->used = used;
  w->wleft = one ? lleft : wleft;
  w->lleft = lleft;
  w->nattrs = k0 + i;
  if (same) /* every name stored was the last record's */
    w->nk += i;
  return i;
}

static uint32_t attrs_run(struct lw *w, struct core_syslog_str sdid,
                          const struct core_otlp_attr *a, uint32_t n) {
  uint32_t i;
  int miss = 0;

  if (w->over)
    return 0;
  /* while every name is the last record's, the loop that counts them
   * (w->nk: the keys_prev hint), then the one that does not (a count
   * carried through the loop cost lmmix 6 instructions an attribute) */
  i = w->wleft == w->lleft ? attrs_loop(w, sdid, a, n, 1, 1, &miss)
                           : attrs_loop(w, sdid, a, n, 0, 1, &miss);
  if (!miss)
    return i;
  a += i;
  n -= i;
  return i + (w->wleft == w->lleft ? attrs_loop(w, sdid, a, n, 1, 0, &miss)
                                   : attrs_loop(w, sdid, a, n, 0, 0, &miss));
}

/* Attributes of a list under sdid while room is left (keeping one slot
 * for the rest when more follow); returns how many were stored. Keys and
 * string values equal to the last record's at the same position are
 * referenced (lw_key, lw_same). */
static uint32_t log_attrs(struct lw *w, struct core_syslog_str sdid,
                          const struct core_otlp_attrs *a, uint32_t room) {
  uint32_t i = 0, max = a->n < room ? a->n : room;

  for (; i < max; i++) {
    if (a->v[i].value.type == CORE_OTLP_V_STRING &&
        (i += attrs_run(w, sdid, a->v + i, max - i)) == max)
      break;
    const struct core_otlp_value *v = &a->v[i].value;
    struct core_syslog_str k = lw_key(w, &a->v[i].key);
    lw_attr(w, sdid, k,
            v->type == CORE_OTLP_V_STRING ? lw_same(w, k, v->s.ptr, v->s.len)
                                          : lw_value(w, v, 0));
  }
  return i;
}

/*
 * Attributes past the 64 a stored record holds: one more attribute,
 * otel.more, a JSON object {"attr.KEY":value,"resource.KEY":value,...}.
 */
static void log_more(struct lw *w, const struct core_otlp_log *l,
                     uint32_t la, uint32_t ra) {
  const struct core_otlp_attrs *res = &l->origin->resource;
  char *d = w->buf + w->used;
  size_t cap = w->wleft, n = 1, k;
  struct core_syslog_str v;

  if (w->over || cap < 2) {
    w->over = 1;
    return;
  }
  d[0] = '{';
  k = core_otlp_attrs_json("attr", l->attrs.v + la, l->attrs.n - la, d + n,
                           cap - n);
  n += k;
  if (k <= cap && la < l->attrs.n && ra < res->n && n < cap)
    d[n++] = ',';
  if (n <= cap)
    n += core_otlp_attrs_json("resource", res->v + ra, res->n - ra, d + n,
                              cap - n);
  if (n >= cap) {
    w->over = 1;
    return;
  }
  d[n++] = '}';
  v = lw_wrote(w, n);
  lw_attr(w, sd_otel, lw_ref(w, (struct core_syslog_str){"more", 4}), v);
}

/* A resource attribute's text by key ("" when absent). */
static struct core_syslog_str res_value(struct lw *w,
                                        const struct core_otlp_origin *o,
                                        const char *key) {
  size_t n = strlen(key);

  for (uint32_t i = 0; i < o->resource.n; i++)
    if (o->resource.v[i].key.len == n &&
        memcmp(o->resource.v[i].key.ptr, key, n) == 0)
      return lw_value(w, &o->resource.v[i].value, 0);
  return (struct core_syslog_str){NULL, 0};
}

/* The resource's strings of record l: referenced from m->lres when the
 * request's earlier record wrote them (and the head kept them), else
 * written now (kept in m->lres once the record is in: lres_pending).
 * Returns how many resource attributes the record holds. */
static uint32_t log_resource(struct lw *w, const struct core_otlp_log *l,
                             struct stor_log_rec *r, uint32_t room) {
  struct core_otlp_map *m = w->m;
  struct core_otlp_lres *c = &m->lres;
  const struct core_otlp_attrs *res = &l->origin->resource;
  uint32_t ra = res->n < room ? res->n : room;
  const void *first = res->n ? (const void *)res->v[0].key.ptr : NULL;

  /* (an empty first key may have no pointer: no cache for it) */
  if (c->origin == l->origin && c->first == first && c->nsrc == res->n &&
      (first != NULL || res->n == 0) && c->req == m->lreq &&
      c->moves == m->lhead->moves && c->n >= ra) {
    /* the request's earlier record wrote them: the attributes copied
     * whole, their bytes counted at once (as lw_ref would one by one) */
    size_t b = c->bytes[ra];
    if (w->over || b > w->lleft) {
      w->over = 1;
      return ra;
    }
    w->lleft -= b;
    w->wleft = w->wleft > w->lleft ? w->lleft : w->wleft;
    r->host = c->host;
    r->app = c->app;
    ASSERT(w->nattrs + ra <= CORE_SYSLOG_SD_ATTRS_MAX);
    memcpy(w->attrs + w->nattrs, c->a, ra * sizeof(c->a[0]));
    w->nattrs += ra;
    if (m->lkeys.rgen == c->gen) /* the last record's keys were c->a's */
      w->nk += ra;
    return ra;
  }
  c->origin = NULL;
  c->first = first;
  c->nsrc = res->n;
  c->gen++;
  r->host = c->host = res_value(w, l->origin, "host.name");
  r->app = c->app = res_value(w, l->origin, "service.name");
  ra = log_attrs(w, sd_res, res, ra);
  memcpy(c->a, w->attrs + w->nattrs - ra, ra * sizeof(c->a[0]));
  c->n = ra;
  c->bytes[0] = (size_t)c->host.len + c->app.len;
  for (uint32_t i = 0; i < ra; i++)
    c->bytes[i + 1] = c->bytes[i] + c->a[i].name.len + c->a[i].value.len;
  m->lres_pending = 1;
  return ra;
}

/* The keys_prev hint of record r (shape: its sd ids' order, w's its
 * attributes): 1 only when every sd id and name is known equal to the
 * last record's, which is the head's last: the sd ids follow from the
 * shape (otel fields, attr, resource, otel.more: the counts of each
 * equal), each name was found equal at its position (w->nk). */
static uint8_t keys_prev(const struct core_otlp_map *m, const struct lw *w,
                         uint32_t shape) {
  const struct core_loghead *h = m->lhead;

  return w->prev != NULL && w->nk == w->nattrs && m->lkeys.shape == shape &&
         h->count > 0 && h->recs[h->count - 1].attrs == w->prev;
}

/* Record l built in place (*rp its fields, in the head's next slot, its
 * attributes and strings at the log head's ends; *text what
 * stor_logblock_rec_text_bytes counts for it; *shape its sd ids' order,
 * for the next record's keys_prev). Returns 0, REJ(reason), or
 * LOG_NO_ROOM (the head has not the room: core_loghead_make_room). */
#define LOG_NO_ROOM (-1)
static int build_log(struct core_otlp_map *m, const struct core_otlp_log *l,
                     struct stor_log_rec **rp, size_t *used, size_t *text,
                     uint32_t *shape) {
  struct core_loghead *h = m->lhead;
  size_t arena = CORE_LOGHEAD_ARENA_BYTES - h->arena_len;
  /* the three sd ids' 16 bytes counted from the start (as lw_ref) */
  struct lw w = {.m = m, .buf = h->arena + h->arena_len,
                 .wleft = arena < CORE_OTLP_LOG_BYTES_MAX - 16
                              ? arena : CORE_OTLP_LOG_BYTES_MAX - 16,
                 .lleft = CORE_OTLP_LOG_BYTES_MAX - 16,
                 .attrs = h->attrs + h->attr_count};
  uint64_t t = l->time_ns ? l->time_ns : l->observed_ns;
  uint32_t room, la, ra, more, nres = l->origin->resource.n;
  const struct core_otlp_lkeys *pk = &m->lkeys;
  struct stor_log_rec *r;

  if (core_loghead_room(h, CORE_SYSLOG_SD_ATTRS_MAX) != 0)
    return LOG_NO_ROOM;
  r = *rp = core_loghead_slot(h);
  if (pk->req == m->lreq && pk->moves == h->moves) {
    w.prev = pk->a;
    w.nprev = pk->n;
  }
  m->lres_pending = 0;
  *r = (struct stor_log_rec){.flags = CORE_SYSLOG_F_OTLP, .facility = 1,
                             .severity = syslog_severity(l->severity_number),
                             .attrs = w.attrs};
  if (t == 0 || t > INT64_MAX) {
    t = (uint64_t)m->now_ms * 1000000u;
    r->flags |= CORE_SYSLOG_F_NO_TIME;
  }
  r->time_ns = (int64_t)t;
  w.otel = &r->otel;
  if (l->body.type != CORE_OTLP_V_NONE) /* no body: an empty message */
    r->msg = lw_value(&w, &l->body, l->body.type != CORE_OTLP_V_STRING);
  log_fields(&w, l);
  room = CORE_SYSLOG_SD_ATTRS_MAX - w.nattrs - w.nbin;
  if (l->attrs.n + nres > room)
    room--; /* otel.more takes the rest */
  la = log_attrs(&w, sd_attr, &l->attrs, room);
  ra = log_resource(&w, l, r, room - la);
  more = la < l->attrs.n || ra < nres;
  if (more)
    log_more(&w, l, la, ra);
  if (w.over)
    return arena >= CORE_OTLP_LOG_BYTES_MAX ? REJ(CORE_OTLP_REJ_LOG_TOO_LARGE)
                                            : LOG_NO_ROOM;
  _Static_assert(CORE_SYSLOG_SD_ATTRS_MAX < 256, "a shape's counts: a byte");
  *shape = w.nattrs | la << 8 | ra << 16 | more << 24;
  r->keys_prev = keys_prev(m, &w, *shape);
  r->attr_count = w.nattrs;
  *used = w.used;
  /* the bytes counted are the record's strings (and the binary fields'
   * names and text) plus the three sd ids; each attribute (binary ones
   * too) adds three varints and its sd id ("otel" and "attr" 4 bytes,
   * "resource" 8), the record five varints */
  *text = CORE_OTLP_LOG_BYTES_MAX - w.lleft - 16 +
          5 * STOR_VARINT_BYTES_MAX +
          (size_t)(w.nattrs + w.nbin) * (3 * STOR_VARINT_BYTES_MAX + 4) +
          (size_t)ra * 4;
  return 0;
}

/* Record l into the log head, making room (sealing the records before
 * the request) when needed. Returns 0, REJ(reason), or LOG_NO_ROOM when
 * the request alone fills the head. */
static int put_log(struct core_otlp_map *m, const struct core_otlp_log *l) {
  struct core_loghead *h = m->lhead;
  struct stor_log_rec *r = NULL;
  size_t used = 0, text = 0;
  uint32_t shape = 0;
  int rc;

  for (int tries = 0; tries < 2; tries++) {
    rc = build_log(m, l, &r, &used, &text, &shape);
    if (rc == 0 && core_loghead_put_text(h, r, used, text, m->now_ms) != 0)
      rc = LOG_NO_ROOM; /* the text bound */
    if (rc == 0) /* the next record's to match (lw_key, lw_same) */
      m->lkeys = (struct core_otlp_lkeys){.req = m->lreq, .moves = h->moves,
                                          .sev = l->severity_number,
                                          .a = r->attrs,
                                          .n = r->attr_count,
                                          .shape = shape,
                                          .rgen = m->lres.gen};
    if (rc == 0 && m->lres_pending) {
      m->lres.origin = l->origin;
      m->lres.req = m->lreq;
      m->lres.moves = h->moves;
    }
    if (rc != LOG_NO_ROOM || core_loghead_make_room(h) != 0)
      return rc;
  }
  return rc;
}

/* A log record stored; its refusal counted (direct) or staged, in order. */
static int on_log(void *ctx, const struct core_otlp_log *l) {
  struct core_pipe *p = ctx;
  struct core_otlp_map *m = p->otlp;
  struct core_otlp_stage *st = &m->stage;
  int rc;

  if (st->full && !m->direct)
    return 0; /* the second decode stores it */
  rc = put_log(m, l);
  if (m->direct)
    core_loghead_commit(m->lhead); /* a later make_room seals it */
  if (rc == LOG_NO_ROOM) {
    ASSERT(!m->direct); /* an empty head holds any record */
    st->full = 1;
  } else if (rc != 0 && m->direct) {
    reject(p, (enum core_otlp_reject)(rc - 1), &l->event_name);
  } else if (rc != 0) {
    ASSERT(st->nlogs < CORE_OTLP_ITEMS_MAX);
    st->logs[st->nlogs++] =
        (struct core_otlp_stage_log){.rej = (uint8_t)rc, .item = l->event_name};
  } else if (m->direct) {
    core_stat_add(&p->stats->logs_otlp, 1);
    m->res->accepted++;
  } else {
    m->lacc++;
  }
  return 0;
}

/* Commit a request's records: the head keeps them, refusals counted. */
static void commit_logs(struct core_pipe *p) {
  struct core_otlp_map *m = p->otlp;
  struct core_otlp_stage *st = &m->stage;

  core_loghead_commit(m->lhead);
  for (uint32_t i = 0; i < st->nlogs; i++)
    reject(p, (enum core_otlp_reject)(st->logs[i].rej - 1),
           &st->logs[i].item);
  core_stat_add(&p->stats->logs_otlp, m->lacc);
  m->res->accepted += m->lacc;
}

/* ---- traces -------------------------------------------------------------- */

/* Spans go to the span head's hook when wired; counted either way. */
static int on_span(void *ctx, const struct core_otlp_span *s) {
  struct core_pipe *p = ctx;
  static const struct core_otlp_str what = {"traces", 6};

  if (p->spans.span == NULL) {
    reject(p, CORE_OTLP_REJ_UNSUPPORTED, &what);
    return 0;
  }
  p->otlp->res->accepted++;
  return p->spans.span(p, s);
}

/*
 * The span head refuses a span (a bound passed) when it, or a later event
 * or link of it, arrives: on_span has counted it accepted by then. Move
 * the spans refused during this request from accepted to rejected.
 */
static void spans_verdict(struct core_pipe *p, struct core_otlp_result *res,
                          uint64_t refused_before) {
  uint64_t n = core_pipe_spans_refused(p) - refused_before;

  if (n == 0)
    return;
  n = n < res->accepted ? n : res->accepted;
  res->accepted -= n;
  res->rejected += n;
  snprintf(res->message, sizeof(res->message),
           "%llu spans rejected: over a span bound (events, links, "
           "attributes or bytes; by reason in "
           "sluice_otlp_rejected_spans_total)", (unsigned long long)n);
}

/* ---- requests ------------------------------------------------------------ */

/*
 * A metrics or logs request: decoded once into staging, committed when it
 * all decoded; past a staging bound, decoded again and stored as decoded.
 * Returns 0 or the decoder's error.
 */
static int pipe_staged(struct core_pipe *p, enum core_otlp_signal sig,
                       decode_fn fn, const void *body, size_t len,
                       struct core_otlp_result *res) {
  struct core_otlp_map *m = p->otlp;
  struct core_otlp_stage *st = &m->stage;
  struct core_otlp_sink sink = {.ctx = p};
  int rc;

  if (sig == CORE_OTLP_METRICS) {
    sink.point = on_point;
    sink.attrs_known = on_attrs_known;
  } else {
    sink.log = on_log;
  }
  st->npts = st->nser = st->key_used = 0;
  st->nlogs = 0;
  st->full = 0;
  core_otlp_sid_unhold(&m->sid);
  m->direct = 0;
  m->lacc = 0;
  m->lreq++;
  if (sig == CORE_OTLP_LOGS) {
    m->lhead = &p->loghead;
    core_loghead_begin(m->lhead);
  }
  rc = fn(body, len, &m->scratch, &m->jscratch, &sink, &res->why);
  if (sig == CORE_OTLP_LOGS && (rc != 0 || st->full))
    core_loghead_rollback(m->lhead);
  if (rc != 0 || !st->full) {
    for (uint32_t i = 0; i < st->npts && rc == 0; i++)
      commit_point(p, &st->pts[i]);
    if (sig == CORE_OTLP_LOGS && rc == 0)
      commit_logs(p);
    return rc;
  }
  st->twice++;
  core_otlp_sid_unhold(&m->sid); /* no commit: mapped directly now */
  m->direct = 1;
  m->res_seen = NULL;
  m->res_seen_n = UINT32_MAX;
  m->lreq++;
  rc = fn(body, len, &m->scratch, &m->jscratch, &sink, &res->why);
  m->direct = 0;
  return rc;
}

static struct core_otlp_sink sink_of(struct core_pipe *p,
                                     enum core_otlp_signal sig) {
  struct core_otlp_sink s = {.ctx = p};

  if (sig == CORE_OTLP_METRICS)
    s.point = on_point;
  else if (sig == CORE_OTLP_LOGS)
    s.log = on_log;
  else {
    s.span = on_span;
    s.event = p->spans.event;
    s.link = p->spans.link;
  }
  return s;
}

static void verdict(struct core_otlp_map *m, struct core_otlp_result *res,
                    enum core_otlp_signal sig) {
  static const char *const items[CORE_OTLP_SIGNALS] = {"data points",
                                                       "log records", "spans"};
  static const char *const item[CORE_OTLP_SIGNALS] = {"metric", "record",
                                                      "signal"};

  if (res->rejected == 0)
    return;
  if (m->first_why == CORE_OTLP_REJ_UNSUPPORTED)
    snprintf(res->message, sizeof(res->message),
             "%llu %s rejected: unsupported (this build does not store "
             "traces yet)", (unsigned long long)res->rejected, items[sig]);
  else
    snprintf(res->message, sizeof(res->message),
             "%llu %s rejected; first: %s (%s \"%s\")",
             (unsigned long long)res->rejected, items[sig],
             core_otlp_reason_name(m->first_why), item[sig], m->first_item);
}

int core_pipe_otlp(struct core_pipe *p, enum core_otlp_signal sig,
                   enum core_otlp_enc enc, const void *body, size_t len,
                   int64_t now_ms, struct core_otlp_result *res) {
  struct core_otlp_map *m = p->otlp;
  struct core_otlp_sink sink;
  uint64_t refused;
  decode_fn fn;

  memset(res, 0, sizeof(*res));
  if ((unsigned)sig >= CORE_OTLP_SIGNALS || (unsigned)enc >= CORE_OTLP_ENCS) {
    res->why = "unknown signal or encoding";
    return res->rc = -EBADMSG;
  }
  fn = decoders[enc][sig];
  if (len > CORE_OTLP_BODY_BYTES_MAX) {
    res->why = "request larger than the OTLP body bound";
    return res->rc = -E2BIG;
  }
  m->res = res;
  m->now_ms = now_ms;
  m->first_why = CORE_OTLP_REJ_COUNT;
  m->res_seen = NULL;
  m->res_seen_n = UINT32_MAX;
  m->nh_ptr = NULL; /* (another request may sit at the same address) */
  if (sig == CORE_OTLP_METRICS || (sig == CORE_OTLP_LOGS && p->logs)) {
    if ((res->rc = pipe_staged(p, sig, fn, body, len, res)) == 0) {
      core_stat_set(&p->stats->head_points, p->head.count);
      core_stat_set(&p->stats->otlp_sid_hits, m->sid.hits);
      core_stat_set(&p->stats->otlp_sid_misses, m->sid.misses);
      verdict(m, res, sig);
    }
    return res->rc;
  }
  res->rc = fn(body, len, &m->scratch, &m->jscratch, NULL, &res->why);
  if (res->rc != 0)
    return res->rc;
  if (sig == CORE_OTLP_LOGS && !p->logs) {
    static const struct core_otlp_sink none = {0};
    /* no log head (a pipeline without core_pipe_logs_init): refuse all */
    res->rc = fn(body, len, &m->scratch, &m->jscratch, &none, &res->why);
    res->rejected = m->scratch.items;
    core_stat_add(&p->stats->otlp_rejected[CORE_OTLP_REJ_UNSUPPORTED],
                  m->scratch.items);
    snprintf(res->message, sizeof(res->message),
             "%u log records rejected: unsupported (no log head)",
             m->scratch.items);
    return res->rc;
  }
  sink = sink_of(p, sig);
  refused = sig == CORE_OTLP_TRACES && p->spans.span ? core_pipe_spans_refused(p)
                                                    : 0;
  res->rc = fn(body, len, &m->scratch, &m->jscratch, &sink, &res->why);
  core_stat_set(&p->stats->head_points, p->head.count);
  verdict(m, res, sig);
  if (sig == CORE_OTLP_TRACES && p->spans.span)
    spans_verdict(p, res, refused); /* spans have only these refusals */
  return res->rc;
}
