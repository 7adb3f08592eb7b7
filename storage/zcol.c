/*
 * storage/zcol.c - string table and raw DEFLATE stream of text-heavy block
 * kinds (see storage/zcol.h).
 */
#include "storage/zcol.h"

#include <errno.h>
#include <isa-l/igzip_lib.h>
#include <stdlib.h>
#include <string.h>

#include "core/base/assert.h"
#include "storage/encode.h"

/* ---- string table --------------------------------------------------------- */

int stor_ztab_init(struct stor_ztab *t, uint32_t max, uint32_t str_max) {
  memset(t, 0, sizeof(*t));
  if (max == 0 || max > (1u << 24))
    return -EINVAL;
  t->max = max;
  t->str_max = str_max;
  t->slots_n = 1;
  while (t->slots_n < 2 * max)
    t->slots_n *= 2;
  t->slots = calloc(t->slots_n, sizeof(*t->slots));
  t->str = malloc(max * sizeof(*t->str));
  if (!t->slots || !t->str) {
    stor_ztab_free(t);
    return -ENOMEM;
  }
  t->gen = 1;
  return 0;
}

void stor_ztab_free(struct stor_ztab *t) {
  free(t->slots);
  free(t->str);
  memset(t, 0, sizeof(*t));
}

void stor_ztab_reset(struct stor_ztab *t) {
  if (++t->gen == 0) {
    memset(t->slots, 0, t->slots_n * sizeof(*t->slots));
    t->gen = 1;
  }
  t->count = 0;
}

/* A multiply-xorshift hash 8 bytes at a time: trace and span ids (16
 * and 8 bytes) are hashed for every span, so byte-wise FNV showed in
 * profiles of `sluice import --otlp traces`. The last 1..7 bytes are read
 * as two overlapping words (or first, middle and last byte), not by a
 * memcpy of variable length, which showed in profiles of log compaction
 * (short strings and templates). Only slots depend on it: a table's
 * entries are in first-use order whatever the hash. */
static uint32_t hash(const char *p, uint32_t n) {
  uint64_t h = 0x9e3779b97f4a7c15u ^ n, w = 0;
  uint32_t lo, hi;

  for (; n >= 8; p += 8, n -= 8) {
    memcpy(&w, p, 8);
    h = (h ^ w) * 0xff51afd7ed558ccdu;
    h ^= h >> 32;
  }
  if (n >= 4) {
    memcpy(&lo, p, 4);
    memcpy(&hi, p + n - 4, 4);
    w = (uint64_t)hi << 32 | lo;
  } else if (n > 0) {
    w = (uint64_t)(uint8_t)p[0] << 16 | (uint64_t)(uint8_t)p[n / 2] << 8 |
        (uint8_t)p[n - 1];
  } else {
    w = 0;
  }
  h = (h ^ w) * 0xc4ceb9fe1a85ec53u;
  return (uint32_t)(h ^ (h >> 29));
}

/* The slot holding s, or the empty slot where it would go. */
static uint32_t slot_of(const struct stor_ztab *t, struct stor_zstr s) {
  uint32_t mask = t->slots_n - 1, h;

  for (h = hash(s.ptr, s.len) & mask; t->slots[h].gen == t->gen;
       h = (h + 1) & mask) {
    const struct stor_zstr *d = &t->str[t->slots[h].idx];
    if (d->len == s.len && memcmp(d->ptr, s.ptr, s.len) == 0)
      break;
  }
  return h;
}

long stor_ztab_lookup(const struct stor_ztab *t, struct stor_zstr s) {
  uint32_t h;

  if (s.len == 0 || s.len > t->str_max)
    return -1;
  h = slot_of(t, s);
  return t->slots[h].gen == t->gen ? (long)t->slots[h].idx : -1;
}

long stor_ztab_find(struct stor_ztab *t, struct stor_zstr s) {
  uint32_t h;

  if (s.len == 0 || s.len > t->str_max)
    return -1;
  h = slot_of(t, s);
  if (t->slots[h].gen == t->gen)
    return t->slots[h].idx;
  if (t->count == t->max)
    return -1;
  t->slots[h] = (struct stor_zslot){.gen = t->gen, .idx = t->count};
  t->str[t->count] = s;
  return t->count++;
}

