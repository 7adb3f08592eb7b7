/*
 * core/base/timefmt_types.h - constants of calendar arithmetic and
 * timestamps (core/base/timefmt.h).
 */
#ifndef SLUICE_CORE_BASE_TIMEFMT_TYPES_H
#define SLUICE_CORE_BASE_TIMEFMT_TYPES_H

#include <stdint.h>

#define CORE_NS_PER_S INT64_C(1000000000)
#define CORE_NS_PER_MS INT64_C(1000000)
#define CORE_TIME_FRAC_DIGITS_MAX 9 /* fraction digits kept: ns */
/* Seconds since the epoch whose ns still fit an int64_t, with a fraction
 * added (1677-09-21 to 2262-04-11). */
#define CORE_TIME_SECS_MIN INT64_C(-9223372035)
#define CORE_TIME_SECS_MAX INT64_C(9223372035)

#endif
