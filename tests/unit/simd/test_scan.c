/*
 * tests/unit/simd/test_scan.c - structural scanning: every SIMD level
 * agrees with the scalar twin, the scalar twin agrees with the definition
 * of the sets, and the line / position iterators give exact positions.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "simd/find.h"
#include "simd_test_util.h"

#define BUF_BYTES (1 << 16)
#define WORDS_MAX (BUF_BYTES / SIMD_BLOCK_BYTES + 2)

static char buf[BUF_BYTES + 2 * SIMD_BLOCK_BYTES];
static uint64_t want_l[WORDS_MAX], want_s[WORDS_MAX];
static uint64_t got_l[WORDS_MAX], got_s[WORDS_MAX];

static const char statsd_chars[] = ":|#,@";
static const char syslog_chars[] = "<> []\"\\=";

/* Bytes the generator favours: every structural byte and the nasty ones. */
static const char nasty[] = ":|#,@<> []\"\\=\n\r\0\x80\xff\xc3\xa9\x7f\x3a\x0a";

static void fill_random(uint64_t *rng, char *p, size_t n, unsigned dense_pct) {
  for (size_t i = 0; i < n; i++) {
    if (rng_below(rng, 100) < dense_pct)
      p[i] = nasty[rng_below(rng, sizeof nasty - 1)];
    else
      p[i] = (char)rng_below(rng, 256);
  }
}

/* Membership of c in a set, written from the sets' documentation. */
static int in_set_def(int set, unsigned char c) {
  if (set == SIMD_SET_STATSD_CTL)
    return in_set_def(SIMD_SET_STATSD, c) || (c < 0x20 && c != '\n') ||
           c == 0x7f;
  return c != 0 &&
         strchr(set == SIMD_SET_STATSD ? statsd_chars : syslog_chars, c) !=
             NULL;
}

/* The definition: scalar output must match it bit for bit. */
static void check_scalar_definition(const char *p, size_t len) {
  size_t nb = simd_blocks(len);
  for (int set = 0; set < SIMD_SET_COUNT; set++) {
    simd_ops_for(SIMD_LEVEL_SCALAR)->scan(set, p, len, got_l, got_s);
    for (size_t i = 0; i < nb * SIMD_BLOCK_BYTES; i++) {
      unsigned char c = i < len ? (unsigned char)p[i] : 0;
      int is_sep = i < len && in_set_def(set, c);
      int is_nl = i < len && c == '\n';
      cr_assert_eq((got_s[i / 64] >> (i % 64)) & 1, (uint64_t)is_sep,
                   "set %d byte %zu (0x%02x) len %zu", set, i, c, len);
      cr_assert_eq((got_l[i / 64] >> (i % 64)) & 1, (uint64_t)is_nl,
                   "nl byte %zu len %zu", i, len);
    }
  }
}

/* Every kernel of ops against scalar on p[0, len). */
static void check_agree(const struct simd_ops *ops, const char *p, size_t len) {
  const struct simd_ops *ref = simd_ops_for(SIMD_LEVEL_SCALAR);
  size_t nb = simd_blocks(len), bytes = nb * sizeof(uint64_t);
  /* poison the outputs: every word must be written */
  memset(got_l, 0xa5, sizeof got_l);
  ref->scan_lines(p, len, want_l);
  ops->scan_lines(p, len, got_l);
  cr_assert(memcmp(want_l, got_l, bytes) == 0, "%s scan_lines len %zu",
            simd_level_name(ops->level), len);
  cr_assert_eq(got_l[nb], 0xa5a5a5a5a5a5a5a5ull, "wrote past the bitmap");
  for (int set = 0; set < SIMD_SET_COUNT; set++) {
    memset(got_s, 0xa5, sizeof got_s);
    ref->scan(set, p, len, want_l, want_s);
    ops->scan(set, p, len, got_l, got_s);
    cr_assert(memcmp(want_l, got_l, bytes) == 0, "%s scan(%d) lines len %zu",
              simd_level_name(ops->level), set, len);
    cr_assert(memcmp(want_s, got_s, bytes) == 0, "%s scan(%d) seps len %zu",
              simd_level_name(ops->level), set, len);
    cr_assert_eq(got_s[nb], 0xa5a5a5a5a5a5a5a5ull, "wrote past the bitmap");
  }
}

