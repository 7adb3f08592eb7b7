/*
 * net/query/query_logs.c - GET /api/v1/logs (see net/query_api.h and
 * docs/query-api.md "Logs").
 *
 * One log scan (storage/reader.h) over [start, end]; each record that
 * passes contains= and match= is rendered to its NDJSON line at once and
 * kept in a min-heap of the newest `limit` lines (by time, then scan
 * order), the lines themselves in one arena compacted in place when half
 * of it is garbage. The heap is sorted and written oldest first at the
 * end. Memory stays bounded by limit and the response bound whatever the
 * range holds.
 */
#include "net/query/query_api.h"

#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/base/limits.h"
#include "net/query/json.h"
#include "net/query/logmatch.h"
#include "net/query/query_types.h"
#include "net/query/regex_bound.h"
#include "core/base/strbuf.h"
#include "core/base/timefmt_types.h"
#include "core/parse/syslog.h"
#include "net/http.h"
#include "storage/logscan.h"

#define ARENA_BYTES_MIN (64u << 10)

/* ---- rendering ----------------------------------------------------------- */

/* n digits of v (zero-padded) at out. */
static void put_digits(char *out, uint64_t v, int n) {
  while (n-- > 0) {
    out[n] = (char)('0' + v % 10);
    v /= 10;
  }
}

int net_query_format_time_ns(int64_t ns, char *out) {
  int64_t s = ns / CORE_NS_PER_S - (ns % CORE_NS_PER_S < 0);
  int64_t frac = ns % CORE_NS_PER_S + (ns % CORE_NS_PER_S < 0 ? CORE_NS_PER_S : 0);
  int64_t z = s / 86400 - (s % 86400 < 0), sod = s - z * 86400;
  /* civil from days (H. Hinnant), proleptic Gregorian */
  int64_t era, y;
  unsigned doe, yoe, doy, mp, d, m;

  z += 719468;
  era = (z >= 0 ? z : z - 146096) / 146097;
  doe = (unsigned)(z - era * 146097);
  yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  mp = (5 * doy + 2) / 153;
  d = doy - (153 * mp + 2) / 5 + 1;
  m = mp < 10 ? mp + 3 : mp - 9;
  y = (int64_t)yoe + era * 400 + (m <= 2);
  memcpy(out, "0000-00-00T00:00:00.000000000Z", 31);
  put_digits(out, (uint64_t)y, 4); /* int64 ns spans 1677..2262 */
  put_digits(out + 5, m, 2);
  put_digits(out + 8, d, 2);
  put_digits(out + 11, (uint64_t)(sod / 3600), 2);
  put_digits(out + 14, (uint64_t)(sod / 60 % 60), 2);
  put_digits(out + 17, (uint64_t)(sod % 60), 2);
  put_digits(out + 20, (uint64_t)frac, 9);
  return 30;
}

/* ,"key":"value" (both escaped) */
static void json_pair(struct core_strbuf *b, const char *k, size_t kn,
                      const char *v, size_t vn) {
  core_strbuf_append(b, ",", 1);
  net_query_json_str(b, k, kn);
  core_strbuf_append(b, ":", 1);
  net_query_json_str(b, vn ? v : "", vn);
}

static void json_field(struct core_strbuf *b, const char *name,
                       const struct core_syslog_str *v) {
  json_pair(b, name, strlen(name), v->ptr, v->len);
}

