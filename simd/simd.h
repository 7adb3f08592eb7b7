/*
 * simd/simd.h - structural scanning and UTF-8 validation with run-time CPU
 * dispatch.
 *
 * A parser scans a buffer once into bitmaps (simd_scan), then walks them:
 * simd_lines_next yields exact lines (a final line without '\n' included)
 * and a simd_iter over the separator bitmap yields the next structural
 * position at or after any offset (simd_iter_seek + simd_iter_next).
 * Positions are offsets into the scanned buffer, so lines and fields that
 * cross 64-byte blocks need no special care.
 *
 * The level is chosen once, at load time, from the CPU (the best it
 * supports) and can be forced with simd_select; do that at start-up, before
 * shard threads run, because the choice is a plain global.
 */
#ifndef SLUICE_SIMD_SIMD_H
#define SLUICE_SIMD_SIMD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "simd/simd_types.h"

#define SIMD_NONE SIZE_MAX /* "no further position" from simd_iter_next */

/* Number of 64-byte blocks (bitmap words) a buffer of len bytes needs. */
static inline size_t simd_blocks(size_t len) {
  return (len + SIMD_BLOCK_BYTES - 1) / SIMD_BLOCK_BYTES;
}

/* ---- levels and dispatch ----------------------------------------------- */

/* Name of a level: "scalar", "sse42", "avx2", "avx512". Never NULL. */
const char *simd_level_name(enum simd_level level);

/* true iff this CPU (and OS) can run `level`. Scalar is always supported. */
bool simd_level_supported(enum simd_level level);

/* The best level this CPU supports. */
enum simd_level simd_level_best(void);

/*
 * Parse a --simd= value.
 *   name  "auto" (the best supported level) or a level name.
 *   out   set on success.
 * Returns 0, or -EINVAL for an unknown name (out untouched).
 */
int simd_parse_level(const char *name, enum simd_level *out);

/*
 * Make `level` the one simd_scan* and simd_utf8_valid use.
 * Returns 0, -EINVAL for a value outside the enum, -ENOTSUP when the CPU
 * lacks it (the current level is then kept).
 */
int simd_set_level(enum simd_level level);

/* simd_parse_level then simd_set_level: what --simd=NAME does. */
int simd_select(const char *name);

/* The level in use. */
enum simd_level simd_get_level(void);

/* Kernels of one level, or NULL when the CPU lacks it (or level invalid).
 * Tests and benchmarks use it to compare levels side by side. */
const struct simd_ops *simd_ops_for(enum simd_level level);

/* ---- kernels at the selected level ------------------------------------- */

/*
 * '\n' bitmaps of buf[0, len): lines[i] bit j is set iff buf[64 i + j] is
 * '\n'. lines must hold simd_blocks(len) words; bits past len are 0.
 */
void simd_scan_lines(const char *buf, size_t len, uint64_t *lines);

/*
 * One pass over buf[0, len) producing both the '\n' bitmaps (as
 * simd_scan_lines) and the bitmaps of the bytes of `set` in seps.
 * Both arrays hold simd_blocks(len) words; bits past len are 0.
 */
void simd_scan(enum simd_set set, const char *buf, size_t len,
               uint64_t *lines, uint64_t *seps);

/* true iff buf[0, len) is well-formed UTF-8 (RFC 3629). len 0 is valid. */
bool simd_utf8_valid(const char *buf, size_t len);

/*
 * A 64-bit hash of a[0, na) followed by b[0, nb) from seed (simd/hash.c:
 * CRC32C over 8-byte words, folded with the lengths and seed by one
 * multiply). Reads only those bytes. Every level returns the same value;
 * not keyed, not for adversaries: a table using it must compare bytes.
 */
uint64_t simd_hash2(const char *a, size_t na, const char *b, size_t nb,
                    uint64_t seed);

/* true iff byte c belongs to `set` (the scalar definition of the sets). */
bool simd_set_has(enum simd_set set, unsigned char c);

/* ---- walking bitmaps ----------------------------------------------------- */

/* Start iterating over the set bits of bits[0, nblocks). */
static inline void simd_iter_init(struct simd_iter *it, const uint64_t *bits,
                                  size_t nblocks) {
  it->bits = bits;
  it->nblocks = nblocks;
  it->block = 0;
  it->word = nblocks ? bits[0] : 0;
}

/* Next set position (increasing), or SIMD_NONE when there is none. */
static inline size_t simd_iter_next(struct simd_iter *it) {
  while (it->word == 0) {
    if (it->block + 1 >= it->nblocks)
      return SIMD_NONE;
    it->word = it->bits[++it->block];
  }
  size_t pos = it->block * SIMD_BLOCK_BYTES + (size_t)__builtin_ctzll(it->word);
  it->word &= it->word - 1;
  return pos;
}

/* Skip so that the next simd_iter_next returns a position >= pos. Moves
 * forward only: seeking behind the iterator leaves it where it is. */
static inline void simd_iter_seek(struct simd_iter *it, size_t pos) {
  size_t block = pos / SIMD_BLOCK_BYTES;
  if (block >= it->nblocks) {
    it->block = it->nblocks ? it->nblocks - 1 : 0;
    it->word = 0;
    return;
  }
  if (block < it->block)
    return;
  if (block > it->block) {
    it->block = block;
    it->word = it->bits[block];
  }
  it->word &= ~0ull << (pos % SIMD_BLOCK_BYTES);
}

/*
 * Start splitting a buffer of len bytes whose '\n' bitmaps (from
 * simd_scan_lines or simd_scan) are `lines`.
 */
static inline void simd_lines_init(struct simd_lines *l, const uint64_t *lines,
                                   size_t len) {
  simd_iter_init(&l->nl, lines, simd_blocks(len));
  l->len = len;
  l->pos = 0;
}

/*
 * Next line into *out: its start, its length without the '\n' (a '\r'
 * before it is kept: the parsers ignore it), and whether a '\n' ended it.
 * Empty lines are returned too. A buffer ending in '\n' has no empty line
 * after it; one ending otherwise yields that last line with terminated
 * false (a stream framer keeps it for the next read).
 * Returns true when *out was filled, false at the end of the buffer.
 */
static inline bool simd_lines_next(struct simd_lines *l, struct simd_line *out) {
  if (l->pos >= l->len)
    return false;
  size_t nl = simd_iter_next(&l->nl);
  out->start = l->pos;
  out->terminated = nl != SIMD_NONE;
  out->len = (out->terminated ? nl : l->len) - l->pos;
  l->pos = out->terminated ? nl + 1 : l->len;
  return true;
}

#endif
