/*
 * net/query/query.h - the query port's routes (served by net/http.c).
 *
 *   GET /health, /-/healthy  200 "ok" (the process serves)
 *   GET /-/ready  200 once recovery is done and every listener is up, else
 *                 503 (starting, stopping)
 *   GET /metrics  Prometheus text: every shard's counters, sluice_build_info,
 *                 process_*
 *   POST /api/v1/flush  seal and fsync every shard's open block, then 200
 *   POST /api/v1/read  Prometheus remote-read (remote_read.h)
 *   GET /api/v1/export, /api/v1/series, /api/v1/labels,
 *       /api/v1/label/NAME/values, /api/v1/logs  reads (query_api.h)
 * Anything else: 404; a known path with another method: 405.
 */
#ifndef SLUICE_NET_QUERY_QUERY_H
#define SLUICE_NET_QUERY_QUERY_H

#include "net/query/query_types.h"

struct net_http_request;
struct net_http_response;

/*
 * The handler given to net_http_server_start; ctx is a struct
 * net_query_env (query_types.h) that outlives the server. Runs on the
 * query thread.
 */
void net_query_handle(const struct net_http_request *req,
                      struct net_http_response *resp, void *ctx);

#endif
