/*
 * net/otlp_listen_types.h - what the OTLP/HTTP and OTLP/gRPC listeners
 * set up alike on a shard (net/otlp_listen.h): the connection table on
 * the ring, the requests waiting for their fsync, each connection's
 * protocol state, the buffer gzip bodies inflate into and the inflater.
 */
#ifndef SLUICE_NET_OTLP_LISTEN_TYPES_H
#define SLUICE_NET_OTLP_LISTEN_TYPES_H

#include <stddef.h>
#include <stdint.h>

#include "net/gzip_types.h"
#include "net/otlp_durable_types.h"
#include "net/rconn_types.h"

/* The decoder bounds (core/base/limits.h) a request can pass: it is then
 * answered 400 / INVALID_ARGUMENT naming the bound, counted as a
 * decode_error and, by bound, in
 * sluice_otlp_bound_rejected_total{transport,bound} (net_otlp_bound_of). */
enum net_otlp_bound {
  NET_OTLP_BOUND_ITEMS = 0,  /* CORE_OTLP_ITEMS_MAX: points, records, spans */
  NET_OTLP_BOUND_ATTRS,      /* CORE_OTLP_ATTRS_MAX: attributes per item */
  NET_OTLP_BOUND_BUCKETS,    /* CORE_OTLP_BUCKETS_MAX: buckets, quantiles */
  NET_OTLP_BOUND_ANY_DEPTH,  /* CORE_OTLP_ANY_DEPTH_MAX: AnyValue nesting */
  NET_OTLP_BOUND_NESTING,    /* CORE_PB_DEPTH_MAX, CORE_OTLP_JSON_DEPTH_MAX */
  NET_OTLP_BOUND_OTHER,      /* any other bound a decoder names */
  NET_OTLP_BOUNDS
};

/* What a listener is made of (a constant of each protocol). */
struct net_otlp_listen_kind {
  uint32_t in_bytes, out_bytes;       /* a slot's recv and reply buffers */
  size_t conn_bytes;                  /* the protocol's state of a slot */
  size_t inflated_bytes;              /* the inflate buffer */
  const struct net_rconn_ops *ops;    /* the protocol's connection events */
  void (*reply)(void *ctx, const struct net_otlp_wait *w, int failed);
  uint64_t gen_flag;                  /* net_otlp_durable_cfg's */
  uint32_t waits_max;                 /* ... */
};

/* ... and what each listener of it is given. */
struct net_otlp_listen_cfg {
  struct core_ring *ring;
  int fd;                             /* listening socket, owned from here */
  uint32_t conns_max;                 /* slots */
  void *ctx;                          /* ops' and reply's context */
  struct net_otlp_durable_ops dops;   /* the writer */
  struct net_rconn_stats *conns;      /* counters */
  uint64_t *waiting, *flushes;        /* ... */
};

/* The memory mapped for a listener (NULL: not mapped). */
struct net_otlp_listen_mem {
  void *conns;                        /* rconn.conns_max * conn_bytes */
  char *inflated;                     /* inflated_bytes */
  struct net_gzip *gz;
};

#endif
