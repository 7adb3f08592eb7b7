/*
 * net/dpdk_off.c - net/dpdk.h in a build without DPDK: `--dpdk` is
 * refused with the way to get it.
 */
#include <errno.h>
#include <stdio.h>

#include "net/dpdk.h"

int net_dpdk_available(void) { return 0; }

int net_dpdk_start(const struct net_dpdk_cfg *cfg, char *err, size_t errlen) {
  (void)cfg;
  snprintf(err, errlen, "this sluice was built without DPDK; install "
           "libdpdk-dev (scripts/deps.sh dpdk) and build with "
           "meson setup -Ddpdk=enabled");
  return -ENOTSUP;
}

void net_dpdk_stop(void) {}

void net_dpdk_describe(char *out, size_t n) {
  if (n > 0)
    out[0] = '\0';
}

void net_dpdk_queue_free(struct net_dpdk_queue *q) { (void)q; }

int net_dpdk_queue_init(struct net_dpdk_queue *q, unsigned queue,
                        struct core_pipe *pipe, struct net_rx_stats *rx,
                        struct net_dpdk_stats *stats) {
  (void)q, (void)queue, (void)pipe, (void)rx, (void)stats;
  return -ENOTSUP;
}

unsigned net_dpdk_poll(struct net_dpdk_queue *q, int64_t now_ms) {
  (void)q, (void)now_ms;
  return 0;
}

int net_dpdk_idle(struct net_dpdk_queue *q) {
  (void)q;
  return 1;
}

void net_dpdk_drain(struct net_dpdk_queue *q, struct net_drain *d) {
  (void)q, (void)d;
}
