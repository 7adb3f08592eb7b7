/*
 * net/grpc_types.h - the OTLP/gRPC engine's server, connections, streams
 * and counters (see net/grpc.h for the functions).
 *
 * One engine serves the three OTLP Export methods over HTTP/2 (nghttp2):
 * unary calls, one request message each, answered asynchronously (the
 * reply waits until the data is durable). It does no I/O: bytes go in
 * with net_grpc_feed and come out of net_grpc_output.
 */
#ifndef SLUICE_NET_GRPC_TYPES_H
#define SLUICE_NET_GRPC_TYPES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/base/limits.h"
#include "core/ingest/otlpmap_types.h"
#include "net/http_types.h"

/* gRPC status codes (grpc/doc/statuscodes.md), the grpc-status trailer. */
enum net_grpc_code {
  NET_GRPC_OK = 0,
  NET_GRPC_CANCELLED = 1,
  NET_GRPC_UNKNOWN = 2,
  NET_GRPC_INVALID_ARGUMENT = 3,
  NET_GRPC_DEADLINE_EXCEEDED = 4,
  NET_GRPC_NOT_FOUND = 5,
  NET_GRPC_ALREADY_EXISTS = 6,
  NET_GRPC_PERMISSION_DENIED = 7,
  NET_GRPC_RESOURCE_EXHAUSTED = 8,
  NET_GRPC_FAILED_PRECONDITION = 9,
  NET_GRPC_ABORTED = 10,
  NET_GRPC_OUT_OF_RANGE = 11,
  NET_GRPC_UNIMPLEMENTED = 12,
  NET_GRPC_INTERNAL = 13,
  NET_GRPC_UNAVAILABLE = 14,
  NET_GRPC_DATA_LOSS = 15,
  NET_GRPC_UNAUTHENTICATED = 16,
  NET_GRPC_CODES
};

/* Why the engine itself refused a call (the `reason` label). */
enum net_grpc_reject {
  NET_GRPC_REJ_METHOD = 0,   /* unknown :path or not POST: UNIMPLEMENTED */
  NET_GRPC_REJ_CONTENT_TYPE, /* not application/grpc[+proto]: HTTP 415 */
  NET_GRPC_REJ_HEADERS,      /* no te: trailers, header list over its bound */
  NET_GRPC_REJ_ENCODING,     /* grpc-encoding other than identity/gzip */
  NET_GRPC_REJ_FRAMING,      /* bad prefix, no message, a second message */
  NET_GRPC_REJ_TOO_BIG,      /* message over NET_GRPC_MESSAGE_BYTES_MAX */
  NET_GRPC_REJ_INFLATED_TOO_BIG, /* inflated over NET_GRPC_INFLATED_BYTES_MAX */
  NET_GRPC_REJ_GZIP,         /* not a valid gzip member */
  NET_GRPC_REJ_MEMORY,       /* connection or shard budget: UNAVAILABLE */
  NET_GRPC_REJS
};

/* The `signal` of a call; an unknown method has none. */
#define NET_GRPC_SIGNAL_NONE CORE_OTLP_SIGNALS

/* Counters of one server (one writer: its shard; see core/base/stat.h). */
struct net_grpc_stats {
  /* sluice_otlp_requests_total{signal,encoding="grpc",code}: every answer
   * sent, by method (NET_GRPC_SIGNAL_NONE: unknown) and grpc-status */
  uint64_t replies[CORE_OTLP_SIGNALS + 1][NET_GRPC_CODES];
  uint64_t rejected[NET_GRPC_REJS]; /* refused by the engine, by reason */
  uint64_t resets;          /* streams the client reset before the answer */
  uint64_t abandoned;       /* answers dropped: stream or connection gone */
  uint64_t conn_errors;     /* connections ended on an HTTP/2 error, a bad
                               preface or memory (GOAWAY sent) */
  uint64_t conns;           /* connections open now (gauge) */
};

/* A connection's streams are numbered by HTTP/2; an answer names one. */
typedef int32_t net_grpc_stream_id;

struct net_grpc_conn;

/*
 * A complete request: method sig, message body (inflated) of len bytes.
 * body stays valid only while the callback runs. The callback (or, later,
 * anyone on the shard's thread) must answer with net_grpc_reply* on the
 * same connection and stream, unless the connection is freed first.
 */
typedef void (*net_grpc_request_fn)(void *ctx, struct net_grpc_conn *c,
                                    net_grpc_stream_id stream,
                                    enum core_otlp_signal sig,
                                    const void *body, size_t len);

struct net_gzip;
struct net_grpc_stream;

/* One per shard: what every connection of the shard shares. Fields up to
 * `on_request` are set by the caller before net_grpc_server_init; a zero
 * bound takes its NET_GRPC_* default. */
struct net_grpc_server {
  net_grpc_request_fn on_request;
  void *ctx;                      /* given to on_request */
  struct net_grpc_stats *stats;   /* required */
  struct net_http_budget *budget; /* memory of all connections (required);
                                     its heap gives the blocks */
  struct net_gzip *gzip;          /* inflater state; NULL: gzip refused */
  void *inflate_buf;              /* inflated_bytes_max bytes (with gzip) */
  size_t inflated_bytes_max;
  size_t message_bytes_max;
  size_t conn_memory_bytes_max;
  uint32_t streams_max;
  uint32_t header_list_bytes_max;
  uint32_t retry_after_ms;        /* RetryInfo under back-pressure */
  /* private to net/grpc.c, set by net_grpc_server_init */
  void *callbacks;                /* nghttp2_session_callbacks */
  void *option;                   /* nghttp2_option */
};

/*
 * One HTTP/2 connection: the caller owns the struct (a fixed table); the
 * nghttp2 session and the streams are allocated through a counting
 * allocator, bounded by conn_memory_bytes_max and the server's budget.
 * Fields are private to net/grpc.c.
 */
struct net_grpc_conn {
  struct net_grpc_server *srv;
  void *session;             /* nghttp2_session */
  void *user;                /* the caller's, untouched */
  size_t mem_bytes;          /* allocated for this connection now */
  size_t mem_peak_bytes;
  size_t out_len;            /* bytes in out[] */
  int dead;                  /* fatal error: GOAWAY queued, then close */
  int refused;               /* an allocation passed a memory bound */
  int settled;               /* the client's preface and SETTINGS are in */
  uint32_t pending;          /* requests handed out and not answered */
  uint64_t calls_done;       /* requests handed out or refused, ever */
  struct net_grpc_stream *streams; /* every open stream (net/grpc.c) */
  const char *error;         /* static reason of the fatal error */
  uint8_t out[NET_GRPC_OUT_BYTES];
};

#endif
