/*
 * net/otlp_grpc.h - OTLP/gRPC on a shard's own io_uring: the three Export
 * services over HTTP/2 (net/grpc.h, the engine), on connections served by
 * net/rconn.h (the plumbing OTLP/HTTP uses). An OK answer goes out only
 * once the call's data is durable: the calls stored in one pass of the
 * shard loop share one seal and one flush generation
 * (net_otlp_grpc_commit), answered by the writer (net_otlp_grpc_answer),
 * as for OTLP/HTTP (net/otlp_durable.h, docs/otlp.md).
 *
 * All calls run on the shard thread.
 */
#ifndef SLUICE_NET_OTLP_GRPC_H
#define SLUICE_NET_OTLP_GRPC_H

#include <stdint.h>

#include "net/otlp_grpc_types.h"

/*
 * Take cfg->fd (a listening socket; -1 leaves the listener off and every
 * other call a no-op), register on ring, allocate the connection table,
 * the waiting calls, the inflate buffer and state. Calls go to pipe;
 * counters to st; durability is asked of ops.
 * Returns 0 or -errno (the socket is closed on failure).
 */
int net_otlp_grpc_init(struct net_otlp_grpc *o, struct core_ring *ring,
                       struct core_pipe *pipe, struct net_otlp_grpc_stats *st,
                       const struct net_otlp_grpc_cfg *cfg,
                       const struct net_otlp_durable_ops *ops);

/* Close every socket and free everything. Safe after a failed init. */
void net_otlp_grpc_free(struct net_otlp_grpc *o);

/* Submit the accept. */
void net_otlp_grpc_arm(struct net_otlp_grpc *o);

/*
 * End of a pass of the shard loop: the calls stored since the last commit
 * get one flush generation (dur.flush seals and asks for it).
 */
void net_otlp_grpc_commit(struct net_otlp_grpc *o);

/*
 * The writer answered generation gen (carrying NET_OTLP_GRPC_GEN_FLAG):
 * its calls get their answer, OK or (failed) UNAVAILABLE with RetryInfo.
 */
void net_otlp_grpc_answer(struct net_otlp_grpc *o, uint64_t gen, int failed);

/* Deadlines (every tick): idle connections get GOAWAY; output not taken
 * and uploads stalled (a request arriving, none finishing) close. */
void net_otlp_grpc_tick(struct net_otlp_grpc *o, int64_t now_ms);

/*
 * At stop, first: no new connections, GOAWAY on every connection (calls
 * already stored still get their answer); connections with nothing
 * waiting close once their output is out.
 */
void net_otlp_grpc_stop(struct net_otlp_grpc *o);

/*
 * At stop, once the final flush is done: answer every call still waiting,
 * OK if lost is 0 else UNAVAILABLE. Returns the connections with bytes
 * still to send.
 */
uint32_t net_otlp_grpc_finish(struct net_otlp_grpc *o, int lost);

#endif