Test(simd_scan, scalar_matches_definition) {
  uint64_t rng = 1;
  char all[256];
  for (int i = 0; i < 256; i++)
    all[i] = (char)i;
  check_scalar_definition(all, sizeof all);
  for (size_t len = 0; len <= 300; len++) {
    fill_random(&rng, buf, len, 50);
    check_scalar_definition(buf, len);
  }
}

Test(simd_scan, set_has_matches_definition) {
  for (int c = 0; c < 256; c++)
    for (int set = 0; set < SIMD_SET_COUNT; set++)
      cr_assert_eq(simd_set_has(set, (unsigned char)c),
                   in_set_def(set, (unsigned char)c), "set %d 0x%02x", set, c);
}

/* Every byte value at every position of a block, in every lane. */
static void every_byte_everywhere(const struct simd_ops *ops) {
  for (int shift = 0; shift < 64; shift++) {
    for (int i = 0; i < 320; i++)
      buf[i] = (char)(i + shift);
    check_agree(ops, buf, 320);
  }
}
PER_SIMD_LEVEL(simd_scan, every_byte_everywhere, every_byte_everywhere)

/* Every length 0..300 at every alignment 0..63. */
static void lengths_alignments(const struct simd_ops *ops) {
  uint64_t rng = 2;
  for (size_t align = 0; align < 64; align++) {
    for (size_t len = 0; len <= 300; len++) {
      fill_random(&rng, buf + align, len, 40);
      check_agree(ops, buf + align, len);
    }
  }
}
PER_SIMD_LEVEL(simd_scan, lengths_alignments, lengths_alignments)

/* Separators and line ends around the block edges, and at the very end. */
static void block_edges(const struct simd_ops *ops) {
  static const char specials[] = ":|#,@<> []\"\\=\n\r";
  static const size_t offsets[] = {0, 1, 15, 16, 31, 32, 62, 63, 64, 65, 127, 128, 129};
  for (size_t len = 1; len <= 200; len++) {
    for (size_t o = 0; o < sizeof offsets / sizeof offsets[0]; o++) {
      for (size_t k = 0; k < sizeof specials - 1; k++) {
        memset(buf, 'a', len);
        if (offsets[o] < len)
          buf[offsets[o]] = specials[k];
        buf[len - 1] = specials[k]; /* last byte of the buffer */
        check_agree(ops, buf, len);
      }
    }
  }
  memset(buf, 0, 256); /* NULs only */
  check_agree(ops, buf, 256);
  for (size_t len = 2; len <= 200; len += 2) {
    for (size_t i = 0; i < len; i += 2)
      memcpy(buf + i, "\r\n", 2);
    check_agree(ops, buf, len);
  }
}
PER_SIMD_LEVEL(simd_scan, block_edges, block_edges)

/* Large random buffers of various densities. */
static void random_buffers(const struct simd_ops *ops) {
  uint64_t rng = 3;
  for (int round = 0; round < 40; round++) {
    size_t len = (size_t)rng_below(&rng, BUF_BYTES);
    fill_random(&rng, buf, len, (unsigned)(round * 5 % 100));
    check_agree(ops, buf, len);
  }
}
PER_SIMD_LEVEL(simd_scan, random_buffers, random_buffers)

/* ---- iterators ---------------------------------------------------------- */

