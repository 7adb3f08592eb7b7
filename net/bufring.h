/*
 * net/bufring.h - provided-buffer rings, registered by hand (liburing 2.3).
 */
#ifndef SLUICE_NET_BUFRING_H
#define SLUICE_NET_BUFRING_H

#include <stdint.h>

#include "net/bufring_types.h"

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

#endif
