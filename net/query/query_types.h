/*
 * net/query/query_types.h - what the query port's routes are given.
 *
 * The routes know nothing of shards or of the daemon: they read segments
 * under a data directory and call back for what only the daemon can do.
 */
#ifndef SLUICE_NET_QUERY_QUERY_TYPES_H
#define SLUICE_NET_QUERY_QUERY_TYPES_H

#include <stdint.h>

struct core_strbuf;
struct net_http_server;

struct net_query_env {
  const char *data_dir;         /* <data_dir>/shard-* are read */
  /*
   * GET /metrics: append the exposition of everything the daemon counts
   * (shards, storage, retention). Returns 0 or -ENOMEM.
   */
  int (*metrics)(void *ctx, struct core_strbuf *out);
  /*
   * POST /api/v1/flush: every shard seals and makes its blocks durable.
   * Never blocks: *ticket is 0 on a request's first call and the daemon
   * sets it; call again with it while the answer is -EINPROGRESS.
   * Returns 0 (durable), -EINPROGRESS, -EIO when a block was lost,
   * -ETIMEDOUT, or -EAGAIN when the daemon is not ready (starting or
   * stopping).
   */
  int (*flush)(void *ctx, uint64_t *ticket);
  /*
   * GET /-/ready: NULL once recovery is done and every listener is up
   * (until the stop begins), else why not, for the 503's body.
   */
  const char *(*not_ready)(void *ctx);
  const char *version;          /* sluice_build_info labels */
  const char *simd;             /* the parser's SIMD level in use */
  void *ctx;
  /* the server serving these routes, for its own counters on /metrics;
   * set (atomically) once it runs, NULL before */
  struct net_http_server *http;
};

#endif
