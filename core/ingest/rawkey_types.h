/*
 * core/ingest/rawkey_types.h - the StatsD raw key cache of a pipeline.
 *
 * A sender repeats a series with its name and tags in the same bytes and
 * order. The cache maps those bytes as they arrive (the name, the tag
 * field from its '#', and the sample rate when it adds a __weight__ tag) to
 * the series id, so a hit skips tag tokenising, the order-independent
 * hash and the dictionary. Every hit is checked byte for byte; a miss
 * takes the dictionary (core_series_upsert_line) and is then inserted.
 */
#ifndef SLUICE_CORE_INGEST_RAWKEY_TYPES_H
#define SLUICE_CORE_INGEST_RAWKEY_TYPES_H

#include <stdint.h>

#include "core/base/limits.h"

/* A line's raw key, and its hash (core_rawkey_key_init). */
struct core_rawkey_key {
  const char *name;
  const char *tags;  /* the tag field from its '#' (tags_len 0: none) */
  uint64_t wbits;    /* the rate's bits when it adds a __weight__ tag, else 0 */
  uint64_t hash;     /* its low 32 bits never 0 */
  uint32_t name_len;
  uint32_t tags_len;
  uint8_t kind;      /* the caller's byte that must match too (the pipe:
                        the line's StatsD type) */
};

/*
 * One entry: 16 bytes, a set of CORE_RAWKEY_WAYS fills a cache line. A
 * hit reads what its caller needs from here (id, kind, aux) and the slot
 * only to confirm the bytes. The set index is taken from the hash's high
 * half, so its low half tells the entries of a set apart.
 */
struct core_rawkey_ent {
  uint32_t hash_lo;  /* the key's hash, low 32 bits; 0: empty */
  uint32_t id;       /* the series */
  uint16_t aux;      /* the caller's (the pipe: the canonical key length) */
  uint8_t name_len;
  uint8_t tags_len;
  uint8_t kind;      /* the key's */
  uint8_t used;      /* hit since made, or since its set was last aged */
  uint8_t pad[2];
};

/* An entry's bytes: the weight bits, then name and tags back to back. */
struct core_rawkey_slot {
  uint64_t wbits;
  char b[CORE_RAWKEY_BYTES_MAX];
};

struct core_rawkey {
  struct core_rawkey_ent *ents;   /* SETS * WAYS, mapped at init ... */
  struct core_rawkey_slot *slots; /* ... and each one's bytes */
  uint64_t hits, misses;          /* lookups (tests and perf read them) */
};

#endif
