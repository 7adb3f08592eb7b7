/*
 * net/http_parse.c - the HTTP/1.1 request parser and the memory budget its
 * bodies count against (see net/http.h). Pure: no I/O, so tests and the
 * fuzzer drive it with bytes alone, cut anywhere.
 *
 * The parser is strict where leniency lets two parties disagree about
 * where a request ends (request smuggling): Content-Length must be one
 * plain number, it may not come with Transfer-Encoding, only "chunked" is
 * a known transfer coding, obsolete line folding and bare CRs are
 * refused. It is lenient where that is harmless: bare LF ends a line,
 * blank lines before a request are skipped, absolute-form targets work.
 *
 * The budget lives here, not with the server, because the parser holds it
 * for the body; the server shares the same budget for responses. A body
 * holds what has arrived, not what was declared: the buffer starts at
 * NET_HTTP_BODY_WINDOW_BYTES and at most doubles as bytes come (as the
 * gRPC engine's messages do), so slow senders that declare large bodies
 * hold little. A declared length (or chunk size) that could not fit what
 * is free of the budget now is still refused early, before the body and
 * before 100 Continue.
 */
#include "net/http.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>

#include "core/base/assert.h"
#include "core/base/heap.h"
#include "core/base/stat.h"
#include "net/http_internal.h"

enum {
  ST_HEAD = 0,
  ST_BODY,           /* Content-Length body */
  ST_CHUNK_SIZE,     /* hex digits of a chunk-size line */
  ST_CHUNK_BWS,      /* whitespace after the digits */
  ST_CHUNK_EXT,      /* ;extensions up to the line end */
  ST_CHUNK_DATA,
  ST_CHUNK_DATA_END, /* CRLF after chunk data */
  ST_TRAILER_START,  /* first byte of a trailer line (or the blank end) */
  ST_TRAILER_LINE,
  ST_CR_LF,          /* after a CR: LF must follow, then p->next */
  ST_DONE,
  ST_ERROR,
};

/* The room net_http_parser_body_room offers before it grows the buffer:
 * as much as the OTLP/HTTP listener wants for a recv straight into it. */
#define BODY_ROOM_MIN NET_OTLP_HTTP_DIRECT_BYTES_MIN

/* A control byte other than HTAB: never allowed in a field value. */
static bool is_ctl(unsigned char c) {
  return (c < 0x20 && c != '\t') || c == 0x7f;
}

static enum net_http_parse fail(struct net_http_parser *p, int status) {
  p->status = status;
  p->state = ST_ERROR;
  return NET_HTTP_PARSE_ERROR;
}

int net_http_parser_init(struct net_http_parser *p, size_t header_bytes_max,
                         size_t body_bytes_max) {
  memset(p, 0, sizeof(*p));
  p->header_bytes_max = header_bytes_max ? header_bytes_max
                                         : NET_HTTP_HEADER_BYTES_MAX;
  p->body_bytes_max = body_bytes_max ? body_bytes_max : NET_HTTP_BODY_BYTES_MAX;
  ASSERT(p->body_bytes_max < (1ull << 58));
  p->head = malloc(p->header_bytes_max + 1);
  if (!p->head)
    return -ENOMEM;
  net_http_parser_reset(p);
  return 0;
}

/* ---- memory budget ------------------------------------------------------ */

int net_http_budget_take(struct net_http_budget *b, uint64_t n) {
  uint64_t now = core_stat_get(&b->bytes);

  if (n > b->bytes_max || now > b->bytes_max - n)
    return -ENOBUFS;
  core_stat_set(&b->bytes, now + n);
  return 0;
}

void net_http_budget_give(struct net_http_budget *b, uint64_t n) {
  uint64_t now = core_stat_get(&b->bytes);

  ASSERT(n <= now);
  core_stat_set(&b->bytes, now - n);
}

/* Could this body hold `bytes` in all? Nothing is taken: the bytes are
 * taken as they arrive (body_reserve), so this only refuses early what
 * could not fit now. */
static bool budget_fits(const struct net_http_parser *p, uint64_t bytes) {
  return !p->budget || bytes <= p->budget->bytes_max -
                                    core_stat_get(&p->budget->bytes) +
                                    p->budget_held;
}

