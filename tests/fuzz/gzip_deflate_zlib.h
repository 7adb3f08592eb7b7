/*
 * tests/fuzz/gzip_deflate_zlib.h - gzip a buffer with zlib, as OTLP
 * senders make their bodies (the JS exporters through Node's zlib, Java's
 * GZIPOutputStream: zlib's deflate, default level 6), for tests, fuzz
 * targets and benchmarks that need bodies from another encoder than
 * isa-l's (tests/fuzz/gzip_deflate.h). Needs zlib (zlib1g-dev).
 */
#ifndef SLUICE_TESTS_FUZZ_GZIP_DEFLATE_ZLIB_H
#define SLUICE_TESTS_FUZZ_GZIP_DEFLATE_ZLIB_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <zlib.h>

/* gzip n bytes of src into dst (cap bytes) with zlib at level 1-9 (gzip
 * wrapper, 32 KiB window, memLevel 8: zlib's and Node's defaults).
 * flush_every > 0 writes the input in pieces of that size, each ended
 * with Z_SYNC_FLUSH (an empty stored block), as a streaming writer that
 * flushes does; 0 is one deflate of the whole input, as the senders do.
 * Returns the gzip length, or 0 when it does not fit. */
static inline size_t test_gzip_deflate_zlib(const void *src, size_t n,
                                            uint8_t *dst, size_t cap,
                                            int level, size_t flush_every) {
  const uint8_t *in = src;
  size_t at = 0, len = 0;
  z_stream z;
  int rc;

  memset(&z, 0, sizeof(z));
  if (n > UINT32_MAX || cap > UINT32_MAX ||
      deflateInit2(&z, level, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY) !=
          Z_OK)
    return 0;
  z.next_out = dst;
  z.avail_out = (uInt)cap;
  do {
    size_t piece = flush_every && n - at > flush_every ? flush_every : n - at;
    int last = at + piece == n;
    z.next_in = (Bytef *)(uintptr_t)(in + at);
    z.avail_in = (uInt)piece;
    rc = deflate(&z, last ? Z_FINISH : Z_SYNC_FLUSH);
    if (rc != (last ? Z_STREAM_END : Z_OK) || z.avail_in > 0)
      break;
    at += piece;
    if (last)
      len = z.total_out;
  } while (at < n);
  deflateEnd(&z);
  return len;
}

#endif
