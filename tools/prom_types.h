/*
 * tools/prom_types.h - one sample of the Prometheus text exposition format.
 *
 * Samples point into the caller's text (no copies, no unescaping): label
 * values are the raw bytes between the quotes.
 */
#ifndef SLUICE_TOOLS_PROM_TYPES_H
#define SLUICE_TOOLS_PROM_TYPES_H

#include <stddef.h>
#include <stdint.h>

#include "core/base/limits.h"

struct tools_prom_label {
  const char *name;
  const char *value;     /* raw: escapes (\\ \" \n) left as written */
  uint32_t name_len;
  uint32_t value_len;
};

struct tools_prom_sample {
  const char *name;
  uint32_t name_len;
  uint32_t label_count;
  struct tools_prom_label labels[TOOLS_PROM_LABELS_MAX];
  double value;          /* NaN and +-Inf included */
  int has_timestamp;
  int64_t timestamp_ms;
};

/* Where tools_prom_next resumes; line is the 1-based line last read. */
struct tools_prom_cursor {
  const char *p;
  const char *end;
  uint32_t line;
};

#endif
