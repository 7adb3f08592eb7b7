/*
 * core/base/fault.h - reading the fault-injection settings.
 */
#ifndef SLUICE_CORE_BASE_FAULT_H
#define SLUICE_CORE_BASE_FAULT_H

#include "core/base/fault_types.h"

/* The process-wide settings (all zero unless SLUICE_FAULT was set). */
extern struct core_fault core_fault;

/*
 * Parse SLUICE_FAULT's value into core_fault. NULL or "" clears it.
 * Returns 0, or -EINVAL for an unknown name or a bad number.
 */
int core_fault_parse(const char *spec);

/* 1 when the nth event (counting from 1) of a fault with period every hits. */
static inline int core_fault_hit(uint32_t every, uint64_t nth) {
  return every != 0 && nth % every == 0;
}

#endif
