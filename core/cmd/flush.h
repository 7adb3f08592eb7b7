/*
 * core/cmd/flush.h - flush requests coalesced into rounds (flush_types.h).
 * Every call runs on the query thread.
 */
#ifndef SLUICE_CORE_CMD_FLUSH_H
#define SLUICE_CORE_CMD_FLUSH_H

#include <stdint.h>

#include "core/base/strbuf.h"
#include "core/cmd/flush_types.h"

/*
 * A new request: returns its ticket, the round that will cover it (the
 * next one to start; never one already running).
 */
uint64_t core_flush_ticket(struct core_flush *f);

/*
 * Move rounds on (finish the running one when answered or past
 * CORE_FLUSH_ROUND_TIMEOUT_MS, start the next when one is asked for and
 * CORE_FLUSH_ROUND_GAP_MS passed since the last start), then tell how
 * ticket's round went: 0 durable, -EINPROGRESS not over yet (ask again),
 * -EIO a shard lost a block, -ETIMEDOUT the round took too long. An error
 * of a later round may be reported for an earlier ticket not yet told
 * (conservative: the caller retries).
 */
int core_flush_poll(struct core_flush *f, uint64_t ticket, int64_t now_ms,
                    const struct core_flush_ops *ops);

/* sluice_flush_requests_total and sluice_flush_rounds_total. */
void core_flush_render(const struct core_flush *f, struct core_strbuf *out);

#endif