int net_query_log_line(struct core_strbuf *b, const struct stor_log_rec *r,
                       struct core_strbuf *scratch) {
  /* OTLP attribute keys ("attr.KEY", "resource.KEY") are longer than
   * syslog's SD-ID.PARAM-NAME */
  char t[32], key[NET_LOG_ATTR_KEY_BYTES_MAX];
  bool otlp = (r->flags & CORE_SYSLOG_F_OTLP) != 0;

  core_strbuf_append(b, "{\"_time\":\"", 10);
  core_strbuf_append(b, t, (size_t)net_query_format_time_ns(r->time_ns, t));
  core_strbuf_append(b, "\"", 1);
  json_field(b, "_msg", &r->msg);
  json_field(b, "host", &r->host);
  json_field(b, "app", &r->app);
  if (otlp) {
    /* an OTLP record: no facility, procid or msgid of its own; its
     * fields are the otel.* attributes (docs/otlp.md "Logs") */
    core_strbuf_appendf(b, ",\"severity\":%u,\"_proto\":\"otlp\"",
                        r->severity);
  } else {
    core_strbuf_appendf(b, ",\"severity\":%u,\"facility\":%u", r->severity,
                        r->facility);
    json_field(b, "procid", &r->procid);
    json_field(b, "msgid", &r->msgid);
  }
  if (r->flags & CORE_SYSLOG_F_PARSE_ERROR)
    core_strbuf_append(b, ",\"_parse_error\":true", 20);
  for (uint32_t i = 0; i < r->attr_count; i++) {
    const char *v;
    size_t kn = core_syslog_attr_key(&r->attrs[i], key, sizeof(key)), vn;
    if (kn > sizeof(key) || !core_logattr_first(r, i))
      continue;
    vn = core_logattr_value(r, i, scratch, &v);
    json_pair(b, key, kn, v, vn);
  }
  core_strbuf_append(b, "}\n", 2);
  return b->failed ? -ENOMEM : 0;
}

/* ---- a query ------------------------------------------------------------- */

/* One kept line: its time and storage position (the key), its bytes. */
struct kept {
  int64_t t;
  struct stor_logpos at;
  uint64_t off;
  size_t len;
};

struct logq {
  const char *data_dir;
  struct net_logmatch lm;
  char contains[NET_SELECTOR_BYTES_MAX + 1];
  size_t contains_len;
  int64_t start_ns, end_ns;
  uint32_t limit;
  struct kept *heap;       /* min-heap on (t, at): the oldest on top */
  uint32_t n;
  char *arena;             /* the kept lines (and garbage) */
  size_t used, cap, live;
  struct stor_logpos at;   /* of the record being handed over */
  bool truncated;          /* a matching record was left out */
  struct core_strbuf line, join;
};

/* Storage order: shard, segment, block offset, record index. */
static int pos_cmp(const struct stor_logpos *a, const struct stor_logpos *b) {
  if (a->shard != b->shard)
    return a->shard < b->shard ? -1 : 1;
  if (a->segment != b->segment)
    return a->segment < b->segment ? -1 : 1;
  if (a->offset != b->offset)
    return a->offset < b->offset ? -1 : 1;
  return a->index < b->index ? -1 : a->index > b->index;
}

static bool older(const struct kept *a, const struct kept *b) {
  return a->t < b->t || (a->t == b->t && pos_cmp(&a->at, &b->at) < 0);
}

static void sift_up(struct kept *h, uint32_t i) {
  while (i > 0 && older(&h[i], &h[(i - 1) / 2])) {
    struct kept x = h[i];
    h[i] = h[(i - 1) / 2];
    h[(i - 1) / 2] = x;
    i = (i - 1) / 2;
  }
}

static void sift_down(struct kept *h, uint32_t n, uint32_t i) {
  for (;;) {
    uint32_t l = 2 * i + 1, m = i;
    if (l < n && older(&h[l], &h[m]))
      m = l;
    if (l + 1 < n && older(&h[l + 1], &h[m]))
      m = l + 1;
    if (m == i)
      return;
    struct kept x = h[i];
    h[i] = h[m];
    h[m] = x;
    i = m;
  }
}

static int by_off(const void *a, const void *b, void *ctx) {
  const struct kept *h = ctx;
  uint64_t x = h[*(const uint32_t *)a].off, y = h[*(const uint32_t *)b].off;

  return (x > y) - (x < y);
}

