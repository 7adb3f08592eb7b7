/*
 * simd/dispatch.c - level selection and the public entry points.
 *
 * The level is a plain global picked by a constructor before main (so no
 * shard ever sees it unset) and changed only at start-up by simd_select.
 */
#include <errno.h>
#include <string.h>

#include "core/base/assert.h"
#include "simd/kernels_internal.h"
#include "simd/simd.h"

static const struct simd_ops level_ops[SIMD_LEVEL_COUNT] = {
  [SIMD_LEVEL_SCALAR] = {SIMD_LEVEL_SCALAR, simd_scalar_scan_lines,
                         simd_scalar_scan, simd_scalar_utf8_valid,
                         simd_scalar_hash2},
  [SIMD_LEVEL_SSE42] = {SIMD_LEVEL_SSE42, simd_sse42_scan_lines,
                        simd_sse42_scan, simd_sse42_utf8_valid,
                        simd_sse42_hash2},
  [SIMD_LEVEL_AVX2] = {SIMD_LEVEL_AVX2, simd_avx2_scan_lines, simd_avx2_scan,
                       simd_avx2_utf8_valid, simd_sse42_hash2},
  [SIMD_LEVEL_AVX512] = {SIMD_LEVEL_AVX512, simd_avx512_scan_lines,
                         simd_avx512_scan, simd_avx512_utf8_valid,
                         simd_sse42_hash2},
};

static const char *const level_names[SIMD_LEVEL_COUNT] = {
  [SIMD_LEVEL_SCALAR] = "scalar",
  [SIMD_LEVEL_SSE42] = "sse42",
  [SIMD_LEVEL_AVX2] = "avx2",
  [SIMD_LEVEL_AVX512] = "avx512",
};

static const struct simd_ops *current = &level_ops[SIMD_LEVEL_SCALAR];

const char *simd_level_name(enum simd_level level) {
  return (unsigned)level < SIMD_LEVEL_COUNT ? level_names[level] : "unknown";
}

bool simd_level_supported(enum simd_level level) {
  /* __builtin_cpu_supports also checks that the OS saves the wider
   * registers (XGETBV), not only the CPUID bits. */
  __builtin_cpu_init();
  switch (level) {
  case SIMD_LEVEL_SCALAR:
    return true;
  case SIMD_LEVEL_SSE42:
    return __builtin_cpu_supports("sse4.2") && __builtin_cpu_supports("ssse3");
  case SIMD_LEVEL_AVX2:
    return __builtin_cpu_supports("avx2");
  case SIMD_LEVEL_AVX512:
    return __builtin_cpu_supports("avx512f") &&
           __builtin_cpu_supports("avx512bw");
  default:
    return false;
  }
}

enum simd_level simd_level_best(void) {
  enum simd_level best = SIMD_LEVEL_SCALAR;
  for (int l = SIMD_LEVEL_SCALAR + 1; l < SIMD_LEVEL_COUNT; l++)
    if (simd_level_supported((enum simd_level)l))
      best = (enum simd_level)l;
  return best;
}

int simd_parse_level(const char *name, enum simd_level *out) {
  if (name == NULL)
    return -EINVAL;
  if (strcmp(name, "auto") == 0) {
    *out = simd_level_best();
    return 0;
  }
  for (int l = 0; l < SIMD_LEVEL_COUNT; l++) {
    if (strcmp(name, level_names[l]) == 0) {
      *out = (enum simd_level)l;
      return 0;
    }
  }
  return -EINVAL;
}

int simd_set_level(enum simd_level level) {
  if ((unsigned)level >= SIMD_LEVEL_COUNT)
    return -EINVAL;
  if (!simd_level_supported(level))
    return -ENOTSUP;
  current = &level_ops[level];
  return 0;
}

int simd_select(const char *name) {
  enum simd_level level;
  int rc = simd_parse_level(name, &level);
  return rc ? rc : simd_set_level(level);
}

enum simd_level simd_get_level(void) { return current->level; }

const struct simd_ops *simd_ops_for(enum simd_level level) {
  if ((unsigned)level >= SIMD_LEVEL_COUNT || !simd_level_supported(level))
    return NULL;
  return &level_ops[level];
}

__attribute__((constructor)) static void pick_best_level(void) {
  current = &level_ops[simd_level_best()];
}

void simd_scan_lines(const char *buf, size_t len, uint64_t *lines) {
  current->scan_lines(buf, len, lines);
}

void simd_scan(enum simd_set set, const char *buf, size_t len,
               uint64_t *lines, uint64_t *seps) {
  ASSERT((unsigned)set < SIMD_SET_COUNT); /* indexes the set tables */
  current->scan(set, buf, len, lines, seps);
}

bool simd_utf8_valid(const char *buf, size_t len) {
  return current->utf8_valid(buf, len);
}

uint64_t simd_hash2(const char *a, size_t na, const char *b, size_t nb,
                    uint64_t seed) {
  return current->hash2(a, na, b, nb, seed);
}
