/*
 * tools/bench.h - the sender side of `sluice bench`.
 */
#ifndef SLUICE_TOOLS_BENCH_H
#define SLUICE_TOOLS_BENCH_H

#include "tools/bench_types.h"

/*
 * Thread body: connect to opts->addr, then send s->pool round and round,
 * paced to opts->rate / opts->threads lines per second, until s->end_ns.
 * Only whole lines are sent and counted (s->lines, s->chunks, s->bytes).
 * Sets s->err on a fatal socket error. Returns NULL.
 */
void *tools_bench_sender_run(void *arg);

#endif
