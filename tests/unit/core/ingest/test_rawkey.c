/*
 * tests/unit/core/ingest/test_rawkey.c - the StatsD raw key cache, alone
 * and in front of the series dictionary in the pipe.
 */
#include <criterion/criterion.h>
#include <stdio.h>
#include <string.h>

#include "core/ingest/head.h"
#include "core/ingest/pipe.h"
#include "core/ingest/rawkey.h"
#include "core/ingest/series.h"

static struct core_rawkey c;

static void setup(void) { cr_assert_eq(core_rawkey_init(&c), 0); }
static void teardown(void) { core_rawkey_free(&c); }

TestSuite(rawkey, .init = setup, .fini = teardown);

static struct core_rawkey_key key(const char *name, const char *tags,
                                  uint64_t wbits) {
  struct core_rawkey_key k;
  core_rawkey_key_init(&k, name, (uint32_t)strlen(name), tags,
                       (uint32_t)strlen(tags), wbits, 0);
  return k;
}

Test(rawkey, hits_and_misses) {
  struct core_rawkey_key a = key("api.latency", "env:prod,host:a", 0);
  struct core_rawkey_key b = key("api.latency", "env:prod,host:b", 0);

  cr_assert_eq(core_rawkey_lookup(&c, &a), CORE_RAWKEY_NONE);
  core_rawkey_insert(&c, &a, 7, 0);
  cr_assert_eq(core_rawkey_lookup(&c, &a), 7);
  cr_assert_eq(core_rawkey_lookup(&c, &b), CORE_RAWKEY_NONE);
  core_rawkey_insert(&c, &b, 9, 0);
  cr_assert_eq(core_rawkey_lookup(&c, &b), 9);
  cr_assert_eq(core_rawkey_lookup(&c, &a), 7);
  cr_assert_eq(c.hits, 3);
  cr_assert_eq(c.misses, 2);
}

Test(rawkey, hash_covers_every_part) {
  struct core_rawkey_key k[] = {
      key("ab", "c", 0), key("a", "bc", 0), key("abc", "", 0),
      key("ab", "c", 1), key("ab", "d", 0), key("", "abc", 0),
      key("ab", "c:1,d:2", 0), key("ab", "d:2,c:1", 0)};
  size_t n = sizeof(k) / sizeof(k[0]);

  for (size_t i = 0; i < n; i++)
    for (size_t j = i + 1; j < n; j++)
      cr_assert_neq(k[i].hash, k[j].hash, "%zu %zu", i, j);
}

/* Every length up to past the bound: the tail loads read only the key
 * (ASan watches), and one byte flipped anywhere changes the hash. */
Test(rawkey, hash_reads_only_its_bytes) {
  char buf[200];
  for (uint32_t n = 0; n <= sizeof(buf); n++) {
    char *p = malloc(n ? n : 1);
    struct core_rawkey_key a, b;
    for (uint32_t i = 0; i < n; i++)
      p[i] = (char)('a' + (i * 7 + n) % 26);
    core_rawkey_key_init(&a, p, n, p, 0, 0, 0);
    for (uint32_t i = 0; i < n; i++) {
      p[i] ^= 0x20;
      core_rawkey_key_init(&b, p, n, p, 0, 0, 0);
      cr_assert_neq(a.hash, b.hash, "n %u byte %u", n, i);
      p[i] ^= 0x20;
    }
    free(p);
  }
}

/* Equal hashes, other bytes: never a hit. */
Test(rawkey, collisions_compare_bytes) {
  struct core_rawkey_key a = key("ab", "c", 0), b = key("a", "bc", 0),
                         w = key("ab", "c", 42), d = key("ab", "d", 0);

  b.hash = w.hash = d.hash = a.hash;
  core_rawkey_insert(&c, &a, 1, 0);
  cr_assert_eq(core_rawkey_lookup(&c, &b), CORE_RAWKEY_NONE);
  cr_assert_eq(core_rawkey_lookup(&c, &w), CORE_RAWKEY_NONE);
  cr_assert_eq(core_rawkey_lookup(&c, &d), CORE_RAWKEY_NONE);
  core_rawkey_insert(&c, &b, 2, 0);
  core_rawkey_insert(&c, &w, 3, 0);
  core_rawkey_insert(&c, &d, 4, 0);
  cr_assert_eq(core_rawkey_lookup(&c, &a), 1);
  cr_assert_eq(core_rawkey_lookup(&c, &b), 2);
  cr_assert_eq(core_rawkey_lookup(&c, &w), 3);
  cr_assert_eq(core_rawkey_lookup(&c, &d), 4);
}

