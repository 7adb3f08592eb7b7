/*
 * net/otlp_http.h - OTLP/HTTP on a shard's own io_uring: POST /v1/metrics,
 * /v1/logs and /v1/traces, protobuf or JSON, gzip or identity, chunked or
 * Content-Length bodies on keep-alive connections (docs/otlp.md, "OTLP/HTTP
 * listener"). A 200 goes out only once the request's data is durable
 * (net/otlp_durable.h, the rule shared with OTLP/gRPC): every request
 * ingested in one pass of the shard loop shares one seal and one flush
 * generation (net_otlp_http_commit), and its reply waits for the writer's
 * answer to it (net_otlp_http_answer).
 *
 * All calls run on the shard thread. The accept/recv/send plumbing is
 * net/rconn.h; this file is the protocol spoken on it.
 */
#ifndef SLUICE_NET_OTLP_HTTP_H
#define SLUICE_NET_OTLP_HTTP_H

#include <stddef.h>
#include <stdint.h>

#include "core/ingest/otlpmap_types.h"
#include "net/otlp_http_types.h"

/* ---- the listener (net/otlp_http.c) -------------------------------------- */

/*
 * Take cfg->fd (a listening socket; -1 leaves the listener off and every
 * other call a no-op), register on ring, allocate the connection table,
 * the parsers, the inflate buffer and state. Requests go to pipe; counters
 * to stats; durability is asked of ops.
 * Returns 0 or -errno (the socket is closed on failure).
 */
int net_otlp_http_init(struct net_otlp_http *o, struct core_ring *ring,
                       struct core_pipe *pipe, struct net_otlp_http_stats *st,
                       const struct net_otlp_http_cfg *cfg,
                       const struct net_otlp_durable_ops *ops);

/* Close every socket and free everything. Safe after a failed init. */
void net_otlp_http_free(struct net_otlp_http *o);

/* Submit the accept. */
void net_otlp_http_arm(struct net_otlp_http *o);

/*
 * End of a pass of the shard loop: the requests ingested since the last
 * commit get one flush generation (dur.flush seals and asks for it); at
 * most NET_OTLP_HTTP_FLUSHES_MAX are in flight, the rest wait a pass.
 */
void net_otlp_http_commit(struct net_otlp_http *o);

/*
 * The writer answered generation gen (gen carries NET_OTLP_HTTP_GEN_FLAG):
 * its requests get their reply, 200 or (failed: a covered block was lost)
 * 503.
 */
void net_otlp_http_answer(struct net_otlp_http *o, uint64_t gen, int failed);

/* Deadlines: headers, body, idle keep-alive, reply, linger (every tick). */
void net_otlp_http_tick(struct net_otlp_http *o, int64_t now_ms);

/*
 * At stop, first: no new connections; every connection not waiting for
 * durability is closed (a request half received is not ingested).
 */
void net_otlp_http_stop(struct net_otlp_http *o);

/*
 * At stop, once the final flush is done: answer every request still
 * waiting, 200 if lost is 0 (all sealed blocks are durable) else 503.
 * Returns the replies still being sent (net_otlp_http_unsent).
 */
uint32_t net_otlp_http_finish(struct net_otlp_http *o, int lost);

/* Connections with reply bytes not yet sent. */
uint32_t net_otlp_http_unsent(const struct net_otlp_http *o);

/* ---- pure helpers (net/otlp_http_reply.c) -------------------------------- */

/* The signal of a request path ("/v1/metrics" ...). Returns 0 or -ENOENT. */
int net_otlp_route(const char *path, enum core_otlp_signal *sig);

/*
 * The encoding of a Content-Type value: application/x-protobuf or
 * application/json, case-insensitive, parameters after ';' allowed.
 * Returns 0 or -EINVAL (NULL, or another media type).
 */
int net_otlp_content_type(const char *ct, enum core_otlp_enc *enc);

/*
 * Export<signal>ServiceResponse in enc into out (cap bytes): empty (proto)
 * or {} (JSON) when rejected is 0 and msg is empty, else partial_success
 * with the rejected count (field 1, rejectedDataPoints, rejectedLogRecords
 * or rejectedSpans) and msg (field 2, errorMessage). msg is cut to fit.
 * Returns the length.
 */
size_t net_otlp_export_response(enum core_otlp_signal sig,
                                 enum core_otlp_enc enc, uint64_t rejected,
                                 const char *msg, char *out, size_t cap);

/*
 * google.rpc.Status {code, message} in enc for an HTTP error status (code:
 * the gRPC code that status stands for). msg is cut to fit.
 * Returns the length.
 */
size_t net_otlp_status_body(enum core_otlp_enc enc, int http_status,
                            const char *msg, char *out, size_t cap);

/*
 * A whole response: status line, Content-Type of enc, Content-Length,
 * Retry-After (retry_after_s > 0), Allow: POST (405), Connection: close
 * (close), then the body. Returns the length, or 0 if it does not fit cap.
 */
size_t net_otlp_response(int status, enum core_otlp_enc enc, int retry_after_s,
                         int close, const char *body, size_t body_len,
                         char *out, size_t cap);

#endif
