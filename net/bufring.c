/*
 * net/bufring.c - provided-buffer ring set-up.
 */
#include "net/bufring.h"

#include <errno.h>
#include <string.h>
#include <sys/mman.h>

#include "core/base/assert.h"

int net_bufring_init(struct net_bufring *b, struct io_uring *ring,
                     uint16_t bgid, uint32_t count, uint32_t buf_bytes) {
  struct io_uring_buf_reg reg;
  size_t ring_bytes = (size_t)count * sizeof(struct io_uring_buf);
  int rc;

  ASSERT((count & (count - 1)) == 0 && count <= 32768);
  memset(b, 0, sizeof(*b));
  b->count = count;
  b->buf_bytes = buf_bytes;
  b->br = mmap(NULL, ring_bytes, PROT_READ | PROT_WRITE,
               MAP_ANONYMOUS | MAP_PRIVATE, -1, 0);
  if (b->br == MAP_FAILED) {
    b->br = NULL;
    return -ENOMEM;
  }
  b->bufs = mmap(NULL, (size_t)count * buf_bytes, PROT_READ | PROT_WRITE,
                 MAP_ANONYMOUS | MAP_PRIVATE, -1, 0);
  if (b->bufs == MAP_FAILED) {
    b->bufs = NULL;
    rc = -ENOMEM;
    goto fail;
  }
  b->bgid = bgid;
  b->mask = io_uring_buf_ring_mask(count);
  memset(&reg, 0, sizeof(reg));
  reg.ring_addr = (unsigned long)(uintptr_t)b->br;
  reg.ring_entries = count;
  reg.bgid = bgid;
  rc = io_uring_register_buf_ring(ring, &reg, 0);
  if (rc < 0)
    goto fail;
  b->registered = 1;
  io_uring_buf_ring_init(b->br);
  for (uint32_t i = 0; i < count; i++)
    io_uring_buf_ring_add(b->br, net_bufring_buf(b, i), buf_bytes,
                          (unsigned short)i, b->mask, (int)i);
  io_uring_buf_ring_advance(b->br, (int)count);
  return 0;
fail:
  net_bufring_free(b, ring);
  return rc;
}

void net_bufring_free(struct net_bufring *b, struct io_uring *ring) {
  if (b->registered)
    io_uring_unregister_buf_ring(ring, b->bgid);
  if (b->bufs)
    munmap(b->bufs, (size_t)b->count * b->buf_bytes);
  if (b->br)
    munmap(b->br, sizeof(struct io_uring_buf) * b->count);
  memset(b, 0, sizeof(*b));
}
