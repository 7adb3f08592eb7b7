/*
 * simd/find.h - finding one byte value in a short span, inline.
 *
 * For spans of a few dozen bytes (a StatsD tag field) a call to memchr
 * costs about as much as the search: this one is inline and reads 16
 * bytes a step (two SSE2 words, the x86-64 baseline, so no dispatch), within a
 * readable bound the caller states. Other CPUs, and the tail past that
 * bound, use memchr; both give memchr's answer (tests/unit/simd,
 * simd_scan/find_byte_matches_memchr).
 */
#ifndef SLUICE_SIMD_FIND_H
#define SLUICE_SIMD_FIND_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

/*
 * Position of the first byte c in s[0, n), or n when there is none.
 * s[0, avail) must be readable, avail >= n: bytes of [n, avail) may be
 * read, never taken.
 */
static inline size_t simd_find_byte(const char *s, size_t n, size_t avail,
                                    char c) {
  size_t i = 0;
  const char *q;

#if defined(__SSE2__)
  /* steps of 32 while the whole step is readable: one bound a step */
  if (avail >= 32 && n <= avail - 32) {
    const __m128i v = _mm_set1_epi8(c);
    for (; i < n; i += 32) {
      const __m128i *w = (const __m128i *)(const void *)(s + i);
      uint32_t m = (uint32_t)_mm_movemask_epi8(
                       _mm_cmpeq_epi8(_mm_loadu_si128(w), v)) |
                   (uint32_t)_mm_movemask_epi8(
                       _mm_cmpeq_epi8(_mm_loadu_si128(w + 1), v))
                       << 16;
      if (m != 0) {
        size_t r = i + (size_t)__builtin_ctz(m);
        return r < n ? r : n;
      }
    }
    return n;
  }
#else
  (void)avail;
#endif
  q = memchr(s + i, c, n - i);
  return q != NULL ? (size_t)(q - s) : n;
}

#endif
