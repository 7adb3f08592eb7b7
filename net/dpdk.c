/*
 * net/dpdk.c - the DPDK receive back end (net/dpdk.h, docs/dpdk.md).
 *
 * The main thread owns the EAL, the port and the mbuf pool; each shard
 * owns one RX and one TX queue and polls them with no lock and no system
 * call. An mbuf lives from rte_eth_rx_burst until its datagram is parsed
 * (or its ARP reply is handed to the TX queue): nothing is kept.
 */
#include "net/dpdk.h"

#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>

#include <rte_eal.h>
#include <rte_ethdev.h>
#include <rte_lcore.h>
#include <rte_mbuf.h>
#include <rte_prefetch.h>

#include "core/base/ring.h"
#include "core/base/stat.h"
#include "core/ingest/pipe.h"
#include "net/io.h"
#include "net/pkt.h"

/* The port, shared read-only by the shards once started. */
static struct {
  int eal_up;
  int port_up;
  uint16_t port;
  struct rte_mempool *pool;
  struct net_pkt_cfg pkt;
  int csum_offload;
  unsigned queues;
  uint64_t rss;               /* rss_hf configured (0: none) */
  uint16_t rx_desc, tx_desc;  /* per queue, as the device adjusted them */
  unsigned mbufs;
  char driver[32];
} dp;

int net_dpdk_available(void) { return 1; }

/* Split args on blanks into argv[1..] (argv[0] is the program). */
static int split_args(const char *args, char *buf, char **argv, int *argc) {
  size_t n = strlen(args);
  int c = 0;

  if (n >= NET_DPDK_EAL_ARGS_BYTES)
    return -E2BIG;
  memcpy(buf, args, n + 1);
  argv[c++] = "sluice";
  for (char *save = NULL, *w = strtok_r(buf, " \t\n", &save); w != NULL;
       w = strtok_r(NULL, " \t\n", &save)) {
    if (c >= NET_DPDK_EAL_ARGS_MAX)
      return -E2BIG;
    argv[c++] = w;
  }
  argv[c] = NULL;
  *argc = c;
  return 0;
}

/* rte_eal_init, keeping the calling thread's affinity (EAL pins it) and
 * signal mask (EAL clears it; sluice's main thread waits for the stop
 * signals with them blocked, and a signal let through would kill it). */
static int eal_init(const char *args, char *err, size_t errlen) {
  static char buf[NET_DPDK_EAL_ARGS_BYTES];
  static char *argv[NET_DPDK_EAL_ARGS_MAX + 2];
  cpu_set_t set;
  sigset_t mask;
  int argc, rc = split_args(args, buf, argv, &argc);

  if (rc < 0) {
    snprintf(err, errlen, "--dpdk: the EAL arguments are longer than %d "
             "words or %d bytes", NET_DPDK_EAL_ARGS_MAX,
             NET_DPDK_EAL_ARGS_BYTES);
    return rc;
  }
  pthread_getaffinity_np(pthread_self(), sizeof(set), &set);
  pthread_sigmask(SIG_SETMASK, NULL, &mask);
  rc = rte_eal_init(argc, argv);
  pthread_sigmask(SIG_SETMASK, &mask, NULL);
  pthread_setaffinity_np(pthread_self(), sizeof(set), &set);
  if (rc < 0) {
    snprintf(err, errlen, "--dpdk '%s': the EAL did not start: %s (its "
             "log above says why; hugepages and a bound NIC: sluice tune "
             "check)", args, rte_errno ? rte_strerror(rte_errno)
                                       : "see its log");
    return -EINVAL;
  }
  dp.eal_up = 1;
  return 0;
}

