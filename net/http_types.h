/*
 * net/http_types.h - the HTTP/1.1 server's request, response, parser and
 * options (see net/http.h for the functions).
 *
 * One server serves the query port now and OTLP/HTTP later; both need
 * Content-Length and chunked bodies, keep-alive, pipelining and
 * Expect: 100-continue, with every size and time bounded (core/limits.h).
 */
#ifndef SLUICE_NET_HTTP_TYPES_H
#define SLUICE_NET_HTTP_TYPES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/base/limits.h"
#include "core/base/strbuf.h"

struct core_heap;

/* The methods a handler is likely to switch on; anything else is OTHER. */
enum net_http_method {
  NET_HTTP_METHOD_OTHER = 0,
  NET_HTTP_METHOD_GET,
  NET_HTTP_METHOD_HEAD,
  NET_HTTP_METHOD_POST,
  NET_HTTP_METHOD_PUT,
  NET_HTTP_METHOD_DELETE,
  NET_HTTP_METHOD_OPTIONS,
};

/* One request header as received: NUL-terminated, value trimmed of OWS. */
struct net_http_header {
  const char *name;
  const char *value;
};

/*
 * A complete request. Every pointer points into the parser's buffers and
 * stays valid until the parser is reset (for a handler: until it returns).
 * Strings are NUL-terminated; absent headers are NULL.
 */
struct net_http_request {
  const char *method;             /* as sent, case-sensitive */
  enum net_http_method method_id;
  const char *path;               /* raw (not percent-decoded), from '/' */
  const char *query;              /* raw, after '?'; "" when none */
  int version_minor;              /* HTTP/1.<minor>: 0 or 1 */
  bool keep_alive;                /* the connection stays open after */
  bool chunked;                   /* the body came chunked */
  bool expect_continue;           /* Expect: 100-continue (HTTP/1.1) */
  int64_t content_length;         /* -1 when absent */
  const char *content_type;
  const char *content_encoding;
  const char *transfer_encoding;  /* last Transfer-Encoding line */
  const char *connection;         /* last Connection line */
  const char *expect;
  const char *body;               /* de-chunked; body[body_len] == '\0' */
  size_t body_len;
  unsigned headers_count;
  struct net_http_header headers[NET_HTTP_HEADERS_MAX];
};

/* What net_http_parser_feed reports. */
enum net_http_parse {
  NET_HTTP_PARSE_MORE = 0,  /* all bytes taken; the request is not complete */
  NET_HTTP_PARSE_DONE,      /* parser.req is complete; the rest is the next */
  NET_HTTP_PARSE_CONTINUE,  /* headers done, client awaits 100 Continue */
  NET_HTTP_PARSE_ERROR,     /* reply parser.status and close */
};

/*
 * A memory budget that several parsers and the responses of one server
 * share: bytes taken from it are allocated body bytes. Only one
 * thread takes and gives (the server's); `bytes` may be read from any
 * thread (relaxed atomics, core_stat_get).
 */
struct net_http_budget {
  uint64_t bytes_max;        /* a take that would pass it is refused */
  uint64_t bytes;            /* taken now */
  struct core_heap *heap;    /* where the bytes come from: a shard's own
                                heap (core/base/heap.h); NULL: malloc */
};

/*
 * Incremental request parser: pure, no I/O. The fields after `status` are
 * private to net/http_parse.c.
 */
struct net_http_parser {
  struct net_http_request req;
  int status;                /* on NET_HTTP_PARSE_ERROR: 400, 413, 417, 431,
                                500, 501, 503 (budget full) or 505 */
  int state;
  struct net_http_budget *budget; /* NULL: bodies are bounded one by one */
  size_t budget_held;        /* taken from budget: >= body_cap */
  size_t header_bytes_max;   /* request line + headers + blank line */
  size_t body_bytes_max;     /* body after de-chunking */
  char *head;                /* header_bytes_max + 1 bytes */
  size_t head_len;
  size_t line_start;         /* offset of the line being received */
  size_t skipped;            /* blank lines before the request line */
  char *body;
  size_t body_len, body_cap;
  uint64_t left;             /* body or chunk bytes still to come */
  size_t line_bytes;         /* bytes of the current chunk or trailer line */
  size_t trailer_bytes;
  int next;                  /* state after the LF that follows a CR */
  bool saw_digit, saw_colon;  /* chunk-size digits; ':' in a trailer line */
  bool conn_close, conn_keep; /* Connection: close / keep-alive seen */
};

/* A response a handler fills. The server adds Content-Length, Connection,
 * Date and Server itself. */
