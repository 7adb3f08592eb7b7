/*
 * core/shard/stats.c - the Prometheus text exposition of shard counters.
 */
#include "core/shard/stats.h"

#include <errno.h>
#include <inttypes.h>
#include <stddef.h>

#include "core/parse/statsd.h"
#include "core/base/strbuf.h"
#include "core/parse/syslog.h"
#include "core/ingest/spanmap.h"
#include "core/ingest/otlpmap.h"
#include "net/pkt.h"
#include "net/grpc.h"
#include "net/otlp_grpc.h"
#include "net/otlp_listen.h"

static const char *const listener_names[NET_LISTENER_COUNT] = {
    [NET_LISTENER_STATSD_UDP] = "statsd_udp",
    [NET_LISTENER_STATSD_TCP] = "statsd_tcp",
    [NET_LISTENER_SYSLOG_UDP] = "syslog_udp",
    [NET_LISTENER_SYSLOG_TCP] = "syslog_tcp",
};

static void family(struct core_strbuf *out, const char *name,
                   const char *type, const char *help) {
  core_strbuf_appendf(out, "# HELP %s %s\n# TYPE %s %s\n", name, help, name,
                      type);
}

/* One sample per shard of a scalar counter found at the same offset. */
static void per_shard(struct core_strbuf *out, const struct core_stats *const *st,
                      unsigned n, const char *name, size_t offset) {
  for (unsigned i = 0; i < n; i++) {
    const uint64_t *c =
        (const uint64_t *)(const void *)((const char *)st[i] + offset);
    core_strbuf_appendf(out, "%s{shard=\"%u\"} %" PRIu64 "\n", name, i,
                        core_stat_get(c));
  }
}

#define SCALAR(out, st, n, name, type, field, help)                         \
  do {                                                                      \
    family(out, name, type, help);                                          \
    per_shard(out, st, n, name, offsetof(struct core_stats, field));        \
  } while (0)

/* One sample per shard and per label value r in [from, count) of the
 * counter array `field` of struct core_stats, its label value name_of(r);
 * head (a literal) is the name and the labels up to the last one's '='. */
#define PER_SHARD_BY(out, st, n, head, name_of, field, from, count)          \
  do {                                                                       \
    for (unsigned i_ = 0; i_ < (n); i_++)                                    \
      for (int r_ = (from); r_ < (count); r_++)                              \
        core_strbuf_appendf(out, head "\"%s\"} %" PRIu64 "\n", i_,           \
                            name_of(r_), core_stat_get(&st[i_]->field[r_])); \
  } while (0)

static const char *listener_name(int l) { return listener_names[l]; }

static void render_spans(const struct core_stats *const *st, unsigned n,
                         struct core_strbuf *out) {
  family(out, "sluice_spans_ingested_total", "counter",
         "Spans stored in a shard's span head, by protocol.");
  for (unsigned i = 0; i < n; i++)
    core_strbuf_appendf(out,
                        "sluice_spans_ingested_total{shard=\"%u\","
                        "proto=\"otlp\"} %" PRIu64 "\n",
                        i, core_stat_get(&st[i]->ingest.spans_otlp));
  family(out, "sluice_otlp_rejected_spans_total", "counter",
         "OTLP spans refused whole (nothing stored), by the bound they "
         "passed (limits.h CORE_SPAN_*).");
  PER_SHARD_BY(out, st, n,
               "sluice_otlp_rejected_spans_total{shard=\"%u\",reason=",
               core_span_reject_name, ingest.spans_rejected, 1,
               CORE_SPAN_REJ_COUNT);
}