/* The port's configuration: RSS and checksum offload where offered. */
static int configure(const struct net_dpdk_cfg *cfg,
                     struct rte_eth_dev_info *info, char *err,
                     size_t errlen) {
  struct rte_eth_conf conf;
  uint64_t rss = info->flow_type_rss_offloads &
                 (RTE_ETH_RSS_NONFRAG_IPV4_UDP | RTE_ETH_RSS_IPV4);
  int rc;

  memset(&conf, 0, sizeof(conf));
  if (cfg->queues > 1 && rss != 0) {
    conf.rxmode.mq_mode = RTE_ETH_MQ_RX_RSS;
    conf.rx_adv_conf.rss_conf.rss_hf = rss;
    dp.rss = rss;
  }
  if (info->rx_offload_capa & RTE_ETH_RX_OFFLOAD_IPV4_CKSUM) {
    conf.rxmode.offloads |= RTE_ETH_RX_OFFLOAD_IPV4_CKSUM;
    dp.csum_offload = 1;
  }
  rc = rte_eth_dev_configure(cfg->port, (uint16_t)cfg->queues,
                             (uint16_t)cfg->queues, &conf);
  if (rc < 0)
    snprintf(err, errlen, "--dpdk-port %u: cannot configure %u queue "
             "pairs: %s", cfg->port, cfg->queues, strerror(-rc));
  return rc;
}

/* The pool: every descriptor of every queue, a burst and a cache each. */
static int make_pool(const struct net_dpdk_cfg *cfg, int socket, char *err,
                     size_t errlen) {
  unsigned n = cfg->queues * (NET_DPDK_RX_DESC + NET_DPDK_TX_DESC +
                              NET_DPDK_BURST + NET_DPDK_POOL_CACHE);

  dp.mbufs = n;
  dp.pool = rte_pktmbuf_pool_create("sluice_rx", n, NET_DPDK_POOL_CACHE, 0,
                                    NET_DPDK_MBUF_BYTES, socket);
  if (dp.pool == NULL) {
    snprintf(err, errlen, "cannot allocate %u mbufs of %d bytes: %s (give "
             "the EAL more memory: -m, or hugepages)", n, NET_DPDK_MBUF_BYTES,
             rte_strerror(rte_errno));
    return -ENOMEM;
  }
  return 0;
}

static int setup_queues(const struct net_dpdk_cfg *cfg, int socket,
                        char *err, size_t errlen) {
  uint16_t nrx = NET_DPDK_RX_DESC, ntx = NET_DPDK_TX_DESC;
  int rc = rte_eth_dev_adjust_nb_rx_tx_desc(cfg->port, &nrx, &ntx);

  dp.rx_desc = nrx;
  dp.tx_desc = ntx;

  for (unsigned q = 0; rc == 0 && q < cfg->queues; q++) {
    rc = rte_eth_rx_queue_setup(cfg->port, (uint16_t)q, nrx,
                                (unsigned)socket, NULL, dp.pool);
    if (rc == 0)
      rc = rte_eth_tx_queue_setup(cfg->port, (uint16_t)q, ntx,
                                  (unsigned)socket, NULL);
  }
  if (rc < 0)
    snprintf(err, errlen, "--dpdk-port %u: cannot set up its queues: %s",
             cfg->port, strerror(-rc));
  return rc;
}

static int port_start(const struct net_dpdk_cfg *cfg, char *err,
                      size_t errlen) {
  struct rte_eth_dev_info info;
  int socket, rc;

  if (!rte_eth_dev_is_valid_port(cfg->port)) {
    snprintf(err, errlen, "--dpdk-port %u: no such port (the EAL found "
             "%u; bind a NIC to vfio-pci, or give a --vdev)", cfg->port,
             rte_eth_dev_count_avail());
    return -ENODEV;
  }
  rc = rte_eth_dev_info_get(cfg->port, &info);
  if (rc == 0 && (cfg->queues > info.max_rx_queues ||
                  cfg->queues > info.max_tx_queues)) {
    snprintf(err, errlen, "--dpdk-port %u (%s) has %u RX and %u TX queues; "
             "one pair per shard needs %u: use fewer --cores (or, with "
             "net_pcap, one rx_pcap and tx_pcap per shard)", cfg->port,
             info.driver_name, info.max_rx_queues, info.max_tx_queues,
             cfg->queues);
    return -EINVAL;
  }
  if (rc == 0)
    snprintf(dp.driver, sizeof(dp.driver), "%s", info.driver_name);
  socket = rte_eth_dev_socket_id(cfg->port);
  socket = socket < 0 ? (int)SOCKET_ID_ANY : socket;
  if (rc == 0 && (rc = make_pool(cfg, socket, err, errlen)) == 0 &&
      (rc = configure(cfg, &info, err, errlen)) == 0 &&
      (rc = setup_queues(cfg, socket, err, errlen)) == 0) {
    rc = rte_eth_dev_start(cfg->port);
    if (rc < 0)
      snprintf(err, errlen, "--dpdk-port %u: cannot start: %s", cfg->port,
               strerror(-rc));
  }
  dp.port_up = rc == 0;
  return rc;
}

