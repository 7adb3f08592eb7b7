/*
 * core/ingest/rawkey.c - the StatsD raw key cache (see rawkey.h).
 *
 * The hash, probe and compare are inline in rawkey.h (they run once a
 * line). The hash is simd_hash2 (CRC32C over 8-byte words, the
 * SSE4.2 instruction where the CPU has it, a table twin elsewhere; one
 * multiply folds it to 64 bits): a hit costs one pass over ~80 bytes
 * instead of tokenising the tags and hashing each one alone. A
 * collision costs a byte compare and a miss, never a wrong series. Here:
 * mapping, the rest of a set after a failed compare, and insertion.
 */
#include "core/ingest/rawkey.h"

#include <errno.h>
#include <string.h>
#include <sys/mman.h>

#define ENTS ((size_t)CORE_RAWKEY_SETS * CORE_RAWKEY_WAYS)
#define HUGE_PAGE_BYTES ((size_t)2 << 20)

/* The slots, then the entries, in one mapping of whole 2 MiB pages. */
static size_t map_size(void) {
  size_t n = ENTS * (sizeof(struct core_rawkey_slot) +
                     sizeof(struct core_rawkey_ent));
  return (n + HUGE_PAGE_BYTES - 1) & ~(HUGE_PAGE_BYTES - 1);
}

int core_rawkey_init(struct core_rawkey *c) {
  _Static_assert(sizeof(struct core_rawkey_ent) * CORE_RAWKEY_WAYS == 64,
                 "a set's entries fill one cache line (mmap: aligned)");
  _Static_assert(sizeof(struct core_rawkey_slot) % 64 == 0,
                 "slots are whole cache lines");
  void *p = mmap(NULL, map_size(), PROT_READ | PROT_WRITE,
                 MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);

  memset(c, 0, sizeof(*c));
  if (p == MAP_FAILED)
    return -ENOMEM;
  /* No MADV_HUGEPAGE here: with THP defrag "madvise" a huge page fault
   * compacts memory first, and on a live shard those stalls (the cache
   * fills as new series come) overflowed the UDP socket: 4 of 6 loopback
   * runs at 4M lines/s lost 0.4-15% with it, none without (perf/RESULTS.md
   * "Session 8 on a quiet machine"). */
  c->slots = p;
  c->ents = (struct core_rawkey_ent *)(c->slots + ENTS);
  return 0;
}

void core_rawkey_free(struct core_rawkey *c) {
  if (c->slots != NULL)
    munmap(c->slots, map_size());
  c->ents = NULL;
  c->slots = NULL;
}

/* The entry of k's set holding k, or CORE_RAWKEY_NONE: entries of equal
 * hash and other bytes may share the set. */
static uint32_t find(const struct core_rawkey *c,
                     const struct core_rawkey_key *k) {
  uint32_t base = core_rawkey_set(k->hash) * CORE_RAWKEY_WAYS;

  for (uint32_t w = 0; w < CORE_RAWKEY_WAYS; w++)
    if (core_rawkey_holds(c, base + w, k))
      return base + w;
  return CORE_RAWKEY_NONE;
}

uint32_t core_rawkey_confirm_rest(struct core_rawkey *c, uint32_t idx,
                                  const struct core_rawkey_key *k) {
  if (idx != CORE_RAWKEY_NONE)
    idx = find(c, k);
  if (idx == CORE_RAWKEY_NONE) {
    c->misses++;
    return CORE_RAWKEY_NONE;
  }
  return core_rawkey_hit(c, idx);
}

uint32_t core_rawkey_lookup(struct core_rawkey *c,
                            const struct core_rawkey_key *k) {
  return core_rawkey_verify(c, core_rawkey_probe(c, k, NULL, 0), k);
}

/* The way of set base that k may take, or CORE_RAWKEY_WAYS: none (k is
 * there already, or every way was hit and the set is aged now). */
static uint32_t victim(struct core_rawkey *c, uint32_t base,
                       const struct core_rawkey_key *k) {
  struct core_rawkey_ent *e = &c->ents[base];
  uint32_t empty = CORE_RAWKEY_WAYS, unused = CORE_RAWKEY_WAYS;

  for (uint32_t w = 0; w < CORE_RAWKEY_WAYS; w++) {
    if (e[w].hash_lo == 0) {
      empty = empty < w ? empty : w;
      continue;
    }
    if (core_rawkey_holds(c, base + w, k))
      return CORE_RAWKEY_WAYS;
    if (!e[w].used && unused == CORE_RAWKEY_WAYS)
      unused = w;
  }
  if (empty < CORE_RAWKEY_WAYS)
    return empty;
  if (unused == CORE_RAWKEY_WAYS)
    for (uint32_t w = 0; w < CORE_RAWKEY_WAYS; w++)
      e[w].used = 0;
  return unused;
}

void core_rawkey_insert(struct core_rawkey *c, const struct core_rawkey_key *k,
                        uint32_t id, uint16_t aux) {
  uint32_t base = core_rawkey_set(k->hash) * CORE_RAWKEY_WAYS, w;
  struct core_rawkey_ent *e;
  struct core_rawkey_slot *s;

  if (c->ents == NULL || k->name_len > CORE_RAWKEY_BYTES_MAX ||
      k->tags_len > CORE_RAWKEY_BYTES_MAX - k->name_len)
    return;
  w = victim(c, base, k);
  if (w == CORE_RAWKEY_WAYS)
    return;
  e = &c->ents[base + w];
  s = &c->slots[base + w];
  e->hash_lo = (uint32_t)k->hash;
  e->id = id;
  e->aux = aux;
  e->kind = k->kind;
  e->name_len = (uint8_t)k->name_len;
  e->tags_len = (uint8_t)k->tags_len;
  e->used = 0;
  s->wbits = k->wbits;
  memcpy(s->b, k->name, k->name_len);
  if (k->tags_len)
    memcpy(s->b + k->name_len, k->tags, k->tags_len);
}
