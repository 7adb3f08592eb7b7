/*
 * net/uring.h - io_uring set-up helpers for a shard.
 */
#ifndef SLUICE_NET_URING_H
#define SLUICE_NET_URING_H

#include <stdint.h>

#include "net/uring_types.h"

/*
 * Create the shard's ring with SINGLE_ISSUER | DEFER_TASKRUN (the shard
 * thread is the only submitter and reaps in its own loop), falling back to
 * COOP_TASKRUN, then to no flags, on kernels that refuse them.
 * Must run on the shard thread. Returns 0 or -errno.
 */
int net_uring_init(struct io_uring *ring, unsigned entries);

/*
 * Map and register a buffer ring of count buffers of buf_bytes for bgid,
 * and give every buffer to the kernel. Returns 0 or -errno (-EINVAL when
 * the kernel lacks provided-buffer rings: callers report it as such).
 */
int net_bufring_init(struct net_bufring *b, struct io_uring *ring,
                     uint16_t bgid, uint32_t count, uint32_t buf_bytes);

/* Unregister and unmap. Safe on a zeroed struct. */
void net_bufring_free(struct net_bufring *b, struct io_uring *ring);

/* Address of buffer bid. */
static inline char *net_bufring_buf(const struct net_bufring *b,
                                    uint32_t bid) {
  return b->bufs + (uint64_t)bid * b->buf_bytes;
}

/* Give buffer bid back to the kernel. */
static inline void net_bufring_recycle(struct net_bufring *b, uint32_t bid) {
  io_uring_buf_ring_add(b->br, net_bufring_buf(b, bid), b->buf_bytes,
                        (unsigned short)bid, b->mask, 0);
  io_uring_buf_ring_advance(b->br, 1);
}

/* user_data of a request: op in the top byte, arg below. */
static inline uint64_t net_ud(enum net_op op, uint64_t arg) {
  return ((uint64_t)op << 56) | (arg & ((UINT64_C(1) << 56) - 1));
}
static inline enum net_op net_ud_op(uint64_t ud) {
  return (enum net_op)(ud >> 56);
}
static inline uint64_t net_ud_arg(uint64_t ud) {
  return ud & ((UINT64_C(1) << 56) - 1);
}

/* Get an SQE, submitting first when the SQ is full. Never NULL. */
struct io_uring_sqe *net_uring_sqe(struct io_uring *ring);

#endif
