/*
 * net/uring_types.h - a shard's io_uring and its provided-buffer rings.
 */
#ifndef SLUICE_NET_URING_TYPES_H
#define SLUICE_NET_URING_TYPES_H

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

/* Completion kinds, the top byte of user_data. */
enum net_op {
  NET_OP_NONE = 0,
  NET_OP_UDP_RECV,    /* multishot recvmsg on a UDP socket; low bits: listener */
  NET_OP_TCP_ACCEPT,  /* multishot accept; low bits: listener */
  NET_OP_TCP_RECV,    /* multishot recv on a connection; slot | gen << 32 */
  NET_OP_TCP_CLOSE,   /* close of a connection */
  NET_OP_CTL,         /* read of the shard's eventfd */
  NET_OP_STOR_OPEN,   /* openat of a new segment file */
  NET_OP_STOR_WRITE,  /* write of one block; low bits: buffer index */
  NET_OP_STOR_FSYNC,  /* fdatasync of the current segment */
  NET_OP_STOR_DIRSYNC,/* fsync of the shard directory (new file names) */
  NET_OP_STOR_CLOSE_FSYNC, /* fdatasync of a segment being retired */
  NET_OP_STOR_CLOSE,  /* close of a retired segment */
  NET_OP_FLUSH_ACK,   /* eventfd write answering a flush */
};

/* Buffer groups. */
enum net_bgid { NET_BGID_UDP = 0, NET_BGID_TCP = 1 };

#endif
