/*
 * tests/unit/core/ingest/test_series.c - canonical keys, hash, dictionary bounds.
 */
#include <criterion/criterion.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/ingest/series.h"

/* A metric named name with tags given as "k:v" or bare "k" strings. */
static void make_msg(struct core_statsd_msg *m, const char *name,
                     const char *const *tags, uint32_t n) {
  memset(m, 0, sizeof(*m));
  m->name = name;
  m->name_len = (uint32_t)strlen(name);
  m->tag_count = n;
  for (uint32_t i = 0; i < n; i++) {
    const char *colon = strchr(tags[i], ':');
    struct core_statsd_tag *t = &m->tags[i];
    t->key = tags[i];
    t->key_len = (uint32_t)(colon ? colon - tags[i] : (long)strlen(tags[i]));
    if (colon) {
      t->val = colon + 1;
      t->val_len = (uint32_t)strlen(colon + 1);
    }
  }
}

static size_t key_for(char *buf, size_t cap, const char *name,
                      const char *const *tags, uint32_t n) {
  static struct core_statsd_msg m;

  make_msg(&m, name, tags, n);
  return core_series_key(&m, buf, cap);
}

#define EXPECT_KEY(got_len, buf, lit)                                      \
  do {                                                                     \
    cr_assert_eq(got_len, sizeof(lit) - 1, "length %zu, want %zu",         \
                 (size_t)(got_len), sizeof(lit) - 1);                      \
    cr_assert(memcmp(buf, lit, sizeof(lit) - 1) == 0);                     \
  } while (0)

Test(series_key, name_only) {
  char buf[64];
  size_t n = key_for(buf, sizeof(buf), "cpu.user", NULL, 0);

  EXPECT_KEY(n, buf, "cpu.user");
}

Test(series_key, tag_order_does_not_matter) {
  const char *t1[] = {"b:1", "a:2", "c:0"};
  const char *t2[] = {"c:0", "a:2", "b:1"};
  char k1[64], k2[64];
  size_t n1 = key_for(k1, sizeof(k1), "m", t1, 3);
  size_t n2 = key_for(k2, sizeof(k2), "m", t2, 3);

  EXPECT_KEY(n1, k1, "m\0a:2\0b:1\0c:0");
  EXPECT_KEY(n2, k2, "m\0a:2\0b:1\0c:0");
}

Test(series_key, equal_keys_sort_by_value_and_duplicates_stay) {
  const char *t[] = {"a:2", "a:1", "a:2", "a:10"};
  char k[64];
  size_t n = key_for(k, sizeof(k), "m", t, 4);

  EXPECT_KEY(n, k, "m\0a:1\0a:10\0a:2\0a:2");
}

Test(series_key, bare_tags_have_no_colon) {
  const char *t[] = {"env", "a:1", "zone"};
  char k[64];
  size_t n = key_for(k, sizeof(k), "m", t, 3);

  EXPECT_KEY(n, k, "m\0a:1\0env\0zone");
}

Test(series_key, bare_and_empty_value_are_distinct_and_ordered) {
  const char *t1[] = {"k:", "k"};
  const char *t2[] = {"k", "k:"};
  char k1[64], k2[64];
  size_t n1 = key_for(k1, sizeof(k1), "m", t1, 2);
  size_t n2 = key_for(k2, sizeof(k2), "m", t2, 2);

  EXPECT_KEY(n1, k1, "m\0k\0k:");
  EXPECT_KEY(n2, k2, "m\0k\0k:");
}

Test(series_key, shorter_key_sorts_first_and_value_keeps_colons) {
  const char *t[] = {"ab:1", "a:x:y"};
  char k[64];
  size_t n = key_for(k, sizeof(k), "m", t, 2);

  EXPECT_KEY(n, k, "m\0a:x:y\0ab:1");
}

