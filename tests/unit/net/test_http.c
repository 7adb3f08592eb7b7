/*
 * tests/unit/net/test_http.c - the HTTP/1.1 request parser, its helpers,
 * and the server over real loopback sockets.
 */
#include <criterion/criterion.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <poll.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>
#include <arpa/inet.h>

#include "net/http.h"

/* ======================================================================
 * Parser
 * ====================================================================== */

static struct net_http_parser P;

static void p_init(void) {
  cr_assert_eq(net_http_parser_init(&P, 0, 0), 0);
}

static void p_fini(void) {
  net_http_parser_free(&P);
}

TestSuite(http_parser, .init = p_init, .fini = p_fini);

/*
 * Feed s[0..n) in pieces ending at the given cut offsets (and n), going on
 * after CONTINUE. Returns the first DONE or ERROR, or MORE; *used is the
 * total taken.
 */
static enum net_http_parse feed_cuts(struct net_http_parser *p, const char *s,
                                     size_t n, const size_t *cuts,
                                     size_t ncuts, size_t *used) {
  enum net_http_parse r = NET_HTTP_PARSE_MORE;
  size_t off = 0, ci, u;

  for (ci = 0; ci <= ncuts; ci++) {
    size_t end = ci < ncuts ? cuts[ci] : n;

    end = end < off ? off : end > n ? n : end;
    do {
      r = net_http_parser_feed(p, s + off, end - off, &u);
      cr_assert_leq(u, end - off);
      off += u;
    } while (r == NET_HTTP_PARSE_CONTINUE);
    if (r != NET_HTTP_PARSE_MORE)
      break;
    cr_assert_eq(off, end, "MORE must take every byte");
  }
  *used = off;
  return r;
}

static enum net_http_parse feed_str(const char *s, size_t *used) {
  return feed_cuts(&P, s, strlen(s), NULL, 0, used);
}

/* Feed one byte at a time. */
static enum net_http_parse feed_bytes(struct net_http_parser *p, const char *s,
                                      size_t n, size_t *used) {
  size_t *cuts = malloc((n + 1) * sizeof(*cuts)), i;
  enum net_http_parse r;

  for (i = 0; i < n; i++)
    cuts[i] = i + 1;
  r = feed_cuts(p, s, n, cuts, n, used);
  free(cuts);
  return r;
}

/* The whole of s is exactly one complete request. */
static void done(const char *s) {
  size_t used;
  enum net_http_parse r = feed_str(s, &used);

  cr_assert_eq(r, NET_HTTP_PARSE_DONE, "%s: result %d status %d", s, r,
               P.status);
  cr_assert_eq(used, strlen(s));
}

/* s is refused with status, fed whole and fed byte by byte. */
static void refused(const char *s, int status) {
  size_t used;
  enum net_http_parse r;

  net_http_parser_reset(&P);
  r = feed_str(s, &used);
  cr_assert_eq(r, NET_HTTP_PARSE_ERROR, "%s: result %d", s, r);
  cr_assert_eq(P.status, status, "%s: status %d, want %d", s, P.status,
               status);
  net_http_parser_reset(&P);
  r = feed_bytes(&P, s, strlen(s), &used);
  cr_assert_eq(r, NET_HTTP_PARSE_ERROR, "%s (bytewise): result %d", s, r);
  cr_assert_eq(P.status, status, "%s (bytewise): status %d", s, P.status);
}

/* What the server's deadlines read: a request has begun, its head is in. */
Test(http_parser, progress_for_deadlines) {
  size_t used;

  cr_assert(!net_http_parser_started(&P) && !net_http_parser_head_done(&P));
  cr_assert_eq(feed_str("\r\n", &used), NET_HTTP_PARSE_MORE);
  cr_assert(!net_http_parser_started(&P), "blank lines are no request");
  cr_assert_eq(feed_str("GE", &used), NET_HTTP_PARSE_MORE);
  cr_assert(net_http_parser_started(&P) && !net_http_parser_head_done(&P));
  cr_assert_eq(feed_str("T / HTTP/1.1\r\nContent-Length: 3\r\n\r\n", &used),
               NET_HTTP_PARSE_MORE);
  cr_assert(net_http_parser_head_done(&P), "the body is what is left");
  cr_assert_eq(feed_str("abc", &used), NET_HTTP_PARSE_DONE);
  cr_assert(net_http_parser_head_done(&P));
  net_http_parser_reset(&P);
  cr_assert(!net_http_parser_started(&P) && !net_http_parser_head_done(&P));
  cr_assert_eq(feed_str("BAD\r\n\r\n", &used), NET_HTTP_PARSE_ERROR);
  cr_assert(!net_http_parser_head_done(&P));
}

Test(http_parser, simple_get) {
  done("GET /health HTTP/1.1\r\nHost: localhost:9400\r\nUser-Agent: t\r\n\r\n");
  cr_assert_str_eq(P.req.method, "GET");
  cr_assert_eq(P.req.method_id, NET_HTTP_METHOD_GET);
  cr_assert_str_eq(P.req.path, "/health");
  cr_assert_str_eq(P.req.query, "");
  cr_assert_eq(P.req.version_minor, 1);
  cr_assert(P.req.keep_alive);
  cr_assert_not(P.req.chunked);
  cr_assert_eq(P.req.content_length, -1);
  cr_assert_eq(P.req.body_len, 0);
  cr_assert_str_eq(P.req.body, "");
  cr_assert_eq(P.req.headers_count, 2);
  cr_assert_str_eq(net_http_header(&P.req, "host"), "localhost:9400");
  cr_assert_str_eq(net_http_header(&P.req, "USER-AGENT"), "t");
  cr_assert_null(net_http_header(&P.req, "accept"));
}

Test(http_parser, methods_and_targets) {
  done("HEAD /x HTTP/1.1\r\n\r\n");
  cr_assert_eq(P.req.method_id, NET_HTTP_METHOD_HEAD);
  net_http_parser_reset(&P);
  done("PATCH /x HTTP/1.1\r\n\r\n");
  cr_assert_eq(P.req.method_id, NET_HTTP_METHOD_OTHER);
  cr_assert_str_eq(P.req.method, "PATCH");
  net_http_parser_reset(&P);
  done("OPTIONS * HTTP/1.1\r\n\r\n");
  cr_assert_str_eq(P.req.path, "*");
  net_http_parser_reset(&P);
  done("GET http://h:9400/metrics?x=1 HTTP/1.1\r\n\r\n");
  cr_assert_str_eq(P.req.path, "/metrics");
  cr_assert_str_eq(P.req.query, "x=1");
  net_http_parser_reset(&P);
  done("GET HTTPS://h?y=2 HTTP/1.1\r\n\r\n");
  cr_assert_str_eq(P.req.path, "/");
  cr_assert_str_eq(P.req.query, "y=2");
  net_http_parser_reset(&P);
  /* Blank lines before a request and bare LF line ends are tolerated. */
  done("\r\n\nGET /a?b HTTP/1.0\nX-A:  v  \n\n");
  cr_assert_str_eq(P.req.path, "/a");
  cr_assert_str_eq(P.req.query, "b");
  cr_assert_str_eq(net_http_header(&P.req, "x-a"), "v");
  cr_assert_eq(P.req.version_minor, 0);
}

Test(http_parser, query_params) {
  char out[64];

  done("GET /api/v1/export?match%5B%5D=up%7Bjob%3D%22a%22%7D&match[]=b+c"
       "&start=1&&flag&empty=&x=%zz%4&sp=a%20b+c%2B HTTP/1.1\r\n\r\n");
  cr_assert_eq(net_http_query_param(&P.req, "match[]", 0, out, sizeof(out)),
               11);
  cr_assert_str_eq(out, "up{job=\"a\"}");
  cr_assert_eq(net_http_query_param(&P.req, "match[]", 1, out, sizeof(out)), 3);
  cr_assert_str_eq(out, "b c");
  cr_assert_eq(net_http_query_param(&P.req, "match[]", 2, out, sizeof(out)),
               -ENOENT);
  cr_assert_eq(net_http_query_param(&P.req, "start", 0, out, sizeof(out)), 1);
  cr_assert_str_eq(out, "1");
  cr_assert_eq(net_http_query_param(&P.req, "flag", 0, out, sizeof(out)), 0);
  cr_assert_str_eq(out, "");
  cr_assert_eq(net_http_query_param(&P.req, "empty", 0, out, sizeof(out)), 0);
  cr_assert_eq(net_http_query_param(&P.req, "x", 0, out, sizeof(out)), 5);
  cr_assert_str_eq(out, "%zz%4");
  cr_assert_eq(net_http_query_param(&P.req, "sp", 0, out, sizeof(out)), 6);
  cr_assert_str_eq(out, "a b c+");
  cr_assert_eq(net_http_query_param(&P.req, "nope", 0, out, sizeof(out)),
               -ENOENT);
  cr_assert_eq(net_http_query_param(&P.req, "sta", 0, out, sizeof(out)),
               -ENOENT);
  /* "b c" plus its NUL needs 4 bytes. */
  cr_assert_eq(net_http_query_param(&P.req, "match[]", 1, out, 3), -ENOSPC);
  cr_assert_eq(net_http_query_param(&P.req, "match[]", 1, out, 4), 3);
  cr_assert_eq(net_http_query_param(&P.req, "flag", 0, out, 0), -ENOSPC);
}

Test(http_parser, url_decode) {
  char out[16];

  cr_assert_eq(net_http_url_decode("%2Fa+b", 6, false, out, sizeof(out)), 4);
  cr_assert_str_eq(out, "/a+b");
  cr_assert_eq(net_http_url_decode("%41%4a%", 7, true, out, sizeof(out)), 3);
  cr_assert_str_eq(out, "AJ%");
  cr_assert_eq(net_http_url_decode("%00", 3, true, out, sizeof(out)), 1);
  cr_assert_eq(out[0], '\0');
}

static const char cl_req[] =
    "POST /v1/metrics HTTP/1.1\r\nHost: a\r\nContent-Type: application/json"
    "\r\nContent-Encoding: gzip\r\nContent-Length: 26\r\n\r\n"
    "abcdefghijklmnopqrstuvwxyz";

