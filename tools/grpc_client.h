/*
 * tools/grpc_client.h - a blocking OTLP/gRPC client for `sluice bench otlp
 * --grpc`: one HTTP/2 connection (nghttp2), one unary Export call at a time.
 */
#ifndef SLUICE_TOOLS_GRPC_CLIENT_H
#define SLUICE_TOOLS_GRPC_CLIENT_H

#include <stddef.h>
#include <stdint.h>

struct tools_grpc;

/*
 * Start an HTTP/2 session on the connected socket fd (the client preface
 * and SETTINGS are sent by the first call). authority is the :authority.
 * Returns the client or NULL (out of memory).
 */
struct tools_grpc *tools_grpc_open(int fd, const char *authority);

/* End the session (the socket is the caller's). Safe on NULL. */
void tools_grpc_close(struct tools_grpc *g);

/*
 * One unary call: POST path with msg (len bytes; gzip-compressed when
 * gzip, sent with the compressed flag and grpc-encoding: gzip), and wait
 * for its trailers. Returns the grpc-status (0 OK, 14 UNAVAILABLE, ...),
 * or -errno for a socket or HTTP/2 failure, -EPROTO for an answer without
 * a grpc-status.
 */
int tools_grpc_call(struct tools_grpc *g, const char *path, const void *msg,
                    uint32_t len, int gzip);

#endif
