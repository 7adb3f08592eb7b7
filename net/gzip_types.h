/*
 * net/gzip_types.h - the state of a bounded gzip inflater (net/gzip.h).
 */
#ifndef SLUICE_NET_GZIP_TYPES_H
#define SLUICE_NET_GZIP_TYPES_H

#include <isa-l/igzip_lib.h>
#include <stdint.h>

/*
 * One inflater: isa-l's state (about 90 KiB; the one-shot inflate net/gzip.c
 * uses touches its decode tables, not its 64 KiB history buffer). Allocate
 * it once at start-up (one per shard thread: a call uses it whole) and
 * reuse it for every body.
 */
struct net_gzip {
  struct inflate_state st;
};

#endif
