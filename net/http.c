/*
 * net/http.c - HTTP/1.1: incremental request parser, helpers, and the
 * one-thread epoll server (see net/http.h).
 *
 * The parser is strict where leniency lets two parties disagree about
 * where a request ends (request smuggling): Content-Length must be one
 * plain number, it may not come with Transfer-Encoding, only "chunked" is
 * a known transfer coding, obsolete line folding and bare CRs are
 * refused. It is lenient where that is harmless: bare LF ends a line,
 * blank lines before a request are skipped, absolute-form targets work.
 */
#include "net/http.h"

#include <errno.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <time.h>
#include <unistd.h>

#include "core/base/assert.h"
#include "core/shard/stats.h"

/* ======================================================================
 * Parser
 * ====================================================================== */

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

#define BODY_CAP_MIN 4096

static bool is_tchar(unsigned char c) {
  if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
      (c >= '0' && c <= '9'))
    return true;
  return c != 0 && strchr("!#$%&'*+-.^_`|~", c) != NULL;
}

/* A control byte other than HTAB: never allowed in a field value. */
static bool is_ctl(unsigned char c) {
  return (c < 0x20 && c != '\t') || c == 0x7f;
}

static int lower(int c) {
  return c >= 'A' && c <= 'Z' ? c + ('a' - 'A') : c;
}

/* ASCII case-insensitive equality of s[0..n) and the string t. */
static bool ieq_n(const char *s, size_t n, const char *t) {
  size_t i;

  for (i = 0; i < n; i++)
    if (t[i] == '\0' || lower((unsigned char)s[i]) != lower((unsigned char)t[i]))
      return false;
  return t[n] == '\0';
}

static bool ieq(const char *s, const char *t) {
  return ieq_n(s, strlen(s), t);
}

