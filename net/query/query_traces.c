/*
 * net/query/query_traces.c - GET /api/v1/traces/TRACE_ID and GET
 * /api/v1/spans (see net/query/query_api.h and docs/query-api.md
 * "Traces").
 *
 * Both run span scans (storage/spanscan.h). A trace lookup scans for its
 * id (blocks without it cost a read of their trace table, no inflate) and
 * renders every span it finds. /api/v1/spans scans newest first and
 * renders what matches while it is at most `limit` spans, remembering the
 * start times of the newest `limit` in a min-heap (whose oldest is then
 * the scan's floor: older blocks are not inflated); when more matched, a
 * second scan from that floor renders only the newest ones. Memory stays bounded by
 * limit and the response bound whatever the range holds.
 */
#include "net/query/query_api.h"

#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "core/base/limits.h"
#include "core/base/strbuf.h"
#include "core/parse/otlp_render.h"
#include "net/http.h"
#include "net/query/json.h"
#include "net/query/query_types.h"
#include "net/query/regex_bound.h"
#include "simd/simd.h"
#include "storage/spanscan.h"

/* ---- rendering ----------------------------------------------------------- */

static void put_hex(struct core_strbuf *b, const uint8_t *id, size_t n) {
  static const char digits[] = "0123456789abcdef";
  char s[2 * STOR_TRACE_ID_BYTES + 2];

  s[0] = '"';
  for (size_t i = 0; i < n; i++) {
    s[1 + 2 * i] = digits[id[i] >> 4];
    s[2 + 2 * i] = digits[id[i] & 15];
  }
  core_strbuf_append(b, s, 1 + 2 * n);
  core_strbuf_append(b, "\"", 1);
}

/* "key": string value */
static void put_str_field(struct core_strbuf *b, const char *key,
                          struct core_otlp_str v) {
  core_strbuf_appendf(b, ",\"%s\":", key);
  net_query_json_str(b, v.ptr, v.len);
}

static void put_ns(struct core_strbuf *b, const char *key, int64_t ns) {
  core_strbuf_appendf(b, ",\"%s\":\"%" PRIu64 "\"", key, (uint64_t)ns);
}

/*
 * v as JSON: a string here (bytes that are not UTF-8 as \ufffd, as every
 * string of the reply); any other value as the log mapping renders
 * non-string values (core_otlp_value_json: ints, doubles and bools bare,
 * bytes as hex, arrays and kvlists as JSON), its strings' bytes checked
 * the same way. The rendering is bounded by NET_SPAN_VALUE_JSON_GROWTH
 * times the stored bytes (more only from a value sluice does not store:
 * served as null) and by the reply's bound (b->failed).
 */
static void put_value(struct core_strbuf *b, const struct core_otlp_value *v) {
  size_t raw = v->type == CORE_OTLP_V_ARRAY || v->type == CORE_OTLP_V_KVLIST ||
                       v->type == CORE_OTLP_V_BYTES
                   ? v->s.len : 0;
  size_t cap = NET_SPAN_VALUE_JSON_GROWTH * raw + 32, n;
  bool cut = cap >= b->max - b->len;
  char *p, *copy;

  if (v->type == CORE_OTLP_V_STRING) {
    net_query_json_str(b, v->s.ptr, v->s.len);
    return;
  }
  if (cut)
    cap = b->max - b->len;
  if ((p = core_strbuf_room(b, cap)) == NULL) /* no memory: failed set */
    return;
  if ((n = core_otlp_value_json(v, p, cap)) > cap) {
    if (cut)
      b->failed = 1;
    else
      core_strbuf_append(b, "null", 4);
  } else if (simd_utf8_valid(p, n)) {
    core_strbuf_commit(b, n);
  } else if ((copy = malloc(n)) == NULL) {
    b->failed = 1;
  } else {
    memcpy(copy, p, n);
    net_query_json_utf8(b, copy, n);
    free(copy);
  }
}

/* ,"key":{"k":v,...} (repeated keys repeat, as sent) */
static void put_attrs(struct core_strbuf *b, const char *key,
                      const struct core_otlp_attrs *a) {
  core_strbuf_appendf(b, ",\"%s\":{", key);
  for (uint32_t i = 0; i < a->n; i++) {
    if (i)
      core_strbuf_append(b, ",", 1);
    net_query_json_str(b, a->v[i].key.ptr, a->v[i].key.len);
    core_strbuf_append(b, ":", 1);
    put_value(b, &a->v[i].value);
  }
  core_strbuf_append(b, "}", 1);
}

