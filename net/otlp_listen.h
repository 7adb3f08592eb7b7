/*
 * net/otlp_listen.h - the set-up and tear-down both OTLP listeners share
 * (net/otlp_http.c, net/otlp_grpc.c); each adds its own protocol state.
 * Start-up only.
 */
#ifndef SLUICE_NET_OTLP_LISTEN_H
#define SLUICE_NET_OTLP_LISTEN_H

#include "net/otlp_listen_types.h"

/*
 * Register the connection table rc of a listener of kind k on cfg->ring,
 * make its durability table dur and map m's memory (zeroed; the inflater
 * initialised). Returns 0 or -errno; on failure what was made is left for
 * net_otlp_listen_free (m holds what was mapped).
 */
int net_otlp_listen_init(struct net_rconn *rc, struct net_otlp_durable *dur,
                         struct net_otlp_listen_mem *m,
                         const struct net_otlp_listen_kind *k,
                         const struct net_otlp_listen_cfg *cfg);

/*
 * The bound a decoder's -E2BIG reason names (core_otlp_result.why, e.g.
 * "too many attributes"); NET_OTLP_BOUND_OTHER for any other text or NULL.
 */
enum net_otlp_bound net_otlp_bound_of(const char *why);

/* Label value of a bound, e.g. "attributes". Never NULL. */
const char *net_otlp_bound_name(enum net_otlp_bound b);

/*
 * Undo net_otlp_listen_init (after a failed one too): m's memory of
 * conns_bytes and inflated_bytes unmapped, dur freed, rc's sockets
 * closed. The protocol frees what its connections hold first.
 */
void net_otlp_listen_free(struct net_rconn *rc, struct net_otlp_durable *dur,
                          const struct net_otlp_listen_mem *m,
                          size_t conns_bytes, size_t inflated_bytes);

#endif
