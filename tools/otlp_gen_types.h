/*
 * tools/otlp_gen_types.h - OTLP export requests generated for `sluice
 * bench otlp`: protobuf bodies built before sending starts, optionally
 * gzip-compressed, like the OpenTelemetry SDKs' batches.
 */
#ifndef SLUICE_TOOLS_OTLP_GEN_TYPES_H
#define SLUICE_TOOLS_OTLP_GEN_TYPES_H

#include <stddef.h>
#include <stdint.h>

enum tools_otlp_signal { TOOLS_OTLP_METRICS = 0, TOOLS_OTLP_LOGS,
                         TOOLS_OTLP_TRACES };

/* What to generate. */
struct tools_otlp_spec {
  enum tools_otlp_signal signal;
  uint32_t items;          /* data points, log records or spans a request */
  uint32_t attrs;          /* attributes per point, record or span (1..16) */
  uint32_t series;         /* distinct attribute sets over all requests */
  uint32_t requests;       /* distinct requests in the pool */
  int gzip;                /* compress each body (Content-Encoding: gzip) */
  uint64_t seed;
  int64_t now_ns;          /* time of the first request's items */
};

/* One request body: bytes [off, off + len) of the pool. */
struct tools_otlp_req {
  size_t off;
  uint32_t len;
  uint32_t items;
};

struct tools_otlp_pool {
  uint8_t *buf;
  size_t len, cap;
  struct tools_otlp_req *reqs;
  uint32_t count;
  uint64_t raw_bytes;      /* protobuf bytes before gzip, all requests */
  uint8_t trace_id[16];    /* traces: the first trace of the first request */
};

/*
 * A protobuf writer: nested messages are opened with a 5-byte hole for
 * their length, which is closed to the minimal varint (the content moves
 * back), so bodies are byte for byte what an SDK's encoder makes.
 */
#define TOOLS_PBW_DEPTH_MAX 8
struct tools_pbw {
  uint8_t *buf;
  size_t len, cap;
  size_t open[TOOLS_PBW_DEPTH_MAX];
  unsigned depth;
  int overflow;            /* a write passed cap: the body is unusable */
};

#endif