/* Move the kept lines to the front of the arena, in place. */
static int compact(struct logq *q) {
  uint32_t *order = malloc(((size_t)q->n + 1) * sizeof(*order));
  size_t w = 0;

  if (order == NULL)
    return -ENOMEM;
  for (uint32_t i = 0; i < q->n; i++)
    order[i] = i;
  qsort_r(order, q->n, sizeof(*order), by_off, q->heap);
  for (uint32_t i = 0; i < q->n; i++) {
    struct kept *k = &q->heap[order[i]];
    memmove(q->arena + w, q->arena + k->off, k->len);
    k->off = w;
    w += k->len;
  }
  q->used = w;
  free(order);
  return 0;
}

/* Room for n more bytes at q->arena + q->used. */
static int arena_room(struct logq *q, size_t n) {
  size_t cap = q->cap ? q->cap : ARENA_BYTES_MIN;
  char *p;
  int rc;

  if (q->live + n > NET_HTTP_RESPONSE_BYTES_MAX)
    return -E2BIG;
  if (q->used + n <= q->cap)
    return 0;
  if (q->used && q->used - q->live >= q->used / 2 &&
      (rc = compact(q)) < 0)
    return rc;
  if (q->used + n <= q->cap)
    return 0;
  while (cap < q->used + n)
    cap *= 2;
  if ((p = realloc(q->arena, cap)) == NULL)
    return -ENOMEM;
  q->arena = p;
  q->cap = cap;
  return 0;
}

/* Keep the line in q->line as the record (t, at), in place of the
 * oldest kept one when the heap is full. */
static int keep(struct logq *q, int64_t t, const struct stor_logpos *at) {
  size_t n = q->line.len;
  struct kept k = {t, *at, 0, n};
  int rc;

  if (q->n == q->limit) {
    q->live -= q->heap[0].len;
    q->heap[0].len = 0; /* garbage now: compaction drops it */
  }
  if ((rc = arena_room(q, n)) < 0)
    return rc;
  memcpy(q->arena + q->used, q->line.data, n);
  k.off = q->used;
  q->used += n;
  q->live += n;
  if (q->n == q->limit) {
    q->heap[0] = k;
    sift_down(q->heap, q->n, 0);
  } else {
    q->heap[q->n] = k;
    sift_up(q->heap, q->n++);
  }
  return 0;
}

static int on_record(void *ctx, unsigned shard, const struct stor_log_rec *r) {
  struct logq *q = ctx;
  struct kept k = {r->time_ns, q->at, 0, 0};
  bool hit;

  (void)shard; /* q->at holds it */
  if (q->contains_len &&
      (r->msg.len < q->contains_len ||
       memmem(r->msg.ptr, r->msg.len, q->contains, q->contains_len) == NULL))
    return 0;
  hit = q->lm.count == 0 || net_logmatch_eval(&q->lm, r, &q->join);
  if (net_regex_expired())
    return -ETIME;  /* a regex was skipped at the deadline */
  if (!hit)
    return 0;
  if (q->n == q->limit) {
    q->truncated = true;
    if (older(&k, &q->heap[0]))
      return 0;
  }
  q->line.len = 0;
  if (net_query_log_line(&q->line, r, &q->join) < 0)
    return -E2BIG;
  return keep(q, r->time_ns, &q->at);
}

/*
 * Once a matching record was left out (the heap is full and the reply
 * says so), nothing older than the oldest kept record can matter: the
 * scan may skip it, whole blocks at a time. Scanning newest first makes
 * that happen after about `limit` records.
 */
static int64_t time_floor(void *ctx) {
  const struct logq *q = ctx;

  return q->truncated && q->n == q->limit ? q->heap[0].t : INT64_MIN;
}

static int newest_last(const void *a, const void *b) {
  return older(a, b) ? -1 : older(b, a) ? 1 : 0;
}

static void logq_free(struct logq *q) {
  net_logmatch_free(&q->lm);
  core_strbuf_free(&q->line);
  core_strbuf_free(&q->join);
  free(q->heap);
  free(q->arena);
  free(q);
}