static void render_points(const struct core_stats *const *st, unsigned n,
                          struct core_strbuf *out) {
  family(out, "sluice_points_ingested_total", "counter",
         "Samples accepted into a shard's head, by protocol and type.");
  PER_SHARD_BY(out, st, n,
               "sluice_points_ingested_total{shard=\"%u\",proto=\"statsd\","
               "type=",
               core_statsd_type_name, ingest.points_statsd, 0,
               CORE_STATSD_TYPE_COUNT);
  PER_SHARD_BY(out, st, n,
               "sluice_points_ingested_total{shard=\"%u\",proto=\"otlp\","
               "type=",
               core_otlp_pkind_name, ingest.points_otlp, 0, CORE_OTLP_PK_COUNT);
  family(out, "sluice_otlp_rejected_points_total", "counter",
         "OTLP data points, log records and spans of decoded requests that "
         "were not stored, by reason (reported in partial_success).");
  PER_SHARD_BY(out, st, n,
               "sluice_otlp_rejected_points_total{shard=\"%u\",reason=",
               core_otlp_reason_name, ingest.otlp_rejected, 0,
               CORE_OTLP_REJ_COUNT);
  family(out, "sluice_parse_errors_total", "counter",
         "StatsD lines rejected, and syslog messages stored with a "
         "parse-error flag, by protocol and reason.");
  PER_SHARD_BY(out, st, n,
               "sluice_parse_errors_total{shard=\"%u\",proto=\"statsd\","
               "reason=",
               core_statsd_reason_name, ingest.parse_errors_statsd, 1,
               CORE_STATSD_ERR_COUNT);
  PER_SHARD_BY(out, st, n,
               "sluice_parse_errors_total{shard=\"%u\",proto=\"syslog\","
               "reason=",
               core_syslog_reason_name, ingest.parse_errors_syslog, 1,
               CORE_SYSLOG_ERR_COUNT);
  family(out, "sluice_logs_ingested_total", "counter",
         "Log records accepted into a shard's log head, by protocol (syslog "
         "messages that did not parse included: see "
         "sluice_parse_errors_total{proto=\"syslog\"}).");
  for (unsigned i = 0; i < n; i++)
    core_strbuf_appendf(out,
                        "sluice_logs_ingested_total{shard=\"%u\","
                        "proto=\"syslog\"} %" PRIu64 "\n",
                        i, core_stat_get(&st[i]->ingest.logs_syslog));
  for (unsigned i = 0; i < n; i++)
    core_strbuf_appendf(out,
                        "sluice_logs_ingested_total{shard=\"%u\","
                        "proto=\"otlp\"} %" PRIu64 "\n",
                        i, core_stat_get(&st[i]->ingest.logs_otlp));
  render_spans(st, n, out);
  family(out, "sluice_statsd_events_total", "counter",
         "DogStatsD events and service checks: recognised, counted, not "
         "stored.");
  for (unsigned i = 0; i < n; i++)
    core_strbuf_appendf(out,
                        "sluice_statsd_events_total{shard=\"%u\",kind=\"event\"}"
                        " %" PRIu64 "\n"
                        "sluice_statsd_events_total{shard=\"%u\",kind=\"service_"
                        "check\"} %" PRIu64 "\n",
                        i, core_stat_get(&st[i]->ingest.statsd_events), i,
                        core_stat_get(&st[i]->ingest.statsd_service_checks));
}

static void render_rx(const struct core_stats *const *st, unsigned n,
                      struct core_strbuf *out) {
  family(out, "sluice_rx_datagrams_total", "counter",
         "UDP datagrams received (TCP: reads), by listener.");
  PER_SHARD_BY(out, st, n, "sluice_rx_datagrams_total{shard=\"%u\",listener=",
               listener_name, rx.rx_datagrams, 0, NET_LISTENER_COUNT);
  family(out, "sluice_rx_bytes_total", "counter",
         "Payload bytes received, by listener.");
  PER_SHARD_BY(out, st, n, "sluice_rx_bytes_total{shard=\"%u\",listener=",
               listener_name, rx.rx_bytes, 0, NET_LISTENER_COUNT);
  SCALAR(out, st, n, "sluice_rx_dropped_total", "counter", rx.rx_dropped,
         "UDP datagrams the kernel dropped because the socket buffer was full "
         "(SO_RXQ_OVFL).");
  SCALAR(out, st, n, "sluice_rx_truncated_total", "counter", rx.rx_truncated,
         "UDP datagrams larger than a receive buffer, dropped.");
  SCALAR(out, st, n, "sluice_rx_nobufs_total", "counter", rx.rx_nobufs,
         "Times the receive buffer ring ran empty (the kernel queued data "
         "until buffers returned).");
  SCALAR(out, st, n, "sluice_rx_errors_total", "counter", rx.rx_errors,
         "Receive completions that failed.");
}

