/*
 * core/ingest/pipe.h - feeding bytes into a shard's pipeline.
 */
#ifndef SLUICE_CORE_INGEST_PIPE_H
#define SLUICE_CORE_INGEST_PIPE_H

#include <stddef.h>
#include <stdint.h>

#include "core/ingest/loghead_types.h"
#include "core/ingest/pipe_types.h"
#include "core/parse/line_frame_types.h"
#include "core/parse/syslog_frame_types.h"
#include "core/parse/syslog_types.h"

/*
 * Set up a pipeline (at start-up, on the thread that will use it).
 *   stats           counters to write (owned by the caller, zeroed).
 *   max_series      --max-series for this shard.
 *   line_bytes_max  --max-line-bytes.
 *   sink, ctx       where sealed head blocks go (see core_head_sink_fn).
 * Returns 0, -EINVAL or -ENOMEM.
 */
int core_pipe_init(struct core_pipe *p, struct core_ingest_stats *stats,
                   uint32_t max_series, uint32_t line_bytes_max,
                   core_head_sink_fn sink, void *ctx);

/* Release the pipeline's memory. Safe on a zeroed struct. */
void core_pipe_free(struct core_pipe *p);

/*
 * Append one point of series e (from p->series) to the head, sealing
 * first when the head is full or its dictionary bytes would pass their
 * bound. For the mappings (StatsD, OTLP); the caller updates head_points.
 */
void core_pipe_append(struct core_pipe *p, struct core_series_entry *e,
                      int64_t ts_ms, double v, int64_t now_ms);

/* Count one rejected line with reason err. */
void core_pipe_statsd_reject(struct core_pipe *p, enum core_statsd_err err);

/*
 * Ingest a buffer of complete lines separated by '\n' (or "\r\n"); the last
 * line may lack its '\n' (a datagram, or a file's end).
 * Returns the number of lines seen (empty ones excluded).
 */
uint64_t core_pipe_statsd_buf(struct core_pipe *p, const char *buf,
                              size_t len, int64_t now_ms);

/*
 * A core_line_chunk_fn for core/parse/line_frame.h (StatsD over TCP): the
 * lines of a chunk go to core_pipe_statsd_buf, a line the framer found
 * too long is counted as CORE_STATSD_ERR_LINE_TOO_LONG. ctx is a struct
 * core_pipe_frame_ctx.
 */
void core_pipe_statsd_chunk(void *ctx, const struct core_line_chunk *chunk);

/*
 * Let the pipeline take syslog messages (at start-up, after
 * core_pipe_init): a log head whose sealed blocks go to sink.
 *   syslog_bytes_max  --syslog-max-bytes: the longest message kept whole.
 * Returns 0, -EINVAL for a bound outside CORE_SYSLOG_BYTES_{MIN,MAX}_LIMIT,
 * or -ENOMEM.
 */
int core_pipe_logs_init(struct core_pipe *p, uint32_t syslog_bytes_max,
                        core_loghead_sink_fn sink, void *ctx);

/*
 * Ingest one syslog message (a UDP datagram or a TCP frame) received at
 * now_ms. Every message is stored: one that does not parse keeps its raw
 * text and a parse-error flag. frame_err is the receiver's verdict on the
 * frame (CORE_SYSLOG_OK, or CORE_SYSLOG_ERR_TOO_LONG for a message cut at
 * --syslog-max-bytes, CORE_SYSLOG_ERR_FRAME_TRUNCATED for a TCP frame the
 * connection ended inside); it takes precedence over the parser's. Bytes
 * past syslog_bytes_max are not kept (counted too_long). Counted in
 * sluice_logs_ingested_total and, with a reason,
 * sluice_parse_errors_total{proto="syslog"}. No-op before
 * core_pipe_logs_init.
 */
void core_pipe_syslog(struct core_pipe *p, const char *msg, size_t len,
                      enum core_syslog_err frame_err, int64_t now_ms);

/*
 * A core_syslog_frame_fn for core/syslog_frame.h: each frame goes to
 * core_pipe_syslog. ctx is a struct core_pipe_frame_ctx.
 */
void core_pipe_syslog_frame(void *ctx, const struct core_syslog_frame *f);

#endif
