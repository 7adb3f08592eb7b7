/*
 * tests/unit/net/test_gzip_senders.c - the bounded inflater against gzip
 * bodies made the way real OTLP senders make them: zlib's deflate at the
 * default level 6 (the OpenTelemetry JS exporters through Node's
 * zlib.createGzip(), Java's GZIPOutputStream; Go's compress/gzip and the
 * Collector use the same level), at 1 and 9, and written in flushed
 * pieces (Z_SYNC_FLUSH: empty stored blocks between the pieces). Each
 * must inflate back at a bound of exactly its size, stop at one byte
 * less without writing past it, and be refused when cut short.
 */
#include <criterion/criterion.h>
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "net/gzip.h"
#include "tests/fuzz/gzip_deflate.h"
#include "tests/fuzz/gzip_deflate_zlib.h"

/* One inflater for every body, as a shard has (about 90 KiB: static). */
static struct net_gzip gz_state, *const gz = &gz_state;

static void init_gz(void) { net_gzip_init(gz); }

TestSuite(gzip_senders, .init = init_gz);

/* Something like an OTLP logs request: per record a field tag, a few
 * attribute keys from a small set, an incrementing time, a 16-byte trace
 * id that does not compress, and a message with a varying number. */
static void otlp_like(uint8_t *b, size_t n, uint32_t seed) {
  static const char *const keys[] = {"service.name", "host.name",
                                     "http.method", "http.status_code",
                                     "k8s.pod.name"};
  size_t at = 0;
  uint64_t t = 1765000000000000000ull;

  while (at < n) {
    char rec[160];
    int len;
    seed = seed * 1103515245u + 12345u;
    t += 1000 + seed % 5000;
    len = snprintf(rec, sizeof(rec), "\x12%c%s\x19%llu\x22%08x%08x%s %u", 40,
                   keys[seed % 5], (unsigned long long)t, seed * 2654435761u,
                   seed ^ 0x9e3779b9u, "request handled in", seed % 977);
    for (int i = 0; i < len && at < n; i++)
      b[at++] = (uint8_t)rec[i];
  }
}

/* test_gzip_deflate_zlib, which must succeed. */
static size_t zlib_gz(const uint8_t *src, size_t n, uint8_t *dst, size_t cap,
                      int level, size_t flush_every) {
  size_t len = test_gzip_deflate_zlib(src, n, dst, cap, level, flush_every);

  cr_assert(len > 0, "zlib deflate failed or no output room");
  return len;
}

/* comp (clen) must inflate to src (n) at a bound of n, and at n - 1 stop
 * with -E2BIG having written nothing past the bound; every cut at a
 * stride is refused but one at whole_at (the end of a first member, which
 * is whole gzip on its own). */
static void check_body(const uint8_t *src, size_t n, const uint8_t *comp,
                       size_t clen, uint8_t *out, size_t whole_at,
                       const char *what) {
  size_t len;

  memset(out, 0xaa, n + 64);
  cr_assert_eq(net_gzip_inflate(gz, comp, clen, out, n, &len), 0, "%s", what);
  cr_assert_eq(len, n, "%s", what);
  cr_assert(memcmp(out, src, n) == 0, "%s", what);
  for (size_t i = n; i < n + 64; i++)
    cr_assert_eq(out[i], 0xaa, "%s: byte %zu past the bound written", what, i);
  if (n > 0) {
    memset(out, 0xaa, n + 64);
    cr_assert_eq(net_gzip_inflate(gz, comp, clen, out, n - 1, &len), -E2BIG,
                 "%s, bound one less", what);
    for (size_t i = n - 1; i < n + 64; i++)
      cr_assert_eq(out[i], 0xaa, "%s: byte %zu past a bound written", what, i);
  }
  for (size_t cut = 0; cut < clen; cut += 1 + clen / 64)
    if (cut != whole_at)
      cr_assert_eq(net_gzip_inflate(gz, comp, cut, out, n, &len), -EBADMSG,
                 "%s cut at %zu of %zu", what, cut, clen);
}

Test(gzip_senders, zlib_levels_and_sizes) {
  static uint8_t src[300000], comp[400000], out[300000 + 64];
  const size_t sizes[] = {0, 1, 4095, 65536, 65537, 212000, 300000};
  const int levels[] = {6, 1, 9};
  char what[64];

  for (size_t k = 0; k < sizeof(sizes) / sizeof(sizes[0]); k++)
    for (size_t l = 0; l < sizeof(levels) / sizeof(levels[0]); l++) {
      size_t n = sizes[k], clen;
      otlp_like(src, n, (uint32_t)(k * 31 + l));
      clen = zlib_gz(src, n, comp, sizeof(comp), levels[l], 0);
      snprintf(what, sizeof(what), "zlib level %d, %zu bytes", levels[l], n);
      check_body(src, n, comp, clen, out, SIZE_MAX, what);
    }
}

Test(gzip_senders, flushed_pieces) {
  static uint8_t src[212000], comp[300000], out[212000 + 64];
  const size_t pieces[] = {1, 100, 16384, 65536};
  char what[64];

  otlp_like(src, sizeof(src), 5);
  for (size_t k = 0; k < sizeof(pieces) / sizeof(pieces[0]); k++) {
    size_t n = pieces[k] == 1 ? 3000 : sizeof(src);
    size_t clen = zlib_gz(src, n, comp, sizeof(comp), 6, pieces[k]);
    snprintf(what, sizeof(what), "sync flush every %zu bytes", pieces[k]);
    check_body(src, n, comp, clen, out, SIZE_MAX, what);
  }
}

Test(gzip_senders, members_from_two_encoders) {
  static uint8_t src[100000], comp[200000], out[100000 + 64];
  size_t half = sizeof(src) / 2, c1, c2;

  otlp_like(src, sizeof(src), 9);
  c1 = zlib_gz(src, half, comp, sizeof(comp), 6, 0);
  c2 = test_gzip_deflate(src + half, sizeof(src) - half, comp + c1,
                         sizeof(comp) - c1);
  cr_assert(c2 > 0);
  check_body(src, sizeof(src), comp, c1 + c2, out, c1,
             "zlib member then isa-l member");
}