/* Both key caches in one family each, labelled by cache. */
static void render_key_caches(const struct core_stats *const *st, unsigned n,
                              struct core_strbuf *out) {
  static const char *const fam[2] = {"sluice_key_cache_hits_total",
                                     "sluice_key_cache_misses_total"};
  static const char *const help[2] = {
      "Lookups of a series key cache that found the series (statsd: the "
      "raw key cache, lines with tags; otlp: the series id cache).",
      "Lookups of a series key cache that took the dictionary instead."};

  for (int h = 0; h < 2; h++) {
    family(out, fam[h], "counter", help[h]);
    for (unsigned i = 0; i < n; i++) {
      const struct core_ingest_stats *g = &st[i]->ingest;
      core_strbuf_appendf(out, "%s{shard=\"%u\",cache=\"statsd\"} %llu\n",
                          fam[h], i, (unsigned long long)core_stat_get(
                              h ? &g->rawkey_misses : &g->rawkey_hits));
      core_strbuf_appendf(out, "%s{shard=\"%u\",cache=\"otlp\"} %llu\n",
                          fam[h], i, (unsigned long long)core_stat_get(
                              h ? &g->otlp_sid_misses : &g->otlp_sid_hits));
    }
  }
}

static void render_state(const struct core_stats *const *st, unsigned n,
                         struct core_strbuf *out) {
  SCALAR(out, st, n, "sluice_series_active", "gauge", ingest.series_active,
         "Series in the shard's dictionary.");
  SCALAR(out, st, n, "sluice_series_rejected_total", "counter",
         ingest.series_rejected,
         "Samples rejected because their new series would exceed "
         "--max-series.");
  render_key_caches(st, n, out);
  SCALAR(out, st, n, "sluice_tcp_connections", "gauge", rx.tcp_connections,
         "Open TCP connections (StatsD and syslog).");
  SCALAR(out, st, n, "sluice_tcp_accepted_total", "counter", rx.tcp_accepted,
         "TCP connections accepted (StatsD and syslog).");
  SCALAR(out, st, n, "sluice_tcp_rejected_total", "counter", rx.tcp_rejected,
         "TCP connections closed at once: over --max-tcp-connections.");
  SCALAR(out, st, n, "sluice_head_points", "gauge", ingest.head_points,
         "Points in the open (unsealed) block.");
  SCALAR(out, st, n, "sluice_head_sealed_blocks_total", "counter",
         ingest.head_sealed_blocks, "Blocks sealed from the head.");
  SCALAR(out, st, n, "sluice_head_sealed_points_total", "counter",
         ingest.head_sealed_points, "Points in sealed blocks.");
  SCALAR(out, st, n, "sluice_loghead_records", "gauge", ingest.loghead_records,
         "Log records in the open (unsealed) log block.");
  SCALAR(out, st, n, "sluice_loghead_sealed_blocks_total", "counter",
         ingest.loghead_sealed_blocks, "Log blocks sealed from the log head.");
  SCALAR(out, st, n, "sluice_loghead_sealed_records_total", "counter",
         ingest.loghead_sealed_records, "Log records in sealed log blocks.");
  SCALAR(out, st, n, "sluice_spanhead_spans", "gauge", ingest.spanhead_spans,
         "Spans in the open (unsealed) span block.");
  SCALAR(out, st, n, "sluice_spanhead_sealed_blocks_total", "counter",
         ingest.spanhead_sealed_blocks,
         "Span blocks sealed from the span head.");
  SCALAR(out, st, n, "sluice_spanhead_sealed_spans_total", "counter",
         ingest.spanhead_sealed_spans, "Spans in sealed span blocks.");
}