/* ---- parameters and replies ---------------------------------------------- */

static int reply(struct net_http_response *resp, int status, const char *type,
                 const char *fmt, ...) __attribute__((format(printf, 4, 5)));

/* An error reply (Prometheus API JSON); returns -EINVAL for chaining. */
static int reply(struct net_http_response *resp, int status, const char *type,
                 const char *fmt, ...) {
  char msg[2 * NET_SELECTOR_BYTES_MAX + 512];
  va_list ap;

  va_start(ap, fmt);
  vsnprintf(msg, sizeof(msg), fmt, ap);
  va_end(ap);
  core_strbuf_free(&resp->body);
  resp->status = status;
  resp->content_type = "application/json";
  core_strbuf_appendf(&resp->body, "{\"status\":\"error\",\"errorType\":"
                                   "\"%s\",\"error\":", type);
  net_query_json_str(&resp->body, msg, strlen(msg));
  core_strbuf_append(&resp->body, "}\n", 2);
  return -EINVAL;
}

/* Parameter name into out (cap with the NUL): its length, 0 when absent
 * or empty, or -EINVAL after a 400 when too long. */
static int param(const struct net_http_request *req,
                 struct net_http_response *resp, const char *name, char *out,
                 size_t cap) {
  int n = net_http_query_param(req, name, 0, out, cap);

  out[n < 0 ? 0 : n] = '\0';
  if (n == -ENOENT)
    return 0;
  if (n < 0)
    return reply(resp, 400, "bad_data", "invalid parameter \"%s\": longer "
                 "than %zu bytes", name, cap - 1);
  return n;
}

/* start= (end: false) or end= as ns; the end takes its whole ms. */
static int time_param(const struct net_http_request *req,
                      struct net_http_response *resp, bool end, int64_t *ns) {
  const char *name = end ? "end" : "start";
  char text[CORE_QUERY_PARAM_BYTES_MAX];
  int64_t ms;
  int n = param(req, resp, name, text, sizeof(text));

  *ns = end ? INT64_MAX : INT64_MIN;
  if (n <= 0)
    return n;
  if (net_query_parse_time(text, &ms) < 0)
    return reply(resp, 400, "bad_data", "invalid parameter \"%s\": cannot "
                 "parse \"%s\" to a valid timestamp (use ms, seconds or RFC "
                 "3339)", name, text);
  if (ms >= INT64_MAX / CORE_NS_PER_MS || ms <= INT64_MIN / CORE_NS_PER_MS)
    *ns = ms > 0 ? INT64_MAX : INT64_MIN;
  else
    *ns = ms * CORE_NS_PER_MS + (end ? CORE_NS_PER_MS - 1 : 0);
  return 0;
}

static int limit_param(const struct net_http_request *req,
                       struct net_http_response *resp, uint32_t *limit) {
  char text[CORE_QUERY_PARAM_BYTES_MAX];
  int n = param(req, resp, "limit", text, sizeof(text));

  *limit = CORE_LOGS_LIMIT_DEFAULT;
  if (n <= 0)
    return n;
  if ((size_t)n > 9 || strspn(text, "0123456789") != (size_t)n ||
      (*limit = (uint32_t)strtoul(text, NULL, 10)) == 0 ||
      *limit > CORE_LOGS_LIMIT_MAX)
    return reply(resp, 400, "bad_data", "invalid parameter \"limit\": \"%s\" "
                 "is not an integer from 1 to %d", text, CORE_LOGS_LIMIT_MAX);
  return 0;
}