/* simd_lines_next against a memchr splitter, for text p[0, len). */
static void check_lines(const char *p, size_t len) {
  simd_scan_lines(p, len, got_l);
  struct simd_lines it;
  struct simd_line line;
  simd_lines_init(&it, got_l, len);
  size_t pos = 0;
  while (pos < len) {
    const char *nl = memchr(p + pos, '\n', len - pos);
    size_t end = nl ? (size_t)(nl - p) : len;
    cr_assert(simd_lines_next(&it, &line), "line at %zu of %zu", pos, len);
    cr_assert_eq(line.start, pos);
    cr_assert_eq(line.len, end - pos, "line at %zu of %zu", pos, len);
    cr_assert_eq(line.terminated, nl != NULL);
    pos = end + 1;
  }
  cr_assert_not(simd_lines_next(&it, &line), "extra line, len %zu", len);
}

Test(simd_scan, lines_split_exactly) {
  uint64_t rng = 4;
  check_lines("", 0);
  check_lines("\n", 1);
  check_lines("\n\n", 2);
  check_lines("a", 1);
  check_lines("a:1|c\nb:2|g", 11);
  check_lines("a:1|c\r\nb:2|g\r\n", 14);
  for (size_t len = 0; len <= 300; len++) {
    for (int round = 0; round < 8; round++) {
      for (size_t i = 0; i < len; i++)
        buf[i] = rng_below(&rng, 8) == 0 ? '\n' : 'x';
      if (len && round & 1)
        buf[len - 1] = '\n'; /* ends exactly at the buffer end */
      check_lines(buf, len);
    }
  }
}

Test(simd_scan, line_of_exactly_64_bytes) {
  memset(buf, 'x', 200);
  buf[63] = '\n';
  buf[127] = '\n';
  check_lines(buf, 128);
  check_lines(buf, 129);
  check_lines(buf, 64);
  check_lines(buf, 63);
}

Test(simd_scan, iter_next_and_seek) {
  uint64_t rng = 5;
  for (int round = 0; round < 200; round++) {
    size_t len = (size_t)rng_below(&rng, 1000);
    fill_random(&rng, buf, len, 30);
    simd_scan(SIMD_SET_STATSD, buf, len, got_l, got_s);
    size_t from = len ? (size_t)rng_below(&rng, len + 70) : 0;
    struct simd_iter it;
    simd_iter_init(&it, got_s, simd_blocks(len));
    simd_iter_seek(&it, from);
    for (size_t i = from; i < len; i++) {
      if (!simd_set_has(SIMD_SET_STATSD, (unsigned char)buf[i]))
        continue;
      cr_assert_eq(simd_iter_next(&it), i, "round %d from %zu", round, from);
    }
    cr_assert_eq(simd_iter_next(&it), SIMD_NONE);
    cr_assert_eq(simd_iter_next(&it), SIMD_NONE);
  }
}

Test(simd_scan, iter_seek_backwards_is_a_no_op) {
  memcpy(buf, "a:b|c#d", 7);
  simd_scan(SIMD_SET_STATSD, buf, 7, got_l, got_s);
  struct simd_iter it;
  simd_iter_init(&it, got_s, 1);
  simd_iter_seek(&it, 4);
  cr_assert_eq(simd_iter_next(&it), 5);
  simd_iter_seek(&it, 0);
  cr_assert_eq(simd_iter_next(&it), SIMD_NONE);
}

/* ---- dispatch ------------------------------------------------------------ */

/* memchr's answer as a position, n when absent. */
static size_t find_def(const char *s, size_t n, char c) {
  const char *q = memchr(s, c, n);
  return q ? (size_t)(q - s) : n;
}

/* simd_find_byte against memchr: every span 0..100 bytes at every offset
 * of a buffer with the byte absent, at each place, and repeated; readable
 * bounds from exactly n (the memchr tail) to far past it (the 32-byte
 * steps, which read past n and must not take what they see there). The
 * spans end at the end of an exactly sized allocation when avail == n, so
 * ASan sees any read past the stated bound. */