Test(series_key, many_tags_reverse_order) {
  static const char *t[CORE_STATSD_TAGS_MAX];
  static char names[CORE_STATSD_TAGS_MAX][8];
  char k[1024], want[1024];
  size_t wn = 1;

  for (int i = 0; i < CORE_STATSD_TAGS_MAX; i++) {
    snprintf(names[i], sizeof(names[i]), "t%02d:v", CORE_STATSD_TAGS_MAX - 1 - i);
    t[i] = names[i];
  }
  want[0] = 'm';
  for (int i = 0; i < CORE_STATSD_TAGS_MAX; i++) {
    want[wn++] = '\0';
    wn += (size_t)snprintf(want + wn, sizeof(want) - wn, "t%02d:v", i);
  }
  size_t n = key_for(k, sizeof(k), "m", t, CORE_STATSD_TAGS_MAX);
  cr_assert_eq(n, wn);
  cr_assert(memcmp(k, want, wn) == 0);
}

Test(series_key, exactly_cap_fits_and_one_more_does_not) {
  const char *t[] = {"host:a", "env"};
  char k[64];
  /* "m\0env\0host:a" is 12 bytes */
  size_t full = key_for(k, sizeof(k), "m", t, 2);

  cr_assert_eq(full, 12);
  memset(k, 'Z', sizeof(k));
  cr_assert_eq(key_for(k, 12, "m", t, 2), 12);
  EXPECT_KEY(12, k, "m\0env\0host:a");
  cr_assert_eq(k[12], 'Z', "wrote past cap");
  memset(k, 'Z', sizeof(k));
  cr_assert_eq(key_for(k, 11, "m", t, 2), 0);
  cr_assert_eq(k[11], 'Z', "wrote past cap");
  cr_assert_eq(key_for(k, 1, "m", t, 2), 0);
  cr_assert_eq(key_for(k, 0, "m", NULL, 0), 0);
  cr_assert_eq(key_for(k, 1, "m", NULL, 0), 1);
}

/* ---- hash ---------------------------------------------------------------- */

/* "app.latency" '\0' "host:h<i>": a name and one tag. Returns the length. */
static size_t host_key(char *k, size_t cap, uint32_t i) {
  static const char name[] = "app.latency";

  memcpy(k, name, sizeof(name));
  return sizeof(name) +
         (size_t)snprintf(k + sizeof(name), cap - sizeof(name), "host:h%u", i);
}

static int cmp_u64(const void *a, const void *b) {
  uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
  return (x > y) - (x < y);
}

Test(series_hash, never_zero_and_no_collisions_on_many_keys) {
  enum { N = 200000 };
  uint64_t *h = malloc(N * sizeof(*h));
  char key[64];

  cr_assert_not_null(h);
  for (int i = 0; i < N; i++) {
    size_t n = host_key(key, sizeof(key), (uint32_t)i);
    h[i] = core_series_hash(key, n);
    cr_assert_neq(h[i], 0);
  }
  qsort(h, N, sizeof(*h), cmp_u64);
  for (int i = 1; i < N; i++)
    cr_assert_neq(h[i], h[i - 1], "collision at %d", i);
  free(h);
}

Test(series_hash, every_length_and_every_byte_matters) {
  unsigned char buf[80] = {0};
  uint64_t seen[81];

  /* all-zero keys of each length 0..80 hash differently */
  for (size_t len = 0; len <= 80; len++) {
    seen[len] = core_series_hash((const char *)buf, len);
    cr_assert_neq(seen[len], 0);
    for (size_t j = 0; j < len; j++)
      cr_assert_neq(seen[len], seen[j], "len %zu vs %zu", len, j);
  }
  /* flipping any one byte of a 40-byte key changes its hash */
  uint64_t base = core_series_hash((const char *)buf, 40);
  for (size_t i = 0; i < 40; i++) {
    buf[i] ^= 1;
    cr_assert_neq(core_series_hash((const char *)buf, 40), base, "byte %zu", i);
    buf[i] ^= 1;
  }
  cr_assert_eq(core_series_hash((const char *)buf, 40), base, "deterministic");
}