static int parse_params(struct logq *q, const struct net_http_request *req,
                        struct net_http_response *resp) {
  char text[NET_SELECTOR_BYTES_MAX + 1];
  struct core_sel_error err;
  int n, rc = 0;

  if ((n = param(req, resp, "match", text, sizeof(text))) < 0 ||
      (rc = param(req, resp, "contains", q->contains,
                  sizeof(q->contains))) < 0 ||
      time_param(req, resp, false, &q->start_ns) < 0 ||
      time_param(req, resp, true, &q->end_ns) < 0 ||
      limit_param(req, resp, &q->limit) < 0)
    return -EINVAL;
  q->contains_len = (size_t)rc;
  if (q->end_ns < q->start_ns)
    return reply(resp, 400, "bad_data", "invalid parameter \"end\": end "
                 "timestamp must not be before start time");
  rc = net_logmatch_parse(&q->lm, text, (size_t)n, &err);
  if (rc == -ENOMEM)
    return reply(resp, 503, "unavailable", "out of memory");
  if (rc < 0)
    return reply(resp, 400, "bad_data", "invalid parameter \"match\": %s: "
                 "parse error at position %zu: %s", text, err.pos, err.msg);
  return 0;
}

/* The reply for a failed scan. */
static void scan_error(struct logq *q, struct net_http_response *resp,
                       int rc) {
  if (rc == -ETIME)
    reply(resp, 503, "timeout", "query exceeded its time budget of %d ms; "
          "narrow the time range, match or contains", CORE_QUERY_TIME_MS_MAX);
  else if (rc == -E2BIG)
    reply(resp, 422, "execution", "the newest %u matching records come to "
          "more than %d bytes; lower limit or narrow the query", q->limit,
          NET_HTTP_RESPONSE_BYTES_MAX);
  else if (rc == -ENOMEM)
    reply(resp, 503, "unavailable", "out of memory");
  else
    reply(resp, 500, "internal", "reading segments of %s: %s", q->data_dir,
          strerror(-rc));
}

static int run_scan(struct logq *q) {
  struct stor_scan_stats st = {0};
  struct stor_logscan sc = {.data_dir = q->data_dir, .start_ns = q->start_ns,
                            .end_ns = q->end_ns, .fn = on_record, .ctx = q,
                            .newest_first = 1, .floor = time_floor,
                            .pos = &q->at};
  int rc;

  sc.deadline_ms = net_query_deadline_start();
  rc = stor_logscan_run(&sc, &st);
  net_regex_deadline(0);
  return rc;
}

/* The kept lines, oldest first. */
static void write_lines(struct logq *q, struct net_http_response *resp) {
  qsort(q->heap, q->n, sizeof(*q->heap), newest_last);
  resp->content_type = "application/stream+json; charset=utf-8";
  for (uint32_t i = 0; i < q->n; i++)
    core_strbuf_append(&resp->body, q->arena + q->heap[i].off,
                       q->heap[i].len);
  if (resp->body.failed)
    scan_error(q, resp, -E2BIG);
  else if (q->truncated)
    net_http_response_header(resp, "X-Sluice-Logs-Truncated", "true");
}

void net_query_logs_dir(const char *data_dir,
                        const struct net_http_request *req,
                        struct net_http_response *resp) {
  struct logq *q = calloc(1, sizeof(*q));
  int rc;

  if (q == NULL) {
    reply(resp, 503, "unavailable", "out of memory");
    return;
  }
  q->data_dir = data_dir;
  core_strbuf_init(&q->line, NET_HTTP_RESPONSE_BYTES_MAX);
  core_strbuf_init(&q->join, 2 * CORE_SYSLOG_BYTES_MAX_LIMIT);
  if (parse_params(q, req, resp) < 0)
    goto out;
  if ((q->heap = malloc(q->limit * sizeof(*q->heap))) == NULL) {
    reply(resp, 503, "unavailable", "out of memory");
    goto out;
  }
  if ((rc = run_scan(q)) < 0)
    scan_error(q, resp, rc);
  else
    write_lines(q, resp);
out:
  logq_free(q);
}

void net_query_logs(const struct net_query_env *env,
                    const struct net_http_request *req,
                    struct net_http_response *resp) {
  net_query_logs_dir(env->data_dir, req, resp);
}
