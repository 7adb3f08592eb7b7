/*
 * tests/fuzz/fuzz_http.c - libFuzzer target for the HTTP request parser.
 *
 * Input: the first 8 bytes choose piece sizes, the rest is a connection's
 * byte stream. The stream is parsed twice, whole and in those pieces, and
 * both runs must report the same requests and errors: a parser whose
 * result depends on how TCP cut the bytes is a request-smuggling bug.
 * Each complete request is also checked against the parser's contract.
 * Small bounds make the fuzzer reach 413 and 431 quickly; each run has
 * its own memory budget (from the first byte) so 503 is reached too, and
 * the budget must match what the parser holds. The progress the server's
 * deadlines read (started, head done) must agree with what feed reports.
 * A third run takes the same pieces with body bytes written in place
 * where the parser offers room (net_http_parser_body_room, as the
 * OTLP/HTTP listener's recvs straight into a body): the same events.
 */
#include <errno.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "net/http.h"

#define HEADER_MAX 512
#define BODY_MAX 1024
#define EVENTS_MAX 64
#define SIZES_BYTES 8

struct event {
  int kind;          /* enum net_http_parse */
  int status;        /* ERROR */
  size_t end;        /* stream offset after the event (DONE, CONTINUE) */
  uint64_t hash;     /* DONE: what the handler would see */
};

#define CHECK(c)        \
  do {                  \
    if (!(c))           \
      __builtin_trap(); \
  } while (0)

static uint64_t fnv(uint64_t h, const void *p, size_t n) {
  const unsigned char *b = p;
  size_t i;

  for (i = 0; i < n; i++)
    h = (h ^ b[i]) * 1099511628211ull;
  return h;
}

static uint64_t fnv_str(uint64_t h, const char *s) {
  return s ? fnv(h, s, strlen(s) + 1) : fnv(h, "\xff", 1);
}

/* The contract of a complete request; returns its fingerprint. */
static uint64_t check_request(const struct net_http_request *r) {
  uint64_t h = 1469598103934665603ull;
  unsigned i;

  CHECK(r->method && r->method[0] && r->path && r->query && r->body);
  CHECK(r->path[0] == '/' || strcmp(r->path, "*") == 0);
  CHECK(r->body_len <= BODY_MAX && r->body[r->body_len] == '\0');
  CHECK(r->headers_count <= NET_HTTP_HEADERS_MAX);
  CHECK(r->version_minor == 0 || r->version_minor == 1);
  CHECK(!(r->chunked && r->content_length >= 0));
  CHECK(r->content_length < 0 || (uint64_t)r->content_length == r->body_len);
  CHECK(!r->expect_continue || r->version_minor == 1);
  for (i = 0; i < r->headers_count; i++) {
    CHECK(r->headers[i].name[0] != '\0');
    CHECK(!strpbrk(r->headers[i].value, "\r\n"));
    h = fnv_str(fnv_str(h, r->headers[i].name), r->headers[i].value);
  }
  h = fnv_str(fnv_str(fnv_str(h, r->method), r->path), r->query);
  h = fnv_str(fnv_str(h, r->content_type), r->content_encoding);
  h = fnv(h, r->body, r->body_len);
  h = fnv(h, &r->keep_alive, sizeof(r->keep_alive));
  h = fnv(h, &r->chunked, sizeof(r->chunked));
  {
    char out[64];
    int rc = net_http_query_param(r, "a", 0, out, sizeof(out));
    CHECK(rc == -ENOENT || rc == -ENOSPC || (rc >= 0 && rc < 64));
    if (rc >= 0)
      h = fnv(h, out, (size_t)rc);
  }
  return h;
}

/* What net_http_parser_started and _head_done say after feed said r. */
static void check_progress(const struct net_http_parser *p,
                           enum net_http_parse r) {
  bool started = net_http_parser_started(p);
  bool head_done = net_http_parser_head_done(p);

  CHECK(!head_done || started);
  if (r == NET_HTTP_PARSE_DONE || r == NET_HTTP_PARSE_CONTINUE)
    CHECK(head_done);
  if (r == NET_HTTP_PARSE_ERROR)
    CHECK(!head_done);
}

/* Take d[0..n): written where the parser offers room for body bytes in
 * place (as a recv straight into the body does), else fed. */