struct net_http_response {
  int status;                /* 200 unless the handler sets it */
  const char *content_type;  /* a string that outlives the server (a
                                literal); NULL sends none */
  struct core_strbuf body;   /* bounded by NET_HTTP_RESPONSE_BYTES_MAX;
                                if it failed, the server replies 500 */
  bool close;                /* close the connection after this reply */
  bool pending;              /* no answer yet: call the handler again for
                                this request (net_http_handler_fn) */
  uint64_t pending_token;    /* the handler's note across those calls; 0 on
                                the first call */
  size_t headers_len;
  char headers[NET_HTTP_RESPONSE_HEADERS_BYTES_MAX]; /* "Name: v\r\n"... */
};

/*
 * A request handler. Runs on the server's single thread: while it runs no
 * other connection is served, so a slow handler delays every client of
 * this server (acceptable for the query port, which is off the data path).
 * It must not keep req or resp after it returns.
 *
 * A handler that has to wait for something (POST /api/v1/flush waits for
 * the shards' fsyncs) sets resp->pending instead of blocking, noting what
 * it waits for in resp->pending_token. The server then serves the other
 * connections and calls it again for the same request, with the token and
 * an otherwise fresh resp, every NET_HTTP_PENDING_POLL_MS, until it leaves
 * pending unset; nothing else is read from that connection meanwhile, and
 * the read timeout does not apply (the handler bounds its own wait). A
 * pending request is dropped without another call when its connection
 * fails (EPOLLHUP, EPOLLERR) or the server stops, so the token must not
 * own anything; a client that only closed its side hears the answer's
 * write fail.
 */
typedef void (*net_http_handler_fn)(const struct net_http_request *req,
                                    struct net_http_response *resp,
                                    void *ctx);

/* Options of net_http_server_start_opts; a zero field takes the default. */
struct net_http_server_opts {
  const char *host;          /* numeric IPv4/IPv6 ("[::1]" too) or a name;
                                NULL or "" = all addresses */
  uint16_t port;             /* 0 = any (see net_http_server_port) */
  net_http_handler_fn fn;
  void *ctx;
  unsigned header_timeout_ms; /* NET_HTTP_HEADER_TIMEOUT_MS */
  unsigned body_timeout_ms;  /* NET_HTTP_BODY_TIMEOUT_MS */
  unsigned idle_timeout_ms;  /* NET_HTTP_IDLE_TIMEOUT_MS */
  unsigned send_timeout_ms;  /* NET_HTTP_SEND_TIMEOUT_MS (plus the bytes'
                                time at NET_HTTP_SEND_BYTES_PER_S_MIN) */
  unsigned send_bytes_per_s_min; /* NET_HTTP_SEND_BYTES_PER_S_MIN */
  unsigned reserve_timeout_ms; /* NET_HTTP_RESERVE_TIMEOUT_MS */
  unsigned conns_max;        /* NET_HTTP_CONNS_MAX */
  /* Probe slots within conns_max. 0: NET_HTTP_CONNS_RESERVE_COUNT, or a
   * quarter of conns_max if less (none below 4 slots); N > 0: N, leaving
   * at least one general slot; < 0: none. */
  int conns_reserve;
  unsigned conns_per_client_max; /* NET_HTTP_CONNS_PER_CLIENT_MAX (at most
                                    the slots outside the reserve) */
  /* Paths (exact, without the query) a reserve slot serves with GET or
   * HEAD and no body; NULL-terminated. NULL: /health, /-/healthy,
   * /-/ready and /metrics (the query port's probes). */
  const char *const *probe_paths;
  size_t header_bytes_max;   /* NET_HTTP_HEADER_BYTES_MAX */
  size_t body_bytes_max;     /* NET_HTTP_BODY_BYTES_MAX */
  size_t memory_bytes_max;   /* NET_HTTP_MEMORY_BYTES_MAX: request and
                                response bodies of all connections */
};

/* Server counters, readable from any thread (net_http_server_stats). */
struct net_http_stats {
  uint64_t conns_accepted;   /* connections served */
  uint64_t conns_rejected;   /* general slots full and no probe in a
                                reserve slot: 503 and closed */
  uint64_t rejected_per_client; /* over conns_per_client_max and no probe
                                   in a reserve slot: 503 and closed */
  uint64_t conns_timed_out;  /* the sum of the four below */
  uint64_t timed_out_header; /* headers not in by their deadline (408) */
  uint64_t timed_out_body;   /* body not in by its deadline (408) */
  uint64_t timed_out_idle;   /* keep-alive with no next request: closed */
  uint64_t timed_out_send;   /* response not read in time: closed */
  uint64_t requests;         /* requests given to the handler */
  uint64_t requests_bad;     /* requests refused by the parser */
  uint64_t rejected_memory;  /* 503: a request body or a response would
                                have passed memory_bytes_max */
  uint64_t memory_bytes;     /* gauge: body bytes held now */
  uint64_t memory_bytes_max; /* the budget in force */
};

#endif