Test(http_parser, content_length_every_split) {
  size_t n = strlen(cl_req), k, used;

  for (k = 0; k <= n; k++) {
    net_http_parser_reset(&P);
    cr_assert_eq(feed_cuts(&P, cl_req, n, &k, 1, &used), NET_HTTP_PARSE_DONE,
                 "split at %zu", k);
    cr_assert_eq(used, n);
    cr_assert_eq(P.req.body_len, 26);
    cr_assert_str_eq(P.req.body, "abcdefghijklmnopqrstuvwxyz");
    cr_assert_eq(P.req.content_length, 26);
    cr_assert_str_eq(P.req.content_type, "application/json");
    cr_assert_str_eq(P.req.content_encoding, "gzip");
  }
  net_http_parser_reset(&P);
  cr_assert_eq(feed_bytes(&P, cl_req, n, &used), NET_HTTP_PARSE_DONE);
  cr_assert_str_eq(P.req.body, "abcdefghijklmnopqrstuvwxyz");
}

static const char chunked_req[] =
    "POST /v1/logs HTTP/1.1\r\nHost: a\r\ntransfer-encoding: Chunked\r\n\r\n"
    "5;name=value;x=\"q s\"\r\nhello\r\n"
    "A \t; e\r\n, world!!!\r\n"
    "000001\r\n?\r\n"
    "0\r\nX-Trailer: v\r\nChecksum:\r\n\r\n";

Test(http_parser, chunked_every_split) {
  size_t n = strlen(chunked_req), k, j, used;

  for (k = 0; k <= n; k++) {
    for (j = k; j <= n; j += 7) {
      size_t cuts[2] = {k, j};
      net_http_parser_reset(&P);
      cr_assert_eq(feed_cuts(&P, chunked_req, n, cuts, 2, &used),
                   NET_HTTP_PARSE_DONE, "split at %zu,%zu status %d", k, j,
                   P.status);
      cr_assert_eq(used, n);
      cr_assert(P.req.chunked);
      cr_assert_eq(P.req.body_len, 16);
      cr_assert_str_eq(P.req.body, "hello, world!!!?");
    }
  }
  net_http_parser_reset(&P);
  cr_assert_eq(feed_bytes(&P, chunked_req, n, &used), NET_HTTP_PARSE_DONE);
  cr_assert_str_eq(P.req.body, "hello, world!!!?");
}

/*
 * Bytes s[0..n) as a server with recvs straight into the body takes them:
 * the first k fed, then in steps of at most `step`: written where
 * net_http_parser_body_room says when it offers room, else fed. Returns
 * the first DONE or ERROR (or MORE); *used is the total taken.
 */
static enum net_http_parse feed_direct(struct net_http_parser *p,
                                       const char *s, size_t n, size_t k,
                                       size_t step, size_t *used) {
  enum net_http_parse r = feed_cuts(p, s, k, NULL, 0, used);
  size_t off = *used, room, u;

  while (r == NET_HTTP_PARSE_MORE && off < n) {
    size_t want = n - off < step ? n - off : step;
    char *d = net_http_parser_body_room(p, &room);

    if (d != NULL) {
      cr_assert_gt(room, 0);
      want = want < room ? want : room;
      memcpy(d, s + off, want);
      r = net_http_parser_body_wrote(p, want);
      off += want;
      continue;
    }
    cr_assert_eq(room, 0);
    do {
      r = net_http_parser_feed(p, s + off, want, &u);
      off += u;
      want -= u;
    } while (r == NET_HTTP_PARSE_CONTINUE);
  }
  *used = off;
  return r;
}

Test(http_parser, body_written_in_place_every_split) {
  static const size_t steps[] = {1, 3, 7, 4096};
  size_t n = strlen(cl_req), m = strlen(chunked_req), used;

  for (size_t si = 0; si < sizeof(steps) / sizeof(steps[0]); si++) {
    for (size_t k = 0; k <= n; k++) {
      net_http_parser_reset(&P);
      cr_assert_eq(feed_direct(&P, cl_req, n, k, steps[si], &used),
                   NET_HTTP_PARSE_DONE, "k %zu step %zu", k, steps[si]);
      cr_assert_eq(used, n);
      cr_assert_eq(P.req.body_len, 26);
      cr_assert_str_eq(P.req.body, "abcdefghijklmnopqrstuvwxyz");
    }
    for (size_t k = 0; k <= m; k++) {
      net_http_parser_reset(&P);
      cr_assert_eq(feed_direct(&P, chunked_req, m, k, steps[si], &used),
                   NET_HTTP_PARSE_DONE, "k %zu step %zu status %d", k,
                   steps[si], P.status);
      cr_assert_eq(used, m);
      cr_assert_eq(P.req.body_len, 16);
      cr_assert_str_eq(P.req.body, "hello, world!!!?");
    }
  }
}

Test(http_parser, body_room_is_the_rest_of_the_body_or_chunk) {
  static const char two[] =
      "POST /b HTTP/1.1\r\nContent-Length: 3\r\n\r\nxyz"
      "GET /c HTTP/1.1\r\n\r\n";
  const char *head_only = "POST / HTTP/1.1\r\nContent-Length: 10\r\n\r\n";
  size_t room = 99, used;

  cr_assert_null(net_http_parser_body_room(&P, &room), "no head yet");
  cr_assert_eq(room, 0);
  cr_assert_eq(net_http_parser_feed(&P, head_only, strlen(head_only), &used),
               NET_HTTP_PARSE_MORE);
  cr_assert_not_null(net_http_parser_body_room(&P, &room));
  cr_assert_eq(room, 10);
  cr_assert_eq(net_http_parser_feed(&P, "abcd", 4, &used), NET_HTTP_PARSE_MORE);
  cr_assert_not_null(net_http_parser_body_room(&P, &room));
  cr_assert_eq(room, 6, "what is still to come");
  memcpy(net_http_parser_body_room(&P, &room), "efghij", 6);
  cr_assert_eq(net_http_parser_body_wrote(&P, 6), NET_HTTP_PARSE_DONE);
  cr_assert_str_eq(P.req.body, "abcdefghij");
  cr_assert_null(net_http_parser_body_room(&P, &room), "done");
  /* a chunk offers its own bytes only; the framing is fed */
  net_http_parser_reset(&P);
  done("POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n");
  net_http_parser_reset(&P);
  cr_assert_eq(feed_str("POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n"
                        "\r\n5\r\nhe", &used), NET_HTTP_PARSE_MORE);
  cr_assert_not_null(net_http_parser_body_room(&P, &room));
  cr_assert_eq(room, 3);
  memcpy(net_http_parser_body_room(&P, &room), "llo", 3);
  cr_assert_eq(net_http_parser_body_wrote(&P, 3), NET_HTTP_PARSE_MORE);
  cr_assert_null(net_http_parser_body_room(&P, &room), "the chunk's CRLF");
  cr_assert_eq(feed_str("\r\n0\r\n\r\n", &used), NET_HTTP_PARSE_DONE);
  cr_assert_str_eq(P.req.body, "hello");
  /* pipelined: the room never reaches into the next request */
  net_http_parser_reset(&P);
  cr_assert_eq(net_http_parser_feed(&P, two, 40, &used), NET_HTTP_PARSE_MORE);
  cr_assert_eq(used, 40);
  cr_assert_not_null(net_http_parser_body_room(&P, &room));
  cr_assert_eq(room, 2, "a 39-byte head and x taken: yz to come");
  memcpy(net_http_parser_body_room(&P, &room), "yz", 2);
  cr_assert_eq(net_http_parser_body_wrote(&P, 2), NET_HTTP_PARSE_DONE);
  cr_assert_str_eq(P.req.body, "xyz");
}

Test(http_parser, chunked_bare_lf_and_empty) {
  done("POST / HTTP/1.1\nTransfer-Encoding: chunked\n\n3\nabc\n0\n\n");
  cr_assert_str_eq(P.req.body, "abc");
  net_http_parser_reset(&P);
  done("POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n");
  cr_assert_eq(P.req.body_len, 0);
  net_http_parser_reset(&P);
  done("POST / HTTP/1.1\r\nTransfer-Encoding: ,chunked\r\n\r\n0\r\n\r\n");
}

Test(http_parser, pipelined) {
  const char *s =
      "GET /a HTTP/1.1\r\n\r\n"
      "POST /b HTTP/1.1\r\nContent-Length: 3\r\n\r\nxyz"
      "POST /c HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nok\r\n0\r\n\r\n"
      "GET /d HTTP/1.1\r\nHo";
  size_t n = strlen(s), off = 0, used;

  cr_assert_eq(net_http_parser_feed(&P, s, n, &used), NET_HTTP_PARSE_DONE);
  cr_assert_str_eq(P.req.path, "/a");
  cr_assert_eq(used, strlen("GET /a HTTP/1.1\r\n\r\n"));
  /* Feeding again before reset takes nothing. */
  off += used;
  cr_assert_eq(net_http_parser_feed(&P, s + off, n - off, &used),
               NET_HTTP_PARSE_DONE);
  cr_assert_eq(used, 0);
  net_http_parser_reset(&P);
  cr_assert_eq(net_http_parser_feed(&P, s + off, n - off, &used),
               NET_HTTP_PARSE_DONE);
  cr_assert_str_eq(P.req.path, "/b");
  cr_assert_str_eq(P.req.body, "xyz");
  off += used;
  net_http_parser_reset(&P);
  cr_assert_eq(net_http_parser_feed(&P, s + off, n - off, &used),
               NET_HTTP_PARSE_DONE);
  cr_assert_str_eq(P.req.path, "/c");
  cr_assert_str_eq(P.req.body, "ok");
  off += used;
  net_http_parser_reset(&P);
  cr_assert_eq(net_http_parser_feed(&P, s + off, n - off, &used),
               NET_HTTP_PARSE_MORE);
  cr_assert_eq(off + used, n);
}

static bool keeps(const char *s) {
  net_http_parser_reset(&P);
  done(s);
  return P.req.keep_alive;
}

Test(http_parser, keep_alive_rules) {
  cr_assert(keeps("GET / HTTP/1.1\r\n\r\n"));
  cr_assert_not(keeps("GET / HTTP/1.1\r\nConnection: close\r\n\r\n"));
  cr_assert_not(keeps("GET / HTTP/1.1\r\nConnection: keep-alive, Close\r\n\r\n"));
  cr_assert_not(keeps("GET / HTTP/1.1\r\nConnection: upgrade\r\n"
                      "Connection: close\r\n\r\n"));
  cr_assert(keeps("GET / HTTP/1.1\r\nConnection: Upgrade\r\n\r\n"));
  cr_assert_not(keeps("GET / HTTP/1.0\r\n\r\n"));
  cr_assert(keeps("GET / HTTP/1.0\r\nConnection: Keep-Alive\r\n\r\n"));
  cr_assert_not(keeps("POST / HTTP/1.0\r\nConnection: keep-alive\r\n"
                      "Transfer-Encoding: chunked\r\n\r\n0\r\n\r\n"));
  /* A later 1.x minor is served as 1.1. */
  cr_assert(keeps("GET / HTTP/1.7\r\n\r\n"));
  cr_assert_eq(P.req.version_minor, 1);
}

