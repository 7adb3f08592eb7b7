/*
 * tests/fuzz/fuzz_gzip.c - libFuzzer target for the bounded gzip inflater
 * (net/gzip.c), the path every gzip request body takes.
 *
 * The first byte picks the mode. Odd: the rest is hostile gzip, inflated
 * into an exact-size heap buffer (ASan sees a write past the bound) of a
 * bound taken from the input; the result must be 0, -EBADMSG or -E2BIG,
 * a success must stay within the bound and inflate the same again with
 * exactly its own length as the bound, and one byte less must be -E2BIG.
 * Even: the rest is data, gzipped by isa-l (level 1) or, in a build with
 * zlib, by zlib at a level and flushing that the first byte picks (as
 * OTLP senders gzip), which must inflate back to itself at a bound of
 * exactly its length, be -E2BIG at one byte less, and every cut of that
 * stream must be refused.
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "net/gzip.h"
#include "tests/fuzz/gzip_deflate.h"
#ifdef SLUICE_HAVE_ZLIB
#include "tests/fuzz/gzip_deflate_zlib.h"
#endif

#define CHECK(cond)                                                       \
  do {                                                                    \
    if (!(cond)) {                                                        \
      fprintf(stderr, "fuzz_gzip: %s (line %d)\n", #cond, __LINE__);      \
      abort();                                                            \
    }                                                                     \
  } while (0)

static struct net_gzip gz;

static int inflate_exact(const uint8_t *in, size_t n, size_t bound,
                         uint8_t **out, size_t *len) {
  *out = malloc(bound ? bound : 1);
  CHECK(*out != NULL);
  return net_gzip_inflate(&gz, in, n, *out, bound, len);
}

static void hostile(const uint8_t *in, size_t n) {
  size_t bound = n > 0 ? (size_t)in[0] << 10 : 0, len, len2;
  uint8_t *out, *again;
  int rc;

  rc = inflate_exact(in, n, bound, &out, &len);
  CHECK(rc == 0 || rc == -EBADMSG || rc == -E2BIG);
  if (rc == 0) {
    CHECK(len <= bound);
    rc = inflate_exact(in, n, len, &again, &len2);
    CHECK(rc == 0 && len2 == len && memcmp(out, again, len) == 0);
    free(again);
    if (len > 0) {
      rc = inflate_exact(in, n, len - 1, &again, &len2);
      CHECK(rc == -E2BIG);
      free(again);
    }
  }
  free(out);
}

/* gzip in by the encoder k picks: isa-l level 1, or zlib at level 1-9,
 * whole or in sync-flushed pieces of 512 bytes. */
static size_t deflate_by(unsigned k, const uint8_t *in, size_t n,
                         uint8_t *comp, size_t cap) {
#ifdef SLUICE_HAVE_ZLIB
  if (k % 3 != 0)
    return test_gzip_deflate_zlib(in, n, comp, cap, 1 + (int)(k / 3 % 9),
                                  (k & 64) ? 512 : 0);
#endif
  (void)k;
  return test_gzip_deflate(in, n, comp, cap);
}

static void round_trip(unsigned k, const uint8_t *in, size_t n) {
  size_t cap = n + n / 2 + 1024 + (n / 512 + 1) * 8, len, clen;
  uint8_t *comp = malloc(cap), *out;

  CHECK(comp != NULL);
  clen = deflate_by(k, in, n, comp, cap);
  CHECK(clen > 0);
  CHECK(inflate_exact(comp, clen, n, &out, &len) == 0);
  CHECK(len == n && memcmp(out, in, n) == 0);
  free(out);
  if (n > 0) {
    CHECK(inflate_exact(comp, clen, n - 1, &out, &len) == -E2BIG);
    free(out);
  }
  for (size_t cut = 0; cut < clen; cut += 1 + cut / 8) {
    CHECK(inflate_exact(comp, cut, n, &out, &len) == -EBADMSG);
    free(out);
  }
  free(comp);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  static int ready;

  if (!ready) {
    net_gzip_init(&gz);
    ready = 1;
  }
  if (size == 0)
    return 0;
  if (data[0] & 1)
    hostile(data + 1, size - 1);
  else
    round_trip(data[0] >> 1, data + 1, size - 1);
  return 0;
}
