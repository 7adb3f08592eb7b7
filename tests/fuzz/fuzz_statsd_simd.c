/*
 * tests/fuzz/fuzz_statsd_simd.c - libFuzzer target: the SIMD StatsD parser
 * agrees with its scalar twin, field by field, at every supported level.
 *
 * The input is one buffer: core_statsd_parse_buf on it must report, line
 * by line, what the reference framing (split on '\n'; one final '\r' is
 * the line's end: empty lines skipped, the bound not counting it; then
 * core_statsd_parse_line_scalar on the line with it) gives; and
 * core_statsd_parse_line on each line alone what the twin gives. The first
 * byte picks the line bound. Buffers are exact-size heap copies, so ASan
 * sees any read past them.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/base/limits.h"
#include "core/parse/statsd.h"
#include "simd/simd.h"

#define CHECK(cond)                                                        \
  do {                                                                     \
    if (!(cond)) {                                                         \
      fprintf(stderr, "fuzz_statsd_simd: %s (line %d, level %s)\n", #cond, \
              __LINE__, simd_level_name(simd_get_level()));                \
      abort();                                                             \
    }                                                                      \
  } while (0)

static struct core_statsd_msg got, want;

static int same_double(double a, double b) {
  return memcmp(&a, &b, sizeof(a)) == 0;
}

static void same_metric(const struct core_statsd_msg *a,
                        const struct core_statsd_msg *b) {
  CHECK(a->type == b->type);
  CHECK(a->value_count == b->value_count);
  CHECK(a->delta_mask == b->delta_mask);
  CHECK(same_double(a->sample_rate, b->sample_rate));
  for (uint32_t i = 0; i < a->value_count; i++) {
    if (a->type == CORE_STATSD_SET)
      CHECK(a->members[i].ptr == b->members[i].ptr &&
            a->members[i].len == b->members[i].len);
    else
      CHECK(same_double(a->values[i], b->values[i]));
  }
}

static void same(enum core_statsd_err ea, const struct core_statsd_msg *a,
                 enum core_statsd_err eb, const struct core_statsd_msg *b) {
  CHECK(ea == eb);
  if (ea != CORE_STATSD_OK)
    return;
  CHECK(a->kind == b->kind);
  CHECK(a->name == b->name && a->name_len == b->name_len);
  CHECK(a->tag_count == b->tag_count);
  for (uint32_t i = 0; i < a->tag_count; i++) {
    CHECK(a->tags[i].key == b->tags[i].key);
    CHECK(a->tags[i].key_len == b->tags[i].key_len);
    CHECK(a->tags[i].val == b->tags[i].val);
    CHECK(a->tags[i].val_len == b->tags[i].val_len);
  }
  CHECK(a->container == b->container && a->container_len == b->container_len);
  CHECK(a->has_timestamp == b->has_timestamp);
  CHECK(a->timestamp_s == b->timestamp_s);
  if (a->kind == CORE_STATSD_METRIC)
    same_metric(a, b);
}

/* The reference framing, one line at a time. */
struct ref {
  const char *p, *end;
  uint32_t line_bytes_max;
  size_t lines;
};

static int ref_next(struct ref *r, enum core_statsd_err *err) {
  while (r->p < r->end) {
    const char *s = r->p, *nl = memchr(s, '\n', (size_t)(r->end - s));
    size_t n = nl ? (size_t)(nl - s) : (size_t)(r->end - s);
    size_t cr = n > 0 && s[n - 1] == '\r'; /* the line's end, not its byte */
    r->p = nl ? nl + 1 : r->end;
    if (n == cr)
      continue;
    *err = n - cr > r->line_bytes_max ? CORE_STATSD_ERR_LINE_TOO_LONG
                                 : core_statsd_parse_line_scalar(s, n, &want);
    r->lines++;
    return 1;
  }
  return 0;
}

static struct core_statsd_msg *on_line(void *ctx, enum core_statsd_err err,
                    const struct core_statsd_msg *msg) {
  enum core_statsd_err werr;

  CHECK(ref_next(ctx, &werr));
  same(err, msg, werr, &want);
  return NULL;
}

static void check_level(const char *buf, size_t len, uint32_t max) {
  struct ref r = {buf, buf + len, max, 0};
  enum core_statsd_err werr;
  size_t n = core_statsd_parse_buf(buf, len, max, &got, on_line, &r);

  CHECK(!ref_next(&r, &werr));
  CHECK(n == r.lines);
  for (const char *p = buf, *end = buf + len; p < end;) {
    const char *nl = memchr(p, '\n', (size_t)(end - p));
    size_t k = nl ? (size_t)(nl - p) : (size_t)(end - p);
    char *line = malloc(k ? k : 1);
    CHECK(line != NULL);
    memcpy(line, p, k);
    enum core_statsd_err ea = core_statsd_parse_line(line, k, &got);
    same(ea, &got, core_statsd_parse_line_scalar(line, k, &want), &want);
    free(line);
    p = nl ? nl + 1 : end;
  }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  static const uint32_t bounds[4] = {CORE_LINE_BYTES_MIN_LIMIT, 200,
                                     CORE_LINE_BYTES_MAX_DEFAULT,
                                     CORE_LINE_BYTES_MAX_LIMIT};
  enum simd_level best = simd_level_best();
  uint32_t max;
  char *buf;

  if (size == 0)
    return 0;
  max = bounds[data[0] & 3];
  buf = malloc(size - 1 ? size - 1 : 1);
  CHECK(buf != NULL);
  memcpy(buf, data + 1, size - 1);
  for (int lv = 0; lv < SIMD_LEVEL_COUNT; lv++) {
    if (simd_set_level((enum simd_level)lv) < 0)
      continue;
    check_level(buf, size - 1, max);
  }
  simd_set_level(best);
  free(buf);
  return 0;
}