Test(http_parser, expect_continue) {
  const char *s = "POST /x HTTP/1.1\r\nExpect: 100-Continue\r\n"
                  "Content-Length: 3\r\n\r\nabc";
  size_t head = strlen(s) - 3, used;

  cr_assert_eq(net_http_parser_feed(&P, s, strlen(s), &used),
               NET_HTTP_PARSE_CONTINUE);
  cr_assert_eq(used, head);
  cr_assert(P.req.expect_continue);
  cr_assert_eq(net_http_parser_feed(&P, s + head, 3, &used),
               NET_HTTP_PARSE_DONE);
  cr_assert_str_eq(P.req.body, "abc");
  /* No body to wait for: no 100. */
  net_http_parser_reset(&P);
  done("POST /x HTTP/1.1\r\nExpect: 100-continue\r\nContent-Length: 0\r\n\r\n");
  /* HTTP/1.0 clients do not wait for 100. */
  net_http_parser_reset(&P);
  s = "POST / HTTP/1.0\r\nExpect: 100-continue\r\nContent-Length: 1\r\n\r\n";
  cr_assert_eq(net_http_parser_feed(&P, s, strlen(s), &used),
               NET_HTTP_PARSE_MORE);
  cr_assert_not(P.req.expect_continue);
  /* Chunked bodies get a 100 as well. */
  net_http_parser_reset(&P);
  s = "POST / HTTP/1.1\r\nExpect: 100-continue\r\nTransfer-Encoding: chunked"
      "\r\n\r\n";
  cr_assert_eq(net_http_parser_feed(&P, s, strlen(s), &used),
               NET_HTTP_PARSE_CONTINUE);
}

Test(http_parser, malformed_400) {
  static const char *const bad[] = {
      "GET /\r\n\r\n",
      "GET / HTTP/1.1 \r\n\r\n",
      "GET  / HTTP/1.1\r\n\r\n",
      " GET / HTTP/1.1\r\n\r\n",
      "G(T / HTTP/1.1\r\n\r\n",
      "GET foo HTTP/1.1\r\n\r\n",
      "GET * HTTP/1.1\r\n\r\n",
      "GET /\x01 HTTP/1.1\r\n\r\n",
      "GET /\xc3\xa9 HTTP/1.1\r\n\r\n",
      "GET / HTTP/1.1x\r\n\r\n",
      "GET / HTTP/1\r\n\r\n",
      "GET / http/1.1\r\n\r\n",
      "GET / HTTP/1.1\rX\r\n\r\n",
      "GET / HTTP/1.1\r\nX: a\r\n b\r\n\r\n",
      "GET / HTTP/1.1\r\nX : a\r\n\r\n",
      "GET / HTTP/1.1\r\n: a\r\n\r\n",
      "GET / HTTP/1.1\r\nXa\r\n\r\n",
      "GET / HTTP/1.1\r\nX: a\rb\r\n\r\n",
      "GET / HTTP/1.1\r\nX: a\x01\r\n\r\n",
      "GET / HTTP/1.1\r\nX\x7f: a\r\n\r\n",
      "GET / HTTP/1.1\r\nContent-Type: a\r\nContent-Type: b\r\n\r\n",
      "GET / HTTP/1.1\r\nContent-Encoding: gzip\r\nContent-encoding: gzip\r\n\r\n",
      "GET / HTTP/1.1\r\nExpect: 100-continue\r\nExpect: 100-continue\r\n\r\n",
      /* Content-Length: negative, signed, listed, repeated, overflowing */
      "POST / HTTP/1.1\r\nContent-Length: -1\r\n\r\n",
      "POST / HTTP/1.1\r\nContent-Length: +5\r\n\r\nabcde",
      "POST / HTTP/1.1\r\nContent-Length: 5, 5\r\n\r\nabcde",
      "POST / HTTP/1.1\r\nContent-Length: 1 2\r\n\r\n",
      "POST / HTTP/1.1\r\nContent-Length:\r\n\r\n",
      "POST / HTTP/1.1\r\nContent-Length: 0x10\r\n\r\n",
      "POST / HTTP/1.1\r\nContent-Length: 5\r\nContent-Length: 5\r\n\r\nabcde",
      "POST / HTTP/1.1\r\nContent-Length: 5\r\nContent-Length: 6\r\n\r\nabcde",
      "POST / HTTP/1.1\r\nContent-Length: 99999999999999999999\r\n\r\n",
      "POST / HTTP/1.1\r\nContent-Length: 9223372036854775808\r\n\r\n",
      /* both framings; chunked twice; empty coding list */
      "POST / HTTP/1.1\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n",
      "POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\nContent-Length: 5\r\n\r\n",
      "POST / HTTP/1.1\r\nTransfer-Encoding: chunked, chunked\r\n\r\n",
      ("POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n"
       "Transfer-Encoding: chunked\r\n\r\n"),
      "POST / HTTP/1.1\r\nTransfer-Encoding: \r\n\r\n",
      /* chunk framing */
      "POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n",
      "POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n-5\r\n",
      "POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n\r\n",
      "POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n;x\r\n",
      "POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n5 5\r\n",
      "POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n5x\r\n",
      "POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n5\rX",
      "POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n5;a\x01\r\n",
      "POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhelloXX",
      "POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\rX",
      "POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n0\r\nNoColon\r\n",
      "POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n a: b\r\n",
      "POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n:b\r\n",
      "POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n0\r\nA B: c\r\n",
      "POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n0\r\nA: \x01\r\n",
      "POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\rX",
  };
  size_t i;

  for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
    refused(bad[i], 400);
}

Test(http_parser, other_statuses) {
  refused("GET / HTTP/2.0\r\n\r\n", 505);
  refused("GET / HTTP/0.9\r\n\r\n", 505);
  refused("POST / HTTP/1.1\r\nTransfer-Encoding: gzip\r\n\r\n", 501);
  refused("POST / HTTP/1.1\r\nTransfer-Encoding: gzip, chunked\r\n\r\n", 501);
  refused("POST / HTTP/1.1\r\nTransfer-Encoding: identity\r\n\r\n", 501);
  refused("POST / HTTP/1.1\r\nExpect: 200-ok\r\n\r\n", 417);
  refused("POST / HTTP/1.1\r\nContent-Length: 67108865\r\n\r\n", 413);
  refused("POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n"
          "ffffffffffffffffffffffff\r\n", 413);
}

Test(http_parser, error_is_sticky) {
  size_t used;

  refused("GET / HTTP/2.0\r\n\r\n", 505);
  cr_assert_eq(net_http_parser_feed(&P, "GET / HTTP/1.1\r\n\r\n", 18, &used),
               NET_HTTP_PARSE_ERROR);
  cr_assert_eq(used, 0);
  net_http_parser_reset(&P);
  done("GET / HTTP/1.1\r\n\r\n");
}

/* A request whose head is exactly len bytes (len >= 40). */
static char *head_of(size_t len) {
  static const char pre[] = "GET / HTTP/1.1\r\nX-Pad: ";
  char *s = malloc(len + 1);
  size_t fill = len - (sizeof(pre) - 1) - 4;

  memcpy(s, pre, sizeof(pre) - 1);
  memset(s + sizeof(pre) - 1, 'p', fill);
  memcpy(s + len - 4, "\r\n\r\n", 5);
  return s;
}

Test(http_parser, header_bytes_bound) {
  char *s = head_of(NET_HTTP_HEADER_BYTES_MAX);
  size_t used, cuts[3] = {1, 5000, NET_HTTP_HEADER_BYTES_MAX - 1};

  done(s);
  net_http_parser_reset(&P);
  cr_assert_eq(feed_cuts(&P, s, strlen(s), cuts, 3, &used),
               NET_HTTP_PARSE_DONE);
  free(s);
  s = head_of(NET_HTTP_HEADER_BYTES_MAX + 1);
  refused(s, 431);
  free(s);
  /* Blank lines before the request count toward the bound. */
  s = head_of(NET_HTTP_HEADER_BYTES_MAX - 1);
  {
    char *t = malloc(NET_HTTP_HEADER_BYTES_MAX + 2);
    memcpy(t, "\r\n", 2);
    memcpy(t + 2, s, NET_HTTP_HEADER_BYTES_MAX);
    refused(t, 431);
    t[0] = '\n';
    memmove(t + 1, t + 2, NET_HTTP_HEADER_BYTES_MAX);
    net_http_parser_reset(&P);
    done(t);
    free(t);
  }
  free(s);
}

/* A request with n "X-N: v" headers. */
static char *with_headers(unsigned n) {
  char *s = malloc(32 + (size_t)n * 16);
  size_t len = (size_t)sprintf(s, "GET / HTTP/1.1\r\n");
  unsigned i;

  for (i = 0; i < n; i++)
    len += (size_t)snprintf(s + len, 16, "X-%u: v\r\n", i);
  memcpy(s + len, "\r\n", 3);
  return s;
}

Test(http_parser, header_count_bound) {
  char *s = with_headers(NET_HTTP_HEADERS_MAX);

  done(s);
  cr_assert_eq(P.req.headers_count, NET_HTTP_HEADERS_MAX);
  free(s);
  s = with_headers(NET_HTTP_HEADERS_MAX + 1);
  refused(s, 431);
  free(s);
}

/* Feed head, then the body in 1 MiB pieces. */
static enum net_http_parse feed_big(const char *head, size_t body_len,
                                    const char *tail) {
  static char piece[1 << 20];
  size_t used, left = body_len;
  enum net_http_parse r = net_http_parser_feed(&P, head, strlen(head), &used);

  memset(piece, 'b', sizeof(piece));
  while (r == NET_HTTP_PARSE_MORE && left > 0) {
    size_t n = left < sizeof(piece) ? left : sizeof(piece);
    r = net_http_parser_feed(&P, piece, n, &used);
    left -= used;
  }
  if (r == NET_HTTP_PARSE_MORE && tail)
    r = net_http_parser_feed(&P, tail, strlen(tail), &used);
  return r;
}