/* Five keys of one set: the hot four stay, the fifth waits for a second
 * miss and then takes the place of one not hit since the set aged. */
Test(rawkey, eviction_keeps_hot_entries) {
  struct core_rawkey_key k[5];
  char name[5][8];
  int found = 0;

  for (int i = 0; i < 5; i++) {
    snprintf(name[i], sizeof(name[i]), "m%d", i);
    k[i] = key(name[i], "a:b", 0);
    k[i].hash = (UINT64_C(3) << 32) | (uint64_t)(i + 1); /* set 3 */
  }
  for (int i = 0; i < 4; i++)
    core_rawkey_insert(&c, &k[i], (uint32_t)i, 0);
  for (int i = 0; i < 4; i++)
    cr_assert_eq(core_rawkey_lookup(&c, &k[i]), (uint32_t)i);
  core_rawkey_insert(&c, &k[4], 4, 0); /* all hit: aged, not inserted */
  cr_assert_eq(core_rawkey_lookup(&c, &k[4]), CORE_RAWKEY_NONE);
  for (int i = 0; i < 4; i++)
    cr_assert_eq(core_rawkey_lookup(&c, &k[i]), (uint32_t)i);
  /* k[0..3] hit again: aged again, then k[4] replaces one (k[1..3] hit
   * once more first, so k[0] is the one) */
  core_rawkey_insert(&c, &k[4], 4, 0);
  for (int i = 1; i < 4; i++)
    cr_assert_eq(core_rawkey_lookup(&c, &k[i]), (uint32_t)i);
  core_rawkey_insert(&c, &k[4], 4, 0);
  cr_assert_eq(core_rawkey_lookup(&c, &k[4]), 4);
  cr_assert_eq(core_rawkey_lookup(&c, &k[0]), CORE_RAWKEY_NONE);
  for (int i = 0; i < 5; i++)
    found += core_rawkey_lookup(&c, &k[i]) != CORE_RAWKEY_NONE;
  cr_assert_eq(found, 4);
}

Test(rawkey, long_keys_and_duplicates_are_not_kept) {
  char big[CORE_RAWKEY_BYTES_MAX + 2];
  struct core_rawkey_key k, fit, a = key("x", "y", 0);

  memset(big, 'n', sizeof(big) - 1);
  big[sizeof(big) - 1] = '\0';
  k = key(big, "", 0);
  core_rawkey_insert(&c, &k, 1, 0);
  cr_assert_eq(core_rawkey_lookup(&c, &k), CORE_RAWKEY_NONE);
  big[CORE_RAWKEY_BYTES_MAX] = '\0';
  fit = key(big, "", 0);
  core_rawkey_insert(&c, &fit, 2, 0);
  cr_assert_eq(core_rawkey_lookup(&c, &fit), 2);
  core_rawkey_insert(&c, &a, 3, 0);
  core_rawkey_insert(&c, &a, 4, 0); /* held already: the first stays */
  cr_assert_eq(core_rawkey_lookup(&c, &a), 3);
}

/* Key idx of every_entry_holds_its_key: CORE_RAWKEY_BYTES_MAX bytes (a
 * slot's every byte), in set idx / WAYS. */
static struct core_rawkey_key full_key(char *buf, uint32_t idx) {
  struct core_rawkey_key k;

  memset(buf, 'k', CORE_RAWKEY_BYTES_MAX);
  snprintf(buf, 16, "%010u", idx);
  buf[10] = '.';
  core_rawkey_key_init(&k, buf, CORE_RAWKEY_BYTES_MAX - 30, buf + 90, 30,
                       idx, 0);
  k.hash = ((uint64_t)(idx / CORE_RAWKEY_WAYS) << 32) |
           (idx % CORE_RAWKEY_WAYS + 1);
  return k;
}

/* Every way of every set keeps its key and id: the entries and the slots
 * share one mapping, and no slot's bytes may run into an entry. */
