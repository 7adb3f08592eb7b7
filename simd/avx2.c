/*
 * simd/avx2.c - AVX2 kernels: a 64-byte block is two 32-byte vectors.
 */
#include <immintrin.h>

#include "simd/kernels_internal.h"

#define KERNEL_TARGET __attribute__((target("avx2")))
#define KERNEL_FN(name) simd_avx2_##name

struct set_vecs {
  __m256i lo, hi, nib, nl;
};

KERNEL_TARGET static inline __m256i table16(const uint8_t *t) {
  return _mm256_broadcastsi128_si256(_mm_loadu_si128((const __m128i *)t));
}

KERNEL_TARGET static inline void set_load(struct set_vecs *v,
                                          enum simd_set set) {
  v->lo = table16(simd_set_lo[set]);
  v->hi = table16(simd_set_hi[set]);
  v->nib = _mm256_set1_epi8(0x0f);
  v->nl = _mm256_set1_epi8('\n');
}

KERNEL_TARGET static inline uint64_t bits32(__m256i m) {
  return (uint32_t)_mm256_movemask_epi8(m);
}

KERNEL_TARGET static inline uint64_t lines_block(const uint8_t *p) {
  const __m256i nl = _mm256_set1_epi8('\n');
  __m256i a = _mm256_loadu_si256((const __m256i *)p);
  __m256i b = _mm256_loadu_si256((const __m256i *)(p + 32));
  return bits32(_mm256_cmpeq_epi8(a, nl)) |
         bits32(_mm256_cmpeq_epi8(b, nl)) << 32;
}

/* Bytes of `in` in the set: 0xff, others 0. */
KERNEL_TARGET static inline __m256i in_set(const struct set_vecs *v,
                                           __m256i in) {
  __m256i lo = _mm256_shuffle_epi8(v->lo, in); /* 0 for bytes >= 0x80 */
  __m256i hi = _mm256_shuffle_epi8(
      v->hi, _mm256_and_si256(_mm256_srli_epi16(in, 4), v->nib));
  __m256i none = _mm256_cmpeq_epi8(_mm256_and_si256(lo, hi),
                                   _mm256_setzero_si256());
  return _mm256_xor_si256(none, _mm256_set1_epi8((char)0xff));
}

KERNEL_TARGET static inline uint64_t seps_block(const struct set_vecs *v,
                                                const uint8_t *p,
                                                uint64_t *lines) {
  __m256i a = _mm256_loadu_si256((const __m256i *)p);
  __m256i b = _mm256_loadu_si256((const __m256i *)(p + 32));
  *lines = bits32(_mm256_cmpeq_epi8(a, v->nl)) |
           bits32(_mm256_cmpeq_epi8(b, v->nl)) << 32;
  return bits32(in_set(v, a)) | bits32(in_set(v, b)) << 32;
}

/* ---- UTF-8 -------------------------------------------------------------- */

struct utf8_state {
  __m256i prev;       /* previous non-ASCII vector (zero after ASCII) */
  __m256i incomplete; /* where `prev` ends in an unfinished sequence */
  __m256i error;
};

KERNEL_TARGET static inline void utf8_init(struct utf8_state *s) {
  s->prev = s->incomplete = s->error = _mm256_setzero_si256();
}

/* in shifted right by n bytes across both lanes, the gap filled with the
 * last n bytes of prev. */
#define PREV(in, prev, n)                                                    \
  _mm256_alignr_epi8((in), _mm256_permute2x128_si256((prev), (in), 0x21),    \
                     16 - (n))

KERNEL_TARGET static inline __m256i utf8_check(__m256i in, __m256i prev) {
  const __m256i nib = _mm256_set1_epi8(0x0f);
  __m256i prev1 = PREV(in, prev, 1);
  __m256i b1h = _mm256_shuffle_epi8(table16(simd_utf8_byte1_high),
                                    _mm256_and_si256(_mm256_srli_epi16(prev1, 4), nib));
  __m256i b1l = _mm256_shuffle_epi8(table16(simd_utf8_byte1_low),
                                    _mm256_and_si256(prev1, nib));
  __m256i b2h = _mm256_shuffle_epi8(table16(simd_utf8_byte2_high),
                                    _mm256_and_si256(_mm256_srli_epi16(in, 4), nib));
  __m256i special = _mm256_and_si256(_mm256_and_si256(b1h, b1l), b2h);
  /* after a 3- or 4-byte lead, bytes 2..3 must be continuations */
  __m256i third = _mm256_subs_epu8(PREV(in, prev, 2), _mm256_set1_epi8(0xe0 - 0x80));
  __m256i fourth = _mm256_subs_epu8(PREV(in, prev, 3), _mm256_set1_epi8((char)(0xf0 - 0x80)));
  __m256i must23 = _mm256_and_si256(_mm256_or_si256(third, fourth),
                                    _mm256_set1_epi8((char)0x80));
  return _mm256_xor_si256(must23, special);
}

KERNEL_TARGET static inline void utf8_block(struct utf8_state *s,
                                            const uint8_t *p) {
  __m256i a = _mm256_loadu_si256((const __m256i *)p);
  __m256i b = _mm256_loadu_si256((const __m256i *)(p + 32));
  if (_mm256_movemask_epi8(_mm256_or_si256(a, b)) == 0) {
    s->error = _mm256_or_si256(s->error, s->incomplete);
    s->prev = s->incomplete = _mm256_setzero_si256();
    return;
  }
  s->error = _mm256_or_si256(s->error, utf8_check(a, s->prev));
  s->error = _mm256_or_si256(s->error, utf8_check(b, a));
  s->incomplete = _mm256_subs_epu8(
      b, _mm256_loadu_si256((const __m256i *)(simd_utf8_incomplete_max + 32)));
  s->prev = b;
}

KERNEL_TARGET static inline bool utf8_ok(const struct utf8_state *s) {
  __m256i e = _mm256_or_si256(s->error, s->incomplete);
  return _mm256_testz_si256(e, e);
}

#include "simd/level_driver.inc"