static void render_storage(const struct core_stats *const *st, unsigned n,
                           struct core_strbuf *out) {
  SCALAR(out, st, n, "sluice_storage_blocks_written_total", "counter",
         stor.blocks_written, "Blocks written to segment files.");
  SCALAR(out, st, n, "sluice_storage_bytes_written_total", "counter",
         stor.bytes_written, "Bytes of blocks written to segment files.");
  SCALAR(out, st, n, "sluice_storage_segments_opened_total", "counter",
         stor.segments_opened, "Segment files created.");
  SCALAR(out, st, n, "sluice_storage_fsyncs_total", "counter", stor.fsyncs,
         "fdatasync calls on segment files.");
  SCALAR(out, st, n, "sluice_storage_write_errors_total", "counter",
         stor.write_errors,
         "Failed or short block writes and segment opens (each is retried).");
  SCALAR(out, st, n, "sluice_storage_fsync_errors_total", "counter",
         stor.fsync_errors, "Failed fsync calls.");
  SCALAR(out, st, n, "sluice_storage_blocks_lost_total", "counter",
         stor.blocks_lost, "Blocks given up after their write retries.");
  SCALAR(out, st, n, "sluice_storage_points_lost_total", "counter",
         stor.points_lost, "Points in blocks given up.");
  SCALAR(out, st, n, "sluice_storage_logs_lost_total", "counter",
         stor.logs_lost, "Log records in log blocks given up.");
  SCALAR(out, st, n, "sluice_storage_spans_lost_total", "counter",
         stor.spans_lost, "Spans in span blocks given up.");
  SCALAR(out, st, n, "sluice_storage_tail_truncations_total", "counter",
         stor.tail_truncations,
         "Segments cut back to their last whole block after a block that a "
         "short write had left partly in them was given up.");
  SCALAR(out, st, n, "sluice_storage_tail_truncated_bytes_total", "counter",
         stor.tail_truncated_bytes,
         "Bytes of given-up partial blocks cut off segment files.");
  SCALAR(out, st, n, "sluice_storage_backpressure_waits_total", "counter",
         store_waits,
         "Seals that waited for a write buffer (receiving paused).");
  SCALAR(out, st, n, "sluice_storage_deferred_dropped_total", "counter",
         store_dropped,
         "Blocks dropped (points and records in sluice_storage_points_lost_"
         "total and sluice_storage_logs_lost_total) "
         "because too many completions were parked while a seal waited.");
  SCALAR(out, st, n, "sluice_recovery_truncated_bytes_total", "counter",
         stor.recovery_truncated_bytes,
         "Bytes of torn segment tails cut at start-up.");
  SCALAR(out, st, n, "sluice_recovery_segments_total", "counter",
         stor.recovery_segments, "Segments checked at start-up.");
}

/* Label values of sluice_otlp_*: the enums of net/otlp_http_types.h. */
static const char *const otlp_signals[CORE_OTLP_SIGNALS] = {
    [CORE_OTLP_METRICS] = "metrics", [CORE_OTLP_LOGS] = "logs",
    [CORE_OTLP_TRACES] = "traces"};
static const char *const otlp_encs[CORE_OTLP_ENCS] = {
    [CORE_OTLP_ENC_PROTO] = "protobuf", [CORE_OTLP_ENC_JSON] = "json"};