/* Hold at least `bytes` of the budget for this request's body. */
static int budget_hold(struct net_http_parser *p, size_t bytes) {
  if (!p->budget || bytes <= p->budget_held)
    return 0;
  if (net_http_budget_take(p->budget, bytes - p->budget_held) < 0)
    return -ENOBUFS;
  p->budget_held = bytes;
  return 0;
}

/* Near the end of the budget, grow to what is left rather than double. */
static size_t budget_clamp(const struct net_http_parser *p, size_t cap,
                           size_t need) {
  uint64_t left;

  if (!p->budget)
    return cap;
  left = p->budget->bytes_max - core_stat_get(&p->budget->bytes) +
         p->budget_held;
  return cap > left && need <= left ? (size_t)left : cap;
}

/* Hold no more than the body buffer itself (between requests). */
static void budget_trim(struct net_http_parser *p) {
  if (!p->budget)
    return;
  ASSERT(p->budget_held >= p->body_cap);
  net_http_budget_give(p->budget, p->budget_held - p->body_cap);
  p->budget_held = p->body_cap;
}

void net_http_parser_set_budget(struct net_http_parser *p,
                                struct net_http_budget *b) {
  ASSERT(p->budget_held == 0 && p->body_cap == 0);
  p->budget = b;
}

/* Bodies come from the budget's heap: a shard's own (OTLP/HTTP). */
static struct core_heap *heap_of(const struct net_http_parser *p) {
  return p->budget ? p->budget->heap : NULL;
}

void net_http_parser_free(struct net_http_parser *p) {
  free(p->head);
  core_heap_free(heap_of(p), p->body);
  p->head = NULL;
  p->body = NULL;
  p->body_cap = 0;
  budget_trim(p);
}

void net_http_parser_reset(struct net_http_parser *p) {
  memset(&p->req, 0, sizeof(p->req));
  p->req.content_length = -1;
  p->req.query = "";
  p->status = 0;
  p->state = ST_HEAD;
  p->head_len = 0;
  p->line_start = 0;
  p->skipped = 0;
  p->body_len = 0;
  if (p->body_cap > NET_HTTP_BODY_KEEP_BYTES) {
    core_heap_free(heap_of(p), p->body);
    p->body = NULL;
    p->body_cap = 0;
  }
  budget_trim(p);
  p->left = 0;
  p->line_bytes = 0;
  p->trailer_bytes = 0;
  p->next = ST_HEAD;
  p->saw_digit = p->saw_colon = false;
  p->conn_close = p->conn_keep = false;
}

bool net_http_parser_started(const struct net_http_parser *p) {
  return p->head_len > 0 || p->state != ST_HEAD;
}

bool net_http_parser_head_done(const struct net_http_parser *p) {
  return p->state != ST_HEAD && p->state != ST_ERROR;
}

/* Room for extra more body bytes and the final NUL. Returns 0, -ENOBUFS
 * (budget) or -ENOMEM. */
static int body_reserve(struct net_http_parser *p, size_t extra) {
  size_t need = p->body_len + extra + 1, cap;
  char *b;

  if (need <= p->body_cap)
    return 0;
  /* Doubling what is there: the buffer is at most twice what came (plus
   * the window), whatever the length declared. */
  cap = p->body_cap ? p->body_cap * 2 : NET_HTTP_BODY_WINDOW_BYTES;
  while (cap < need)
    cap *= 2;
  /* A declared length is an upper bound: no slack beyond it. */
  if (p->req.content_length >= 0 &&
      cap > (size_t)p->req.content_length + 1)
    cap = (size_t)p->req.content_length + 1;
  if (cap > p->body_bytes_max + 1)
    cap = p->body_bytes_max + 1;
  if (cap < need)
    cap = need;
  cap = budget_clamp(p, cap, need);
  if (budget_hold(p, cap) < 0)
    return -ENOBUFS;
  b = core_heap_realloc(heap_of(p), p->body, cap);
  if (!b)
    return -ENOMEM;
  p->body = b;
  p->body_cap = cap;
  return 0;
}

static enum net_http_parse finish(struct net_http_parser *p) {
  if (p->body_len == 0) {
    p->req.body = "";
  } else {
    p->body[p->body_len] = '\0';  /* body_reserve kept room for it */
    p->req.body = p->body;
  }
  p->req.body_len = p->body_len;
  p->state = ST_DONE;
  return NET_HTTP_PARSE_DONE;
}

/* ---- request line and headers ------------------------------------------ */

/* Next line of the head from *pos, NUL-terminated in place, CR dropped.
 * Returns its length, or -1 with a bare CR or NUL inside (400). */
