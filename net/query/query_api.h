/*
 * net/query/query_api.h - the query port's read endpoints (docs/query-api.md):
 *
 *   GET /api/v1/export?match[]=SEL&start=&end=   NDJSON, VictoriaMetrics'
 *       export form: one line per series, merged across shards by key
 *   GET /api/v1/series?match[]=SEL&start=&end=   Prometheus HTTP API JSON
 *   GET /api/v1/labels[?match[]=...&start=&end=]
 *   GET /api/v1/label/NAME/values[?match[]=...&start=&end=]
 *   GET /api/v1/logs?match=&contains=&start=&end=&limit=   NDJSON log
 *       records, the newest `limit` of those that match, oldest first
 *   GET /api/v1/traces/TRACE_ID   every stored span of one trace (JSON)
 *   GET /api/v1/spans?service=&name=&start=&end=&limit=   the newest
 *       `limit` spans that match, by start time (JSON)
 *
 * Errors are Prometheus API JSON: 400 bad_data (bad parameter or
 * selector), 422 execution (a response bound is exceeded), 503 timeout
 * (the query time budget is spent), 500 internal (I/O).
 * Every handler runs on the query thread and reads segments directly.
 */
#ifndef SLUICE_NET_QUERY_QUERY_API_H
#define SLUICE_NET_QUERY_QUERY_API_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct net_query_env;
struct net_http_request;
struct net_http_response;
struct core_strbuf;
struct stor_log_rec;
struct stor_span;

/* The handlers; env->data_dir is read. */
void net_query_export(const struct net_query_env *env,
                      const struct net_http_request *req,
                      struct net_http_response *resp);
void net_query_series(const struct net_query_env *env,
                      const struct net_http_request *req,
                      struct net_http_response *resp);
void net_query_labels(const struct net_query_env *env,
                      const struct net_http_request *req,
                      struct net_http_response *resp);
/* Serves /api/v1/label/NAME/values (NAME percent-decoded from the path). */
void net_query_label_values(const struct net_query_env *env,
                            const struct net_http_request *req,
                            struct net_http_response *resp);

/* Serves /api/v1/logs (net/query_logs.c). */
void net_query_logs(const struct net_query_env *env,
                    const struct net_http_request *req,
                    struct net_http_response *resp);

/* The same for the segments of data_dir (tests call it directly). */
void net_query_logs_dir(const char *data_dir,
                        const struct net_http_request *req,
                        struct net_http_response *resp);

/*
 * Append r to b as one NDJSON line ending in '\n' (docs/query-api.md
 * "Logs"): _time, _msg, host, app, severity, facility, procid, msgid,
 * "_parse_error":true when CORE_SYSLOG_F_PARSE_ERROR is set, then one
 * "sdid.name" key per distinct attribute key (repeated keys' values
 * joined by ','). scratch holds joined values. Strings are JSON-escaped;
 * bytes that are not UTF-8 are written as U+FFFD.
 * Returns 0, or -ENOMEM when b's bound was hit (b->failed).
 */
int net_query_log_line(struct core_strbuf *b, const struct stor_log_rec *r,
                       struct core_strbuf *scratch);

/*
 * Serves /api/v1/traces/TRACE_ID and /api/v1/spans (net/query_traces.c,
 * docs/query-api.md "Traces").
 */
void net_query_trace(const struct net_query_env *env,
                     const struct net_http_request *req,
                     struct net_http_response *resp);
void net_query_spans(const struct net_query_env *env,
                     const struct net_http_request *req,
                     struct net_http_response *resp);

/* The same for the segments of data_dir (tests call them directly). */
void net_query_trace_dir(const char *data_dir,
                         const struct net_http_request *req,
                         struct net_http_response *resp);
void net_query_spans_dir(const char *data_dir,
                         const struct net_http_request *req,
                         struct net_http_response *resp);

/*
 * Append span s to b as one JSON object (docs/query-api.md "Traces"): ids
 * in hex, times as decimal ns strings, kind and status code by their
 * OTLP enum names (numbers when unknown), attributes as objects (values
 * other than strings as core_otlp_value_json writes them: arrays and
 * kvlists as JSON, bytes as hex), events, links, resource attributes and
 * scope. Returns 0, or -ENOMEM when b's bound was hit (b->failed).
 */
int net_query_span_json(struct core_strbuf *b, const struct stor_span *s);

/*
 * An error reply in Prometheus API JSON ({"status":"error","errorType":
 * type,"error":message}) replacing resp's body. Returns -EINVAL.
 */
int net_query_error(struct net_http_response *resp, int status,
                    const char *type, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

/*
 * Query parameter name (percent-decoded) into out (cap with the NUL).
 * Returns its length, 0 when absent or empty, or -EINVAL after a 400
 * naming the parameter when longer than cap - 1.
 */
int net_query_text_param(const struct net_http_request *req,
                         struct net_http_response *resp, const char *name,
                         char *out, size_t cap);

/*
 * start= (end false) or end= as ns since the epoch, as /api/v1/logs reads
 * them (net_query_parse_time; end= takes its whole ms); absent: the
 * widest range. Returns 0, or -EINVAL after a 400 naming the parameter.
 */
int net_query_time_param(const struct net_http_request *req,
                         struct net_http_response *resp, bool end,
                         int64_t *ns);

/*
 * Write ns since the epoch into out (at least 31 bytes) as RFC 3339 in
 * UTC with nine fraction digits ("2026-11-21T10:00:00.123456789Z") and a
 * NUL. Returns the length (30).
 */
int net_query_format_time_ns(int64_t ns, char *out);

/*
 * Parse a start=/end= value: RFC 3339 ("2023-11-14T22:13:20.5Z", any
 * offset), seconds with or without a fraction ("1700000000.25"), or, for
 * an integer of 11 digits or more, milliseconds ("1700000000250").
 * Returns 0 with *ms set, or -EINVAL.
 */
int net_query_parse_time(const char *s, int64_t *ms);

/*
 * Start a query's time budget: returns CLOCK_MONOTONIC now plus
 * CORE_QUERY_TIME_MS_MAX, in ms, for the scan's deadline_ms, and arms the
 * same deadline for regex matches on this thread (net_regex_deadline; the
 * caller disarms it with net_regex_deadline(0) after the scan).
 */
int64_t net_query_deadline_start(void);

#endif
