/*
 * core/pipe.h - feeding bytes into a shard's pipeline.
 */
#ifndef SLUICE_CORE_PIPE_H
#define SLUICE_CORE_PIPE_H

#include <stddef.h>
#include <stdint.h>

#include "core/pipe_types.h"

/*
 * Set up a pipeline (at start-up, on the thread that will use it).
 *   stats           counters to write (owned by the caller, zeroed).
 *   max_series      --max-series for this shard.
 *   line_bytes_max  --max-line-bytes.
 *   sink, ctx       where sealed head blocks go (see core_head_sink_fn).
 * Returns 0, -EINVAL or -ENOMEM.
 */
int core_pipe_init(struct core_pipe *p, struct core_stats *stats,
                   uint32_t max_series, uint32_t line_bytes_max,
                   core_head_sink_fn sink, void *ctx);

/* Release the pipeline's memory. Safe on a zeroed struct. */
void core_pipe_free(struct core_pipe *p);

/*
 * Ingest one StatsD line (no terminator; a trailing '\r' is ignored).
 * Empty lines are skipped silently. Every outcome is counted.
 */
void core_pipe_statsd_line(struct core_pipe *p, const char *line, size_t len,
                           int64_t now_ms);

/*
 * Count one rejected line with reason err (used by framers, e.g. for a TCP
 * line that outgrew --max-line-bytes before its '\n' arrived).
 */
void core_pipe_statsd_reject(struct core_pipe *p, enum core_statsd_err err);

/*
 * Ingest a buffer of complete lines separated by '\n' (or "\r\n"); the last
 * line may lack its '\n' (a datagram, or a file's end).
 * Returns the number of lines seen (empty ones excluded).
 */
uint64_t core_pipe_statsd_buf(struct core_pipe *p, const char *buf,
                              size_t len, int64_t now_ms);

#endif
