/*
 * core/ingest/otlpmap_types.h - what an OTLP export request becomes in a
 * shard's pipeline: its signal and encoding in, a verdict out.
 */
#ifndef SLUICE_CORE_INGEST_OTLPMAP_TYPES_H
#define SLUICE_CORE_INGEST_OTLPMAP_TYPES_H

#include <stdint.h>

/* The three Export services, the `signal` label of sluice_otlp_*. */
enum core_otlp_signal {
  CORE_OTLP_METRICS = 0, /* POST /v1/metrics, MetricsService/Export */
  CORE_OTLP_LOGS,        /* POST /v1/logs, LogsService/Export */
  CORE_OTLP_TRACES,      /* POST /v1/traces, TraceService/Export */
  CORE_OTLP_SIGNALS
};

/* How the (already inflated) body is encoded, the `encoding` label. */
enum core_otlp_enc {
  CORE_OTLP_ENC_PROTO = 0, /* application/x-protobuf, application/grpc */
  CORE_OTLP_ENC_JSON,      /* application/json (OTLP JSON mapping) */
  CORE_OTLP_ENCS
};

/*
 * The verdict on one request (core_pipe_otlp). A request that decodes is
 * accepted even if some items were rejected (partial_success); one that
 * does not decode stores nothing.
 */
struct core_otlp_result {
  int rc;             /* 0, -EBADMSG (undecodable: 400/INVALID_ARGUMENT)
                         or -E2BIG (over a CORE_OTLP_* bound: 400) */
  const char *why;    /* static reason when rc < 0 */
  uint64_t accepted;  /* data points, log records or spans stored */
  uint64_t rejected;  /* ... refused (partial_success.rejected_*) */
  char message[160];  /* partial_success.error_message: names the first
                         reason and item ("" when rejected == 0) */
};

#endif