Test(http_parser, body_bytes_bound) {
  char head[160];

  snprintf(head, sizeof(head), "POST / HTTP/1.1\r\nContent-Length: %d\r\n\r\n",
           NET_HTTP_BODY_BYTES_MAX);
  cr_assert_eq(feed_big(head, NET_HTTP_BODY_BYTES_MAX, NULL),
               NET_HTTP_PARSE_DONE);
  cr_assert_eq(P.req.body_len, NET_HTTP_BODY_BYTES_MAX);
  cr_assert_eq(P.req.body[P.req.body_len], '\0');
  net_http_parser_reset(&P);
  cr_assert_leq(P.body_cap, NET_HTTP_BODY_KEEP_BYTES, "big buffers released");
  snprintf(head, sizeof(head), "POST / HTTP/1.1\r\nContent-Length: %d\r\n\r\n",
           NET_HTTP_BODY_BYTES_MAX + 1);
  refused(head, 413);
  /* Chunked: the total after de-chunking is bounded, across chunks. */
  net_http_parser_reset(&P);
  snprintf(head, sizeof(head), "POST / HTTP/1.1\r\nTransfer-Encoding: chunked"
           "\r\n\r\n1\r\na\r\n%x\r\n", NET_HTTP_BODY_BYTES_MAX - 1);
  cr_assert_eq(feed_big(head, NET_HTTP_BODY_BYTES_MAX - 1, "\r\n0\r\n\r\n"),
               NET_HTTP_PARSE_DONE);
  cr_assert_eq(P.req.body_len, NET_HTTP_BODY_BYTES_MAX);
  snprintf(head, sizeof(head), "POST / HTTP/1.1\r\nTransfer-Encoding: chunked"
           "\r\n\r\n1\r\na\r\n%x\r\n", NET_HTTP_BODY_BYTES_MAX);
  refused(head, 413);
}

Test(http_parser, small_bounds) {
  struct net_http_parser p;
  size_t used;
  const char *ok = "POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n"
                   "8\r\n12345678\r\n0\r\nT: 1\r\n\r\n";

  cr_assert_eq(net_http_parser_init(&p, 64, 8), 0);
  cr_assert_eq(net_http_parser_feed(&p, ok, strlen(ok), &used),
               NET_HTTP_PARSE_DONE);
  net_http_parser_reset(&p);
  ok = "POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n"
       "4\r\n1234\r\n5\r\n";
  cr_assert_eq(net_http_parser_feed(&p, ok, strlen(ok), &used),
               NET_HTTP_PARSE_ERROR);
  cr_assert_eq(p.status, 413);
  /* Trailers are bounded by the header bound. */
  net_http_parser_reset(&p);
  ok = "POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n"
       "T: 0123456789012345678901234567890123456789012345678901234567890\r\n";
  cr_assert_eq(net_http_parser_feed(&p, ok, strlen(ok), &used),
               NET_HTTP_PARSE_ERROR);
  cr_assert_eq(p.status, 431);
  net_http_parser_free(&p);
}

Test(http_parser, chunk_line_bound) {
  char s[NET_HTTP_CHUNK_LINE_BYTES_MAX + 128];
  size_t pre = (size_t)sprintf(s, "POST / HTTP/1.1\r\nTransfer-Encoding: "
                               "chunked\r\n\r\n");
  size_t used;

  /* The size line up to its CR is exactly the bound: accepted. */
  memset(s + pre, '0', NET_HTTP_CHUNK_LINE_BYTES_MAX);
  s[pre + NET_HTTP_CHUNK_LINE_BYTES_MAX - 1] = '1';
  memcpy(s + pre + NET_HTTP_CHUNK_LINE_BYTES_MAX, "\r\nx\r\n0\r\n\r\n", 11);
  cr_assert_eq(net_http_parser_feed(&P, s, strlen(s), &used),
               NET_HTTP_PARSE_DONE, "status %d", P.status);
  cr_assert_str_eq(P.req.body, "x");
  net_http_parser_reset(&P);
  memmove(s + pre + 1, s + pre, strlen(s + pre) + 1);
  refused(s, 400);
}

/* ---- memory budget ------------------------------------------------------ */

Test(http_budget, take_and_give) {
  struct net_http_budget b = {.bytes_max = 100};

  cr_assert_eq(net_http_budget_take(&b, 60), 0);
  cr_assert_eq(net_http_budget_take(&b, 41), -ENOBUFS);
  cr_assert_eq(b.bytes, 60, "a refused take takes nothing");
  cr_assert_eq(net_http_budget_take(&b, 40), 0);
  cr_assert_eq(net_http_budget_take(&b, 0), 0);
  cr_assert_eq(net_http_budget_take(&b, UINT64_MAX), -ENOBUFS);
  net_http_budget_give(&b, 100);
  cr_assert_eq(b.bytes, 0);
  cr_assert_eq(net_http_budget_take(&b, UINT64_MAX), -ENOBUFS);
}

/* Two parsers on one budget. */
static void two_parsers(struct net_http_parser *a, struct net_http_parser *b,
                        struct net_http_budget *budget) {
  cr_assert_eq(net_http_parser_init(a, 0, 0), 0);
  cr_assert_eq(net_http_parser_init(b, 0, 0), 0);
  net_http_parser_set_budget(a, budget);
  net_http_parser_set_budget(b, budget);
}

static enum net_http_parse feed_to(struct net_http_parser *p, const char *s) {
  size_t used;

  return net_http_parser_feed(p, s, strlen(s), &used);
}

/* Feed n bytes of 'x' to p. */
static enum net_http_parse feed_x(struct net_http_parser *p, size_t n) {
  char *x = malloc(n);
  size_t used;
  enum net_http_parse r;

  memset(x, 'x', n);
  r = net_http_parser_feed(p, x, n, &used);
  free(x);
  return r;
}

Test(http_budget, one_body_then_the_next) {
  struct net_http_budget budget = {.bytes_max = 200000};
  struct net_http_parser a, b, c;
  const char *head = "POST / HTTP/1.1\r\nContent-Length: 120000\r\n\r\n";

  two_parsers(&a, &b, &budget);
  cr_assert_eq(net_http_parser_init(&c, 0, 0), 0);
  net_http_parser_set_budget(&c, &budget);
  /* A declared length is not held: only the bytes that came are. */
  cr_assert_eq(feed_to(&a, head), NET_HTTP_PARSE_MORE);
  cr_assert_eq(feed_to(&b, head), NET_HTTP_PARSE_MORE);
  cr_assert_eq(budget.bytes, 0);
  cr_assert_eq(feed_x(&a, 100), NET_HTTP_PARSE_MORE);
  cr_assert_eq(budget.bytes, NET_HTTP_BODY_WINDOW_BYTES, "the first window");
  cr_assert_eq(feed_x(&b, 100), NET_HTTP_PARSE_MORE);
  cr_assert_eq(feed_x(&a, 119900), NET_HTTP_PARSE_DONE);
  cr_assert_eq(a.req.body_len, 120000);
  cr_assert_eq(budget.bytes, 120001 + NET_HTTP_BODY_WINDOW_BYTES,
               "a's buffer grew to its declared length, no further");
  /* What no longer fits what is free is refused at its head, and holds
   * nothing. */
  cr_assert_eq(feed_to(&c, head), NET_HTTP_PARSE_ERROR);
  cr_assert_eq(c.status, 503);
  cr_assert_eq(budget.bytes, 120001 + NET_HTTP_BODY_WINDOW_BYTES);
  /* A body admitted earlier that grows past the budget is refused then. */
  cr_assert_eq(feed_x(&b, 100000), NET_HTTP_PARSE_ERROR);
  cr_assert_eq(b.status, 503);
  cr_assert_leq(budget.bytes, budget.bytes_max);
  net_http_parser_reset(&a);
  net_http_parser_reset(&b);
  cr_assert_eq(budget.bytes, b.body_cap, "a big body buffer is released at "
               "reset, a small one kept");
  net_http_parser_reset(&c);
  cr_assert_eq(feed_to(&c, head), NET_HTTP_PARSE_MORE);
  /* Free mid-body (a connection that closes) gives everything back. */
  cr_assert_eq(feed_x(&c, 1000), NET_HTTP_PARSE_MORE);
  net_http_parser_free(&c);
  net_http_parser_free(&b);
  net_http_parser_free(&a);
  cr_assert_eq(budget.bytes, 0);
}

/* Many parsers that declared large bodies and got a little of each hold a
 * window each, not what they declared: another body still fits. */
Test(http_budget, slow_senders_hold_what_they_sent) {
  struct net_http_budget budget = {.bytes_max = 1u << 20};
  struct net_http_parser p[9];
  size_t i;

  for (i = 0; i < 9; i++) {
    cr_assert_eq(net_http_parser_init(&p[i], 0, 0), 0);
    net_http_parser_set_budget(&p[i], &budget);
  }
  for (i = 0; i < 8; i++) {
    cr_assert_eq(feed_to(&p[i], "POST / HTTP/1.1\r\nContent-Length: "
                                "900000\r\n\r\n"), NET_HTTP_PARSE_MORE);
    cr_assert_eq(feed_x(&p[i], 5000), NET_HTTP_PARSE_MORE);
  }
  cr_assert_eq(budget.bytes, 8 * NET_HTTP_BODY_WINDOW_BYTES);
  /* Declared up front, these would have held 7.2 MB of a 1 MiB budget. */
  cr_assert_eq(feed_to(&p[8], "POST / HTTP/1.1\r\nContent-Length: "
                              "500000\r\n\r\n"), NET_HTTP_PARSE_MORE);
  cr_assert_eq(feed_x(&p[8], 500000), NET_HTTP_PARSE_DONE);
  for (i = 0; i < 9; i++)
    net_http_parser_free(&p[i]);
  cr_assert_eq(budget.bytes, 0);
}

/* Written in place, the buffer doubles: at most twice what came (or the
 * window), and a room of at least 4096 bytes each time. */
Test(http_budget, body_room_grows_with_what_came) {
  struct net_http_budget budget = {.bytes_max = 1u << 20};
  struct net_http_parser p;
  size_t room, got = 0;
  char *d;

  cr_assert_eq(net_http_parser_init(&p, 0, 0), 0);
  net_http_parser_set_budget(&p, &budget);
  cr_assert_eq(feed_to(&p, "POST / HTTP/1.1\r\nContent-Length: 500000\r\n"
                           "\r\n"), NET_HTTP_PARSE_MORE);
  cr_assert_eq(budget.bytes, 0);
  while ((d = net_http_parser_body_room(&p, &room)) != NULL) {
    cr_assert_geq(room, 4096);
    cr_assert_leq(budget.bytes, got * 2 + 2 * 4096 + 2 > NET_HTTP_BODY_WINDOW_BYTES
                                    ? got * 2 + 2 * 4096 + 2
                                    : NET_HTTP_BODY_WINDOW_BYTES,
                  "holds %llu with %zu in", (unsigned long long)budget.bytes,
                  got);
    memset(d, 'x', room);
    got += room;
    if (net_http_parser_body_wrote(&p, room) == NET_HTTP_PARSE_DONE)
      break;
  }
  cr_assert_eq(got, 500000);
  cr_assert_eq(budget.bytes, 500001);
  net_http_parser_free(&p);
  cr_assert_eq(budget.bytes, 0);
}