void stor_ztab_truncate(struct stor_ztab *t, uint32_t n) {
  ASSERT(n <= t->count);
  while (t->count > n) {
    uint32_t h = slot_of(t, t->str[--t->count]);
    ASSERT(t->slots[h].gen == t->gen && t->slots[h].idx == t->count);
    t->slots[h].gen = 0; /* never a live generation (they start at 1) */
  }
}

size_t stor_ztab_bytes(const struct stor_ztab *t) {
  size_t n = 0;

  for (uint32_t i = 0; i < t->count; i++)
    n += stor_varint_len(t->str[i].len) + t->str[i].len;
  return n;
}

size_t stor_ztab_put(const struct stor_ztab *t, uint8_t *p) {
  size_t n = 0;

  for (uint32_t i = 0; i < t->count; i++) {
    n += stor_varint_put(p + n, t->str[i].len);
    memcpy(p + n, t->str[i].ptr, t->str[i].len);
    n += t->str[i].len;
  }
  return n;
}

int stor_ztab_read(const uint8_t *p, size_t len, uint32_t n, uint32_t str_max,
                   struct stor_zstr *out) {
  const uint8_t *end = p + len;

  for (uint32_t i = 0; i < n; i++) {
    uint64_t k;
    if (stor_varint_get(&p, end, &k) < 0 || k == 0 || k > str_max ||
        k > (uint64_t)(end - p))
      return -EBADMSG;
    out[i] = (struct stor_zstr){(const char *)p, (uint32_t)k};
    p += k;
  }
  return p == end ? 0 : -EBADMSG;
}

/* ---- deflate / inflate ------------------------------------------------------ */

int stor_zdeflate_init(struct stor_zdeflate *z) {
  memset(z, 0, sizeof(*z));
  z->level_buf_bytes = ISAL_DEF_LVL1_DEFAULT;
  z->zs = malloc(sizeof(*z->zs));
  z->level_buf = malloc(z->level_buf_bytes);
  if (!z->zs || !z->level_buf) {
    stor_zdeflate_free(z);
    return -ENOMEM;
  }
  return 0;
}

void stor_zdeflate_free(struct stor_zdeflate *z) {
  free(z->zs);
  free(z->level_buf);
  memset(z, 0, sizeof(*z));
}

long stor_zdeflate(struct stor_zdeflate *z, const uint8_t *in, size_t n,
                   uint8_t *out, size_t cap) {
  struct isal_zstream *s = z->zs;
  int rc;

  ASSERT(n <= UINT32_MAX);
  isal_deflate_stateless_init(s);
  s->level = 1;
  s->level_buf = z->level_buf;
  s->level_buf_size = (uint32_t)z->level_buf_bytes;
  s->end_of_stream = 1;
  s->flush = NO_FLUSH;
  s->next_in = (uint8_t *)in;
  s->avail_in = (uint32_t)n;
  s->next_out = out;
  s->avail_out = cap > UINT32_MAX ? UINT32_MAX : (uint32_t)cap;
  rc = isal_deflate_stateless(s);
  if (rc == STATELESS_OVERFLOW)
    return -ENOSPC;
  ASSERT(rc == COMP_OK);
  return (long)s->total_out;
}

struct inflate_state *stor_zinflate_new(void) {
  return malloc(sizeof(struct inflate_state));
}

int stor_zinflate(struct inflate_state *s, const uint8_t *z, uint32_t zn,
                  uint8_t *out, uint32_t un) {
  isal_inflate_init(s);
  s->crc_flag = ISAL_DEFLATE;
  s->next_in = (uint8_t *)z;
  s->avail_in = zn;
  s->next_out = out;
  s->avail_out = un;
  if (isal_inflate_stateless(s) != ISAL_DECOMP_OK || s->total_out != un ||
      s->avail_in != 0)
    return -EBADMSG;
  return 0;
}
