/*
 * net/query/remote_read.c - POST /api/v1/read, Prometheus remote-read (see
 * net/query/remote_read.h, docs/query-api.md "Remote read").
 *
 * One request: inflate (bounded from the snappy header), decode, then per
 * query: compile its matchers as a selector, scan every shard's segments
 * gathering series by the labels Prometheus sees, and write that query's
 * result before the next query is scanned, so one query's points are held
 * at a time. The whole reply is built in memory, bounded, and sent at once.
 */
#include "net/query/remote_read.h"

#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <isa-l/crc.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/base/strbuf.h"
#include "core/parse/pb.h"
#include "net/http.h"
#include "net/prompb.h"
#include "net/query/query_api.h"
#include "net/query/query_types.h"
#include "net/query/regex_bound.h"
#include "net/query/selector.h"
#include "net/query/strset.h"
#include "storage/encode.h"
#include "storage/scan.h"

/* ---- counters (query thread writes; /metrics reads on the same thread) -- */

static const int codes[] = {200, 400, 405, 413, 422, 500, 503};
#define NCODES (sizeof(codes) / sizeof(codes[0]))

enum reason {
  R_SNAPPY, R_PROTOBUF, R_MATCHER, R_RESPONSE_TYPE, R_METHOD, R_BODY_SIZE,
  R_REQUEST_BOUND, R_SERIES, R_SAMPLES, R_RESPONSE_SIZE, R_TIMEOUT,
  R_MEMORY, R_IO, NREASONS,
};

static const char *const reason_names[NREASONS] = {
    "bad_snappy", "bad_protobuf", "bad_matcher", "response_type",
    "method", "body_size", "request_bound", "series", "samples",
    "response_size", "timeout", "memory", "io",
};

static uint64_t requests_total[NCODES];
static uint64_t rejected_total[NREASONS];

void net_query_remote_read_render(struct core_strbuf *b) {
  core_strbuf_appendf(b, "# HELP sluice_remote_read_requests_total Remote-"
                         "read requests (POST /api/v1/read) by reply "
                         "status.\n# TYPE sluice_remote_read_requests_total "
                         "counter\n");
  for (size_t i = 0; i < NCODES; i++)
    core_strbuf_appendf(b, "sluice_remote_read_requests_total{code=\"%d\"} "
                        "%" PRIu64 "\n", codes[i],
                        __atomic_load_n(&requests_total[i], __ATOMIC_RELAXED));
  core_strbuf_appendf(b, "# HELP sluice_remote_read_rejected_total Remote-"
                         "read requests refused, by reason.\n# TYPE "
                         "sluice_remote_read_rejected_total counter\n");
  for (size_t i = 0; i < NREASONS; i++)
    core_strbuf_appendf(b, "sluice_remote_read_rejected_total{reason=\"%s\"} "
                        "%" PRIu64 "\n", reason_names[i],
                        __atomic_load_n(&rejected_total[i], __ATOMIC_RELAXED));
}

static void count_code(int status) {
  for (size_t i = 0; i < NCODES; i++)
    if (codes[i] == status)
      __atomic_fetch_add(&requests_total[i], 1, __ATOMIC_RELAXED);
}