Test(simd_scan, find_byte_matches_memchr) {
  uint64_t rng = 99;
  static char big[512];

  for (size_t n = 0; n <= 100; n++) {
    for (size_t extra = 0; extra <= 40; extra += (extra < 34 ? 1 : 6)) {
      char *p = malloc(n + extra + 1);
      cr_assert_not_null(p);
      for (int round = 0; round < 24; round++) {
        for (size_t i = 0; i < n + extra; i++)
          p[i] = (char)('a' + rng_below(&rng, 26));
        /* the byte: absent, once, twice, only past n */
        if (round % 4 == 1 && n > 0)
          p[rng_below(&rng, n)] = '|';
        if (round % 4 == 2 && n > 0) {
          p[rng_below(&rng, n)] = '|';
          p[rng_below(&rng, n)] = '|';
        }
        if (round % 4 == 3 && extra > 0)
          p[n + rng_below(&rng, extra)] = '|';
        cr_assert_eq(simd_find_byte(p, n, n + extra, '|'), find_def(p, n, '|'),
                     "n %zu avail %zu round %d", n, n + extra, round);
      }
      free(p);
    }
  }
  /* every byte value as the needle, at every place of a 100-byte span */
  for (int c = 0; c < 256; c++)
    for (size_t at = 0; at < 100; at += 7) {
      memset(big, c == 0x55 ? 0x56 : 0x55, sizeof big);
      big[at] = (char)c;
      cr_assert_eq(simd_find_byte(big, 100, sizeof big, (char)c),
                   find_def(big, 100, (char)c), "c %d at %zu", c, at);
      cr_assert_eq(simd_find_byte(big, at, sizeof big, (char)c), at);
    }
}

Test(simd_dispatch, level_names_parse) {
  enum simd_level l;
  for (int i = 0; i < SIMD_LEVEL_COUNT; i++) {
    cr_assert_eq(simd_parse_level(simd_level_name(i), &l), 0);
    cr_assert_eq(l, (enum simd_level)i);
  }
  cr_assert_eq(simd_parse_level("auto", &l), 0);
  cr_assert_eq(l, simd_level_best());
  cr_assert_eq(simd_parse_level("avx", &l), -EINVAL);
  cr_assert_eq(simd_parse_level("", &l), -EINVAL);
  cr_assert_eq(simd_parse_level("AVX2", &l), -EINVAL);
  cr_assert_eq(simd_parse_level(NULL, &l), -EINVAL);
  cr_assert_str_eq(simd_level_name(SIMD_LEVEL_COUNT), "unknown");
}

Test(simd_dispatch, auto_is_best_and_in_use_at_start) {
  cr_assert_eq(simd_get_level(), simd_level_best());
  cr_assert(simd_level_supported(SIMD_LEVEL_SCALAR));
}

Test(simd_dispatch, set_level_follows_the_cpu) {
  for (int i = 0; i < SIMD_LEVEL_COUNT; i++) {
    int rc = simd_set_level(i);
    if (simd_level_supported(i)) {
      cr_assert_eq(rc, 0);
      cr_assert_eq(simd_get_level(), (enum simd_level)i);
      cr_assert_not_null(simd_ops_for(i));
    } else {
      cr_assert_eq(rc, -ENOTSUP);
      cr_assert_null(simd_ops_for(i));
    }
  }
  cr_assert_eq(simd_set_level(SIMD_LEVEL_COUNT), -EINVAL);
  cr_assert_eq(simd_set_level((enum simd_level)-1), -EINVAL);
  cr_assert_eq(simd_select("scalar"), 0);
  cr_assert_eq(simd_get_level(), SIMD_LEVEL_SCALAR);
  cr_assert_eq(simd_select("bogus"), -EINVAL);
  cr_assert_eq(simd_get_level(), SIMD_LEVEL_SCALAR);
  cr_assert_eq(simd_select("auto"), 0);
  cr_assert_eq(simd_get_level(), simd_level_best());
}
