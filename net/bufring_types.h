/*
 * net/bufring_types.h - provided-buffer rings for a shard's receives.
 */
#ifndef SLUICE_NET_BUFRING_TYPES_H
#define SLUICE_NET_BUFRING_TYPES_H

#include <liburing.h>
#include <stdint.h>

/*
 * A provided-buffer ring registered by hand (liburing 2.3 has no
 * io_uring_setup_buf_ring): `count` buffers of `buf_bytes` each, in one
 * mapping, handed to the kernel for multishot receives of group `bgid`.
 */
struct net_bufring {
  struct io_uring_buf_ring *br; /* ring of buffer descriptors (mmap) */
  char *bufs;                   /* count * buf_bytes (mmap) */
  uint32_t count;
  uint32_t buf_bytes;
  uint16_t bgid;
  int mask;
  int registered;               /* registered with the kernel */
};

/* Buffer groups. */
enum net_bgid { NET_BGID_UDP = 0, NET_BGID_TCP = 1 };

#endif