static int hexval(int c) {
  if (c >= '0' && c <= '9')
    return c - '0';
  c = lower(c);
  if (c >= 'a' && c <= 'f')
    return c - 'a' + 10;
  return -1;
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

void net_http_parser_free(struct net_http_parser *p) {
  free(p->head);
  free(p->body);
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
    free(p->body);
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

/* Room for extra more body bytes and the final NUL. Returns 0, -ENOBUFS
 * (budget) or -ENOMEM. */
static int body_reserve(struct net_http_parser *p, size_t extra) {
  size_t need = p->body_len + extra + 1, cap;
  char *b;

  if (need <= p->body_cap)
    return 0;
  cap = p->body_cap ? p->body_cap * 2 : BODY_CAP_MIN;
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
  b = realloc(p->body, cap);
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
    size_t skip = ieq_n(t, 7, "http://") ? 7 : ieq_n(t, 8, "https://") ? 8 : 0;
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
    if (!is_tchar((unsigned char)*c))
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
  if (!ieq_n(t, n, "chunked"))
    return 501;          /* gzip, deflate, identity...: not implemented */
  if (p->req.chunked)
    return 400;          /* chunked twice */
  p->req.chunked = true;
  return 0;
}

static int conn_token(struct net_http_parser *p, const char *t, size_t n) {
  if (ieq_n(t, n, "close"))
    p->conn_close = true;
  else if (ieq_n(t, n, "keep-alive"))
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

  if (ieq(name, "content-length")) {
    if (r->content_length >= 0 || content_length(v, &r->content_length) < 0)
      return 400;
  } else if (ieq(name, "transfer-encoding")) {
    r->transfer_encoding = v;
    return each_token(v, te_token, p);
  } else if (ieq(name, "connection")) {
    r->connection = v;
    return each_token(v, conn_token, p);
  } else if (ieq(name, "content-type")) {
    if (r->content_type)
      return 400;
    r->content_type = v;
  } else if (ieq(name, "content-encoding")) {
    if (r->content_encoding)
      return 400;
    r->content_encoding = v;
  } else if (ieq(name, "expect")) {
    if (r->expect)
      return 400;
    if (!ieq(v, "100-continue"))
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
    if (!is_tchar((unsigned char)*c))
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
  /* Refused before the body is sent (and before 100 Continue). */
  if (r->content_length > 0 &&
      budget_hold(p, (size_t)r->content_length + 1) < 0)
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
  p->body_len += take;
  p->left -= take;
  *k = take;
  if (p->left > 0)
    return NET_HTTP_PARSE_MORE;
  if (p->state == ST_BODY)
    return finish(p);
  p->state = ST_CHUNK_DATA_END;
  return NET_HTTP_PARSE_MORE;
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
  int h = hexval((unsigned char)c);

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
      budget_hold(p, p->body_len + (size_t)p->left + 1) < 0)
    return fail(p, 503);  /* the declared chunk would pass the budget */
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
    if (!is_tchar(u))
      return fail(p, 400);  /* folding, empty name or junk */
    return enter(p, ST_TRAILER_LINE);
  }
  if (c == '\r' || c == '\n')
    return p->saw_colon ? line_end(p, c, ST_TRAILER_START) : fail(p, 400);
  if (!p->saw_colon && c == ':')
    p->saw_colon = true;
  else if (p->saw_colon ? is_ctl(u) : !is_tchar(u))
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

/* ======================================================================
 * Helpers for handlers
 * ====================================================================== */

/* Decode the byte at s[*i] (a %XX, a '+' or a plain byte) and advance. */
static int decode_at(const char *s, size_t n, size_t *i, bool plus) {
  int hi, lo;

  if (s[*i] == '%' && *i + 2 < n) {
    hi = hexval((unsigned char)s[*i + 1]);
    lo = hexval((unsigned char)s[*i + 2]);
    if (hi >= 0 && lo >= 0) {
      *i += 3;
      return hi * 16 + lo;
    }
  }
  if (plus && s[*i] == '+') {
    (*i)++;
    return ' ';
  }
  return (unsigned char)s[(*i)++];
}

int net_http_url_decode(const char *s, size_t n, bool plus_is_space,
                        char *out, size_t outlen) {
  size_t i = 0, o = 0;

  while (i < n) {
    int c = decode_at(s, n, &i, plus_is_space);
    if (o + 1 >= outlen)
      return -ENOSPC;
    out[o++] = (char)c;
  }
  if (outlen == 0)
    return -ENOSPC;
  out[o] = '\0';
  return (int)o;
}

/* Does s[0..n), decoded, equal name? */
static bool name_is(const char *s, size_t n, const char *name) {
  size_t i = 0;

  while (i < n) {
    if (*name == '\0' || decode_at(s, n, &i, true) != (unsigned char)*name)
      return false;
    name++;
  }
  return *name == '\0';
}

int net_http_query_param(const struct net_http_request *req,
                         const char *name, size_t idx, char *out,
                         size_t outlen) {
  const char *q = req->query ? req->query : "";

  while (*q) {
    size_t n = strcspn(q, "&");
    const char *eq = memchr(q, '=', n);
    size_t name_len = eq ? (size_t)(eq - q) : n;

    if (n > 0 && name_is(q, name_len, name) && idx-- == 0) {
      if (!eq)
        return net_http_url_decode("", 0, true, out, outlen);
      return net_http_url_decode(eq + 1, n - name_len - 1, true, out, outlen);
    }
    q += n + (q[n] == '&');
  }
  return -ENOENT;
}

const char *net_http_header(const struct net_http_request *req,
                            const char *name) {
  unsigned i;

  for (i = 0; i < req->headers_count; i++)
    if (ieq(req->headers[i].name, name))
      return req->headers[i].value;
  return NULL;
}

const char *net_http_reason(int status) {
  switch (status) {
  case 100: return "Continue";
  case 200: return "OK";
  case 201: return "Created";
  case 202: return "Accepted";
  case 204: return "No Content";
  case 206: return "Partial Content";
  case 301: return "Moved Permanently";
  case 302: return "Found";
  case 304: return "Not Modified";
  case 400: return "Bad Request";
  case 401: return "Unauthorized";
  case 403: return "Forbidden";
  case 404: return "Not Found";
  case 405: return "Method Not Allowed";
  case 406: return "Not Acceptable";
  case 408: return "Request Timeout";
  case 409: return "Conflict";
  case 411: return "Length Required";
  case 413: return "Payload Too Large";
  case 414: return "URI Too Long";
  case 415: return "Unsupported Media Type";
  case 417: return "Expectation Failed";
  case 422: return "Unprocessable Content";
  case 429: return "Too Many Requests";
  case 431: return "Request Header Fields Too Large";
  case 500: return "Internal Server Error";
  case 501: return "Not Implemented";
  case 502: return "Bad Gateway";
  case 503: return "Service Unavailable";
  case 504: return "Gateway Timeout";
  case 505: return "HTTP Version Not Supported";
  case 507: return "Insufficient Storage";
  default: return "Unknown";
  }
}

int net_http_response_header(struct net_http_response *resp,
                             const char *name, const char *value) {
  size_t room = sizeof(resp->headers) - resp->headers_len;
  const char *c;
  int n;

  if (name[0] == '\0')
    return -EINVAL;
  for (c = name; *c; c++)
    if (!is_tchar((unsigned char)*c))
      return -EINVAL;
  for (c = value; *c; c++)
    if (*c == '\r' || *c == '\n')
      return -EINVAL;
  n = snprintf(resp->headers + resp->headers_len, room, "%s: %s\r\n", name,
               value);
  if (n < 0 || (size_t)n >= room) {
    resp->headers[resp->headers_len] = '\0';
    return -ENOSPC;
  }
  resp->headers_len += (size_t)n;
  return 0;
}

/* ======================================================================
 * Server: one thread, epoll, non-blocking sockets
 * ====================================================================== */

enum { C_READ = 0, C_WRITE, C_LINGER };

#define EV_LISTEN UINT64_MAX
#define EV_WAKE (UINT64_MAX - 1)
#define EVENTS_MAX 64
#define ACCEPT_PAUSE_MS 100  /* out of fds: stop accepting for this long */

struct conn {
  int fd;                        /* -1: free slot */
  int state;                     /* C_READ, C_WRITE, C_LINGER */
  uint32_t events;               /* epoll interest */
  bool more;                     /* unparsed input left after a turn */
  bool close_after;              /* the reply being written is final */
  struct net_http_parser parser;
  char *in;                      /* NET_HTTP_RECV_BUF_BYTES */
  size_t in_off, in_len;
  struct core_strbuf out_head;   /* status line and headers */
  struct net_http_response resp; /* its body follows out_head */
  size_t resp_held;              /* of the budget, for resp.body */
  bool send_body;
  size_t out_off;
  size_t linger_bytes;
  uint64_t deadline_ms;
};

struct net_http_server {
  struct net_http_server_opts o;
  int listen_fd, epoll_fd, wake_fd;
  uint16_t port;
  bool thread_started;
  pthread_t thread;
  unsigned conns_open;
  uint64_t accept_resume_ms;     /* 0: accepting */
  struct net_http_stats stats;
  struct net_http_budget budget; /* request and response bodies */
  struct conn *conns;            /* o.conns_max slots */
};

static uint64_t now_ms(void) {
  struct timespec ts;

  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

static void touch(const struct net_http_server *s, struct conn *c) {
  c->deadline_ms = now_ms() + s->o.read_timeout_ms;
}

/* Free the response body and give back what it held of the budget. */
static void resp_release(struct net_http_server *s, struct conn *c) {
  core_strbuf_free(&c->resp.body);
  net_http_budget_give(&s->budget, c->resp_held);
  c->resp_held = 0;
}

static void conn_close(struct net_http_server *s, struct conn *c) {
  epoll_ctl(s->epoll_fd, EPOLL_CTL_DEL, c->fd, NULL);
  close(c->fd);
  c->fd = -1;
  net_http_parser_free(&c->parser);
  free(c->in);
  c->in = NULL;
  core_strbuf_free(&c->out_head);
  resp_release(s, c);
  ASSERT(s->conns_open > 0);
  s->conns_open--;
}

static void set_interest(struct net_http_server *s, struct conn *c,
                         uint32_t ev) {
  struct epoll_event e = {.events = ev, .data.u64 = (uint64_t)(c - s->conns)};

  if (ev == c->events)
    return;
  if (epoll_ctl(s->epoll_fd, EPOLL_CTL_MOD, c->fd, &e) == 0)
    c->events = ev;
}

/* "Date: Sun, 06 Nov 1994 08:49:37 GMT" without locale dependence. */
static void http_date(char *out, size_t n) {
  static const char days[7][4] = {"Sun", "Mon", "Tue", "Wed", "Thu", "Fri",
                                  "Sat"};
  static const char mons[12][4] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                   "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
  time_t t = time(NULL);
  struct tm tm;

  gmtime_r(&t, &tm);
  snprintf(out, n, "%s, %02d %s %04d %02d:%02d:%02d GMT", days[tm.tm_wday % 7],
           tm.tm_mday, mons[tm.tm_mon % 12], tm.tm_year + 1900, tm.tm_hour,
           tm.tm_min, tm.tm_sec);
}

/* Build the status line and headers of c->resp into c->out_head. */
static void build_head(struct conn *c, bool head_method, bool keep_alive) {
  struct net_http_response *r = &c->resp;
  struct core_strbuf *h = &c->out_head;
  bool no_body = r->status == 204 || r->status == 304;
  char date[64];

  http_date(date, sizeof(date));
  core_strbuf_init(h, NET_HTTP_HEADER_BYTES_MAX);
  core_strbuf_appendf(h, "HTTP/1.1 %d %s\r\nDate: %s\r\nServer: sluice/%s\r\n",
                      r->status, net_http_reason(r->status), date,
                      SLUICE_VERSION);
  if (r->content_type && !no_body)
    core_strbuf_appendf(h, "Content-Type: %s\r\n", r->content_type);
  if (!no_body)
    core_strbuf_appendf(h, "Content-Length: %zu\r\n", r->body.len);
  core_strbuf_append(h, r->headers, r->headers_len);
  core_strbuf_appendf(h, "Connection: %s\r\n\r\n",
                      keep_alive ? "keep-alive" : "close");
  /* Handler headers are bounded well below the head bound. */
  ASSERT(!h->failed);
  c->send_body = !head_method && !no_body;
  c->close_after = !keep_alive;
  c->out_off = 0;
  c->state = C_WRITE;
}

static void resp_init(struct net_http_response *r, int status) {
  r->status = status;
  r->content_type = "text/plain; charset=utf-8";
  core_strbuf_init(&r->body, NET_HTTP_RESPONSE_BYTES_MAX);
  r->close = false;
  r->headers_len = 0;
  r->headers[0] = '\0';
}

/* 503 Retry-After: bodies would pass the memory budget. Its short body is
 * not counted, like the other replies the server writes itself. */
static void resp_busy(struct net_http_server *s, struct net_http_response *r) {
  static const char text[] = "server busy: request and response bodies fill "
                             "its memory budget; retry\n";
  bool close = r->close;

  core_stat_add(&s->stats.rejected_memory, 1);
  resp_init(r, 503);
  r->close = close;
  net_http_response_header(r, "Retry-After", "1");
  core_strbuf_append(&r->body, text, sizeof(text) - 1);
}

/* A final reply with a one-line text body, then close. */
static void reply_error(struct net_http_server *s, struct conn *c,
                        int status) {
  resp_release(s, c);
  if (status == 503) {  /* the parser's only 503: its body budget */
    resp_busy(s, &c->resp);
  } else {
    core_stat_add(&s->stats.requests_bad, 1);
    resp_init(&c->resp, status);
    core_strbuf_appendf(&c->resp.body, "%s\n", net_http_reason(status));
  }
  build_head(c, false, false);
  /* Nothing more is parsed: a partial body gives back its budget now,
   * not when lingering ends. */
  net_http_parser_reset(&c->parser);
}

/* Count the body c->resp holds while clients read it; past the budget,
 * send 503 instead. */
static void hold_response(struct net_http_server *s, struct conn *c,
                          bool keep_alive) {
  struct net_http_response *r = &c->resp;

  if (!c->send_body) {
    core_strbuf_free(&r->body);  /* HEAD, 204, 304: the head says it all */
    return;
  }
  if (net_http_budget_take(&s->budget, r->body.cap) == 0) {
    c->resp_held = r->body.cap;
    return;
  }
  core_strbuf_free(&r->body);
  core_strbuf_free(&c->out_head);
  resp_busy(s, r);
  build_head(c, false, keep_alive && !r->close);
}

/* Give a complete request to the handler and queue its reply. */
static void dispatch(struct net_http_server *s, struct conn *c) {
  const struct net_http_request *req = &c->parser.req;
  struct net_http_response *r = &c->resp;
  bool head_method = req->method_id == NET_HTTP_METHOD_HEAD;
  bool keep = req->keep_alive;

  resp_init(r, 200);
  s->o.fn(req, r, s->o.ctx);
  core_stat_add(&s->stats.requests, 1);
  /* The request body's budget is free before the response takes some. */
  net_http_parser_reset(&c->parser);
  if (r->body.failed || r->status < 200 || r->status > 599) {
    /* A cut body or an impossible status must not reach the client. */
    core_strbuf_free(&r->body);
    resp_init(r, 500);
    core_strbuf_appendf(&r->body, "response too large or invalid\n");
  }
  build_head(c, head_method, keep && !r->close);
  hold_response(s, c, keep);
  touch(s, c);  /* the handler's time is not the client's */
}

static void queue_continue(struct conn *c) {
  core_strbuf_init(&c->out_head, 64);
  core_strbuf_appendf(&c->out_head, "HTTP/1.1 100 Continue\r\n\r\n");
  c->send_body = false;
  c->close_after = false;
  c->out_off = 0;
  c->state = C_WRITE;
}

/* Write what is pending. Returns 1 when all is written, 0 when the socket
 * is full, -1 when the connection is gone. */
static int flush(struct net_http_server *s, struct conn *c) {
  size_t hl = c->out_head.len, bl = c->send_body ? c->resp.body.len : 0;

  while (c->out_off < hl + bl) {
    struct iovec iov[2];
    struct msghdr m = {.msg_iov = iov};
    ssize_t n;

    if (c->out_off < hl) {
      iov[0] = (struct iovec){c->out_head.data + c->out_off, hl - c->out_off};
      iov[1] = (struct iovec){c->resp.body.data, bl};
      m.msg_iovlen = bl ? 2 : 1;
    } else {
      iov[0] = (struct iovec){c->resp.body.data + (c->out_off - hl),
                              hl + bl - c->out_off};
      m.msg_iovlen = 1;
    }
    n = sendmsg(c->fd, &m, MSG_NOSIGNAL | MSG_DONTWAIT);
    if (n < 0 && errno == EINTR)
      continue;
    if (n < 0)
      return errno == EAGAIN || errno == EWOULDBLOCK ? 0 : -1;
    c->out_off += (size_t)n;
    touch(s, c);
  }
  core_strbuf_free(&c->out_head);
  resp_release(s, c);
  c->state = C_READ;
  if (c->close_after) {
    /* Half-close and drain, so unread input does not turn our close into a
     * reset that destroys the reply before the client reads it. */
    shutdown(c->fd, SHUT_WR);
    c->state = C_LINGER;
    c->linger_bytes = 0;
    c->deadline_ms = now_ms() + NET_HTTP_LINGER_MS;
  }
  return 1;
}

/* Read more input. Returns bytes read, 0 if none yet, -1 at EOF/error. */
static ssize_t fill(struct net_http_server *s, struct conn *c) {
  for (;;) {
    ssize_t n = recv(c->fd, c->in, NET_HTTP_RECV_BUF_BYTES, 0);

    if (n > 0) {
      c->in_off = 0;
      c->in_len = (size_t)n;
      touch(s, c);
      return n;
    }
    if (n == 0)
      return -1;
    if (errno == EINTR)
      continue;
    return errno == EAGAIN || errno == EWOULDBLOCK ? 0 : -1;
  }
}

/* Discard input after a final reply until EOF, a bound, or the deadline. */
static void linger(struct net_http_server *s, struct conn *c) {
  ssize_t n;

  while ((n = recv(c->fd, c->in, NET_HTTP_RECV_BUF_BYTES, 0)) > 0) {
    c->linger_bytes += (size_t)n;
    if (c->linger_bytes > NET_HTTP_LINGER_BYTES_MAX)
      break;
  }
  if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR))
    return;
  conn_close(s, c);
}

/* Parse buffered input and queue whatever reply it calls for. */
static void parse_step(struct net_http_server *s, struct conn *c) {
  size_t used;
  enum net_http_parse r;

  r = net_http_parser_feed(&c->parser, c->in + c->in_off,
                           c->in_len - c->in_off, &used);
  c->in_off += used;
  switch (r) {
  case NET_HTTP_PARSE_MORE:
    break;
  case NET_HTTP_PARSE_CONTINUE:
    queue_continue(c);
    break;
  case NET_HTTP_PARSE_DONE:
    dispatch(s, c);
    break;
  case NET_HTTP_PARSE_ERROR:
    reply_error(s, c, c->parser.status);
    break;
  }
}

/* Serve one connection as far as it goes without blocking. */
static void serve(struct net_http_server *s, struct conn *c) {
  unsigned served = 0;

  c->more = false;
  for (;;) {
    if (c->state == C_WRITE) {
      int rc = flush(s, c);
      if (rc < 0) {
        conn_close(s, c);
        return;
      }
      if (rc == 0)
        break;
      served++;
    }
    if (c->state == C_LINGER) {
      set_interest(s, c, EPOLLIN);
      linger(s, c);
      return;
    }
    if (served >= NET_HTTP_TURN_REQUESTS_MAX) {
      c->more = c->in_off < c->in_len;  /* socket data re-arms epoll */
      break;
    }
    if (c->in_off == c->in_len) {
      ssize_t n = fill(s, c);
      if (n < 0) {
        conn_close(s, c);
        return;
      }
      if (n == 0)
        break;
    }
    parse_step(s, c);
  }
  set_interest(s, c, c->state == C_WRITE ? EPOLLOUT : EPOLLIN);
}

static const char reject_503[] =
    "HTTP/1.1 503 Service Unavailable\r\nContent-Type: text/plain\r\n"
    "Content-Length: 20\r\nRetry-After: 1\r\nConnection: close\r\n\r\n"
    "too many connections";

/* Take a free slot for fd. Returns 0 or -errno (fd is then not taken). */
static int conn_open(struct net_http_server *s, int fd) {
  struct conn *c = NULL;
  struct epoll_event e = {.events = EPOLLIN};
  unsigned i;
  int one = 1;

  for (i = 0; i < s->o.conns_max && !c; i++)
    if (s->conns[i].fd < 0)
      c = &s->conns[i];
  ASSERT(c != NULL);
  memset(c, 0, sizeof(*c));
  c->in = malloc(NET_HTTP_RECV_BUF_BYTES);
  if (!c->in || net_http_parser_init(&c->parser, s->o.header_bytes_max,
                                     s->o.body_bytes_max) < 0) {
    free(c->in);
    net_http_parser_free(&c->parser);
    c->fd = -1;
    return -ENOMEM;
  }
  net_http_parser_set_budget(&c->parser, &s->budget);
  e.data.u64 = (uint64_t)(c - s->conns);
  if (epoll_ctl(s->epoll_fd, EPOLL_CTL_ADD, fd, &e) < 0) {
    int rc = -errno;
    free(c->in);
    net_http_parser_free(&c->parser);
    c->fd = -1;
    return rc;
  }
  /* Replies go out in one sendmsg; a 100 Continue must not wait. */
  (void)setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
  c->fd = fd;
  c->events = EPOLLIN;
  core_strbuf_init(&c->out_head, NET_HTTP_HEADER_BYTES_MAX);
  resp_init(&c->resp, 200);
  touch(s, c);
  s->conns_open++;
  return 0;
}

static void pause_accept(struct net_http_server *s, bool pause) {
  struct epoll_event e = {.events = pause ? 0 : EPOLLIN,
                          .data.u64 = EV_LISTEN};

  epoll_ctl(s->epoll_fd, EPOLL_CTL_MOD, s->listen_fd, &e);
  s->accept_resume_ms = pause ? now_ms() + ACCEPT_PAUSE_MS : 0;
}

static void accept_all(struct net_http_server *s) {
  for (;;) {
    int fd = accept4(s->listen_fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);

    if (fd < 0) {
      if (errno == EINTR || errno == ECONNABORTED || errno == EPROTO)
        continue;
      if (errno == EMFILE || errno == ENFILE || errno == ENOBUFS ||
          errno == ENOMEM)
        pause_accept(s, true);  /* level-triggered: would spin otherwise */
      return;
    }
    if (s->conns_open >= s->o.conns_max || conn_open(s, fd) < 0) {
      core_stat_add(&s->stats.conns_rejected, 1);
      /* Best effort: a fresh socket buffer takes this short reply. */
      (void)send(fd, reject_503, sizeof(reject_503) - 1,
                 MSG_NOSIGNAL | MSG_DONTWAIT);
      close(fd);
      continue;
    }
    core_stat_add(&s->stats.conns_accepted, 1);
  }
}

/* Milliseconds until the nearest deadline (-1: none). */
static int next_timeout(const struct net_http_server *s, uint64_t now) {
  uint64_t best = s->accept_resume_ms ? s->accept_resume_ms : UINT64_MAX;
  unsigned i;

  for (i = 0; i < s->o.conns_max; i++) {
    const struct conn *c = &s->conns[i];
    if (c->fd < 0)
      continue;
    if (c->more)
      return 0;
    if (c->deadline_ms < best)
      best = c->deadline_ms;
  }
  if (best == UINT64_MAX)
    return -1;
  return best <= now ? 0 : (int)(best - now > 60000 ? 60000 : best - now);
}

/* Serve leftovers, close connections past their deadline. */
static void housekeeping(struct net_http_server *s) {
  uint64_t now = now_ms();
  unsigned i;

  if (s->accept_resume_ms && now >= s->accept_resume_ms)
    pause_accept(s, false);
  for (i = 0; i < s->o.conns_max; i++) {
    struct conn *c = &s->conns[i];
    if (c->fd >= 0 && c->more)
      serve(s, c);
    if (c->fd < 0 || now < c->deadline_ms)
      continue;
    if (c->state != C_LINGER)
      core_stat_add(&s->stats.conns_timed_out, 1);
    conn_close(s, c);
  }
}

static void *server_main(void *arg) {
  struct net_http_server *s = arg;
  struct epoll_event ev[EVENTS_MAX];
  bool stop = false;

  while (!stop) {
    int n = epoll_wait(s->epoll_fd, ev, EVENTS_MAX,
                       next_timeout(s, now_ms()));
    int i;

    if (n < 0 && errno != EINTR)
      break;  /* cannot happen with valid fds; stop serving rather than spin */
    for (i = 0; i < n; i++) {
      if (ev[i].data.u64 == EV_WAKE)
        stop = true;
      else if (ev[i].data.u64 == EV_LISTEN)
        accept_all(s);
      else if (s->conns[ev[i].data.u64].fd >= 0)
        serve(s, &s->conns[ev[i].data.u64]);
    }
    housekeeping(s);
  }
  return NULL;
}

/* Bind and listen on host:port. Returns the fd or -errno. */
static int listen_on(const char *host, uint16_t port) {
  struct addrinfo hints = {0}, *res = NULL;
  char h[256], ps[8];
  size_t hl = host ? strlen(host) : 0;
  int fd, rc, one = 1;

  if (hl >= sizeof(h))
    return -EADDRNOTAVAIL;
  /* "[::1]" as written in URLs and --http addresses */
  if (hl >= 2 && host[0] == '[' && host[hl - 1] == ']') {
    memcpy(h, host + 1, hl - 2);
    h[hl - 2] = '\0';
  } else {
    snprintf(h, sizeof(h), "%s", host ? host : "");
  }
  snprintf(ps, sizeof(ps), "%u", (unsigned)port);
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  hints.ai_flags = AI_PASSIVE | AI_NUMERICSERV;
  rc = getaddrinfo(h[0] ? h : NULL, ps, &hints, &res);
  if (rc != 0)
    return rc == EAI_MEMORY ? -ENOMEM : -EADDRNOTAVAIL;
  fd = socket(res->ai_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd < 0) {
    rc = -errno;
    goto out;
  }
  if (setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) < 0 ||
      bind(fd, res->ai_addr, res->ai_addrlen) < 0 || listen(fd, 128) < 0) {
    rc = -errno;
    close(fd);
    goto out;
  }
  rc = fd;
out:
  freeaddrinfo(res);
  return rc;
}

