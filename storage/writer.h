/*
 * storage/writer.h - a shard's segment writer (see writer_types.h).
 *
 * Every call runs on the shard thread; all I/O goes through the shard's
 * io_uring, on which the writer registers itself as an owner (its
 * completions never pass through anyone else).
 */
#ifndef SLUICE_STORAGE_WRITER_H
#define SLUICE_STORAGE_WRITER_H

#include <stdint.h>

#include "storage/writer_types.h"

/*
 * Set up the writer: encoder, registered write buffers, its owner tag on
 * ring. Runs on the shard thread after its ring exists.
 *   stats       its counters (the caller's memory, read by /metrics)
 *   active_pub  receives the seq of the segment being written (read by
 *               retention, which never deletes it); may be NULL
 * Returns 0 or -errno.
 */
int stor_writer_init(struct stor_writer *w, struct core_ring *ring,
                     struct stor_stats *stats,
                     const struct stor_writer_cfg *cfg, uint64_t *active_pub);

/* Close files (synchronously: shutdown only) and free. Safe after failure. */
void stor_writer_free(struct stor_writer *w);

/*
 * Encode the points (with the dictionary entries of series new to
 * the target segment) into a free buffer and queue its write.
 * Returns 0, -ENOBUFS when every buffer is busy (the caller waits for a
 * completion and calls again), or -EIO when the block could not be encoded
 * (its points are counted as lost).
 */
int stor_writer_seal(struct stor_writer *w, const struct stor_points *pts,
                     int64_t now_ms);

/*
 * Encode log records recs[0..n) (n <= CORE_LOGHEAD_RECORDS_MAX, their
 * text within CORE_LOGHEAD_TEXT_BYTES_MAX) as one log block into a free
 * buffer and queue its write, like stor_writer_seal. The records are not
 * referenced after the call. Needs cfg.logs.
 * Returns 0, -ENOBUFS when every buffer is busy (wait and call again), or
 * -EIO when the block could not be encoded (its records are counted lost).
 */
int stor_writer_seal_logs(struct stor_writer *w, const struct stor_log_rec *recs,
                          uint32_t n, int64_t now_ms);

/*
 * As stor_writer_seal_logs for the n records already added to the
 * writer's own log encoder (stor_writer_log_encoder; stor_logenc_add):
 * the block written with stor_logenc_finish. After -ENOBUFS the
 * encoder's block is kept, and a later call writes the same block.
 */
int stor_writer_seal_logs_built(struct stor_writer *w, uint32_t n,
                                int64_t now_ms);

/* The encoder stor_writer_seal_logs_built finishes (NULL without
 * cfg.logs). A caller adds records to it between seals. */
static inline struct stor_logenc *
stor_writer_log_encoder(struct stor_writer *w) {
  return w->cfg.logs ? &w->lenc : NULL;
}

/*
 * Encode spans[0..n) (their resources res[0..nres); within the
 * CORE_SPANHEAD_* bounds) as one span block into a free buffer and queue
 * its write, like stor_writer_seal. Nothing is referenced after the call.
 * Needs cfg.spans. Returns 0, -ENOBUFS when every buffer is busy (wait and
 * call again), or -EIO when the block could not be encoded (its spans are
 * counted lost).
 */
int stor_writer_seal_spans(struct stor_writer *w, const struct stor_span *spans,
                           uint32_t n, const struct stor_span_res *res,
                           uint32_t nres, int64_t now_ms);

/* Time-driven work: write retries, grouped fsync, segment age. */
void stor_writer_tick(struct stor_writer *w, int64_t now_ms);

/*
 * Ask for every block sealed so far to become durable. The answer comes
 * through cfg.answer (at once when nothing is pending).
 * Returns 0, or -EBUSY when too many flushes wait already.
 */
int stor_writer_flush(struct stor_writer *w, uint64_t gen, int64_t now_ms);

/* 1 when nothing is queued, being written, synced, opened or closed. */
int stor_writer_idle(const struct stor_writer *w);

#endif
