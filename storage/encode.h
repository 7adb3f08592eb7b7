/*
 * storage/encode.h - column encoders of a block (layouts in
 * docs/segment-format.md): LEB128 varints, zigzag, an LSB-first bit
 * writer and reader, and the per-run timestamp and value codecs.
 *
 * Pure functions over memory. Encoders never fail: they write through a
 * bounded stor_bitw whose overflow flag the caller checks once. Decoders
 * return 0 or -EBADMSG and never read outside [r->p, r->end).
 */
#ifndef SLUICE_STORAGE_ENCODE_H
#define SLUICE_STORAGE_ENCODE_H

#include <stddef.h>
#include <stdint.h>

#include "storage/encode_types.h"

/* Zigzag: small magnitudes of either sign become small unsigned numbers. */
static inline uint64_t stor_zigzag(int64_t v) {
  return ((uint64_t)v << 1) ^ (uint64_t)(v >> 63);
}

static inline int64_t stor_unzigzag(uint64_t u) {
  return (int64_t)(u >> 1) ^ -(int64_t)(u & 1);
}

/* The n low bytes of a little-endian integer at p (n <= 8). */
static inline uint64_t stor_le_get(const uint8_t *p, unsigned n) {
  uint64_t v = 0;

  for (unsigned i = 0; i < n; i++)
    v |= (uint64_t)p[i] << (8 * i);
  return v;
}

/* v's n low bytes at p, little-endian (n <= 8). */
static inline void stor_le_put(uint8_t *p, uint64_t v, unsigned n) {
  for (unsigned i = 0; i < n; i++)
    p[i] = (uint8_t)(v >> (8 * i));
}

/* Bytes of v as an LEB128 varint (1..10). */
static inline unsigned stor_varint_len(uint64_t v) {
  unsigned bits = 64 - (unsigned)__builtin_clzll(v | 1);
  return (bits + 6) / 7;
}

/* Bits needed to hold v (0 for 0, 64 for values >= 2^63). */
static inline unsigned stor_bit_width(uint64_t v) {
  return v == 0 ? 0 : 64 - (unsigned)__builtin_clzll(v);
}

/*
 * Write v as an LEB128 varint at p (room for STOR_VARINT_BYTES_MAX bytes).
 * Returns the bytes written.
 */
unsigned stor_varint_put(uint8_t *p, uint64_t v);

/*
 * Read a canonical LEB128 varint from [*p, end) and advance *p.
 * Returns 0, or -EBADMSG when truncated, longer than 10 bytes, over 64 bits
 * or not minimal (a final 0x00 byte after the first).
 */
int stor_varint_get(const uint8_t **p, const uint8_t *end, uint64_t *v);

/* ---- bit writer -------------------------------------------------------- */

/* Start writing at buf, at most cap bytes. */
void stor_bitw_init(struct stor_bitw *w, uint8_t *buf, size_t cap);

/* Append the low n bits of v (n <= 64), LSB first. */
void stor_bitw_bits(struct stor_bitw *w, uint64_t v, unsigned n);

/* Pad with zero bits to a byte boundary. */
void stor_bitw_align(struct stor_bitw *w);

/* Append one byte / a varint / bytes; the writer must be aligned. */
void stor_bitw_byte(struct stor_bitw *w, uint8_t b);
void stor_bitw_varint(struct stor_bitw *w, uint64_t v);
void stor_bitw_bytes(struct stor_bitw *w, const void *src, size_t n);

/* ---- bit reader -------------------------------------------------------- */

/* Start reading [p, p + len). */
void stor_bitr_init(struct stor_bitr *r, const uint8_t *p, size_t len);

/* Next n bits (n <= 64); 0 and bad set when fewer remain. */
uint64_t stor_bitr_bits(struct stor_bitr *r, unsigned n);

/* Skip to the next byte boundary; a non-zero padding bit sets bad. */
void stor_bitr_align(struct stor_bitr *r);

/* One byte / a varint, from an aligned reader; bad set on failure. */
uint8_t stor_bitr_byte(struct stor_bitr *r);
uint64_t stor_bitr_varint(struct stor_bitr *r);

/* ---- timestamps of one run --------------------------------------------- */

/*
 * Encode n >= 1 ascending timestamps of one run relative to base (the
 * block's min_ts_ms, <= ts[0]). mode: an enum stor_ts_mode, or
 * STOR_MODE_AUTO for the smallest. Returns the mode used (0 when n == 1).
 */
int stor_ts_encode(struct stor_bitw *w, const int64_t *ts, uint32_t n,
                   int64_t base, int mode);

/*
 * Decode n timestamps written by stor_ts_encode with base min_ts; each
 * must lie in [min_ts, max_ts] and not decrease. Returns 0 or -EBADMSG.
 */
int stor_ts_decode(struct stor_bitr *r, int64_t *ts, uint32_t n,
                   int64_t min_ts, int64_t max_ts);

/* ---- values of one run ------------------------------------------------- */

/*
 * Encode n >= 1 values, bit-exactly (NaN payloads, -0.0 and infinities
 * included). mode: an enum stor_val_mode, or STOR_MODE_AUTO for the
 * smallest; an integer mode the values do not fit falls back to XOR.
 * scratch holds n int64_t. Returns the mode byte written.
 */
int stor_val_encode(struct stor_bitw *w, const double *v, uint32_t n,
                    int64_t *scratch, int mode);

/* Decode n values written by stor_val_encode. Returns 0 or -EBADMSG. */
int stor_val_decode(struct stor_bitr *r, double *v, uint32_t n);

#endif
