/*
 * net/http.h - the HTTP/1.1 server of net/: request parser, helpers and a
 * one-thread epoll server (query port; OTLP/HTTP later).
 *
 * Threading: the server runs ONE thread that accepts, reads, calls the
 * handler and writes for every connection. Handlers run one at a time on
 * that thread, so they need no locking among themselves, and a slow one
 * delays all other clients. It is never a shard thread: epoll and blocking
 * calls are fine there, and it touches shard state only through lock-free
 * reads (counters, sealed segments).
 */
#ifndef SLUICE_NET_HTTP_H
#define SLUICE_NET_HTTP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "net/http_types.h"

/* ---- parser (pure; net/http_parse.c) ------------------------------------- */

/*
 * Prepare a parser with the given bounds (0 takes NET_HTTP_HEADER_BYTES_MAX
 * and NET_HTTP_BODY_BYTES_MAX). Returns 0 or -ENOMEM.
 */
int net_http_parser_init(struct net_http_parser *p, size_t header_bytes_max,
                         size_t body_bytes_max);

/* Release the parser's buffers (and what it held of its budget). */
void net_http_parser_free(struct net_http_parser *p);

/*
 * Make p's body buffers count against budget b (shared with other parsers
 * and responses; NULL: no budget, as after init). The body buffer is held
 * as it grows, which is as its bytes arrive (at most twice what came, or
 * NET_HTTP_BODY_WINDOW_BYTES), never for a declared length up front. A
 * declared Content-Length or chunk size that could not fit what b has free
 * is refused as soon as it is read (before the body and 100 Continue), and
 * a body that grows past b->bytes_max while it arrives is refused then:
 * both end in NET_HTTP_PARSE_ERROR with status 503. Call it between init
 * and the first feed.
 */
void net_http_parser_set_budget(struct net_http_parser *p,
                                struct net_http_budget *b);

/*
 * Start the next request on the same connection. Invalidates p->req.
 * Body buffers over NET_HTTP_BODY_KEEP_BYTES are released so an idle
 * keep-alive connection holds little memory.
 */
void net_http_parser_reset(struct net_http_parser *p);

/*
 * Feed n bytes that arrived. *used is set to the bytes taken: all of them
 * on MORE; up to the end of the headers on CONTINUE (feed the rest next);
 * up to the end of the request on DONE (the rest belongs to the next
 * request: reset, then feed it). After DONE or ERROR, feeding again takes
 * nothing and reports the same until reset.
 * Returns an enum net_http_parse; on ERROR p->status is the reply status.
 */
enum net_http_parse net_http_parser_feed(struct net_http_parser *p,
                                         const char *data, size_t n,
                                         size_t *used);

/*
 * Where the next body bytes may be written in place rather than fed (a
 * recv straight into the body: no copy): while the parser waits for
 * Content-Length or chunk data bytes, the buffer has room for at least
 * 4096 of them (or the rest, if fewer; it grows, within the body bound and
 * the budget, by doubling what is there), *room is how many bytes it has
 * for this body or chunk, and the address of the first is returned. A
 * slow sender's buffer so stays near what it sent, and a fast one's
 * doubles at each call. NULL (*room 0) in any other state, or when the
 * memory is refused (feed the bytes instead: the error comes from there).
 * The address holds until the next call of the parser.
 */
char *net_http_parser_body_room(struct net_http_parser *p, size_t *room);

/*
 * n bytes (0 < n <= *room of the last net_http_parser_body_room, no other
 * call between) were written there: take them as if fed. Returns MORE, or
 * DONE when they end a Content-Length body.
 */
enum net_http_parse net_http_parser_body_wrote(struct net_http_parser *p,
                                               size_t n);

/*
 * Has a byte of the current request arrived since init or reset? Blank
 * lines before a request line do not count (RFC 9112 lets a client send
 * them between requests). The server's deadlines use it to tell an idle
 * keep-alive connection from a request that has begun.
 */
bool net_http_parser_started(const struct net_http_parser *p);

/*
 * Are the request line and headers complete (p->req's head fields set;
 * a body may still be arriving)? False after an ERROR.
 */
bool net_http_parser_head_done(const struct net_http_parser *p);

/* ---- memory budget (net/http_parse.c) ------------------------------------ */

/*
 * Take n bytes of b. Returns 0, or -ENOBUFS (nothing taken) if b->bytes
 * would pass b->bytes_max. Single writer: see struct net_http_budget.
 */
int net_http_budget_take(struct net_http_budget *b, uint64_t n);

/* Give back n bytes taken before. */
void net_http_budget_give(struct net_http_budget *b, uint64_t n);

/* ---- request and response helpers (net/http_reply.c) --------------------- */

/*
 * Find the idx-th (from 0) query parameter called name (compared after
 * percent-decoding) and percent-decode its value into out ('+' is a
 * space; a '%' not followed by two hex digits stays as is). "name" alone
 * has the empty value. out is NUL-terminated.
 * Returns the decoded length, -ENOENT if there is no such occurrence, or
 * -ENOSPC if the value and its NUL do not fit outlen.
 */
int net_http_query_param(const struct net_http_request *req,
                         const char *name, size_t idx, char *out,
                         size_t outlen);

/*
 * Percent-decode n bytes of s into out (NUL-terminated); plus_is_space as
 * in a query string. Returns the decoded length or -ENOSPC.
 */
int net_http_url_decode(const char *s, size_t n, bool plus_is_space,
                        char *out, size_t outlen);

/* First value of a request header (name case-insensitive), or NULL. */
const char *net_http_header(const struct net_http_request *req,
                            const char *name);

/* Reason phrase of a status ("Not Found"); "Unknown" for others. */
const char *net_http_reason(int status);

/*
 * Add "name: value" to a response's extra headers (e.g. Retry-After,
 * Content-Encoding). Returns 0, -EINVAL if either holds CR, LF or NUL
 * characters or name is empty, or -ENOSPC past
 * NET_HTTP_RESPONSE_HEADERS_BYTES_MAX.
 */
int net_http_response_header(struct net_http_response *resp,
                             const char *name, const char *value);

/* ---- server (net/http.c) ------------------------------------------------- */

struct net_http_server;

/*
 * Listen on host:port (SO_REUSEADDR, not SO_REUSEPORT: a second server on
 * the same port must fail) and start the server thread that calls fn(req,
 * resp, ctx) for each request.
 * Returns 0 and sets *out, or -errno: -EADDRINUSE, -EACCES,
 * -EADDRNOTAVAIL (host does not resolve or is not local), -ENOMEM, ...
 */
int net_http_server_start(struct net_http_server **out, const char *host,
                          uint16_t port, net_http_handler_fn fn, void *ctx);

/* Same with every option (tests shorten the deadlines, for instance). */
int net_http_server_start_opts(struct net_http_server **out,
                               const struct net_http_server_opts *opts);

/* Stop the thread, close every connection and the socket, free s. */
void net_http_server_stop(struct net_http_server *s);

/* The port the server listens on (the real one when started on 0). */
uint16_t net_http_server_port(const struct net_http_server *s);

/* Copy the server's counters (any thread). */
void net_http_server_stats(const struct net_http_server *s,
                           struct net_http_stats *out);

#endif
