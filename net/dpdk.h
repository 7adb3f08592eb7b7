/*
 * net/dpdk.h - the DPDK receive back end: one RX and one TX queue per
 * shard on one port, polled by the shard in its own loop beside its
 * io_uring (docs/dpdk.md). UDP datagrams for --dpdk-ip go to the same
 * pipeline entries as the kernel path's (core/ingest/pipe.h).
 *
 * Built with DPDK when meson found it (SLUICE_HAVE_DPDK); otherwise
 * net/dpdk_off.c stands in and net_dpdk_start says that it is missing.
 */
#ifndef SLUICE_NET_DPDK_H
#define SLUICE_NET_DPDK_H

#include <stddef.h>
#include <stdint.h>

#include "net/dpdk_types.h"
#include "net/io_types.h"

/* 1 when this binary was built with DPDK. */
int net_dpdk_available(void);

/*
 * Main thread, once, before the shards start (and after the stop
 * signals are blocked: EAL's threads inherit the mask): initialise the
 * EAL from cfg->eal_args, size the mbuf pool from limits.h, configure
 * cfg->port with cfg->queues RX and TX queues (RSS over the UDP 4-tuple
 * where the device has it; IPv4 checksum offload where it has that) and
 * start it. The calling thread's CPU affinity and signal mask are kept.
 * Returns 0, or -errno with a message naming the bad input in err.
 */
int net_dpdk_start(const struct net_dpdk_cfg *cfg, char *err, size_t errlen);

/* What net_dpdk_start set up, in one line for the start-up log: driver,
 * queues and descriptors, RSS, checksum offload, mbufs. */
void net_dpdk_describe(char *out, size_t n);

/* Main thread, after every shard stopped: stop and close the port (a
 * pcap device writes its files out) and release the EAL. Safe when
 * net_dpdk_start failed or never ran. */
void net_dpdk_stop(void);

/*
 * Shard thread, at set-up: queue `queue` of the started port becomes
 * this shard's; datagrams go to pipe, per-listener receive counts to rx,
 * DPDK counters to stats. The thread is registered with the EAL (an
 * lcore id, so that the pool's per-lcore cache serves it).
 * Returns 0 or -errno.
 */
int net_dpdk_queue_init(struct net_dpdk_queue *q, unsigned queue,
                        struct core_pipe *pipe, struct net_rx_stats *rx,
                        struct net_dpdk_stats *stats);

/* Shard thread, at tear-down: give the thread's lcore id back. Safe
 * after a failed or no net_dpdk_queue_init (zeroed q). */
void net_dpdk_queue_free(struct net_dpdk_queue *q);

/*
 * One burst from the shard's RX queue: each frame classified (net/pkt.h),
 * datagrams ingested, ARP requests answered on the shard's TX queue, the
 * rest counted by reason; every mbuf freed before it returns. Returns the
 * frames received (0: the queue was empty).
 */
unsigned net_dpdk_poll(struct net_dpdk_queue *q, int64_t now_ms);

/* 1 once NET_DPDK_IDLE_POLLS bursts in a row were empty, and from then
 * on after every empty burst until one brings frames: the loop then waits
 * on its ring for NET_DPDK_IDLE_WAIT_US (counted). */
int net_dpdk_idle(struct net_dpdk_queue *q);

/* At stop: bursts until the queue is empty, NET_DRAIN_DATAGRAMS_MAX
 * frames, d's deadline or the storage falls behind (then d->cut). */
void net_dpdk_drain(struct net_dpdk_queue *q, struct net_drain *d);

#endif
