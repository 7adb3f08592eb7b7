/*
 * tests/fuzz/fuzz_gzip.c - libFuzzer target for the bounded gzip inflater
 * (net/gzip.c), the path every gzip request body takes.
 *
 * The first byte picks the mode. Odd: the rest is hostile gzip, inflated
 * into an exact-size heap buffer (ASan sees a write past the bound) of a
 * bound taken from the input; the result must be 0, -EBADMSG or -E2BIG,
 * a success must stay within the bound and inflate the same again with
 * exactly its own length as the bound, and one byte less must be -E2BIG.
 * Even: the rest is data, gzipped by isa-l, which must inflate back to
 * itself, and every cut of that stream must be refused.
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "net/gzip.h"
#include "tests/fuzz/gzip_deflate.h"

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

static void round_trip(const uint8_t *in, size_t n) {
  size_t cap = n + n / 2 + 1024, len, clen;
  uint8_t *comp = malloc(cap), *out;

  CHECK(comp != NULL);
  clen = test_gzip_deflate(in, n, comp, cap);
  CHECK(clen > 0);
  CHECK(inflate_exact(comp, clen, n, &out, &len) == 0);
  CHECK(len == n && memcmp(out, in, n) == 0);
  free(out);
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
    round_trip(data + 1, size - 1);
  return 0;
}