static const char *const otlp_codes[NET_OTLP_CODES] = {
    [NET_OTLP_CODE_200] = "200", [NET_OTLP_CODE_400] = "400",
    [NET_OTLP_CODE_408] = "408", [NET_OTLP_CODE_413] = "413",
    [NET_OTLP_CODE_415] = "415", [NET_OTLP_CODE_429] = "429",
    [NET_OTLP_CODE_500] = "500", [NET_OTLP_CODE_503] = "503"};
static const char *const otlp_rejects[NET_OTLP_REJECTS] = {
    [NET_OTLP_REJ_BODY_TOO_LARGE] = "body_too_large",
    [NET_OTLP_REJ_INFLATED_TOO_LARGE] = "inflated_too_large",
    [NET_OTLP_REJ_BAD_CONTENT_TYPE] = "bad_content_type",
    [NET_OTLP_REJ_BAD_ENCODING] = "bad_encoding",
    [NET_OTLP_REJ_BAD_GZIP] = "bad_gzip",
    [NET_OTLP_REJ_DECODE_ERROR] = "decode_error",
    [NET_OTLP_REJ_BAD_REQUEST] = "bad_request",
    [NET_OTLP_REJ_NOT_FOUND] = "not_found",
    [NET_OTLP_REJ_METHOD] = "method_not_allowed",
    [NET_OTLP_REJ_BACKPRESSURE] = "backpressure",
    [NET_OTLP_REJ_WRITER_BEHIND] = "writer_behind",
    [NET_OTLP_REJ_MEMORY] = "memory",
    [NET_OTLP_REJ_NOT_DURABLE] = "not_durable",
    [NET_OTLP_REJ_TIMEOUT] = "timeout",
    [NET_OTLP_REJ_STOPPING] = "stopping"};

static const char *otlp_reject_name(int r) { return otlp_rejects[r]; }

/* gRPC answers in sluice_otlp_requests_total: by method (signal
 * "unknown": no such method) and grpc-status name; the codes sluice sends
 * always, any other once it was counted. */
static void render_otlp_grpc_requests(const struct core_stats *const *st,
                                      unsigned n, struct core_strbuf *out) {
  static const char *const sigs[CORE_OTLP_SIGNALS + 1] = {
      "metrics", "logs", "traces", "unknown"};
  static const uint32_t sent = 1u << NET_GRPC_OK |
                               1u << NET_GRPC_INVALID_ARGUMENT |
                               1u << NET_GRPC_RESOURCE_EXHAUSTED |
                               1u << NET_GRPC_UNIMPLEMENTED |
                               1u << NET_GRPC_INTERNAL |
                               1u << NET_GRPC_UNAVAILABLE;

  for (unsigned i = 0; i < n; i++)
    for (int s = 0; s <= CORE_OTLP_SIGNALS; s++)
      for (int c = 0; c < NET_GRPC_CODES; c++) {
        uint64_t v = core_stat_get(&st[i]->otlp_grpc.grpc.replies[s][c]);

        if (v == 0 && !(sent >> c & 1))
          continue;
        core_strbuf_appendf(
            out,
            "sluice_otlp_requests_total{shard=\"%u\",transport=\"grpc\","
            "signal=\"%s\",encoding=\"grpc\",code=\"%s\"} %" PRIu64 "\n",
            i, sigs[s], net_grpc_code_name((enum net_grpc_code)c), v);
      }
}