/* ---- dictionary ---------------------------------------------------------- */

static int upsert_str(struct core_series *s, const char *k, uint8_t type,
                      struct core_series_entry **e) {
  size_t n = strlen(k);
  return core_series_upsert(s, k, n, core_series_hash(k, n), type, e);
}

Test(series_dict, init_bounds) {
  struct core_series s;

  cr_assert_eq(core_series_init(&s, 0), -EINVAL);
  cr_assert_eq(core_series_init(&s, CORE_SERIES_MAX_LIMIT + 1), -EINVAL);
  cr_assert_eq(core_series_init(&s, 1), 0);
  cr_assert_geq(s.mask + 1, 2);
  core_series_free(&s);
  /* the largest bound maps (address space only, pages untouched) */
  cr_assert_eq(core_series_init(&s, CORE_SERIES_MAX_LIMIT), 0);
  cr_assert_geq(s.mask_max + 1, 2ull * CORE_SERIES_MAX_LIMIT);
  cr_assert_eq((s.mask_max + 1) & s.mask_max, 0, "a power of two");
  cr_assert_eq(s.mask + 1, CORE_SERIES_SLOTS_MIN, "starts small");
  core_series_free(&s);
  core_series_free(&s); /* zeroed by free: safe again */
}

Test(series_dict, table_is_power_of_two_at_least_twice_max) {
  struct core_series s;
  uint32_t maxes[] = {1, 3, 5, 1000, 1024, 1025};

  for (size_t i = 0; i < sizeof(maxes) / sizeof(maxes[0]); i++) {
    cr_assert_eq(core_series_init(&s, maxes[i]), 0);
    cr_assert_geq(s.mask_max + 1, 2ull * maxes[i]);
    cr_assert_lt(s.mask_max + 1, 4ull * maxes[i] + 2);
    cr_assert_eq((s.mask_max + 1) & s.mask_max, 0);
    cr_assert_leq(s.mask, s.mask_max);
    cr_assert_eq(s.arena_cap, (uint64_t)maxes[i] * CORE_SERIES_KEY_BYTES_AVG);
    core_series_free(&s);
  }
}

Test(series_dict, insert_then_find_with_dense_ids_and_first_type) {
  struct core_series s;
  struct core_series_entry *a, *b, *c;

  cr_assert_eq(core_series_init(&s, 16), 0);
  cr_assert_eq(upsert_str(&s, "a", 1, &a), 1);
  cr_assert_eq(a->id, 0);
  cr_assert_eq(upsert_str(&s, "b", 2, &b), 1);
  cr_assert_eq(b->id, 1);
  cr_assert_eq(upsert_str(&s, "a", 5, &c), 0);
  cr_assert_eq(c->id, 0);
  cr_assert_eq(c->type, 1, "type is the first point's");
  cr_assert_eq(s.count, 2);
  cr_assert_eq(s.hot[c->id].gauge_set, 0);
  cr_assert_eq(s.entries[b->id].type, 2);
  core_series_free(&s);
}

Test(series_dict, equal_hash_keys_are_told_apart) {
  struct core_series s;
  struct core_series_entry *e;

  cr_assert_eq(core_series_init(&s, 8), 0);
  cr_assert_eq(core_series_upsert(&s, "ab", 2, 42, 0, &e), 1);
  cr_assert_eq(core_series_upsert(&s, "ba", 2, 42, 0, &e), 1);
  cr_assert_eq(e->id, 1);
  cr_assert_eq(core_series_upsert(&s, "abc", 3, 42, 0, &e), 1);
  cr_assert_eq(core_series_upsert(&s, "a", 1, 42, 0, &e), 1);
  cr_assert_eq(core_series_upsert(&s, "ba", 2, 42, 0, &e), 0);
  cr_assert_eq(e->id, 1);
  cr_assert_eq(s.count, 4);
  core_series_free(&s);
}

