/*
 * net/query/strset_types.h - a set of distinct byte strings (series keys,
 * label names or values) and the points gathered per series, held by one
 * query (see net/query/strset.h).
 */
#ifndef SLUICE_NET_QUERY_STRSET_TYPES_H
#define SLUICE_NET_QUERY_STRSET_TYPES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct net_strent {
  uint64_t off;
  uint32_t len;
  uint32_t hash;
};

/* Open addressing over entries whose bytes live in one arena. Zeroed is
 * empty. */
struct net_strset {
  uint32_t *slots;        /* entry index + 1; 0: empty */
  uint32_t mask;
  uint32_t count, cap;
  struct net_strent *ent;
  char *arena;
  size_t used, arena_cap;
};

struct net_qpoint {
  int64_t ts;
  double v;
};

/* The points of one series, in arrival order until sorted. */
struct net_qpoints {
  struct net_qpoint *p;
  size_t n, cap;
  bool unsorted;          /* a point came before one already held */
};

#endif
