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