Test(series_dict, probing_wraps_around_the_table_end) {
  struct core_series s;
  struct core_series_entry *e;
  char k[2] = "a";

  cr_assert_eq(core_series_init(&s, 4), 0);
  for (int i = 0; i < 4; i++, k[0]++)
    cr_assert_eq(core_series_upsert(&s, k, 1, s.mask, 0, &e), 1);
  k[0] = 'a';
  for (uint32_t i = 0; i < 4; i++, k[0]++) {
    cr_assert_eq(core_series_upsert(&s, k, 1, s.mask, 0, &e), 0);
    cr_assert_eq(e->id, i);
  }
  core_series_free(&s);
}

Test(series_dict, many_inserts_then_lookups_and_key_of) {
  enum { N = 100000 };
  struct core_series s;
  struct core_series_entry *e;
  char k[64];
  uint32_t len;

  cr_assert_eq(core_series_init(&s, N), 0);
  for (uint32_t i = 0; i < N; i++) {
    size_t n = host_key(k, sizeof(k), i);
    cr_assert_eq(core_series_upsert(&s, k, n, core_series_hash(k, n), 2, &e),
                 1);
    cr_assert_eq(e->id, i);
  }
  for (uint32_t i = N; i-- > 0;) {
    size_t n = host_key(k, sizeof(k), i);
    cr_assert_eq(core_series_upsert(&s, k, n, core_series_hash(k, n), 2, &e),
                 0);
    cr_assert_eq(e->id, i);
    const char *kb = core_series_key_of(&s, i, &len);
    cr_assert_not_null(kb);
    cr_assert_eq(len, n);
    cr_assert(memcmp(kb, k, n) == 0);
  }
  cr_assert_eq(s.count, N);
  core_series_free(&s);
}

Test(series_dict, enospc_at_exactly_max) {
  struct core_series s;
  struct core_series_entry *e;
  char k[16];

  cr_assert_eq(core_series_init(&s, 8), 0);
  for (int i = 0; i < 8; i++) {
    snprintf(k, sizeof(k), "s%d", i);
    cr_assert_eq(upsert_str(&s, k, 0, &e), 1, "series %d", i);
  }
  cr_assert_eq(upsert_str(&s, "s8", 0, &e), -ENOSPC);
  cr_assert_eq(upsert_str(&s, "new", 0, &e), -ENOSPC);
  cr_assert_eq(s.count, 8);
  cr_assert_eq(upsert_str(&s, "s7", 0, &e), 0, "known series still found");
  cr_assert_eq(e->id, 7);
  core_series_free(&s);
}

Test(series_dict, arena_exhaustion_with_long_keys) {
  struct core_series s;
  struct core_series_entry *e;
  static char big[3][300], small[2][100];

  /* 4 series -> 4 * CORE_SERIES_KEY_BYTES_AVG (768) arena bytes */
  cr_assert_eq(core_series_init(&s, 4), 0);
  cr_assert_eq(s.arena_cap, 4 * CORE_SERIES_KEY_BYTES_AVG);
  for (int i = 0; i < 3; i++)
    memset(big[i], 'a' + i, sizeof(big[i]));
  for (int i = 0; i < 2; i++)
    memset(small[i], 'x' + i, sizeof(small[i]));
#define UP(k) core_series_upsert(&s, k, sizeof(k), core_series_hash(k, sizeof(k)), 0, &e)
  cr_assert_eq(UP(big[0]), 1);
  cr_assert_eq(UP(big[1]), 1);
  cr_assert_eq(UP(big[2]), -ENOSPC, "900 bytes > 768");
  cr_assert_eq(UP(small[0]), 1, "700 bytes fit");
  cr_assert_eq(UP(small[1]), -ENOSPC, "800 bytes > 768");
  cr_assert_eq(s.count, 3);
  cr_assert_eq(s.arena_used, 700);
  cr_assert_eq(UP(big[1]), 0);
#undef UP
  core_series_free(&s);
}