Test(http_budget, expect_continue_refused_before_100) {
  struct net_http_budget budget = {.bytes_max = 1000};
  struct net_http_parser a, b;

  two_parsers(&a, &b, &budget);
  cr_assert_eq(feed_to(&a, "POST / HTTP/1.1\r\nExpect: 100-continue\r\n"
                           "Content-Length: 1000\r\n\r\n"),
               NET_HTTP_PARSE_ERROR);
  cr_assert_eq(a.status, 503);
  cr_assert_eq(feed_to(&b, "POST / HTTP/1.1\r\nExpect: 100-continue\r\n"
                           "Content-Length: 999\r\n\r\n"),
               NET_HTTP_PARSE_CONTINUE);
  cr_assert_eq(budget.bytes, 0, "nothing held before the body comes");
  cr_assert_eq(feed_x(&b, 999), NET_HTTP_PARSE_DONE);
  cr_assert_eq(budget.bytes, 1000);
  net_http_parser_free(&a);
  net_http_parser_free(&b);
  cr_assert_eq(budget.bytes, 0);
}

Test(http_budget, chunked_growth) {
  struct net_http_budget budget = {.bytes_max = 10000};
  struct net_http_parser a, b;
  const char *head = "POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n";

  two_parsers(&a, &b, &budget);
  /* A chunk whose declared size does not fit is refused at its size line. */
  cr_assert_eq(feed_to(&a, head), NET_HTTP_PARSE_MORE);
  cr_assert_eq(feed_to(&a, "2710\r\n"), NET_HTTP_PARSE_ERROR);  /* 10000 */
  cr_assert_eq(a.status, 503);
  cr_assert_eq(budget.bytes, 0);
  /* Chunks that fit one by one; near the budget the buffer grows to what
   * is left rather than doubling. */
  cr_assert_eq(feed_to(&b, head), NET_HTTP_PARSE_MORE);
  cr_assert_eq(feed_to(&b, "1000\r\n"), NET_HTTP_PARSE_MORE);   /* 4096 */
  cr_assert_eq(feed_x(&b, 4096), NET_HTTP_PARSE_MORE);
  cr_assert_eq(feed_to(&b, "\r\n1000\r\n"), NET_HTTP_PARSE_MORE);
  cr_assert_eq(feed_x(&b, 4096), NET_HTTP_PARSE_MORE);
  cr_assert_leq(budget.bytes, budget.bytes_max);
  cr_assert_eq(feed_to(&b, "\r\n700\r\n"), NET_HTTP_PARSE_MORE); /* 1792 */
  cr_assert_eq(feed_x(&b, 1792), NET_HTTP_PARSE_MORE);
  cr_assert_eq(budget.bytes, budget.bytes_max);
  /* One more byte than the budget holds. */
  cr_assert_eq(feed_to(&b, "\r\n10\r\n"), NET_HTTP_PARSE_ERROR);
  cr_assert_eq(b.status, 503);
  cr_assert_eq(budget.bytes, budget.bytes_max);
  net_http_parser_reset(&b);
  cr_assert_eq(budget.bytes, b.body_cap, "a kept buffer stays counted");
  net_http_parser_free(&a);
  net_http_parser_free(&b);
  cr_assert_eq(budget.bytes, 0);
}

Test(http_budget, no_budget_is_unbounded_as_before) {
  struct net_http_parser p;

  cr_assert_eq(net_http_parser_init(&p, 0, 0), 0);
  cr_assert_eq(feed_to(&p, "POST / HTTP/1.1\r\nContent-Length: 200000\r\n\r\n"),
               NET_HTTP_PARSE_MORE);
  cr_assert_eq(feed_x(&p, 200000), NET_HTTP_PARSE_DONE);
  cr_assert_eq(p.budget_held, 0);
  net_http_parser_free(&p);
}

/* ======================================================================
 * Response helpers
 * ====================================================================== */

Test(http_helpers, reason_and_headers) {
  struct net_http_response r = {0};
  char big[NET_HTTP_RESPONSE_HEADERS_BYTES_MAX];

  cr_assert_str_eq(net_http_reason(200), "OK");
  cr_assert_str_eq(net_http_reason(413), "Payload Too Large");
  cr_assert_str_eq(net_http_reason(429), "Too Many Requests");
  cr_assert_str_eq(net_http_reason(999), "Unknown");
  cr_assert_eq(net_http_response_header(&r, "Retry-After", "1"), 0);
  cr_assert_str_eq(r.headers, "Retry-After: 1\r\n");
  cr_assert_eq(net_http_response_header(&r, "X-Bad", "a\r\nInjected: 1"),
               -EINVAL);
  cr_assert_eq(net_http_response_header(&r, "Bad Name", "v"), -EINVAL);
  cr_assert_eq(net_http_response_header(&r, "", "v"), -EINVAL);
  memset(big, 'v', sizeof(big) - 1);
  big[sizeof(big) - 1] = '\0';
  cr_assert_eq(net_http_response_header(&r, "X-Big", big), -ENOSPC);
  cr_assert_str_eq(r.headers, "Retry-After: 1\r\n");
}

/* ======================================================================
 * Server over loopback
 * ====================================================================== */

#define BIG_BYTES (8u << 20)

/* /wait stays pending until the test sets this (any thread). */
static int released;

/* Echo what arrived; a few paths exercise the response side. */
static void handler(const struct net_http_request *req,
                    struct net_http_response *resp, void *ctx) {
  char a[64] = "";
  size_t i;

  (void)ctx;
  if (strcmp(req->path, "/wait") == 0) {
    resp->pending = !__atomic_load_n(&released, __ATOMIC_ACQUIRE);
    resp->pending_token++; /* calls so far */
    if (!resp->pending)
      core_strbuf_appendf(&resp->body, "called %s",
                          resp->pending_token > 1 ? "again" : "once");
    return;
  }
  if (strcmp(req->path, "/big") == 0) {
    for (i = 0; i < BIG_BYTES / 16; i++)
      core_strbuf_append(&resp->body, "0123456789abcdef", 16);
    return;
  }
  if (strcmp(req->path, "/busy") == 0) {
    resp->status = 429;
    net_http_response_header(resp, "Retry-After", "7");
    return;
  }
  if (strcmp(req->path, "/sleep") == 0)
    usleep(400 * 1000);  /* a slow query: holds the server's thread */
  if (strcmp(req->path, "/bad-status") == 0) {
    resp->status = 42;
    return;
  }
  if (strcmp(req->path, "/close") == 0)
    resp->close = true;
  if (strcmp(req->path, "/json") == 0)
    resp->content_type = "application/json";
  net_http_query_param(req, "a", 0, a, sizeof(a));
  core_strbuf_appendf(&resp->body, "%s %s a=%s len=%zu body=%.*s", req->method,
                      req->path, a, req->body_len, (int)req->body_len,
                      req->body);
}

struct reply {
  int status;
  char head[4096];
  char *body;
  size_t body_len;
};

struct client {
  int fd;
  char buf[1 << 16];
  size_t len;
};

static struct net_http_server *start_opts(struct net_http_server_opts *o) {
  struct net_http_server *s = NULL;

  o->host = "127.0.0.1";
  o->fn = handler;
  cr_assert_eq(net_http_server_start_opts(&s, o), 0);
  cr_assert_neq(net_http_server_port(s), 0);
  return s;
}

/* 0 takes the default of each bound; timeout_ms is the header, body and
 * idle deadline. */
static struct net_http_server *start_with(unsigned timeout_ms,
                                          unsigned conns_max,
                                          size_t memory_bytes_max) {
  struct net_http_server_opts o = {.header_timeout_ms = timeout_ms,
                                   .body_timeout_ms = timeout_ms,
                                   .idle_timeout_ms = timeout_ms,
                                   .conns_max = conns_max,
                                   .memory_bytes_max = memory_bytes_max};

  return start_opts(&o);
}

static struct net_http_server *start(unsigned timeout_ms, unsigned conns_max) {
  return start_with(timeout_ms, conns_max, 0);
}

/* Connect; rcvbuf > 0 shrinks the receive window (before connecting, so
 * the window scale is negotiated for it). */
