/*
 * core/base/assert.h - assertions.
 *
 * ASSERT is always on: it guards invariants whose violation would corrupt or
 * lose data, so a release build must stop rather than continue.
 * DEBUG_ASSERT is for costly checks and compiles away unless SLUICE_DEBUG.
 */
#ifndef SLUICE_CORE_BASE_ASSERT_H
#define SLUICE_CORE_BASE_ASSERT_H

#include <stdio.h>
#include <stdlib.h>

#define ASSERT(cond)                                                       \
  do {                                                                     \
    if (__builtin_expect(!(cond), 0)) {                                    \
      fprintf(stderr, "sluice: assertion failed: %s (%s:%d)\n", #cond,     \
              __FILE__, __LINE__);                                         \
      abort();                                                             \
    }                                                                      \
  } while (0)

#ifdef SLUICE_DEBUG
#define DEBUG_ASSERT(cond) ASSERT(cond)
#else
#define DEBUG_ASSERT(cond) ((void)0)
#endif

#endif
