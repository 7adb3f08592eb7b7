/*
 * core/cmd/run.h - services of the running daemon for the query port.
 */
#ifndef SLUICE_CORE_CMD_RUN_H
#define SLUICE_CORE_CMD_RUN_H

#include "core/cmd/run_types.h"

/*
 * Every shard seals its open block and makes every sealed block durable
 * (written and fsynced); returns when all have answered. Query thread only
 * (the one sender of control messages while shards run).
 * Returns 0, -EIO when a shard lost a block it should have kept, or
 * -ETIMEDOUT after STOR_FLUSH_TIMEOUT_MS.
 */
int core_run_flush(struct core_runtime *rt);

#endif
