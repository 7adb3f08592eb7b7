/*
 * net/query/query_api.c - export, series, labels and label values (see
 * net/query_api.h and docs/query-api.md).
 *
 * A query scans the segments (storage/reader.h) and gathers what matches
 * in memory bounded by CORE_QUERY_* (core/limits.h), then writes the reply
 * in one go (the HTTP server sends a whole body).
 */
#include "net/query/query_api.h"

#include <errno.h>
#include <ctype.h>
#include <inttypes.h>
#include <math.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/base/assert.h"
#include "core/base/limits.h"
#include "core/base/numfmt.h"
#include "net/query/json.h"
#include "net/query/query_types.h"
#include "net/query/regex_bound.h"
#include "net/query/selector.h"
#include "net/query/strset.h"
#include "core/ingest/series.h"
#include "core/base/strbuf.h"
#include "core/base/timefmt.h"
#include "net/http.h"
#include "storage/scan.h"

/* ---- JSON ------------------------------------------------------------------ */

static void reply_error(struct net_http_response *resp, int status,
                        const char *type, const char *msg) {
  struct core_strbuf *b = &resp->body;

  core_strbuf_free(b);
  resp->status = status;
  resp->content_type = "application/json";
  core_strbuf_appendf(b, "{\"status\":\"error\",\"errorType\":\"%s\","
                         "\"error\":", type);
  net_query_json_str(b, msg, strlen(msg));
  core_strbuf_append(b, "}\n", 2);
}

/* ---- numbers and times --------------------------------------------------- */

int net_query_parse_time(const char *s, int64_t *ms) {
  const char *q = s + (s[0] == '-');
  size_t nd = strspn(q, "0123456789");
  char *end;

  if (strlen(s) >= 10 && s[4] == '-')
    return core_rfc3339_parse_ms(s, ms);
  if (nd > 0 && q[nd] == '\0') {
    long long v;
    errno = 0;
    v = strtoll(s, &end, 10);
    if (errno || nd > 18)
      return -EINVAL;
    /* 11+ digits: milliseconds (1973 on); fewer: seconds (to year 5138) */
    *ms = nd >= 11 ? (int64_t)v : (int64_t)v * 1000;
    return 0;
  }
  if (s[0] == '\0' || isspace((unsigned char)s[0]))
    return -EINVAL;
  double d = strtod(s, &end);
  if (*end || !isfinite(d) || fabs(d) > 9.2e15)
    return -EINVAL;
  *ms = (int64_t)llround(d * 1000.0);
  return 0;
}

/* ---- a query ------------------------------------------------------------- */

enum qmode { Q_EXPORT, Q_SERIES, Q_LABELS, Q_VALUES };

/* The points of one series as two columns (export): a compacted run is
 * decoded straight into them (stor_scan.room), others are copied in. */
struct qcols {
  int64_t *ts;
  double *v;
  size_t n, cap;      /* points held; room of both arrays */
  size_t room;        /* points handed to the scan at ts + n, v + n */
  bool unsorted;      /* a point came before one already held */
};

struct query {
  enum qmode mode;
  const char *data_dir;
  struct net_selector *sel;     /* nsel of them, OR-ed */
  unsigned nsel;
  int64_t start, end;
  struct net_strset set;
  struct qcols *pts;            /* export: by series index */
  size_t pts_cap;
  uint64_t points;
  char label[CORE_SERIES_KEY_BYTES_MAX]; /* label values: its name */
  size_t label_len;
  struct core_label_iter it;
};

static bool selected(const struct query *q, const char *key, size_t len) {
  if (q->nsel == 0)
    return true;
  for (unsigned i = 0; i < q->nsel; i++)
    if (net_selector_match(&q->sel[i], key, len))
      return true;
  return false;
}

