/*
 * core/series_types.h - the shard-local series dictionary.
 *
 * A series key is canonical: the metric name, then the tags sorted by key
 * (then value), so "#b:1,a:2" and "#a:2,b:1" are one series. Each shard has
 * its own dictionary; the same series may exist on several shards and
 * queries merge by key.
 */
#ifndef SLUICE_CORE_SERIES_TYPES_H
#define SLUICE_CORE_SERIES_TYPES_H

#include <stdint.h>

/* One series. Lives in the dictionary's table; id is dense from 0. */
struct core_series_entry {
  uint64_t hash;      /* 0 means an empty slot */
  uint32_t id;
  uint32_t key_len;
  uint64_t key_off;   /* offset of the key in the arena */
  double gauge;       /* last gauge value, for +N/-N deltas */
  uint8_t type;       /* enum core_statsd_type of its first point */
  uint8_t gauge_set;  /* gauge holds a value */
};

struct core_series {
  struct core_series_entry *slots; /* open addressing, linear probing */
  uint64_t mask;                   /* slot count - 1 (power of two) */
  uint32_t count;                  /* series in the table */
  uint32_t max;                    /* --max-series */
  char *arena;                     /* keys, back to back */
  uint64_t arena_used;
  uint64_t arena_cap;
  uint32_t *by_id;                 /* id -> slot index */
};

#endif
