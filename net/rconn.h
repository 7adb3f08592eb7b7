/*
 * net/rconn.h - TCP connections on a shard's io_uring (see rconn_types.h):
 * a fixed table of slots, a multishot accept, one recv at a time per
 * connection into its own buffer (the protocol asks for the next one when
 * it can take more: back-pressure is TCP's window), queued sends with
 * partial sends resumed, and closes that free a slot only once no request
 * of the ring still points into it.
 *
 * All calls run on the shard thread.
 */
#ifndef SLUICE_NET_RCONN_H
#define SLUICE_NET_RCONN_H

#include <stddef.h>
#include <stdint.h>

#include "net/rconn_types.h"

/*
 * Register as an owner on ring, take cfg->listen_fd and map the table.
 * Returns 0 or -errno (the listening socket is closed either way on
 * failure, by net_rconn_free).
 */
int net_rconn_init(struct net_rconn *t, struct core_ring *ring,
                   const struct net_rconn_cfg *cfg,
                   const struct net_rconn_ops *ops, void *ctx,
                   struct net_rconn_stats *stats);

/* Close every socket and unmap. Safe after a failed or no init. */
void net_rconn_free(struct net_rconn *t);

/* Submit the multishot accept (no-op when the listener is off). */
void net_rconn_arm(struct net_rconn *t);

/* Arm one recv on slot, into what is free of its in buffer (or, when it
 * is empty, where ops->direct_room says). No-op when one is in flight,
 * the buffer is full or the connection closes. The protocol arms the
 * next one from data() or direct() while it takes bytes. */
void net_rconn_recv(struct net_rconn *t, uint32_t slot);

/*
 * The protocol can take bytes again (it returned less than it was given,
 * and did not ask for a recv since): hand it what the in buffer still
 * holds, or arm a recv when it holds nothing.
 */
void net_rconn_resume(struct net_rconn *t, uint32_t slot, int64_t now_ms);

/*
 * Queue n bytes for slot and start sending. Returns 0, -ENOSPC (nothing
 * queued: past out_bytes) or -EPIPE (the connection closes).
 */
int net_rconn_send(struct net_rconn *t, uint32_t slot, const void *p,
                   size_t n);

/* Bytes queued on slot and not yet sent. */
uint32_t net_rconn_unsent(const struct net_rconn *t, uint32_t slot);

/* Half-close slot's sending side (FIN after what is queued went out). */
void net_rconn_shutdown_write(struct net_rconn *t, uint32_t slot);

/*
 * Close slot: its recv is cancelled and a send in flight cut short (a
 * graceful close waits for sent() first), then the fd is closed and
 * closed() is called. Idempotent.
 */
void net_rconn_close(struct net_rconn *t, uint32_t slot);

/* Cancel the accept: no new connections from here on. Idempotent. */
void net_rconn_stop(struct net_rconn *t);

#endif