static const char *kind_name(uint32_t k) {
  static const char *const names[] = {
      "SPAN_KIND_UNSPECIFIED", "SPAN_KIND_INTERNAL", "SPAN_KIND_SERVER",
      "SPAN_KIND_CLIENT",      "SPAN_KIND_PRODUCER", "SPAN_KIND_CONSUMER"};
  return k < sizeof(names) / sizeof(names[0]) ? names[k] : NULL;
}

static const char *status_name(uint32_t c) {
  static const char *const names[] = {"STATUS_CODE_UNSET", "STATUS_CODE_OK",
                                      "STATUS_CODE_ERROR"};
  return c < sizeof(names) / sizeof(names[0]) ? names[c] : NULL;
}

/* An enum by name, or as its number when sluice knows no name for it. */
static void put_enum(struct core_strbuf *b, const char *key, const char *name,
                     uint32_t v) {
  if (name)
    core_strbuf_appendf(b, "\"%s\":\"%s\"", key, name);
  else
    core_strbuf_appendf(b, "\"%s\":%" PRIu32, key, v);
}

static void put_children(struct core_strbuf *b, const struct stor_span *s) {
  core_strbuf_append(b, ",\"events\":[", 11);
  for (uint32_t i = 0; i < s->event_count; i++) {
    core_strbuf_append(b, i ? ",{" : "{", i ? 2 : 1);
    core_strbuf_appendf(b, "\"timeUnixNano\":\"%" PRIu64 "\"",
                        (uint64_t)s->events[i].time_ns);
    put_str_field(b, "name", s->events[i].name);
    put_attrs(b, "attributes", &s->events[i].attrs);
    core_strbuf_append(b, "}", 1);
  }
  core_strbuf_append(b, "],\"links\":[", 11);
  for (uint32_t i = 0; i < s->link_count; i++) {
    const struct stor_span_link *l = &s->links[i];
    core_strbuf_append(b, i ? ",{\"traceId\":" : "{\"traceId\":", i ? 12 : 11);
    put_hex(b, l->trace_id, STOR_TRACE_ID_BYTES);
    core_strbuf_append(b, ",\"spanId\":", 10);
    put_hex(b, l->span_id, STOR_SPAN_ID_BYTES);
    put_str_field(b, "traceState", l->trace_state);
    core_strbuf_appendf(b, ",\"flags\":%" PRIu32, l->flags);
    put_attrs(b, "attributes", &l->attrs);
    core_strbuf_append(b, "}", 1);
  }
  core_strbuf_append(b, "]", 1);
}

int net_query_span_json(struct core_strbuf *b, const struct stor_span *s) {
  core_strbuf_append(b, "{\"traceId\":", 11);
  put_hex(b, s->trace_id, STOR_TRACE_ID_BYTES);
  core_strbuf_append(b, ",\"spanId\":", 10);
  put_hex(b, s->span_id, STOR_SPAN_ID_BYTES);
  core_strbuf_append(b, ",\"parentSpanId\":", 16);
  if (s->has_parent)
    put_hex(b, s->parent_id, STOR_SPAN_ID_BYTES);
  else
    core_strbuf_append(b, "\"\"", 2);
  put_str_field(b, "service", s->res->service);
  put_str_field(b, "name", s->name);
  core_strbuf_append(b, ",", 1);
  put_enum(b, "kind", kind_name(s->kind), s->kind);
  put_ns(b, "startTimeUnixNano", s->start_ns);
  put_ns(b, "endTimeUnixNano", s->end_ns);
  core_strbuf_append(b, ",\"status\":{", 11);
  put_enum(b, "code", status_name(s->status_code), s->status_code);
  put_str_field(b, "message", s->status_message);
  core_strbuf_append(b, "}", 1);
  put_str_field(b, "traceState", s->trace_state);
  core_strbuf_appendf(b, ",\"flags\":%" PRIu32, s->flags);
  put_attrs(b, "attributes", &s->attrs);
  put_children(b, s);
  put_attrs(b, "resource", &s->res->attrs);
  core_strbuf_append(b, ",\"scope\":{\"name\":", 17);
  net_query_json_str(b, s->res->scope_name.ptr, s->res->scope_name.len);
  put_str_field(b, "version", s->res->scope_version);
  core_strbuf_append(b, "}}", 2);
  return b->failed ? -ENOMEM : 0;
}

/* ---- rendered spans, kept for sorting ------------------------------------ */

struct item {
  int64_t start;
  uint64_t seq;   /* scan order: ties keep it */
  size_t off, len;
};