static ssize_t next_line(struct net_http_parser *p, size_t *pos, char **line) {
  char *s = p->head + *pos;
  char *nl = memchr(s, '\n', p->head_len - *pos);
  size_t len;

  ASSERT(nl != NULL);
  *pos = (size_t)(nl - p->head) + 1;
  len = (size_t)(nl - s);
  if (len > 0 && s[len - 1] == '\r')
    len--;
  s[len] = '\0';
  *line = s;
  if (memchr(s, '\r', len) || strlen(s) != len)
    return -1;
  return (ssize_t)len;
}

static enum net_http_method method_id(const char *m) {
  static const char *const names[] = {
      [NET_HTTP_METHOD_GET] = "GET",       [NET_HTTP_METHOD_HEAD] = "HEAD",
      [NET_HTTP_METHOD_POST] = "POST",     [NET_HTTP_METHOD_PUT] = "PUT",
      [NET_HTTP_METHOD_DELETE] = "DELETE", [NET_HTTP_METHOD_OPTIONS] = "OPTIONS",
  };
  size_t i;

  for (i = 1; i < sizeof(names) / sizeof(names[0]); i++)
    if (strcmp(m, names[i]) == 0)
      return (enum net_http_method)i;
  return NET_HTTP_METHOD_OTHER;
}

/* Split an origin-form or absolute-form target into path and query. */
static int split_target(struct net_http_request *r, char *t) {
  char *q;

  if (strcmp(t, "*") == 0) {
    if (r->method_id != NET_HTTP_METHOD_OPTIONS)
      return -1;
    r->path = t;
    return 0;
  }
  if (t[0] != '/') {
    size_t skip = net_http_ieq_n(t, 7, "http://")    ? 7
                  : net_http_ieq_n(t, 8, "https://") ? 8
                                                     : 0;
    if (skip == 0 || strlen(t) < skip)
      return -1;
    t += skip;
    t += strcspn(t, "/?");
  }
  q = strchr(t, '?');
  if (q) {
    *q = '\0';
    r->query = q + 1;
  }
  /* Absolute-form without a path ("http://h" or "http://h?x") means "/". */
  r->path = t[0] ? t : "/";
  return 0;
}

/* "METHOD SP target SP HTTP/1.x" */
static enum net_http_parse request_line(struct net_http_parser *p, char *s,
                                        size_t len) {
  struct net_http_request *r = &p->req;
  char *sp1 = memchr(s, ' ', len), *sp2, *v, *c;

  if (!sp1 || sp1 == s)
    return fail(p, 400);
  for (c = s; c < sp1; c++)
    if (!net_http_is_tchar((unsigned char)*c))
      return fail(p, 400);
  sp2 = memchr(sp1 + 1, ' ', len - (size_t)(sp1 + 1 - s));
  if (!sp2 || sp2 == sp1 + 1)
    return fail(p, 400);
  for (c = sp1 + 1; c < sp2; c++)
    if ((unsigned char)*c <= 0x20 || (unsigned char)*c >= 0x7f)
      return fail(p, 400);
  v = sp2 + 1;
  if (strlen(v) != 8 || memcmp(v, "HTTP/", 5) != 0 || v[5] < '0' ||
      v[5] > '9' || v[6] != '.' || v[7] < '0' || v[7] > '9')
    return fail(p, 400);
  if (v[5] != '1')
    return fail(p, 505);
  *sp1 = *sp2 = '\0';
  r->method = s;
  r->method_id = method_id(s);
  r->version_minor = v[7] == '0' ? 0 : 1;
  if (split_target(r, sp1 + 1) < 0)
    return fail(p, 400);
  return NET_HTTP_PARSE_MORE;
}

/* Call fn on each trimmed, non-empty element of a comma-separated list;
 * stops at the first non-zero result and returns it. */
static int each_token(const char *v, int (*fn)(struct net_http_parser *,
                                               const char *, size_t),
                      struct net_http_parser *p) {
  while (*v) {
    size_t n = strcspn(v, ","), b = 0, e = n;
    int rc;

    while (b < e && (v[b] == ' ' || v[b] == '\t'))
      b++;
    while (e > b && (v[e - 1] == ' ' || v[e - 1] == '\t'))
      e--;
    if (e > b && (rc = fn(p, v + b, e - b)) != 0)
      return rc;
    v += n + (v[n] == ',');
  }
  return 0;
}

