/*
 * core/ingest/rawkey.h - the StatsD raw key cache (rawkey_types.h):
 * CORE_RAWKEY_SETS sets of CORE_RAWKEY_WAYS entries, mapped at start-up,
 * no allocation per line.
 */
#ifndef SLUICE_CORE_INGEST_RAWKEY_H
#define SLUICE_CORE_INGEST_RAWKEY_H

#include <stddef.h>
#include <stdint.h>

#include "core/ingest/rawkey_types.h"

/* "No entry" from core_rawkey_probe, "no series" from the lookups. */
#define CORE_RAWKEY_NONE UINT32_MAX

/* Map the entries and slots. Returns 0 or -ENOMEM. */
int core_rawkey_init(struct core_rawkey *c);

/* Unmap them. Safe on a zeroed struct. A cache not mapped (zeroed or
 * freed) holds nothing: every probe misses and inserts are dropped, so
 * its pipe takes the dictionary for every line (what tests compare). */
void core_rawkey_free(struct core_rawkey *c);

/*
 * Fill k with a line's raw key and hash it: one pass of 16-byte words
 * over the name and the tag bytes, exactly as they arrived (tags in
 * another order are another raw key). wbits: 0, or the sample rate's
 * bits when the line gets a __weight__ tag. The pointers must stay valid
 * while k is used.
 */
void core_rawkey_key_init(struct core_rawkey_key *k, const char *name,
                          uint32_t name_len, const char *tags,
                          uint32_t tags_len, uint64_t wbits);

/* The set of hash. */
static inline uint32_t core_rawkey_set(uint64_t hash) {
  return (uint32_t)(hash >> 32) & (CORE_RAWKEY_SETS - 1);
}

/* Prefetch the entries of hash's set (a hint; nothing changes). */
static inline void core_rawkey_prefetch(const struct core_rawkey *c,
                                        uint64_t hash) {
  if (c->ents != NULL)
    __builtin_prefetch(&c->ents[core_rawkey_set(hash) * CORE_RAWKEY_WAYS]);
}

/*
 * The entry of k's set with k's hash (its index), or CORE_RAWKEY_NONE;
 * prefetches its bytes and, when entries is not NULL, the series entry
 * its id names (entries: an array of entry_bytes-byte records by id).
 * Bytes are not compared: see core_rawkey_verify.
 */
uint32_t core_rawkey_probe(const struct core_rawkey *c,
                           const struct core_rawkey_key *k,
                           const void *entries, size_t entry_bytes);

/*
 * The series id of entry idx (from core_rawkey_probe, maybe since
 * replaced) when it holds k byte for byte, else CORE_RAWKEY_NONE. Counts
 * the lookup as a hit or a miss.
 */
uint32_t core_rawkey_verify(struct core_rawkey *c, uint32_t idx,
                            const struct core_rawkey_key *k);

/* core_rawkey_probe then core_rawkey_verify. */
uint32_t core_rawkey_lookup(struct core_rawkey *c,
                            const struct core_rawkey_key *k);

/*
 * Remember that k (looked up, missed) is series id. It takes an empty
 * entry of its set, else one not hit since it was made or last aged;
 * when all were hit, all are aged and k waits for its next miss, so the
 * hot entries stay. A key over CORE_RAWKEY_BYTES_MAX, or already held,
 * is not kept.
 */
void core_rawkey_insert(struct core_rawkey *c, const struct core_rawkey_key *k,
                        uint32_t id);

#endif