static int add_labels(struct query *q, const char *key, size_t len) {
  struct core_label l;
  uint32_t idx;
  int rc = 0;

  if (q->mode == Q_VALUES) {
    const char *v;
    size_t n = core_label_get(&q->it, key, len, q->label, q->label_len, &v);
    return n ? net_strset_add(&q->set, v, n, &idx) : 0;
  }
  core_label_iter_init(&q->it, key, len);
  while (rc >= 0 && core_label_next(&q->it, &l))
    rc = net_strset_add(&q->set, l.name, l.name_len, &idx);
  return rc;
}

static int on_series(void *ctx, const struct stor_dict_entry *e,
                     uint32_t *handle) {
  struct query *q = ctx;
  bool hit = selected(q, e->key, e->key_len);
  int rc;

  if (net_regex_expired())
    return -ETIME;  /* a regex was skipped at the deadline */
  if (!hit)
    return 0;
  if (q->mode == Q_LABELS || q->mode == Q_VALUES)
    return (rc = add_labels(q, e->key, e->key_len)) < 0 ? rc : 0;
  if ((rc = net_strset_add(&q->set, e->key, e->key_len, handle)) < 0)
    return rc;
  if (q->mode == Q_SERIES)
    return 0;
  if (rc == 1) {
    size_t cap = q->pts_cap;
    if (net_query_grow(&q->pts, sizeof(*q->pts), &cap, q->set.count) < 0)
      return -ENOMEM;
    memset(q->pts + q->pts_cap, 0, (cap - q->pts_cap) * sizeof(*q->pts));
    q->pts_cap = cap;
  }
  return 1;
}

/* Room for need points in both columns of c. Returns 0 or -ENOMEM. */
static int cols_grow(struct qcols *c, size_t need) {
  size_t ct = c->cap, cv = c->cap;
  int rc;

  if (need <= c->cap)
    return 0;
  rc = net_query_grow(&c->ts, sizeof(*c->ts), &ct, need);
  if (rc == 0)
    rc = net_query_grow(&c->v, sizeof(*c->v), &cv, need);
  c->cap = ct < cv ? ct : cv;
  return rc < 0 ? -ENOMEM : 0;
}

/* Points of series h: in place when they lie in the room on_room gave
 * (moved to its front when the range cut the run's), else copied in. */
static int on_points(void *ctx, uint32_t h, const int64_t *ts,
                     const double *v, uint32_t n) {
  struct query *q = ctx;
  struct qcols *s = &q->pts[h];
  uintptr_t at = (uintptr_t)(s->ts + s->n), p = (uintptr_t)ts;

  if (q->points + n > CORE_QUERY_POINTS_MAX)
    return -EFBIG;
  if (s->room > 0 && p >= at && p < at + s->room * sizeof(*ts)) {
    size_t off = (p - at) / sizeof(*ts);
    ASSERT(off + n <= s->room);
    if (off > 0) {
      memmove(s->ts + s->n, ts, n * sizeof(*ts));
      memmove(s->v + s->n, v, n * sizeof(*v));
    }
  } else {
    if (cols_grow(s, s->n + n) < 0)
      return -ENOMEM;
    memcpy(s->ts + s->n, ts, n * sizeof(*ts));
    memcpy(s->v + s->n, v, n * sizeof(*v));
  }
  s->room = 0;
  if (s->n > 0 && s->ts[s->n - 1] > s->ts[s->n])
    s->unsorted = true;
  s->n += n;
  q->points += n;
  return 0;
}

/* Room for the points a compacted segment announces, so that they are
 * not copied at every doubling; past the points bound on_points says no. */
static int on_expect(void *ctx, uint32_t h, uint64_t n) {
  struct query *q = ctx;
  struct qcols *s = &q->pts[h];

  if (q->points + n > CORE_QUERY_POINTS_MAX)
    return 0;
  return cols_grow(s, s->n + n);
}