static uint16_t bound_port(int fd) {
  struct sockaddr_storage ss;
  socklen_t len = sizeof(ss);

  if (getsockname(fd, (struct sockaddr *)&ss, &len) < 0)
    return 0;
  if (ss.ss_family == AF_INET6)
    return ntohs(((struct sockaddr_in6 *)&ss)->sin6_port);
  return ntohs(((struct sockaddr_in *)&ss)->sin_port);
}

static void server_free(struct net_http_server *s) {
  unsigned i;

  for (i = 0; s->conns && i < s->o.conns_max; i++)
    if (s->conns[i].fd >= 0)
      conn_close(s, &s->conns[i]);
  if (s->listen_fd >= 0)
    close(s->listen_fd);
  if (s->epoll_fd >= 0)
    close(s->epoll_fd);
  if (s->wake_fd >= 0)
    close(s->wake_fd);
  free(s->conns);
  free(s);
}

static int add_fd(struct net_http_server *s, int fd, uint64_t id) {
  struct epoll_event e = {.events = EPOLLIN, .data.u64 = id};

  return epoll_ctl(s->epoll_fd, EPOLL_CTL_ADD, fd, &e) < 0 ? -errno : 0;
}

int net_http_server_start_opts(struct net_http_server **out,
                               const struct net_http_server_opts *opts) {
  struct net_http_server *s;
  unsigned i;
  int rc;

  if (!opts->fn)
    return -EINVAL;
  s = calloc(1, sizeof(*s));
  if (!s)
    return -ENOMEM;
  s->o = *opts;
  s->o.read_timeout_ms = s->o.read_timeout_ms ? s->o.read_timeout_ms
                                              : NET_HTTP_READ_TIMEOUT_MS;
  s->o.conns_max = s->o.conns_max ? s->o.conns_max : NET_HTTP_CONNS_MAX;
  s->o.memory_bytes_max = s->o.memory_bytes_max ? s->o.memory_bytes_max
                                                : NET_HTTP_MEMORY_BYTES_MAX;
  s->budget.bytes_max = s->o.memory_bytes_max;
  s->listen_fd = s->epoll_fd = s->wake_fd = -1;
  s->conns = calloc(s->o.conns_max, sizeof(*s->conns));
  if (!s->conns) {
    rc = -ENOMEM;
    goto fail;
  }
  for (i = 0; i < s->o.conns_max; i++)
    s->conns[i].fd = -1;
  rc = listen_on(opts->host, opts->port);
  if (rc < 0)
    goto fail;
  s->listen_fd = rc;
  s->port = bound_port(s->listen_fd);
  s->epoll_fd = epoll_create1(EPOLL_CLOEXEC);
  s->wake_fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
  if (s->epoll_fd < 0 || s->wake_fd < 0) {
    rc = -errno;
    goto fail;
  }
  if ((rc = add_fd(s, s->listen_fd, EV_LISTEN)) < 0 ||
      (rc = add_fd(s, s->wake_fd, EV_WAKE)) < 0)
    goto fail;
  rc = -pthread_create(&s->thread, NULL, server_main, s);
  if (rc < 0)
    goto fail;
  pthread_setname_np(s->thread, "sluice-http");
  *out = s;
  return 0;
fail:
  server_free(s);
  return rc;
}

