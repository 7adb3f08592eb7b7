/*
 * net/query/query.c - the query port's routes.
 */
#include "net/query/query.h"

#include <errno.h>
#include <stdbool.h>
#include <stddef.h>
#include <inttypes.h>
#include <string.h>

#include "core/base/strbuf.h"
#include "net/http.h"
#include "net/query/process.h"
#include "net/query/query_api.h"
#include "net/query/remote_read.h"

static void reply_text(struct net_http_response *resp, int status,
                       const char *text) {
  resp->status = status;
  resp->content_type = "text/plain; charset=utf-8";
  core_strbuf_append(&resp->body, text, strlen(text));
}

/* The query port's own refusals and memory (net/http.c counters). */
static void render_http(const struct net_query_env *env,
                        struct core_strbuf *b) {
  /* Set by the main thread once the server started; a request served
   * before that (none should be) renders without these figures. */
  struct net_http_server *http = __atomic_load_n(&env->http, __ATOMIC_ACQUIRE);
  struct net_http_stats st;

  if (!http)
    return;
  net_http_server_stats(http, &st);
  core_strbuf_appendf(
      b,
      "# HELP sluice_http_rejected_total Query-port requests refused with "
      "503 Retry-After: over the connection bound, over the bound per "
      "client address, or bodies over the memory budget.\n"
      "# TYPE sluice_http_rejected_total counter\n"
      "sluice_http_rejected_total{reason=\"connections\"} %" PRIu64 "\n"
      "sluice_http_rejected_total{reason=\"per_client\"} %" PRIu64 "\n"
      "sluice_http_rejected_total{reason=\"memory\"} %" PRIu64 "\n"
      "# HELP sluice_http_timeouts_total Query-port connections closed at "
      "a deadline: headers or body not in (408), idle keep-alive, reply "
      "not read.\n# TYPE sluice_http_timeouts_total counter\n"
      "sluice_http_timeouts_total{phase=\"header\"} %" PRIu64 "\n"
      "sluice_http_timeouts_total{phase=\"body\"} %" PRIu64 "\n"
      "sluice_http_timeouts_total{phase=\"idle\"} %" PRIu64 "\n"
      "sluice_http_timeouts_total{phase=\"send\"} %" PRIu64 "\n"
      "# HELP sluice_http_memory_bytes Request and response body bytes the "
      "query port holds.\n# TYPE sluice_http_memory_bytes gauge\n"
      "sluice_http_memory_bytes %" PRIu64 "\n"
      "# HELP sluice_http_memory_bytes_max The query port's memory budget "
      "for bodies.\n# TYPE sluice_http_memory_bytes_max gauge\n"
      "sluice_http_memory_bytes_max %" PRIu64 "\n",
      st.conns_rejected, st.rejected_per_client, st.rejected_memory,
      st.timed_out_header, st.timed_out_body, st.timed_out_idle,
      st.timed_out_send, st.memory_bytes, st.memory_bytes_max);
}

static void get_metrics(const struct net_query_env *env,
                        const struct net_http_request *req,
                        struct net_http_response *resp) {
  (void)req;
  resp->content_type = "text/plain; version=0.0.4; charset=utf-8";
  if (env->metrics(env->ctx, &resp->body) < 0)
    resp->status = 500; /* the server replies 500 for a cut body too */
  render_http(env, &resp->body);
  core_strbuf_appendf(
      &resp->body,
      "# HELP sluice_build_info The version of sluice and the SIMD level "
      "of its parser.\n# TYPE sluice_build_info gauge\n"
      "sluice_build_info{version=\"%s\",simd=\"%s\"} 1\n",
      env->version, env->simd);
  net_query_render_process(&resp->body);
  net_query_remote_read_render(&resp->body);
}

/* POST /api/v1/flush: 200 once every shard's sealed blocks are durable;
 * pending (net/http.h) until then, so other clients are served meanwhile
 * and concurrent flushes share rounds. */
