/*
 * tests/unit/net/test_gzip.c - the bounded inflater against gzip streams
 * made by gzip(1) (a fixed one) and by isa-l's deflate: round trips,
 * every truncation, corruption, trailing bytes, concatenated members and
 * bombs that stop at the bound.
 */
#include <criterion/criterion.h>
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "net/gzip.h"
#include "tests/fuzz/gzip_deflate.h"

static struct net_gzip *gz;

static void setup(void) {
  gz = malloc(sizeof(*gz));
  cr_assert_not_null(gz);
  net_gzip_init(gz);
}

static void teardown(void) { free(gz); }

TestSuite(gzip, .init = setup, .fini = teardown);

/* `printf 'hello\n' | gzip -n`: made by another encoder than isa-l's. */
static const uint8_t hello_gz[] = {
    0x1f, 0x8b, 0x08, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x03, 0xcb, 0x48,
    0xcd, 0xc9, 0xc9, 0xe7, 0x02, 0x00, 0x20, 0x30, 0x3a, 0x36, 0x06, 0x00,
    0x00, 0x00};

/* gzip of n bytes of src by isa-l (level 1); returns the length. */
static size_t deflate_gz(const void *src, size_t n, uint8_t *dst,
                         size_t cap) {
  size_t len = test_gzip_deflate(src, n, dst, cap);

  cr_assert(len > 0, "deflate failed or no output room");
  return len;
}

/* Pseudo-random text with some repetition, like a protobuf body. */
static void fill(uint8_t *b, size_t n, uint32_t seed) {
  for (size_t i = 0; i < n; i++) {
    seed = seed * 1103515245u + 12345u;
    b[i] = (i % 7 == 0) ? (uint8_t)('a' + (seed >> 16) % 26)
                        : (uint8_t)"metric"[i % 6];
  }
}

Test(gzip, hello_from_gzip_tool) {
  char out[64];
  size_t len;

  cr_assert_eq(net_gzip_inflate(gz, hello_gz, sizeof(hello_gz), out,
                                sizeof(out), &len), 0);
  cr_assert_eq(len, 6);
  cr_assert(memcmp(out, "hello\n", 6) == 0);
}

Test(gzip, exact_bound_and_one_less) {
  char out[64];
  size_t len;

  cr_assert_eq(net_gzip_inflate(gz, hello_gz, sizeof(hello_gz), out, 6,
                                &len), 0, "a body of exactly the bound");
  cr_assert_eq(len, 6);
  cr_assert_eq(net_gzip_inflate(gz, hello_gz, sizeof(hello_gz), out, 5,
                                &len), -E2BIG);
  cr_assert_eq(net_gzip_inflate(gz, hello_gz, sizeof(hello_gz), out, 0,
                                &len), -E2BIG);
}

Test(gzip, round_trips_of_many_sizes) {
  static uint8_t src[300000], comp[400000], out[300000];
  const size_t sizes[] = {0, 1, 100, 32767, 32768, 65536, 100001, 300000};

  for (size_t k = 0; k < sizeof(sizes) / sizeof(sizes[0]); k++) {
    size_t n = sizes[k], len, clen;
    fill(src, n, (uint32_t)k);
    clen = deflate_gz(src, n, comp, sizeof(comp));
    cr_assert_eq(net_gzip_inflate(gz, comp, clen, out, n, &len), 0,
                 "size %zu", n);
    cr_assert_eq(len, n);
    cr_assert(memcmp(src, out, n) == 0, "size %zu", n);
    if (n > 0)
      cr_assert_eq(net_gzip_inflate(gz, comp, clen, out, n - 1, &len),
                   -E2BIG, "size %zu, bound one less", n);
  }
}