struct spanq {
  const char *data_dir;
  uint8_t trace_id[STOR_TRACE_ID_BYTES];
  char service[CORE_SPAN_NAME_BYTES_MAX + 1], name[CORE_SPAN_NAME_BYTES_MAX + 1];
  size_t service_len, name_len;
  int64_t start_ns, end_ns;
  uint32_t limit;
  struct core_strbuf buf;   /* rendered spans, back to back */
  struct item *items;
  uint32_t n, cap, max;     /* max: items kept before -E2BIG */
  uint64_t seq;
  /* /api/v1/spans: start times of the newest `limit` matches (min-heap) */
  int64_t *heap;
  uint32_t heap_n;
  uint64_t matched;
  bool rendering;           /* matches are rendered (phase 1 until more
                               than limit matched; phase 2: those from
                               the threshold on) */
  int64_t threshold;
};

static int keep(struct spanq *q, const struct stor_span *s) {
  size_t off = q->buf.len;

  if (q->n == q->max)
    return -E2BIG;
  if (q->n == q->cap) {
    uint32_t cap = q->cap ? 2 * q->cap : 64;
    struct item *p = realloc(q->items, cap * sizeof(*p));
    if (p == NULL)
      return -ENOMEM;
    q->items = p;
    q->cap = cap;
  }
  if (net_query_span_json(&q->buf, s) < 0)
    return -E2BIG;
  q->items[q->n++] = (struct item){s->start_ns, q->seq++, off,
                                   q->buf.len - off};
  return 0;
}

static int by_start(const void *a, const void *b) {
  const struct item *x = a, *y = b;

  if (x->start != y->start)
    return x->start < y->start ? -1 : 1;
  return (x->seq > y->seq) - (x->seq < y->seq);
}

/* Newest first; among equal starts, scan order. */
static int newest_first(const void *a, const void *b) {
  const struct item *x = a, *y = b;

  if (x->start != y->start)
    return x->start > y->start ? -1 : 1;
  return (x->seq > y->seq) - (x->seq < y->seq);
}

/* The kept spans in start order as a JSON array into resp. */
static void write_spans(struct spanq *q, struct net_http_response *resp) {
  if (q->n > 0) /* items is NULL when nothing was kept */
    qsort(q->items, q->n, sizeof(*q->items), by_start);
  core_strbuf_append(&resp->body, "\"spans\":[", 9);
  for (uint32_t i = 0; i < q->n; i++) {
    if (i)
      core_strbuf_append(&resp->body, ",", 1);
    core_strbuf_append(&resp->body, q->buf.data + q->items[i].off,
                       q->items[i].len);
  }
  core_strbuf_append(&resp->body, "]", 1);
}

static void spanq_free(struct spanq *q) {
  core_strbuf_free(&q->buf);
  free(q->items);
  free(q->heap);
  free(q);
}

static struct spanq *spanq_new(const char *data_dir) {
  struct spanq *q = calloc(1, sizeof(*q));

  if (q == NULL)
    return NULL;
  q->data_dir = data_dir;
  q->start_ns = INT64_MIN;
  q->end_ns = INT64_MAX;
  core_strbuf_init(&q->buf, NET_HTTP_RESPONSE_BYTES_MAX);
  return q;
}

/* The reply for a failed scan. */
static void scan_error(const struct spanq *q, struct net_http_response *resp,
                       int rc) {
  if (rc == -ETIME)
    net_query_error(resp, 503, "timeout", "query exceeded its time budget "
                    "of %d ms; narrow the time range or the filters",
                    CORE_QUERY_TIME_MS_MAX);
  else if (rc == -E2BIG)
    net_query_error(resp, 422, "execution", "the spans come to more than "
                    "%u spans or %d bytes; lower limit or narrow the query",
                    q->max, NET_HTTP_RESPONSE_BYTES_MAX);
  else if (rc == -ENOMEM)
    net_query_error(resp, 503, "unavailable", "out of memory");
  else
    net_query_error(resp, 500, "internal", "reading segments of %s: %s",
                    q->data_dir, strerror(-rc));
}

/* A span scan from start to q->end_ns; /api/v1/spans (no trace_id) goes
 * newest first with a floor (time_floor). */
static int64_t time_floor(void *ctx);

static int run_scan(struct spanq *q, const uint8_t *trace_id, int64_t start,
                    stor_spanscan_fn fn) {
  struct stor_scan_stats st = {0};
  struct stor_spanscan sc = {.data_dir = q->data_dir, .trace_id = trace_id,
                             .start_ns = start, .end_ns = q->end_ns,
                             .fn = fn, .ctx = q,
                             .newest_first = trace_id == NULL,
                             .floor = trace_id ? NULL : time_floor};
  int rc;

  sc.deadline_ms = net_query_deadline_start();
  rc = stor_spanscan_run(&sc, &st);
  net_regex_deadline(0);
  return rc;
}

