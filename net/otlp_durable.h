/*
 * net/otlp_durable.h - the rule both OTLP listeners keep: a success reply
 * (HTTP 200, gRPC OK) goes out only once the request's data is durable,
 * written and fsynced (DESIGN.md, "Durability promise").
 *
 * A listener stores a request in the heads (core_pipe_otlp), then adds it
 * here (net_otlp_durable_add) and sends nothing. At the end of a pass of
 * the shard loop, every request added in the pass gets one flush
 * generation (net_otlp_durable_commit: one seal, one flush); the writer
 * answers the generation once its blocks are fsynced (or lost), and only
 * then does the listener's reply callback run for each of its requests
 * (net_otlp_durable_answer). Under back-pressure (too many waiting, the
 * writer behind) a request is refused before it is stored
 * (net_otlp_durable_admit), with 429/503 or UNAVAILABLE and a retry hint.
 *
 * All calls run on the shard thread.
 */
#ifndef SLUICE_NET_OTLP_DURABLE_H
#define SLUICE_NET_OTLP_DURABLE_H

#include <stdint.h>

#include "net/otlp_durable_types.h"

/*
 * Allocate the table of cfg->waits_max waits (start-up). The reply
 * callback runs from _commit, _answer and _finish only.
 * Returns 0 or -ENOMEM.
 */
int net_otlp_durable_init(struct net_otlp_durable *d,
                          const struct net_otlp_durable_cfg *cfg);

/* Free the table. Safe after a failed init, or twice. */
void net_otlp_durable_free(struct net_otlp_durable *d);

/*
 * May a request be stored now? FULL when waits_max wait already, BEHIND
 * when the writer does not keep up (asked once a pass: it polls the
 * ring), else OK. Ask before storing: a refused request is not stored.
 */
enum net_otlp_admit net_otlp_durable_admit(struct net_otlp_durable *d);

/*
 * A request of signal sig on connection slot (stream: its HTTP/2 stream,
 * 0 for HTTP/1.1) was stored, with rejected points and message for its
 * partial_success. Its reply waits for the next commit's generation.
 * Returns 0, or -ENOSPC when full (not admitted first).
 */
int net_otlp_durable_add(struct net_otlp_durable *d, uint32_t slot,
                         int32_t stream, uint8_t sig, uint64_t rejected,
                         const char *message);

/* Connection slot is gone: its waits are dropped unanswered (the data
 * stays stored; no one is left to tell). */
void net_otlp_durable_drop_slot(struct net_otlp_durable *d, uint32_t slot);

/*
 * End of a pass of the shard loop: the waits added since the last commit
 * get one generation (cfg.gen_flag set) and ops.flush is asked for it; at
 * most NET_OTLP_HTTP_FLUSHES_MAX are in flight, the rest wait a pass (as
 * do they when the writer is busy). Durable at once (no data directory):
 * they are answered here.
 */
void net_otlp_durable_commit(struct net_otlp_durable *d);

/* The writer answered generation gen: each of its waits gets the reply
 * callback, failed or not. */
void net_otlp_durable_answer(struct net_otlp_durable *d, uint64_t gen,
                             int failed);

/* At stop, once the final flush is done: every wait left gets the reply
 * callback, failed if lost (some sealed block was not made durable). */
void net_otlp_durable_finish(struct net_otlp_durable *d, int lost);

#endif
