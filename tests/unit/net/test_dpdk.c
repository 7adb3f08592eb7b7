/*
 * tests/unit/net/test_dpdk.c - net/dpdk.c in-process on DPDK's net_ring
 * device (built only with DPDK): its RX and TX queues are one rte_ring,
 * so a frame the test transmits is received by net_dpdk_poll, and an ARP
 * reply sluice transmits comes back to it (as ARP that is not a request).
 * Checks what reaches the pipeline and each counter, the idle policy, and
 * the stop's drain with its bounds. Skips when the EAL cannot start.
 */
#include <criterion/criterion.h>
#include <ftw.h>
#include <stdio.h>
#include <unistd.h>

#include <rte_ethdev.h>
#include <rte_mbuf.h>

#include "core/base/stat.h"
#include "core/ingest/pipe.h"
#include "net/dpdk.h"
#include "tests/unit/net/frames.h"

static struct core_ingest_stats ist;
static struct core_pipe pipe_;
static struct net_rx_stats rx;
static struct net_dpdk_stats ds;
static struct net_dpdk_queue q;
static struct rte_mempool *pool;

static void start(void) {
  char eal[256], err[512];
  int rc;

  snprintf(eal, sizeof(eal), "--no-huge --no-pci -m 256 --no-telemetry "
           "--log-level=lib.eal:error --vdev net_ring0 "
           "--file-prefix sluice-ut-%d", (int)getpid());
  rc = net_dpdk_start(&(struct net_dpdk_cfg){.eal_args = eal,
                                             .ip = OUR_IP,
                                             .statsd_port = 8125,
                                             .syslog_port = 5514,
                                             .queues = 1},
                      err, sizeof(err));
  if (rc < 0)
    cr_skip_test("the EAL cannot start here: %s", err);
  cr_assert_eq(core_pipe_init(&pipe_, &ist, 1000, 8192, NULL, NULL), 0);
  cr_assert_eq(core_pipe_logs_init(&pipe_, 65536, NULL, NULL), 0);
  cr_assert_eq(net_dpdk_queue_init(&q, 0, &pipe_, &rx, &ds), 0);
  pool = rte_pktmbuf_pool_create("ut", 512, 0, 0, 2176, SOCKET_ID_ANY);
  cr_assert(pool != NULL);
}

static int remove_one(const char *path, const struct stat *st, int flag,
                      struct FTW *ftw) {
  (void)st, (void)flag, (void)ftw;
  return remove(path);
}

static void stop(void) {
  char dir[128];

  net_dpdk_queue_free(&q);
  core_pipe_free(&pipe_);
  rte_mempool_free(pool);
  net_dpdk_stop();
  /* The EAL leaves its runtime directory behind (root: /var/run/dpdk). */
  snprintf(dir, sizeof(dir), "/var/run/dpdk/sluice-ut-%d", (int)getpid());
  nftw(dir, remove_one, 8, FTW_DEPTH | FTW_PHYS);
}

/* Put one frame on the ring: the next poll receives it. */
static void inject(const uint8_t *f, size_t n) {
  struct rte_mbuf *m = rte_pktmbuf_alloc(pool);
  char *d;

  cr_assert(m != NULL);
  d = rte_pktmbuf_append(m, (uint16_t)n);
  cr_assert(d != NULL);
  memcpy(d, f, n);
  cr_assert_eq(rte_eth_tx_burst(0, 0, &m, 1), 1);
}

static uint64_t points(void) {
  uint64_t n = 0;

  for (int t = 0; t < CORE_STATSD_TYPE_COUNT; t++)
    n += core_stat_get(&ist.points_statsd[t]);
  return n;
}

Test(dpdk, datagrams_arp_and_drops, .init = start, .fini = stop) {
  uint8_t f[256];

  inject(f, udp_frame(f, 0, OUR_IP, 8125, "a:1|c\nb:2|c\nc:3|g"));
  inject(f, udp_frame(f, 1, OUR_IP, 8125, "v:1|c"));
  inject(f, udp_frame(f, 0, OUR_IP, 5514, "<13>1 - h app - - - hi"));
  inject(f, udp_frame(f, 0, OUR_IP, 9999, "x:1|c"));
  inject(f, arp_frame(f, 0, 1, OUR_IP));
  cr_assert_eq(net_dpdk_poll(&q, 1000), 5);
  cr_assert_eq(points(), 4, "lines through the pipeline");
  cr_assert_eq(core_stat_get(&rx.rx_datagrams[NET_LISTENER_STATSD_UDP]), 2);
  cr_assert_eq(core_stat_get(&rx.rx_datagrams[NET_LISTENER_SYSLOG_UDP]), 1);
  cr_assert_eq(core_stat_get(&ds.rx_dropped[NET_PKT_DROP_OTHER_PORT]), 1);
  cr_assert_eq(core_stat_get(&ds.arp_replies), 1);
  cr_assert_eq(core_stat_get(&ds.rx_packets), 5);
  cr_assert_eq(core_stat_get(&ds.rx_bursts), 1);
  /* The reply came back around the ring: from our MAC, op 2. */
  cr_assert_eq(net_dpdk_poll(&q, 1000), 1);
  cr_assert_eq(core_stat_get(&ds.rx_dropped[NET_PKT_DROP_ARP_OTHER]), 1);
  cr_assert_eq(core_stat_get(&ds.rx_packets), 6);
}

