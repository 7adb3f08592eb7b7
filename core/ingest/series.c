/*
 * core/ingest/series.c - the shard-local series dictionary.
 *
 * Four mappings made once at start-up with MAP_NORESERVE: two slot tables
 * (open addressing, linear probing, at most half full so a probe run stays
 * short and an empty slot always exists; the one in use is sized to the
 * series present and grows into the other), the key arena and the entries
 * by id. Pages are touched only as series arrive, so a large --max-series
 * costs address space, not memory, until it fills.
 */
#include "core/ingest/series.h"

#include <errno.h>
#include <string.h>
#include <sys/mman.h>

#include "core/base/assert.h"
#include "core/base/limits.h"

/* ---- mappings ------------------------------------------------------------ */

static void *map_bytes(uint64_t bytes) {
  void *p = mmap(NULL, bytes, PROT_READ | PROT_WRITE,
                 MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
  if (p == MAP_FAILED)
    return NULL;
  /* Lookups land on random slots: with 4 KiB pages nearly every one is a
   * TLB miss once the table outgrows the TLB's reach. Huge pages where the
   * kernel allows them (THP "madvise" mode) cut that cost; a refusal is
   * harmless. */
  (void)madvise(p, bytes, MADV_HUGEPAGE);
  return p;
}

static void unmap_bytes(void *p, uint64_t bytes) {
  if (p != NULL)
    munmap(p, bytes);
}

static uint64_t slot_count(uint32_t max_series) {
  uint64_t n = 1;

  while (n < (uint64_t)max_series * 2)
    n <<= 1;
  return n;
}

int core_series_init(struct core_series *s, uint32_t max_series) {
  uint64_t table_bytes;

  memset(s, 0, sizeof(*s));
  if (max_series == 0 || max_series > CORE_SERIES_MAX_LIMIT)
    return -EINVAL;
  s->max = max_series;
  s->mask_max = slot_count(max_series) - 1;
  s->mask = (s->mask_max < CORE_SERIES_SLOTS_MIN ? s->mask_max + 1
                                                 : CORE_SERIES_SLOTS_MIN) - 1;
  table_bytes = (s->mask_max + 1) * sizeof(*s->slots);
  s->arena_cap = (uint64_t)max_series * CORE_SERIES_KEY_BYTES_AVG;
  s->slots = map_bytes(table_bytes);
  s->slots_alt = map_bytes(table_bytes);
  s->arena = map_bytes(s->arena_cap);
  s->entries = map_bytes((uint64_t)max_series * sizeof(*s->entries));
  if (s->slots == NULL || s->slots_alt == NULL || s->arena == NULL ||
      s->entries == NULL) {
    core_series_free(s);
    return -ENOMEM;
  }
  return 0;
}

void core_series_set_budget(struct core_series *s,
                            struct core_series_budget *budget) {
  s->budget = budget;
}

void core_series_free(struct core_series *s) {
  if (s->max != 0) {
    unmap_bytes(s->slots, (s->mask_max + 1) * sizeof(*s->slots));
    unmap_bytes(s->slots_alt, (s->mask_max + 1) * sizeof(*s->slots));
    unmap_bytes(s->arena, s->arena_cap);
    unmap_bytes(s->entries, (uint64_t)s->max * sizeof(*s->entries));
  }
  memset(s, 0, sizeof(*s));
}

/* ---- canonical key ------------------------------------------------------- */

static int cmp_bytes(const char *a, uint32_t an, const char *b, uint32_t bn) {
  uint32_t n = an < bn ? an : bn;
  int c;

  /* Tag keys are short and mostly differ in their first byte: decide
   * that inline rather than calling memcmp for a byte. */
  if (n > 0 && a[0] != b[0])
    return (unsigned char)a[0] - (unsigned char)b[0];
  c = memcmp(a, b, n);
  if (c != 0)
    return c;
  return (an > bn) - (an < bn);
}

/*
 * Order of tags in a key: by key, then a bare tag before "k:" with any
 * value (so "k" and "k:" stay two distinct, stably ordered tags), then by
 * value.
 */
static int cmp_tags(const struct core_statsd_tag *a,
                    const struct core_statsd_tag *b) {
  int c = cmp_bytes(a->key, a->key_len, b->key, b->key_len);

  if (c != 0)
    return c;
  if ((a->val == NULL) != (b->val == NULL))
    return a->val == NULL ? -1 : 1;
  if (a->val == NULL)
    return 0;
  return cmp_bytes(a->val, a->val_len, b->val, b->val_len);
}

void core_series_tags_sort(const struct core_statsd_tag *tags, uint32_t n,
                           uint16_t *order, uint32_t sorted) {
  /* insertion sort: counts are small and often sorted */
  for (uint32_t i = sorted; i < n; i++) {
    uint32_t j = i;
    uint16_t t = (uint16_t)i;

    while (j > 0 && cmp_tags(&tags[order[j - 1]], &tags[t]) > 0) {
      order[j] = order[j - 1];
      j--;
    }
    order[j] = t;
  }
}

/* Append n bytes at *len when they fit cap. Returns 0 or -1. */
static int put(char *buf, size_t cap, size_t *len, const char *p, size_t n) {
  if (n > cap - *len)
    return -1;
  if (n > 0)
    memcpy(buf + *len, p, n);
  *len += n;
  return 0;
}

static int put_tag(char *buf, size_t cap, size_t *len,
                   const struct core_statsd_tag *t) {
  if (put(buf, cap, len, "", 1))
    return -1;
  if (t->val == NULL)
    return put(buf, cap, len, t->key, t->key_len);
  /* A tag parsed from a line is "k:v" in one piece: one copy. */
  if (t->val == t->key + t->key_len + 1 && t->key[t->key_len] == ':')
    return put(buf, cap, len, t->key, t->key_len + 1 + (size_t)t->val_len);
  if (put(buf, cap, len, t->key, t->key_len) || put(buf, cap, len, ":", 1) ||
      put(buf, cap, len, t->val, t->val_len))
    return -1;
  return 0;
}

int core_series_tags_in_order(const struct core_statsd_tag *tags, uint32_t n,
                              const uint16_t *order) {
  for (uint32_t i = 1; i < n; i++)
    if (cmp_tags(&tags[order[i - 1]], &tags[order[i]]) > 0)
      return 0;
  return 1;
}

size_t core_series_key_ordered(const char *name, size_t name_len,
                               const struct core_statsd_tag *tags,
                               const uint16_t *order, uint32_t n, char *buf,
                               size_t cap) {
  size_t len = 0;

  if (put(buf, cap, &len, name, name_len))
    return 0;
  for (uint32_t i = 0; i < n; i++)
    if (put_tag(buf, cap, &len, &tags[order[i]]))
      return 0;
  return len;
}

size_t core_series_key_tags(const char *name, size_t name_len,
                            const struct core_statsd_tag *tags, uint32_t n,
                            uint16_t *order, char *buf, size_t cap) {
  ASSERT(n <= UINT16_MAX + 1u);
  core_series_tags_sort(tags, n, order, 0);
  return core_series_key_ordered(name, name_len, tags, order, n, buf, cap);
}

size_t core_series_key(const struct core_statsd_msg *m, char *buf,
                       size_t cap) {
  uint16_t order[CORE_STATSD_TAGS_MAX];

  ASSERT(m->tag_count <= CORE_STATSD_TAGS_MAX);
  return core_series_key_tags(m->name, m->name_len, m->tags, m->tag_count,
                              order, buf, cap);
}

/* ---- hash ---------------------------------------------------------------- */

/*
 * wyhash-style: 8-byte reads folded by a 64x64->128 multiply whose halves
 * are xored. Keys are short (a name and a few tags), so the loop is simple
 * and the tail reads overlap instead of branching per length.
 */
#define HASH_S0 UINT64_C(0xa0761d6478bd642f)
#define HASH_S1 UINT64_C(0xe7037ed1a0b428db)
#define HASH_S2 UINT64_C(0x8ebc6af09c88c6e3)

static inline uint64_t mix(uint64_t a, uint64_t b) {
  __uint128_t r = (__uint128_t)a * b;

  return (uint64_t)r ^ (uint64_t)(r >> 64);
}

static inline uint64_t rd8(const unsigned char *p) {
  uint64_t v;

  memcpy(&v, p, 8);
  return v;
}

static inline uint64_t rd4(const unsigned char *p) {
  uint32_t v;

  memcpy(&v, p, 4);
  return v;
}

uint64_t core_series_hash(const char *key, size_t len) {
  const unsigned char *p = (const unsigned char *)key;
  uint64_t seed = HASH_S0 ^ mix((uint64_t)len ^ HASH_S1, HASH_S2);
  uint64_t a, b, h;

  if (len <= 16) {
    if (len >= 4) {
      size_t mid = (len >> 3) << 2;
      a = (rd4(p) << 32) | rd4(p + mid);
      b = (rd4(p + len - 4) << 32) | rd4(p + len - 4 - mid);
    } else if (len > 0) {
      a = ((uint64_t)p[0] << 16) | ((uint64_t)p[len >> 1] << 8) | p[len - 1];
      b = 0;
    } else {
      a = b = 0;
    }
  } else {
    size_t i = len;
    for (; i > 16; i -= 16, p += 16)
      seed = mix(rd8(p) ^ HASH_S1, rd8(p + 8) ^ seed);
    a = rd8(p + i - 16);
    b = rd8(p + i - 8);
  }
  h = mix(HASH_S1 ^ (uint64_t)len, mix(a ^ HASH_S1, b ^ seed));
  return h != 0 ? h : 1; /* 0 marks an empty slot */
}

/* ---- table --------------------------------------------------------------- */

/* A slot holds the hash's high half and id + 1; 0 marks an empty slot. */
static inline uint64_t slot_make(uint64_t hash, uint32_t id) {
  return (hash & ~UINT64_C(0xffffffff)) | ((uint64_t)id + 1);
}

static int entry_matches(const struct core_series *s,
                         const struct core_series_entry *e, const char *key,
                         size_t len, uint64_t hash) {
  return e->hash == hash && e->key_len == len &&
         memcmp(s->arena + e->key_off, key, len) == 0;
}

static void insert(struct core_series *s, uint64_t i, const char *key,
                   size_t len, uint64_t hash, uint8_t type) {
  struct core_series_entry *e = &s->entries[s->count];

  memcpy(s->arena + s->arena_used, key, len);
  *e = (struct core_series_entry){.hash = hash,
                                  .id = s->count,
                                  .key_len = (uint32_t)len,
                                  .key_off = s->arena_used,
                                  .type = type};
  s->slots[i] = slot_make(hash, s->count);
  s->arena_used += len;
  s->count++;
}

/* The first empty slot of hash's probe run. */
static uint64_t free_slot(const uint64_t *slots, uint64_t mask,
                          uint64_t hash) {
  uint64_t i = hash & mask;

  while (slots[i] != 0)
    i = (i + 1) & mask;
  return i;
}

/*
 * Double the slot table: rehash every entry (by its stored hash, no key
 * is read) into the other mapping, and give the old table's pages back.
 * Runs when a new series would fill more than half of the table, so its
 * cost (linear in the series, once per doubling) is paid by new series.
 */
static void grow(struct core_series *s) {
  uint64_t mask = s->mask * 2 + 1, *old = s->slots;

  ASSERT(mask <= s->mask_max);
  memset(s->slots_alt, 0, (mask + 1) * sizeof(*old));
  for (uint32_t id = 0; id < s->count; id++) {
    uint64_t h = s->entries[id].hash;
    s->slots_alt[free_slot(s->slots_alt, mask, h)] = slot_make(h, id);
  }
  (void)madvise(old, (s->mask + 1) * sizeof(*old), MADV_DONTNEED);
  s->slots = s->slots_alt;
  s->slots_alt = old;
  s->mask = mask;
}

/* Take a series from the budget, if any. Returns 0 or -ENOSPC. */
static int budget_take(struct core_series_budget *b) {
  if (b == NULL)
    return 0;
  if (__atomic_add_fetch(&b->used, 1, __ATOMIC_RELAXED) <= b->max)
    return 0;
  __atomic_sub_fetch(&b->used, 1, __ATOMIC_RELAXED);
  return -ENOSPC;
}

int core_series_upsert(struct core_series *s, const char *key, size_t len,
                       uint64_t hash, uint8_t type,
                       struct core_series_entry **out) {
  uint64_t i = hash & s->mask, tag = hash & ~UINT64_C(0xffffffff);

  ASSERT(hash != 0);
  ASSERT(len <= CORE_SERIES_KEY_BYTES_MAX); /* key_len is 32 bits */
  for (;; i = (i + 1) & s->mask) {
    uint64_t slot = s->slots[i];
    struct core_series_entry *e;

    if (slot == 0)
      break;
    if ((slot & ~UINT64_C(0xffffffff)) != tag)
      continue;
    e = &s->entries[(uint32_t)slot - 1];
    if (entry_matches(s, e, key, len, hash)) {
      *out = e;
      return 0;
    }
  }
  if (s->count >= s->max || len > s->arena_cap - s->arena_used ||
      budget_take(s->budget) < 0)
    return -ENOSPC;
  _Static_assert((uint64_t)CORE_SERIES_MAX_LIMIT < UINT32_MAX,
                 "id + 1 fits a slot's low 32 bits");
  if ((uint64_t)(s->count + 1) * 2 > s->mask + 1) {
    grow(s);
    i = free_slot(s->slots, s->mask, hash);
  }
  insert(s, i, key, len, hash, type);
  *out = &s->entries[s->count - 1];
  return 1;
}

const char *core_series_key_of(const struct core_series *s, uint32_t id,
                               uint32_t *len) {
  const struct core_series_entry *e;

  if (id >= s->count)
    return NULL;
  e = &s->entries[id];
  *len = e->key_len;
  return s->arena + e->key_off;
}
