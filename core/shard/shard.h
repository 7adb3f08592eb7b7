/*
 * core/shard/shard.h - starting, controlling and stopping shards.
 */
#ifndef SLUICE_CORE_SHARD_SHARD_H
#define SLUICE_CORE_SHARD_SHARD_H

#include "core/shard/shard_types.h"

/*
 * Start the shard's thread, pinned to sh->cpu. The caller has set id, cpu,
 * cfg and the listener fds (the shard owns the fds from here on, even on
 * failure). Waits until the shard runs or fails.
 * Returns 0, or -errno (sh->start_what names the failing step).
 */
int core_shard_start(struct core_shard *sh);

/*
 * Send a control message. Returns 0, or -EAGAIN when the ring is full.
 * Only one thread may send to a given shard.
 */
int core_shard_send(struct core_shard *sh, enum core_ctl_op op, uint64_t arg);

/*
 * Ask a running shard to stop; the stop began at t0 (core_ring_now_ms),
 * and its deadlines count from there. The shard sees it between two
 * completions (its ring's brake), or through CORE_CTL_STOP when idle.
 * The one sender of control messages calls it (core_shard_send).
 */
void core_shard_request_stop(struct core_shard *sh, int64_t t0);

/*
 * Join the shard's thread, asked to stop (or which failed to start), and
 * close what the shard left open. Safe on a shard
 * that never started. Afterwards sh->stop_lost tells whether its stop
 * kept everything it sealed.
 */
void core_shard_join(struct core_shard *sh);

#endif