static void render_otlp_http(const struct core_stats *const *st, unsigned n,
                             struct core_strbuf *out) {
  family(out, "sluice_otlp_requests_total", "counter",
         "OTLP/HTTP requests and OTLP/gRPC calls answered, by transport, "
         "signal, encoding and status code (a 200 or OK is sent once the "
         "data is durable).");
  for (unsigned i = 0; i < n; i++)
    for (int s = 0; s < CORE_OTLP_SIGNALS; s++)
      for (int e = 0; e < CORE_OTLP_ENCS; e++)
        for (int c = 0; c < NET_OTLP_CODES; c++)
          core_strbuf_appendf(
              out,
              "sluice_otlp_requests_total{shard=\"%u\",transport=\"http\","
              "signal=\"%s\",encoding=\"%s\",code=\"%s\"} %" PRIu64 "\n",
              i, otlp_signals[s], otlp_encs[e], otlp_codes[c],
              core_stat_get(&st[i]->otlp_http.requests[s][e][c]));
  render_otlp_grpc_requests(st, n, out); /* the same family */
  family(out, "sluice_otlp_http_rejected_total", "counter",
         "OTLP/HTTP requests refused or left unanswered, by reason.");
  PER_SHARD_BY(out, st, n, "sluice_otlp_http_rejected_total{shard=\"%u\","
               "reason=", otlp_reject_name, otlp_http.rejected, 0,
               NET_OTLP_REJECTS);
  SCALAR(out, st, n, "sluice_otlp_http_connections", "gauge",
         otlp_http.conns.open, "Open OTLP/HTTP connections.");
  SCALAR(out, st, n, "sluice_otlp_http_connections_accepted_total", "counter",
         otlp_http.conns.accepted, "OTLP/HTTP connections accepted.");
  SCALAR(out, st, n, "sluice_otlp_http_connections_rejected_total", "counter",
         otlp_http.conns.rejected,
         "OTLP/HTTP connections closed at once: every slot busy, or stopping.");
  SCALAR(out, st, n, "sluice_otlp_http_connection_errors_total", "counter",
         otlp_http.conns.errors, "OTLP/HTTP receives or sends that failed.");
  SCALAR(out, st, n, "sluice_otlp_http_idle_closed_total", "counter",
         otlp_http.idle_closed,
         "Keep-alive OTLP/HTTP connections closed after their idle timeout.");
  SCALAR(out, st, n, "sluice_otlp_http_waiting_requests", "gauge",
         otlp_http.waiting, "OTLP/HTTP requests stored and waiting for "
         "their fsync before the reply.");
  SCALAR(out, st, n, "sluice_otlp_http_flushes_total", "counter",
         otlp_http.flushes, "Seal-and-fsync generations the OTLP/HTTP "
         "listener asked for (one per loop pass with requests).");
  SCALAR(out, st, n, "sluice_otlp_http_memory_bytes", "gauge",
         otlp_http.memory_bytes, "Request body bytes the OTLP/HTTP "
         "listener holds (bounded per shard).");
}

/* sluice_dpdk_*: only when some shard polls a DPDK queue (--dpdk). */
static void render_dpdk(const struct core_stats *const *st, unsigned n,
                        struct core_strbuf *out) {
  unsigned on = 0;

  for (unsigned i = 0; i < n; i++)
    on |= core_stat_get(&st[i]->dpdk.active) != 0;
  if (!on)
    return;
  SCALAR(out, st, n, "sluice_dpdk_rx_packets_total", "counter",
         dpdk.rx_packets, "Frames received from the shard's RX queue.");
  SCALAR(out, st, n, "sluice_dpdk_rx_bytes_total", "counter", dpdk.rx_bytes,
         "Bytes of those frames.");
  SCALAR(out, st, n, "sluice_dpdk_rx_bursts_total", "counter",
         dpdk.rx_bursts, "Receive bursts that brought frames.");
  SCALAR(out, st, n, "sluice_dpdk_rx_idle_polls_total", "counter",
         dpdk.rx_polls_idle, "Receive bursts that brought none.");
  SCALAR(out, st, n, "sluice_dpdk_idle_waits_total", "counter",
         dpdk.rx_idle_sleeps, "Idle waits on the shard's ring.");
  family(out, "sluice_dpdk_rx_dropped_total", "counter",
         "Frames dropped unparsed, by reason.");
  PER_SHARD_BY(out, st, n, "sluice_dpdk_rx_dropped_total{shard=\"%u\","
               "reason=", net_pkt_drop_name, dpdk.rx_dropped, 0,
               NET_PKT_DROP_COUNT);
  SCALAR(out, st, n, "sluice_dpdk_arp_replies_total", "counter",
         dpdk.arp_replies, "ARP requests for --dpdk-ip answered.");
  SCALAR(out, st, n, "sluice_dpdk_tx_failed_total", "counter",
         dpdk.tx_failed, "ARP replies the TX queue refused (freed).");
  SCALAR(out, st, n, "sluice_dpdk_mbuf_alloc_failed_total", "counter",
         dpdk.mbuf_alloc_failed, "Port: receive mbuf allocation failures "
         "(rte_eth_stats rx_nombuf; on shard 0).");
  SCALAR(out, st, n, "sluice_dpdk_rx_missed_total", "counter",
         dpdk.rx_missed, "Port: frames the NIC dropped, RX ring full "
         "(rte_eth_stats imissed; on shard 0).");
  SCALAR(out, st, n, "sluice_dpdk_rx_errors_total", "counter",
         dpdk.rx_errors, "Port: erroneous frames (rte_eth_stats ierrors; "
         "on shard 0).");
}

