/*
 * tests/fuzz/fuzz_simd.c - every SIMD level the CPU supports agrees with
 * the scalar twin on the input (at an alignment the input picks), the line
 * splitter covers the input exactly, and short inputs parse as numbers
 * exactly as strtod reads them.
 */
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "simd/number.h"
#include "simd/simd.h"

#define INPUT_BYTES_MAX (1 << 16)
#define WORDS_MAX (INPUT_BYTES_MAX / SIMD_BLOCK_BYTES + 1)

static char buf[INPUT_BYTES_MAX + SIMD_BLOCK_BYTES];
static uint64_t want_l[WORDS_MAX], want_s[WORDS_MAX];
static uint64_t got_l[WORDS_MAX], got_s[WORDS_MAX];

static void compare_levels(const char *p, size_t len) {
  const struct simd_ops *ref = simd_ops_for(SIMD_LEVEL_SCALAR);
  size_t bytes = simd_blocks(len) * sizeof(uint64_t);
  bool utf8 = ref->utf8_valid(p, len);
  for (int l = SIMD_LEVEL_SCALAR + 1; l < SIMD_LEVEL_COUNT; l++) {
    const struct simd_ops *ops = simd_ops_for(l);
    if (ops == NULL)
      continue;
    ref->scan_lines(p, len, want_l);
    ops->scan_lines(p, len, got_l);
    if (memcmp(want_l, got_l, bytes))
      abort();
    for (int set = 0; set < SIMD_SET_COUNT; set++) {
      ref->scan(set, p, len, want_l, want_s);
      ops->scan(set, p, len, got_l, got_s);
      if (memcmp(want_l, got_l, bytes) || memcmp(want_s, got_s, bytes))
        abort();
    }
    if (ops->utf8_valid(p, len) != utf8)
      abort();
    /* simd_hash2 on the input split in two at a byte it names */
    size_t cut = len ? (uint8_t)p[0] % (len + 1) : 0;
    uint64_t seed = len > 8 ? (uint64_t)(uint8_t)p[len - 1] << 56 : 0;
    if (ops->hash2(p, cut, p + cut, len - cut, seed) !=
        ref->hash2(p, cut, p + cut, len - cut, seed))
      abort();
  }
}

/* Lines tile the input: each starts after the previous '\n'. */
static void check_lines(const char *p, size_t len) {
  simd_scan_lines(p, len, got_l);
  struct simd_lines it;
  struct simd_line line;
  size_t pos = 0;
  simd_lines_init(&it, got_l, len);
  while (simd_lines_next(&it, &line)) {
    if (line.start != pos || line.start + line.len > len ||
        memchr(p + line.start, '\n', line.len) != NULL)
      abort();
    if (line.terminated != (line.start + line.len < len))
      abort();
    if (line.terminated && p[line.start + line.len] != '\n')
      abort();
    pos = line.start + line.len + 1;
  }
  if (pos < len)
    abort();
}

/*
 * simd_short_decimal on z[0, len) (copied with bytes after it) must take
 * exactly the "digits [. digits]" tokens of 1..8 bytes, with
 * simd_parse_double's value (strtod's, checked below), and refuse the rest.
 */
static void check_short(const char *z, size_t len, double want) {
  double got = 42.0;
  size_t dots = 0, digits = 0;
  char b[8];

  if (len == 0 || len > 8)
    return;
  memset(b, '7', sizeof(b));
  memcpy(b, z, len);
  for (size_t i = 0; i < len; i++) {
    digits += z[i] >= '0' && z[i] <= '9';
    dots += z[i] == '.';
  }
  int form = digits > 0 && dots <= 1 && digits + dots == len;
  int rc = simd_short_decimal(b, len, &got);
  if (rc != (form ? 0 : -1) || (form && memcmp(&got, &want, 8) != 0) ||
      (!form && got != 42.0))
    abort();
}

static void check_number(const char *p, size_t len) {
  char z[SIMD_NUMBER_BYTES_MAX + 1], *end;
  memcpy(z, p, len);
  z[len] = '\0';
  double got, want = strtod(z, &end);
  int rc = simd_parse_double(p, len, &got);
  check_short(z, len, rc == 0 ? got : 0.0);
  if (rc == -EINVAL) {
    /* strtod may read more (space, nan, inf, hex), never only digits */
    if (end == z + len && len > 0 && strspn(z, "0123456789+-.eE") == len)
      abort();
    return;
  }
  uint64_t gb, wb;
  memcpy(&gb, &got, 8);
  memcpy(&wb, &want, 8);
  if (end != z + len || gb != wb || rc != (isinf(want) ? -ERANGE : 0))
    abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  if (size == 0 || size > INPUT_BYTES_MAX)
    return 0;
  size_t align = data[0] % SIMD_BLOCK_BYTES;
  memcpy(buf + align, data + 1, size - 1);
  compare_levels(buf + align, size - 1);
  check_lines(buf + align, size - 1);
  if (size - 1 <= 64)
    check_number((const char *)data + 1, size - 1);
  return 0;
}
