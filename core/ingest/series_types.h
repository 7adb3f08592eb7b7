/*
 * core/ingest/series_types.h - the shard-local series dictionary.
 *
 * A series key is canonical: the metric name, then the tags sorted by key
 * (then value), so "#b:1,a:2" and "#a:2,b:1" are one series. Each shard has
 * its own dictionary; the same series may exist on several shards and
 * queries merge by key.
 */
#ifndef SLUICE_CORE_INGEST_SERIES_TYPES_H
#define SLUICE_CORE_INGEST_SERIES_TYPES_H

#include <stddef.h>
#include <stdint.h>

#include "core/base/limits.h"

/* One series, at entries[id]; ids are dense from 0. */
struct core_series_entry {
  uint64_t hash;
  uint32_t id;
  uint32_t key_len;
  uint64_t key_off;   /* offset of the key in the arena */
  uint8_t type;       /* enum core_statsd_type of its first point */
  uint8_t plain;      /* the key's '\0'-separated pieces are its tags as the
                         StatsD parser gives them (key up to the first ':'),
                         so a line's tags can be compared with them in place
                         (core_series_upsert_line); 0 for keys given whole */
};

/*
 * What appending a gauge's point reads and writes of its series, at
 * hot[id]: 16 bytes apart from its entry, so that a point whose raw key
 * the cache knows touches one small line of an array of 16 bytes a
 * series (800 KiB at 50,000 series) instead of a 40-byte entry (2 MiB).
 * The other types read nothing per series: the raw key cache's entry
 * holds their type and key length, and the per-block mark is a bit of
 * core_series.marks.
 */
struct core_series_hot {
  double gauge;       /* last gauge value, for +N/-N deltas */
  uint8_t gauge_set;  /* gauge holds a value */
};

/*
 * A line's series as core_series_line_init describes it from its name and
 * tags, for core_series_upsert_line: no canonical key is built to find a
 * known series.
 */
struct core_series_line {
  uint64_t hash;      /* core_series_hash of the canonical key */
  size_t key_len;     /* the canonical key's length (may pass the bound) */
  uint32_t in_place;  /* every tag is "k:v" (or "k") where it lies */
  uint16_t piece_len[CORE_STATSD_TAGS_MAX]; /* bytes of tag i in the key */
};

/*
 * The process-wide series budget (--max-series): every shard's dictionary
 * takes from it when it creates a series (an atomic add, never per point),
 * so a series known to one shard is never refused there because another
 * shard filled up. Shared by the shards of one process; lives as long as
 * they do.
 */
struct core_series_budget {
  uint64_t used;                   /* series created (atomic) */
  uint64_t max;                    /* --max-series */
};

/*
 * Lookups probe a compact table of 8-byte slots (high 32 bits of the hash,
 * then id + 1; 0 is empty) so that the probe touches few cache lines and
 * pages. The table is sized to the series present (at most half full), not
 * to --max-series, so it stays in cache: it doubles when a new series
 * would pass half, rehashed from the entries' hashes into the other of two
 * mappings (address space for the largest table is taken at start-up).
 * The entries are dense by id, so a shard with few series keeps them in a
 * few pages whatever --max-series is.
 */
struct core_series {
  uint64_t *slots;                 /* open addressing, linear probing */
  uint64_t *slots_alt;             /* the other mapping: the next table */
  uint64_t mask;                   /* slot count - 1 (power of two) */
  uint64_t mask_max;               /* of the largest table (2 * max slots) */
  uint32_t count;                  /* series in the table */
  uint32_t max;                    /* series this dictionary can hold */
  struct core_series_budget *budget; /* NULL: max alone bounds it */
  struct core_series_entry *entries; /* max entries, by id */
  struct core_series_hot *hot;     /* max, by id (zero until made) */
  uint64_t *marks;                 /* a bit by id: the series is counted in
                                      the open head block (core_series_mark:
                                      6 KiB at 50,000 series, so a point
                                      reads no per-series line for it) */
  uint32_t marks_gen;              /* the head generation the bits are for */
  char *arena;                     /* keys, back to back; a plain key
                                      (core_series_upsert_line) is followed
                                      by its tag count and the last two
                                      orders its tags came in (series.c) */
  uint64_t arena_used;
  uint64_t arena_cap;
};

#endif
