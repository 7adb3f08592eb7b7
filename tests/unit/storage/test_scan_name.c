/*
 * tests/unit/storage/test_scan_name.c - the metric-name hint of a scan
 * (stor_scan.name): a compacted segment offers only the keys of that
 * name, found by binary search in its sorted dictionary (the name alone,
 * or the name then a NUL and tags; not a longer name with the same
 * prefix); an original segment still offers every key; no hint, every
 * key.
 */
#include <criterion/criterion.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "storage/block.h"
#include "storage/compact.h"
#include "storage/scan.h"

#include "segment_test_util.h"

/* Keys in no particular order; NUL separates name and tags. */
static const struct {
  const char *key;
  uint32_t len;
} keys[] = {
    {"web", 3},           {"web\0env:a", 9},     {"web\0env:b", 9},
    {"web.req", 7},       {"web.req\0env:a", 13}, {"we", 2},
    {"wea\0x", 5},        {"webx\0env:a", 10},   {"a", 1},
    {"zzz\0k:v", 7},      {"web\0\xff", 5},      {"web!", 4},
};
#define NKEYS (sizeof(keys) / sizeof(keys[0]))

/* One block: a point of every key (id k, at t0 + k), dictionary included. */
static void write_block(uint64_t seg, int64_t t0) {
  static uint32_t ids[NKEYS];
  static int64_t ts[NKEYS];
  static double val[NKEYS];
  struct stor_dict_entry d[NKEYS];
  struct stor_encoder e;
  size_t cap = stor_block_bytes_max(NKEYS, NKEYS, 512);
  uint8_t *out = malloc(cap);
  long len;

  for (uint32_t k = 0; k < NKEYS; k++) {
    ids[k] = k;
    ts[k] = t0 + k;
    val[k] = k;
    d[k] = (struct stor_dict_entry){.id = k, .type = 1, .key = keys[k].key,
                                    .key_len = keys[k].len};
  }
  struct stor_block_in in = {.shard = 0, .seq = seg, .count = NKEYS,
                             .series_id = ids, .ts_ms = ts, .value = val,
                             .dict_count = NKEYS, .dict = d};
  cr_assert_eq(stor_encoder_init(&e, NKEYS), 0);
  len = stor_block_encode(&e, &in, out, cap);
  cr_assert_gt(len, 0);
  seg_append_bytes(0, seg, out, (size_t)len);
  stor_encoder_free(&e);
  free(out);
}

static void compact_dir(void) {
  struct stor_compact_stats st = {0};
  char path[128];
  int fd;

  snprintf(path, sizeof(path), "%s/shard-0", seg_dir);
  fd = open(path, O_RDONLY | O_DIRECTORY);
  cr_assert_geq(fd, 0);
  cr_assert_eq(stor_compact_dir(fd, path, 0, &st, NULL), 0);
  close(fd);
  cr_assert_gt(st.passes, 0);
}

/* Bit k set: key k was offered to q->series. */
static int offered(void *ctx, const struct stor_dict_entry *e, uint32_t *h) {
  for (uint32_t k = 0; k < NKEYS; k++)
    if (e->key_len == keys[k].len &&
        memcmp(e->key, keys[k].key, e->key_len) == 0)
      *(uint32_t *)ctx |= 1u << k;
  *h = 0;
  return 1;
}

static int points(void *ctx, uint32_t h, const int64_t *ts, const double *v,
                  uint32_t n) {
  (void)ctx, (void)h, (void)ts, (void)v, (void)n;
  return 0;
}

static uint32_t scan_mask(const char *name, size_t len, int with_points) {
  uint32_t mask = 0;
  struct stor_scan_stats st = {0};
  struct stor_scan q = {.data_dir = seg_dir, .start_ms = INT64_MIN,
                        .end_ms = INT64_MAX, .series = offered,
                        .points = with_points ? points : NULL, .ctx = &mask,
                        .name = name, .name_len = len};

  cr_assert_eq(stor_scan_run(&q, &st), 0);
  return mask;
}

/* The keys of metric name (the name, or the name then a NUL). */
static uint32_t want_mask(const char *name, size_t len) {
  uint32_t mask = 0;

  for (uint32_t k = 0; k < NKEYS; k++)
    if (keys[k].len >= len && memcmp(keys[k].key, name, len) == 0 &&
        (keys[k].len == len || keys[k].key[len] == '\0'))
      mask |= 1u << k;
  return mask;
}

static const char *const names[] = {"web", "web.req", "we", "wea", "a",
                                    "zzz", "webx", "nothing", "zzzz", "0"};

Test(scan_name, compacted_offers_the_name_range) {
  seg_dir_make();
  write_block(1, 1700000000000);
  compact_dir();
  cr_assert_eq(scan_mask(NULL, 0, 1), (1u << NKEYS) - 1);
  cr_assert_eq(scan_mask("web", 0, 1), (1u << NKEYS) - 1, "empty: no hint");
  for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
    for (int p = 0; p < 2; p++) {
      uint32_t got = scan_mask(names[i], strlen(names[i]), p);
      cr_assert_eq(got, want_mask(names[i], strlen(names[i])),
                   "%s (points %d): %#x", names[i], p, got);
    }
  cr_assert_eq(want_mask("web", 3), 0x407, "the test's own expectation");
  seg_dir_remove();
}

Test(scan_name, original_segments_offer_every_key) {
  seg_dir_make();
  write_block(1, 1700000000000);
  for (int p = 0; p < 2; p++)
    cr_assert_eq(scan_mask("web", 3, p), (1u << NKEYS) - 1);
  seg_dir_remove();
}
