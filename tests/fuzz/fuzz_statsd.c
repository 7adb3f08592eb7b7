/*
 * tests/fuzz/fuzz_statsd.c - libFuzzer target for core_statsd_parse_line.
 *
 * Splits the input on '\n' like the framers do and parses every line,
 * then checks what an accepted line promises: every pointer inside the
 * line, counts within their bounds, a rate in [CORE_STATSD_RATE_MIN, 1],
 * finite values, no control byte, and what the pipe would store (1/rate,
 * a counter's value / rate) finite. A short input is also parsed as the
 * single value of "x:INPUT|h" and, when accepted, must equal strtod's reading bit for bit.
 */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/parse/statsd.h"

#define CHECK(cond)                                                        \
  do {                                                                     \
    if (!(cond)) {                                                         \
      fprintf(stderr, "fuzz_statsd: %s (line %d)\n", #cond, __LINE__);     \
      abort();                                                             \
    }                                                                      \
  } while (0)

static struct core_statsd_msg msg;

/* [p, p + n) lies inside [lo, hi). */
static int inside(const char *p, size_t n, const char *lo, const char *hi) {
  return p >= lo && p <= hi && n <= (size_t)(hi - p);
}

static void check_metric(const char *lo, const char *hi) {
  CHECK(msg.type < CORE_STATSD_TYPE_COUNT);
  CHECK(msg.name_len >= 1 && msg.name_len <= CORE_STATSD_NAME_BYTES_MAX);
  CHECK(msg.value_count >= 1 && msg.value_count <= CORE_STATSD_VALUES_MAX);
  CHECK(msg.sample_rate >= CORE_STATSD_RATE_MIN && msg.sample_rate <= 1.0);
  CHECK(isfinite(1.0 / msg.sample_rate)); /* a timer's weight */
  for (uint32_t i = 0; i < msg.value_count; i++) {
    if (msg.type == CORE_STATSD_SET)
      CHECK(msg.members[i].len > 0 &&
            inside(msg.members[i].ptr, msg.members[i].len, lo, hi));
    else
      CHECK(isfinite(msg.values[i]));
    if (msg.type == CORE_STATSD_COUNTER) /* what the pipe stores */
      CHECK(isfinite(core_statsd_counter_value(&msg, i)));
  }
  if (msg.type != CORE_STATSD_GAUGE)
    CHECK(msg.delta_mask == 0);
  else if (msg.value_count < 64)
    CHECK((msg.delta_mask >> msg.value_count) == 0);
  for (uint32_t i = 0; i < msg.name_len; i++)
    CHECK(msg.name[i] != ':' && msg.name[i] != '|' && msg.name[i] != '@' &&
          msg.name[i] != '#');
}

static void check_ok(const char *lo, const char *hi) {
  const char *end = hi;

  if (end > lo && end[-1] == '\r')
    end--;
  for (const char *p = lo; p < end; p++)
    CHECK((unsigned char)*p >= 0x20 && *p != 0x7f);
  CHECK(msg.kind <= CORE_STATSD_SERVICE_CHECK);
  CHECK(msg.name_len >= 1 && inside(msg.name, msg.name_len, lo, end));
  CHECK(msg.tag_count <= CORE_STATSD_TAGS_MAX);
  for (uint32_t i = 0; i < msg.tag_count; i++) {
    const struct core_statsd_tag *t = &msg.tags[i];
    CHECK(t->key_len >= 1 && inside(t->key, t->key_len, lo, end));
    CHECK(t->val ? inside(t->val, t->val_len, lo, end) : t->val_len == 0);
  }
  CHECK(msg.container == NULL ||
        (msg.container_len >= 1 &&
         inside(msg.container, msg.container_len, lo, end)));
  CHECK(!msg.has_timestamp || msg.timestamp_s >= 0);
  if (msg.kind == CORE_STATSD_METRIC)
    check_metric(lo, end);
}

/* Each line gets a buffer of its exact size, so ASan sees any over-read. */
static void parse_one(const char *src, size_t len) {
  char *line = malloc(len ? len : 1);
  enum core_statsd_err err;

  CHECK(line != NULL);
  memcpy(line, src, len);
  err = core_statsd_parse_line(line, len, &msg);
  CHECK(err < CORE_STATSD_ERR_COUNT);
  CHECK(strcmp(core_statsd_reason_name(err), "unknown") != 0);
  if (err == CORE_STATSD_OK)
    check_ok(line, line + len);
  free(line);
}

/* "x:INPUT|h" parses to strtod(INPUT) exactly, or not at all. */
static void check_number(const uint8_t *data, size_t size) {
  char line[80], num[80];
  double want;
  char *stop;

  if (size > 64)
    return;
  memcpy(line, "x:", 2);
  memcpy(line + 2, data, size);
  memcpy(line + 2 + size, "|h", 2);
  if (core_statsd_parse_line(line, size + 4, &msg) != CORE_STATSD_OK ||
      msg.value_count != 1)
    return;
  memcpy(num, data, size);
  num[size] = '\0';
  want = strtod(num, &stop);
  CHECK(stop == num + size);
  CHECK(memcmp(&want, &msg.values[0], sizeof(want)) == 0);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  const char *p = (const char *)data, *end = p + size;

  while (p < end) {
    const char *nl = memchr(p, '\n', (size_t)(end - p));
    const char *e = nl ? nl : end;
    parse_one(p, (size_t)(e - p));
    p = nl ? nl + 1 : end;
  }
  check_number(data, size);
  return 0;
}
