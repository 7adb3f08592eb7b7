/*
 * net/rconn_types.h - TCP connections served on a shard's io_uring: the
 * plumbing (accept, recv, send, close) apart from the protocol spoken on
 * them (OTLP/HTTP now, HTTP/2 for OTLP/gRPC next), which gets the bytes
 * through callbacks and queues its replies (net/rconn.h).
 */
#ifndef SLUICE_NET_RCONN_TYPES_H
#define SLUICE_NET_RCONN_TYPES_H

#include <stddef.h>
#include <stdint.h>

#include "core/base/ring_types.h"

/* The table's ops on the shard's ring (its own user_data op byte). */
enum net_rconn_op {
  NET_RCONN_OP_ACCEPT = 1, /* multishot accept on the listener */
  NET_RCONN_OP_RECV,       /* one recv into a connection's in buffer */
  NET_RCONN_OP_SEND,       /* one send of its queued out bytes */
  NET_RCONN_OP_CLOSE,      /* close of its fd */
};

/*
 * What the protocol is told. slot names the connection (0 .. conns_max-1)
 * until closed() returns; every call runs on the shard thread.
 */
struct net_rconn_ops {
  /* A connection was accepted into slot (its recv is not armed yet). */
  void (*opened)(void *ctx, uint32_t slot, int64_t now_ms);
  /* Bytes arrived: data[0..n) is what the in buffer holds (earlier bytes
   * not taken first). Returns how many it took; the rest stays in the
   * buffer until net_rconn_resume. */
  size_t (*data)(void *ctx, uint32_t slot, const char *data, size_t n,
                 int64_t now_ms);
  /* The peer closed its side, or a recv failed (res: 0 or -errno). */
  void (*eof)(void *ctx, uint32_t slot, int res, int64_t now_ms);
  /* Every queued byte was sent. */
  void (*sent)(void *ctx, uint32_t slot, int64_t now_ms);
  /* The connection is gone; the slot is free after this returns. */
  void (*closed)(void *ctx, uint32_t slot);
  /* Optional (NULL: every recv goes into the in buffer). Asked before a
   * recv while the in buffer is empty: where the next bytes may go
   * instead, straight into the protocol's own memory (a request body),
   * and *room how many at most; NULL for the in buffer. That memory must
   * stay put until direct() or closed() is called. */
  char *(*direct_room)(void *ctx, uint32_t slot, size_t *room);
  /* n bytes (> 0) arrived at what direct_room returned. */
  void (*direct)(void *ctx, uint32_t slot, size_t n, int64_t now_ms);
};

/* Counters (one writer: the shard; core/base/stat.h). */
struct net_rconn_stats {
  uint64_t open;      /* gauge: connections open now */
  uint64_t accepted;  /* total accepted */
  uint64_t rejected;  /* refused: every slot busy, or stopping */
  uint64_t errors;    /* failed recv or send completions */
};

/* What net_rconn_init needs. */
struct net_rconn_cfg {
  int listen_fd;          /* a listening socket, owned from init on */
  uint32_t conns_max;     /* slots (<= NET_OTLP_HTTP_CONNS_MAX) */
  uint32_t in_bytes;      /* each connection's receive buffer */
  uint32_t out_bytes;     /* each connection's queued-reply buffer */
};

/* One connection. */
struct net_rconn_conn {
  int fd;
  uint32_t gen;           /* bumped on reuse: stale completions ignored */
  uint32_t in_len;        /* bytes in the in buffer not taken yet */
  uint32_t out_len, out_off; /* queued reply bytes; sent so far */
  uint8_t in_use;
  uint8_t recv_inflight;
  uint8_t send_inflight;
  uint8_t closing;        /* close asked: no more recvs or sends */
  uint8_t close_sent;     /* the close SQE is submitted */
  uint8_t cancel_sent;    /* the recv's cancel is submitted */
  uint8_t delivering;     /* inside data(): a recv asked waits until the
                             bytes it took are dropped from the buffer */
  uint8_t recv_wanted;    /* ... and one was asked */
  uint8_t recv_direct;    /* the recv in flight writes to direct_room's
                             memory, not the in buffer */
};

struct net_rconn {
  struct core_ring *ring;
  int tag;                      /* owner tag on the ring */
  int listen_fd;                /* -1 when off */
  int accept_armed;
  int stopping;                 /* no new accepts */
  const struct net_rconn_ops *ops;
  void *ctx;
  struct net_rconn_stats *stats;
  struct net_rconn_conn *conns; /* conns_max (mmap) */
  char *in;                     /* conns_max * in_bytes (mmap, NORESERVE) */
  char *out;                    /* conns_max * out_bytes (mmap, NORESERVE) */
  uint32_t *free_slots;
  uint32_t free_count;
  uint32_t conns_max, in_bytes, out_bytes;
};

#endif
