/*
 * core/ingest/otlpmap_cache.c - the OTLP series id cache (see
 * otlpmap_cache.h): 2-way set-associative, entries of fixed size mapped
 * at start-up, every hit checked byte for byte.
 */
#include "core/ingest/otlpmap_cache.h"

#include <errno.h>
#include <string.h>
#include <sys/mman.h>

#include "core/ingest/series.h"

#define ENTS (CORE_OTLP_SID_CACHE_SETS * CORE_OTLP_SID_CACHE_WAYS)

int core_otlp_sid_init(struct core_otlp_sid_cache *c) {
  void *p = mmap(NULL, ENTS * sizeof(*c->ents), PROT_READ | PROT_WRITE,
                 MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);

  if (p == MAP_FAILED)
    return -ENOMEM;
  c->ents = p;
  return 0;
}

void core_otlp_sid_free(struct core_otlp_sid_cache *c) {
  if (c->ents != NULL)
    munmap(c->ents, ENTS * sizeof(*c->ents));
  c->ents = NULL;
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

static uint64_t key_hash(const struct core_otlp_sid_key *k) {
  uint64_t h = k->attrs.len ? core_series_hash(k->attrs.ptr, k->attrs.len)
                            : 0x5bd1e995u;

  h ^= (k->name_hash ? k->name_hash
                     : core_series_hash(k->name.ptr, k->name.len)) *
       0x9e3779b97f4a7c15u;
  h ^= (k->rgen * 0xc2b2ae3d27d4eb4fu) ^ k->type;
  return h != 0 ? h : 1; /* 0 marks an empty entry */
}

static int equal(const struct core_otlp_sid_ent *e,
                 const struct core_otlp_sid_key *k) {
  return e->hash == k->hash && e->rgen == k->rgen && e->type == k->type &&
         e->name_len == k->name.len && e->attr_len == k->attrs.len &&
         memcmp(e->ident, k->name.ptr, k->name.len) == 0 &&
         (k->attrs.len == 0 ||
          memcmp(e->ident + k->name.len, k->attrs.ptr, k->attrs.len) == 0);
}

uint32_t core_otlp_sid_lookup(struct core_otlp_sid_cache *c,
                              struct core_otlp_sid_key *k) {
  uint32_t set;
  struct core_otlp_sid_ent *e;

  k->hash = key_hash(k);
  if (k->rgen == 0)
    return UINT32_MAX;
  set = (uint32_t)k->hash & (CORE_OTLP_SID_CACHE_SETS - 1);
  e = &c->ents[set * CORE_OTLP_SID_CACHE_WAYS];
  for (uint32_t w = 0; w < CORE_OTLP_SID_CACHE_WAYS; w++)
    if (equal(&e[w], k)) {
      c->mru[set] = (uint8_t)w;
      c->hits++;
      return e[w].id;
    }
  c->misses++;
  return UINT32_MAX;
}

void core_otlp_sid_insert(struct core_otlp_sid_cache *c,
                          const struct core_otlp_sid_key *k, uint32_t id) {
  uint32_t set = (uint32_t)k->hash & (CORE_OTLP_SID_CACHE_SETS - 1), w;
  struct core_otlp_sid_ent *e = &c->ents[set * CORE_OTLP_SID_CACHE_WAYS];

  _Static_assert(CORE_OTLP_SID_CACHE_WAYS == 2, "mru names one of two ways");
  if (k->rgen == 0 || k->name.len > CORE_OTLP_SID_IDENT_BYTES_MAX ||
      k->attrs.len > CORE_OTLP_SID_IDENT_BYTES_MAX - k->name.len)
    return;
  w = e[0].hash == 0 ? 0 : e[1].hash == 0 ? 1 : c->mru[set] ^ 1u;
  e += w;
  e->hash = k->hash;
  e->rgen = k->rgen;
  e->id = id;
  e->type = k->type;
  e->name_len = (uint16_t)k->name.len;
  e->attr_len = (uint16_t)k->attrs.len;
  memcpy(e->ident, k->name.ptr, k->name.len);
  if (k->attrs.len)
    memcpy(e->ident + k->name.len, k->attrs.ptr, k->attrs.len);
  c->mru[set] = (uint8_t)w;
}