Test(series_dict, key_of_unknown_id_is_null) {
  struct core_series s;
  struct core_series_entry *e;
  uint32_t len = 77;

  cr_assert_eq(core_series_init(&s, 4), 0);
  cr_assert_null(core_series_key_of(&s, 0, &len));
  cr_assert_eq(upsert_str(&s, "only", 0, &e), 1);
  cr_assert_not_null(core_series_key_of(&s, 0, &len));
  cr_assert_eq(len, 4);
  cr_assert_null(core_series_key_of(&s, 1, &len));
  cr_assert_null(core_series_key_of(&s, UINT32_MAX, &len));
  core_series_free(&s);
}

Test(series_dict, canonical_keys_from_messages_merge_series) {
  struct core_series s;
  struct core_series_entry *e1, *e2;
  const char *t1[] = {"b:1", "a:2"}, *t2[] = {"a:2", "b:1"};
  char k[128];
  size_t n;

  cr_assert_eq(core_series_init(&s, 4), 0);
  n = key_for(k, sizeof(k), "m", t1, 2);
  cr_assert_eq(core_series_upsert(&s, k, n, core_series_hash(k, n), 0, &e1), 1);
  n = key_for(k, sizeof(k), "m", t2, 2);
  cr_assert_eq(core_series_upsert(&s, k, n, core_series_hash(k, n), 0, &e2), 0);
  cr_assert_eq(e1, e2);
  core_series_free(&s);
}

/* The slot table doubles as series arrive, stays at most half full, and
 * every series inserted before a doubling is found after it. */
Test(series_dict, table_grows_with_the_series_present) {
  enum { N = 5 * CORE_SERIES_SLOTS_MIN };
  struct core_series s;
  struct core_series_entry *e;
  char k[64];

  cr_assert_eq(core_series_init(&s, 1u << 20), 0);
  cr_assert_eq(s.mask + 1, CORE_SERIES_SLOTS_MIN);
  for (uint32_t i = 0; i < N; i++) {
    size_t n = host_key(k, sizeof(k), i);
    cr_assert_eq(core_series_upsert(&s, k, n, core_series_hash(k, n), 2, &e),
                 1);
    cr_assert_leq(2ull * s.count, s.mask + 1, "at most half full");
  }
  cr_assert_eq(s.mask + 1, 4ull * CORE_SERIES_SLOTS_MIN * 4,
               "doubled as needed: %llu slots", (unsigned long long)s.mask + 1);
  for (uint32_t i = 0; i < N; i++) {
    size_t n = host_key(k, sizeof(k), i);
    cr_assert_eq(core_series_upsert(&s, k, n, core_series_hash(k, n), 2, &e),
                 0);
    cr_assert_eq(e->id, i);
  }
  core_series_free(&s);
}

/* --max-series is one budget for the process: once spent, new series are
 * refused on every shard, but a series a shard knows is still found. */
Test(series_dict, budget_is_shared_and_spares_known_series) {
  struct core_series_budget b = {.max = 3};
  struct core_series a, c;
  struct core_series_entry *e;

  cr_assert_eq(core_series_init(&a, 3), 0);
  cr_assert_eq(core_series_init(&c, 3), 0);
  core_series_set_budget(&a, &b);
  core_series_set_budget(&c, &b);
  cr_assert_eq(upsert_str(&a, "x", 0, &e), 1);
  cr_assert_eq(upsert_str(&a, "y", 0, &e), 1);
  cr_assert_eq(upsert_str(&c, "x", 0, &e), 1, "the same key on another shard");
  cr_assert_eq(b.used, 3);
  cr_assert_eq(upsert_str(&c, "z", 0, &e), -ENOSPC);
  cr_assert_eq(upsert_str(&a, "z", 0, &e), -ENOSPC);
  cr_assert_eq(b.used, 3, "a refusal takes nothing");
  cr_assert_eq(upsert_str(&a, "y", 0, &e), 0, "known: found");
  cr_assert_eq(upsert_str(&c, "x", 0, &e), 0, "known: found");
  core_series_free(&a);
  core_series_free(&c);
}