int net_dpdk_start(const struct net_dpdk_cfg *cfg, char *err,
                   size_t errlen) {
  int rc;

  dp.port = cfg->port;
  dp.queues = cfg->queues;
  dp.pkt = (struct net_pkt_cfg){.ip = cfg->ip,
                                .statsd_port = cfg->statsd_port,
                                .syslog_port = cfg->syslog_port};
  rc = eal_init(cfg->eal_args, err, errlen);
  if (rc == 0)
    rc = port_start(cfg, err, errlen);
  if (rc < 0)
    net_dpdk_stop();
  return rc;
}

/* What the device hashes on: a device without a UDP hash spreads by the
 * IPv4 addresses only, so one sender host lands on one shard. */
static const char *rss_name(void) {
  if (dp.rss & RTE_ETH_RSS_NONFRAG_IPV4_UDP)
    return "over the UDP 4-tuple";
  if (dp.rss)
    return "over the IPv4 addresses only (the device has no UDP hash)";
  return "off (one queue, or the device has none)";
}

void net_dpdk_describe(char *out, size_t n) {
  snprintf(out, n, "%s, %u queue pair(s) of %u RX / %u TX descriptors, "
           "RSS %s, IPv4 header checksum %s, %u mbufs", dp.driver,
           dp.queues, dp.rx_desc, dp.tx_desc, rss_name(),
           dp.csum_offload ? "by the NIC" : "in software", dp.mbufs);
}

void net_dpdk_stop(void) {
  if (dp.port_up) {
    rte_eth_dev_stop(dp.port);
    rte_eth_dev_close(dp.port);
    dp.port_up = 0;
  }
  if (dp.pool != NULL)
    rte_mempool_free(dp.pool);
  dp.pool = NULL;
  if (dp.eal_up)
    rte_eal_cleanup();
  dp.eal_up = 0;
}

void net_dpdk_queue_free(struct net_dpdk_queue *q) {
  if (q->stats != NULL)
    rte_thread_unregister();
  q->stats = NULL;
}

int net_dpdk_queue_init(struct net_dpdk_queue *q, unsigned queue,
                        struct core_pipe *pipe, struct net_rx_stats *rx,
                        struct net_dpdk_stats *stats) {
  struct rte_ether_addr mac;

  if (!dp.port_up || queue >= dp.queues)
    return -ENODEV;
  memset(q, 0, sizeof(*q));
  if (rte_eth_macaddr_get(dp.port, &mac) != 0)
    return -ENODEV;
  /* An lcore id for the pool's cache; without one the pool still works. */
  (void)rte_thread_register();
  memcpy(q->mac, mac.addr_bytes, sizeof(q->mac));
  q->port = dp.port;
  q->queue = (uint16_t)queue;
  q->pkt = dp.pkt;
  q->csum_offload = dp.csum_offload;
  q->pipe = pipe;
  q->rx = rx;
  q->stats = stats;
  q->port_stats_ms = 0;
  core_stat_set(&stats->active, 1);
  return 0;
}

/* The port's loss counters, read by queue 0's shard now and then. */
static void port_stats(struct net_dpdk_queue *q, int64_t now_ms) {
  struct rte_eth_stats s;

  if (q->queue != 0 || now_ms - q->port_stats_ms < NET_DPDK_PORT_STATS_MS)
    return;
  q->port_stats_ms = now_ms;
  if (rte_eth_stats_get(q->port, &s) != 0)
    return;
  core_stat_set(&q->stats->rx_missed, s.imissed);
  core_stat_set(&q->stats->rx_errors, s.ierrors);
  core_stat_set(&q->stats->mbuf_alloc_failed, s.rx_nombuf);
}

