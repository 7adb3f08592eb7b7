/*
 * simd/simd_types.h - levels, byte sets and operation tables of the SIMD
 * kernels.
 *
 * The scanning kernels work on 64-byte blocks: block i of a buffer is bytes
 * [64 i, 64 i + 64), and its result is one uint64_t whose bit j stands for
 * byte 64 i + j. A buffer of len bytes has simd_blocks(len) blocks; bits of
 * the last block past len are always 0, so callers get exact positions and
 * never see padding.
 */
#ifndef SLUICE_SIMD_SIMD_TYPES_H
#define SLUICE_SIMD_SIMD_TYPES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define SIMD_BLOCK_BYTES 64

/* Instruction-set levels, weakest first (a level implies those below it). */
enum simd_level {
  SIMD_LEVEL_SCALAR = 0, /* portable C, the reference twin */
  SIMD_LEVEL_SSE42,      /* SSE4.2 (+SSSE3 pshufb), 16-byte vectors */
  SIMD_LEVEL_AVX2,       /* AVX2, 32-byte vectors */
  SIMD_LEVEL_AVX512,     /* AVX-512 F+BW, 64-byte vectors and mask registers */
  SIMD_LEVEL_COUNT
};

/*
 * Byte sets of the separator kernels: at most 8 classes of bytes below
 * 0x80 (each class a set of low nibbles under one high nibble, see
 * kernels_internal.h), never '\n'. Only STATSD_CTL holds NUL; the kernels
 * clear every bit past len, so padding never matches.
 */
enum simd_set {
  SIMD_SET_STATSD = 0, /* ':' '|' '#' ',' '@' */
  SIMD_SET_SYSLOG,     /* '<' '>' ' ' '[' ']' '"' '\\' '=' */
  SIMD_SET_STATSD_CTL, /* SIMD_SET_STATSD and the bytes the StatsD parser
                          refuses: < 0x20 but '\n', and 0x7f */
  SIMD_SET_COUNT
};

/*
 * One level's kernels. Every level computes exactly the same results as
 * the scalar one; the tests and the fuzz target hold them to that.
 */
struct simd_ops {
  enum simd_level level;
  /* lines[i] = '\n' bits of block i. */
  void (*scan_lines)(const char *buf, size_t len, uint64_t *lines);
  /* lines[i] as above and seps[i] = bits of bytes in `set`, in one pass. */
  void (*scan)(enum simd_set set, const char *buf, size_t len,
               uint64_t *lines, uint64_t *seps);
  /* true iff buf is well-formed UTF-8 (RFC 3629: no overlongs,
   * surrogates or code points above U+10FFFF). */
  bool (*utf8_valid)(const char *buf, size_t len);
  /* simd_hash2 (CRC32C words, one multiply fold; avx2 and avx512 use the
   * sse42 one: the crc32 instruction has no wider form). */
  uint64_t (*hash2)(const char *a, size_t na, const char *b, size_t nb,
                    uint64_t seed);
};

/* Walks the set bits of a bitmap array in increasing position. */
struct simd_iter {
  const uint64_t *bits;
  size_t nblocks;
  size_t block; /* index of the block `word` came from */
  uint64_t word; /* bits of `block` not yet returned */
};

/* Splits a scanned buffer into lines (see simd_lines_next). */
struct simd_lines {
  struct simd_iter nl;
  size_t len;
  size_t pos; /* start of the next line */
};

/* One line: bytes [start, start + len) of the buffer, without its '\n'. */
struct simd_line {
  size_t start;
  size_t len;
  bool terminated; /* false for a final line that had no '\n' */
};

#endif
