/*
 * net/io.h - a shard's receive side: StatsD and syslog over UDP and TCP,
 * an owner on the shard's io_uring (core/base/ring.h).
 *
 * All calls run on the shard thread. Received bytes go to the shard's
 * pipeline (core/ingest/pipe.h); every loss is counted in its stats.
 */
#ifndef SLUICE_NET_IO_H
#define SLUICE_NET_IO_H

#include <stddef.h>
#include <stdint.h>

#include "net/io_types.h"

/*
 * Register as an owner on the shard's ring, create the buffer rings, take
 * ownership of the listening sockets of cfg (-1 for off) and allocate the
 * connection table (and, with a syslog TCP listener, a framer and frame
 * buffer per connection slot). Received bytes go to pipe, receive
 * counters to stats.
 * Returns 0 or -errno; on failure nothing is left allocated (the sockets
 * are still the caller's).
 */
int net_io_init(struct net_io *io, struct core_ring *ring,
                struct core_pipe *pipe, struct net_rx_stats *stats,
                const struct net_io_cfg *cfg);

/* Close every socket and free everything. Safe after a failed init. */
void net_io_free(struct net_io *io);

/* Submit the multishot receive and accept requests. */
void net_io_arm(struct net_io *io);

/*
 * At stop, first: cancel every receive and accept request, so that the
 * work left is what the ring already holds (bounded by the buffer rings)
 * plus what net_io_drain reads, and nothing new arrives while sealed
 * blocks are made durable (senders that keep sending would otherwise keep
 * the stop going); their -ECANCELED completions come with later reaps.
 * From here on d's bounds (deadline, keeping_up) decide whether received
 * data is still ingested, completions already in the ring included; what
 * is not is counted in d's out fields. d must outlive the receive side.
 * Idempotent.
 */
void net_io_stop(struct net_io *io, struct net_drain *d);

/*
 * Then: read what the kernel buffered without blocking and feed it to the
 * pipeline, within the stop's bounds. TCP: the bytes each connection held
 * when the drain began, no more (senders that keep sending would keep it
 * going), a read per connection in turn so that a bound cuts all alike.
 * UDP (first, within half the time): datagrams up to
 * NET_DRAIN_DATAGRAMS_MAX.
 */
void net_io_drain(struct net_io *io);

struct core_pipe;

/*
 * One UDP datagram's payload (buf, n bytes), from the kernel or from a
 * DPDK queue, counted on its listener in stats and handed to the
 * pipeline entry of its protocol (syslog non-zero: syslog, else StatsD).
 */
void net_io_ingest_datagram(struct core_pipe *pipe, struct net_rx_stats *stats,
                            int syslog, const char *buf, size_t n,
                            int64_t now_ms);

#endif