static int te_token(struct net_http_parser *p, const char *t, size_t n) {
  if (!net_http_ieq_n(t, n, "chunked"))
    return 501;          /* gzip, deflate, identity...: not implemented */
  if (p->req.chunked)
    return 400;          /* chunked twice */
  p->req.chunked = true;
  return 0;
}

static int conn_token(struct net_http_parser *p, const char *t, size_t n) {
  if (net_http_ieq_n(t, n, "close"))
    p->conn_close = true;
  else if (net_http_ieq_n(t, n, "keep-alive"))
    p->conn_keep = true;
  return 0;
}

/* Digits only; no sign, no list, no overflow. */
static int content_length(const char *v, int64_t *out) {
  int64_t n = 0;

  if (*v == '\0')
    return -1;
  for (; *v; v++) {
    if (*v < '0' || *v > '9' || n > (INT64_MAX - 9) / 10)
      return -1;
    n = n * 10 + (*v - '0');
  }
  *out = n;
  return 0;
}

/* Record the headers the server itself interprets. Returns 0 or a status. */
static int known_header(struct net_http_parser *p, const char *name,
                        const char *v) {
  struct net_http_request *r = &p->req;

  if (net_http_ieq(name, "content-length")) {
    if (r->content_length >= 0 || content_length(v, &r->content_length) < 0)
      return 400;
  } else if (net_http_ieq(name, "transfer-encoding")) {
    r->transfer_encoding = v;
    return each_token(v, te_token, p);
  } else if (net_http_ieq(name, "connection")) {
    r->connection = v;
    return each_token(v, conn_token, p);
  } else if (net_http_ieq(name, "content-type")) {
    if (r->content_type)
      return 400;
    r->content_type = v;
  } else if (net_http_ieq(name, "content-encoding")) {
    if (r->content_encoding)
      return 400;
    r->content_encoding = v;
  } else if (net_http_ieq(name, "expect")) {
    if (r->expect)
      return 400;
    if (!net_http_ieq(v, "100-continue"))
      return 417;
    r->expect = v;
  }
  return 0;
}

/* "name: value" with OWS trimmed. Returns 0 or a status. */
static int header_line(struct net_http_parser *p, char *s, size_t len) {
  struct net_http_request *r = &p->req;
  char *colon = memchr(s, ':', len), *v, *e, *c;

  if (s[0] == ' ' || s[0] == '\t' || !colon || colon == s)
    return 400;  /* obsolete folding, no name, or no colon */
  for (c = s; c < colon; c++)
    if (!net_http_is_tchar((unsigned char)*c))
      return 400;
  *colon = '\0';
  v = colon + 1;
  e = s + len;
  while (v < e && (*v == ' ' || *v == '\t'))
    v++;
  while (e > v && (e[-1] == ' ' || e[-1] == '\t'))
    e--;
  *e = '\0';
  for (c = v; c < e; c++)
    if (is_ctl((unsigned char)*c))
      return 400;
  if (r->headers_count == NET_HTTP_HEADERS_MAX)
    return 431;
  r->headers[r->headers_count].name = s;
  r->headers[r->headers_count].value = v;
  r->headers_count++;
  return known_header(p, s, v);
}

/* Decide the framing once every header is in. */
static enum net_http_parse framing(struct net_http_parser *p) {
  struct net_http_request *r = &p->req;

  if (r->transfer_encoding && (!r->chunked || r->content_length >= 0))
    return fail(p, 400);
  if (r->content_length > (int64_t)p->body_bytes_max)
    return fail(p, 413);
  /* Refused before the body is sent (and before 100 Continue); nothing
   * is held yet. */
  if (r->content_length > 0 &&
      !budget_fits(p, (uint64_t)r->content_length + 1))
    return fail(p, 503);
  if (r->version_minor >= 1)
    r->keep_alive = !p->conn_close;
  else  /* HTTP/1.0 has no chunked framing to rely on: close after it */
    r->keep_alive = p->conn_keep && !p->conn_close && !r->chunked;
  r->expect_continue = r->expect && r->version_minor >= 1;
  if (r->chunked) {
    p->state = ST_CHUNK_SIZE;
  } else if (r->content_length > 0) {
    p->state = ST_BODY;
    p->left = (uint64_t)r->content_length;
  } else {
    return finish(p);
  }
  return r->expect_continue ? NET_HTTP_PARSE_CONTINUE : NET_HTTP_PARSE_MORE;
}

