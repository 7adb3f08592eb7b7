/*
 * core/ingest/otlpmap_cache.c - the OTLP series id cache (see
 * otlpmap_cache.h): 2-way set-associative, entries of fixed size mapped
 * at start-up, every hit checked byte for byte.
 *
 * A miss replaces an entry not hit since it was made (or last aged); when
 * both were hit, both are aged and the newcomer waits for its next miss.
 * More series than entries, sent round and round, would otherwise evict
 * each other before any is hit again: this way the hot ones stay.
 */
#include "core/ingest/otlpmap_cache.h"

#include <errno.h>
#include <string.h>
#include <sys/mman.h>

#include "core/base/assert.h"
#include "core/ingest/series.h"

#define ENTS (CORE_OTLP_SID_CACHE_SETS * CORE_OTLP_SID_CACHE_WAYS)

/* core_otlp_sid_prefault: set before the shard threads start, read by
 * them in core_otlp_sid_init. */
static int prefault = 1;

void core_otlp_sid_prefault(int on) { prefault = on; }

static void *map_bytes(size_t n) {
  void *p = mmap(NULL, n, PROT_READ | PROT_WRITE,
                 MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
  if (p == MAP_FAILED)
    return NULL;
  if (!prefault)
    return p; /* never touched: no page, no huge page zeroed */
  /* Every lookup lands on a random set: on 4 KiB pages the prefetch of
   * its entries and identity waits for a page walk (perf: half of the
   * lookup's time at 5,000 series). A refusal is harmless. The pages are
   * touched here, at start-up: a huge page's first touch zeroes 2 MiB
   * (and may compact memory), which stalled requests for tens of ms when
   * it happened on the data path. */
  (void)madvise(p, n, MADV_HUGEPAGE);
  memset(p, 0, n);
  return p;
}

int core_otlp_sid_init(struct core_otlp_sid_cache *c) {
  _Static_assert(sizeof(*c->ents) * CORE_OTLP_SID_CACHE_WAYS == 64,
                 "a set's entries fill one cache line (mmap: aligned)");
  _Static_assert(CORE_OTLP_SID_IDENT_BYTES_MAX <= UINT8_MAX,
                 "an ident's name and attribute lengths fit a byte each");
  c->ents = map_bytes(ENTS * sizeof(*c->ents));
  c->idents = map_bytes(ENTS * sizeof(*c->idents));
  if (c->ents == NULL || c->idents == NULL) {
    core_otlp_sid_free(c);
    return -ENOMEM;
  }
  return 0;
}

void core_otlp_sid_free(struct core_otlp_sid_cache *c) {
  if (c->ents != NULL)
    munmap(c->ents, ENTS * sizeof(*c->ents));
  if (c->idents != NULL)
    munmap(c->idents, ENTS * sizeof(*c->idents));
  c->ents = NULL;
  c->idents = NULL;
}

void core_otlp_sid_forget(struct core_otlp_sid_cache *c) {
  for (uint32_t i = 0; i < CORE_OTLP_SID_RSETS; i++)
    c->rsets[i].gen = 0;
}

/* Append n bytes of p to the set being rendered; 0 or -1 past its bound. */
static int put(char *d, uint32_t *len, const void *p, uint32_t n) {
  if (n > CORE_OTLP_SID_RSET_BYTES_MAX - *len)
    return -1;
  if (n == 0)
    return 0;
  memcpy(d + *len, p, n);
  *len += n;
  return 0;
}

uint64_t core_otlp_sid_rset(struct core_otlp_sid_cache *c,
                            const struct core_statsd_tag *tags, uint32_t n) {
  char *d = c->rscratch;
  uint32_t len = 0;
  struct core_otlp_sid_rset *r;

  /* lengths first: "ab"+"c" and "a"+"bc" differ */
  for (uint32_t i = 0; i < n; i++)
    if (put(d, &len, &tags[i].key_len, 4) < 0 ||
        put(d, &len, tags[i].key, tags[i].key_len) < 0 ||
        put(d, &len, &tags[i].val_len, 4) < 0 ||
        put(d, &len, tags[i].val, tags[i].val_len) < 0)
      return 0;
  for (uint32_t i = 0; i < CORE_OTLP_SID_RSETS; i++) {
    r = &c->rsets[i];
    if (r->gen != 0 && r->len == len && memcmp(r->bytes, d, len) == 0)
      return r->gen;
  }
  r = &c->rsets[c->rset_next];
  c->rset_next = (c->rset_next + 1) % CORE_OTLP_SID_RSETS;
  r->gen = ++c->gen_last; /* 64 bits: never wraps */
  r->len = len;
  memcpy(r->bytes, d, len);
  return r->gen;
}

/* wyhash's secrets; the fold is its 64x64->128 multiply, halves xored */
static const uint64_t K[4] = {0xa0761d6478bd642full, 0xe7037ed1a0b428dbull,
                              0x8ebc6af09c88c6e3ull, 0x589965cc75374cc3ull};

static inline uint64_t mix(uint64_t a, uint64_t b) {
  __uint128_t r = (__uint128_t)a * b;
  return (uint64_t)r ^ (uint64_t)(r >> 64);
}

static inline uint64_t ld8(const char *p) {
  uint64_t v;

  memcpy(&v, p, sizeof(v));
  return v;
}

/*
 * The raw attribute bytes' hash (they are no series key: the key hash
 * would split them at every NUL). wyhash's layout: three lanes of 16
 * bytes a 48-byte block, then 16-byte steps and an overlapping tail. The
 * one-lane byte hash (core_series_hash_bytes) waited for a multiply per
 * 16 bytes, 13 in a row on ~200 bytes: the largest share of the probe.
 * Not keyed: entries are compared byte for byte, a collision only misses.
 */
static uint64_t attrs_hash(const char *p, size_t n) {
  uint64_t s0 = K[0] ^ mix(n ^ K[1], K[2]), s1 = s0, s2 = s0;
  size_t i = n;

  if (n <= 48) /* a multiply or three in a row: the byte hash will do */
    return core_series_hash_bytes(p, n);
  for (; i > 48; i -= 48, p += 48) {
    s0 = mix(ld8(p) ^ K[1], ld8(p + 8) ^ s0);
    s1 = mix(ld8(p + 16) ^ K[2], ld8(p + 24) ^ s1);
    s2 = mix(ld8(p + 32) ^ K[3], ld8(p + 40) ^ s2);
  }
  s0 ^= s1 ^ s2;
  for (; i > 16; i -= 16, p += 16)
    s0 = mix(ld8(p) ^ K[1], ld8(p + 8) ^ s0);
  return mix(K[1] ^ n, mix(ld8(p + i - 16) ^ K[1], ld8(p + i - 8) ^ s0));
}

static uint64_t key_hash(const struct core_otlp_sid_key *k) {
  uint64_t h = k->attrs.len ? attrs_hash(k->attrs.ptr, k->attrs.len)
                            : 0x5bd1e995u;

  h ^= (k->name_hash ? k->name_hash
                     : core_series_hash_bytes(k->name.ptr, k->name.len)) *
       0x9e3779b97f4a7c15u;
  h ^= (k->rgen * 0xc2b2ae3d27d4eb4fu) ^ k->type;
  return h != 0 ? h : 1; /* 0 marks an empty entry */
}

static int equal(const struct core_otlp_sid_ent *e, const char *ident,
                 const struct core_otlp_sid_key *k) {
  return e->hash == k->hash && e->rgen == k->rgen && e->type == k->type &&
         e->name_len == k->name.len && e->attr_len == k->attrs.len &&
         memcmp(ident, k->name.ptr, k->name.len) == 0 &&
         (k->attrs.len == 0 ||
          memcmp(ident + k->name.len, k->attrs.ptr, k->attrs.len) == 0);
}

/* Prefetch entry i: its set's line, and the lines of its identity (224
 * bytes from a 32-byte boundary: 4 lines). The other way's identity is
 * left out: the series is where it was hit last, but for an eviction,
 * and prefetching a whole set (8 lines) two points ahead kept the line
 * fill buffers full (perf: a quarter of the probe on the prefetch). */
static void prefetch_ent(const struct core_otlp_sid_cache *c, uint32_t i) {
  const char *id = c->idents[i].b;

  _Static_assert(sizeof(*c->idents) % 32 == 0 &&
                     sizeof(*c->idents) <= 4 * 64 - 32,
                 "from a 32-byte boundary an identity spans 4 lines");
  __builtin_prefetch(&c->ents[i]);
  for (uint32_t o = 0; o < 4 * 64; o += 64)
    __builtin_prefetch(id + o);
}

uint32_t core_otlp_sid_lookup(struct core_otlp_sid_cache *c,
                              struct core_otlp_sid_key *k) {
  uint32_t set, i;
  struct core_otlp_sid_ent *e;

  k->hash = key_hash(k);
  if (k->rgen == 0)
    return UINT32_MAX;
  set = (uint32_t)k->hash & (CORE_OTLP_SID_CACHE_SETS - 1);
  e = &c->ents[set * CORE_OTLP_SID_CACHE_WAYS];
  for (uint32_t w = 0; w < CORE_OTLP_SID_CACHE_WAYS; w++)
    if (equal(&e[w], c->idents[set * CORE_OTLP_SID_CACHE_WAYS + w].b, k)) {
      i = set * CORE_OTLP_SID_CACHE_WAYS + w;
      if (c->prev != 0)
        c->ents[c->prev - 1].next = i;
      if (c->prev2 != 0)
        c->ents[c->prev2 - 1].next2 = i;
      e[w].used = 1;
      c->hits++;
      /* the next entry was prefetched at the last hit, unless the chain
       * starts here */
      if (c->prev == 0)
        prefetch_ent(c, e[w].next);
      prefetch_ent(c, e[w].next2);
      c->prev2 = c->prev;
      c->prev = i + 1;
      return e[w].id;
    }
  c->misses++;
  c->prev = c->prev2 = 0;
  return UINT32_MAX;
}

void core_otlp_sid_insert(struct core_otlp_sid_cache *c,
                          const struct core_otlp_sid_key *k, uint32_t id) {
  uint32_t set = (uint32_t)k->hash & (CORE_OTLP_SID_CACHE_SETS - 1), w;
  struct core_otlp_sid_ent *e = &c->ents[set * CORE_OTLP_SID_CACHE_WAYS];
  char *ident;

  _Static_assert(CORE_OTLP_SID_CACHE_WAYS == 2, "two ways to choose from");
  if (k->rgen == 0 || k->name.len > CORE_OTLP_SID_IDENT_BYTES_MAX ||
      k->attrs.len > CORE_OTLP_SID_IDENT_BYTES_MAX - k->name.len)
    return;
  /* a series new to the dictionary, sent twice in a request, is held
   * twice: one entry is enough */
  for (w = 0; w < CORE_OTLP_SID_CACHE_WAYS; w++)
    if (equal(&e[w], c->idents[set * CORE_OTLP_SID_CACHE_WAYS + w].b, k))
      return;
  if (e[0].hash != 0 && e[1].hash != 0 && e[0].used && e[1].used) {
    e[0].used = e[1].used = 0;
    return;
  }
  w = e[0].hash == 0 ? 0 : e[1].hash == 0 ? 1 : e[0].used ? 1 : 0;
  e += w;
  ident = c->idents[set * CORE_OTLP_SID_CACHE_WAYS + w].b;
  e->hash = k->hash;
  e->rgen = k->rgen;
  e->id = id;
  e->type = k->type;
  e->used = 0;
  e->name_len = (uint8_t)k->name.len;
  e->attr_len = (uint8_t)k->attrs.len;
  memcpy(ident, k->name.ptr, k->name.len);
  if (k->attrs.len)
    memcpy(ident + k->name.len, k->attrs.ptr, k->attrs.len);
}

int core_otlp_sid_hold(struct core_otlp_sid_cache *c,
                       const struct core_otlp_sid_key *k) {
  if (k->rgen == 0 || c->nheld == CORE_OTLP_SID_HELD_MAX)
    return 0;
  c->held[c->nheld++] = *k;
  return 1;
}

void core_otlp_sid_settle(struct core_otlp_sid_cache *c, uint32_t id) {
  ASSERT(c->settled < c->nheld);
  if (id != UINT32_MAX)
    core_otlp_sid_insert(c, &c->held[c->settled], id);
  c->settled++;
}

void core_otlp_sid_unhold(struct core_otlp_sid_cache *c) {
  c->nheld = c->settled = 0;
}