/* ---- lookup without the canonical key (core_series_upsert_line) --------- */

/* Line l of m's tags, checked against the canonical key built into key. */
static void line_of(const struct core_statsd_msg *m, struct core_series_line *l,
                    char *key, size_t *klen) {
  *klen = core_series_key(m, key, CORE_SERIES_KEY_BYTES_MAX);
  core_series_line_init(l, m->name, m->name_len, m->tags, m->tag_count);
  cr_assert_eq(l->key_len, *klen);
  cr_assert_eq(l->hash, core_series_hash(key, *klen), "hash of the key");
}

static int upsert_msg(struct core_series *s, const struct core_statsd_msg *m,
                      const struct core_series_line *l,
                      struct core_series_entry **e) {
  static char scratch[CORE_SERIES_KEY_BYTES_MAX];

  return core_series_upsert_line(s, m->name, m->name_len, m->tags,
                                 m->tag_count, l, 0, scratch, e);
}

Test(series_line, hash_and_length_are_the_keys_in_every_shape) {
  static const char *const sets[][6] = {
      {"a:1", "b:23", "c", "dd:", "eeee:4", "ffffffffff:fffffffff"},
      {"version:1.2.3", "versionX:1", "version", "version:", "v:1", "vv"},
      {"a:1", "a:1", "a:10", "a:2", "a", "a:"},
      {"host:web-0001", "env:prod", "region:eu-west-1", "team:t01", "x:y:z",
       "k12345678:v"},
  };
  static struct core_statsd_msg m;
  struct core_series_line l;
  char key[CORE_SERIES_KEY_BYTES_MAX];
  size_t klen;

  for (size_t s = 0; s < sizeof(sets) / sizeof(sets[0]); s++)
    for (uint32_t n = 0; n <= 6; n++) {
      make_msg(&m, "some.metric.name", sets[s], n);
      line_of(&m, &l, key, &klen);
      cr_assert_eq(l.in_place, 1);
      /* reversed: the same key, the same hash */
      for (uint32_t i = 0; i < n / 2; i++) {
        struct core_statsd_tag t = m.tags[i];
        m.tags[i] = m.tags[n - 1 - i];
        m.tags[n - 1 - i] = t;
      }
      line_of(&m, &l, key, &klen);
    }
  /* a value apart from its key (the pipe's __weight__ once was) */
  make_msg(&m, "t", sets[0], 2);
  m.tags[1].val = "23";
  line_of(&m, &l, key, &klen);
  cr_assert_eq(l.in_place, 0);
}

/* Every one of the 120 orders of five tags (keys of 1 to 9 bytes, a bare
 * one) finds the one series, whose key is the canonical one. */
Test(series_line, every_order_of_five_tags_is_one_series) {
  static const char *const t[5] = {"region:eu", "a:1", "env", "b:23",
                                   "versionss:1"};
  static struct core_statsd_msg m;
  struct core_series s;
  struct core_series_line l;
  struct core_series_entry *e;
  char key[CORE_SERIES_KEY_BYTES_MAX];
  size_t klen;
  uint32_t len, orders = 0;
  int p[5];

  cr_assert_eq(core_series_init(&s, 16), 0);
  for (p[0] = 0; p[0] < 5; p[0]++)
    for (p[1] = 0; p[1] < 5; p[1]++)
      for (p[2] = 0; p[2] < 5; p[2]++)
        for (p[3] = 0; p[3] < 5; p[3]++) {
          const char *tags[5];
          int used = 0;
          p[4] = 10 - p[0] - p[1] - p[2] - p[3];
          for (int i = 0; i < 5; i++)
            used |= p[i] >= 0 && p[i] < 5 ? 1 << p[i] : 64;
          if (used != 31)
            continue;
          for (int i = 0; i < 5; i++)
            tags[i] = t[p[i]];
          make_msg(&m, "m", tags, 5);
          line_of(&m, &l, key, &klen);
          cr_assert_eq(upsert_msg(&s, &m, &l, &e), orders == 0 ? 1 : 0);
          cr_assert_eq(e->id, 0);
          orders++;
        }
  cr_assert_eq(orders, 120);
  cr_assert_eq(s.count, 1);
  const char *k = core_series_key_of(&s, 0, &len);
  EXPECT_KEY(len, k, "m\0a:1\0b:23\0env\0region:eu\0versionss:1");
  core_series_free(&s);
}

