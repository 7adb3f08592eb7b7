/*
 * net/gzip_types.h - the state of a bounded gzip inflater (net/gzip.h).
 */
#ifndef SLUICE_NET_GZIP_TYPES_H
#define SLUICE_NET_GZIP_TYPES_H

#include <isa-l/igzip_lib.h>
#include <stdint.h>

/* Bytes of output looked at past the caller's bound to tell a stream that
 * ends exactly there (only its trailer left) from one that goes on. */
#define NET_GZIP_SPILL_BYTES 64

/*
 * One inflater: isa-l's state (about 90 KiB with its history window and
 * decode tables) and the spill area. Allocate it once at start-up (one
 * per shard thread: a call uses it whole) and reuse it for every body.
 */
struct net_gzip {
  struct inflate_state st;
  uint8_t spill[NET_GZIP_SPILL_BYTES];
};

#endif