int net_http_server_start(struct net_http_server **out, const char *host,
                          uint16_t port, net_http_handler_fn fn, void *ctx) {
  struct net_http_server_opts o = {
      .host = host, .port = port, .fn = fn, .ctx = ctx};

  return net_http_server_start_opts(out, &o);
}

void net_http_server_stop(struct net_http_server *s) {
  uint64_t one = 1;

  if (!s)
    return;
  /* An eventfd write cannot fail short of overflow; the thread wakes. */
  ASSERT(write(s->wake_fd, &one, sizeof(one)) == sizeof(one));
  pthread_join(s->thread, NULL);
  server_free(s);
}

uint16_t net_http_server_port(const struct net_http_server *s) {
  return s->port;
}

void net_http_server_stats(const struct net_http_server *s,
                           struct net_http_stats *out) {
  out->conns_accepted = core_stat_get(&s->stats.conns_accepted);
  out->conns_rejected = core_stat_get(&s->stats.conns_rejected);
  out->conns_timed_out = core_stat_get(&s->stats.conns_timed_out);
  out->requests = core_stat_get(&s->stats.requests);
  out->requests_bad = core_stat_get(&s->stats.requests_bad);
  out->rejected_memory = core_stat_get(&s->stats.rejected_memory);
  out->memory_bytes = core_stat_get(&s->budget.bytes);
  out->memory_bytes_max = s->budget.bytes_max;
}