/* All hashes equal (a caller's hash is trusted): only the compare in place
 * tells these apart, and it never merges two tag sets, even of one length
 * and the same bytes in other places. */
Test(series_line, colliding_hashes_never_merge) {
  static const char *const sets[][2] = {
      {"a:1", "b:23"}, {"a:12", "b:3"}, {"a:123", "b:"}, {"b:1", "a:23"},
      {"a:1", "a:23"}, {"a:2", "a:13"}, {"ab:1", "b:3"}, {"a", "b:2345"},
  };
  enum { N = sizeof(sets) / sizeof(sets[0]) };
  static struct core_statsd_msg m;
  struct core_series s;
  struct core_series_line l;
  struct core_series_entry *e;
  char key[CORE_SERIES_KEY_BYTES_MAX];
  size_t klen;

  cr_assert_eq(core_series_init(&s, 64), 0);
  /* a key given whole (not plain) among them, by the same hash */
  cr_assert_eq(core_series_upsert(&s, "m\0a:9\0b:99", 10, 42, 0, &e), 1);
  for (int round = 0; round < 2; round++)
    for (uint32_t i = 0; i < N; i++) {
      const char *rev[2] = {sets[i][1], sets[i][0]};
      make_msg(&m, "m", round ? rev : sets[i], 2);
      line_of(&m, &l, key, &klen);
      cr_assert_eq(klen, 10);
      l.hash = 42;
      cr_assert_eq(upsert_msg(&s, &m, &l, &e), round == 0 ? 1 : 0, "set %u",
                   i);
      cr_assert_eq(e->id, i + 1, "set %u round %d", i, round);
    }
  {
    const char *t[2] = {"b:99", "a:9"};
    make_msg(&m, "m", t, 2);
    line_of(&m, &l, key, &klen);
    l.hash = 42;
    cr_assert_eq(upsert_msg(&s, &m, &l, &e), 0, "the whole key is found");
    cr_assert_eq(e->id, 0);
  }
  cr_assert_eq(s.count, N + 1);
  core_series_free(&s);
}

/* Keys given whole and lines find each other's series (both hash a key
 * the same way), whichever came first. */
Test(series_line, lines_and_whole_keys_are_one_dictionary) {
  static const char *const t[3] = {"host:a", "env:prod", "zone"};
  static const char *const u[3] = {"zone", "host:b", "env:prod"};
  static struct core_statsd_msg m;
  struct core_series s;
  struct core_series_line l;
  struct core_series_entry *e;
  char key[CORE_SERIES_KEY_BYTES_MAX];
  size_t klen;

  cr_assert_eq(core_series_init(&s, 16), 0);
  make_msg(&m, "cpu", t, 3);
  line_of(&m, &l, key, &klen);
  cr_assert_eq(core_series_upsert(&s, key, klen, core_series_hash(key, klen),
                                  0, &e), 1);
  cr_assert_eq(upsert_msg(&s, &m, &l, &e), 0);
  cr_assert_eq(e->id, 0);
  make_msg(&m, "cpu", u, 3);
  line_of(&m, &l, key, &klen);
  cr_assert_eq(upsert_msg(&s, &m, &l, &e), 1);
  cr_assert_eq(core_series_upsert(&s, key, klen, core_series_hash(key, klen),
                                  0, &e), 0);
  cr_assert_eq(e->id, 1);
  cr_assert_eq(s.count, 2);
  core_series_free(&s);
}
