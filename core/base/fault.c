/*
 * core/base/fault.c - SLUICE_FAULT parsing.
 */
#include "core/base/fault.h"

#include <errno.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

struct core_fault core_fault;

static uint32_t *field(const char *name, size_t n) {
  static const struct {
    const char *name;
    size_t off;
  } names[] = {
      {"write_eio", offsetof(struct core_fault, write_eio)},
      {"write_enospc", offsetof(struct core_fault, write_enospc)},
      {"write_short", offsetof(struct core_fault, write_short)},
      {"fsync_eio", offsetof(struct core_fault, fsync_eio)},
      {"heap_fail", offsetof(struct core_fault, heap_fail)},
      {"compact_crash", offsetof(struct core_fault, compact_crash)},
  };
  for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
    if (strlen(names[i].name) == n && memcmp(names[i].name, name, n) == 0)
      return (uint32_t *)(void *)((char *)&core_fault + names[i].off);
  return NULL;
}

int core_fault_parse(const char *spec) {
  memset(&core_fault, 0, sizeof(core_fault));
  while (spec != NULL && *spec != '\0') {
    const char *eq = strchr(spec, '='), *end = strchr(spec, ',');
    char *stop;
    uint32_t *f;
    unsigned long v;

    if (end == NULL)
      end = spec + strlen(spec);
    if (eq == NULL || eq > end || (f = field(spec, (size_t)(eq - spec))) == NULL)
      return -EINVAL;
    v = strtoul(eq + 1, &stop, 10);
    if (stop != end || stop == eq + 1 || v > UINT32_MAX)
      return -EINVAL;
    *f = (uint32_t)v;
    spec = *end ? end + 1 : end;
  }
  return 0;
}
