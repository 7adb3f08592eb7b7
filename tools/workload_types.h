/*
 * tools/workload_types.h - a generated, fleet-like workload held in memory.
 *
 * bench builds one pool per sender thread before it starts sending, so the
 * send loop only copies pointers: what is measured is sluice, not the
 * generator.
 */
#ifndef SLUICE_TOOLS_WORKLOAD_TYPES_H
#define SLUICE_TOOLS_WORKLOAD_TYPES_H

#include <stddef.h>
#include <stdint.h>

enum tools_proto {
  TOOLS_PROTO_STATSD = 0,
  TOOLS_PROTO_SYSLOG,
  TOOLS_PROTO_COUNT
};

struct tools_workload_spec {
  enum tools_proto proto;
  uint32_t series;         /* distinct series (syslog: distinct host/app) */
  uint32_t tags;           /* DogStatsD tags per line (0: Graphite-style names) */
  uint32_t chunk_bytes;    /* pack bound: a datagram, or one TCP write */
  uint32_t pool_lines;     /* lines to generate (fewer if the pool fills) */
  uint32_t thread;         /* this pool's index among `threads` */
  uint32_t threads;        /* pools that share the series between them */
  int one_per_chunk;       /* syslog over UDP: one message per datagram */
  uint64_t seed;           /* values; the series set does not depend on it */
  int64_t now_s;           /* syslog timestamps */
};

/* One datagram (or TCP write): bytes [off, off + len) of the pool. */
struct tools_chunk {
  uint32_t off;
  uint32_t len;
  uint32_t lines;          /* whole lines inside */
};

struct tools_workload {
  char *buf;               /* lines, each ending in '\n' */
  size_t len;
  struct tools_chunk *chunks;
  uint32_t chunk_count;
  uint64_t lines;          /* sum of chunks[].lines */
};

#endif
