/*
 * tests/unit/test_util.h - what tests across the tree share: reproducible
 * random numbers (a fixed seed in each test makes every failure
 * reproducible) and a double's neighbours. Header only, for tests, fuzz
 * targets and benchmarks: #include "tests/unit/test_util.h".
 */
#ifndef SLUICE_TESTS_UNIT_TEST_UTIL_H
#define SLUICE_TESTS_UNIT_TEST_UTIL_H

#include <math.h>
#include <stdint.h>
#include <string.h>

/* splitmix64: advances *s (any seed, 0 too) and returns the next number. */
static inline uint64_t test_splitmix64(uint64_t *s) {
  uint64_t z = (*s += UINT64_C(0x9e3779b97f4a7c15));

  z = (z ^ (z >> 30)) * UINT64_C(0xbf58476d1ce4e5b9);
  z = (z ^ (z >> 27)) * UINT64_C(0x94d049bb133111eb);
  return z ^ (z >> 31);
}

/* xorshift64 (13, 7, 17): advances *s and returns it; seed it non-zero
 * (0 stays 0). */
static inline uint64_t test_xorshift64(uint64_t *s) {
  *s ^= *s << 13;
  *s ^= *s >> 7;
  *s ^= *s << 17;
  return *s;
}

/* The double whose bit pattern is b (NaN payloads, subnormals, any). */
static inline double test_bits_double(uint64_t b) {
  double v;

  memcpy(&v, &b, sizeof(v));
  return v;
}

/* Calls f(v), then f on each of v's n nearest doubles below (toward
 * -Inf) and above (toward +Inf), nearest first. */
static inline void test_around(double v, int n, void (*f)(double)) {
  double lo = v, hi = v;

  f(v);
  for (int i = 0; i < n; i++) {
    lo = nextafter(lo, -INFINITY);
    hi = nextafter(hi, INFINITY);
    f(lo);
    f(hi);
  }
}

#endif
