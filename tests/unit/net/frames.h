/*
 * tests/unit/net/frames.h - Ethernet/ARP/IPv4/UDP frames built byte by
 * byte for the tests of net/pkt.c and net/dpdk.c (static helpers: one
 * copy per test program).
 */
#ifndef SLUICE_TESTS_UNIT_NET_FRAMES_H
#define SLUICE_TESTS_UNIT_NET_FRAMES_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "net/pkt.h"

#define OUR_IP 0x0a000005u /* 10.0.0.5 */
#define PEER_IP 0x0a000009u

static const uint8_t peer_mac[6] __attribute__((unused)) = {2, 0, 0, 0, 0, 9};
static const uint8_t our_mac[6] __attribute__((unused)) = {2, 0, 0, 0, 0, 5};

static inline void put16(uint8_t *p, unsigned v) {
  p[0] = (uint8_t)(v >> 8);
  p[1] = (uint8_t)v;
}

static inline void put32(uint8_t *p, uint32_t v) {
  put16(p, v >> 16);
  put16(p + 2, v & 0xffff);
}

/* Ethernet header (with vlans tags of 0x8100) to ethertype; its length. */
static inline size_t eth(uint8_t *f, int vlans, unsigned type) {
  size_t off = 12;

  memset(f, 0xff, 6);
  memcpy(f + 6, peer_mac, 6);
  for (int i = 0; i < vlans; i++, off += 4) {
    put16(f + off, NET_PKT_ETH_VLAN);
    put16(f + off + 2, 42);
  }
  put16(f + off, type);
  return off + 2;
}

/* IPv4 + UDP carrying payload to dst:dport; returns the frame length. */
static inline size_t udp_frame(uint8_t *f, int vlans, uint32_t dst, unsigned dport,
                        const char *payload) {
  size_t off = eth(f, vlans, NET_PKT_ETH_IPV4), n = strlen(payload);
  uint8_t *ip = f + off, *u = ip + 20;

  memset(ip, 0, 20);
  ip[0] = 0x45;
  put16(ip + 2, (unsigned)(20 + 8 + n));
  ip[8] = 64;
  ip[9] = NET_PKT_IP_UDP;
  put32(ip + 12, PEER_IP);
  put32(ip + 16, dst);
  put16(ip + 10, net_pkt_csum(ip, 20));
  put16(u, 40000);
  put16(u + 2, dport);
  put16(u + 4, (unsigned)(8 + n));
  put16(u + 6, 0);
  memcpy(u + 8, payload, n);
  return off + 28 + n;
}

static inline void recsum(uint8_t *ip) {
  put16(ip + 10, 0);
  put16(ip + 10, net_pkt_csum(ip, (size_t)(ip[0] & 15) * 4));
}

static inline size_t arp_frame(uint8_t *f, int vlans, unsigned op, uint32_t tpa) {
  size_t off = eth(f, vlans, NET_PKT_ETH_ARP);
  uint8_t *a = f + off;

  put16(a, 1);
  put16(a + 2, NET_PKT_ETH_IPV4);
  a[4] = 6;
  a[5] = 4;
  put16(a + 6, op);
  memcpy(a + 8, peer_mac, 6);
  put32(a + 14, PEER_IP);
  memset(a + 18, 0, 6);
  put32(a + 24, tpa);
  return off + 28;
}

#endif
