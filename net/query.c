/*
 * net/query.c - the query port's routes.
 */
#include "net/query.h"

#include <string.h>

#include "core/run_types.h"
#include "core/stats.h"
#include "core/strbuf.h"
#include "net/http.h"

static void reply_text(struct net_http_response *resp, int status,
                       const char *text) {
  resp->status = status;
  resp->content_type = "text/plain; charset=utf-8";
  core_strbuf_append(&resp->body, text, strlen(text));
}

static void get_metrics(const struct core_runtime *rt,
                        struct net_http_response *resp) {
  resp->content_type = "text/plain; version=0.0.4; charset=utf-8";
  if (core_stats_render(rt->stats, rt->shard_count, &resp->body) < 0)
    resp->status = 500; /* the server replies 500 for a cut body too */
}

struct route {
  const char *path;
  void (*get)(const struct core_runtime *rt, struct net_http_response *resp);
};

static void get_health(const struct core_runtime *rt,
                       struct net_http_response *resp) {
  (void)rt;
  reply_text(resp, 200, "ok\n");
}

static const struct route routes[] = {
    {"/health", get_health},
    {"/metrics", get_metrics},
};

void net_query_handle(const struct net_http_request *req,
                      struct net_http_response *resp, void *ctx) {
  const struct core_runtime *rt = ctx;

  for (size_t i = 0; i < sizeof(routes) / sizeof(routes[0]); i++) {
    if (strcmp(req->path, routes[i].path) != 0)
      continue;
    if (strcmp(req->method, "GET") != 0 && strcmp(req->method, "HEAD") != 0) {
      net_http_response_header(resp, "Allow", "GET, HEAD");
      reply_text(resp, 405, "method not allowed: use GET\n");
      return;
    }
    routes[i].get(rt, resp);
    return;
  }
  reply_text(resp, 404, "not found: the query port serves /health and "
                        "/metrics\n");
}
