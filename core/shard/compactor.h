/*
 * core/shard/compactor.h - background compaction inside `sluice run`: one
 * thread a process, niced, working one shard directory at a time with
 * storage/compact.h's passes (memory bounded by STOR_COMPACT_POINTS_MAX),
 * never on a shard thread. docs/storage.md, "Background compaction".
 *
 * A segment is compacted once it is closed (below the shard's active
 * one), every block of it is fsynced, it has not been written for
 * --compact-after, and every forward target's saved cursor is past it
 * (the tailers read originals only, so nothing is lost or sent twice).
 */
#ifndef SLUICE_CORE_SHARD_COMPACTOR_H
#define SLUICE_CORE_SHARD_COMPACTOR_H

#include "core/shard/compactor_types.h"

struct core_strbuf;

/*
 * Start the compactor thread with cfg (cfg->after_ms 0: nothing is
 * started and c stays idle). Returns 0 or -errno.
 */
int core_compactor_start(struct core_compactor *c,
                         const struct core_compactor_cfg *cfg);

/* Stop and join the thread: a pass at work finishes first (bounded by
 * one pass). Safe on a compactor never started. */
void core_compactor_stop(struct core_compactor *c);

/* Append the counters (sluice_compaction_*) as Prometheus text. */
void core_compactor_render(const struct core_compactor *c,
                           struct core_strbuf *out);

/*
 * One round over every shard now (the thread's body, for tests): compact
 * what the rules admit at now_ms (ms since the epoch). Returns the
 * compacted segments written, or -errno of the first failing shard.
 */
long core_compactor_round(struct core_compactor *c, int64_t now_ms);

#endif