static void post_flush(const struct net_query_env *env,
                       struct net_http_response *resp) {
  int rc = env->flush(env->ctx, &resp->pending_token);
  const char *body = "{\"status\":\"success\"}\n";

  if (rc == -EINPROGRESS) {
    resp->pending = true;
    return;
  }
  if (rc == -EAGAIN) {
    resp->status = 503;
    net_http_response_header(resp, "Retry-After", "1");
    body = "{\"status\":\"error\",\"error\":\"not ready: starting "
           "(recovering segments) or stopping\"}\n";
  } else if (rc == -ETIMEDOUT) {
    resp->status = 503;
    net_http_response_header(resp, "Retry-After", "1");
    body = "{\"status\":\"error\",\"error\":\"flush timed out: storage "
           "is not keeping up\"}\n";
  } else if (rc < 0) {
    resp->status = 500;
    body = "{\"status\":\"error\",\"error\":\"a block could not be "
           "written; see sluice_storage_blocks_lost_total\"}\n";
  }
  resp->content_type = "application/json";
  core_strbuf_append(&resp->body, body, strlen(body));
}

struct route {
  const char *path;
  void (*get)(const struct net_query_env *env,
              const struct net_http_request *req,
              struct net_http_response *resp);
  bool prefix;  /* path is a prefix (the rest is the handler's) */
};

static void get_health(const struct net_query_env *env,
                       const struct net_http_request *req,
                       struct net_http_response *resp) {
  (void)env;
  (void)req;
  reply_text(resp, 200, "ok\n");
}

/* GET /-/ready: 503 until recovery is done and every listener is up, and
 * again once the stop begins (a load balancer stops sending first). */
static void get_ready(const struct net_query_env *env,
                      const struct net_http_request *req,
                      struct net_http_response *resp) {
  const char *why = env->not_ready(env->ctx);

  (void)req;
  if (why == NULL) {
    reply_text(resp, 200, "ready\n");
    return;
  }
  net_http_response_header(resp, "Retry-After", "1");
  reply_text(resp, 503, "not ready: ");
  core_strbuf_appendf(&resp->body, "%s\n", why);
}

static const struct route routes[] = {
    {"/health", get_health, false},
    {"/-/healthy", get_health, false},
    {"/-/ready", get_ready, false},
    {"/metrics", get_metrics, false},
    {"/api/v1/export", net_query_export, false},
    {"/api/v1/series", net_query_series, false},
    {"/api/v1/labels", net_query_labels, false},
    {"/api/v1/label/", net_query_label_values, true},
    {"/api/v1/logs", net_query_logs, false},
};

void net_query_handle(const struct net_http_request *req,
                      struct net_http_response *resp, void *ctx) {
  const struct net_query_env *env = ctx;

  if (strcmp(req->path, "/api/v1/flush") == 0) {
    if (strcmp(req->method, "POST") != 0) {
      net_http_response_header(resp, "Allow", "POST");
      reply_text(resp, 405, "method not allowed: use POST\n");
      return;
    }
    post_flush(env, resp);
    return;
  }

  if (strcmp(req->path, "/api/v1/read") == 0) {
    net_query_remote_read(env, req, resp);  /* POST; it answers 405 */
    return;
  }

  for (size_t i = 0; i < sizeof(routes) / sizeof(routes[0]); i++) {
    size_t n = strlen(routes[i].path);
    if (routes[i].prefix ? strncmp(req->path, routes[i].path, n) != 0
                         : strcmp(req->path, routes[i].path) != 0)
      continue;
    if (strcmp(req->method, "GET") != 0 && strcmp(req->method, "HEAD") != 0) {
      net_http_response_header(resp, "Allow", "GET, HEAD");
      reply_text(resp, 405, "method not allowed: use GET\n");
      return;
    }
    routes[i].get(env, req, resp);
    return;
  }
  reply_text(resp, 404, "not found: the query port serves /health, "
                        "/-/healthy, /-/ready, /metrics and /api/v1/ (see "
                        "docs/query-api.md)\n");
}
