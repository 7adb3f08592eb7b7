/*
 * core/base/dtoa.h - the shortest decimal that reads back as a double:
 * Raffaello Giulietti's Schubfach ("The Schubfach way to render doubles",
 * 2020), in integer arithmetic with a table of 617 128-bit powers of ten
 * (scripts/gen_dtoa_pow10.py), no allocation, no libc.
 */
#ifndef SLUICE_CORE_BASE_DTOA_H
#define SLUICE_CORE_BASE_DTOA_H

#include <stdint.h>

/*
 * |v| (finite, nonzero; the sign is ignored) as f * 10^e with f as short
 * as any decimal that strtod (round-half-even) reads back as |v|, and,
 * among those of that length, the nearest to |v| (ties to an even last
 * digit). f has 1..17 digits and no trailing zero. Writes *f and *e.
 */
void core_dtoa_shortest(double v, uint64_t *f, int *e);

#endif
