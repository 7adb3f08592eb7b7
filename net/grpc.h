/*
 * net/grpc.h - a pure (no I/O) HTTP/2 server engine for the OTLP/gRPC
 * Export services over nghttp2 (docs/otlp.md, "OTLP/gRPC").
 *
 * The caller moves bytes: what arrives on the socket goes to
 * net_grpc_feed, what net_grpc_output hands out goes to the socket.
 * A complete request reaches server->on_request; its answer comes later
 * through net_grpc_reply or net_grpc_reply_retry. Everything runs on one
 * thread (the shard's).
 *
 * Memory: nghttp2 allocates (sessions, streams, frames, HPACK tables) and
 * so do request messages; all of it goes through a counting allocator
 * that refuses past the connection's bound (conn_memory_bytes_max) and
 * the shard's budget, the bounded exception to "no allocation on the
 * data path". Request messages leave NET_GRPC_SESSION_RESERVE_BYTES of the
 * connection's bound to nghttp2, so a full connection answers UNAVAILABLE
 * instead of failing inside nghttp2.
 *
 * Wire: 5-byte message prefix
 *   | 0 | compressed flag: 0 identity, 1 grpc-encoding (gzip) |
 *   | 1..4 | message length, big-endian uint32 |
 */
#ifndef SLUICE_NET_GRPC_H
#define SLUICE_NET_GRPC_H

#include <stddef.h>
#include <stdint.h>

#include "net/grpc_types.h"

/*
 * Fill srv's defaults and create what its connections share (nghttp2
 * callbacks and options). srv's caller fields must be set.
 * Returns 0 or -ENOMEM.
 */
int net_grpc_server_init(struct net_grpc_server *srv);

/* Free what net_grpc_server_init made (after every connection's free). */
void net_grpc_server_free(struct net_grpc_server *srv);

/*
 * Start a server session on c for srv and queue its SETTINGS (streams,
 * header list, window). user is the caller's note, kept in c->user.
 * Returns 0, -ENOBUFS (memory budget) or -ENOMEM.
 */
int net_grpc_conn_init(struct net_grpc_conn *c, struct net_grpc_server *srv,
                       void *user);

/*
 * Free c's session and streams; answers not sent are dropped (counted
 * abandoned). c may be initialised again.
 */
void net_grpc_conn_free(struct net_grpc_conn *c);

/*
 * Feed len bytes received on c (the client preface first). Complete
 * requests go to on_request before this returns; answers the engine gives
 * itself (bad method, over-size, ...) are queued.
 * Returns 0, or -EPROTO when the connection cannot go on (bad preface,
 * HTTP/2 error, memory): a GOAWAY is queued; write what net_grpc_output
 * gives, then close. c->error names why.
 */
int net_grpc_feed(struct net_grpc_conn *c, const void *in, size_t len);

/*
 * Bytes to write now: *out points to them, valid and unmoved until
 * net_grpc_consume, even across more net_grpc_feed/output/reply calls
 * (later bytes are appended behind them). Returns their count (0: none).
 */
size_t net_grpc_output(struct net_grpc_conn *c, const void **out);

/* n of the bytes net_grpc_output gave were written: drop them. */
void net_grpc_consume(struct net_grpc_conn *c, size_t n);

/*
 * Is c finished (GOAWAY exchanged or fatal error, nothing left to
 * write)? The caller then closes the socket and frees c.
 */
bool net_grpc_done(const struct net_grpc_conn *c);

/*
 * Answer request stream of c with grpc-status code and grpc-message
 * message (NULL or ""; sent %-encoded, cut at
 * NET_GRPC_STATUS_TEXT_BYTES_MAX). With NET_GRPC_OK, resp/len is the
 * response message (an Export*ServiceResponse: net_otlp_export_response),
 * sent as HEADERS, DATA and trailers; any other code is sent
 * Trailers-Only and resp is ignored.
 * Returns 0, -ENOENT when the stream is gone (reset by the client, or the
 * connection ended: the answer is dropped, counted abandoned), -E2BIG
 * when len passes NET_GRPC_REPLY_BYTES_MAX, or -ENOMEM.
 */
int net_grpc_reply(struct net_grpc_conn *c, net_grpc_stream_id stream,
                   enum net_grpc_code code, const char *message,
                   const void *resp, size_t len);

/*
 * Answer stream with UNAVAILABLE and a google.rpc.RetryInfo of
 * retry_after_ms in grpc-status-details-bin (back-pressure: the OTLP
 * client retries after that delay). Returns as net_grpc_reply.
 */
int net_grpc_reply_retry(struct net_grpc_conn *c, net_grpc_stream_id stream,
                         const char *message, uint32_t retry_after_ms);

/*
 * Whether c's client sent its connection preface and first SETTINGS
 * frame: a client that has not, some time after connecting, is silent or
 * not HTTP/2 and only holds a slot (the listener closes it).
 */
bool net_grpc_settled(const struct net_grpc_conn *c);

/*
 * Streams of c whose request is still arriving (headers or message
 * incomplete). With c->calls_done (requests handed out or refused so
 * far) it tells a stalled upload from a busy connection: the listener
 * times out a connection that receives without finishing any request.
 */
uint32_t net_grpc_receiving(const struct net_grpc_conn *c);

/*
 * Graceful stop: GOAWAY with the last stream taken; requests already
 * handed out still get their answers, new streams are refused.
 */
void net_grpc_shutdown(struct net_grpc_conn *c);

/* "OK", "INVALID_ARGUMENT", ... for a code (the `code` label). */
const char *net_grpc_code_name(enum net_grpc_code code);

/* The `reason` label of a rejection. */
const char *net_grpc_reject_name(enum net_grpc_reject r);

#endif
