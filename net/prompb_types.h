/*
 * net/prompb_types.h - Prometheus' remote-read/remote-write protobuf
 * messages (package prometheus, prompb/types.proto and remote.proto) as
 * field numbers, and the state of the bounded protobuf writer of
 * net/prompb.h.
 *
 * Messages and fields written or read by sluice (wire type in brackets:
 * V varint, I64 8 bytes little-endian, L length-delimited):
 *
 *   WriteRequest        1 timeseries  TimeSeries (L, repeated)
 *   TimeSeries          1 labels      Label (L, repeated, sorted by name)
 *                       2 samples     Sample (L, repeated, by time)
 *   Label               1 name (L)    2 value (L)
 *   Sample              1 value       double (I64)
 *                       2 timestamp   int64 ms since the epoch (V)
 *   ReadRequest         1 queries     Query (L, repeated)
 *                       2 accepted_response_types  enum (V, or packed L)
 *   Query               1 start_timestamp_ms (V)  2 end_timestamp_ms (V)
 *                       3 matchers    LabelMatcher (L, repeated)
 *                       4 hints       ReadHints (L; ignored by sluice)
 *   LabelMatcher        1 type (V: EQ 0, NEQ 1, RE 2, NRE 3)
 *                       2 name (L)    3 value (L)
 *   ReadResponse        1 results     QueryResult (L, repeated, in the
 *                                     order of the request's queries)
 *   QueryResult         1 timeseries  TimeSeries (L, repeated)
 *   ChunkedReadResponse 1 chunked_series ChunkedSeries (L, repeated)
 *                       2 query_index int64 (V)
 *   ChunkedSeries       1 labels      Label (L, repeated, sorted)
 *                       2 chunks      Chunk (L, repeated, by start time)
 *   Chunk               1 min_time_ms (V)  2 max_time_ms (V)
 *                       3 type (V: XOR 1)  4 data (L)
 */
#ifndef SLUICE_NET_PROMPB_TYPES_H
#define SLUICE_NET_PROMPB_TYPES_H

#include <stddef.h>

#include "core/base/limits.h"

struct core_strbuf;

/* Field numbers (the table above). */
enum net_prompb_field {
  NET_PROMPB_WRITE_TIMESERIES = 1,
  NET_PROMPB_TS_LABELS = 1,
  NET_PROMPB_TS_SAMPLES = 2,
  NET_PROMPB_LABEL_NAME = 1,
  NET_PROMPB_LABEL_VALUE = 2,
  NET_PROMPB_SAMPLE_VALUE = 1,
  NET_PROMPB_SAMPLE_TIMESTAMP = 2,
  NET_PROMPB_READ_QUERIES = 1,
  NET_PROMPB_READ_ACCEPTED_TYPES = 2,
  NET_PROMPB_QUERY_START_MS = 1,
  NET_PROMPB_QUERY_END_MS = 2,
  NET_PROMPB_QUERY_MATCHERS = 3,
  NET_PROMPB_QUERY_HINTS = 4,
  NET_PROMPB_MATCHER_TYPE = 1,
  NET_PROMPB_MATCHER_NAME = 2,
  NET_PROMPB_MATCHER_VALUE = 3,
  NET_PROMPB_READRESP_RESULTS = 1,
  NET_PROMPB_RESULT_TIMESERIES = 1,
  NET_PROMPB_CHUNKED_SERIES = 1,
  NET_PROMPB_CHUNKED_QUERY_INDEX = 2,
  NET_PROMPB_CSERIES_LABELS = 1,
  NET_PROMPB_CSERIES_CHUNKS = 2,
  NET_PROMPB_CHUNK_MIN_TIME_MS = 1,
  NET_PROMPB_CHUNK_MAX_TIME_MS = 2,
  NET_PROMPB_CHUNK_TYPE = 3,
  NET_PROMPB_CHUNK_DATA = 4,
};

/* LabelMatcher.Type */
enum net_prompb_matcher_type {
  NET_PROMPB_MATCH_EQ = 0,
  NET_PROMPB_MATCH_NEQ = 1,
  NET_PROMPB_MATCH_RE = 2,
  NET_PROMPB_MATCH_NRE = 3,
};

/* ReadRequest.ResponseType */
enum net_prompb_response_type {
  NET_PROMPB_RESP_SAMPLES = 0,
  NET_PROMPB_RESP_STREAMED_XOR_CHUNKS = 1,
};

/* Chunk.Encoding: Prometheus' chunkenc XOR (Gorilla) */
#define NET_PROMPB_CHUNK_XOR 1

/*
 * A protobuf writer appending to a bounded core_strbuf. A nested message
 * is begun with a fixed 5-byte length slot (enough for any length a
 * strbuf of under 4 GiB holds) that its end shrinks to the varint's real
 * size. The first failure sticks in err; later calls do nothing.
 */
struct net_prompb_w {
  struct core_strbuf *b;
  size_t open[NET_PROMPB_DEPTH_MAX]; /* offset of each open message's slot */
  unsigned depth;
  int err;                           /* 0, -ENOMEM (b's bound), -E2BIG */
};

#endif