/* A compacted run of series h decodes into its columns' free end. */
static int on_room(void *ctx, uint32_t h, uint32_t n, int64_t **ts,
                   double **v) {
  struct query *q = ctx;
  struct qcols *s = &q->pts[h];

  if (q->points + n > CORE_QUERY_POINTS_MAX)
    return 1; /* the scan's buffers; on_points then refuses */
  if (cols_grow(s, s->n + n) < 0)
    return -ENOMEM;
  s->room = n;
  *ts = s->ts + s->n;
  *v = s->v + s->n;
  return 0;
}

static void query_free(struct query *q) {
  for (unsigned i = 0; i < q->nsel; i++)
    net_selector_free(&q->sel[i]);
  free(q->sel);
  for (size_t i = 0; i < q->set.count && q->pts; i++) {
    free(q->pts[i].ts);
    free(q->pts[i].v);
  }
  free(q->pts);
  net_strset_free(&q->set);
  free(q);
}

/* ---- parameters ---------------------------------------------------------- */

static int bad_data(struct net_http_response *resp, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static int bad_data(struct net_http_response *resp, const char *fmt, ...) {
  char msg[NET_SELECTOR_BYTES_MAX + 512];
  va_list ap;

  va_start(ap, fmt);
  vsnprintf(msg, sizeof(msg), fmt, ap);
  va_end(ap);
  reply_error(resp, 400, "bad_data", msg);
  return -EINVAL;
}

static int parse_matches(struct query *q, const struct net_http_request *req,
                         struct net_http_response *resp) {
  char text[NET_SELECTOR_BYTES_MAX + 1];
  struct core_sel_error err;
  int n, rc;

  for (unsigned i = 0;; i++) {
    n = net_http_query_param(req, "match[]", i, text, sizeof(text));
    if (n == -ENOENT)
      return 0;
    if (i >= CORE_QUERY_MATCH_MAX)
      return bad_data(resp, "more than %d match[] parameters",
                      CORE_QUERY_MATCH_MAX);
    if (n < 0)
      return bad_data(resp, "match[] #%u is longer than %d bytes", i + 1,
                      NET_SELECTOR_BYTES_MAX);
    if ((rc = net_selector_parse(&q->sel[i], text, (size_t)n, &err)) < 0) {
      q->nsel = i + 1;
      if (rc == -ENOMEM) {
        reply_error(resp, 503, "unavailable", "out of memory");
        return rc;
      }
      return bad_data(resp, "match[]=%s: parse error at position %zu: %s",
                      text, err.pos, err.msg);
    }
    q->nsel = i + 1;
  }
}

static int parse_range(struct query *q, const struct net_http_request *req,
                       struct net_http_response *resp) {
  static const char *names[2] = {"start", "end"};
  int64_t *dst[2] = {&q->start, &q->end};
  char text[CORE_QUERY_PARAM_BYTES_MAX];

  q->start = INT64_MIN;
  q->end = INT64_MAX;
  for (int i = 0; i < 2; i++) {
    int n = net_http_query_param(req, names[i], 0, text, sizeof(text));
    if (n == -ENOENT || n == 0)
      continue;
    if (n < 0 || net_query_parse_time(text, dst[i]) < 0)
      return bad_data(resp, "invalid parameter \"%s\": cannot parse \"%s\" "
                            "to a valid timestamp (use ms, seconds or RFC "
                            "3339)", names[i], n < 0 ? "(too long)" : text);
  }
  if (q->end < q->start)
    return bad_data(resp, "invalid parameter \"end\": end timestamp must "
                          "not be before start time");
  return 0;
}

/* A new query from the request's parameters; NULL after an error reply. */
static struct query *query_new(const struct net_query_env *env,
                               const struct net_http_request *req,
                               struct net_http_response *resp,
                               enum qmode mode) {
  struct query *q = calloc(1, sizeof(*q));

  if (q == NULL || (q->sel = calloc(CORE_QUERY_MATCH_MAX,
                                    sizeof(*q->sel))) == NULL) {
    free(q);
    reply_error(resp, 503, "unavailable", "out of memory");
    return NULL;
  }
  q->mode = mode;
  q->data_dir = env->data_dir;
  if (parse_matches(q, req, resp) < 0 || parse_range(q, req, resp) < 0) {
    query_free(q);
    return NULL;
  }
  if (q->nsel == 0 && (mode == Q_EXPORT || mode == Q_SERIES)) {
    bad_data(resp, "no match[] parameter provided");
    query_free(q);
    return NULL;
  }
  return q;
}

int64_t net_query_deadline_start(void) {
  struct timespec now;
  int64_t deadline_ms;

  clock_gettime(CLOCK_MONOTONIC, &now);
  deadline_ms = (int64_t)now.tv_sec * 1000 + now.tv_nsec / 1000000 +
                CORE_QUERY_TIME_MS_MAX;
  net_regex_deadline(deadline_ms);  /* matches check it, scans per block */
  return deadline_ms;
}

/* The metric name every match[] requires (each has __name__ = N, the same
 * non-empty N) at *name, or 0: a hint for the scan (stor_scan.name). */
static size_t exact_name(const struct query *q, const char **name) {
  size_t len = 0;

  for (unsigned i = 0; i < q->nsel; i++) {
    const struct net_selector *sel = &q->sel[i];
    unsigned j = 0;
    while (j < sel->count &&
           (sel->m[j].op != CORE_SEL_EQ ||
            strcmp(sel->text + sel->m[j].name_off, CORE_LABEL_NAME) != 0))
      j++;
    if (j == sel->count || sel->m[j].value_len == 0 ||
        (i > 0 && (sel->m[j].value_len != len ||
                   memcmp(sel->text + sel->m[j].value_off, *name, len))))
      return 0;
    *name = sel->text + sel->m[j].value_off;
    len = sel->m[j].value_len;
  }
  return len;
}

/* Scan the data directory; on failure the error reply is made. */
static int query_run(struct query *q, struct net_http_response *resp) {
  struct stor_scan_stats st = {0};
  struct stor_scan sc = {.data_dir = q->data_dir, .start_ms = q->start,
                         .end_ms = q->end, .series = on_series,
                         .points = q->mode == Q_EXPORT ? on_points : NULL,
                         .expect = q->mode == Q_EXPORT ? on_expect : NULL,
                         .room = q->mode == Q_EXPORT ? on_room : NULL,
                         .ctx = q};
  char msg[256];
  int rc;

  if ((sc.name_len = exact_name(q, &sc.name)) == 0)
    sc.name = NULL;
  sc.deadline_ms = net_query_deadline_start();
  rc = stor_scan_run(&sc, &st);
  net_regex_deadline(0);
  if (rc == 0)
    return 0;
  if (rc == -ETIME) {
    snprintf(msg, sizeof(msg), "query exceeded its time budget of %d ms; "
             "narrow the time range or the selector", CORE_QUERY_TIME_MS_MAX);
    reply_error(resp, 503, "timeout", msg);
  } else if (rc == -E2BIG) {
    snprintf(msg, sizeof(msg), "the query matches more than %d %s (or %u MiB "
             "of them); narrow the selector or the time range",
             CORE_QUERY_SERIES_MAX,
             q->mode == Q_LABELS   ? "label names"
             : q->mode == Q_VALUES ? "label values" : "series",
             CORE_QUERY_KEY_BYTES_MAX >> 20);
    reply_error(resp, 422, "execution", msg);
  } else if (rc == -EFBIG) {
    snprintf(msg, sizeof(msg), "the query selects more than %u points; "
             "narrow the time range or the selector", CORE_QUERY_POINTS_MAX);
    reply_error(resp, 422, "execution", msg);
  } else {
    snprintf(msg, sizeof(msg), "reading segments of %s: %s", q->data_dir,
             strerror(-rc));
    reply_error(resp, rc == -ENOMEM ? 503 : 500,
                rc == -ENOMEM ? "unavailable" : "internal", msg);
  }
  return rc;
}

/* The reply went over NET_HTTP_RESPONSE_BYTES_MAX: say so instead. */
static void check_size(struct net_http_response *resp) {
  char msg[160];

  if (!resp->body.failed)
    return;
  snprintf(msg, sizeof(msg), "the response exceeds %d bytes; narrow the "
           "selector or the time range", NET_HTTP_RESPONSE_BYTES_MAX);
  reply_error(resp, 422, "execution", msg);
}

/* ---- replies ------------------------------------------------------------- */

/* {"__name__":"...","k":"v",...} of a series key. */
static void labels_json(struct query *q, struct core_strbuf *b,
                        const char *key, size_t len) {
  struct core_label l;
  bool first = true;

  core_strbuf_append(b, "{", 1);
  core_label_iter_init(&q->it, key, len);
  while (core_label_next(&q->it, &l)) {
    if (!first)
      core_strbuf_append(b, ",", 1);
    first = false;
    net_query_json_str(b, l.name, l.name_len);
    core_strbuf_append(b, ":", 1);
    net_query_json_str(b, l.value, l.value_len);
  }
  core_strbuf_append(b, "}", 1);
}

/* Reply text written in chunks: straight into the reply when it has room
 * for a whole chunk, else into a local buffer appended at the end (which
 * then reports a reply past its bound). A writer fills from the pointer
 * chunk_open returns while below the limit it sets (room for one more
 * number) and hands back the end to chunk_close. Writers keep that
 * pointer in a local: stores through a char pointer could alias any
 * field of the chunk, which would be reloaded after every digit. */
#define CHUNK_BYTES 16384

struct chunk {
  char *p;
  bool direct;
  char tmp[CHUNK_BYTES];
};

static char *chunk_open(struct chunk *c, struct core_strbuf *b, char **lim) {
  c->p = core_strbuf_room(b, CHUNK_BYTES);
  c->direct = c->p != NULL;
  if (!c->direct)
    c->p = c->tmp;
  *lim = c->p + CHUNK_BYTES - 64;
  return c->p;
}

static void chunk_close(struct chunk *c, struct core_strbuf *b,
                        const char *end) {
  if (c->direct)
    core_strbuf_commit(b, (size_t)(end - c->p));
  else
    core_strbuf_append(b, c->tmp, (size_t)(end - c->p));
}

/* Points a chunk holds at least: a value or a timestamp with its comma
 * is at most CORE_FMT_NUM_BYTES. */
#define CHUNK_POINTS ((CHUNK_BYTES - 64) / CORE_FMT_NUM_BYTES)

/* The values of s as a JSON array body, comma separated: written with a
 * comma after each, the last one then dropped (a chunk never closes
 * empty, so it is in the last chunk). */
static void values_json(struct core_strbuf *b, const struct qcols *s) {
  struct chunk c;
  char *lim, *o = chunk_open(&c, b, &lim);

  (void)lim;
  for (size_t i = 0, k; i < s->n; i += k) {
    if (i > 0) {
      chunk_close(&c, b, o);
      o = chunk_open(&c, b, &lim);
    }
    k = s->n - i < CHUNK_POINTS ? s->n - i : CHUNK_POINTS;
    o = core_fmt_double_list(s->v + i, sizeof(*s->v), k, ',', o);
  }
  chunk_close(&c, b, o - (s->n > 0));
}

/*
 * The points from *pp on whose timestamps are in the window of 10^4 ms
 * at base (hi, hl digits, is the text of base / 10^4), while below lim:
 * each the text of hi and the four digits of ts - base from the table,
 * then a comma; no division, and no call (the state stays in registers).
 * From 1973 to 33658 (hi of 8 to 11 digits) two stores a point. Returns
 * the end of the text; *pp is past the points written.
 */
static inline char *ts_window(char *o, const char *lim, const int64_t **pp,
                              const int64_t *end, const char *hi, size_t hl,
                              uint64_t base) {
  const int64_t *p = *pp;
  uint64_t h0, h1, lo = (uint64_t)*p - base;
  unsigned sh = 8 * ((unsigned)hl - 8);

  memcpy(&h0, hi, 8);
  memcpy(&h1, hi + 8, 8);
  if (hl >= 8 && hl <= 11) {
    h1 &= (UINT64_C(1) << sh) - 1; /* hi's digits past the eighth */
    do {
      uint64_t w = ((uint64_t)core_fmt_digits4_tab[lo] |
                    (uint64_t)',' << 32) << sh | h1;
      memcpy(o, &h0, 8);
      memcpy(o + 8, &w, 8);
      o += hl + 5;
    } while (++p < end && o <= lim && (lo = (uint64_t)*p - base) < 10000);
  } else {
    do {
      memcpy(o, &h0, 8);
      memcpy(o + 8, &h1, 8);
      o += hl;
      memcpy(o, &core_fmt_digits4_tab[lo], 4);
      o[4] = ',';
      o += 5;
    } while (++p < end && o <= lim && (lo = (uint64_t)*p - base) < 10000);
  }
  *pp = p;
  return o;
}

/*
 * The timestamps of s likewise, most by four digits (ts_window): a sorted
 * series' timestamps share their leading digits, so the text of ts / 10^4
 * is made once for each window of 10^4 ms. Timestamps below 10^4 (and
 * negative ones) are written whole. Each is followed by a comma, the last
 * one dropped.
 */
static void timestamps_json(struct core_strbuf *b, const struct qcols *s) {
  const int64_t *p = s->ts, *end = s->ts + s->n;
  struct chunk c;
  char hi[CORE_FMT_NUM_BYTES], *lim, *o = chunk_open(&c, b, &lim);

  while (p < end) {
    int64_t ts = *p;
    size_t hl;
    if (o > lim) {
      chunk_close(&c, b, o);
      o = chunk_open(&c, b, &lim);
    }
    if (ts < 10000) {
      o += core_fmt_i64(ts, o);
      *o++ = ',';
      p++;
      continue;
    }
    hl = (size_t)core_fmt_i64(ts / 10000, hi); /* <= 15 digits */
    o = ts_window(o, lim, &p, end, hi, hl, (uint64_t)(ts - ts % 10000));
  }
  chunk_close(&c, b, o - (s->n > 0));
}

/* Sort the columns of s by time when a point came out of order, stably
 * (net_qpoints_sort's order: duplicates keep theirs). 0 or -ENOMEM. */
static int cols_sort(struct qcols *s) {
  struct net_qpoints tmp = {.n = s->n, .cap = s->n, .unsorted = true};

  if (!s->unsorted)
    return 0;
  if ((tmp.p = malloc(s->n * sizeof(*tmp.p))) == NULL)
    return -ENOMEM;
  for (size_t i = 0; i < s->n; i++)
    tmp.p[i] = (struct net_qpoint){s->ts[i], s->v[i]};
  if (net_qpoints_sort(&tmp) < 0) {
    free(tmp.p);
    return -ENOMEM;
  }
  for (size_t i = 0; i < s->n; i++) {
    s->ts[i] = tmp.p[i].ts;
    s->v[i] = tmp.p[i].v;
  }
  free(tmp.p);
  s->unsorted = false;
  return 0;
}

static int export_series(struct query *q, struct core_strbuf *b, uint32_t i) {
  struct qcols *s = &q->pts[i];
  const char *key;
  size_t len;

  if (s->n == 0)
    return 0;
  if (cols_sort(s) < 0)
    return -ENOMEM;
  key = net_strset_str(&q->set, i, &len);
  core_strbuf_append(b, "{\"metric\":", 10);
  labels_json(q, b, key, len);
  core_strbuf_append(b, ",\"values\":[", 11);
  values_json(b, s);
  core_strbuf_append(b, "],\"timestamps\":[", 16);
  timestamps_json(b, s);
  core_strbuf_append(b, "]}\n", 3);
  return b->failed ? -E2BIG : 0;
}

void net_query_export(const struct net_query_env *env,
                      const struct net_http_request *req,
                      struct net_http_response *resp) {
  struct query *q = query_new(env, req, resp, Q_EXPORT);
  uint32_t *order;
  int rc = 0;

  if (q == NULL || query_run(q, resp) < 0)
    goto out;
  if ((order = net_strset_sorted(&q->set)) == NULL) {
    reply_error(resp, 503, "unavailable", "out of memory");
    goto out;
  }
  resp->content_type = "application/stream+json; charset=utf-8";
  /* Most replies are a few numbers of 14 and 5 bytes a point: room for 24
   * a point up front spares the copies of growing by doubling. */
  core_strbuf_presize(&resp->body, q->points * 24 + q->set.count * 256);
  for (uint32_t i = 0; i < q->set.count && rc == 0; i++)
    rc = export_series(q, &resp->body, order[i]);
  free(order);
  if (rc == -ENOMEM)
    reply_error(resp, 503, "unavailable", "out of memory");
  check_size(resp);
out:
  if (q)
    query_free(q);
}

/* {"status":"success","data":[...]} of the set, sorted. */
static void reply_set(struct query *q, struct net_http_response *resp) {
  struct core_strbuf *b = &resp->body;
  uint32_t *order = net_strset_sorted(&q->set);

  if (order == NULL) {
    reply_error(resp, 503, "unavailable", "out of memory");
    return;
  }
  resp->content_type = "application/json";
  core_strbuf_append(b, "{\"status\":\"success\",\"data\":[", 28);
  for (uint32_t i = 0; i < q->set.count && !b->failed; i++) {
    size_t len;
    const char *s = net_strset_str(&q->set, order[i], &len);
    if (i)
      core_strbuf_append(b, ",", 1);
    if (q->mode == Q_SERIES)
      labels_json(q, b, s, len);
    else
      net_query_json_str(b, s, len);
  }
  core_strbuf_append(b, "]}\n", 3);
  free(order);
  check_size(resp);
}

static void serve_set(const struct net_query_env *env,
                      const struct net_http_request *req,
                      struct net_http_response *resp, enum qmode mode,
                      const char *label, size_t label_len) {
  struct query *q = query_new(env, req, resp, mode);

  if (q == NULL)
    return;
  memcpy(q->label, label, label_len);
  q->label_len = label_len;
  if (query_run(q, resp) == 0)
    reply_set(q, resp);
  query_free(q);
}

void net_query_series(const struct net_query_env *env,
                      const struct net_http_request *req,
                      struct net_http_response *resp) {
  serve_set(env, req, resp, Q_SERIES, "", 0);
}

void net_query_labels(const struct net_query_env *env,
                      const struct net_http_request *req,
                      struct net_http_response *resp) {
  serve_set(env, req, resp, Q_LABELS, "", 0);
}

void net_query_label_values(const struct net_query_env *env,
                            const struct net_http_request *req,
                            struct net_http_response *resp) {
  static const char prefix[] = "/api/v1/label/", suffix[] = "/values";
  char name[CORE_SERIES_KEY_BYTES_MAX];
  size_t len = strlen(req->path), pl = sizeof(prefix) - 1,
         sl = sizeof(suffix) - 1;
  int n;

  if (len <= pl + sl || strncmp(req->path, prefix, pl) != 0 ||
      strcmp(req->path + len - sl, suffix) != 0) {
    reply_error(resp, 404, "not_found",
                "not found: use /api/v1/label/NAME/values");
    return;
  }
  n = net_http_url_decode(req->path + pl, len - pl - sl, false, name,
                          sizeof(name));
  if (n <= 0) {
    bad_data(resp, "label name too long or empty");
    return;
  }
  serve_set(env, req, resp, Q_VALUES, name, (size_t)n);
}
