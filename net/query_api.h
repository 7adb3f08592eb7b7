/*
 * net/query_api.h - the query port's read endpoints (docs/query-api.md):
 *
 *   GET /api/v1/export?match[]=SEL&start=&end=   NDJSON, VictoriaMetrics'
 *       export form: one line per series, merged across shards by key
 *   GET /api/v1/series?match[]=SEL&start=&end=   Prometheus HTTP API JSON
 *   GET /api/v1/labels[?match[]=...&start=&end=]
 *   GET /api/v1/label/NAME/values[?match[]=...&start=&end=]
 *
 * Errors are Prometheus API JSON: 400 bad_data (bad parameter or
 * selector), 422 execution (a response bound is exceeded), 503 timeout
 * (the query time budget is spent), 500 internal (I/O).
 * Every handler runs on the query thread and reads segments directly.
 */
#ifndef SLUICE_NET_QUERY_API_H
#define SLUICE_NET_QUERY_API_H

#include <stdint.h>

struct core_runtime;
struct net_http_request;
struct net_http_response;

/* The handlers; rt->cfg.data_dir is read. */
void net_query_export(const struct core_runtime *rt,
                      const struct net_http_request *req,
                      struct net_http_response *resp);
void net_query_series(const struct core_runtime *rt,
                      const struct net_http_request *req,
                      struct net_http_response *resp);
void net_query_labels(const struct core_runtime *rt,
                      const struct net_http_request *req,
                      struct net_http_response *resp);
/* Serves /api/v1/label/NAME/values (NAME percent-decoded from the path). */
void net_query_label_values(const struct core_runtime *rt,
                            const struct net_http_request *req,
                            struct net_http_response *resp);

/*
 * Parse a start=/end= value: RFC 3339 ("2023-11-14T22:13:20.5Z", any
 * offset), seconds with or without a fraction ("1700000000.25"), or, for
 * an integer of 11 digits or more, milliseconds ("1700000000250").
 * Returns 0 with *ms set, or -EINVAL.
 */
int net_query_parse_time(const char *s, int64_t *ms);

/*
 * Write v into out (at least 32 bytes) as VictoriaMetrics' export does:
 * integers without a fraction, others in the shortest form that reads
 * back exactly, NaN as NaN, infinities as +Inf and -Inf.
 * Returns the length.
 */
int net_query_format_value(double v, char *out);

#endif
