/*
 * net/otlp_grpc_types.h - the OTLP/gRPC listener of a shard
 * (net/otlp_grpc.h): its connections, the calls waiting for durability,
 * its counters.
 */
#ifndef SLUICE_NET_OTLP_GRPC_TYPES_H
#define SLUICE_NET_OTLP_GRPC_TYPES_H

#include <stdint.h>

#include "net/grpc_types.h"
#include "net/gzip_types.h"
#include "net/http_types.h"
#include "net/otlp_durable_types.h"
#include "net/otlp_listen_types.h"
#include "net/rconn_types.h"

struct core_heap;
struct core_pipe;

/* Why the listener (not the engine) refused or dropped a call. */
enum net_otlp_grpc_reject {
  NET_OTLP_GRPC_REJ_DECODE_ERROR = 0, /* INVALID_ARGUMENT: does not decode */
  NET_OTLP_GRPC_REJ_BACKPRESSURE,     /* UNAVAILABLE: too many wait */
  NET_OTLP_GRPC_REJ_WRITER_BEHIND,    /* UNAVAILABLE: the disk is behind */
  NET_OTLP_GRPC_REJ_NOT_DURABLE,      /* UNAVAILABLE: its flush failed */
  NET_OTLP_GRPC_REJ_STOPPING,         /* refused or closed at stop */
  NET_OTLP_GRPC_REJ_SESSION,          /* no memory for a connection or an
                                         answer (the data was stored) */
  NET_OTLP_GRPC_REJ_TIMEOUT,          /* closed: a request stalled */
  NET_OTLP_GRPC_REJECTS
};

/* The listener's counters (one writer: the shard; core/base/stat.h). */
struct net_otlp_grpc_stats {
  struct net_grpc_stats grpc;   /* the engine's: answers by signal and
                                   code, refusals, resets, errors */
  struct net_rconn_stats conns; /* sluice_otlp_grpc_connections* */
  uint64_t rejected[NET_OTLP_GRPC_REJECTS];
  uint64_t bounds[NET_OTLP_BOUNDS]; /* decode errors past a bound */
  uint64_t idle_closed;         /* connections sent GOAWAY when idle */
  uint64_t waiting;             /* gauge: calls waiting for their fsync */
  uint64_t flushes;             /* durability generations asked for */
  uint64_t memory_bytes;        /* gauge: the engine's bytes (the budget) */
};

/* What net_otlp_grpc_init needs. */
struct net_otlp_grpc_cfg {
  int fd;                       /* listening socket (SO_REUSEPORT, per shard) */
  uint32_t conns_max;           /* <= NET_OTLP_GRPC_CONNS_MAX */
  struct core_heap *heap;       /* the shard's, for nghttp2 sessions and
                                   messages (NULL: malloc) */
};

/* Per connection, beside the engine's state. */
struct net_otlp_grpc_conn {
  struct net_grpc_conn h2;      /* the HTTP/2 engine */
  int64_t since_ms;             /* last byte received, or last answer */
  int64_t unsent_since_ms;      /* output waiting since (0: none) */
  int64_t progress_ms;          /* a request finished, or none arriving */
  uint64_t calls_seen;          /* h2.calls_done at progress_ms */
  uint8_t closing;              /* close once the output is out */
};

struct net_otlp_grpc {
  struct net_rconn rc;              /* accept/recv/send plumbing */
  struct core_pipe *pipe;
  struct net_otlp_grpc_stats *stats;
  struct net_otlp_durable dur;      /* calls waiting for their fsync */
  struct net_grpc_server srv;       /* what the connections share */
  struct net_otlp_grpc_conn *conns; /* rc.conns_max (mmap) */
  struct net_http_budget budget;    /* the engine's memory, every connection */
  char *inflated;                   /* NET_GRPC_INFLATED_BYTES_MAX (mmap) */
  struct net_gzip *gz;              /* (mmap) */
  uint32_t slot;                    /* the connection being fed */
  int64_t now_ms;                   /* ... and when */
  int64_t body_timeout_ms;          /* NET_OTLP_GRPC_BODY_TIMEOUT_MS */
  int on;
  int stopping;
};

#endif