static enum net_pkt_csum csum_flag(const struct net_dpdk_queue *q,
                                   const struct rte_mbuf *m) {
  uint64_t f = m->ol_flags & RTE_MBUF_F_RX_IP_CKSUM_MASK;

  if (!q->csum_offload)
    return NET_PKT_CSUM_UNKNOWN;
  if (f == RTE_MBUF_F_RX_IP_CKSUM_GOOD)
    return NET_PKT_CSUM_GOOD;
  return f == RTE_MBUF_F_RX_IP_CKSUM_BAD ? NET_PKT_CSUM_BAD
                                         : NET_PKT_CSUM_UNKNOWN;
}

/* One frame: ingested and freed, dropped and freed, or an ARP reply put
 * in tx (returns 1). */
static int one_frame(struct net_dpdk_queue *q, struct rte_mbuf *m,
                     int64_t now_ms) {
  uint8_t *f = rte_pktmbuf_mtod(m, uint8_t *);
  struct net_pkt_result r;

  core_stat_add(&q->stats->rx_bytes, m->pkt_len);
  if (m->nb_segs > 1) {
    r.kind = NET_PKT_DROP;
    r.drop = NET_PKT_DROP_SEGMENTED;
  } else {
    net_pkt_classify(f, m->data_len, &q->pkt, csum_flag(q, m), &r);
  }
  if (r.kind == NET_PKT_DATAGRAM)
    net_io_ingest_datagram(q->pipe, q->rx, r.syslog,
                           (const char *)f + r.payload_off, r.payload_len,
                           now_ms);
  else if (r.kind == NET_PKT_ARP_REQUEST) {
    m->data_len = (uint16_t)net_pkt_arp_reply(f, &r, q->mac, q->pkt.ip);
    m->pkt_len = m->data_len;
    m->ol_flags = 0;
    return 1;
  } else
    core_stat_add(&q->stats->rx_dropped[r.drop], 1);
  rte_pktmbuf_free(m);
  return 0;
}

/* ARP replies to the shard's TX queue; what it refuses is freed. */
static void send_replies(struct net_dpdk_queue *q, struct rte_mbuf **tx,
                         uint16_t n) {
  uint16_t sent = n ? rte_eth_tx_burst(q->port, q->queue, tx, n) : 0;

  core_stat_add(&q->stats->arp_replies, sent);
  if (sent < n) {
    core_stat_add(&q->stats->tx_failed, (uint64_t)(n - sent));
    rte_pktmbuf_free_bulk(tx + sent, (unsigned)(n - sent));
  }
}

unsigned net_dpdk_poll(struct net_dpdk_queue *q, int64_t now_ms) {
  struct rte_mbuf *m[NET_DPDK_BURST], *tx[NET_DPDK_BURST];
  uint16_t n = rte_eth_rx_burst(q->port, q->queue, m, NET_DPDK_BURST);
  uint16_t ntx = 0;

  port_stats(q, now_ms);
  if (n == 0) {
    q->idle_polls++;
    core_stat_add(&q->stats->rx_polls_idle, 1);
    return 0;
  }
  q->idle_polls = 0;
  core_stat_add(&q->stats->rx_bursts, 1);
  core_stat_add(&q->stats->rx_packets, n);
  for (uint16_t i = 0; i < n; i++) {
    if (i + 1 < n)
      rte_prefetch0(rte_pktmbuf_mtod(m[i + 1], void *));
    if (one_frame(q, m[i], now_ms))
      tx[ntx++] = m[i];
  }
  send_replies(q, tx, ntx);
  return n;
}

/* Once idle, a shard stays idle (one poll between waits) until a burst
 * brings frames again: idle_polls is reset only by net_dpdk_poll. */
int net_dpdk_idle(struct net_dpdk_queue *q) {
  if (q->idle_polls < NET_DPDK_IDLE_POLLS)
    return 0;
  core_stat_add(&q->stats->rx_idle_sleeps, 1);
  return 1;
}

void net_dpdk_drain(struct net_dpdk_queue *q, struct net_drain *d) {
  uint64_t frames = 0;

  if (q->stats == NULL)
    return;
  for (;;) {
    int64_t now = core_ring_now_ms();
    unsigned n;
    if (frames >= NET_DRAIN_DATAGRAMS_MAX || now >= d->deadline_ms ||
        !d->keeping_up(d->ctx)) {
      d->cut = 1;
      return;
    }
    n = net_dpdk_poll(q, now);
    if (n == 0)
      return;
    frames += n;
    d->reads += n;
  }
}
