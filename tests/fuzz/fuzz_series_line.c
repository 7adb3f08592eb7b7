/*
 * tests/fuzz/fuzz_series_line.c - libFuzzer target for the series lookup
 * without a canonical key (core_series_line_init, core_series_upsert_line).
 *
 * Every line the StatsD parser accepts goes into three dictionaries: A by
 * its canonical key (core_series_key + core_series_upsert, the reference),
 * B by its tags with every hash squeezed into 4 values, so that all series
 * collide and only the compare in place tells them apart (one line in five
 * goes in by key instead, mixing entries that are not plain), and C by its
 * tags with the real hash. Checks: the hash and key length from the tags
 * are the key's; B and C give A's answer (inserted or found, same id); the
 * stored key is the canonical key; the same tags reversed, and with one
 * value moved out of its line (not in place), find the same series.
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/ingest/series.h"
#include "core/parse/statsd.h"

#define CHECK(cond)                                                        \
  do {                                                                     \
    if (!(cond)) {                                                         \
      fprintf(stderr, "fuzz_series_line: %s (line %d)\n", #cond, __LINE__); \
      abort();                                                             \
    }                                                                      \
  } while (0)

enum { SERIES = 512 };

static struct core_statsd_msg msg;
static struct core_series a, b, c;
static char key[CORE_SERIES_KEY_BYTES_MAX], scratch[CORE_SERIES_KEY_BYTES_MAX];
static char moved[CORE_LINE_BYTES_MAX_LIMIT];

/* B's hash: 4 values, never 0. */
static uint64_t squeeze(uint64_t h) { return (h & 3) + 1; }

/* Look up tags (n of them) in B and C; the answers must be (rc, id). */
static int check_tags(const struct core_statsd_tag *tags, int rc, uint32_t id,
                      int through_key) {
  struct core_series_line l;
  struct core_series_entry *e;
  int r;

  core_series_line_init(&l, msg.name, msg.name_len, tags, msg.tag_count);
  CHECK(l.hash == core_series_hash(key, l.key_len));
  r = core_series_upsert_line(&c, msg.name, msg.name_len, tags, msg.tag_count,
                              &l, 0, scratch, &e);
  if (r == -ENOSPC)
    return -1; /* C's arena holds trailers too: it fills first */
  CHECK(r == rc && e->id == id);
  l.hash = squeeze(l.hash);
  if (through_key)
    r = core_series_upsert(&b, key, l.key_len, l.hash, 0, &e);
  else
    r = core_series_upsert_line(&b, msg.name, msg.name_len, tags,
                                msg.tag_count, &l, 0, scratch, &e);
  if (r == -ENOSPC)
    return -1;
  CHECK(r == rc && e->id == id);
  return 0;
}

/* One parsed metric. Returns -1 when a dictionary is full. */
static int one(uint32_t nth) {
  struct core_statsd_tag rev[CORE_STATSD_TAGS_MAX];
  struct core_series_entry *e;
  size_t klen = core_series_key(&msg, key, sizeof(key));
  uint32_t len, n = msg.tag_count, id;
  const char *k;
  int rc;

  if (klen == 0)
    return 0; /* too long: the pipe rejects it before any lookup */
  rc = core_series_upsert(&a, key, klen, core_series_hash(key, klen), 0, &e);
  if (rc < 0)
    return -1;
  id = e->id;
  if (check_tags(msg.tags, rc, id, nth % 5 == 0) < 0)
    return -1;
  k = core_series_key_of(&b, id, &len);
  CHECK(k != NULL && len == klen && memcmp(k, key, klen) == 0);
  for (uint32_t i = 0; i < n; i++)
    rev[i] = msg.tags[n - 1 - i];
  if (check_tags(rev, 0, id, 0) < 0)
    return -1;
  for (uint32_t i = 0; i < n; i++)
    if (rev[i].val != NULL && rev[i].val_len <= sizeof(moved)) {
      memcpy(moved, rev[i].val, rev[i].val_len);
      rev[i].val = moved;
      break;
    }
  return check_tags(rev, 0, id, 0);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  const char *p = (const char *)data, *end = p + size;
  uint32_t nth = 0;

  CHECK(core_series_init(&a, SERIES) == 0);
  CHECK(core_series_init(&b, SERIES) == 0);
  CHECK(core_series_init(&c, SERIES) == 0);
  while (p < end) {
    const char *nl = memchr(p, '\n', (size_t)(end - p));
    size_t n = nl ? (size_t)(nl - p) : (size_t)(end - p);

    if (core_statsd_parse_line(p, n, &msg) == CORE_STATSD_OK &&
        msg.kind == CORE_STATSD_METRIC && one(nth++) < 0)
      break;
    p += n + 1;
  }
  core_series_free(&a);
  core_series_free(&b);
  core_series_free(&c);
  return 0;
}