/* ---- GET /api/v1/traces/TRACE_ID ----------------------------------------- */

/* 32 hex digits into 16 bytes. Returns 0 or -EINVAL. */
static int parse_trace_id(const char *s, uint8_t *id) {
  static const char hex[] = "0123456789abcdefABCDEF";

  if (strlen(s) != 2 * STOR_TRACE_ID_BYTES ||
      strspn(s, hex) != 2 * STOR_TRACE_ID_BYTES)
    return -EINVAL;
  for (size_t i = 0; i < STOR_TRACE_ID_BYTES; i++) {
    char pair[3] = {s[2 * i], s[2 * i + 1], '\0'};
    id[i] = (uint8_t)strtoul(pair, NULL, 16);
  }
  return 0;
}

static int on_trace_span(void *ctx, unsigned shard, const struct stor_span *s) {
  (void)shard;
  return keep(ctx, s);
}

void net_query_trace_dir(const char *data_dir,
                         const struct net_http_request *req,
                         struct net_http_response *resp) {
  static const char prefix[] = "/api/v1/traces/";
  const char *id = strncmp(req->path, prefix, sizeof(prefix) - 1) == 0
                       ? req->path + sizeof(prefix) - 1 : "";
  struct spanq *q = spanq_new(data_dir);
  int rc;

  if (q == NULL) {
    net_query_error(resp, 503, "unavailable", "out of memory");
    return;
  }
  q->max = CORE_TRACE_SPANS_MAX;
  if (parse_trace_id(id, q->trace_id) < 0) {
    net_query_error(resp, 400, "bad_data", "invalid trace ID \"%.64s\": "
                    "want 32 hex digits (/api/v1/traces/TRACE_ID)", id);
  } else if ((rc = run_scan(q, q->trace_id, INT64_MIN, on_trace_span)) < 0) {
    scan_error(q, resp, rc);
  } else if (q->n == 0) {
    net_query_error(resp, 404, "not_found", "trace %s not found", id);
  } else {
    resp->content_type = "application/json";
    core_strbuf_append(&resp->body, "{\"status\":\"success\",\"data\":{"
                                    "\"traceId\":", 38);
    put_hex(&resp->body, q->trace_id, STOR_TRACE_ID_BYTES);
    core_strbuf_append(&resp->body, ",", 1);
    write_spans(q, resp);
    core_strbuf_append(&resp->body, "}}\n", 3);
    if (resp->body.failed)
      scan_error(q, resp, -E2BIG);
  }
  spanq_free(q);
}

void net_query_trace(const struct net_query_env *env,
                     const struct net_http_request *req,
                     struct net_http_response *resp) {
  net_query_trace_dir(env->data_dir, req, resp);
}

/* ---- GET /api/v1/spans ---------------------------------------------------- */

static bool matches(const struct spanq *q, const struct stor_span *s) {
  return (q->service_len == 0 ||
          (s->res->service.len == q->service_len &&
           memcmp(s->res->service.ptr, q->service, q->service_len) == 0)) &&
         (q->name_len == 0 ||
          (s->name.len == q->name_len &&
           memcmp(s->name.ptr, q->name, q->name_len) == 0));
}

/* Remember start in the min-heap of the newest `limit` start times. */
static void heap_push(struct spanq *q, int64_t start) {
  int64_t *h = q->heap;
  uint32_t i;

  if (q->heap_n == q->limit) {
    if (start <= h[0])
      return;
    i = 0; /* replace the oldest, sift down */
    for (;;) {
      uint32_t l = 2 * i + 1, m = l;
      if (l >= q->heap_n)
        break;
      if (l + 1 < q->heap_n && h[l + 1] < h[l])
        m = l + 1;
      if (h[m] >= start)
        break;
      h[i] = h[m];
      i = m;
    }
    h[i] = start;
    return;
  }
  for (i = q->heap_n++; i > 0 && h[(i - 1) / 2] > start; i = (i - 1) / 2)
    h[i] = h[(i - 1) / 2];
  h[i] = start;
}

/*
 * Once more spans matched than limit (the reply is truncated), nothing
 * older than the oldest of the newest `limit` can matter: the scan skips
 * it, whole blocks at a time. Scanning newest first makes that happen
 * after about `limit` spans a shard.
 */
static int64_t time_floor(void *ctx) {
  const struct spanq *q = ctx;

  return q->matched > q->limit ? q->heap[0] : INT64_MIN;
}

