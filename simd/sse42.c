/*
 * simd/sse42.c - SSE4.2 kernels (pshufb is SSSE3, implied): a 64-byte block
 * is four 16-byte vectors.
 */
#include <immintrin.h>

#include "simd/kernels_internal.h"

#define KERNEL_TARGET __attribute__((target("sse4.2")))
#define KERNEL_FN(name) simd_sse42_##name

struct set_vecs {
  __m128i lo, hi, nib, nl;
};

KERNEL_TARGET static inline __m128i table16(const uint8_t *t) {
  return _mm_loadu_si128((const __m128i *)t);
}

KERNEL_TARGET static inline void set_load(struct set_vecs *v,
                                          enum simd_set set) {
  v->lo = table16(simd_set_lo[set]);
  v->hi = table16(simd_set_hi[set]);
  v->nib = _mm_set1_epi8(0x0f);
  v->nl = _mm_set1_epi8('\n');
}

KERNEL_TARGET static inline __m128i load16(const uint8_t *p, int k) {
  return _mm_loadu_si128((const __m128i *)(p + 16 * k));
}

KERNEL_TARGET static inline uint64_t bits16(__m128i m, int k) {
  return (uint64_t)(uint16_t)_mm_movemask_epi8(m) << (16 * k);
}

KERNEL_TARGET static inline uint64_t lines_block(const uint8_t *p) {
  const __m128i nl = _mm_set1_epi8('\n');
  uint64_t bits = 0;
  for (int k = 0; k < 4; k++)
    bits |= bits16(_mm_cmpeq_epi8(load16(p, k), nl), k);
  return bits;
}

KERNEL_TARGET static inline uint64_t seps_block(const struct set_vecs *v,
                                                const uint8_t *p,
                                                uint64_t *lines) {
  uint64_t l = 0, none = 0;
  for (int k = 0; k < 4; k++) {
    __m128i in = load16(p, k);
    l |= bits16(_mm_cmpeq_epi8(in, v->nl), k);
    __m128i lo = _mm_shuffle_epi8(v->lo, in); /* 0 for bytes >= 0x80 */
    __m128i hi = _mm_shuffle_epi8(v->hi, _mm_and_si128(_mm_srli_epi16(in, 4), v->nib));
    none |= bits16(_mm_cmpeq_epi8(_mm_and_si128(lo, hi), _mm_setzero_si128()), k);
  }
  *lines = l;
  return ~none;
}

/* ---- UTF-8 -------------------------------------------------------------- */

struct utf8_state {
  __m128i prev;       /* previous non-ASCII vector (zero after ASCII) */
  __m128i incomplete; /* where `prev` ends in an unfinished sequence */
  __m128i error;
};

KERNEL_TARGET static inline void utf8_init(struct utf8_state *s) {
  s->prev = s->incomplete = s->error = _mm_setzero_si128();
}

KERNEL_TARGET static inline __m128i utf8_check(__m128i in, __m128i prev) {
  const __m128i nib = _mm_set1_epi8(0x0f);
  __m128i prev1 = _mm_alignr_epi8(in, prev, 15);
  __m128i b1h = _mm_shuffle_epi8(table16(simd_utf8_byte1_high),
                                 _mm_and_si128(_mm_srli_epi16(prev1, 4), nib));
  __m128i b1l = _mm_shuffle_epi8(table16(simd_utf8_byte1_low),
                                 _mm_and_si128(prev1, nib));
  __m128i b2h = _mm_shuffle_epi8(table16(simd_utf8_byte2_high),
                                 _mm_and_si128(_mm_srli_epi16(in, 4), nib));
  __m128i special = _mm_and_si128(_mm_and_si128(b1h, b1l), b2h);
  /* after a 3- or 4-byte lead, bytes 2..3 must be continuations */
  __m128i third = _mm_subs_epu8(_mm_alignr_epi8(in, prev, 14), _mm_set1_epi8(0xe0 - 0x80));
  __m128i fourth = _mm_subs_epu8(_mm_alignr_epi8(in, prev, 13), _mm_set1_epi8((char)(0xf0 - 0x80)));
  __m128i must23 = _mm_and_si128(_mm_or_si128(third, fourth),
                                 _mm_set1_epi8((char)0x80));
  return _mm_xor_si128(must23, special);
}

KERNEL_TARGET static inline void utf8_block(struct utf8_state *s,
                                            const uint8_t *p) {
  __m128i v[4];
  for (int k = 0; k < 4; k++)
    v[k] = load16(p, k);
  __m128i any = _mm_or_si128(_mm_or_si128(v[0], v[1]), _mm_or_si128(v[2], v[3]));
  if (_mm_movemask_epi8(any) == 0) {
    s->error = _mm_or_si128(s->error, s->incomplete);
    s->prev = s->incomplete = _mm_setzero_si128();
    return;
  }
  for (int k = 0; k < 4; k++) {
    s->error = _mm_or_si128(s->error, utf8_check(v[k], s->prev));
    s->prev = v[k];
  }
  s->incomplete = _mm_subs_epu8(v[3], table16(simd_utf8_incomplete_max + 48));
}

KERNEL_TARGET static inline bool utf8_ok(const struct utf8_state *s) {
  __m128i e = _mm_or_si128(s->error, s->incomplete);
  return _mm_testz_si128(e, e);
}

#include "simd/level_driver.inc"