Test(rawkey, every_entry_holds_its_key) {
  const uint32_t n = CORE_RAWKEY_SETS * CORE_RAWKEY_WAYS;
  char buf[CORE_RAWKEY_BYTES_MAX];

  for (uint32_t i = 0; i < n; i++) {
    struct core_rawkey_key k = full_key(buf, i);
    core_rawkey_insert(&c, &k, i, 0);
  }
  for (uint32_t i = 0; i < n; i++) {
    struct core_rawkey_key k = full_key(buf, i);
    cr_assert_eq(core_rawkey_lookup(&c, &k), i, "entry %u", i);
  }
  cr_assert_eq(c.hits, n);
  cr_assert_eq(c.misses, 0);
}

Test(rawkey, unmapped_cache_holds_nothing) {
  struct core_rawkey z;
  struct core_rawkey_key a = key("x", "y", 0);

  memset(&z, 0, sizeof(z));
  core_rawkey_prefetch(&z, a.hash);
  core_rawkey_insert(&z, &a, 1, 0);
  cr_assert_eq(core_rawkey_lookup(&z, &a), CORE_RAWKEY_NONE);
}

/* ---- in the pipe ------------------------------------------------------- */

static struct core_ingest_stats st;
static struct core_pipe p;

static void pipe_setup(void) {
  memset(&st, 0, sizeof(st));
  cr_assert_eq(core_pipe_init(&p, &st, 1000, 1024, NULL, NULL), 0);
}
static void pipe_teardown(void) { core_pipe_free(&p); }

static void feed(const char *s) {
  core_pipe_statsd_buf(&p, s, strlen(s), 1700000000000);
}

TestSuite(rawkey_pipe, .init = pipe_setup, .fini = pipe_teardown);

/* Tags that differ only in order: two raw keys, one series. */
Test(rawkey_pipe, tag_orders_are_one_series) {
  for (int r = 0; r < 3; r++)
    feed("m:1|c|#a:1,b:2\nm:2|c|#b:2,a:1\n");
  cr_assert_eq(p.series.count, 1);
  cr_assert_eq(p.head.count, 6);
  for (uint32_t i = 0; i < 6; i++)
    cr_assert_eq(p.head.series_id[i], p.head.series_id[0]);
  cr_assert_eq(p.rawkey.misses, 2);
  cr_assert_eq(p.rawkey.hits, 4);
}

/* Hits keep every rule the dictionary applies. */
Test(rawkey_pipe, hits_keep_types_weights_and_rates) {
  feed("t:1|ms|#a\nt:1|ms|#a\n");           /* miss, hit */
  feed("t:1|ms|@0.5|#a\nt:1|ms|@0.5|#a\n"); /* weight 2: another series */
  feed("t:1|ms|@0.25|#a\nt:1|ms|@0.25|#a\n");
  feed("t:1|c|@0.5|#a\n");                  /* a counter: no weight, but
                                               t{a} is a timer */
  feed("t:1|c|@0.5|#a\n");
  cr_assert_eq(p.series.count, 3);
  cr_assert_eq(st.parse_errors_statsd[CORE_STATSD_ERR_TYPE_MISMATCH], 2);
  cr_assert_eq(p.head.count, 6);
  cr_assert_eq(p.head.series_id[0], p.head.series_id[1]);
  cr_assert_eq(p.head.series_id[2], p.head.series_id[3]);
  cr_assert_eq(p.head.series_id[4], p.head.series_id[5]);
  cr_assert_neq(p.head.series_id[0], p.head.series_id[2]);
  cr_assert_neq(p.head.series_id[2], p.head.series_id[4]);
  feed("c:1|c|@0.5|#a\nc:1|c|#a\nc:1|c|@0.5|#a\n");
  cr_assert_eq(p.series.count, 4);
  cr_assert_eq(p.head.value[6], 2.0);
  cr_assert_eq(p.head.value[7], 1.0);
  cr_assert_eq(p.head.value[8], 2.0);
}

/* Bad tags left by the lazy parse get the reason the parser gives. */
Test(rawkey_pipe, bad_tags_keep_their_reasons) {
  feed("m:1|c|#a:1\nm:1|c|#,a\nm:1|c|#\nm:1|c|#:v\nm:1|c|#a\x01\n"
       "m:1|c|#,a|@x\nm:1|c|#a:1\r\nm:1|c|#a:1\r\n");
  cr_assert_eq(st.parse_errors_statsd[CORE_STATSD_ERR_BAD_TAGS], 4);
  cr_assert_eq(st.parse_errors_statsd[CORE_STATSD_ERR_BAD_BYTE], 1);
  cr_assert_eq(p.series.count, 1);
  cr_assert_eq(p.head.count, 3);
}

