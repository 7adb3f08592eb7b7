/*
 * net/dpdk_types.h - the DPDK receive back end (net/dpdk.h): its port,
 * its queues (one RX and one TX queue per shard) and their counters.
 *
 * No DPDK header here: the types build (and the counters render) without
 * DPDK; the mbuf pool is opaque.
 */
#ifndef SLUICE_NET_DPDK_TYPES_H
#define SLUICE_NET_DPDK_TYPES_H

#include <stdint.h>

#include "core/base/limits.h"
#include "net/pkt_types.h"

struct core_pipe;
struct net_rx_stats;

/* One queue's counters (one writer: its shard; core/base/stat.h), the
 * sluice_dpdk_* families. rx_missed/rx_errors are the port's figures
 * (rte_eth_stats imissed/ierrors), kept by the shard of queue 0. */
struct net_dpdk_stats {
  uint64_t active;                        /* 1: this shard polls a queue */
  uint64_t rx_packets;                    /* frames received */
  uint64_t rx_bytes;                      /* their bytes */
  uint64_t rx_bursts;                     /* bursts that brought frames */
  uint64_t rx_polls_idle;                 /* bursts that brought none */
  uint64_t rx_idle_sleeps;                /* idle waits on the ring */
  uint64_t rx_dropped[NET_PKT_DROP_COUNT];
  uint64_t arp_replies;                   /* replies sent */
  uint64_t tx_failed;                     /* replies the TX queue refused */
  uint64_t mbuf_alloc_failed;             /* port rx_nombuf (queue 0) */
  uint64_t rx_missed;                     /* port imissed (queue 0) */
  uint64_t rx_errors;                     /* port ierrors (queue 0) */
};

/* `sluice run`'s DPDK options. */
struct net_dpdk_cfg {
  const char *eal_args;       /* --dpdk: EAL arguments, split on blanks */
  uint16_t port;              /* --dpdk-port */
  uint32_t ip;                /* --dpdk-ip, host byte order */
  uint16_t statsd_port;       /* --statsd-udp's port (0: off) */
  uint16_t syslog_port;       /* --syslog-udp's port (0: off) */
  unsigned queues;            /* one RX and one TX queue per shard */
};

/* One shard's queue pair, polled by that shard only. */
struct net_dpdk_queue {
  uint16_t port;
  uint16_t queue;             /* = the shard's id */
  uint8_t mac[6];             /* the port's, for ARP replies */
  struct net_pkt_cfg pkt;     /* our address and ports */
  int csum_offload;           /* the NIC checks IPv4 header checksums */
  struct core_pipe *pipe;     /* where datagrams go */
  struct net_rx_stats *rx;    /* the shard's sluice_rx_* (listener) */
  struct net_dpdk_stats *stats;
  uint32_t idle_polls;        /* empty bursts in a row */
  int64_t port_stats_ms;      /* queue 0: when rte_eth_stats was read */
};

#endif
