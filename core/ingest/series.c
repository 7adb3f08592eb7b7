/*
 * core/ingest/series.c - the shard-local series dictionary.
 *
 * Three mappings made once at start-up with MAP_NORESERVE: the slot table
 * (open addressing, linear probing, at least twice max_series slots so a
 * probe run stays short and an empty slot always exists), the key arena and
 * the id -> slot index. Pages are touched only as series arrive, so a large
 * --max-series costs address space, not memory, until it fills.
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
  memset(s, 0, sizeof(*s));
  if (max_series == 0 || max_series > CORE_SERIES_MAX_LIMIT)
    return -EINVAL;
  s->max = max_series;
  s->mask = slot_count(max_series) - 1;
  s->arena_cap = (uint64_t)max_series * CORE_SERIES_KEY_BYTES_AVG;
  s->slots = map_bytes((s->mask + 1) * sizeof(*s->slots));
  s->arena = map_bytes(s->arena_cap);
  s->entries = map_bytes((uint64_t)max_series * sizeof(*s->entries));
  if (s->slots == NULL || s->arena == NULL || s->entries == NULL) {
    core_series_free(s);
    return -ENOMEM;
  }
  return 0;
}

void core_series_free(struct core_series *s) {
  if (s->max != 0) {
    unmap_bytes(s->slots, (s->mask + 1) * sizeof(*s->slots));
    unmap_bytes(s->arena, s->arena_cap);
    unmap_bytes(s->entries, (uint64_t)s->max * sizeof(*s->entries));
  }
  memset(s, 0, sizeof(*s));
}

/* ---- canonical key ------------------------------------------------------- */

static int cmp_bytes(const char *a, uint32_t an, const char *b, uint32_t bn) {
  int c = memcmp(a, b, an < bn ? an : bn);

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
  if (put(buf, cap, len, "", 1) || put(buf, cap, len, t->key, t->key_len))
    return -1;
  if (t->val == NULL)
    return 0;
  if (put(buf, cap, len, ":", 1) || put(buf, cap, len, t->val, t->val_len))
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
  if (s->count >= s->max || len > s->arena_cap - s->arena_used)
    return -ENOSPC;
  _Static_assert((uint64_t)CORE_SERIES_MAX_LIMIT < UINT32_MAX,
                 "id + 1 fits a slot's low 32 bits");
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
