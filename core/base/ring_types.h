/*
 * core/base/ring_types.h - a shard's io_uring and the owners of its requests.
 *
 * One ring does all of a shard's I/O (receive, accept, segment writes,
 * fsync, control). The ring knows its users only as owners: each owner
 * registers a handler once and gets a tag; every request it submits carries
 * that tag in the top byte of its user_data, and each completion goes to
 * the handler of its tag (as Redis' ae hands a file event to the handler
 * registered for the fd). So storage never includes net/, and the shard
 * never dispatches on ranges of one enum of every op.
 *
 *   user_data   bits 63..56  owner tag (0: nobody, the completion is dropped)
 *               bits 55..48  op, the owner's own enum
 *               bits 47..0   arg, the owner's own meaning
 */
#ifndef SLUICE_CORE_BASE_RING_TYPES_H
#define SLUICE_CORE_BASE_RING_TYPES_H

#include <liburing.h>
#include <stdint.h>

#include "core/base/limits.h"

#define CORE_RING_ARG_BITS 48
#define CORE_RING_ARG_MAX ((UINT64_C(1) << CORE_RING_ARG_BITS) - 1)

/*
 * A completion handler. ctx is what the owner registered; cqe is a copy
 * already consumed from the CQ (a handler may wait on the ring itself);
 * now_ms is CLOCK_REALTIME_COARSE at reaping.
 */
typedef void (*core_ring_fn)(void *ctx, const struct io_uring_cqe *cqe,
                             int64_t now_ms);

struct core_ring_owner {
  core_ring_fn fn;
  void *ctx;
};

/*
 * Completions parked while an owner waits for completions of its own
 * (core_ring_wait_owner): handled, oldest first, by the next reap.
 */
struct core_ring_parked {
  struct io_uring_cqe cqes[CORE_RING_PARKED_MAX];
  uint32_t head, len;
};

struct core_ring {
  struct io_uring uring;
  int ok;                                /* the io_uring exists */
  uint32_t owner_count;                  /* tags 1 .. owner_count in use */
  struct core_ring_owner owners[CORE_RING_OWNERS_MAX + 1]; /* [0] unused */
  struct core_ring_parked parked;
  /* When set and *brake is not 0 (another thread may set it: atomic),
   * core_ring_reap returns after the completion at hand, leaving the rest
   * for later: a stop is seen within one completion, not a CQ's worth. */
  const int *brake;
};

#endif
