/*
 * core/ingest/rawkey.h - the StatsD raw key cache (rawkey_types.h):
 * CORE_RAWKEY_SETS sets of CORE_RAWKEY_WAYS entries, mapped at start-up,
 * no allocation per line.
 */
#ifndef SLUICE_CORE_INGEST_RAWKEY_H
#define SLUICE_CORE_INGEST_RAWKEY_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "core/ingest/rawkey_types.h"
#include "simd/simd.h"

/* "No entry" from core_rawkey_probe, "no series" from the lookups. */
#define CORE_RAWKEY_NONE UINT32_MAX

/* Map the entries and slots. Returns 0 or -ENOMEM. */
int core_rawkey_init(struct core_rawkey *c);

/* Unmap them. Safe on a zeroed struct. A cache not mapped (zeroed or
 * freed) holds nothing: every probe misses and inserts are dropped, so
 * its pipe takes the dictionary for every line (what tests compare). */
void core_rawkey_free(struct core_rawkey *c);

/* The hash's seed beside the rate's bits (any constant: a zero rate
 * word would otherwise seed with 0). */
#define CORE_RAWKEY_K0 UINT64_C(0xa0761d6478bd642f)

/*
 * Fill k with a line's raw key and hash it (simd_hash2: CRC32C words
 * over the name and the tag bytes, exactly as they arrived: tags in
 * another order are another raw key). wbits: 0, or the sample rate's
 * bits when the line gets a __weight__ tag. kind: a byte an entry must
 * match as well (not hashed). The pointers must stay valid while k is
 * used.
 */
static inline void core_rawkey_key_init(struct core_rawkey_key *k,
                                        const char *name, uint32_t name_len,
                                        const char *tags, uint32_t tags_len,
                                        uint64_t wbits, uint8_t kind) {
  uint64_t h = simd_hash2(name, name_len, tags, tags_len,
                          wbits ^ CORE_RAWKEY_K0);

  k->name = name;
  k->name_len = name_len;
  k->tags = tags;
  k->tags_len = tags_len;
  k->wbits = wbits;
  k->kind = kind;
#ifdef CORE_RAWKEY_TEST_HASH_BITS /* tests/fuzz: collisions on purpose */
  h &= (UINT64_C(1) << CORE_RAWKEY_TEST_HASH_BITS) - 1;
#endif
  k->hash = (uint32_t)h != 0 ? h : h | 1; /* 0 marks an empty entry */
}

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
static inline uint32_t core_rawkey_probe(const struct core_rawkey *c,
                                         const struct core_rawkey_key *k,
                                         const void *entries,
                                         size_t entry_bytes) {
  uint32_t base = core_rawkey_set(k->hash) * CORE_RAWKEY_WAYS;
  const struct core_rawkey_ent *e;

  if (c->ents == NULL)
    return CORE_RAWKEY_NONE;
  e = &c->ents[base];
  for (uint32_t w = 0; w < CORE_RAWKEY_WAYS; w++)
    if (e[w].hash_lo == (uint32_t)k->hash) {
      __builtin_prefetch(&c->slots[base + w]);
      if (k->name_len + k->tags_len > 56)
        __builtin_prefetch(c->slots[base + w].b + 64);
      if (entries != NULL)
        __builtin_prefetch((const char *)entries +
                           (size_t)e[w].id * entry_bytes);
      return base + w;
    }
  return CORE_RAWKEY_NONE;
}

/* 1 when entry i holds k byte for byte (and k's kind). Entry i is in
 * k's set, so the hash's high half, which chose the set, matches. */
static inline int core_rawkey_holds(const struct core_rawkey *c, uint32_t i,
                                    const struct core_rawkey_key *k) {
  const struct core_rawkey_ent *e = &c->ents[i];
  const struct core_rawkey_slot *s = &c->slots[i];

  return e->hash_lo == (uint32_t)k->hash && e->name_len == k->name_len &&
         e->tags_len == k->tags_len && e->kind == k->kind &&
         s->wbits == k->wbits &&
         memcmp(s->b, k->name, k->name_len) == 0 &&
         (k->tags_len == 0 ||
          memcmp(s->b + k->name_len, k->tags, k->tags_len) == 0);
}

/* Count a hit on entry idx and mark it used. Returns idx. */
static inline uint32_t core_rawkey_hit(struct core_rawkey *c, uint32_t idx) {
  struct core_rawkey_ent *e = &c->ents[idx];

  if (!e->used)
    e->used = 1;
  c->hits++;
  return idx;
}

/* core_rawkey_confirm when entry idx does not hold k: the rest of its
 * set, then the count. Not called directly. */
uint32_t core_rawkey_confirm_rest(struct core_rawkey *c, uint32_t idx,
                                  const struct core_rawkey_key *k);

/*
 * The entry holding k byte for byte: idx (from core_rawkey_probe, maybe
 * since replaced) when it does, else another of its set, else
 * CORE_RAWKEY_NONE. Counts the lookup as a hit or a miss. The entry's id
 * and aux are valid until the next insert.
 */
static inline uint32_t core_rawkey_confirm(struct core_rawkey *c, uint32_t idx,
                                           const struct core_rawkey_key *k) {
  if (idx != CORE_RAWKEY_NONE && core_rawkey_holds(c, idx, k))
    return core_rawkey_hit(c, idx);
  return core_rawkey_confirm_rest(c, idx, k);
}

/* core_rawkey_confirm, then the series id of that entry, or
 * CORE_RAWKEY_NONE. */
static inline uint32_t core_rawkey_verify(struct core_rawkey *c, uint32_t idx,
                                          const struct core_rawkey_key *k) {
  idx = core_rawkey_confirm(c, idx, k);
  return idx != CORE_RAWKEY_NONE ? c->ents[idx].id : CORE_RAWKEY_NONE;
}

/* core_rawkey_probe then core_rawkey_verify. */
uint32_t core_rawkey_lookup(struct core_rawkey *c,
                            const struct core_rawkey_key *k);

/*
 * Remember that k (looked up, missed) is series id, with aux (returned
 * with it by a hit). It takes an empty
 * entry of its set, else one not hit since it was made or last aged;
 * when all were hit, all are aged and k waits for its next miss, so the
 * hot entries stay. A key over CORE_RAWKEY_BYTES_MAX, or already held,
 * is not kept.
 */
void core_rawkey_insert(struct core_rawkey *c, const struct core_rawkey_key *k,
                        uint32_t id, uint16_t aux);

#endif