static enum net_http_parse step(struct net_http_parser *p, const uint8_t *d,
                                size_t n, int direct, size_t *used) {
  size_t room;
  char *dst = direct ? net_http_parser_body_room(p, &room) : NULL;
  enum net_http_parse r;

  if (dst == NULL)
    return net_http_parser_feed(p, (const char *)d, n, used);
  CHECK(room > 0 && p->body_len + room < p->body_cap);
  *used = n < room ? n : room;
  memcpy(dst, d, *used);
  r = net_http_parser_body_wrote(p, *used);
  CHECK(r == NET_HTTP_PARSE_MORE || r == NET_HTTP_PARSE_DONE);
  return r;
}

/* Parse d[0..n) in pieces of sizes[i] % 97 + 1 bytes (whole if nsizes is
 * 0), body bytes written in place where offered when direct. Returns the
 * number of events recorded. */
static size_t run(struct net_http_parser *p, const uint8_t *d, size_t n,
                  const uint8_t *sizes, size_t nsizes, int direct,
                  struct event *ev) {
  size_t off = 0, end = 0, si = 0, nev = 0, used;

  net_http_parser_reset(p);
  CHECK(!net_http_parser_started(p) && !net_http_parser_head_done(p));
  while (nev < EVENTS_MAX) {
    enum net_http_parse r;

    if (end <= off) {
      end = nsizes ? off + sizes[si++ % nsizes] % 97 + 1 : n;
      end = end > n ? n : end;
    }
    r = step(p, d + off, end - off, direct, &used);
    CHECK(used <= end - off);
    off += used;
    CHECK(p->budget->bytes <= p->budget->bytes_max);
    CHECK(p->budget->bytes == p->budget_held && p->budget_held >= p->body_cap);
    check_progress(p, r);
    if (r == NET_HTTP_PARSE_MORE) {
      CHECK(off == end || direct);
      if (off == n)
        break;
      continue;
    }
    ev[nev] = (struct event){.kind = (int)r, .end = off};
    if (r == NET_HTTP_PARSE_ERROR) {
      CHECK(p->status == 400 || p->status == 413 || p->status == 417 ||
            p->status == 431 || p->status == 500 || p->status == 501 ||
            p->status == 503 || p->status == 505);
      ev[nev].status = p->status;
      ev[nev].end = 0;  /* how far an error reads is not part of the contract */
      nev++;
      break;
    }
    if (r == NET_HTTP_PARSE_DONE) {
      ev[nev].hash = check_request(&p->req);
      net_http_parser_reset(p);
      CHECK(!net_http_parser_started(p));
    }
    nev++;
  }
  return nev;
}

/* A fresh parser on its own budget of bytes_max. */
static void parser_on(struct net_http_parser *p, struct net_http_budget *b,
                      uint64_t bytes_max) {
  *b = (struct net_http_budget){.bytes_max = bytes_max};
  CHECK(net_http_parser_init(p, HEADER_MAX, BODY_MAX) == 0);
  net_http_parser_set_budget(p, b);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  static struct net_http_parser whole, pieces, inplace;
  static struct net_http_budget wb, pb, ib;
  static struct event a[EVENTS_MAX], b[EVENTS_MAX], c[EVENTS_MAX];
  size_t na, nb, nc, i;

  if (size < SIZES_BYTES)
    return 0;
  /* 0..2040 bytes: below, around and above one maximal body (1025). */
  parser_on(&whole, &wb, (uint64_t)data[0] * 8);
  parser_on(&pieces, &pb, (uint64_t)data[0] * 8);
  parser_on(&inplace, &ib, (uint64_t)data[0] * 8);
  na = run(&whole, data + SIZES_BYTES, size - SIZES_BYTES, NULL, 0, 0, a);
  nb = run(&pieces, data + SIZES_BYTES, size - SIZES_BYTES, data, SIZES_BYTES,
           0, b);
  nc = run(&inplace, data + SIZES_BYTES, size - SIZES_BYTES, data,
           SIZES_BYTES, 1, c);
  CHECK(na == nb && na == nc);
  for (i = 0; i < na; i++) {
    CHECK(a[i].kind == b[i].kind && a[i].status == b[i].status);
    CHECK(a[i].end == b[i].end && a[i].hash == b[i].hash);
    CHECK(a[i].kind == c[i].kind && a[i].status == c[i].status);
    CHECK(a[i].end == c[i].end && a[i].hash == c[i].hash);
  }
  net_http_parser_free(&whole);
  net_http_parser_free(&pieces);
  net_http_parser_free(&inplace);
  CHECK(wb.bytes == 0 && pb.bytes == 0 && ib.bytes == 0);
  return 0;
}
