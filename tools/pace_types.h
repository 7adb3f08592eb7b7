/*
 * tools/pace_types.h - a token bucket that paces one sender thread.
 */
#ifndef SLUICE_TOOLS_PACE_TYPES_H
#define SLUICE_TOOLS_PACE_TYPES_H

#include <stdint.h>

struct tools_pace {
  double rate_per_ns;   /* tokens (lines) added per nanosecond; 0: unpaced */
  double burst;         /* bucket depth in lines */
  double tokens;        /* may go below 0 after a batch larger than burst */
  uint64_t last_ns;     /* when tokens was last brought up to date */
};

#endif
