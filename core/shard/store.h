/*
 * core/shard/store.h - sealed heads to the segment writer (store_types.h).
 *
 * Every call runs on the thread that owns the ring.
 */
#ifndef SLUICE_CORE_SHARD_STORE_H
#define SLUICE_CORE_SHARD_STORE_H

#include <stdint.h>

#include "core/ingest/head_types.h"
#include "core/ingest/loghead_types.h"
#include "core/ingest/series_types.h"
#include "core/ingest/spanhead_types.h"
#include "core/shard/store_types.h"

/*
 * A store that only counts sealed blocks (no data directory, or
 * `import --no-store`). core_store_open may follow.
 */
void core_store_init(struct core_store *s, struct core_ring *ring,
                     struct core_stats *stats);

/*
 * The keys of series' ids as storage takes them (what core_store_open
 * gives the writer), for other writers of the same dictionary (`sluice
 * import`'s direct compaction). series must outlive its use.
 */
struct stor_series_src core_store_series_src(const struct core_series *series);

/*
 * Set up the segment writer on the ring (cfg as for stor_writer_init, but
 * cfg->series is the store's: the keys of series, whose ids sealed heads
 * hold; the writer's counters are stats->stor), after which sealed blocks
 * are kept.
 * Returns 0 or -errno (the store keeps only counting then).
 */
int core_store_open(struct core_store *s, const struct core_series *series,
                    const struct stor_writer_cfg *cfg, uint64_t *active_pub);

/*
 * Have log head h build its block's columns in the writer's log encoder
 * as records arrive (core_loghead_set_encoder), which the log sink then
 * finishes; off (h's records encoded at the seal) when s is not open.
 * After core_store_open, with h empty.
 */
void core_store_log_encoder(struct core_store *s, struct core_loghead *h);

/* Free the writer (closing files synchronously). Safe after failure. */
void core_store_free(struct core_store *s);

/*
 * Sinks for core_pipe_init, core_pipe_logs_init and core_pipe_spans_init
 * (ctx: the store): count
 * the sealed block, then keep it. While every write buffer is busy the
 * store waits for the writer's completions only, parking the others (so
 * nothing re-enters the head being sealed; TCP senders are held back by
 * their windows and UDP overflow is counted by the kernel). The wait ends
 * when a buffer frees, which the writer bounds (a block is given up after
 * STOR_WRITE_RETRIES_MAX retries), or when parking space runs out: then
 * the block is dropped and counted (store_dropped, and its points or
 * records in the writer's lost counters).
 */
void core_store_head_sink(struct core_head *h, void *ctx);
void core_store_loghead_sink(struct core_loghead *h, void *ctx);
void core_store_spanhead_sink(struct core_spanhead *h, void *ctx);

/*
 * Ask for every block sealed so far to become durable; the answer goes to
 * the writer's cfg.answer (at once when nothing is pending or the store
 * keeps nothing: answer must then be given to core_store_flush's caller
 * by its return). Returns 1 when answered already (nothing kept), 0 when
 * the answer will come through cfg.answer, or -EBUSY when too many
 * flushes wait.
 */
int core_store_flush(struct core_store *s, uint64_t gen);

/*
 * 1 while the writer keeps up: after handling the writer's completions
 * that are ready (without waiting; others are parked), fewer than half
 * its write buffers are queued or in flight (always 1 for a store that
 * only counts). At stop (ctx: the store), reading what the kernel buffered
 * ends when it returns 0: the disk is behind, and what is read then would
 * not be durable within the stop's budget.
 */
int core_store_keeping_up(void *ctx);

/*
 * New bounds for the writer (SIGHUP): grouped fsync interval and when a
 * segment is closed; they count from the next fsync or seal on. No-op for
 * a store that only counts.
 */
void core_store_set_limits(struct core_store *s, uint32_t fsync_interval_ms,
                           uint64_t segment_bytes_max,
                           uint64_t segment_age_ms_max);

/* Time-driven work of the writer (retries, grouped fsync, segment age). */
void core_store_tick(struct core_store *s);

/*
 * At stop or end of import: make every sealed block durable, reaping the
 * ring (every owner) until the writer is idle or deadline_ms passes.
 * Returns 1 when idle, 0 at the deadline.
 */
int core_store_drain(struct core_store *s, int64_t deadline_ms);

#endif
