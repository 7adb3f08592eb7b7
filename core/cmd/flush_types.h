/*
 * core/cmd/flush_types.h - POST /api/v1/flush, coalesced into rounds.
 *
 * A round is one CORE_CTL_FLUSH to every shard: each seals its open blocks
 * and answers when everything it sealed is fsynced. One round runs at a
 * time. A request joins the first round that starts after it arrived (its
 * data may have come after an earlier round sealed), so every request that
 * arrives while a round runs shares the next one; and rounds start at most
 * every CORE_FLUSH_ROUND_GAP_MS. Spamming flushes therefore costs one tiny
 * block and one fsync per shard per round, not per request, and every
 * caller still gets its answer only when its data is durable.
 *
 * Used by the query thread only (no locking); the shards' answers are read
 * through the ops.
 */
#ifndef SLUICE_CORE_CMD_FLUSH_TYPES_H
#define SLUICE_CORE_CMD_FLUSH_TYPES_H

#include <stdint.h>

/* What a round needs of the daemon (core/cmd/run.c gives the shards). */
struct core_flush_ops {
  /* Send round gen (1, 2, ...) to every shard. */
  void (*start)(void *ctx, uint64_t gen);
  /* 1 when every shard answered round gen (or a later one), with *failed
   * set when one lost a block it should have kept; else 0. */
  int (*answered)(void *ctx, uint64_t gen, int *failed);
  void *ctx;
};

struct core_flush {
  uint64_t asked;        /* highest round a request waits for */
  uint64_t started;      /* last round sent (0: none yet) */
  uint64_t done;         /* rounds up to here are over */
  int64_t started_ms;    /* when `started` was sent (monotonic ms) */
  uint64_t bad_round;    /* last round that failed or timed out (0: none) */
  int bad_rc;            /* and how: -EIO or -ETIMEDOUT */
  uint64_t requests;     /* counters for /metrics (relaxed atomics) */
  uint64_t rounds;
};

#endif