static const char *const grpc_listener_rejects[NET_OTLP_GRPC_REJECTS] = {
    [NET_OTLP_GRPC_REJ_DECODE_ERROR] = "decode_error",
    [NET_OTLP_GRPC_REJ_BACKPRESSURE] = "backpressure",
    [NET_OTLP_GRPC_REJ_WRITER_BEHIND] = "writer_behind",
    [NET_OTLP_GRPC_REJ_NOT_DURABLE] = "not_durable",
    [NET_OTLP_GRPC_REJ_STOPPING] = "stopping",
    [NET_OTLP_GRPC_REJ_SESSION] = "session_memory",
    [NET_OTLP_GRPC_REJ_TIMEOUT] = "timeout"};

static void render_otlp_grpc(const struct core_stats *const *st, unsigned n,
                             struct core_strbuf *out) {
  family(out, "sluice_otlp_grpc_rejected_total", "counter",
         "OTLP/gRPC calls refused or not answered OK, by reason (the HTTP/2 "
         "engine's and the listener's).");
  for (unsigned i = 0; i < n; i++) {
    for (int r = 0; r < NET_GRPC_REJS; r++)
      core_strbuf_appendf(out,
                          "sluice_otlp_grpc_rejected_total{shard=\"%u\","
                          "reason=\"%s\"} %" PRIu64 "\n",
                          i, net_grpc_reject_name((enum net_grpc_reject)r),
                          core_stat_get(&st[i]->otlp_grpc.grpc.rejected[r]));
    for (int r = 0; r < NET_OTLP_GRPC_REJECTS; r++)
      core_strbuf_appendf(out,
                          "sluice_otlp_grpc_rejected_total{shard=\"%u\","
                          "reason=\"%s\"} %" PRIu64 "\n",
                          i, grpc_listener_rejects[r],
                          core_stat_get(&st[i]->otlp_grpc.rejected[r]));
  }
  SCALAR(out, st, n, "sluice_otlp_grpc_connections", "gauge",
         otlp_grpc.conns.open, "Open OTLP/gRPC connections.");
  SCALAR(out, st, n, "sluice_otlp_grpc_connections_accepted_total", "counter",
         otlp_grpc.conns.accepted, "OTLP/gRPC connections accepted.");
  SCALAR(out, st, n, "sluice_otlp_grpc_connections_rejected_total", "counter",
         otlp_grpc.conns.rejected,
         "OTLP/gRPC connections closed at once: every slot busy, or stopping.");
  SCALAR(out, st, n, "sluice_otlp_grpc_socket_errors_total", "counter",
         otlp_grpc.conns.errors, "OTLP/gRPC receives or sends that failed.");
  SCALAR(out, st, n, "sluice_otlp_grpc_connection_errors_total", "counter",
         otlp_grpc.grpc.conn_errors, "OTLP/gRPC connections ended by an "
         "HTTP/2 error, a bad preface, a flood or memory (GOAWAY sent).");
  SCALAR(out, st, n, "sluice_otlp_grpc_stream_resets_total", "counter",
         otlp_grpc.grpc.resets, "OTLP/gRPC calls the client reset (or whose "
         "connection ended) before their answer; their data was stored.");
  SCALAR(out, st, n, "sluice_otlp_grpc_abandoned_answers_total", "counter",
         otlp_grpc.grpc.abandoned, "OTLP/gRPC answers with no stream left "
         "to take them.");
  SCALAR(out, st, n, "sluice_otlp_grpc_idle_closed_total", "counter",
         otlp_grpc.idle_closed,
         "OTLP/gRPC connections sent GOAWAY after their idle timeout.");
  SCALAR(out, st, n, "sluice_otlp_grpc_waiting_calls", "gauge",
         otlp_grpc.waiting, "OTLP/gRPC calls stored and waiting for their "
         "fsync before the answer.");
  SCALAR(out, st, n, "sluice_otlp_grpc_flushes_total", "counter",
         otlp_grpc.flushes, "Seal-and-fsync generations the OTLP/gRPC "
         "listener asked for (one per loop pass with calls).");
  SCALAR(out, st, n, "sluice_otlp_grpc_memory_bytes", "gauge",
         otlp_grpc.memory_bytes, "Bytes the OTLP/gRPC engine holds "
         "(nghttp2 sessions and request messages; bounded per shard).");
}