static struct client *dial_rcvbuf(const struct net_http_server *s,
                                  int rcvbuf) {
  struct client *c = calloc(1, sizeof(*c));
  struct sockaddr_in a = {.sin_family = AF_INET,
                          .sin_port = htons(net_http_server_port(s))};
  struct timeval tv = {.tv_sec = 10};

  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  c->fd = socket(AF_INET, SOCK_STREAM, 0);
  cr_assert_geq(c->fd, 0);
  /* A hung server fails the test instead of hanging it. */
  setsockopt(c->fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
  if (rcvbuf > 0)
    setsockopt(c->fd, SOL_SOCKET, SO_RCVBUF, &rcvbuf, sizeof(rcvbuf));
  cr_assert_eq(connect(c->fd, (struct sockaddr *)&a, sizeof(a)), 0);
  return c;
}

static struct client *dial(const struct net_http_server *s) {
  return dial_rcvbuf(s, 0);
}

static void hang_up(struct client *c) {
  close(c->fd);
  free(c);
}

static void send_str(struct client *c, const char *s) {
  size_t n = strlen(s), off = 0;

  while (off < n) {
    ssize_t k = send(c->fd, s + off, n - off, MSG_NOSIGNAL);
    cr_assert_gt(k, 0, "send: %s", strerror(errno));
    off += (size_t)k;
  }
}

/* Read more into the buffer; 0 at EOF. */
static ssize_t more(struct client *c) {
  ssize_t n = recv(c->fd, c->buf + c->len, sizeof(c->buf) - c->len, 0);

  cr_assert_geq(n, 0, "recv: %s", strerror(errno));
  c->len += (size_t)n;
  return n;
}

static void consume(struct client *c, size_t n) {
  memmove(c->buf, c->buf + n, c->len - n);
  c->len -= n;
}

/* Read one response (headers and Content-Length body). */
static void read_reply(struct client *c, struct reply *r, bool head_method) {
  char *end, *cl;
  size_t hl, need;

  while (!(end = memmem(c->buf, c->len, "\r\n\r\n", 4)))
    cr_assert_gt(more(c), 0, "EOF before the end of the headers");
  hl = (size_t)(end - c->buf) + 4;
  cr_assert_lt(hl, sizeof(r->head));
  memcpy(r->head, c->buf, hl);
  r->head[hl] = '\0';
  consume(c, hl);
  cr_assert_eq(sscanf(r->head, "HTTP/1.1 %d ", &r->status), 1, "%s", r->head);
  cl = strcasestr(r->head, "\r\nContent-Length: ");
  r->body_len = cl && !head_method ? strtoul(cl + 18, NULL, 10) : 0;
  r->body = malloc(r->body_len + 1);
  need = r->body_len;
  while (need > 0) {
    size_t take;
    if (c->len == 0)
      cr_assert_gt(more(c), 0, "EOF in the body");
    take = c->len < need ? c->len : need;
    memcpy(r->body + (r->body_len - need), c->buf, take);
    consume(c, take);
    need -= take;
  }
  r->body[r->body_len] = '\0';
}

static void expect_reply(struct client *c, int status, const char *body) {
  struct reply r;

  read_reply(c, &r, false);
  cr_assert_eq(r.status, status, "%s", r.head);
  if (body)
    cr_assert_str_eq(r.body, body);
  free(r.body);
}

/* The server closed the connection and sent nothing more. */
static void expect_eof(struct client *c) {
  cr_assert_eq(c->len, 0);
  cr_assert_eq(more(c), 0);
}

/* On a new connection, request gets status (and body) and then EOF. */
static void final_reply(const struct net_http_server *s, const char *request,
                        int status, const char *body) {
  struct client *c = dial(s);
  struct reply r;

  send_str(c, request);
  read_reply(c, &r, false);
  cr_assert_eq(r.status, status, "%s", r.head);
  cr_assert(strcasestr(r.head, "\r\nConnection: close\r\n"));
  if (body)
    cr_assert_str_eq(r.body, body);
  free(r.body);
  expect_eof(c);
  hang_up(c);
}

Test(http_server, keep_alive_pair) {
  struct net_http_server *s = start(0, 0);
  struct client *c = dial(s);
  struct reply r;

  send_str(c, "GET /one?a=x%20y HTTP/1.1\r\nHost: t\r\n\r\n");
  read_reply(c, &r, false);
  cr_assert_eq(r.status, 200);
  cr_assert_str_eq(r.body, "GET /one a=x y len=0 body=");
  cr_assert(strcasestr(r.head, "\r\nConnection: keep-alive\r\n"));
  cr_assert(strcasestr(r.head, "\r\nContent-Type: text/plain"));
  cr_assert(strcasestr(r.head, "\r\nDate: "));
  free(r.body);
  send_str(c, "GET /json HTTP/1.1\r\nHost: t\r\n\r\n");
  read_reply(c, &r, false);
  cr_assert_eq(r.status, 200);
  cr_assert(strcasestr(r.head, "\r\nContent-Type: application/json\r\n"));
  free(r.body);
  hang_up(c);
  net_http_server_stop(s);
}

Test(http_server, pipelined_and_chunked) {
  struct net_http_server *s = start(0, 0);
  struct client *c = dial(s);

  send_str(c, "GET /a HTTP/1.1\r\n\r\n"
              "POST /b HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n"
              "4;x=y\r\nabcd\r\n3\r\nefg\r\n0\r\nT: 1\r\n\r\n"
              "POST /c HTTP/1.1\r\nContent-Length: 2\r\n\r\nhi");
  expect_reply(c, 200, "GET /a a= len=0 body=");
  expect_reply(c, 200, "POST /b a= len=7 body=abcdefg");
  expect_reply(c, 200, "POST /c a= len=2 body=hi");
  /* A chunked POST sent piece by piece, as an SDK exporter does. */
  send_str(c, "POST /d HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n");
  usleep(1000);
  send_str(c, "5\r\nhel");
  usleep(1000);
  send_str(c, "lo\r\n0\r\n\r\n");
  expect_reply(c, 200, "POST /d a= len=5 body=hello");
  hang_up(c);
  net_http_server_stop(s);
}

Test(http_server, many_pipelined_requests) {
  struct net_http_server *s = start(0, 0);
  struct client *c = dial(s);
  char req[64 * 40] = "";
  int i;

  /* More than one turn's worth: the rest must still be served. */
  for (i = 0; i < 40; i++)
    strcat(req, "GET /p HTTP/1.1\r\n\r\n");
  send_str(c, req);
  for (i = 0; i < 40; i++)
    expect_reply(c, 200, "GET /p a= len=0 body=");
  hang_up(c);
  net_http_server_stop(s);
}

Test(http_server, expect_continue) {
  struct net_http_server *s = start(0, 0);
  struct client *c = dial(s);
  struct reply r;

  send_str(c, "POST /e HTTP/1.1\r\nExpect: 100-continue\r\n"
              "Content-Length: 4\r\n\r\n");
  read_reply(c, &r, true);
  cr_assert_eq(r.status, 100);
  cr_assert_str_eq(r.head, "HTTP/1.1 100 Continue\r\n\r\n");
  free(r.body);
  send_str(c, "data");
  expect_reply(c, 200, "POST /e a= len=4 body=data");
  hang_up(c);
  net_http_server_stop(s);
}

Test(http_server, oversize_413_and_431) {
  struct net_http_server *s = start(0, 0);
  struct net_http_stats st;
  char *big = malloc(NET_HTTP_HEADER_BYTES_MAX + 64);

  final_reply(s, "POST /x HTTP/1.1\r\nContent-Length: 100000000\r\n\r\n", 413,
              "Payload Too Large\n");
  memset(big, 'a', NET_HTTP_HEADER_BYTES_MAX + 63);
  memcpy(big, "GET / HTTP/1.1\r\nX: ", 19);
  big[NET_HTTP_HEADER_BYTES_MAX + 63] = '\0';
  final_reply(s, big, 431, NULL);
  free(big);
  final_reply(s, "GET / HTTP/2.0\r\n\r\n", 505, "HTTP Version Not Supported\n");
  net_http_server_stats(s, &st);
  cr_assert_eq(st.requests_bad, 3);
  cr_assert_eq(st.conns_accepted, 3);
  net_http_server_stop(s);
}

Test(http_server, connection_close_rules) {
  struct net_http_server *s = start(0, 0);

  final_reply(s, "GET /a HTTP/1.1\r\nConnection: close\r\n\r\n", 200,
              "GET /a a= len=0 body=");
  final_reply(s, "GET /a HTTP/1.0\r\n\r\n", 200, "GET /a a= len=0 body=");
  final_reply(s, "GET /close HTTP/1.1\r\n\r\n", 200, NULL);
  net_http_server_stop(s);
}

Test(http_server, head_status_and_headers) {
  struct net_http_server *s = start(0, 0);
  struct client *c = dial(s);
  struct reply r;

  send_str(c, "HEAD /a HTTP/1.1\r\n\r\n");
  read_reply(c, &r, true);
  cr_assert_eq(r.status, 200);
  cr_assert(strcasestr(r.head, "\r\nContent-Length: 22\r\n"));
  free(r.body);
  /* No body followed the HEAD reply: the next reply parses cleanly. */
  send_str(c, "GET /busy HTTP/1.1\r\n\r\n");
  read_reply(c, &r, false);
  cr_assert_eq(r.status, 429);
  cr_assert(strcasestr(r.head, "HTTP/1.1 429 Too Many Requests\r\n"));
  cr_assert(strcasestr(r.head, "\r\nRetry-After: 7\r\n"));
  free(r.body);
  send_str(c, "GET /bad-status HTTP/1.1\r\n\r\n");
  expect_reply(c, 500, NULL);
  hang_up(c);
  net_http_server_stop(s);
}

Test(http_server, large_response_partial_writes) {
  struct net_http_server *s = start(0, 0);
  /* A small receive window forces the server to write in pieces. */
  struct client *c = dial_rcvbuf(s, 4096);
  struct reply r;
  size_t i;

  send_str(c, "GET /big HTTP/1.1\r\n\r\nGET /after HTTP/1.1\r\n\r\n");
  read_reply(c, &r, false);
  cr_assert_eq(r.status, 200);
  cr_assert_eq(r.body_len, BIG_BYTES);
  for (i = 0; i < BIG_BYTES; i += 16)
    cr_assert(memcmp(r.body + i, "0123456789abcdef", 16) == 0, "at %zu", i);
  free(r.body);
  expect_reply(c, 200, "GET /after a= len=0 body=");
  hang_up(c);
  net_http_server_stop(s);
}

Test(http_server, header_timeout_closes) {
  struct net_http_server *s = start(50, 0);
  struct client *c = dial(s), *d = dial(s);
  struct net_http_stats st;
  struct reply r;

  send_str(c, "GET /slow HTTP/1.1\r\nHo");  /* partial request: 408 */
  read_reply(c, &r, false);
  cr_assert_eq(r.status, 408, "%s", r.head);
  cr_assert(strcasestr(r.head, "\r\nConnection: close\r\n"));
  cr_assert_str_eq(r.body, "Request Timeout\n");
  free(r.body);
  expect_eof(c);
  expect_eof(d);                            /* never spoke: just closed */
  hang_up(c);
  hang_up(d);
  net_http_server_stats(s, &st);
  cr_assert_eq(st.conns_timed_out, 2);
  cr_assert_eq(st.timed_out_header, 2);
  cr_assert_eq(st.requests_bad, 0);         /* a timeout is not a bad request */
  net_http_server_stop(s);
}

Test(http_server, connection_bound) {
  struct net_http_server *s = start(0, 1);
  struct client *c = dial(s), *d;
  struct reply r;
  struct net_http_stats st;

  send_str(c, "GET /first HTTP/1.1\r\n\r\n");
  expect_reply(c, 200, NULL);  /* c now holds the only slot */
  d = dial(s);
  read_reply(d, &r, false);
  cr_assert_eq(r.status, 503);
  cr_assert(strcasestr(r.head, "\r\nRetry-After: 1\r\n"));
  free(r.body);
  expect_eof(d);
  hang_up(d);
  net_http_server_stats(s, &st);
  cr_assert_eq(st.conns_rejected, 1);
  /* The first connection still works. */
  send_str(c, "GET /again HTTP/1.1\r\n\r\n");
  expect_reply(c, 200, "GET /again a= len=0 body=");
  hang_up(c);
  net_http_server_stop(s);
}

Test(http_server, start_errors_and_ipv6) {
  struct net_http_server *s = start(0, 0), *t = NULL;
  int rc;

  rc = net_http_server_start(&t, "127.0.0.1", net_http_server_port(s), handler,
                             NULL);
  cr_assert_eq(rc, -EADDRINUSE);
  rc = net_http_server_start(&t, "no.such.host.invalid", 0, handler, NULL);
  cr_assert_eq(rc, -EADDRNOTAVAIL);
  rc = net_http_server_start(&t, "127.0.0.1", 0, NULL, NULL);
  cr_assert_eq(rc, -EINVAL);
  net_http_server_stop(s);

  rc = net_http_server_start(&t, "[::1]", 0, handler, NULL);
  if (rc == -EADDRNOTAVAIL || rc == -EAFNOSUPPORT)
    return;  /* no IPv6 loopback here */
  cr_assert_eq(rc, 0);
  {
    struct sockaddr_in6 a = {.sin6_family = AF_INET6,
                             .sin6_port = htons(net_http_server_port(t)),
                             .sin6_addr = IN6ADDR_LOOPBACK_INIT};
    struct client c = {.fd = socket(AF_INET6, SOCK_STREAM, 0)};
    cr_assert_eq(connect(c.fd, (struct sockaddr *)&a, sizeof(a)), 0);
    send_str(&c, "GET /v6 HTTP/1.1\r\n\r\n");
    expect_reply(&c, 200, "GET /v6 a= len=0 body=");
    close(c.fd);
  }
  net_http_server_stop(t);
}

Test(http_server, stop_with_open_connections) {
  struct net_http_server *s = start(0, 0);
  struct client *c = dial(s), *d = dial(s);

  send_str(c, "GET /x HTTP/1.1\r\n\r\n");
  expect_reply(c, 200, NULL);
  send_str(d, "POST /x HTTP/1.1\r\nContent-Length: 10\r\n\r\nabc");
  net_http_server_stop(s);
  expect_eof(c);
  hang_up(c);
  hang_up(d);
}

/* ---- memory budget over loopback ---------------------------------------- */

/* Wait (bounded) until the server holds `bytes` of its budget, or at least
 * that many with at_least: the server thread gets there on its own. */
static void wait_memory(const struct net_http_server *s, uint64_t bytes,
                        bool at_least) {
  struct net_http_stats st;
  int i;

  for (i = 0; i < 10000; i++) {
    net_http_server_stats(s, &st);
    if (at_least ? st.memory_bytes >= bytes : st.memory_bytes == bytes)
      return;
    usleep(1000);
  }
  cr_assert_fail("memory_bytes %llu, want %s%llu",
                 (unsigned long long)st.memory_bytes, at_least ? ">= " : "",
                 (unsigned long long)bytes);
}

/* A 503 for the memory budget: Retry-After and the reason. */
static void expect_busy(struct client *c, bool closes) {
  struct reply r;

  read_reply(c, &r, false);
  cr_assert_eq(r.status, 503, "%s", r.head);
  cr_assert(strcasestr(r.head, "\r\nRetry-After: 1\r\n"));
  cr_assert(strstr(r.body, "memory budget"), "%s", r.body);
  cr_assert(strcasestr(r.head, closes ? "\r\nConnection: close\r\n"
                                      : "\r\nConnection: keep-alive\r\n"));
  free(r.body);
}

static void send_x(struct client *c, size_t n) {
  char *x = malloc(n + 1);

  memset(x, 'x', n);
  x[n] = '\0';
  send_str(c, x);
  free(x);
}

Test(http_server, budget_request_bodies) {
  struct net_http_server *s = start_with(0, 0, 200000);
  const char *head = "POST /up HTTP/1.1\r\nContent-Length: 120000\r\n\r\n";
  struct client *a = dial(s), *b = dial(s), *c;
  struct net_http_stats st;
  struct reply r;

  net_http_server_stats(s, &st);
  cr_assert_eq(st.memory_bytes_max, 200000);
  send_str(a, head);
  send_x(a, 40000);
  wait_memory(s, 65536, false);    /* what A sent, doubled: 16, 32, 64 KiB */
  /* 140001 could not fit the 134464 left: refused before the body. */
  send_str(b, "POST /up HTTP/1.1\r\nContent-Length: 140000\r\n\r\n");
  expect_busy(b, true);
  expect_eof(b);
  hang_up(b);
  send_x(a, 80000);
  read_reply(a, &r, false);
  cr_assert_eq(r.status, 200);
  cr_assert(strstr(r.body, "len=120000"));
  free(r.body);
  wait_memory(s, 0, false);        /* A's body and reply are released */
  c = dial(s);
  send_str(c, head);
  send_x(c, 120000);
  expect_reply(c, 200, NULL);
  net_http_server_stats(s, &st);
  cr_assert_eq(st.rejected_memory, 1);
  cr_assert_eq(st.requests_bad, 0);
  hang_up(a);
  hang_up(c);
  wait_memory(s, 0, false);
  net_http_server_stop(s);
}

/* The audit's attack: connections that declare large bodies and send a
 * little hold what they sent (a window each), not what they declared, so
 * another client's ordinary request is served. */
Test(http_server, budget_slow_senders_hold_what_they_sent) {
  /* Declared lengths held up front: the first two would fill it. */
  struct net_http_server *s = start_with(0, 0, 400000);
  const char *head = "POST /up HTTP/1.1\r\nContent-Length: 200000\r\n\r\n";
  struct client *slow[8], *c;
  struct net_http_stats st;
  size_t i;

  for (i = 0; i < 8; i++) {
    slow[i] = dial(s);
    send_str(slow[i], head);
    send_x(slow[i], 1000);
  }
  wait_memory(s, 8 * NET_HTTP_BODY_WINDOW_BYTES, false);
  c = dial(s);
  send_str(c, "POST /up HTTP/1.1\r\nContent-Length: 50000\r\n\r\n");
  send_x(c, 50000);
  expect_reply(c, 200, NULL);
  net_http_server_stats(s, &st);
  cr_assert_eq(st.rejected_memory, 0);
  hang_up(c);
  for (i = 0; i < 8; i++)
    hang_up(slow[i]);
  wait_memory(s, 0, false);
  net_http_server_stop(s);
}

Test(http_server, budget_chunked_growth) {
  struct net_http_server *s = start_with(0, 0, 10000);
  struct client *a = dial(s);
  struct net_http_stats st;

  send_str(a, "POST /c HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n"
              "1000\r\n");
  send_x(a, 4096);
  send_str(a, "\r\n1000\r\n");
  send_x(a, 4096);
  send_str(a, "\r\n1000\r\n");     /* 12288 bytes would not fit */
  expect_busy(a, true);
  expect_eof(a);
  hang_up(a);
  wait_memory(s, 0, false);        /* lingering close released it all */
  net_http_server_stats(s, &st);
  cr_assert_eq(st.rejected_memory, 1);
  net_http_server_stop(s);
}

Test(http_server, budget_responses) {
  /* /big holds a 16 MiB buffer (8 MiB doubled): one fits, two do not. */
  struct net_http_server *s = start_with(0, 0, 20u << 20);
  struct client *a = dial_rcvbuf(s, 4096), *b = dial(s);
  struct net_http_stats st;
  struct reply r;

  send_str(a, "GET /big HTTP/1.1\r\n\r\n");  /* a slow reader */
  wait_memory(s, BIG_BYTES, true);
  send_str(b, "GET /big HTTP/1.1\r\n\r\n");
  expect_busy(b, false);           /* the handler ran; its reply was dropped */
  send_str(b, "HEAD /big HTTP/1.1\r\n\r\n");
  read_reply(b, &r, true);         /* HEAD holds no body */
  cr_assert_eq(r.status, 200);
  free(r.body);
  read_reply(a, &r, false);
  cr_assert_eq(r.status, 200);
  cr_assert_eq(r.body_len, BIG_BYTES);
  free(r.body);
  wait_memory(s, 0, false);        /* released once it was sent */
  send_str(b, "GET /big HTTP/1.1\r\n\r\n");
  read_reply(b, &r, false);
  cr_assert_eq(r.status, 200);
  cr_assert_eq(r.body_len, BIG_BYTES);
  free(r.body);
  net_http_server_stats(s, &st);
  cr_assert_eq(st.rejected_memory, 1);
  hang_up(a);
  hang_up(b);
  net_http_server_stop(s);
}

Test(http_server, budget_released_on_every_close) {
  struct net_http_server *s = start_with(100, 0, 20u << 20);
  struct client *a = dial_rcvbuf(s, 4096), *b;
  struct net_http_stats st;

  /* A reader that goes away mid-reply. */
  send_str(a, "GET /big HTTP/1.1\r\n\r\n");
  wait_memory(s, BIG_BYTES, true);
  hang_up(a);
  wait_memory(s, 0, false);
  b = dial(s);  /* now: its header deadline runs from accept */
  /* A body that stops arriving: the body deadline answers 408. */
  send_str(b, "POST /x HTTP/1.1\r\nContent-Length: 50000\r\n\r\nabc");
  wait_memory(s, NET_HTTP_BODY_WINDOW_BYTES, false); /* not the 50001 declared */
  expect_reply(b, 408, NULL);
  expect_eof(b);
  hang_up(b);
  wait_memory(s, 0, false);
  net_http_server_stats(s, &st);
  cr_assert_eq(st.conns_timed_out, 1);
  cr_assert_eq(st.timed_out_body, 1);
  /* Stopping with bodies held frees them (ASan would report a leak). */
  b = dial(s);
  send_str(b, "POST /x HTTP/1.1\r\nContent-Length: 50000\r\n\r\nabc");
  wait_memory(s, NET_HTTP_BODY_WINDOW_BYTES, false);
  net_http_server_stop(s);
  hang_up(b);
}

/* ---- deadlines, per-client bound and probe reserve ----------------------- */

static long ms_since(const struct timespec *t0) {
  struct timespec t;

  clock_gettime(CLOCK_MONOTONIC, &t);
  return (t.tv_sec - t0->tv_sec) * 1000 + (t.tv_nsec - t0->tv_nsec) / 1000000;
}

/* Send s one byte per step_ms until the server answers (or s ends).
 * Returns the milliseconds until the answer, or -1 if none came. */
static long trickle(struct client *c, const char *s, int step_ms) {
  struct timespec t0;
  size_t i;

  clock_gettime(CLOCK_MONOTONIC, &t0);
  for (i = 0; s[i]; i++) {
    struct pollfd p = {.fd = c->fd, .events = POLLIN};
    if (poll(&p, 1, step_ms) > 0)
      return ms_since(&t0);
    cr_assert_eq(send(c->fd, s + i, 1, MSG_NOSIGNAL), 1);
  }
  return -1;
}

/* 120 bytes: at 20 ms a byte, 2.4 s of trickle. */
static const char slow_head[] =
    "GET /x HTTP/1.1\r\nX-Pad: "
    "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
    "aaaaaaaaaaaaaaaaaaaaaaaaaaaa";

Test(http_server, header_deadline_ignores_trickle) {
  struct net_http_server_opts o = {.header_timeout_ms = 300};
  struct net_http_server *s = start_opts(&o);
  struct client *c = dial(s);
  struct net_http_stats st;
  struct reply r;
  long ms = trickle(c, slow_head, 20);

  /* Each byte is progress, yet the deadline holds from accept. */
  cr_assert(ms >= 0 && ms < 1500, "answered after %ld ms", ms);
  read_reply(c, &r, false);
  cr_assert_eq(r.status, 408, "%s", r.head);
  cr_assert(strcasestr(r.head, "\r\nConnection: close\r\n"));
  free(r.body);
  expect_eof(c);
  hang_up(c);
  net_http_server_stats(s, &st);
  cr_assert_eq(st.timed_out_header, 1);
  net_http_server_stop(s);
}

Test(http_server, request_sent_in_time_during_a_slow_handler) {
  struct net_http_server_opts o = {.header_timeout_ms = 200};
  struct net_http_server *s = start_opts(&o);
  struct client *b = dial(s), *a = dial(s);

  send_str(a, "GET /sleep HTTP/1.1\r\n\r\n");
  usleep(50 * 1000);
  /* In time, but the server reads it only after its deadline passed. */
  send_str(b, "GET /b HTTP/1.1\r\n\r\n");
  expect_reply(a, 200, NULL);
  expect_reply(b, 200, "GET /b a= len=0 body=");
  hang_up(a);
  hang_up(b);
  net_http_server_stop(s);
}

Test(http_server, body_deadline_ignores_trickle) {
  struct net_http_server_opts o = {.body_timeout_ms = 300};
  struct net_http_server *s = start_opts(&o);
  struct client *c = dial(s);
  struct net_http_stats st;
  char body[121];
  long ms;

  memset(body, 'b', 120);
  body[120] = '\0';
  send_str(c, "POST /x HTTP/1.1\r\nContent-Length: 120\r\n\r\n");
  ms = trickle(c, body, 20);
  cr_assert(ms >= 0 && ms < 1500, "answered after %ld ms", ms);
  expect_reply(c, 408, "Request Timeout\n");
  expect_eof(c);
  hang_up(c);
  wait_memory(s, 0, false);  /* the declared body's budget is back */
  net_http_server_stats(s, &st);
  cr_assert_eq(st.timed_out_body, 1);
  cr_assert_eq(st.timed_out_header, 0);
  net_http_server_stop(s);
}

Test(http_server, idle_keep_alive_closes_silently) {
  struct net_http_server_opts o = {.idle_timeout_ms = 1000,
                                   .header_timeout_ms = 800};
  struct net_http_server *s = start_opts(&o);
  struct client *c = dial(s);
  struct net_http_stats st;
  long ms;

  send_str(c, "GET /a HTTP/1.1\r\n\r\n");
  expect_reply(c, 200, "GET /a a= len=0 body=");
  /* The next request's header deadline starts at its first byte, not at
   * the end of the last reply: 500 ms idle, then 570 ms of trickle fit. */
  usleep(500 * 1000);
  ms = trickle(c, "GET /b HTTP/1.1\r\n\r\n", 30);
  cr_assert_eq(ms, -1, "answered before the end of the request");
  expect_reply(c, 200, "GET /b a= len=0 body=");
  expect_eof(c);  /* idle: closed without a word */
  hang_up(c);
  net_http_server_stats(s, &st);
  cr_assert_eq(st.timed_out_idle, 1);
  cr_assert_eq(st.conns_timed_out, 1);
  net_http_server_stop(s);
}

Test(http_server, send_deadline_frees_the_reply) {
  struct net_http_server_opts o = {.send_timeout_ms = 200,
                                   .send_bytes_per_s_min = 1u << 30};
  struct net_http_server *s = start_opts(&o);
  struct client *c = dial_rcvbuf(s, 4096);
  struct net_http_stats st;

  send_str(c, "GET /big HTTP/1.1\r\n\r\n");  /* and never read it */
  wait_memory(s, BIG_BYTES, true);
  wait_memory(s, 0, false);                  /* closed at the deadline */
  net_http_server_stats(s, &st);
  cr_assert_eq(st.timed_out_send, 1);
  hang_up(c);
  net_http_server_stop(s);
}

/* Connect from a given loopback address (127.0.0.0/8 is all local). */
static struct client *dial_from(const struct net_http_server *s,
                                const char *ip) {
  struct client *c = calloc(1, sizeof(*c));
  struct sockaddr_in a = {.sin_family = AF_INET,
                          .sin_port = htons(net_http_server_port(s))};
  struct sockaddr_in me = {.sin_family = AF_INET};
  struct timeval tv = {.tv_sec = 10};

  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  cr_assert_eq(inet_pton(AF_INET, ip, &me.sin_addr), 1);
  c->fd = socket(AF_INET, SOCK_STREAM, 0);
  setsockopt(c->fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
  cr_assert_eq(bind(c->fd, (struct sockaddr *)&me, sizeof(me)), 0);
  cr_assert_eq(connect(c->fd, (struct sockaddr *)&a, sizeof(a)), 0);
  return c;
}

/* A refusal for the per-client bound, then EOF. */
static void expect_refused(struct client *c) {
  struct reply r;

  read_reply(c, &r, false);
  cr_assert_eq(r.status, 503, "%s", r.head);
  cr_assert(strcasestr(r.head, "\r\nRetry-After: 1\r\n"));
  cr_assert(strcasestr(r.head, "\r\nConnection: close\r\n"));
  cr_assert_str_eq(r.body, "too many connections from this address\n");
  free(r.body);
  expect_eof(c);
  hang_up(c);
}

/* One request on a fresh connection, its reply and the close. */
static void probe(const struct net_http_server *s, const char *path) {
  struct client *c = dial(s);
  char req[128];
  struct reply r;

  snprintf(req, sizeof(req), "GET %s HTTP/1.1\r\n\r\n", path);
  send_str(c, req);
  read_reply(c, &r, false);
  cr_assert_eq(r.status, 200, "%s: %s", path, r.head);
  cr_assert(strcasestr(r.head, "\r\nConnection: close\r\n"));
  free(r.body);
  expect_eof(c);
  hang_up(c);
}

Test(http_server, per_client_bound_and_probe_reserve) {
  struct net_http_server_opts o = {.conns_max = 8, .conns_reserve = 2,
                                   .conns_per_client_max = 2,
                                   .reserve_timeout_ms = 300};
  struct net_http_server *s = start_opts(&o);
  struct client *a = dial(s), *b = dial(s), *c, *e, *f;
  struct net_http_stats st;

  send_str(a, "GET /a HTTP/1.1\r\n\r\n");
  expect_reply(a, 200, NULL);
  send_str(b, "GET /b HTTP/1.1\r\n\r\n");
  expect_reply(b, 200, NULL);
  /* 127.0.0.1 holds its 2: a third gets a reserve slot, which serves
   * probes only (and then closes). */
  c = dial(s);
  send_str(c, "GET /x HTTP/1.1\r\n\r\n");
  expect_refused(c);
  probe(s, "/health");
  c = dial(s);  /* a probe path with a body is no probe */
  send_str(c, "POST /health HTTP/1.1\r\nContent-Length: 3\r\n\r\n");
  expect_refused(c);
  /* Another address is not bound by 127.0.0.1's connections. */
  c = dial_from(s, "127.0.0.2");
  send_str(c, "GET /c HTTP/1.1\r\n\r\n");
  expect_reply(c, 200, "GET /c a= len=0 body=");
  hang_up(c);
  /* Two slow requests fill the reserve; a probe takes the older's slot. */
  e = dial(s);
  send_str(e, "GET /hea");
  usleep(30 * 1000);
  f = dial(s);
  send_str(f, "GET /hea");
  usleep(30 * 1000);
  probe(s, "/metrics");
  expect_refused(e);
  /* The other is refused at the reserve's deadline. */
  expect_refused(f);
  net_http_server_stats(s, &st);
  cr_assert_eq(st.rejected_per_client, 4);
  cr_assert_eq(st.conns_rejected, 0);
  cr_assert_eq(st.conns_timed_out, 0);
  cr_assert_eq(st.memory_bytes, 0);
  hang_up(a);
  hang_up(b);
  net_http_server_stop(s);
}

Test(http_server, per_client_slot_returns_on_close) {
  struct net_http_server_opts o = {.conns_max = 4, .conns_reserve = -1,
                                   .conns_per_client_max = 1};
  struct net_http_server *s = start_opts(&o);
  struct client *a = dial(s), *b;
  struct net_http_stats st;
  int i;

  send_str(a, "GET /a HTTP/1.1\r\n\r\n");
  expect_reply(a, 200, NULL);
  b = dial(s);  /* no reserve: refused at accept */
  expect_refused(b);
  hang_up(a);
  for (i = 0; i < 200; i++) {  /* until the server has seen a go */
    struct reply r;
    b = dial(s);
    send_str(b, "GET /b HTTP/1.1\r\n\r\n");
    read_reply(b, &r, false);
    free(r.body);
    hang_up(b);
    if (r.status == 200)
      break;
    usleep(5000);
  }
  cr_assert_lt(i, 200);
  net_http_server_stats(s, &st);
  cr_assert_eq(st.rejected_per_client, 1 + (uint64_t)i);
  net_http_server_stop(s);
}

Test(http_server, pending_handler_lets_others_be_served) {
  struct net_http_server *s = start(200, 0);
  struct client *a = dial(s), *b, *gone = dial(s);
  struct net_http_stats st;

  /* a waits (its pipelined second request too), gone hangs up waiting */
  send_str(a, "POST /wait HTTP/1.1\r\n\r\nGET /after HTTP/1.1\r\n\r\n");
  send_str(gone, "POST /wait HTTP/1.1\r\n\r\n");
  hang_up(gone);
  usleep(300 * 1000); /* past the read timeout: pending is not idle */
  b = dial(s);        /* served meanwhile */
  send_str(b, "GET /one HTTP/1.1\r\n\r\n");
  expect_reply(b, 200, "GET /one a= len=0 body=");
  __atomic_store_n(&released, 1, __ATOMIC_RELEASE);
  expect_reply(a, 200, "called again");
  expect_reply(a, 200, "GET /after a= len=0 body=");
  net_http_server_stats(s, &st);
  cr_assert_eq(st.conns_timed_out, 0);
  hang_up(a);
  hang_up(b);
  net_http_server_stop(s);
}