/* A plain-text refusal (Prometheus' own remote-read errors are text). */
static void refuse(struct net_http_response *resp, int status,
                   enum reason why, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

static void refuse(struct net_http_response *resp, int status,
                   enum reason why, const char *fmt, ...) {
  char msg[NET_SELECTOR_BYTES_MAX + 512];
  va_list ap;

  va_start(ap, fmt);
  vsnprintf(msg, sizeof(msg), fmt, ap);
  va_end(ap);
  core_strbuf_free(&resp->body);
  resp->status = status;
  resp->content_type = "text/plain; charset=utf-8";
  core_strbuf_appendf(&resp->body, "remote read: %s\n", msg);
  __atomic_fetch_add(&rejected_total[why], 1, __ATOMIC_RELAXED);
}

/* ---- decoding ----------------------------------------------------------- */

static int decode_matcher(struct core_pb *r, struct net_rread_matcher *m) {
  uint32_t field;
  enum core_pb_wire wt;
  uint64_t v;
  int rc;

  memset(m, 0, sizeof(*m));
  while ((rc = core_pb_tag(r, &field, &wt)) > 0) {
    if (field == NET_PROMPB_MATCHER_TYPE) {
      if ((rc = core_pb_want(r, wt, CORE_PB_VARINT)) < 0 ||
          (rc = core_pb_varint(r, &v)) < 0)
        return rc;
      if (v > NET_PROMPB_MATCH_NRE)
        return core_pb_fail(r, -EBADMSG, "unknown matcher type (not EQ, "
                                         "NEQ, RE or NRE)");
      m->type = (enum net_prompb_matcher_type)v;
    } else if (field == NET_PROMPB_MATCHER_NAME ||
               field == NET_PROMPB_MATCHER_VALUE) {
      struct core_pb_bytes *b =
          field == NET_PROMPB_MATCHER_NAME ? &m->name : &m->value;
      if ((rc = core_pb_want(r, wt, CORE_PB_LEN)) < 0 ||
          (rc = core_pb_bytes(r, b)) < 0)
        return rc;
      if (b->len > NET_SELECTOR_BYTES_MAX)
        return core_pb_fail(r, -E2BIG, "a matcher's name or value is over "
                                       "NET_SELECTOR_BYTES_MAX bytes");
    } else if ((rc = core_pb_skip(r, wt)) < 0) {
      return rc;
    }
  }
  return rc;
}

static int decode_i64(struct core_pb *r, enum core_pb_wire wt, int64_t *out) {
  uint64_t v;
  int rc;

  if ((rc = core_pb_want(r, wt, CORE_PB_VARINT)) < 0 ||
      (rc = core_pb_varint(r, &v)) < 0)
    return rc;
  *out = (int64_t)v;
  return 0;
}

static int decode_query(struct core_pb *r, struct net_rread_query *q) {
  struct core_pb sub;
  uint32_t field;
  enum core_pb_wire wt;
  int rc;

  q->start_ms = q->end_ms = 0;
  q->count = 0;
  while ((rc = core_pb_tag(r, &field, &wt)) > 0) {
    if (field == NET_PROMPB_QUERY_START_MS)
      rc = decode_i64(r, wt, &q->start_ms);
    else if (field == NET_PROMPB_QUERY_END_MS)
      rc = decode_i64(r, wt, &q->end_ms);
    else if (field != NET_PROMPB_QUERY_MATCHERS)
      rc = core_pb_skip(r, wt);  /* hints: sluice returns raw samples */
    else if (q->count >= NET_REMOTE_READ_MATCHERS_MAX)
      rc = core_pb_fail(r, -E2BIG, "more than NET_REMOTE_READ_MATCHERS_MAX "
                                   "matchers in a query");
    else if ((rc = core_pb_sub(r, wt, &sub)) == 0)
      rc = decode_matcher(&sub, &q->m[q->count++]);
    if (rc < 0)
      return rc;
  }
  return rc;
}

/* One accepted_response_types value: the first one sluice implements
 * wins (*chosen < 0 until then). */
static void accept_type(uint64_t v, int *chosen) {
  if (*chosen < 0 && v <= NET_PROMPB_RESP_STREAMED_XOR_CHUNKS)
    *chosen = (int)v;
}

/* accepted_response_types, packed (LEN) or not (VARINT). */
static int decode_accepted(struct core_pb *r, enum core_pb_wire wt,
                           int *chosen, bool *listed) {
  struct core_pb sub;
  uint64_t v;
  int rc;

  *listed = true;
  if (wt == CORE_PB_VARINT) {
    if ((rc = core_pb_varint(r, &v)) < 0)
      return rc;
    accept_type(v, chosen);
    return 0;
  }
  if ((rc = core_pb_sub(r, wt, &sub)) < 0)
    return rc;
  while (core_pb_left(&sub) > 0) {
    if ((rc = core_pb_varint(&sub, &v)) < 0)
      return rc;
    accept_type(v, chosen);
  }
  return 0;
}

int net_rread_decode(const void *buf, size_t n, struct net_rread_request *out,
                     const char **why) {
  struct core_pb r, sub;
  uint32_t field;
  enum core_pb_wire wt;
  int rc, chosen = -1;
  bool listed = false;

  *why = NULL;
  out->count = 0;
  core_pb_init(&r, buf, n, why);
  while ((rc = core_pb_tag(&r, &field, &wt)) > 0) {
    if (field == NET_PROMPB_READ_ACCEPTED_TYPES)
      rc = decode_accepted(&r, wt, &chosen, &listed);
    else if (field != NET_PROMPB_READ_QUERIES)
      rc = core_pb_skip(&r, wt);
    else if (out->count >= NET_REMOTE_READ_QUERIES_MAX)
      rc = core_pb_fail(&r, -E2BIG, "more than NET_REMOTE_READ_QUERIES_MAX "
                                    "queries in a request");
    else if ((rc = core_pb_sub(&r, wt, &sub)) == 0)
      rc = decode_query(&sub, &out->q[out->count++]);
    if (rc < 0)
      return rc;
  }
  if (rc < 0)
    return rc;
  if (listed && chosen < 0) {
    *why = "none of accepted_response_types is implemented (SAMPLES 0, "
           "STREAMED_XOR_CHUNKS 1)";
    return -ENOTSUP;
  }
  out->type = chosen < 0 ? NET_PROMPB_RESP_SAMPLES
                         : (enum net_prompb_response_type)chosen;
  return 0;
}

/* ---- matchers as a selector --------------------------------------------- */

/* Append b quoted for the selector parser ("..." with \\ \" \n escaped). */
static int put_quoted(char *text, size_t cap, size_t *len,
                      const struct core_pb_bytes *b) {
  size_t k = *len;

  if (k + 1 >= cap)
    return -E2BIG;
  text[k++] = '"';
  for (uint32_t i = 0; i < b->len; i++) {
    char c = (char)b->ptr[i];
    bool esc = c == '\\' || c == '"' || c == '\n';
    if (k + 2 + esc >= cap)
      return -E2BIG;
    if (esc)
      text[k++] = '\\';
    text[k++] = c == '\n' ? 'n' : c;
  }
  text[k++] = '"';
  *len = k;
  return 0;
}

#define SEL_PREFIX "{\"__name__\"!=\"\","

int net_rread_selector(const struct net_rread_query *q,
                       struct net_selector *sel, struct core_sel_error *err,
                       char *text, size_t cap) {
  static const char *const ops[] = {"=", "!=", "=~", "!~"};
  size_t len = 0, max = cap < NET_SELECTOR_BYTES_MAX + 1
                            ? cap : NET_SELECTOR_BYTES_MAX + 1;

  sel->count = 0;
  err->pos = 0;
  snprintf(err->msg, sizeof(err->msg), "the matchers are over %d bytes "
           "written as a selector (NET_SELECTOR_BYTES_MAX)",
           NET_SELECTOR_BYTES_MAX);
  /* First a matcher every series passes (a series always has a name)
   * that does not match "": the parser wants one such, as PromQL does,
   * but remote-read takes any matchers, as Prometheus' own endpoint
   * does. net_rread_match skips it. */
  memcpy(text, SEL_PREFIX, sizeof(SEL_PREFIX) - 1);
  len = sizeof(SEL_PREFIX) - 1;
  for (unsigned i = 0; i < q->count; i++) {
    const struct net_rread_matcher *m = &q->m[i];
    if (put_quoted(text, max, &len, &m->name) < 0 ||
        len + 4 >= max)
      return -EMSGSIZE;
    memcpy(text + len, ops[m->type], strlen(ops[m->type]));
    len += strlen(ops[m->type]);
    if (put_quoted(text, max, &len, &m->value) < 0 || len + 2 >= max)
      return -EMSGSIZE;
    text[len++] = ',';
  }
  text[len - 1] = '}';
  text[len] = '\0';
  return net_selector_parse(sel, text, len, err);
}

/* ---- the labels Prometheus sees ----------------------------------------- */

static int cmp_label(const void *a, const void *b, void *ctx) {
  const struct net_rread_label *x = a, *y = b;
  const char *arena = ctx;
  size_t n = x->name_len < y->name_len ? x->name_len : y->name_len;
  int c = memcmp(arena + x->name_off, arena + y->name_off, n);

  if (c == 0)
    c = (x->name_len > y->name_len) - (x->name_len < y->name_len);
  return c ? c : (x->order > y->order) - (x->order < y->order);
}

/* Collect the mapped labels of key into s (unsorted). */
static int collect(struct net_rread_labels *s, const char *key, size_t len) {
  static const char name_label[] = CORE_LABEL_NAME;
  struct core_label l;

  s->used = 0;
  s->count = 0;
  core_label_iter_init(&s->it, key, len);
  while (core_label_next(&s->it, &l)) {
    bool metric = l.name_len == sizeof(name_label) - 1 &&
                  memcmp(l.name, name_label, l.name_len) == 0;
    struct net_rread_label *p = &s->l[s->count];
    if (s->count >= sizeof(s->l) / sizeof(s->l[0]) ||
        l.name_len + l.value_len + 2 > sizeof(s->arena) - s->used)
      return -E2BIG;
    p->name_off = (uint32_t)s->used;
    p->name_len = metric ? (uint32_t)l.name_len
                         : (uint32_t)net_prompb_name_map(
                               l.name, l.name_len, false,
                               s->arena + s->used);
    if (metric)
      memcpy(s->arena + s->used, l.name, l.name_len);
    else if (p->name_len == sizeof(name_label) - 1 &&
             memcmp(s->arena + s->used, name_label, p->name_len) == 0)
      continue;  /* a tag mapped to __name__: the metric name wins */
    s->used += p->name_len;
    p->value_off = (uint32_t)s->used;
    p->value_len = metric ? (uint32_t)net_prompb_name_map(
                                l.value, l.value_len, true,
                                s->arena + s->used)
                          : (uint32_t)l.value_len;
    if (!metric)
      memcpy(s->arena + s->used, l.value, l.value_len);
    s->used += p->value_len;
    p->order = s->count++;
  }
  return 0;
}

static int put_out(char *out, size_t *k, const char *p, size_t n) {
  if (n + 1 > NET_RREAD_LABELS_BYTES_MAX - *k)
    return -E2BIG;
  memcpy(out + *k, p, n);
  *k += n;
  out[(*k)++] = '\0';
  return 0;
}

int net_rread_labels(struct net_rread_labels *s, const char *key,
                     size_t len) {
  char *out = s->out;
  size_t k = 0;
  int rc = collect(s, key, len);

  if (rc < 0)
    return rc;
  qsort_r(s->l, s->count, sizeof(s->l[0]), cmp_label, s->arena);
  for (unsigned i = 0; i < s->count && rc == 0; i++) {
    const struct net_rread_label *p = &s->l[i];
    bool same = i > 0 && s->l[i - 1].name_len == p->name_len &&
                memcmp(s->arena + s->l[i - 1].name_off,
                       s->arena + p->name_off, p->name_len) == 0;
    if (same) {  /* join to the value just written: drop its NUL */
      out[k - 1] = ',';
      rc = put_out(out, &k, s->arena + p->value_off, p->value_len);
      continue;
    }
    rc = put_out(out, &k, s->arena + p->name_off, p->name_len);
    if (rc == 0)
      rc = put_out(out, &k, s->arena + p->value_off, p->value_len);
  }
  return rc < 0 ? rc : (int)k;
}

/* The value of label name in labels (n bytes); "" when absent. */
static const char *label_value(const char *labels, size_t n,
                               const char *name, size_t name_len,
                               size_t *len) {
  size_t i = 0;

  while (i < n) {
    const char *nm = labels + i;
    size_t nl = strlen(nm);
    const char *v = nm + nl + 1;
    size_t vl = strlen(v);
    if (nl == name_len && memcmp(nm, name, nl) == 0) {
      *len = vl;
      return v;
    }
    i += nl + 1 + vl + 1;
  }
  *len = 0;
  return "";
}

int net_rread_match(const struct net_selector *sel, const char *labels,
                    size_t n) {
  for (unsigned i = 1; i < sel->count; i++) {  /* 0: net_rread_selector's */
    const struct core_sel_matcher *m = &sel->m[i];
    size_t vl;
    const char *v = label_value(labels, n, sel->text + m->name_off,
                                m->name_len, &vl);
    bool eq = m->op == CORE_SEL_EQ || m->op == CORE_SEL_NE
                  ? vl == m->value_len &&
                        memcmp(v, sel->text + m->value_off, vl) == 0
                  : net_regex_match(m->re, v, vl);
    if (eq != (m->op == CORE_SEL_EQ || m->op == CORE_SEL_RE))
      return 0;
  }
  return 1;
}

/* ---- XOR chunks ------------------------------------------------------- */

/* A bit stream written most significant bit first into zeroed bytes. */
struct bitw {
  uint8_t *p;
  size_t bits;
};

static void put_bits(struct bitw *w, uint64_t v, unsigned n) {
  while (n-- > 0) {
    if ((v >> n) & 1)
      w->p[w->bits >> 3] |= (uint8_t)(0x80u >> (w->bits & 7));
    w->bits++;
  }
}

static void put_uvarint(struct bitw *w, uint64_t v) {
  uint8_t tmp[CORE_PB_VARINT_BYTES_MAX];
  unsigned n = stor_varint_put(tmp, v);

  for (unsigned i = 0; i < n; i++)
    put_bits(w, tmp[i], 8);
}

/* -(2^(n-1) - 1) <= x <= 2^(n-1): Prometheus' ranges for n-bit dods. */
static bool fits(int64_t x, unsigned n) {
  int64_t half = (int64_t)1 << (n - 1);

  return x >= -(half - 1) && x <= half;
}

static void put_dod(struct bitw *w, int64_t dod) {
  static const struct { unsigned code, code_bits, bits; } r[] = {
      {0x2, 2, 14}, {0x6, 3, 17}, {0xe, 4, 20}};

  if (dod == 0) {
    put_bits(w, 0, 1);
    return;
  }
  for (size_t i = 0; i < sizeof(r) / sizeof(r[0]); i++)
    if (fits(dod, r[i].bits)) {
      put_bits(w, r[i].code, r[i].code_bits);
      put_bits(w, (uint64_t)dod & ((1ull << r[i].bits) - 1), r[i].bits);
      return;
    }
  put_bits(w, 0xf, 4);
  put_bits(w, (uint64_t)dod, 64);
}

/* The XOR of a value with the previous one; *lead 0xff: no window yet. */
static void put_xor(struct bitw *w, double v, double prev, uint8_t *lead,
                    uint8_t *trail) {
  uint64_t a, b, d;
  uint8_t nl, nt;

  memcpy(&a, &v, 8);
  memcpy(&b, &prev, 8);
  if ((d = a ^ b) == 0) {
    put_bits(w, 0, 1);
    return;
  }
  nl = (uint8_t)__builtin_clzll(d);
  nt = (uint8_t)__builtin_ctzll(d);
  if (nl > 31)
    nl = 31;  /* 5 bits */
  if (*lead != 0xff && nl >= *lead && nt >= *trail) {
    put_bits(w, 0x2, 2);
    put_bits(w, d >> *trail, 64u - *lead - *trail);
    return;
  }
  *lead = nl;
  *trail = nt;
  put_bits(w, 0x3, 2);
  put_bits(w, nl, 5);
  put_bits(w, (uint64_t)(64 - nl - nt) & 0x3f, 6);  /* 64 is written 0 */
  put_bits(w, d >> nt, 64u - nl - nt);
}

size_t net_rread_xor_chunk(const struct net_qpoint *p, unsigned n,
                           uint8_t *out) {
  struct bitw w = {out, 16};
  uint8_t lead = 0xff, trail = 0;
  uint64_t delta = 0;

  memset(out, 0, NET_RREAD_XOR_BYTES_MAX(n));
  out[0] = (uint8_t)(n >> 8);
  out[1] = (uint8_t)n;
  for (unsigned i = 0; i < n; i++) {
    if (i == 0) {
      uint64_t t = (uint64_t)p[0].ts;
      put_uvarint(&w, p[0].ts < 0 ? ~(t << 1) : t << 1);  /* zigzag */
      uint64_t bits;
      memcpy(&bits, &p[0].v, 8);
      put_bits(&w, bits, 64);
      continue;
    }
    uint64_t d = (uint64_t)p[i].ts - (uint64_t)p[i - 1].ts;
    if (i == 1)
      put_uvarint(&w, d);
    else
      put_dod(&w, (int64_t)(d - delta));
    delta = d;
    put_xor(&w, p[i].v, p[i - 1].v, &lead, &trail);
  }
  return (w.bits + 7) / 8;
}

/* ---- one request -------------------------------------------------------- */

struct rread {
  const struct net_query_env *env;
  struct net_rread_request req;
  struct net_selector sel;
  char sel_text[NET_SELECTOR_BYTES_MAX + 1];
  struct net_strset set;         /* one query's series, by their labels */
  struct net_qpoints *pts;       /* by series index */
  size_t pts_cap;
  uint64_t points;               /* samples of the whole request */
  int64_t deadline_ms;
  struct net_rread_labels labels;
  uint8_t chunk[NET_RREAD_XOR_BYTES_MAX(NET_REMOTE_READ_CHUNK_SAMPLES_MAX)];
  struct core_strbuf out;        /* ReadResponse, or the frame being built */
};

static void query_reset(struct rread *rr) {
  for (size_t i = 0; i < rr->set.count && rr->pts; i++)
    free(rr->pts[i].p);
  free(rr->pts);
  rr->pts = NULL;
  rr->pts_cap = 0;
  net_strset_free(&rr->set);
  net_selector_free(&rr->sel);
}

static int on_series(void *ctx, const struct stor_dict_entry *e,
                     uint32_t *handle) {
  struct rread *rr = ctx;
  int n = net_rread_labels(&rr->labels, e->key, e->key_len), rc;

  if (n < 0)
    return 0;  /* cannot happen within CORE_SERIES_KEY_BYTES_MAX */
  rc = net_rread_match(&rr->sel, rr->labels.out, (size_t)n);
  if (net_regex_expired())
    return -ETIME;
  if (!rc)
    return 0;
  if ((rc = net_strset_add(&rr->set, rr->labels.out, (size_t)n,
                           handle)) < 0)
    return rc;
  if (rc == 1 && *handle >= rr->pts_cap) {
    size_t cap = rr->pts_cap;
    if (net_query_grow(&rr->pts, sizeof(*rr->pts), &cap, *handle + 1) < 0)
      return -ENOMEM;
    memset(rr->pts + rr->pts_cap, 0, (cap - rr->pts_cap) * sizeof(*rr->pts));
    rr->pts_cap = cap;
  }
  return 1;
}

static int on_points(void *ctx, uint32_t h, const int64_t *ts,
                     const double *v, uint32_t n) {
  struct rread *rr = ctx;

  if (rr->points + n > CORE_QUERY_POINTS_MAX)
    return -EFBIG;
  rr->points += n;
  return net_qpoints_add(&rr->pts[h], ts, v, n);
}

/* Labels of series i, in Prometheus' order, as field `field`. */
static void put_labels(struct rread *rr, struct net_prompb_w *w,
                       uint32_t field, uint32_t i) {
  size_t n, k = 0;
  const char *s = net_strset_str(&rr->set, i, &n);

  while (k < n) {
    size_t nl = strlen(s + k), vl = strlen(s + k + nl + 1);
    net_prompb_label(w, field, s + k, nl, s + k + nl + 1, vl);
    k += nl + vl + 2;
  }
}

/* QueryResult of the current query into rr->out (SAMPLES). */
static int write_samples(struct rread *rr, const uint32_t *order) {
  struct net_prompb_w w;

  net_prompb_w_init(&w, &rr->out);
  net_prompb_begin(&w, NET_PROMPB_READRESP_RESULTS);
  for (uint32_t j = 0; j < rr->set.count && w.err == 0; j++) {
    struct net_qpoints *s = &rr->pts[order[j]];
    if (s->n == 0)
      continue;
    if (net_qpoints_sort(s) < 0)
      return -ENOBUFS;  /* no memory (-ENOMEM: the response's bound) */
    net_prompb_begin(&w, NET_PROMPB_RESULT_TIMESERIES);
    put_labels(rr, &w, NET_PROMPB_TS_LABELS, order[j]);
    for (size_t k = 0; k < s->n; k++)
      net_prompb_sample(&w, NET_PROMPB_TS_SAMPLES, s->p[k].v, s->p[k].ts);
    net_prompb_end(&w);
  }
  net_prompb_end(&w);
  return net_prompb_w_status(&w);
}

/* Frame rr->out (a ChunkedReadResponse) into the reply: uvarint length,
 * big-endian CRC32C (Castagnoli, as Go's hash/crc32), the message. */
static int flush_frame(struct rread *rr, struct core_strbuf *body,
                       unsigned query) {
  struct net_prompb_w w;
  uint8_t head[CORE_PB_VARINT_BYTES_MAX + 4];
  unsigned n;
  uint32_t crc;

  if (rr->out.len == 0)
    return 0;
  net_prompb_w_init(&w, &rr->out);
  net_prompb_varint(&w, NET_PROMPB_CHUNKED_QUERY_INDEX, query);
  if (w.err)
    return w.err;
  n = stor_varint_put(head, rr->out.len);
  crc = crc32_iscsi((unsigned char *)rr->out.data, (int)rr->out.len,
                    0xFFFFFFFFu) ^ 0xFFFFFFFFu;
  for (int i = 0; i < 4; i++)
    head[n + i] = (uint8_t)(crc >> (24 - 8 * i));
  if (body->len + n + 4 + rr->out.len > NET_REMOTE_READ_RESPONSE_BYTES_MAX ||
      core_strbuf_append(body, (char *)head, n + 4) < 0 ||
      core_strbuf_append(body, rr->out.data, rr->out.len) < 0)
    return -ENOMEM;
  rr->out.len = 0;
  return 0;
}

/* One ChunkedSeries of series i into rr->out. */
static int write_chunked_series(struct rread *rr, struct net_prompb_w *w,
                                uint32_t i) {
  struct net_qpoints *s = &rr->pts[i];

  if (net_qpoints_sort(s) < 0)
    return -ENOBUFS;  /* no memory (-ENOMEM: the response's bound) */
  net_prompb_begin(w, NET_PROMPB_CHUNKED_SERIES);
  put_labels(rr, w, NET_PROMPB_CSERIES_LABELS, i);
  for (size_t k = 0; k < s->n; k += NET_REMOTE_READ_CHUNK_SAMPLES_MAX) {
    unsigned c = s->n - k < NET_REMOTE_READ_CHUNK_SAMPLES_MAX
                     ? (unsigned)(s->n - k)
                     : NET_REMOTE_READ_CHUNK_SAMPLES_MAX;
    size_t len = net_rread_xor_chunk(s->p + k, c, rr->chunk);
    net_prompb_chunk(w, NET_PROMPB_CSERIES_CHUNKS, s->p[k].ts,
                     s->p[k + c - 1].ts, NET_PROMPB_CHUNK_XOR, rr->chunk, len);
  }
  net_prompb_end(w);
  return w->err;
}

/* The current query's series as frames into the reply. */
static int write_chunked(struct rread *rr, const uint32_t *order,
                         struct core_strbuf *body, unsigned query) {
  struct net_prompb_w w;
  int rc = 0;

  rr->out.len = 0;
  for (uint32_t j = 0; j < rr->set.count && rc == 0; j++) {
    if (rr->pts[order[j]].n == 0)
      continue;
    net_prompb_w_init(&w, &rr->out);
    rc = write_chunked_series(rr, &w, order[j]);
    if (rc == 0 && rr->out.len >= NET_REMOTE_READ_FRAME_BYTES_MAX)
      rc = flush_frame(rr, body, query);
  }
  return rc < 0 ? rc : flush_frame(rr, body, query);
}

/* The refusal for a scan of query qi that failed with rc. */
static void refuse_scan(struct rread *rr, struct net_http_response *resp,
                        unsigned qi, int rc) {
  if (rc == -ETIME)
    refuse(resp, 503, R_TIMEOUT, "query %u exceeded the time budget of %d "
           "ms: narrow the time range or the matchers", qi,
           CORE_QUERY_TIME_MS_MAX);
  else if (rc == -E2BIG)
    refuse(resp, 422, R_SERIES, "query %u matches more than %d series (or "
           "%u MiB of labels): narrow the matchers", qi,
           CORE_QUERY_SERIES_MAX, CORE_QUERY_KEY_BYTES_MAX >> 20);
  else if (rc == -EFBIG)
    refuse(resp, 422, R_SAMPLES, "the request selects more than %u samples "
           "(CORE_QUERY_POINTS_MAX): narrow the time range or the matchers",
           CORE_QUERY_POINTS_MAX);
  else if (rc == -ENOMEM)
    refuse(resp, 503, R_MEMORY, "out of memory");
  else
    refuse(resp, 500, R_IO, "reading segments of %s: %s", rr->env->data_dir,
           strerror(-rc));
}

/* Scan for query qi and write its result; on failure the refusal is made
 * and a negative errno returned. */
static int run_query(struct rread *rr, unsigned qi,
                     struct net_http_response *resp) {
  const struct net_rread_query *q = &rr->req.q[qi];
  struct stor_scan sc = {.data_dir = rr->env->data_dir,
                         .start_ms = q->start_ms, .end_ms = q->end_ms,
                         .series = on_series, .points = on_points,
                         .ctx = rr, .deadline_ms = rr->deadline_ms};
  struct stor_scan_stats st = {0};
  struct core_sel_error err;
  uint32_t *order = NULL;
  int rc = net_rread_selector(q, &rr->sel, &err, rr->sel_text,
                              sizeof(rr->sel_text));

  if (rc == -ENOMEM)
    return refuse(resp, 503, R_MEMORY, "out of memory"), rc;
  if (rc < 0)
    return refuse(resp, 400, rc == -EMSGSIZE ? R_REQUEST_BOUND : R_MATCHER,
                  "query %u: matchers %s: %s", qi,
                  rc == -EMSGSIZE ? "(too long)" : rr->sel_text, err.msg),
           rc;
  rc = q->end_ms < q->start_ms ? 0 : stor_scan_run(&sc, &st);
  if (rc == 0 && (order = net_strset_sorted(&rr->set)) == NULL)
    rc = -ENOMEM;
  if (rc < 0)
    return refuse_scan(rr, resp, qi, rc), rc;
  rc = rr->req.type == NET_PROMPB_RESP_SAMPLES
           ? write_samples(rr, order)
           : write_chunked(rr, order, &resp->body, qi);
  free(order);
  if (rc == -ENOBUFS)
    return refuse(resp, 503, R_MEMORY, "out of memory"), rc;
  if (rc == -ENOMEM || rc == -E2BIG)
    return refuse(resp, 422, R_RESPONSE_SIZE, "the response is over %u "
                  "bytes (NET_REMOTE_READ_RESPONSE_BYTES_MAX): narrow the "
                  "query", NET_REMOTE_READ_RESPONSE_BYTES_MAX), -EFBIG;
  return rc;
}

/* Inflate and decode the body into rr->req; *plain holds the inflated
 * bytes the matchers point into. On failure the refusal is made. */
static int read_request(struct rread *rr, const struct net_http_request *req,
                        struct net_http_response *resp, char **plain) {
  const char *why = NULL;
  size_t n;
  int rc;

  if (req->body_len > NET_REMOTE_READ_BODY_BYTES_MAX)
    return refuse(resp, 413, R_BODY_SIZE, "body of %zu bytes is over %u "
                  "(NET_REMOTE_READ_BODY_BYTES_MAX)", req->body_len,
                  NET_REMOTE_READ_BODY_BYTES_MAX), -EFBIG;
  if (req->content_encoding && strcasecmp(req->content_encoding, "snappy"))
    return refuse(resp, 400, R_SNAPPY, "Content-Encoding %s: a remote-read "
                  "body is a snappy block (Content-Encoding: snappy)",
                  req->content_encoding), -EINVAL;
  rc = net_prompb_snappy_uncompress(req->body, req->body_len,
                                    NET_REMOTE_READ_REQUEST_BYTES_MAX, plain,
                                    &n);
  if (rc == -EBADMSG)
    return refuse(resp, 400, R_SNAPPY, "bad snappy block: the body is not "
                  "a snappy-compressed ReadRequest"), rc;
  if (rc == -EFBIG)
    return refuse(resp, 413, R_BODY_SIZE, "the body inflates to over %u "
                  "bytes (NET_REMOTE_READ_REQUEST_BYTES_MAX)",
                  NET_REMOTE_READ_REQUEST_BYTES_MAX), rc;
  if (rc < 0)
    return refuse(resp, 503, R_MEMORY, "out of memory"), rc;
  rc = net_rread_decode(*plain, n, &rr->req, &why);
  if (rc == -E2BIG)
    refuse(resp, 400, R_REQUEST_BOUND, "bad ReadRequest: %s", why);
  else if (rc == -ENOTSUP)
    refuse(resp, 400, R_RESPONSE_TYPE, "bad ReadRequest: %s", why);
  else if (rc < 0)
    refuse(resp, 400, R_PROTOBUF, "bad protobuf in ReadRequest: %s",
           why ? why : "malformed");
  return rc;
}

/* The reply's body and headers once every query is written. */
static int finish(struct rread *rr, struct net_http_response *resp) {
  char *z;
  size_t zn;

  if (rr->req.type == NET_PROMPB_RESP_STREAMED_XOR_CHUNKS) {
    resp->content_type = "application/x-streamed-protobuf; "
                         "proto=prometheus.ChunkedReadResponse";
    return 0;
  }
  if (net_prompb_snappy_compress(rr->out.data ? rr->out.data : "",
                                 rr->out.len, &z, &zn) < 0)
    return refuse(resp, 503, R_MEMORY, "out of memory"), -ENOMEM;
  if (core_strbuf_append(&resp->body, z, zn) < 0) {
    free(z);
    return refuse(resp, 422, R_RESPONSE_SIZE, "the response is over the "
                  "reply bound"), -EFBIG;
  }
  free(z);
  resp->content_type = "application/x-protobuf";
  net_http_response_header(resp, "Content-Encoding", "snappy");
  return 0;
}

static void serve(const struct net_query_env *env,
                  const struct net_http_request *req,
                  struct net_http_response *resp) {
  struct rread *rr = calloc(1, sizeof(*rr));
  char *plain = NULL;
  int rc = 0;

  if (rr == NULL) {
    refuse(resp, 503, R_MEMORY, "out of memory");
    return;
  }
  rr->env = env;
  core_strbuf_init(&rr->out, NET_REMOTE_READ_RESPONSE_BYTES_MAX);
  if (read_request(rr, req, resp, &plain) < 0)
    goto out;
  rr->deadline_ms = net_query_deadline_start();
  for (unsigned i = 0; i < rr->req.count && rc == 0; i++) {
    rc = run_query(rr, i, resp);
    query_reset(rr);
  }
  net_regex_deadline(0);
  if (rc == 0)
    finish(rr, resp);
out:
  query_reset(rr);
  core_strbuf_free(&rr->out);
  free(plain);
  free(rr);
}

void net_query_remote_read(const struct net_query_env *env,
                           const struct net_http_request *req,
                           struct net_http_response *resp) {
  if (strcmp(req->method, "POST") != 0) {
    net_http_response_header(resp, "Allow", "POST");
    refuse(resp, 405, R_METHOD, "method %s not allowed: use POST with a "
           "snappy-compressed ReadRequest", req->method);
  } else {
    serve(env, req, resp);
  }
  count_code(resp->status);
}
