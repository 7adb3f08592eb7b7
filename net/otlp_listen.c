/*
 * net/otlp_listen.c - the set-up both OTLP listeners share (see
 * net/otlp_listen.h).
 */
#include "net/otlp_listen.h"

#include <errno.h>
#include <string.h>

#include "core/base/heap.h"
#include "net/gzip.h"
#include "net/otlp_durable.h"
#include "net/rconn.h"

int net_otlp_listen_init(struct net_rconn *rc, struct net_otlp_durable *dur,
                         struct net_otlp_listen_mem *m,
                         const struct net_otlp_listen_kind *k,
                         const struct net_otlp_listen_cfg *cfg) {
  struct net_rconn_cfg rcfg = {.listen_fd = cfg->fd,
                               .conns_max = cfg->conns_max,
                               .in_bytes = k->in_bytes,
                               .out_bytes = k->out_bytes};
  struct net_otlp_durable_cfg dcfg = {.gen_flag = k->gen_flag,
                                      .waits_max = k->waits_max,
                                      .ops = cfg->dops,
                                      .reply = k->reply,
                                      .reply_ctx = cfg->ctx,
                                      .waiting = cfg->waiting,
                                      .flushes = cfg->flushes};
  int err;

  *m = (struct net_otlp_listen_mem){0};
  err = net_rconn_init(rc, cfg->ring, &rcfg, k->ops, cfg->ctx, cfg->conns);
  if (err < 0)
    return err;
  err = net_otlp_durable_init(dur, &dcfg);
  if (err < 0)
    return err;
  m->conns = core_map_bytes(k->conn_bytes * cfg->conns_max);
  m->inflated = core_map_bytes(k->inflated_bytes);
  m->gz = core_map_bytes(sizeof(*m->gz));
  if (!m->conns || !m->inflated || !m->gz)
    return -ENOMEM;
  net_gzip_init(m->gz);
  return 0;
}

void net_otlp_listen_free(struct net_rconn *rc, struct net_otlp_durable *dur,
                          const struct net_otlp_listen_mem *m,
                          size_t conns_bytes, size_t inflated_bytes) {
  core_unmap_bytes(m->conns, conns_bytes);
  core_unmap_bytes(m->inflated, inflated_bytes);
  core_unmap_bytes(m->gz, sizeof(*m->gz));
  net_otlp_durable_free(dur);
  net_rconn_free(rc);
}

/* The reasons core/parse/otlp*.c give with -E2BIG, by bound. */
static const struct {
  const char *why;
  enum net_otlp_bound bound;
} bound_reasons[] = {
    {"too many items in request", NET_OTLP_BOUND_ITEMS},
    {"too many attributes", NET_OTLP_BOUND_ATTRS},
    {"too many buckets", NET_OTLP_BOUND_BUCKETS},
    {"too many quantiles", NET_OTLP_BOUND_BUCKETS},
    {"AnyValue nested too deep", NET_OTLP_BOUND_ANY_DEPTH},
    {"messages nested too deep", NET_OTLP_BOUND_NESTING},
    {"JSON nested too deep", NET_OTLP_BOUND_NESTING},
};

enum net_otlp_bound net_otlp_bound_of(const char *why) {
  for (size_t i = 0; why && i < sizeof(bound_reasons) / sizeof(*bound_reasons);
       i++)
    if (strcmp(why, bound_reasons[i].why) == 0)
      return bound_reasons[i].bound;
  return NET_OTLP_BOUND_OTHER;
}

const char *net_otlp_bound_name(enum net_otlp_bound b) {
  static const char *const names[NET_OTLP_BOUNDS] = {
      [NET_OTLP_BOUND_ITEMS] = "items", [NET_OTLP_BOUND_ATTRS] = "attributes",
      [NET_OTLP_BOUND_BUCKETS] = "buckets",
      [NET_OTLP_BOUND_ANY_DEPTH] = "anyvalue_depth",
      [NET_OTLP_BOUND_NESTING] = "nesting", [NET_OTLP_BOUND_OTHER] = "other"};

  return (unsigned)b < NET_OTLP_BOUNDS ? names[b] : "other";
}
