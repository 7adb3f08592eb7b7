/*
 * tools/pace.h - token-bucket pacing in lines per second.
 *
 * Pure arithmetic over caller-supplied clock readings, so the math is
 * tested without sleeping. The bucket starts full: a sender may send one
 * burst at once, then settles at the rate.
 */
#ifndef SLUICE_TOOLS_PACE_H
#define SLUICE_TOOLS_PACE_H

#include "tools/pace_types.h"

/*
 * Start a bucket.
 *   rate_per_s  lines per second for this thread; 0 means unpaced.
 *   burst       bucket depth in lines (values below 1 count as 1).
 *   now_ns      a monotonic clock reading.
 */
void tools_pace_init(struct tools_pace *p, double rate_per_s, double burst,
                     uint64_t now_ns);

/*
 * Ask to send n lines at now_ns. Returns 0 when they may go now (and takes
 * them from the bucket), else the nanoseconds to wait before asking again
 * (nothing is taken). A request larger than the bucket goes once the bucket
 * is full, leaving it in debt, so the long-run rate still holds.
 */
uint64_t tools_pace_take(struct tools_pace *p, double n, uint64_t now_ns);

/* Lines a sender may put in one batch: the bucket depth, at least 1. */
double tools_pace_batch_lines(const struct tools_pace *p);

#endif