static enum net_http_parse head_done(struct net_http_parser *p) {
  size_t pos = 0;
  enum net_http_parse rc;
  ssize_t len;
  char *line;
  int st;

  p->head[p->head_len] = '\0';
  len = next_line(p, &pos, &line);
  if (len < 0)
    return fail(p, 400);
  rc = request_line(p, line, (size_t)len);
  if (rc != NET_HTTP_PARSE_MORE)
    return rc;
  while ((len = next_line(p, &pos, &line)) != 0) {
    if (len < 0)
      return fail(p, 400);
    st = header_line(p, line, (size_t)len);
    if (st != 0)
      return fail(p, st);
  }
  return framing(p);
}

/* Take header bytes up to the blank line that ends them. */
static enum net_http_parse feed_head(struct net_http_parser *p,
                                     const char *d, size_t n, size_t *k) {
  size_t i = 0;

  while (i < n) {
    size_t room = p->header_bytes_max - p->head_len - p->skipped;
    size_t take = n - i < room ? n - i : room, cnt, line_len;
    const char *nl;

    if (room == 0) {
      *k = i;
      return fail(p, 431);
    }
    nl = memchr(d + i, '\n', take);
    cnt = nl ? (size_t)(nl - (d + i)) + 1 : take;
    memcpy(p->head + p->head_len, d + i, cnt);
    p->head_len += cnt;
    i += cnt;
    if (!nl)
      continue;
    line_len = p->head_len - 1 - p->line_start;
    if (line_len > 1 || (line_len == 1 && p->head[p->line_start] != '\r')) {
      p->line_start = p->head_len;
      continue;
    }
    if (p->line_start == 0) {  /* blank line before the request line */
      p->skipped += p->head_len;
      p->head_len = 0;
      continue;
    }
    *k = i;
    return head_done(p);
  }
  *k = i;
  return NET_HTTP_PARSE_MORE;
}

/* ---- bodies ------------------------------------------------------------- */

/* take body bytes now at p->body + p->body_len (room reserved). */
static enum net_http_parse took_data(struct net_http_parser *p, size_t take) {
  p->body_len += take;
  p->left -= take;
  if (p->left > 0)
    return NET_HTTP_PARSE_MORE;
  if (p->state == ST_BODY)
    return finish(p);
  p->state = ST_CHUNK_DATA_END;
  return NET_HTTP_PARSE_MORE;
}

/* Copy Content-Length or chunk data bytes. */
static enum net_http_parse feed_data(struct net_http_parser *p,
                                     const char *d, size_t n, size_t *k) {
  size_t take = n < p->left ? n : (size_t)p->left;
  int rc;

  *k = 0;
  rc = body_reserve(p, take);
  if (rc < 0)
    return fail(p, rc == -ENOBUFS ? 503 : 500);
  memcpy(p->body + p->body_len, d, take);
  *k = take;
  return took_data(p, take);
}

char *net_http_parser_body_room(struct net_http_parser *p, size_t *room) {
  size_t free_bytes;

  *room = 0;
  if ((p->state != ST_BODY && p->state != ST_CHUNK_DATA) || p->left == 0 ||
      body_reserve(p, p->left < BODY_ROOM_MIN ? (size_t)p->left
                                              : BODY_ROOM_MIN) < 0)
    return NULL;
  free_bytes = p->body_cap - p->body_len - 1;  /* the NUL's byte kept */
  *room = p->left < free_bytes ? (size_t)p->left : free_bytes;
  return p->body + p->body_len;
}

enum net_http_parse net_http_parser_body_wrote(struct net_http_parser *p,
                                               size_t n) {
  ASSERT((p->state == ST_BODY || p->state == ST_CHUNK_DATA) && n > 0 &&
         n <= p->left && p->body_len + n < p->body_cap);
  return took_data(p, n);
}

static enum net_http_parse enter(struct net_http_parser *p, int st) {
  switch (st) {
  case ST_CHUNK_SIZE:
    p->left = 0;
    p->saw_digit = false;
    p->line_bytes = 0;
    break;
  case ST_TRAILER_LINE:
    p->saw_colon = false;
    break;
  case ST_DONE:
    return finish(p);
  default:
    break;
  }
  p->state = st;
  return NET_HTTP_PARSE_MORE;
}

