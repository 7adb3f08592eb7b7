/*
 * core/ingest/pipe_types.h - one shard's ingest pipeline: parse -> series -> head.
 *
 * The same pipeline serves `sluice run` (fed by the shard's io_uring) and
 * `sluice import` (fed from files), so both measure one code path.
 */
#ifndef SLUICE_CORE_INGEST_PIPE_TYPES_H
#define SLUICE_CORE_INGEST_PIPE_TYPES_H

#include <stdint.h>

#include "core/ingest/head_types.h"
#include "core/base/limits.h"
#include "core/ingest/loghead_types.h"
#include "core/ingest/series_types.h"
#include "core/shard/stats_types.h"
#include "core/parse/statsd_types.h"
#include "core/parse/syslog_types.h"

struct core_pipe {
  struct core_stats *stats;     /* the shard's counters */
  struct core_series series;
  struct core_head head;
  uint32_t line_bytes_max;      /* --max-line-bytes */
  struct core_statsd_msg msg;   /* scratch for the line being parsed */
  char key[CORE_SERIES_KEY_BYTES_MAX]; /* scratch for its series key */
  char weight[32];              /* the last __weight__ tag value ... */
  double weight_rate;           /* ... the sample rate it was made for */
  uint32_t weight_len;          /* ... and its length (0: none yet) */
  /* syslog (after core_pipe_logs_init; logs == 0 before) */
  int logs;
  struct core_loghead loghead;
  uint32_t syslog_bytes_max;    /* --syslog-max-bytes */
  char *syslog_scratch;         /* syslog_bytes_max: unescaped SD values */
  struct core_syslog_rec srec;  /* the message being parsed */
};

/* What core_pipe_syslog_frame and core_pipe_statsd_chunk need: the
 * pipeline and the receive time. */
struct core_pipe_frame_ctx {
  struct core_pipe *p;
  int64_t now_ms;
};

#endif