/* Phase 1: count, remember, render while at most limit matched. */
static int on_span(void *ctx, unsigned shard, const struct stor_span *s) {
  struct spanq *q = ctx;

  (void)shard;
  if (!matches(q, s))
    return 0;
  q->matched++;
  heap_push(q, s->start_ns);
  if (!q->rendering)
    return 0;
  if (q->matched > q->limit) {
    q->rendering = false; /* phase 2 renders the newest */
    q->n = 0;
    q->buf.len = 0;
    return 0;
  }
  return keep(q, s);
}

/* Phase 2: render the matches from the threshold on. */
static int on_newest(void *ctx, unsigned shard, const struct stor_span *s) {
  struct spanq *q = ctx;

  (void)shard;
  return s->start_ns >= q->threshold && matches(q, s) ? keep(q, s) : 0;
}

static int limit_param(const struct net_http_request *req,
                       struct net_http_response *resp, uint32_t *limit) {
  char text[CORE_QUERY_PARAM_BYTES_MAX];
  int n = net_query_text_param(req, resp, "limit", text, sizeof(text));

  *limit = CORE_SPANS_LIMIT_DEFAULT;
  if (n <= 0)
    return n;
  if ((size_t)n > 9 || strspn(text, "0123456789") != (size_t)n ||
      (*limit = (uint32_t)strtoul(text, NULL, 10)) == 0 ||
      *limit > CORE_SPANS_LIMIT_MAX)
    return net_query_error(resp, 400, "bad_data", "invalid parameter "
                           "\"limit\": \"%s\" is not an integer from 1 to %d",
                           text, CORE_SPANS_LIMIT_MAX);
  return 0;
}

static int spans_params(struct spanq *q, const struct net_http_request *req,
                        struct net_http_response *resp) {
  int sn, nn;

  if ((sn = net_query_text_param(req, resp, "service", q->service,
                                 sizeof(q->service))) < 0 ||
      (nn = net_query_text_param(req, resp, "name", q->name,
                                 sizeof(q->name))) < 0 ||
      net_query_time_param(req, resp, false, &q->start_ns) < 0 ||
      net_query_time_param(req, resp, true, &q->end_ns) < 0 ||
      limit_param(req, resp, &q->limit) < 0)
    return -EINVAL;
  q->service_len = (size_t)sn;
  q->name_len = (size_t)nn;
  if (q->end_ns < q->start_ns)
    return net_query_error(resp, 400, "bad_data", "invalid parameter "
                           "\"end\": end timestamp must not be before start "
                           "time");
  return 0;
}

/* Both phases; the newest `limit` matches are in q->items after. */
static int find_newest(struct spanq *q) {
  int rc;

  q->rendering = true;
  if ((rc = run_scan(q, NULL, q->start_ns, on_span)) < 0 ||
      q->matched <= q->limit)
    return rc;
  q->threshold = q->heap[0];
  if ((rc = run_scan(q, NULL, q->threshold > q->start_ns ? q->threshold
                                                         : q->start_ns,
                     on_newest)) < 0)
    return rc;
  /* spans stored since phase 1, or ties at the threshold: the newest */
  qsort(q->items, q->n, sizeof(*q->items), newest_first);
  if (q->n > q->limit)
    q->n = q->limit;
  return 0;
}

void net_query_spans_dir(const char *data_dir,
                         const struct net_http_request *req,
                         struct net_http_response *resp) {
  struct spanq *q = spanq_new(data_dir);
  int rc;

  if (q == NULL) {
    net_query_error(resp, 503, "unavailable", "out of memory");
    return;
  }
  if (spans_params(q, req, resp) < 0)
    goto out;
  q->max = CORE_TRACE_SPANS_MAX;
  if ((q->heap = malloc(q->limit * sizeof(*q->heap))) == NULL) {
    net_query_error(resp, 503, "unavailable", "out of memory");
    goto out;
  }
  if ((rc = find_newest(q)) < 0) {
    scan_error(q, resp, rc);
    goto out;
  }
  resp->content_type = "application/json";
  core_strbuf_append(&resp->body, "{\"status\":\"success\",\"data\":{", 28);
  write_spans(q, resp);
  core_strbuf_appendf(&resp->body, ",\"truncated\":%s}}\n",
                      q->matched > q->limit ? "true" : "false");
  if (resp->body.failed)
    scan_error(q, resp, -E2BIG);
  else if (q->matched > q->limit)
    net_http_response_header(resp, "X-Sluice-Spans-Truncated", "true");
out:
  spanq_free(q);
}

void net_query_spans(const struct net_query_env *env,
                     const struct net_http_request *req,
                     struct net_http_response *resp) {
  net_query_spans_dir(env->data_dir, req, resp);
}