Test(gzip, every_truncation_refused) {
  static uint8_t src[5000], comp[8000], out[5000];
  size_t len, clen;

  fill(src, sizeof(src), 7);
  clen = deflate_gz(src, sizeof(src), comp, sizeof(comp));
  for (size_t cut = 0; cut < clen; cut++)
    cr_assert_eq(net_gzip_inflate(gz, comp, cut, out, sizeof(out), &len),
                 -EBADMSG, "cut at %zu of %zu", cut, clen);
  for (size_t cut = 0; cut < sizeof(hello_gz); cut++)
    cr_assert_eq(net_gzip_inflate(gz, hello_gz, cut, out, sizeof(out), &len),
                 -EBADMSG, "hello cut at %zu", cut);
}

Test(gzip, corruption_refused) {
  uint8_t b[sizeof(hello_gz)];
  char out[64];
  size_t len;
  /* magic, method, CRC32 and ISIZE bytes */
  const size_t at[] = {0, 1, 2, 18, 19, 20, 21, 22, 23};

  for (size_t k = 0; k < sizeof(at) / sizeof(at[0]); k++) {
    memcpy(b, hello_gz, sizeof(b));
    b[at[k]] ^= 0x40;
    cr_assert_eq(net_gzip_inflate(gz, b, sizeof(b), out, sizeof(out), &len),
                 -EBADMSG, "byte %zu flipped", at[k]);
  }
  memcpy(b, hello_gz, sizeof(b));
  b[10] = 0xff; /* an invalid deflate block type */
  cr_assert_eq(net_gzip_inflate(gz, b, sizeof(b), out, sizeof(out), &len),
               -EBADMSG);
  cr_assert_eq(net_gzip_inflate(gz, "plain protobuf body, not gzip", 29, out,
                                sizeof(out), &len), -EBADMSG);
}

Test(gzip, trailing_garbage_refused_concatenation_taken) {
  uint8_t b[2 * sizeof(hello_gz) + 1];
  char out[64];
  size_t len;

  memcpy(b, hello_gz, sizeof(hello_gz));
  b[sizeof(hello_gz)] = 0;
  cr_assert_eq(net_gzip_inflate(gz, b, sizeof(hello_gz) + 1, out, sizeof(out),
                                &len), -EBADMSG, "one byte after the member");
  memcpy(b + sizeof(hello_gz), hello_gz, sizeof(hello_gz));
  cr_assert_eq(net_gzip_inflate(gz, b, 2 * sizeof(hello_gz), out, sizeof(out),
                                &len), 0, "two members");
  cr_assert_eq(len, 12);
  cr_assert(memcmp(out, "hello\nhello\n", 12) == 0);
  cr_assert_eq(net_gzip_inflate(gz, b, 2 * sizeof(hello_gz), out, 11, &len),
               -E2BIG, "two members over the bound");
  cr_assert_eq(net_gzip_inflate(gz, b, 2 * sizeof(hello_gz) - 1, out,
                                sizeof(out), &len), -EBADMSG,
               "second member cut");
}

Test(gzip, bomb_stops_at_the_bound) {
  /* 64 MiB of zeros deflate to about 64 KiB; the bound is 1 MiB. */
  size_t n = 64u << 20, len, clen;
  uint8_t *zeros = calloc(1, n), *comp = malloc(1 << 20);
  uint8_t *out = malloc((1u << 20) + 4096);

  cr_assert(zeros && comp && out);
  clen = deflate_gz(zeros, n, comp, 1 << 20);
  cr_assert_lt(clen, 1u << 20);
  memset(out, 0xaa, (1u << 20) + 4096);
  cr_assert_eq(net_gzip_inflate(gz, comp, clen, out, 1u << 20, &len), -E2BIG);
  for (size_t i = 1u << 20; i < (1u << 20) + 4096; i++)
    cr_assert_eq(out[i], 0xaa, "nothing written past the bound (%zu)", i);
  /* The state is reusable after a refusal. */
  cr_assert_eq(net_gzip_inflate(gz, hello_gz, sizeof(hello_gz), out, 64,
                                &len), 0);
  cr_assert_eq(len, 6);
  free(zeros);
  free(comp);
  free(out);
}
