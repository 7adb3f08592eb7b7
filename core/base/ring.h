/*
 * core/base/ring.h - a shard's io_uring with owners (see ring_types.h).
 *
 * Every call runs on the thread that owns the ring (SINGLE_ISSUER).
 */
#ifndef SLUICE_CORE_BASE_RING_H
#define SLUICE_CORE_BASE_RING_H

#include <stdint.h>

#include "core/base/ring_types.h"

/*
 * Create the ring with SINGLE_ISSUER | DEFER_TASKRUN (the owning thread is
 * the only submitter and reaps in its own loop), falling back to
 * COOP_TASKRUN, then to no flags, on kernels that refuse them; the CQ holds
 * twice `entries`. Must run on the owning thread. Returns 0 or -errno.
 */
int core_ring_init(struct core_ring *r, unsigned entries);

/* Tear the ring down. Safe on a zeroed or failed ring. */
void core_ring_free(struct core_ring *r);

/*
 * Register an owner: its completions go to fn(ctx, cqe, now_ms).
 * Returns its tag (1 .. CORE_RING_OWNERS_MAX), or -ENOSPC.
 */
int core_ring_register(struct core_ring *r, core_ring_fn fn, void *ctx);

/* Get an SQE, submitting first when the SQ is full. Never NULL. */
struct io_uring_sqe *core_ring_sqe(struct core_ring *r);

/*
 * Handle parked completions, then up to twice the ring's entries from the
 * CQ (so the caller's ticks keep running under load), then what handling
 * parked; all of it cut short when the ring's brake is on
 * (ring_types.h). No system call. Returns how many completions were
 * handled.
 */
unsigned core_ring_reap(struct core_ring *r);

/*
 * Wait (at most CORE_TICK_MS) for completions and handle those of owner
 * `tag` only, parking every other one: for an owner that must make
 * progress from inside a handler (a seal waiting for a write buffer) and
 * must not re-enter the others. Returns 0, or -ENOSPC when parking a CQ's
 * worth more could overflow the parking space (nothing is taken then).
 */
int core_ring_wait_owner(struct core_ring *r, int tag);

/* The same without waiting: handle owner `tag`'s completions that are
 * ready, parking the others. Returns 0 or -ENOSPC as above. */
int core_ring_poll_owner(struct core_ring *r, int tag);

/* Submit and wait up to timeout_ms for one completion (not handled). */
void core_ring_wait(struct core_ring *r, unsigned timeout_ms);

/* CLOCK_REALTIME_COARSE in ms: the time handlers are given. */
int64_t core_ring_now_ms(void);

/* user_data of a request of owner tag: op and arg are the owner's. */
static inline uint64_t core_ring_ud(int tag, unsigned op, uint64_t arg) {
  return ((uint64_t)(uint8_t)tag << 56) | ((uint64_t)(uint8_t)op << 48) |
         (arg & CORE_RING_ARG_MAX);
}
static inline int core_ring_ud_tag(uint64_t ud) { return (int)(ud >> 56); }
static inline unsigned core_ring_ud_op(uint64_t ud) {
  return (unsigned)(uint8_t)(ud >> 48);
}
static inline uint64_t core_ring_ud_arg(uint64_t ud) {
  return ud & CORE_RING_ARG_MAX;
}

#endif
