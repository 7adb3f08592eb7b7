/*
 * tests/fuzz/fuzz_split.h - how the framer fuzz targets cut an input into
 * reads: whole, byte by byte, or at lengths drawn from a PRNG seeded by
 * the input (so a crash replays from the input alone).
 */
#ifndef SLUICE_TESTS_FUZZ_SPLIT_H
#define SLUICE_TESTS_FUZZ_SPLIT_H

#include <stddef.h>
#include <stdint.h>

static uint64_t fuzz_split_rng;

/* Seed the PRNG from the input. */
static inline void fuzz_split_seed(const uint8_t *data, size_t size) {
  fuzz_split_rng = size;
  for (size_t i = 0; i < size; i++)
    fuzz_split_rng = fuzz_split_rng * 131 + data[i];
}

/* splitmix64 */
static inline uint64_t fuzz_split_next(void) {
  uint64_t z = (fuzz_split_rng += 0x9e3779b97f4a7c15u);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9u;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebu;
  return z ^ (z >> 31);
}

/*
 * The length of the next read, left bytes (> 0) remaining: all of them
 * (mode 0), one (mode 1), or at random (mode 2): mostly 1-16 bytes, one
 * time in four up to 2 * frame_bytes, so reads end inside, at and past
 * the framer's bound.
 */
static inline size_t fuzz_split_len(int mode, size_t left,
                                    size_t frame_bytes) {
  size_t n;

  if (mode == 0)
    return left;
  if (mode == 1)
    n = 1;
  else if (fuzz_split_next() & 3)
    n = fuzz_split_next() % 16 + 1;
  else
    n = fuzz_split_next() % (2 * frame_bytes) + 1;
  return n < left ? n : left;
}

#endif