/* No tag field and an empty one are other raw keys: the second is bad. */
Test(rawkey_pipe, empty_tag_field_is_not_no_tags) {
  feed("m:1|c\nm:1|c\nm:1|c|#\nm:1|c|#\n");
  cr_assert_eq(st.parse_errors_statsd[CORE_STATSD_ERR_BAD_TAGS], 2);
  cr_assert_eq(p.head.count, 2);
}

/* A series over --max-series stays refused: its raw key is never kept. */
Test(rawkey_pipe, refused_series_are_not_cached) {
  core_pipe_free(&p);
  memset(&st, 0, sizeof(st));
  cr_assert_eq(core_pipe_init(&p, &st, 1, 1024, NULL, NULL), 0);
  feed("a:1|c|#x\nb:1|c|#x\nb:1|c|#x\na:1|c|#x\n");
  cr_assert_eq(p.series.count, 1);
  cr_assert_eq(st.series_rejected, 2);
  cr_assert_eq(p.head.count, 2);
}

/* Feed each line of s alone: a window probes all its lines before it
 * inserts, so a repeat hits only in a later window. */
static void feed_lines(const char *s) {
  for (const char *e; (e = strchr(s, '\n')) != NULL; s = e + 1)
    core_pipe_statsd_buf(&p, s, (size_t)(e - s), 1700000000000);
}

/* A hit takes its type from the entry: a line of another type with the
 * same bytes never hits the cached series, and is rejected each time. */
Test(rawkey_pipe, other_types_never_hit) {
  feed_lines("x:1|c|#a:b\nx:1|g|#a:b\nx:1|g|#a:b\nx:2|c|#a:b\n");
  cr_assert_eq(st.parse_errors_statsd[CORE_STATSD_ERR_TYPE_MISMATCH], 2);
  cr_assert_eq(p.head.count, 2);
  cr_assert_eq(p.rawkey.hits, 1); /* x:2|c only */
  feed_lines("y:1|g|#a:b\ny:1|c|#a:b\ny:1|c|#a:b\ny:+2|g|#a:b\n");
  cr_assert_eq(st.parse_errors_statsd[CORE_STATSD_ERR_TYPE_MISMATCH], 4);
  cr_assert_eq(p.rawkey.hits, 2);
  cr_assert_eq(p.head.count, 4);
  cr_assert_eq(p.head.value[3], 3.0); /* a gauge hit reads its last value */
}

/* A series counts its key bytes once a block whether its lines hit the
 * cache or not, and again in the next block however it was sealed (here
 * from outside the pipe, as the shard's age bound does). */
Test(rawkey_pipe, key_bytes_counted_once_a_block) {
  uint32_t len_a, len_b;

  feed_lines("a:1|c|#k:v\nb:1|ms|#k:v\na:1|c|#k:v\nb:1|ms|#k:v\n");
  cr_assert_not_null(core_series_key_of(&p.series, 0, &len_a));
  cr_assert_not_null(core_series_key_of(&p.series, 1, &len_b));
  cr_assert_eq(p.rawkey.hits, 2);
  cr_assert_eq(p.head.key_bytes, len_a + len_b);
  core_head_seal(&p.head);
  cr_assert_eq(p.head.key_bytes, 0);
  feed_lines("b:1|ms|#k:v\nb:1|ms|#k:v\n");
  cr_assert_eq(p.rawkey.hits, 4);
  cr_assert_eq(p.head.key_bytes, len_b);
  feed_lines("a:1|c|#k:v\n");
  cr_assert_eq(p.head.key_bytes, len_a + len_b);
  core_head_seal(&p.head);
  feed_lines("a:1|c|#k:v\na:1|c\n"); /* and a series without tags */
  cr_assert_eq(p.rawkey.hits, 6);
  cr_assert_not_null(core_series_key_of(&p.series, 2, &len_b));
  cr_assert_eq(p.head.key_bytes, len_a + len_b);
}
