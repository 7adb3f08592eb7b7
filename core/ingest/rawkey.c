/*
 * core/ingest/rawkey.c - the StatsD raw key cache (see rawkey.h).
 *
 * The hash is a 64x64->128 multiply folded to 64 bits over 16-byte words
 * (the "mum" step of wyhash), the last partial word read with loads that
 * stay inside the bytes: a hit costs one pass over ~80 bytes instead of
 * tokenising the tags and hashing each one alone. It needs no SIMD, so it
 * has no twin: every target runs this code. A collision costs a byte
 * compare and a miss, never a wrong series.
 */
#include "core/ingest/rawkey.h"

#include <errno.h>
#include <string.h>
#include <sys/mman.h>

#define ENTS ((size_t)CORE_RAWKEY_SETS * CORE_RAWKEY_WAYS)

#define K0 UINT64_C(0xa0761d6478bd642f)
#define K1 UINT64_C(0xe7037ed1a0b428db)
#define K2 UINT64_C(0x8ebc6af09c88c6e3)

static void *map_bytes(size_t n) {
  void *p = mmap(NULL, n, PROT_READ | PROT_WRITE,
                 MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
  return p == MAP_FAILED ? NULL : p;
}

int core_rawkey_init(struct core_rawkey *c) {
  _Static_assert(sizeof(struct core_rawkey_ent) * CORE_RAWKEY_WAYS == 64,
                 "a set's entries fill one cache line (mmap: aligned)");
  _Static_assert(sizeof(struct core_rawkey_slot) % 64 == 0,
                 "slots are whole cache lines");
  memset(c, 0, sizeof(*c));
  c->ents = map_bytes(ENTS * sizeof(*c->ents));
  c->slots = map_bytes(ENTS * sizeof(*c->slots));
  if (c->ents == NULL || c->slots == NULL) {
    core_rawkey_free(c);
    return -ENOMEM;
  }
  return 0;
}

void core_rawkey_free(struct core_rawkey *c) {
  if (c->ents != NULL)
    munmap(c->ents, ENTS * sizeof(*c->ents));
  if (c->slots != NULL)
    munmap(c->slots, ENTS * sizeof(*c->slots));
  c->ents = NULL;
  c->slots = NULL;
}

static inline uint64_t mum(uint64_t a, uint64_t b) {
  __uint128_t r = (__uint128_t)a * b;
  return (uint64_t)r ^ (uint64_t)(r >> 64);
}

static inline uint64_t load8(const char *p) {
  uint64_t v;
  memcpy(&v, p, 8);
  return v;
}

static inline uint64_t load4(const char *p) {
  uint32_t v;
  memcpy(&v, p, 4);
  return v;
}

/* n bytes of p hashed into seed, reading only [p, p + n). The tail's
 * length goes into its step: its loads overlap. */
static inline uint64_t span_hash(const char *p, size_t n, uint64_t seed) {
  uint64_t a, b;

  for (; n > 16; p += 16, n -= 16)
    seed = mum(load8(p) ^ K1, load8(p + 8) ^ seed);
  if (n > 8) {
    a = load8(p);
    b = load8(p + n - 8);
  } else if (n >= 4) {
    a = load4(p) << 32 | load4(p + n - 4);
    b = 0;
  } else if (n > 0) {
    a = (uint64_t)(uint8_t)p[0] << 16 | (uint64_t)(uint8_t)p[n >> 1] << 8 |
        (uint8_t)p[n - 1];
    b = 0;
  } else {
    a = b = 0;
  }
  return mum(a ^ K1 ^ n, b ^ seed ^ K2);
}

void core_rawkey_key_init(struct core_rawkey_key *k, const char *name,
                          uint32_t name_len, const char *tags,
                          uint32_t tags_len, uint64_t wbits) {
  uint64_t h = span_hash(tags, tags_len, span_hash(name, name_len, wbits ^ K0));

  k->name = name;
  k->name_len = name_len;
  k->tags = tags;
  k->tags_len = tags_len;
  k->wbits = wbits;
#ifdef CORE_RAWKEY_TEST_HASH_BITS /* tests/fuzz: collisions on purpose */
  h &= (UINT64_C(1) << CORE_RAWKEY_TEST_HASH_BITS) - 1;
#endif
  k->hash = h != 0 ? h : 1; /* 0 marks an empty entry */
}

uint32_t core_rawkey_probe(const struct core_rawkey *c,
                           const struct core_rawkey_key *k,
                           const void *entries, size_t entry_bytes) {
  uint32_t base = core_rawkey_set(k->hash) * CORE_RAWKEY_WAYS;
  const struct core_rawkey_ent *e;

  if (c->ents == NULL)
    return CORE_RAWKEY_NONE;
  e = &c->ents[base];
  for (uint32_t w = 0; w < CORE_RAWKEY_WAYS; w++)
    if (e[w].hash == k->hash) {
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

/* 1 when entry i holds k byte for byte. */
static int holds(const struct core_rawkey *c, uint32_t i,
                 const struct core_rawkey_key *k) {
  const struct core_rawkey_ent *e = &c->ents[i];
  const struct core_rawkey_slot *s = &c->slots[i];

  return e->hash == k->hash && e->name_len == k->name_len &&
         e->tags_len == k->tags_len && s->wbits == k->wbits &&
         memcmp(s->b, k->name, k->name_len) == 0 &&
         (k->tags_len == 0 ||
          memcmp(s->b + k->name_len, k->tags, k->tags_len) == 0);
}

/* The entry of k's set holding k, or CORE_RAWKEY_NONE: entries of equal
 * hash and other bytes may share the set. */
static uint32_t find(const struct core_rawkey *c,
                     const struct core_rawkey_key *k) {
  uint32_t base = core_rawkey_set(k->hash) * CORE_RAWKEY_WAYS;

  for (uint32_t w = 0; w < CORE_RAWKEY_WAYS; w++)
    if (holds(c, base + w, k))
      return base + w;
  return CORE_RAWKEY_NONE;
}

uint32_t core_rawkey_verify(struct core_rawkey *c, uint32_t idx,
                            const struct core_rawkey_key *k) {
  struct core_rawkey_ent *e;

  if (idx != CORE_RAWKEY_NONE && !holds(c, idx, k))
    idx = find(c, k);
  if (idx == CORE_RAWKEY_NONE) {
    c->misses++;
    return CORE_RAWKEY_NONE;
  }
  e = &c->ents[idx];
  if (!e->used)
    e->used = 1;
  c->hits++;
  return e->id;
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
    if (e[w].hash == 0) {
      empty = empty < w ? empty : w;
      continue;
    }
    if (holds(c, base + w, k))
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
                        uint32_t id) {
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
  e->hash = k->hash;
  e->id = id;
  e->name_len = (uint8_t)k->name_len;
  e->tags_len = (uint8_t)k->tags_len;
  e->used = 0;
  s->wbits = k->wbits;
  memcpy(s->b, k->name, k->name_len);
  if (k->tags_len)
    memcpy(s->b + k->name_len, k->tags, k->tags_len);
}