/* A line ends with c (CR or LF); then go to st. */
static enum net_http_parse line_end(struct net_http_parser *p, char c,
                                    int st) {
  if (c == '\n')
    return enter(p, st);
  p->next = st;
  p->state = ST_CR_LF;
  return NET_HTTP_PARSE_MORE;
}

static enum net_http_parse chunk_size_byte(struct net_http_parser *p,
                                           char c) {
  int h = net_http_hexval((unsigned char)c);

  if (c != '\r' && c != '\n' &&
      ++p->line_bytes > NET_HTTP_CHUNK_LINE_BYTES_MAX)
    return fail(p, 400);
  if (p->state == ST_CHUNK_SIZE && h >= 0) {
    p->left = p->left * 16 + (uint64_t)h;
    if (p->left > p->body_bytes_max - p->body_len)
      return fail(p, 413);
    p->saw_digit = true;
    return NET_HTTP_PARSE_MORE;
  }
  if (!p->saw_digit)
    return fail(p, 400);
  if ((c == '\r' || c == '\n') && p->left &&
      !budget_fits(p, p->body_len + p->left + 1))
    return fail(p, 503);  /* the declared chunk could not fit the budget */
  if (c == '\r' || c == '\n')
    return line_end(p, c, p->left ? ST_CHUNK_DATA : ST_TRAILER_START);
  if (p->state == ST_CHUNK_EXT)
    return is_ctl((unsigned char)c) ? fail(p, 400) : NET_HTTP_PARSE_MORE;
  if (c == ' ' || c == '\t')
    p->state = ST_CHUNK_BWS;
  else if (c == ';')
    p->state = ST_CHUNK_EXT;
  else
    return fail(p, 400);
  return NET_HTTP_PARSE_MORE;
}

static enum net_http_parse trailer_byte(struct net_http_parser *p, char c) {
  unsigned char u = (unsigned char)c;

  if (++p->trailer_bytes > p->header_bytes_max)
    return fail(p, 431);
  if (p->state == ST_TRAILER_START) {
    if (c == '\r' || c == '\n')
      return line_end(p, c, ST_DONE);
    if (!net_http_is_tchar(u))
      return fail(p, 400);  /* folding, empty name or junk */
    return enter(p, ST_TRAILER_LINE);
  }
  if (c == '\r' || c == '\n')
    return p->saw_colon ? line_end(p, c, ST_TRAILER_START) : fail(p, 400);
  if (!p->saw_colon && c == ':')
    p->saw_colon = true;
  else if (p->saw_colon ? is_ctl(u) : !net_http_is_tchar(u))
    return fail(p, 400);
  return NET_HTTP_PARSE_MORE;
}

/* One byte of the framing around chunk data. */
static enum net_http_parse feed_byte(struct net_http_parser *p, char c) {
  switch (p->state) {
  case ST_CHUNK_SIZE:
  case ST_CHUNK_BWS:
  case ST_CHUNK_EXT:
    return chunk_size_byte(p, c);
  case ST_CHUNK_DATA_END:
    if (c == '\r' || c == '\n')
      return line_end(p, c, ST_CHUNK_SIZE);
    return fail(p, 400);
  case ST_TRAILER_START:
  case ST_TRAILER_LINE:
    return trailer_byte(p, c);
  case ST_CR_LF:
    return c == '\n' ? enter(p, p->next) : fail(p, 400);
  default:
    ASSERT(0);
    return fail(p, 500);
  }
}

enum net_http_parse net_http_parser_feed(struct net_http_parser *p,
                                         const char *data, size_t n,
                                         size_t *used) {
  enum net_http_parse r = NET_HTTP_PARSE_MORE;
  size_t i = 0, k;

  if (p->state == ST_DONE || p->state == ST_ERROR) {
    *used = 0;
    return p->state == ST_DONE ? NET_HTTP_PARSE_DONE : NET_HTTP_PARSE_ERROR;
  }
  while (i < n && r == NET_HTTP_PARSE_MORE) {
    switch (p->state) {
    case ST_HEAD:
      r = feed_head(p, data + i, n - i, &k);
      break;
    case ST_BODY:
    case ST_CHUNK_DATA:
      r = feed_data(p, data + i, n - i, &k);
      break;
    default:
      r = feed_byte(p, data[i]);
      k = 1;
      break;
    }
    i += k;
  }
  *used = i;
  return r;
}

