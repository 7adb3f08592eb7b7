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

static uint64_t marks_bytes(uint32_t max_series) {
  return ((uint64_t)max_series + 63) / 64 * sizeof(uint64_t);
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
  s->hot = map_bytes((uint64_t)max_series * sizeof(*s->hot));
  s->marks = map_bytes(marks_bytes(max_series));
  if (s->slots == NULL || s->slots_alt == NULL || s->arena == NULL ||
      s->entries == NULL || s->hot == NULL || s->marks == NULL) {
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
    unmap_bytes(s->hot, (uint64_t)s->max * sizeof(*s->hot));
    unmap_bytes(s->marks, marks_bytes(s->max));
  }
  memset(s, 0, sizeof(*s));
}

void core_series_marks_reset(struct core_series *s, uint32_t gen) {
  /* the series made so far: count / 8 bytes once a block (6 KiB at
   * 50,000 series), against a per-series line read by every point */
  memset(s->marks, 0, ((uint64_t)s->count + 63) / 64 * sizeof(uint64_t));
  s->marks_gen = gen;
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

uint64_t core_series_hash_bytes(const char *key, size_t len) {
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

/*
 * Hash of one piece of a key (its name, or a tag): one multiply for up to
 * 16 bytes (pieces are short), one more per further 16. Overlapping reads
 * cover every byte; the length in the seed keeps apart pieces whose
 * overlapping reads agree ("abcd" and "abcdabcd").
 */
static inline uint64_t piece_hash(const char *key, size_t len) {
  const unsigned char *p = (const unsigned char *)key;
  uint64_t seed = HASH_S0 ^ len, a, b;

  if (len > 16) {
    size_t i = len;
    for (; i > 16; i -= 16, p += 16)
      seed = mix(rd8(p) ^ HASH_S1, rd8(p + 8) ^ seed);
    a = rd8(p + i - 16);
    b = rd8(p + i - 8);
  } else if (len >= 8) {
    a = rd8(p);
    b = rd8(p + len - 8);
  } else if (len >= 4) {
    a = rd4(p);
    b = rd4(p + len - 4);
  } else if (len > 0) {
    a = ((uint64_t)p[0] << 16) | ((uint64_t)p[len >> 1] << 8) | p[len - 1];
    b = 0;
  } else {
    a = b = 0;
  }
  return mix(a ^ HASH_S1, b ^ seed);
}

/*
 * A key's hash from its name's hash and the sum of its n pieces' hashes:
 * a sum, so the pieces' order does not matter and duplicates still count.
 */
static inline uint64_t key_hash(uint64_t name_h, uint64_t sum, uint64_t n) {
  uint64_t h = mix(name_h ^ HASH_S2, sum ^ (n * HASH_S1 + HASH_S0));

  return h != 0 ? h : 1; /* 0 marks an empty slot */
}

uint64_t core_series_hash(const char *key, size_t len) {
  const char *end = key + len, *z = len ? memchr(key, 0, len) : NULL;
  uint64_t name_h, sum = 0, n = 0;

  if (z == NULL)
    return key_hash(piece_hash(key, len), 0, 0);
  name_h = piece_hash(key, (size_t)(z - key));
  for (const char *p = z + 1;; p = z + 1, n++) {
    z = memchr(p, 0, (size_t)(end - p));
    if (z == NULL) {
      sum += piece_hash(p, (size_t)(end - p));
      return key_hash(name_h, sum, n + 1);
    }
    sum += piece_hash(p, (size_t)(z - p));
  }
}

/* Bytes of tag t in a key: "k:v", or "k" for a bare tag. */
static inline size_t piece_len(const struct core_statsd_tag *t) {
  return t->key_len + (t->val != NULL ? 1 + (size_t)t->val_len : 0);
}

/* A tag parsed from a line is "k:v" in one piece, where it lies. */
static inline int piece_in_place(const struct core_statsd_tag *t) {
  return t->val == NULL ||
         (t->val == t->key + t->key_len + 1 && t->key[t->key_len] == ':');
}

/* The hash of a tag whose value lies apart from its key (a caller's tag
 * made elsewhere: copied once into "k:v", off the hot path). */
static __attribute__((noinline)) uint64_t
piece_hash_apart(const struct core_statsd_tag *t) {
  char buf[CORE_SERIES_KEY_BYTES_MAX];

  if (piece_len(t) > sizeof(buf))
    return 0; /* the key is too long: the caller rejects it */
  memcpy(buf, t->key, t->key_len);
  buf[t->key_len] = ':';
  memcpy(buf + t->key_len + 1, t->val, t->val_len);
  return piece_hash(buf, piece_len(t));
}

/* ---- table --------------------------------------------------------------- */

/* A slot holds the hash's high half and id + 1; 0 marks an empty slot. */
static inline uint64_t slot_make(uint64_t hash, uint32_t id) {
  return (hash & ~UINT64_C(0xffffffff)) | ((uint64_t)id + 1);
}

/*
 * Make entry s->count of the key already at the arena's end, in slot i
 * (from free_slot, after make_room).
 */
static void insert(struct core_series *s, uint64_t i, size_t len,
                   size_t trailer, uint64_t hash, uint8_t type, uint8_t plain) {
  struct core_series_entry *e = &s->entries[s->count];

  *e = (struct core_series_entry){.hash = hash,
                                  .id = s->count,
                                  .key_len = (uint32_t)len,
                                  .key_off = s->arena_used,
                                  .type = type,
                                  .plain = plain};
  s->hot[s->count] = (struct core_series_hot){0};
  s->slots[i] = slot_make(hash, s->count);
  s->arena_used += len + trailer;
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

/*
 * Room for a new series of a len-byte key whose probe run ended at the
 * empty slot *i: growing the table moves that slot. Returns 0 or -ENOSPC.
 */
static int make_room(struct core_series *s, size_t len, uint64_t hash,
                     uint64_t *i) {
  if (s->count >= s->max || len > s->arena_cap - s->arena_used ||
      budget_take(s->budget) < 0)
    return -ENOSPC;
  _Static_assert((uint64_t)CORE_SERIES_MAX_LIMIT < UINT32_MAX,
                 "id + 1 fits a slot's low 32 bits");
  if ((uint64_t)(s->count + 1) * 2 > s->mask + 1) {
    grow(s);
    *i = free_slot(s->slots, s->mask, hash);
  }
  return 0;
}

/*
 * The entry of hash whose key `same` accepts, or NULL with *i the empty
 * slot ending the probe run. Inlined with its `same`, so each caller gets
 * its own loop.
 */
static inline struct core_series_entry *
probe(const struct core_series *s, uint64_t hash, uint64_t *i,
      int (*same)(const struct core_series *, const struct core_series_entry *,
                  const void *),
      const void *ctx) {
  uint64_t tag = hash & ~UINT64_C(0xffffffff);

  for (*i = hash & s->mask;; *i = (*i + 1) & s->mask) {
    uint64_t slot = s->slots[*i];
    struct core_series_entry *e;

    if (slot == 0)
      return NULL;
    if ((slot & ~UINT64_C(0xffffffff)) != tag)
      continue;
    e = &s->entries[(uint32_t)slot - 1];
    if (e->hash == hash && same(s, e, ctx))
      return e;
  }
}

/* A key given whole. */
struct whole_key {
  const char *key;
  size_t len;
};

static int same_bytes(const struct core_series *s,
                      const struct core_series_entry *e, const void *ctx) {
  const struct whole_key *k = ctx;

  return e->key_len == k->len &&
         memcmp(s->arena + e->key_off, k->key, k->len) == 0;
}

/*
 * core_series_upsert. A plain key (order not NULL: the key of a line's n
 * tags, order[j] the tag of piece j) is followed in the arena by its
 * trailer: n, then two orders of n bytes, the last two the tags came in
 * (see same_tags), both order at first.
 */
static int upsert_key(struct core_series *s, const char *key, size_t len,
                      uint64_t hash, uint8_t type, const uint8_t *order,
                      uint32_t n, struct core_series_entry **out) {
  struct whole_key k = {key, len};
  size_t trailer = order != NULL ? 1 + 2 * (size_t)n : 0;
  uint64_t i;
  struct core_series_entry *e;

  ASSERT(hash != 0);
  ASSERT(len <= CORE_SERIES_KEY_BYTES_MAX); /* key_len is 32 bits */
  e = probe(s, hash, &i, same_bytes, &k);
  if (e != NULL) {
    *out = e;
    return 0;
  }
  if (make_room(s, len + trailer, hash, &i) < 0)
    return -ENOSPC;
  memcpy(s->arena + s->arena_used, key, len);
  if (order != NULL) {
    s->arena[s->arena_used + len] = (char)n;
    memcpy(s->arena + s->arena_used + len + 1, order, n);
    memcpy(s->arena + s->arena_used + len + 1 + n, order, n);
  }
  insert(s, i, len, trailer, hash, type, order != NULL);
  *out = &s->entries[s->count - 1];
  return 1;
}

int core_series_upsert(struct core_series *s, const char *key, size_t len,
                       uint64_t hash, uint8_t type,
                       struct core_series_entry **out) {
  /* Not plain: a key given whole may hold tags a line could not (a ':' in
   * a tag key), so only the byte compare may match it. */
  return upsert_key(s, key, len, hash, type, NULL, 0, out);
}

/*
 * The key of t packed for sorting: its first 8 bytes as a big-endian
 * number, zero-padded (keys hold no '\0', so keys that differ there compare
 * as cmp_tags does), its low PACK_BITS replaced by the tag's index.
 */
#define PACK_BITS 6
_Static_assert(CORE_STATSD_TAGS_MAX <= 1 << PACK_BITS, "an index fits");

static inline uint64_t key_packed(const struct core_statsd_tag *t, size_t pl,
                                  uint32_t i) {
  const unsigned char *k = (const unsigned char *)t->key;
  uint64_t v = 0;

  if (pl >= 8) {
    v = __builtin_bswap64(rd8(k));
  } else if (pl >= 4 && t->key_len <= 4) {
    v = __builtin_bswap64(rd4(k)); /* its 4 bytes on top */
  } else {
    for (uint32_t j = 0; j < t->key_len && j < 8; j++)
      v |= (uint64_t)k[j] << (56 - 8 * j);
    return (v & ~(uint64_t)((1 << PACK_BITS) - 1)) | i;
  }
  if (t->key_len < 8)
    v &= t->key_len == 0 ? 0 : ~(~UINT64_C(0) >> (8 * t->key_len));
  return (v & ~(uint64_t)((1 << PACK_BITS) - 1)) | i;
}

/*
 * order[0, n) = the tags in key order, from their packed keys (insertion
 * sort: a line has few tags). Tags alike in their packed prefix are put in
 * order by core_series_tags_sort (rare: keys alike in their first 7 bytes).
 */
static void order_tags(const struct core_statsd_tag *tags, uint32_t n,
                       int in_place, uint8_t *order) {
  uint64_t packed[CORE_STATSD_TAGS_MAX];
  uint16_t o16[CORE_STATSD_TAGS_MAX];

  for (uint32_t i = 0; i < n; i++) {
    uint64_t v = key_packed(&tags[i], in_place ? piece_len(&tags[i]) : 0, i);
    uint32_t j = i;

    for (; j > 0 && packed[j - 1] > v; j--)
      packed[j] = packed[j - 1];
    packed[j] = v;
  }
  for (uint32_t i = 0; i < n; i++) {
    if (i > 0 && (packed[i] ^ packed[i - 1]) >> PACK_BITS == 0)
      goto ties;
    order[i] = (uint8_t)(packed[i] & ((1 << PACK_BITS) - 1));
  }
  return;
ties:
  core_series_tags_sort(tags, n, o16, 0);
  for (uint32_t i = 0; i < n; i++)
    order[i] = (uint8_t)o16[i];
}

void core_series_line_init(struct core_series_line *l, const char *name,
                           size_t name_len,
                           const struct core_statsd_tag *tags, uint32_t n) {
  uint64_t sum = 0;
  size_t len = name_len;
  uint32_t in_place = 1;

  ASSERT(n <= CORE_STATSD_TAGS_MAX);
  for (uint32_t i = 0; i < n; i++) {
    const struct core_statsd_tag *t = &tags[i];
    size_t pl = piece_len(t);
    int here = piece_in_place(t);

    len += 1 + pl;
    l->piece_len[i] = (uint16_t)pl; /* used only when len fits the bound */
    in_place &= (uint32_t)here;
    sum += here ? piece_hash(t->key, pl) : piece_hash_apart(t);
  }
  l->key_len = len;
  l->in_place = in_place;
  l->hash = key_hash(piece_hash(name, name_len), sum, n);
}

/* A line's name and tags, for a compare in place. */
struct line_key {
  const char *name;
  size_t name_len;
  const struct core_statsd_tag *tags;
  uint32_t n;
  const struct core_series_line *l;
  const uint8_t *order; /* tags[order[j]] is piece j; NULL: the trailer's */
};

/* a[0, n) == b[0, n), inline: pieces are short, a libc call is not. */
static inline int same_short(const char *a, const char *b, size_t n) {
  const unsigned char *x = (const unsigned char *)a;
  const unsigned char *y = (const unsigned char *)b;

  if (n >= 8) {
    for (size_t i = 0; i + 8 < n; i += 8)
      if (rd8(x + i) != rd8(y + i))
        return 0;
    return rd8(x + n - 8) == rd8(y + n - 8);
  }
  if (n >= 4)
    return rd4(x) == rd4(y) && rd4(x + n - 4) == rd4(y + n - 4);
  return n == 0 || (x[0] == y[0] && x[n >> 1] == y[n >> 1] &&
                    x[n - 1] == y[n - 1]);
}

/* 1 when the pieces of k from p on are the line's tags in `order`. */
static inline int same_pieces(const struct line_key *lk, const char *k,
                              size_t p, const uint8_t *order) {
  for (uint32_t j = 0; j < lk->n; j++) {
    uint32_t t = order[j];
    size_t pl;

    if (t >= lk->n)
      return 0;
    pl = lk->l->piece_len[t];
    /* p + 1 + pl <= key_len: the line's pieces add up to key_len */
    if (k[p] != '\0' || !same_short(k + p + 1, lk->tags[t].key, pl))
      return 0;
    p += 1 + pl;
  }
  return 1;
}

/*
 * 1 when a plain stored key is the line's canonical key: the name, then
 * piece j is the line's tag order[j] for every j. A plain key is
 * canonical, so that is exact: its pieces are sorted, so if they are the
 * line's tags they are the line's tags sorted. Without lk->order, the
 * orders are the trailer's: the last two the tags came in, which is how
 * one or two senders send them every time, so no sort is needed to find
 * a known series. The trailer is checked, not trusted: its count must be
 * the line's, each index in range (a repeat only fails the compare).
 */
static inline __attribute__((always_inline)) int
same_tags(const struct core_series *s, const struct core_series_entry *e,
          const void *ctx) {
  const struct line_key *lk = ctx;
  const char *k = s->arena + e->key_off;
  const uint8_t *last = (const uint8_t *)k + e->key_len + 1;
  size_t p = lk->name_len;

  if (e->key_len != lk->l->key_len || !e->plain ||
      !same_short(k, lk->name, p))
    return 0;
  if (lk->order != NULL)
    return same_pieces(lk, k, p, lk->order);
  return last[-1] == lk->n && (same_pieces(lk, k, p, last) ||
                               same_pieces(lk, k, p, last + lk->n));
}

int core_series_upsert_line(struct core_series *s, const char *name,
                            size_t name_len,
                            const struct core_statsd_tag *tags, uint32_t n,
                            const struct core_series_line *l, uint8_t type,
                            char *scratch, struct core_series_entry **out) {
  uint8_t order[CORE_STATSD_TAGS_MAX];
  uint16_t o16[CORE_STATSD_TAGS_MAX];
  struct line_key lk = {name, name_len, tags, n, l, NULL};
  uint64_t i;
  struct core_series_entry *e;
  size_t len;

  ASSERT(l->hash != 0);
  ASSERT(l->key_len <= CORE_SERIES_KEY_BYTES_MAX &&
         n <= CORE_STATSD_TAGS_MAX);
  _Static_assert(CORE_STATSD_TAGS_MAX <= 255, "a trailer's count is a byte");
  _Static_assert(CORE_SERIES_KEY_BYTES_MAX <= UINT16_MAX, "piece_len fits");
  if (l->in_place && (e = probe(s, l->hash, &i, same_tags, &lk)) != NULL)
    goto found;
  /* Tags in another order than last time, a new series, or one whose key
   * is not plain: in key order, compared in place, then byte by byte. */
  order_tags(tags, n, (int)l->in_place, order);
  lk.order = order;
  if (l->in_place && (e = probe(s, l->hash, &i, same_tags, &lk)) != NULL) {
    /* the newest order first, the one before it second */
    char *last = s->arena + e->key_off + e->key_len + 1;
    memmove(last + n, last, n);
    memcpy(last, order, n);
    goto found;
  }
  for (uint32_t j = 0; j < n; j++)
    o16[j] = order[j];
  len = core_series_key_ordered(name, name_len, tags, o16, n, scratch,
                                CORE_SERIES_KEY_BYTES_MAX);
  ASSERT(len == l->key_len);
  return upsert_key(s, scratch, len, l->hash, type, order, n, out);
found:
  *out = e;
  return 0;
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