Test(dpdk, every_mbuf_goes_back_to_the_pool, .init = start, .fini = stop) {
  uint8_t f[256];
  unsigned before = rte_mempool_avail_count(pool);

  for (int i = 0; i < 100; i++)
    inject(f, udp_frame(f, 0, i % 2 ? OUR_IP : PEER_IP, 8125, "m:1|c"));
  for (int i = 0; i < 3; i++) { /* a frame in two mbufs: segmented */
    struct rte_mbuf *head = rte_pktmbuf_alloc(pool);
    struct rte_mbuf *tail = rte_pktmbuf_alloc(pool);
    size_t n = udp_frame(f, 0, OUR_IP, 8125, "s:1|c");
    cr_assert(head != NULL && tail != NULL);
    memcpy(rte_pktmbuf_append(head, 20), f, 20);
    memcpy(rte_pktmbuf_append(tail, (uint16_t)(n - 20)), f + 20, n - 20);
    cr_assert_eq(rte_pktmbuf_chain(head, tail), 0);
    cr_assert_eq(rte_eth_tx_burst(0, 0, &head, 1), 1);
  }
  inject(f, arp_frame(f, 0, 1, OUR_IP)); /* its reply comes around */
  while (net_dpdk_poll(&q, 1000) > 0)
    ;
  cr_assert_eq(rte_mempool_avail_count(pool), before);
  cr_assert_eq(points(), 50);
  cr_assert_eq(core_stat_get(&ds.rx_dropped[NET_PKT_DROP_OTHER_HOST]), 50);
  cr_assert_eq(core_stat_get(&ds.rx_dropped[NET_PKT_DROP_SEGMENTED]), 3);
  cr_assert_eq(core_stat_get(&ds.arp_replies), 1);
}

Test(dpdk, idle_after_empty_polls_until_frames, .init = start,
     .fini = stop) {
  uint8_t f[256];

  for (int i = 0; i < NET_DPDK_IDLE_POLLS - 1; i++) {
    cr_assert_eq(net_dpdk_poll(&q, 1000), 0);
    cr_assert_eq(net_dpdk_idle(&q), 0, "busy for %d empty polls", i + 1);
  }
  cr_assert_eq(net_dpdk_poll(&q, 1000), 0);
  cr_assert_eq(net_dpdk_idle(&q), 1);
  cr_assert_eq(net_dpdk_poll(&q, 1000), 0);
  cr_assert_eq(net_dpdk_idle(&q), 1, "stays idle: one poll between waits");
  inject(f, udp_frame(f, 0, OUR_IP, 8125, "w:1|c"));
  cr_assert_eq(net_dpdk_poll(&q, 1000), 1);
  cr_assert_eq(net_dpdk_idle(&q), 0, "frames make it busy again");
  cr_assert_eq(core_stat_get(&ds.rx_idle_sleeps), 2);
}

static int keeping_up_answer;
static int keeping_up(void *ctx) {
  (void)ctx;
  return keeping_up_answer;
}

Test(dpdk, drain_takes_what_is_queued_within_bounds, .init = start,
     .fini = stop) {
  uint8_t f[256];
  struct net_drain d = {.keeping_up = keeping_up};

  for (int i = 0; i < 70; i++)
    inject(f, udp_frame(f, 0, OUR_IP, 8125, "d:1|c"));
  keeping_up_answer = 0; /* storage behind: nothing more is taken */
  d.deadline_ms = INT64_MAX;
  net_dpdk_drain(&q, &d);
  cr_assert_eq(d.cut, 1);
  cr_assert_eq(points(), 0);
  d.cut = 0;
  d.deadline_ms = 0; /* past */
  keeping_up_answer = 1;
  net_dpdk_drain(&q, &d);
  cr_assert_eq(d.cut, 1);
  cr_assert_eq(points(), 0);
  d.cut = 0;
  d.deadline_ms = INT64_MAX;
  net_dpdk_drain(&q, &d);
  cr_assert_eq(d.cut, 0, "the queue emptied within the bounds");
  cr_assert_eq(points(), 70);
  cr_assert_eq(d.reads, 70);
}
