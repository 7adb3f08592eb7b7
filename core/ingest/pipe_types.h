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
#include "core/ingest/otlpmap_types.h"
#include "core/ingest/rawkey_types.h"
#include "core/ingest/series_types.h"
#include "core/ingest/spanhead_types.h"
#include "core/parse/statsd_types.h"
#include "core/parse/syslog_types.h"

/*
 * The pipeline's counters (one writer: the shard; read by /metrics through
 * core/base/stat.h). Names are those of the sluice_* metrics they feed.
 */
struct core_ingest_stats {
  /* sluice_points_ingested_total{proto="statsd",type} */
  uint64_t points_statsd[CORE_STATSD_TYPE_COUNT];
  /* sluice_parse_errors_total{proto="statsd",reason} */
  uint64_t parse_errors_statsd[CORE_STATSD_ERR_COUNT];
  /* sluice_statsd_events_total{kind="event"|"service_check"} */
  uint64_t statsd_events;
  uint64_t statsd_service_checks;
  /* sluice_logs_ingested_total{proto="syslog"}: records stored in the head */
  uint64_t logs_syslog;
  /* sluice_parse_errors_total{proto="syslog",reason} (stored anyway) */
  uint64_t parse_errors_syslog[CORE_SYSLOG_ERR_COUNT];
  /* sluice_series_* */
  uint64_t series_active;
  uint64_t series_rejected; /* over --max-series or the key arena */
  /* sluice_head_*, sluice_loghead_*: the open blocks */
  uint64_t head_points;              /* points in the open block (gauge) */
  uint64_t head_sealed_blocks;
  uint64_t head_sealed_points;
  uint64_t loghead_records;          /* records in the open log block (gauge) */
  uint64_t loghead_sealed_blocks;
  uint64_t loghead_sealed_records;
  /* sluice_spans_ingested_total{proto="otlp"}: spans stored in the span
   * head; sluice_otlp_rejected_spans_total{reason} (core/ingest/spanmap.h) */
  uint64_t spans_otlp;
  uint64_t spans_rejected[CORE_SPAN_REJ_COUNT];
  uint64_t spanhead_spans;           /* spans in the open span block (gauge) */
  uint64_t spanhead_sealed_blocks;
  uint64_t spanhead_sealed_spans;
  /* sluice_points_ingested_total{proto="otlp",type}: OTLP data points */
  uint64_t points_otlp[CORE_OTLP_PK_COUNT];
  /* sluice_otlp_rejected_points_total{reason}: points and log records */
  uint64_t otlp_rejected[CORE_OTLP_REJ_COUNT];
  /* sluice_logs_ingested_total{proto="otlp"} */
  uint64_t logs_otlp;
  /* sluice_key_cache_{hits,misses}_total{cache}: copies of the pipeline's
   * own counts (core_rawkey, core_otlp_sid_cache), published once a
   * window or a request rather than counted here a line */
  uint64_t rawkey_hits, rawkey_misses;
  uint64_t otlp_sid_hits, otlp_sid_misses;
};

/*
 * A parsed StatsD line waiting in the lookup window: its raw key (taken
 * when it was parsed), the raw key cache's entry for it, and - when the
 * cache has none - its series as core_series_line_init describes it.
 */
struct core_pipe_pending {
  struct core_rawkey_key raw; /* raw.hash 0: no tag field, not cached */
  uint32_t raw_idx;   /* core_rawkey_probe's answer */
  uint32_t state;     /* what the window does with it (pipe.c) */
  struct core_series_line line;
};

struct core_pipe {
  struct core_ingest_stats *stats; /* the shard's pipeline counters */
  struct core_series series;
  struct core_rawkey rawkey;    /* StatsD raw keys -> series ids */
  struct core_head head;
  uint32_t line_bytes_max;      /* --max-line-bytes */
  char key[CORE_SERIES_KEY_BYTES_MAX]; /* scratch for its series key */
  /* The lookup window: up to CORE_PIPE_WINDOW_LINES parsed lines whose
   * series are looked up together, so that their cache misses (slot,
   * entry, key bytes) overlap instead of following one another. */
  uint32_t win_n;
  uint32_t win_raw;             /* a windowed line has a raw key to probe */
  struct core_pipe_pending pend[CORE_PIPE_WINDOW_LINES];
  struct core_statsd_msg win[CORE_PIPE_WINDOW_LINES];
  /* "__weight__:<1/r>" of each windowed line that has one: the tag must
   * outlive the next line's rate until its window is flushed */
  char win_weight[CORE_PIPE_WINDOW_LINES][48];
  char weight[32];              /* the last __weight__ tag value ... */
  double weight_rate;           /* ... the sample rate it was made for */
  uint32_t weight_len;          /* ... and its length (0: none yet) */
  /* syslog (after core_pipe_logs_init; logs == 0 before) */
  int logs;
  struct core_loghead loghead;
  uint32_t syslog_bytes_max;    /* --syslog-max-bytes */
  char *syslog_scratch;         /* syslog_bytes_max: unescaped SD values */
  struct core_syslog_rec srec;  /* the message being parsed */
  /* OTLP (core/ingest/otlpmap.h): mapping state, mapped at init */
  struct core_otlp_map *otlp;
  struct core_pipe_spans spans; /* traces: NULL until the span head */
  /* OTLP spans (after core_pipe_spans_init, core/ingest/spanmap.h) */
  struct core_spanhead spanhead;
};

/* What core_pipe_syslog_frame and core_pipe_statsd_chunk need: the
 * pipeline and the receive time. */
struct core_pipe_frame_ctx {
  struct core_pipe *p;
  int64_t now_ms;
};

#endif