/* sluice_shard_heap_*: the shard's own heap (core/base/heap.h). */
static void render_heap(const struct core_stats *const *st, unsigned n,
                        struct core_strbuf *out) {
  SCALAR(out, st, n, "sluice_shard_heap_allocations_total", "counter",
         heap.allocs, "Blocks the shard allocated after start-up from its "
         "own heap (OTLP bodies, HTTP/2 sessions and messages).");
  SCALAR(out, st, n, "sluice_shard_heap_refused_total", "counter",
         heap.refused, "Allocations the shard's heap refused (no memory); "
         "the request or connection was refused and counted.");
  SCALAR(out, st, n, "sluice_shard_heap_blocks", "gauge", heap.blocks,
         "Blocks held in the shard's heap now.");
}

/* OTLP requests refused for passing a decoder bound, by listener. */
static void render_otlp_bounds(const struct core_stats *const *st, unsigned n,
                               struct core_strbuf *out) {
  family(out, "sluice_otlp_bound_rejected_total", "counter",
         "OTLP requests refused whole (400 / INVALID_ARGUMENT) for passing "
         "a decoder bound: items, attributes, buckets, anyvalue_depth, "
         "nesting.");
  for (unsigned i = 0; i < n; i++)
    for (int t = 0; t < 2; t++) {
      const uint64_t *v = t ? st[i]->otlp_grpc.bounds : st[i]->otlp_http.bounds;

      for (int b = 0; b < NET_OTLP_BOUNDS; b++)
        core_strbuf_appendf(out, "sluice_otlp_bound_rejected_total{shard=\"%u\","
                            "transport=\"%s\",bound=\"%s\"} %" PRIu64 "\n",
                            i, t ? "grpc" : "http",
                            net_otlp_bound_name((enum net_otlp_bound)b),
                            core_stat_get(&v[b]));
    }
}

int core_stats_render(const struct core_stats *const *stats, unsigned n,
                      struct core_strbuf *out) {
  render_points(stats, n, out);
  render_rx(stats, n, out);
  render_state(stats, n, out);
  render_storage(stats, n, out);
  render_otlp_http(stats, n, out);
  render_dpdk(stats, n, out);
  render_otlp_grpc(stats, n, out);
  render_otlp_bounds(stats, n, out);
  render_heap(stats, n, out);
  return out->failed ? -ENOMEM : 0;
}
