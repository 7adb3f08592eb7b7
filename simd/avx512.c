/*
 * simd/avx512.c - AVX-512 (F+BW) kernels: one 64-byte block per vector,
 * results straight into mask registers.
 */
#include <immintrin.h>

#include "simd/kernels_internal.h"

#define KERNEL_TARGET __attribute__((target("avx512f,avx512bw")))
#define KERNEL_FN(name) simd_avx512_##name

struct set_vecs {
  __m512i lo, hi, nib, nl;
};

KERNEL_TARGET static inline __m512i table16(const uint8_t *t) {
  return _mm512_broadcast_i32x4(_mm_loadu_si128((const __m128i *)t));
}

KERNEL_TARGET static inline void set_load(struct set_vecs *v,
                                          enum simd_set set) {
  v->lo = table16(simd_set_lo[set]);
  v->hi = table16(simd_set_hi[set]);
  v->nib = _mm512_set1_epi8(0x0f);
  v->nl = _mm512_set1_epi8('\n');
}

KERNEL_TARGET static inline uint64_t lines_block(const uint8_t *p) {
  return _mm512_cmpeq_epi8_mask(_mm512_loadu_si512(p), _mm512_set1_epi8('\n'));
}

KERNEL_TARGET static inline uint64_t seps_block(const struct set_vecs *v,
                                                const uint8_t *p,
                                                uint64_t *lines) {
  __m512i in = _mm512_loadu_si512(p);
  *lines = _mm512_cmpeq_epi8_mask(in, v->nl);
  /* pshufb yields 0 for bytes >= 0x80, which are in no set */
  __m512i lo = _mm512_shuffle_epi8(v->lo, in);
  __m512i hi = _mm512_shuffle_epi8(
      v->hi, _mm512_and_si512(_mm512_srli_epi16(in, 4), v->nib));
  return _mm512_test_epi8_mask(lo, hi);
}

/* ---- UTF-8 -------------------------------------------------------------- */

struct utf8_state {
  __m512i prev;       /* previous non-ASCII block (zero after ASCII) */
  __m512i incomplete; /* where `prev` ends in an unfinished sequence */
  __m512i error;
};

KERNEL_TARGET static inline void utf8_init(struct utf8_state *s) {
  s->prev = s->incomplete = s->error = _mm512_setzero_si512();
}

/* in shifted right by n bytes across the whole vector, the gap filled with
 * the last n bytes of prev. */
#define PREV(in, prev, n)                                                    \
  _mm512_alignr_epi8((in), _mm512_alignr_epi64((in), (prev), 6), 16 - (n))

KERNEL_TARGET static inline __m512i utf8_check(__m512i in, __m512i prev) {
  const __m512i nib = _mm512_set1_epi8(0x0f);
  __m512i prev1 = PREV(in, prev, 1);
  __m512i b1h = _mm512_shuffle_epi8(table16(simd_utf8_byte1_high),
                                    _mm512_and_si512(_mm512_srli_epi16(prev1, 4), nib));
  __m512i b1l = _mm512_shuffle_epi8(table16(simd_utf8_byte1_low),
                                    _mm512_and_si512(prev1, nib));
  __m512i b2h = _mm512_shuffle_epi8(table16(simd_utf8_byte2_high),
                                    _mm512_and_si512(_mm512_srli_epi16(in, 4), nib));
  __m512i special = _mm512_and_si512(_mm512_and_si512(b1h, b1l), b2h);
  /* after a 3- or 4-byte lead, bytes 2..3 must be continuations */
  __m512i third = _mm512_subs_epu8(PREV(in, prev, 2), _mm512_set1_epi8(0xe0 - 0x80));
  __m512i fourth = _mm512_subs_epu8(PREV(in, prev, 3), _mm512_set1_epi8((char)(0xf0 - 0x80)));
  __m512i must23 = _mm512_and_si512(_mm512_or_si512(third, fourth),
                                    _mm512_set1_epi8((char)0x80));
  return _mm512_xor_si512(must23, special);
}

KERNEL_TARGET static inline void utf8_block(struct utf8_state *s,
                                            const uint8_t *p) {
  __m512i in = _mm512_loadu_si512(p);
  if (_mm512_movepi8_mask(in) == 0) {
    s->error = _mm512_or_si512(s->error, s->incomplete);
    s->prev = s->incomplete = _mm512_setzero_si512();
    return;
  }
  s->error = _mm512_or_si512(s->error, utf8_check(in, s->prev));
  s->incomplete = _mm512_subs_epu8(in, _mm512_loadu_si512(simd_utf8_incomplete_max));
  s->prev = in;
}

KERNEL_TARGET static inline bool utf8_ok(const struct utf8_state *s) {
  __m512i e = _mm512_or_si512(s->error, s->incomplete);
  return _mm512_test_epi8_mask(e, e) == 0;
}

#include "simd/level_driver.inc"
