/*
 * net/otlp_durable_types.h - the requests of an OTLP listener (HTTP or
 * gRPC) that wait for their fsync before their answer (net/otlp_durable.h).
 */
#ifndef SLUICE_NET_OTLP_DURABLE_TYPES_H
#define SLUICE_NET_OTLP_DURABLE_TYPES_H

#include <stdint.h>

/* Flush generations of each listener carry its bit, so that the shard
 * tells them apart, and from the query port's POST /api/v1/flush
 * generations, when the writer answers (all share the writer's answer
 * callback; core/shard/shard.c: flush_answer). */
#define NET_OTLP_HTTP_GEN_FLAG (UINT64_C(1) << 63)
#define NET_OTLP_GRPC_GEN_FLAG (UINT64_C(1) << 62)

/* What a listener asks of the shard (core/shard sits above net/). */
struct net_otlp_durable_ops {
  /* Seal the open heads and ask for every sealed block to be durable as
   * generation gen. Returns 1 when durable already (nothing is kept: no
   * data directory), 0 when net_otlp_durable_answer will be called
   * (perhaps from inside this call), or -EBUSY (too many flushes wait:
   * try later). */
  int (*flush)(void *ctx, uint64_t gen);
  /* 1 while the writer keeps up (core_store_keeping_up). */
  int (*keeping_up)(void *ctx);
  void *ctx;
};

/* One request (OTLP/HTTP) or call (OTLP/gRPC) stored in the heads and
 * waiting until the blocks holding it are durable. */
struct net_otlp_wait {
  uint8_t in_use;
  uint8_t sig;            /* enum core_otlp_signal */
  uint32_t slot;          /* its connection (net/rconn.h slot) */
  int32_t stream;         /* its HTTP/2 stream (gRPC); 0 over HTTP/1.1 */
  uint64_t gen;           /* the generation covering it; 0 until committed */
  uint64_t rejected;      /* partial_success of its answer */
  char message[160];      /* ... and its error message */
};

/*
 * The listener's answer to a wait whose generation was answered: failed 0
 * (durable: the success reply) or 1 (a covered block was lost: 503 or
 * UNAVAILABLE). w is a copy; the table entry is already free.
 */
typedef void (*net_otlp_durable_reply_fn)(void *ctx,
                                          const struct net_otlp_wait *w,
                                          int failed);

/* What net_otlp_durable_init needs. */
struct net_otlp_durable_cfg {
  uint64_t gen_flag;            /* NET_OTLP_HTTP_GEN_FLAG or ..._GRPC_... */
  uint32_t waits_max;           /* requests waiting at once (back-pressure) */
  struct net_otlp_durable_ops ops;
  net_otlp_durable_reply_fn reply;
  void *reply_ctx;
  uint64_t *waiting;            /* gauge: waits in use (core/base/stat.h) */
  uint64_t *flushes;            /* counter: generations asked for */
};

/* Whether a new request may be stored now (net_otlp_durable_admit). */
enum net_otlp_admit {
  NET_OTLP_ADMIT_OK = 0,
  NET_OTLP_ADMIT_FULL,          /* too many wait: 429 / UNAVAILABLE */
  NET_OTLP_ADMIT_BEHIND,        /* the writer is behind: 503 / UNAVAILABLE */
};

struct net_otlp_durable {
  struct net_otlp_durable_cfg cfg;
  struct net_otlp_wait *waits;  /* cfg.waits_max (mmap) */
  uint64_t next_gen;
  uint32_t waiting;             /* waits in use */
  uint32_t uncommitted;         /* ... with gen 0 */
  uint32_t flushes_inflight;    /* <= NET_OTLP_HTTP_FLUSHES_MAX */
  int keeping_up;               /* this pass's answer: -1 not asked */
};

#endif
