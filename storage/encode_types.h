/*
 * storage/encode_types.h - cursors and mode numbers of the column encoders
 * (storage/encode.h). The byte and bit layouts are in
 * docs/segment-format.md.
 *
 * Bits are packed LSB-first: the first bit written is bit 0 of the first
 * byte, and a field of n bits is written with its least significant bit
 * first. A run's bit section ends on a byte boundary (zero padding).
 */
#ifndef SLUICE_STORAGE_ENCODE_TYPES_H
#define SLUICE_STORAGE_ENCODE_TYPES_H

#include <stddef.h>
#include <stdint.h>

/* Longest LEB128 varint of a uint64_t. */
#define STOR_VARINT_BYTES_MAX 10

/* Integers stored on the integer path stay within +-2^53 (exact doubles). */
#define STOR_INT_ABS_MAX (INT64_C(1) << 53)

/* Largest decimal exponent e of the integer path (value = m / 10^e). */
#define STOR_DEC_EXP_MAX 15

/*
 * Timestamp mode of a run of two points or more: low 2 bits of the mode
 * byte; bits 2..7 hold the bit width of the packed fields (0..63).
 */
enum stor_ts_mode {
  STOR_TS_DELTA_FOR = 0, /* deltas as (d - dmin) in a fixed bit width */
  STOR_TS_DOD = 1,       /* first delta, then delta-of-delta buckets */
  STOR_TS_GRID = 2,      /* ts[0] + i * stride + (rmin + packed residual) */
  STOR_TS_MODE_COUNT
};

/* Widest packed field of a timestamp mode byte (6 bits). */
#define STOR_TS_WIDTH_MAX 63

/* Value mode of a run: low 2 bits of the mode byte (bits 2..5: exponent). */
enum stor_val_mode {
  STOR_VAL_XOR = 0,       /* Gorilla XOR of the double bits */
  STOR_VAL_FOR = 1,       /* integers: (m - min) in a fixed bit width */
  STOR_VAL_DELTA_FOR = 2, /* integers: first, then (delta - dmin) packed */
  STOR_VAL_MODE_COUNT
};

/* Choose the smallest mode (the encoders' default). */
#define STOR_MODE_AUTO (-1)

/*
 * Writer over [buf, buf + cap). Bytes and bits interleave: byte-level calls
 * need an aligned writer (stor_bitw_align). Writing past cap sets overflow
 * and drops the bytes, so one check at the end suffices.
 */
struct stor_bitw {
  uint8_t *buf;
  size_t cap;
  size_t len;      /* whole bytes written */
  uint64_t acc;    /* pending bits, LSB first */
  unsigned nacc;   /* pending bit count, < 8 between calls */
  int overflow;
};

/*
 * Reader over [p, end). Reading past end, a non-zero padding bit or a
 * malformed varint sets bad; values read after that are 0. Callers check
 * bad once per run, so the work a malformed input causes stays bounded by
 * the counts the caller already checked.
 */
struct stor_bitr {
  const uint8_t *p;
  const uint8_t *end;
  uint64_t acc;    /* bits fetched but not consumed, LSB first */
  unsigned nacc;
  int bad;
};

#endif
